//! Thumbnails in manifests: the claim thumbnail (`c2pa.thumbnail.claim.*`) shows the
//! content a manifest signed, and an ingredient thumbnail shows an earlier version, so a
//! reader sees what each step looked like.
//!
//! Made the way the reference tool makes them by default: at most [`LONG_EDGE`] pixels on
//! the long edge, JPEG at quality 75, or PNG when the picture has transparency. The
//! caller hands in pixels it already decoded (for a large JPEG a reduced-size decode is
//! enough: the thumbnail never needs more than [`LONG_EDGE`] pixels).
//!
//! A JPEG that is already thumbnail-sized and not heavier than [`MAX_BITS_PER_PIXEL`] is
//! its own thumbnail ([`Thumbnail::of_small_jpeg`]): its frame and entropy-coded data as
//! they are, without its metadata segments. Decoding and re-encoding it would only lose
//! quality, at the cost of most of the signing's time.

use std::io::Cursor;

use image::codecs::png::PngEncoder;
use image::DynamicImage;

/// The longest edge of a thumbnail, in pixels (the reference tool's default).
pub const LONG_EDGE: u32 = 1024;
/// JPEG quality of a thumbnail (the reference tool's "medium").
pub const JPEG_QUALITY: u8 = 75;

/// The heaviest JPEG (bits per pixel of the file) that is used as its own thumbnail: a
/// quality-75 re-encoding of a photo takes about 1–1.5.
pub const MAX_BITS_PER_PIXEL: u64 = 3;

/// An encoded thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// `image/jpeg` or `image/png`.
    pub mime: &'static str,
    /// The encoded picture.
    pub bytes: Vec<u8>,
}

impl Thumbnail {
    /// A thumbnail of `picture`: scaled down to [`LONG_EDGE`] (never up), JPEG unless the
    /// picture has an alpha channel.
    pub fn of(picture: &DynamicImage) -> Result<Self, image::ImageError> {
        let small;
        let picture = if picture.width().max(picture.height()) > LONG_EDGE {
            small = picture.thumbnail(LONG_EDGE, LONG_EDGE);
            &small
        } else {
            picture
        };
        let mut bytes = Vec::new();
        if picture.color().has_alpha() {
            picture.write_with_encoder(PngEncoder::new(Cursor::new(&mut bytes)))?;
            return Ok(Self {
                mime: "image/png",
                bytes,
            });
        }
        // `jpeg-encoder` (baseline, 4:2:0 at this quality, the usual libjpeg quality
        // scaling): a few times faster than the `image` crate's encoder and smaller.
        let rgb = picture.to_rgb8();
        let too_large = || {
            image::ImageError::Limits(image::error::LimitError::from_kind(
                image::error::LimitErrorKind::DimensionError,
            ))
        };
        let width = u16::try_from(rgb.width()).map_err(|_| too_large())?;
        let height = u16::try_from(rgb.height()).map_err(|_| too_large())?;
        jpeg_encoder::Encoder::new(&mut bytes, JPEG_QUALITY)
            .encode(rgb.as_raw(), width, height, jpeg_encoder::ColorType::Rgb)
            .map_err(|e| {
                image::ImageError::Encoding(image::error::EncodingError::new(
                    image::error::ImageFormatHint::Exact(image::ImageFormat::Jpeg),
                    e,
                ))
            })?;
        Ok(Self {
            mime: "image/jpeg",
            bytes,
        })
    }
}

impl Thumbnail {
    /// `jpeg` itself as a thumbnail when it is small enough to be one: a baseline or
    /// progressive 8-bit JPEG (grey or three components) of at most [`LONG_EDGE`] pixels
    /// on the long edge and [`MAX_BITS_PER_PIXEL`], copied without its metadata (EXIF, XMP,
    /// IPTC, comments and any other APPn segment but JFIF, the ICC profile and Adobe's
    /// colour transform) and without anything after its end. `None` for anything else,
    /// including a file whose structure does not hold together or whose EXIF orientation
    /// turns it (its EXIF goes, so the copy would show it the wrong way up; the decoded
    /// pixels are turned upright); the caller then encodes a thumbnail from the pixels.
    pub fn of_small_jpeg(jpeg: &[u8]) -> Option<Self> {
        use image::ImageDecoder;
        let bytes = strip_jpeg(jpeg)?;
        let orientation = image::codecs::jpeg::JpegDecoder::new(Cursor::new(jpeg))
            .ok()?
            .orientation()
            .ok()?;
        if orientation != image::metadata::Orientation::NoTransforms {
            return None;
        }
        Some(Self {
            mime: "image/jpeg",
            bytes,
        })
    }
}

/// The segments kept in a JPEG thumbnail: the picture's tables and frame, JFIF, the ICC
/// profile and Adobe's colour transform.
fn kept_segment(marker: u8, body: &[u8]) -> bool {
    match marker {
        0xE0 => body.starts_with(b"JFIF\0"),
        0xE2 => body.starts_with(b"ICC_PROFILE\0"),
        0xEE => body.starts_with(b"Adobe"),
        0xE1 | 0xE3..=0xED | 0xEF | 0xFE => false, // metadata and comments
        _ => true,
    }
}

/// See [`Thumbnail::of_small_jpeg`].
fn strip_jpeg(jpeg: &[u8]) -> Option<Vec<u8>> {
    use crate::jpeg_segments::{Segments, Step};
    if jpeg.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut out = Vec::with_capacity(jpeg.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut walk = Segments::after_soi(jpeg);
    let mut frame = false;
    let mut scans = 0;
    loop {
        let (marker, whole, body) = match walk.next_step().ok()? {
            Step::End { .. } => break,
            Step::Standalone { .. } => return None, // no segment starts like this here
            Step::Segment {
                marker,
                whole,
                body,
                ..
            } => (marker, whole, body),
        };
        match marker {
            0x02..=0xBF => return None, // reserved markers
            0xC0..=0xC2 => {
                // One frame: 8-bit, grey or three components, thumbnail-sized.
                let [8, h0, h1, w0, w1, components, ..] = *body else {
                    return None;
                };
                let (h, w) = (u16::from_be_bytes([h0, h1]), u16::from_be_bytes([w0, w1]));
                let pixels = u64::from(w) * u64::from(h);
                if frame
                    || !matches!(components, 1 | 3)
                    || pixels == 0
                    || u32::from(w.max(h)) > LONG_EDGE
                    || jpeg.len() as u64 * 8 > pixels * MAX_BITS_PER_PIXEL
                {
                    return None;
                }
                frame = true;
            }
            // Lossless, hierarchical, arithmetic-coded and other frames: not as thumbnails.
            0xC3 | 0xC5..=0xC7 | 0xC8..=0xCB | 0xCD..=0xCF | 0xDC | 0xDE | 0xDF => return None,
            _ => {}
        }
        if kept_segment(marker, body) {
            out.extend_from_slice(whole);
        }
        if marker == 0xDA {
            if !frame {
                return None;
            }
            scans += 1;
            out.extend_from_slice(walk.entropy_data().ok()?);
        }
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    (scans > 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb, Rgba};

    #[test]
    fn scales_down_never_up_and_keeps_transparency() {
        let big = DynamicImage::ImageRgb8(ImageBuffer::from_fn(2400, 1600, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        }));
        let t = Thumbnail::of(&big).unwrap();
        assert_eq!(t.mime, "image/jpeg");
        let back = image::load_from_memory(&t.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (1024, 683));

        let small = DynamicImage::ImageRgb8(ImageBuffer::from_pixel(300, 200, Rgb([9, 9, 9])));
        let back = image::load_from_memory(&Thumbnail::of(&small).unwrap().bytes).unwrap();
        assert_eq!((back.width(), back.height()), (300, 200));

        let clear = DynamicImage::ImageRgba8(ImageBuffer::from_pixel(64, 64, Rgba([0, 0, 0, 0])));
        assert_eq!(Thumbnail::of(&clear).unwrap().mime, "image/png");
    }

    /// A 640x480 JPEG made by `jpeg-encoder` (gradient and a disc), optionally progressive.
    fn photo(w: u16, h: u16, quality: u8, progressive: bool) -> Vec<u8> {
        let pixels: Vec<u8> = (0..u32::from(h))
            .flat_map(|y| {
                (0..u32::from(w)).flat_map(move |x| {
                    let (dx, dy) = (x as i32 - 320, y as i32 - 240);
                    let disc = if dx * dx + dy * dy < 150 * 150 { 90 } else { 0 };
                    [(x % 256) as u8, (y % 256) as u8, (128 + disc) as u8]
                })
            })
            .collect();
        let mut out = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
        encoder.set_progressive(progressive);
        encoder
            .encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        out
    }

    /// `jpeg` with an EXIF, an XMP and a comment segment after its start, and a trailer.
    fn with_metadata(jpeg: &[u8]) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        for (marker, body) in [
            (0xE1u8, &b"Exif\0\0MM\0*\0\0\0\x08\0\0"[..]),
            (0xE1, &b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>"[..]),
            (0xFE, &b"a comment"[..]),
        ] {
            out.extend_from_slice(&[0xFF, marker]);
            out.extend_from_slice(&u16::try_from(body.len() + 2).unwrap().to_be_bytes());
            out.extend_from_slice(body);
        }
        out.extend_from_slice(&jpeg[2..]);
        out.extend_from_slice(b"trailing bytes after the end of the image");
        out
    }

    /// The markers of the segments before the first scan.
    fn markers(jpeg: &[u8]) -> Vec<u8> {
        crate::jpeg_segments::Segments::after_soi(jpeg)
            .map(|(marker, _)| marker)
            .collect()
    }

    #[test]
    fn a_small_jpeg_is_its_own_thumbnail_without_its_metadata() {
        for progressive in [false, true] {
            let plain = photo(640, 480, 80, progressive);
            let input = with_metadata(&plain);
            let thumbnail = Thumbnail::of_small_jpeg(&input).expect("a thumbnail");
            assert_eq!(thumbnail.mime, "image/jpeg");
            let kept = markers(&thumbnail.bytes);
            assert!(!kept.contains(&0xE1) && !kept.contains(&0xFE), "{kept:x?}");
            assert!(markers(&input).contains(&0xE1));
            assert!(thumbnail.bytes.ends_with(&[0xFF, 0xD9]));
            // Nothing but the metadata and the trailer is gone: the same bytes as the
            // encoder's own file, and the same pixels.
            assert_eq!(thumbnail.bytes, plain, "progressive: {progressive}");
            let (a, b) = (
                image::load_from_memory(&thumbnail.bytes).unwrap().to_rgb8(),
                image::load_from_memory(&input).unwrap().to_rgb8(),
            );
            assert_eq!(a, b);
        }
    }

    /// `jpeg` with an EXIF segment whose IFD0 holds only an Orientation.
    fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut body = b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
        body.extend_from_slice(&orientation.to_be_bytes());
        body.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&u16::try_from(body.len() + 2).unwrap().to_be_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn a_turned_jpeg_is_not_its_own_thumbnail() {
        // Its EXIF would go, so a copy would show it sideways: the caller re-encodes the
        // decoded pixels, which are turned upright.
        let plain = photo(300, 200, 80, false);
        assert!(Thumbnail::of_small_jpeg(&with_orientation(&plain, 6)).is_none());
        let upright = Thumbnail::of_small_jpeg(&with_orientation(&plain, 1)).expect("upright");
        assert_eq!(upright.bytes, plain);
    }

    #[test]
    fn large_heavy_or_broken_jpegs_are_not_their_own_thumbnail() {
        // Over the long edge.
        assert!(Thumbnail::of_small_jpeg(&photo(1025, 200, 75, false)).is_none());
        assert!(Thumbnail::of_small_jpeg(&photo(1024, 200, 75, false)).is_some());
        // Heavier than MAX_BITS_PER_PIXEL: noise at quality 100.
        let noise: Vec<u8> = (0..200u32 * 200 * 3)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut heavy = Vec::new();
        jpeg_encoder::Encoder::new(&mut heavy, 100)
            .encode(&noise, 200, 200, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        assert!(heavy.len() as u64 * 8 > 200 * 200 * MAX_BITS_PER_PIXEL);
        assert!(Thumbnail::of_small_jpeg(&heavy).is_none());
        // Not a JPEG, and every cut of one: no thumbnail, no panic.
        assert!(Thumbnail::of_small_jpeg(b"\x89PNG\r\n\x1a\n").is_none());
        let good = with_metadata(&photo(64, 48, 75, true));
        let end = good.len() - b"trailing bytes after the end of the image".len();
        for cut in 0..end {
            assert!(
                Thumbnail::of_small_jpeg(&good[..cut]).is_none(),
                "cut at {cut}"
            );
        }
        // Flipped bytes: whatever comes out is a JPEG the size of the input at most.
        for i in (0..good.len()).step_by(7) {
            let mut bad = good.clone();
            bad[i] ^= 0x5A;
            if let Some(t) = Thumbnail::of_small_jpeg(&bad) {
                assert!(t.bytes.len() <= bad.len() && t.bytes.starts_with(&[0xFF, 0xD8]));
            }
        }
    }
}
