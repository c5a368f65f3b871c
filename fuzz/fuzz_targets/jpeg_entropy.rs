//! Our baseline JPEG entropy decoder reads untrusted pictures (`sign`, `lookup`, the
//! resolution server's uploads): it must never panic, hang or allocate past its bound,
//! and what it returns must have the reduced size. The first byte picks the reduction.
//! The same bytes go through `Thumbnail::of_small_jpeg` (a small JPEG `sign` copies as its
//! own thumbnail): never a panic, and a thumbnail is a JPEG no larger than its input. And
//! through the two other readers of the same segment walk: the photo metadata `sign` reads
//! from a picture, and the blacklist's privacy strip of a capture.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_core::chronology::jpeg_entropy;
use provenant_core::blacklist::metadata::strip_identifying;
use provenant_core::credentials::metadata::PhotoMetadata;
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
    let _ = PhotoMetadata::from_media(jpeg);
    if jpeg.starts_with(&[0xFF, 0xD8]) {
        if let Ok(stripped) = strip_identifying(jpeg) {
            // Segments only go, except one small orientation EXIF made from a larger one.
            assert!(stripped.starts_with(&[0xFF, 0xD8]));
            assert!(stripped.len() <= jpeg.len() + 64);
        }
    }
});
