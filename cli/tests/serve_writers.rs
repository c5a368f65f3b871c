//! The attack: anyone could POST a file from any self-signed signer to
//! /v1/chronology/entries, and `anchor` then sealed it under the publisher's registry
//! identity, poisoning "earliest anchored original". Now `serve` records nothing unless
//! writers are configured; a write needs a writer's bearer token and a file `trusted`
//! under the server's anchors; each token is rate-limited; answers show no local paths.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;

use common::{code, keygen, provenant, s, samples, sign, spawn_server, stdout, WRITER_TOKEN};
use serde_json::Value;

struct Server {
    child: std::process::Child,
    addr: SocketAddr,
    _home: tempfile::TempDir,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        let home = tempfile::tempdir().unwrap();
        let log = home.path().join("log.sqlite");
        let mut all = vec!["--log", s(&log)];
        all.extend_from_slice(args);
        let (child, addr) = spawn_server(home.path(), &all);
        Self {
            child,
            addr,
            _home: home,
        }
    }

    /// (status, error code or the JSON body).
    fn post(&self, path: &str, token: Option<&str>, body: &[u8]) -> (u16, Value) {
        let mut tcp = TcpStream::connect(self.addr).unwrap();
        let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
        write!(
            tcp,
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}Content-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        let _ = tcp.write_all(body);
        let mut raw = String::new();
        tcp.read_to_string(&mut raw).unwrap();
        let (head, json) = raw.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, serde_json::from_str(json).unwrap())
    }

    fn get(&self, path: &str) -> Value {
        let mut tcp = TcpStream::connect(self.addr).unwrap();
        write!(
            tcp,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut raw = String::new();
        tcp.read_to_string(&mut raw).unwrap();
        serde_json::from_str(raw.split_once("\r\n\r\n").unwrap().1).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn error(answer: &(u16, Value)) -> (u16, &str) {
    (answer.0, answer.1["error"]["code"].as_str().unwrap_or("-"))
}

fn signed_by(dir: &Path, keys: &Path, name: &str) -> Vec<u8> {
    let out = dir.join(name);
    sign(
        &samples().join("harbour-capture.jpg"),
        &out,
        keys,
        &["--no-log"],
    );
    std::fs::read(out).unwrap()
}

#[test]
fn a_stranger_cannot_record_entries_under_the_publishers_name() {
    let dir = tempfile::tempdir().unwrap();
    let newsroom = keygen(&dir.path().join("newsroom"), &[]);
    let stranger = keygen(&dir.path().join("stranger"), &[]);
    let ours = signed_by(dir.path(), &newsroom, "ours.jpg");
    let forged = signed_by(dir.path(), &stranger, "forged.jpg");
    let root = newsroom.join("root.pem");

    // The attack on a server started as before: no writer configured → nothing recorded.
    let open = Server::start(&["--trust", s(&root)]);
    let attack = open.post("/v1/chronology/entries", None, &forged);
    assert_eq!(error(&attack), (403, "read_only"), "{}", attack.1);
    assert_eq!(
        error(&open.post("/v1/chronology/entries", Some(WRITER_TOKEN), &ours)),
        (403, "read_only")
    );

    // With a writer: a token is needed, the right one, and a trusted file.
    let hash = common::writer_hash();
    let server = Server::start(&[
        "--trust",
        s(&root),
        "--writer-token-sha256",
        &hash,
        "--writes-per-minute",
        "3",
    ]);
    let entries = "/v1/chronology/entries";
    assert_eq!(
        error(&server.post(entries, None, &ours)),
        (401, "unauthorized")
    );
    assert_eq!(
        error(&server.post(entries, Some("guess"), &ours)),
        (401, "unauthorized")
    );
    let untrusted = server.post(entries, Some(WRITER_TOKEN), &forged);
    assert_eq!(
        error(&untrusted),
        (422, "untrusted_signer"),
        "{}",
        untrusted.1
    );
    let (status, entry) = server.post(entries, Some(WRITER_TOKEN), &ours);
    assert_eq!(status, 201, "{entry}");
    // No answer shows where the server keeps files.
    assert!(entry.get("path").is_none(), "{entry}");
    let sha = entry["content_sha256"].as_str().unwrap();
    let found = server.get(&format!("/v1/chronology/sha256/{sha}"));
    assert!(found["entries"][0].get("path").is_none(), "{found}");
    let (status, matches) = server.post("/v1/chronology/lookup", None, &ours);
    assert_eq!(status, 200);
    assert_eq!(matches["matches"][0]["entry"], entry["id"]);
    assert!(matches["matches"][0].get("path").is_none(), "{matches}");
    // The token's third write this minute is its last (3 per minute, one was refused
    // as untrusted after admission, one recorded): the fourth is refused.
    assert_eq!(server.post(entries, Some(WRITER_TOKEN), &ours).0, 200);
    assert_eq!(
        error(&server.post(entries, Some(WRITER_TOKEN), &ours)),
        (429, "rate_limited")
    );
}

#[test]
fn serve_token_prints_a_token_and_its_hash() {
    let o = provenant(&["serve-token"]);
    assert_eq!(code(&o), 0);
    let token = stdout(&o).trim().to_owned();
    assert_eq!(token.len(), 64, "{token}");
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(token.as_bytes()));
    assert!(common::stderr(&o).contains(&hash), "{}", common::stderr(&o));
    let bad = Server::start_expecting_error(&["--writer-token-sha256", "nothex"]);
    assert!(bad.contains("is not a writer token's SHA-256"), "{bad}");
}

impl Server {
    /// `serve` with bad arguments: its error line.
    fn start_expecting_error(args: &[&str]) -> String {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
        all.extend_from_slice(args);
        let o = provenant(&all);
        assert_eq!(code(&o), 2);
        common::stderr(&o)
    }
}
