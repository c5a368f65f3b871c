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
///
/// A baseline JPEG reduced by 2, 4 or 8 is decoded by our own entropy decoder
/// ([`super::jpeg_entropy`]); anything it does not handle or refuses goes to
/// `jpeg-decoder` ([`decode_reference`]), so a damaged file gets that decoder's verdict.
pub fn decode(
    bytes: &[u8],
    min_side: u32,
    max_alloc: usize,
) -> Result<Option<DynamicImage>, String> {
    decode_with(bytes, min_side, max_alloc, true)
}

/// As [`decode`], with `jpeg-decoder` alone (what [`decode`] falls back to; the
/// reference the tests compare our decoder with).
pub fn decode_reference(
    bytes: &[u8],
    min_side: u32,
    max_alloc: usize,
) -> Result<Option<DynamicImage>, String> {
    decode_with(bytes, min_side, max_alloc, false)
}

fn decode_with(
    bytes: &[u8],
    min_side: u32,
    max_alloc: usize,
    ours: bool,
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
    let (factor, (want_w, want_h)) = reduction(width, height, min_side);
    if ours {
        if let Ok(Some(picture)) = super::jpeg_entropy::decode(bytes, factor, max_alloc) {
            return Ok(Some(picture));
        }
    }
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

/// `picture` reduced `factor` times on each side by averaging `factor`×`factor`
/// blocks (the last row and column of blocks average the pixels they have, sides
/// rounded up): what a DCT-domain decode reduced by `factor` more gives, up to
/// rounding, since a block's mean is its DC coefficient. `factor` 1 or less is a copy.
/// 8-bit grey and RGB(A) stay as they are; other layouts become 8-bit RGB(A).
#[must_use]
pub fn box_reduce(picture: &DynamicImage, factor: u32) -> DynamicImage {
    if factor <= 1 {
        return picture.clone();
    }
    match picture {
        DynamicImage::ImageLuma8(p) => {
            let (w, h) = p.dimensions();
            let (ow, oh, px) = reduce_plane::<1>(p.as_raw(), w, h, factor);
            GrayImage::from_raw(ow, oh, px)
                .map_or_else(|| picture.clone(), DynamicImage::ImageLuma8)
        }
        p if p.color().has_alpha() => {
            let rgba = p.to_rgba8();
            let (w, h) = rgba.dimensions();
            let (ow, oh, px) = reduce_plane::<4>(rgba.as_raw(), w, h, factor);
            image::RgbaImage::from_raw(ow, oh, px)
                .map_or_else(|| picture.clone(), DynamicImage::ImageRgba8)
        }
        DynamicImage::ImageRgb8(p) => reduce_rgb(p, factor).unwrap_or_else(|| picture.clone()),
        p => reduce_rgb(&p.to_rgb8(), factor).unwrap_or_else(|| picture.clone()),
    }
}

fn reduce_rgb(p: &RgbImage, factor: u32) -> Option<DynamicImage> {
    let (w, h) = p.dimensions();
    let (ow, oh, px) = reduce_plane::<3>(p.as_raw(), w, h, factor);
    RgbImage::from_raw(ow, oh, px).map(DynamicImage::ImageRgb8)
}

/// Block means of an interleaved 8-bit plane of `C` channels, rounded to nearest.
fn reduce_plane<const C: usize>(src: &[u8], w: u32, h: u32, factor: u32) -> (u32, u32, Vec<u8>) {
    let (ow, oh) = (w.div_ceil(factor), h.div_ceil(factor));
    if ow == 0 || oh == 0 {
        return (ow, oh, Vec::new());
    }
    let (w, f) = (w as usize, factor as usize);
    let mut out = vec![0u8; ow as usize * oh as usize * C];
    let mut sums = vec![0u32; ow as usize * C];
    for (by, out_row) in out.chunks_exact_mut(ow as usize * C).enumerate() {
        sums.fill(0);
        let rows = (by * f..((by + 1) * f).min(h as usize))
            .filter_map(|y| src.get(y * w * C..(y + 1) * w * C));
        let mut count_y = 0u32;
        for row in rows {
            count_y += 1;
            for (x, px) in row.chunks_exact(C).enumerate() {
                let base = (x / f) * C;
                for (c, &v) in px.iter().enumerate() {
                    if let Some(s) = sums.get_mut(base + c) {
                        *s += u32::from(v);
                    }
                }
            }
        }
        for (bx, (o, s)) in out_row
            .chunks_exact_mut(C)
            .zip(sums.chunks_exact(C))
            .enumerate()
        {
            let count_x = (w - bx * f).min(f) as u32;
            let n = (count_x * count_y).max(1);
            for (o, &s) in o.iter_mut().zip(s) {
                *o = ((s + n / 2) / n).min(255) as u8;
            }
        }
    }
    (ow, oh, out)
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

    #[test]
    fn box_reduce_averages_blocks_and_keeps_the_edges() {
        let grey = DynamicImage::ImageLuma8(GrayImage::from_fn(10, 5, |x, y| {
            image::Luma([(x * 20 + y) as u8])
        }));
        let small = box_reduce(&grey, 4);
        assert_eq!((small.width(), small.height()), (3, 2));
        let l = small.to_luma8();
        // Block (0,0): x 0..4, y 0..4 → mean of 20x + y = 30 + 1.5 → 32 (rounded).
        assert_eq!(l.get_pixel(0, 0).0[0], 32);
        // Last column: x 8..10 only (2 wide), rows 4..5 only (1 high): 170 + 4.
        assert_eq!(l.get_pixel(2, 1).0[0], 174);
        let rgb = DynamicImage::ImageRgb8(RgbImage::from_pixel(17, 9, image::Rgb([10, 200, 255])));
        let r = box_reduce(&rgb, 8).to_rgb8();
        assert_eq!(r.dimensions(), (3, 2));
        assert!(r.pixels().all(|p| p.0 == [10, 200, 255]));
        let rgba = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            5,
            5,
            image::Rgba([1, 2, 3, 0]),
        ));
        assert_eq!(box_reduce(&rgba, 2).to_rgba8().dimensions(), (3, 3));
        assert!(box_reduce(&rgba, 2).color().has_alpha());
        assert_eq!(box_reduce(&rgb, 1), rgb);
        let empty = DynamicImage::ImageRgb8(RgbImage::new(0, 0));
        assert_eq!(box_reduce(&empty, 8).width(), 0);
    }

    #[test]
    fn box_reduce_is_close_to_the_dct_domain_decode() {
        // A 1/4 decode reduced 2 times against the 1/8 decode of the same file: a
        // synthetic picture and the JPEG samples.
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(800, 600, |x, y| {
            let v = ((x / 3) ^ (y / 5)) as u8;
            image::Rgb([v, v.wrapping_mul(3), (x % 256) as u8])
        }));
        let mut synthetic = Vec::new();
        img.write_to(&mut Cursor::new(&mut synthetic), image::ImageFormat::Jpeg)
            .unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = vec![("synthetic".to_owned(), synthetic)];
        for dir in ["../samples", "../../shared/fixtures/c2pa-rs"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "jpg") {
                    files.push((path.display().to_string(), std::fs::read(&path).unwrap()));
                }
            }
        }
        assert!(
            files.len() >= 9,
            "the samples' and fixtures' JPEGs: {}",
            files.len()
        );
        for (name, jpeg) in files {
            // CMYK and 16-bit pictures are decoded in full by the caller.
            let Some(eighth) = decode(&jpeg, 1, 256 << 20).unwrap() else {
                println!("{name}: not handled by the scaled path");
                continue;
            };
            let eighth = eighth.to_rgb8();
            let min_side = (eighth.width().min(eighth.height()) * 2).saturating_sub(1);
            let quarter = decode(&jpeg, min_side, 256 << 20).unwrap().unwrap();
            let reduced = box_reduce(&quarter, 2).to_rgb8();
            assert_eq!(reduced.dimensions(), eighth.dimensions(), "{name}");
            let diffs: Vec<i32> = reduced
                .as_raw()
                .iter()
                .zip(eighth.as_raw())
                .map(|(&a, &b)| (i32::from(a) - i32::from(b)).abs())
                .collect();
            let mean = f64::from(diffs.iter().sum::<i32>()) / diffs.len() as f64;
            let max = diffs.iter().max().copied().unwrap_or(0);
            println!("{name}: mean difference {mean:.2}, largest {max}");
            assert!(mean < 2.0, "{name}: mean difference {mean}");
        }
    }
}
