#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (run as root):
# installs dependencies, builds, runs every suite (unit db http media browser
# fuzz), then the same suites under AddressSanitizer + UBSan, then every
# libFuzzer target for a bounded time (scripts/fuzz.sh), then the slow suite
# if the time budget allows. CI runs exactly this (.ci/run).
#   YG_TEST_BUDGET_MIN  minutes used after which the slow suite (about 20 min on 2 cores) is
#                       skipped (default 60, so the whole run stays under 90)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
start=$(date +%s)
budget_min="${YG_TEST_BUDGET_MIN:-60}"

step() { printf '\n=== %s (%ds) ===\n' "$*" $(( $(date +%s) - start )); }

step "dependencies"
bash scripts/install-deps.sh

step "build"
bash scripts/build.sh build

step "tests"
meson test -C build --no-suite slow --print-errorlogs --num-processes 2

step "sanitizer build (address, undefined)"
bash scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
step "tests under sanitizers"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:fast_unwind_on_malloc=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$here/tests/lsan.supp:print_suppressions=0"
meson test -C build-asan --no-suite slow --no-suite browser --print-errorlogs --num-processes 2 \
  --timeout-multiplier 3
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

step "fuzzing (libFuzzer, ${YG_FUZZ_SECONDS:-20} s per target)"
bash scripts/fuzz.sh build-fuzz

elapsed_min=$(( ($(date +%s) - start) / 60 ))
if [ "$elapsed_min" -lt "$budget_min" ]; then
  step "slow tests"
  if meson test -C build --list 2>/dev/null | grep -q ':slow '; then
    meson test -C build --suite slow --print-errorlogs --num-processes 1
  else
    echo "no slow tests defined"
  fi
else
  echo "skipping slow tests: ${elapsed_min} min used of ${budget_min}"
fi
step "all tests passed"
