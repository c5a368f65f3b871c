//! Writes an unsigned benchmark JPEG: the demo sample scaled to WxH with sensor-like
//! noise (so it compresses like a real photo), quality 90.
//! `cargo run --release -p provenant-core --example bench_image -- OUT.jpg 4000x3000`
//! The criterion benchmarks include this file for the same picture.

use std::io::Cursor;

/// The sample scaled to `width`x`height`, with noise, as JPEG bytes.
pub fn photo_like_jpeg(width: u32, height: u32) -> Result<Vec<u8>, image::ImageError> {
    let sample = include_bytes!("../../samples/harbour-capture.jpg");
    let scaled = image::load_from_memory(sample)?.resize_exact(
        width,
        height,
        image::imageops::FilterType::Triangle,
    );
    let mut rgb = scaled.to_rgb8();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for px in rgb.pixels_mut() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let noise = ((state >> 59) as i16) - 16; // -16..15
        for c in px.0.iter_mut() {
            *c = (i16::from(*c) + noise).clamp(0, 255) as u8;
        }
    }
    let mut out = Cursor::new(Vec::new());
    rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
        &mut out, 90,
    ))?;
    Ok(out.into_inner())
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().ok_or("usage: bench_image OUT.jpg WxH")?;
    let size = args.next().unwrap_or_else(|| "4000x3000".into());
    let (w, h) = size.split_once('x').ok_or("size must be WxH")?;
    std::fs::write(out, photo_like_jpeg(w.parse()?, h.parse()?)?)?;
    Ok(())
}
