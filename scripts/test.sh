#!/usr/bin/env bash
# Quick start 2: install what is missing, build, check formatting and the
# layer order of the includes, and run every test (unit, actor, black-box
# daemon) through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
scripts/check-format.sh
scripts/check-layers.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j"$(nproc)" --timeout 600
# libFuzzer targets (clang, ASan+UBSan) for the request decoding and the WAL
# decoder, each for a bounded time; any crash or sanitizer report fails.
scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
