#!/usr/bin/env bash
# Builds what `cargo leptos build` builds, with plain cargo: the server binary and target/site
# (the hydrate wasm, its JS glue, the stylesheet and public/). Used by the run and test
# commands, so neither needs the 20-minute cargo-leptos install.
#   scripts/build-site.sh            debug build
#   scripts/build-site.sh --release  optimised: wasm-release profile + wasm-opt, release server
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

release=0
[ "${1:-}" = "--release" ] && release=1

step "Building the browser bundle (wasm)"
if [ "$release" -eq 1 ]; then
    cargo build --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
        --target-dir "$TARGET_DIR/front" --profile wasm-release
    wasm="$TARGET_DIR"/front/wasm32-unknown-unknown/wasm-release/checkout.wasm
else
    cargo build --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
        --target-dir "$TARGET_DIR/front"
    wasm="$TARGET_DIR"/front/wasm32-unknown-unknown/debug/checkout.wasm
fi
rm -rf target/site
mkdir -p target/site/pkg
wasm-bindgen --target web --no-typescript --out-dir target/site/pkg --out-name checkout "$wasm"
# HydrationScripts loads <name>.wasm, not <name>_bg.wasm.
mv target/site/pkg/checkout_bg.wasm target/site/pkg/checkout.wasm
if [ "$release" -eq 1 ]; then
    # The flags cargo-leptos 0.3.6 passes (npm's binaryen: Debian's makes wasm that fails to load).
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
        target/site/pkg/checkout.wasm -o target/site/pkg/checkout.wasm
fi
cp -r public/. target/site/
cp style/main.css target/site/pkg/checkout.css

# Content-hashed copies (cached for a year by browsers: a new build has new names), listed in
# hash.txt beside the server binary, where Leptos looks for it; precompressed for the wire.
profile=debug
[ "$release" -eq 1 ] && profile=release
mkdir -p "$TARGET_DIR/$profile"
: > "$TARGET_DIR/$profile/hash.txt"
for ext in js wasm css; do
    file="target/site/pkg/checkout.$ext"
    hash="$(sha256sum "$file" | cut -c1-16)"
    cp "$file" "target/site/pkg/checkout.$hash.$ext"
    echo "$ext: $hash" >> "$TARGET_DIR/$profile/hash.txt"
done
if [ "$release" -eq 1 ]; then
    step "Precompressing the bundle (brotli, gzip)"
    node scripts/precompress.mjs target/site/pkg/checkout.*.js target/site/pkg/checkout.*.wasm target/site/pkg/checkout.*.css
fi

step "Building the server and the standalone Stripe simulator"
if [ "$release" -eq 1 ]; then
    cargo build --release --no-default-features --features ssr
else
    cargo build --no-default-features --features ssr
    cargo build -p stripe-sim --bin stripe-sim
fi
