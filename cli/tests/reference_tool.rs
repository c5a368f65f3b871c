//! Interop with the reference C2PA CLI (c2patool 0.27.22): what we sign and edit, it
//! reports Trusted with our root as its trust anchor, with the same chain.
//!
//! Needs `c2patool` on PATH (`scripts/test.sh` installs it): without it the tests fail.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use std::process::Command;

#[test]
fn reference_tool_trusts_our_signed_and_edited_files() {
    let tool = c2patool();
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let signed = dir.path().join("signed.jpg");
    let edited = dir.path().join("edited.jpg");
    let twice = dir.path().join("twice.jpg");
    let src = samples().join("harbour-capture.jpg");
    assert_eq!(
        code(&provenant(&[
            "sign",
            s(&src),
            "-o",
            s(&signed),
            "--key",
            s(&keys)
        ])),
        0
    );
    assert_eq!(
        code(&provenant(&[
            "edit",
            s(&signed),
            "-o",
            s(&edited),
            "--key",
            s(&keys),
            "--crop",
            "0,0,500,300"
        ])),
        0
    );
    assert_eq!(
        code(&provenant(&[
            "edit",
            s(&edited),
            "-o",
            s(&twice),
            "--key",
            s(&keys),
            "--resize",
            "250x150"
        ])),
        0
    );
    let root = keys.join("root.pem");

    for (file, steps) in [(&signed, 1usize), (&edited, 2), (&twice, 3)] {
        let out = Command::new(&tool)
            .arg(file)
            .args(["trust", "--trust_anchors"])
            .arg(&root)
            .output()
            .expect("run c2patool");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "c2patool failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(
            v["validation_state"],
            "Trusted",
            "{}: {text}",
            file.display()
        );
        let manifests = v["manifests"].as_object().expect("manifests");
        assert_eq!(manifests.len(), steps, "{}", file.display());

        // Same chain as ours: labels and actions step by step.
        let ours = json(&provenant(&[
            "verify",
            s(file),
            "--trust",
            s(&root),
            "--json",
        ]));
        assert_eq!(ours["verdict"], "trusted");
        for step in ours["chain"].as_array().unwrap() {
            let label = step["manifest"].as_str().unwrap();
            let theirs = &manifests[label];
            let their_actions: Vec<&str> = theirs["assertions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| {
                    a["label"]
                        .as_str()
                        .unwrap_or("")
                        .starts_with("c2pa.actions")
                })
                .flat_map(|a| a["data"]["actions"].as_array().unwrap().iter())
                .map(|a| a["action"].as_str().unwrap())
                .collect();
            let our_actions: Vec<&str> = step["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["action"].as_str().unwrap())
                .collect();
            assert_eq!(their_actions, our_actions, "{label}");
        }
    }
}

#[test]
fn we_agree_with_the_reference_tool_on_every_fixture() {
    let tool = c2patool();
    for (path, anchors) in fixture_files() {
        let out = Command::new(&tool)
            .arg(&path)
            .args(["trust", "--trust_anchors"])
            .arg(&anchors)
            .output()
            .unwrap();
        let theirs = if out.status.success() {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            v["validation_state"].as_str().unwrap_or("").to_lowercase()
        } else {
            "no_manifest".to_owned()
        };
        let ours = json(&verify_with(&path, &[&anchors]));
        assert_eq!(
            ours["verdict"].as_str().unwrap(),
            theirs,
            "{}",
            path.display()
        );
    }
}
