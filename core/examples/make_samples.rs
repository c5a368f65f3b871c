//! Regenerates the project's own sample pictures in `samples/` (procedural, no
//! third-party content): `cargo run -p provenant-core --example make_samples`.

use image::{ImageBuffer, Rgb, RgbImage};

/// Small deterministic PRNG so the samples are reproducible.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32) / ((1u64 << 24) as f32)
    }
}

/// A harbour at dusk: sky gradient, sun, hills, water with reflections, sensor noise.
fn harbour(w: u32, h: u32, seed: u64) -> RgbImage {
    let mut rng = Lcg(seed);
    let horizon = h as f32 * 0.62;
    let (sun_x, sun_y, sun_r) = (w as f32 * 0.7, h as f32 * 0.45, h as f32 * 0.07);
    ImageBuffer::from_fn(w, h, |x, y| {
        let (xf, yf) = (x as f32, y as f32);
        let ridge = horizon
            - 40.0
            - 30.0 * ((xf / w as f32) * 9.0).sin()
            - 18.0 * ((xf / w as f32) * 23.0).cos();
        let mut c = if yf < ridge {
            let t = yf / horizon;
            [255.0 * (0.35 + 0.6 * t), 140.0 + 60.0 * t, 190.0 - 90.0 * t]
        } else if yf < horizon {
            [40.0, 55.0, 60.0]
        } else {
            let t = (yf - horizon) / (h as f32 - horizon);
            let wave = (yf * 0.9 + (xf * 0.05).sin() * 4.0).sin() * 12.0;
            [
                30.0 + 40.0 * (1.0 - t) + wave,
                60.0 + 30.0 * (1.0 - t) + wave,
                90.0 + 20.0 * t + wave,
            ]
        };
        let d = ((xf - sun_x).powi(2) + (yf - sun_y).powi(2)).sqrt();
        if d < sun_r && yf < ridge {
            c = [255.0, 230.0, 170.0];
        } else if yf > horizon && (xf - sun_x).abs() < sun_r * (1.0 - (yf - horizon) / h as f32) {
            c[0] += 90.0;
            c[1] += 70.0;
            c[2] += 30.0;
        }
        // A pier with posts.
        if yf > horizon - 6.0 && yf < horizon + 4.0 && xf < w as f32 * 0.45 {
            c = [70.0, 50.0, 35.0];
        }
        if yf > horizon && yf < horizon + 40.0 && xf < w as f32 * 0.45 && (x % 60) < 6 {
            c = [55.0, 40.0, 30.0];
        }
        let n = (rng.next() - 0.5) * 14.0;
        Rgb(c.map(|v| (v + n).clamp(0.0, 255.0) as u8))
    })
}

/// A flat infographic (the kind of picture a newsroom makes digitally).
fn chart(w: u32, h: u32) -> RgbImage {
    let bars = [0.35f32, 0.55, 0.42, 0.8, 0.66, 0.9];
    ImageBuffer::from_fn(w, h, |x, y| {
        let slot = (x * bars.len() as u32) / w;
        let within = (x * bars.len() as u32) % w < w * 7 / 10;
        let top = h as f32 * (1.0 - bars[slot as usize] * 0.85);
        if within && (y as f32) > top {
            Rgb([30 + 30 * slot as u8, 90, 160])
        } else if y % 40 == 0 {
            Rgb([220, 220, 220])
        } else {
            Rgb([250, 248, 240])
        }
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples");
    let photo = harbour(1024, 683, 7);
    let mut f = std::fs::File::create(dir.join("harbour-capture.jpg"))?;
    photo.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
        &mut f, 85,
    ))?;
    let street = harbour(800, 600, 99);
    let mut f = std::fs::File::create(dir.join("second-capture.jpg"))?;
    image::imageops::flip_horizontal(&street).write_with_encoder(
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut f, 85),
    )?;
    chart(640, 400).save(dir.join("infographic.png"))?;
    Ok(())
}
