//! Helpers shared by the CLI integration tests: run the real binary.
#![allow(dead_code)]

pub mod http;
pub mod network;
pub mod pg;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

pub fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples")
}

/// The reference tool, c2patool 0.27.22 (`scripts/test.sh` installs it): the tests that
/// compare with it fail without it, never skip.
pub fn c2patool() -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("c2patool"))
                .find(|p| p.is_file())
        })
        .expect("c2patool 0.27.22 is required on PATH (cargo install c2patool@0.27.22 --locked)")
}

/// Runs `openssl` in `dir` (the tests play CAs and servers with it); a failure names the
/// arguments and OpenSSL's message.
pub fn openssl(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl is needed for this test (apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `openssl req` arguments for a new unencrypted P-256 key.
pub const P256_NEW_KEY: [&str; 5] = [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
];

/// A TLS server certificate for 127.0.0.1 (P-256, `serverAuth`) issued by the CA whose
/// `ca_key`/`ca_cert` are in `dir`: writes `name.key` and `name.pem` there.
#[allow(dead_code)]
pub fn openssl_loopback_server_cert(dir: &Path, ca_key: &str, ca_cert: &str, name: &str) {
    let (key, csr, ext, pem) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.ext"),
        format!("{name}.pem"),
    );
    let mut req = vec!["req", "-new"];
    req.extend(P256_NEW_KEY);
    req.extend(["-keyout", &key, "-out", &csr, "-subj", "/CN=127.0.0.1"]);
    openssl(dir, &req);
    std::fs::write(
        dir.join(&ext),
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n\
         basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n",
    )
    .expect("write the extensions");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            ca_cert,
            "-CAkey",
            ca_key,
            "-CAcreateserial",
            "-out",
            &pem,
            "-days",
            "2",
            "-extfile",
            &ext,
        ],
    );
}

/// A self-signed P-256 CA made by OpenSSL in `dir`: `key` and `cert` (file names there).
pub fn openssl_ca(dir: &Path, cn: &str, key: &str, cert: &str, days: &str) {
    let subject = format!("/CN={cn}");
    let mut req = vec!["req", "-x509"];
    req.extend(P256_NEW_KEY);
    req.extend([
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        days,
        "-subj",
        &subject,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ]);
    openssl(dir, &req);
}

/// Runs `provenant` with a clean environment (no config, no colour).
/// Runs provenant with no config and a chronology log private to this test process.
pub fn provenant(args: &[&str]) -> Output {
    let home = std::env::temp_dir().join(format!("provenant-test-home-{}", std::process::id()));
    command(&home).args(args).output().expect("run provenant")
}

/// A provenant command with its data directory (chronology log) at `home`, no config,
/// no chain settings from the environment.
pub fn command(home: &Path) -> Command {
    let empty = std::env::temp_dir().join("provenant-test-no-config");
    let mut c = Command::new(env!("CARGO_BIN_EXE_provenant"));
    c.env_remove("PROVENANT_TRUST")
        .env_remove("PROVENANT_CONFIG")
        .env_remove("PROVENANT_CHAIN")
        .env_remove("PROVENANT_RPC")
        .env_remove("PROVENANT_REGISTRY")
        .env_remove("PROVENANT_PUBLISHER_KEY")
        .env_remove("PROVENANT_TEST_CRASH_AT")
        .env_remove("PROVENANT_LOG")
        .env("PROVENANT_HOME", home)
        .env("XDG_CONFIG_HOME", &empty)
        .env("NO_COLOR", "1");
    c
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts a clean failure: the exit code, a one-line `error:` message, no panic.
pub fn assert_clean_error(o: &Output, want: i32) {
    let err = stderr(o);
    assert_eq!(code(o), want, "stderr: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected: {err}"
    );
    assert!(err.starts_with("error: "), "{err}");
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {}", stdout(o)))
}

/// keygen into DIR/keys and return the key dir.
pub fn keygen(dir: &Path, extra: &[&str]) -> PathBuf {
    let keys = dir.join("keys");
    let mut args = vec!["keygen", "--out", s(&keys), "--org", "Test Newsroom"];
    args.extend_from_slice(extra);
    let o = provenant(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    keys
}

/// Every JPEG and PNG fixture with the trust-anchor file its README names.
pub fn fixture_files() -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for (sub, anchors) in [
        ("c2pa-rs", "c2pa-rs/certs/test_cert_root_bundle.pem"),
        ("interop", "interop/trust-anchor-root.pem"),
    ] {
        for entry in std::fs::read_dir(fixtures().join(sub)).expect("fixtures") {
            let path = entry.expect("entry").path();
            if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("jpg" | "png")
            ) {
                out.push((path, fixtures().join(anchors)));
            }
        }
    }
    out.sort();
    out
}

/// `provenant verify FILE --json --trust A --trust B …`.
pub fn verify_with(file: &Path, trust: &[&Path]) -> Output {
    let mut args = vec!["verify", s(file), "--json"];
    for t in trust {
        args.extend(["--trust", s(t)]);
    }
    provenant(&args)
}

/// Runs `provenant edit IN -o OUT --key KEYS <ops>` and asserts success.
pub fn edit(input: &Path, output: &Path, keys: &Path, ops: &[&str]) -> Output {
    let mut args = vec!["edit", s(input), "-o", s(output), "--key", s(keys)];
    args.extend_from_slice(ops);
    let o = provenant(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    o
}

/// Runs `provenant sign IN -o OUT --key KEYS <extra>` and asserts success.
pub fn sign(input: &Path, output: &Path, keys: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["sign", s(input), "-o", s(output), "--key", s(keys)];
    args.extend_from_slice(extra);
    let o = provenant(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    o
}

/// A blacklist snapshot of `devices` and `certificates`, read at `block` of `registry` on
/// `chain_id` for curator set 1, valid for a day, signed by the Ed25519 key of `seed`:
/// (the snapshot's JSON, the signer's public key in hex).
pub fn signed_snapshot(
    (chain_id, registry, block): (u64, &str, u64),
    devices: Vec<provenant_core::blacklist::DeviceEntry>,
    certificates: Vec<provenant_core::blacklist::CertificateEntry>,
    seed: [u8; 32],
) -> (String, String) {
    use provenant_core::blacklist::{Snapshot, SnapshotBody, SnapshotSource, SNAPSHOT_FORMAT};
    let now = chrono::Utc::now();
    let body = SnapshotBody {
        format: SNAPSHOT_FORMAT.into(),
        source: SnapshotSource {
            chain_id,
            registry: registry.into(),
            curator_sets: vec![1],
            block_number: block,
        },
        issued_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        expires_at: (now + chrono::Duration::days(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        devices,
        certificates,
    };
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let json = serde_json::to_string(&Snapshot::sign(body, &key)).expect("snapshot JSON");
    (json, hex::encode(key.verifying_key().to_bytes()))
}

/// A writer token for `serve` tests, and the hash the server is given.
pub const WRITER_TOKEN: &str = "test-writer-token";

/// `--writer-token-sha256` for [`WRITER_TOKEN`].
pub fn writer_hash() -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(WRITER_TOKEN))
}

/// Starts `provenant serve --listen 127.0.0.1:0 <args>` with its home at `home` and
/// returns the child and the address it printed on its first line.
pub fn spawn_server(home: &Path, args: &[&str]) -> (std::process::Child, std::net::SocketAddr) {
    spawn_server_env(home, args, &[])
}

/// As [`spawn_server`], with extra environment variables.
pub fn spawn_server_env(
    home: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (std::process::Child, std::net::SocketAddr) {
    use std::io::BufRead;
    let mut child = command(home)
        .envs(env.iter().copied())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("start provenant serve");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .parse()
        .expect("address");
    (child, addr)
}

/// `img` as a JPEG at `quality` (the `image` crate's encoder).
#[allow(dead_code)]
pub fn jpeg(img: &image::DynamicImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&img.to_rgb8())
        .expect("encode a JPEG");
    out
}
