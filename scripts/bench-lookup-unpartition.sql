-- Undoes scripts/bench-lookup-partitioned.sql: the flat entry_codes table comes back.
BEGIN;
DROP TABLE entry_codes;
ALTER TABLE entry_codes_flat RENAME TO entry_codes;
ALTER INDEX entry_codes_flat_c0 RENAME TO entry_codes_c0;
ALTER INDEX entry_codes_flat_c1 RENAME TO entry_codes_c1;
ALTER INDEX entry_codes_flat_c2 RENAME TO entry_codes_c2;
COMMIT;
