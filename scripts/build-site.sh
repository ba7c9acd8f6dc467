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
# --emit-relocs lets the split step below move the admin pages (#[lazy_route]) into chunks of
# their own. FRONT_RUSTFLAGS (lib.sh) is also what clippy uses for this target directory.
profile_args=()
wasm_profile=debug
if [ "$release" -eq 1 ]; then
    profile_args=(--profile wasm-release)
    wasm_profile=wasm-release
fi
RUSTFLAGS="$FRONT_RUSTFLAGS" cargo build --lib --target wasm32-unknown-unknown \
    --no-default-features --features hydrate --target-dir "$TARGET_DIR/front" "${profile_args[@]}"
wasm="$TARGET_DIR"/front/wasm32-unknown-unknown/$wasm_profile/checkout.wasm
ensure_wasm_split

# The bundle goes into a folder named after its content (pkg/<16 hex digits>/), which browsers
# may cache for good: a new build has a new folder, and files inside keep the names the
# generated JS refers to. bundle.txt beside the server binary names the folder.
rm -rf target/site
stage=target/site/pkg/next
mkdir -p "$stage"
"$TARGET_DIR"/tools/release/checkout-wasm-split "$wasm" "$stage" "${wasm%.wasm}_split.wasm" checkout
wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
    --out-dir "$stage" --out-name checkout "${wasm%.wasm}_split.wasm"
# HydrationScripts loads <name>.wasm, not <name>_bg.wasm.
mv "$stage/checkout_bg.wasm" "$stage/checkout.wasm"
if [ "$release" -eq 1 ]; then
    # The flags cargo-leptos 0.3.6 passes (npm's binaryen: Debian's makes wasm that fails to load),
    # on the main module and on each lazily loaded chunk.
    for module in "$stage"/*.wasm; do
        wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "$module" -o "$module"
    done
fi
cp style/main.css "$stage/checkout.css"
bundle="$(cd "$stage" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)"
mv "$stage" "target/site/pkg/$bundle"
cp -r public/. target/site/

profile=debug
[ "$release" -eq 1 ] && profile=release
mkdir -p "$TARGET_DIR/$profile"
rm -f "$TARGET_DIR/$profile/hash.txt"
echo "pkg/$bundle" > "$TARGET_DIR/$profile/bundle.txt"
if [ "$release" -eq 1 ]; then
    step "Precompressing the bundle (brotli, gzip)"
    node scripts/precompress.mjs "target/site/pkg/$bundle"/*
fi

step "Building the server and the standalone Stripe simulator"
if [ "$release" -eq 1 ]; then
    cargo build --release --no-default-features --features ssr
else
    cargo build --no-default-features --features ssr
    cargo build -p stripe-sim --bin stripe-sim
fi
