#!/usr/bin/env bash
# The fault matrix: builds the server and the standalone Stripe and PayPal simulators (debug, or
# --release), then runs examples/chaos.rs against them: shoppers check out, by card or (a share
# of them) with PayPal, while webhooks are duplicated and reordered, lost for good, API calls fail
# and the app is SIGKILLed, and the invariants are checked from the app's database and the
# simulators' records. Exits non-zero on a violation.
#
#   scripts/chaos.sh [--release] [--checkouts 200] [--fault duplicate|lost|api|kill|all]
#                    [--concurrency 16] [--seed N] [--keep] [--timeout SECONDS]
#                    [--paypal-share 0.3]
#
# Honours CARGO_TARGET_DIR. Everything runs on 127.0.0.1 and stops when the script does.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

profile=debug
cargo_profile=()
args=()
for arg in "$@"; do
    case "$arg" in
        --release) profile=release; cargo_profile=(--release) ;;
        *) args+=("$arg") ;;
    esac
done

step "Building the server, the simulators and the driver ($profile)"
# One cargo invocation, so the binaries share one feature resolution and one build.
cargo build "${cargo_profile[@]}" --no-default-features --features checkout/ssr \
    -p checkout -p stripe-sim -p paypal-sim --bin checkout --bin stripe-sim --bin paypal-sim \
    --example chaos

target="${CARGO_TARGET_DIR:-$ROOT/target}/$profile"
step "Fault matrix"
"$target/examples/chaos" --app-bin "$target/checkout" --sim-bin "$target/stripe-sim" \
    --paypal-bin "$target/paypal-sim" ${args[@]+"${args[@]}"} &
driver=$!
trap 'kill "$driver" 2>/dev/null || true' EXIT INT TERM
wait "$driver"
