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

mod batches;
mod codes;
mod manifests;
#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;
mod store;

use batches::verified_tree;
pub use batches::{Batch, BatchState, Inclusion, LogStatus};
pub use codes::{Code, DCT_ALG};
use manifests::manifests_schema;
pub use manifests::MAX_MANIFEST_STORE;
use store::*;

/// The registry stores a batch size in 24 bits.
pub const MAX_BATCH_LEAVES: u64 = (1 << 24) - 1;

/// File name of the log inside the data directory.
pub const LOG_FILE: &str = "chronology.sqlite";

/// Why the chronology log could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// The SQLite file could not be opened.
    #[error("chronology log {path}: {source}")]
    Open {
        /// The log file.
        path: PathBuf,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// A SQLite statement failed.
    #[error("chronology log: {0}")]
    Sql(#[from] rusqlite::Error),
    /// The PostgreSQL store could not be reached (`location` has no password).
    #[cfg(feature = "postgres")]
    #[error("cannot connect to the chronology store {location}: {source}")]
    Connect {
        /// The store's URL, without its password.
        location: String,
        /// The PostgreSQL error.
        source: ::postgres::Error,
    },
    /// A PostgreSQL statement failed (`location` has no password).
    #[cfg(feature = "postgres")]
    #[error("chronology store {location}: {source}")]
    Postgres {
        /// The store's URL, without its password.
        location: String,
        /// The PostgreSQL error.
        source: ::postgres::Error,
    },
    /// A store location that cannot be used (a malformed URL, a backend not built in).
    #[error("chronology store: {0}")]
    Location(String),
    /// The log's content breaks an invariant (e.g. a batch's entries no longer hash to its root).
    #[error("chronology log is corrupt: {0}")]
    Corrupt(String),
    /// Another anchoring run holds the log's lock (the lock's path).
    #[error("another anchoring run is using this log (lock {0})")]
    Busy(PathBuf),
    /// Neither `PROVENANT_HOME` nor `HOME` is set, so there is no data directory.
    #[error("no data directory: set PROVENANT_HOME (or HOME)")]
    NoHome,
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
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
    /// SHA-256 of the signed file as written.
    pub content_sha256: Hash,
    /// [`manifest_id`](crate::chronology::proof::manifest_id) of the file's active manifest.
    pub manifest_id: Hash,
    /// Label of the file's active manifest (`urn:c2pa:...`).
    pub manifest_label: String,
    /// The content's fingerprint; `None` for media without one (audio, video, PDF),
    /// which no lookup ever matches. The Merkle leaf commits to its 64 bits (0 when
    /// `None`).
    pub fingerprint: Option<Code>,
    /// Further codes searched the same way ([`Log::similar_code`]), e.g. tile codes.
    /// Not part of the Merkle leaf.
    pub extra_codes: Vec<Code>,
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
    /// Entry id in the log (increasing in logging order).
    pub id: i64,
    /// What the entry commits to: its Merkle leaf (`leaf.phash` is the fingerprint's
    /// 64 bits, 0 when the entry has none).
    pub leaf: LeafData,
    /// The algorithm of the fingerprint in `leaf.phash`; `None` when the entry has no
    /// fingerprint.
    pub fingerprint_alg: Option<String>,
    /// Label of the asset's active manifest.
    pub manifest_label: String,
    /// Common name of the signer, if recorded.
    pub signer: Option<String>,
    /// Where the signed file was written, if recorded.
    pub path: Option<String>,
    /// Where it was published, if known.
    pub published_at: Option<String>,
    /// The batch the entry was sealed into (None while pending).
    pub batch_id: Option<i64>,
    /// The entry's leaf position in its batch (None while pending).
    pub leaf_index: Option<u64>,
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
        self.add_with_store(e, None)
    }

    /// Records many assets in one transaction (imports, benchmarks); duplicates of a
    /// manifest already logged are skipped. Returns how many were added.
    pub fn add_many(&mut self, entries: &[NewEntry]) -> Result<usize, LogError> {
        let at = now();
        self.write(false, |s| {
            let mut added = 0;
            for e in entries {
                added += usize::from(insert_entry(s, e, at)?);
            }
            Ok(added)
        })
    }

    /// The entry with id `id`, if any.
    pub fn entry(&self, id: i64) -> Result<Option<Entry>, LogError> {
        Ok(self
            .entries_where("id = ?1", Param::Int(Some(id)))?
            .into_iter()
            .next())
    }

    /// The entry of the manifest with this [`manifest_id`](crate::chronology::proof::manifest_id), if logged.
    pub fn by_manifest_id(&self, id: &Hash) -> Result<Option<Entry>, LogError> {
        Ok(self
            .entries_where("manifest_id = ?1", Param::Blob(Some(id)))?
            .into_iter()
            .next())
    }

    /// Entries whose signed file has this SHA-256, oldest first.
    pub fn by_content(&self, sha256: &Hash) -> Result<Vec<Entry>, LogError> {
        self.entries_where("content_sha256 = ?1 ORDER BY id", Param::Blob(Some(sha256)))
    }

    /// Entries whose [`DCT_ALG`] fingerprint is within `max_distance` bits of `phash`,
    /// nearest first (see [`Log::similar_code`]).
    pub fn similar(&self, phash: u64, max_distance: u32) -> Result<Vec<(Entry, u32)>, LogError> {
        self.similar_code(&Code::dct(phash), max_distance)
    }

    /// Entries with a code of `code.alg` (their fingerprint or an extra code) within
    /// `max_distance` bits of `code.value`, nearest first, each once with its smallest
    /// distance. A multi-index search (see `codes.rs`): sublinear in the log's size.
    pub fn similar_code(
        &self,
        code: &Code,
        max_distance: u32,
    ) -> Result<Vec<(Entry, u32)>, LogError> {
        self.entries_at(self.store.near(&code.alg, code.value, max_distance)?)
    }

    /// What [`Log::similar_code`] answers, by a linear scan of every code of
    /// `code.alg` (for comparisons and benchmarks).
    pub fn similar_scan(
        &self,
        code: &Code,
        max_distance: u32,
    ) -> Result<Vec<(Entry, u32)>, LogError> {
        self.entries_at(self.store.near_scan(&code.alg, code.value, max_distance)?)
    }

    fn entries_at(&self, mut ids: Vec<(i64, u32)>) -> Result<Vec<(Entry, u32)>, LogError> {
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

    /// The batch with id `id`, if any.
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

    /// Every batch, oldest first.
    pub fn batches(&self) -> Result<Vec<Batch>, LogError> {
        self.batches_where("ORDER BY id", &[])
    }

    /// Counts of entries and batches by state (for `anchor status`).
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
}

#[cfg(test)]
mod tests;
