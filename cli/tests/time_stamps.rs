//! `sign`/`edit --tsa URL` (config `tsa_url`): every new manifest carries an RFC 3161
//! time-stamp from a real responder (OpenSSL's `ts -reply`) on loopback. A signature
//! whose certificate has since expired stays trusted when a trusted TSA vouches that it
//! was made while the certificate was valid; without the time-stamp it is
//! `signingCredential.expired`. A TSA that fails, stalls or answers with something else
//! than a token over this claim stops the signing (exit 2, nothing written).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/tsa.rs"]
mod tsa;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use serde_json::Value;
use tsa::{Behaviour, LoopbackTsa};

/// A root CA and a signing certificate under it that expires `lifetime` from now:
/// (key directory with chain.pem + signer.key, the root's PEM file, expiry).
fn short_lived_keys(dir: &Path, lifetime: Duration) -> (PathBuf, PathBuf, std::time::SystemTime) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose, PKCS_ED25519,
    };
    let now = time::OffsetDateTime::now_utc();
    let expiry = now + time::Duration::seconds(lifetime.as_secs() as i64);
    let root_key = KeyPair::generate_for(&PKCS_ED25519).unwrap();
    let mut root = CertificateParams::default();
    root.distinguished_name
        .push(DnType::OrganizationName, "Brief Newsroom");
    root.distinguished_name
        .push(DnType::CommonName, "Brief Newsroom Root CA");
    root.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    root.not_before = now - time::Duration::hours(1);
    root.not_after = now + time::Duration::days(30);
    let root_cert = root.self_signed(&root_key).unwrap();

    let ee_key = KeyPair::generate_for(&PKCS_ED25519).unwrap();
    let mut ee = CertificateParams::default();
    ee.distinguished_name
        .push(DnType::OrganizationName, "Brief Newsroom");
    ee.distinguished_name
        .push(DnType::CommonName, "Brief Newsroom Signer");
    ee.is_ca = IsCa::ExplicitNoCa;
    ee.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    ee.extended_key_usages = vec![ExtendedKeyUsagePurpose::EmailProtection];
    ee.use_authority_key_identifier_extension = true;
    ee.not_before = now - time::Duration::minutes(10);
    ee.not_after = expiry;
    let ee_cert = ee.signed_by(&ee_key, &root_cert, &root_key).unwrap();

    let keys = dir.join("brief-keys");
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::write(keys.join("chain.pem"), ee_cert.pem()).unwrap();
    std::fs::write(keys.join("signer.key"), ee_key.serialize_pem()).unwrap();
    let root_pem = dir.join("brief-root.pem");
    std::fs::write(&root_pem, root_cert.pem()).unwrap();
    let expiry = std::time::UNIX_EPOCH + Duration::from_secs(expiry.unix_timestamp() as u64);
    (keys, root_pem, expiry)
}

fn codes(report: &Value) -> Vec<String> {
    report["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

fn time_sources(report: &Value) -> Vec<String> {
    report["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["time_source"].as_str().unwrap_or("none").to_owned())
        .collect()
}

/// `edit --crop` of `signed` into `edited` with `config` (TOML) as the config file in
/// `dir`; it must succeed.
fn edit_with_config(
    dir: &Path,
    config: &str,
    signed: &Path,
    edited: &Path,
    keys: &Path,
) -> std::process::Output {
    let path = dir.join("config.toml");
    std::fs::write(&path, config).unwrap();
    let o = command(&dir.join("home"))
        .env("PROVENANT_CONFIG", &path)
        .args(["edit", s(signed), "-o", s(edited), "--key", s(keys)])
        .args(["--crop", "0,0,400,300"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    o
}

#[test]
fn an_expired_certificate_stays_trusted_with_a_trusted_time_stamp() {
    let tsa = LoopbackTsa::start(Behaviour::Honest);
    let dir = tempfile::tempdir().unwrap();
    let (keys, root, expiry) = short_lived_keys(dir.path(), Duration::from_secs(15));
    let src = samples().join("harbour-capture.jpg");
    let stamped = dir.path().join("stamped.jpg");
    let plain = dir.path().join("plain.jpg");
    let url = tsa.url();
    let o = sign(&src, &stamped, &keys, &["--tsa", &url, "--json"]);
    assert_eq!(json(&o)["tsa"], url.as_str());
    assert!(stderr(&o).contains("time-stamped by"), "{}", stderr(&o));
    sign(&src, &plain, &keys, &[]);
    assert!(
        std::time::SystemTime::now() < expiry,
        "signing took longer than the certificate lived; the test proves nothing"
    );
    assert_eq!(tsa.served(), 1, "one time-stamp for the one new manifest");

    // Wait past the certificate's end.
    if let Ok(left) = expiry.duration_since(std::time::SystemTime::now()) {
        std::thread::sleep(left + Duration::from_millis(1500));
    }

    let tsa_root = tsa.root_pem_path();
    let o = verify_with(&stamped, &[&root, &tsa_root]);
    let report = json(&o);
    assert_eq!(code(&o), 0, "{report:#}");
    assert_eq!(report["verdict"], "trusted", "{report:#}");
    assert_eq!(time_sources(&report), ["time_stamp"]);
    assert!(!codes(&report)
        .iter()
        .any(|c| c == "signingCredential.expired"));
    assert!(codes(&report).iter().any(|c| c == "timeStamp.trusted"));

    let o = verify_with(&plain, &[&root, &tsa_root]);
    let report = json(&o);
    assert_eq!(code(&o), 1, "{report:#}");
    assert_ne!(report["verdict"], "trusted");
    assert!(
        codes(&report)
            .iter()
            .any(|c| c == "signingCredential.expired"),
        "{report:#}"
    );
    assert_eq!(time_sources(&report), ["claimed"]);

    reference_tool_agrees(&stamped, &plain, &[&root, &tsa_root]);

    // The TSA is nobody we trust: its time is not shown as time-stamped.
    let o = verify_with(&stamped, &[&root]);
    let report = json(&o);
    assert_ne!(time_sources(&report), ["time_stamp"], "{report:#}");
}

/// The reference C2PA tool (c2patool) agrees: the time-stamped file's expired
/// certificate is accepted, the other one is `signingCredential.expired`.
fn reference_tool_agrees(stamped: &Path, plain: &Path, anchors: &[&Path]) {
    let tool = c2patool();
    let bundle = stamped.with_file_name("anchors.pem");
    let pem: String = anchors
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    std::fs::write(&bundle, pem).unwrap();
    let run = |file: &Path| {
        let o = std::process::Command::new(&tool)
            .arg(file)
            .args(["trust", "--trust_anchors", s(&bundle)])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let state = |out: &str| {
        let v: Value = serde_json::from_str(out).unwrap_or_else(|e| panic!("c2patool: {e}: {out}"));
        v["validation_state"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let out = run(stamped);
    assert_eq!(
        state(&out),
        "Trusted",
        "c2patool on the time-stamped file: {out}"
    );
    assert!(out.contains("\"timeStamp.trusted\""), "{out}");
    assert!(!out.contains("signingCredential.expired"), "{out}");
    let out = run(plain);
    assert_eq!(state(&out), "Invalid", "c2patool on the plain file: {out}");
    assert!(out.contains("\"signingCredential.expired\""), "{out}");
}

#[test]
fn sign_and_edit_time_stamp_every_new_manifest() {
    let tsa = LoopbackTsa::start(Behaviour::Honest);
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let src = samples().join("harbour-capture.jpg");
    let signed = dir.path().join("signed.jpg");
    let edited = dir.path().join("edited.jpg");
    sign(&src, &signed, &keys, &["--tsa", &tsa.url()]);
    // The edit takes its TSA from the config file's `tsa_url`.
    let o = edit_with_config(
        dir.path(),
        &format!("tsa_url = \"{}\"\n", tsa.url()),
        &signed,
        &edited,
        &keys,
    );
    assert!(stderr(&o).contains("time-stamped by"), "{}", stderr(&o));
    assert_eq!(tsa.served(), 2, "one time-stamp per new manifest");

    let root = keys.join("root.pem");
    let report = json(&verify_with(&edited, &[&root, &tsa.root_pem_path()]));
    assert_eq!(report["verdict"], "trusted", "{report:#}");
    assert_eq!(time_sources(&report), ["time_stamp", "time_stamp"]);
    let report = json(&verify_with(&edited, &[&root]));
    assert_eq!(report["verdict"], "trusted", "{report:#}");
    assert_eq!(
        time_sources(&report),
        ["untrusted_time_stamp", "untrusted_time_stamp"]
    );
    // The SDK says why: the TSA does not chain to a trust anchor here.
    assert!(codes(&report).iter().any(|c| c == "timeStamp.untrusted"));
}

/// An https:// TSA behind the newsroom's own CA: refused until `--tsa-ca` (or `tsa_ca` in
/// the config) names that CA, then time-stamps as over plain HTTP.
#[test]
fn an_https_tsa_behind_its_own_ca() {
    let tsa = LoopbackTsa::start_tls(Behaviour::Honest);
    let url = tsa.url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let src = samples().join("harbour-capture.jpg");
    let signed = dir.path().join("signed.jpg");
    let ca = tsa.root_pem_path();
    let o = sign(
        &src,
        &signed,
        &keys,
        &["--tsa", &url, "--tsa-ca", s(&ca), "--json"],
    );
    assert_eq!(json(&o)["tsa"], url.as_str());
    assert_eq!(tsa.served(), 1);
    let report = json(&verify_with(&signed, &[&keys.join("root.pem"), &ca]));
    assert_eq!(report["verdict"], "trusted", "{report:#}");
    assert_eq!(time_sources(&report), ["time_stamp"]);

    // The same from the config file, the CA's path relative to it.
    std::fs::copy(&ca, dir.path().join("tsa-ca.pem")).unwrap();
    let config = format!("tsa_url = \"{url}\"\ntsa_ca = \"tsa-ca.pem\"\n");
    let edited = dir.path().join("edited.jpg");
    let o = edit_with_config(dir.path(), &config, &signed, &edited, &keys);
    assert!(stderr(&o).contains("time-stamped by"), "{}", stderr(&o));
    assert_eq!(tsa.served(), 2);
}

/// Each failing TSA: exit 2, one clear error line naming the TSA, no output file.
#[test]
fn a_failing_tsa_stops_the_signing() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let src = samples().join("harbour-capture.jpg");
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}/", l.local_addr().unwrap().port())
    };
    let cases: Vec<(Option<LoopbackTsa>, String, &str)> = vec![
        (None, closed, "cannot connect"),
        (
            Some(LoopbackTsa::start_tls(Behaviour::Honest)),
            String::new(),
            "invalid peer certificate",
        ),
        (
            Some(LoopbackTsa::start(Behaviour::ServerError)),
            String::new(),
            "HTTP status 500",
        ),
        (
            Some(LoopbackTsa::start(Behaviour::Garbage)),
            String::new(),
            "no usable time-stamp",
        ),
        (
            Some(LoopbackTsa::start(Behaviour::WrongImprint)),
            String::new(),
            "does not match",
        ),
        (
            Some(LoopbackTsa::start(Behaviour::Silent)),
            String::new(),
            "no answer within",
        ),
    ];
    // Every case runs; what went wrong is listed together at the end.
    let mut problems = Vec::new();
    for (i, (server, url, why)) in cases.iter().enumerate() {
        let url = server.as_ref().map(|t| t.url()).unwrap_or(url.clone());
        for command in ["sign", "edit"] {
            let out = dir.path().join(format!("{command}-{i}.jpg"));
            let mut args = vec![
                command,
                s(&src),
                "-o",
                s(&out),
                "--key",
                s(&keys),
                "--tsa",
                &url,
            ];
            if command == "edit" {
                args.extend(["--resize", "200x150"]);
            }
            let o = provenant(&args);
            let err = stderr(&o);
            let clean = code(&o) == 2
                && err.starts_with("error: ")
                && err.trim_end().lines().count() == 1
                && !err.contains("panicked");
            if !clean || !err.contains(why) || !err.contains(&url) {
                problems.push(format!(
                    "{command} --tsa {url} (want {why:?}): exit {}, {}",
                    code(&o),
                    err.trim_end()
                ));
            }
            if out.exists() {
                problems.push(format!("{command} --tsa {url}: a file was written"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
