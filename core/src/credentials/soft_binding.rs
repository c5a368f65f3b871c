//! The `c2pa.soft-binding` assertion: the picture's ISCC Content-Code Image
//! (`io.iscc.v0`, see [`crate::chronology::iscc`]) signed into every manifest `sign`
//! and `edit` make, so that anyone who finds a copy stripped of its manifest can
//! look the original up by its pixels, and a verifier can check that the pixels it
//! has are the ones the signer described.
//!
//! The assertion has the shape of the C2PA specification's `soft-binding-map`
//! (the c2pa-rs type [`c2pa::assertions::SoftBinding`], CBOR): `alg` =
//! `io.iscc.v0`, one block whose scope is empty (the whole picture) and whose
//! `value` is the canonical `ISCC:…` text of the code.
//!
//! Reading it ([`read`]) builds for every target; checking it against the pixels
//! ([`check`]) needs the picture decoders (feature `chronology`). A mismatch is
//! information, not a failure: the hard binding (the data hash) already says
//! whether the bytes are the signed ones; the soft binding says how close the
//! pixels still are.

use crate::credentials::report::{SoftBindingReport, SoftBindingStatus};

/// The assertion's label.
pub const LABEL: &str = "c2pa.soft-binding";

/// The algorithm we write (and the only one we check).
pub const ALG_ISCC: &str = "io.iscc.v0";

/// Informational code: the pixels' code differs from the signed one by more than
/// [`TOLERANCE`] bits.
pub const MISMATCH: &str = "softBinding.mismatch";

/// Success code: the pixels' code is within [`TOLERANCE`] bits of the signed one.
pub const MATCH: &str = "softBinding.match";

/// Most bits by which the code of the pixels may differ from the signed code and
/// still count as a match. Our own files match at 0 (the signer and the verifier
/// decode the same bytes the same way); the tolerance is for codes another
/// implementation computed from a full decode with its own resampler (a few bits,
/// see `docs/chronology.md`), and equals the lookup distance.
pub const TOLERANCE: u32 = 8;

/// The soft binding of a manifest, if it has a well-formed one (the first, when a
/// manifest carries several). Unchecked: [`check`] compares it with the pixels.
pub fn read(manifest: &c2pa::Manifest) -> Option<SoftBindingReport> {
    manifest
        .assertions()
        .iter()
        .filter(|a| a.label() == LABEL)
        .find_map(|a| {
            let value = a.value().ok()?;
            let alg = value.get("alg")?.as_str()?;
            let first = value.get("blocks")?.as_array()?.first()?;
            let code = first.get("value")?.as_str()?;
            Some(SoftBindingReport {
                alg: alg.chars().take(200).collect(),
                value: code.chars().take(200).collect(),
                status: SoftBindingStatus::Unchecked,
                computed: None,
                distance: None,
            })
        })
}

/// The assertion for a picture whose code is `code`.
#[cfg(feature = "chronology")]
pub fn assertion(code: crate::chronology::iscc::IsccImageCode) -> c2pa::assertions::SoftBinding {
    let mut binding = c2pa::assertions::SoftBinding::default();
    binding.alg = Some(ALG_ISCC.to_owned());
    binding.blocks = vec![c2pa::assertions::SoftBindingBlock {
        scope: c2pa::assertions::SoftBindingScope::default(),
        value: code.to_string(),
    }];
    binding
}

/// Compares the report's soft binding (of the active manifest) with the code of
/// the pixels in `bytes`, and records the outcome in the report: its status,
/// distance and a `softBinding.match` (success) or `softBinding.mismatch`
/// (informational) code. Bindings of another algorithm, or whose value is not an
/// ISCC image code, stay `unchecked`, as do pictures that cannot be decoded.
#[cfg(feature = "chronology")]
pub fn check(report: &mut crate::credentials::report::Report, bytes: &[u8]) {
    use crate::chronology::iscc::{self, IsccImageCode};
    use crate::credentials::report::{CodeKind, CodeOrigin, StatusCode};

    let Some(binding) = report.soft_binding.as_mut() else {
        return;
    };
    if binding.alg != ALG_ISCC {
        return;
    }
    let Ok(signed) = binding.value.parse::<IsccImageCode>() else {
        return;
    };
    let Ok(computed) = iscc::code_bytes(bytes) else {
        return;
    };
    let distance = signed.distance(computed);
    let matched = distance <= TOLERANCE;
    binding.computed = Some(computed.to_string());
    binding.distance = Some(distance);
    binding.status = if matched {
        SoftBindingStatus::Match
    } else {
        SoftBindingStatus::Mismatch
    };
    report.codes.push(StatusCode {
        code: if matched { MATCH } else { MISMATCH }.to_owned(),
        kind: if matched {
            CodeKind::Success
        } else {
            CodeKind::Informational
        },
        origin: CodeOrigin::Provenant,
        step: Some(0),
        url: None,
        explanation: Some(format!(
            "the pixels' {ALG_ISCC} code {computed} is {distance} bits from the signed {signed}"
        )),
    });
}

#[cfg(all(test, feature = "chronology"))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::chronology::iscc::{self, IsccImageCode};
    use crate::credentials::report::{CodeKind, Report, Verdict};

    fn report_with(alg: &str, value: &str) -> Report {
        Report {
            report_version: 1,
            verdict: Verdict::Trusted,
            file: None,
            format: "image/png".into(),
            sha256: String::new(),
            size: 0,
            codes: Vec::new(),
            chain: Vec::new(),
            blacklisted: false,
            blacklist_source: None,
            soft_binding: Some(SoftBindingReport {
                alg: alg.into(),
                value: value.into(),
                status: SoftBindingStatus::Unchecked,
                computed: None,
                distance: None,
            }),
        }
    }

    fn picture() -> Vec<u8> {
        let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(120, 80, |x, y| {
            image::Rgb([(x * 2) as u8, (y * 3) as u8, ((x * y) % 256) as u8])
        }));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn check_matches_mismatches_and_leaves_others_unchecked() {
        let bytes = picture();
        let code = iscc::code_bytes(&bytes).unwrap();
        let mut same = report_with(ALG_ISCC, &code.to_string());
        check(&mut same, &bytes);
        let b = same.soft_binding.as_ref().unwrap();
        assert_eq!((b.status, b.distance), (SoftBindingStatus::Match, Some(0)));
        assert_eq!(same.codes[0].code, MATCH);
        assert_eq!(same.codes[0].kind, CodeKind::Success);

        let other = IsccImageCode(!code.0);
        let mut differs = report_with(ALG_ISCC, &other.to_string());
        check(&mut differs, &bytes);
        let b = differs.soft_binding.as_ref().unwrap();
        assert_eq!(
            (b.status, b.distance),
            (SoftBindingStatus::Mismatch, Some(64))
        );
        assert_eq!(differs.codes[0].code, MISMATCH);
        assert_eq!(
            differs.codes[0].kind,
            CodeKind::Informational,
            "never a failure"
        );
        assert_eq!(differs.failures().count(), 0);

        for (alg, value, data) in [
            ("com.example.watermark", code.to_string(), bytes.clone()),
            (ALG_ISCC, "not a code".to_owned(), bytes.clone()),
            (ALG_ISCC, code.to_string(), b"not a picture".to_vec()),
        ] {
            let mut r = report_with(alg, &value);
            check(&mut r, &data);
            assert_eq!(r.soft_binding.unwrap().status, SoftBindingStatus::Unchecked);
            assert!(r.codes.is_empty());
        }
    }

    #[test]
    fn assertion_has_the_specified_shape() {
        let a = assertion(IsccImageCode(0x0123_4567_89ab_cdef));
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["alg"], ALG_ISCC);
        assert_eq!(
            v["blocks"][0]["value"],
            IsccImageCode(0x0123_4567_89ab_cdef).to_string()
        );
        assert_eq!(v["blocks"][0]["scope"], serde_json::json!({}));
    }
}
