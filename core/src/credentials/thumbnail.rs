//! Thumbnails in manifests: the claim thumbnail (`c2pa.thumbnail.claim.*`) shows the
//! content a manifest signed, and an ingredient thumbnail shows an earlier version, so a
//! reader sees what each step looked like.
//!
//! Made the way the reference tool makes them by default: at most [`LONG_EDGE`] pixels on
//! the long edge, JPEG at quality 75, or PNG when the picture has transparency. The
//! caller hands in pixels it already decoded (for a large JPEG a reduced-size decode is
//! enough: the thumbnail never needs more than [`LONG_EDGE`] pixels).

use std::io::Cursor;

use image::codecs::png::PngEncoder;
use image::DynamicImage;

/// The longest edge of a thumbnail, in pixels (the reference tool's default).
pub const LONG_EDGE: u32 = 1024;
/// JPEG quality of a thumbnail (the reference tool's "medium").
pub const JPEG_QUALITY: u8 = 75;

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
}
