#!/usr/bin/env bash
# Run a command with a throw-away PostgreSQL + PostGIS cluster (the store tests' second
# back-end): initdb in a temporary folder, a Unix socket only (no TCP port), no fsync;
# PROXIMITE_TEST_POSTGRES_URL points at it while the command runs; the cluster is
# stopped and its folder removed afterwards. As root (CI), the server runs as `postgres`.
set -euo pipefail
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
dir=$(mktemp -d /tmp/proximite-pg.XXXXXX)
as=()
if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    as=(runuser -u postgres --)
fi
stop() {
    "${as[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT
"${as[@]}" "$PG_BIN/initdb" -D "$dir/data" -U proximite -A trust -E UTF8 --no-sync \
    >"$dir/initdb.log"
"${as[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start \
    -o "-c listen_addresses='' -k $dir -c fsync=off -c full_page_writes=off -c max_connections=200" \
    >/dev/null
"${as[@]}" "$PG_BIN/createdb" -h "$dir" -U proximite proximite_test
# PostGIS once, before the test processes (pytest-xdist workers) each make their schema
"${as[@]}" "$PG_BIN/psql" -q -h "$dir" -U proximite -d proximite_test \
    -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
export PROXIMITE_TEST_POSTGRES_URL="postgresql+psycopg://proximite@/proximite_test?host=$dir"
"$@"
