#!/usr/bin/env bash
# For development: rebuilds and reloads the shop on every save (`cargo leptos watch`).
# Installs cargo-leptos 0.3.6 the first time (15-25 minutes, once); the run and test commands
# do not need it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_wasm_target
ensure_wasm_bindgen
ensure_tools
ensure_cargo_leptos

step "Watching and serving the shop (cargo leptos watch --split $*)"
# cargo-leptos appends --cfg erase_components to RUSTFLAGS itself; passing ours too would make
# the flags differ from the other builds' and rebuild every crate.
unset RUSTFLAGS
# --split: the admin pages are lazy routes, compiled into chunks of their own.
exec cargo leptos watch --split "$@"
