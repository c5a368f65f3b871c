//! The chronology log: one entry per signed asset, sealed into Merkle batches whose
//! roots are anchored on chain. Embedded in SQLite (no server to start) under the
//! data directory by default, or kept in a PostgreSQL database that several processes
//! share (feature `postgres`, [`Log::connect`] with a `postgres://` URL). The log is
//! the source of truth for anchoring, and every state change is one transaction, so a
//! crash at any point loses no entry and the next run carries on where the last one
//! stopped.
//!
//! The rules live once, in this module; `sqlite.rs` and `postgres.rs` only run its SQL
//! (written once, with `?N` placeholders) behind the internal `Store` trait.
//!
//! Batch life: `sealed` (root fixed, nothing sent) → `submitted` (a signed transaction
//! is recorded *before* it is broadcast) → `mined` (in a block, not yet final) →
//! `anchored` (its block is finalized). A reorg that drops a mined batch sends it back
//! to `sealed`; the anchoring loop checks the registry before every submission, so a
//! root is never anchored twice.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::chronology::merkle::{Hash, MerkleTree};
use crate::chronology::proof::{LeafData, ProofBundle};

#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;

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
    /// The PostgreSQL store could not be reached (`location` has no password).
    #[cfg(feature = "postgres")]
    #[error("cannot connect to the chronology store {location}: {source}")]
    Connect {
        location: String,
        source: ::postgres::Error,
    },
    #[cfg(feature = "postgres")]
    #[error("chronology store {location}: {source}")]
    Postgres {
        location: String,
        source: ::postgres::Error,
    },
    /// A store location that cannot be used (a malformed URL, a backend not built in).
    #[error("chronology store: {0}")]
    Location(String),
    #[error("chronology log is corrupt: {0}")]
    Corrupt(String),
    #[error("another anchoring run is using this log (lock {0})")]
    Busy(PathBuf),
    #[error("no data directory: set PROVENANT_HOME (or HOME)")]
    NoHome,
    #[error("cannot create the data directory {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Anchoring steps a crash test can stop the process at (see [`crash_point`]; feature
/// `failpoints`, which release builds leave off).
#[cfg(feature = "failpoints")]
pub const CRASH_POINTS: [&str; 6] = [
    "sealing",
    "sealed",
    "recorded",
    "sent",
    "mined",
    "finalized",
];

/// Test instrumentation (feature `failpoints`): when `PROVENANT_TEST_CRASH_AT` names this
/// point, the process SIGKILLs itself here, so crash tests can stop it at an exact step.
#[cfg(feature = "failpoints")]
pub(crate) fn crash_point(name: &str) {
    if std::env::var("PROVENANT_TEST_CRASH_AT").is_ok_and(|v| v == name) {
        let pid = std::process::id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid])
            .status();
        // kill -9 does not return to us; if it failed, do not carry on past the point.
        std::process::abort();
    }
}

/// Without the `failpoints` feature a crash point is nothing at all.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub(crate) fn crash_point(_name: &str) {}

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

/// The chronology log, over one of its stores: an embedded SQLite file (the default)
/// or a PostgreSQL database shared by several processes (feature `postgres`). Every
/// rule of the log (Merkle sealing, leaves, batch states, proof bundles) lives here;
/// a store only runs SQL.
#[derive(Debug)]
pub struct Log {
    store: Box<dyn Store>,
    /// The SQLite file, or the PostgreSQL URL without its password.
    path: PathBuf,
}

/// Held while this process anchors the log (see [`Log::anchoring_lock`]); dropping it
/// releases the lock.
#[derive(Debug)]
pub struct AnchoringLock {
    _held: LockHolder,
}

enum LockHolder {
    /// A lock file beside the SQLite log, locked.
    File(#[allow(dead_code)] std::fs::File),
    /// The PostgreSQL session holding a session advisory lock: closing it releases it.
    #[cfg(feature = "postgres")]
    Session(#[allow(dead_code)] Box<::postgres::Client>),
}

impl std::fmt::Debug for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(file) => f.debug_tuple("File").field(file).finish(),
            #[cfg(feature = "postgres")]
            Self::Session(_) => f.write_str("Session"),
        }
    }
}

/// A parameter of a store's SQL. The SQL is written once with `?N` placeholders
/// (PostgreSQL stores turn them into `$N`).
#[derive(Debug, Clone, Copy)]
enum Param<'a> {
    Int(Option<i64>),
    Blob(Option<&'a [u8]>),
    Text(Option<&'a str>),
}

/// A value read back from a store.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
    Null,
    Int(i64),
    Blob(Vec<u8>),
    Text(String),
}

/// One row read back from a store, with typed accessors.
#[derive(Debug)]
struct Row(Vec<Val>);

impl Row {
    fn get(&self, i: usize) -> Result<&Val, LogError> {
        self.0
            .get(i)
            .ok_or_else(|| LogError::Corrupt(format!("a row without column {i}")))
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, LogError> {
        match self.get(i)? {
            Val::Null => Ok(None),
            Val::Int(v) => Ok(Some(*v)),
            other => Err(LogError::Corrupt(format!(
                "column {i}: expected an integer, found {other:?}"
            ))),
        }
    }
    fn int(&self, i: usize) -> Result<i64, LogError> {
        self.opt_int(i)?
            .ok_or_else(|| LogError::Corrupt(format!("column {i} is null")))
    }
    fn opt_u64(&self, i: usize) -> Result<Option<u64>, LogError> {
        Ok(self.opt_int(i)?.map(|v| v as u64))
    }
    fn u64(&self, i: usize) -> Result<u64, LogError> {
        Ok(self.int(i)? as u64)
    }
    fn opt_blob(&self, i: usize) -> Result<Option<Vec<u8>>, LogError> {
        match self.get(i)? {
            Val::Null => Ok(None),
            Val::Blob(v) => Ok(Some(v.clone())),
            other => Err(LogError::Corrupt(format!(
                "column {i}: expected bytes, found {other:?}"
            ))),
        }
    }
    fn opt_array<const N: usize>(&self, i: usize) -> Result<Option<[u8; N]>, LogError> {
        self.opt_blob(i)?
            .map(|v| {
                <[u8; N]>::try_from(v).map_err(|v| {
                    LogError::Corrupt(format!("column {i}: {} bytes, expected {N}", v.len()))
                })
            })
            .transpose()
    }
    fn hash(&self, i: usize) -> Result<Hash, LogError> {
        self.opt_array::<32>(i)?
            .ok_or_else(|| LogError::Corrupt(format!("column {i} is null")))
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, LogError> {
        match self.get(i)? {
            Val::Null => Ok(None),
            Val::Text(v) => Ok(Some(v.clone())),
            other => Err(LogError::Corrupt(format!(
                "column {i}: expected text, found {other:?}"
            ))),
        }
    }
    fn text(&self, i: usize) -> Result<String, LogError> {
        self.opt_text(i)?
            .ok_or_else(|| LogError::Corrupt(format!("column {i} is null")))
    }
}

/// What a store does: run the log's SQL. Nothing about batches or trees is here.
trait Store: std::fmt::Debug + Send {
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

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

const ENTRY_COLUMNS: &str = "id, content_sha256, manifest_id, phash, logged_at, manifest_label, \
                             signer, path, published_at, batch_id, leaf_index";

/// The leaf data in four columns from `first` on: content_sha256, manifest_id, phash,
/// logged_at.
fn leaf_from_row(row: &Row, first: usize) -> Result<LeafData, LogError> {
    Ok(LeafData {
        content_sha256: row.hash(first)?,
        manifest_id: row.hash(first + 1)?,
        phash: row.u64(first + 2)?,
        logged_at: row.u64(first + 3)?,
    })
}

fn entry_from_row(row: &Row) -> Result<Entry, LogError> {
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

const BATCH_COLUMNS: &str = "id, root, leaf_count, sealed_at, state, chain_id, registry, tx_hash, \
                             raw_tx, nonce, block_number, block_hash, block_time, submissions, \
                             publisher";

fn batch_from_row(row: &Row) -> Result<Batch, LogError> {
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

const INSERT_ENTRY: &str =
    "INSERT INTO entries (content_sha256, manifest_id, manifest_label, phash, signer, \
     path, published_at, logged_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
     ON CONFLICT(manifest_id) DO NOTHING";

fn entry_params(e: &NewEntry, at: u64) -> [Param<'_>; 8] {
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

/// Whether `location` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres_url(location: &str) -> bool {
    let lower = location.trim_start().to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

impl Log {
    /// Opens (creating if needed) the default log: `$PROVENANT_LOG` when set (a
    /// PostgreSQL URL or a SQLite path, see [`Log::connect`]), else the SQLite log in
    /// the data directory.
    pub fn open_default() -> Result<Self, LogError> {
        if let Some(loc) = std::env::var("PROVENANT_LOG")
            .ok()
            .filter(|v| !v.is_empty())
        {
            return Self::connect(&loc);
        }
        let dir = data_dir()?;
        std::fs::create_dir_all(&dir).map_err(|source| LogError::Dir {
            path: dir.clone(),
            source,
        })?;
        Self::open(&dir.join(LOG_FILE))
    }

    /// Opens (creating the schema if needed) the log at `location`: a
    /// `postgres://` or `postgresql://` URL is a PostgreSQL database, anything else
    /// the path of a SQLite file.
    pub fn connect(location: &str) -> Result<Self, LogError> {
        if is_postgres_url(location) {
            #[cfg(feature = "postgres")]
            {
                let (store, shown) = postgres::PgStore::connect(location)?;
                return Ok(Self {
                    store: Box::new(store),
                    path: PathBuf::from(shown),
                });
            }
            #[cfg(not(feature = "postgres"))]
            return Err(LogError::Location(
                "this build has no PostgreSQL chronology store (feature `postgres`)".into(),
            ));
        }
        Self::open(Path::new(location))
    }

    /// Opens (creating if needed) the SQLite log at `path`.
    pub fn open(path: &Path) -> Result<Self, LogError> {
        Ok(Self {
            store: Box::new(sqlite::SqliteStore::open(path)?),
            path: path.to_owned(),
        })
    }

    /// Where the log is: the SQLite file, or the PostgreSQL URL without its password.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the log's anchoring lock, so two `anchor` runs never submit the same
    /// batch at once: a lock file beside a SQLite log, a session advisory lock on a
    /// PostgreSQL database. Held until the returned guard is dropped.
    pub fn anchoring_lock(&self) -> Result<AnchoringLock, LogError> {
        self.store.anchoring_lock(&self.path)
    }

    /// Runs `f` in one write transaction: committed when it succeeds, rolled back
    /// when it fails.
    fn write<T>(
        &mut self,
        exclusive: bool,
        f: impl FnOnce(&dyn Store) -> Result<T, LogError>,
    ) -> Result<T, LogError> {
        let store = &*self.store;
        store.begin(exclusive)?;
        match f(store).and_then(|v| store.commit().map(|()| v)) {
            Ok(v) => Ok(v),
            Err(e) => {
                store.rollback();
                Err(e)
            }
        }
    }

    fn entries_where(&self, filter: &str, param: Param<'_>) -> Result<Vec<Entry>, LogError> {
        self.store
            .query(
                &format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE {filter}"),
                &[param],
            )?
            .iter()
            .map(entry_from_row)
            .collect()
    }

    fn batches_where(&self, filter: &str, params: &[Param<'_>]) -> Result<Vec<Batch>, LogError> {
        self.store
            .query(
                &format!("SELECT {BATCH_COLUMNS} FROM batches {filter}"),
                params,
            )?
            .iter()
            .map(batch_from_row)
            .collect()
    }

    /// Records a signed asset. Logging the same manifest twice returns the first entry.
    pub fn add(&mut self, e: &NewEntry) -> Result<Entry, LogError> {
        self.write(false, |s| {
            s.execute(INSERT_ENTRY, &entry_params(e, now()))?;
            s.query(
                &format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE manifest_id = ?1"),
                &[Param::Blob(Some(&e.manifest_id))],
            )?
            .first()
            .map(entry_from_row)
            .transpose()?
            .ok_or_else(|| LogError::Corrupt("an entry vanished as it was added".into()))
        })
    }

    /// Records many assets in one transaction (imports, benchmarks); duplicates of a
    /// manifest already logged are skipped. Returns how many were added.
    pub fn add_many(&mut self, entries: &[NewEntry]) -> Result<usize, LogError> {
        let at = now();
        self.write(false, |s| {
            let mut added = 0;
            for e in entries {
                added += s.execute(INSERT_ENTRY, &entry_params(e, at))? as usize;
            }
            Ok(added)
        })
    }

    pub fn entry(&self, id: i64) -> Result<Option<Entry>, LogError> {
        Ok(self
            .entries_where("id = ?1", Param::Int(Some(id)))?
            .into_iter()
            .next())
    }

    pub fn by_manifest_id(&self, id: &Hash) -> Result<Option<Entry>, LogError> {
        Ok(self
            .entries_where("manifest_id = ?1", Param::Blob(Some(id)))?
            .into_iter()
            .next())
    }

    pub fn by_content(&self, sha256: &Hash) -> Result<Vec<Entry>, LogError> {
        self.entries_where("content_sha256 = ?1 ORDER BY id", Param::Blob(Some(sha256)))
    }

    /// Entries whose perceptual hash is within `max_distance` bits of `phash`,
    /// nearest first (a linear scan: a popcount per entry).
    pub fn similar(&self, phash: u64, max_distance: u32) -> Result<Vec<(Entry, u32)>, LogError> {
        let mut ids = self.store.near(phash, max_distance)?;
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
    /// Safe with several processes sealing one store at once: each entry ends up in
    /// exactly one batch.
    pub fn seal(&mut self, max_leaves: u64) -> Result<Vec<Batch>, LogError> {
        let max_leaves = max_leaves.clamp(1, MAX_BATCH_LEAVES);
        let mut sealed = Vec::new();
        while let Some(b) = self.seal_one(max_leaves)? {
            sealed.push(b);
        }
        Ok(sealed)
    }

    fn seal_one(&mut self, max_leaves: u64) -> Result<Option<Batch>, LogError> {
        let batch = self.write(true, |s| {
            let leaves = s
                .query(
                    "SELECT content_sha256, manifest_id, phash, logged_at FROM entries \
                     WHERE batch_id IS NULL ORDER BY id LIMIT ?1",
                    &[Param::Int(Some(max_leaves as i64))],
                )?
                .iter()
                .map(|row| Ok(leaf_from_row(row, 0)?.leaf_hash()))
                .collect::<Result<Vec<Hash>, LogError>>()?;
            let count = leaves.len() as u64;
            let Some(tree) = MerkleTree::from_leaf_hashes(leaves) else {
                return Ok(None);
            };
            let root = tree.root();
            drop(tree);
            let batch = s
                .query(
                    &format!(
                        "INSERT INTO batches (root, leaf_count, sealed_at, state) \
                         VALUES (?1, ?2, ?3, 'sealed') RETURNING {BATCH_COLUMNS}"
                    ),
                    &[
                        Param::Blob(Some(&root)),
                        Param::Int(Some(count as i64)),
                        Param::Int(Some(now() as i64)),
                    ],
                )?
                .first()
                .map(batch_from_row)
                .transpose()?
                .ok_or_else(|| LogError::Corrupt("a batch vanished as it was sealed".into()))?;
            let updated = s.execute(
                "WITH r AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS idx FROM entries \
                            WHERE batch_id IS NULL ORDER BY id LIMIT ?2) \
                 UPDATE entries SET batch_id = ?1, leaf_index = r.idx FROM r \
                 WHERE entries.id = r.id",
                &[
                    Param::Int(Some(batch.id)),
                    Param::Int(Some(max_leaves as i64)),
                ],
            )?;
            if updated != count {
                return Err(LogError::Corrupt(format!(
                    "sealing batch {}: {count} leaves but {updated} entries updated",
                    batch.id
                )));
            }
            crash_point("sealing");
            Ok(Some(batch))
        })?;
        if batch.is_some() {
            crash_point("sealed");
        }
        Ok(batch)
    }

    pub fn batch(&self, id: i64) -> Result<Option<Batch>, LogError> {
        Ok(self
            .batches_where("WHERE id = ?1", &[Param::Int(Some(id))])?
            .into_iter()
            .next())
    }

    /// Batches not yet anchored, oldest first.
    pub fn unfinished_batches(&self) -> Result<Vec<Batch>, LogError> {
        self.batches_where("WHERE state != 'anchored' ORDER BY id", &[])
    }

    pub fn batches(&self) -> Result<Vec<Batch>, LogError> {
        self.batches_where("ORDER BY id", &[])
    }

    pub fn status(&self) -> Result<LogStatus, LogError> {
        let mut s = LogStatus::default();
        if let Some(row) = self
            .store
            .query(
                "SELECT count(*), count(*) FILTER (WHERE batch_id IS NULL) FROM entries",
                &[],
            )?
            .first()
        {
            s.entries = row.u64(0)?;
            s.pending_entries = row.u64(1)?;
        }
        let rows = self.store.query(
            "SELECT state, count(*), CAST(sum(leaf_count) AS BIGINT) FROM batches GROUP BY state",
            &[],
        )?;
        for row in rows {
            let n = row.u64(1)?;
            match BatchState::parse(&row.text(0)?) {
                Some(BatchState::Sealed) => s.sealed_batches = n,
                Some(BatchState::Submitted) => s.submitted_batches = n,
                Some(BatchState::Mined) => s.mined_batches = n,
                Some(BatchState::Anchored) => {
                    s.anchored_batches = n;
                    s.anchored_entries = row.opt_u64(2)?.unwrap_or(0);
                }
                None => {}
            }
        }
        Ok(s)
    }

    /// The entries of a batch, in leaf order.
    fn batch_entries(&self, batch_id: i64) -> Result<Vec<Entry>, LogError> {
        self.entries_where(
            "batch_id = ?1 ORDER BY leaf_index",
            Param::Int(Some(batch_id)),
        )
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
        let leaves = self
            .batch_entries(batch_id)?
            .iter()
            .map(|e| e.leaf.leaf_hash())
            .collect();
        let tree = verified_tree(&batch, leaves)?;
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
        let entries = self.batch_entries(batch_id)?;
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
        self.store.execute(
            "UPDATE batches SET state = 'submitted', chain_id = ?2, registry = ?3, tx_hash = ?4, \
             raw_tx = ?5, nonce = ?6, block_number = NULL, block_hash = NULL, block_time = NULL, \
             submissions = submissions + 1 WHERE id = ?1 AND state IN ('sealed', 'submitted')",
            &[
                Param::Int(Some(batch_id)),
                Param::Int(Some(chain_id as i64)),
                Param::Blob(Some(&registry)),
                Param::Blob(Some(&tx_hash)),
                Param::Blob(Some(raw_tx)),
                Param::Int(Some(nonce as i64)),
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
        self.store.execute(
            "UPDATE batches SET state = 'mined', chain_id = ?2, registry = ?3, tx_hash = ?4, \
             block_number = ?5, block_hash = ?6, block_time = ?7, publisher = ?8 WHERE id = ?1",
            &[
                Param::Int(Some(batch_id)),
                Param::Int(Some(chain_id as i64)),
                Param::Blob(Some(&registry)),
                Param::Blob(Some(&tx_hash)),
                Param::Int(Some(block_number as i64)),
                Param::Blob(Some(&block_hash)),
                Param::Int(Some(block_time as i64)),
                Param::Blob(Some(&publisher)),
            ],
        )?;
        Ok(())
    }

    /// The batch's block is finalized.
    pub fn record_anchored(&mut self, batch_id: i64) -> Result<(), LogError> {
        self.store.execute(
            "UPDATE batches SET state = 'anchored' WHERE id = ?1 AND state = 'mined'",
            &[Param::Int(Some(batch_id))],
        )?;
        Ok(())
    }

    /// The batch's transaction is gone (a reorg dropped its block, or it never made it
    /// into the pool): back to `sealed`, still bound to its chain.
    pub fn record_dropped(&mut self, batch_id: i64) -> Result<(), LogError> {
        self.store.execute(
            "UPDATE batches SET state = 'sealed', tx_hash = NULL, raw_tx = NULL, nonce = NULL, \
             block_number = NULL, block_hash = NULL, block_time = NULL \
             WHERE id = ?1 AND state != 'anchored'",
            &[Param::Int(Some(batch_id))],
        )?;
        Ok(())
    }

    /// The registry this log uses on `chain_id`, if one was deployed or configured.
    pub fn registry_for(&self, chain_id: u64) -> Result<Option<[u8; 20]>, LogError> {
        match self
            .store
            .query(
                "SELECT registry FROM deployments WHERE chain_id = ?1",
                &[Param::Int(Some(chain_id as i64))],
            )?
            .first()
        {
            Some(row) => row.opt_array::<20>(0),
            None => Ok(None),
        }
    }

    pub fn set_registry(
        &mut self,
        chain_id: u64,
        registry: [u8; 20],
        deployed_block: Option<u64>,
    ) -> Result<(), LogError> {
        self.store.execute(
            "INSERT INTO deployments (chain_id, registry, deployed_block) VALUES (?1, ?2, ?3) \
             ON CONFLICT(chain_id) DO UPDATE SET registry = ?2, deployed_block = ?3",
            &[
                Param::Int(Some(chain_id as i64)),
                Param::Blob(Some(&registry)),
                Param::Int(deployed_block.map(|b| b as i64)),
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
