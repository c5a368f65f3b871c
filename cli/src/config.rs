//! Where trust anchors and the default policy come from: `--trust` flags, the
//! `PROVENANT_TRUST` path list, and the config file (`PROVENANT_CONFIG`, else
//! `$XDG_CONFIG_HOME/provenant/config.toml`, else `~/.config/provenant/config.toml`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use provenant_core::TrustAnchors;
use serde::Deserialize;

use crate::Policy;

/// The config file's contents.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Trust-anchor PEM files; relative paths are relative to the config file.
    #[serde(default)]
    pub trust: Vec<PathBuf>,
    /// End-entity certificates trusted as themselves (PEM files).
    #[serde(default)]
    pub allowed: Vec<PathBuf>,
    /// Time-stamp authority roots (PEM files).
    #[serde(default)]
    pub tsa_trust: Vec<PathBuf>,
    /// Roots for the people who sign CAWG identity assertions (PEM files).
    #[serde(default)]
    pub identity_trust: Vec<PathBuf>,
    /// Allowed signer EKUs, one OID per line.
    pub trust_config: Option<PathBuf>,
    /// `false` turns the C2PA trust list off (default: on).
    pub trust_list: Option<bool>,
    pub policy: Option<Policy>,
    /// The publisher's chronology endpoint, written into every manifest signed here.
    pub publisher_endpoint: Option<String>,
    /// RFC 3161 time-stamp authority (http:// or https:// URL) that `sign` and `edit`
    /// ask for a time-stamp on every new manifest; `--tsa` overrides it.
    pub tsa_url: Option<String>,
    /// Extra TLS roots (PEM, relative to the config file) for an https:// TSA;
    /// `--tsa-ca` overrides it.
    pub tsa_ca: Option<PathBuf>,
    /// The PKCS#11 module `sign` and `edit` load for a `pkcs11:` key (relative to the
    /// config file); `--pkcs11-module` and `PROVENANT_PKCS11_MODULE` override it.
    pub pkcs11_module: Option<PathBuf>,
    /// Registry contracts whose anchors `verify --chain` accepts (addresses).
    #[serde(default)]
    pub registries: Vec<String>,
    /// Blacklist snapshot file `verify` checks against (relative to the config file).
    pub blacklist: Option<PathBuf>,
    /// Snapshot signing keys trusted (hex Ed25519 public keys).
    #[serde(default)]
    pub blacklist_keys: Vec<String>,
    /// Curator sets whose registry entries are honoured.
    #[serde(default)]
    pub curator_sets: Vec<u32>,
    /// SHA-256 hashes (hex) of the bearer tokens `serve` accepts from writers.
    #[serde(default)]
    pub writer_tokens: Vec<String>,
}

pub fn config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PROVENANT_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("provenant").join("config.toml"))
}

/// Loads the config file if there is one. An explicitly named file must exist.
pub fn load_config() -> Result<(Config, Option<PathBuf>)> {
    let explicit = std::env::var_os("PROVENANT_CONFIG").is_some();
    let Some(path) = config_path() else {
        return Ok((Config::default(), None));
    };
    if !explicit && !path.exists() {
        return Ok((Config::default(), None));
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    let mut config: Config = toml::from_str(&text)
        .with_context(|| format!("config file {} is not valid", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    for t in config
        .trust
        .iter_mut()
        .chain(config.blacklist.as_mut())
        .chain(config.allowed.iter_mut())
        .chain(config.tsa_trust.iter_mut())
        .chain(config.identity_trust.iter_mut())
        .chain(config.trust_config.as_mut())
        .chain(config.pkcs11_module.as_mut())
        .chain(config.tsa_ca.as_mut())
    {
        if t.is_relative() {
            *t = dir.join(&*t);
        }
    }
    Ok((config, Some(path)))
}

/// Collects trust anchors from flags, the environment and the config file.
pub fn trust_anchors(flags: &[PathBuf], config: &Config) -> Result<TrustAnchors> {
    let mut anchors = TrustAnchors::none();
    let env_paths: Vec<PathBuf> = std::env::var_os("PROVENANT_TRUST")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    for path in flags.iter().chain(&env_paths).chain(&config.trust) {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read trust anchors {}", path.display()))?;
        anchors.add_pem(&path.display().to_string(), &pem)?;
    }
    Ok(anchors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_parses_and_rejects_typos() {
        let c: Config = toml::from_str("trust = [\"a.pem\"]\npolicy = \"valid\"\n").unwrap();
        assert_eq!(c.trust, [PathBuf::from("a.pem")]);
        assert_eq!(c.policy, Some(Policy::Valid));
        assert!(toml::from_str::<Config>("trusts = []").is_err());
        assert!(toml::from_str::<Config>("policy = \"sometimes\"").is_err());
    }
}
