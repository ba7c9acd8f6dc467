#!/usr/bin/env bash
# Started by Playwright (webServer) from the project root: the built server on a fresh database.
set -euo pipefail
mkdir -p target/e2e
rm -f target/e2e/shop.db target/e2e/shop.db-wal target/e2e/shop.db-shm
export DATABASE_URL=sqlite:target/e2e/shop.db
export CHECKOUT_ADDR="127.0.0.1:${E2E_PORT:-3100}"
export LEPTOS_SITE_ROOT=target/site
export RUST_LOG="${RUST_LOG:-warn}"
exec ./target/debug/checkout
