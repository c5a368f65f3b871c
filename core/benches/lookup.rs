//! Similarity lookup at scale: fills a chronology store with N entries of random 64-bit
//! fingerprints through the log's own insert path ([`Log::add_many`], batches of
//! 20,000 entries per transaction), then times lookups at several radii.
//!
//! Prints one line per measurement: insert rate, store size on disk, and p50/p99
//! latency of `Log::similar_code` (the multi-index search) and of the linear scan.
//!
//!   cargo bench -p provenant-core --bench lookup -- [N] [LOCATION]
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
    if have < n {
        let chunk = 20_000u64;
        let t = Instant::now();
        let mut last = (Instant::now(), have);
        let mut i = have;
        while i < n {
            let batch: Vec<NewEntry> = (i..(i + chunk).min(n)).map(entry).collect();
            log.add_many(&batch).unwrap();
            i += batch.len() as u64;
            if i % 1_000_000 == 0 || i == n {
                eprintln!(
                    "inserted {i}: {:.0} entries/s since {}",
                    (i - last.1) as f64 / last.0.elapsed().as_secs_f64(),
                    last.1
                );
                last = (Instant::now(), i);
            }
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "insert {} entries: {secs:.1} s, {:.0} entries/s (Log::add_many, 20k per transaction)",
            n - have,
            (n - have) as f64 / secs
        );
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
