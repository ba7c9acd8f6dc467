#!/usr/bin/env bash
# Started by Playwright (webServer) from the project root: the standalone Stripe simulator.
set -euo pipefail
exec "${CARGO_TARGET_DIR:-target}"/debug/stripe-sim --port "${SIM_PORT:-12111}" \
    --secret-key sk_test_e2e_simulator_0123456789 \
    --publishable-key pk_test_e2e_simulator_0123456789 \
    --processing-delay-ms 1000
