//! `provenant batch`: inputs, streaming lines, bad files, policies, summary, memory.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

fn fx() -> PathBuf {
    fixtures()
}

fn interop_anchor() -> PathBuf {
    fx().join("interop/trust-anchor-root.pem")
}

/// The line schema, with the report schema it refers to put in place.
fn validator() -> jsonschema::Validator {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(docs.join(f)).unwrap()).unwrap()
    };
    let mut line = read("batch-line.schema.json");
    let mut report = read("report.schema.json");
    report.as_object_mut().unwrap().remove("$schema");
    line["oneOf"][0]["properties"]["report"] = report;
    jsonschema::validator_for(&line).expect("schema compiles")
}

fn lines(o: &Output) -> Vec<serde_json::Value> {
    let v = validator();
    stdout(o)
        .lines()
        .map(|l| {
            let j: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            let errors: Vec<String> = v.iter_errors(&j).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{l}: {errors:#?}");
            j
        })
        .collect()
}

fn batch(args: &[&str]) -> Output {
    let mut all = vec!["batch", "-q"];
    all.extend_from_slice(args);
    provenant(&all)
}

/// (path, status) of every file line.
fn results(ls: &[serde_json::Value]) -> BTreeSet<(String, String)> {
    ls.iter()
        .filter(|l| l.get("path").is_some())
        .map(|l| {
            (
                l["path"].as_str().unwrap().to_owned(),
                l["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn directory_list_and_stdin_inputs_agree() {
    let dir = fx().join("interop");
    let o = batch(&[s(&dir), "--trust", s(&interop_anchor())]);
    let by_dir = lines(&o);
    // Only media files are taken from directories (not the .pem).
    assert_eq!(by_dir.len(), 5, "{}", stdout(&o));
    assert!(code(&o) >= 1);
    let files: Vec<String> = by_dir
        .iter()
        .map(|l| l["path"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = files.clone();
    sorted.sort();
    let tmp = tempfile::tempdir().unwrap();
    let list = tmp.path().join("list.txt");
    std::fs::write(&list, format!("{}\n\n", sorted.join("\n"))).unwrap();
    let at = format!("@{}", list.display());
    let o2 = batch(&[&at, "--trust", s(&interop_anchor())]);
    assert_eq!(results(&lines(&o2)), results(&by_dir));
    assert_eq!(code(&o2), code(&o));

    let mut child = command(&std::env::temp_dir())
        .args(["batch", "-q", "-", "--trust", s(&interop_anchor())])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sorted.join("\n").as_bytes())
        .unwrap();
    let o3 = child.wait_with_output().unwrap();
    assert_eq!(results(&lines(&o3)), results(&by_dir));
    // The signed interop files are trusted with their anchor; unsigned fails.
    let created = by_dir
        .iter()
        .find(|l| l["path"].as_str().unwrap().ends_with("peer-created.jpg"))
        .unwrap();
    assert_eq!(created["status"], "pass", "{created}");
    assert_eq!(created["report"]["verdict"], "trusted");
}

#[test]
fn bad_files_change_nothing_for_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let src = fx().join("interop/peer-created.jpg");
    std::fs::copy(&src, d.join("a.jpg")).unwrap();
    let bytes = std::fs::read(&src).unwrap();
    std::fs::write(d.join("b-truncated.jpg"), &bytes[..bytes.len() / 3]).unwrap();
    std::fs::create_dir(d.join("c-dir.jpg")).unwrap();
    std::fs::write(d.join("c-garbage.jpg"), b"this is not a picture at all").unwrap();
    std::fs::copy(&src, d.join("d.jpg")).unwrap();
    let o = batch(&[s(d), "--trust", s(&interop_anchor()), "--summary-json"]);
    let ls = lines(&o);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let st = |name: &str| {
        ls.iter()
            .find(|l| l["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .map(|l| l["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(st("/a.jpg").as_deref(), Some("pass"));
    assert_eq!(st("/d.jpg").as_deref(), Some("pass"));
    assert_ne!(st("b-truncated.jpg").as_deref(), Some("pass"));
    assert_eq!(st("c-garbage.jpg").as_deref(), Some("error"));
    // Named explicitly: a directory named as a picture is walked (it is empty), a
    // missing file is an error line, the others are unaffected.
    let o = batch(&[
        s(&d.join("a.jpg")),
        s(&d.join("c-dir.jpg/../c-dir.jpg")),
        s(&d.join("nope.jpg")),
        s(&d.join("d.jpg")),
        "--trust",
        s(&interop_anchor()),
    ]);
    let ls = lines(&o);
    assert_eq!(code(&o), 2);
    assert_eq!(ls.len(), 3, "{}", stdout(&o)); // the empty directory has no files
    assert_eq!(ls.iter().filter(|l| l["status"] == "pass").count(), 2);
    assert_eq!(ls.iter().filter(|l| l["status"] == "error").count(), 1);
}

#[test]
fn summary_counts_equal_the_lines() {
    let o = batch(&[s(&fx()), "--summary-json"]);
    let ls = lines(&o);
    let (files, summary) = ls.split_at(ls.len() - 1);
    let sm = &summary[0]["summary"];
    assert_eq!(sm["files"], files.len());
    for status in ["pass", "fail", "error"] {
        let n = files.iter().filter(|l| l["status"] == status).count();
        assert_eq!(sm[status], n, "{status}");
    }
    let verdicts: u64 = sm["verdicts"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(
        verdicts as usize,
        files.iter().filter(|l| l.get("verdict").is_some()).count()
    );
    let worst = files
        .iter()
        .map(|l| l["exit"].as_i64().unwrap())
        .max()
        .unwrap();
    assert_eq!(i64::from(code(&o)), worst);
    // Without --summary-json stdout holds only file lines; the summary is on stderr.
    let o = provenant(&["batch", s(&fx())]);
    assert_eq!(lines(&o).len(), files.len());
    assert!(stderr(&o).contains("files in"), "{}", stderr(&o));
}

#[test]
fn jobs_1_and_2_give_the_same_lines() {
    let set = |j: &str| -> BTreeSet<String> {
        stdout(&batch(&[s(&fx()), "--jobs", j]))
            .lines()
            .map(|l| {
                // What a line decides (the report's JSON object key order within
                // action parameters is not stable between runs, even for `verify`).
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let mut codes: Vec<String> = v["report"]["codes"]
                    .as_array()
                    .map(|cs| cs.iter().map(|c| c["code"].to_string()).collect())
                    .unwrap_or_default();
                codes.sort();
                format!(
                    "{} {} {} {} {} {} {:?}",
                    v["path"],
                    v["status"],
                    v["exit"],
                    v["verdict"],
                    v["reasons"],
                    v["report"]["sha256"],
                    codes
                )
            })
            .collect()
    };
    let one = set("1");
    assert!(one.len() >= 13);
    assert_eq!(one, set("2"));
}

#[test]
fn policies_valid_trusted_ai_and_typos() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let keys = keygen(d, &[]);
    let pics = d.join("pics");
    std::fs::create_dir(&pics).unwrap();
    sign(
        &samples().join("harbour-capture.jpg"),
        &pics.join("capture.jpg"),
        &keys,
        &[],
    );
    sign(
        &samples().join("second-capture.jpg"),
        &pics.join("ai.jpg"),
        &keys,
        &["--source", "ai"],
    );
    let policy = d.join("policy.toml");
    let run = |toml: &str| {
        std::fs::write(&policy, toml).unwrap();
        batch(&[s(&pics), "--policy-file", s(&policy)])
    };
    // Trusted (default) without anchors: both fail.
    let o = run("");
    assert_eq!(code(&o), 1);
    assert!(lines(&o).iter().all(|l| l["status"] == "fail"));
    // Valid: both pass.
    let o = run("require = \"valid\"\n");
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // Trusted with the root, relative to the policy file.
    let o = run("trust_anchors = [\"keys/root.pem\"]\n");
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // No AI: the AI picture fails with a reason, the capture passes.
    let o = run("trust_anchors = [\"keys/root.pem\"]\nallow_ai_generated = false\n");
    assert_eq!(code(&o), 1);
    for l in lines(&o) {
        let ai = l["path"].as_str().unwrap().ends_with("ai.jpg");
        assert_eq!(l["status"], if ai { "fail" } else { "pass" }, "{l}");
        if ai {
            assert!(l["reasons"][0]
                .as_str()
                .unwrap()
                .contains("allow_ai_generated"));
        }
    }
    // Unknown key: exit 2 before any work, a clear message, no lines.
    let o = run("require = \"valid\"\nallow_ai = false\n");
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("allow_ai"), "{}", stderr(&o));
    // require_anchor without a chain: exit 2.
    let o = run("require_anchor = true\n");
    assert_eq!(code(&o), 2);
}

#[test]
fn oversized_files_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.jpg");
    std::fs::write(&big, vec![0u8; 2 * 1024 * 1024]).unwrap();
    let o = batch(&[s(&big), "--max-size", "1"]);
    let ls = lines(&o);
    assert_eq!(code(&o), 2);
    assert!(
        ls[0]["error"].as_str().unwrap().contains("--max-size"),
        "{}",
        ls[0]
    );
}

/// Peak resident memory (VmHWM, kB) of a running process, polled until it exits.
fn run_watching_peak(mut cmd: std::process::Command) -> (Output, u64) {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (p2, done) = (
        peak.clone(),
        std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
    );
    let d2 = done.clone();
    let watcher = std::thread::spawn(move || {
        while !d2.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok(text) = std::fs::read_to_string(&status) {
                for line in text.lines() {
                    if let Some(v) = line.strip_prefix("VmHWM:") {
                        let kb: u64 = v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
                        p2.fetch_max(kb, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    });
    let out = child.wait_with_output().unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    watcher.join().unwrap();
    (out, peak.load(std::sync::atomic::Ordering::Relaxed))
}

#[test]
fn memory_stays_flat_over_2000_files() {
    let tmp = tempfile::tempdir().unwrap();
    let sources: Vec<PathBuf> = [
        "interop/peer-created.jpg",
        "interop/unsigned.jpg",
        "c2pa-rs/CA.jpg",
    ]
    .iter()
    .map(|f| fx().join(f))
    .collect();
    for i in 0..2000 {
        let sub = tmp.path().join(format!("d{:02}", i % 20));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::hard_link(&sources[i % 3], sub.join(format!("f{i:04}.jpg"))).unwrap();
    }
    let mut cmd = command(&std::env::temp_dir());
    cmd.args(["batch", "-q", s(tmp.path()), "--summary-json"]);
    let (o, peak_kb) = run_watching_peak(cmd);
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 2001, "{}", stderr(&o));
    let summary: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(summary["summary"]["files"], 2000);
    assert!(peak_kb > 0, "could not read VmHWM");
    assert!(peak_kb < 200 * 1024, "peak RSS {peak_kb} kB");
    eprintln!("peak RSS over 2000 files: {peak_kb} kB");
}

/// The attack: a file name holding a newline, listed one per line, becomes two paths —
/// one of them chosen by whoever named the file. With `-0` (NUL-separated, as `find
/// -print0` writes) the name stays one path.
#[test]
fn nul_separated_lists_keep_newlines_in_names() {
    let tmp = tempfile::tempdir().unwrap();
    let uploads = tmp.path().join("uploads");
    std::fs::create_dir(&uploads).unwrap();
    // The name's second half names another file (relative to where batch runs).
    std::fs::copy(
        fx().join("interop/peer-created.jpg"),
        tmp.path().join("secret.jpg"),
    )
    .unwrap();
    let evil = uploads.join("x\nsecret.jpg");
    std::fs::copy(fx().join("interop/peer-edited.jpg"), &evil).unwrap();
    let trust = interop_anchor();
    let run = |null: bool| {
        let list = tmp.path().join("list");
        let separator = if null { "\0" } else { "\n" };
        std::fs::write(&list, format!("{}{separator}", evil.display())).unwrap();
        let at = format!("@{}", list.display());
        let mut args = vec!["batch", "-q", &at, "--trust", s(&trust)];
        if null {
            args.push("-0");
        }
        let o = command(&std::env::temp_dir())
            .current_dir(tmp.path())
            .args(&args)
            .output()
            .unwrap();
        lines(&o)
    };
    // One per line: the newline splits the name, and the other file is verified.
    let split = run(false);
    assert!(split.iter().any(|l| l["path"] == "secret.jpg"), "{split:?}");
    // NUL-separated: exactly the uploaded file, read whole.
    let whole = run(true);
    assert_eq!(whole.len(), 1, "{whole:?}");
    assert_eq!(whole[0]["path"], evil.display().to_string());
    assert_eq!(whole[0]["status"], "pass", "{}", whole[0]);
}
