#!/usr/bin/env bash
# Benchmarks that print figures (not tests): one command builds the release site and prints one
# table, every row measured in this run, each against its goal (issue 11):
#   - the browser bundle per chunk: raw, gzip and brotli bytes (as served, precompressed);
#   - what Chromium downloads on a first and a repeat visit, and navigation-to-hydrated for a
#     product page unthrottled and under two emulated networks (end2end/bench/page-load.mjs);
#   - webhook 2xx to status shown in Chromium;
#   - the admin's order list at 1,000,000 orders (BENCH_ORDERS to change);
#   - webhook ingest, the catalog `/` and a product page under load at 16 connections, and a bare
#     leptos_axum page (examples/bench_bare.rs, same release profile) as the reference. Load is
#     generated on this machine against 127.0.0.1 only, bounded in count (BENCH_EVENTS,
#     BENCH_REQUESTS) and 10 s per request.
# Everything runs the release build. Raw lines go to target/bench/results.txt.
# BENCH_BASELINE=/path/to/an/older/checkout-binary also loads the same pages from that binary,
# in the same run (for before/after figures).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_wasm_target
ensure_wasm_bindgen
ensure_tools
ensure_chromium
ensure_e2e_packages
"$ROOT/scripts/build-site.sh" --release

step "Release build of the benchmark programs"
cargo build -q --release --no-default-features --features ssr \
    --example bench_admin_orders --example bench_http --example bench_bare
release="$TARGET_DIR/release"

ORDERS="${BENCH_ORDERS:-1000000}"
EVENTS="${BENCH_EVENTS:-20000}"
REQUESTS="${BENCH_REQUESTS:-10000}"
ROUNDS="${BENCH_ROUNDS:-3}"
PRODUCT=/products/stoneware-mug
CONNECTIONS=16
mkdir -p target/bench
results="$ROOT/target/bench/results.txt"
: >"$results"
record() { tee -a "$results"; }
# A benchmark that fails leaves a line saying so, and the others still run.
run() { local what="$1"; shift; "$@" || echo "$what: failed (exit $?; see the output above)"; }
servers=()
trap 'for s in ${servers[@]+"${servers[@]}"}; do kill "$s" 2>/dev/null || true; done' EXIT
wait_for() { for _ in $(seq 1 150); do curl -sf -o /dev/null "$1" && return 0; sleep 0.2; done; echo "no answer from $1" >&2; return 1; }
# Each server must be the one this run started: a port already answering (a server left from
# an earlier run) stops the run, and so does a server that exited after starting.
ensure_free() {
    for port in "$@"; do
        if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
            echo "port $port is already in use: stop what listens there first" >&2
            exit 1
        fi
    done
}
ensure_running() { for pid in "$@"; do kill -0 "$pid" 2>/dev/null || { echo "a server exited at start" >&2; exit 1; }; done; }
ensure_free 3300 3301 3302 3303

step "Bundle (as served: in a content-named folder, precompressed at build time)"
# Every file of the bundle: the shopper's (checkout.*) and the admin's lazily loaded chunks.
bundle_dir="target/site/$(cat "$release/bundle.txt")"
for file in "$bundle_dir"/*.wasm "$bundle_dir"/*.js "$bundle_dir"/*.css; do
    printf 'bundle %s: raw %s, gzip %s, brotli %s bytes\n' "$(basename "$file")" \
        "$(stat -c %s "$file")" "$(stat -c %s "$file.gz")" "$(stat -c %s "$file.br")"
done | record

step "In Chromium: bytes on the wire, navigation to hydrated, webhook to status shown"
rm -f target/bench/bench.db*
DATABASE_URL=sqlite:target/bench/bench.db CHECKOUT_ADDR=127.0.0.1:3300 LEPTOS_SITE_ROOT=target/site RUST_LOG=warn SIMULATED_PAYMENTS=1 \
    "$release/checkout" &
servers+=($!)
wait_for http://127.0.0.1:3300/
ensure_running "${servers[@]}"
(cd end2end && run "page load in Chromium" env BENCH_BASE=http://127.0.0.1:3300 BENCH_PRODUCT="$PRODUCT" node bench/page-load.mjs) | record
# A page on a lazy route, opened directly: it hydrates once its chunks have come too.
(cd end2end && run "page load in Chromium, /checkout" env BENCH_BASE=http://127.0.0.1:3300 BENCH_PRODUCT=/checkout node bench/page-load.mjs) |
    grep -F '/checkout' | record
(cd end2end && run "webhook 2xx -> status in the browser" env BENCH_DB="$ROOT/target/bench/bench.db" node bench/webhook-latency.mjs) | record
kill "${servers[-1]}" 2>/dev/null; wait "${servers[-1]}" 2>/dev/null || true

step "Admin order list at $ORDERS orders"
run "admin order list" "$release/examples/bench_admin_orders" "$ORDERS" | sed 's/^/admin at '"$ORDERS"' orders, /' | record

step "Webhook ingest and pages, $CONNECTIONS connections"
rm -f target/bench/load.db*
# Stripe keys pointing nowhere: events for unknown PaymentIntents are recorded and acknowledged
# (each one a write) and nothing calls out.
DATABASE_URL=sqlite:target/bench/load.db CHECKOUT_ADDR=127.0.0.1:3301 LEPTOS_SITE_ROOT=target/site RUST_LOG=error \
    STRIPE_SECRET_KEY=sk_test_bench STRIPE_PUBLISHABLE_KEY=pk_test_bench STRIPE_WEBHOOK_SECRET=whsec_bench \
    STRIPE_API_BASE=http://127.0.0.1:9 RECONCILE_INTERVAL_SECONDS=3600 \
    "$release/checkout" &
servers+=($!)
"$release/examples/bench_bare" 127.0.0.1:3302 &
servers+=($!)
wait_for http://127.0.0.1:3301/
wait_for http://127.0.0.1:3302/
if [ -n "${BENCH_BASELINE:-}" ]; then
    rm -f target/bench/baseline.db*
    DATABASE_URL=sqlite:target/bench/baseline.db CHECKOUT_ADDR=127.0.0.1:3303 LEPTOS_SITE_ROOT=target/site RUST_LOG=error \
        STRIPE_SECRET_KEY=sk_test_bench STRIPE_PUBLISHABLE_KEY=pk_test_bench STRIPE_WEBHOOK_SECRET=whsec_bench \
        STRIPE_API_BASE=http://127.0.0.1:9 RECONCILE_INTERVAL_SECONDS=3600 \
        "$BENCH_BASELINE" &
    servers+=($!)
    wait_for http://127.0.0.1:3303/
fi
ensure_running "${servers[@]:1}"
load="$release/examples/bench_http"
"$load" webhooks http://127.0.0.1:3301 whsec_bench 2000 "$CONNECTIONS" >/dev/null # warm-up
run "webhook ingest" "$load" webhooks http://127.0.0.1:3301 whsec_bench "$EVENTS" "$CONNECTIONS" | record
BENCH_SERVER=bare "$load" page http://127.0.0.1:3302 / 2000 "$CONNECTIONS" fresh >/dev/null # warm-up
BENCH_SERVER=shop "$load" page http://127.0.0.1:3301 / 2000 "$CONNECTIONS" cookie >/dev/null # warm-up
[ -z "${BENCH_BASELINE:-}" ] || "$load" page http://127.0.0.1:3303 / 2000 "$CONNECTIONS" cookie >/dev/null # warm-up
# BENCH_ROUNDS rounds (default 3), the servers taking turns within each round, so that a
# neighbour's load on this shared machine hits them alike; each row is the round with the
# median throughput, with the range of all rounds.
rounds="$(mktemp -d)"
for round in $(seq 1 "$ROUNDS"); do
    for visitor in fresh cookie; do
        for path in / "$PRODUCT"; do
            run "GET $path ($visitor), shop" env BENCH_SERVER=shop "$load" page http://127.0.0.1:3301 "$path" "$REQUESTS" "$CONNECTIONS" "$visitor"
            if [ -n "${BENCH_BASELINE:-}" ]; then
                run "GET $path ($visitor), baseline" env BENCH_SERVER=baseline "$load" page http://127.0.0.1:3303 "$path" "$REQUESTS" "$CONNECTIONS" "$visitor"
            fi
        done
    done
    # As a browser asks for it: brotli, compressed per response by the server.
    run "GET / (cookie) br, shop" env BENCH_SERVER=shop BENCH_ENCODING=br "$load" page http://127.0.0.1:3301 / "$REQUESTS" "$CONNECTIONS" cookie
    if [ -n "${BENCH_BASELINE:-}" ]; then
        run "GET / (cookie) br, baseline" env BENCH_SERVER=baseline BENCH_ENCODING=br "$load" page http://127.0.0.1:3303 / "$REQUESTS" "$CONNECTIONS" cookie
    fi
    run "GET / (fresh), bare" env BENCH_SERVER=bare "$load" page http://127.0.0.1:3302 / "$REQUESTS" "$CONNECTIONS" fresh
done | tee "$rounds/all"
# One line per label: the median round by requests/s, plus the range.
cut -d: -f1 "$rounds/all" | awk '!seen[$0]++' | while IFS= read -r label; do
    grep -F "$label: " "$rounds/all" | awk -v label="$label" '
        { if (match($0, /[0-9.]+\/s,/)) { r[NR] = substr($0, RSTART, RLENGTH - 3) + 0 } else { r[NR] = -1 }; line[NR] = $0 }
        END {
            n = NR; for (i = 1; i <= n; i++) idx[i] = i
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (r[idx[j]] < r[idx[i]]) { t = idx[i]; idx[i] = idx[j]; idx[j] = t }
            m = idx[int((n + 1) / 2)]
            printf "%s (median of %d rounds; %.0f–%.0f/s)\n", line[m], n, r[idx[1]], r[idx[n]]
        }'
done | record
rm -rf "$rounds"

step "Results"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
grep -v '^admin at [0-9]* orders, inserted' "$results" >"$results.table"
node scripts/bench-table.mjs "$results.table"
