#!/usr/bin/env bash
# Quick start 1: install what is missing, build, and start oncepayd on its
# embedded default (sandbox channel, data in ./var, http://127.0.0.1:8080).
# Extra arguments go to oncepayd, e.g. --http.port=0 or --config=conf/oncepay.conf.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec "${BUILD_DIR:-build}/apps/oncepayd" "$@"
