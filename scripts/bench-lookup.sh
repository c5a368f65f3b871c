#!/usr/bin/env bash
# The lookup benchmark table of docs/chronology.md: SQLite and PostgreSQL, 1 M and 10 M
# entries (override with SIZES="1000000 ..."), release build. Needs about 4 GB of free
# disk per 10 M entries and store; the stores are deleted at the end.
#
#   scripts/bench-lookup.sh            # both stores
#   STORES=sqlite scripts/bench-lookup.sh
#   KEEP=1 WORK=/tmp/x scripts/bench-lookup.sh   # keep the stores (delete them yourself)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"1000000 10000000"}
STORES=${STORES:-"sqlite postgres"}
WORK=${WORK:-$(mktemp -d /tmp/provenant-lookup-bench.XXXXXX)}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
PSQL="runuser -u postgres -- /usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p 55432 -U postgres -v ON_ERROR_STOP=1"
psql_bench() { $PSQL -d provenant_lookup_bench "$@" </dev/null; }
psql_file() { $PSQL -d provenant_lookup_bench -q "${@:2}" <"$1"; }
cargo bench -p provenant-core --no-default-features --features postgres --bench lookup --no-run >&2

for store in $STORES; do
  case $store in
    sqlite) location=$WORK/lookup.sqlite ;;
    postgres)
      eval "$(scripts/postgres.sh env)"
      admin=$PROVENANT_TEST_POSTGRES
      base=${admin%/*}
      $PSQL -d postgres -qc "DROP DATABASE IF EXISTS provenant_lookup_bench" \
        -qc "CREATE DATABASE provenant_lookup_bench"
      location=$base/provenant_lookup_bench ;;
  esac
  # The sizes grow the same store: 10 M reuses the first 1 M.
  for n in $SIZES; do
    echo "== $store n=$n"
    cargo bench -q -p provenant-core --no-default-features --features postgres --bench lookup -- "$n" "$location"
    if [ "$store" = postgres ]; then
      # Visibility map and statistics as autovacuum would leave them, then again.
      psql_bench -qc "VACUUM ANALYZE"
      echo "== $store n=$n after VACUUM ANALYZE"
      cargo bench -q -p provenant-core --no-default-features --features postgres --bench lookup -- "$n" "$location"
    fi
  done
  if [ "$store" = postgres ]; then
    # The same store with entry_codes partitioned by time (2 M entries a partition),
    # at each size: the codes of the first n entries copied into partitions.
    for n in $SIZES; do
      echo "== postgres, partitioned by entry id, n=$n"
      psql_file scripts/bench-lookup-partitioned.sql \
        -v parts=$(( (n + 1999999) / 2000000 )) -v maxid="$n"
      cargo bench -q -p provenant-core --no-default-features --features postgres --bench lookup -- "$n" "$location"
      psql_file scripts/bench-lookup-unpartition.sql
    done
  fi
  [ -n "${KEEP:-}" ] && { echo "kept $location"; continue; }
  case $store in
    sqlite) rm -f "$location" "$location"-wal "$location"-shm "${location%.sqlite}.anchor-lock" ;;
    postgres) $PSQL -d postgres -qc "DROP DATABASE IF EXISTS provenant_lookup_bench" ;;
  esac
done
rmdir "$WORK" 2>/dev/null || true
