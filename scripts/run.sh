#!/usr/bin/env bash
# README's first command: installs what is missing, builds with plain cargo and wasm-bindgen
# (the same build the tests use), and serves the shop on http://127.0.0.1:3000 with the embedded
# defaults. Pass --release for an optimised build. For a rebuild-on-save loop, see scripts/dev.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_wasm_target
ensure_wasm_bindgen
profile=debug
if [ "${1:-}" = "--release" ]; then
    ensure_tools
    profile=release
fi

"$ROOT/scripts/build-site.sh" "$@"

step "Serving the shop on http://${CHECKOUT_ADDR:-127.0.0.1:3000}"
export LEPTOS_SITE_ROOT=target/site
exec "$TARGET_DIR/$profile/checkout"
