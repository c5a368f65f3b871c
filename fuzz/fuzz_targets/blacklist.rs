//! Blacklist snapshots and decryption shares come from outside (files, the chain, other
//! curators): parsing and checking them must not panic, a snapshot signed by nobody we
//! trust must never open, and a hostile report never makes `apply` panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_core::blacklist::{Blacklist, Snapshot};
use provenant_core::blacklist::capture::threshold::{self, DecryptionShare, GroupKey};

fuzz_target!(|data: &[u8]| {
    // Nobody is trusted: opening must fail, whatever the bytes.
    assert!(Snapshot::open(data, &[], 0).is_err());
    if let Ok(snap) = serde_json::from_slice::<Snapshot>(data) {
        if let Ok(mut list) = Blacklist::from_snapshot(&snap, "fuzz") {
            if let Ok(mut report) = serde_json::from_slice(data) {
                list.apply(&mut report);
            }
        }
    }
    if data.len() >= 32 * 4 + 2 {
        let b = |i: usize| -> [u8; 32] { data[2 + 32 * i..2 + 32 * (i + 1)].try_into().unwrap_or([0; 32]) };
        let group = GroupKey { threshold: 1, curators: 1, public: b(0), commitments: vec![b(0)] };
        let ds = DecryptionShare { index: data[0], point: b(1), proof_c: b(2), proof_z: b(3) };
        let _ = threshold::verify_decryption_share(&group, &b(1), &ds);
        let _ = threshold::combine(&group, &b(2), &[ds]);
    }
});
