//! Replicas of `provenant serve` over one PostgreSQL chronology store: what one
//! records, the other finds. Needs a server: `eval "$(scripts/postgres.sh env)"`.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Child;
use std::time::Duration;

use common::{code, command, keygen, s, samples, sign, stderr};
use serde_json::Value;

struct Replica {
    child: Child,
    addr: SocketAddr,
    _home: tempfile::TempDir,
}

impl Replica {
    /// A replica that trusts `keys`' root and records for [`common::WRITER_TOKEN`].
    fn start(log: &str, keys: &Path) -> Self {
        let home = tempfile::tempdir().unwrap();
        let root = keys.join("root.pem");
        let hash = common::writer_hash();
        let args = [
            "--log",
            log,
            "--trust",
            s(&root),
            "--writer-token-sha256",
            &hash,
        ];
        let (child, addr) = common::spawn_server(home.path(), &args);
        Self {
            child,
            addr,
            _home: home,
        }
    }

    /// One request on its own connection: (status, JSON body).
    fn call(&self, method: &str, path: &str, body: Option<&[u8]>) -> (u16, Value) {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAuthorization: Bearer {}\r\n",
            self.addr,
            common::WRITER_TOKEN
        );
        if let Some(b) = body {
            head.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        if let Some(b) = body {
            stream.write_all(b).unwrap();
        }
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        assert!(
            !head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "{head}"
        );
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        let body = serde_json::from_slice(&raw[split + 4..]).unwrap_or_else(|e| {
            panic!(
                "bad JSON ({e}), status {status}: {}",
                String::from_utf8_lossy(&raw[split + 4..])
            )
        });
        (status, body)
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `input` signed without logging.
fn signed(dir: &Path, keys: &Path, input: &str) -> Vec<u8> {
    let out = dir.join(format!("signed-{input}"));
    sign(&samples().join(input), &out, keys, &["--no-log"]);
    std::fs::read(out).unwrap()
}

/// What `from` recorded, `to` finds: by content hash, by manifest id and by lookup.
fn recorded_through_found_through(from: &Replica, to: &Replica, bytes: &[u8]) {
    let (status, entry) = from.call("POST", "/v1/chronology/entries", Some(bytes));
    assert_eq!(status, 201, "{entry}");
    let sha = entry["content_sha256"].as_str().unwrap();
    let (status, by_sha) = to.call("GET", &format!("/v1/chronology/sha256/{sha}"), None);
    assert_eq!(status, 200, "{by_sha}");
    assert_eq!(by_sha["entries"], Value::Array(vec![entry.clone()]));
    let id = entry["manifest_id"].as_str().unwrap();
    let (status, by_manifest) = to.call("GET", &format!("/v1/chronology/manifest/{id}"), None);
    assert_eq!((status, &by_manifest), (200, &entry));
    let (status, found) = to.call("POST", "/v1/chronology/lookup", Some(bytes));
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["matches"][0]["how"], "exact", "{found}");
    assert_eq!(found["matches"][0]["entry"], entry["id"]);
    // Recording it again through the other replica answers the same entry.
    let (status, again) = to.call("POST", "/v1/chronology/entries", Some(bytes));
    assert_eq!((status, &again["id"]), (200, &entry["id"]));
}

#[test]
fn replicas_on_one_postgres_database_share_the_log() {
    let db = common::pg::Database::new("replicas");
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let harbour = signed(dir.path(), &keys, "harbour-capture.jpg");
    let second = signed(dir.path(), &keys, "second-capture.jpg");

    let a = Replica::start(&db.url, &keys);
    let b = Replica::start(&db.url, &keys);
    recorded_through_found_through(&a, &b, &harbour);
    recorded_through_found_through(&b, &a, &second);
}

#[test]
fn provenant_log_puts_the_cli_on_postgres() {
    let db = common::pg::Database::new("replicas");
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let out = dir.path().join("signed.jpg");
    // `sign` logs into the store PROVENANT_LOG names, not the data directory.
    let o = command(dir.path())
        .env("PROVENANT_LOG", &db.url)
        .args([
            "sign",
            s(&samples().join("harbour-capture.jpg")),
            "-o",
            s(&out),
            "--key",
            s(&keys),
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("postgres://"), "{}", stderr(&o));
    assert!(!dir.path().join("chronology.sqlite").exists());
    let replica = Replica::start(&db.url, &keys);
    let (status, found) = replica.call(
        "POST",
        "/v1/chronology/lookup",
        Some(&std::fs::read(&out).unwrap()),
    );
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["matches"][0]["how"], "exact", "{found}");
}

#[test]
fn unreachable_store_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let o = command(home.path())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log",
            "postgres://someone:hunter2@127.0.0.1:1/nothing",
        ])
        .output()
        .unwrap();
    assert_ne!(code(&o), 0);
    let err = stderr(&o);
    assert!(err.contains("cannot connect"), "{err}");
    assert!(
        err.contains("postgres://someone@127.0.0.1:1/nothing"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}
