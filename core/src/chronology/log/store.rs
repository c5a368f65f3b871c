//! What the SQLite and PostgreSQL stores share: SQL parameters and rows, the internal
//! `Store` trait they implement, and the entry and batch columns.

use super::*;

/// A parameter of a store's SQL. The SQL is written once with `?N` placeholders
/// (PostgreSQL stores turn them into `$N`).
#[derive(Debug, Clone, Copy)]
pub(super) enum Param<'a> {
    Int(Option<i64>),
    Blob(Option<&'a [u8]>),
    Text(Option<&'a str>),
}

/// A value read back from a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Val {
    Null,
    Int(i64),
    Blob(Vec<u8>),
    Text(String),
}

/// One row read back from a store, with typed accessors.
#[derive(Debug)]
pub(super) struct Row(pub(super) Vec<Val>);

impl Row {
    pub(super) fn get(&self, i: usize) -> Result<&Val, LogError> {
        self.0
            .get(i)
            .ok_or_else(|| LogError::Corrupt(format!("a row without column {i}")))
    }
    pub(super) fn opt_int(&self, i: usize) -> Result<Option<i64>, LogError> {
        match self.get(i)? {
            Val::Null => Ok(None),
            Val::Int(v) => Ok(Some(*v)),
            other => Err(LogError::Corrupt(format!(
                "column {i}: expected an integer, found {other:?}"
            ))),
        }
    }
    pub(super) fn int(&self, i: usize) -> Result<i64, LogError> {
        self.opt_int(i)?
            .ok_or_else(|| LogError::Corrupt(format!("column {i} is null")))
    }
    pub(super) fn opt_u64(&self, i: usize) -> Result<Option<u64>, LogError> {
        Ok(self.opt_int(i)?.map(|v| v as u64))
    }
    pub(super) fn u64(&self, i: usize) -> Result<u64, LogError> {
        Ok(self.int(i)? as u64)
    }
    pub(super) fn opt_blob(&self, i: usize) -> Result<Option<Vec<u8>>, LogError> {
        match self.get(i)? {
            Val::Null => Ok(None),
            Val::Blob(v) => Ok(Some(v.clone())),
            other => Err(LogError::Corrupt(format!(
                "column {i}: expected bytes, found {other:?}"
            ))),
        }
    }
    pub(super) fn opt_array<const N: usize>(&self, i: usize) -> Result<Option<[u8; N]>, LogError> {
        self.opt_blob(i)?
            .map(|v| {
                <[u8; N]>::try_from(v).map_err(|v| {
                    LogError::Corrupt(format!("column {i}: {} bytes, expected {N}", v.len()))
                })
            })
            .transpose()
    }
    pub(super) fn hash(&self, i: usize) -> Result<Hash, LogError> {
        self.opt_array::<32>(i)?
            .ok_or_else(|| LogError::Corrupt(format!("column {i} is null")))
    }
    pub(super) fn opt_text(&self, i: usize) -> Result<Option<String>, LogError> {
        match self.get(i)? {
            Val::Null => Ok(None),
            Val::Text(v) => Ok(Some(v.clone())),
            other => Err(LogError::Corrupt(format!(
                "column {i}: expected text, found {other:?}"
            ))),
        }
    }
    pub(super) fn text(&self, i: usize) -> Result<String, LogError> {
        self.opt_text(i)?
            .ok_or_else(|| LogError::Corrupt(format!("column {i} is null")))
    }
}

/// What a store does: run the log's SQL. Nothing about batches or trees is here.
pub(super) trait Store: std::fmt::Debug + Send {
    /// Runs a statement; returns how many rows it changed.
    fn execute(&self, sql: &str, params: &[Param<'_>]) -> Result<u64, LogError>;
    /// Runs a query; returns all its rows.
    fn query(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, LogError>;
    /// Starts a write transaction. With `exclusive`, no other writer of entries runs
    /// until it ends (sealing must see a fixed set of pending entries).
    fn begin(&self, exclusive: bool) -> Result<(), LogError>;
    fn commit(&self) -> Result<(), LogError>;
    fn rollback(&self);
    /// Ids and Hamming distances of entries whose perceptual hash is within
    /// `max_distance` bits of `phash`, in any order.
    fn near(&self, phash: u64, max_distance: u32) -> Result<Vec<(i64, u32)>, LogError>;
    /// Takes the anchoring lock of this store, or fails with [`LogError::Busy`].
    fn anchoring_lock(&self, shown: &Path) -> Result<AnchoringLock, LogError>;
}

pub(super) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(super) const ENTRY_COLUMNS: &str =
    "id, content_sha256, manifest_id, phash, logged_at, manifest_label, \
                             signer, path, published_at, batch_id, leaf_index";

/// The leaf data in four columns from `first` on: content_sha256, manifest_id, phash,
/// logged_at.
pub(super) fn leaf_from_row(row: &Row, first: usize) -> Result<LeafData, LogError> {
    Ok(LeafData {
        content_sha256: row.hash(first)?,
        manifest_id: row.hash(first + 1)?,
        phash: row.u64(first + 2)?,
        logged_at: row.u64(first + 3)?,
    })
}

pub(super) fn entry_from_row(row: &Row) -> Result<Entry, LogError> {
    Ok(Entry {
        id: row.int(0)?,
        leaf: leaf_from_row(row, 1)?,
        manifest_label: row.text(5)?,
        signer: row.opt_text(6)?,
        path: row.opt_text(7)?,
        published_at: row.opt_text(8)?,
        batch_id: row.opt_int(9)?,
        leaf_index: row.opt_u64(10)?,
    })
}

pub(super) const BATCH_COLUMNS: &str =
    "id, root, leaf_count, sealed_at, state, chain_id, registry, tx_hash, \
                             raw_tx, nonce, block_number, block_hash, block_time, submissions, \
                             publisher";

pub(super) fn batch_from_row(row: &Row) -> Result<Batch, LogError> {
    let state = row.text(4)?;
    Ok(Batch {
        id: row.int(0)?,
        root: row.hash(1)?,
        leaf_count: row.u64(2)?,
        sealed_at: row.u64(3)?,
        state: BatchState::parse(&state)
            .ok_or_else(|| LogError::Corrupt(format!("unknown batch state {state}")))?,
        chain_id: row.opt_u64(5)?,
        registry: row.opt_array(6)?,
        tx_hash: row.opt_array(7)?,
        raw_tx: row.opt_blob(8)?,
        nonce: row.opt_u64(9)?,
        block_number: row.opt_u64(10)?,
        block_hash: row.opt_array(11)?,
        block_time: row.opt_u64(12)?,
        submissions: row.u64(13)?,
        publisher: row.opt_array(14)?,
    })
}

pub(super) const INSERT_ENTRY: &str =
    "INSERT INTO entries (content_sha256, manifest_id, manifest_label, phash, signer, \
     path, published_at, logged_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
     ON CONFLICT(manifest_id) DO NOTHING";

pub(super) fn entry_params(e: &NewEntry, at: u64) -> [Param<'_>; 8] {
    [
        Param::Blob(Some(&e.content_sha256)),
        Param::Blob(Some(&e.manifest_id)),
        Param::Text(Some(&e.manifest_label)),
        Param::Int(Some(e.phash as i64)),
        Param::Text(e.signer.as_deref()),
        Param::Text(e.path.as_deref()),
        Param::Text(e.published_at.as_deref()),
        Param::Int(Some(at as i64)),
    ]
}
