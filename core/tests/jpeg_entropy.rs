//! Our baseline JPEG entropy decoder (`chronology::jpeg_entropy`) against `jpeg-decoder`'s
//! scaled output on real and generated files, and on damaged and hostile input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use image::{DynamicImage, RgbImage};
use provenant_core::chronology::jpeg_entropy;
use provenant_core::chronology::jpeg_scaled;

const BIG: usize = 1 << 30;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The JPEGs of the samples and the shared fixtures.
fn real_files() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let fixtures = root().join("../shared/fixtures");
    let dirs = [
        root().join("samples"),
        fixtures.join("c2pa-rs"),
        fixtures.join("realworld"),
        fixtures.join("formats"),
        fixtures.join("interop"),
    ];
    for dir in dirs {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase());
            if matches!(ext.as_deref(), Some("jpg" | "jpeg")) {
                files.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    assert!(
        files.len() >= 15,
        "the JPEGs of samples and fixtures: {}",
        files.len()
    );
    files
}

fn test_picture(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let v = ((x / 3) ^ (y / 5)) as u8;
        let r = ((x * 255) / w.max(1)) as u8;
        image::Rgb([
            v,
            r.wrapping_add((y % 64) as u8),
            (((x + 2 * y) / 7) % 256) as u8,
        ])
    })
}

fn encode(
    picture: &RgbImage,
    sampling: jpeg_encoder::SamplingFactor,
    restart: u16,
    grey: bool,
    progressive: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 85);
    encoder.set_sampling_factor(sampling);
    encoder.set_restart_interval(restart);
    encoder.set_progressive(progressive);
    let (w, h) = (picture.width() as u16, picture.height() as u16);
    if grey {
        let luma = DynamicImage::ImageRgb8(picture.clone()).to_luma8();
        encoder
            .encode(luma.as_raw(), w, h, jpeg_encoder::ColorType::Luma)
            .unwrap();
    } else {
        encoder
            .encode(picture.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
            .unwrap();
    }
    out
}

fn generated_files() -> Vec<(String, Vec<u8>)> {
    use jpeg_encoder::SamplingFactor as S;
    let mut files = Vec::new();
    let samplings = [
        ("4:4:4", S::F_1_1),
        ("4:2:2", S::F_2_1),
        ("4:4:0", S::F_1_2),
        ("4:2:0", S::F_2_2),
        ("4:1:1", S::F_4_1),
        ("4:1:0", S::F_4_2),
        ("1x4", S::F_1_4),
        ("2x4", S::F_2_4),
    ];
    // Sizes that are and are not multiples of the MCU.
    for (w, h) in [(640, 480), (333, 197)] {
        let picture = test_picture(w, h);
        for (name, sampling) in samplings {
            files.push((
                format!("generated {w}x{h} {name}"),
                encode(&picture, sampling, 0, false, false),
            ));
        }
        files.push((
            format!("generated {w}x{h} 4:2:0 restart 3"),
            encode(&picture, S::F_2_2, 3, false, false),
        ));
        files.push((
            format!("generated {w}x{h} 4:4:4 restart 1"),
            encode(&picture, S::F_1_1, 1, false, false),
        ));
        files.push((
            format!("generated {w}x{h} grey"),
            encode(&picture, S::F_1_1, 0, true, false),
        ));
        files.push((
            format!("generated {w}x{h} grey restart 7"),
            encode(&picture, S::F_1_1, 7, true, false),
        ));
    }
    files
}

/// `jpeg-decoder`'s output reduced `factor` times, as 8-bit grey or RGB.
fn reference(bytes: &[u8], factor: u32) -> Option<DynamicImage> {
    let mut decoder = jpeg_decoder::Decoder::new(std::io::Cursor::new(bytes));
    decoder.read_info().ok()?;
    let info = decoder.info()?;
    let (w, h) = (
        u32::from(info.width).div_ceil(factor),
        u32::from(info.height).div_ceil(factor),
    );
    let (ow, oh) = decoder.scale(w as u16, h as u16).ok()?;
    let pixels = decoder.decode().ok()?;
    let (ow, oh) = (u32::from(ow), u32::from(oh));
    match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => {
            image::GrayImage::from_raw(ow, oh, pixels).map(DynamicImage::ImageLuma8)
        }
        jpeg_decoder::PixelFormat::RGB24 => {
            RgbImage::from_raw(ow, oh, pixels).map(DynamicImage::ImageRgb8)
        }
        _ => None,
    }
}

/// Mean and largest absolute difference of two pictures of one size and layout.
fn difference(a: &DynamicImage, b: &DynamicImage) -> (f64, u8) {
    assert_eq!(a.dimensions_and_color(), b.dimensions_and_color());
    let (mut sum, mut max) = (0u64, 0u8);
    for (&x, &y) in a.as_bytes().iter().zip(b.as_bytes()) {
        let d = x.abs_diff(y);
        sum += u64::from(d);
        max = max.max(d);
    }
    (sum as f64 / a.as_bytes().len().max(1) as f64, max)
}

trait Shape {
    fn dimensions_and_color(&self) -> (u32, u32, image::ColorType);
}

impl Shape for DynamicImage {
    fn dimensions_and_color(&self) -> (u32, u32, image::ColorType) {
        (self.width(), self.height(), self.color())
    }
}

/// Mean difference allowed against `jpeg-decoder`, in levels of 0–255.
const MEAN_TOLERANCE: f64 = 0.25;
/// Largest difference allowed at any one pixel (chroma edges, where the two
/// upsample the padded edge blocks differently, and rounding of the reduced IDCT).
const MAX_TOLERANCE: u8 = 20;

#[test]
fn matches_jpeg_decoder_on_real_and_generated_files() {
    let mut files = real_files();
    files.extend(generated_files());
    let mut decoded_by_us = 0;
    for (name, bytes) in &files {
        for factor in [1, 2, 4, 8] {
            let ours = jpeg_entropy::decode(bytes, factor, BIG)
                .unwrap_or_else(|e| panic!("{name} at 1/{factor}: {e}"));
            let Some(ours) = ours else {
                println!("{name} 1/{factor}: not ours (jpeg-decoder decodes it)");
                continue;
            };
            decoded_by_us += 1;
            let theirs = reference(bytes, factor).unwrap();
            let (mean, max) = difference(&ours, &theirs);
            println!(
                "{name} 1/{factor} {}x{}: mean difference {mean:.3}, largest {max}",
                ours.width(),
                ours.height()
            );
            assert!(mean <= MEAN_TOLERANCE, "{name} 1/{factor}: mean {mean}");
            assert!(max <= MAX_TOLERANCE, "{name} 1/{factor}: largest {max}");
        }
    }
    assert!(decoded_by_us >= 4 * 30, "decoded by us: {decoded_by_us}");
}

#[test]
fn progressive_is_left_to_jpeg_decoder() {
    let picture = test_picture(200, 100);
    let progressive = encode(
        &picture,
        jpeg_encoder::SamplingFactor::F_2_2,
        0,
        false,
        true,
    );
    assert!(jpeg_entropy::decode(&progressive, 4, BIG)
        .unwrap()
        .is_none());
    let baseline = encode(
        &picture,
        jpeg_encoder::SamplingFactor::F_2_2,
        0,
        false,
        false,
    );
    assert!(
        jpeg_entropy::decode(&baseline, 3, BIG).unwrap().is_none(),
        "not a power of 2"
    );
    // Through `jpeg_scaled::decode` both still decode.
    let p = jpeg_scaled::decode(&progressive, 25, BIG).unwrap().unwrap();
    assert_eq!((p.width(), p.height()), (50, 25));
}

/// A small deterministic generator for the corruption tests.
fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

#[test]
fn damaged_input_is_an_error_or_a_fallback_never_a_panic() {
    let picture = test_picture(96, 64);
    let files = [
        encode(
            &picture,
            jpeg_encoder::SamplingFactor::F_2_2,
            0,
            false,
            false,
        ),
        encode(
            &picture,
            jpeg_encoder::SamplingFactor::F_2_1,
            2,
            false,
            false,
        ),
        encode(
            &picture,
            jpeg_encoder::SamplingFactor::F_1_1,
            0,
            true,
            false,
        ),
    ];
    for jpeg in &files {
        let full = jpeg_entropy::decode(jpeg, 8, BIG).unwrap().unwrap();
        assert_eq!((full.width(), full.height()), (12, 8));
        // Every prefix: the entropy data runs out, or a header is cut.
        for cut in 0..jpeg.len() {
            for factor in [1, 2, 4, 8] {
                let _ = jpeg_entropy::decode(&jpeg[..cut], factor, BIG);
            }
            // Our decoder refuses a cut file: jpeg-decoder gets it, with its verdict.
            let ours = jpeg_scaled::decode(&jpeg[..cut], 1, BIG);
            let theirs = jpeg_scaled::decode_reference(&jpeg[..cut], 1, BIG);
            assert_eq!(ours.is_ok(), theirs.is_ok(), "prefix of {cut} bytes");
        }
        let strict_cut = jpeg_entropy::decode(&jpeg[..jpeg.len() - 40], 8, BIG);
        assert!(strict_cut.is_err(), "a cut scan is an error for us");
        // Random byte changes anywhere, the Huffman and quantization tables included.
        let mut seed = 7u64;
        for _ in 0..3000 {
            let mut bad = jpeg.clone();
            for _ in 0..1 + lcg(&mut seed) % 4 {
                let at = (lcg(&mut seed) as usize) % bad.len();
                bad[at] = lcg(&mut seed) as u8;
            }
            for factor in [1, 2, 4, 8] {
                let _ = jpeg_entropy::decode(&bad, factor, BIG);
            }
        }
    }
}

/// The offset of the frame header's height in a JPEG from `jpeg-encoder`.
fn sof_at(jpeg: &[u8]) -> usize {
    jpeg.windows(2).position(|w| w == [0xff, 0xc0]).unwrap() + 5
}

#[test]
fn huge_dimensions_and_corrupt_tables_are_refused() {
    let picture = test_picture(64, 64);
    let jpeg = encode(
        &picture,
        jpeg_encoder::SamplingFactor::F_2_2,
        0,
        false,
        false,
    );
    let at = sof_at(&jpeg);
    let mut huge = jpeg.clone();
    huge[at..at + 4].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
    // 65535×65535: beyond a 64 MiB budget even at 1/8; within a larger one the data
    // runs out long before the picture ends.
    assert!(jpeg_entropy::decode(&huge, 8, 64 << 20).is_err());
    let started = std::time::Instant::now();
    assert!(jpeg_entropy::decode(&huge, 8, BIG).is_err());
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    // A zero width, a Huffman table with more codes than its lengths allow, a bad
    // table class, a scan naming a missing table.
    let mut zero = jpeg.clone();
    zero[at + 2..at + 4].copy_from_slice(&[0, 0]);
    assert!(jpeg_entropy::decode(&zero, 8, BIG).is_err());
    let dht = jpeg.windows(2).position(|w| w == [0xff, 0xc4]).unwrap() + 4;
    let mut overfull = jpeg.clone();
    overfull[dht + 1] = 3; // three codes of length 1
    assert!(jpeg_entropy::decode(&overfull, 8, BIG).is_err());
    let mut class = jpeg.clone();
    class[dht] = 0x24;
    assert!(jpeg_entropy::decode(&class, 8, BIG).is_err());
    let sos = jpeg.windows(2).position(|w| w == [0xff, 0xda]).unwrap() + 5;
    let mut missing = jpeg.clone();
    missing[sos + 1] = 0x33;
    assert!(jpeg_entropy::decode(&missing, 8, BIG).is_err());
    assert!(jpeg_entropy::decode(b"", 8, BIG).is_err());
    assert!(jpeg_entropy::decode(b"\xff\xd8\xff\xd9", 8, BIG).is_err());
}

/// The fingerprints of our decode against `jpeg-decoder`'s, on the samples and the
/// fixtures' JPEGs: at a lookup's size (1/8 here: what `verify --check-soft-binding`
/// and `lookup` decode) the ISCC code and the DCT hash, and how far the soft binding
/// `sign` codes from the thumbnail-size decode is from the code `verify` recomputes,
/// before (both `jpeg-decoder`) and now (both ours).
#[test]
fn fingerprints_stay_within_a_bit_or_two_of_jpeg_decoders() {
    use provenant_core::chronology::{fingerprint, iscc};
    let decode = |bytes: &[u8], side: u32, ours: bool| {
        if ours {
            jpeg_scaled::decode(bytes, side, BIG).unwrap().unwrap()
        } else {
            jpeg_scaled::decode_reference(bytes, side, BIG)
                .unwrap()
                .unwrap()
        }
    };
    let (mut worst_lookup, mut worst_shift) = (0, 0i64);
    for (name, bytes) in &real_files() {
        let small = fingerprint::FINGERPRINT_SIDE;
        let (ours, theirs) = (decode(bytes, small, true), decode(bytes, small, false));
        let code = iscc::code_image(&ours).distance(iscc::code_image(&theirs));
        let hash = fingerprint::hash_image(&ours).distance(fingerprint::hash_image(&theirs));
        let signed_vs_verified = |ours: bool| {
            let signed = iscc::code_image(&decode(bytes, 512, ours));
            signed.distance(iscc::code_image(&decode(bytes, small, ours)))
        };
        let (before, now) = (signed_vs_verified(false), signed_vs_verified(true));
        println!(
            "{name}: at a lookup's size ISCC {code} bits, DCT hash {hash} bits from jpeg-decoder's; \
             signed soft binding {now} bits from the verified one (before: {before})"
        );
        worst_lookup = worst_lookup.max(code).max(hash);
        worst_shift = worst_shift.max(i64::from(now) - i64::from(before));
    }
    assert!(
        worst_lookup <= 2,
        "lookup codes moved by {worst_lookup} bits"
    );
    assert!(
        worst_shift <= 4,
        "soft binding moved {worst_shift} bits further"
    );
}
