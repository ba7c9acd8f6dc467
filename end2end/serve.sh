#!/usr/bin/env bash
# Started by Playwright (webServer) from the project root: the built server on a fresh database.
set -euo pipefail
port="${E2E_PORT:-3100}"
db="target/e2e/${E2E_DB_NAME:-shop}.db"
mkdir -p target/e2e
rm -f "$db" "$db-wal" "$db-shm"
export DATABASE_URL="sqlite:$db"
export CHECKOUT_ADDR="127.0.0.1:$port"
export LEPTOS_SITE_ROOT=target/site
export RUST_LOG="${RUST_LOG:-warn}"
ADMIN_PASSWORD_HASH="$(printf '%s\n' 'e2e merchant password' | "${CARGO_TARGET_DIR:-target}"/debug/checkout hash-password)"
export ADMIN_PASSWORD_HASH
exec "${CARGO_TARGET_DIR:-target}"/debug/checkout
