#!/usr/bin/env bash
# README's first command: installs what is missing, then builds and serves the shop on
# http://127.0.0.1:3000 with the embedded defaults. Pass --release for an optimised build.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_wasm_target
ensure_wasm_bindgen
ensure_tools
ensure_cargo_leptos

step "Building and serving the shop (cargo leptos serve $*)"
# cargo-leptos appends --cfg erase_components to RUSTFLAGS itself; passing ours too would make
# the flags differ from the test build's and rebuild every crate.
unset RUSTFLAGS
exec cargo leptos serve "$@"
