#!/usr/bin/env bash
# For development: builds and serves the shop like run.sh, then rebuilds and restarts it each
# time a file under src/, style/, public/ or migrations/ (or Cargo.toml) changes. Reload the
# browser by hand after a rebuild.
#
# It uses the same build as run.sh and the tests (scripts/build-site.sh), not `cargo leptos
# watch`: cargo-leptos 0.3.6's `--split` makes a bundle that fails to load with wasm-bindgen
# 0.2.130 ("Failed to resolve module specifier __wbindgen_externref_xform__"), and the lazy
# routes need the split. Newer cargo-leptos releases need a newer rustc than this project's.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_wasm_target
ensure_wasm_bindgen

export LEPTOS_SITE_ROOT=target/site
server=""
stop_server() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        server=""
    fi
}
trap 'stop_server; exit 0' INT TERM
trap stop_server EXIT

# Changes when any watched file is added, removed or saved.
fingerprint() {
    find src style public migrations Cargo.toml -type f -printf '%T@ %s %p\n' 2>/dev/null | sort | sha256sum
}

while true; do
    seen="$(fingerprint)"
    stop_server
    if "$ROOT/scripts/build-site.sh"; then
        step "Serving the shop on http://${CHECKOUT_ADDR:-127.0.0.1:3000} (rebuilds on save; Ctrl-C stops)"
        "$TARGET_DIR/debug/checkout" &
        server=$!
    else
        step "The build failed: fix the file, save, and it builds again"
    fi
    while [ "$(fingerprint)" = "$seen" ]; do
        sleep 1
    done
    step "A file changed: rebuilding"
done
