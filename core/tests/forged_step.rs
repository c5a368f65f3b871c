//! The forged-earlier-step attack (issue 12, item 2), performed for real.
//!
//! The victim: a published file whose manifest M1 carries the victim's label and
//! certificate chain. The attacker copies M1, spoils its signature (they do not hold
//! the victim's key, so in a real forgery M1's claim says what the attacker wants and
//! no signature can match it), and signs a manifest M0 of their own with M1 as its
//! `parentOf` ingredient. The C2PA SDK checks M1's signature live and finds
//! `claimSignature.mismatch`, but drops that live failure when any ingredient record
//! in the store lists an equal status (code, url), whatever array it sits in. So M0's
//! ingredient record lists the mismatch — in `success`, or in `ingredientDeltas` —
//! where a reader that sorts recorded codes by their array does not count it as a
//! failure. Then M1 would show `trusted` (its certificate chains to the anchors) and,
//! since its manifest id is made of its label and leaf certificate, would take the
//! victim's anchor proof.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;
use std::path::PathBuf;

use c2pa::{Builder, Ingredient};
use provenant_core::credentials::keys::{generate, KeygenOptions};
use provenant_core::credentials::report::{CodeKind, StepStatus, Trust};
use provenant_core::credentials::signer::KeyFileSigner;
use provenant_core::credentials::verify::{verify_bytes, VerifyOptions};
use provenant_core::{Report, TrustAnchors, Verdict};
use serde_json::{json, Value};

fn fixture(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn victim_trust() -> TrustAnchors {
    let pem = String::from_utf8(fixture("interop/trust-anchor-root.pem")).unwrap();
    TrustAnchors::none()
        .with_pem("victim's root", &pem)
        .unwrap()
}

fn verify(bytes: &[u8]) -> Report {
    verify_bytes(
        bytes,
        &VerifyOptions {
            trust: victim_trust(),
            ..Default::default()
        },
    )
    .expect("verification runs")
}

/// Finds a JUMBF box of type `ty` after `from`: (start of its header, end).
fn next_box(bytes: &[u8], from: usize, ty: &[u8; 4]) -> (usize, usize) {
    let at = bytes[from..]
        .windows(4)
        .position(|w| w == ty)
        .map(|p| from + p)
        .expect("box type");
    let start = at - 4;
    let len = u32::from_be_bytes(bytes[start..at].try_into().unwrap()) as usize;
    (start, start + len)
}

/// The victim's published file with the signature of its manifest spoilt: same
/// label, same certificate chain, a signature that matches nothing.
fn forged_victim() -> Vec<u8> {
    let mut bytes = fixture("interop/peer-created.jpg");
    let label = bytes
        .windows(b"c2pa.signature".len())
        .position(|w| w == b"c2pa.signature")
        .expect("the victim's file has a signature box");
    let (_, end) = next_box(&bytes, label, b"cbor");
    // COSE_Sign1 ends with the Ed25519 signature: a 64-byte byte string (0x58 0x40).
    assert_eq!(
        &bytes[end - 66..end - 64],
        &[0x58, 0x40],
        "the signature is the last 64 bytes of the COSE box"
    );
    for b in &mut bytes[end - 64..end] {
        *b ^= 0x5a;
    }
    bytes
}

/// Where the attacker hides the recorded mismatch in their ingredient record.
#[derive(Clone, Copy, Debug)]
enum Hide {
    /// Recorded honestly, in `failure` (the control).
    Failure,
    /// Moved into `success`.
    Success,
    /// Moved into `ingredientDeltas`.
    Deltas,
}

/// The attacker's file: M0, signed with a self-made certificate, over the forged M1.
fn attack(hide: Hide) -> Vec<u8> {
    let forged = forged_victim();
    // The only public way to get the SDK's own record of a file as an ingredient.
    #[allow(deprecated)]
    let ingredient = Ingredient::from_stream("image/jpeg", &mut Cursor::new(&forged)).unwrap();
    let manifest_data = ingredient.manifest_data().expect("M1's store").into_owned();
    let mut value = serde_json::to_value(&ingredient).unwrap();
    let results = value
        .get_mut("validation_results")
        .expect("the SDK records the ingredient's validation results");
    let active = results.get_mut("activeManifest").unwrap();
    let failures: Vec<Value> = active["failure"].as_array().cloned().unwrap_or_default();
    assert!(
        failures
            .iter()
            .any(|f| f["code"] == "claimSignature.mismatch"),
        "the SDK finds M1's signature spoilt: {failures:?}"
    );
    match hide {
        Hide::Failure => {}
        Hide::Success => {
            active["failure"] = json!([]);
            active["success"]
                .as_array_mut()
                .unwrap()
                .extend(failures.clone());
        }
        Hide::Deltas => {
            active["failure"] = json!([]);
            results["ingredientDeltas"] = json!([{
                "ingredientAssertionURI": "self#jumbf=c2pa.assertions/c2pa.ingredient.v3",
                "validationDeltas": { "success": [], "informational": [], "failure": failures },
            }]);
        }
    }
    value["relationship"] = json!("parentOf");
    let mut ingredient: Ingredient = serde_json::from_value(value).unwrap();
    ingredient.set_manifest_data(manifest_data).unwrap();

    let creds = generate(&KeygenOptions {
        org: "Attacker".into(),
        ..Default::default()
    })
    .unwrap();
    let signer = KeyFileSigner::from_pem(
        creds.chain.as_bytes(),
        creds.signer_key.as_bytes(),
        std::path::Path::new("attacker.key"),
    )
    .unwrap();
    let mut builder = Builder::from_context(c2pa::Context::new())
        .with_definition(json!({
            "title": "attacker",
            "claim_generator_info": [{ "name": "attacker", "version": "1" }],
        }))
        .unwrap();
    // The SDK's edit intent opens the parent: a well-formed manifest, as an attacker makes.
    builder.set_intent(c2pa::BuilderIntent::Edit);
    builder.add_ingredient(ingredient);
    builder
        .add_action(json!({ "action": "c2pa.edited" }))
        .unwrap();
    let mut out = Cursor::new(Vec::new());
    builder
        .sign(
            signer.as_signer(),
            "image/jpeg",
            &mut Cursor::new(fixture("interop/unsigned.jpg")),
            &mut out,
        )
        .unwrap();
    out.into_inner()
}

#[test]
fn the_forged_victim_alone_is_invalid() {
    let victim = verify(&fixture("interop/peer-created.jpg"));
    assert_eq!(victim.verdict, Verdict::Trusted);
    let forged = verify(&forged_victim());
    assert_eq!(forged.verdict, Verdict::Invalid);
    assert_eq!(forged.chain[0].manifest, victim.chain[0].manifest);
    assert_eq!(forged.chain[0].manifest_id, victim.chain[0].manifest_id);
    assert!(
        forged.chain[0]
            .failures
            .contains(&"claimSignature.mismatch".to_owned()),
        "{:?}",
        forged.chain[0].failures
    );
}

#[test]
fn a_forged_earlier_step_is_never_trusted_wherever_its_failure_is_recorded() {
    let victim = verify(&fixture("interop/peer-created.jpg"));
    for hide in [Hide::Failure, Hide::Success, Hide::Deltas] {
        let report = verify(&attack(hide));
        let step = report
            .chain
            .iter()
            .find(|s| s.manifest == victim.chain[0].manifest)
            .unwrap_or_else(|| panic!("{hide:?}: M1 is a step of the attacker's file"));
        // The attack's aim: the victim's identity on a step (and so its anchor proof).
        assert_eq!(step.manifest_id, victim.chain[0].manifest_id, "{hide:?}");
        assert_eq!(step.relationship, "parentOf");
        assert_eq!(
            step.status,
            StepStatus::Invalid,
            "{hide:?}: the forged step must be invalid: {:#?}",
            step
        );
        assert!(
            step.failures
                .contains(&"claimSignature.mismatch".to_owned()),
            "{hide:?}: {:?}",
            step.failures
        );
        assert_ne!(step.trust, Trust::Trusted, "{hide:?}");
        // An edit must not launder a broken original: the whole file is invalid.
        assert_eq!(report.verdict, Verdict::Invalid, "{hide:?}");
        assert!(
            report.codes.iter().any(|c| c.kind == CodeKind::Failure
                && c.code == "claimSignature.mismatch"
                && c.step == Some(step.index)),
            "{hide:?}"
        );
    }
}

#[test]
fn an_edit_of_the_forged_file_sees_an_invalid_parent() {
    use provenant_core::credentials::edit::{edit_stream, EditOp, EditRequest};
    let creds = generate(&KeygenOptions::default()).unwrap();
    let signer = KeyFileSigner::from_pem(
        creds.chain.as_bytes(),
        creds.signer_key.as_bytes(),
        std::path::Path::new("newsroom.key"),
    )
    .unwrap();
    let trust = victim_trust();
    let ops = [EditOp::crop("0,0,400,300").unwrap()];
    let mut out = Cursor::new(Vec::new());
    let outcome = edit_stream(
        &mut Cursor::new(attack(Hide::Success)),
        &mut out,
        signer.as_signer(),
        &EditRequest {
            ops: &ops,
            out_format: None,
            title: None,
            parent_title: "attack.jpg",
            trust: &trust,
            anchors: None,
            parent_report: None,
            metadata: None,
            do_not_train: false,
            thumbnails: false,
        },
    )
    .unwrap();
    // The CLI refuses on this verdict unless --allow-invalid-parent (cli/tests/edit_chain.rs).
    assert_eq!(outcome.parent_verdict, Verdict::Invalid);
}
