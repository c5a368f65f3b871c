//! The fingerprints the chronology log records of a signed picture, computed together
//! (signing computes them on a second thread while the SDK signs).

use image::DynamicImage;

use super::fingerprint::{hash_image, PerceptualHash};
use super::iscc::{entry_codes, IsccImageCode};

/// What the log records of a picture's pixels: its DCT hash ([`hash_image`]) and its
/// ISCC entry codes (the whole picture and its regions, [`entry_codes`]),
/// from the picture [`super::fingerprint::fingerprint_picture`] gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PictureFingerprints {
    /// The DCT hash.
    pub hash: PerceptualHash,
    /// The ISCC codes, the whole picture's first.
    pub codes: Vec<IsccImageCode>,
}

impl PictureFingerprints {
    /// Both fingerprints of `picture`.
    #[must_use]
    pub fn of(picture: &DynamicImage) -> Self {
        Self {
            hash: hash_image(picture),
            codes: entry_codes(picture),
        }
    }
}
