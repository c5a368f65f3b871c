//! The sans-IO anchor check's decoders of RPC answers: `eth_call` results of
//! `verifyLeaf` and `publisherOf` and the RFC 3339 times around them come from an RPC
//! node nobody vouches for. Never a panic; a confirmation only from a well-formed
//! answer, never already final (finality is asked separately); times round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_core::anchor::check::{
    decode_publisher_name, decode_verify_leaf, parse_rfc3339, rfc3339,
};

fuzz_target!(|data: &[u8]| {
    if let Some(answer) = decode_verify_leaf(data) {
        assert_eq!(data.len(), 6 * 32, "only a six-word answer decodes");
        if let Some(c) = answer {
            assert!(!c.finalized, "a confirmation is never final by itself");
        }
    }
    if let Some(name) = decode_publisher_name(data) {
        assert!(name.len() <= data.len());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(secs) = parse_rfc3339(text) {
            assert_eq!(parse_rfc3339(&rfc3339(secs)), Some(secs), "{text:?}");
        }
    }
});
