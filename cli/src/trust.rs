//! Where trust comes from: your anchors (`--trust`, `PROVENANT_TRUST`, config `trust`),
//! the C2PA trust list (built in, or the snapshot `trust update` installed in the data
//! directory; off with `--no-trust-list` or config `trust_list = false`), the allowed list
//! (`--allowed`, config `allowed`), time-stamp authorities (`--tsa-trust`, config
//! `tsa_trust`) and the allowed EKUs (`--trust-config`, config `trust_config`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use provenant_core::credentials::trust::{
    C2PA_TRUST_LIST, C2PA_TRUST_LIST_COMMIT, C2PA_TRUST_LIST_DATE, C2PA_TSA_TRUST_LIST,
};
use provenant_core::TrustAnchors;

use crate::config::Config;

/// The file names of an installed snapshot in the data directory.
pub const LIST_FILE: &str = "C2PA-TRUST-LIST.pem";
pub const TSA_LIST_FILE: &str = "C2PA-TSA-TRUST-LIST.pem";

/// Trust beyond your own anchors, as verify, batch and serve take it.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct TrustListArgs {
    /// PEM file of end-entity certificates trusted as themselves (the reference tool's
    /// allowed list); repeatable. Also config `allowed`.
    #[arg(long, value_name = "PEM")]
    pub allowed: Vec<PathBuf>,
    /// PEM file of time-stamp authority roots; repeatable. Also config `tsa_trust`.
    #[arg(long, value_name = "PEM")]
    pub tsa_trust: Vec<PathBuf>,
    /// PEM file of roots for the people who sign CAWG identity assertions beside a signer
    /// (a photographer's or an agency's CA); repeatable. Also config `identity_trust`.
    #[arg(long, value_name = "PEM")]
    pub identity_trust: Vec<PathBuf>,
    /// File of allowed extended key usages for signers, one OID per line (the reference
    /// tool's trust config). Also config `trust_config`. Default: the C2PA set.
    #[arg(long, value_name = "FILE")]
    pub trust_config: Option<PathBuf>,
    /// Do not use the C2PA trust list (built in or installed by `trust update`).
    /// Also config `trust_list = false`.
    #[arg(long)]
    pub no_trust_list: bool,
}

fn read(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

/// The C2PA trust list in use: the installed snapshot when there is one, else the built-in.
pub struct ListInUse {
    /// Signers' CAs (PEM).
    pub signers: String,
    /// TSA roots (PEM).
    pub tsas: String,
    /// Where it came from, for messages.
    pub origin: String,
}

/// The installed snapshot's folder (data directory/trust).
pub fn snapshot_dir() -> Result<PathBuf> {
    Ok(provenant_core::chronology::data_dir()?.join("trust"))
}

pub fn list_in_use() -> Result<ListInUse> {
    let dir = snapshot_dir().ok();
    if let Some(dir) = dir.filter(|d| d.join(LIST_FILE).is_file()) {
        let signers = read(&dir.join(LIST_FILE), "the installed C2PA trust list")?;
        let tsas = match dir.join(TSA_LIST_FILE) {
            p if p.is_file() => read(&p, "the installed C2PA TSA trust list")?,
            _ => C2PA_TSA_TRUST_LIST.to_owned(),
        };
        return Ok(ListInUse {
            signers,
            tsas,
            origin: format!("installed snapshot {}", dir.join(LIST_FILE).display()),
        });
    }
    Ok(ListInUse {
        signers: C2PA_TRUST_LIST.to_owned(),
        tsas: C2PA_TSA_TRUST_LIST.to_owned(),
        origin: format!(
            "built in ({C2PA_TRUST_LIST_DATE}, c2pa-org/conformance-public@{})",
            &C2PA_TRUST_LIST_COMMIT[..12]
        ),
    })
}

/// Adds the C2PA trust list (unless turned off) and everything `extra` and the config name.
pub fn add_lists(anchors: &mut TrustAnchors, extra: &TrustListArgs, cfg: &Config) -> Result<()> {
    if !extra.no_trust_list && cfg.trust_list != Some(false) {
        let list = list_in_use()?;
        anchors.add_trust_list(&format!("C2PA trust list, {}", list.origin), &list.signers)?;
        anchors.add_tsa_anchors(&format!("C2PA TSA trust list, {}", list.origin), &list.tsas)?;
    }
    for path in extra.allowed.iter().chain(&cfg.allowed) {
        anchors.add_allowed(&path.display().to_string(), &read(path, "allowed list")?)?;
    }
    for path in extra.tsa_trust.iter().chain(&cfg.tsa_trust) {
        anchors.add_tsa_anchors(&path.display().to_string(), &read(path, "TSA anchors")?)?;
    }
    for path in extra.identity_trust.iter().chain(&cfg.identity_trust) {
        anchors.add_identity_anchors(
            &path.display().to_string(),
            &read(path, "identity anchors")?,
        )?;
    }
    if let Some(path) = extra.trust_config.as_ref().or(cfg.trust_config.as_ref()) {
        let text = read(path, "trust config")?;
        let oids: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("//"))
            .collect();
        anyhow::ensure!(
            !oids.is_empty()
                && oids.iter().all(|o| o
                    .split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))),
            "trust config {}: expected one EKU OID per line (e.g. 1.3.6.1.5.5.7.3.36)",
            path.display()
        );
        anchors.set_trust_config(&oids.join("\n"));
    }
    Ok(())
}
