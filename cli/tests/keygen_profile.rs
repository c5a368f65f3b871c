//! A certificate the world trusts (issue 13, item 5): keys OpenSSL reads, ES384 and
//! PS256, a certificate signing request meeting the C2PA profile for a listed CA (played
//! here by OpenSSL), and `--import` checking what the CA issued.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;

#[test]
fn every_algorithm_signs_and_openssl_reads_the_keys() {
    let dir = tempfile::tempdir().unwrap();
    for alg in ["ed25519", "es256", "es384", "ps256"] {
        let keys = keygen(&dir.path().join(alg), &["--alg", alg]);
        openssl(
            dir.path(),
            &["pkey", "-in", s(&keys.join("signer.key")), "-noout"],
        );
        openssl(
            dir.path(),
            &["pkey", "-in", s(&keys.join("ca/root.key")), "-noout"],
        );
        let out = dir.path().join(format!("signed-{alg}.jpg"));
        sign(
            &fixtures().join("interop/unsigned.jpg"),
            &out,
            &keys,
            &["--no-log"],
        );
        let o = verify_with(&out, &[&keys.join("root.pem")]);
        assert_eq!(code(&o), 0, "{alg}: {}", stdout(&o));
        let r = json(&o);
        assert_eq!(r["verdict"], "trusted", "{alg}");
        assert_eq!(r["chain"][0]["signer"]["alg"], alg, "{alg}");
    }
}

#[test]
fn a_signing_request_for_a_listed_ca_and_the_import_of_what_it_issued() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keys = d.join("newsroom");
    let o = provenant(&[
        "keygen",
        "--out",
        s(&keys),
        "--org",
        "Daily Planet",
        "--alg",
        "es256",
        "--csr",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = String::from_utf8(
        openssl(
            d,
            &[
                "req",
                "-in",
                s(&keys.join("signer.csr")),
                "-noout",
                "-text",
                "-verify",
            ],
        )
        .stdout,
    )
    .unwrap();
    assert!(text.contains("Digital Signature"), "{text}");
    assert!(text.contains("1.3.6.1.5.5.7.3.36"), "{text}");

    // The CA (OpenSSL) issues with the requested extensions, and CA:FALSE.
    openssl_ca(d, "A Listed CA", "ca.key", "ca.crt", "30");
    std::fs::write(d.join("ee.ext"), "basicConstraints=critical,CA:FALSE\n").unwrap();
    let csr = keys.join("signer.csr");
    // The CA signs the request into `out`, with `extra` options.
    let issue = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "x509",
            "-req",
            "-in",
            s(&csr),
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "10",
            "-out",
            out,
        ];
        args.extend_from_slice(extra);
        openssl(d, &args);
    };
    issue(
        "issued.pem",
        &["-copy_extensions", "copy", "-extfile", "ee.ext"],
    );
    // Issued without the requested extensions: refused, and why.
    issue("bare.pem", &[]);
    let o = provenant(&[
        "keygen",
        "--out",
        s(&keys),
        "--import",
        s(&d.join("bare.pem")),
    ]);
    assert_clean_error(&o, 2);
    assert!(stderr(&o).contains("keyUsage") && stderr(&o).contains("extendedKeyUsage"));
    assert!(!keys.join("chain.pem").exists());

    let chain = d.join("issued-chain.pem");
    std::fs::write(
        &chain,
        std::fs::read_to_string(d.join("issued.pem")).unwrap()
            + &std::fs::read_to_string(d.join("ca.crt")).unwrap(),
    )
    .unwrap();
    // Another key's directory: the certificate is not for its key.
    let other = keygen(d, &[]);
    let o = provenant(&[
        "keygen",
        "--out",
        s(&other),
        "--import",
        s(&chain),
        "--force",
    ]);
    assert_clean_error(&o, 2);
    assert!(stderr(&o).contains("another key"), "{}", stderr(&o));

    let o = provenant(&["keygen", "--out", s(&keys), "--import", s(&chain)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = d.join("signed.jpg");
    sign(
        &fixtures().join("interop/unsigned.jpg"),
        &out,
        &keys,
        &["--no-log"],
    );
    let o = verify_with(&out, &[&d.join("ca.crt")]);
    assert_eq!(json(&o)["verdict"], "trusted", "{}", stdout(&o));
}
