//! The committed JSON Schema (docs/report.schema.json) describes real output.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;

fn validator() -> jsonschema::Validator {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/report.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, report: &serde_json::Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn every_fixture_report_matches_the_schema() {
    let v = validator();
    let files = fixture_files();
    for (path, anchors) in &files {
        let o = provenant(&["verify", s(path), "--trust", s(anchors), "--json"]);
        assert!(code(&o) < 2, "{}: {}", path.display(), stderr(&o));
        assert_valid(&v, &json(&o), &path.display().to_string());
    }
    let seen = files.len();
    assert!(seen >= 13, "only {seen} fixtures found");
}

#[test]
fn our_own_chains_match_the_schema() {
    let v = validator();
    let dir = tempfile::tempdir().unwrap();
    let o = provenant(&["demo", "--out", s(dir.path())]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let files = ["2-signed.jpg", "3-cropped.jpg", "4-published.jpg"].map(|f| dir.path().join(f));
    // Several files at once: one compact report per line.
    let o = provenant(&["verify", s(&files[0]), s(&files[1]), s(&files[2]), "--json"]);
    let lines: Vec<&str> = std::str::from_utf8(&o.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 3);
    for (line, f) in lines.iter().zip(&files) {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_valid(&v, &r, &f.display().to_string());
        assert_eq!(r["file"], s(f));
    }
}
