//! The ISCC Content-Code Image (ISO 24138:2024), 64 bits: the fingerprint a C2PA
//! soft binding names `io.iscc.v0`, computed the same way by anyone who follows
//! the standard, not only by us.
//!
//! The code itself — a DCT of a 32×32 grey picture, each of the 64 lowest
//! coefficients (the top-left 8×8 block, mean included) compared with their
//! median — comes from the `iscc-lib` crate (the ISCC project's own Rust
//! implementation, checked here against the conformance vectors of `iscc-core`,
//! `core/tests/iscc_vectors.rs`). The standard leaves turning a picture into that
//! 32×32 grey input to the implementation; [`normalize`] follows what the ISCC
//! reference tools do (`iscc-sdk`'s `image_normalize`, on Pillow):
//!
//! 1. apply the EXIF orientation (done by the decoding in
//!    [`super::fingerprint`]);
//! 2. composite transparent pixels over white: `(v·a + 255·(255 − a)) / 255`,
//!    rounded;
//! 3. trim a uniform border: the smallest rectangle holding every pixel whose
//!    RGB differs from the top-left pixel's (nothing is trimmed from a uniform
//!    picture);
//! 4. grey: `(19595 R + 38470 G + 7471 B + 32768) >> 16` (ITU-R 601-2 luma in
//!    16-bit fixed point, as Pillow's `convert("L")`);
//! 5. resize to 32×32 with a bicubic filter (`a = −0.5`) widened by the scale
//!    factor (an antialiased reduction), horizontal pass first, 8-bit results
//!    rounded after each pass, 22-bit fixed-point weights, as Pillow's
//!    `resize(…, BICUBIC)`.
//!
//! A JPEG is decoded reduced in the DCT domain first (see
//! [`super::fingerprint::decode_reduced_within`]); the code of the reduced decode
//! stays within a few bits of the full decode's (measured in
//! `core/tests/perceptual.rs`).

use std::fmt;
use std::str::FromStr;

use image::DynamicImage;

#[cfg(feature = "chronology")]
use super::fingerprint::{self, DecodeLimits, PerceptualError};

/// The soft-binding algorithm name of this code in the C2PA soft binding
/// algorithm list.
pub const ALG: &str = "io.iscc.v0";

/// Side of the grey grid the code is computed from.
pub const SIDE: usize = 32;

/// ISCC header of a 64-bit Content-Code Image, v0: main type CONTENT (2),
/// subtype IMAGE (1), version 0, length index 1 (64 bits).
const MAIN_TYPE_CONTENT: u8 = 2;
const SUB_TYPE_IMAGE: u8 = 1;
const VERSION_0: u8 = 0;

/// A 64-bit ISCC Content-Code Image. `Display` gives the canonical `ISCC:…` form;
/// [`IsccImageCode::hex`] the 16 hex digits of its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IsccImageCode(pub u64);

impl IsccImageCode {
    /// Number of bits in which the two codes differ (0..=64).
    #[must_use]
    pub fn distance(self, other: IsccImageCode) -> u32 {
        (self.0 ^ other.0).count_ones()
    }

    /// The body as 16 lowercase hex digits.
    #[must_use]
    pub fn hex(self) -> String {
        format!("{:016x}", self.0)
    }
}

impl fmt::Display for IsccImageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match iscc_lib::encode_component(
            MAIN_TYPE_CONTENT,
            SUB_TYPE_IMAGE,
            VERSION_0,
            64,
            &self.0.to_be_bytes(),
        ) {
            Ok(body) => write!(f, "ISCC:{body}"),
            Err(_) => Err(fmt::Error),
        }
    }
}

/// Why a text is not a 64-bit ISCC Content-Code Image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a 64-bit ISCC Content-Code Image: \"{0}\"")]
pub struct ParseIsccError(String);

impl FromStr for IsccImageCode {
    type Err = ParseIsccError;

    /// Reads `ISCC:EEA…` (the prefix is optional, as in the standard's decoder).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shown = || ParseIsccError(s.chars().take(40).collect());
        if s.len() > 64 {
            return Err(shown());
        }
        let (mt, st, vs, _, digest) = iscc_lib::iscc_decode(s).map_err(|_| shown())?;
        if (mt, st, vs) != (MAIN_TYPE_CONTENT, SUB_TYPE_IMAGE, VERSION_0) {
            return Err(shown());
        }
        let bytes: [u8; 8] = digest.as_slice().try_into().map_err(|_| shown())?;
        Ok(IsccImageCode(u64::from_be_bytes(bytes)))
    }
}

/// Largest distance (inclusive) at which two codes are taken as the same picture
/// (chosen from the measurements in `docs/chronology.md`).
pub const MATCH_DISTANCE: u32 = 8;

/// The regions of a picture whose codes [`entry_codes`] adds after the whole
/// picture's, as fractions cut off `(left, top, right, bottom)`: the middle with
/// 5, 10, 15 and 20 % cut off every side, and 10 and 20 % cut off one side.
pub const TILE_REGIONS: [(f32, f32, f32, f32); 12] = [
    (0.05, 0.05, 0.05, 0.05),
    (0.10, 0.10, 0.10, 0.10),
    (0.15, 0.15, 0.15, 0.15),
    (0.20, 0.20, 0.20, 0.20),
    (0.10, 0.0, 0.0, 0.0),
    (0.0, 0.10, 0.0, 0.0),
    (0.0, 0.0, 0.10, 0.0),
    (0.0, 0.0, 0.0, 0.10),
    (0.20, 0.0, 0.0, 0.0),
    (0.0, 0.20, 0.0, 0.0),
    (0.0, 0.0, 0.20, 0.0),
    (0.0, 0.0, 0.0, 0.20),
];

/// The codes a chronology entry stores for a picture, for the crop-tolerant
/// second stage of a lookup: first the whole picture's [`code_image`], then one
/// per [`TILE_REGIONS`] region (13 in all). A query is coded whole and matches an
/// entry when any of the entry's codes is within [`MATCH_DISTANCE`].
#[must_use]
pub fn entry_codes(img: &DynamicImage) -> Vec<IsccImageCode> {
    let (w, h) = (img.width(), img.height());
    // Compositing over white is per pixel, so it is done once for all 13 regions.
    let rgb = over_white(img);
    let code = |x0: u32, y0: u32, x1: u32, y1: u32| {
        let region = Region {
            x0: x0.min(w) as usize,
            y0: y0.min(h) as usize,
            x1: x1.min(w) as usize,
            y1: y1.min(h) as usize,
        };
        code_of_grey(&normalize_region(&rgb, w as usize, region)).unwrap_or(IsccImageCode(0))
    };
    let mut codes = vec![code(0, 0, w, h)];
    for (l, t, r, b) in TILE_REGIONS {
        let x0 = (w as f32 * l) as u32;
        let y0 = (h as f32 * t) as u32;
        let x1 = w.saturating_sub((w as f32 * r) as u32).max(x0 + 1);
        let y1 = h.saturating_sub((h as f32 * b) as u32).max(y0 + 1);
        codes.push(code(x0, y0, x1, y1));
    }
    codes
}

/// The code of a normalised 32×32 grey picture (row-major, 1024 values), by
/// `iscc-lib`. `None` only if the library refuses the input, which it does not
/// for 1024 values.
#[must_use]
pub fn code_of_grey(pixels: &[u8; SIDE * SIDE]) -> Option<IsccImageCode> {
    let text = iscc_lib::gen_image_code_v0(pixels, 64).ok()?.iscc;
    text.parse().ok()
}

/// The ISCC Content-Code Image of decoded pixels ([`normalize`], then the code).
#[must_use]
pub fn code_image(img: &DynamicImage) -> IsccImageCode {
    code_of_grey(&normalize(img)).unwrap_or(IsccImageCode(0))
}

/// Decodes a picture within `limits` (a JPEG reduced in the DCT domain) and returns
/// its code.
#[cfg(feature = "chronology")]
pub fn code_bytes_within(
    bytes: &[u8],
    limits: DecodeLimits,
) -> Result<IsccImageCode, PerceptualError> {
    fingerprint::decode_reduced_within(bytes, limits, fingerprint::FINGERPRINT_SIDE)
        .map(|img| code_image(&img))
}

/// As [`code_bytes_within`] with the default limits.
#[cfg(feature = "chronology")]
pub fn code_bytes(bytes: &[u8]) -> Result<IsccImageCode, PerceptualError> {
    code_bytes_within(bytes, DecodeLimits::default())
}

/// The 32×32 grey input of the code (steps 2 to 5 of the module documentation).
/// An empty picture gives all black.
#[must_use]
pub fn normalize(img: &DynamicImage) -> [u8; SIDE * SIDE] {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 {
        return [0u8; SIDE * SIDE];
    }
    let region = Region {
        x0: 0,
        y0: 0,
        x1: w,
        y1: h,
    };
    normalize_region(&over_white(img), w, region)
}

/// A rectangle of a picture, end exclusive.
#[derive(Clone, Copy)]
struct Region {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
}

/// [`normalize`] of a region of an RGB picture `w` pixels wide (already over white):
/// the same as normalising that region cropped out.
fn normalize_region(rgb: &[u8], w: usize, r: Region) -> [u8; SIDE * SIDE] {
    let mut out = [0u8; SIDE * SIDE];
    if r.x1 <= r.x0 || r.y1 <= r.y0 {
        return out;
    }
    let (x0, y0, x1, y1) = trimmed_box(rgb, w, r);
    let (tw, th) = (x1 - x0, y1 - y0);
    let mut grey = Vec::with_capacity(tw * th);
    for y in y0..y1 {
        let row = rgb.get(3 * (y * w + x0)..3 * (y * w + x1)).unwrap_or(&[]);
        grey.extend(row.chunks_exact(3).map(|p| luma_fixed(p[0], p[1], p[2])));
    }
    let resized = resize_bicubic(&grey, tw, th, SIDE, SIDE);
    for (o, v) in out.iter_mut().zip(resized) {
        *o = v;
    }
    out
}

/// RGB bytes of the picture with any alpha composited over white.
fn over_white(img: &DynamicImage) -> Vec<u8> {
    if !img.color().has_alpha() {
        return img.to_rgb8().into_raw();
    }
    let rgba = img.to_rgba8();
    let mut out = Vec::with_capacity(rgba.len() / 4 * 3);
    for p in rgba.as_raw().chunks_exact(4) {
        let a = u32::from(p[3]);
        for &c in &p[..3] {
            let v = u32::from(c) * a + 255 * (255 - a);
            out.push(((v + 127) / 255) as u8);
        }
    }
    out
}

/// `(x0, y0, x1, y1)`, end exclusive, within region `r` of a picture `w` pixels wide:
/// the pixels that differ from the region's top-left one (all of `r` when none does).
fn trimmed_box(rgb: &[u8], w: usize, r: Region) -> (usize, usize, usize, usize) {
    let at = 3 * (r.y0 * w + r.x0);
    let corner = rgb.get(at..at + 3).unwrap_or(&[0, 0, 0]);
    let (mut x0, mut y0, mut x1, mut y1) = (r.x1, r.y1, r.x0, r.y0);
    for y in r.y0..r.y1 {
        let row = rgb
            .get(3 * (y * w + r.x0)..3 * (y * w + r.x1))
            .unwrap_or(&[]);
        for (i, p) in row.chunks_exact(3).enumerate() {
            if p != corner {
                let x = r.x0 + i;
                x0 = x0.min(x);
                x1 = x1.max(x + 1);
                y0 = y0.min(y);
                y1 = y1.max(y + 1);
            }
        }
    }
    if x1 <= x0 {
        (r.x0, r.y0, r.x1, r.y1)
    } else {
        (x0, y0, x1, y1)
    }
}

fn luma_fixed(r: u8, g: u8, b: u8) -> u8 {
    ((u32::from(r) * 19595 + u32::from(g) * 38470 + u32::from(b) * 7471 + 0x8000) >> 16) as u8
}

/// Bits of the fixed-point weights.
const PRECISION_BITS: u32 = 22;

fn bicubic(x: f64) -> f64 {
    const A: f64 = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * A
    } else {
        0.0
    }
}

/// For each output sample along an axis of `n_in` → `n_out`: the first input index
/// and the fixed-point weights of the inputs from there.
fn axis_weights(n_in: usize, n_out: usize) -> Vec<(usize, Vec<i64>)> {
    let scale = n_in as f64 / n_out as f64;
    let filter_scale = scale.max(1.0);
    let support = 2.0 * filter_scale;
    (0..n_out)
        .map(|i| {
            let center = (i as f64 + 0.5) * scale;
            // Truncation toward zero, then clamping, as the reference does.
            let lo = ((center - support + 0.5) as i64).max(0) as usize;
            let hi = ((center + support + 0.5) as i64).clamp(0, n_in as i64) as usize;
            let raw: Vec<f64> = (lo..hi.max(lo))
                .map(|x| bicubic((x as f64 - center + 0.5) / filter_scale))
                .collect();
            let total: f64 = raw.iter().sum();
            let weights = raw
                .iter()
                .map(|&k| {
                    let k = if total == 0.0 { k } else { k / total };
                    let scaled = k * f64::from(1u32 << PRECISION_BITS);
                    (if k < 0.0 { scaled - 0.5 } else { scaled + 0.5 }) as i64
                })
                .collect();
            (lo, weights)
        })
        .collect()
}

fn clip8(acc: i64) -> u8 {
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Resizes a grey plane with the antialiased bicubic filter, horizontally first.
fn resize_bicubic(src: &[u8], w: usize, h: usize, out_w: usize, out_h: usize) -> Vec<u8> {
    let round = 1i64 << (PRECISION_BITS - 1);
    let xs = axis_weights(w, out_w);
    let mut horizontal = vec![0u8; out_w * h];
    for y in 0..h {
        let row = src.get(y * w..(y + 1) * w).unwrap_or(&[]);
        for (x, (lo, weights)) in xs.iter().enumerate() {
            let acc = weights.iter().enumerate().fold(round, |acc, (i, k)| {
                acc + i64::from(row.get(lo + i).copied().unwrap_or(0)) * k
            });
            if let Some(o) = horizontal.get_mut(y * out_w + x) {
                *o = clip8(acc);
            }
        }
    }
    let ys = axis_weights(h, out_h);
    let mut out = vec![0u8; out_w * out_h];
    for (y, (lo, weights)) in ys.iter().enumerate() {
        for x in 0..out_w {
            let acc = weights.iter().enumerate().fold(round, |acc, (i, k)| {
                let v = horizontal.get((lo + i) * out_w + x).copied().unwrap_or(0);
                acc + i64::from(v) * k
            });
            if let Some(o) = out.get_mut(y * out_w + x) {
                *o = clip8(acc);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    #[test]
    fn text_form_round_trips() {
        for v in [0u64, 1, 0x0123_4567_89ab_cdef, u64::MAX] {
            let code = IsccImageCode(v);
            let text = code.to_string();
            assert!(text.starts_with("ISCC:EEA"), "{text}");
            assert_eq!(text.parse::<IsccImageCode>().unwrap(), code);
            assert_eq!(
                text["ISCC:".len()..].parse::<IsccImageCode>().unwrap(),
                code
            );
        }
        assert_eq!(IsccImageCode(0).to_string(), "ISCC:EEAQAAAAAAAAAAAA");
        for bad in [
            "",
            "ISCC:",
            "ISCC:AAAQAAAAAAAAAAAA",
            "hello",
            "ISCC:EEBQAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert!(bad.parse::<IsccImageCode>().is_err(), "{bad}");
        }
        assert!("x".repeat(10_000).parse::<IsccImageCode>().is_err());
    }

    #[test]
    fn resize_keeps_flat_and_identity() {
        let flat = vec![77u8; 100 * 60];
        assert!(resize_bicubic(&flat, 100, 60, 32, 32)
            .iter()
            .all(|&v| v == 77));
        let ramp: Vec<u8> = (0..32 * 32).map(|i| (i % 251) as u8).collect();
        assert_eq!(resize_bicubic(&ramp, 32, 32, 32, 32), ramp);
        // Enlarging a 1-pixel picture fills the grid.
        assert!(resize_bicubic(&[9], 1, 1, 32, 32).iter().all(|&v| v == 9));
    }

    #[test]
    fn transparency_border_and_empty() {
        let clear = DynamicImage::ImageRgba8(RgbaImage::from_pixel(40, 40, Rgba([0, 0, 0, 0])));
        assert!(normalize(&clear).iter().all(|&v| v == 255), "over white");
        assert_eq!(normalize(&DynamicImage::new_rgb8(0, 0)), [0u8; 1024]);
        // A picture and the same picture inside a uniform frame give the same input.
        let inner = RgbImage::from_fn(64, 48, |x, y| Rgb([(x * 4) as u8, (y * 5) as u8, 90]));
        let framed = RgbImage::from_fn(64 + 20, 48 + 10, |x, y| {
            if (10..74).contains(&x) && (5..53).contains(&y) {
                *inner.get_pixel(x - 10, y - 5)
            } else {
                Rgb([250, 250, 250])
            }
        });
        let a = normalize(&DynamicImage::ImageRgb8(inner.clone()));
        let b = normalize(&DynamicImage::ImageRgb8(framed));
        assert_eq!(a, b);
        let code = code_image(&DynamicImage::ImageRgb8(inner));
        assert_ne!(code, IsccImageCode(0));
    }

    #[test]
    fn entry_codes_equal_the_codes_of_the_cropped_regions() {
        // Regions are coded in place; this pins that it is the same as cropping each
        // region out and coding it, with and without transparency, framed or not.
        let mut state = 7u32;
        let mut noise = move || {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        };
        let rgb = RgbImage::from_fn(123, 77, |x, y| {
            if x < 6 || y > 70 {
                Rgb([255, 255, 255])
            } else {
                Rgb([(x * 2) as u8 ^ noise(), (y * 3) as u8, noise()])
            }
        });
        let rgba = RgbaImage::from_fn(50, 90, |x, y| {
            Rgba([(x * 5) as u8, (y * 2) as u8, 40, (x * y) as u8])
        });
        for img in [
            DynamicImage::ImageRgb8(rgb),
            DynamicImage::ImageRgba8(rgba),
            DynamicImage::ImageLuma8(image::GrayImage::from_fn(3, 2, |x, _| {
                image::Luma([x as u8 * 90])
            })),
            DynamicImage::new_rgb8(1, 1),
            DynamicImage::new_rgb8(0, 0),
        ] {
            let (w, h) = (img.width(), img.height());
            let mut expected = vec![code_image(&img)];
            for (l, t, r, b) in TILE_REGIONS {
                let x0 = (w as f32 * l) as u32;
                let y0 = (h as f32 * t) as u32;
                let x1 = w.saturating_sub((w as f32 * r) as u32).max(x0 + 1);
                let y1 = h.saturating_sub((h as f32 * b) as u32).max(y0 + 1);
                expected.push(code_image(&img.crop_imm(x0, y0, x1 - x0, y1 - y0)));
            }
            assert_eq!(entry_codes(&img), expected, "{w}x{h} {:?}", img.color());
        }
    }
}
