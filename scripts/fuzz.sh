#!/usr/bin/env bash
# Runs every libFuzzer target in tests/fuzz for a bounded time.
# Builds build-fuzz with clang (-Dfuzzing=true, ASan + UBSan) if needed, copies
# each seed corpus to a scratch directory (the committed corpus is never
# changed) and runs each target with its dictionary, printing the executions
# per target. A crash fails the run; the reproducer is kept in the scratch
# directory, whose path is printed.
#   YG_FUZZ_SECONDS   seconds per target (default 20)
#   YG_FUZZ_TARGETS   space-separated subset of targets (default: all)
#   scripts/fuzz.sh [BUILD_DIR]   (default build-fuzz)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
dir="${1:-build-fuzz}"
seconds="${YG_FUZZ_SECONDS:-20}"

if ! command -v clang >/dev/null; then
  echo "fuzz: clang is not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
if [ ! -f "$dir/build.ninja" ]; then
  # werror off: clang warns about things gcc does not; the gcc builds keep -Werror
  CC=clang meson setup "$dir" -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=false \
    -Dbuildtype=debugoptimized
fi
ninja -C "$dir"

targets="${YG_FUZZ_TARGETS:-$(sed -n "s/^ *'\(fuzz-[a-z-]*\)' : '[a-z-]*',$/\1/p" tests/fuzz/meson.build)}"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/yg-fuzz.XXXXXX")"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$here/tests/lsan.supp:print_suppressions=0"
failed=0
printf '%-22s %12s %8s %s\n' target executions exec/s result
for t in $targets; do
  corpus="$(sed -n "s/^ *'$t' : '\([a-z-]*\)',$/\1/p" tests/fuzz/meson.build)"
  work="$scratch/$t"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp tests/fuzz/corpus/"$corpus"/* "$work/corpus/" 2>/dev/null || true
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  result=ok
  if ! "$dir/tests/fuzz/$t" "${dict[@]}" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" -max_len=8192 "$work/corpus" >"$work/log" 2>&1; then
    result="CRASH (see $work/log, $work/artifacts/)"
    failed=1
  fi
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)"
  printf '%-22s %12s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" "$result"
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: a target crashed; reproduce with $dir/tests/fuzz/<target> <artifact>" >&2
  exit 1
fi
rm -rf "$scratch"
