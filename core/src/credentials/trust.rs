//! Trust anchors: the root certificates a verifier accepts as vouching for signers.

use std::fmt;

/// A PEM bundle of trust-anchor certificates, with where each part came from.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TrustAnchors {
    pem: String,
    count: usize,
    sources: Vec<String>,
}

/// A trust-anchor file that holds no certificate.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{source_name}: no PEM certificate found (expected \"-----BEGIN CERTIFICATE-----\")")]
pub struct NoCertificate {
    /// Name of the file (or other source) the PEM came from.
    pub source_name: String,
}

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

impl TrustAnchors {
    /// No anchors: every signer is untrusted, so the best verdict is `valid`.
    pub fn none() -> Self {
        Self::default()
    }

    /// Adds every certificate of a PEM text; `source_name` names it in messages.
    /// Anything outside BEGIN/END CERTIFICATE blocks (comments, keys) is ignored.
    pub fn add_pem(&mut self, source_name: &str, pem: &str) -> Result<usize, NoCertificate> {
        let blocks = certificate_blocks(pem);
        if blocks.is_empty() {
            return Err(NoCertificate {
                source_name: source_name.to_owned(),
            });
        }
        for block in &blocks {
            self.pem.push_str(block);
            self.pem.push('\n');
        }
        self.count += blocks.len();
        self.sources.push(source_name.to_owned());
        Ok(blocks.len())
    }

    /// Builder form of [`TrustAnchors::add_pem`].
    pub fn with_pem(mut self, source_name: &str, pem: &str) -> Result<Self, NoCertificate> {
        self.add_pem(source_name, pem)?;
        Ok(self)
    }

    /// SHA-256 fingerprints of the certificates' DER, in order.
    pub fn fingerprints(&self) -> Vec<[u8; 32]> {
        certificate_ders(self.pem())
            .iter()
            .map(|der| <sha2::Sha256 as sha2::Digest>::digest(der).into())
            .collect()
    }

    /// True when no certificate has been added.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Number of certificates.
    pub fn len(&self) -> usize {
        self.count
    }

    /// The concatenated PEM bundle.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// Where the anchors came from (file names, "env", ...).
    pub fn sources(&self) -> &[String] {
        &self.sources
    }
}

/// The complete `BEGIN/END CERTIFICATE` blocks of a PEM text, in order.
pub(crate) fn certificate_blocks(pem: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(BEGIN) {
        let Some(end) = rest[start..].find(END) else {
            break;
        };
        let stop = start + end + END.len();
        blocks.push(&rest[start..stop]);
        rest = &rest[stop..];
    }
    blocks
}

/// The DER bodies of the certificate blocks of a PEM text (undecodable ones skipped).
pub(crate) fn certificate_ders(pem: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    certificate_blocks(pem)
        .into_iter()
        .filter_map(|block| {
            let body = &block[BEGIN.len()..block.len() - END.len()];
            let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD.decode(b64).ok()
        })
        .collect()
}

impl fmt::Debug for TrustAnchors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustAnchors")
            .field("certificates", &self.count)
            .field("sources", &self.sources)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_blocks_and_rejects_empty() {
        let pem = format!("junk\n{BEGIN}\nAAAA\n{END}\nmore\n{BEGIN}\nBBBB\n{END}\n");
        let mut t = TrustAnchors::none();
        assert_eq!(t.add_pem("a.pem", &pem), Ok(2));
        assert_eq!(t.len(), 2);
        assert!(!t.pem().contains("junk"));
        assert!(t.add_pem("b.pem", "not a cert").is_err());
        assert_eq!(t.sources(), ["a.pem"]);
    }
}
