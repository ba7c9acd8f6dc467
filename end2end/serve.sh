#!/usr/bin/env bash
# Started by Playwright (webServer) from the project root: the built server on a fresh database.
set -euo pipefail
port="${E2E_PORT:-3100}"
db="target/e2e/${E2E_DB_NAME:-shop}.db"
mkdir -p target/e2e
rm -f "$db" "$db-wal" "$db-shm"
if [ "${E2E_BACKEND:-sqlite}" = postgres ]; then
    # The same shop on a fresh database of the test cluster (scripts/test.sh starts it); the
    # simulators keep their state in the SQLite file.
    name="e2e_$(basename "$db" .db | tr -c 'a-zA-Z0-9\n' '_' | tr 'A-Z' 'a-z')"
    psql "$TEST_POSTGRES_URL" -X -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name"
    export DATABASE_URL="${TEST_POSTGRES_URL%/*}/$name"
    export SIMULATOR_DATABASE_URL="sqlite:$db"
else
    export DATABASE_URL="sqlite:$db"
fi
export CHECKOUT_ADDR="127.0.0.1:$port"
export LEPTOS_SITE_ROOT=target/site
export RUST_LOG="${RUST_LOG:-warn}"
ADMIN_PASSWORD_HASH="$(printf '%s\n' 'e2e merchant password' | "${CARGO_TARGET_DIR:-target}"/debug/checkout hash-password)"
export ADMIN_PASSWORD_HASH
exec "${CARGO_TARGET_DIR:-target}"/debug/checkout
