//! `provenant serve`: the real binary on a loopback port, spoken to in plain HTTP/1.1.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::http::{read_response, Response};
use common::{keygen, s, samples, sign};
use serde_json::Value;

fn anchors() -> [PathBuf; 2] {
    [
        common::fixtures().join("c2pa-rs/certs/test_cert_root_bundle.pem"),
        common::fixtures().join("interop/trust-anchor-root.pem"),
    ]
}

struct Server {
    child: Child,
    addr: SocketAddr,
    home: tempfile::TempDir,
}

impl Server {
    fn start(extra: &[&str]) -> Self {
        Self::start_on(None, extra)
    }

    /// A server over the store at `log` (default: a new one in its own home).
    fn start_on(log: Option<&Path>, extra: &[&str]) -> Self {
        let home = tempfile::tempdir().unwrap();
        let log = log.map_or_else(|| home.path().join("log.sqlite"), Path::to_owned);
        let mut args = vec!["--log", s(&log)];
        args.extend_from_slice(extra);
        let (child, addr) = common::spawn_server(home.path(), &args);
        Self { child, addr, home }
    }

    fn request(&self, method: &str, path: &str, body: &[u8]) -> Response {
        request(self.addr, method, path, &[], Some(body))
    }

    fn get(&self, path: &str) -> Response {
        request(self.addr, "GET", path, &[], None)
    }

    fn post(&self, path: &str, body: &[u8]) -> Response {
        self.request("POST", path, body)
    }

    /// A POST with a writer's bearer token.
    fn post_as(&self, token: &str, path: &str, body: &[u8]) -> Response {
        let auth = format!("Authorization: Bearer {token}");
        request(self.addr, "POST", path, &[&auth], Some(body))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Response {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "bad JSON ({e}), status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn error_code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap().to_owned()
    }

    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    stream
}

/// One request on its own connection; `body: None` sends no Content-Length.
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[&str],
    body: Option<&[u8]>,
) -> Response {
    let mut stream = connect(addr);
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    if let Some(b) = body {
        head.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    if let Some(b) = body {
        // The server may answer (413) before reading it all.
        let _ = stream.write_all(b);
    }
    read_response(stream)
}

/// A chunked upload of `total` bytes in 8 KiB chunks.
fn chunked_post(addr: SocketAddr, path: &str, total: usize) -> Response {
    let mut stream = connect(addr);
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let chunk = vec![0xA5u8; 8192];
    let mut sent = 0;
    while sent < total {
        let n = chunk.len().min(total - sent);
        let mut piece = format!("{n:x}\r\n").into_bytes();
        piece.extend_from_slice(&chunk[..n]);
        piece.extend_from_slice(b"\r\n");
        if stream.write_all(&piece).is_err() {
            break;
        }
        sent += n;
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    read_response(stream)
}

/// `provenant verify FILE --json` with both fixture anchors.
fn cli_report(file: &Path) -> Value {
    let [a, b] = anchors();
    let o = common::verify_with(file, &[&a, &b]);
    serde_json::from_slice(&o.stdout).unwrap()
}

fn without_file(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("file");
    v
}

fn trusting_server(extra: &[&str]) -> Server {
    let [a, b] = anchors();
    let mut args = vec!["--trust", s(&a), "--trust", s(&b)];
    args.extend_from_slice(extra);
    Server::start(&args)
}

#[test]
fn verify_answers_what_the_cli_prints() {
    let server = trusting_server(&[]);
    let mut files = Vec::new();
    for sub in ["c2pa-rs", "interop"] {
        for e in std::fs::read_dir(common::fixtures().join(sub)).unwrap() {
            let p = e.unwrap().path();
            if matches!(p.extension().and_then(|e| e.to_str()), Some("jpg" | "png")) {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 8, "fixtures: {files:?}");
    let mut verdicts = std::collections::BTreeSet::new();
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let r = server.post("/v1/verify", &bytes);
        assert_eq!(r.status, 200, "{}: {}", file.display(), r.text());
        let served = r.json();
        assert_eq!(
            without_file(served.clone()),
            without_file(cli_report(file)),
            "{}",
            file.display()
        );
        assert!(served.get("passed").is_none());
        verdicts.insert(served["verdict"].as_str().unwrap().to_owned());
        // ?policy adds whether it passes.
        let trusted = server.post("/v1/verify?policy=trusted", &bytes).json();
        assert_eq!(trusted["passed"], served["verdict"] == "trusted");
        let valid = server.post("/v1/verify?policy=valid", &bytes).json();
        assert_eq!(
            valid["passed"],
            served["verdict"] == "trusted" || served["verdict"] == "valid"
        );
    }
    // Invalid and unsigned files are verdicts (200), not errors.
    assert!(verdicts.contains("invalid"), "{verdicts:?}");
    assert!(verdicts.contains("no_manifest"), "{verdicts:?}");
    assert!(verdicts.contains("trusted"), "{verdicts:?}");
    let bad = server.post("/v1/verify?policy=sometimes", b"x");
    assert_eq!((bad.status, bad.error_code().as_str()), (400, "bad_query"));
}

#[test]
fn limits_and_errors_have_stable_codes() {
    let server = Server::start(&["--max-body", "100KiB"]);
    let max = 100 * 1024;
    // Declared too big: refused before a byte of the body is read.
    let r = request(
        server.addr,
        "POST",
        "/v1/verify",
        &[&format!("Content-Length: {}", 1u64 << 40)],
        None,
    );
    assert_eq!((r.status, r.error_code().as_str()), (413, "body_too_large"));
    // Exactly over the limit, with a body.
    let r = server.post("/v1/verify", &vec![0u8; max + 1]);
    assert_eq!((r.status, r.error_code().as_str()), (413, "body_too_large"));
    // Chunked (no length): cut off at the limit.
    let r = chunked_post(server.addr, "/v1/verify", 3 * max);
    assert_eq!((r.status, r.error_code().as_str()), (413, "body_too_large"));
    // Chunked within the limit still works (and is garbage here).
    let r = chunked_post(server.addr, "/v1/verify", 1000);
    assert_eq!((r.status, r.error_code().as_str()), (422, "unknown_format"));
    let r = server.post("/v1/verify", b"");
    assert_eq!((r.status, r.error_code().as_str()), (400, "empty_body"));
    let r = request(server.addr, "POST", "/v1/verify", &[], None);
    assert_eq!((r.status, r.error_code().as_str()), (400, "empty_body"));
    let r = server.post("/v1/verify", b"this is not a picture at all");
    assert_eq!((r.status, r.error_code().as_str()), (422, "unknown_format"));
    assert!(r
        .header("content-type")
        .unwrap()
        .contains("application/json"));
    let r = server.get("/v1/nothing");
    assert_eq!((r.status, r.error_code().as_str()), (404, "no_route"));
    let r = server.get("/v1/verify");
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (405, "method_not_allowed")
    );
    let r = server.get("/v1/chronology/sha256/abc");
    assert_eq!((r.status, r.error_code().as_str()), (400, "bad_hash"));
    let r = server.get(&format!("/v1/chronology/manifest/{}", "g".repeat(64)));
    assert_eq!((r.status, r.error_code().as_str()), (400, "bad_hash"));
    let r = server.post("/v1/chronology/lookup?max_distance=40", b"x");
    assert_eq!((r.status, r.error_code().as_str()), (400, "bad_query"));
    let r = server.post("/v1/chronology/lookup", b"not a picture");
    assert_eq!((r.status, r.error_code().as_str()), (422, "not_a_picture"));
}

fn half_size_copy(path: &Path) -> Vec<u8> {
    let img = image::load_from_memory(&std::fs::read(path).unwrap()).unwrap();
    let half = img.resize_exact(
        img.width() / 2,
        img.height() / 2,
        image::imageops::FilterType::Triangle,
    );
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 75)
        .encode_image(&half.to_rgb8())
        .unwrap();
    out
}

#[test]
fn records_and_finds_signed_files() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let root = keys.join("root.pem");
    let hash = common::writer_hash();
    let server = Server::start(&["--trust", s(&root), "--writer-token-sha256", &hash]);
    let signed = dir.path().join("signed.jpg");
    sign(
        &samples().join("harbour-capture.jpg"),
        &signed,
        &keys,
        &["--no-log"],
    );
    let bytes = std::fs::read(&signed).unwrap();

    let r = server.post_as(
        common::WRITER_TOKEN,
        "/v1/chronology/entries?published_at=https%3A%2F%2Fexample.org%2Fa",
        &bytes,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let entry = r.json();
    let report = server.post("/v1/verify", &bytes).json();
    assert_eq!(entry["content_sha256"], report["sha256"]);
    assert_eq!(entry["manifest"], report["chain"][0]["manifest"]);
    assert_eq!(entry["manifest_id"], report["chain"][0]["manifest_id"]);
    assert_eq!(entry["published_at"], "https://example.org/a");
    assert_eq!(entry["anchor"]["status"], "pending");
    assert_eq!(entry["proof"], Value::Null);
    // Recording the same file again answers the existing entry.
    let again = server.post_as(common::WRITER_TOKEN, "/v1/chronology/entries", &bytes);
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["id"], entry["id"]);

    let sha = entry["content_sha256"].as_str().unwrap();
    let by_sha = server.get(&format!("/v1/chronology/sha256/{sha}"));
    assert_eq!(by_sha.status, 200);
    assert_eq!(by_sha.json()["entries"], Value::Array(vec![entry.clone()]));
    let none = server.get(&format!("/v1/chronology/sha256/{}", "0".repeat(64)));
    assert_eq!(none.status, 200);
    assert_eq!(none.json()["entries"], Value::Array(vec![]));

    let id = entry["manifest_id"].as_str().unwrap();
    let by_manifest = server.get(&format!("/v1/chronology/manifest/{id}"));
    assert_eq!(by_manifest.status, 200);
    assert_eq!(by_manifest.json(), entry);
    let missing = server.get(&format!("/v1/chronology/manifest/{}", "ab".repeat(32)));
    assert_eq!(
        (missing.status, missing.error_code().as_str()),
        (404, "not_found")
    );

    // The file itself: exact; a re-encoded half-size copy: perceptual.
    let exact = server.post("/v1/chronology/lookup", &bytes).json();
    assert_eq!(exact["matches"][0]["how"], "exact");
    assert_eq!(exact["matches"][0]["entry"], entry["id"]);
    let copy = server.post("/v1/chronology/lookup", &half_size_copy(&signed));
    assert_eq!(copy.status, 200, "{}", copy.text());
    let copy = copy.json();
    assert_eq!(copy["matches"][0]["how"], "perceptual", "{copy}");
    assert_eq!(copy["matches"][0]["entry"], entry["id"]);
    assert!(copy["matches"][0]["distance"].as_u64().unwrap() <= 8);
    // An unrelated picture matches nothing.
    let other = server.post(
        "/v1/chronology/lookup",
        &std::fs::read(samples().join("infographic.png")).unwrap(),
    );
    assert_eq!(other.json()["matches"], Value::Array(vec![]));

    // Files without valid credentials are not logged.
    let unsigned = std::fs::read(samples().join("second-capture.jpg")).unwrap();
    let r = server.post_as(common::WRITER_TOKEN, "/v1/chronology/entries", &unsigned);
    assert_eq!((r.status, r.error_code().as_str()), (422, "no_manifest"));
    let tampered = std::fs::read(common::fixtures().join("interop/peer-tampered.jpg")).unwrap();
    let r = server.post_as(common::WRITER_TOKEN, "/v1/chronology/entries", &tampered);
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (422, "invalid_manifest")
    );
    let r = server.post_as(common::WRITER_TOKEN, "/v1/chronology/entries", b"garbage");
    assert_eq!((r.status, r.error_code().as_str()), (422, "unknown_format"));

    // A read-only replica over the same store finds it but records nothing.
    let log = server.home.path().join("log.sqlite");
    let ro = Server::start_on(Some(&log), &["--read-only"]);
    let r = ro.post_as(common::WRITER_TOKEN, "/v1/chronology/entries", &bytes);
    assert_eq!((r.status, r.error_code().as_str()), (403, "read_only"));
    assert_eq!(
        ro.get(&format!("/v1/chronology/manifest/{id}")).json(),
        entry
    );
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}

#[test]
fn health_and_metrics() {
    let server = Server::start(&["--access-log"]);
    let h = server.get("/healthz");
    assert_eq!((h.status, h.text().trim()), (200, "ok"));
    let before = server.get("/metrics");
    assert_eq!(before.status, 200);
    assert!(before
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    let before = before.text();
    let file = std::fs::read(common::fixtures().join("interop/peer-created.jpg")).unwrap();
    assert_eq!(server.post("/v1/verify", &file).status, 200);
    assert_eq!(server.post("/v1/verify", b"junk").status, 422);
    let after = server.get("/metrics").text();
    let ok = "provenant_http_requests_total{route=\"/v1/verify\",status=\"200\"}";
    let bad = "provenant_http_requests_total{route=\"/v1/verify\",status=\"422\"}";
    assert_eq!(metric(&after, ok), metric(&before, ok) + 1, "{after}");
    assert_eq!(metric(&after, bad), metric(&before, bad) + 1);
    assert_eq!(
        metric(
            &after,
            "provenant_rejected_total{reason=\"unknown_format\"}"
        ),
        1
    );
    assert_eq!(
        metric(&after, "provenant_verdicts_total{verdict=\"valid\"}"),
        1,
        "{after}"
    );
    assert!(
        metric(&after, "provenant_received_bytes_total") >= file.len() as u64 + 4,
        "{after}"
    );
    assert_eq!(
        metric(
            &after,
            "provenant_http_request_duration_seconds_count{route=\"/v1/verify\"}"
        ),
        2
    );
    for name in [
        "# TYPE provenant_http_request_duration_seconds histogram",
        "provenant_http_requests_in_flight 1",
        "provenant_queue_depth 0",
        "provenant_http_request_duration_seconds_bucket{route=\"/v1/verify\",le=\"+Inf\"} 2",
    ] {
        assert!(after.contains(name), "{name} missing:\n{after}");
    }
}

#[test]
fn a_burst_of_bad_bodies_leaves_good_requests_served() {
    let server = Arc::new(trusting_server(&[
        "--max-body",
        "1MiB",
        "--concurrency",
        "2",
    ]));
    let good = Arc::new(std::fs::read(common::fixtures().join("c2pa-rs/CA.jpg")).unwrap());
    let done = Arc::new(AtomicUsize::new(0));
    let good_ok = Arc::new(AtomicUsize::new(0));
    let bad_threads = 4;
    let mut handles = Vec::new();
    for t in 0..bad_threads {
        let server = server.clone();
        let done = done.clone();
        handles.push(std::thread::spawn(move || {
            let mut statuses = Vec::new();
            for i in 0..250 {
                let r = match (t + i) % 5 {
                    0 => server.post("/v1/verify", b"\x00\x01garbage"),
                    1 => server.post("/v1/verify", b""),
                    2 => request(
                        server.addr,
                        "POST",
                        "/v1/verify",
                        &["Content-Length: 2000000000"],
                        None,
                    ),
                    3 => chunked_post(server.addr, "/v1/verify", (1 << 20) + 8192),
                    _ => server.post("/v1/chronology/lookup", b"GIF89a not really"),
                };
                statuses.push(r.status);
            }
            done.fetch_add(1, Ordering::SeqCst);
            statuses
        }));
    }
    let mut good_handles = Vec::new();
    for _ in 0..2 {
        let (server, good, done, good_ok) =
            (server.clone(), good.clone(), done.clone(), good_ok.clone());
        good_handles.push(std::thread::spawn(move || {
            let mut failures = Vec::new();
            while done.load(Ordering::SeqCst) < bad_threads {
                let r = server.post("/v1/verify", &good);
                if r.status == 200 && r.json()["verdict"] == "trusted" {
                    good_ok.fetch_add(1, Ordering::SeqCst);
                } else {
                    failures.push((r.status, r.text()));
                }
            }
            failures
        }));
    }
    let mut count = 0;
    for h in handles {
        for status in h.join().unwrap() {
            assert!((400..500).contains(&status), "bad body answered {status}");
            count += 1;
        }
    }
    assert_eq!(count, 1000);
    for h in good_handles {
        let failures = h.join().unwrap();
        assert!(failures.is_empty(), "good requests failed: {failures:?}");
    }
    assert!(good_ok.load(Ordering::SeqCst) > 0);
    let metrics = server.get("/metrics").text();
    assert_eq!(
        metric(
            &metrics,
            "provenant_rejected_total{reason=\"body_too_large\"}"
        ),
        400,
        "{metrics}"
    );
}

/// Opens a request that declares a body and sends only part of it.
fn slow_upload(addr: SocketAddr) -> TcpStream {
    let mut stream = connect(addr);
    let head =
        format!("POST /v1/verify HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100000\r\n\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(b"\xff\xd8").unwrap();
    stream
}

fn wait_for(server: &Server, name: &str, want: u64) {
    let start = Instant::now();
    while metric(&server.get("/metrics").text(), name) != want {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{name} never {want}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_full_queue_answers_503_and_frees_up() {
    // No minimum upload rate: the stalled uploads stay until the test drops them.
    let server = Server::start(&[
        "--concurrency",
        "1",
        "--queue",
        "1",
        "--min-upload-rate",
        "0",
    ]);
    let slow: Vec<TcpStream> = (0..2).map(|_| slow_upload(server.addr)).collect();
    wait_for(&server, "provenant_admitted", 2);
    let r = server.post("/v1/verify", b"hello");
    assert_eq!((r.status, r.error_code().as_str()), (503, "overloaded"));
    assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    // Health and metrics are not queued behind uploads.
    assert_eq!(server.get("/healthz").status, 200);
    drop(slow);
    wait_for(&server, "provenant_admitted", 0);
    // Requests whose client hung up are no longer counted in flight.
    wait_for(&server, "provenant_http_requests_in_flight", 1);
    let r = server.post("/v1/verify", b"hello");
    assert_eq!(r.status, 422);
}

#[test]
fn connections_past_the_cap_get_503() {
    let server = Server::start(&["--max-connections", "2"]);
    let idle: Vec<TcpStream> = (0..2).map(|_| connect(server.addr)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let r = server.get("/healthz");
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (503, "too_many_connections")
    );
    assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    drop(idle);
    let start = Instant::now();
    loop {
        let r = server.get("/healthz");
        if r.status == 200 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "never freed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let metrics = server.get("/metrics").text();
    assert!(
        metric(
            &metrics,
            "provenant_rejected_total{reason=\"too_many_connections\"}"
        ) >= 1
    );
}

#[test]
fn slow_clients_are_cut_off() {
    let server = Server::start(&["--header-timeout", "1", "--timeout", "1"]);
    // Headers that never end.
    let mut stream = connect(server.addr);
    stream
        .write_all(b"POST /v1/verify HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let start = Instant::now();
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf);
    assert!(start.elapsed() < Duration::from_secs(5), "not cut off");
    // A body that stalls: 408 at the request's time limit.
    let stream = slow_upload(server.addr);
    let r = read_response(stream);
    assert_eq!((r.status, r.error_code().as_str()), (408, "body_timeout"));
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let mut server = Server::start(&[]);
    assert_eq!(server.get("/healthz").status, 200);
    let pid = server.child.id().to_string();
    let st = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(st.success());
    let start = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0));
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "still running");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(TcpStream::connect(server.addr).is_err());
}

/// A PNG of `width`×`height` RGB pixels whose data is a few bytes: its header claims the
/// size, which is what a decompression bomb does.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        c.extend_from_slice(&body);
        c.extend_from_slice(&crc32(&body).to_be_bytes());
        c
    };
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    png
}

/// The attack: a small upload claiming a huge picture made lookup allocate up to 512 MiB
/// per request. The server's decode budget (`--max-decode-mib`, 128 by default) refuses it
/// from its header, before any pixel is allocated.
#[test]
fn decompression_bombs_are_refused_from_their_header() {
    let server = Server::start(&[]);
    let bomb = png_claiming(12_000, 12_000); // 432 MB of pixels in 90 bytes
    assert!(bomb.len() < 200);
    let started = Instant::now();
    let r = server.post("/v1/chronology/lookup", &bomb);
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (422, "picture_too_large"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("128 MiB"), "{}", r.text());
    assert!(started.elapsed() < Duration::from_secs(10));
    // A picture within the budget is still looked up.
    let ok = server.post(
        "/v1/chronology/lookup",
        &std::fs::read(samples().join("harbour-capture.jpg")).unwrap(),
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
}

/// The attack: a few clients trickling their bodies held every admission slot for the
/// whole --timeout, so nobody else was served. Now a body must arrive at a minimum rate
/// after a short grace, one client address has at most --max-uploads-per-client uploads
/// in progress, and admission to the queue comes only once a body is in.
#[test]
fn trickling_uploads_are_cut_off_and_capped_per_client() {
    let server = Server::start(&[
        "--concurrency",
        "1",
        "--queue",
        "2",
        "--max-uploads-per-client",
        "2",
        "--min-upload-rate",
        "1",
        "--timeout",
        "60",
    ]);
    let started = Instant::now();
    let slow: Vec<TcpStream> = (0..2).map(|_| slow_upload(server.addr)).collect();
    wait_for(&server, "provenant_admitted", 2);
    // A third upload of the same client is refused at once.
    let r = server.post("/v1/verify", b"hello");
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (429, "too_many_uploads"),
        "{}",
        r.text()
    );
    // The stalled ones are cut off after the grace, long before the 60 s timeout.
    for stream in slow {
        let r = read_response(stream);
        assert_eq!((r.status, r.error_code().as_str()), (408, "body_too_slow"));
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    wait_for(&server, "provenant_admitted", 0);
    let ok = server.post(
        "/v1/verify",
        &std::fs::read(samples().join("harbour-capture.jpg")).unwrap(),
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
}

/// /healthz used to wait for the store's lock behind whatever request held it (a slow
/// query, a slow PostgreSQL link), and a load balancer took a busy replica out. Now it
/// answers at once: a store in use is alive. (A test hold point keeps a lookup on the
/// store for 4 s; feature `failpoints`.)
#[test]
fn healthz_does_not_wait_on_the_store() {
    #[cfg(not(feature = "failpoints"))]
    panic!("the hold points are compiled out: run with `--features provenant/failpoints`");
    #[cfg(feature = "failpoints")]
    {
        let home = tempfile::tempdir().unwrap();
        let log = home.path().join("log.sqlite");
        let args = ["--log", s(&log)];
        let env = [("PROVENANT_TEST_HOLD", "lookup-store:4000")];
        let (child, addr) = common::spawn_server_env(home.path(), &args, &env);
        let server = Server { child, addr, home };
        let picture = std::fs::read(samples().join("harbour-capture.jpg")).unwrap();
        let slow = std::thread::spawn(move || {
            request(addr, "POST", "/v1/chronology/lookup", &[], Some(&picture)).status
        });
        // The lookup validates in a worker first, then holds the store for 4 s: ask
        // until it is seen holding it.
        let mut busy = None;
        for _ in 0..60 {
            let started = Instant::now();
            let r = request(server.addr, "GET", "/healthz", &[], None);
            let took = started.elapsed();
            assert_eq!(r.status, 200, "{}", r.text());
            if r.text() == "ok (store busy)\n" {
                busy = Some(took);
                break;
            }
            assert_eq!(r.text(), "ok\n");
            std::thread::sleep(Duration::from_millis(100));
        }
        let took = busy.expect("healthz never saw the store in use");
        assert!(took < Duration::from_secs(2), "healthz waited {took:?}");
        assert_eq!(slow.join().unwrap(), 200);
        drop(server);
    }
}
