//! Perceptual hashes of pictures: find the anchored original of a picture after a
//! platform re-encoded it, resized it or stripped its metadata (and with it the
//! C2PA manifest).
//!
//! A [`PerceptualHash`] is a 64-bit DCT hash ("pHash"). Two pictures that look the
//! same have hashes a few bits apart; unrelated pictures differ in about half of
//! the 64 bits. [`PerceptualHash::distance`] counts differing bits, and a
//! candidate is taken as the same picture when the distance is at most
//! [`MATCH_DISTANCE`].
//!
//! # How the hash is computed ([`hash_image`])
//!
//! 1. Every pixel becomes one luma value, `0.299 R + 0.587 G + 0.114 B` on the
//!    stored (gamma-encoded) 0–255 values; transparent pixels are first composited
//!    over white, which is how most viewers and re-encoders flatten them.
//!    Pictures with 16-bit or float samples are read as 8-bit RGBA.
//! 2. The luma plane is reduced to 32×32 by exact area averaging: every output
//!    cell is the mean of the source area it covers, with partial pixels weighted
//!    by their covered fraction. That is a box filter as wide as the scale
//!    factor, so JPEG noise, resampling differences and fine detail average out
//!    and no separate pre-blur is needed. The aspect ratio is not kept: a picture
//!    resized to half its width and height lands on the same grid. This step is
//!    our own code, not the `image` crate's resizer, so stored hashes do not move
//!    when that crate changes its filters.
//! 3. A 2-D DCT-II (orthonormal, separable, with a precomputed cosine table) is
//!    taken of the 32×32 grid; only the low frequencies are evaluated.
//! 4. The 64 bits come from the 64 lowest-frequency AC coefficients `(u, v)`
//!    (`u` horizontal, `v` vertical frequency): every `(u, v)` with
//!    `1 <= u + v <= 10`, except `(5, 5)`, which leaves exactly 64 and keeps the
//!    set symmetric under transposition. This triangle is the low-frequency
//!    corner in the same spirit as the classic top-left 8×8 block, but the DC
//!    term (the mean brightness) is left out rather than spending a bit on it:
//!    it is always positive, so its bit would be constant. Coefficients are taken
//!    in order of `u + v`, then `u`; the first sets the most significant bit, so
//!    the hex form reads lowest frequencies first.
//! 5. A bit is set when its coefficient is positive and outside a dead zone: at
//!    least [`DEAD_ZONE_ABSOLUTE`] (under a tenth of a grey level of amplitude)
//!    and at least [`DEAD_ZONE_RELATIVE`] (0.3 %) of the Euclidean norm of the 64
//!    coefficients. Negative and dead-zone coefficients give 0 bits; a flat
//!    picture hashes to `0`.
//!
//! Step 5 departs from the classic pHash rule (bit set when the coefficient
//! exceeds the median of the block) because of what we measured. Pictures whose
//! energy sits in a few frequencies — gradients, stripes, separable patterns, as
//! in several of our fixtures — have dozens of coefficients that are nothing but
//! rounding and compression noise, and the median lands among them: with the
//! median rule on the same 64 coefficients, JPEG quality 70 moved such a picture
//! by 10 bits and half size plus quality 70 by 16. The dead zone makes those
//! coefficients exactly zero in the original and in its copies alike. Keeping
//! the median on top of the dead zone was less stable than the sign: the median
//! jumps when the number of zeroed coefficients crosses 32 (up to 13 bits at
//! quality 70 with a 0.5 % dead zone), and a median over the surviving
//! coefficients moved 7 bits for brightness +20 and 10 for contrast +20 %, against
//! 3 and 6 with the sign rule.
//!
//! The price is that a very simple picture (a plain gradient, a flat field) has
//! few informative bits, so two unrelated simple pictures come closer than two
//! photographs: the closest unrelated pair among our fixtures, two smooth
//! gradients, is 12 bits apart.
//!
//! Decoding ([`hash_bytes`], [`decode_picture`]) applies the EXIF orientation, so
//! a sideways-stored photo and the upright copy a platform makes of it agree.
//! [`hash_bytes`] (what `sign` logs) decodes a JPEG reduced in the DCT domain
//! ([`decode_reduced_within`]): every 8×8 block becomes its mean, which is what
//! step 2 computes anyway, so the hash moves by at most 2 bits from the full
//! decode's on our fixtures, for a fraction of the time on a large photo.
//!
//! # Measured figures
//!
//! From `core/tests/perceptual.rs` in the debug build (run it with
//! `--nocapture`). Originals: the 3 pictures in `samples/` and the 13 JPEG/PNG
//! fixtures under `shared/fixtures` (16 files; several fixtures are the same
//! photo signed differently). Largest distance between an original and its copy:
//!
//! | copy of the original                          | largest distance |
//! |-----------------------------------------------|------------------|
//! | JPEG quality 70                               | 1                |
//! | half width and height (Triangle filter)       | 1                |
//! | metadata stripped (pixels re-encoded as PNG)  | 0                |
//! | half size, then JPEG quality 70               | 1                |
//! | *not required:* JPEG quality 40               | 1                |
//! | *not required:* quarter size, JPEG quality 60 | 2                |
//! | *not required:* brightness +20                | 3                |
//! | *not required:* contrast +20 %                | 6                |
//! | *not required:* 3 % cropped off each side     | 11               |
//!
//! Crops move every frequency, so a pHash does not reliably survive them: 3 % off
//! each side moved two of the pictures (the c2pa-rs photo, in its 5 files, and
//! the infographic) by 9 to 11 bits, beyond [`MATCH_DISTANCE`].
//!
//! False positives: 1,000 generated unrelated pictures (gradients, shapes, text-
//! like stripes, smooth noise; 200–640 px a side) against each other and against
//! the 3 samples, 502,500 pairs: none within 8 bits, minimum distance 12 (3
//! pairs), 13 pairs at 12–14, mean 31.8.
//!
//! [`MATCH_DISTANCE`] is 8: eight times the largest distance seen for the
//! required copies, and 4 bits short of the closest unrelated pair, generated or
//! real.

use std::fmt;
use std::io::Cursor;
use std::str::FromStr;

use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits};

/// Largest distance (inclusive) at which two hashes are taken as the same picture.
///
/// Chosen from the measurements in the module documentation: well above every
/// distance seen between an original and its re-encoded, resized or stripped
/// copies (at most 1), and below every distance seen between unrelated pictures
/// (at least 12).
pub const MATCH_DISTANCE: u32 = 8;

/// Widest and tallest picture [`hash_bytes`] and [`decode_picture`] accept, in pixels.
pub const MAX_SIDE: u32 = 16_384;

/// Most bytes [`hash_bytes`] and [`decode_picture`] let a decoder allocate (512 MiB).
pub const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// Coefficients smaller than this count as zero (see step 5 in the module
/// documentation). The unit: a cosine pattern of amplitude `A` grey levels at one
/// of the hashed frequencies gives a coefficient of `16 * A` (about `22.6 * A` for
/// purely horizontal or vertical ones), so 1.0 is well under a tenth of a grey level.
pub const DEAD_ZONE_ABSOLUTE: f64 = 1.0;

/// Coefficients smaller than this share of the Euclidean norm of all 64 count as
/// zero (see step 5 in the module documentation).
pub const DEAD_ZONE_RELATIVE: f64 = 0.003;

/// A 64-bit perceptual hash. Its text form is 16 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PerceptualHash(pub u64);

impl PerceptualHash {
    /// Number of bits in which the two hashes differ (Hamming distance, 0..=64).
    #[must_use]
    pub fn distance(self, other: PerceptualHash) -> u32 {
        (self.0 ^ other.0).count_ones()
    }

    /// Whether `other` is close enough to count as the same picture
    /// (distance at most [`MATCH_DISTANCE`]).
    #[must_use]
    pub fn matches(self, other: PerceptualHash) -> bool {
        within(self, other, MATCH_DISTANCE)
    }
}

/// Whether `candidate` is at most `max` bits away from `query`.
#[must_use]
pub fn within(query: PerceptualHash, candidate: PerceptualHash, max: u32) -> bool {
    query.distance(candidate) <= max
}

impl fmt::Display for PerceptualHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Why a text is not a [`PerceptualHash`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a perceptual hash is 16 hex digits, got \"{0}\"")]
pub struct ParseHashError(String);

impl FromStr for PerceptualHash {
    type Err = ParseHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shown: String = s.chars().take(40).collect();
        if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParseHashError(shown));
        }
        u64::from_str_radix(s, 16)
            .map(PerceptualHash)
            .map_err(|_| ParseHashError(shown))
    }
}

/// Why a picture could not be hashed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PerceptualError {
    /// Not a JPEG, PNG or WebP picture (or a variant of one we cannot read).
    #[error("unsupported picture format: {0}")]
    Unsupported(String),
    /// The bytes look like a supported format but are damaged or truncated.
    #[error("could not decode the picture: {0}")]
    Decode(String),
    /// The picture is larger than the decode limits allow (see [`DecodeLimits`]).
    #[error("picture too large to decode: {0}")]
    TooLarge(String),
}

impl From<ImageError> for PerceptualError {
    fn from(e: ImageError) -> Self {
        match e {
            ImageError::Limits(l) => PerceptualError::TooLarge(l.to_string()),
            ImageError::Unsupported(u) => PerceptualError::Unsupported(u.to_string()),
            other => PerceptualError::Decode(other.to_string()),
        }
    }
}

/// Decodes a JPEG, PNG or WebP picture within [`MAX_SIDE`] and [`MAX_ALLOC`], so a
/// hostile header gets an error instead of exhausting memory, and applies its EXIF
/// orientation.
///
/// The format is recognised from the content, not from a file name.
pub fn decode_picture(bytes: &[u8]) -> Result<DynamicImage, PerceptualError> {
    decode_picture_within(bytes, DecodeLimits::default())
}

/// How much decoding one picture may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Widest and tallest picture accepted, in pixels.
    pub max_side: u32,
    /// Most bytes a decoder may allocate (the decoded pixels included).
    pub max_alloc: u64,
}

impl Default for DecodeLimits {
    /// [`MAX_SIDE`] and [`MAX_ALLOC`]: for one's own files.
    fn default() -> Self {
        Self {
            max_side: MAX_SIDE,
            max_alloc: MAX_ALLOC,
        }
    }
}

/// As [`decode_picture`], within `limits` (a server decoding uploads sets tighter ones,
/// so a small compressed file cannot make it allocate much).
pub fn decode_picture_within(
    bytes: &[u8],
    limits: DecodeLimits,
) -> Result<DynamicImage, PerceptualError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PerceptualError::Decode(e.to_string()))?;
    let mut decoder = checked_decoder(reader, limits)?;
    // A damaged EXIF block should not stop us from hashing the pixels.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder)?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// The decoder of a recognised picture whose header is within `limits`.
fn checked_decoder<'a>(
    mut reader: ImageReader<Cursor<&'a [u8]>>,
    limits: DecodeLimits,
) -> Result<impl ImageDecoder + 'a, PerceptualError> {
    let (max_side, max_alloc) = (limits.max_side, limits.max_alloc);
    if reader.format().is_none() {
        return Err(PerceptualError::Unsupported(
            "not a JPEG, PNG or WebP picture".to_owned(),
        ));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(max_side);
    limits.max_image_height = Some(max_side);
    limits.max_alloc = Some(max_alloc);
    reader.limits(limits);

    let decoder = reader.into_decoder()?;
    let (width, height) = decoder.dimensions();
    if decoder.total_bytes() > max_alloc {
        return Err(PerceptualError::TooLarge(format!(
            "{width}x{height} pixels need {} bytes, more than the {} MiB allowed",
            decoder.total_bytes(),
            max_alloc >> 20
        )));
    }
    Ok(decoder)
}

/// Smallest side [`decode_reduced_within`] keeps for the fingerprints: the side of
/// the grid both reduce to.
pub const FINGERPRINT_SIDE: u32 = 32;

/// As [`decode_picture_within`], but a JPEG is decoded reduced in the DCT domain (by
/// 2, 4 or 8) as far as both sides stay at least `min_side` pixels
/// (see [`super::jpeg_scaled`]): enough for a fingerprint ([`FINGERPRINT_SIDE`]) or a
/// thumbnail (its side), at a fraction of the cost of the full pixels. Other formats,
/// and JPEGs in CMYK or 16-bit, are decoded in full. The EXIF orientation is applied.
pub fn decode_reduced_within(
    bytes: &[u8],
    limits: DecodeLimits,
    min_side: u32,
) -> Result<DynamicImage, PerceptualError> {
    decode_reduced_with_factor(bytes, limits, min_side).map(|(img, _)| img)
}

/// As [`decode_reduced_within`], with the reduction the picture was decoded at (1: in
/// full), for [`fingerprint_picture`].
pub fn decode_reduced_with_factor(
    bytes: &[u8],
    limits: DecodeLimits,
    min_side: u32,
) -> Result<(DynamicImage, u32), PerceptualError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PerceptualError::Decode(e.to_string()))?;
    if reader.format() != Some(image::ImageFormat::Jpeg) {
        return decode_picture_within(bytes, limits).map(|img| (img, 1));
    }
    // The header, its limits and the orientation through the same decoder as a full
    // decode, so both paths refuse the same pictures.
    let mut decoder = checked_decoder(reader, limits)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let (width, height) = decoder.dimensions();
    drop(decoder);
    let max_alloc = usize::try_from(limits.max_alloc).unwrap_or(usize::MAX);
    let mut img = match super::jpeg_scaled::decode(bytes, min_side, max_alloc) {
        Ok(Some(img)) => img,
        Ok(None) => return decode_picture_within(bytes, limits).map(|img| (img, 1)),
        Err(e) => return Err(PerceptualError::Decode(e)),
    };
    let factor = super::jpeg_scaled::reduction(width, height, min_side).0;
    img.apply_orientation(orientation);
    Ok((img, factor))
}

/// The picture the log's fingerprints (the DCT hash and the ISCC entry codes) are
/// computed from, made of one already decoded reduced by `factor` (e.g. for a
/// thumbnail): block-averaged down to the reduction a decode at [`FINGERPRINT_SIDE`]
/// would have used (for a JPEG, the 1/8 decode a lookup or a soft-binding check
/// makes; block means are what that decode gives, up to rounding). Hashing the
/// thumbnail-size pixels instead costs many times more and gives the same codes
/// within a bit or two.
#[must_use]
pub fn fingerprint_picture(
    picture: &DynamicImage,
    factor: u32,
) -> std::borrow::Cow<'_, DynamicImage> {
    let factor = factor.max(1);
    let (w, h) = (
        picture.width().saturating_mul(factor),
        picture.height().saturating_mul(factor),
    );
    let wanted = super::jpeg_scaled::reduction(w, h, FINGERPRINT_SIDE).0;
    if wanted <= factor {
        return std::borrow::Cow::Borrowed(picture);
    }
    std::borrow::Cow::Owned(super::jpeg_scaled::box_reduce(picture, wanted / factor))
}

/// Decodes a picture (see [`decode_picture`]) and returns its [`hash_image`].
pub fn hash_bytes(bytes: &[u8]) -> Result<PerceptualHash, PerceptualError> {
    hash_bytes_within(bytes, DecodeLimits::default())
}

/// As [`hash_bytes`], decoding within `limits`; a JPEG is decoded reduced (see
/// [`decode_reduced_within`]), which moves its hash by at most a bit or two from
/// the full decode's.
pub fn hash_bytes_within(
    bytes: &[u8],
    limits: DecodeLimits,
) -> Result<PerceptualHash, PerceptualError> {
    decode_reduced_within(bytes, limits, FINGERPRINT_SIDE).map(|img| hash_image(&img))
}

/// Side of the grid the picture is reduced to before the DCT.
const GRID: usize = 32;
/// Highest DCT index evaluated along either axis (`u + v <= 10`).
const MAX_FREQ: usize = 10;

/// The 64-bit perceptual hash of decoded pixels (see the module documentation for
/// the steps). An empty (0-pixel) or flat picture hashes to `PerceptualHash(0)`.
#[must_use]
pub fn hash_image(img: &DynamicImage) -> PerceptualHash {
    PerceptualHash(hash_bits(&dct_coefficients(img)))
}

/// Rows of luma values (0–255, alpha composited over white) of any picture.
enum LumaSource<'a> {
    Gray(&'a [u8]),
    GrayAlpha(&'a [u8]),
    Rgb(&'a [u8]),
    Rgba(&'a [u8]),
}

impl LumaSource<'_> {
    fn channels(&self) -> usize {
        match self {
            LumaSource::Gray(_) => 1,
            LumaSource::GrayAlpha(_) => 2,
            LumaSource::Rgb(_) => 3,
            LumaSource::Rgba(_) => 4,
        }
    }

    /// Fills `out` (one value per pixel) with row `y`; missing data reads as black.
    fn row(&self, y: usize, out: &mut [f64]) {
        let width = out.len();
        let ch = self.channels();
        let raw = match self {
            LumaSource::Gray(r)
            | LumaSource::GrayAlpha(r)
            | LumaSource::Rgb(r)
            | LumaSource::Rgba(r) => *r,
        };
        let start = y.saturating_mul(width).saturating_mul(ch);
        let end = start.saturating_add(width.saturating_mul(ch));
        let Some(px) = raw.get(start..end) else {
            out.fill(0.0);
            return;
        };
        match self {
            LumaSource::Gray(_) => {
                for (o, &p) in out.iter_mut().zip(px) {
                    *o = f64::from(p);
                }
            }
            LumaSource::GrayAlpha(_) => {
                for (o, p) in out.iter_mut().zip(px.chunks_exact(2)) {
                    *o = over_white(f64::from(p[0]), p[1]);
                }
            }
            LumaSource::Rgb(_) => {
                for (o, p) in out.iter_mut().zip(px.chunks_exact(3)) {
                    *o = luma(p[0], p[1], p[2]);
                }
            }
            LumaSource::Rgba(_) => {
                for (o, p) in out.iter_mut().zip(px.chunks_exact(4)) {
                    *o = over_white(luma(p[0], p[1], p[2]), p[3]);
                }
            }
        }
    }
}

pub(super) fn luma(r: u8, g: u8, b: u8) -> f64 {
    0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b)
}

pub(super) fn over_white(value: f64, alpha: u8) -> f64 {
    let a = f64::from(alpha) / 255.0;
    value * a + 255.0 * (1.0 - a)
}

/// For each source pixel along an axis of `n` pixels, the grid cells it covers and
/// how much of it falls in each, as `(pixel, cell, weight)` sorted by pixel.
///
/// Pixel `i` spans `[GRID*i, GRID*(i+1))` and cell `o` spans `[n*o, n*(o+1))` in
/// units of `1/n` grid cells, so the overlaps are exact integers and every cell
/// collects a total weight of `n`.
fn axis_weights(n: usize) -> Vec<(usize, usize, f64)> {
    let g = GRID as u64;
    let n64 = n as u64;
    let mut out = Vec::with_capacity(n.saturating_mul(2));
    for i in 0..n {
        let lo = g * i as u64;
        let hi = lo + g;
        let first = lo / n64;
        let last = (hi - 1) / n64;
        for cell in first..=last.min(g - 1) {
            let overlap = hi.min(n64 * (cell + 1)) - lo.max(n64 * cell);
            out.push((i, cell as usize, overlap as f64));
        }
    }
    out
}

/// The picture's luma reduced to `GRID`×`GRID` by area averaging, row-major.
/// `None` for a picture without pixels.
fn luma_grid(img: &DynamicImage) -> Option<Vec<f64>> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 {
        return None;
    }
    let converted;
    let source = match img {
        DynamicImage::ImageLuma8(b) => LumaSource::Gray(b.as_raw()),
        DynamicImage::ImageLumaA8(b) => LumaSource::GrayAlpha(b.as_raw()),
        DynamicImage::ImageRgb8(b) => LumaSource::Rgb(b.as_raw()),
        DynamicImage::ImageRgba8(b) => LumaSource::Rgba(b.as_raw()),
        other => {
            converted = other.to_rgba8();
            LumaSource::Rgba(converted.as_raw())
        }
    };

    let xs = axis_weights(w);
    let ys = axis_weights(h);
    let mut grid = vec![0.0f64; GRID * GRID];
    let mut row = vec![0.0f64; w];
    let mut row_cells = [0.0f64; GRID];
    let mut current_row = usize::MAX;
    for &(y, cell_y, wy) in &ys {
        if y != current_row {
            current_row = y;
            source.row(y, &mut row);
            row_cells = [0.0; GRID];
            for &(x, cell_x, wx) in &xs {
                if let (Some(acc), Some(v)) = (row_cells.get_mut(cell_x), row.get(x)) {
                    *acc += wx * v;
                }
            }
        }
        let start = cell_y * GRID;
        if let Some(dst) = grid.get_mut(start..start + GRID) {
            for (d, s) in dst.iter_mut().zip(row_cells.iter()) {
                *d += wy * s;
            }
        }
    }
    let total = w as f64 * h as f64;
    for v in &mut grid {
        *v /= total;
    }
    Some(grid)
}

/// `table[k][x]`: the orthonormal DCT-II basis for frequency `k` at sample `x`.
fn cosine_table() -> [[f64; GRID]; MAX_FREQ + 1] {
    let mut table = [[0.0; GRID]; MAX_FREQ + 1];
    let n = GRID as f64;
    for (k, row) in table.iter_mut().enumerate() {
        let scale = if k == 0 {
            (1.0 / n).sqrt()
        } else {
            (2.0 / n).sqrt()
        };
        for (x, v) in row.iter_mut().enumerate() {
            let angle = std::f64::consts::PI * (2.0 * x as f64 + 1.0) * k as f64 / (2.0 * n);
            *v = scale * angle.cos();
        }
    }
    table
}

/// The 64 `(u, v)` frequencies that make the bits, in bit order (most significant first).
fn hash_frequencies() -> impl Iterator<Item = (usize, usize)> {
    (1..=MAX_FREQ)
        .flat_map(|s| (0..=s).map(move |u| (u, s - u)))
        .filter(|&(u, v)| (u, v) != (5, 5))
}

/// The 64 DCT coefficients the bits come from, in bit order (all zero for an
/// empty picture).
fn dct_coefficients(img: &DynamicImage) -> [f64; 64] {
    let mut out = [0.0f64; 64];
    let Some(grid) = luma_grid(img) else {
        return out;
    };
    let table = cosine_table();
    // Rows first: rows[y][u] = sum_x grid[y][x] * table[u][x] ...
    let mut rows = [[0.0f64; MAX_FREQ + 1]; GRID];
    for (y, r) in rows.iter_mut().enumerate() {
        let Some(line) = grid.get(y * GRID..(y + 1) * GRID) else {
            continue;
        };
        for (o, basis) in r.iter_mut().zip(table.iter()) {
            *o = line.iter().zip(basis.iter()).map(|(a, b)| a * b).sum();
        }
    }
    // ... then down the columns, only for the frequencies that make bits.
    for (o, (u, v)) in out.iter_mut().zip(hash_frequencies()) {
        let Some(basis) = table.get(v) else {
            continue;
        };
        *o = rows
            .iter()
            .zip(basis.iter())
            .map(|(row, b)| row.get(u).copied().unwrap_or(0.0) * b)
            .sum();
    }
    out
}

/// Bit `63 - i` is set when coefficient `i` is positive and outside the dead zone.
fn hash_bits(coefficients: &[f64; 64]) -> u64 {
    let norm = coefficients.iter().map(|c| c * c).sum::<f64>().sqrt();
    let cutoff = (DEAD_ZONE_RELATIVE * norm).max(DEAD_ZONE_ABSOLUTE);
    coefficients
        .iter()
        .fold(0u64, |acc, &c| (acc << 1) | u64::from(c >= cutoff))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::chronology::difference::difference_picture;
    use image::imageops::FilterType;
    use image::{ImageFormat, Rgb, RgbImage};

    fn gradient(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
            let r = (x * 255 / w.max(1)) as u8;
            let g = (y * 255 / h.max(1)) as u8;
            let b = ((x + y) * 127 / (w + h).max(1)) as u8;
            Rgb([r / 2 + 30, g / 2 + 20, b + 40])
        }))
    }

    fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn flat_pictures_hash_stably_to_zero() {
        for (w, h, v) in [(64, 64, 0u8), (100, 37, 128), (31, 5, 255), (1, 1, 7)] {
            let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(w, h, Rgb([v, v, v])));
            assert_eq!(hash_image(&img), PerceptualHash(0), "{w}x{h} value {v}");
            assert_eq!(hash_image(&img), hash_image(&img));
        }
        assert_eq!(hash_image(&DynamicImage::new_rgb8(0, 0)), PerceptualHash(0));
        assert_eq!(hash_image(&DynamicImage::new_rgb8(0, 9)), PerceptualHash(0));
    }

    #[test]
    fn hash_is_deterministic_and_uses_all_frequencies() {
        assert_eq!(hash_frequencies().count(), 64);
        let img = gradient(300, 200);
        assert_eq!(hash_image(&img), hash_image(&img));
        // Same pixels through another pixel layout.
        let rgba = DynamicImage::ImageRgba8(img.to_rgba8());
        assert_eq!(hash_image(&img), hash_image(&rgba));
    }

    #[test]
    fn distance_is_symmetric_hamming() {
        let a = PerceptualHash(0xdead_beef_0000_ffff);
        let b = PerceptualHash(0x1234_5678_9abc_def0);
        assert_eq!(a.distance(b), b.distance(a));
        assert_eq!(a.distance(a), 0);
        assert_eq!(PerceptualHash(0).distance(PerceptualHash(u64::MAX)), 64);
        assert_eq!(PerceptualHash(0b1011).distance(PerceptualHash(0)), 3);
        assert!(within(a, a, 0));
        assert!(!within(PerceptualHash(0), PerceptualHash(0b111), 2));
        assert!(PerceptualHash(0).matches(PerceptualHash(1)));
    }

    #[test]
    fn hex_round_trip() {
        for v in [0u64, 1, 0x0123_4567_89ab_cdef, u64::MAX] {
            let h = PerceptualHash(v);
            let text = h.to_string();
            assert_eq!(text.len(), 16);
            assert_eq!(text.parse::<PerceptualHash>().unwrap(), h);
        }
        assert_eq!(
            "00000000000000FF".parse::<PerceptualHash>().unwrap(),
            PerceptualHash(255)
        );
        for bad in [
            "",
            "0",
            "+123456789abcdef",
            "0123456789abcdefa",
            "0123456789abcdeg",
        ] {
            assert!(bad.parse::<PerceptualHash>().is_err(), "{bad:?}");
        }
        let err = "xyz".parse::<PerceptualHash>().unwrap_err();
        assert!(err.to_string().contains("16 hex digits"));
    }

    #[test]
    fn difference_marks_an_edited_rectangle() {
        let original = gradient(320, 240);
        let mut edited = original.to_rgb8();
        let (bx, by, bw, bh) = (100u32, 60u32, 80u32, 50u32);
        for y in by..by + bh {
            for x in bx..bx + bw {
                edited.put_pixel(x, y, Rgb([255, 255, 255]));
            }
        }
        let diff = difference_picture(&original, &DynamicImage::ImageRgb8(edited));
        assert_eq!(diff.image.dimensions(), (320, 240));
        let expected = f64::from(bw * bh) / f64::from(320 * 240);
        assert!(
            (diff.changed_fraction - expected).abs() < expected * 0.25,
            "changed {} expected {expected}",
            diff.changed_fraction
        );
        let is_red = |p: &Rgb<u8>| p.0[0] > 150 && p.0[1] < 100 && p.0[2] < 100;
        let (mut inside, mut outside) = (0u32, 0u32);
        for (x, y, p) in diff.image.enumerate_pixels() {
            if is_red(p) {
                if (bx..bx + bw).contains(&x) && (by..by + bh).contains(&y) {
                    inside += 1;
                } else {
                    outside += 1;
                }
            }
        }
        assert!(inside > bw * bh * 8 / 10, "inside {inside}");
        assert!(outside < inside / 10, "outside {outside} inside {inside}");

        // An unchanged copy at half size shows no change.
        let half = original.resize_exact(160, 120, FilterType::Triangle);
        let same = difference_picture(&original, &half);
        assert!(same.changed_fraction < 0.01, "{}", same.changed_fraction);

        // Degenerate inputs do not panic.
        let empty = DynamicImage::new_rgb8(0, 0);
        assert_eq!(difference_picture(&original, &empty).changed_fraction, 1.0);
        assert_eq!(difference_picture(&empty, &original).changed_fraction, 0.0);
        let tiny = DynamicImage::new_rgba8(1, 1);
        let _ = difference_picture(&tiny, &original);
        let _ = difference_picture(&original, &tiny);
    }

    #[test]
    fn truncated_or_foreign_bytes_are_errors() {
        let img = gradient(200, 150);
        let jpeg = encode(&img, ImageFormat::Jpeg);
        for cut in [0, 2, 3, 20, 100, 300] {
            let r = hash_bytes(&jpeg[..cut.min(jpeg.len())]);
            assert!(r.is_err(), "cut at {cut}: {r:?}");
        }
        // Cuts inside the scan must not panic (a lenient decoder may fill in grey).
        for cut in (0..jpeg.len()).step_by(97) {
            let _ = hash_bytes(&jpeg[..cut]);
        }
        let png = encode(&img, ImageFormat::Png);
        for cut in (0..png.len()).step_by(101) {
            assert!(hash_bytes(&png[..cut]).is_err(), "png cut at {cut}");
        }
        assert!(matches!(
            hash_bytes(b"hello, world"),
            Err(PerceptualError::Unsupported(_))
        ));
        assert!(matches!(
            hash_bytes(b""),
            Err(PerceptualError::Unsupported(_))
        ));
        // A whole picture decodes and matches its pixels.
        assert_eq!(
            hash_bytes(&png).unwrap(),
            hash_image(&img),
            "PNG is lossless"
        );
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }

    /// A PNG signature and an 8-bit RGB header; with `rest`, also an empty IDAT
    /// and IEND, so that a decoder gets past the header before finding no pixels.
    fn png_header(width: u32, height: u32, rest: bool) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        chunk(&mut out, b"IHDR", &ihdr);
        if rest {
            chunk(&mut out, b"IDAT", &[]);
            chunk(&mut out, b"IEND", &[]);
        }
        out
    }

    #[test]
    fn huge_png_header_is_too_large() {
        let started = std::time::Instant::now();
        for rest in [false, true] {
            let err = hash_bytes(&png_header(100_000, 100_000, rest)).unwrap_err();
            assert!(matches!(err, PerceptualError::TooLarge(_)), "{err:?}");
            assert!(err.to_string().contains("too large"), "{err}");
        }
        // Within the side limit but over the allocation limit (16000² RGB = 768 MB).
        let err = hash_bytes(&png_header(16_000, 16_000, true)).unwrap_err();
        assert!(matches!(err, PerceptualError::TooLarge(_)), "{err:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        // Headers without pixel data are decode errors, not panics.
        for rest in [false, true] {
            let r = hash_bytes(&png_header(10, 10, rest));
            assert!(matches!(r, Err(PerceptualError::Decode(_))), "{r:?}");
        }
    }
}
