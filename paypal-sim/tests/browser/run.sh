#!/usr/bin/env bash
# Builds the paypal-sim binary, starts it on a free port, runs the browser test, stops it.
# Needs playwright-core (NODE_PATH or a node_modules above) and Chromium (/usr/bin/chromium).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cargo build -q -p paypal-sim --bin paypal-sim --manifest-path "$root/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$root/target}/debug/paypal-sim"
port="${PAYPAL_SIM_PORT:-$(( 20000 + RANDOM % 20000 ))}"
PAYPAL_SIM_ADDR="127.0.0.1:$port" "$bin" >/tmp/paypal-sim-browser.log 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/checkoutnow/app.css" 2>/dev/null && break
  sleep 0.1
done
SIM_BASE="http://127.0.0.1:$port" node "$here/sdk-flow.cjs"
