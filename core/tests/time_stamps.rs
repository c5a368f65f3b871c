//! A self-made time-stamp authority (issue 12, item 7): the time a manifest reports is
//! read from its RFC 3161 token without any trust check, so anyone running their own TSA
//! could have their claims shown as "time-stamped" at whatever time it writes. A time is
//! time-stamped only when the TSA chains to a trust anchor configured here.
//!
//! The TSA is real: OpenSSL's RFC 3161 responder (`openssl ts -reply`) with a
//! certificate the test makes, answering the SDK's own time-stamp request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use c2pa::{Builder, Signer, SigningAlg};
use provenant_core::credentials::keys::{generate, KeygenOptions};
use provenant_core::credentials::report::TimeSource;
use provenant_core::credentials::signer::KeyFileSigner;
use provenant_core::credentials::verify::{verify_bytes, VerifyOptions};
use provenant_core::{TrustAnchors, Verdict};
use serde_json::json;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl is needed for the time-stamp tests (apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A time-stamp authority of the attacker's own, with OpenSSL's responder.
struct SelfMadeTsa {
    dir: tempfile::TempDir,
}

impl SelfMadeTsa {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // The attacker's own CA and, under it, a certificate for time-stamping.
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509"];
        ca.extend(ec);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "3650",
            "-subj",
            "/O=Anyone/CN=Anyone's CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(d, &ca);
        let mut csr = vec!["req", "-new"];
        csr.extend(ec);
        csr.extend([
            "-keyout",
            "tsa.key",
            "-out",
            "tsa.csr",
            "-subj",
            "/O=Anyone/CN=Self-made TSA",
        ]);
        openssl(d, &csr);
        std::fs::write(
            d.join("tsa.ext"),
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=critical,timeStamping\n",
        )
        .unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "tsa.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "tsa.crt",
                "-days",
                "3650",
                "-extfile",
                "tsa.ext",
            ],
        );
        let chain = std::fs::read_to_string(d.join("tsa.crt")).unwrap()
            + &std::fs::read_to_string(d.join("ca.crt")).unwrap();
        std::fs::write(d.join("chain.crt"), chain).unwrap();
        std::fs::write(d.join("serial"), "01\n").unwrap();
        let config = format!(
            "[ tsa ]\ndefault_tsa = tsa1\n[ tsa1 ]\ndir = {dir}\nserial = $dir/serial\n\
             crypto_device = builtin\nsigner_cert = $dir/tsa.crt\ncerts = $dir/chain.crt\n\
             signer_key = $dir/tsa.key\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\n\
             digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = no\ntsa_name = no\n\
             ess_cert_id_chain = no\ness_cert_id_alg = sha256\n",
            dir = d.display()
        );
        std::fs::write(d.join("ts.cnf"), config).unwrap();
        Self { dir }
    }

    /// The root of the TSA's chain.
    fn root_pem(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ca.crt")).unwrap()
    }

    /// Answers one RFC 3161 request (DER) with a response (DER).
    fn reply(&self, request: &[u8]) -> Vec<u8> {
        let d = self.dir.path();
        std::fs::write(d.join("request.tsq"), request).unwrap();
        openssl(
            d,
            &[
                "ts",
                "-reply",
                "-config",
                "ts.cnf",
                "-queryfile",
                "request.tsq",
                "-out",
                "response.tsr",
            ],
        );
        std::fs::read(d.join("response.tsr")).unwrap()
    }
}

/// Our signer, with every signature time-stamped by `tsa`.
struct TimeStamping<'a> {
    inner: &'a dyn Signer,
    tsa: &'a SelfMadeTsa,
}

impl Signer for TimeStamping<'_> {
    fn sign(&self, data: &[u8]) -> c2pa::Result<Vec<u8>> {
        self.inner.sign(data)
    }
    fn alg(&self) -> SigningAlg {
        self.inner.alg()
    }
    fn certs(&self) -> c2pa::Result<Vec<Vec<u8>>> {
        self.inner.certs()
    }
    fn reserve_size(&self) -> usize {
        self.inner.reserve_size() + 8192
    }
    fn send_timestamp_request(&self, message: &[u8]) -> Option<c2pa::Result<Vec<u8>>> {
        let request = self.timestamp_request_body(message).ok()?;
        Some(Ok(self.tsa.reply(&request)))
    }
}

fn fixture(rel: &str) -> Vec<u8> {
    let path: PathBuf = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_self_made_tsa_does_not_make_a_time_time_stamped() {
    let tsa = SelfMadeTsa::new();
    let creds = generate(&KeygenOptions::default()).unwrap();
    let key = KeyFileSigner::from_pem(
        creds.chain.as_bytes(),
        creds.signer_key.as_bytes(),
        Path::new("signer.key"),
    )
    .unwrap();
    let signer = TimeStamping {
        inner: key.as_signer(),
        tsa: &tsa,
    };
    let mut builder = Builder::from_context(c2pa::Context::new())
        .with_definition(json!({
            "title": "time-stamped",
            "claim_generator_info": [{ "name": "test", "version": "1" }],
        }))
        .unwrap();
    builder
        .add_action(json!({
            "action": "c2pa.created",
            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
        }))
        .unwrap();
    let mut out = Cursor::new(Vec::new());
    builder
        .sign(
            &signer,
            "image/jpeg",
            &mut Cursor::new(fixture("interop/unsigned.jpg")),
            &mut out,
        )
        .unwrap();
    let signed = out.into_inner();

    let ours = TrustAnchors::none()
        .with_pem("our root", &creds.root_cert)
        .unwrap();
    let verify = |trust: &TrustAnchors| {
        verify_bytes(
            &signed,
            &VerifyOptions {
                trust: trust.clone(),
                ..Default::default()
            },
        )
        .unwrap()
    };

    // The signer is trusted; the TSA is nobody we know.
    let report = verify(&ours);
    assert_eq!(report.verdict, Verdict::Trusted);
    let step = &report.chain[0];
    assert!(step.time.is_some(), "the token's time is still shown");
    assert_eq!(
        step.time_source,
        Some(TimeSource::UntrustedTimeStamp),
        "a self-made TSA's time must not count as time-stamped: {:?}",
        report.codes
    );
    assert!(report
        .codes
        .iter()
        .any(|c| c.code == "timeStamp.untrusted" && c.step == Some(0)));

    // The control: once its root is a trust anchor here, the same token counts.
    let with_tsa = ours.with_pem("the TSA's root", &tsa.root_pem()).unwrap();
    let report = verify(&with_tsa);
    assert_eq!(
        report.chain[0].time_source,
        Some(TimeSource::TimeStamp),
        "{:?}",
        report.codes
    );
}
