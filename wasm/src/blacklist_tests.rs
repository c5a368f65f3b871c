//! Rollback and poisoning of the remembered snapshot blocks (issue 12 item 7).

use super::*;
use ed25519_dalek::SigningKey;
use provenant_core::blacklist::{DeviceEntry, SnapshotBody, SNAPSHOT_FORMAT};

const NOW: u64 = 1_800_000_000;
const HUGE: u64 = u64::MAX;

fn report() -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/c2pa-rs/C.jpg");
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    crate::verify_to_json(&bytes, "", None).unwrap()
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn hex_key(seed: u8) -> String {
    hex::encode(key(seed).verifying_key().as_bytes())
}

fn body(block: u64, expires: &str, devices: Vec<DeviceEntry>) -> SnapshotBody {
    SnapshotBody {
        format: SNAPSHOT_FORMAT.into(),
        source: SnapshotSource {
            chain_id: 31337,
            registry: format!("0x{}", "Ab".repeat(20)),
            curator_sets: vec![2, 1],
            block_number: block,
        },
        issued_at: "2026-01-01T00:00:00Z".into(),
        expires_at: expires.into(),
        devices,
        certificates: vec![],
    }
}

fn signed(block: u64, seed: u8) -> String {
    serde_json::to_string(&Snapshot::sign(
        body(block, "2099-01-01T00:00:00Z", vec![]),
        &key(seed),
    ))
    .unwrap()
}

fn apply(snapshot: &str, seen: &str) -> Result<Applied, WasmError> {
    apply_blacklist_seen(&report(), snapshot, &hex_key(1), NOW, seen)
}

#[test]
fn an_older_snapshot_is_refused_a_newer_or_equal_one_is_used() {
    let first = apply(&signed(20, 1), "").unwrap();
    // The key is the core's: chain, lower-cased registry, sorted curator sets.
    assert_eq!(
        first.source_key,
        format!("31337:0x{}:[1, 2]", "ab".repeat(20))
    );
    assert_eq!(first.block, 20);
    let v: serde_json::Value = serde_json::from_str(&first.report_json).unwrap();
    assert!(v["blacklist_source"].as_str().unwrap().contains("block 20"));
    let seen = serde_json::json!({ first.source_key.clone(): "20" }).to_string();
    let older = apply(&signed(19, 1), &seen).unwrap_err();
    assert_eq!(older.code, "blacklist.invalid");
    assert!(
        older.message.contains(
            "was read at block 19, older than block 20 of the snapshot this verifier saw before"
        ),
        "{}",
        older.message
    );
    assert_eq!(apply(&signed(20, 1), &seen).unwrap().block, 20);
    assert_eq!(apply(&signed(21, 1), &seen).unwrap().block, 21);
    // Another source is tracked on its own; a number is read as well as a string.
    let elsewhere = serde_json::json!({ "1:0x00:[1]": "999" }).to_string();
    assert_eq!(apply(&signed(19, 1), &elsewhere).unwrap().block, 19);
    let as_number = format!("{{\"{}\": 20}}", first.source_key);
    assert!(apply(&signed(19, 1), &as_number).is_err());
    let max = format!("{{\"{}\": \"{HUGE}\"}}", first.source_key);
    assert!(apply(&signed(HUGE - 1, 1), &max).is_err());
}

#[test]
fn a_snapshot_that_does_not_open_is_never_to_be_remembered() {
    // Every one claims the highest block: each must fail, so the caller records nothing.
    let untrusted = signed(HUGE, 2);
    let mut bad_sig: serde_json::Value = serde_json::from_str(&signed(5, 1)).unwrap();
    bad_sig["body"]["source"]["block_number"] = HUGE.into();
    let expired = serde_json::to_string(&Snapshot::sign(
        body(HUGE, "2020-01-01T00:00:00Z", vec![]),
        &key(1),
    ))
    .unwrap();
    let bad_entry = DeviceEntry {
        id: 1,
        curator_set: 1,
        epoch_key: "00".repeat(32),
        key_epoch: 1,
        start_epoch: 1,
        evidence_hash: "11".repeat(32),
        evidence_r: "22".repeat(32),
        evidence_tag: "33".repeat(32),
        reason: "does not reproduce its tag".into(),
    };
    let bad_entry = serde_json::to_string(&Snapshot::sign(
        body(HUGE, "2099-01-01T00:00:00Z", vec![bad_entry]),
        &key(1),
    ))
    .unwrap();
    for (what, snap, want) in [
        ("untrusted key", untrusted, "not a trusted blacklist key"),
        (
            "bad signature",
            bad_sig.to_string(),
            "signature does not verify",
        ),
        ("expired", expired, "expired"),
        ("bad entry", bad_entry, "blacklist entry 1"),
    ] {
        let e = apply(&snap, "").unwrap_err();
        assert!(e.message.contains(want), "{what}: {}", e.message);
    }
}

#[test]
fn an_unreadable_record_is_an_error_not_a_pass() {
    for seen in [
        "[1]",
        "{\"k\": \"x\"}",
        "{\"k\": -1}",
        "{\"k\": null}",
        "not json",
    ] {
        let e = apply(&signed(5, 1), seen).unwrap_err();
        assert!(
            e.message
                .contains("record of blacklist snapshots seen is unreadable"),
            "{seen}: {}",
            e.message
        );
    }
    assert_eq!(parse_seen(" ").unwrap().len(), 0);
}
