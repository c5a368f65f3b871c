//! Our own decoder for baseline-sequential Huffman JPEGs (SOF0/SOF1, 8-bit, one or
//! three components, any integer sampling ratios, restart markers) that produces the
//! picture reduced by 2, 4 or 8 directly (or in full): every Huffman symbol must still
//! be read, but only the low-frequency coefficients the output needs are kept (the DC
//! alone at 1/8, the 2×2 or 4×4 corner at 1/4 or 1/2), each block goes through a
//! reduced IDCT straight into a reduced plane, and the chroma is upsampled and converted once at
//! the end. What makes it faster than `jpeg-decoder` is the bit reader (a 64-bit
//! buffer refilled eight bytes at a time where no `0xFF` byte is near) and a lookahead
//! table that yields a whole AC coefficient (run, size and value) in one step.
//!
//! Anything it does not handle (progressive, arithmetic, 12-bit, lossless, CMYK, an
//! RGB or Adobe-transform-0 picture, fractional sampling ratios, a DNL marker) gives `Ok(None)`, and the caller decodes with `jpeg-decoder`; damaged
//! data gives an error, which the caller also hands to `jpeg-decoder` (so a damaged
//! file gets that decoder's verdict, as before). It never reads past the entropy data
//! (running out of it is an error, so the work is bounded by the input's size), and it
//! allocates only the reduced planes, after checking them against the caller's bound.

mod bits;
mod pixels;

use crate::jpeg_segments::Step;
use bits::{extend, Bits, Huffman, END_OF_BLOCK};
use image::DynamicImage;
use pixels::{finish, idct};

/// Bits a Huffman lookahead table covers.
pub(super) const LOOKAHEAD: u32 = 10;

/// Natural (row-major) position of each zig-zag index.
pub(super) const ZIGZAG: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

pub(super) type Fail = String;

pub(super) fn fail<T>(what: &str) -> Result<T, Fail> {
    Err(what.to_owned())
}

#[derive(Clone, Copy, Default)]
struct Component {
    id: u8,
    h: usize,
    v: usize,
    quant: usize,
}

/// Frame, tables and the planes decoded so far.
struct Frame {
    width: usize,
    height: usize,
    components: Vec<Component>,
    hmax: usize,
    vmax: usize,
    mcux: usize,
    mcuy: usize,
    /// Output pixels per block side (8 / factor).
    n: usize,
    planes: Vec<Vec<u8>>,
}

/// Decodes `bytes` reduced `factor` (1, 2, 4 or 8) times on each side, allocating at most
/// about `max_alloc` bytes. `Ok(None)`: not a kind of JPEG this decoder handles.
pub fn decode(bytes: &[u8], factor: u32, max_alloc: usize) -> Result<Option<DynamicImage>, Fail> {
    let n = match factor {
        1 => 8,
        2 => 4,
        4 => 2,
        8 => 1,
        _ => return Ok(None),
    };
    if bytes.get(..2) != Some(&[0xff, 0xd8]) {
        return fail("not a JPEG");
    }
    let mut quant = [[0i32; 64]; 4];
    let mut dc: [Option<Huffman>; 4] = Default::default();
    let mut ac: [Option<Huffman>; 4] = Default::default();
    let mut restart_interval = 0usize;
    let mut frame: Option<Frame> = None;
    let mut adobe_transform: Option<u8> = None;
    let mut scans = 0usize;
    let mut walk = crate::jpeg_segments::Segments::after_soi(bytes);
    loop {
        let (marker, segment) = match walk.next_step() {
            Err(e) => return fail(e.why),
            Ok(Step::End { .. }) => break,
            Ok(Step::Standalone { .. }) => continue,
            Ok(Step::Segment { marker, body, .. }) => (marker, body),
        };
        match marker {
            0xc0 | 0xc1 => {
                if frame.is_some() {
                    return fail("two frames");
                }
                match parse_frame(segment, n, max_alloc)? {
                    Some(f) => frame = Some(f),
                    None => return Ok(None),
                }
            }
            // Progressive, lossless, arithmetic, hierarchical: not ours.
            0xc2 | 0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf => return Ok(None),
            0xc4 => parse_huffman(segment, &mut dc, &mut ac)?,
            0xdb => parse_quant(segment, &mut quant)?,
            0xdd => {
                let [a, b] = segment else {
                    return fail("bad restart interval");
                };
                restart_interval = usize::from(u16::from_be_bytes([*a, *b]));
            }
            0xee if segment.len() >= 12 && segment.starts_with(b"Adobe") => {
                adobe_transform = Some(segment[11]);
            }
            0xdc => return Ok(None),
            0xda => {
                let Some(f) = frame.as_mut() else {
                    return fail("scan before frame");
                };
                let scan = parse_scan(segment, f)?;
                let end = decode_scan(
                    bytes,
                    walk.position(),
                    f,
                    &scan,
                    &quant,
                    &dc,
                    &ac,
                    restart_interval,
                )?;
                walk.skip_to(end);
                scans += 1;
            }
            _ => {}
        }
    }
    let Some(frame) = frame.filter(|_| scans > 0) else {
        return fail("no scan");
    };
    if frame.components.len() == 3 {
        let ids: Vec<u8> = frame.components.iter().map(|c| c.id).collect();
        if adobe_transform == Some(0) || (adobe_transform.is_none() && ids == b"RGB") {
            return Ok(None);
        }
    }
    Ok(Some(finish(frame, factor)?))
}

fn parse_frame(s: &[u8], n: usize, max_alloc: usize) -> Result<Option<Frame>, Fail> {
    let [precision, h1, h0, w1, w0, count, rest @ ..] = s else {
        return fail("short frame header");
    };
    let (width, height) = (
        usize::from(u16::from_be_bytes([*w1, *w0])),
        usize::from(u16::from_be_bytes([*h1, *h0])),
    );
    if *precision != 8 || !matches!(count, 1 | 3) || height == 0 {
        return Ok(None);
    }
    if width == 0 {
        return fail("zero width");
    }
    let mut components = Vec::new();
    for c in rest.chunks_exact(3).take(usize::from(*count)) {
        let (h, v) = (usize::from(c[1] >> 4), usize::from(c[1] & 15));
        if !(1..=4).contains(&h) || !(1..=4).contains(&v) || c[2] > 3 {
            return fail("bad component");
        }
        components.push(Component {
            id: c[0],
            h,
            v,
            quant: usize::from(c[2]),
        });
    }
    if components.len() != usize::from(*count) {
        return fail("short frame header");
    }
    let hmax = components.iter().map(|c| c.h).max().unwrap_or(1);
    let vmax = components.iter().map(|c| c.v).max().unwrap_or(1);
    if components
        .iter()
        .any(|c| hmax % c.h != 0 || vmax % c.v != 0)
    {
        return Ok(None);
    }
    let (mcux, mcuy) = (width.div_ceil(8 * hmax), height.div_ceil(8 * vmax));
    let mut total = width.div_ceil(8 / n) * height.div_ceil(8 / n) * components.len();
    for c in &components {
        total = total.saturating_add(mcux * c.h * n * mcuy * c.v * n * 2);
    }
    if total > max_alloc {
        return fail("picture too large for the decode limits");
    }
    let planes = components
        .iter()
        .map(|c| vec![0u8; mcux * c.h * n * mcuy * c.v * n])
        .collect();
    Ok(Some(Frame {
        width,
        height,
        components,
        hmax,
        vmax,
        mcux,
        mcuy,
        n,
        planes,
    }))
}

fn parse_huffman(
    mut s: &[u8],
    dc: &mut [Option<Huffman>; 4],
    ac: &mut [Option<Huffman>; 4],
) -> Result<(), Fail> {
    while let [class_id, rest @ ..] = s {
        let (class, id) = (class_id >> 4, usize::from(class_id & 15));
        if class > 1 || id > 3 || rest.len() < 16 {
            return fail("bad Huffman table");
        }
        let mut counts = [0u8; 16];
        counts.copy_from_slice(&rest[..16]);
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let Some(symbols) = rest.get(16..16 + total) else {
            return fail("truncated Huffman table");
        };
        if total > 256 {
            return fail("bad Huffman table");
        }
        let table = Huffman::new(&counts, symbols, class == 1)?;
        if class == 0 {
            dc[id] = Some(table);
        } else {
            ac[id] = Some(table);
        }
        s = &rest[16 + total..];
    }
    Ok(())
}

fn parse_quant(mut s: &[u8], quant: &mut [[i32; 64]; 4]) -> Result<(), Fail> {
    while let [pq_tq, rest @ ..] = s {
        let (wide, id) = (pq_tq >> 4, usize::from(pq_tq & 15));
        let size = if wide == 0 { 64 } else { 128 };
        if wide > 1 || id > 3 {
            return fail("bad quantization table");
        }
        let Some(values) = rest.get(..size) else {
            return fail("truncated quantization table");
        };
        for (k, &natural) in ZIGZAG.iter().enumerate() {
            quant[id][usize::from(natural)] = if wide == 0 {
                i32::from(values[k])
            } else {
                i32::from(u16::from_be_bytes([values[2 * k], values[2 * k + 1]]))
            };
        }
        s = &rest[size..];
    }
    Ok(())
}

/// A scan: which frame components, with which tables.
struct Scan {
    /// (index into the frame's components, DC table, AC table).
    members: Vec<(usize, usize, usize)>,
}

fn parse_scan(s: &[u8], frame: &Frame) -> Result<Scan, Fail> {
    let [count, rest @ ..] = s else {
        return fail("short scan header");
    };
    let count = usize::from(*count);
    if count == 0 || count > 4 || rest.len() != count * 2 + 3 {
        return fail("bad scan header");
    }
    let mut members = Vec::new();
    for c in rest.chunks_exact(2).take(count) {
        let Some(index) = frame.components.iter().position(|f| f.id == c[0]) else {
            return fail("scan names an unknown component");
        };
        if members.iter().any(|m: &(usize, usize, usize)| m.0 == index) {
            return fail("component twice in a scan");
        }
        members.push((index, usize::from(c[1] >> 4), usize::from(c[1] & 15)));
    }
    let tail = &rest[count * 2..];
    if tail != [0, 63, 0] {
        return fail("not a sequential scan");
    }
    Ok(Scan { members })
}

/// What one block keeps: for each zig-zag index, the position in an `n`×`n` block
/// (255: not kept), and the zig-zag index past the last kept one.
fn kept(n: usize) -> ([u8; 64], usize) {
    let mut map = [255u8; 64];
    let mut limit = 0;
    for (k, &natural) in ZIGZAG.iter().enumerate() {
        let (row, col) = (usize::from(natural) / 8, usize::from(natural) % 8);
        if row < n && col < n {
            map[k] = (row * n + col) as u8;
            limit = k + 1;
        }
    }
    (map, limit)
}

#[allow(clippy::too_many_arguments)]
fn decode_scan(
    bytes: &[u8],
    start: usize,
    frame: &mut Frame,
    scan: &Scan,
    quant: &[[i32; 64]; 4],
    dc: &[Option<Huffman>; 4],
    ac: &[Option<Huffman>; 4],
    restart_interval: usize,
) -> Result<usize, Fail> {
    let n = frame.n;
    let (map, limit) = kept(n);
    struct Member<'t> {
        plane: usize,
        h: usize,
        v: usize,
        stride: usize,
        dc: &'t Huffman,
        ac: &'t Huffman,
        q: [i32; 64],
        pred: i32,
    }
    let mut members = Vec::new();
    for &(index, d, a) in &scan.members {
        let c = frame.components[index];
        let (Some(Some(dc)), Some(Some(ac))) = (dc.get(d), ac.get(a)) else {
            return fail("scan uses a missing Huffman table");
        };
        let mut q = [0i32; 64];
        for (k, &slot) in map.iter().enumerate() {
            if slot != 255 {
                q[usize::from(slot)] = quant[c.quant][usize::from(ZIGZAG[k])];
            }
        }
        members.push(Member {
            plane: index,
            h: c.h,
            v: c.v,
            stride: frame.mcux * c.h * n,
            dc,
            ac,
            q,
            pred: 0,
        });
    }
    // One component alone: blocks in its own raster order, only those covering the
    // picture; several: whole MCUs.
    let single = members.len() == 1;
    let (units_x, units_y) = if single {
        let c = &members[0];
        (
            (frame.width * c.h).div_ceil(frame.hmax).div_ceil(8),
            (frame.height * c.v).div_ceil(frame.vmax).div_ceil(8),
        )
    } else {
        (frame.mcux, frame.mcuy)
    };
    let mut bits = Bits::new(bytes, start);
    let mut left = restart_interval;
    let mut coefs = [0i32; 64];
    for uy in 0..units_y {
        for ux in 0..units_x {
            if restart_interval > 0 {
                if left == 0 {
                    bits.restart()?;
                    for m in &mut members {
                        m.pred = 0;
                    }
                    left = restart_interval;
                }
                left -= 1;
            }
            for m in &mut members {
                let (bw, bh) = if single { (1, 1) } else { (m.h, m.v) };
                for by in 0..bh {
                    for bx in 0..bw {
                        coefs[..n * n].fill(0);
                        decode_block(&mut bits, m.dc, m.ac, &map, limit, &mut m.pred, &mut coefs)?;
                        let (x, y) = if single {
                            (ux, uy)
                        } else {
                            (ux * m.h + bx, uy * m.v + by)
                        };
                        let plane = &mut frame.planes[m.plane];
                        let at = y * n * m.stride + x * n;
                        for (c, q) in coefs[..n * n].iter_mut().zip(&m.q) {
                            *c = c.wrapping_mul(*q);
                        }
                        idct(n, &coefs, &mut plane[at..], m.stride);
                    }
                }
            }
            if bits.overran() {
                return fail("entropy data ends early");
            }
        }
    }
    if bits.overran() {
        return fail("entropy data ends early");
    }
    // The end of the entropy data: the next marker that is neither a stuffed byte
    // nor a restart.
    let mut pos = bits.pos;
    while let Some(&b) = bytes.get(pos) {
        if b == 0xff {
            match bytes.get(pos + 1) {
                Some(0 | 0xd0..=0xd7) => pos += 2,
                Some(0xff) => pos += 1,
                _ => return Ok(pos),
            }
        } else {
            pos += 1;
        }
    }
    Ok(pos)
}

#[inline]
fn decode_block(
    bits: &mut Bits<'_>,
    dc: &Huffman,
    ac: &Huffman,
    map: &[u8; 64],
    limit: usize,
    pred: &mut i32,
    coefs: &mut [i32; 64],
) -> Result<(), Fail> {
    let size = u32::from(bits.symbol(dc)?);
    if size > 11 {
        return fail("bad DC size");
    }
    let diff = extend(if size == 0 { 0 } else { bits.take(size) }, size);
    *pred = pred.wrapping_add(diff);
    coefs[0] = *pred;
    let mut k = 1usize;
    while k < 64 {
        if bits.count < 32 {
            bits.refill();
        }
        let fast = ac.fast_ac[bits.peek(LOOKAHEAD) as usize];
        if fast != 0 {
            bits.consume((fast & 0xff) as u32);
            if fast & END_OF_BLOCK != 0 {
                break;
            }
            k += ((fast >> 8) & 15) as usize;
            if k < limit {
                if let Some(&slot) = map.get(k).filter(|&&s| s != 255) {
                    coefs[usize::from(slot)] = fast >> 16;
                }
            }
            k += 1;
            continue;
        }
        let rs = u32::from(bits.symbol(ac)?);
        let (run, size) = ((rs >> 4) as usize, rs & 15);
        if size == 0 {
            if run == 15 {
                k += 16;
                continue;
            }
            break;
        }
        if size > 10 {
            return fail("bad AC size");
        }
        bits.refill();
        k += run;
        let raw = bits.take(size);
        if k < limit {
            if let Some(&slot) = map.get(k).filter(|&&s| s != 255) {
                coefs[usize::from(slot)] = extend(raw, size);
            }
        }
        k += 1;
    }
    if k > 64 {
        return fail("coefficient index past 63");
    }
    Ok(())
}
