use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::ValueEnum;
use provenant_core::credentials::keys::{self, KeyAlg, KeygenOptions};

use crate::Exit;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AlgArg {
    Ed25519,
    Es256,
    Es384,
    Ps256,
}

impl From<AlgArg> for KeyAlg {
    fn from(a: AlgArg) -> Self {
        match a {
            AlgArg::Ed25519 => KeyAlg::Ed25519,
            AlgArg::Es256 => KeyAlg::Es256,
            AlgArg::Es384 => KeyAlg::Es384,
            AlgArg::Ps256 => KeyAlg::Ps256,
        }
    }
}

/// Writes DIR/root.pem (hand it to verifiers), DIR/chain.pem (signer + intermediate),
/// DIR/signer.key (0600) and the CA keys in DIR/ca/ (0600; move them offline).
///
/// For a certificate the world trusts: `--csr` writes DIR/signer.key and DIR/signer.csr
/// (a request meeting the C2PA certificate profile) for a CA on the C2PA trust list;
/// `--import CERT` then checks the certificate it issued against the profile and the key
/// and installs it as DIR/chain.pem.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    provenant keygen --out keys --org \"Daily Planet\"\n  \
    provenant keygen --out keys --org \"Daily Planet\" --alg es384 --csr\n  \
    provenant keygen --out keys --import issued-chain.pem")]
pub struct Args {
    /// Directory to write the credentials to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Organisation name written into the certificates.
    #[arg(long, value_name = "NAME", default_value = "Example Newsroom")]
    pub org: String,
    /// Signature algorithm.
    #[arg(long, value_enum, default_value = "ed25519")]
    pub alg: AlgArg,
    /// Validity of the signing certificate in days.
    #[arg(long, value_name = "DAYS", default_value_t = 730)]
    pub days: i64,
    /// Only a signing key and a certificate signing request (DIR/signer.csr) for a CA.
    #[arg(long, conflicts_with = "import")]
    pub csr: bool,
    /// Check a certificate chain issued for DIR/signer.key (signer first, PEM) and
    /// install it as DIR/chain.pem.
    #[arg(long, value_name = "CERT")]
    pub import: Option<PathBuf>,
    /// Overwrite existing credentials in DIR.
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: Args) -> Result<Exit> {
    if a.csr {
        return csr(&a);
    }
    if let Some(cert) = &a.import {
        return import(&a, cert);
    }
    let opts = KeygenOptions {
        org: a.org,
        alg: a.alg.into(),
        validity_days: a.days,
    };
    let creds = keys::generate(&opts)?;
    let paths = keys::write_key_dir(&a.out, &creds, a.force)?;
    let ca_dir = format!("{}/", crate::shown(&paths.ca_dir));
    for (path, what) in [
        (
            crate::shown(&paths.root_cert),
            "trust anchor: give this to verifiers",
        ),
        (
            crate::shown(&paths.chain),
            "signer certificate + intermediate",
        ),
        (crate::shown(&paths.signer_key), "private key, mode 0600"),
        (ca_dir, "CA private keys, mode 0600: move them offline"),
    ] {
        eprintln!("wrote {path}  ({what})");
    }
    Ok(Exit::Pass)
}

fn csr(a: &Args) -> Result<Exit> {
    let key_path = a.out.join(keys::SIGNER_KEY);
    let csr_path = a.out.join("signer.csr");
    for p in [&key_path, &csr_path] {
        anyhow::ensure!(
            a.force || !p.exists(),
            "{} already exists (--force overwrites it)",
            crate::shown(p)
        );
    }
    let (request, key) = keys::signing_request(&a.org, a.alg.into())?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", crate::shown(&a.out)))?;
    keys::write_secret(&key_path, key.as_bytes())
        .with_context(|| format!("cannot write {}", crate::shown(&key_path)))?;
    std::fs::write(&csr_path, request)
        .with_context(|| format!("cannot write {}", crate::shown(&csr_path)))?;
    eprintln!(
        "wrote {}  (private key, mode 0600)\nwrote {}  (certificate signing request: send it to a CA on the C2PA trust list)\nthen: provenant keygen --out {} --import ISSUED-CHAIN.pem",
        crate::shown(&key_path),
        crate::shown(&csr_path),
        crate::shown(&a.out)
    );
    Ok(Exit::Pass)
}

fn import(a: &Args, cert: &std::path::Path) -> Result<Exit> {
    let key_path = a.out.join(keys::SIGNER_KEY);
    let chain_path = a.out.join(keys::CHAIN);
    let key = std::fs::read_to_string(&key_path).with_context(|| {
        format!(
            "cannot read {} (make it with `keygen --csr`)",
            crate::shown(&key_path)
        )
    })?;
    let chain = std::fs::read_to_string(cert)
        .with_context(|| format!("cannot read {}", crate::shown(cert)))?;
    let problems = keys::check_issued(&chain, &key);
    if !problems.is_empty() {
        anyhow::bail!(
            "{} does not meet the C2PA signer profile: {}",
            crate::shown(cert),
            problems.join("; ")
        );
    }
    anyhow::ensure!(
        a.force || !chain_path.exists(),
        "{} already exists (--force overwrites it)",
        crate::shown(&chain_path)
    );
    std::fs::write(&chain_path, chain)
        .with_context(|| format!("cannot write {}", crate::shown(&chain_path)))?;
    eprintln!(
        "{} meets the C2PA signer profile and certifies {}; installed as {}",
        crate::shown(cert),
        crate::shown(&key_path),
        crate::shown(&chain_path)
    );
    Ok(Exit::Pass)
}
