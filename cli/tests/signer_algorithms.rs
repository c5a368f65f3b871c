//! The signing algorithm comes from the certificate: a CA-issued chain for each key
//! kind C2PA signs with (made here by OpenSSL, as another CA would issue it) signs a
//! picture with the matching algorithm, and the result verifies `trusted` under the
//! CA's root. Needs the `openssl` command; fails (never skips) without it.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{code, json, openssl, provenant, s, samples, stderr};

const EXTENSIONS: &str = "\
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[signer]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = 1.3.6.1.5.5.7.3.36, emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
";

/// A root CA (P-256) and a signer certificate whose key is made by `genpkey ARGS`, in
/// `dir` as `root.pem`, `chain.pem` and `signer.key`.
fn issue(dir: &Path, genpkey: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("ext.cnf"), EXTENSIONS).unwrap();
    openssl(
        dir,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "ca.key",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-x509",
            "-key",
            "ca.key",
            "-subj",
            "/CN=Test Root/O=Other CA",
            "-days",
            "30",
            "-sha256",
            "-extensions",
            "ca",
            "-config",
            "ext.cnf",
            "-out",
            "root.pem",
        ],
    );
    let mut args = vec!["genpkey", "-out", "signer.key"];
    args.extend_from_slice(genpkey);
    openssl(dir, &args);
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            "signer.key",
            "-subj",
            "/CN=Signer/O=Other Newsroom",
            "-config",
            "ext.cnf",
            "-out",
            "signer.csr",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "signer.csr",
            "-CA",
            "root.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "30",
            "-sha256",
            "-extfile",
            "ext.cnf",
            "-extensions",
            "signer",
            "-out",
            "chain.pem",
        ],
    );
}

#[test]
fn each_key_kind_signs_with_its_algorithm() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str]); 7] = [
        ("ed25519", &["-algorithm", "ed25519"]),
        (
            "es256",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        ),
        (
            "es384",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        ),
        (
            "es512",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
        ),
        (
            "ps256",
            &[
                "-algorithm",
                "RSA-PSS",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-pkeyopt",
                "rsa_pss_keygen_md:sha256",
            ],
        ),
        (
            "ps384",
            &[
                "-algorithm",
                "RSA-PSS",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-pkeyopt",
                "rsa_pss_keygen_md:sha384",
            ],
        ),
        (
            "ps512",
            &[
                "-algorithm",
                "RSA-PSS",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-pkeyopt",
                "rsa_pss_keygen_md:sha512",
            ],
        ),
    ];
    for (alg, genpkey) in cases {
        let dir = tmp.path().join(alg);
        issue(&dir, genpkey);
        let out = dir.join("signed.jpg");
        let o = provenant(&[
            "sign",
            s(&samples().join("harbour-capture.jpg")),
            "-o",
            s(&out),
            "--key",
            s(&dir),
            "--no-log",
            "--json",
        ]);
        assert_eq!(code(&o), 0, "{alg}: {}", stderr(&o));
        assert_eq!(json(&o)["alg"], alg, "{alg}");
        let o = provenant(&[
            "verify",
            s(&out),
            "--json",
            "--trust",
            s(&dir.join("root.pem")),
        ]);
        let report = json(&o);
        assert_eq!(report["verdict"], "trusted", "{alg}: {report}");
        assert_eq!(report["chain"][0]["signer"]["alg"], alg, "{alg}");
        assert_eq!(code(&o), 0, "{alg}");
    }
}
