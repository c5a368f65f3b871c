//! The attack: an older, still unexpired blacklist snapshot — one from before a camera
//! was listed — swapped in for the newer one, so the camera passes again. A verifier
//! remembers the newest block it saw per source (chain, registry, curator sets) and
//! refuses to go back.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{code, command, fixtures, s, stderr};
use provenant_core::blacklist::CertificateEntry;

fn snapshot(dir: &Path, name: &str, registry: &str, block: u64) -> std::path::PathBuf {
    let entry = CertificateEntry {
        id: block,
        curator_set: 1,
        fingerprint: "ab".repeat(32),
        reason: format!("entry of block {block}"),
    };
    let (json, _) =
        common::signed_snapshot((137, registry, block), Vec::new(), vec![entry], [9; 32]);
    let path = dir.join(name);
    std::fs::write(&path, json).unwrap();
    path
}

#[test]
fn an_older_snapshot_does_not_replace_a_newer_one() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let key = hex::encode(
        ed25519_dalek::SigningKey::from_bytes(&[9; 32])
            .verifying_key()
            .to_bytes(),
    );
    let registry = format!("0x{}", "11".repeat(20));
    let newer = snapshot(dir.path(), "newer.json", &registry, 1000);
    let older = snapshot(dir.path(), "older.json", &registry, 900);
    let other = snapshot(
        dir.path(),
        "other.json",
        &format!("0x{}", "22".repeat(20)),
        5,
    );
    let file = fixtures().join("c2pa-rs/C.jpg");
    let verify = |snap: &Path| {
        command(&home)
            .args([
                "verify",
                s(&file),
                "--policy",
                "valid",
                "--blacklist",
                s(snap),
                "--blacklist-key",
                &key,
            ])
            .output()
            .unwrap()
    };
    assert_eq!(code(&verify(&newer)), 0, "{}", stderr(&verify(&newer)));
    let o = verify(&older);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("older than block 1000"),
        "{}",
        stderr(&o)
    );
    // The same snapshot again, and another source's, are fine.
    assert_eq!(code(&verify(&newer)), 0);
    assert_eq!(code(&verify(&other)), 0, "{}", stderr(&verify(&other)));
}
