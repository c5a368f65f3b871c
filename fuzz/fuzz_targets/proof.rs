//! Proof bundles and sidecars come from anyone (files, manifests, endpoints): parsing
//! must not panic, must round-trip exactly, and checking a path must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_core::chronology::proof::{ProofBundle, ProofSet};

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = ProofBundle::decode(data) {
        assert_eq!(bundle.encode(), data, "binary form must round-trip exactly");
        let _ = bundle.path_is_valid();
        assert!(bundle.index < bundle.leaf_count);
    }
    if let Ok(set) = ProofSet::parse(data) {
        let (ok, _bad) = set.bundles();
        for b in ok {
            let _ = b.path_is_valid();
        }
    }
});
