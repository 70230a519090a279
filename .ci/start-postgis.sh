#!/usr/bin/env bash
# Start a throw-away PostgreSQL 15 + PostGIS on 127.0.0.1 for the tests and print
# the URL to export as KANSENKAART_TEST_PG. Fails (exit 1) when it cannot.
# Usage: .ci/start-postgis.sh DATA_DIR PORT   |   .ci/start-postgis.sh --stop DATA_DIR
set -euo pipefail
pgbin=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
if [ "${1:-}" = "--stop" ]; then
    as_pg "$pgbin/pg_ctl -D '$2' -m fast -w stop"
    exit 0
fi
data_dir=$1
port=$2
if [ ! -x "$pgbin/initdb" ] || [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then
    (apt-get update -qq && apt-get install -y -qq postgresql-15 postgresql-15-postgis-3) >/dev/null
fi
mkdir -p "$data_dir"
if [ "$(id -u)" = 0 ]; then chown postgres: "$data_dir"; fi
if [ ! -f "$data_dir/PG_VERSION" ]; then
    as_pg "$pgbin/initdb -D '$data_dir' -A trust -U postgres -E UTF8 --no-locale" >/dev/null
fi
as_pg "$pgbin/pg_ctl -D '$data_dir' -o \"-h 127.0.0.1 -p $port -k '$data_dir'\" -l '$data_dir/server.log' -w start" >/dev/null
psql_() { psql -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
if [ "$(psql_ -d postgres -c "select 1 from pg_database where datname = 'kansenkaart_test'")" != 1 ]; then
    psql_ -d postgres -c "create database kansenkaart_test" >/dev/null
fi
psql_ -d kansenkaart_test -c "create extension if not exists postgis" >/dev/null
echo "postgresql://postgres@127.0.0.1:$port/kansenkaart_test"
