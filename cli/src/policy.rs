//! Batch policy files (TOML): what a file must show to pass. See docs/policy.md.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use provenant_core::policy::Requirement;
use serde::Deserialize;

use crate::Policy;

/// A policy file as written: the core policy's fields plus the trust anchors it
/// allows. Unknown keys are an error.
#[derive(Debug, Clone, Default)]
pub struct PolicyFile {
    /// PEM files of trust anchors, relative to the policy file.
    pub trust_anchors: Vec<PathBuf>,
    /// What passes.
    pub policy: provenant_core::policy::Policy,
}

#[derive(Deserialize)]
struct Anchors {
    #[serde(default)]
    trust_anchors: Vec<PathBuf>,
}

impl PolicyFile {
    /// Parses the TOML text of a policy file.
    pub fn parse(text: &str) -> Result<Self> {
        let mut table: toml::Table = toml::from_str(text)?;
        let anchors = table.remove("trust_anchors");
        let policy = table.try_into()?;
        let trust_anchors = match anchors {
            Some(v) => {
                toml::Table::from_iter([("trust_anchors".to_owned(), v)])
                    .try_into::<Anchors>()?
                    .trust_anchors
            }
            None => Vec::new(),
        };
        Ok(Self {
            trust_anchors,
            policy,
        })
    }
}

impl PolicyFile {
    /// Reads and checks a policy file; anchor paths become relative to its folder.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read policy file {}", crate::shown(path)))?;
        let mut p = PolicyFile::parse(&text)
            .map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))
            .with_context(|| format!("bad policy file {}", crate::shown(path)))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for a in &mut p.trust_anchors {
            if a.is_relative() {
                *a = base.join(&*a);
            }
        }
        Ok(p)
    }
}

impl From<Policy> for Requirement {
    fn from(p: Policy) -> Self {
        match p {
            Policy::Trusted => Requirement::Trusted,
            Policy::Valid => Requirement::Valid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_typos() {
        let p = PolicyFile::parse("").unwrap();
        assert_eq!(p.policy, provenant_core::policy::Policy::default());
        assert!(p.trust_anchors.is_empty());
        assert!(PolicyFile::parse("requires = \"valid\"").is_err());
        let p = PolicyFile::parse("require = \"valid\"\nrequire_anchor = true").unwrap();
        assert_eq!(p.policy.require, Requirement::Valid);
        assert!(p.policy.require_anchor);
    }
}
