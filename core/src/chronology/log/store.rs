//! What the SQLite and PostgreSQL stores share: SQL parameters and rows, the internal
//! `Store` trait they implement, and the entry and batch columns.

use super::codes::{chunk_columns, chunk_sql, verified, CHUNKS};
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
    /// Ids and smallest Hamming distances of entries with a code of kind `alg` within
    /// `max_distance` bits of `code`, in any order (multi-index search, see `codes.rs`).
    fn near(&self, alg: &str, code: u64, max_distance: u32) -> Result<Vec<(i64, u32)>, LogError>;
    /// The same answer by reading every code of kind `alg` (the reference the
    /// multi-index search is tested against, and its fallback for wide radii).
    fn near_scan(
        &self,
        alg: &str,
        code: u64,
        max_distance: u32,
    ) -> Result<Vec<(i64, u32)>, LogError> {
        let rows = self.query(
            "SELECT c.entry_id, c.code FROM entry_codes c JOIN code_kinds k ON k.id = c.kind \
             WHERE k.name = ?1",
            &[Param::Text(Some(alg))],
        )?;
        let candidates = rows
            .iter()
            .map(|r| Ok((r.int(0)?, r.int(1)? as u64)))
            .collect::<Result<Vec<_>, LogError>>()?;
        Ok(verified(candidates, code, max_distance))
    }
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
                             signer, path, published_at, batch_id, leaf_index, fp_alg";

/// The leaf data in four columns from `first` on: content_sha256, manifest_id, phash
/// (0 when null: an entry without fingerprint), logged_at.
pub(super) fn leaf_from_row(row: &Row, first: usize) -> Result<LeafData, LogError> {
    Ok(LeafData {
        content_sha256: row.hash(first)?,
        manifest_id: row.hash(first + 1)?,
        phash: row.opt_u64(first + 2)?.unwrap_or(0),
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
        fingerprint_alg: row.opt_text(11)?,
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
     path, published_at, logged_at, fp_alg) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
     ON CONFLICT(manifest_id) DO NOTHING RETURNING id";

const INSERT_KIND: &str = "INSERT INTO code_kinds (name) VALUES (?1) ON CONFLICT(name) DO NOTHING";

/// Records entry `e` (in the caller's transaction) with its codes; false when its
/// manifest was already logged.
pub(super) fn insert_entry(s: &dyn Store, e: &NewEntry, at: u64) -> Result<bool, LogError> {
    let fp = e.fingerprint.as_ref();
    let rows = s.query(
        INSERT_ENTRY,
        &[
            Param::Blob(Some(&e.content_sha256)),
            Param::Blob(Some(&e.manifest_id)),
            Param::Text(Some(&e.manifest_label)),
            Param::Int(fp.map(|c| c.value as i64)),
            Param::Text(e.signer.as_deref()),
            Param::Text(e.path.as_deref()),
            Param::Text(e.published_at.as_deref()),
            Param::Int(Some(at as i64)),
            Param::Text(fp.map(|c| c.alg.as_str())),
        ],
    )?;
    let Some(row) = rows.first() else {
        return Ok(false);
    };
    let id = row.int(0)?;
    for c in fp.into_iter().chain(&e.extra_codes) {
        insert_code(s, id, c)?;
    }
    Ok(true)
}

/// `INSERT INTO entry_codes …` of one code, its chunks computed in SQL from `?2`.
pub(super) fn insert_code_sql() -> String {
    // Typed parameters: PostgreSQL would otherwise guess `integer` from the shifts.
    let code = "CAST(?2 AS BIGINT)";
    let chunks: Vec<String> = (0..CHUNKS.len()).map(|i| chunk_sql(code, i)).collect();
    format!(
        "INSERT INTO entry_codes (entry_id, kind, code, {}) \
         SELECT CAST(?1 AS BIGINT), id, {code}, {} FROM code_kinds WHERE name = ?3",
        chunk_columns(),
        chunks.join(", ")
    )
}

fn insert_code(s: &dyn Store, entry_id: i64, c: &Code) -> Result<(), LogError> {
    thread_local!(static SQL: String = insert_code_sql());
    s.execute(INSERT_KIND, &[Param::Text(Some(&c.alg))])?;
    let n = SQL.with(|sql| {
        s.execute(
            sql,
            &[
                Param::Int(Some(entry_id)),
                Param::Int(Some(c.value as i64)),
                Param::Text(Some(&c.alg)),
            ],
        )
    })?;
    if n != 1 {
        return Err(LogError::Corrupt(format!(
            "code kind {} not recorded",
            c.alg
        )));
    }
    Ok(())
}

/// The tables of the similarity codes (same SQL on both stores, `id_type` being each
/// store's auto-increment primary key): the kinds (algorithm names), and one row per
/// code with its chunks, each chunk indexed with the code and entry id beside it so a
/// probe reads only the index.
pub(super) fn codes_schema(id_type: &str) -> String {
    let mut sql = format!(
        "CREATE TABLE IF NOT EXISTS code_kinds (id {id_type}, name TEXT NOT NULL UNIQUE);\n\
         CREATE TABLE IF NOT EXISTS entry_codes (\n\
             entry_id BIGINT NOT NULL REFERENCES entries(id),\n\
             kind     INTEGER NOT NULL REFERENCES code_kinds(id),\n\
             code     BIGINT NOT NULL"
    );
    for i in 0..CHUNKS.len() {
        sql.push_str(&format!(",\n    c{i} INTEGER NOT NULL"));
    }
    sql.push_str("\n);\n");
    for i in 0..CHUNKS.len() {
        sql.push_str(&format!(
            "CREATE INDEX IF NOT EXISTS entry_codes_c{i} ON entry_codes(kind, c{i}, code, entry_id);\n"
        ));
    }
    sql
}

/// Fills `entry_codes` from the fingerprints already in `entries` (migration).
pub(super) fn codes_from_entries_sql() -> String {
    let chunks: Vec<String> = (0..CHUNKS.len()).map(|i| chunk_sql("e.phash", i)).collect();
    format!(
        "INSERT INTO code_kinds (name) SELECT DISTINCT fp_alg FROM entries \
             WHERE fp_alg IS NOT NULL ON CONFLICT(name) DO NOTHING;\n\
         INSERT INTO entry_codes (entry_id, kind, code, {}) \
             SELECT e.id, k.id, e.phash, {} FROM entries e JOIN code_kinds k ON k.name = e.fp_alg \
             WHERE e.phash IS NOT NULL;\n",
        chunk_columns(),
        chunks.join(", ")
    )
}
