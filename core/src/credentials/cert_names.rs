//! The issuer and subject names of an X.509 certificate, as their DER bytes, read without a
//! full certificate parser: enough to tell that no anchor of a set can have issued any
//! certificate of a chain (the SDK's trust check pairs a certificate with an anchor only when
//! the certificate's issuer equals the anchor's subject, byte for byte), so that the costly
//! check, which re-verifies every signature of the chain, is skipped for that set.

/// One DER element at the start of `input`: (tag, the whole element, its contents).
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *input.first()?;
    if tag & 0x1f == 0x1f {
        return None; // multi-byte tags do not occur in the fields read here
    }
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None; // indefinite (not DER) or absurdly long
        }
        let bytes = input.get(2..2 + n)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    let whole = input.get(..end)?;
    Some((tag, whole, &whole[header..]))
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const VERSION: u8 = 0xa0;

/// The issuer and subject `Name`s of a DER certificate (each a whole SEQUENCE element);
/// None when the certificate does not have the expected shape.
pub(crate) fn issuer_and_subject(cert: &[u8]) -> Option<(&[u8], &[u8])> {
    let (tag, _, certificate) = element(cert)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, _, tbs) = element(certificate)?;
    if tag != SEQUENCE {
        return None;
    }
    let mut rest = tbs;
    let mut next = |want: u8| -> Option<&[u8]> {
        let (tag, whole, _) = element(rest)?;
        rest = &rest[whole.len()..];
        (tag == want).then_some(whole)
    };
    if tbs.first() == Some(&VERSION) {
        next(VERSION)?;
    }
    next(INTEGER)?; // serial number
    next(SEQUENCE)?; // signature algorithm
    let issuer = next(SEQUENCE)?;
    next(SEQUENCE)?; // validity
    let subject = next(SEQUENCE)?;
    Some((issuer, subject))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_ders(name: &str) -> Vec<Vec<u8>> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures")
            .join(name);
        let pem = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        crate::credentials::trust::certificate_ders(&pem)
    }

    #[cfg(feature = "sign")]
    #[test]
    fn names_match_the_full_parser_on_real_certificates() {
        let mut ders = fixture_ders("trust/cai-anchors.pem");
        ders.extend(fixture_ders("c2pa-rs/certs/test_cert_root_bundle.pem"));
        ders.extend(crate::credentials::trust::certificate_ders(
            crate::credentials::trust::C2PA_TRUST_LIST,
        ));
        assert!(ders.len() > 30);
        for der in &ders {
            let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
            let (issuer, subject) = issuer_and_subject(der).expect("a well-formed certificate");
            assert_eq!(issuer, cert.issuer().as_raw());
            assert_eq!(subject, cert.subject().as_raw());
        }
    }

    #[test]
    fn malformed_input_gives_none() {
        assert_eq!(issuer_and_subject(b""), None);
        assert_eq!(issuer_and_subject(&[0x30]), None);
        assert_eq!(
            issuer_and_subject(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            None
        );
        assert_eq!(issuer_and_subject(&[0x30, 0x80, 0, 0]), None);
        assert_eq!(issuer_and_subject(&[0x30, 0x02, 0x30, 0x00]), None);
        let der = &fixture_ders("trust/cai-anchors.pem")[0];
        for cut in [1, 10, 100, der.len() / 2] {
            assert_eq!(issuer_and_subject(&der[..cut]), None, "cut at {cut}");
        }
    }
}
