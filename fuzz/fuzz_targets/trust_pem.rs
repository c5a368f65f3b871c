//! Trust-anchor files come from users and config: the PEM splitter must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_core::TrustAnchors;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let mut t = TrustAnchors::none();
        if let Ok(n) = t.add_pem("fuzz", text) {
            assert!(n > 0 && t.len() == n);
        }
    }
});
