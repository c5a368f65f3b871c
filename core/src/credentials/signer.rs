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
    /// A PKCS#11 URI or module, token, PIN or key problem (the message says which).
    #[error("PKCS#11: {0}")]
    Pkcs11(String),
    /// The external signing command could not run or failed.
    #[error("signing command: {0}")]
    Command(String),
    /// A hardware or external signer returned a signature of the wrong size or form.
    #[error("the signer returned {got} bytes, not an {alg} signature ({expected})")]
    SignatureForm {
        /// The algorithm (from the certificate).
        alg: SigningAlg,
        /// How many bytes came back.
        got: usize,
        /// What was expected.
        expected: String,
    },
    /// The signature does not verify with the certificate's public key.
    #[error("the signature does not verify with the certificate's public key: the key is not the one the certificate ({subject}) was issued for")]
    KeyMismatch {
        /// The signing certificate's subject.
        subject: String,
    },
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
    chain_ders(chain_pem)?
        .into_iter()
        .next()
        .ok_or_else(|| SignerError::BadCertificate("the chain holds no certificate".into()))
}

/// The DER of every certificate of a PEM chain (signer first); at least one.
pub fn chain_ders(chain_pem: &[u8]) -> Result<Vec<Vec<u8>>, SignerError> {
    let text = std::str::from_utf8(chain_pem)
        .map_err(|_| SignerError::BadCertificate("the chain is not PEM text".into()))?;
    let ders = crate::credentials::trust::certificate_ders(text);
    if ders.is_empty() {
        return Err(SignerError::BadCertificate(
            "the chain holds no certificate".into(),
        ));
    }
    Ok(ders)
}

/// Where a signer that talks to a token or a command keeps the reason its last
/// signature failed: the SDK wraps errors from [`Signer::sign`] and says less.
#[derive(Debug, Default)]
struct FailureSlot(std::sync::Mutex<Option<SignerError>>);

impl FailureSlot {
    /// Records `e` and returns the SDK error to hand back from `sign`.
    fn fail(&self, e: SignerError) -> c2pa::Error {
        let message = e.to_string();
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(e);
        }
        c2pa::Error::OtherError(message.into())
    }

    /// The last failure, if any.
    fn take(&self) -> Option<SignerError> {
        self.0.lock().ok()?.take()
    }
}

/// A private key held elsewhere — a PKCS#11 token, a signing command — that signs bytes
/// for a given algorithm and answers with a signature in its own form.
pub trait RemoteKey: std::fmt::Debug + Send + Sync {
    /// Signs `data` as `alg` says; [`CertifiedKey`] checks the answer.
    fn sign_raw(&self, alg: SigningAlg, data: &[u8]) -> Result<Vec<u8>, SignerError>;
}

/// A [`RemoteKey`] with its certificate chain: the algorithm comes from the signing
/// certificate, every signature is brought into COSE's form and checked against that
/// certificate ([`checked_signature`]), and the reason of the last failure is kept.
#[derive(Debug)]
pub struct CertifiedKey<K> {
    key: K,
    alg: SigningAlg,
    certs: Vec<Vec<u8>>,
    failure: FailureSlot,
}

impl<K: RemoteKey> CertifiedKey<K> {
    /// `key` signing for the chain `certs` (DER, signer first, at least one), as `alg`
    /// (what [`algorithm_of`] says of the first).
    pub(crate) fn from_parts(key: K, alg: SigningAlg, certs: Vec<Vec<u8>>) -> Self {
        Self {
            key,
            alg,
            certs,
            failure: FailureSlot::default(),
        }
    }

    /// The algorithm, from the certificate.
    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// Why the last signature failed, if it did.
    pub fn take_failure(&self) -> Option<SignerError> {
        self.failure.take()
    }

    pub(crate) fn key_mut(&mut self) -> &mut K {
        &mut self.key
    }
}

impl<K: RemoteKey> Signer for CertifiedKey<K> {
    fn sign(&self, data: &[u8]) -> c2pa::Result<Vec<u8>> {
        self.key
            .sign_raw(self.alg, data)
            .and_then(|signature| checked_signature(self.alg, &self.certs[0], data, signature))
            .map_err(|e| self.failure.fail(e))
    }

    fn alg(&self) -> SigningAlg {
        self.alg
    }

    fn certs(&self) -> c2pa::Result<Vec<Vec<u8>>> {
        Ok(self.certs.clone())
    }

    fn reserve_size(&self) -> usize {
        1024 + self.certs.iter().map(Vec::len).sum::<usize>()
    }
}

/// Brings a signature from a token or command into the form COSE wants (ECDSA as raw
/// `r||s`; a DER `ECDSA-Sig-Value` is converted) and checks it against the signing
/// certificate's public key, so a wrong key or a garbled answer is an error here, not
/// a file that fails verification later.
pub fn checked_signature(
    alg: SigningAlg,
    cert_der: &[u8],
    data: &[u8],
    signature: Vec<u8>,
) -> Result<Vec<u8>, SignerError> {
    use x509_parser::prelude::FromDer;
    let raw = raw_signature(alg, signature)?;
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(cert_der)
        .map_err(|e| SignerError::BadCertificate(e.to_string()))?;
    let public_key = cert.tbs_certificate.subject_pki.raw;
    let validator = c2pa::crypto::raw_signature::validator_for_signing_alg(alg)
        .ok_or_else(|| SignerError::UnsupportedKey(alg.to_string()))?;
    validator
        .validate(&raw, data, public_key)
        .map_err(|_| SignerError::KeyMismatch {
            subject: cert.subject().to_string(),
        })?;
    Ok(raw)
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

/// The length of a raw signature, where it is fixed by the algorithm.
fn raw_length(alg: SigningAlg) -> Option<usize> {
    match alg {
        SigningAlg::Ed25519 | SigningAlg::Es256 => Some(64),
        SigningAlg::Es384 => Some(96),
        SigningAlg::Es512 => Some(132),
        _ => None,
    }
}

/// A signature in COSE's raw form: Ed25519 and RSA as they are, ECDSA as `r||s` (each
/// half left-padded to the curve size), converted from DER when it comes as DER.
fn raw_signature(alg: SigningAlg, signature: Vec<u8>) -> Result<Vec<u8>, SignerError> {
    let Some(want) = raw_length(alg) else {
        return Ok(signature);
    };
    if signature.len() == want {
        return Ok(signature);
    }
    let is_ecdsa = !matches!(alg, SigningAlg::Ed25519);
    let wrong = |got: usize| SignerError::SignatureForm {
        alg,
        got,
        expected: if is_ecdsa {
            format!("{want} bytes r||s, or DER")
        } else {
            format!("{want} bytes")
        },
    };
    if !is_ecdsa {
        return Err(wrong(signature.len()));
    }
    let (r, s) = der_ecdsa(&signature).ok_or_else(|| wrong(signature.len()))?;
    let half = want / 2;
    let mut out = vec![0u8; want];
    for (part, at) in [(r, 0), (s, half)] {
        let part = strip_zeros(part);
        if part.len() > half {
            return Err(wrong(signature.len()));
        }
        out[at + half - part.len()..at + half].copy_from_slice(part);
    }
    Ok(out)
}

fn strip_zeros(mut b: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = b {
        b = rest;
    }
    b
}

/// `SEQUENCE { INTEGER r, INTEGER s }` and nothing after it.
fn der_ecdsa(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (body, rest) = der_item(der, 0x30)?;
    if !rest.is_empty() {
        return None;
    }
    let (r, body) = der_item(body, 0x02)?;
    let (s, body) = der_item(body, 0x02)?;
    body.is_empty().then_some((r, s))
}

/// One DER item of tag `tag`: (its contents, what follows).
fn der_item(der: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    if t != tag {
        return None;
    }
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81 => {
            let (&l, rest) = rest.split_first()?;
            (usize::from(l), rest)
        }
        _ => return None,
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_ecdsa_signatures_become_raw() {
        // r with a sign byte, s short: both padded to 32 bytes.
        let mut der = vec![0x30, 0x25, 0x02, 0x21, 0x00];
        der.extend([0x80; 32]);
        der.extend([0x02, 0x00]);
        der.truncate(der.len() - 2);
        der.extend([0x02, 0x02, 0x01, 0x02]);
        der[1] = (der.len() - 2) as u8;
        let raw = raw_signature(SigningAlg::Es256, der).map_err(|e| e.to_string());
        let mut want = vec![0x80; 32];
        want.extend([0u8; 30]);
        want.extend([0x01, 0x02]);
        assert_eq!(raw, Ok(want));
    }

    #[test]
    fn wrong_lengths_are_refused() {
        for (alg, len) in [(SigningAlg::Ed25519, 63), (SigningAlg::Es256, 65)] {
            let e = raw_signature(alg, vec![1; len]);
            assert!(
                matches!(e, Err(SignerError::SignatureForm { got, .. }) if got == len),
                "{alg}: {e:?}"
            );
        }
    }
}
