//! One table of policies × files through all four surfaces — `verify`, `batch`,
//! `serve` (POST /v1/verify?policy=…) and the browser build's exports (verify, then
//! the blacklist snapshot, then the policy, as the page and the extension call them) —
//! gives identical answers: pass or fail, and the same reasons. Among the files, a
//! photo from a blacklisted camera: the HTTP API used to pass it.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};

use common::{code, keygen, provenant, s, samples, sign, spawn_server, stderr, stdout};
use serde_json::Value;

/// (passed, reasons) as one surface answered.
type Answer = (bool, Vec<String>);

struct World {
    dir: tempfile::TempDir,
    files: BTreeMap<&'static str, PathBuf>,
    blacklist_args: Vec<String>,
    snapshot_json: String,
    snapshot_key: String,
    trust_pem: String,
}

impl World {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn ok(args: &[&str]) -> String {
    let o = provenant(args);
    assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
    stdout(&o)
}

/// A newsroom, a camera maker with two cameras of one fleet, and a signed blacklist
/// snapshot listing camera A from today on.
fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let newsroom = keygen(&p("newsroom"), &[]);
    let stranger = keygen(&p("stranger"), &[]);
    ok(&["keygen", "--out", s(&p("maker")), "--org", "Acme Cameras"]);
    ok(&[
        "curator",
        "deal",
        "--insecure-trusted-dealer",
        "--threshold",
        "2",
        "--curators",
        "3",
        "--out",
        s(&p("curators")),
    ]);
    let pics = p("pics");
    std::fs::create_dir(&pics).unwrap();
    let pic = |n: &str| pics.join(n);
    let sample = samples().join("harbour-capture.jpg");
    sign(&sample, &pic("trusted.jpg"), &newsroom, &[]);
    sign(
        &samples().join("second-capture.jpg"),
        &pic("ai.jpg"),
        &newsroom,
        &["--source", "ai"],
    );
    sign(&sample, &pic("stranger.jpg"), &stranger, &[]);
    let mut bytes = std::fs::read(pic("trusted.jpg")).unwrap();
    let at = bytes.len() - 2000;
    bytes[at] ^= 0x55;
    std::fs::write(pic("tampered.jpg"), bytes).unwrap();
    std::fs::copy(&sample, pic("unsigned.jpg")).unwrap();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for cam in ["camera-a", "camera-b"] {
        let dev = p(cam);
        ok(&[
            "device",
            "init",
            s(&dev),
            "--maker",
            s(&p("maker")),
            "--group",
            s(&p("curators/group.json")),
            "--at",
            &now,
        ]);
        ok(&[
            "device",
            "capture",
            s(&sample),
            "-o",
            s(&pic(&format!("{cam}.jpg"))),
            "--device",
            s(&dev),
            "--at",
            &now,
        ]);
    }
    let (snapshot_json, snapshot_key) = snapshot(dir.path(), &pic("camera-a.jpg"));
    std::fs::write(p("blacklist.json"), &snapshot_json).unwrap();
    let mut trust_pem = std::fs::read_to_string(newsroom.join("root.pem")).unwrap();
    trust_pem.push_str(&std::fs::read_to_string(p("maker/root.pem")).unwrap());
    std::fs::write(p("anchors.pem"), &trust_pem).unwrap();
    let files = [
        "trusted", "ai", "stranger", "tampered", "unsigned", "camera-a", "camera-b",
    ]
    .into_iter()
    .map(|n| (n, pic(&format!("{n}.jpg"))))
    .collect();
    let blacklist_args = vec![
        "--blacklist".into(),
        p("blacklist.json").display().to_string(),
        "--blacklist-key".into(),
        snapshot_key.clone(),
    ];
    World {
        dir,
        files,
        blacklist_args,
        snapshot_json,
        snapshot_key,
        trust_pem,
    }
}

/// A snapshot whose one device entry is camera A's key of the evidence photo's day.
fn snapshot(dir: &Path, evidence: &Path) -> (String, String) {
    let element: Value =
        serde_json::from_slice(&std::fs::read(dir.join("camera-a/secure-element.json")).unwrap())
            .unwrap();
    let report: Value =
        serde_json::from_str(&ok(&["verify", s(evidence), "--json", "--policy", "valid"])).unwrap();
    let capture = &report["chain"][0]["capture"];
    let epoch = u32::try_from(element["epoch"].as_u64().unwrap()).unwrap();
    assert_eq!(capture["epoch"], epoch);
    let hash = <sha2::Sha256 as sha2::Digest>::digest(std::fs::read(evidence).unwrap());
    let entry = provenant_core::blacklist::DeviceEntry {
        id: 1,
        curator_set: 1,
        epoch_key: element["epoch_key"].as_str().unwrap().into(),
        key_epoch: epoch,
        start_epoch: epoch,
        evidence_hash: hex::encode(hash),
        evidence_r: capture["r"].as_str().unwrap().into(),
        evidence_tag: capture["tag"].as_str().unwrap().into(),
        reason: "staged photos".into(),
    };
    let registry = format!("0x{}", "11".repeat(20));
    common::signed_snapshot((31337, &registry, 1), vec![entry], Vec::new(), [7; 32])
}

/// The policies of the table, as policy-file TOML; every one trusts both roots.
fn policies() -> Vec<(&'static str, &'static str)> {
    vec![
        ("default", ""),
        ("valid", "require = \"valid\"\n"),
        (
            "valid, blacklist ignored",
            "require = \"valid\"\nreject_blacklisted = false\n",
        ),
        ("no AI", "allow_ai_generated = false\n"),
    ]
}

fn write_policy(w: &World, i: usize, toml: &str) -> PathBuf {
    let path = w.path(&format!("policy-{i}.toml"));
    std::fs::write(&path, format!("trust_anchors = [\"anchors.pem\"]\n{toml}")).unwrap();
    path
}

/// `verify FILE --policy-file P`: the exit code and the "fails the policy:" lines.
fn by_verify(w: &World, policy: &Path, file: &Path) -> Answer {
    let mut args = vec!["verify", s(file), "--policy-file", s(policy)];
    args.extend(w.blacklist_args.iter().map(String::as_str));
    let o = provenant(&args);
    let reasons: Vec<String> = stdout(&o)
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("fails the policy: ")
                .map(str::to_owned)
        })
        .collect();
    assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
    (code(&o) == 0, reasons)
}

/// `batch DIR --policy-file P`: each line's status and reasons.
fn by_batch(w: &World, policy: &Path) -> BTreeMap<PathBuf, Answer> {
    let pics = w.path("pics");
    let mut args = vec!["batch", s(&pics), "--policy-file", s(policy), "--quiet"];
    args.extend(w.blacklist_args.iter().map(String::as_str));
    let o = provenant(&args);
    stdout(&o)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let reasons = v["reasons"].as_array().unwrap();
            (
                PathBuf::from(v["path"].as_str().unwrap()),
                (
                    v["status"] == "pass",
                    reasons
                        .iter()
                        .map(|r| r.as_str().unwrap().to_owned())
                        .collect(),
                ),
            )
        })
        .collect()
}

/// POST /v1/verify?policy=REQUIRE to a server started with `--policy-file P`.
fn by_serve(addr: SocketAddr, require: &str, file: &Path) -> Answer {
    let body = std::fs::read(file).unwrap();
    let mut tcp = TcpStream::connect(addr).unwrap();
    write!(
        tcp,
        "POST /v1/verify?policy={require} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    tcp.write_all(&body).unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).unwrap();
    let (head, json) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{json}");
    let v: Value = serde_json::from_str(json).unwrap();
    let reasons = v["reasons"].as_array().unwrap();
    (
        v["passed"].as_bool().unwrap(),
        reasons
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect(),
    )
}

/// The browser build's calls, in the page's order: verify, applyBlacklist, evaluatePolicy.
fn by_browser(w: &World, policy_toml: &str, file: &Path) -> Answer {
    let bytes = std::fs::read(file).unwrap();
    let report = provenant_wasm::verify_to_json(&bytes, &w.trust_pem, None).unwrap();
    let now = chrono::Utc::now().timestamp() as u64;
    let report =
        provenant_wasm::apply_blacklist_json(&report, &w.snapshot_json, &w.snapshot_key, now)
            .unwrap();
    let policy: toml::Table = toml::from_str(policy_toml).unwrap();
    let policy = serde_json::to_string(&policy).unwrap();
    let v: Value =
        serde_json::from_str(&provenant_wasm::evaluate_policy_json(&report, &policy).unwrap())
            .unwrap();
    let reasons = v["reasons"].as_array().unwrap();
    (
        v["passed"].as_bool().unwrap(),
        reasons
            .iter()
            .map(|r| r["message"].as_str().unwrap().to_owned())
            .collect(),
    )
}

#[test]
fn every_surface_gives_the_same_answer() {
    let w = world();
    let home = w.path("server-home");
    let mut table: BTreeMap<(&str, &str), Answer> = BTreeMap::new();
    for (i, (name, toml)) in policies().into_iter().enumerate() {
        let policy = write_policy(&w, i, toml);
        let mut args = vec!["--policy-file", s(&policy), "--read-only"];
        args.extend(w.blacklist_args.iter().map(String::as_str));
        let (mut server, addr) = spawn_server(&home, &args);
        let require = if toml.contains("valid") {
            "valid"
        } else {
            "trusted"
        };
        let batch = by_batch(&w, &policy);
        assert_eq!(batch.len(), w.files.len(), "{batch:?}");
        for (file, path) in &w.files {
            let verify = by_verify(&w, &policy, path);
            let cell = format!("policy {name:?}, file {file}");
            assert_eq!(batch[path], verify, "batch vs verify: {cell}");
            assert_eq!(
                by_serve(addr, require, path),
                verify,
                "serve vs verify: {cell}"
            );
            assert_eq!(
                by_browser(&w, toml, path),
                verify,
                "browser vs verify: {cell}"
            );
            table.insert((name, file), verify);
        }
        let _ = server.kill();
        let _ = server.wait();
    }
    let passed = |p: &str, f: &str| table[&(p, f)].0;
    let reasons = |p: &str, f: &str| table[&(p, f)].1.join("; ");
    // The answers themselves.
    for p in ["default", "valid", "no AI"] {
        assert!(!passed(p, "camera-a"), "{p}: a blacklisted camera passed");
        assert!(
            reasons(p, "camera-a").contains("device.blacklisted"),
            "{}",
            reasons(p, "camera-a")
        );
        assert!(passed(p, "camera-b"), "{p}: {}", reasons(p, "camera-b"));
        assert!(!passed(p, "tampered") && !passed(p, "unsigned"));
    }
    assert!(passed("valid, blacklist ignored", "camera-a"));
    assert!(passed("default", "trusted") && passed("default", "ai"));
    assert!(!passed("default", "stranger") && passed("valid", "stranger"));
    assert!(!passed("no AI", "ai") && reasons("no AI", "ai").contains("allow_ai_generated"));
    assert!(passed("no AI", "trusted"));
}
