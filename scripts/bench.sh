#!/usr/bin/env bash
# Benchmarks that print figures (not tests): webhook-to-browser latency of the live order page.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_wasm_target
ensure_wasm_bindgen
ensure_chromium
ensure_e2e_packages
"$ROOT/scripts/build-site.sh"

mkdir -p target/bench
rm -f target/bench/bench.db*
DATABASE_URL=sqlite:target/bench/bench.db CHECKOUT_ADDR=127.0.0.1:3300 LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
    ./target/debug/checkout &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -sf -o /dev/null http://127.0.0.1:3300/ && break; sleep 0.2; done

step "Webhook 2xx to status shown in the browser"
(cd end2end && BENCH_DB="$ROOT/target/bench/bench.db" node bench/webhook-latency.mjs)

step "Admin order list at 100,000 orders"
cargo run -q --example bench_admin_orders --no-default-features --features ssr
