//! A picture of where a copy differs from its original (`provenant lookup --diff`).

use image::imageops::FilterType;
use image::{DynamicImage, RgbImage};

use super::fingerprint::{luma, over_white};

/// Luma difference (0–255, after blurring both pictures) above which a pixel
/// counts as changed in [`difference_picture`].
pub const CHANGE_THRESHOLD: u8 = 40;

/// Widest box blur [`difference_picture`] applies (a copy shrunk beyond this factor
/// has nothing left to compare anyway).
const MAX_BLUR_RADIUS: u32 = 1024;

/// A picture of where a copy differs from its original; see [`difference_picture`].
#[derive(Debug, Clone)]
pub struct Difference {
    /// The original, dimmed to grey, with changed pixels painted red (the stronger
    /// the change, the purer the red). Same size as the original.
    pub image: RgbImage,
    /// Share of the original's pixels marked changed, 0.0–1.0.
    pub changed_fraction: f64,
}

/// Compares a copy with its original and paints the changes.
///
/// The copy is first resized to the original's size (so a half-size or otherwise
/// rescaled copy compares; a crop or a change of aspect ratio is stretched, not
/// aligned). Both are flattened over white and blurred with a box filter a little
/// wider than the scale factor between them, so re-encoding noise and lost fine
/// detail do not count; a pixel counts as changed when any colour channel then
/// differs by more than [`CHANGE_THRESHOLD`]. The returned image shows the
/// original in dim grey with those pixels in red, stronger for larger differences;
/// [`Difference::changed_fraction`] is the share of such pixels.
///
/// A copy without pixels counts as entirely changed; an original without pixels
/// gives an empty image and a fraction of 0.
#[must_use]
pub fn difference_picture(original: &DynamicImage, copy: &DynamicImage) -> Difference {
    let (w, h) = (original.width(), original.height());
    let original_rgb = flatten_over_white(original);
    let total = u64::from(w) * u64::from(h);
    if total == 0 {
        return Difference {
            image: RgbImage::new(w, h),
            changed_fraction: 0.0,
        };
    }

    let (cw, ch) = (copy.width(), copy.height());
    let mut image = RgbImage::new(w, h);
    if cw == 0 || ch == 0 {
        for (out, src) in image.pixels_mut().zip(original_rgb.pixels()) {
            *out = paint(src.0, 255.0);
        }
        return Difference {
            image,
            changed_fraction: 1.0,
        };
    }
    let mut copy_rgb = flatten_over_white(copy);
    if (cw, ch) != (w, h) {
        copy_rgb = image::imageops::resize(&copy_rgb, w, h, FilterType::Triangle);
    }

    // The scale factor (rounded up) tells how much detail the copy lost.
    let scale = w.div_ceil(cw).max(h.div_ceil(ch));
    let radius = scale
        .saturating_add(1)
        .max(w.min(h) / 400)
        .min(MAX_BLUR_RADIUS) as usize;
    let a = box_blur(&original_rgb, radius);
    let b = box_blur(&copy_rgb, radius);

    let threshold = f32::from(CHANGE_THRESHOLD);
    let mut changed = 0u64;
    for ((out, src), (pa, pb)) in image
        .pixels_mut()
        .zip(original_rgb.pixels())
        .zip(a.pixels().zip(b.pixels()))
    {
        let d =
            pa.0.iter()
                .zip(pb.0.iter())
                .map(|(x, y)| x.abs_diff(*y))
                .max()
                .unwrap_or(0);
        let d = f32::from(d);
        if d > threshold {
            changed += 1;
            *out = paint(src.0, d);
        } else {
            *out = dim(src.0);
        }
    }
    Difference {
        image,
        changed_fraction: changed as f64 / total as f64,
    }
}

/// The original pixel as dim grey.
fn dim(p: [u8; 3]) -> image::Rgb<u8> {
    let g = (luma(p[0], p[1], p[2]) * 0.45) as u8;
    image::Rgb([g, g, g])
}

/// The original pixel covered with red; `difference` (0–255) sets how opaque.
fn paint(p: [u8; 3], difference: f32) -> image::Rgb<u8> {
    let threshold = f32::from(CHANGE_THRESHOLD);
    let t = ((difference - threshold) / (255.0 - threshold)).clamp(0.0, 1.0);
    let alpha = 0.6 + 0.4 * t;
    let g = (luma(p[0], p[1], p[2]) * 0.45) as f32 * (1.0 - alpha);
    image::Rgb([(g + 255.0 * alpha) as u8, g as u8, g as u8])
}

/// RGB with any alpha composited over white.
fn flatten_over_white(img: &DynamicImage) -> RgbImage {
    if let DynamicImage::ImageRgb8(b) = img {
        return b.clone();
    }
    if !img.color().has_alpha() {
        return img.to_rgb8();
    }
    let rgba = img.to_rgba8();
    let mut out = RgbImage::new(rgba.width(), rgba.height());
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let [r, g, b, a] = p.0;
        let f = |c: u8| over_white(f64::from(c), a).round() as u8;
        *o = image::Rgb([f(r), f(g), f(b)]);
    }
    out
}

/// Separable box blur with a window of `2 * radius + 1`, edges clamped.
fn box_blur(img: &RgbImage, radius: usize) -> RgbImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let src = img.as_raw();
    let mut tmp = vec![0u8; src.len()];
    for y in 0..h {
        let (Some(line), Some(out)) = (
            src.get(y * w * 3..(y + 1) * w * 3),
            tmp.get_mut(y * w * 3..(y + 1) * w * 3),
        ) else {
            continue;
        };
        blur_line(line, out, w, 3, radius);
    }
    let mut result = vec![0u8; src.len()];
    let mut column = vec![0u8; h * 3];
    let mut blurred = vec![0u8; h * 3];
    for x in 0..w {
        for y in 0..h {
            let (Some(dst), Some(s)) = (
                column.get_mut(y * 3..y * 3 + 3),
                tmp.get((y * w + x) * 3..(y * w + x) * 3 + 3),
            ) else {
                continue;
            };
            dst.copy_from_slice(s);
        }
        blur_line(&column, &mut blurred, h, 3, radius);
        for y in 0..h {
            let (Some(dst), Some(s)) = (
                result.get_mut((y * w + x) * 3..(y * w + x) * 3 + 3),
                blurred.get(y * 3..y * 3 + 3),
            ) else {
                continue;
            };
            dst.copy_from_slice(s);
        }
    }
    RgbImage::from_raw(img.width(), img.height(), result).unwrap_or_else(|| img.clone())
}

/// Running-sum box blur of `n` interleaved samples of `ch` channels.
fn blur_line(src: &[u8], dst: &mut [u8], n: usize, ch: usize, radius: usize) {
    if n == 0 {
        return;
    }
    let at = |i: isize, c: usize| -> u64 {
        let i = i.clamp(0, n as isize - 1) as usize;
        src.get(i * ch + c).copied().map_or(0, u64::from)
    };
    let r = radius as isize;
    let window = 2 * radius as u64 + 1;
    for c in 0..ch {
        let mut sum: u64 = (-r..=r).map(|i| at(i, c)).sum();
        for i in 0..n {
            if let Some(d) = dst.get_mut(i * ch + c) {
                *d = ((sum + window / 2) / window) as u8;
            }
            let i = i as isize;
            sum = sum + at(i + r + 1, c) - at(i - r, c);
        }
    }
}
