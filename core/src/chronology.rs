//! The chronology log: one entry per signed asset, sealed into Merkle batches whose
//! roots are anchored on chain. Embedded in SQLite (no server to start) under the
//! data directory; the log is the source of truth for anchoring, and every state
//! change is one transaction, so a crash at any point loses no entry and the next run
//! carries on where the last one stopped.
//!
//! Batch life: `sealed` (root fixed, nothing sent) → `submitted` (a signed transaction
//! is recorded *before* it is broadcast) → `mined` (in a block, not yet final) →
//! `anchored` (its block is finalized). A reorg that drops a mined batch sends it back
//! to `sealed`; the anchoring loop checks the registry before every submission, so a
//! root is never anchored twice.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use crate::merkle::{Hash, MerkleTree};
use crate::proof::{LeafData, ProofBundle};

/// The registry stores a batch size in 24 bits.
pub const MAX_BATCH_LEAVES: u64 = (1 << 24) - 1;

/// File name of the log inside the data directory.
pub const LOG_FILE: &str = "chronology.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("chronology log {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("chronology log: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("chronology log is corrupt: {0}")]
    Corrupt(String),
    #[error("another `provenant anchor` is running on this log (lock {0})")]
    Busy(PathBuf),
    #[error("cannot log {0}")]
    Entry(String),
    #[error("no data directory: set PROVENANT_HOME (or HOME)")]
    NoHome,
    #[error("cannot create the data directory {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Anchoring steps a test can stop the process at (see [`crash_point`]).
pub const CRASH_POINTS: [&str; 6] = [
    "sealing",
    "sealed",
    "recorded",
    "sent",
    "mined",
    "finalized",
];

/// Test instrumentation: when `PROVENANT_TEST_CRASH_AT` names this point, the process
/// SIGKILLs itself here, so crash tests can stop it at an exact step. Unset in normal use.
pub fn crash_point(name: &str) {
    if std::env::var("PROVENANT_TEST_CRASH_AT").is_ok_and(|v| v == name) {
        let pid = std::process::id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid])
            .status();
        // kill -9 does not return to us; if it failed, do not carry on past the point.
        std::process::abort();
    }
}

/// Where provenant keeps its data: `$PROVENANT_HOME`, else `$XDG_DATA_HOME/provenant`,
/// else `~/.local/share/provenant`.
pub fn data_dir() -> Result<PathBuf, LogError> {
    if let Some(home) = std::env::var_os("PROVENANT_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(xdg).join("provenant"));
    }
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(|h| PathBuf::from(h).join(".local/share/provenant"))
        .ok_or(LogError::NoHome)
}

/// A signed asset to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub content_sha256: Hash,
    pub manifest_id: Hash,
    pub manifest_label: String,
    pub phash: u64,
    /// Common name of the signer, for people reading the log.
    pub signer: Option<String>,
    /// Where the signed file was written (lets `lookup --diff` show the original).
    pub path: Option<String>,
    /// Where it was published, if known.
    pub published_at: Option<String>,
}

impl NewEntry {
    /// The entry for a signed file just written: its SHA-256, its active manifest's id
    /// and label, the signer's name and the picture's perceptual hash.
    pub fn for_signed_file(
        bytes: &[u8],
        path: Option<String>,
        published_at: Option<String>,
    ) -> Result<Self, LogError> {
        let report = crate::verify::verify_bytes(bytes, &crate::verify::VerifyOptions::default())
            .map_err(|e| LogError::Entry(e.to_string()))?;
        let step = report
            .chain
            .first()
            .ok_or_else(|| LogError::Entry("a file without content credentials".into()))?;
        let manifest_id = step
            .manifest_id_bytes()
            .ok_or_else(|| LogError::Entry("a manifest without a signing certificate".into()))?;
        let content_sha256 = hex::decode(&report.sha256)
            .ok()
            .and_then(|v| <Hash>::try_from(v).ok())
            .ok_or_else(|| LogError::Entry("a file whose hash could not be taken".into()))?;
        let phash = crate::perceptual::hash_bytes(bytes)
            .map_err(|e| LogError::Entry(format!("a picture that cannot be decoded ({e})")))?;
        Ok(Self {
            content_sha256,
            manifest_id,
            manifest_label: step.manifest.clone(),
            phash: phash.0,
            signer: step.signer.common_name.clone(),
            path,
            published_at,
        })
    }
}

/// One logged asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub leaf: LeafData,
    pub manifest_label: String,
    pub signer: Option<String>,
    pub path: Option<String>,
    pub published_at: Option<String>,
    pub batch_id: Option<i64>,
    pub leaf_index: Option<u64>,
}

/// Where a batch is on its way to the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BatchState {
    Sealed,
    Submitted,
    Mined,
    Anchored,
}

impl BatchState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sealed => "sealed",
            Self::Submitted => "submitted",
            Self::Mined => "mined",
            Self::Anchored => "anchored",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "sealed" => Self::Sealed,
            "submitted" => Self::Submitted,
            "mined" => Self::Mined,
            "anchored" => Self::Anchored,
            _ => return None,
        })
    }
}

/// A sealed batch and what is known of its anchoring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub id: i64,
    pub root: Hash,
    pub leaf_count: u64,
    pub sealed_at: u64,
    pub state: BatchState,
    /// The chain and registry the batch is bound to once first submitted.
    pub chain_id: Option<u64>,
    pub registry: Option<[u8; 20]>,
    /// The publisher the anchoring key belongs to (known once mined).
    pub publisher: Option<[u8; 20]>,
    pub tx_hash: Option<Hash>,
    /// The signed transaction, kept so a crash between recording and sending can
    /// re-send exactly the same transaction.
    pub raw_tx: Option<Vec<u8>>,
    pub nonce: Option<u64>,
    pub block_number: Option<u64>,
    pub block_hash: Option<Hash>,
    pub block_time: Option<u64>,
    /// How many times the batch was (re)submitted.
    pub submissions: u64,
}

impl Batch {
    /// Whether the batch is in a block with everything a proof needs.
    fn in_block(&self) -> bool {
        self.chain_id.is_some()
            && self.registry.is_some()
            && self.publisher.is_some()
            && self.tx_hash.is_some()
            && self.block_number.is_some()
    }

    /// The proof bundle of one leaf of this batch (`None` while it is not in a block).
    fn bundle(&self, leaf: LeafData, index: u64, siblings: Vec<Hash>) -> Option<ProofBundle> {
        Some(ProofBundle {
            chain_id: self.chain_id?,
            registry: self.registry?,
            publisher: self.publisher?,
            root: self.root,
            leaf,
            index,
            leaf_count: self.leaf_count,
            siblings,
            tx_hash: self.tx_hash?,
            block_number: self.block_number?,
        })
    }
}

/// The batch's tree, rebuilt from its entries and checked against the stored root.
fn verified_tree(batch: &Batch, leaves: Vec<Hash>) -> Result<MerkleTree, LogError> {
    let tree = MerkleTree::from_leaf_hashes(leaves)
        .ok_or_else(|| LogError::Corrupt(format!("batch {} has no entries", batch.id)))?;
    if tree.root() != batch.root || tree.leaf_count() != batch.leaf_count {
        return Err(LogError::Corrupt(format!(
            "batch {}: its entries no longer hash to its root",
            batch.id
        )));
    }
    Ok(tree)
}

/// Where a batch's root landed on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inclusion {
    pub chain_id: u64,
    pub registry: [u8; 20],
    pub publisher: [u8; 20],
    pub tx_hash: Hash,
    pub block_number: u64,
    pub block_hash: Hash,
    pub block_time: u64,
}

/// Counts for `anchor status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LogStatus {
    pub entries: u64,
    pub pending_entries: u64,
    pub sealed_batches: u64,
    pub submitted_batches: u64,
    pub mined_batches: u64,
    pub anchored_batches: u64,
    pub anchored_entries: u64,
}

/// The chronology log.
#[derive(Debug)]
pub struct Log {
    conn: Connection,
    path: PathBuf,
}

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

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn hash_col(row: &Row<'_>, i: usize) -> rusqlite::Result<Hash> {
    let v: Vec<u8> = row.get(i)?;
    v.try_into().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Blob,
            "expected 32 bytes".into(),
        )
    })
}

fn opt_array<const N: usize>(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<[u8; N]>> {
    let v: Option<Vec<u8>> = row.get(i)?;
    v.map(|v| {
        v.try_into().map_err(|_| {
            rusqlite::Error::FromSqlConversionFailure(
                i,
                rusqlite::types::Type::Blob,
                "wrong length".into(),
            )
        })
    })
    .transpose()
}

fn opt_u64(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<u64>> {
    Ok(row.get::<_, Option<i64>>(i)?.map(|v| v as u64))
}

const ENTRY_COLUMNS: &str = "id, content_sha256, manifest_id, phash, logged_at, manifest_label, \
                             signer, path, published_at, batch_id, leaf_index";

/// The leaf data in four columns from `first` on: content_sha256, manifest_id, phash,
/// logged_at.
fn leaf_from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<LeafData> {
    Ok(LeafData {
        content_sha256: hash_col(row, first)?,
        manifest_id: hash_col(row, first + 1)?,
        phash: row.get::<_, i64>(first + 2)? as u64,
        logged_at: row.get::<_, i64>(first + 3)? as u64,
    })
}

fn entry_from_row(row: &Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: row.get(0)?,
        leaf: leaf_from_row(row, 1)?,
        manifest_label: row.get(5)?,
        signer: row.get(6)?,
        path: row.get(7)?,
        published_at: row.get(8)?,
        batch_id: row.get(9)?,
        leaf_index: opt_u64(row, 10)?,
    })
}

const BATCH_COLUMNS: &str = "id, root, leaf_count, sealed_at, state, chain_id, registry, tx_hash, \
                             raw_tx, nonce, block_number, block_hash, block_time, submissions, \
                             publisher";

fn batch_from_row(row: &Row<'_>) -> rusqlite::Result<Batch> {
    let state: String = row.get(4)?;
    Ok(Batch {
        id: row.get(0)?,
        root: hash_col(row, 1)?,
        leaf_count: row.get::<_, i64>(2)? as u64,
        sealed_at: row.get::<_, i64>(3)? as u64,
        state: BatchState::parse(&state).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                4,
                rusqlite::types::Type::Text,
                format!("unknown batch state {state}").into(),
            )
        })?,
        chain_id: opt_u64(row, 5)?,
        registry: opt_array(row, 6)?,
        tx_hash: opt_array(row, 7)?,
        raw_tx: row.get(8)?,
        nonce: opt_u64(row, 9)?,
        block_number: opt_u64(row, 10)?,
        block_hash: opt_array(row, 11)?,
        block_time: opt_u64(row, 12)?,
        submissions: row.get::<_, i64>(13)? as u64,
        publisher: opt_array(row, 14)?,
    })
}

impl Log {
    /// Opens (creating if needed) the log in the data directory.
    pub fn open_default() -> Result<Self, LogError> {
        let dir = data_dir()?;
        std::fs::create_dir_all(&dir).map_err(|source| LogError::Dir {
            path: dir.clone(),
            source,
        })?;
        Self::open(&dir.join(LOG_FILE))
    }

    /// Opens (creating if needed) the log at `path`.
    pub fn open(path: &Path) -> Result<Self, LogError> {
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

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the log's anchoring lock (a lock file beside it), so two `anchor` runs
    /// never submit the same batch at once. Held until the returned file is dropped.
    pub fn anchoring_lock(&self) -> Result<std::fs::File, LogError> {
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
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => Err(LogError::Busy(path)),
            Err(std::fs::TryLockError::Error(source)) => Err(LogError::Dir { path, source }),
        }
    }

    /// Records a signed asset. Logging the same manifest twice returns the first entry.
    pub fn add(&mut self, e: &NewEntry) -> Result<Entry, LogError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO entries (content_sha256, manifest_id, manifest_label, phash, signer, \
             path, published_at, logged_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             ON CONFLICT(manifest_id) DO NOTHING",
            params![
                e.content_sha256.as_slice(),
                e.manifest_id.as_slice(),
                e.manifest_label,
                e.phash as i64,
                e.signer,
                e.path,
                e.published_at,
                now() as i64
            ],
        )?;
        let entry = tx.query_row(
            &format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE manifest_id = ?1"),
            [e.manifest_id.as_slice()],
            entry_from_row,
        )?;
        tx.commit()?;
        Ok(entry)
    }

    /// Records many assets in one transaction (imports, benchmarks); duplicates of a
    /// manifest already logged are skipped. Returns how many were added.
    pub fn add_many(&mut self, entries: &[NewEntry]) -> Result<usize, LogError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut added = 0;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO entries (content_sha256, manifest_id, manifest_label, phash, signer, \
                 path, published_at, logged_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT(manifest_id) DO NOTHING",
            )?;
            let at = now() as i64;
            for e in entries {
                added += stmt.execute(params![
                    e.content_sha256.as_slice(),
                    e.manifest_id.as_slice(),
                    e.manifest_label,
                    e.phash as i64,
                    e.signer,
                    e.path,
                    e.published_at,
                    at
                ])?;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    pub fn entry(&self, id: i64) -> Result<Option<Entry>, LogError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE id = ?1"),
                [id],
                entry_from_row,
            )
            .optional()?)
    }

    pub fn by_manifest_id(&self, id: &Hash) -> Result<Option<Entry>, LogError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE manifest_id = ?1"),
                [id.as_slice()],
                entry_from_row,
            )
            .optional()?)
    }

    pub fn by_content(&self, sha256: &Hash) -> Result<Vec<Entry>, LogError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE content_sha256 = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([sha256.as_slice()], entry_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Entries whose perceptual hash is within `max_distance` bits of `phash`,
    /// nearest first (a linear scan: a popcount per entry).
    pub fn similar(&self, phash: u64, max_distance: u32) -> Result<Vec<(Entry, u32)>, LogError> {
        let mut ids = Vec::new();
        {
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
        }
        ids.sort_by_key(|&(id, d)| (d, id));
        let mut out = Vec::with_capacity(ids.len());
        for (id, d) in ids {
            if let Some(e) = self.entry(id)? {
                out.push((e, d));
            }
        }
        Ok(out)
    }

    /// Seals every pending entry into batches of at most `max_leaves` (capped at
    /// [`MAX_BATCH_LEAVES`]), each in its own transaction. Returns the new batches.
    pub fn seal(&mut self, max_leaves: u64) -> Result<Vec<Batch>, LogError> {
        let max_leaves = max_leaves.clamp(1, MAX_BATCH_LEAVES);
        let mut sealed = Vec::new();
        while let Some(b) = self.seal_one(max_leaves)? {
            sealed.push(b);
        }
        Ok(sealed)
    }

    fn seal_one(&mut self, max_leaves: u64) -> Result<Option<Batch>, LogError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let leaves = {
            let mut stmt = tx.prepare(
                "SELECT content_sha256, manifest_id, phash, logged_at FROM entries \
                 WHERE batch_id IS NULL ORDER BY id LIMIT ?1",
            )?;
            let rows = stmt.query_map([max_leaves as i64], |row| {
                Ok(leaf_from_row(row, 0)?.leaf_hash())
            })?;
            rows.collect::<Result<Vec<Hash>, _>>()?
        };
        let count = leaves.len() as u64;
        let Some(tree) = MerkleTree::from_leaf_hashes(leaves) else {
            return Ok(None);
        };
        let root = tree.root();
        drop(tree);
        tx.execute(
            "INSERT INTO batches (root, leaf_count, sealed_at, state) VALUES (?1, ?2, ?3, 'sealed')",
            params![root.as_slice(), count as i64, now() as i64],
        )?;
        let batch_id = tx.last_insert_rowid();
        let updated = tx.execute(
            "WITH r AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS idx FROM entries \
                        WHERE batch_id IS NULL ORDER BY id LIMIT ?2) \
             UPDATE entries SET batch_id = ?1, leaf_index = r.idx FROM r WHERE entries.id = r.id",
            params![batch_id, max_leaves as i64],
        )?;
        if updated as u64 != count {
            return Err(LogError::Corrupt(format!(
                "sealing batch {batch_id}: {count} leaves but {updated} entries updated"
            )));
        }
        let batch = tx.query_row(
            &format!("SELECT {BATCH_COLUMNS} FROM batches WHERE id = ?1"),
            [batch_id],
            batch_from_row,
        )?;
        crash_point("sealing");
        tx.commit()?;
        crash_point("sealed");
        Ok(Some(batch))
    }

    pub fn batch(&self, id: i64) -> Result<Option<Batch>, LogError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {BATCH_COLUMNS} FROM batches WHERE id = ?1"),
                [id],
                batch_from_row,
            )
            .optional()?)
    }

    /// Batches not yet anchored, oldest first.
    pub fn unfinished_batches(&self) -> Result<Vec<Batch>, LogError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {BATCH_COLUMNS} FROM batches WHERE state != 'anchored' ORDER BY id"
        ))?;
        let rows = stmt.query_map([], batch_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn batches(&self) -> Result<Vec<Batch>, LogError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {BATCH_COLUMNS} FROM batches ORDER BY id"))?;
        let rows = stmt.query_map([], batch_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn status(&self) -> Result<LogStatus, LogError> {
        let mut s = LogStatus::default();
        self.conn.query_row(
            "SELECT count(*), count(*) FILTER (WHERE batch_id IS NULL) FROM entries",
            [],
            |r| {
                s.entries = r.get::<_, i64>(0)? as u64;
                s.pending_entries = r.get::<_, i64>(1)? as u64;
                Ok(())
            },
        )?;
        let mut stmt = self
            .conn
            .prepare("SELECT state, count(*), sum(leaf_count) FROM batches GROUP BY state")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let n = row.get::<_, i64>(1)? as u64;
            match BatchState::parse(&row.get::<_, String>(0)?) {
                Some(BatchState::Sealed) => s.sealed_batches = n,
                Some(BatchState::Submitted) => s.submitted_batches = n,
                Some(BatchState::Mined) => s.mined_batches = n,
                Some(BatchState::Anchored) => {
                    s.anchored_batches = n;
                    s.anchored_entries = row.get::<_, i64>(2)? as u64;
                }
                None => {}
            }
        }
        Ok(s)
    }

    /// The leaf hashes of a batch, in order.
    fn batch_leaves(&self, batch_id: i64) -> Result<Vec<Hash>, LogError> {
        let mut stmt = self.conn.prepare(
            "SELECT content_sha256, manifest_id, phash, logged_at FROM entries \
             WHERE batch_id = ?1 ORDER BY leaf_index",
        )?;
        let rows = stmt.query_map([batch_id], |row| Ok(leaf_from_row(row, 0)?.leaf_hash()))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The proof bundle of an entry whose batch was sent to a chain (`None` while the
    /// entry is pending or its batch only sealed). The path is recomputed from the
    /// batch and checked against the stored root.
    pub fn bundle(&self, entry: &Entry) -> Result<Option<ProofBundle>, LogError> {
        let (Some(batch_id), Some(index)) = (entry.batch_id, entry.leaf_index) else {
            return Ok(None);
        };
        let Some(batch) = self.batch(batch_id)? else {
            return Err(LogError::Corrupt(format!(
                "entry {} names batch {batch_id}",
                entry.id
            )));
        };
        if !batch.in_block() {
            return Ok(None);
        }
        let tree = verified_tree(&batch, self.batch_leaves(batch_id)?)?;
        let proof = tree
            .proof(index)
            .ok_or_else(|| LogError::Corrupt(format!("entry {} index {index}", entry.id)))?;
        Ok(batch.bundle(entry.leaf, index, proof.siblings))
    }

    /// Every entry of an on-chain batch with its proof bundle (one tree build for the
    /// whole batch). Empty while the batch is not on a chain.
    pub fn batch_bundles(&self, batch_id: i64) -> Result<Vec<(Entry, ProofBundle)>, LogError> {
        let Some(batch) = self.batch(batch_id)?.filter(|b| b.in_block()) else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE batch_id = ?1 ORDER BY leaf_index"
        ))?;
        let entries = stmt
            .query_map([batch_id], entry_from_row)?
            .collect::<Result<Vec<Entry>, _>>()?;
        let tree = verified_tree(&batch, entries.iter().map(|e| e.leaf.leaf_hash()).collect())?;
        let mut out = Vec::with_capacity(entries.len());
        for (i, e) in entries.into_iter().enumerate() {
            let proof = tree
                .proof(i as u64)
                .ok_or_else(|| LogError::Corrupt(format!("batch {batch_id} index {i}")))?;
            if let Some(bundle) = batch.bundle(e.leaf, i as u64, proof.siblings) {
                out.push((e, bundle));
            }
        }
        Ok(out)
    }

    /// Binds a batch to a chain and records the signed transaction *before* it is sent.
    pub fn record_submission(
        &mut self,
        batch_id: i64,
        chain_id: u64,
        registry: [u8; 20],
        tx_hash: Hash,
        raw_tx: &[u8],
        nonce: u64,
    ) -> Result<(), LogError> {
        self.conn.execute(
            "UPDATE batches SET state = 'submitted', chain_id = ?2, registry = ?3, tx_hash = ?4, \
             raw_tx = ?5, nonce = ?6, block_number = NULL, block_hash = NULL, block_time = NULL, \
             submissions = submissions + 1 WHERE id = ?1 AND state IN ('sealed', 'submitted')",
            params![
                batch_id,
                chain_id as i64,
                registry.as_slice(),
                tx_hash.as_slice(),
                raw_tx,
                nonce as i64
            ],
        )?;
        Ok(())
    }

    /// The batch's transaction (or, when `tx_hash` differs, the one that anchored its
    /// root first) is in a block.
    pub fn record_mined(&mut self, batch_id: i64, at: &Inclusion) -> Result<(), LogError> {
        let Inclusion {
            chain_id,
            registry,
            publisher,
            tx_hash,
            block_number,
            block_hash,
            block_time,
        } = *at;
        self.conn.execute(
            "UPDATE batches SET state = 'mined', chain_id = ?2, registry = ?3, tx_hash = ?4, \
             block_number = ?5, block_hash = ?6, block_time = ?7, publisher = ?8 WHERE id = ?1",
            params![
                batch_id,
                chain_id as i64,
                registry.as_slice(),
                tx_hash.as_slice(),
                block_number as i64,
                block_hash.as_slice(),
                block_time as i64,
                publisher.as_slice()
            ],
        )?;
        Ok(())
    }

    /// The batch's block is finalized.
    pub fn record_anchored(&mut self, batch_id: i64) -> Result<(), LogError> {
        self.conn.execute(
            "UPDATE batches SET state = 'anchored' WHERE id = ?1 AND state = 'mined'",
            [batch_id],
        )?;
        Ok(())
    }

    /// The batch's transaction is gone (a reorg dropped its block, or it never made it
    /// into the pool): back to `sealed`, still bound to its chain.
    pub fn record_dropped(&mut self, batch_id: i64) -> Result<(), LogError> {
        self.conn.execute(
            "UPDATE batches SET state = 'sealed', tx_hash = NULL, raw_tx = NULL, nonce = NULL, \
             block_number = NULL, block_hash = NULL, block_time = NULL \
             WHERE id = ?1 AND state != 'anchored'",
            [batch_id],
        )?;
        Ok(())
    }

    /// The registry this log uses on `chain_id`, if one was deployed or configured.
    pub fn registry_for(&self, chain_id: u64) -> Result<Option<[u8; 20]>, LogError> {
        Ok(self
            .conn
            .query_row(
                "SELECT registry FROM deployments WHERE chain_id = ?1",
                [chain_id as i64],
                |r| opt_array::<20>(r, 0),
            )
            .optional()?
            .flatten())
    }

    pub fn set_registry(
        &mut self,
        chain_id: u64,
        registry: [u8; 20],
        deployed_block: Option<u64>,
    ) -> Result<(), LogError> {
        self.conn.execute(
            "INSERT INTO deployments (chain_id, registry, deployed_block) VALUES (?1, ?2, ?3) \
             ON CONFLICT(chain_id) DO UPDATE SET registry = ?2, deployed_block = ?3",
            params![
                chain_id as i64,
                registry.as_slice(),
                deployed_block.map(|b| b as i64)
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: u64) -> NewEntry {
        NewEntry {
            content_sha256: crate::merkle::leaf_hash(&i.to_be_bytes()),
            manifest_id: crate::merkle::leaf_hash(&(i + 1_000_000).to_be_bytes()),
            manifest_label: format!("urn:c2pa:{i}"),
            phash: i.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            signer: Some("Desk".into()),
            path: None,
            published_at: None,
        }
    }

    fn temp_log() -> (tempfile::TempDir, Log) {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::open(&dir.path().join(LOG_FILE)).unwrap();
        (dir, log)
    }

    #[test]
    fn add_is_idempotent_per_manifest() {
        let (_d, mut log) = temp_log();
        let a = log.add(&entry(1)).unwrap();
        let b = log.add(&entry(1)).unwrap();
        assert_eq!(a, b);
        assert_eq!(log.status().unwrap().entries, 1);
    }

    #[test]
    fn sealing_batches_and_proofs() {
        let (_d, mut log) = temp_log();
        for i in 0..10 {
            log.add(&entry(i)).unwrap();
        }
        let batches = log.seal(4).unwrap();
        assert_eq!(
            batches.iter().map(|b| b.leaf_count).collect::<Vec<_>>(),
            [4, 4, 2]
        );
        assert!(log.seal(4).unwrap().is_empty(), "nothing left to seal");
        let st = log.status().unwrap();
        assert_eq!((st.pending_entries, st.sealed_batches), (0, 3));

        // No proof before the batch is on a chain.
        let e = log.entry(6).unwrap().unwrap();
        assert_eq!(log.bundle(&e).unwrap(), None);
        let b = &batches[1];
        log.record_submission(b.id, 31337, [7; 20], [8; 32], b"raw", 0)
            .unwrap();
        let at = Inclusion {
            chain_id: 31337,
            registry: [7; 20],
            publisher: [6; 20],
            tx_hash: [8; 32],
            block_number: 12,
            block_hash: [9; 32],
            block_time: 1_700_000_000,
        };
        log.record_mined(b.id, &at).unwrap();
        let bundle = log.bundle(&e).unwrap().unwrap();
        assert_eq!((bundle.index, bundle.leaf_count), (1, 4));
        assert_eq!(bundle.root, b.root);
        assert!(bundle.path_is_valid());

        log.record_dropped(b.id).unwrap();
        assert_eq!(log.batch(b.id).unwrap().unwrap().state, BatchState::Sealed);
        assert_eq!(log.bundle(&e).unwrap(), None);
    }

    #[test]
    fn finds_by_content_and_perceptual_hash() {
        let (_d, mut log) = temp_log();
        for i in 0..5 {
            log.add(&entry(i)).unwrap();
        }
        let target = entry(3);
        assert_eq!(log.by_content(&target.content_sha256).unwrap().len(), 1);
        let near = log.similar(target.phash ^ 0b101, 4).unwrap();
        assert_eq!(near.len(), 1);
        assert_eq!(
            (near[0].0.manifest_label.as_str(), near[0].1),
            ("urn:c2pa:3", 2)
        );
    }

    #[test]
    fn reopening_keeps_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOG_FILE);
        {
            let mut log = Log::open(&path).unwrap();
            log.add(&entry(1)).unwrap();
            log.seal(100).unwrap();
            log.set_registry(80002, [3; 20], Some(5)).unwrap();
        }
        let log = Log::open(&path).unwrap();
        assert_eq!(log.status().unwrap().sealed_batches, 1);
        assert_eq!(log.registry_for(80002).unwrap(), Some([3; 20]));
        assert_eq!(log.registry_for(137).unwrap(), None);
    }
}
