#!/usr/bin/env bash
# Stripe's official SDKs against the Stripe simulator: npm `stripe` (Node) and PyPI `stripe`
# (Python), at the versions pinned in stripe-sim/sdk/, pointed at the standalone `stripe-sim`
# binary on a free loopback port; then, when Playwright and Chromium are there, the Stripe.js
# stand-in and the hosted Checkout page in a browser. Each script prints `ok - …` / `not ok - …` lines; this one
# ends with "N passed, N failed" and exits non-zero when anything failed.
#
# Installs what is missing, and only that: stripe-sim/sdk/node_modules (npm ci, from the
# committed package-lock.json) and a virtualenv in target/sdk-venv (pip, from
# stripe-sim/sdk/requirements.txt). Only the npm registry and PyPI are used.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SDK="$ROOT/stripe-sim/sdk"
# The same flags as every other cargo command in this project (keeps the shared build cache).
export RUSTFLAGS="${RUSTFLAGS:---cfg erase_components}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
VENV="$ROOT/target/sdk-venv"
SK="sk_test_sdk_checks_0123456789abcdef"
PK="pk_test_sdk_checks_0123456789abcdef"

step() { printf '\n==> %s\n' "$*"; }

# --- installs -------------------------------------------------------------------------------
wanted_node=$(node -p "require('$SDK/package-lock.json').packages['node_modules/stripe'].version")
installed_node=$(node -p "try { require('$SDK/node_modules/stripe/package.json').version } catch (e) { '' }")
if [ "$installed_node" != "$wanted_node" ]; then
    step "Installing npm stripe@$wanted_node into stripe-sim/sdk"
    (cd "$SDK" && npm ci --no-audit --no-fund)
fi

wanted_py=$(sed -n 's/^stripe==//p' "$SDK/requirements.txt")
installed_py=""
if [ -x "$VENV/bin/python" ]; then
    installed_py=$("$VENV/bin/python" -c 'import stripe; print(stripe.VERSION)' 2>/dev/null || true)
fi
if [ "$installed_py" != "$wanted_py" ]; then
    step "Installing PyPI stripe==$wanted_py into target/sdk-venv"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$SDK/requirements.txt"
fi

# --- the simulator --------------------------------------------------------------------------
step "Building stripe-sim"
cargo build -p stripe-sim --bin stripe-sim
BIN="$TARGET_DIR/debug/stripe-sim"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
mkdir -p target/test-logs
LOG="target/test-logs/sdk-stripe-sim.log"
"$BIN" --host 127.0.0.1 --port "$PORT" --secret-key "$SK" --publishable-key "$PK" \
    --processing-delay-ms 200 >"$LOG" 2>&1 &
SIM_PID=$!
cleanup() { kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; }
trap cleanup EXIT

ready=""
for _ in $(seq 1 100); do
    if python3 -c "import urllib.request, sys; urllib.request.urlopen('$BASE/v3/', timeout=1)" 2>/dev/null; then
        ready=1
        break
    fi
    if ! kill -0 "$SIM_PID" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [ -z "$ready" ]; then
    cat "$LOG"
    echo "stripe-sim did not start on $BASE"
    echo "0 passed, 1 failed"
    exit 1
fi
step "stripe-sim on $BASE"

# --- the checks -----------------------------------------------------------------------------
passed=0
failed=0
run() {
    local name="$1"
    shift
    step "$name"
    local out code=0
    out=$(SIM_BASE="$BASE" SIM_SK="$SK" "$@" 2>&1) || code=$?
    printf '%s\n' "$out"
    local ok bad
    ok=$(printf '%s\n' "$out" | grep -c '^ok - ' || true)
    bad=$(printf '%s\n' "$out" | grep -c '^not ok - ' || true)
    passed=$((passed + ok))
    failed=$((failed + bad))
    if [ "$code" -ne 0 ] && [ "$bad" -eq 0 ]; then
        echo "not ok - $name exited with status $code"
        failed=$((failed + 1))
    fi
}
run "Python SDK (stripe $wanted_py)" "$VENV/bin/python" "$SDK/check.py"
run "Node SDK (stripe $wanted_node)" node "$SDK/check.mjs"

# The Stripe.js stand-in in a browser, when the project's Playwright (end2end/) and Debian's
# Chromium are installed (scripts/test.sh installs them); nothing is downloaded for it here.
PLAYWRIGHT="$ROOT/end2end/node_modules/playwright"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -d "$PLAYWRIGHT" ] && [ -x "$CHROMIUM" ]; then
    run "Stripe.js stand-in in Chromium" env PLAYWRIGHT="$PLAYWRIGHT" CHROMIUM="$CHROMIUM" SIM_PK="$PK" \
        node "$SDK/stripe-js.mjs"
else
    step "Stripe.js stand-in in Chromium: skipped (no end2end/node_modules/playwright or no $CHROMIUM)"
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
