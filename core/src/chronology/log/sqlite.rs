//! The SQLite store: one file, WAL, every transaction durable (`synchronous = FULL`).

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, ToSql};

use super::{AnchoringLock, LockHolder, LogError, Param, Row, Store, Val};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS entries (
    id             INTEGER PRIMARY KEY,
    content_sha256 BLOB NOT NULL CHECK (length(content_sha256) = 32),
    manifest_id    BLOB NOT NULL UNIQUE CHECK (length(manifest_id) = 32),
    manifest_label TEXT NOT NULL,
    phash          INTEGER NOT NULL,
    signer         TEXT,
    path           TEXT,
    published_at   TEXT,
    logged_at      INTEGER NOT NULL,
    batch_id       INTEGER REFERENCES batches(id),
    leaf_index     INTEGER,
    CHECK ((batch_id IS NULL) = (leaf_index IS NULL))
);
CREATE INDEX IF NOT EXISTS entries_content ON entries(content_sha256);
CREATE INDEX IF NOT EXISTS entries_batch ON entries(batch_id, leaf_index);
-- Covering index: a perceptual lookup scans (phash, id) pairs, not whole rows.
CREATE INDEX IF NOT EXISTS entries_phash ON entries(phash, id);
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
PRAGMA user_version = 1;
";

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
        let conn = Connection::open(path).map_err(open_err)?;
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
        if version > 1 {
            return Err(LogError::Corrupt(format!(
                "{} was written by a newer provenant (schema {version})",
                path.display()
            )));
        }
        conn.execute_batch(SCHEMA).map_err(open_err)?;
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
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

    fn near(&self, phash: u64, max_distance: u32) -> Result<Vec<(i64, u32)>, LogError> {
        let mut ids = Vec::new();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, phash FROM entries INDEXED BY entries_phash")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let d = (row.get::<_, i64>(1)? as u64 ^ phash).count_ones();
            if d <= max_distance {
                ids.push((row.get::<_, i64>(0)?, d));
            }
        }
        Ok(ids)
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
