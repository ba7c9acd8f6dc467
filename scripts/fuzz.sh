#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for a while and prints what each did.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 120); TARGETs default to all of them. Needs the nightly toolchain
# and cargo-fuzz (`cargo install cargo-fuzz`). `webhook_signature` needs the app's `ssr`
# feature, a heavy build: set FUZZ_SKIP_SSR=1 to leave it out. Crashing inputs are kept in
# fuzz/artifacts/<target>/; the corpus grows in fuzz/corpus/<target>/. Logs go to
# $FUZZ_LOG_DIR (default: a fresh temporary directory). libFuzzer stops at the first crash;
# FUZZ_KEEP_GOING=1 runs it in fork mode (-fork=1 -ignore_crashes=1) so that a known crash
# does not end the run, and counts every crashing input kept. Exits 1 if any target crashed.
set -uo pipefail

cd "$(dirname "$0")/.."
seconds="${1:-120}"
shift || true
case "$seconds" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

all_targets=(sim_form money email cart_quantity webhook_signature)
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  targets=("${all_targets[@]}")
fi

features_of() {
  case "$1" in
    webhook_signature) echo "--features ssr" ;;
    *) echo "" ;;
  esac
}

# The bundled SQLite (linked through the simulator) has two function-local statics of the
# same name, which AddressSanitizer's ODR check takes for a violation before any input runs.
export ASAN_OPTIONS="detect_odr_violation=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

log_dir="${FUZZ_LOG_DIR:-$(mktemp -d -t fuzz-logs.XXXXXX)}"
mkdir -p "$log_dir"

rows=()
failed=0
for target in "${targets[@]}"; do
  if [ "$target" = webhook_signature ] && [ "${FUZZ_SKIP_SSR:-0}" = 1 ]; then
    rows+=("$target|skipped|-|FUZZ_SKIP_SSR=1")
    continue
  fi
  log="$log_dir/$target.log"
  artifacts="fuzz/artifacts/$target"
  mkdir -p "$artifacts"
  before=$(find "$artifacts" -type f | wc -l)
  echo "== $target: building, then fuzzing for ${seconds}s (log: $log)" >&2
  # shellcheck disable=SC2046 # the features are words on purpose
  keep_going=()
  [ "${FUZZ_KEEP_GOING:-0}" = 1 ] && keep_going=(-fork=1 -ignore_crashes=1)
  cargo +nightly fuzz run $(features_of "$target") "$target" -- -max_total_time="$seconds" "${keep_going[@]}" >"$log" 2>&1
  status=$?
  after=$(find "$artifacts" -type f | wc -l)
  crashes=$((after - before))
  # libFuzzer's last words: "Done N runs in S second(s)", or the last "#N" status line.
  runs=$(grep -oE 'Done [0-9]+ runs' "$log" | tail -1 | grep -oE '[0-9]+')
  if [ -z "$runs" ]; then
    runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  fi
  if [ "${FUZZ_KEEP_GOING:-0}" = 1 ]; then
    # Fork mode: the parent's last status line counts the runs of all its jobs.
    runs=$(grep -oE '^#[0-9]+: cov' "$log" | tail -1 | grep -oE '[0-9]+')
  fi
  note=""
  if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    if grep -q 'Running:\|INFO: Seed' "$log"; then
      crashes=1
      note="exit $status"
    else
      note="did not run (build failed? see log)"
    fi
  fi
  if [ "$crashes" -gt 0 ]; then
    failed=1
    newest=$(ls -t "$artifacts" 2>/dev/null | head -1)
    [ -n "$newest" ] && note="${note:+$note; }$artifacts/$newest"
  fi
  [ "$status" -ne 0 ] && [ -z "$runs" ] && failed=1
  rows+=("$target|${runs:-?}|$crashes|$note")
done

printf '\n%-20s %14s %8s  %s\n' target executions crashes notes
for row in "${rows[@]}"; do
  IFS='|' read -r t r c n <<<"$row"
  printf '%-20s %14s %8s  %s\n' "$t" "$r" "$c" "$n"
done
echo "logs: $log_dir"
exit "$failed"
