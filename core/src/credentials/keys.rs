//! `keygen`: a newsroom's day-one credentials — an organisation root CA, an
//! intermediate, and an end-entity signing certificate that meets the C2PA
//! certificate profile (v3, CA:FALSE, digitalSignature, an allowed EKU, key IDs).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SignatureAlgorithm,
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
}

impl KeyAlg {
    fn rcgen(self) -> &'static SignatureAlgorithm {
        match self {
            Self::Ed25519 => &rcgen::PKCS_ED25519,
            Self::Es256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        }
    }
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
    let alg = opts.alg.rcgen();
    // Back-date a little so a verifier with a slow clock accepts fresh signatures.
    let now = OffsetDateTime::now_utc() - Duration::hours(1);
    let days = Duration::days(opts.validity_days.max(1));

    let root_key = KeyPair::generate_for(alg)?;
    let mut root = CertificateParams::default();
    root.distinguished_name = name(&opts.org, &format!("{} Root CA", opts.org));
    root.is_ca = IsCa::Ca(BasicConstraints::Constrained(1));
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    root.not_before = now;
    root.not_after = now + days * 10;
    let root_cert = root.self_signed(&root_key)?;

    let int_key = KeyPair::generate_for(alg)?;
    let mut int = CertificateParams::default();
    int.distinguished_name = name(&opts.org, &format!("{} Signing CA", opts.org));
    int.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    int.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    int.use_authority_key_identifier_extension = true;
    int.not_before = now;
    int.not_after = now + days * 5;
    let int_cert = int.signed_by(&int_key, &root_cert, &root_key)?;

    let ee_key = KeyPair::generate_for(alg)?;
    let mut ee = CertificateParams::default();
    ee.distinguished_name = name(&opts.org, &format!("{} Content Signer", opts.org));
    ee.is_ca = IsCa::ExplicitNoCa;
    ee.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    ee.extended_key_usages = vec![
        // id-kp-documentSigning, which the C2PA profile lists, and emailProtection
        // for verifiers that only know the older list.
        ExtendedKeyUsagePurpose::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 36]),
        ExtendedKeyUsagePurpose::EmailProtection,
    ];
    ee.use_authority_key_identifier_extension = true;
    ee.not_before = now;
    ee.not_after = now + days;
    let ee_cert = ee.signed_by(&ee_key, &int_cert, &int_key)?;

    Ok(Credentials {
        root_cert: root_cert.pem(),
        root_key: root_key.serialize_pem(),
        intermediate_key: int_key.serialize_pem(),
        chain: format!("{}{}", ee_cert.pem(), int_cert.pem()),
        signer_key: ee_key.serialize_pem(),
    })
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
