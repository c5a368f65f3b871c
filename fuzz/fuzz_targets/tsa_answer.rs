//! A time-stamp authority's answer is outside data (the TSA, or anything on the path to a
//! plain-HTTP TSA, writes it): the HTTP reader and the token check must not panic, and
//! the body they hand on is never over the size cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_core::credentials::time_stamp::{TimeStampAuthority, MAX_RESPONSE};

fuzz_target!(|data: &[u8]| {
    let tsa = TimeStampAuthority::new("http://127.0.0.1:9/tsa").expect("a loopback URL parses");
    if let Ok(body) = tsa.parse_response(data) {
        assert!(body.len() <= MAX_RESPONSE);
        let _ = tsa.check_response(&body, b"the claim");
    }
    let _ = tsa.check_response(data, b"the claim");
});
