#!/bin/sh
# The PostgreSQL side of the comparison in docs/PERFORMANCE.md: a throwaway
# cluster (Debian's PostgreSQL 15, unix socket only, fsync and
# synchronous_commit on), the conventional schema, and pgbench running
# bench/pg_conventional.sql. Runs as the `postgres` user when started as
# root. usage: bench/pg_compare.sh [SECONDS] [CLIENTS]   (default 10 64)
set -eu
seconds=${1:-10}
clients=${2:-64}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d "${TMPDIR:-/tmp}/oncepay-pg.XXXXXX")
as_pg=""
if [ "$(id -u)" = 0 ]; then
  chown postgres "$work"
  as_pg="runuser -u postgres --"
fi
cleanup() {
  $as_pg "$bin/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

$as_pg "$bin/initdb" -D "$work/data" -A trust -U postgres >/dev/null
$as_pg "$bin/pg_ctl" -D "$work/data" -l "$work/log" -w start \
  -o "-c listen_addresses='' -k $work -c fsync=on -c synchronous_commit=on \
      -c shared_buffers=256MB -c max_connections=200" >/dev/null
$as_pg "$bin/psql" -h "$work" -U postgres -q -f "$here/pg_schema.sql" postgres
$as_pg "$bin/pgbench" -h "$work" -U postgres -n -M prepared -f "$here/pg_conventional.sql" \
  -c "$clients" -j 1 -T "$seconds" postgres
