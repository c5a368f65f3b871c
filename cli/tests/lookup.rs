//! `provenant lookup`: finding the logged original of a copy a platform re-encoded,
//! resized or stripped, and not matching unrelated pictures.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{code, command, fixture_files, jpeg, keygen, s, samples, stderr, stdout};
use image::{DynamicImage, GenericImageView};
use serde_json::Value;

const SAMPLES: [&str; 3] = [
    "harbour-capture.jpg",
    "second-capture.jpg",
    "infographic.png",
];

fn run(home: &Path, args: &[&str]) -> std::process::Output {
    command(home).args(args).output().unwrap()
}

fn png(img: &DynamicImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn half(img: &DynamicImage) -> DynamicImage {
    let (w, h) = img.dimensions();
    img.resize_exact(w / 2, h / 2, image::imageops::FilterType::Triangle)
}

/// Signs every sample into `dir`; returns (signed path, its manifest label).
fn sign_samples(home: &Path, dir: &Path) -> Vec<(PathBuf, String)> {
    let keys = keygen(dir, &[]);
    SAMPLES
        .iter()
        .map(|name| {
            let out_path = dir.join(format!("signed-{name}"));
            let out = run(
                home,
                &[
                    "sign",
                    s(&samples().join(name)),
                    "-o",
                    s(&out_path),
                    "--key",
                    s(&keys),
                ],
            );
            assert_eq!(code(&out), 0, "{}", stderr(&out));
            let v = run(
                home,
                &["verify", s(&out_path), "--json", "--policy", "valid"],
            );
            let report: Value = serde_json::from_str(&stdout(&v)).unwrap();
            let label = report["chain"][0]["manifest"].as_str().unwrap().to_owned();
            (out_path, label)
        })
        .collect()
}

fn lookup(home: &Path, file: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["lookup", s(file), "--json"];
    args.extend(extra);
    let out = run(home, &args);
    let v = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)));
    (code(&out), v)
}

#[test]
fn finds_the_original_of_reencoded_resized_and_stripped_copies() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let signed = sign_samples(home.path(), dir.path());
    for (path, label) in &signed {
        let img = image::load_from_memory(&std::fs::read(path).unwrap()).unwrap();
        let copies: [(&str, Vec<u8>); 4] = [
            ("q70", jpeg(&img, 70)),
            ("half", png(&half(&img))),
            ("stripped", png(&img)),
            ("half-q70", jpeg(&half(&img), 70)),
        ];
        for (kind, bytes) in copies {
            let copy = dir.path().join(format!("copy-{kind}.bin"));
            std::fs::write(&copy, &bytes).unwrap();
            let (status, v) = lookup(home.path(), &copy, &[]);
            assert_eq!(status, 0, "{kind} copy of {}: {v}", path.display());
            let first = &v["matches"][0];
            assert_eq!(
                first["manifest"].as_str(),
                Some(label.as_str()),
                "{kind}: {v}"
            );
            assert_eq!(first["how"], "perceptual");
            println!(
                "{} {kind}: distance {}",
                path.file_name().unwrap().to_string_lossy(),
                first["distance"]
            );
        }
        // The signed file itself is an exact match.
        let (status, v) = lookup(home.path(), path, &[]);
        assert_eq!(status, 0);
        assert_eq!(v["matches"][0]["how"], "exact");
    }
}

#[test]
fn unrelated_pictures_match_nothing() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    sign_samples(home.path(), dir.path());
    let mut checked = 0;
    for (file, _) in fixture_files() {
        let bytes = std::fs::read(&file).unwrap();
        if image::load_from_memory(&bytes).is_err() {
            continue;
        }
        let (status, v) = lookup(home.path(), &file, &[]);
        assert_eq!(status, 1, "{} matched: {v}", file.display());
        assert_eq!(v["matches"], Value::Array(vec![]));
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} fixtures decoded");
}

#[test]
fn diff_draws_what_changed() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let signed = sign_samples(home.path(), dir.path());
    let (original, _) = &signed[0];
    // Someone pastes a box into a re-encoded copy.
    let mut img = image::load_from_memory(&std::fs::read(original).unwrap()).unwrap();
    let (w, h) = img.dimensions();
    let mut rgb = img.to_rgb8();
    for y in h / 3..h / 3 + h / 10 {
        for x in w / 3..w / 3 + w / 10 {
            rgb.put_pixel(x, y, image::Rgb([255, 255, 255]));
        }
    }
    img = DynamicImage::ImageRgb8(rgb);
    let copy = dir.path().join("tampered.jpg");
    std::fs::write(&copy, jpeg(&img, 85)).unwrap();
    let diff = dir.path().join("diff.png");
    // An edited copy sits further from its original than a re-encoded one: widen the radius.
    let (status, v) = lookup(
        home.path(),
        &copy,
        &["--diff", s(&diff), "--max-distance", "12"],
    );
    assert_eq!(status, 0, "{v}");
    let fraction = v["changed_fraction"].as_f64().unwrap();
    assert!(
        fraction > 0.003 && fraction < 0.05,
        "changed fraction {fraction}"
    );
    let picture = image::open(&diff).unwrap();
    assert_eq!(picture.dimensions(), (w, h));
    // The pasted box is painted red; far from it nothing is.
    let inside = picture.get_pixel(w / 3 + w / 20, h / 3 + h / 20);
    let outside = picture.get_pixel(w / 10, h - h / 10);
    assert!(inside[0] > 150 && inside[1] < 100, "{inside:?}");
    assert!(!(outside[0] > 150 && outside[1] < 100), "{outside:?}");
}

#[test]
fn bad_input_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.jpg");
    std::fs::write(&text, "not a picture").unwrap();
    let out = run(home.path(), &["lookup", s(&text)]);
    common::assert_clean_error(&out, 2);
    let out = run(home.path(), &["lookup", s(dir.path())]);
    common::assert_clean_error(&out, 2);
}
