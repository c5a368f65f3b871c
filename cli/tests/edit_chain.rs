//! keygen → sign → edit → edit → verify through the real binary.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use std::path::Path;

fn signed_and_edited_twice(dir: &Path, alg: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let keys = keygen(dir, &["--alg", alg]);
    let signed = dir.join("signed.jpg");
    let cropped = dir.join("cropped.jpg");
    let published = dir.join("published.jpg");
    let src = samples().join("harbour-capture.jpg");
    sign(&src, &signed, &keys, &["--title", "Harbour"]);
    edit(&signed, &cropped, &keys, &["--crop", "10,20,600,400"]);
    edit(
        &cropped,
        &published,
        &keys,
        &[
            "--resize",
            "300x200",
            "--brightness",
            "-15",
            "--grayscale",
            "--redact",
            "0,0,30,30",
        ],
    );
    (keys, published)
}

#[test]
fn three_step_chain_is_trusted_with_our_root_and_valid_without() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, published) = signed_and_edited_twice(dir.path(), "ed25519");
    let root = keys.join("root.pem");

    let o = verify_with(&published, &[&root]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let r = json(&o);
    assert_eq!(r["verdict"], "trusted");
    let chain = r["chain"].as_array().unwrap();
    assert_eq!(chain.len(), 3);
    for step in chain {
        assert_eq!(step["status"], "trusted");
        assert_eq!(step["signer"]["alg"], "ed25519");
        assert_eq!(step["signer"]["issuer"], "Test Newsroom");
    }
    let actions = |i: usize| -> Vec<String> {
        chain[i]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        actions(0),
        [
            "c2pa.opened",
            "c2pa.resized",
            "c2pa.color_adjustments",
            "c2pa.color_adjustments",
            "c2pa.edited"
        ]
    );
    assert_eq!(actions(1), ["c2pa.opened", "c2pa.cropped"]);
    assert_eq!(actions(2), ["c2pa.created"]);
    let p = |i: usize, k: usize| chain[i]["actions"][k]["parameters"].clone();
    assert_eq!(
        p(1, 1)["region"],
        serde_json::json!({"x": 10, "y": 20, "width": 600, "height": 400})
    );
    assert_eq!(p(0, 1)["width"], 300);
    assert_eq!(p(0, 2)["name"], "brightness");
    assert_eq!(p(0, 2)["value"], -15);
    assert_eq!(p(0, 3)["name"], "grayscale");
    assert_eq!(p(0, 4)["name"], "redaction");
    assert!(chain[2]["digital_source_type"]
        .as_str()
        .unwrap()
        .ends_with("digitalCapture"));
    assert_eq!(chain[2]["title"], "Harbour");
    assert_eq!(chain[1]["parent"], 0);
    assert_eq!(chain[2]["parent"], 1);
    assert_eq!(chain[0]["ingredients"][0]["relationship"], "parentOf");

    // The pixels really were edited: 300x200.
    let img = image_dims(&published);
    assert_eq!(img, (300, 200));

    // Without the anchor: valid, which fails the default policy but passes `--policy valid`.
    let o = provenant(&["verify", s(&published), "--json"]);
    assert_eq!(code(&o), 1);
    assert_eq!(json(&o)["verdict"], "valid");
    assert!(
        stderr(&o).contains("hint: the signer is neither on the C2PA trust list"),
        "{}",
        stderr(&o)
    );
    let o = provenant(&["verify", s(&published), "--policy", "valid"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).starts_with("● VALID"), "{}", stdout(&o));

    // The anchor also comes from PROVENANT_TRUST and from the config file.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_provenant"))
        .args(["verify", s(&published)])
        .env("PROVENANT_TRUST", &root)
        .env_remove("PROVENANT_CONFIG")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "trust = [\"keys/root.pem\"]\npolicy = \"trusted\"\n").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_provenant"))
        .args(["verify", s(&published)])
        .env_remove("PROVENANT_TRUST")
        .env("PROVENANT_CONFIG", &cfg)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

fn image_dims(p: &Path) -> (u32, u32) {
    // Decode the header (a byte scan for SOF0 could hit the marker's bytes by chance
    // inside the manifest's signature or hashes).
    image::image_dimensions(p).unwrap()
}

#[test]
fn sign_and_edit_describe_their_output_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let signed = dir.path().join("s.jpg");
    let src = samples().join("second-capture.jpg");
    let o = sign(&src, &signed, &keys, &["--json"]);
    let v = json(&o);
    assert_eq!(v["format"], "image/jpeg");
    assert_eq!(v["alg"], "ed25519");
    let report = json(&verify_with(&signed, &[]));
    assert_eq!(v["sha256"], report["sha256"]);
    let edited = dir.path().join("e.png");
    let o = edit(&signed, &edited, &keys, &["--rotate", "180", "--json"]);
    let v = json(&o);
    assert_eq!(v["format"], "image/png");
    assert_eq!(v["actions"], serde_json::json!(["c2pa.orientation"]));
    assert_eq!(v["parent_verdict"], "valid");
}

#[test]
fn sign_accepts_an_unsigned_webp() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let webp = dir.path().join("plain.webp");
    image::open(samples().join("infographic.png"))
        .unwrap()
        .save(&webp)
        .unwrap();
    assert_eq!(json(&verify_with(&webp, &[]))["verdict"], "no_manifest");
    let signed = dir.path().join("signed.webp");
    let o = provenant(&["sign", s(&webp), "-o", s(&signed), "--key", s(&keys)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&verify_with(&signed, &[&keys.join("root.pem")]));
    assert_eq!(r["verdict"], "trusted");
    assert_eq!(r["format"], "image/webp");
}

#[test]
fn es256_credentials_work_too() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, published) = signed_and_edited_twice(dir.path(), "es256");
    let o = verify_with(&published, &[&keys.join("root.pem")]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let r = json(&o);
    assert_eq!(r["chain"][0]["signer"]["alg"], "es256");
    assert_eq!(r["chain"].as_array().unwrap().len(), 3);
}

/// Every byte outside the manifest is covered by the data hash.
#[test]
fn flipping_any_image_byte_makes_it_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, published) = signed_and_edited_twice(dir.path(), "ed25519");
    let root = keys.join("root.pem");
    let bytes = std::fs::read(&published).unwrap();
    // Skip the APP11 (C2PA) segments, which hold JPEG thumbnails of their own: walk
    // the segments to where the picture's scan data starts.
    let mut sos = 2;
    while bytes[sos + 1] != 0xDA {
        assert_eq!(bytes[sos], 0xFF, "segment marker at {sos}");
        sos += 2 + usize::from(u16::from_be_bytes([bytes[sos + 2], bytes[sos + 3]]));
    }
    let scan = bytes.len() - 2 - (sos + 20);
    let picks = [
        sos + 20,
        sos + 20 + scan / 3,
        sos + 20 + scan / 2,
        bytes.len() - 3,
    ];
    for (n, &at) in picks.iter().enumerate() {
        let mut b = bytes.clone();
        b[at] ^= 0x01;
        let f = dir.path().join(format!("flip{n}.jpg"));
        std::fs::write(&f, &b).unwrap();
        let o = verify_with(&f, &[&root]);
        assert_eq!(code(&o), 1, "byte {at}");
        let r = json(&o);
        assert_eq!(r["verdict"], "invalid", "byte {at}");
        let codes: Vec<&str> = r["codes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["kind"] == "failure")
            .map(|c| c["code"].as_str().unwrap())
            .collect();
        assert!(
            codes.contains(&"assertion.dataHash.mismatch"),
            "byte {at}: {codes:?}"
        );
    }
}

#[test]
fn editing_a_file_signed_by_another_tool_keeps_its_step() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let out = dir.path().join("peer-rotated.jpg");
    let peer = fixtures().join("interop/peer-created.jpg");
    edit(&peer, &out, &keys, &["--rotate", "90", "--flip", "h"]);
    let ours = keys.join("root.pem");
    let theirs = fixtures().join("interop/trust-anchor-root.pem");
    let o = verify_with(&out, &[&ours, &theirs]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let r = json(&o);
    assert_eq!(
        r["chain"][1]["claim_generator"]
            .as_str()
            .map(|g| g.contains("c2patool")),
        Some(true)
    );
    assert_eq!(r["chain"][1]["status"], "trusted");
    // Trusting only ourselves: the peer's step is untrusted, so the whole is not trusted.
    let o = verify_with(&out, &[&ours]);
    assert_eq!(code(&o), 1);
    let r = json(&o);
    assert_eq!(r["verdict"], "valid");
    assert_eq!(r["chain"][0]["status"], "trusted");
    assert_eq!(r["chain"][1]["trust"], "untrusted");
}

#[test]
fn editing_an_unsigned_file_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let out = dir.path().join("out.png");
    let src = samples().join("infographic.png");
    let o = edit(&src, &out, &keys, &["--contrast", "20"]);
    assert!(stderr(&o).contains("had no content credentials"));
    let o = verify_with(&out, &[&keys.join("root.pem")]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let r = json(&o);
    assert_eq!(r["format"], "image/png");
    assert_eq!(r["chain"].as_array().unwrap().len(), 1);
    assert_eq!(
        r["chain"][0]["ingredients"][0]["step"],
        serde_json::Value::Null
    );
    let text = stdout(&provenant(&[
        "verify",
        s(&out),
        "--trust",
        s(&keys.join("root.pem")),
    ]));
    assert!(text.contains("no Content Credentials"), "{text}");
}

#[test]
fn sign_supports_png_and_webp_and_refuses_signed_input() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let root = keys.join("root.pem");
    // WebP made by our own edit path from the PNG sample.
    let webp = dir.path().join("chart.webp");
    edit(
        &samples().join("infographic.png"),
        &webp,
        &keys,
        &["--flip", "v"],
    );
    let r = json(&verify_with(&webp, &[&root]));
    assert_eq!(
        (r["verdict"].as_str(), r["format"].as_str()),
        (Some("trusted"), Some("image/webp"))
    );

    let png = dir.path().join("signed.png");
    sign(
        &samples().join("infographic.png"),
        &png,
        &keys,
        &["--source", "digital-art"],
    );
    let r = json(&verify_with(&png, &[&root]));
    assert_eq!(r["verdict"], "trusted");
    assert!(r["chain"][0]["digital_source_type"]
        .as_str()
        .unwrap()
        .ends_with("digitalCreation"));

    let ai = dir.path().join("ai.jpg");
    sign(
        &samples().join("second-capture.jpg"),
        &ai,
        &keys,
        &["--source", "ai"],
    );
    let r = json(&verify_with(&ai, &[&root]));
    assert_eq!(r["chain"][0]["ai_generated"], true);

    let again = dir.path().join("again.png");
    let o = provenant(&["sign", s(&png), "-o", s(&again), "--key", s(&keys)]);
    assert_clean_error(&o, 2);
    assert!(stderr(&o).contains("provenant edit"));
    assert!(!again.exists());
}

#[test]
fn keygen_protects_keys() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["signer.key", "ca/root.key", "ca/intermediate.key"] {
            let mode = std::fs::metadata(keys.join(f))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "{f}");
        }
    }
    let before = std::fs::read(keys.join("signer.key")).unwrap();
    let o = provenant(&["keygen", "--out", s(&keys)]);
    assert_clean_error(&o, 2);
    assert!(stderr(&o).contains("--force"));
    assert_eq!(std::fs::read(keys.join("signer.key")).unwrap(), before);
    let o = provenant(&["keygen", "--out", s(&keys), "--force"]);
    assert_eq!(code(&o), 0);
    assert_ne!(std::fs::read(keys.join("signer.key")).unwrap(), before);
    // Private keys never reach the terminal.
    assert!(!stderr(&o).contains("PRIVATE KEY") && !stdout(&o).contains("PRIVATE KEY"));
}

#[test]
fn demo_runs_offline_and_ends_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let o = provenant(&["demo", "--out", s(dir.path())]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("✔ TRUSTED"), "{out}");
    assert!(
        out.contains("c2pa.cropped")
            && out.contains("c2pa.resized")
            && out.contains("brightness 12"),
        "{out}"
    );
    assert!(stderr(&o).contains("is `valid`"));
}

/// Editing a tampered original must not launder it: the result is invalid, and the
/// broken step is the parent, where the problem is reported.
#[test]
fn an_edit_does_not_launder_a_tampered_original() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let out = dir.path().join("laundered.jpg");
    let tampered = fixtures().join("interop/peer-tampered.jpg");
    let theirs = fixtures().join("interop/trust-anchor-root.pem");
    let o = provenant(&[
        "edit",
        tampered.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--key",
        keys.to_str().unwrap(),
        "--crop",
        "0,0,400,300",
    ]);
    assert_eq!(code(&o), 1, "an invalid parent is refused: {}", stderr(&o));
    assert!(
        stderr(&o).contains("refusing to sign an edit")
            && stderr(&o).contains("assertion.dataHash.mismatch"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists(), "nothing written");
    let o = edit(
        &tampered,
        &out,
        &keys,
        &["--crop", "0,0,400,300", "--allow-invalid-parent"],
    );
    assert!(
        stderr(&o).contains("warning: the content credentials"),
        "{}",
        stderr(&o)
    );
    let ours = keys.join("root.pem");
    let o = verify_with(&out, &[&ours, &theirs]);
    assert_eq!(code(&o), 1);
    let r = json(&o);
    assert_eq!(r["verdict"], "invalid");
    assert_eq!(r["chain"][0]["status"], "trusted");
    assert_eq!(r["chain"][1]["status"], "invalid");
    assert_eq!(r["chain"][1]["failures"][0], "assertion.dataHash.mismatch");
}
