//! One suite of store tests, run on both stores: a fresh SQLite file per test, and a
//! fresh PostgreSQL database per test (created from `PROVENANT_TEST_POSTGRES`, dropped
//! after). Then tests only a shared PostgreSQL database has.

use super::*;
use crate::chronology::proof::LeafData;

fn entry(i: u64) -> NewEntry {
    NewEntry {
        content_sha256: crate::chronology::merkle::leaf_hash(&i.to_be_bytes()),
        manifest_id: crate::chronology::merkle::leaf_hash(&(i + 1_000_000).to_be_bytes()),
        manifest_label: format!("urn:c2pa:{i}"),
        fingerprint: Some(Code::dct(i.wrapping_mul(0x9E37_79B9_7F4A_7C15))),
        extra_codes: Vec::new(),
        signer: Some("Desk".into()),
        path: None,
        published_at: None,
    }
}

/// A fresh, empty store for one test; removed when dropped.
struct TestStore {
    location: String,
    _dir: Option<tempfile::TempDir>,
    #[cfg(feature = "postgres")]
    _pg: Option<pg::TestDb>,
}

impl TestStore {
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let location = dir.path().join(LOG_FILE).display().to_string();
        Self {
            location,
            _dir: Some(dir),
            #[cfg(feature = "postgres")]
            _pg: None,
        }
    }

    #[cfg(feature = "postgres")]
    fn postgres() -> Self {
        let db = pg::TestDb::new();
        Self {
            location: db.url.clone(),
            _dir: None,
            _pg: Some(db),
        }
    }

    fn open(&self) -> Log {
        Log::connect(&self.location).unwrap()
    }
}

/// The tests every store passes.
mod suite {
    use super::*;

    pub fn add_is_idempotent_per_manifest(db: &TestStore) {
        let mut log = db.open();
        let a = log.add(&entry(1)).unwrap();
        let b = log.add(&entry(1)).unwrap();
        assert_eq!(a, b);
        assert_eq!(log.status().unwrap().entries, 1);
        assert_eq!(log.add_many(&[entry(1), entry(2), entry(3)]).unwrap(), 2);
        assert_eq!(log.status().unwrap().entries, 3);
        assert_eq!(
            log.by_manifest_id(&entry(2).manifest_id)
                .unwrap()
                .unwrap()
                .manifest_label,
            "urn:c2pa:2"
        );
        assert_eq!(log.entry(a.id).unwrap().unwrap(), a);
        assert_eq!(log.entry(a.id + 1000).unwrap(), None);
    }

    pub fn sealing_batches_and_proofs(db: &TestStore) {
        let mut log = db.open();
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
        let e = log.by_manifest_id(&entry(5).manifest_id).unwrap().unwrap();
        assert_eq!(log.bundle(&e).unwrap(), None);
        let b = &batches[1];
        log.record_submission(b.id, 31337, [7; 20], [8; 32], b"raw", 0)
            .unwrap();
        let submitted = log.batch(b.id).unwrap().unwrap();
        assert_eq!(submitted.state, BatchState::Submitted);
        assert_eq!(submitted.raw_tx.as_deref(), Some(&b"raw"[..]));
        assert_eq!(submitted.submissions, 1);
        assert_eq!(log.unfinished_batches().unwrap().len(), 3);
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
        let all = log.batch_bundles(b.id).unwrap();
        assert_eq!(all.len(), 4);
        assert!(all.iter().all(|(_, bundle)| bundle.path_is_valid()));

        log.record_dropped(b.id).unwrap();
        assert_eq!(log.batch(b.id).unwrap().unwrap().state, BatchState::Sealed);
        assert_eq!(log.bundle(&e).unwrap(), None);

        log.record_submission(b.id, 31337, [7; 20], [8; 32], b"raw", 1)
            .unwrap();
        log.record_mined(b.id, &at).unwrap();
        log.record_anchored(b.id).unwrap();
        let st = log.status().unwrap();
        assert_eq!((st.anchored_batches, st.anchored_entries), (1, 4));
        assert_eq!(log.batch(b.id).unwrap().unwrap().submissions, 2);
        assert_eq!(log.unfinished_batches().unwrap().len(), 2);
        assert_eq!(log.batches().unwrap().len(), 3);
    }

    pub fn finds_by_content_and_perceptual_hash(db: &TestStore) {
        let mut log = db.open();
        for i in 0..5 {
            log.add(&entry(i)).unwrap();
        }
        let target = entry(3);
        assert_eq!(log.by_content(&target.content_sha256).unwrap().len(), 1);
        let near = log
            .similar(target.fingerprint.as_ref().unwrap().value ^ 0b101, 4)
            .unwrap();
        assert_eq!(near.len(), 1);
        assert_eq!(
            (near[0].0.manifest_label.as_str(), near[0].1),
            ("urn:c2pa:3", 2)
        );
        // Perceptual hashes with the top bit set (negative as a signed integer).
        let mut high = entry(40);
        high.fingerprint = Some(Code::dct(u64::MAX - 1));
        log.add(&high).unwrap();
        let near = log.similar(u64::MAX, 1).unwrap();
        assert_eq!(near.len(), 1);
        assert_eq!((near[0].0.leaf.phash, near[0].1), (u64::MAX - 1, 1));
        assert_eq!(log.similar(u64::MAX, 64).unwrap().len(), 6);
    }

    pub fn fingerprints_are_compared_within_their_algorithm(db: &TestStore) {
        let mut log = db.open();
        let mut dct = entry(1);
        dct.fingerprint = Some(Code::dct(0xABCD));
        let mut iscc = entry(2);
        iscc.fingerprint = Some(Code::new("io.iscc.v0", 0xABCD));
        iscc.extra_codes = vec![
            Code::new("io.iscc.v0/tile", 0x1111_0000_0000_0000),
            Code::new("io.iscc.v0/tile", 0x2222_0000_0000_0000),
        ];
        let mut audio = entry(3);
        audio.fingerprint = None;
        assert_eq!(log.add_many(&[dct, iscc, audio.clone()]).unwrap(), 3);

        let found = log.similar(0xABCD, 0).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0.fingerprint_alg.as_deref(), Some(DCT_ALG));
        let found = log
            .similar_code(&Code::new("io.iscc.v0", 0xABCF), 1)
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].0.manifest_label.as_str(), found[0].1),
            ("urn:c2pa:2", 1)
        );
        assert_eq!(found[0].0.leaf.phash, 0xABCD);
        // Tile codes: found by their kind, each entry once with its nearest code.
        let tiles = log
            .similar_code(&Code::new("io.iscc.v0/tile", 0x2222_0000_0000_0001), 64)
            .unwrap();
        assert_eq!(tiles.len(), 1);
        assert_eq!(tiles[0].1, 1);
        assert!(log
            .similar_code(&Code::new("nobody", 0), 64)
            .unwrap()
            .is_empty());

        // No fingerprint: never found by a lookup, its leaf commits to 0, and it seals.
        let a = log.by_manifest_id(&audio.manifest_id).unwrap().unwrap();
        assert_eq!((a.fingerprint_alg, a.leaf.phash), (None, 0));
        assert!(log
            .similar(0, 64)
            .unwrap()
            .iter()
            .all(|(e, _)| e.manifest_label != "urn:c2pa:3"));
        assert_eq!(log.similar(0, 64).unwrap().len(), 1);
        assert_eq!(log.seal(10).unwrap()[0].leaf_count, 3);
    }

    /// The multi-index search against the linear scan and against the truth computed
    /// here, on random codes with neighbours planted at every distance up to 16.
    pub fn multi_index_search_equals_linear_scan(db: &TestStore) {
        let mut log = db.open();
        let mut state = 0x1234_5678_9ABC_DEF0u64;
        let mut next = move || {
            // xorshift64*
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        let queries: Vec<u64> = (0..6).map(|_| next()).collect();
        let mut codes: Vec<u64> = (0..3000).map(|_| next()).collect();
        for (qi, &q) in queries.iter().enumerate() {
            for d in 0..=16u32 {
                // A neighbour at exactly distance d: flip d distinct random bits.
                let mut c = q;
                let mut flipped = 0;
                while flipped < d {
                    let bit = 1u64 << (next() % 64);
                    if c & bit == q & bit {
                        c ^= bit;
                        flipped += 1;
                    }
                }
                codes.push(c);
                // Neighbours whose differing bits sit all in one chunk.
                if qi == 0 && d <= 12 {
                    codes.push(q ^ ((1u64 << d) - 1));
                    codes.push(q ^ (((1u64 << d) - 1) << (64 - d.max(1))));
                }
            }
        }
        let entries: Vec<NewEntry> = codes
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let mut e = entry(10_000 + i as u64);
                e.fingerprint = Some(Code::new("test-alg", c));
                e
            })
            .collect();
        assert_eq!(log.add_many(&entries).unwrap(), entries.len());
        for &q in &queries {
            for d in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16] {
                let mut truth: Vec<(i64, u32)> = Vec::new();
                let mut mih = log.store.near("test-alg", q, d).unwrap();
                let mut scan = log.store.near_scan("test-alg", q, d).unwrap();
                mih.sort_unstable();
                scan.sort_unstable();
                for (id, _) in &scan {
                    let e = log.entry(*id).unwrap().unwrap();
                    truth.push((*id, (e.leaf.phash ^ q).count_ones()));
                }
                let expected = codes.iter().filter(|&&c| (c ^ q).count_ones() <= d).count();
                assert_eq!(scan.len(), expected, "scan at d={d}");
                assert_eq!(scan, truth, "scan distances at d={d}");
                assert_eq!(mih, scan, "multi-index vs scan at d={d}");
                assert!(expected > 0 || d == 0);
            }
        }
    }

    pub fn manifest_stores_are_kept_and_capped(db: &TestStore) {
        let mut log = db.open();
        let store: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let kept = log.add_with_store(&entry(1), Some(&store)).unwrap();
        assert_eq!(
            log.manifest_store(kept.id).unwrap().as_deref(),
            Some(&store[..])
        );
        // Found by label; an unknown label or entry has nothing.
        let found = log.by_manifest_label("urn:c2pa:1").unwrap().unwrap();
        assert_eq!(found.id, kept.id);
        assert!(log.by_manifest_label("urn:c2pa:nope").unwrap().is_none());
        assert!(log.manifest_store(kept.id + 100).unwrap().is_none());
        // Logged again with another store: the first one stays.
        let again = log.add_with_store(&entry(1), Some(b"other")).unwrap();
        assert_eq!(again.id, kept.id);
        assert_eq!(
            log.manifest_store(kept.id).unwrap().as_deref(),
            Some(&store[..])
        );
        // Logged without a store, then again with one: the store is filled in.
        let bare = log.add(&entry(2)).unwrap();
        assert!(log.manifest_store(bare.id).unwrap().is_none());
        log.add_with_store(&entry(2), Some(b"late")).unwrap();
        assert_eq!(
            log.manifest_store(bare.id).unwrap().as_deref(),
            Some(&b"late"[..])
        );
        // Over the cap (and empty): the entry is recorded, its store is not.
        let big = vec![7u8; MAX_MANIFEST_STORE + 1];
        let e3 = log.add_with_store(&entry(3), Some(&big)).unwrap();
        assert!(log.manifest_store(e3.id).unwrap().is_none());
        let e4 = log.add_with_store(&entry(4), Some(&[])).unwrap();
        assert!(log.manifest_store(e4.id).unwrap().is_none());
        // Exactly at the cap: kept.
        let max = vec![9u8; MAX_MANIFEST_STORE];
        let e5 = log.add_with_store(&entry(5), Some(&max)).unwrap();
        assert_eq!(
            log.manifest_store(e5.id).unwrap().map(|v| v.len()),
            Some(MAX_MANIFEST_STORE)
        );
        assert_eq!(log.status().unwrap().entries, 5);
    }

    pub fn reopening_keeps_everything(db: &TestStore) {
        {
            let mut log = db.open();
            log.add(&entry(1)).unwrap();
            log.seal(100).unwrap();
            log.set_registry(80002, [3; 20], Some(5)).unwrap();
            log.set_registry(80002, [4; 20], None).unwrap();
        }
        let log = db.open();
        assert_eq!(log.status().unwrap().sealed_batches, 1);
        assert_eq!(log.registry_for(80002).unwrap(), Some([4; 20]));
        assert_eq!(log.registry_for(137).unwrap(), None);
    }

    pub fn anchoring_lock_is_exclusive(db: &TestStore) {
        let a = db.open();
        let b = db.open();
        let held = a.anchoring_lock().unwrap();
        assert!(matches!(b.anchoring_lock(), Err(LogError::Busy(_))));
        drop(held);
        let _again = b.anchoring_lock().unwrap();
    }

    pub fn path_names_the_store(db: &TestStore) {
        let log = db.open();
        let shown = log.path().display().to_string();
        if is_postgres_url(&db.location) {
            assert!(shown.starts_with("postgres://"), "{shown}");
            assert!(
                shown.ends_with(&db.location[db.location.rfind('/').unwrap()..]),
                "{shown}"
            );
        } else {
            assert_eq!(shown, db.location);
        }
    }
}

/// One `#[test]` per suite function and store.
macro_rules! store_suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store {
            $(#[test]
            fn $name() {
                super::suite::$name(&super::TestStore::sqlite());
            })*
        }
        #[cfg(feature = "postgres")]
        mod postgres_store {
            $(#[test]
            fn $name() {
                super::suite::$name(&super::TestStore::postgres());
            })*
        }
    };
}

store_suite!(
    add_is_idempotent_per_manifest,
    sealing_batches_and_proofs,
    finds_by_content_and_perceptual_hash,
    fingerprints_are_compared_within_their_algorithm,
    multi_index_search_equals_linear_scan,
    manifest_stores_are_kept_and_capped,
    reopening_keeps_everything,
    anchoring_lock_is_exclusive,
    path_names_the_store,
);

#[test]
fn sqlite_log_path_is_the_file() {
    let db = TestStore::sqlite();
    let log = Log::open(Path::new(&db.location)).unwrap();
    assert_eq!(log.path(), Path::new(&db.location));
}

/// Logs written by the previous schema (version 1, as `main` wrote them before
/// fingerprints named their algorithm) open, migrate, and keep every entry, fingerprint
/// and batch root.
mod migration {
    use super::*;

    /// The version-1 SQLite schema, verbatim.
    const SQLITE_V1: &str = "
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

    /// v1 entries, including fingerprints with the top bit set, and one sealed batch.
    fn v1_rows() -> (Vec<NewEntry>, Hash) {
        let mut entries: Vec<NewEntry> = (0..6).map(entry).collect();
        entries[5].fingerprint = Some(Code::dct(u64::MAX - 4));
        let leaves = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                LeafData {
                    content_sha256: e.content_sha256,
                    manifest_id: e.manifest_id,
                    phash: e.fingerprint.as_ref().unwrap().value,
                    logged_at: 1_700_000_000 + i as u64,
                }
                .leaf_hash()
            })
            .collect();
        let root = MerkleTree::from_leaf_hashes(leaves).unwrap().root();
        (entries, root)
    }

    fn check_migrated(log: &mut Log, entries: &[NewEntry], root: Hash) {
        assert_eq!(log.status().unwrap().entries, 6);
        let b = log.batches().unwrap();
        assert_eq!((b.len(), b[0].root), (1, root));
        // The batch's entries still hash to its root (bit-exact fingerprints).
        let leaves = log
            .batch_entries(b[0].id)
            .unwrap()
            .iter()
            .map(|e| e.leaf.leaf_hash())
            .collect();
        verified_tree(&b[0], leaves).unwrap();
        for e in entries {
            let got = log.by_manifest_id(&e.manifest_id).unwrap().unwrap();
            assert_eq!(got.fingerprint_alg.as_deref(), Some(DCT_ALG));
            let code = e.fingerprint.as_ref().unwrap().value;
            let near = log.similar(code ^ 0b11, 2).unwrap();
            assert!(
                near.iter().any(|(n, d)| n.id == got.id && *d == 2),
                "{near:?}"
            );
        }
        // New entries go on as usual, with or without a fingerprint.
        let mut fresh = entry(100);
        fresh.fingerprint = None;
        log.add(&fresh).unwrap();
        assert_eq!(log.seal(10).unwrap()[0].leaf_count, 1);
    }

    #[test]
    fn sqlite_v1_log_migrates() {
        let db = TestStore::sqlite();
        let (entries, root) = v1_rows();
        {
            let conn = rusqlite::Connection::open(&db.location).unwrap();
            conn.execute_batch(SQLITE_V1).unwrap();
            conn.execute(
                "INSERT INTO batches (id, root, leaf_count, sealed_at, state) \
                 VALUES (1, ?1, 6, 1700000100, 'sealed')",
                [&root[..]],
            )
            .unwrap();
            for (i, e) in entries.iter().enumerate() {
                conn.execute(
                    "INSERT INTO entries (content_sha256, manifest_id, manifest_label, phash, \
                     logged_at, batch_id, leaf_index) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)",
                    rusqlite::params![
                        &e.content_sha256[..],
                        &e.manifest_id[..],
                        e.manifest_label,
                        e.fingerprint.as_ref().unwrap().value as i64,
                        1_700_000_000 + i as i64,
                        i as i64
                    ],
                )
                .unwrap();
            }
        }
        let mut log = db.open();
        check_migrated(&mut log, &entries, root);
        drop(log);
        // Reopening a migrated log changes nothing.
        let log = db.open();
        assert_eq!(log.status().unwrap().entries, 7);
        let conn = rusqlite::Connection::open(&db.location).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 3);
    }

    /// A version-2 log is the version-3 schema without `manifest_stores` and the label
    /// index (the only differences), at user_version 2.
    fn check_v2_migrated(location: &str, v2_entries: &[NewEntry]) {
        let mut log = Log::connect(location).unwrap();
        assert_eq!(log.status().unwrap().entries, v2_entries.len() as u64);
        for e in v2_entries {
            let got = log.by_manifest_label(&e.manifest_label).unwrap().unwrap();
            assert_eq!(got.leaf.manifest_id, e.manifest_id);
            assert!(log.manifest_store(got.id).unwrap().is_none());
            // The multi-index codes survived untouched.
            let code = e.fingerprint.as_ref().unwrap().value;
            assert!(log
                .similar(code, 0)
                .unwrap()
                .iter()
                .any(|(n, _)| n.id == got.id));
        }
        // An old entry logged again with its store gets it; new entries keep theirs.
        let old = log.add_with_store(&v2_entries[0], Some(b"jumbf")).unwrap();
        assert_eq!(
            log.manifest_store(old.id).unwrap().as_deref(),
            Some(&b"jumbf"[..])
        );
        let new = log.add_with_store(&entry(50), Some(b"new")).unwrap();
        assert_eq!(
            log.manifest_store(new.id).unwrap().as_deref(),
            Some(&b"new"[..])
        );
        drop(log);
        let log = Log::connect(location).unwrap();
        assert_eq!(log.status().unwrap().entries, v2_entries.len() as u64 + 1);
        assert_eq!(
            log.manifest_store(new.id).unwrap().as_deref(),
            Some(&b"new"[..])
        );
    }

    #[test]
    fn sqlite_v2_log_migrates() {
        let db = TestStore::sqlite();
        let entries: Vec<NewEntry> = (0..4).map(entry).collect();
        {
            let mut log = db.open();
            log.add_many(&entries).unwrap();
            log.seal(10).unwrap();
        }
        {
            let conn = rusqlite::Connection::open(&db.location).unwrap();
            conn.execute_batch(
                "DROP INDEX entries_label; DROP TABLE manifest_stores; PRAGMA user_version = 2;",
            )
            .unwrap();
        }
        check_v2_migrated(&db.location, &entries);
        let conn = rusqlite::Connection::open(&db.location).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 3);
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres_v2_store_migrates() {
        let db = super::pg::TestDb::new();
        let entries: Vec<NewEntry> = (0..4).map(entry).collect();
        {
            let mut log = Log::connect(&db.url).unwrap();
            log.add_many(&entries).unwrap();
            log.seal(10).unwrap();
        }
        {
            let mut c = ::postgres::Client::connect(&db.url, ::postgres::NoTls).unwrap();
            c.batch_execute(
                "DROP INDEX entries_label; DROP TABLE manifest_stores; \
                 UPDATE provenant_schema SET version = 2;",
            )
            .unwrap();
        }
        check_v2_migrated(&db.url, &entries);
        let mut c = ::postgres::Client::connect(&db.url, ::postgres::NoTls).unwrap();
        let v: i32 = c
            .query_one("SELECT max(version) FROM provenant_schema", &[])
            .unwrap()
            .get(0);
        assert_eq!(v, 3);
    }

    #[test]
    fn sqlite_log_from_a_newer_provenant_is_refused() {
        let db = TestStore::sqlite();
        drop(db.open());
        rusqlite::Connection::open(&db.location)
            .unwrap()
            .pragma_update(None, "user_version", 4)
            .unwrap();
        let err = Log::connect(&db.location).unwrap_err();
        assert!(err.to_string().contains("newer provenant"), "{err}");
    }

    /// The version-1 PostgreSQL schema, verbatim.
    #[cfg(feature = "postgres")]
    const POSTGRES_V1: &str = "
CREATE TABLE IF NOT EXISTS batches (
    id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    root         BYTEA NOT NULL UNIQUE CHECK (octet_length(root) = 32),
    leaf_count   BIGINT NOT NULL CHECK (leaf_count > 0),
    sealed_at    BIGINT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('sealed', 'submitted', 'mined', 'anchored')),
    chain_id     BIGINT,
    registry     BYTEA,
    publisher    BYTEA,
    tx_hash      BYTEA,
    raw_tx       BYTEA,
    nonce        BIGINT,
    block_number BIGINT,
    block_hash   BYTEA,
    block_time   BIGINT,
    submissions  BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS entries (
    id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    content_sha256 BYTEA NOT NULL CHECK (octet_length(content_sha256) = 32),
    manifest_id    BYTEA NOT NULL UNIQUE CHECK (octet_length(manifest_id) = 32),
    manifest_label TEXT NOT NULL,
    phash          BIGINT NOT NULL,
    signer         TEXT,
    path           TEXT,
    published_at   TEXT,
    logged_at      BIGINT NOT NULL,
    batch_id       BIGINT REFERENCES batches(id),
    leaf_index     BIGINT,
    CHECK ((batch_id IS NULL) = (leaf_index IS NULL))
);
CREATE INDEX IF NOT EXISTS entries_content ON entries(content_sha256);
CREATE INDEX IF NOT EXISTS entries_batch ON entries(batch_id, leaf_index);
CREATE INDEX IF NOT EXISTS entries_pending ON entries(id) WHERE batch_id IS NULL;
CREATE TABLE IF NOT EXISTS deployments (
    chain_id       BIGINT PRIMARY KEY,
    registry       BYTEA NOT NULL CHECK (octet_length(registry) = 20),
    deployed_block BIGINT
);
";

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres_v1_store_migrates() {
        let db = super::pg::TestDb::new();
        let (entries, root) = v1_rows();
        {
            let mut c = ::postgres::Client::connect(&db.url, ::postgres::NoTls).unwrap();
            c.batch_execute(
                "CREATE TABLE provenant_schema (version INTEGER NOT NULL); \
                 INSERT INTO provenant_schema VALUES (1);",
            )
            .unwrap();
            c.batch_execute(POSTGRES_V1).unwrap();
            c.execute(
                "INSERT INTO batches (id, root, leaf_count, sealed_at, state) \
                 VALUES (1, $1, 6, 1700000100, 'sealed')",
                &[&&root[..]],
            )
            .unwrap();
            for (i, e) in entries.iter().enumerate() {
                c.execute(
                    "INSERT INTO entries (content_sha256, manifest_id, manifest_label, phash, \
                     logged_at, batch_id, leaf_index) VALUES ($1, $2, $3, $4, $5, 1, $6)",
                    &[
                        &&e.content_sha256[..],
                        &&e.manifest_id[..],
                        &e.manifest_label,
                        &(e.fingerprint.as_ref().unwrap().value as i64),
                        &(1_700_000_000 + i as i64),
                        &(i as i64),
                    ],
                )
                .unwrap();
            }
            // Identity columns continue after explicit ids.
            c.batch_execute("SELECT setval(pg_get_serial_sequence('batches', 'id'), 1)")
                .unwrap();
        }
        let mut log = Log::connect(&db.url).unwrap();
        check_migrated(&mut log, &entries, root);
        drop(log);
        let log = Log::connect(&db.url).unwrap();
        assert_eq!(log.status().unwrap().entries, 7);
    }
}

#[cfg(feature = "postgres")]
mod pg {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};

    use super::*;

    /// A fresh database on the test server, dropped with this.
    pub(super) struct TestDb {
        admin: String,
        name: String,
        pub url: String,
    }

    fn server() -> String {
        std::env::var("PROVENANT_TEST_POSTGRES")
            .ok()
            .filter(|v| !v.is_empty())
            .expect(
                "PROVENANT_TEST_POSTGRES is not set: the PostgreSQL store tests need a server. \
                 Run `eval \"$(scripts/postgres.sh env)\"` (or `scripts/postgres.sh start` and \
                 export PROVENANT_TEST_POSTGRES=<the URL it prints>), then run the tests again",
            )
    }

    /// `url` with its database name replaced by `db`.
    fn with_database(url: &str, db: &str) -> String {
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (url, String::new()),
        };
        let after_scheme = base.find("://").map_or(0, |i| i + 3);
        let host_end = base[after_scheme..]
            .find('/')
            .map_or(base.len(), |i| after_scheme + i);
        format!("{}/{db}{query}", &base[..host_end])
    }

    fn admin(url: &str) -> ::postgres::Client {
        ::postgres::Client::connect(url, ::postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL server {url}: {e} (is `scripts/postgres.sh start` running?)"))
    }

    impl TestDb {
        pub fn new() -> Self {
            static N: AtomicUsize = AtomicUsize::new(0);
            let admin_url = server();
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let name = format!(
                "provenant_test_{}_{}_{nanos}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            );
            admin(&admin_url)
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .unwrap();
            Self {
                url: with_database(&admin_url, &name),
                admin: admin_url,
                name,
            }
        }
    }

    impl Drop for TestDb {
        fn drop(&mut self) {
            let _ = admin(&self.admin).batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }

    #[test]
    fn two_logs_on_one_database_see_each_others_entries() {
        let db = TestDb::new();
        let mut a = Log::connect(&db.url).unwrap();
        let mut b = Log::connect(&db.url).unwrap();
        let ea = a.add(&entry(1)).unwrap();
        let eb = b.add(&entry(2)).unwrap();
        assert_eq!(
            b.by_manifest_id(&entry(1).manifest_id).unwrap(),
            Some(ea.clone())
        );
        assert_eq!(a.by_content(&entry(2).content_sha256).unwrap(), vec![eb]);
        // The same manifest through the other log is the same entry.
        assert_eq!(b.add(&entry(1)).unwrap(), ea);
        let sealed = b.seal(10).unwrap();
        assert_eq!(sealed.len(), 1);
        assert_eq!(a.batches().unwrap(), sealed);
        assert_eq!(a.status().unwrap().pending_entries, 0);
    }

    #[test]
    fn concurrent_seals_never_double_batch() {
        const ENTRIES: u64 = 300;
        const SEALERS: usize = 4;
        let db = TestDb::new();
        let mut log = Log::connect(&db.url).unwrap();
        log.add_many(&(0..ENTRIES / 2).map(entry).collect::<Vec<_>>())
            .unwrap();
        let barrier = Arc::new(Barrier::new(SEALERS + 1));
        let mut threads = Vec::new();
        for t in 0..SEALERS {
            let url = db.url.clone();
            let barrier = barrier.clone();
            threads.push(std::thread::spawn(move || {
                let mut log = Log::connect(&url).unwrap();
                barrier.wait();
                let mut sealed = Vec::new();
                for round in 0..20 {
                    // Writers keep adding while the others seal.
                    if t == 0 && round < 15 {
                        let from = ENTRIES / 2 + round * 10;
                        log.add_many(&(from..from + 10).map(entry).collect::<Vec<_>>())
                            .unwrap();
                    }
                    sealed.extend(log.seal(7).unwrap());
                }
                sealed
            }));
        }
        barrier.wait();
        let mut sealed: Vec<Batch> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        sealed.extend(log.seal(7).unwrap());
        let total: u64 = sealed.iter().map(|b| b.leaf_count).sum();
        assert_eq!(total, ENTRIES, "every entry sealed exactly once");
        assert_eq!(log.batches().unwrap().len(), sealed.len());
        let st = log.status().unwrap();
        assert_eq!((st.entries, st.pending_entries), (ENTRIES, 0));
        for b in &sealed {
            let leaves = log
                .batch_entries(b.id)
                .unwrap()
                .iter()
                .map(|e| e.leaf.leaf_hash())
                .collect();
            verified_tree(b, leaves).unwrap();
        }
    }

    #[test]
    fn concurrent_schema_creation() {
        let db = TestDb::new();
        let barrier = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let url = db.url.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut log = Log::connect(&url).unwrap();
                    log.add(&entry(i)).unwrap();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let log = Log::connect(&db.url).unwrap();
        assert_eq!(log.status().unwrap().entries, 8);
    }

    #[test]
    fn advisory_anchoring_lock_excludes_a_second_holder() {
        let db = TestDb::new();
        let a = Log::connect(&db.url).unwrap();
        let b = Log::connect(&db.url).unwrap();
        let held = a.anchoring_lock().unwrap();
        let err = b.anchoring_lock().unwrap_err();
        assert!(matches!(err, LogError::Busy(_)), "{err}");
        assert!(err.to_string().contains("another anchoring run"), "{err}");
        // Not reentrant within a process either: a second lock from the same log fails.
        assert!(matches!(a.anchoring_lock(), Err(LogError::Busy(_))));
        drop(held);
        let _b = b.anchoring_lock().unwrap();
    }

    #[test]
    fn bad_url_and_unreachable_server_are_clear_errors() {
        let err = Log::connect("postgres://user:hunter2@127.0.0.1:1/nothing").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, LogError::Connect { .. }), "{msg}");
        assert!(msg.contains("cannot connect"), "{msg}");
        assert!(msg.contains("postgres://user@127.0.0.1:1/nothing"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");

        let err = Log::connect("postgresql://user:hunter2@[bad/x?password=hunter2").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, LogError::Location(_)), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");

        let err =
            Log::connect("postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=nope").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");

        // A database that does not exist on a server that does.
        let missing = with_database(&server(), "provenant_no_such_database");
        let err = Log::connect(&missing).unwrap_err();
        assert!(
            err.to_string().contains("provenant_no_such_database"),
            "{err}"
        );
    }

    #[test]
    fn redaction() {
        use super::super::postgres::redact;
        assert_eq!(
            redact("postgres://u:pw@h:1/db?sslmode=disable&password=pw"),
            "postgres://u@h:1/db?sslmode=disable"
        );
        assert_eq!(redact("postgresql://h/db"), "postgresql://h/db");
        assert_eq!(
            with_database("postgres://u@h:1/a?x=1", "b"),
            "postgres://u@h:1/b?x=1"
        );
        assert_eq!(with_database("postgres://u@h:1", "b"), "postgres://u@h:1/b");
    }
}
