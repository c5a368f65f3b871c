//! Writes an unsigned benchmark JPEG: the demo sample scaled to WxH, quality 90.
//! `cargo run --release -p provenant-core --example bench_image -- OUT.jpg 4000x3000`

use std::io::BufWriter;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().ok_or("usage: bench_image OUT.jpg WxH")?;
    let size = args.next().unwrap_or_else(|| "4000x3000".into());
    let (w, h) = size.split_once('x').ok_or("size must be WxH")?;
    let sample = include_bytes!("../../samples/harbour-capture.jpg");
    let img = image::load_from_memory(sample)?.resize_exact(
        w.parse()?,
        h.parse()?,
        image::imageops::FilterType::Triangle,
    );
    let mut file = BufWriter::new(std::fs::File::create(out)?);
    img.to_rgb8()
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut file, 90,
        ))?;
    Ok(())
}
