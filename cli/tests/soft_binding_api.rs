//! The C2PA Soft Binding Resolution API of `provenant serve`: the real binary on a
//! loopback port over a log of files the real binary signed (SQLite, and PostgreSQL),
//! every answer checked against the vendored OpenAPI document
//! (`cli/tests/data/sbr/softbinding-api.json`, see its SOURCE): the status must be one
//! the operation declares (or one of the few generic errors listed in [`EXTRA`]), the
//! content type the declared one, and a JSON body must validate against the declared
//! schema. Then `provenant lookup --endpoint` asks that server the same way.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use common::http::{read_response, Response};
use common::{code, command, jpeg, keygen, s, samples, stderr, stdout};
use image::{DynamicImage, GenericImageView};
use serde_json::{json, Value};

const SAMPLES: [&str; 3] = [
    "harbour-capture.jpg",
    "second-capture.jpg",
    "infographic.png",
];

/// Statuses an operation may answer although the document does not list them for it
/// (OpenAPI does not require every status to be documented): a body over the server's
/// limit (413), an overloaded or unreachable store (503), and 400 for a bad query on
/// `byContent`, which lists only 200/415/500 although it takes the same `alg` and
/// `maxResults` parameters as `byBinding` (where 400 is the declared answer).
const EXTRA: [(&str, &str, u16); 2] = [("/matches/byContent", "post", 400), ("*", "*", 413)];

fn api() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sbr/softbinding-api.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

impl Response {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{e}: {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[&str],
    body: &[u8],
) -> Response {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in headers {
        head.push_str(&format!("{h}\r\n"));
    }
    if method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(body);
    read_response(stream)
}

/// The API document, and checks of answers against it.
struct Spec {
    doc: Value,
}

impl Spec {
    /// Checks `r`, the answer of `method` on the API path `path`, against the document;
    /// returns it.
    fn check(&self, path: &str, method: &str, r: Response) -> Response {
        let op = &self.doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not in the API document");
        let status = r.status.to_string();
        let declared = &op["responses"][&status];
        if declared.is_null() {
            assert!(
                EXTRA.iter().any(|&(p, m, s)| (p == path || p == "*")
                    && (m == method || m == "*")
                    && s == r.status),
                "{method} {path} answered {status}, which the API does not declare: {}",
                String::from_utf8_lossy(&r.body)
            );
            return r;
        }
        let content = declared["content"].as_object().unwrap();
        if content.is_empty() {
            // The API defines no body for this answer: ours is an explanation only.
            return r;
        }
        let ct = r.header("content-type").unwrap_or_default();
        let (media, spec) = content
            .iter()
            .find(|(media, _)| ct.split(';').next().unwrap().trim() == media.as_str())
            .unwrap_or_else(|| {
                panic!("{method} {path} {status}: content type {ct:?}, declared {content:?}")
            });
        if let Some(schema) = spec.get("schema") {
            assert_eq!(media, "application/json");
            let schema = json!({
                "allOf": [schema],
                "components": self.doc["components"],
            });
            let validator = jsonschema::validator_for(&schema).unwrap();
            let body = r.json();
            let errors: Vec<String> = validator
                .iter_errors(&body)
                .map(|e| e.to_string())
                .collect();
            assert!(
                errors.is_empty(),
                "{method} {path} {status}: {errors:?} in {body}"
            );
        }
        r
    }
}

fn half(img: &DynamicImage) -> DynamicImage {
    let (w, h) = img.dimensions();
    img.resize_exact(w / 2, h / 2, image::imageops::FilterType::Triangle)
}

/// A signed sample: its path, manifest label and signed soft binding (`ISCC:…`).
struct Signed {
    path: PathBuf,
    label: String,
    binding: String,
}

/// Signs the samples with the real binary into `dir`, logging them to `log` (the
/// home's SQLite log when `None`).
fn sign_samples(home: &Path, dir: &Path, log: Option<&str>) -> Vec<Signed> {
    let keys = keygen(dir, &[]);
    SAMPLES
        .iter()
        .map(|name| {
            let path = dir.join(format!("signed-{name}"));
            let mut c = command(home);
            if let Some(log) = log {
                c.env("PROVENANT_LOG", log);
            }
            let out = c
                .args([
                    "sign",
                    s(&samples().join(name)),
                    "-o",
                    s(&path),
                    "--key",
                    s(&keys),
                ])
                .output()
                .unwrap();
            assert_eq!(code(&out), 0, "{}", stderr(&out));
            let v = command(home)
                .args(["verify", s(&path), "--json", "--policy", "valid"])
                .output()
                .unwrap();
            let report: Value = serde_json::from_str(&stdout(&v)).unwrap();
            Signed {
                path,
                label: report["chain"][0]["manifest"].as_str().unwrap().to_owned(),
                binding: report["soft_binding"]["value"].as_str().unwrap().to_owned(),
            }
        })
        .collect()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `text` form-urlencoded.
fn enc(text: &str) -> String {
    serde_urlencoded::to_string([("v", text)]).unwrap()[2..].to_owned()
}

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn first_match(r: &Response) -> (String, u64) {
    let v = r.json();
    let m = &v["matches"][0];
    (
        m["manifestId"]
            .as_str()
            .unwrap_or_else(|| panic!("no match: {v}"))
            .to_owned(),
        m["similarityScore"].as_u64().unwrap(),
    )
}

/// The whole API over a store holding the signed samples.
fn exercise(home: &Path, dir: &Path, signed: &[Signed], server: &Server) {
    let spec = Spec { doc: api() };
    let addr = server.addr;
    let get = |target: &str| request(addr, "GET", target, &[], b"");
    let post =
        |target: &str, headers: &[&str], body: &[u8]| request(addr, "POST", target, headers, body);
    let (by_binding, by_content, manifests) = (
        "/matches/byBinding",
        "/matches/byContent",
        "/manifests/{manifestId}",
    );

    let r = spec.check(
        "/services/supportedAlgorithms",
        "get",
        get("/services/supportedAlgorithms"),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["fingerprints"][0]["alg"], "io.iscc.v0");

    for one in signed {
        // The value as the API wants it (base64 of the assertion's value), and the
        // assertion's own ISCC text.
        for value in [b64(one.binding.as_bytes()), one.binding.clone()] {
            let target = format!("{by_binding}?alg=io.iscc.v0&value={}", enc(&value));
            let r = spec.check(by_binding, "get", get(&target));
            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
            assert_eq!(
                first_match(&r),
                (one.label.clone(), 100),
                "{}",
                one.path.display()
            );
        }
        let body = serde_json::to_vec(
            &json!({ "alg": "io.iscc.v0", "value": b64(one.binding.as_bytes()) }),
        )
        .unwrap();
        let r = spec.check(
            by_binding,
            "post",
            post(
                &format!("{by_binding}?maxResults=1"),
                &["Content-Type: application/json"],
                &body,
            ),
        );
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["matches"].as_array().unwrap().len(), 1);
        assert_eq!(first_match(&r).0, one.label);

        // Copies a platform makes: q70 re-encoded, half size, half size at q70.
        let bytes = std::fs::read(&one.path).unwrap();
        let img = image::load_from_memory(&bytes).unwrap();
        for (what, copy) in [
            ("q70", jpeg(&img, 70)),
            ("half", jpeg(&half(&img), 92)),
            ("half+q70", jpeg(&half(&img), 70)),
        ] {
            let r = spec.check(
                by_content,
                "post",
                post(
                    &format!("{by_content}?alg=io.iscc.v0"),
                    &["Content-Type: image/jpeg"],
                    &copy,
                ),
            );
            assert_eq!(
                r.status,
                200,
                "{what}: {}",
                String::from_utf8_lossy(&r.body)
            );
            let (id, score) = first_match(&r);
            assert_eq!(id, one.label, "{what} copy of {}", one.path.display());
            assert!(score >= 87, "{what}: score {score}");
            eprintln!(
                "{what} copy of {}: similarityScore {score}",
                one.path.display()
            );
        }
        // The signed file itself (same bytes), without alg (the service's default).
        let r = spec.check(by_content, "post", post(by_content, &[], &bytes));
        assert_eq!(first_match(&r), (one.label.clone(), 100));

        // The manifest store, which verify reads back as the same manifest.
        let r = spec.check(manifests, "get", get(&format!("/manifests/{}", one.label)));
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/c2pa")
        );
        let store = dir.join("fetched.c2pa");
        std::fs::write(&store, &r.body).unwrap();
        let v = command(home)
            .args([
                "verify",
                s(&one.path),
                "--manifest",
                s(&store),
                "--json",
                "--policy",
                "valid",
            ])
            .output()
            .unwrap();
        assert_eq!(code(&v), 0, "{}", stderr(&v));
        let report: Value = serde_json::from_str(&stdout(&v)).unwrap();
        assert_eq!(report["chain"][0]["manifest"], one.label.as_str());
        assert_eq!(report["verdict"], "valid");
        assert!(
            report["codes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["code"] == "manifest.sidecar"),
            "the store came from the answer, not the file: {report}"
        );
    }

    // Errors, each with the answer the API defines.
    let value = enc(&b64(signed[0].binding.as_bytes()));
    for (target, want) in [
        (
            format!("{by_binding}?alg=com.example.watermark&value={value}"),
            400,
        ),
        (format!("{by_binding}?value={value}"), 400),
        (format!("{by_binding}?alg=io.iscc.v0"), 400),
        (
            format!("{by_binding}?alg=io.iscc.v0&value=bm90IGEgY29kZQ"),
            400,
        ),
        (format!("{by_binding}?alg=io.iscc.v0&value=%25%25"), 400),
        (
            format!("{by_binding}?alg=io.iscc.v0&value={value}&maxResults=0"),
            400,
        ),
        (
            format!("{by_binding}?alg=io.iscc.v0&value={value}&nonsense=1"),
            400,
        ),
    ] {
        let r = spec.check(by_binding, "get", get(&target));
        assert_eq!(
            r.status,
            want,
            "{target}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    for body in [
        &b"{"[..],
        br#"{"alg":"io.iscc.v0"}"#,
        br#"{"alg":"x.y","value":"QQ=="}"#,
    ] {
        let r = spec.check(
            by_binding,
            "post",
            post(by_binding, &["Content-Type: application/json"], body),
        );
        assert_eq!(r.status, 400);
    }
    let picture = std::fs::read(&signed[0].path).unwrap();
    let r = spec.check(
        by_content,
        "post",
        post(
            &format!("{by_content}?alg=com.example.watermark"),
            &[],
            &picture,
        ),
    );
    assert_eq!(r.status, 400);
    let r = spec.check(
        by_content,
        "post",
        post(
            by_content,
            &["Content-Type: image/jpeg"],
            b"not a picture at all",
        ),
    );
    assert_eq!(r.status, 415);
    let r = spec.check(
        by_content,
        "post",
        post(by_content, &["Content-Type: text/plain"], b"hello"),
    );
    assert_eq!(r.status, 415);
    // An unrelated picture matches nothing.
    let noise = DynamicImage::ImageRgb8(image::RgbImage::from_fn(300, 200, |x, y| {
        image::Rgb([
            ((x * 7) ^ (y * 13)) as u8,
            ((x * y) % 251) as u8,
            (x + 3 * y) as u8,
        ])
    }));
    let r = spec.check(
        by_content,
        "post",
        post(by_content, &["Content-Type: image/jpeg"], &jpeg(&noise, 90)),
    );
    assert_eq!(r.status, 200);
    let labels: Vec<&str> = signed.iter().map(|x| x.label.as_str()).collect();
    for m in r.json()["matches"].as_array().into_iter().flatten() {
        assert!(
            !labels.contains(&m["manifestId"].as_str().unwrap()),
            "unrelated picture matched {m}"
        );
    }
    for (target, want) in [
        (
            "/manifests/urn:c2pa:00000000-0000-0000-0000-000000000000".to_owned(),
            404,
        ),
        ("/manifests/not-a-manifest-id".to_owned(), 400),
        (
            format!("/manifests/{}?returnActiveManifest=true", signed[0].label),
            400,
        ),
        (
            format!("/manifests/{}?returnActiveManifest=maybe", signed[0].label),
            400,
        ),
    ] {
        let r = spec.check(manifests, "get", get(&target));
        assert_eq!(
            r.status,
            want,
            "{target}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    // Read-only: nothing is written through these paths.
    let r = request(addr, "PUT", "/manifests/x", &[], b"");
    assert_eq!(r.status, 405);
}

/// `lookup --endpoint`: the q70 copy is found at the server and its manifest recovered.
fn remote_lookup(home: &Path, dir: &Path, signed: &Signed, server: &Server) {
    let img = image::load_from_memory(&std::fs::read(&signed.path).unwrap()).unwrap();
    let copy = dir.join("copy-q70.jpg");
    std::fs::write(&copy, jpeg(&img, 70)).unwrap();
    let endpoint = format!("http://{}", server.addr);
    let saved = dir.join("recovered");
    let out = command(home)
        .args([
            "lookup",
            s(&copy),
            "--endpoint",
            &endpoint,
            "--allow-loopback-fetch",
            "--json",
            "--save-manifests",
            s(&saved),
        ])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let m = &v["matches"][0];
    assert_eq!(m["manifestId"], signed.label.as_str(), "{v}");
    assert_eq!(m["manifest"]["same_manifest"], true, "{v}");
    assert_eq!(m["manifest"]["label"], signed.label.as_str());
    assert_eq!(
        m["manifest"]["soft_binding"]["value"],
        signed.binding.as_str()
    );
    assert!(m["manifest"]["distance"].as_u64().unwrap() <= 8, "{v}");
    // A re-encoded copy is not the signed file: its hard binding cannot match.
    assert_eq!(m["manifest"]["verdict_for_this_file"], "invalid", "{v}");
    assert!(stderr(&out).contains("best match:"), "{}", stderr(&out));
    // The saved store verifies the original as the same manifest.
    let store = m["saved"].as_str().unwrap();
    let v = command(home)
        .args([
            "verify",
            s(&signed.path),
            "--manifest",
            store,
            "--json",
            "--policy",
            "valid",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&v), 0, "{}", stderr(&v));
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&v)).unwrap()["chain"][0]["manifest"],
        signed.label.as_str()
    );

    // An unrelated picture: nothing found, exit 1.
    let noise = DynamicImage::ImageRgb8(image::RgbImage::from_fn(240, 160, |x, y| {
        image::Rgb([
            ((x * 5) ^ (y * 11)) as u8,
            ((x * y) % 241) as u8,
            (2 * x + y) as u8,
        ])
    }));
    let unrelated = dir.join("unrelated.jpg");
    std::fs::write(&unrelated, jpeg(&noise, 90)).unwrap();
    let out = command(home)
        .args([
            "lookup",
            s(&unrelated),
            "--endpoint",
            &endpoint,
            "--allow-loopback-fetch",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no manifest found"),
        "{}",
        stderr(&out)
    );

    // Without the development option, this machine is refused by the address filter
    // (before any connection), and a non-https endpoint elsewhere too.
    for url in [endpoint.as_str(), "http://example.com"] {
        let out = command(home)
            .args(["lookup", s(&copy), "--endpoint", url])
            .output()
            .unwrap();
        common::assert_clean_error(&out, 2);
        assert!(stderr(&out).contains("refused"), "{}", stderr(&out));
    }
}

#[test]
fn resolution_api_over_sqlite() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let signed = sign_samples(home.path(), dir.path(), None);
    let log = home.path().join("chronology.sqlite");
    let (child, addr) = common::spawn_server(home.path(), &["--log", s(&log)]);
    let server = Server { child, addr };
    exercise(home.path(), dir.path(), &signed, &server);
    remote_lookup(home.path(), dir.path(), &signed[0], &server);
}

#[test]
fn resolution_api_over_postgres() {
    let db = common::pg::Database::new("sbr");
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let signed = sign_samples(home.path(), dir.path(), Some(&db.url));
    let (child, addr) = common::spawn_server(home.path(), &["--log", &db.url]);
    let server = Server { child, addr };
    exercise(home.path(), dir.path(), &signed, &server);
}

/// A file recorded through `POST /v1/chronology/entries` (a writer, a trusted signer)
/// keeps its manifest store too, and a file the log does not know has none (404).
#[test]
fn entries_recorded_by_serve_keep_their_store() {
    let spec = Spec { doc: api() };
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let path = dir.path().join("signed.jpg");
    common::sign(&samples().join(SAMPLES[0]), &path, &keys, &["--no-log"]);
    let report: Value = serde_json::from_str(&stdout(
        &command(home.path())
            .args(["verify", s(&path), "--json", "--policy", "valid"])
            .output()
            .unwrap(),
    ))
    .unwrap();
    let label = report["chain"][0]["manifest"].as_str().unwrap().to_owned();
    let log = home.path().join("served.sqlite");
    let hash = common::writer_hash();
    let (child, addr) = common::spawn_server(
        home.path(),
        &[
            "--log",
            s(&log),
            "--trust",
            s(&keys.join("root.pem")),
            "--writer-token-sha256",
            &hash,
        ],
    );
    let _server = Server { child, addr };
    let target = format!("/manifests/{label}");
    let r = spec.check(
        "/manifests/{manifestId}",
        "get",
        request(addr, "GET", &target, &[], b""),
    );
    assert_eq!(r.status, 404, "not logged yet");
    let auth = format!("Authorization: Bearer {}", common::WRITER_TOKEN);
    let bytes = std::fs::read(&path).unwrap();
    let r = request(addr, "POST", "/v1/chronology/entries", &[&auth], &bytes);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let r = spec.check(
        "/manifests/{manifestId}",
        "get",
        request(addr, "GET", &target, &[], b""),
    );
    assert_eq!(r.status, 200);
    let store = dir.path().join("served.c2pa");
    std::fs::write(&store, &r.body).unwrap();
    let v = command(home.path())
        .args([
            "verify",
            s(&path),
            "--manifest",
            s(&store),
            "--json",
            "--policy",
            "valid",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&v), 0, "{}", stderr(&v));
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&v)).unwrap()["chain"][0]["manifest"],
        label.as_str()
    );
}

/// The /v1 body limit holds for the API's uploads: 413 before the body is read.
#[test]
fn uploads_are_held_to_the_body_limit() {
    let spec = Spec { doc: api() };
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("log.sqlite");
    let (child, addr) =
        common::spawn_server(home.path(), &["--log", s(&log), "--max-body", "1KiB"]);
    let _server = Server { child, addr };
    let big = vec![0xffu8; 4096];
    let r = spec.check(
        "/matches/byContent",
        "post",
        request(
            addr,
            "POST",
            "/matches/byContent",
            &["Content-Type: image/jpeg"],
            &big,
        ),
    );
    assert_eq!(r.status, 413);
    let r = spec.check(
        "/matches/byBinding",
        "post",
        request(
            addr,
            "POST",
            "/matches/byBinding",
            &["Content-Type: application/json"],
            &big,
        ),
    );
    assert_eq!(r.status, 413);
    // Under the limit, an empty log answers with no match.
    let body = br#"{"alg":"io.iscc.v0","value":"ISCC:EEAZF2LFD2NPKJKK"}"#;
    let r = spec.check(
        "/matches/byBinding",
        "post",
        request(addr, "POST", "/matches/byBinding", &[], body),
    );
    assert_eq!((r.status, r.json()), (200, json!({ "matches": [] })));
}

/// Web pages may read the API's GET answers only from the origin `--allow-origin`
/// names; without it no CORS header is sent, and a bad origin is refused at start.
#[test]
fn cross_origin_reads_only_when_allowed() {
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("log.sqlite");
    let target = "/services/supportedAlgorithms";
    let allow = |head: &str| {
        head.lines().find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("access-control-allow-origin:")
                .map(|v| v.trim().to_owned())
        })
    };
    {
        let (child, addr) = common::spawn_server(home.path(), &["--log", s(&log)]);
        let _server = Server { child, addr };
        let r = request(addr, "GET", target, &["Origin: https://evil.example"], b"");
        assert_eq!(r.status, 200);
        assert_eq!(allow(&r.head), None, "{}", r.head);
    }
    let (child, addr) = common::spawn_server(
        home.path(),
        &["--log", s(&log), "--allow-origin", "https://verify.example"],
    );
    let _server = Server { child, addr };
    let r = request(
        addr,
        "GET",
        target,
        &["Origin: https://verify.example"],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        allow(&r.head).as_deref(),
        Some("https://verify.example"),
        "{}",
        r.head
    );
    assert!(r.head.to_ascii_lowercase().contains("vary: origin"));
    // /v1 stays same-origin whatever the flag says.
    let r = request(
        addr,
        "GET",
        "/healthz",
        &["Origin: https://verify.example"],
        b"",
    );
    assert_eq!(allow(&r.head), None, "{}", r.head);
    for bad in ["verify.example", "https://verify.example/path", "ftp://x"] {
        let o = common::provenant(&["serve", "--log", s(&log), "--allow-origin", bad]);
        assert_eq!(common::code(&o), 2, "{bad}");
        assert!(
            stderr(&o).contains("give an origin such as"),
            "{}",
            stderr(&o)
        );
    }
}
