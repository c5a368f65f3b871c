//! Camera blacklist costs, one run:
//!   cargo run --release -p provenant-core --example blacklist_bench [-- ENTRIES...]
//! - capture overhead: signing a sample picture with and without the capture tag;
//! - blacklist check per image at each entry count (first photo of a day, which derives
//!   every entry's key for that day, and the steady state after);
//! - signed snapshot size at each entry count.
#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::time::Instant;

use provenant_core::blacklist::capture::tag::{self, epoch_key_at};
use provenant_core::blacklist::capture::threshold;
use provenant_core::blacklist::device::{capture_stream, SecureElement};
use provenant_core::blacklist::{Blacklist, DeviceEntry, Snapshot, SnapshotBody, SnapshotSource};
use provenant_core::credentials::keys::{generate, write_key_dir, KeygenOptions};
use provenant_core::credentials::report::{CaptureTag, Report};
use provenant_core::credentials::sign::{sign_stream, SignRequest};
use provenant_core::credentials::signer::KeyFileSigner;
use rand_core::{OsRng, RngCore};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn random32() -> [u8; 32] {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    b
}

fn main() {
    let counts: Vec<usize> = {
        let args: Vec<usize> = std::env::args()
            .skip(1)
            .filter_map(|a| a.parse().ok())
            .collect();
        if args.is_empty() {
            vec![1_000, 100_000]
        } else {
            args
        }
    };
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../samples/harbour-capture.jpg"
    ))
    .unwrap();

    // Capture overhead.
    let dir = tempfile::tempdir().unwrap();
    write_key_dir(
        dir.path(),
        &generate(&KeygenOptions::default()).unwrap(),
        false,
    )
    .unwrap();
    let (group, _) = threshold::deal(2, 3, &mut OsRng).unwrap();
    let today = tag::epoch_of(1_795_000_000);
    SecureElement::create(dir.path(), group.public, today).unwrap();
    let identity = KeyFileSigner::load(dir.path()).unwrap();
    let (mut plain, mut tagged) = (Vec::new(), Vec::new());
    for _ in 0..25 {
        let t = Instant::now();
        let mut out = Cursor::new(Vec::new());
        sign_stream(
            &mut Cursor::new(&sample),
            &mut out,
            identity.as_signer(),
            &SignRequest::default(),
        )
        .unwrap();
        plain.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let mut out = Cursor::new(Vec::new());
        capture_stream(
            &mut Cursor::new(&sample),
            &mut out,
            dir.path(),
            today,
            "2026-11-20T00:00:00Z".into(),
        )
        .unwrap();
        tagged.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mut element = SecureElement::open(dir.path()).unwrap();
    let t = Instant::now();
    for _ in 0..200 {
        element.tag_photo(today, [7u8; 32]).unwrap();
    }
    let tag_only = t.elapsed().as_secs_f64() * 1e3 / 200.0;
    println!(
        "capture ({} KiB JPEG, median of 25): sign {:.2} ms, sign + capture tag {:.2} ms, overhead {:.2} ms; tag + escrow alone {:.3} ms",
        sample.len() / 1024,
        median(plain.clone()),
        median(tagged.clone()),
        median(tagged) - median(plain),
        tag_only
    );

    // Blacklist checks.
    for &n in &counts {
        let key_signer = ed25519_dalek::SigningKey::from_bytes(&random32());
        let devices: Vec<DeviceEntry> = (0..n)
            .map(|i| {
                let k = random32();
                let key_epoch = today - (i as u32 % 365);
                let r = random32();
                DeviceEntry {
                    id: i as u64 + 1,
                    curator_set: 1,
                    epoch_key: hex::encode(k),
                    key_epoch,
                    start_epoch: key_epoch,
                    evidence_hash: hex::encode(random32()),
                    evidence_r: hex::encode(r),
                    evidence_tag: hex::encode(tag::tag(&k, &r)),
                    reason: "benchmark entry with a reason of typical length (report 12345)".into(),
                }
            })
            .collect();
        let body = SnapshotBody {
            format: provenant_core::blacklist::SNAPSHOT_FORMAT.into(),
            source: SnapshotSource {
                chain_id: 137,
                registry: format!("0x{}", "ab".repeat(20)),
                curator_sets: vec![1],
                block_number: 1,
            },
            issued_at: "2026-11-22T00:00:00Z".into(),
            expires_at: "2026-11-23T00:00:00Z".into(),
            devices: devices.clone(),
            certificates: Vec::new(),
        };
        let snap = serde_json::to_vec(&Snapshot::sign(body, &key_signer)).unwrap();
        let t = Instant::now();
        let opened = Snapshot::open(
            &snap,
            &[key_signer.verifying_key().to_bytes()],
            1_795_000_000,
        )
        .unwrap();
        let mut list = Blacklist::from_snapshot(&opened, "bench").unwrap();
        let load = t.elapsed().as_secs_f64() * 1e3;

        // A photo of a listed camera, and photos of unlisted ones, all taken today.
        let report_for = |k: &[u8; 32], key_epoch: u32| {
            let r = random32();
            let kd = epoch_key_at(k, key_epoch, today).unwrap();
            let mut report: Report = serde_json::from_str(r#"{"report_version":1,"verdict":"trusted","file":null,"format":"image/jpeg","sha256":"00","size":1,"codes":[],"chain":[]}"#).unwrap();
            let mut step: provenant_core::ChainStep = serde_json::from_value(serde_json::json!({
                "index":0,"manifest":"m","parent":null,"relationship":"active","title":null,"format":null,"claim_generator":null,
                "signer":{"common_name":null,"issuer":null,"alg":null,"serial_number":null},"time":null,"time_source":null,
                "actions":[],"ingredients":[],"digital_source_type":null,"ai_generated":false,"trust":"trusted","status":"trusted",
                "failures":[],"manifest_id":null,"anchor":null,"chronology_endpoint":null})).unwrap();
            step.capture = Some(CaptureTag {
                epoch: today,
                r: hex::encode(r),
                tag: hex::encode(tag::tag(&kd, &r)),
            });
            report.chain.push(step);
            report
        };
        let t = Instant::now();
        let mut first = report_for(&random32(), today);
        list.apply(&mut first);
        let first_ms = t.elapsed().as_secs_f64() * 1e3;
        let mut times = Vec::new();
        for i in 0..41 {
            let mut report = if i == 0 {
                let d = &devices[n / 2];
                report_for(
                    &provenant_core::blacklist::capture::assertion::hex32(&d.epoch_key).unwrap(),
                    d.key_epoch,
                )
            } else {
                report_for(&random32(), today)
            };
            let t = Instant::now();
            list.apply(&mut report);
            times.push(t.elapsed().as_secs_f64() * 1e3);
            assert_eq!(report.blacklisted, i == 0);
        }
        println!(
            "{n} device entries: snapshot {:.1} MiB ({} bytes), load + check {:.0} ms; first photo of a day {:.0} ms (derives each entry's key for the day, up to 364 ratchet steps); then {:.2} ms per image (median of 41)",
            snap.len() as f64 / 1_048_576.0,
            snap.len(),
            load,
            first_ms,
            median(times)
        );
    }
}
