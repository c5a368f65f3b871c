//! Our baseline JPEG entropy decoder reads untrusted pictures (`sign`, `lookup`, the
//! resolution server's uploads): it must never panic, hang or allocate past its bound,
//! and what it returns must have the reduced size. The first byte picks the reduction.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_core::chronology::jpeg_entropy;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, jpeg)) = data.split_first() else {
        return;
    };
    let factor = 1u32 << (pick & 3);
    if let Ok(Some(picture)) = jpeg_entropy::decode(jpeg, factor, 64 << 20) {
        assert!(picture.width() > 0 && picture.height() > 0);
        assert!(u64::from(picture.width()) * u64::from(picture.height()) <= (64 << 20));
    }
});
