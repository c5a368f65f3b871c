//! Every manifest `sign` and `edit` make carries a `c2pa.soft-binding` assertion
//! (alg `io.iscc.v0`, the picture's ISCC Content-Code Image); `verify` shows it and
//! checks it against the pixels; the reference tool (c2patool 0.27.22, required on
//! PATH) still reads our files as Trusted and sees the same assertion.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use std::process::Command;

#[test]
fn signed_and_edited_files_carry_a_soft_binding_the_reference_tool_reads() {
    let tool = c2patool();
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let root = keys.join("root.pem");
    let signed = dir.path().join("signed.jpg");
    let edited = dir.path().join("edited.jpg");
    let png = dir.path().join("signed.png");
    sign(&samples().join("harbour-capture.jpg"), &signed, &keys, &[]);
    edit(&signed, &edited, &keys, &["--crop", "0,0,500,300"]);
    sign(&samples().join("infographic.png"), &png, &keys, &[]);

    let mut values = Vec::new();
    for file in [&signed, &edited, &png] {
        // Without --check-soft-binding the value is shown but the pixels are not decoded.
        let unchecked = json(&verify_with(file, &[&root]));
        assert_eq!(
            unchecked["soft_binding"]["status"], "unchecked",
            "{unchecked}"
        );
        let ours = json(&provenant(&[
            "verify",
            s(file),
            "--trust",
            s(&root),
            "--json",
            "--check-soft-binding",
        ]));
        assert_eq!(ours["verdict"], "trusted", "{}", file.display());
        let binding = &ours["soft_binding"];
        assert_eq!(
            binding["alg"],
            "io.iscc.v0",
            "{}: {binding}",
            file.display()
        );
        assert_eq!(binding["status"], "match", "{binding}");
        assert_eq!(binding["distance"], 0, "{binding}");
        assert_eq!(binding["computed"], binding["value"]);
        let value = binding["value"].as_str().unwrap().to_owned();
        assert!(value.starts_with("ISCC:EEA"), "{value}");
        assert!(ours["codes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "softBinding.match" && c["kind"] == "success"));

        let text = stdout(&provenant(&[
            "verify",
            s(file),
            "--trust",
            s(&root),
            "--check-soft-binding",
        ]));
        assert!(
            text.contains(&format!(
                "soft binding io.iscc.v0 {value} — matches the pixels"
            )),
            "{text}"
        );

        let out = Command::new(&tool)
            .arg(file)
            .args(["trust", "--trust_anchors"])
            .arg(&root)
            .output()
            .expect("run c2patool");
        let theirs: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(
            theirs["validation_state"],
            "Trusted",
            "{}: {theirs}",
            file.display()
        );
        let active = theirs["active_manifest"].as_str().unwrap();
        let assertion = theirs["manifests"][active]["assertions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["label"] == "c2pa.soft-binding")
            .unwrap_or_else(|| panic!("no soft binding in {theirs}"));
        assert_eq!(assertion["data"]["alg"], "io.iscc.v0");
        assert_eq!(assertion["data"]["blocks"][0]["value"], value.as_str());
        values.push(value);
    }
    // The crop moved the code; different pictures have different codes.
    assert_ne!(values[0], values[1]);
    assert_ne!(values[0], values[2]);
}
