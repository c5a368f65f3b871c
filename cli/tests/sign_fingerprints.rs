//! What `sign` records of a large JPEG, now that it decodes the picture once at the
//! thumbnail's size and reduces it further for the fingerprints: `lookup` still finds the
//! signed file, a lossless copy of its pixels, a q70 re-encode and a cropped copy, and
//! the soft binding still matches the pixels at `verify`.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{code, command, jpeg, keygen, s, stderr, stdout};
use image::{DynamicImage, RgbImage};
use serde_json::Value;

/// A photo-like 2400x1800 JPEG (smooth shapes and noise), large enough that the
/// thumbnail decode (1/2) and the fingerprint reduction (1/8) differ.
fn large_jpeg() -> Vec<u8> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let img = RgbImage::from_fn(2400, 1800, |x, y| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = (state % 24) as i32 - 12;
        let (fx, fy) = (x as f32 / 2400.0, y as f32 / 1800.0);
        let disc = ((fx - 0.35).powi(2) + (fy - 0.4).powi(2)).sqrt() < 0.2;
        let base = [
            (fx * 200.0) as i32 + if disc { 50 } else { 0 },
            (fy * 180.0) as i32 + ((x / 300 + y / 200) % 2) as i32 * 40,
            if disc { 40 } else { 160 },
        ];
        image::Rgb(base.map(|v| (v + noise).clamp(0, 255) as u8))
    });
    jpeg(&DynamicImage::ImageRgb8(img), 90)
}

fn run(home: &Path, args: &[&str]) -> std::process::Output {
    command(home).args(args).output().unwrap()
}

fn lookup(home: &Path, file: &Path) -> Value {
    let out = run(home, &["lookup", s(file), "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn lookup_finds_a_large_signed_jpeg_and_its_copies() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let input = dir.path().join("large.jpg");
    std::fs::write(&input, large_jpeg()).unwrap();
    let signed = dir.path().join("signed.jpg");
    for extra in [&[][..], &["--no-thumbnail"][..]] {
        // A log of its own for each way of signing.
        let home = tempfile::tempdir().unwrap();
        let mut args = vec!["sign", s(&input), "-o", s(&signed), "--key", s(&keys)];
        args.extend_from_slice(extra);
        let out = run(home.path(), &args);
        assert_eq!(code(&out), 0, "{}", stderr(&out));

        let v = run(
            home.path(),
            &[
                "verify",
                s(&signed),
                "--json",
                "--policy",
                "valid",
                "--check-soft-binding",
            ],
        );
        let report: Value = serde_json::from_str(&stdout(&v)).unwrap();
        let label = report["chain"][0]["manifest"].as_str().unwrap().to_owned();
        let binding = &report["soft_binding"];
        assert_eq!(binding["status"], "match", "{extra:?}: {binding}");
        // Signed from the thumbnail-size decode, checked on the 1/8 decode: within the
        // soft binding's tolerance (8 bits).
        assert!(binding["distance"].as_u64().unwrap() <= 8, "{binding}");
        if extra.is_empty() {
            let thumb = &report["chain"][0]["thumbnail"];
            assert!(
                !thumb.is_null(),
                "a claim thumbnail: {}",
                report["chain"][0]
            );
        }

        let (status, exact) = (code(&v), lookup(home.path(), &signed));
        assert_eq!(status, 0);
        assert_eq!(exact["matches"][0]["how"], "exact", "{exact}");
        assert_eq!(
            exact["matches"][0]["manifest"].as_str(),
            Some(label.as_str())
        );

        let pixels = image::load_from_memory(&std::fs::read(&signed).unwrap()).unwrap();
        let (w, h) = (pixels.width(), pixels.height());
        let lossless = {
            let mut out = std::io::Cursor::new(Vec::new());
            pixels.write_to(&mut out, image::ImageFormat::Png).unwrap();
            out.into_inner()
        };
        let copies = [
            ("lossless", lossless, 4),
            ("q70", jpeg(&pixels, 70), 8),
            (
                "top 20% cut",
                jpeg(&pixels.crop_imm(0, h / 5, w, h - h / 5), 85),
                8,
            ),
        ];
        for (kind, bytes, max) in copies {
            let copy = dir.path().join("copy.bin");
            std::fs::write(&copy, bytes).unwrap();
            let v = lookup(home.path(), &copy);
            let first = v["matches"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["manifest"].as_str() == Some(label.as_str()))
                .unwrap_or_else(|| panic!("{kind} {extra:?}: not found: {v}"));
            assert_eq!(first["how"], "perceptual", "{kind}: {first}");
            let distance = first["distance"].as_u64().unwrap();
            assert!(
                distance <= max,
                "{kind} {extra:?}: distance {distance}: {first}"
            );
            println!("{kind} {extra:?}: distance {distance}");
        }
    }
}
