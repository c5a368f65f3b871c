//! Decoding a JPEG at 1/2, 1/4 or 1/8 of its size in the DCT domain, for the
//! fingerprints: they only look at a 32×32 grid, so the full-size pixels of a
//! 12-megapixel photo (most of the cost of decoding it) are never needed.
//!
//! At 1/8 every 8×8 block becomes one pixel, the block's mean from its DC
//! coefficient alone, which is what an area average of the full-size pixels gives
//! (up to rounding), so the codes of the scaled and the full decode agree within a
//! few bits (`core/tests/perceptual.rs` measures it).
//!
//! This module knows nothing of the fingerprints' limits or errors; the caller
//! checks the header against its limits first and maps the errors.

use std::io::Cursor;

use image::{DynamicImage, GrayImage, RgbImage};
use jpeg_decoder::{Decoder, PixelFormat};

/// The largest power-of-two reduction (8, 4, 2 or 1) that keeps both sides of a
/// `width`×`height` picture at least `min_side` pixels (or the picture's own side
/// when it is smaller), and the reduced size (sides rounded up, as the decoder does).
#[must_use]
pub fn reduction(width: u32, height: u32, min_side: u32) -> (u32, (u32, u32)) {
    for factor in [8u32, 4, 2] {
        let (w, h) = (width.div_ceil(factor), height.div_ceil(factor));
        if w >= min_side.min(width) && h >= min_side.min(height) {
            return (factor, (w, h));
        }
    }
    (1, (width, height))
}

/// Decodes a JPEG reduced by [`reduction`] (`min_side` pixels on each side at
/// least), letting the decoder allocate at most `max_alloc` bytes.
///
/// `Ok(None)` when the picture is of a kind this path does not handle (CMYK,
/// 16-bit lossless): the caller then decodes it in full. Errors are the decoder's
/// message for damaged or truncated data.
pub fn decode(
    bytes: &[u8],
    min_side: u32,
    max_alloc: usize,
) -> Result<Option<DynamicImage>, String> {
    let mut decoder = Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(max_alloc);
    decoder.read_info().map_err(|e| e.to_string())?;
    let Some(info) = decoder.info() else {
        return Err("no JPEG frame header".to_owned());
    };
    if !matches!(info.pixel_format, PixelFormat::L8 | PixelFormat::RGB24) {
        return Ok(None);
    }
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let (_, (want_w, want_h)) = reduction(width, height, min_side);
    let (w16, h16) = (
        u16::try_from(want_w).unwrap_or(u16::MAX),
        u16::try_from(want_h).unwrap_or(u16::MAX),
    );
    let (out_w, out_h) = decoder.scale(w16, h16).map_err(|e| e.to_string())?;
    let pixels = decoder.decode().map_err(|e| e.to_string())?;
    let (out_w, out_h) = (u32::from(out_w), u32::from(out_h));
    let picture = match info.pixel_format {
        PixelFormat::L8 => GrayImage::from_raw(out_w, out_h, pixels).map(DynamicImage::ImageLuma8),
        _ => RgbImage::from_raw(out_w, out_h, pixels).map(DynamicImage::ImageRgb8),
    };
    picture
        .map(Some)
        .ok_or_else(|| format!("the decoder returned too few pixels for {out_w}x{out_h}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn reduction_keeps_both_sides_at_least_the_minimum() {
        assert_eq!(reduction(4000, 3000, 32), (8, (500, 375)));
        assert_eq!(reduction(4000, 200, 32), (4, (1000, 50)));
        assert_eq!(reduction(4000, 40, 32), (1, (4000, 40)));
        assert_eq!(reduction(20, 10, 32), (1, (20, 10)));
        assert_eq!(reduction(4000, 3000, 1024), (2, (2000, 1500)));
        assert_eq!(reduction(0, 0, 32), (8, (0, 0)));
    }

    #[test]
    fn scaled_decode_of_a_real_jpeg() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(640, 480, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        }));
        let mut jpeg = Vec::new();
        img.write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        let small = decode(&jpeg, 32, 64 << 20).unwrap().unwrap();
        assert_eq!((small.width(), small.height()), (80, 60));
        for cut in [0, 10, 200, jpeg.len() / 2] {
            let _ = decode(&jpeg[..cut], 32, 64 << 20);
        }
        assert!(decode(b"not a jpeg", 32, 1 << 20).is_err());
        assert!(decode(&jpeg, 32, 1000).is_err(), "allocation limit");
    }
}
