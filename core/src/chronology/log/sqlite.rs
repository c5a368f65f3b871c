//! The SQLite store: one file, WAL, every transaction durable (`synchronous = FULL`).

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, ToSql};

use super::codes::{probes, verified, CHUNKS};
use super::{
    codes_from_entries_sql, codes_schema, manifests_schema, AnchoringLock, LockHolder, LogError,
    Param, Row, Store, Val, DCT_ALG,
};

/// The schema version this code writes (`PRAGMA user_version`). 1: the first log;
/// 2: fingerprints name their algorithm, may be absent, and are searched through
/// `entry_codes`; 3: entries keep their manifest store (`manifest_stores`) and are
/// found by manifest label.
const VERSION: i64 = 3;

const ENTRIES: &str = "
CREATE TABLE IF NOT EXISTS entries (
    id             INTEGER PRIMARY KEY,
    content_sha256 BLOB NOT NULL CHECK (length(content_sha256) = 32),
    manifest_id    BLOB NOT NULL UNIQUE CHECK (length(manifest_id) = 32),
    manifest_label TEXT NOT NULL,
    phash          INTEGER,
    signer         TEXT,
    path           TEXT,
    published_at   TEXT,
    logged_at      INTEGER NOT NULL,
    batch_id       INTEGER REFERENCES batches(id),
    leaf_index     INTEGER,
    fp_alg         TEXT,
    CHECK ((batch_id IS NULL) = (leaf_index IS NULL)),
    CHECK ((phash IS NULL) = (fp_alg IS NULL))
);
";

const SCHEMA: &str = "
CREATE INDEX IF NOT EXISTS entries_content ON entries(content_sha256);
CREATE INDEX IF NOT EXISTS entries_batch ON entries(batch_id, leaf_index);
CREATE TABLE IF NOT EXISTS batches (
    id           INTEGER PRIMARY KEY,
    root         BLOB NOT NULL UNIQUE CHECK (length(root) = 32),
    leaf_count   INTEGER NOT NULL CHECK (leaf_count > 0),
    sealed_at    INTEGER NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('sealed', 'submitted', 'mined', 'anchored')),
    chain_id     INTEGER,
    registry     BLOB,
    publisher    BLOB,
    tx_hash      BLOB,
    raw_tx       BLOB,
    nonce        INTEGER,
    block_number INTEGER,
    block_hash   BLOB,
    block_time   INTEGER,
    submissions  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS deployments (
    chain_id INTEGER PRIMARY KEY,
    registry BLOB NOT NULL CHECK (length(registry) = 20),
    deployed_block INTEGER
);
";

/// Version 1 → 2: `entries` rebuilt with a nullable `phash` and its `fp_alg`
/// (every existing fingerprint is a [`DCT_ALG`] one), then the codes filled from it.
fn migrate_from_1() -> String {
    format!(
        "ALTER TABLE entries RENAME TO entries_v1;
         DROP INDEX IF EXISTS entries_phash;
         DROP INDEX IF EXISTS entries_content;
         DROP INDEX IF EXISTS entries_batch;
         {ENTRIES}
         INSERT INTO entries (id, content_sha256, manifest_id, manifest_label, phash, signer,
                              path, published_at, logged_at, batch_id, leaf_index, fp_alg)
             SELECT id, content_sha256, manifest_id, manifest_label, phash, signer,
                    path, published_at, logged_at, batch_id, leaf_index, '{DCT_ALG}'
             FROM entries_v1;
         DROP TABLE entries_v1;"
    )
}
#[derive(Debug)]
pub(super) struct SqliteStore {
    conn: Connection,
    path: std::path::PathBuf,
}

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Param::Int(v) => v.to_sql(),
            Param::Blob(v) => v.to_sql(),
            Param::Text(v) => v.to_sql(),
        }
    }
}

fn val(v: ValueRef<'_>) -> Val {
    match v {
        ValueRef::Null => Val::Null,
        ValueRef::Integer(i) => Val::Int(i),
        // No column of the log is a real; keep it visible rather than guess.
        ValueRef::Real(f) => Val::Text(f.to_string()),
        ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Val::Blob(b.to_vec()),
    }
}

impl SqliteStore {
    pub(super) fn open(path: &Path) -> Result<Self, LogError> {
        let open_err = |source| LogError::Open {
            path: path.to_owned(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(open_err)?;
        // WAL + FULL: a committed transaction survives a kill -9 or power loss.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_err)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(open_err)?;
        if version > VERSION {
            return Err(LogError::Corrupt(format!(
                "{} was written by a newer provenant (schema {version})",
                path.display()
            )));
        }
        if version < VERSION {
            Self::upgrade(&mut conn)?;
        }
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
    }

    /// Creates the schema, or migrates a version-1 or version-2 log, in one transaction.
    fn upgrade(conn: &mut Connection) -> Result<(), LogError> {
        // The rename below must not rewrite the batches' references; foreign keys are
        // checked again once the new table is in place.
        conn.pragma_update(None, "foreign_keys", false)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have upgraded it meanwhile.
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let has_entries: bool = tx.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'entries'",
            [],
            |r| r.get(0),
        )?;
        if now < VERSION {
            // A log with entries but no version 2 is a version-1 log.
            let from_1 = has_entries && now < 2;
            if from_1 {
                tx.execute_batch(&migrate_from_1())?;
            } else if !has_entries {
                tx.execute_batch(ENTRIES)?;
            }
            tx.execute_batch(SCHEMA)?;
            tx.execute_batch(&codes_schema("INTEGER PRIMARY KEY"))?;
            if from_1 {
                tx.execute_batch(&codes_from_entries_sql())?;
            }
            // Version 2 → 3: new tables and an index only.
            tx.execute_batch(&manifests_schema("BLOB"))?;
            let broken: i64 =
                tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })?;
            if broken > 0 {
                return Err(LogError::Corrupt(format!(
                    "{broken} broken references after the migration"
                )));
            }
            tx.pragma_update(None, "user_version", VERSION)?;
        }
        tx.commit()?;
        conn.pragma_update(None, "foreign_keys", true)?;
        Ok(())
    }
}

impl Store for SqliteStore {
    fn execute(&self, sql: &str, params: &[Param<'_>]) -> Result<u64, LogError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        Ok(stmt.execute(rusqlite::params_from_iter(params))? as u64)
    }

    fn query(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, LogError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let n = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut vals = Vec::with_capacity(n);
            for i in 0..n {
                vals.push(val(row.get_ref(i)?));
            }
            out.push(Row(vals));
        }
        Ok(out)
    }

    fn begin(&self, _exclusive: bool) -> Result<(), LogError> {
        // IMMEDIATE takes the write lock at once: one writer at a time, always.
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    fn commit(&self) -> Result<(), LogError> {
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    fn rollback(&self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    fn near(&self, alg: &str, code: u64, max_distance: u32) -> Result<Vec<(i64, u32)>, LogError> {
        let Some(probes) = probes(code, max_distance) else {
            return self.near_scan(alg, code, max_distance);
        };
        let kind: Option<i64> = self
            .conn
            .prepare_cached("SELECT id FROM code_kinds WHERE name = ?1")?
            .query_row([alg], |r| r.get(0))
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        let Some(kind) = kind else {
            return Ok(Vec::new());
        };
        let mut candidates = Vec::new();
        for (i, values) in probes.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
            // The values are integers this code computed, written inline: one statement
            // per chunk, which SQLite runs as one index seek per value.
            let list: Vec<String> = values.iter().map(i64::to_string).collect();
            let sql = format!(
                "SELECT entry_id, code FROM entry_codes INDEXED BY entry_codes_c{i} \
                 WHERE kind = ?1 AND c{i} IN ({})",
                list.join(",")
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let mut rows = stmt.query([kind])?;
            while let Some(row) = rows.next()? {
                candidates.push((row.get::<_, i64>(0)?, row.get::<_, i64>(1)? as u64));
            }
        }
        debug_assert!(probes.len() == CHUNKS.len());
        Ok(verified(candidates, code, max_distance))
    }

    fn anchoring_lock(&self, _shown: &Path) -> Result<AnchoringLock, LogError> {
        let path = self.path.with_extension("anchor-lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| LogError::Dir {
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(AnchoringLock {
                _held: LockHolder::File(file),
            }),
            Err(std::fs::TryLockError::WouldBlock) => Err(LogError::Busy(path)),
            Err(std::fs::TryLockError::Error(source)) => Err(LogError::Dir { path, source }),
        }
    }
}
