use std::path::PathBuf;

use anyhow::Result;
use clap::ValueEnum;
use provenant_core::credentials::keys::{self, KeyAlg, KeygenOptions};

use crate::Exit;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AlgArg {
    Ed25519,
    Es256,
}

/// Writes DIR/root.pem (hand it to verifiers), DIR/chain.pem (signer + intermediate),
/// DIR/signer.key (0600) and the CA keys in DIR/ca/ (0600; move them offline).
#[derive(Debug, clap::Args)]
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
    /// Overwrite existing credentials in DIR.
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: Args) -> Result<Exit> {
    let opts = KeygenOptions {
        org: a.org,
        alg: match a.alg {
            AlgArg::Ed25519 => KeyAlg::Ed25519,
            AlgArg::Es256 => KeyAlg::Es256,
        },
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
