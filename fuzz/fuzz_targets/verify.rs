//! Bytes in, report out: the verify entry point must never panic, and with no
//! trust anchors it must never say "trusted".
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_core::credentials::verify::{verify_bytes, VerifyOptions};
use provenant_core::Verdict;

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = verify_bytes(data, &VerifyOptions::default()) {
        assert_ne!(report.verdict, Verdict::Trusted);
        for (i, step) in report.chain.iter().enumerate() {
            assert_eq!(step.index, i);
            assert!(step.parent.is_none_or(|p| p < report.chain.len()));
        }
        assert!(serde_json::to_string(&report).is_ok());
    }
});
