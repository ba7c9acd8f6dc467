#!/usr/bin/env bash
# Benchmarks that print figures (not tests), ending with one table:
#   - webhook 2xx to status shown in Chromium (debug build, as the tests run it);
#   - the admin's order list at 1,000,000 orders (BENCH_ORDERS to change), release build;
#   - webhook ingest and the catalog page under load at 16 connections, release build, load
#     generated on this machine against 127.0.0.1 only, bounded in count (BENCH_EVENTS,
#     BENCH_REQUESTS) and 10 s per request.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_wasm_target
ensure_wasm_bindgen
ensure_chromium
ensure_e2e_packages
"$ROOT/scripts/build-site.sh"

ORDERS="${BENCH_ORDERS:-1000000}"
EVENTS="${BENCH_EVENTS:-20000}"
REQUESTS="${BENCH_REQUESTS:-10000}"
CONNECTIONS=16
mkdir -p target/bench
results="$ROOT/target/bench/results.txt"
: >"$results"
record() { tee -a "$results"; }

rm -f target/bench/bench.db*
DATABASE_URL=sqlite:target/bench/bench.db CHECKOUT_ADDR=127.0.0.1:3300 LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
    ./target/debug/checkout &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -sf -o /dev/null http://127.0.0.1:3300/ && break; sleep 0.2; done

step "Webhook 2xx to status shown in the browser (debug build)"
(cd end2end && BENCH_DB="$ROOT/target/bench/bench.db" node bench/webhook-latency.mjs) | record
kill $server 2>/dev/null; wait $server 2>/dev/null || true

step "Release build (server and benchmarks)"
cargo build -q --release --no-default-features --features ssr --bin checkout \
    --example bench_admin_orders --example bench_http
release="${CARGO_TARGET_DIR:-target}/release"

step "Admin order list at $ORDERS orders (release)"
"$release/examples/bench_admin_orders" "$ORDERS" | record

step "Webhook ingest and the catalog page, $CONNECTIONS connections (release)"
rm -f target/bench/load.db*
# Stripe keys pointing nowhere: events for unknown PaymentIntents are recorded and acknowledged
# (each one a write) and nothing calls out.
DATABASE_URL=sqlite:target/bench/load.db CHECKOUT_ADDR=127.0.0.1:3301 LEPTOS_SITE_ROOT=target/site RUST_LOG=error \
    STRIPE_SECRET_KEY=sk_test_bench STRIPE_PUBLISHABLE_KEY=pk_test_bench STRIPE_WEBHOOK_SECRET=whsec_bench \
    STRIPE_API_BASE=http://127.0.0.1:9 RECONCILE_INTERVAL_SECONDS=3600 \
    "$release/checkout" &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -sf -o /dev/null http://127.0.0.1:3301/ && break; sleep 0.2; done
load="$release/examples/bench_http"
"$load" webhooks http://127.0.0.1:3301 whsec_bench 2000 "$CONNECTIONS" >/dev/null # warm-up
"$load" webhooks http://127.0.0.1:3301 whsec_bench "$EVENTS" "$CONNECTIONS" | record
"$load" page http://127.0.0.1:3301 / "$REQUESTS" "$CONNECTIONS" fresh | record
"$load" page http://127.0.0.1:3301 / "$REQUESTS" "$CONNECTIONS" cookie | record
kill $server 2>/dev/null; wait $server 2>/dev/null || true

step "Results"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| what | figure |"
echo "|---|---|"
grep -v '^inserted' "$results" | sed -E 's/^([^:]+): (.*)$/| \1 | \2 |/'
