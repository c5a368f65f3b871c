//! Reduced IDCTs, chroma upsampling and colour conversion of the entropy decoder.

use image::{DynamicImage, GrayImage, RgbImage};

use super::{Fail, Frame};

#[inline]
fn clamp(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// The reduced IDCT of the dequantized `n`×`n` low-frequency corner into `out`.
#[inline]
pub(super) fn idct(n: usize, c: &[i32; 64], out: &mut [u8], stride: usize) {
    match n {
        1 => {
            // The block mean, DC / 8, truncated as `jpeg-decoder` does (so a 1/8
            // decode, which the lookups' fingerprints use, gives its pixels exactly).
            out[0] = clamp(c[0].wrapping_add(1024) / 8);
        }
        2 => {
            let (a, b, d, e) = (c[0], c[1], c[2], c[3]);
            let p = |sx: i32, sy: i32| clamp(((a + sx * b + sy * d + sx * sy * e + 4) >> 3) + 128);
            out[0] = p(1, 1);
            out[1] = p(-1, 1);
            out[stride] = p(1, -1);
            out[stride + 1] = p(-1, -1);
        }
        4 => idct4(c, out, stride),
        _ => idct8(c, out, stride),
    }
}

/// `A[x][u] = C(u)/2 · cos((2x+1)uπ/8)`, C(0) = 1/√2, scaled by 2^12.
const IDCT4: [[i32; 4]; 4] = {
    // cos(π/8), cos(3π/8), cos(π/4), each / 2 and scaled by 4096.
    const A: i32 = 1892; // cos(π/8)/2
    const B: i32 = 784; // cos(3π/8)/2
    const C: i32 = 1448; // (1/√2)/2
    [[C, A, C, B], [C, B, -C, -A], [C, -B, -C, A], [C, -A, C, -B]]
};

fn idct4(c: &[i32; 64], out: &mut [u8], stride: usize) {
    // Rows (over u) first, keeping 2^12 scale, then columns.
    let mut tmp = [0i64; 16];
    for v in 0..4 {
        let row = &c[v * 4..v * 4 + 4];
        for x in 0..4 {
            tmp[v * 4 + x] = (0..4)
                .map(|u| i64::from(IDCT4[x][u]) * i64::from(row[u]))
                .sum();
        }
    }
    for y in 0..4 {
        for x in 0..4 {
            let s: i64 = (0..4)
                .map(|v| i64::from(IDCT4[y][v]) * tmp[v * 4 + x])
                .sum();
            let v = ((s + (1 << 23)) >> 24) + 128;
            out[y * stride + x] = v.clamp(0, 255) as u8;
        }
    }
}

/// `A[x][u] = C(u)/2 · cos((2x+1)uπ/16)`, C(0) = 1/√2: the 8-point IDCT.
#[allow(clippy::excessive_precision, clippy::unreadable_literal)]
const IDCT8: [[f32; 8]; 8] = [
    [
        0.353553391,
        0.490392640,
        0.461939766,
        0.415734806,
        0.353553391,
        0.277785117,
        0.191341716,
        0.097545161,
    ],
    [
        0.353553391,
        0.415734806,
        0.191341716,
        -0.097545161,
        -0.353553391,
        -0.490392640,
        -0.461939766,
        -0.277785117,
    ],
    [
        0.353553391,
        0.277785117,
        -0.191341716,
        -0.490392640,
        -0.353553391,
        0.097545161,
        0.461939766,
        0.415734806,
    ],
    [
        0.353553391,
        0.097545161,
        -0.461939766,
        -0.277785117,
        0.353553391,
        0.415734806,
        -0.191341716,
        -0.490392640,
    ],
    [
        0.353553391,
        -0.097545161,
        -0.461939766,
        0.277785117,
        0.353553391,
        -0.415734806,
        -0.191341716,
        0.490392640,
    ],
    [
        0.353553391,
        -0.277785117,
        -0.191341716,
        0.490392640,
        -0.353553391,
        -0.097545161,
        0.461939766,
        -0.415734806,
    ],
    [
        0.353553391,
        -0.415734806,
        0.191341716,
        0.097545161,
        -0.353553391,
        0.490392640,
        -0.461939766,
        0.277785117,
    ],
    [
        0.353553391,
        -0.490392640,
        0.461939766,
        -0.415734806,
        0.353553391,
        -0.277785117,
        0.191341716,
        -0.097545161,
    ],
];

/// The full 8×8 IDCT (in `f32`: the picture is small when it is decoded in full).
fn idct8(c: &[i32; 64], out: &mut [u8], stride: usize) {
    if c[1..].iter().all(|&v| v == 0) {
        let v = clamp(((c[0] + 4) >> 3) + 128);
        for row in out.chunks_mut(stride).take(8) {
            row[..8].fill(v);
        }
        return;
    }
    let mut tmp = [[0f32; 8]; 8];
    for (v, t) in tmp.iter_mut().enumerate() {
        let row = &c[v * 8..v * 8 + 8];
        for (x, t) in t.iter_mut().enumerate() {
            *t = IDCT8[x].iter().zip(row).map(|(a, &f)| a * f as f32).sum();
        }
    }
    for (y, a) in IDCT8.iter().enumerate() {
        let line = &mut out[y * stride..y * stride + 8];
        for (x, o) in line.iter_mut().enumerate() {
            let s: f32 = a.iter().zip(&tmp).map(|(a, t)| a * t[x]).sum();
            *o = (s + 128.5).clamp(0.0, 255.0) as u8;
        }
    }
}

/// Upsamples the chroma, converts to RGB and crops to the reduced size.
pub(super) fn finish(frame: Frame, factor: u32) -> Result<DynamicImage, Fail> {
    let f = factor as usize;
    let (out_w, out_h) = (frame.width.div_ceil(f), frame.height.div_ceil(f));
    let n = frame.n;
    let luma_stride = frame.mcux * frame.components[0].h * n;
    let too_few = || "the decoder made too few pixels".to_owned();
    if frame.components.len() == 1 {
        let plane = &frame.planes[0];
        let mut px = Vec::with_capacity(out_w * out_h);
        for y in 0..out_h {
            px.extend_from_slice(&plane[y * luma_stride..y * luma_stride + out_w]);
        }
        return GrayImage::from_raw(out_w as u32, out_h as u32, px)
            .map(DynamicImage::ImageLuma8)
            .ok_or_else(too_few);
    }
    // Every plane brought to the full MCU grid at the output's scale.
    let (full_w, full_h) = (frame.mcux * frame.hmax * n, frame.mcuy * frame.vmax * n);
    let mut full = Vec::with_capacity(3);
    for (c, plane) in frame.components.iter().zip(frame.planes) {
        let (rx, ry) = (frame.hmax / c.h, frame.vmax / c.v);
        let (w, h) = (frame.mcux * c.h * n, frame.mcuy * c.v * n);
        full.push(upsample(plane, w, h, rx, ry));
        debug_assert_eq!(full.last().map(Vec::len), Some(full_w * full_h));
    }
    let mut px = vec![0u8; out_w * out_h * 3];
    for (y, row) in px.chunks_exact_mut(out_w * 3).enumerate() {
        let at = y * full_w;
        let (ys, cbs, crs) = (
            &full[0][at..at + out_w],
            &full[1][at..at + out_w],
            &full[2][at..at + out_w],
        );
        for (((o, &y), &cb), &cr) in row.chunks_exact_mut(3).zip(ys).zip(cbs).zip(crs) {
            let yy = (i32::from(y) << 16) + (1 << 15);
            let (cb, cr) = (i32::from(cb) - 128, i32::from(cr) - 128);
            o[0] = clamp((yy + 91_881 * cr) >> 16);
            o[1] = clamp((yy - 22_554 * cb - 46_802 * cr) >> 16);
            o[2] = clamp((yy + 116_130 * cb) >> 16);
        }
    }
    let _ = full_h;
    RgbImage::from_raw(out_w as u32, out_h as u32, px)
        .map(DynamicImage::ImageRgb8)
        .ok_or_else(too_few)
}

/// A `w`×`h` plane enlarged `rx`×`ry` times: the "fancy" triangle filter for
/// factors of 1 and 2 (what libjpeg-style decoders, `jpeg-decoder` too, do), pixel
/// replication when either factor is larger.
fn upsample(plane: Vec<u8>, w: usize, h: usize, rx: usize, ry: usize) -> Vec<u8> {
    if rx == 1 && ry == 1 {
        return plane;
    }
    if rx > 2 || ry > 2 {
        return replicate(&plane, w, h, rx, ry);
    }
    // Vertical first, into 16-bit sums scaled by 4 (or 1 when replicating).
    let (vh, vscale) = (h * ry, if ry == 2 { 4 } else { 1 });
    let mut vert = vec![0u16; w * vh];
    for oy in 0..vh {
        let dst = &mut vert[oy * w..(oy + 1) * w];
        let sy = oy / ry;
        let near = &plane[sy * w..(sy + 1) * w];
        if ry == 2 {
            let other_y = if oy % 2 == 0 {
                sy.saturating_sub(1)
            } else {
                (sy + 1).min(h - 1)
            };
            let far = &plane[other_y * w..(other_y + 1) * w];
            for ((d, &a), &b) in dst.iter_mut().zip(near).zip(far) {
                *d = 3 * u16::from(a) + u16::from(b);
            }
        } else {
            for (d, &a) in dst.iter_mut().zip(near) {
                *d = u16::from(a);
            }
        }
    }
    let ow = w * rx;
    let mut out = vec![0u8; ow * vh];
    for (src, dst) in vert.chunks_exact(w).zip(out.chunks_exact_mut(ow)) {
        if rx == 2 {
            for x in 0..w {
                let c = u32::from(src[x]);
                let l = u32::from(src[x.saturating_sub(1)]);
                let r = u32::from(src[(x + 1).min(w - 1)]);
                let s = vscale * 4;
                dst[2 * x] = ((3 * c + l + s / 2) / s) as u8;
                dst[2 * x + 1] = ((3 * c + r + s / 2 - 1) / s) as u8;
            }
        } else {
            for (x, d) in dst.iter_mut().enumerate() {
                let v = u32::from(src[x / rx]);
                *d = ((v + vscale / 2) / vscale) as u8;
            }
        }
    }
    out
}

/// A `w`×`h` plane enlarged `rx`×`ry` times by repeating its pixels.
fn replicate(plane: &[u8], w: usize, h: usize, rx: usize, ry: usize) -> Vec<u8> {
    let ow = w * rx;
    let mut out = vec![0u8; ow * h * ry];
    for (oy, dst) in out.chunks_exact_mut(ow).enumerate() {
        let src = &plane[(oy / ry) * w..(oy / ry + 1) * w];
        for (d, chunk) in src.iter().zip(dst.chunks_exact_mut(rx)) {
            chunk.fill(*d);
        }
    }
    out
}
