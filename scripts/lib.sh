# Shared by the scripts in this folder. Every install step checks first and skips what is there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# cargo-leptos adds this flag to dev builds; plain cargo must use the same RUSTFLAGS or the
# whole dependency tree is rebuilt.
export RUSTFLAGS="--cfg erase_components"
# The browser bundle is linked with relocations kept, which the wasm split step needs
# (cargo-leptos adds the same flag for `--split`).
FRONT_RUSTFLAGS="$RUSTFLAGS -Clink-args=--emit-relocs"
export LEPTOS_OUTPUT_NAME=checkout
export PATH="$HOME/.cargo/bin:$ROOT/tools/node_modules/.bin:$PATH"
# Where cargo builds (CARGO_TARGET_DIR if set, as cargo itself does); the wasm build goes in
# its own folder beneath it. The site (target/site) and logs stay in the project's target/.
TARGET_DIR="${CARGO_TARGET_DIR:-target}"

step() { printf '\n==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

# The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_wasm_target() {
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        step "Installing the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown
    fi
}

ensure_rust_components() {
    if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
        step "Installing rustfmt and clippy"
        rustup component add rustfmt clippy
    fi
}

ensure_wasm_bindgen() {
    local want
    want="$(wasm_bindgen_version)"
    if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
        step "Installing wasm-bindgen-cli $want (about 3 minutes)"
        # No --locked: its lockfile pins a webpki-roots release the registry here lacks.
        cargo install -f wasm-bindgen-cli --version "$want"
    fi
}

# The wasm split step (tools/wasm-split, built once into the target folder; cargo skips it after).
ensure_wasm_split() {
    cargo build --quiet --release --locked --manifest-path tools/wasm-split/Cargo.toml \
        --target-dir "$TARGET_DIR/tools"
}

# npm tools for release builds (wasm-opt from binaryen; Debian's binaryen makes broken wasm).
ensure_tools() {
    if [ ! -x tools/node_modules/.bin/wasm-opt ]; then
        step "Installing npm tools (binaryen)"
        npm ci --prefix tools --no-audit --no-fund
    fi
}

ensure_chromium() {
    if [ ! -x /usr/bin/chromium ]; then
        step "Installing Chromium from Debian"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
    fi
}

ensure_e2e_packages() {
    if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
        step "Installing the end-to-end test packages"
        npm ci --prefix end2end --no-audit --no-fund
    fi
}

# PostgreSQL from Debian (the server binaries live in /usr/lib/postgresql/<major>/bin).
pg_bin() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

ensure_postgres() {
    if [ -z "$(pg_bin)" ]; then
        step "Installing PostgreSQL from Debian"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql
    fi
}

# Runs a command as the postgres user when we are root (initdb refuses root), else as ourselves.
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Starts a throwaway PostgreSQL cluster in $1 (created if missing) on a free local port, fsync
# off (a test cluster: a crash of the machine may lose it, which is fine), synchronous_commit
# off unless PG_SYNCHRONOUS_COMMIT=on (then a commit, once acknowledged, survives a crash of
# PostgreSQL itself, e.g. pg_restart's immediate stop; pg_restart honours it too), and exports
# PG_DIR, PG_PORT and PG_URL (the superuser's URL of database "postgres"). pg_stop stops it.
pg_start() {
    ensure_postgres
    local bin
    bin="$(pg_bin)"
    PG_DIR="$(mkdir -p "$1" && cd "$1" && pwd)"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$PG_DIR"
    # The postgres user must reach the folder; a checkout under a private home (/root) is out
    # of its reach, so the cluster goes to a folder of its own under /tmp then.
    if ! as_postgres test -w "$PG_DIR"; then
        PG_DIR="$(mktemp -d /tmp/checkout-pg.XXXXXX)"
        [ "$(id -u)" -ne 0 ] || chown postgres: "$PG_DIR"
        echo "note: $1 is out of the postgres user's reach; the cluster is in $PG_DIR" >&2
    fi
    if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
        as_postgres "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 \
            --locale=C.UTF-8 -N >/dev/null
    fi
    PG_PORT="${PG_PORT:-$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')}"
    as_postgres "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o \
        "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=${PG_SYNCHRONOUS_COMMIT:-off} -c full_page_writes=off -c max_connections=300" \
        start >/dev/null
    PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    export PG_DIR PG_PORT PG_URL
}

# Stops the cluster at once (as a crash would), keeping its folder.
pg_halt() {
    [ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
    as_postgres "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
}

# Stops the cluster; one pg_start had to put under /tmp is removed with it.
pg_stop() {
    pg_halt
    case "${PG_DIR:-}" in /tmp/checkout-pg.*) rm -rf "$PG_DIR" ;; esac
}

# pg_restart: stops and starts the same cluster on the same port (for fault tests).
pg_restart() {
    pg_halt
    as_postgres "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o \
        "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=${PG_SYNCHRONOUS_COMMIT:-off} -c full_page_writes=off -c max_connections=300" \
        start >/dev/null
}
