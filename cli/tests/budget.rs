//! The per-file validation budget (issue 12, item 6d): a crafted 38 KB TIFF from the
//! reference SDK's own tests makes the C2PA parser spin for minutes. `batch` and
//! `serve` validate in worker processes, kill the one that overruns its budget, report
//! the file (an error line, a 422) and go on with the next.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use serde_json::Value;

fn poc() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/hostile/tiff_poc.tiff")
}

fn interop_root() -> PathBuf {
    fixtures().join("interop/trust-anchor-root.pem")
}

#[test]
fn batch_stops_a_file_at_its_budget_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    // Names sort the hostile file between good ones: the run must go on after it.
    std::fs::copy(
        fixtures().join("interop/peer-created.jpg"),
        dir.path().join("a.jpg"),
    )
    .unwrap();
    std::fs::copy(poc(), dir.path().join("b.tiff")).unwrap();
    std::fs::copy(
        fixtures().join("interop/peer-edited.jpg"),
        dir.path().join("c.jpg"),
    )
    .unwrap();
    std::fs::copy(
        fixtures().join("interop/peer-tampered.jpg"),
        dir.path().join("d.jpg"),
    )
    .unwrap();
    let o = provenant(&[
        "batch",
        s(dir.path()),
        "--trust",
        s(&interop_root()),
        "--budget",
        "2",
        "--jobs",
        "1",
        "--quiet",
    ]);
    assert_eq!(code(&o), 2, "a file could not be checked: {}", stderr(&o));
    let lines: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{}", stdout(&o));
    let by_name = |n: &str| {
        lines
            .iter()
            .find(|l| l["path"].as_str().unwrap().ends_with(n))
            .unwrap()
    };
    let hostile = by_name("b.tiff");
    assert_eq!(hostile["status"], "error");
    assert_eq!(hostile["exit"], 2);
    assert!(
        hostile["error"]
            .as_str()
            .unwrap()
            .contains("per-file time budget"),
        "{hostile}"
    );
    assert_eq!(by_name("a.jpg")["verdict"], "trusted");
    assert_eq!(by_name("c.jpg")["verdict"], "trusted");
    assert_eq!(by_name("d.jpg")["verdict"], "invalid");
    // The same answers as in-process validation for the files that finish.
    let inprocess = provenant(&[
        "batch",
        s(&dir.path().join("d.jpg")),
        "--trust",
        s(&interop_root()),
        "--budget",
        "0",
        "--quiet",
    ]);
    let line: Value = serde_json::from_str(stdout(&inprocess).trim()).unwrap();
    assert_eq!(line["report"], by_name("d.jpg")["report"]);
}

fn post(addr: SocketAddr, path: &str, body: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]);
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = &raw[split + 4..];
    (status, serde_json::from_slice(body).unwrap_or(Value::Null))
}

/// The server, its address, and its home (kept until the server is gone).
struct Server(
    std::process::Child,
    SocketAddr,
    #[allow(dead_code)] tempfile::TempDir,
);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn server(extra: &[&str]) -> Server {
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("log.sqlite");
    let root = interop_root();
    let mut args = vec!["--log", s(&log), "--trust", s(&root)];
    args.extend_from_slice(extra);
    let (child, addr) = spawn_server(home.path(), &args);
    Server(child, addr, home)
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

#[test]
fn serve_answers_422_at_the_budget_and_serves_the_next_upload() {
    // One CPU permit: if the hostile upload kept burning it, nothing else would run.
    let srv = server(&["--budget", "2", "--concurrency", "1", "--timeout", "60"]);
    let hostile = read(&poc());
    let good = read(&fixtures().join("interop/peer-created.jpg"));
    let (status, body) = post(srv.1, "/v1/verify", &hostile);
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "over_budget", "{body}");
    let (status, body) = post(srv.1, "/v1/verify", &good);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["verdict"], "trusted");
    // Lookup decodes pictures first (no TIFF decoder: a quick 422), then reads the
    // manifest ids an upload carries in a worker too.
    let (status, body) = post(srv.1, "/v1/chronology/lookup", &hostile);
    assert_eq!(status, 422, "{body}");
    let (status, body) = post(srv.1, "/v1/chronology/lookup", &good);
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(srv.1, "/v1/verify", &good);
    assert_eq!(status, 200, "{body}");
    // A refusal made in the worker keeps its code.
    let (status, body) = post(srv.1, "/v1/verify", b"plain text, not media");
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "unknown_format", "{body}");
}
