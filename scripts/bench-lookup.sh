#!/usr/bin/env bash
# The lookup benchmark table of docs/chronology.md: SQLite and PostgreSQL, 1 M and 10 M
# entries (override with SIZES="1000000 ..."), release build. Needs about 4 GB of free
# disk per 10 M entries and store; the stores are deleted at the end.
#
#   scripts/bench-lookup.sh            # both stores
#   STORES=sqlite scripts/bench-lookup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"1000000 10000000"}
STORES=${STORES:-"sqlite postgres"}
WORK=${WORK:-$(mktemp -d /tmp/provenant-lookup-bench.XXXXXX)}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo bench -p provenant-core --bench lookup --no-run >&2

for store in $STORES; do
  case $store in
    sqlite) location=$WORK/lookup.sqlite ;;
    postgres)
      eval "$(scripts/postgres.sh env)"
      admin=$PROVENANT_TEST_POSTGRES
      base=${admin%/*}
      runuser -u postgres -- /usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p 55432 -U postgres -d postgres \
        -qc "DROP DATABASE IF EXISTS provenant_lookup_bench" -qc "CREATE DATABASE provenant_lookup_bench"
      location=$base/provenant_lookup_bench ;;
  esac
  # The sizes grow the same store: 10 M reuses the first 1 M.
  for n in $SIZES; do
    echo "== $store n=$n"
    if [ "$store" = postgres ]; then
      # Fresh statistics and visibility map, as autovacuum would leave them.
      runuser -u postgres -- /usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p 55432 -U postgres \
        -d provenant_lookup_bench -qc "VACUUM ANALYZE" 2>/dev/null || true
    fi
    cargo bench -q -p provenant-core --bench lookup -- "$n" "$location"
    if [ "$store" = postgres ]; then
      runuser -u postgres -- /usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p 55432 -U postgres \
        -d provenant_lookup_bench -qc "VACUUM ANALYZE"
      echo "(after VACUUM ANALYZE)"
      cargo bench -q -p provenant-core --bench lookup -- "$n" "$location"
    fi
  done
  case $store in
    sqlite) rm -f "$location" "$location"-wal "$location"-shm "${location%.sqlite}.anchor-lock" ;;
    postgres) runuser -u postgres -- /usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p 55432 -U postgres -d postgres \
        -qc "DROP DATABASE IF EXISTS provenant_lookup_bench" ;;
  esac
done
rmdir "$WORK" 2>/dev/null || true
