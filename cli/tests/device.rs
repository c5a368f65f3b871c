//! Capture devices: what a photo's manifest reveals about its camera.
//! Unlinkability: no field of the capture assertion, nor of the verified report, is
//! equal across two photos of one camera unless every camera of the fleet shares it
//! (the day, the curators' group key, the fleet certificate).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use common::{code, provenant, s, samples, stderr};
use serde_json::Value;

fn ok(args: &[&str]) -> String {
    let out = provenant(args);
    assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// Every leaf of a JSON value by its path.
fn leaves(prefix: String, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                leaves(format!("{prefix}.{k}"), x, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                leaves(format!("{prefix}[{i}]"), x, out);
            }
        }
        other => {
            out.insert(prefix, other.to_string());
        }
    }
}

struct Fleet {
    dir: tempfile::TempDir,
}

impl Fleet {
    fn new() -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        ok(&["keygen", "--out", s(&p("maker")), "--org", "Acme Cameras"]);
        ok(&[
            "curator",
            "deal",
            "--insecure-trusted-dealer",
            "--threshold",
            "2",
            "--curators",
            "3",
            "--out",
            s(&p("curators")),
        ]);
        Fleet { dir }
    }

    fn path(&self, n: &str) -> PathBuf {
        self.dir.path().join(n)
    }

    fn device(&self, name: &str) -> PathBuf {
        let dev = self.path(name);
        ok(&[
            "device",
            "init",
            s(&dev),
            "--maker",
            s(&self.path("maker")),
            "--group",
            s(&self.path("curators/group.json")),
            "--at",
            "2026-11-20T08:00:00Z",
        ]);
        dev
    }

    fn capture(&self, dev: &Path, name: &str, at: &str) -> PathBuf {
        let out = self.path(name);
        ok(&[
            "device",
            "capture",
            s(&samples().join("harbour-capture.jpg")),
            "-o",
            s(&out),
            "--device",
            s(dev),
            "--at",
            at,
        ]);
        out
    }
}

fn assertion_fields(photo: &Path) -> BTreeMap<String, String> {
    let bytes = std::fs::read(photo).unwrap();
    let a = provenant_core::credentials::verify::active_capture(&bytes)
        .unwrap()
        .expect("capture assertion");
    let mut out = BTreeMap::new();
    leaves(String::new(), &serde_json::to_value(a).unwrap(), &mut out);
    out
}

fn report_fields(photo: &Path, root: &Path) -> BTreeMap<String, String> {
    let v: Value =
        serde_json::from_str(&ok(&["verify", s(photo), "--json", "--trust", s(root)])).unwrap();
    assert_eq!(v["verdict"], "trusted", "{v}");
    let mut out = BTreeMap::new();
    leaves(String::new(), &v, &mut out);
    out.remove(".file");
    out
}

#[test]
fn no_field_links_one_cameras_photos() {
    let fleet = Fleet::new();
    let cam_a = fleet.device("cam-a");
    let cam_b = fleet.device("cam-b");
    const N: usize = 12;
    let mut a = Vec::new();
    let mut b = Vec::new();
    for i in 0..N {
        let at = format!("2026-11-21T{:02}:{:02}:00Z", 8 + i / 6, (i % 6) * 7);
        a.push(fleet.capture(&cam_a, &format!("a{i}.jpg"), &at));
        b.push(fleet.capture(&cam_b, &format!("b{i}.jpg"), &at));
    }

    // The capture assertion: every per-photo value is fresh; the rest is fleet-wide.
    let fa: Vec<_> = a.iter().map(|p| assertion_fields(p)).collect();
    let fb: Vec<_> = b.iter().map(|p| assertion_fields(p)).collect();
    let fleet_wide = [".version", ".epoch", ".group_key"];
    for key in fa[0].keys() {
        let values: Vec<&String> = fa.iter().chain(&fb).map(|f| &f[key]).collect();
        if fleet_wide.contains(&key.as_str()) {
            assert!(
                values.iter().all(|v| *v == values[0]),
                "{key} differs between cameras"
            );
        } else {
            let distinct: HashSet<&&String> = values.iter().collect();
            assert_eq!(distinct.len(), values.len(), "{key} repeats across photos");
        }
    }
    // No 32-byte value of one photo appears anywhere in another photo's assertion.
    let mut seen = HashSet::new();
    for f in fa.iter().chain(&fb) {
        for (k, v) in f {
            if !fleet_wide.contains(&k.as_str()) {
                assert!(seen.insert(v.clone()), "{k} value seen twice");
            }
        }
    }

    // The whole verified report: a value shared by two photos of camera A must be
    // shared by camera B's photo too (else it would link A's photos).
    let root = fleet.path("maker/root.pem");
    let (ra0, ra1, rb0) = (
        report_fields(&a[0], &root),
        report_fields(&a[1], &root),
        report_fields(&b[0], &root),
    );
    let mut checked = 0;
    for (k, v) in &ra0 {
        if ra1.get(k) == Some(v) {
            assert_eq!(
                rb0.get(k),
                Some(v),
                "{k} = {v} is shared by camera A's photos only"
            );
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} shared fields compared");
    // The device's secure element never appears in the photo.
    let element = std::fs::read_to_string(cam_a.join("secure-element.json")).unwrap();
    let key: Value = serde_json::from_str(&element).unwrap();
    let key = key["epoch_key"].as_str().unwrap();
    for p in &a {
        let bytes = std::fs::read(p).unwrap();
        assert!(!bytes.windows(key.len()).any(|w| w == key.as_bytes()));
        assert!(!bytes
            .windows(32)
            .any(|w| w == hex::decode(key).unwrap().as_slice()));
    }
}

#[test]
fn a_device_cannot_tag_a_day_it_has_moved_past_and_bad_input_is_refused() {
    let fleet = Fleet::new();
    let cam = fleet.device("cam");
    fleet.capture(&cam, "today.jpg", "2026-11-22T10:00:00Z");
    let out = provenant(&[
        "device",
        "capture",
        s(&samples().join("harbour-capture.jpg")),
        "-o",
        s(&fleet.path("back.jpg")),
        "--device",
        s(&cam),
        "--at",
        "2026-11-21T10:00:00Z",
    ]);
    common::assert_clean_error(&out, 2);
    assert!(stderr(&out).contains("erased"), "{}", stderr(&out));
    assert!(!fleet.path("back.jpg").exists());
    // Not a device directory; already-signed input; a second init over a device.
    let out = provenant(&[
        "device",
        "capture",
        s(&samples().join("harbour-capture.jpg")),
        "-o",
        s(&fleet.path("x.jpg")),
        "--device",
        s(&fleet.path("maker")),
    ]);
    common::assert_clean_error(&out, 2);
    let out = provenant(&[
        "device",
        "capture",
        s(&fleet.path("today.jpg")),
        "-o",
        s(&fleet.path("y.jpg")),
        "--device",
        s(&cam),
    ]);
    common::assert_clean_error(&out, 2);
    let out = provenant(&[
        "device",
        "init",
        s(&cam),
        "--maker",
        s(&fleet.path("maker")),
        "--group",
        s(&fleet.path("curators/group.json")),
    ]);
    common::assert_clean_error(&out, 2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cam.join("secure-element.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "secure element readable by others: {mode:o}"
        );
    }
}

/// A JPEG as cameras write it: EXIF with an orientation, a body serial number and a GPS
/// position, and XMP naming the serial again.
fn camera_jpeg(serial: &str) -> Vec<u8> {
    // Big-endian TIFF: IFD0 with Orientation (6), BodySerialNumber (ASCII, at 38) and a
    // GPS IFD pointer (to 38 + serial).
    let serial_z = format!("{serial}\0");
    let gps_at = 38 + serial_z.len() as u32;
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&3u16.to_be_bytes());
    for (tag, kind, count, value) in [
        (0x0112u16, 3u16, 1u32, 6u32 << 16),
        (0xA431, 2, serial_z.len() as u32, 38),
        (0x8825, 4, 1, gps_at),
    ] {
        tiff.extend_from_slice(&tag.to_be_bytes());
        tiff.extend_from_slice(&kind.to_be_bytes());
        tiff.extend_from_slice(&count.to_be_bytes());
        tiff.extend_from_slice(&value.to_be_bytes());
    }
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(serial_z.as_bytes());
    // GPS IFD: GPSLatitudeRef "N".
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&[
        0x00, 0x01, 0x00, 0x02, 0, 0, 0, 2, b'N', 0, 0, 0, 0, 0, 0, 0,
    ]);
    let segment = |marker: u8, payload: &[u8]| {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        s.extend_from_slice(payload);
        s
    };
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend_from_slice(&tiff);
    let xmp = format!(
        "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF \
         xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description \
         xmlns:aux=\"http://ns.adobe.com/exif/1.0/aux/\" aux:SerialNumber=\"{serial}\"/>\
         </rdf:RDF></x:xmpmeta>"
    );
    let plain = std::fs::read(samples().join("harbour-capture.jpg")).unwrap();
    let mut out = plain[..2].to_vec();
    out.extend(segment(0xE1, &exif));
    out.extend(segment(0xE1, xmp.as_bytes()));
    out.extend_from_slice(&plain[2..]);
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The serial numbers and GPS position a camera writes into EXIF/XMP would link its photos
/// whatever the capture tags say: `device capture` removes them (keeping the orientation),
/// unless told `--keep-metadata`.
#[test]
fn capture_strips_serial_numbers_and_gps() {
    let fleet = Fleet::new();
    let dev = fleet.device("cam");
    let input = fleet.path("camera.jpg");
    std::fs::write(&input, camera_jpeg("SN-TRACE-0042")).unwrap();
    let image = image::load_from_memory(&std::fs::read(&input).unwrap()).unwrap();
    assert!(image.width() > 0, "the test picture decodes");
    let run = |out: &str, extra: &[&str]| {
        let path = fleet.path(out);
        let mut args = vec![
            "device",
            "capture",
            s(&input),
            "-o",
            s(&path),
            "--device",
            s(&dev),
            "--at",
            "2026-11-21T08:00:00Z",
        ];
        args.extend_from_slice(extra);
        ok(&args);
        std::fs::read(path).unwrap()
    };
    let stripped = run("stripped.jpg", &[]);
    assert!(
        !contains(&stripped, b"SN-TRACE-0042"),
        "the serial number survived"
    );
    assert!(
        !contains(&stripped, b"aux:SerialNumber"),
        "the XMP survived"
    );
    assert!(
        !contains(&stripped, &[0x88, 0x25]),
        "a GPS IFD pointer survived"
    );
    // The orientation is kept, as a one-entry EXIF.
    assert!(contains(
        &stripped,
        b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06"
    ));
    let report: Value = serde_json::from_str(&ok(&[
        "verify",
        s(&fleet.path("stripped.jpg")),
        "--json",
        "--trust",
        s(&fleet.path("maker/root.pem")),
    ]))
    .unwrap();
    assert_eq!(report["verdict"], "trusted", "{report}");
    let kept = run("kept.jpg", &["--keep-metadata"]);
    assert!(
        contains(&kept, b"SN-TRACE-0042"),
        "--keep-metadata keeps what it says"
    );
    // A format whose metadata is not understood is refused, not signed blind.
    let gif = fleet.path("clip.gif");
    std::fs::write(&gif, b"GIF89a\x01\0\x01\0\0\0\0;").unwrap();
    let o = provenant(&[
        "device",
        "capture",
        s(&gif),
        "-o",
        s(&fleet.path("clip-out.gif")),
        "--device",
        s(&dev),
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("--keep-metadata"), "{}", stderr(&o));
}
