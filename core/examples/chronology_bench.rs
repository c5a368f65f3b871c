//! Chronology at scale: log N entries, seal them into one Merkle batch, build one
//! proof, and run perceptual lookups over all N. Prints times, peak memory and sizes.
//!
//!   cargo run --release -p provenant-core --no-default-features --features chronology \
//!       --example chronology_bench -- 1000000
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use provenant_core::chronology::merkle::leaf_hash;
use provenant_core::chronology::{Code, Inclusion, Log, NewEntry, LOG_FILE};

/// Peak resident memory of this process so far (Linux), in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(&dir.path().join(LOG_FILE)).unwrap();

    let t = Instant::now();
    let chunk = 100_000;
    let mut i = 0;
    while i < n {
        let entries: Vec<NewEntry> = (i..(i + chunk).min(n))
            .map(|k| NewEntry {
                content_sha256: leaf_hash(&k.to_le_bytes()),
                manifest_id: leaf_hash(&(k ^ 0xdead_beef).to_be_bytes()),
                manifest_label: format!("urn:c2pa:{k:016x}"),
                fingerprint: Some(Code::dct(k.wrapping_mul(0x9E37_79B9_7F4A_7C15))),
                extra_codes: Vec::new(),
                signer: Some("Bench Desk".into()),
                path: None,
                published_at: None,
            })
            .collect();
        log.add_many(&entries).unwrap();
        i += chunk;
    }
    let logging = t.elapsed();
    let rss_before_seal = peak_rss_mib();

    let t = Instant::now();
    let batches = log.seal(n).unwrap();
    let sealing = t.elapsed();
    let rss_after_seal = peak_rss_mib();
    let batch = &batches[0];
    assert_eq!(batch.leaf_count, n);

    // Pretend the batch is on chain so the log hands out proof bundles.
    log.record_submission(batch.id, 137, [1; 20], [2; 32], b"raw", 0)
        .unwrap();
    let at = Inclusion {
        chain_id: 137,
        registry: [1; 20],
        publisher: [4; 20],
        tx_hash: [2; 32],
        block_number: 65_000_000,
        block_hash: [3; 32],
        block_time: 1_800_000_000,
    };
    log.record_mined(batch.id, &at).unwrap();
    let entry = log.entry((n / 2) as i64 + 1).unwrap().unwrap();
    let t = Instant::now();
    let bundle = log.bundle(&entry).unwrap().unwrap();
    let proving = t.elapsed();
    assert!(bundle.path_is_valid());
    let proof_bytes = bundle.encode().len();
    let sidecar_bytes = provenant_core::chronology::proof::ProofSet::from_bundles(
        std::slice::from_ref(&bundle),
        None,
    )
    .to_json()
    .len();

    let mut lookups = Vec::new();
    for q in 0..9u64 {
        let query = (q * 7919).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0b1011;
        let t = Instant::now();
        let found = log.similar(query, 10).unwrap();
        lookups.push(t.elapsed());
        assert!(!found.is_empty());
    }
    lookups.sort();
    let db_mib = std::fs::metadata(dir.path().join(LOG_FILE))
        .map(|m| m.len() as f64 / (1024.0 * 1024.0))
        .unwrap_or(f64::NAN);

    println!("entries:                 {n}");
    println!("logging (add_many):      {:.2} s", logging.as_secs_f64());
    println!("sealing into one batch:  {:.2} s", sealing.as_secs_f64());
    println!(
        "peak RSS:                {rss_before_seal:.0} MiB before sealing, {rss_after_seal:.0} MiB after"
    );
    println!(
        "proof of one entry:      {:.0} ms (recomputes the batch's tree), {} path elements, {proof_bytes} bytes binary, {sidecar_bytes} bytes as a sidecar",
        proving.as_secs_f64() * 1e3,
        bundle.siblings.len()
    );
    println!(
        "perceptual lookup:       median {:.0} ms, max {:.0} ms over {n} entries (9 queries)",
        lookups[4].as_secs_f64() * 1e3,
        lookups[8].as_secs_f64() * 1e3
    );
    println!("log file:                {db_mib:.0} MiB");
}
