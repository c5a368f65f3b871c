//! Keys in hardware and external signers (issue 13, item 4): `sign` and `edit` with a
//! key held in a real SoftHSM2 token (`--key pkcs11:…`, ES256, Ed25519 and PS256) and
//! with an external command that signs with OpenSSL (`--signer-command`, the same three); the files verify as
//! `trusted` (and in c2patool when it is on PATH). Clear errors (exit 2) for a wrong
//! PIN, a missing key, a missing module, no PIN, a PIN in the URI, a failing command, a
//! signature of the wrong length and a key that is not the certificate's.
//!
//! Needs `softhsm2-util` and the SoftHSM2 module (Debian `softhsm2`; scripts/test.sh
//! installs it) and `openssl`: the tests fail, never skip, when they are missing.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const PIN: &str = "1234";

/// A SoftHSM2 token "provenant" in a temporary token directory.
struct Token {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

impl Token {
    fn new() -> Token {
        assert!(
            Path::new(MODULE).is_file(),
            "{MODULE} is missing: apt-get install softhsm2 (scripts/test.sh installs it)"
        );
        let dir = tempfile::tempdir().unwrap();
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).unwrap();
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .unwrap();
        let token = Token { dir, conf };
        token.util(&[
            "--init-token",
            "--free",
            "--label",
            "provenant",
            "--pin",
            PIN,
            "--so-pin",
            "5678",
        ]);
        token
    }

    fn util(&self, args: &[&str]) {
        let o = Command::new("softhsm2-util")
            .env("SOFTHSM2_CONF", &self.conf)
            .args(args)
            .output()
            .expect(
                "softhsm2-util is needed: apt-get install softhsm2 (scripts/test.sh installs it)",
            );
        assert!(o.status.success(), "softhsm2-util {args:?}: {}", stderr(&o));
    }

    /// Imports a PKCS#8 PEM private key (and its public half) into the token.
    fn import(&self, key: &Path, label: &str, id: &str) {
        self.util(&[
            "--import",
            s(key),
            "--label",
            label,
            "--id",
            id,
            "--token",
            "provenant",
            "--pin",
            PIN,
        ]);
    }

    /// Runs provenant against this token, with `pin` in PROVENANT_PKCS11_PIN.
    fn run(&self, pin: Option<&str>, args: &[&str]) -> Output {
        let mut c = command(&self.dir.path().join("home"));
        c.env("SOFTHSM2_CONF", &self.conf)
            .env_remove("PROVENANT_PKCS11_MODULE")
            .env_remove("PROVENANT_PKCS11_PIN")
            .stdin(std::process::Stdio::null());
        if let Some(pin) = pin {
            c.env("PROVENANT_PKCS11_PIN", pin);
        }
        c.args(args).output().expect("run provenant")
    }
}

fn unsigned() -> PathBuf {
    fixtures().join("interop/unsigned.jpg")
}

/// Verifies `file` against `root` and returns (verdict, algorithm of the last step, steps).
fn verdict(file: &Path, root: &Path) -> (String, String, usize) {
    let o = verify_with(file, &[root]);
    let r = json(&o);
    let steps = r["chain"].as_array().map_or(0, Vec::len);
    (
        r["verdict"].as_str().unwrap_or_default().to_owned(),
        r["chain"][steps.saturating_sub(1)]["signer"]["alg"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        steps,
    )
}

/// c2patool's verdict with `root` as the only anchor.
fn c2patool_state(file: &Path, root: &Path) -> String {
    let tool = c2patool();
    let o = Command::new(tool)
        .arg(file)
        .args(["trust", "--trust_anchors", s(root)])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("c2patool: {e}: {}", stdout(&o)));
    v["validation_state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn keys_in_a_token_sign_and_edit_trusted_files() {
    let token = Token::new();
    let d = token.dir.path().to_owned();
    for (alg, id) in [("es256", "01"), ("ed25519", "02"), ("ps256", "03")] {
        let keys = keygen(&d.join(alg), &["--alg", alg]);
        let label = format!("signer-{alg}");
        token.import(&keys.join("signer.key"), &label, id);
        // The key lives in the token now: sign without the key file.
        let lone = d.join(alg).join("chain.pem");
        std::fs::copy(keys.join("chain.pem"), &lone).unwrap();
        std::fs::remove_file(keys.join("signer.key")).unwrap();
        let uri = format!("pkcs11:token=provenant;object={label}");
        let signed = d.join(format!("signed-{alg}.jpg"));
        let o = token.run(
            Some(PIN),
            &[
                "sign",
                s(&unsigned()),
                "-o",
                s(&signed),
                "--key",
                &uri,
                "--cert",
                s(&lone),
                "--pkcs11-module",
                MODULE,
                "--no-log",
                "--json",
            ],
        );
        assert_eq!(code(&o), 0, "{alg}: {}", stderr(&o));
        assert_eq!(json(&o)["alg"], alg);
        let root = keys.join("root.pem");
        assert_eq!(verdict(&signed, &root), ("trusted".into(), alg.into(), 1));
        {
            let state = c2patool_state(&signed, &root);
            assert_eq!(state, "Trusted", "c2patool on the {alg} token-signed file");
        }
        // Edit with the token key; the module from the environment this time, the key
        // by its id.
        let edited = d.join(format!("edited-{alg}.jpg"));
        let mut c = command(&d.join("home"));
        let o = c
            .env("SOFTHSM2_CONF", &token.conf)
            .env("PROVENANT_PKCS11_MODULE", MODULE)
            .env("PROVENANT_PKCS11_PIN", PIN)
            .args([
                "edit",
                s(&signed),
                "-o",
                s(&edited),
                "--key",
                &format!("pkcs11:token=provenant;id=%{id}"),
                "--cert",
                s(&lone),
                "--grayscale",
                "--trust",
                s(&root),
                "--no-log",
            ])
            .output()
            .unwrap();
        assert_eq!(code(&o), 0, "{alg}: {}", stderr(&o));
        assert_eq!(verdict(&edited, &root), ("trusted".into(), alg.into(), 2));
    }
}

/// Runs a failing `provenant sign` and checks the one-line error and that no file was
/// written.
fn refused(o: &Output, out: &Path, says: &str) {
    assert_clean_error(o, 2);
    assert!(
        stderr(o).contains(says),
        "expected {says:?} in: {}",
        stderr(o)
    );
    assert!(!out.exists(), "a file was written despite: {}", stderr(o));
}

#[test]
fn token_errors_are_clear() {
    let token = Token::new();
    let d = token.dir.path().to_owned();
    let keys = keygen(&d.join("a"), &["--alg", "es256"]);
    token.import(&keys.join("signer.key"), "signer", "01");
    let other = keygen(&d.join("b"), &["--alg", "es256"]);
    let out = d.join("out.jpg");
    let chain = keys.join("chain.pem");
    let sign = |pin: Option<&str>, uri: &str, module: &str, chain: &Path| {
        token.run(
            pin,
            &[
                "sign",
                s(&unsigned()),
                "-o",
                s(&out),
                "--key",
                uri,
                "--cert",
                s(chain),
                "--pkcs11-module",
                module,
                "--no-log",
            ],
        )
    };
    let good = "pkcs11:token=provenant;object=signer";
    refused(&sign(Some("9999"), good, MODULE, &chain), &out, "wrong PIN");
    refused(
        &sign(
            Some(PIN),
            "pkcs11:token=provenant;object=nope",
            MODULE,
            &chain,
        ),
        &out,
        "no private key labelled \"nope\"",
    );
    refused(
        &sign(
            Some(PIN),
            "pkcs11:token=elsewhere;object=signer",
            MODULE,
            &chain,
        ),
        &out,
        "no token matches",
    );
    refused(
        &sign(Some(PIN), good, "/nonexistent/libpkcs11.so", &chain),
        &out,
        "module /nonexistent/libpkcs11.so not found",
    );
    refused(
        &sign(None, good, MODULE, &chain),
        &out,
        "PROVENANT_PKCS11_PIN",
    );
    refused(
        &sign(
            Some(PIN),
            &format!("{good}?pin-value={PIN}"),
            MODULE,
            &chain,
        ),
        &out,
        "the PIN never goes in the URI",
    );
    // The certificate of another key: the token's signature does not match it.
    refused(
        &sign(Some(PIN), good, MODULE, &other.join("chain.pem")),
        &out,
        "does not verify with the certificate's public key",
    );
    // No --cert at all.
    let o = token.run(
        Some(PIN),
        &[
            "sign",
            s(&unsigned()),
            "-o",
            s(&out),
            "--key",
            good,
            "--pkcs11-module",
            MODULE,
        ],
    );
    refused(&o, &out, "needs --cert");
}

/// Signs stdin with the Ed25519 key $KEY through OpenSSL.
const ED25519_SCRIPT: &str = "set -e\nf=$(mktemp)\ntrap 'rm -f \"$f\"' EXIT\ncat > \"$f\"\n\
    openssl pkeyutl -sign -inkey \"$KEY\" -rawin -in \"$f\"";

/// Signs stdin with the RSA key $KEY as COSE's PS256 wants it.
const PS256_SCRIPT: &str = "exec openssl dgst -sha256 -sign \"$KEY\" \
    -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256";

/// A shell script in `dir` that runs `body` (the key is in $KEY).
fn script(dir: &Path, name: &str, key: &Path, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\nKEY='{}'\n{body}\n", s(key))).unwrap();
    format!("sh {}", s(&path))
}

#[test]
fn external_commands_sign_trusted_files_and_their_failures_are_clear() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    let run = |args: &[&str]| command(&d.join("home")).args(args).output().unwrap();
    // Ed25519: openssl signs the raw bytes (OpenSSL 3.0 wants them in a file for a
    // one-shot signature). ES256: openssl hashes with SHA-256 and answers DER, which
    // provenant turns into r||s. PS256: RSASSA-PSS, MGF1-SHA-256, 32-byte salt.
    for (alg, body) in [
        ("ed25519", ED25519_SCRIPT),
        ("es256", "exec openssl dgst -sha256 -sign \"$KEY\""),
        ("ps256", PS256_SCRIPT),
    ] {
        let keys = keygen(&d.join(alg), &["--alg", alg]);
        let cmd = script(d, &format!("sign-{alg}.sh"), &keys.join("signer.key"), body);
        let signed = d.join(format!("signed-{alg}.jpg"));
        let chain = keys.join("chain.pem");
        let o = run(&[
            "sign",
            s(&unsigned()),
            "-o",
            s(&signed),
            "--signer-command",
            &cmd,
            "--cert",
            s(&chain),
            "--no-log",
        ]);
        assert_eq!(code(&o), 0, "{alg}: {}", stderr(&o));
        let root = keys.join("root.pem");
        assert_eq!(verdict(&signed, &root), ("trusted".into(), alg.into(), 1));
        {
            let state = c2patool_state(&signed, &root);
            assert_eq!(
                state, "Trusted",
                "c2patool on the {alg} command-signed file"
            );
        }
        let edited = d.join(format!("edited-{alg}.jpg"));
        let o = run(&[
            "edit",
            s(&signed),
            "-o",
            s(&edited),
            "--signer-command",
            &cmd,
            "--cert",
            s(&chain),
            "--resize",
            "64x48",
            "--trust",
            s(&root),
            "--no-log",
        ]);
        assert_eq!(code(&o), 0, "{alg}: {}", stderr(&o));
        assert_eq!(verdict(&edited, &root), ("trusted".into(), alg.into(), 2));
    }
    let keys = d.join("ed25519/keys");
    let other = keygen(&d.join("other"), &["--alg", "ed25519"]);
    let out = d.join("out.jpg");
    let try_cmd = |cmd: &str, chain: &Path| {
        run(&[
            "sign",
            s(&unsigned()),
            "-o",
            s(&out),
            "--signer-command",
            cmd,
            "--cert",
            s(chain),
            "--no-log",
        ])
    };
    let chain = keys.join("chain.pem");
    refused(
        &try_cmd("echo 'kms: access denied' >&2; exit 3", &chain),
        &out,
        "failed (exit status: 3): kms: access denied",
    );
    refused(
        &try_cmd("cat >/dev/null; printf 'short'", &chain),
        &out,
        "returned 5 bytes, not an ed25519 signature (64 bytes)",
    );
    refused(
        &try_cmd("cat >/dev/null", &chain),
        &out,
        "wrote no signature",
    );
    // 64 bytes that are not a signature by the certificate's key.
    refused(
        &try_cmd("cat >/dev/null; head -c 64 /dev/zero", &chain),
        &out,
        "does not verify with the certificate's public key",
    );
    // A real signature, by another key than the certificate's.
    let wrong = script(d, "wrong.sh", &other.join("signer.key"), ED25519_SCRIPT);
    refused(
        &try_cmd(&wrong, &chain),
        &out,
        "does not verify with the certificate's public key",
    );
    refused(
        &run(&[
            "sign",
            s(&unsigned()),
            "-o",
            s(&out),
            "--signer-command",
            "true",
        ]),
        &out,
        "needs --cert",
    );
    // A flood on stdout is capped, not buffered.
    refused(
        &try_cmd("cat >/dev/null; head -c 1000000 /dev/zero", &chain),
        &out,
        "wrote more than 65536 bytes",
    );
    // A stuck signing service: stopped at the deadline with what it started (the
    // background sleep records its pid; it must be gone afterwards).
    let pid_file = d.join("stuck.pid");
    let stuck = format!(
        "cat >/dev/null; sleep 300 & echo $! > '{}'; wait",
        s(&pid_file)
    );
    let o = run(&[
        "sign",
        s(&unsigned()),
        "-o",
        s(&out),
        "--signer-command",
        &stuck,
        "--signer-timeout",
        "1",
        "--cert",
        s(&chain),
        "--no-log",
    ]);
    refused(&o, &out, "gave no signature within 1 s; it was stopped");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let alive = std::path::Path::new("/proc").join(pid.trim());
    // SIGKILL is delivered at once but the process is torn down asynchronously: give a
    // loaded machine a moment before calling it still running.
    let gone = || {
        !alive.exists()
            || std::fs::read_to_string(alive.join("stat")).is_ok_and(|st| st.contains(") Z "))
    };
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !gone() && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        gone(),
        "the stuck command's child {} is still running",
        pid.trim()
    );
}
