use super::*;
use provenant_core::chronology::proof::{LeafData, ProofBundle, ProofSet};
use serde_json::Value;

const ENDPOINT: &str = "https://news.example/chronology";

/// A verified report whose newest step names `endpoint`, and a sound proof of that step.
fn report_and_proof(endpoint: &str) -> (String, ProofBundle) {
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/interop/peer-edited.jpg"),
    )
    .unwrap();
    let mut report: Report =
        serde_json::from_str(&crate::verify_to_json(&bytes, "", None).unwrap()).unwrap();
    report.chain[0].chronology_endpoint = Some(endpoint.to_owned());
    let id = report.chain[0].manifest_id_bytes().expect("a manifest id");
    let mut bundle = ProofBundle {
        chain_id: 31337,
        registry: [0x11; 20],
        publisher: [0x22; 20],
        root: [0; 32],
        leaf: LeafData {
            content_sha256: hex::decode(&report.sha256).unwrap().try_into().unwrap(),
            manifest_id: id,
            phash: 6,
            logged_at: 7,
        },
        index: 0,
        leaf_count: 1,
        siblings: vec![],
        tx_hash: [8; 32],
        block_number: 99,
    };
    bundle.root = bundle.leaf.leaf_hash();
    assert!(bundle.path_is_valid());
    (serde_json::to_string(&report).unwrap(), bundle)
}

fn planned(report: &str, loopback: bool) -> Value {
    serde_json::from_str(&proof_fetches(report, loopback).unwrap()).unwrap()
}

#[test]
fn the_newest_step_is_fetched_from_its_endpoint_and_attached_unchecked() {
    let (report, bundle) = report_and_proof(ENDPOINT);
    let plan = planned(&report, false);
    let id = hex::encode(bundle.leaf.manifest_id);
    assert_eq!(plan["fetches"][0]["url"], format!("{ENDPOINT}/proofs/{id}"));
    assert_eq!(plan["fetches"][0]["step"], 0);
    assert_eq!(plan["fetches"].as_array().unwrap().len(), 1);
    let body = ProofSet::from_bundles(&[bundle], None).to_json();
    let answers =
        serde_json::json!([{ "step": 0, "endpoint": ENDPOINT, "status": 200, "body": body }]);
    let done: Value = serde_json::from_str(
        &attach_endpoint_answers(&plan["report"].to_string(), &answers.to_string()).unwrap(),
    )
    .unwrap();
    let anchor = &done["chain"][0]["anchor"];
    // Only the registry's confirmation can make it "anchored": the anchor check comes next.
    assert_eq!(anchor["status"], "unchecked", "{anchor}");
    assert_eq!(anchor["source"], "endpoint");
    // A step that has a proof now is not asked for again.
    assert_eq!(
        planned(&done.to_string(), false)["fetches"],
        serde_json::json!([])
    );
}

#[test]
fn a_tampered_or_foreign_proof_is_not_anchored() {
    let (report, bundle) = report_and_proof(ENDPOINT);
    let mut tampered = bundle.clone();
    tampered.leaf.phash ^= 1; // the path no longer leads to the root
    let body = ProofSet::from_bundles(&[tampered], None).to_json();
    let answers =
        serde_json::json!([{ "step": 0, "endpoint": ENDPOINT, "status": 200, "body": body }]);
    let done: Value =
        serde_json::from_str(&attach_endpoint_answers(&report, &answers.to_string()).unwrap())
            .unwrap();
    assert_eq!(done["chain"][0]["anchor"]["status"], "invalid");
    assert!(done["codes"].to_string().contains("anchor.rootMismatch"));

    let mut foreign = bundle;
    foreign.leaf.manifest_id = [9; 32];
    foreign.root = foreign.leaf.leaf_hash();
    let body = ProofSet::from_bundles(&[foreign], None).to_json();
    let answers =
        serde_json::json!([{ "step": 0, "endpoint": ENDPOINT, "status": 200, "body": body }]);
    let done: Value =
        serde_json::from_str(&attach_endpoint_answers(&report, &answers.to_string()).unwrap())
            .unwrap();
    assert_eq!(
        done["chain"][0]["anchor"],
        Value::Null,
        "a foreign proof must not attach"
    );
}

#[test]
fn failures_are_noted_and_a_404_is_none_yet() {
    let (report, _) = report_and_proof(ENDPOINT);
    let notes = |answer: Value| -> Value {
        let out = attach_endpoint_answers(&report, &format!("[{answer}]")).unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["chain"][0]["anchor"], Value::Null);
        v["codes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["code"] == "anchor.endpointUnavailable")
            .cloned()
            .collect()
    };
    let base = |extra: Value| {
        let mut a = serde_json::json!({ "step": 0, "endpoint": ENDPOINT });
        a.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        a
    };
    assert_eq!(
        notes(base(serde_json::json!({ "status": 404 }))),
        serde_json::json!([])
    );
    let n = notes(base(serde_json::json!({ "status": 500 })));
    assert!(
        n[0]["explanation"].as_str().unwrap().ends_with("HTTP 500"),
        "{n}"
    );
    let n = notes(base(
        serde_json::json!({ "status": 200, "body": "<html>oops</html>" }),
    ));
    assert_eq!(n.as_array().unwrap().len(), 1);
    let n = notes(base(
        serde_json::json!({ "error": "no answer within 10 s" }),
    ));
    assert!(
        n[0]["explanation"]
            .as_str()
            .unwrap()
            .contains("no answer within"),
        "{n}"
    );
    let big = " ".repeat(provenant_core::chronology::proof::MAX_PROOF_SET_BYTES + 1);
    let n = notes(base(serde_json::json!({ "status": 200, "body": big })));
    assert!(
        n[0]["explanation"].as_str().unwrap().contains("1 MiB"),
        "{n}"
    );
    // Garbage is an error, not a panic.
    assert!(attach_endpoint_answers(&report, "nope").is_err());
    assert!(attach_endpoint_answers(&report, r#"[{"step":7,"endpoint":"x"}]"#).is_err());
    assert!(attach_endpoint_answers("{}", "[]").is_err());
    assert!(proof_fetches("nope", false).is_err());
}

#[test]
fn refused_endpoints_are_noted_and_never_fetched() {
    for (endpoint, loopback) in [
        ("https://10.0.0.1", true),
        ("https://169.254.169.254/latest", true),
        ("http://news.example", true),
        ("https://127.0.0.1:8443", false),
        ("https://[::1]:8443", false),
        ("https://[fd00:ec2::254]", true),
    ] {
        let (report, _) = report_and_proof(endpoint);
        let plan = planned(&report, loopback);
        assert_eq!(plan["fetches"], serde_json::json!([]), "{endpoint}");
        let codes = plan["report"]["codes"].to_string();
        assert!(
            codes.contains("anchor.endpointUnavailable"),
            "{endpoint}: {codes}"
        );
        assert!(codes.contains("refused"), "{endpoint}: {codes}");
        let id = "ab".repeat(32);
        let err = endpoint_proofs_url(endpoint, &id, loopback).unwrap_err();
        assert_eq!(err.code, "fetch.refused", "{endpoint}");
    }
    // The development setting lets loopback through, and nothing else.
    let (report, _) = report_and_proof("http://127.0.0.1:8080");
    assert_eq!(
        planned(&report, true)["fetches"].as_array().unwrap().len(),
        1
    );
    assert!(endpoint_proofs_url("https://news.example", "ab", false).is_err());
}
