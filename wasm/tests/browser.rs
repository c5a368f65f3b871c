//! The browser build gives the CLI's answers: every file under ../shared/fixtures is
//! verified in headless Chromium through the exported `verify` and compared with what
//! `provenant verify --json` said about it (verdict, failure codes per step, step
//! statuses, and the whole report), with the same trust anchors.
//!
//! The CLI's answers come from wasm/tests/cli_expectations.sh, read at compile time
//! through PROVENANT_CLI_EXPECTATIONS. Run everything with wasm/test-browser.sh.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// `provenant verify` on each fixture, as recorded by cli_expectations.sh.
const CLI_EXPECTATIONS: &str = include_str!(env!(
    "PROVENANT_CLI_EXPECTATIONS",
    "PROVENANT_CLI_EXPECTATIONS must name the JSON written by wasm/tests/cli_expectations.sh \
     (absolute path); run wasm/test-browser.sh, which generates it and sets it"
));

macro_rules! fixtures {
    ($($rel:literal),* $(,)?) => {
        &[$(($rel, include_bytes!(concat!("../../../shared/fixtures/", $rel)) as &[u8])),*]
    };
}

/// Every file under ../shared/fixtures. The test fails when the directory holds a file
/// that is not listed here (or the reverse): add it, so that it is compared too.
const FIXTURES: &[(&str, &[u8])] = fixtures![
    "README.md",
    "c2pa-rs/C.jpg",
    "c2pa-rs/CA.jpg",
    "c2pa-rs/CA_ct.jpg",
    "c2pa-rs/CIE-sig-CA.jpg",
    "c2pa-rs/E-sig-CA.jpg",
    "c2pa-rs/XCA.jpg",
    "c2pa-rs/certs/ed25519.pem",
    "c2pa-rs/certs/ed25519.pub",
    "c2pa-rs/certs/es256.pem",
    "c2pa-rs/certs/es256.pub",
    "c2pa-rs/certs/test_cert_root_bundle.pem",
    "c2pa-rs/earth_apollo17.jpg",
    "c2pa-rs/sample1.png",
    "formats/basic.pdf",
    "formats/cloud.jpg",
    "formats/cloud_manifest.c2pa",
    "formats/dash1.m4s",
    "formats/dashinit.mp4",
    "formats/express-signed.pdf",
    "formats/legacy.mp4",
    "formats/sample1.avif",
    "formats/sample1.flac",
    "formats/sample1.gif",
    "formats/sample1.heic",
    "formats/sample1.jxl",
    "formats/sample1.mp3",
    "formats/sample1.svg",
    "formats/sample1.wav",
    "formats/sample1.webp",
    "formats/test.avi",
    "formats/test.tiff",
    "formats/video1.mp4",
    "formats/video1_no_manifest.mp4",
    "interop/peer-created.jpg",
    "interop/peer-created.png",
    "interop/peer-edited.jpg",
    "interop/peer-tampered.jpg",
    "interop/trust-anchor-root.pem",
    "interop/unsigned.jpg",
    "realworld/adobe-firefly-2025.jpg",
    "realworld/amazon-titan-image-g1.png",
    "realworld/google-gemini-image.png",
    "realworld/google-pixel10-camera-a.jpg",
    "realworld/openai-gpt-image-sslcom-ca.png",
    "realworld/truepic-lens-ios-audio.m4a",
    "trust/cai-allowed.pem",
    "trust/cai-anchors.pem",
];

fn fixture(rel: &str) -> &'static [u8] {
    FIXTURES
        .iter()
        .find(|(r, _)| *r == rel)
        .map(|(_, b)| *b)
        .unwrap_or_else(|| panic!("{rel} is not compiled into FIXTURES"))
}

/// The PEM text behind a trust-anchor file the CLI was given (`--trust REL`).
fn anchors(rel: Option<&str>) -> Option<&'static str> {
    rel.map(|rel| {
        std::str::from_utf8(fixture(rel)).unwrap_or_else(|e| panic!("{rel}: not UTF-8: {e}"))
    })
}

fn expectations() -> Value {
    serde_json::from_str(CLI_EXPECTATIONS).expect("PROVENANT_CLI_EXPECTATIONS is not JSON")
}

/// What the browser build answers: a report, or the thrown `{code, message}`.
#[derive(Debug)]
enum Outcome {
    Report(Value),
    Thrown { code: String, message: String },
}

/// Calls the exported JS entry point `verify(bytes, trustPem?, fileName?, sha256?,
/// allowedPem?)`, letting the wasm hash the file itself (the page passes the browser's digest;
/// the value is the same); no allowed list.
fn browser_verify(bytes: &[u8], trust_pem: Option<&str>, file_name: Option<&str>) -> Outcome {
    match provenant_wasm::verify(
        bytes,
        trust_pem.map(str::to_owned),
        file_name.map(str::to_owned),
        None,
        None,
        None,
        None,
        None,
    ) {
        Ok(json) => Outcome::Report(
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("report is not JSON ({e})")),
        ),
        Err(thrown) => {
            let field = |name: &str| {
                js_sys::Reflect::get(&thrown, &JsValue::from_str(name))
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_else(|| panic!("thrown value has no string `{name}`: {thrown:?}"))
            };
            Outcome::Thrown {
                code: field("code"),
                message: field("message"),
            }
        }
    }
}

/// Verdict, failure codes per step and step statuses, computed as cli_expectations.sh
/// does: every chain step index -> its sorted failure codes; step-less ones under "null".
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    verdict: String,
    failures_by_step: BTreeMap<String, BTreeSet<String>>,
    step_status: Vec<String>,
}

fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

fn summarize(report: &Value) -> Summary {
    let chain = report["chain"].as_array().expect("chain");
    let mut failures_by_step: BTreeMap<String, BTreeSet<String>> = chain
        .iter()
        .map(|s| (s["index"].to_string(), BTreeSet::new()))
        .collect();
    for c in report["codes"].as_array().expect("codes") {
        if c["kind"] == "failure" {
            failures_by_step
                .entry(c["step"].to_string()) // a number, or `null`
                .or_default()
                .insert(text(&c["code"]));
        }
    }
    Summary {
        verdict: text(&report["verdict"]),
        failures_by_step,
        step_status: chain.iter().map(|s| text(&s["status"])).collect(),
    }
}

/// The summary the CLI side recorded (computed there with jq).
fn recorded_summary(entry: &Value) -> Summary {
    Summary {
        verdict: text(&entry["verdict"]),
        failures_by_step: serde_json::from_value(entry["failures_by_step"].clone())
            .expect("failures_by_step"),
        step_status: serde_json::from_value(entry["step_status"].clone()).expect("step_status"),
    }
}

/// JSON paths where `a` and `b` differ (at most `limit`).
fn differences(a: &Value, b: &Value, path: &str, out: &mut Vec<String>, limit: usize) {
    if out.len() >= limit || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let (va, vb) = (x.get(k), y.get(k));
                match (va, vb) {
                    (Some(va), Some(vb)) => differences(va, vb, &format!("{path}/{k}"), out, limit),
                    _ => out.push(format!("{path}/{k}: cli {va:?} vs browser {vb:?}")),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                differences(va, vb, &format!("{path}/{i}"), out, limit);
            }
        }
        _ => out.push(format!("{path}: cli {a} vs browser {b}")),
    }
}

/// Compares the browser's answer on `bytes` with the CLI's `entry`; returns what differs
/// (empty = the same) and a one-line description of the answer.
fn compare(label: &str, bytes: &[u8], entry: &Value) -> (Vec<String>, String) {
    let trust = anchors(entry["trust"].as_str());
    let mut bad = Vec::new();
    if let Some(cli_error) = entry["error"].as_str() {
        // The CLI could not run: the browser must throw the same message, with a code.
        let seen = match browser_verify(bytes, trust, Some(label)) {
            Outcome::Thrown { code, message } => {
                let want = format!("error: {label}: {message}");
                if cli_error != want {
                    bad.push(format!(
                        "{label}: message differs: cli {cli_error:?} vs browser {want:?}"
                    ));
                }
                if !code.starts_with("input.") {
                    bad.push(format!("{label}: unexpected error code {code:?}"));
                }
                format!("could not run: {code}")
            }
            Outcome::Report(r) => {
                bad.push(format!(
                    "{label}: the CLI could not run ({cli_error}) but the browser gave verdict {}",
                    r["verdict"]
                ));
                String::new()
            }
        };
        return (bad, seen);
    }
    let cli_report = &entry["report"];
    let cli = recorded_summary(entry);
    assert_eq!(
        summarize(cli_report),
        cli,
        "{label}: the Rust and jq summaries of the CLI report disagree"
    );
    // Same `file` field as the CLI's report (the path it was given), so that whole
    // reports compare equal.
    let file_name = cli_report["file"].as_str();
    match browser_verify(bytes, trust, file_name) {
        // Without the `pdf` feature (the default build, for size) the browser refuses PDF as
        // an unsupported input instead of answering; with it, PDFs are compared like the rest.
        Outcome::Thrown { code, .. }
            if !cfg!(feature = "pdf")
                && label.ends_with(".pdf")
                && code == "input.unsupportedFormat" =>
        {
            (bad, format!("PDF not read by this build: {code}"))
        }
        Outcome::Thrown { code, message } => {
            bad.push(format!(
                "{label}: the CLI gave verdict {} but the browser threw {code}: {message}",
                cli.verdict
            ));
            (bad, String::new())
        }
        Outcome::Report(report) => {
            let got = summarize(&report);
            if got.verdict != cli.verdict {
                bad.push(format!(
                    "{label}: verdict: cli {} vs browser {}",
                    cli.verdict, got.verdict
                ));
            }
            if got.failures_by_step != cli.failures_by_step {
                bad.push(format!(
                    "{label}: failure codes by step: cli {:?} vs browser {:?}",
                    cli.failures_by_step, got.failures_by_step
                ));
            }
            if got.step_status != cli.step_status {
                bad.push(format!(
                    "{label}: step statuses: cli {:?} vs browser {:?}",
                    cli.step_status, got.step_status
                ));
            }
            let mut diffs = Vec::new();
            differences(cli_report, &report, "", &mut diffs, 20);
            bad.extend(
                diffs
                    .into_iter()
                    .map(|d| format!("{label}: report differs at {d}")),
            );
            let seen = format!("{} {:?}", got.verdict, got.failures_by_step);
            (bad, seen)
        }
    }
}

#[wasm_bindgen_test]
fn every_fixture_gets_the_cli_answer() {
    let exp = expectations();
    let cli = exp["fixtures"].as_object().expect("fixtures map");
    assert!(
        !cli.is_empty() && !FIXTURES.is_empty(),
        "no fixtures: {} recorded by the CLI, {} compiled in",
        cli.len(),
        FIXTURES.len()
    );
    let walked: BTreeSet<&str> = cli.keys().map(String::as_str).collect();
    let compiled: BTreeSet<&str> = FIXTURES.iter().map(|(r, _)| *r).collect();
    assert_eq!(
        walked,
        compiled,
        "the files under {} and FIXTURES in wasm/tests/browser.rs differ: \
         only on disk {:?}, only compiled in {:?}",
        exp["fixtures_dir"],
        walked.difference(&compiled).collect::<Vec<_>>(),
        compiled.difference(&walked).collect::<Vec<_>>()
    );

    let mut bad = Vec::new();
    let (mut reports, mut errors) = (0, 0);
    for (rel, bytes) in FIXTURES {
        let entry = &cli[*rel];
        let (diffs, seen) = compare(rel, bytes, entry);
        if entry["error"].is_string() {
            errors += 1;
        } else {
            reports += 1;
        }
        let mark = if diffs.is_empty() { "same" } else { "DIFFERS" };
        console_log!("{mark}: {rel} (trust {}): {seen}", entry["trust"]);
        bad.extend(diffs);
    }
    console_log!(
        "compared {} fixtures with the CLI: {reports} reports, {errors} could not run",
        FIXTURES.len()
    );
    assert!(
        bad.is_empty(),
        "the browser and the CLI differ:\n{}",
        bad.join("\n")
    );
}

#[wasm_bindgen_test]
fn truncated_signed_jpegs_are_invalid_not_errors() {
    let exp = expectations();
    let cuts = exp["truncated"].as_array().expect("truncated list");
    assert!(!cuts.is_empty(), "no truncated files recorded");
    let mut bad = Vec::new();
    for cut in cuts {
        let source = text(&cut["source"]);
        let len = usize::try_from(cut["length"].as_u64().expect("length")).unwrap();
        let whole = fixture(&source);
        assert!(len > 0 && len < whole.len(), "{source}: bad cut at {len}");
        let label = format!("{source} cut at {len} of {} bytes", whole.len());
        assert_eq!(
            cut["verdict"], "invalid",
            "{label}: the CLI says {}",
            cut["verdict"]
        );
        let (diffs, seen) = compare(&label, &whole[..len], cut);
        assert!(
            seen.starts_with("invalid "),
            "{label}: expected verdict invalid, got {seen:?} ({diffs:?})"
        );
        console_log!(
            "{}: {label}: {seen}",
            if diffs.is_empty() { "same" } else { "DIFFERS" }
        );
        bad.extend(diffs);
    }
    console_log!("compared {} truncated files with the CLI", cuts.len());
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

fn thrown_code(bytes: &[u8], trust_pem: Option<&str>) -> String {
    match browser_verify(bytes, trust_pem, None) {
        Outcome::Thrown { code, message } => {
            assert!(!message.is_empty(), "{code}: empty message");
            code
        }
        Outcome::Report(r) => panic!("expected a throw, got verdict {}", r["verdict"]),
    }
}

#[wasm_bindgen_test]
fn errors_are_structured() {
    assert_eq!(thrown_code(b"", None), "input.empty");
    assert_eq!(thrown_code(b"", Some("")), "input.empty");
    assert_eq!(thrown_code(b"plain text", None), "input.unknownFormat");
    assert_eq!(
        thrown_code(fixture("c2pa-rs/C.jpg"), Some("junk")),
        "options.invalid"
    );
    // The same codes through the Rust-facing function.
    let err = provenant_wasm::verify_to_json(b"", "", None).unwrap_err();
    assert_eq!(err.code, "input.empty");
    let err = provenant_wasm::verify_to_json(b"plain text", "", None).unwrap_err();
    assert_eq!(err.code, "input.unknownFormat");
}

/// A snapshot file claiming to be signed by `public_key` (the signature is all zeros: the
/// key is checked against the trusted ones before the signature).
fn unsigned_snapshot(public_key: &str) -> String {
    serde_json::json!({
        "body": {
            "format": "provenant-blacklist-snapshot/1",
            "source": {"chain_id": 31337, "registry": format!("0x{}", "1".repeat(40)),
                       "curator_sets": [1], "block_number": 1},
            "issued_at": "2026-01-01T00:00:00Z",
            "expires_at": "2099-01-01T00:00:00Z",
            "devices": [],
            "certificates": []
        },
        "signature": {"alg": "Ed25519", "public_key": public_key, "value": "0".repeat(128)}
    })
    .to_string()
}

/// `applyBlacklist` as the page calls it (no snapshot seen before): the thrown `{code, message}`.
fn blacklist_thrown(report: &str, snapshot: &str, keys: &str) -> (String, String) {
    blacklist_thrown_seen(report, snapshot, keys, "")
}

fn blacklist_thrown_seen(report: &str, snapshot: &str, keys: &str, seen: &str) -> (String, String) {
    let thrown = provenant_wasm::apply_blacklist(report, snapshot, keys, 1.8e9, seen)
        .expect_err("expected applyBlacklist to throw");
    let field = |name: &str| {
        js_sys::Reflect::get(&thrown, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_else(|| panic!("thrown value has no string `{name}`: {thrown:?}"))
    };
    (field("code"), field("message"))
}

#[wasm_bindgen_test]
fn apply_blacklist_refuses_unusable_snapshots_with_structured_errors() {
    let report = match browser_verify(fixture("c2pa-rs/C.jpg"), None, None) {
        Outcome::Report(r) => r.to_string(),
        Outcome::Thrown { code, message } => panic!("{code}: {message}"),
    };
    // The Ed25519 base point: a valid public key.
    let signer = format!("58{}", "66".repeat(31));
    let other = "a".repeat(64);
    let cases: [(&str, String, String, &str); 6] = [
        (
            "malformed JSON",
            "{not json".into(),
            signer.clone(),
            "not valid JSON",
        ),
        (
            "not a snapshot",
            "{\"body\": 1}".into(),
            signer.clone(),
            "not valid JSON",
        ),
        (
            "untrusted key",
            unsigned_snapshot(&signer),
            other.clone(),
            "not a trusted blacklist key",
        ),
        (
            "bad signature",
            unsigned_snapshot(&signer),
            format!("{other}\n{signer}"),
            "signature does not verify",
        ),
        (
            "no key",
            unsigned_snapshot(&signer),
            " \n ".into(),
            "no trusted blacklist key",
        ),
        (
            "key not hex",
            unsigned_snapshot(&signer),
            "zz".into(),
            "not a hex Ed25519 public key",
        ),
    ];
    for (what, snapshot, keys, want) in cases {
        let (code, message) = blacklist_thrown(&report, &snapshot, &keys);
        assert_eq!(code, "blacklist.invalid", "{what}: {message}");
        assert!(message.contains(want), "{what}: {message:?} lacks {want:?}");
    }
    let (code, _) = blacklist_thrown("not a report", &unsigned_snapshot(&signer), &signer);
    assert_eq!(code, "blacklist.invalid");
    // The caller's record of blocks seen must be readable: a broken one is not "nothing seen".
    let (code, message) =
        blacklist_thrown_seen(&report, &unsigned_snapshot(&signer), &signer, "{\"k\": []}");
    assert_eq!(code, "blacklist.invalid");
    assert!(
        message.contains("record of blacklist snapshots seen is unreadable"),
        "{message}"
    );
    console_log!("applyBlacklist: 8 unusable inputs refused as blacklist.invalid");
}

/// The URL rule for publisher endpoints, through the JS exports (the core's `check_url`):
/// private, metadata and loopback literals and plain http are refused before any request;
/// loopback only with the development setting.
#[wasm_bindgen_test]
fn publisher_endpoint_urls_follow_the_cores_rule_in_the_browser() {
    let id = "ab".repeat(32);
    let refused = |endpoint: &str, loopback: bool| -> String {
        let thrown =
            provenant_wasm::endpoint_proofs_url(endpoint, &id, loopback).expect_err(endpoint);
        js_sys::Reflect::get(&thrown, &JsValue::from_str("code"))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    for (endpoint, loopback) in [
        ("https://10.0.0.1/pub", true),
        ("https://169.254.169.254/latest", true),
        ("https://[fd00:ec2::254]/", true),
        ("http://publisher.example/pub", true),
        ("https://127.0.0.1:8443/pub", false),
        ("https://user:pw@publisher.example/pub", true),
        ("javascript:alert(1)", true),
    ] {
        assert_eq!(refused(endpoint, loopback), "fetch.refused", "{endpoint}");
    }
    assert_eq!(
        provenant_wasm::endpoint_proofs_url("https://publisher.example/pub/", &id, false).unwrap(),
        format!("https://publisher.example/pub/proofs/{id}")
    );
    assert!(provenant_wasm::endpoint_proofs_url("http://127.0.0.1:9/pub", &id, true).is_ok());
    // A report naming a refused endpoint plans no fetch and says why.
    let Outcome::Report(mut report) =
        browser_verify(fixture("interop/peer-edited.jpg"), None, None)
    else {
        panic!("peer-edited.jpg did not verify");
    };
    report["chain"][0]["chronology_endpoint"] = Value::from("https://169.254.169.254/latest");
    let planned: Value = serde_json::from_str(
        &provenant_wasm::proof_fetches(&report.to_string(), true).expect("planned"),
    )
    .unwrap();
    assert_eq!(planned["fetches"], serde_json::json!([]));
    assert!(planned["report"]["codes"]
        .to_string()
        .contains("anchor.endpointUnavailable"));
    console_log!("publisher endpoint URL rule checked in the browser");
}

/// A `.c2pa` sidecar through the JS `verify`, and the claim thumbnails export.
#[wasm_bindgen_test]
fn a_sidecar_and_thumbnails_through_the_exports() {
    let asset = fixture("formats/cloud.jpg");
    let store = fixture("formats/cloud_manifest.c2pa").to_vec();
    let json = provenant_wasm::verify(
        asset,
        None,
        None,
        None,
        None,
        Some(store),
        Some("cloud.c2pa".into()),
        None,
    )
    .expect("verified");
    let report: Value = serde_json::from_str(&json).unwrap();
    assert_ne!(report["verdict"], "not_checked", "{report}");
    assert!(report["codes"].to_string().contains("manifest.sidecar"));
    let thumbs = provenant_wasm::thumbnails(fixture("interop/peer-edited.jpg"), None);
    assert!(thumbs.length() > 0);
    for t in thumbs.iter() {
        let kind = js_sys::Reflect::get(&t, &JsValue::from_str("type"))
            .unwrap()
            .as_string()
            .unwrap();
        assert!(["image/jpeg", "image/png", "image/webp"].contains(&kind.as_str()));
    }
}
