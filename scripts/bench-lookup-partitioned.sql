-- Turns the lookup benchmark's PostgreSQL store (scripts/bench-lookup.sh) into the same
-- schema with `entry_codes` declaratively partitioned by time: RANGE over entry_id (ids
-- grow in logging order), 2,000,000 entries a partition. The rows are copied set-wise
-- (a bulk path, not the log's insert path); the log's queries are unchanged.
-- psql variables: parts (number of partitions), maxid (copy the codes of entries 1..maxid).
-- Undone by scripts/bench-lookup-unpartition.sql.
BEGIN;
ALTER TABLE entry_codes RENAME TO entry_codes_flat;
ALTER INDEX entry_codes_c0 RENAME TO entry_codes_flat_c0;
ALTER INDEX entry_codes_c1 RENAME TO entry_codes_flat_c1;
ALTER INDEX entry_codes_c2 RENAME TO entry_codes_flat_c2;
CREATE TABLE entry_codes (
    entry_id BIGINT NOT NULL REFERENCES entries(id),
    kind     INTEGER NOT NULL REFERENCES code_kinds(id),
    code     BIGINT NOT NULL,
    c0 INTEGER NOT NULL,
    c1 INTEGER NOT NULL,
    c2 INTEGER NOT NULL
) PARTITION BY RANGE (entry_id);
SELECT format('CREATE TABLE entry_codes_p%s PARTITION OF entry_codes FOR VALUES FROM (%s) TO (%s)',
              p, p * 2000000, (p + 1) * 2000000)
FROM generate_series(0, :parts - 1) AS p \gexec
CREATE TABLE entry_codes_rest PARTITION OF entry_codes DEFAULT;
INSERT INTO entry_codes SELECT * FROM entry_codes_flat WHERE entry_id <= :maxid;
CREATE INDEX entry_codes_c0 ON entry_codes(kind, c0, code, entry_id);
CREATE INDEX entry_codes_c1 ON entry_codes(kind, c1, code, entry_id);
CREATE INDEX entry_codes_c2 ON entry_codes(kind, c2, code, entry_id);
COMMIT;
VACUUM ANALYZE entry_codes;
