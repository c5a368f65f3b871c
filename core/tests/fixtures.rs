//! Every file in ../shared/fixtures gets the verdict and failure codes that
//! ../shared/fixtures/README.md lists, with the trust anchors named there.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use provenant_core::credentials::report::{CodeKind, CodeOrigin, StepStatus, Trust};
use provenant_core::credentials::verify::{verify_stream, VerifyOptions};
use provenant_core::{Report, TrustAnchors, Verdict};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

fn anchors(rel: &str) -> TrustAnchors {
    let path = fixtures().join(rel);
    let pem = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    TrustAnchors::none().with_pem(rel, &pem).expect("anchors")
}

fn verify(rel: &str, trust: &TrustAnchors) -> Report {
    let path = fixtures().join(rel);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    verify_stream(
        file,
        &VerifyOptions {
            trust: trust.clone(),
            ..Default::default()
        },
    )
    .expect("verify runs")
}

/// Failure codes that apply to the active manifest (step 0), as found now.
fn active_failures(r: &Report) -> Vec<String> {
    let mut v: Vec<String> = r
        .codes
        .iter()
        .filter(|c| {
            c.kind == CodeKind::Failure
                && c.step == Some(0)
                && c.origin != CodeOrigin::IngredientRecord
        })
        .map(|c| c.code.clone())
        .collect();
    v.dedup();
    v
}

const C2PA_ROOTS: &str = "c2pa-rs/certs/test_cert_root_bundle.pem";
const INTEROP_ROOT: &str = "interop/trust-anchor-root.pem";

#[test]
fn reference_sdk_fixtures() {
    let t = anchors(C2PA_ROOTS);
    let table: [(&str, Verdict, &[&str]); 6] = [
        ("c2pa-rs/C.jpg", Verdict::Trusted, &[]),
        ("c2pa-rs/CA.jpg", Verdict::Trusted, &[]),
        ("c2pa-rs/CA_ct.jpg", Verdict::Trusted, &[]),
        ("c2pa-rs/CIE-sig-CA.jpg", Verdict::Trusted, &[]),
        (
            "c2pa-rs/E-sig-CA.jpg",
            Verdict::Invalid,
            &["claimSignature.mismatch"],
        ),
        (
            "c2pa-rs/XCA.jpg",
            Verdict::Invalid,
            &["assertion.dataHash.mismatch"],
        ),
    ];
    for (file, verdict, failures) in table {
        let r = verify(file, &t);
        assert_eq!(r.verdict, verdict, "{file}");
        assert_eq!(active_failures(&r), failures, "{file}");
        assert_eq!(
            r.chain[0].status == StepStatus::Invalid,
            !failures.is_empty(),
            "{file}"
        );
    }
    for file in ["c2pa-rs/earth_apollo17.jpg", "c2pa-rs/sample1.png"] {
        let r = verify(file, &t);
        assert_eq!(r.verdict, Verdict::NoManifest, "{file}");
        assert!(r.chain.is_empty() && r.codes.is_empty(), "{file}");
    }
}

#[test]
fn ca_has_a_parent_without_credentials() {
    let r = verify("c2pa-rs/CA.jpg", &anchors(C2PA_ROOTS));
    let parent = &r.chain[0].ingredients;
    assert_eq!(parent.len(), 1);
    assert_eq!(parent[0].relationship, "parentOf");
    assert_eq!(parent[0].step, None);
}

#[test]
fn ca_ct_reports_the_malformed_timestamp_as_informational() {
    let r = verify("c2pa-rs/CA_ct.jpg", &anchors(C2PA_ROOTS));
    assert!(r.codes.iter().any(|c| c.code == "timeStamp.malformed"
        && c.kind == CodeKind::Informational
        && c.step == Some(0)));
}

#[test]
fn bad_ingredient_signature_is_reported_on_the_ingredient() {
    let r = verify("c2pa-rs/CIE-sig-CA.jpg", &anchors(C2PA_ROOTS));
    assert_eq!(r.verdict, Verdict::Trusted);
    assert_eq!(r.chain.len(), 2);
    assert_eq!(r.chain[0].status, StepStatus::Trusted);
    assert!(r.chain[0].failures.is_empty());
    let ing = &r.chain[1];
    assert_eq!(ing.parent, Some(0));
    assert_eq!(ing.status, StepStatus::Invalid);
    assert_eq!(ing.failures, ["claimSignature.mismatch"]);
    let code = r
        .codes
        .iter()
        .find(|c| c.code == "claimSignature.mismatch")
        .expect("code");
    assert_eq!(code.step, Some(1));
}

#[test]
fn interop_fixtures_signed_by_the_reference_tool() {
    let t = anchors(INTEROP_ROOT);
    let created = verify("interop/peer-created.jpg", &t);
    assert_eq!(created.verdict, Verdict::Trusted);
    let a = &created.chain[0].actions;
    assert_eq!(a[0].action, "c2pa.created");
    assert!(a[0]
        .digital_source_type
        .as_deref()
        .unwrap_or("")
        .ends_with("digitalCapture"));
    assert_eq!(created.chain[0].signer.alg.as_deref(), Some("ed25519"));

    assert_eq!(
        verify("interop/peer-created.png", &t).verdict,
        Verdict::Trusted
    );

    let edited = verify("interop/peer-edited.jpg", &t);
    assert_eq!(edited.verdict, Verdict::Trusted);
    assert!(edited.chain[0]
        .actions
        .iter()
        .any(|a| a.action == "c2pa.cropped"));
    assert_eq!(edited.chain.len(), 2);
    let parent = &edited.chain[1];
    assert_eq!(parent.relationship, "parentOf");
    assert_eq!(parent.title.as_deref(), Some("peer-created.jpg"));
    assert_eq!(parent.trust, Trust::Trusted);
    assert_eq!(parent.status, StepStatus::Trusted);

    let tampered = verify("interop/peer-tampered.jpg", &t);
    assert_eq!(tampered.verdict, Verdict::Invalid);
    assert_eq!(active_failures(&tampered), ["assertion.dataHash.mismatch"]);

    assert_eq!(
        verify("interop/unsigned.jpg", &t).verdict,
        Verdict::NoManifest
    );
}

#[test]
fn without_anchors_the_best_verdict_is_valid() {
    let none = TrustAnchors::none();
    let r = verify("interop/peer-edited.jpg", &none);
    assert_eq!(r.verdict, Verdict::Valid);
    assert!(r
        .chain
        .iter()
        .all(|s| s.trust == Trust::Untrusted && s.status == StepStatus::Valid));
    // The wrong anchors are no better than none.
    assert_eq!(
        verify("interop/peer-created.jpg", &anchors(C2PA_ROOTS)).verdict,
        Verdict::Valid
    );
    assert_eq!(
        verify("c2pa-rs/C.jpg", &anchors(INTEROP_ROOT)).verdict,
        Verdict::Valid
    );
}

/// Real files from production signers get the reference tool's verdicts and failure
/// codes (../shared/fixtures/realworld/README.md): with the built-in C2PA trust list
/// alone (TL), and with the interim CAI anchors and allowed list added (TL+ITL). Each
/// trusted step says who vouches for its signer.
#[test]
fn realworld_files_get_the_reference_verdicts() {
    use provenant_core::credentials::report::VouchedBy;
    let tl = TrustAnchors::c2pa_trust_list();
    let mut itl = tl.clone();
    let read = |rel: &str| std::fs::read_to_string(fixtures().join(rel)).unwrap();
    itl.add_pem("cai-anchors.pem", &read("trust/cai-anchors.pem"))
        .unwrap();
    itl.add_allowed("cai-allowed.pem", &read("trust/cai-allowed.pem"))
        .unwrap();
    type Row<'a> = (
        &'a str,
        (Verdict, &'a [&'a str]),
        (Verdict, Option<VouchedBy>),
    );
    let untrusted: &[&str] = &["signingCredential.untrusted"];
    let table: [Row; 6] = [
        (
            "google-gemini-image.png",
            (Verdict::Trusted, &[]),
            (Verdict::Trusted, Some(VouchedBy::C2paTrustList)),
        ),
        (
            "openai-gpt-image-sslcom-ca.png",
            (Verdict::Trusted, &[]),
            (Verdict::Trusted, Some(VouchedBy::C2paTrustList)),
        ),
        (
            "adobe-firefly-2025.jpg",
            (Verdict::Valid, untrusted),
            (Verdict::Trusted, Some(VouchedBy::YourAnchors)),
        ),
        (
            "truepic-lens-ios-audio.m4a",
            (Verdict::Valid, untrusted),
            (Verdict::Trusted, Some(VouchedBy::YourAnchors)),
        ),
        (
            "amazon-titan-image-g1.png",
            (Verdict::Valid, untrusted),
            (Verdict::Trusted, Some(VouchedBy::AllowedList)),
        ),
        (
            "google-pixel10-camera-a.jpg",
            (Verdict::Invalid, &["assertion.dataHash.mismatch"]),
            (Verdict::Invalid, Some(VouchedBy::C2paTrustList)),
        ),
    ];
    for (file, (tl_verdict, tl_failures), (itl_verdict, vouched)) in table {
        let rel = format!("realworld/{file}");
        let r = verify(&rel, &tl);
        assert_eq!(r.verdict, tl_verdict, "{file} (TL)");
        assert_eq!(active_failures(&r), tl_failures, "{file} (TL)");
        let r = verify(&rel, &itl);
        assert_eq!(r.verdict, itl_verdict, "{file} (TL+ITL)");
        let want: &[&str] = if itl_verdict == Verdict::Invalid {
            tl_failures
        } else {
            &[]
        };
        assert_eq!(active_failures(&r), want, "{file} (TL+ITL)");
        assert_eq!(r.chain[0].vouched_by, vouched, "{file} (TL+ITL)");
    }
}
