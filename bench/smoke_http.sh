#!/bin/sh
# Smoke test of `oncepay-bench http`: starts oncepayd on a free loopback port
# with a fresh data dir, runs a short mixed load against it, stops the
# daemon, and checks the bench's summary line (not the speed).
# usage: smoke_http.sh ONCEPAYD ONCEPAY_BENCH PYTHON3 CHECK_SUMMARY_PY
set -eu
daemon=$1 bench=$2 python=$3 check=$4

work=$(mktemp -d "${TMPDIR:-/tmp}/oncepay-smoke-http.XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The files exist before the daemon starts: the background child opens its
# redirections after the fork, so the first read below could otherwise come
# first and fail (set -e).
: >"$work/daemon.out"
: >"$work/daemon.err"
# A short in-flight window so the mixed scenario's retries happen in 2 s.
"$daemon" --http.port=0 --data-dir="$work/data" --payment.in-flight-window=200ms \
  >"$work/daemon.out" 2>"$work/daemon.err" &
pid=$!

url=
for _ in $(seq 1 100); do
  url=$(sed -n 's/^oncepayd listening on \(http:[^ ]*\)$/\1/p' "$work/daemon.out")
  [ -n "$url" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "oncepayd exited early:" >&2
    cat "$work/daemon.err" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "oncepayd did not print its address within 10 s" >&2
  exit 1
fi

"$bench" http --target="$url" --scenario=mixed --seconds=2 --connections=16 \
  --window-ms=200 >"$work/bench.out"
"$python" "$check" --mode=http --file="$work/bench.out"
