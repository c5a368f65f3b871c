//! CAWG identity assertions: a photographer signs alongside the newsroom.

#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::path::Path;

use provenant_core::credentials::identity::{Identity, WithIdentities};
use provenant_core::credentials::keys::{generate, KeygenOptions};
use provenant_core::credentials::sign::{sign_stream, SignRequest};
use provenant_core::credentials::signer::KeyFileSigner;

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures")
            .join(rel),
    )
    .unwrap()
}

/// Signs the interop test photo as the newsroom with Ana Perez's identity assertion;
/// returns the file and the two roots (newsroom, person).
fn signed_with_identity(extra: &SignRequest) -> (Vec<u8>, String, String) {
    let newsroom = generate(&KeygenOptions::default()).unwrap();
    let person = generate(&KeygenOptions {
        org: "Ana Perez".into(),
        ..Default::default()
    })
    .unwrap();
    let signer = KeyFileSigner::from_pem(
        newsroom.chain.as_bytes(),
        newsroom.signer_key.as_bytes(),
        Path::new("newsroom.key"),
    )
    .unwrap();
    let identity = Identity::from_pem(
        person.chain.as_bytes(),
        person.signer_key.as_bytes(),
        Path::new("ana.key"),
        &["cawg.creator"],
    )
    .unwrap();
    let with = WithIdentities::new(signer.as_signer(), vec![identity]);
    let mut out = Cursor::new(Vec::new());
    sign_stream(
        &mut Cursor::new(fixture("interop/unsigned.jpg")),
        &mut out,
        &with,
        extra,
    )
    .unwrap();
    (out.into_inner(), newsroom.root_cert, person.root_cert)
}

fn read(bytes: &[u8], settings: c2pa::Settings) -> serde_json::Value {
    let context = c2pa::Context::new().with_settings(settings).unwrap();
    let reader = c2pa::Reader::from_context(context)
        .with_stream("image/jpeg", Cursor::new(bytes))
        .unwrap();
    serde_json::from_str(&reader.json()).unwrap()
}

/// The SDK reads our identity assertion as well-formed, bound to the actions and the
/// content, with the person's role; trusted only under CAWG trust anchors for the person.
#[test]
fn the_identity_assertion_is_well_formed_and_trusted_only_under_cawg_anchors() {
    let (bytes, newsroom_root, person_root) = signed_with_identity(&SignRequest::default());
    let plain = read(&bytes, c2pa::Settings::new());
    let manifest = &plain["manifests"][plain["active_manifest"].as_str().unwrap()];
    let identity = manifest["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["label"] == "cawg.identity")
        .expect("a cawg.identity assertion");
    let referenced: Vec<&str> = identity["data"]["signer_payload"]["referenced_assertions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    assert!(
        referenced.iter().any(|u| u.ends_with("c2pa.actions.v2")),
        "{referenced:?}"
    );
    assert!(
        referenced.iter().any(|u| u.ends_with("c2pa.hash.data")),
        "{referenced:?}"
    );
    assert_eq!(
        identity["data"]["signer_payload"]["role"][0],
        "cawg.creator"
    );
    assert_eq!(identity["data"]["signature_info"]["issuer"], "Ana Perez");
    let codes = |v: &serde_json::Value, kind: &str| -> Vec<(String, String)> {
        v["validation_results"]["activeManifest"][kind]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["code"].as_str().unwrap().to_owned(),
                    c["url"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    let on_identity = |v: &serde_json::Value, kind: &str, code: &str| {
        codes(v, kind)
            .iter()
            .any(|(c, u)| c == code && u.ends_with("cawg.identity"))
    };
    assert!(on_identity(&plain, "success", "cawg.identity.well-formed"));
    assert!(on_identity(
        &plain,
        "failure",
        "signingCredential.untrusted"
    ));

    // The newsroom's root trusts the claim signer, not the person.
    let claim_trusted = c2pa::Settings::new()
        .with_value("trust.trust_anchors", newsroom_root.clone())
        .unwrap();
    let v = read(&bytes, claim_trusted);
    assert!(on_identity(&v, "failure", "signingCredential.untrusted"));
    // CAWG trust anchors for the person: the identity is trusted too.
    let both = c2pa::Settings::new()
        .with_value("trust.trust_anchors", newsroom_root)
        .unwrap()
        .with_value("cawg_trust.trust_anchors", person_root)
        .unwrap();
    let v = read(&bytes, both);
    assert!(
        on_identity(&v, "success", "signingCredential.trusted"),
        "{:?}",
        codes(&v, "success")
    );
    assert!(!on_identity(&v, "failure", "signingCredential.untrusted"));
}
