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
