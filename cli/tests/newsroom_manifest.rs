//! What a newsroom signs beside the picture: IPTC photo metadata (from the input's XMP or
//! the command line), the do-not-train statement, thumbnails of the result and of the
//! earlier version, and a photographer's CAWG identity assertion; kept through `edit`,
//! shown by `verify`, and read by the reference tool.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

/// The interop test photo with an XMP packet (caption, creator, city) after SOI.
fn photo_with_xmp(dir: &Path) -> PathBuf {
    let xmp = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Lyon" photoshop:Country="France"><dc:description><rdf:Alt><rdf:li xml:lang="x-default">Flood waters rise on the Saône</rdf:li></rdf:Alt></dc:description><dc:creator><rdf:Seq><rdf:li>Camera Owner</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"#;
    let mut body = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    body.extend_from_slice(xmp.as_bytes());
    let original = std::fs::read(fixtures().join("interop/unsigned.jpg")).unwrap();
    let mut out = original[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&original[2..]);
    let path = dir.join("with-xmp.jpg");
    std::fs::write(&path, out).unwrap();
    path
}

fn report(home: &Path, file: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["verify", s(file), "--json"];
    args.extend_from_slice(extra);
    let o = command(home).args(&args).output().unwrap();
    serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)))
}

/// c2patool's JSON for `file` with `settings` (TOML).
fn reference_json(file: &Path, settings: &str, dir: &Path) -> Value {
    let tool = c2patool();
    let settings_file = dir.join("c2patool-settings.toml");
    std::fs::write(&settings_file, settings).unwrap();
    let o = std::process::Command::new(tool)
        .arg(file)
        .arg("--settings")
        .arg(&settings_file)
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "c2patool: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn toml_pem(pem: &Path) -> String {
    std::fs::read_to_string(pem).unwrap().replace('\n', "\\n")
}

#[test]
fn metadata_do_not_train_thumbnails_and_a_photographers_identity() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    let home = d.join("home");
    let newsroom = keygen(&d.join("newsroom"), &[]);
    let ana = d.join("ana");
    let o = provenant(&["keygen", "--out", s(&ana), "--org", "Ana Perez"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let input = photo_with_xmp(d);
    let signed = d.join("signed.jpg");
    let o = command(&home)
        .args([
            "sign",
            s(&input),
            "-o",
            s(&signed),
            "--key",
            s(&newsroom),
            "--creator",
            "Ana Perez",
            "--credit",
            "Agence Exemple",
            "--copyright",
            "© 2026 Agence Exemple",
            "--do-not-train",
            "--identity",
            s(&ana),
            "--identity-role",
            "cawg.photographer",
            "--no-log",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    let newsroom_root = newsroom.join("root.pem");
    let ana_root = ana.join("root.pem");
    let r = report(
        &home,
        &signed,
        &[
            "--trust",
            s(&newsroom_root),
            "--identity-trust",
            s(&ana_root),
        ],
    );
    assert_eq!(r["verdict"], "trusted", "{r}");
    let step = &r["chain"][0];
    // The caption and the dateline come from the input's XMP; the creator given on the
    // command line replaces the XMP's.
    assert_eq!(
        step["metadata"]["caption"],
        "Flood waters rise on the Saône"
    );
    assert_eq!(
        step["metadata"]["creator"],
        serde_json::json!(["Ana Perez"])
    );
    assert_eq!(step["metadata"]["credit"], "Agence Exemple");
    assert_eq!(step["metadata"]["city"], "Lyon");
    assert_eq!(step["do_not_train"], true);
    assert_eq!(step["thumbnail"], "image/jpeg");
    let id = &step["identities"][0];
    assert_eq!(id["name"], "Ana Perez", "{id}");
    assert_eq!(id["roles"], serde_json::json!(["cawg.photographer"]));
    assert_eq!(id["state"], "trusted", "{id}");
    let signed_over: Vec<&str> = id["signed_over"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for label in ["c2pa.hash.data", "cawg.metadata", "cawg.training-mining"] {
        assert!(
            signed_over.contains(&label),
            "{label} not in {signed_over:?}"
        );
    }

    // Without the photographer's root the person is not vouched for: the identity says
    // so, the claim signer stays trusted, and the file is `valid`, as the reference
    // tool's validation state says.
    let r = report(&home, &signed, &["--trust", s(&newsroom_root)]);
    assert_eq!(r["chain"][0]["identities"][0]["state"], "untrusted");
    assert_eq!(r["chain"][0]["trust"], "trusted");
    assert_eq!(r["verdict"], "valid");

    // The tree shows it all.
    let o = command(&home)
        .args([
            "verify",
            s(&signed),
            "--trust",
            s(&newsroom_root),
            "--identity-trust",
            s(&ana_root),
        ])
        .output()
        .unwrap();
    let tree = stdout(&o);
    for want in [
        "caption \"Flood waters rise on the Saône\"",
        "creator Ana Perez",
        "dateline Lyon, France",
        "do not train",
        "also signed by Ana Perez (photographer) — identity trusted",
    ] {
        assert!(tree.contains(want), "{want:?} not in:\n{tree}");
    }

    // The reference tool reads the same file as Trusted with both roots, with our
    // assertions and the claim thumbnail.
    let settings = format!(
        "[trust]\ntrust_anchors = \"{}\"\n[cawg_trust]\ntrust_anchors = \"{}\"\n",
        toml_pem(&newsroom_root),
        toml_pem(&ana_root)
    );
    {
        let v = reference_json(&signed, &settings, d);
        assert_eq!(v["validation_state"], "Trusted", "{v}");
        let m = &v["manifests"][v["active_manifest"].as_str().unwrap()];
        let labels: Vec<&str> = m["assertions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["label"].as_str().unwrap())
            .collect();
        for label in ["cawg.metadata", "cawg.training-mining", "cawg.identity"] {
            assert!(labels.contains(&label), "{label} not in {labels:?}");
        }
        assert_eq!(m["thumbnail"]["format"], "image/jpeg", "{m}");
    }

    // An edit keeps the metadata and the statement, shows the earlier version as an
    // ingredient thumbnail, and can change a field.
    let edited = d.join("edited.jpg");
    let o = command(&home)
        .args([
            "edit",
            s(&signed),
            "-o",
            s(&edited),
            "--key",
            s(&newsroom),
            "--trust",
            s(&newsroom_root),
            "--resize",
            "400x300",
            "--caption",
            "Flood waters rise on the Saône (resized)",
            "--no-log",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = report(&home, &edited, &["--trust", s(&newsroom_root)]);
    let newest = &r["chain"][0];
    assert_eq!(
        newest["metadata"]["caption"],
        "Flood waters rise on the Saône (resized)"
    );
    assert_eq!(newest["metadata"]["credit"], "Agence Exemple");
    assert_eq!(newest["do_not_train"], true);
    assert_eq!(newest["thumbnail"], "image/jpeg");
    {
        let v = reference_json(
            &edited,
            &format!(
                "[trust]\ntrust_anchors = \"{}\"\n",
                toml_pem(&newsroom_root)
            ),
            d,
        );
        let m = &v["manifests"][v["active_manifest"].as_str().unwrap()];
        assert_eq!(
            m["ingredients"][0]["thumbnail"]["format"], "image/jpeg",
            "{m}"
        );
    }

    // --extract saves the store, its JSON, the report and every thumbnail: the edit's,
    // the earlier version's as an ingredient, and the earlier step's own.
    let out = d.join("extracted");
    let o = command(&home)
        .args([
            "verify",
            s(&edited),
            "--trust",
            s(&newsroom_root),
            "--policy",
            "valid",
            "--extract",
            s(&out),
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "manifest_store.c2pa",
            "manifest_store.json",
            "report.json",
            "step-0.ingredient-0.thumbnail.jpg",
            "step-0.thumbnail.jpg",
            "step-1.thumbnail.jpg",
        ],
        "{}",
        stderr(&o)
    );
    // The edit's thumbnail shows the resized picture (4:3); the earlier ones the original.
    for name in ["step-0.thumbnail.jpg", "step-0.ingredient-0.thumbnail.jpg"] {
        let t = image::open(out.join(name)).unwrap();
        assert!(t.width() >= 256 && t.height() >= 192, "{name}: {t:?}");
    }
    let saved: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(saved["verdict"], "valid");
    let store_json: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest_store.json")).unwrap()).unwrap();
    assert_eq!(store_json["active_manifest"], saved["chain"][0]["manifest"]);
    // The saved store is the file's: checked against it as a sidecar, the same verdict.
    let r = report(
        &home,
        &edited,
        &[
            "--trust",
            s(&newsroom_root),
            "--manifest",
            s(&out.join("manifest_store.c2pa")),
        ],
    );
    assert_eq!(r["verdict"], saved["verdict"], "{r}");
    assert_eq!(r["chain"][0]["manifest"], saved["chain"][0]["manifest"]);
    // A directory that holds anything is refused, and nothing in it is touched.
    let o = command(&home)
        .args(["verify", s(&edited), "--extract", s(&out)])
        .output()
        .unwrap();
    assert_clean_error(&o, 2);
    assert!(stderr(&o).contains("is not empty"), "{}", stderr(&o));
    // Several files with --extract: refused before anything is read.
    let o = command(&home)
        .args([
            "verify",
            s(&edited),
            s(&signed),
            "--extract",
            s(&d.join("x")),
        ])
        .output()
        .unwrap();
    assert_clean_error(&o, 2);
    assert!(!d.join("x").exists());

    // --no-thumbnail writes none.
    let bare = d.join("bare.jpg");
    let o = command(&home)
        .args([
            "sign",
            s(&fixtures().join("interop/unsigned.jpg")),
            "-o",
            s(&bare),
            "--key",
            s(&newsroom),
            "--no-thumbnail",
            "--no-log",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = report(&home, &bare, &["--trust", s(&newsroom_root)]);
    assert_eq!(r["chain"][0]["thumbnail"], Value::Null);
    assert_eq!(r["chain"][0]["metadata"], Value::Null);
    assert_eq!(r["chain"][0]["identities"], serde_json::json!([]));
}

/// A bad --identity is a clear error and writes nothing.
#[test]
fn a_bad_identity_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    let newsroom = keygen(&d.join("newsroom"), &[]);
    let out = d.join("out.jpg");
    let key_file = newsroom.join("signer.key");
    let photo = fixtures().join("interop/unsigned.jpg");
    for (extra, says) in [
        (
            vec!["--identity", s(&key_file)],
            "give its chain with --identity-cert",
        ),
        (
            vec!["--identity", "/nonexistent/dir"],
            "--identity /nonexistent/dir",
        ),
    ] {
        let mut args = vec![
            "sign",
            s(&photo),
            "-o",
            s(&out),
            "--key",
            s(&newsroom),
            "--no-log",
        ];
        args.extend(extra);
        let o = provenant(&args);
        assert_clean_error(&o, 2);
        assert!(stderr(&o).contains(says), "{says}: {}", stderr(&o));
        assert!(!out.exists());
    }
}
