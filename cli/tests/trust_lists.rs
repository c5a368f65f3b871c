//! Trust out of the box: the C2PA trust list is built in, the allowed list and your own
//! anchors add to it, `--no-trust-list` / config turn it off, and `trust show|update`
//! say where trust comes from and refresh the snapshot.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn run(home: &Path, args: &[&str]) -> std::process::Output {
    command(home).args(args).output().unwrap()
}

fn verdict(home: &Path, file: &str, extra: &[&str]) -> (String, Value) {
    let path = fixtures().join("realworld").join(file);
    let mut args = vec!["verify", s(&path), "--json"];
    args.extend_from_slice(extra);
    let o = run(home, &args);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| {
        panic!("{e}: {} {}", stdout(&o), stderr(&o));
    });
    (v["verdict"].as_str().unwrap().to_owned(), v)
}

#[test]
fn the_c2pa_trust_list_is_built_in_and_can_be_turned_off() {
    let home = tempfile::tempdir().unwrap();
    let (v, r) = verdict(home.path(), "google-gemini-image.png", &[]);
    assert_eq!(v, "trusted");
    assert_eq!(r["chain"][0]["vouched_by"], "c2pa_trust_list");
    let o = run(
        home.path(),
        &[
            "verify",
            s(&fixtures().join("realworld/google-gemini-image.png")),
        ],
    );
    assert!(
        stdout(&o).contains("trusted (C2PA trust list)"),
        "{}",
        stdout(&o)
    );
    let (v, r) = verdict(
        home.path(),
        "openai-gpt-image-sslcom-ca.png",
        &["--no-trust-list"],
    );
    assert_eq!(v, "valid");
    assert_eq!(r["chain"][0]["vouched_by"], Value::Null);
    // Without the TSA list Google's time-stamp is not trusted, so its certificate's
    // expiry is judged today: invalid, as the reference tool says without anchors.
    let (v, r) = verdict(home.path(), "google-gemini-image.png", &["--no-trust-list"]);
    assert_eq!(v, "invalid");
    assert!(r["codes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["code"] == "signingCredential.expired"));
    // The same from the config file.
    let cfg = home.path().join("config.toml");
    std::fs::write(&cfg, "trust_list = false\n").unwrap();
    let o = command(home.path())
        .env("PROVENANT_CONFIG", &cfg)
        .args([
            "verify",
            s(&fixtures().join("realworld/google-gemini-image.png")),
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(json(&o)["verdict"], "invalid");
}

#[test]
fn the_allowed_list_and_your_anchors_say_who_vouches() {
    let home = tempfile::tempdir().unwrap();
    let anchors = fixtures().join("trust/cai-anchors.pem");
    let allowed = fixtures().join("trust/cai-allowed.pem");
    let (v, _) = verdict(home.path(), "amazon-titan-image-g1.png", &[]);
    assert_eq!(v, "valid");
    let (v, r) = verdict(
        home.path(),
        "amazon-titan-image-g1.png",
        &["--allowed", s(&allowed)],
    );
    assert_eq!(v, "trusted");
    assert_eq!(r["chain"][0]["vouched_by"], "allowed_list");
    let (v, r) = verdict(
        home.path(),
        "adobe-firefly-2025.jpg",
        &["--trust", s(&anchors)],
    );
    assert_eq!(v, "trusted");
    assert_eq!(r["chain"][0]["vouched_by"], "your_anchors");
    // Batch takes the same options.
    let o = run(
        home.path(),
        &[
            "batch",
            s(&fixtures().join("realworld/amazon-titan-image-g1.png")),
            "--allowed",
            s(&allowed),
            "--quiet",
        ],
    );
    let line: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(line["verdict"], "trusted", "{line}");
}

#[test]
fn trust_show_and_update() {
    let home = tempfile::tempdir().unwrap();
    let o = run(home.path(), &["trust", "show", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["c2pa_trust_list"]["signer_cas"], 30);
    assert_eq!(v["c2pa_trust_list"]["tsas"], 22);
    assert!(v["c2pa_trust_list"]["origin"]
        .as_str()
        .unwrap()
        .starts_with("built in"));

    // Refused: empty, not PEM, a PEM block that is not a certificate.
    let empty = home.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let garbage = home.path().join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    for bad in [&empty, &garbage] {
        let o = run(home.path(), &["trust", "update", "--from", s(bad)]);
        assert_clean_error(&o, 2);
    }
    let o = run(home.path(), &["trust", "show", "--json"]);
    assert!(json(&o)["c2pa_trust_list"]["origin"]
        .as_str()
        .unwrap()
        .starts_with("built in"));

    // A snapshot (here: the reference SDK's test roots) replaces the list in use.
    let o = run(
        home.path(),
        &[
            "trust",
            "update",
            "--from",
            s(&fixtures().join("c2pa-rs/certs/test_cert_root_bundle.pem")),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("added") && stderr(&o).contains("removed"));
    let o = run(home.path(), &["trust", "show", "--json"]);
    assert!(json(&o)["c2pa_trust_list"]["origin"]
        .as_str()
        .unwrap()
        .starts_with("installed snapshot"));
    let o = run(
        home.path(),
        &["verify", s(&fixtures().join("c2pa-rs/C.jpg")), "--json"],
    );
    let r = json(&o);
    assert_eq!(r["verdict"], "trusted");
    assert_eq!(r["chain"][0]["vouched_by"], "c2pa_trust_list");
    assert_eq!(
        verdict(home.path(), "google-gemini-image.png", &[]).0,
        "valid"
    );
}

/// A real HTTPS server on loopback (`openssl s_server -WWW`) serving files from a
/// directory, with a CA and a 127.0.0.1 certificate made here. Stops when dropped.
struct LoopbackHttps {
    dir: tempfile::TempDir,
    port: u16,
    child: std::process::Child,
}

impl LoopbackHttps {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        openssl_ca(dir.path(), "provenant test CA", "ca.key", "ca.pem", "2");
        openssl_loopback_server_cert(dir.path(), "ca.key", "ca.pem", "server");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("openssl")
            .current_dir(dir.path())
            .args(["s_server", "-quiet", "-WWW", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-cert", "server.pem", "-key", "server.key"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "s_server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Self { dir, port, child }
    }

    fn serve(&self, name: &str, from: &Path) -> String {
        std::fs::copy(from, self.dir.path().join(name)).unwrap();
        format!("https://127.0.0.1:{}/{name}", self.port)
    }

    fn ca(&self) -> std::path::PathBuf {
        self.dir.path().join("ca.pem")
    }
}

impl Drop for LoopbackHttps {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `trust update --from URL`: fetched over real TLS from loopback only with the
/// development option and the test CA; refused addresses never connect.
#[test]
fn trust_update_from_a_url() {
    let home = tempfile::tempdir().unwrap();
    let server = LoopbackHttps::start();
    let url = server.serve(
        "C2PA-TRUST-LIST.pem",
        &fixtures().join("c2pa-rs/certs/test_cert_root_bundle.pem"),
    );
    let ca = server.ca();
    let origin = |home: &Path| {
        let o = run(home, &["trust", "show", "--json"]);
        json(&o)["c2pa_trust_list"]["origin"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    // Loopback is not fetched without the development option, whatever the CA.
    let o = run(
        home.path(),
        &["trust", "update", "--from", &url, "--fetch-ca", s(&ca)],
    );
    assert_clean_error(&o, 2);
    assert!(
        stderr(&o).contains("not a public address"),
        "{}",
        stderr(&o)
    );
    // Private, link-local and plain-http URLs: refused before any connection (these
    // addresses are never contacted: the filter answers first).
    for bad in [
        "https://10.0.0.1/C2PA-TRUST-LIST.pem",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00:ec2::254]/x.pem",
        "http://93.184.216.34/C2PA-TRUST-LIST.pem",
    ] {
        let o = run(
            home.path(),
            &["trust", "update", "--from", bad, "--allow-loopback-fetch"],
        );
        assert_clean_error(&o, 2);
        assert!(stderr(&o).contains("refused"), "{bad}: {}", stderr(&o));
    }
    // A certificate no root vouches for: the TLS handshake fails, nothing installed.
    let o = run(
        home.path(),
        &["trust", "update", "--from", &url, "--allow-loopback-fetch"],
    );
    assert_clean_error(&o, 2);
    assert!(origin(home.path()).starts_with("built in"));
    // Not there: an HTTP error, nothing installed.
    let missing = url.replace("C2PA-TRUST-LIST.pem", "missing.pem");
    let o = run(
        home.path(),
        &[
            "trust",
            "update",
            "--from",
            &missing,
            "--allow-loopback-fetch",
            "--fetch-ca",
            s(&ca),
        ],
    );
    assert_clean_error(&o, 2);
    assert!(origin(home.path()).starts_with("built in"));
    // Served text that is no list: refused, nothing installed.
    let not_pem = server.serve("not-a-list.pem", &fixtures().join("README.md"));
    let o = run(
        home.path(),
        &[
            "trust",
            "update",
            "--from",
            &not_pem,
            "--allow-loopback-fetch",
            "--fetch-ca",
            s(&ca),
        ],
    );
    assert_clean_error(&o, 2);
    assert!(origin(home.path()).starts_with("built in"));

    // With both: fetched, checked, installed, and used.
    let o = run(
        home.path(),
        &[
            "trust",
            "update",
            "--from",
            &url,
            "--allow-loopback-fetch",
            "--fetch-ca",
            s(&ca),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("added"), "{}", stderr(&o));
    assert!(origin(home.path()).starts_with("installed snapshot"));
    let o = run(
        home.path(),
        &["verify", s(&fixtures().join("c2pa-rs/C.jpg")), "--json"],
    );
    assert_eq!(json(&o)["chain"][0]["vouched_by"], "c2pa_trust_list");
}
