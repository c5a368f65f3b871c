//! Our baseline JPEG entropy decoder reads untrusted pictures (`sign`, `lookup`, the
//! resolution server's uploads): it must never panic, hang or allocate past its bound,
//! and what it returns must have the reduced size. The first byte picks the reduction.
//! The same bytes go through `Thumbnail::of_small_jpeg` (a small JPEG `sign` copies as its
//! own thumbnail): never a panic, and a thumbnail is a JPEG no larger than its input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_core::chronology::jpeg_entropy;
use provenant_core::credentials::thumbnail::Thumbnail;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, jpeg)) = data.split_first() else {
        return;
    };
    let factor = 1u32 << (pick & 3);
    if let Ok(Some(picture)) = jpeg_entropy::decode(jpeg, factor, 64 << 20) {
        assert!(picture.width() > 0 && picture.height() > 0);
        assert!(u64::from(picture.width()) * u64::from(picture.height()) <= (64 << 20));
    }
    if let Some(thumbnail) = Thumbnail::of_small_jpeg(jpeg) {
        assert!(thumbnail.bytes.len() <= jpeg.len());
        assert!(thumbnail.bytes.starts_with(&[0xFF, 0xD8]) && thumbnail.bytes.ends_with(&[0xFF, 0xD9]));
    }
});
