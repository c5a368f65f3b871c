#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for the chronology store's tests and for trying
# `provenant serve` replicas: data under /tmp/provenant-pg, listening on
# 127.0.0.1:55432 only, trust authentication on loopback (no password), run as the
# `postgres` system user. Idempotent: `start` on a running server only prints its URL.
#
#   scripts/postgres.sh start    # install if missing, init, start, create the database; print the URL
#   scripts/postgres.sh stop     # stop the server (data kept for the next start)
#   scripts/postgres.sh url      # print the URL
#   eval "$(scripts/postgres.sh env)"   # start, then export PROVENANT_TEST_POSTGRES
set -euo pipefail
# runuser lives in /usr/sbin, which a minimal PATH (cron, CI runners) may lack.
export PATH="$PATH:/usr/sbin:/sbin"

BIN=/usr/lib/postgresql/15/bin
ROOT=/tmp/provenant-pg
DATA=$ROOT/data
PORT=55432
DB=provenant
URL="postgres://postgres@127.0.0.1:$PORT/$DB"

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

install() {
  [ -x "$BIN/pg_ctl" ] && return 0
  echo "installing PostgreSQL 15 (Debian package postgresql)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  # The package starts a cluster of its own on 5432; it is not ours, leave it.
}

running() {
  [ -f "$DATA/PG_VERSION" ] && as_postgres "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

start() {
  install
  mkdir -p "$ROOT"
  chown postgres: "$ROOT"
  chmod 700 "$ROOT"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    as_postgres "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --no-sync \
      --encoding=UTF8 --locale=C.UTF-8 >"$ROOT/initdb.log" 2>&1 \
      || { cat "$ROOT/initdb.log" >&2; exit 1; }
  fi
  if ! running; then
    as_postgres "$BIN/pg_ctl" -D "$DATA" -l "$ROOT/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $ROOT -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null \
      || { tail -20 "$ROOT/server.log" >&2; exit 1; }
  fi
  if ! as_postgres "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    as_postgres "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc \
      "CREATE DATABASE $DB" >/dev/null
  fi
}

case "${1:-}" in
  start) start; echo "$URL" ;;
  stop)
    if running; then as_postgres "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; fi
    ;;
  url) echo "$URL" ;;
  env) start; echo "export PROVENANT_TEST_POSTGRES=$URL" ;;
  *) echo "usage: $0 start|stop|url|env" >&2; exit 2 ;;
esac
