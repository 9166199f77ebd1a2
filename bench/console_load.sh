#!/bin/sh
# Console page load times with many orders in the engine (issue #14; method
# and figures: docs/PERFORMANCE.md "Console pages"). Runs
# tests/console/console_load.mjs (it uses that folder's puppeteer-core),
# which starts its own oncepayd on a free loopback port with a fresh data
# dir, fills it with oncepay-bench and drives headless chromium through
# every screen; the last stdout line is the summary JSON. Exits 77 when
# chromium is missing, 1 when something fails functionally, never for speed.
# usage: console_load.sh [--build=DIR] [--orders=N] [--reps=R] [--mismatches=M]
#   (default DIR: build/ of this checkout; $ONCEPAYD and $ONCEPAY_BENCH,
#   when set, name the binaries instead)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build="$here/../build"
orders=--orders=100000
reps=--reps=5
mismatches=--mismatches=10
for arg in "$@"; do
  case "$arg" in
    --build=*) build=${arg#--build=} ;;
    --orders=*) orders=$arg ;;
    --reps=*) reps=$arg ;;
    --mismatches=*) mismatches=$arg ;;
    *) echo "console_load.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done
ONCEPAYD=${ONCEPAYD:-$build/apps/oncepayd}
ONCEPAY_BENCH=${ONCEPAY_BENCH:-$build/bench/oncepay-bench}
export ONCEPAYD ONCEPAY_BENCH
exec node "$here/../tests/console/console_load.mjs" "$orders" "$reps" "$mismatches"
