#!/usr/bin/env bash
# The fault matrix: builds the server and the standalone Stripe and PayPal simulators (debug, or
# --release), then runs examples/chaos.rs against them: shoppers check out, by card or (a share
# of them) with PayPal, while webhooks are duplicated and reordered, lost for good, API calls fail
# and the app is SIGKILLed, and the invariants are checked from the app's database and the
# simulators' records. Exits non-zero on a violation.
#
#   scripts/chaos.sh [--release] [--postgres] [--checkouts 200]
#                    [--fault duplicate|lost|api|kill|all] [--concurrency 16] [--seed N] [--keep]
#                    [--timeout SECONDS] [--paypal-share 0.3]
#
# The app runs on a SQLite file per phase; with --postgres, on a database per phase of a
# throwaway PostgreSQL cluster started for the run in $CARGO_TARGET_DIR/pg-chaos (made anew,
# commits durable across a crash of PostgreSQL, stopped and removed at the end; kept with --keep
# or on a failure), and PostgreSQL is restarted (immediate stop, then start) once in the middle
# of the `all` phase (or of the last phase run).
#
# Honours CARGO_TARGET_DIR. Everything runs on 127.0.0.1 and stops when the script does.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

profile=debug
cargo_profile=()
postgres=false
keep=false
args=()
for arg in "$@"; do
    case "$arg" in
        --release) profile=release; cargo_profile=(--release) ;;
        --postgres) postgres=true ;;
        --keep) keep=true; args+=("$arg") ;;
        *) args+=("$arg") ;;
    esac
done

step "Building the server, the simulators and the driver ($profile)"
# One cargo invocation, so the binaries share one feature resolution and one build.
cargo build "${cargo_profile[@]}" --no-default-features --features checkout/ssr \
    -p checkout -p stripe-sim -p paypal-sim --bin checkout --bin stripe-sim --bin paypal-sim \
    --example chaos

target="${CARGO_TARGET_DIR:-$ROOT/target}/$profile"
driver=""
status=1
cleanup() {
    trap - EXIT INT TERM
    [ -z "$driver" ] || kill "$driver" 2>/dev/null || true
    if $postgres && [ -n "${PG_DIR:-}" ]; then
        pg_stop
        if [ "$status" -eq 0 ] && ! $keep; then
            rm -rf "$pg_dir" "$PG_DIR"
        elif [ -d "$PG_DIR" ]; then
            echo "PostgreSQL cluster kept in $PG_DIR (start it: source scripts/lib.sh; pg_start $PG_DIR)"
        fi
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg_args=()
if $postgres; then
    pg_dir="${CARGO_TARGET_DIR:-$ROOT/target}/pg-chaos"
    step "Starting a throwaway PostgreSQL cluster in $pg_dir"
    rm -rf "$pg_dir"
    # The run restarts PostgreSQL and checks that nothing acknowledged was lost: commits must
    # be durable across a crash of PostgreSQL (fsync stays off: the OS keeps what was written).
    export PG_SYNCHRONOUS_COMMIT=on
    pg_start "$pg_dir"
    restart="PG_DIR=$(printf %q "$PG_DIR") PG_PORT=$PG_PORT PG_SYNCHRONOUS_COMMIT=on"
    restart+=" bash -c $(printf %q "source $(printf %q "$ROOT/scripts/lib.sh") && pg_restart")"
    pg_args=(--postgres "$PG_URL" --pg-restart-cmd "$restart")
fi

step "Fault matrix"
"$target/examples/chaos" --app-bin "$target/checkout" --sim-bin "$target/stripe-sim" \
    --paypal-bin "$target/paypal-sim" ${pg_args[@]+"${pg_args[@]}"} ${args[@]+"${args[@]}"} &
driver=$!
status=0
wait "$driver" || status=$?
driver=""
exit "$status"
