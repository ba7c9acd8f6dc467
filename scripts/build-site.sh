#!/usr/bin/env bash
# Builds what `cargo leptos build` builds, with plain cargo: the server binary and target/site
# (the hydrate wasm, its JS glue, the stylesheet and public/). Used by the tests, so a test run
# does not need the 20-minute cargo-leptos install.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

step "Building the browser bundle (wasm)"
cargo build --lib --target wasm32-unknown-unknown --no-default-features --features hydrate --target-dir target/front
rm -rf target/site
mkdir -p target/site/pkg
wasm-bindgen --target web --no-typescript --out-dir target/site/pkg --out-name checkout \
    target/front/wasm32-unknown-unknown/debug/checkout.wasm
# HydrationScripts loads <name>.wasm, not <name>_bg.wasm.
mv target/site/pkg/checkout_bg.wasm target/site/pkg/checkout.wasm
cp -r public/. target/site/
cp style/main.css target/site/pkg/checkout.css

step "Building the server and the standalone Stripe simulator"
cargo build --no-default-features --features ssr
cargo build -p stripe-sim --bin stripe-sim
