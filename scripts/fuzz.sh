#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, a separate clang project) in
# ./build-fuzz and runs each for SECONDS (default 60) from a scratch copy of
# its seed corpus in fuzz/corpus, so the repository is never written to.
# Exits non-zero if a target crashes, leaks, trips a sanitizer or a property
# check, or if the build fails. Crash inputs are kept in
# build-fuzz/artifacts/<target>/ and their logs in build-fuzz/logs/.
#
#   scripts/fuzz.sh [SECONDS]
# Environment: BUILD_FUZZ_DIR (default build-fuzz), FUZZ_JOBS (build
# parallelism, default nproc), CXX (default clang++).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-60}"
if ! [[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || [[ "$SECONDS_PER_TARGET" -lt 1 ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS]  (a positive integer, default 60)" >&2
  exit 2
fi
BUILD_DIR="${BUILD_FUZZ_DIR:-build-fuzz}"
# target:corpus subdirectory; fuzz/<corpus>.dict is used when it exists.
TARGETS=(api_decode_fuzzer:api wal_decode_fuzzer:wal wechatpay_notify_fuzzer:wechatpay
         alipay_notify_fuzzer:alipay statement_fuzzer:statement)

cmake -S fuzz -B "$BUILD_DIR" -DCMAKE_CXX_COMPILER="${CXX:-clang++}" \
  -DCMAKE_BUILD_TYPE= >/dev/null
cmake --build "$BUILD_DIR" -j"${FUZZ_JOBS:-$(nproc)}" --target api_decode_fuzzer wal_decode_fuzzer \
  wechatpay_notify_fuzzer alipay_notify_fuzzer statement_fuzzer

WORK="$BUILD_DIR/run"
rm -rf "$WORK"
mkdir -p "$WORK" "$BUILD_DIR/logs"
# The WAL target opens a log per input and Wal cuts torn tails with an fsync:
# on tmpfs that is ~4x faster than on disk.
if [[ -d /dev/shm && -w /dev/shm ]]; then
  SCRATCH="$(mktemp -d /dev/shm/oncepay-fuzz-XXXXXX)"
else
  SCRATCH="$(mktemp -d "$PWD/$WORK/tmp-XXXXXX")"
fi
trap 'rm -rf "$SCRATCH"' EXIT
export TMPDIR="$SCRATCH"
# abort_on_error: a report ends the process with a non-zero status libFuzzer
# treats as a crash; symbolized stacks need llvm-symbolizer from clang 14.
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:symbolize=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
if [[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi

failed=()
summary=()
for entry in "${TARGETS[@]}"; do
  target="${entry%%:*}"
  corpus="${entry##*:}"
  cp -r "fuzz/corpus/$corpus" "$WORK/corpus-$target"
  mkdir -p "$BUILD_DIR/artifacts/$target"
  log="$BUILD_DIR/logs/$target.log"
  echo "fuzz: $target for ${SECONDS_PER_TARGET}s (log: $log)"
  dict=()
  [[ -f "fuzz/$corpus.dict" ]] && dict=(-dict="fuzz/$corpus.dict")
  status=0
  "$BUILD_DIR/$target" "${dict[@]}" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$BUILD_DIR/artifacts/$target/" \
    "$WORK/corpus-$target" >"$log" 2>&1 || status=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  if [[ "$status" -ne 0 ]]; then
    failed+=("$target")
    summary+=("$target FAILED (exit $status, ${runs:-?} runs)")
    echo "fuzz: $target FAILED; the end of its log:" >&2
    tail -n 60 "$log" >&2
    ls "$BUILD_DIR/artifacts/$target/" >&2 || true
  else
    summary+=("$target ok (${runs:-?} runs)")
  fi
done
rm -rf "$WORK"

if [[ "${#failed[@]}" -ne 0 ]]; then
  echo "fuzz: FAILED: $(IFS=';'; echo "${summary[*]}")" >&2
  exit 1
fi
echo "fuzz: OK: ${SECONDS_PER_TARGET}s per target: $(IFS=';'; echo "${summary[*]}")"
