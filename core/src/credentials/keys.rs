//! `keygen`: a newsroom's day-one credentials — an organisation root CA, an
//! intermediate, and an end-entity signing certificate that meets the C2PA
//! certificate profile (v3, CA:FALSE, digitalSignature, an allowed EKU, key IDs).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

/// Signature algorithm of the generated hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyAlg {
    /// Ed25519 (the default).
    #[default]
    Ed25519,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// ECDSA on P-384 with SHA-384.
    Es384,
    /// RSA (2048-bit) signing with RSASSA-PSS and SHA-256; the CAs sign with PKCS#1 v1.5.
    Ps256,
}

impl KeyAlg {
    /// A fresh key pair for this algorithm.
    fn new_key(self) -> Result<KeyPair, KeyError> {
        match self {
            Self::Ed25519 => Ok(KeyPair::generate_for(&rcgen::PKCS_ED25519)?),
            Self::Es256 => Ok(KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?),
            Self::Es384 => Ok(KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384)?),
            Self::Ps256 => {
                // ring (rcgen's backend) cannot generate RSA keys; the rsa crate can.
                use rsa::pkcs8::EncodePrivateKey;
                let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048)
                    .map_err(|e| KeyError::Rsa(e.to_string()))?;
                let der = key
                    .to_pkcs8_der()
                    .map_err(|e| KeyError::Rsa(e.to_string()))?;
                Ok(KeyPair::try_from(der.as_bytes())?)
            }
        }
    }
}

/// A private key as PEM that OpenSSL 3 and the C2PA SDK both read. Ed25519 keys are
/// written as PKCS#8 v1 (the seed alone): the v2 form ring makes, with the public key
/// inside, is refused by `openssl pkey`.
fn private_pem(key: &KeyPair) -> String {
    use base64::Engine;
    let der = key.serialize_der();
    let seed_at = (key.algorithm() == &rcgen::PKCS_ED25519)
        .then(|| der.windows(4).position(|w| w == [0x04, 0x22, 0x04, 0x20]))
        .flatten()
        .filter(|&at| der.len() >= at + 4 + 32);
    let Some(at) = seed_at else {
        return key.serialize_pem();
    };
    // PrivateKeyInfo { version 0, AlgorithmIdentifier { id-Ed25519 }, OCTET STRING { seed } }
    let mut v1 = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    v1.extend_from_slice(&der[at + 4..at + 4 + 32]);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&v1);
    format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n")
}

/// File names inside a key directory.
pub const ROOT_CERT: &str = "root.pem";
/// The signer certificate followed by the intermediate (PEM).
pub const CHAIN: &str = "chain.pem";
/// The signer's PKCS#8 private key (PEM, mode 0600).
pub const SIGNER_KEY: &str = "signer.key";
/// CA private keys, kept so the organisation can issue further signers; move them offline.
pub const CA_DIR: &str = "ca";

/// Why generating or writing credentials failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// rcgen could not generate a key or certificate.
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    /// The RSA key could not be generated or encoded.
    #[error("RSA key generation failed: {0}")]
    Rsa(String),
    #[error("{path} already exists")]
    /// A file to write already exists (and overwriting was not asked for).
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// Writing a file or directory failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// What `keygen` asks for.
#[derive(Debug, Clone)]
pub struct KeygenOptions {
    /// Organisation name written into every certificate's subject.
    pub org: String,
    /// Signature algorithm of the whole hierarchy.
    pub alg: KeyAlg,
    /// Validity of the signing certificate in days (CAs get ten times as long).
    pub validity_days: i64,
}

impl Default for KeygenOptions {
    fn default() -> Self {
        Self {
            org: "Example Newsroom".into(),
            alg: KeyAlg::Ed25519,
            validity_days: 730,
        }
    }
}

/// Freshly generated credentials, all PEM.
pub struct Credentials {
    /// The self-signed root CA certificate (PEM): the trust anchor verifiers configure.
    pub root_cert: String,
    /// Private key of the root CA (PEM).
    pub root_key: String,
    /// Private key of the intermediate (signing) CA (PEM).
    pub intermediate_key: String,
    /// Signer certificate followed by the intermediate.
    pub chain: String,
    /// PKCS#8 private key of the signer.
    pub signer_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print private keys, not even in debug output.
        f.debug_struct("Credentials").finish_non_exhaustive()
    }
}

fn name(org: &str, cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, org);
    dn.push(DnType::CommonName, cn);
    dn
}

/// Generates the root → intermediate → signer hierarchy.
pub fn generate(opts: &KeygenOptions) -> Result<Credentials, KeyError> {
    // Back-date a little so a verifier with a slow clock accepts fresh signatures.
    let now = OffsetDateTime::now_utc() - Duration::hours(1);
    let days = Duration::days(opts.validity_days.max(1));

    let root_key = opts.alg.new_key()?;
    let mut root = CertificateParams::default();
    root.distinguished_name = name(&opts.org, &format!("{} Root CA", opts.org));
    root.is_ca = IsCa::Ca(BasicConstraints::Constrained(1));
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    root.not_before = now;
    root.not_after = now + days * 10;
    let root_cert = root.self_signed(&root_key)?;

    let int_key = opts.alg.new_key()?;
    let mut int = CertificateParams::default();
    int.distinguished_name = name(&opts.org, &format!("{} Signing CA", opts.org));
    int.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    int.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    int.use_authority_key_identifier_extension = true;
    int.not_before = now;
    int.not_after = now + days * 5;
    let int_cert = int.signed_by(&int_key, &root_cert, &root_key)?;

    let ee_key = opts.alg.new_key()?;
    let mut ee = signer_params(&opts.org);
    ee.use_authority_key_identifier_extension = true;
    ee.not_before = now;
    ee.not_after = now + days;
    let ee_cert = ee.signed_by(&ee_key, &int_cert, &int_key)?;

    Ok(Credentials {
        root_cert: root_cert.pem(),
        root_key: private_pem(&root_key),
        intermediate_key: private_pem(&int_key),
        chain: format!("{}{}", ee_cert.pem(), int_cert.pem()),
        signer_key: private_pem(&ee_key),
    })
}

/// The signer certificate's profile (C2PA: v3, CA:FALSE, digitalSignature, an allowed
/// EKU), shared by `generate` and the certificate signing request.
fn signer_params(org: &str) -> CertificateParams {
    let mut ee = CertificateParams::default();
    ee.distinguished_name = name(org, &format!("{org} Content Signer"));
    ee.is_ca = IsCa::ExplicitNoCa;
    ee.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    ee.extended_key_usages = vec![
        // id-kp-documentSigning, which the C2PA profile lists, and emailProtection
        // for verifiers that only know the older list.
        ExtendedKeyUsagePurpose::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 36]),
        ExtendedKeyUsagePurpose::EmailProtection,
    ];
    ee
}

/// A new signing key and a certificate signing request for it that meets the C2PA
/// certificate profile, for a CA on the C2PA trust list: (request PEM, key PEM).
pub fn signing_request(org: &str, alg: KeyAlg) -> Result<(String, String), KeyError> {
    let key = alg.new_key()?;
    let mut params = signer_params(org);
    // rcgen writes no basicConstraints into a request; the CA adds CA:FALSE.
    params.is_ca = IsCa::NoCa;
    let csr = params.serialize_request(&key)?;
    Ok((csr.pem()?, private_pem(&key)))
}

/// EKUs the C2PA certificate profile accepts for a signer (id-kp-documentSigning,
/// id-kp-emailProtection, the C2PA claim-signing EKU).
const SIGNER_EKUS: [&str; 3] = [
    "1.3.6.1.5.5.7.3.36",
    "1.3.6.1.5.5.7.3.4",
    "1.3.6.1.4.1.62558.2.1",
];

/// What is wrong with an issued signer certificate (first of `chain_pem`) for signing
/// with `key_pem`: each problem explained; empty when it meets the C2PA profile.
pub fn check_issued(chain_pem: &str, key_pem: &str) -> Vec<String> {
    use x509_parser::prelude::*;
    let ders = crate::credentials::trust::certificate_ders(chain_pem);
    let Some(der) = ders.first() else {
        return vec!["no PEM certificate found".into()];
    };
    let cert = match X509Certificate::from_der(der) {
        Ok((_, c)) => c,
        Err(e) => return vec![format!("the certificate does not parse: {e}")],
    };
    let mut problems = Vec::new();
    if cert.version() != X509Version::V3 {
        problems.push("not an X.509 v3 certificate".into());
    }
    if cert.is_ca() {
        problems.push(
            "it is a CA certificate (basicConstraints CA:TRUE); a signer needs CA:FALSE".into(),
        );
    }
    match cert.key_usage() {
        Ok(Some(ku)) if ku.value.digital_signature() => {}
        Ok(Some(_)) => problems.push("keyUsage lacks digitalSignature".into()),
        _ => problems.push("no keyUsage extension (digitalSignature is required)".into()),
    }
    match cert.extended_key_usage() {
        Ok(Some(eku)) => {
            let oids: Vec<String> = eku.value.other.iter().map(|o| o.to_id_string()).collect();
            let known = (eku.value.email_protection && SIGNER_EKUS.contains(&"1.3.6.1.5.5.7.3.4"))
                || oids.iter().any(|o| SIGNER_EKUS.contains(&o.as_str()));
            if eku.value.any {
                problems.push(
                    "extendedKeyUsage includes anyExtendedKeyUsage, which the C2PA profile forbids"
                        .into(),
                );
            }
            if !known {
                problems.push(format!(
                    "extendedKeyUsage has none of the C2PA signer EKUs ({})",
                    SIGNER_EKUS.join(", ")
                ));
            }
        }
        _ => problems.push(
            "no extendedKeyUsage extension (documentSigning or emailProtection is required)".into(),
        ),
    }
    if !cert.validity().is_valid() {
        problems.push(format!(
            "not valid now (valid {} to {})",
            cert.validity().not_before,
            cert.validity().not_after
        ));
    }
    match KeyPair::from_pem(key_pem) {
        Ok(key) => {
            if key.public_key_der() != cert.tbs_certificate.subject_pki.raw {
                problems
                    .push("it certifies another key than the signer key in this directory".into());
            }
        }
        Err(e) => problems.push(format!("the signer key does not parse: {e}")),
    }
    problems
}

/// Paths written by [`write_key_dir`].
#[derive(Debug, Clone)]
pub struct KeyDir {
    /// The root CA certificate ([`ROOT_CERT`]).
    pub root_cert: PathBuf,
    /// The signer's certificate chain ([`CHAIN`]).
    pub chain: PathBuf,
    /// The signer's private key ([`SIGNER_KEY`]).
    pub signer_key: PathBuf,
    /// The directory of CA private keys ([`CA_DIR`]: `root.key`, `intermediate.key`).
    pub ca_dir: PathBuf,
}

impl KeyDir {
    /// The paths of a key directory at `dir` (nothing is read or written).
    pub fn at(dir: &Path) -> Self {
        Self {
            root_cert: dir.join(ROOT_CERT),
            chain: dir.join(CHAIN),
            signer_key: dir.join(SIGNER_KEY),
            ca_dir: dir.join(CA_DIR),
        }
    }
}

/// Writes credentials into `dir`: private keys mode 0600, never over an existing
/// file unless `force`.
pub fn write_key_dir(dir: &Path, creds: &Credentials, force: bool) -> Result<KeyDir, KeyError> {
    let paths = KeyDir::at(dir);
    let files: [(PathBuf, &str, bool); 5] = [
        (paths.root_cert.clone(), &creds.root_cert, false),
        (paths.chain.clone(), &creds.chain, false),
        (paths.signer_key.clone(), &creds.signer_key, true),
        (paths.ca_dir.join("root.key"), &creds.root_key, true),
        (
            paths.ca_dir.join("intermediate.key"),
            &creds.intermediate_key,
            true,
        ),
    ];
    if !force {
        if let Some((p, _, _)) = files.iter().find(|(p, _, _)| p.exists()) {
            return Err(KeyError::Exists { path: p.clone() });
        }
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| KeyError::Io { path, source }
    };
    fs::create_dir_all(&paths.ca_dir).map_err(io(&paths.ca_dir))?;
    for (path, contents, secret) in &files {
        write_file(path, contents.as_bytes(), *secret).map_err(io(path))?;
    }
    Ok(paths)
}

/// Writes a private key file, mode 0600.
pub fn write_secret(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_file(path, contents, true)
}

fn write_file(path: &Path, contents: &[u8], secret: bool) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if secret {
            options.mode(0o600);
            // An existing file keeps its mode on open; tighten it first.
            if path.exists() {
                fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}
