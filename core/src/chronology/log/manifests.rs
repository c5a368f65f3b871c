//! Schema 3: the manifest store of each entry, kept so the Soft Binding Resolution
//! API's `GET /manifests/{manifestId}` can answer, and entries found by manifest label.

use super::store::{entry_from_row, insert_entry, now, Param, Store, ENTRY_COLUMNS};
use super::{Entry, Log, LogError, NewEntry};

/// Largest manifest store (C2PA JUMBF bytes) the log keeps for an entry: 2 MiB, ample
/// for a manifest with its thumbnail and ingredients. A larger store is not kept (the
/// entry still is); its `GET /manifests/{manifestId}` answers 404.
pub const MAX_MANIFEST_STORE: usize = 2 << 20;

/// Schema 3 (same SQL on both stores, `blob` being each store's byte type): the
/// manifest store of each entry, kept so `GET /manifests/{manifestId}` can answer,
/// at most [`MAX_MANIFEST_STORE`] bytes (checked in SQL too); and entries found by
/// manifest label.
pub(super) fn manifests_schema(blob: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS manifest_stores (\n\
             entry_id BIGINT PRIMARY KEY REFERENCES entries(id),\n\
             store    {blob} NOT NULL CHECK (length(store) BETWEEN 1 AND {MAX_MANIFEST_STORE})\n\
         );\n\
         CREATE INDEX IF NOT EXISTS entries_label ON entries(manifest_label, id);\n"
    )
}

/// Keeps `store` as entry `entry_id`'s manifest store unless it has one (in the
/// caller's transaction); nothing when the store is empty or over the cap.
pub(super) fn insert_manifest_store(
    s: &dyn Store,
    entry_id: i64,
    store: &[u8],
) -> Result<bool, LogError> {
    if store.is_empty() || store.len() > MAX_MANIFEST_STORE {
        return Ok(false);
    }
    Ok(s.execute(
        "INSERT INTO manifest_stores (entry_id, store) VALUES (?1, ?2) \
         ON CONFLICT(entry_id) DO NOTHING",
        &[Param::Int(Some(entry_id)), Param::Blob(Some(store))],
    )? == 1)
}

impl Log {
    /// As [`Log::add`], keeping `store` (the file's C2PA manifest store, JUMBF) as the
    /// entry's manifest store in the same transaction, unless the entry already has one
    /// or the store is over [`MAX_MANIFEST_STORE`] (then only the entry is recorded).
    /// Logging a manifest again with its store fills in the store of an entry logged
    /// without one (e.g. before schema 3).
    pub fn add_with_store(
        &mut self,
        e: &NewEntry,
        store: Option<&[u8]>,
    ) -> Result<Entry, LogError> {
        self.write(false, |s| {
            insert_entry(s, e, now())?;
            let entry = s
                .query(
                    &format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE manifest_id = ?1"),
                    &[Param::Blob(Some(&e.manifest_id))],
                )?
                .first()
                .map(entry_from_row)
                .transpose()?
                .ok_or_else(|| LogError::Corrupt("an entry vanished as it was added".into()))?;
            if let Some(store) = store {
                insert_manifest_store(s, entry.id, store)?;
            }
            Ok(entry)
        })
    }

    /// The manifest store kept for entry `entry_id`, if any (see [`Log::add_with_store`]).
    pub fn manifest_store(&self, entry_id: i64) -> Result<Option<Vec<u8>>, LogError> {
        match self
            .store
            .query(
                "SELECT store FROM manifest_stores WHERE entry_id = ?1",
                &[Param::Int(Some(entry_id))],
            )?
            .first()
        {
            Some(row) => row.opt_blob(0),
            None => Ok(None),
        }
    }

    /// The first entry whose active manifest has this label (`urn:c2pa:…`), if logged.
    pub fn by_manifest_label(&self, label: &str) -> Result<Option<Entry>, LogError> {
        Ok(self
            .entries_where(
                "manifest_label = ?1 ORDER BY id LIMIT 1",
                Param::Text(Some(label)),
            )?
            .into_iter()
            .next())
    }
}
