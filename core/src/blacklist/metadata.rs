//! Metadata that links photos, taken out before a capture is signed.
//!
//! Capture tags keep a camera unlinkable only if nothing else in the file names it: EXIF
//! and XMP carry body and lens serial numbers, owner names, unique image ids, maker
//! notes and GPS positions that link a camera's photos whatever the tags say. A capture
//! therefore keeps the picture and drops that metadata: in JPEG the EXIF and XMP (APP1),
//! IPTC (APP13) and comment segments go, and only the EXIF orientation survives (as a
//! one-entry EXIF written anew, so the picture still shows the right way up); in PNG the
//! `eXIf` and text chunks go. Other formats are refused rather than signed with their
//! metadata unseen.

/// Why metadata could not be stripped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetadataError {
    /// Not a JPEG or a PNG.
    #[error("only JPEG and PNG captures have their identifying metadata stripped")]
    Unsupported,
    /// The file's structure is broken.
    #[error("the picture's structure is broken: {0}")]
    Malformed(&'static str),
}

const PNG_MAGIC: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// The picture without metadata that could link photos (see the module docs).
pub fn strip_identifying(bytes: &[u8]) -> Result<Vec<u8>, MetadataError> {
    match bytes {
        [0xFF, 0xD8, ..] => strip_jpeg(bytes),
        b if b.starts_with(PNG_MAGIC) => strip_png(bytes),
        _ => Err(MetadataError::Unsupported),
    }
}

fn strip_jpeg(bytes: &[u8]) -> Result<Vec<u8>, MetadataError> {
    use crate::jpeg_segments::{Segments, Step};
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..2]);
    let mut orientation = None;
    let mut walk = Segments::after_soi(bytes);
    let kept_from = loop {
        match walk
            .next_step()
            .map_err(|e| MetadataError::Malformed(e.why))?
        {
            // Start of scan: the entropy-coded picture and everything after it stay as they are.
            Step::Segment {
                marker: 0xDA, at, ..
            }
            | Step::End { at } => break at,
            // APP1: EXIF or XMP. Only the orientation is kept.
            Step::Segment {
                marker: 0xE1, body, ..
            } => {
                if let Some(tiff) = body.strip_prefix(b"Exif\0\0") {
                    orientation = orientation.or_else(|| exif_orientation(tiff));
                }
            }
            // APP13 (IPTC/Photoshop) and comments.
            Step::Segment {
                marker: 0xED | 0xFE,
                ..
            } => {}
            Step::Segment { whole, .. } => out.extend_from_slice(whole),
            Step::Standalone { marker, .. } => out.extend_from_slice(&[0xFF, marker]),
        }
    };
    if let Some(o) = orientation.filter(|o| (2..=8).contains(o)) {
        // After SOI and any APP0 (JFIF) segment already copied: insert right after SOI.
        let exif = orientation_exif(o);
        out.splice(2..2, exif);
    }
    out.extend_from_slice(&bytes[kept_from..]);
    Ok(out)
}

/// The Orientation (0x0112) of IFD0 of a TIFF structure, if well-formed.
fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let big = match tiff.get(..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at + 2)?.try_into().ok()?;
        Some(if big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at + 4)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    (0..count.min(512)).find_map(|k| {
        let entry = ifd + 2 + 12 * k;
        (u16_at(entry)? == 0x0112 && u16_at(entry + 2)? == 3).then(|| u16_at(entry + 8))?
    })
}

/// An APP1 segment holding only an EXIF Orientation.
fn orientation_exif(orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08"); // big-endian, IFD0 at 8
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // count 1
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // padding of the 4-byte value field
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let mut app1 = vec![0xFF, 0xE1];
    let len = u16::try_from(2 + 6 + tiff.len()).unwrap_or(u16::MAX);
    app1.extend_from_slice(&len.to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    app1
}

fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, MetadataError> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(PNG_MAGIC);
    let mut i = PNG_MAGIC.len();
    while i < bytes.len() {
        let len = bytes
            .get(i..i + 4)
            .map(|l| u32::from_be_bytes([l[0], l[1], l[2], l[3]]))
            .and_then(|l| usize::try_from(l).ok())
            .ok_or(MetadataError::Malformed("truncated chunk length"))?;
        let end = i
            .checked_add(12)
            .and_then(|x| x.checked_add(len))
            .filter(|e| *e <= bytes.len())
            .ok_or(MetadataError::Malformed("a chunk runs past the end"))?;
        let kind = &bytes[i + 4..i + 8];
        if !matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME") {
            out.extend_from_slice(&bytes[i..end]);
        }
        i = end;
        if kind == b"IEND" {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orientation_survives_and_nothing_else() {
        let exif = orientation_exif(6);
        let tiff = &exif[4 + 6..];
        assert_eq!(exif_orientation(tiff), Some(6));
        assert_eq!(
            strip_identifying(b"GIF89a"),
            Err(MetadataError::Unsupported)
        );
        assert!(strip_identifying(&[0xFF, 0xD8, 0x00]).is_err());
    }

    /// A JPEG with EXIF (orientation 6 and a serial number), XMP, IPTC and a comment around
    /// its JFIF and table segments: only the orientation comes back, every other segment and
    /// the scan stay byte for byte, in order; every cut of it is an error, never a panic.
    #[test]
    fn strips_a_jpeg_segment_by_segment() {
        let segment = |marker: u8, body: &[u8]| {
            let mut s = vec![0xFF, marker];
            s.extend(u16::try_from(body.len() + 2).unwrap().to_be_bytes());
            s.extend(body);
            s
        };
        let mut exif = orientation_exif(6)[4..].to_vec();
        exif.extend(b"serial 1234");
        let jfif = segment(0xE0, b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0");
        let dqt = segment(0xDB, &[0; 65]);
        let scan = [
            segment(0xDA, &[1, 1, 0, 0, 63, 0]),
            vec![0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD9],
        ]
        .concat();
        let jpeg = [
            vec![0xFF, 0xD8],
            segment(0xE1, &exif),
            jfif.clone(),
            segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>"),
            segment(0xED, b"Photoshop 3.0\0"),
            vec![0xFF, 0xFF], // fill bytes
            dqt.clone(),
            segment(0xFE, b"shot by serial 1234"),
            scan.clone(),
        ]
        .concat();
        let stripped = strip_identifying(&jpeg).unwrap();
        let want = [vec![0xFF, 0xD8], orientation_exif(6), jfif, dqt, scan].concat();
        assert_eq!(stripped, want);
        for cut in 2..jpeg.len() - 8 {
            assert!(strip_identifying(&jpeg[..cut]).is_err(), "cut at {cut}");
        }
    }
}
