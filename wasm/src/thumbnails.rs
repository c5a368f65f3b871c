//! Claim thumbnails for the page and the extension: the picture each manifest signed as
//! its thumbnail, read from the file the reader gave (or its `.c2pa` sidecar).
//!
//! Sanitised before any of it reaches a page: only JPEG, PNG and WebP, whose first bytes
//! must match the declared type, at most [`MAX_THUMBNAIL_BYTES`] each and
//! [`MAX_THUMBNAILS`] per file. The page shows them through `blob:` URLs as `<img>`,
//! never as HTML or SVG; whether a step's thumbnail can be believed is the report's
//! verdict for that step, not this module's.

use std::io::Cursor;

use provenant_core::MediaFormat;

/// The largest thumbnail handed to the page.
pub const MAX_THUMBNAIL_BYTES: usize = 1024 * 1024;
/// At most this many thumbnails per file (one per manifest of the chain).
pub const MAX_THUMBNAILS: usize = 16;

/// One manifest's claim thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// The manifest's label (the report's `chain[i].manifest`).
    pub manifest: String,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub media_type: &'static str,
    pub bytes: Vec<u8>,
}

/// The media type `bytes` really are, among the three shown.
fn sniffed(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The declared type, normalised, if it is one of the three shown.
fn declared(format: &str) -> Option<&'static str> {
    match format.trim().to_ascii_lowercase().as_str() {
        "image/jpeg" | "image/jpg" | "jpeg" | "jpg" => Some("image/jpeg"),
        "image/png" | "png" => Some("image/png"),
        "image/webp" | "webp" => Some("image/webp"),
        _ => None,
    }
}

/// The claim thumbnails of `bytes` (with `sidecar`, a `.c2pa` manifest store kept beside
/// it), ordered by manifest label; none when the file cannot be read. Thumbnails of
/// another type, too large, or whose bytes are not what they say are left out.
pub fn claim_thumbnails(bytes: &[u8], sidecar: Option<&[u8]>) -> Vec<Thumbnail> {
    let head = &bytes[..bytes.len().min(MediaFormat::SNIFF_LEN)];
    let Some(format) = MediaFormat::sniff(head) else {
        return Vec::new();
    };
    let reader = c2pa::Reader::from_context(c2pa::Context::new());
    let reader = match sidecar {
        Some(store) => {
            reader.with_manifest_data_and_stream(store, format.mime(), Cursor::new(bytes))
        }
        None => reader.with_stream(format.mime(), Cursor::new(bytes)),
    };
    let Ok(reader) = reader else {
        return Vec::new();
    };
    let mut manifests: Vec<_> = reader.manifests().iter().collect();
    manifests.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::new();
    for (label, manifest) in manifests {
        if out.len() >= MAX_THUMBNAILS {
            break;
        }
        let Some(thumb) = manifest.thumbnail_ref() else {
            continue;
        };
        let Some(media_type) = declared(&thumb.format) else {
            continue;
        };
        let mut buf = Cursor::new(Vec::new());
        if reader
            .resource_to_stream(&thumb.identifier, &mut buf)
            .is_err()
        {
            continue;
        }
        let data = buf.into_inner();
        if data.len() > MAX_THUMBNAIL_BYTES || sniffed(&data) != Some(media_type) {
            continue;
        }
        out.push(Thumbnail {
            manifest: label.clone(),
            media_type,
            bytes: data,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::tests::fixture;

    #[test]
    fn the_claim_thumbnails_of_a_signed_file_are_sniffed_images() {
        let bytes = fixture("interop/peer-edited.jpg");
        let report: serde_json::Value =
            serde_json::from_str(&crate::verify_to_json(&bytes, "", None).unwrap()).unwrap();
        let thumbs = claim_thumbnails(&bytes, None);
        let declared: Vec<&str> = report["chain"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["thumbnail"].is_string())
            .map(|s| s["manifest"].as_str().unwrap())
            .collect();
        assert!(!declared.is_empty(), "the fixture declares thumbnails");
        for t in &thumbs {
            assert!(declared.contains(&t.manifest.as_str()), "{}", t.manifest);
            assert_eq!(sniffed(&t.bytes), Some(t.media_type));
            assert!(t.bytes.len() <= MAX_THUMBNAIL_BYTES);
        }
        assert!(!thumbs.is_empty());
    }

    #[test]
    fn nothing_from_unreadable_input() {
        assert!(claim_thumbnails(b"", None).is_empty());
        assert!(claim_thumbnails(b"plain text", None).is_empty());
        assert!(claim_thumbnails(&fixture("interop/peer-edited.jpg")[..2000], None).is_empty());
    }

    #[test]
    fn types_are_declared_and_sniffed() {
        assert_eq!(declared("image/svg+xml"), None);
        assert_eq!(declared("text/html"), None);
        assert_eq!(declared(" IMAGE/JPEG "), Some("image/jpeg"));
        assert_eq!(sniffed(b"<svg xmlns="), None);
        assert_eq!(sniffed(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniffed(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
    }
}
