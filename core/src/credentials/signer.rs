//! The signer seam. [`sign`](super::sign) and [`edit`](super::edit) take any
//! [`c2pa::Signer`] trait object, so a key file, a PKCS#11 token, an external command or
//! a remote service plugs in without touching them. [`KeyFileSigner`] is the key-file
//! backend (`chain.pem` + `signer.key` as `provenant keygen` writes them, or any CA's).
//!
//! The algorithm always comes from the signing certificate ([`algorithm_of`]): Ed25519;
//! ECDSA on P-256, P-384 or P-521 (ES256/384/512); RSASSA-PSS keys with the hash their
//! parameters name (PS256/384/512), and plain RSA keys as PS256.

use std::fs;
use std::path::{Path, PathBuf};

pub use c2pa::{Signer, SigningAlg};

use crate::credentials::keys::{CHAIN, SIGNER_KEY};

const ED25519: &str = "1.3.101.112";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";
const P521: &str = "1.3.132.0.35";
const RSA: &str = "1.2.840.113549.1.1.1";
const RSA_PSS: &str = "1.2.840.113549.1.1.10";
const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const SHA384: &str = "2.16.840.1.101.3.4.2.2";
const SHA512: &str = "2.16.840.1.101.3.4.2.3";

/// Why a signer could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignerError {
    /// A key or certificate file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The private key is not a PKCS#8 PEM key.
    #[error("{}: not a PEM private key (expected PKCS#8 \"-----BEGIN PRIVATE KEY-----\")", .0.display())]
    BadKey(PathBuf),
    /// The chain holds no certificate, or its first one cannot be parsed.
    #[error("the signing certificate cannot be read: {0}")]
    BadCertificate(String),
    /// The certificate's key is of a kind C2PA does not sign with.
    #[error("the signing certificate's key ({0}) is not one C2PA signs with (Ed25519, ECDSA P-256/384/521, RSA)")]
    UnsupportedKey(String),
    /// The key and certificate were refused by the C2PA signer.
    #[error("the key and certificate cannot sign")]
    C2pa(#[source] Box<c2pa::Error>),
}

/// The C2PA signing algorithm of a certificate's key (DER of the certificate).
pub fn algorithm_of(cert_der: &[u8]) -> Result<SigningAlg, SignerError> {
    use x509_parser::prelude::FromDer;
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(cert_der)
        .map_err(|e| SignerError::BadCertificate(e.to_string()))?;
    let spki = &cert.tbs_certificate.subject_pki.algorithm;
    let key = spki.algorithm.to_id_string();
    let param_oid = || {
        spki.parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|o| o.to_id_string())
    };
    Ok(match key.as_str() {
        ED25519 => SigningAlg::Ed25519,
        EC_PUBLIC_KEY => match param_oid().as_deref() {
            Some(P256) => SigningAlg::Es256,
            Some(P384) => SigningAlg::Es384,
            Some(P521) => SigningAlg::Es512,
            other => {
                return Err(SignerError::UnsupportedKey(format!(
                    "EC on curve {}",
                    other.unwrap_or("unnamed")
                )))
            }
        },
        RSA => SigningAlg::Ps256,
        RSA_PSS => {
            let hash = spki
                .parameters
                .as_ref()
                .and_then(|p| x509_parser::signature_algorithm::RsaSsaPssParams::try_from(p).ok())
                .map(|p| p.hash_algorithm_oid().to_id_string());
            match hash.as_deref() {
                None | Some(SHA256) => SigningAlg::Ps256,
                Some(SHA384) => SigningAlg::Ps384,
                Some(SHA512) => SigningAlg::Ps512,
                Some(other) => {
                    return Err(SignerError::UnsupportedKey(format!(
                        "RSA-PSS with hash {other}"
                    )))
                }
            }
        }
        other => return Err(SignerError::UnsupportedKey(other.to_owned())),
    })
}

/// The DER of the first certificate of a PEM chain.
fn first_certificate(chain_pem: &[u8]) -> Result<Vec<u8>, SignerError> {
    let text = std::str::from_utf8(chain_pem)
        .map_err(|_| SignerError::BadCertificate("the chain is not PEM text".into()))?;
    crate::credentials::trust::certificate_ders(text)
        .into_iter()
        .next()
        .ok_or_else(|| SignerError::BadCertificate("the chain holds no certificate".into()))
}

/// A signer whose certificate chain and PKCS#8 private key are PEM files.
pub struct KeyFileSigner {
    alg: SigningAlg,
    signer: c2pa::BoxedSigner,
}

impl std::fmt::Debug for KeyFileSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyFileSigner")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl KeyFileSigner {
    /// Loads `chain.pem` and `signer.key` from a directory written by `keygen`.
    pub fn load(dir: &Path) -> Result<Self, SignerError> {
        Self::from_files(&dir.join(CHAIN), &dir.join(SIGNER_KEY))
    }

    /// Loads a PEM certificate chain (signer first) and its PKCS#8 PEM private key.
    pub fn from_files(chain: &Path, key: &Path) -> Result<Self, SignerError> {
        let read = |path: &Path| {
            fs::read(path).map_err(|source| SignerError::Read {
                path: path.to_owned(),
                source,
            })
        };
        Self::from_pem(&read(chain)?, &read(key)?, key)
    }

    /// From PEM bytes; `key_name` names the key in errors.
    pub fn from_pem(
        chain_pem: &[u8],
        key_pem: &[u8],
        key_name: &Path,
    ) -> Result<Self, SignerError> {
        let text =
            std::str::from_utf8(key_pem).map_err(|_| SignerError::BadKey(key_name.into()))?;
        if !text.contains("-----BEGIN PRIVATE KEY-----") {
            return Err(SignerError::BadKey(key_name.into()));
        }
        let alg = algorithm_of(&first_certificate(chain_pem)?)?;
        let signer = c2pa::create_signer::from_keys(chain_pem, key_pem, alg, None)
            .map_err(|e| SignerError::C2pa(Box::new(e)))?;
        Ok(Self { alg, signer })
    }

    /// The algorithm, from the certificate.
    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// The signer to hand to `sign` and `edit`.
    pub fn as_signer(&self) -> &dyn Signer {
        self.signer.as_ref()
    }
}
