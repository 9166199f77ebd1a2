#!/usr/bin/env bash
# Regenerates tests/proto/wal_snapshot.golden from proto/wal.proto and
# proto/snapshot.proto (tests/proto/contract_golden_test.cpp). Only for a
# deliberate change: a new field, or a change nothing durable holds yet.
# Review the diff (git diff tests/proto/wal_snapshot.golden) before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
cmake --build "$build" --target proto_tests
ONCEPAY_UPDATE_GOLDEN=1 "$build/tests/proto/proto_tests" --gtest_filter='ContractGoldenTest.*Unchanged'
"$build/tests/proto/proto_tests"
git --no-pager diff --stat -- tests/proto/wal_snapshot.golden
