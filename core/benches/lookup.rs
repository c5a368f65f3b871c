//! Similarity lookup at scale: fills a chronology store with N entries of random 64-bit
//! fingerprints through the log's own insert path ([`Log::add_many`], batches of
//! 20,000 entries per transaction), then times lookups at several radii.
//!
//! Prints one line per measurement: insert rate, store size on disk, and p50/p99
//! latency of `Log::similar_code` (the multi-index search) and of the linear scan.
//!
//!   cargo bench -p provenant-core --no-default-features --features postgres --bench lookup -- [N] [LOCATION]
//!
//! `LOCATION` is a SQLite file (default: a temporary one) or a `postgres://` URL (an
//! empty database). A store that already holds N entries is reused, not refilled.
//! `scripts/bench-lookup.sh` runs the whole table.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Instant;

use provenant_core::chronology::merkle::leaf_hash;
use provenant_core::chronology::{is_postgres_url, Code, Log, NewEntry};

const ALG: &str = "bench-random-v1";

/// Deterministic pseudo-random codes (splitmix64), so two runs fill the same store.
fn code(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn entry(i: u64) -> NewEntry {
    NewEntry {
        content_sha256: leaf_hash(&i.to_be_bytes()),
        manifest_id: leaf_hash(&(!i).to_be_bytes()),
        manifest_label: format!("urn:c2pa:bench-{i}"),
        fingerprint: Some(Code::new(ALG, code(i))),
        extra_codes: Vec::new(),
        signer: None,
        path: None,
        published_at: None,
    }
}

/// The log's chunk layout (`codes.rs`: 22 + 21 + 21 bits), for the bulk load below.
/// A mismatch would make the multi-index search miss bulk-loaded codes; the benchmark
/// checks it against the linear scan.
const CHUNKS: [(u32, u32); 3] = [(42, 22), (21, 21), (0, 21)];

fn chunk(code: u64, i: usize) -> i64 {
    let (shift, bits) = CHUNKS[i];
    ((code >> shift) & ((1u64 << bits) - 1)) as i64
}

const DROP_INDEXES: &str = "DROP INDEX IF EXISTS entry_codes_c0; \
     DROP INDEX IF EXISTS entry_codes_c1; DROP INDEX IF EXISTS entry_codes_c2;";
const CREATE_INDEXES: &str =
    "CREATE INDEX entry_codes_c0 ON entry_codes(kind, c0, code, entry_id); \
     CREATE INDEX entry_codes_c1 ON entry_codes(kind, c1, code, entry_id); \
     CREATE INDEX entry_codes_c2 ON entry_codes(kind, c2, code, entry_id);";

/// The bulk path: entries `from..n` written straight into the store's tables (the log's
/// schema), chunk indexes dropped during the load and built after it.
fn bulk_load(location: &str, from: u64, n: u64) {
    if is_postgres_url(location) {
        use std::io::Write;
        let mut c = postgres::Client::connect(location, postgres::NoTls).unwrap();
        let kind: i32 = c
            .query_one("SELECT id FROM code_kinds WHERE name = $1", &[&ALG])
            .unwrap()
            .get(0);
        c.batch_execute(DROP_INDEXES).unwrap();
        let mut w = c
            .copy_in(
                "COPY entries (id, content_sha256, manifest_id, manifest_label, phash, logged_at, \
                 fp_alg) FROM STDIN",
            )
            .unwrap();
        for i in from..n {
            let e = entry(i);
            writeln!(
                w,
                "{}\t\\\\x{}\t\\\\x{}\t{}\t{}\t1700000000\t{ALG}",
                i + 1,
                hex::encode(e.content_sha256),
                hex::encode(e.manifest_id),
                e.manifest_label,
                code(i) as i64
            )
            .unwrap();
        }
        w.finish().unwrap();
        let mut w = c
            .copy_in("COPY entry_codes (entry_id, kind, code, c0, c1, c2) FROM STDIN")
            .unwrap();
        for i in from..n {
            let k = code(i);
            writeln!(
                w,
                "{}\t{kind}\t{}\t{}\t{}\t{}",
                i + 1,
                k as i64,
                chunk(k, 0),
                chunk(k, 1),
                chunk(k, 2)
            )
            .unwrap();
        }
        w.finish().unwrap();
        c.batch_execute(CREATE_INDEXES).unwrap();
        c.batch_execute(
            "SELECT setval(pg_get_serial_sequence('entries', 'id'), (SELECT max(id) FROM entries))",
        )
        .unwrap();
        c.batch_execute("VACUUM ANALYZE").unwrap();
    } else {
        let mut c = rusqlite::Connection::open(location).unwrap();
        // A rollback journal for the load: WAL would hold a copy of every new page
        // until the checkpoint (twice the disk).
        c.execute_batch(
            "PRAGMA journal_mode = DELETE; PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000;",
        )
        .unwrap();
        let kind: i64 = c
            .query_row("SELECT id FROM code_kinds WHERE name = ?1", [ALG], |r| {
                r.get(0)
            })
            .unwrap();
        c.execute_batch(DROP_INDEXES).unwrap();
        let tx = c.transaction().unwrap();
        {
            let mut ins = tx
                .prepare(
                    "INSERT INTO entries (id, content_sha256, manifest_id, manifest_label, phash, \
                     logged_at, fp_alg) VALUES (?1, ?2, ?3, ?4, ?5, 1700000000, ?6)",
                )
                .unwrap();
            let mut codes = tx
                .prepare(
                    "INSERT INTO entry_codes (entry_id, kind, code, c0, c1, c2) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .unwrap();
            for i in from..n {
                let e = entry(i);
                let k = code(i);
                ins.execute(rusqlite::params![
                    (i + 1) as i64,
                    &e.content_sha256[..],
                    &e.manifest_id[..],
                    e.manifest_label,
                    k as i64,
                    ALG
                ])
                .unwrap();
                codes
                    .execute(rusqlite::params![
                        (i + 1) as i64,
                        kind,
                        k as i64,
                        chunk(k, 0),
                        chunk(k, 1),
                        chunk(k, 2)
                    ])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
        c.execute_batch(CREATE_INDEXES).unwrap();
        c.execute_batch("ANALYZE; PRAGMA journal_mode = WAL;")
            .unwrap();
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn size_on_disk(location: &str, log: &Log) -> String {
    if is_postgres_url(location) {
        let mut c = postgres::Client::connect(location, postgres::NoTls).unwrap();
        let row = c
            .query_one(
                "SELECT pg_database_size(current_database()), \
                 (SELECT sum(pg_relation_size(indexrelid)) FROM pg_index i \
                  JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = 'entry_codes')::bigint, \
                 pg_total_relation_size('entry_codes')",
                &[],
            )
            .unwrap();
        let (db, idx, codes): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        format!(
            "database {:.0} MiB, entry_codes {:.0} MiB of which chunk indexes {:.0} MiB",
            db as f64 / 1048576.0,
            codes as f64 / 1048576.0,
            idx as f64 / 1048576.0
        )
    } else {
        let file = std::fs::metadata(log.path()).map(|m| m.len()).unwrap_or(0);
        let c = rusqlite::Connection::open(log.path()).unwrap();
        let idx: i64 = c
            .query_row(
                "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'entry_codes_c%'",
                [],
                |r| r.get(0),
            )
            .unwrap_or(-1);
        let idx = if idx < 0 {
            "n/a (no dbstat in this SQLite)".to_owned()
        } else {
            format!("{:.0} MiB", idx as f64 / 1048576.0)
        };
        format!(
            "file {:.0} MiB, chunk indexes {idx}",
            file as f64 / 1048576.0
        )
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let n: u64 = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let location = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| dir.path().join("lookup-bench.sqlite").display().to_string());
    let mut log = Log::connect(&location).unwrap();
    let have = log.status().unwrap().entries;
    // Entries up to PATH_N (default 100,000) go through the log's own insert path; the
    // rest through the bulk path.
    let path_n: u64 = std::env::var("PATH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
        .min(n);
    if have < path_n {
        let chunk = 20_000u64;
        let t = Instant::now();
        let mut i = have;
        while i < path_n {
            let batch: Vec<NewEntry> = (i..(i + chunk).min(path_n)).map(entry).collect();
            log.add_many(&batch).unwrap();
            i += batch.len() as u64;
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "insert {} entries through Log::add_many (20k per transaction): {secs:.1} s, {:.0} entries/s",
            path_n - have,
            (path_n - have) as f64 / secs
        );
    }
    let have = log.status().unwrap().entries.max(path_n);
    if have < n {
        drop(log);
        let t = Instant::now();
        bulk_load(&location, have, n);
        let secs = t.elapsed().as_secs_f64();
        println!(
            "bulk load of {} entries (rows written directly, chunk indexes rebuilt): {secs:.1} s, {:.0} entries/s",
            n - have,
            (n - have) as f64 / secs
        );
        log = Log::connect(&location).unwrap();
    }
    // The bulk load used the same chunk layout as the log: the search finds what a
    // scan finds.
    for q in [code(n - 1) ^ 0b111, code(n / 2) ^ (0b1 << 40)] {
        let a = log.similar_code(&Code::new(ALG, q), 8).unwrap();
        let b = log.similar_scan(&Code::new(ALG, q), 8).unwrap();
        assert_eq!(a, b, "multi-index search and scan disagree");
        assert!(!a.is_empty());
    }
    println!("store {location} n={n}: {}", size_on_disk(&location, &log));

    // Queries: a stored code with a few bits flipped (a near copy), and fresh random
    // codes (the usual case: nothing near).
    let queries: Vec<u64> = (0..200u64)
        .map(|q| {
            if q % 2 == 0 {
                code((q * 7919) % n) ^ (0b1011 << (q % 50))
            } else {
                code(u64::MAX - q)
            }
        })
        .collect();
    for d in [4u32, 8, 10, 12] {
        let mut times = Vec::with_capacity(queries.len());
        let mut found = 0usize;
        for &q in &queries {
            let t = Instant::now();
            found += log.similar_code(&Code::new(ALG, q), d).unwrap().len();
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "multi-index d={d}: p50 {:.2} ms, p99 {:.2} ms over {} lookups ({found} matches)",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            times.len()
        );
    }
    if std::env::var_os("LOOKUP_SCAN").is_some() {
        let mut times = Vec::new();
        for &q in queries.iter().take(10) {
            let t = Instant::now();
            log.similar_scan(&Code::new(ALG, q), 8).unwrap();
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "linear scan d=8: p50 {:.1} ms over {} lookups",
            percentile(&times, 0.5),
            times.len()
        );
    }
}
