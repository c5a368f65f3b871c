//! Bad input gets a one-line error and exit 2, or the verdict that is the truth and exit 1.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;

#[test]
fn bad_files_give_clear_errors_and_documented_codes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let empty = d.join("empty.jpg");
    std::fs::write(&empty, b"").unwrap();
    assert_clean_error(&provenant(&["verify", s(&empty)]), 2);
    assert!(stderr(&provenant(&["verify", s(&empty)])).contains("empty"));

    let text = d.join("notes.jpg");
    std::fs::write(&text, "this is just text\n").unwrap();
    let o = provenant(&["verify", s(&text)]);
    assert_clean_error(&o, 2);
    assert!(stderr(&o).contains("not a recognised"));

    let o = provenant(&["verify", s(d)]);
    assert_clean_error(&o, 2);
    assert!(stderr(&o).contains("directory"));

    let o = provenant(&["verify", s(&d.join("missing.jpg"))]);
    assert_clean_error(&o, 2);

    // A 2 GB sparse file: refused from its first bytes, without reading it all.
    let sparse = d.join("huge.jpg");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let o = provenant(&["verify", s(&sparse)]);
    assert_clean_error(&o, 2);

    // Truncated signed JPEG: the manifest is there but the file is broken → invalid.
    let peer = std::fs::read(fixtures().join("interop/peer-created.jpg")).unwrap();
    let trunc = d.join("trunc.jpg");
    std::fs::write(&trunc, &peer[..peer.len() / 20]).unwrap();
    let o = provenant(&["verify", s(&trunc), "--json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(json(&o)["verdict"], "invalid");

    // Truncated in the image data (manifest intact): the hash no longer matches.
    let trunc2 = d.join("trunc2.jpg");
    std::fs::write(&trunc2, &peer[..peer.len() - 5000]).unwrap();
    let o = provenant(&[
        "verify",
        s(&trunc2),
        "--json",
        "--trust",
        s(&fixtures().join("interop/trust-anchor-root.pem")),
    ]);
    assert_eq!(code(&o), 1);
    assert_eq!(json(&o)["verdict"], "invalid");

    // A PNG whose manifest box is corrupted.
    let mut png = std::fs::read(fixtures().join("interop/peer-created.png")).unwrap();
    let at = png
        .windows(4)
        .position(|w| w == b"caBX")
        .expect("caBX chunk");
    for b in &mut png[at + 40..at + 400] {
        *b ^= 0x5A;
    }
    let bad = d.join("bad.png");
    std::fs::write(&bad, &png).unwrap();
    let o = provenant(&["verify", s(&bad), "--json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(json(&o)["verdict"], "invalid");

    // Several files: the worst code wins and every good file is still reported.
    let good = fixtures().join("c2pa-rs/C.jpg");
    let o = provenant(&["verify", s(&good), s(&empty), "--json", "--policy", "valid"]);
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o).lines().count(), 1);
}

#[test]
fn bad_arguments_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keygen(dir.path(), &[]);
    let src = samples().join("harbour-capture.jpg");
    let out = dir.path().join("o.jpg");
    for (flag, value) in [
        ("--crop", "1,2,3"),
        ("--crop", "1000,600,500,500"),
        ("--rotate", "45"),
    ] {
        let o = provenant(&[
            "edit",
            s(&src),
            "-o",
            s(&out),
            "--key",
            s(&keys),
            flag,
            value,
        ]);
        assert_clean_error(&o, 2);
        assert!(!out.exists(), "no partial output");
    }
    // No edit at all, unknown flags: clap's usage error, exit 2.
    assert_eq!(
        code(&provenant(&[
            "edit",
            s(&src),
            "-o",
            s(&out),
            "--key",
            s(&keys)
        ])),
        2
    );
    assert_eq!(code(&provenant(&["verify"])), 2);
    // A key dir without keys.
    let o = provenant(&["sign", s(&src), "-o", s(&out), "--key", s(dir.path())]);
    assert_clean_error(&o, 2);
    // Trust file without certificates.
    let o = provenant(&["verify", s(&src), "--trust", s(&src)]);
    assert_clean_error(&o, 2);
    // Signing or editing something that is not a picture.
    let text = dir.path().join("notes.jpg");
    std::fs::write(&text, "just text").unwrap();
    for cmd in [
        vec!["sign", s(&text), "-o", s(&out), "--key", s(&keys)],
        vec![
            "edit",
            s(&text),
            "-o",
            s(&out),
            "--key",
            s(&keys),
            "--grayscale",
        ],
    ] {
        let o = provenant(&cmd);
        assert_clean_error(&o, 2);
        assert!(stderr(&o).contains("not a recognised"), "{}", stderr(&o));
        assert!(!out.exists());
    }
}
