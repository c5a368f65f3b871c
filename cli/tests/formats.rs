//! Every format the C2PA SDK reads and writes, sidecar and remote manifests, and crJSON:
//! the verdicts of the reference SDK's own format samples (../shared/fixtures/formats,
//! README table), compared live with the reference tool (c2patool 0.27.22, required);
//! signing each writable format, verified `trusted` by us and by c2patool; hostile and
//! truncated files of each format; `.c2pa` sidecars; remote manifests fetched from a
//! loopback https server only; crJSON validated against the vendored schema.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn formats() -> PathBuf {
    fixtures().join("formats")
}

/// `provenant verify FILE --json <extra>` → (exit code, report).
fn verify_json(file: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["verify", s(file), "--json"];
    args.extend_from_slice(extra);
    let o = provenant(&args);
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    (code(&o), json(&o))
}

/// The failure codes of a report that came from C2PA validation (not provenant's own).
fn failure_codes(report: &serde_json::Value) -> BTreeSet<String> {
    report["codes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "failure")
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

/// c2patool's answer for a file: (lower-case validation state or `no_manifest`, the
/// active manifest's failure codes).
fn reference(args: &[&std::ffi::OsStr]) -> (String, BTreeSet<String>) {
    let out = Command::new(c2patool()).args(args).output().unwrap();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("No claim found"), "c2patool {args:?}: {err}");
        return ("no_manifest".into(), BTreeSet::new());
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes = v["validation_results"]["activeManifest"]["failure"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| c["code"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    (
        v["validation_state"].as_str().unwrap().to_lowercase(),
        codes,
    )
}

/// The README table: file, verdict, failure codes (besides `signingCredential.untrusted`
/// where the verdict is `valid`).
const EXPECTED: &[(&str, &str, &[&str])] = &[
    ("sample1.avif", "no_manifest", &[]),
    ("sample1.flac", "no_manifest", &[]),
    ("sample1.gif", "no_manifest", &[]),
    ("sample1.heic", "no_manifest", &[]),
    ("sample1.jxl", "no_manifest", &[]),
    ("sample1.mp3", "no_manifest", &[]),
    ("sample1.svg", "no_manifest", &[]),
    ("sample1.wav", "no_manifest", &[]),
    ("sample1.webp", "no_manifest", &[]),
    ("test.avi", "no_manifest", &[]),
    ("test.tiff", "no_manifest", &[]),
    ("video1_no_manifest.mp4", "no_manifest", &[]),
    ("basic.pdf", "no_manifest", &[]),
    ("video1.mp4", "valid", &["signingCredential.untrusted"]),
    (
        "express-signed.pdf",
        "valid",
        &["signingCredential.untrusted"],
    ),
    (
        "legacy.mp4",
        "invalid",
        &["signingCredential.untrusted", "claimSignature.mismatch"],
    ),
    (
        "dashinit.mp4",
        "invalid",
        &["signingCredential.untrusted", "assertion.bmffHash.mismatch"],
    ),
    (
        "cloud_manifest.c2pa",
        "invalid",
        &["signingCredential.untrusted", "assertion.dataHash.mismatch"],
    ),
];

#[test]
fn every_format_sample_gets_the_reference_verdict() {
    for (name, verdict, codes) in EXPECTED {
        let path = formats().join(name);
        let (exit, report) = verify_json(&path, &[]);
        assert_eq!(report["verdict"], *verdict, "{name}: {report}");
        // Nothing is trusted without anchors: every verdict fails the default policy.
        assert_eq!(exit, 1, "{name}");
        let ours = failure_codes(&report);
        let want: BTreeSet<String> = codes.iter().map(|c| c.to_string()).collect();
        assert_eq!(ours, want, "{name}: {report}");
        // Live: the reference tool says the same (state and failure codes).
        let (state, theirs) = reference(&[path.as_os_str()]);
        assert_eq!(&state, verdict, "{name}: c2patool");
        assert_eq!(ours, theirs, "{name}: c2patool's failure codes");
    }
}

#[test]
fn formats_are_told_by_content_not_by_name() {
    let dir = tempfile::tempdir().unwrap();
    for (name, mime) in [
        ("sample1.mp3", "audio/mpeg"),
        ("sample1.flac", "audio/flac"),
        ("sample1.wav", "audio/wav"),
        ("test.avi", "video/avi"),
        ("sample1.svg", "image/svg+xml"),
        ("sample1.jxl", "image/jxl"),
        ("basic.pdf", "application/pdf"),
        ("video1.mp4", "video/mp4"),
        ("sample1.heic", "image/heic"),
        ("sample1.avif", "image/avif"),
    ] {
        let renamed = dir.path().join(format!("{name}.bin"));
        std::fs::copy(formats().join(name), &renamed).unwrap();
        let (_, report) = verify_json(&renamed, &[]);
        assert_eq!(report["format"], mime, "{name}");
    }
}

#[test]
fn fragmented_mp4_is_checked_with_its_fragments() {
    let init = formats().join("dashinit.mp4");
    let pattern = formats().join("dash?.m4s");
    let (_, report) = verify_json(&init, &["--fragments", s(&pattern)]);
    assert_eq!(report["verdict"], "valid", "{report}");
    let codes = failure_codes(&report);
    assert_eq!(
        codes,
        BTreeSet::from(["signingCredential.untrusted".to_owned()])
    );

    // The reference tool validates the same fragment and reports the same codes.
    let scratch = tempfile::tempdir().unwrap();
    let out = Command::new(c2patool())
        .current_dir(scratch.path())
        .arg(&init)
        .args(["fragment", "--fragments_glob", "dash1.m4s"])
        .output()
        .unwrap();
    // It prints the codes of a fragment that does not validate (on stdout or stderr).
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: BTreeSet<String> = text
        .split("code: \"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect();
    assert_eq!(codes, theirs, "c2patool: {text}");

    // A pattern that matches nothing is a clear error.
    let none = formats().join("nothing*.m4s");
    let o = provenant(&["verify", s(&init), "--fragments", s(&none)]);
    assert_clean_error(&o, 2);
}

/// Runs provenant with a deadline: hostile input must never hang it.
fn provenant_within(args: &[&str], limit: Duration) -> Output {
    let home = std::env::temp_dir().join(format!("provenant-test-home-{}", std::process::id()));
    let mut child = command(&home)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("provenant {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn crafted_and_truncated_files_of_every_format_never_panic_or_hang() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("wav-header".into(), b"RIFF\x04\0\0\0WAVE".to_vec()),
        (
            "avi-header".into(),
            b"RIFF\xff\xff\xff\x7fAVI LIST".to_vec(),
        ),
        (
            "mp3-id3-only".into(),
            b"ID3\x04\0\0\x7f\x7f\x7f\x7f".to_vec(),
        ),
        ("mp3-frame".into(), vec![0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0]),
        ("flac-header".into(), b"fLaC\x00\x00\x00\x22".to_vec()),
        ("jxl-codestream".into(), vec![0xFF, 0x0A, 0xFA, 0x1F]),
        (
            "jxl-box".into(),
            b"\0\0\0\x0cJXL \r\n\x87\n\xff\xff\xff\xffjumb".to_vec(),
        ),
        (
            "m4a-ftyp".into(),
            b"\0\0\0\x18ftypM4A \0\0\0\0\xff\xff\xff\xffmoov".to_vec(),
        ),
        ("pdf-header".into(), b"%PDF-1.7\n%%EOF".to_vec()),
        ("svg-open".into(), b"<?xml version=\"1.0\"?><svg".to_vec()),
        (
            "c2pa-store".into(),
            b"\0\0\0\x20jumb\0\0\0\x18jumdc2pa".to_vec(),
        ),
        ("dng-like".into(), b"II\x2a\0\xff\xff\xff\x7f".to_vec()),
    ];
    for name in [
        "video1.mp4",
        "legacy.mp4",
        "express-signed.pdf",
        "cloud_manifest.c2pa",
        "sample1.wav",
        "sample1.mp3",
        "sample1.flac",
        "sample1.svg",
        "sample1.jxl",
        "sample1.heic",
        "test.avi",
    ] {
        let bytes = std::fs::read(formats().join(name)).unwrap();
        for cut in [bytes.len() / 2, bytes.len() / 10, 64] {
            cases.push((
                format!("{name}-cut{cut}"),
                bytes[..cut.min(bytes.len())].to_vec(),
            ));
        }
        // A signed file with bytes flipped in the middle of its manifest region.
        let mut flipped = bytes.clone();
        for b in flipped.iter_mut().skip(bytes.len() / 3).take(512) {
            *b ^= 0x5A;
        }
        cases.push((format!("{name}-flipped"), flipped));
    }
    for (name, bytes) in cases {
        let path = dir.path().join(&name);
        std::fs::write(&path, &bytes).unwrap();
        let o = provenant_within(&["verify", s(&path), "--json"], Duration::from_secs(60));
        match code(&o) {
            // A verdict (never `trusted`: nothing is trusted here).
            1 => {
                let v = json(&o);
                let verdict = v["verdict"].as_str().unwrap();
                assert!(
                    ["invalid", "no_manifest", "valid"].contains(&verdict),
                    "{name}: {v}"
                );
            }
            // Could not run: one clean `error:` line.
            2 => assert_clean_error(&o, 2),
            other => panic!("{name}: exit {other}: {}", stderr(&o)),
        }
    }
}

/// The writable formats and the unsigned sample each is signed from (MOV and M4A are
/// the MP4 sample with its major brand changed: no such samples exist in the fixtures).
fn signable(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let mp4 = std::fs::read(formats().join("video1_no_manifest.mp4")).unwrap();
    let mut made = Vec::new();
    for (brand, name) in [(b"qt  ", "video1.mov"), (b"M4A ", "audio1.m4a")] {
        let mut bytes = mp4.clone();
        assert_eq!(&bytes[4..8], b"ftyp");
        bytes[8..12].copy_from_slice(brand);
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        made.push(path);
    }
    vec![
        ("video/mp4", formats().join("video1_no_manifest.mp4")),
        ("video/quicktime", made[0].clone()),
        ("audio/mp4", made[1].clone()),
        ("audio/wav", formats().join("sample1.wav")),
        ("video/avi", formats().join("test.avi")),
        ("audio/mpeg", formats().join("sample1.mp3")),
        ("audio/flac", formats().join("sample1.flac")),
        ("image/avif", formats().join("sample1.avif")),
        ("image/heic", formats().join("sample1.heic")),
        ("image/gif", formats().join("sample1.gif")),
        ("image/tiff", formats().join("test.tiff")),
        ("image/svg+xml", formats().join("sample1.svg")),
        ("image/jxl", formats().join("sample1.jxl")),
    ]
}

#[test]
fn every_writable_format_is_signed_and_trusted_by_both_tools() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let root = keys.join("root.pem");
    for (mime, input) in signable(dir.path()) {
        let out = dir.path().join(format!(
            "signed-{}",
            input.file_name().unwrap().to_string_lossy()
        ));
        let o = provenant(&["sign", s(&input), "-o", s(&out), "--key", s(&keys)]);
        assert_eq!(code(&o), 0, "{mime}: {}", stderr(&o));
        // Logged without a fingerprint (and it says so): the log finds the file by its
        // manifest, so it can be anchored like a picture.
        assert!(
            stderr(&o).contains("no fingerprint for this format"),
            "{mime}: {}",
            stderr(&o)
        );
        let o = provenant(&["proof", s(&out), "--json"]);
        assert_eq!(code(&o), 1, "{mime}: {}", stderr(&o));
        assert_eq!(
            json(&o)["steps"][0]["status"],
            "pending, not yet sealed: run `provenant anchor`",
            "{mime}"
        );
        let (exit, report) = verify_json(&out, &["--trust", s(&root)]);
        assert_eq!(report["verdict"], "trusted", "{mime}: {report}");
        assert_eq!(report["format"], mime);
        assert_eq!(exit, 0);
        let (state, codes) = reference(&[
            out.as_os_str(),
            "trust".as_ref(),
            "--trust_anchors".as_ref(),
            root.as_os_str(),
        ]);
        assert_eq!(state, "trusted", "{mime}: c2patool {codes:?}");
    }
}

fn sha256_file(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn sidecar_manifests_are_written_beside_and_found_beside() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let root = keys.join("root.pem");
    for name in ["sample1.wav", "sample1.gif"] {
        let asset = dir.path().join(name);
        std::fs::copy(formats().join(name), &asset).unwrap();
        let before = sha256_file(&asset);
        // Default: NAME.c2pa beside the input.
        let o = provenant(&["sign", s(&asset), "--sidecar", "--key", s(&keys)]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_eq!(sha256_file(&asset), before, "{name} was changed");
        let sidecar = asset.with_extension("c2pa");
        assert!(sidecar.is_file());

        // Found beside the asset automatically, and said so.
        let (exit, report) = verify_json(&asset, &["--trust", s(&root)]);
        assert_eq!(report["verdict"], "trusted", "{report}");
        assert_eq!(exit, 0);
        let code = report["codes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == "manifest.sidecar")
            .unwrap_or_else(|| panic!("no manifest.sidecar code: {report}"));
        assert_eq!(code["url"], s(&sidecar));
        let text = stdout(&provenant(&["verify", s(&asset), "--trust", s(&root)]));
        assert!(text.contains("manifest from sidecar"), "{text}");

        // Named explicitly, from elsewhere.
        let moved = dir.path().join(format!("elsewhere-{name}.c2pa"));
        std::fs::rename(&sidecar, &moved).unwrap();
        let (_, alone) = verify_json(&asset, &["--trust", s(&root)]);
        assert_eq!(alone["verdict"], "no_manifest");
        let (_, named) = verify_json(&asset, &["--trust", s(&root), "--manifest", s(&moved)]);
        assert_eq!(named["verdict"], "trusted", "{named}");

        // The reference tool agrees with the sidecar as the external manifest.
        let (state, codes) = reference(&[
            asset.as_os_str(),
            "--external-manifest".as_ref(),
            moved.as_os_str(),
            "trust".as_ref(),
            "--trust_anchors".as_ref(),
            root.as_os_str(),
        ]);
        assert_eq!(state, "trusted", "{codes:?}");

        // The asset changed after signing: the sidecar no longer binds it.
        let mut bytes = std::fs::read(&asset).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&asset, bytes).unwrap();
        let (_, broken) = verify_json(&asset, &["--trust", s(&root), "--manifest", s(&moved)]);
        assert_eq!(broken["verdict"], "invalid", "{broken}");
    }

    // MP3 and FLAC: the SDK's sidecar does not bind the unchanged file (c2patool's own
    // `-s` sidecar of these samples is Invalid too), so it is refused, nothing written.
    for name in ["sample1.mp3", "sample1.flac"] {
        let asset = dir.path().join(name);
        std::fs::copy(formats().join(name), &asset).unwrap();
        let o = provenant(&["sign", s(&asset), "--sidecar", "--key", s(&keys)]);
        assert_clean_error(&o, 2);
        assert!(stderr(&o).contains("sidecar"), "{}", stderr(&o));
        assert!(!asset.with_extension("c2pa").exists());
    }

    // -o names the sidecar; a sidecar of a sidecar is refused cleanly.
    let asset = dir.path().join("drawing.svg");
    std::fs::copy(formats().join("sample1.svg"), &asset).unwrap();
    let store = dir.path().join("out.c2pa");
    let o = provenant(&[
        "sign",
        s(&asset),
        "--sidecar",
        "-o",
        s(&store),
        "--key",
        s(&keys),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let (_, report) = verify_json(&asset, &["--trust", s(&root), "--manifest", s(&store)]);
    assert_eq!(report["verdict"], "trusted");
    let o = provenant(&["sign", s(&store), "--sidecar", "--key", s(&keys)]);
    assert_clean_error(&o, 2);
}

const CLOUD_URL: &str =
    "https://cai-manifests.adobe.com/manifests/adobe-urn-uuid-5f37e182-3687-462e-a7fb-573462780391";

#[test]
fn remote_manifests_are_reported_not_fetched_by_default() {
    let cloud = formats().join("cloud.jpg");
    let (exit, report) = verify_json(&cloud, &[]);
    assert_eq!(report["verdict"], "not_checked", "{report}");
    assert_eq!(exit, 1);
    let remote = report["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "manifest.remote")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(remote["url"], CLOUD_URL);
    assert_eq!(remote["kind"], "informational");
    let text = stdout(&provenant(&["verify", s(&cloud)]));
    assert!(text.contains("NOT CHECKED"), "{text}");
    assert!(text.contains(CLOUD_URL), "{text}");

    // The address filter: a name that resolves to a private or link-local address is
    // refused (the stub resolver never reaches the network); loopback only with the
    // development flag.
    for (target, allow) in [
        ("10.0.0.1:443", true),
        ("169.254.169.254:443", true),
        ("127.0.0.1:9", false),
        ("[::1]:9", false),
    ] {
        let rule = format!("cai-manifests.adobe.com={target}");
        let mut args = vec![
            "verify",
            s(&cloud),
            "--fetch-remote",
            "--fetch-resolve",
            &rule,
        ];
        if allow {
            args.push("--allow-loopback-fetch");
        }
        let o = provenant(&args);
        assert_clean_error(&o, 2);
        assert!(
            stderr(&o).contains("no public address"),
            "{target}: {}",
            stderr(&o)
        );
    }
}

/// A TLS server on loopback (openssl s_server -WWW) serving `root_dir`, with a
/// certificate for `host` issued by a throwaway CA: (server, port, the CA's PEM path).
fn https_server(dir: &Path, root_dir: &Path, host: &str) -> (ChildGuard, u16, PathBuf) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec![host.to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    let (ca_pem, cert_pem, key_pem) = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&ca_pem, ca.pem()).unwrap();
    std::fs::write(&cert_pem, leaf.pem()).unwrap();
    std::fs::write(&key_pem, leaf_key.serialize_pem()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("openssl")
        .current_dir(root_dir)
        .args(["s_server", "-quiet", "-WWW", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&cert_pem)
        .arg("-key")
        .arg(&key_pem)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl is required");
    let guard = ChildGuard(child);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "s_server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (guard, port, ca_pem)
}

struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn remote_manifest_is_fetched_from_loopback_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let served = dir.path().join("www");
    std::fs::create_dir_all(served.join("manifests")).unwrap();
    std::fs::copy(
        formats().join("cloud_manifest.c2pa"),
        served.join("manifests/adobe-urn-uuid-5f37e182-3687-462e-a7fb-573462780391"),
    )
    .unwrap();
    let (_server, port, ca) = https_server(dir.path(), &served, "cai-manifests.adobe.com");
    let cloud = formats().join("cloud.jpg");
    let rule = format!("cai-manifests.adobe.com=127.0.0.1:{port}");
    let base = [
        "--fetch-remote",
        "--allow-loopback-fetch",
        "--fetch-roots",
        s(&ca),
        "--fetch-resolve",
        &rule,
    ];
    let (_, report) = verify_json(&cloud, &base);
    // What the reference tool says of cloud.jpg with that manifest.
    let (state, codes) = reference(&[
        cloud.as_os_str(),
        "--external-manifest".as_ref(),
        formats().join("cloud_manifest.c2pa").as_os_str(),
    ]);
    assert_eq!(state, "valid");
    assert_eq!(report["verdict"], state, "{report}");
    assert_eq!(failure_codes(&report), codes);
    assert!(
        report["codes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "manifest.fetched" && c["url"] == CLOUD_URL),
        "{report}"
    );

    // Without the test's CA the server's certificate is refused.
    let o = provenant(&[
        "verify",
        s(&cloud),
        "--fetch-remote",
        "--allow-loopback-fetch",
        "--fetch-resolve",
        &rule,
    ]);
    assert_clean_error(&o, 2);

    // `batch` never fetches: the same file stays not_checked there.
    let o = provenant(&["batch", s(&cloud)]);
    let line = stdout(&o);
    assert!(line.contains("not_checked"), "{line}");
}

fn crjson_validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/crjson/crJSON-schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_crjson_valid(v: &serde_json::Value, what: &str) {
    let validator = crjson_validator();
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
    assert!(
        v["manifests"].as_array().is_some_and(|m| !m.is_empty()),
        "{what}: {v}"
    );
}

#[test]
fn crjson_output_follows_the_crjson_schema() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let signed = dir.path().join("signed.wav");
    let o = provenant(&[
        "sign",
        s(&formats().join("sample1.wav")),
        "-o",
        s(&signed),
        "--key",
        s(&keys),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for file in [
        formats().join("video1.mp4"),
        formats().join("legacy.mp4"),
        signed,
    ] {
        let o = provenant(&["verify", s(&file), "--format", "crjson"]);
        let v = json(&o);
        assert_crjson_valid(&v, s(&file));
        // The same thing the reference tool prints with --crjson.
        let out = Command::new(c2patool())
            .arg(&file)
            .arg("--crjson")
            .output()
            .unwrap();
        let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            v["manifests"].as_array().unwrap().len(),
            theirs["manifests"].as_array().unwrap().len(),
            "{}",
            file.display()
        );
    }
    // No manifest: nothing on stdout, a note on stderr, the verdict's exit code.
    let o = provenant(&[
        "verify",
        s(&formats().join("sample1.mp3")),
        "--format",
        "crjson",
    ]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("no manifest"), "{}", stderr(&o));
}
