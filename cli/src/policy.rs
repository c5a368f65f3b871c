//! Batch policy files (TOML): what a file must show to pass. See docs/policy.md.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use provenant_core::credentials::report::CodeKind;
use provenant_core::{Report, Verdict};
use serde::Deserialize;

use crate::Policy;

/// Failure codes that `reject_blacklisted` rejects.
pub const BLACKLIST_CODES: [&str; 2] = ["device.blacklisted", "signer.blacklisted"];

/// A policy file as written. Unknown keys are an error.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// `trusted` (default) or `valid`.
    #[serde(default)]
    pub require: Policy,
    /// PEM files of trust anchors, relative to the policy file.
    #[serde(default)]
    pub trust_anchors: Vec<PathBuf>,
    /// Reject reports carrying `device.blacklisted` or `signer.blacklisted`.
    #[serde(default = "yes")]
    pub reject_blacklisted: bool,
    /// The newest step must be anchored in a finalized block (needs --chain/--rpc).
    #[serde(default)]
    pub require_anchor: bool,
    /// Accept files whose chain says generative AI made them.
    #[serde(default = "yes")]
    pub allow_ai_generated: bool,
}

fn yes() -> bool {
    true
}

impl Default for PolicyFile {
    fn default() -> Self {
        PolicyFile {
            require: Policy::Trusted,
            trust_anchors: Vec::new(),
            reject_blacklisted: true,
            require_anchor: false,
            allow_ai_generated: true,
        }
    }
}

impl PolicyFile {
    /// Reads and checks a policy file; anchor paths become relative to its folder.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read policy file {}", crate::shown(path)))?;
        let mut p: PolicyFile = toml::from_str(&text)
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

    /// Why `report` fails this policy (empty = it passes).
    pub fn reasons(&self, report: &Report) -> Vec<String> {
        let mut why = Vec::new();
        let ok = match self.require {
            Policy::Trusted => report.verdict == Verdict::Trusted,
            Policy::Valid => matches!(report.verdict, Verdict::Trusted | Verdict::Valid),
        };
        if !ok {
            let need = match self.require {
                Policy::Trusted => "trusted",
                Policy::Valid => "valid",
            };
            why.push(format!(
                "verdict {} does not meet require = \"{need}\"",
                verdict_name(report.verdict)
            ));
        }
        if self.reject_blacklisted {
            for c in &report.codes {
                if c.kind == CodeKind::Failure && BLACKLIST_CODES.contains(&c.code.as_str()) {
                    why.push(format!("{} (reject_blacklisted)", c.code));
                }
            }
        }
        if !crate::commands::verify::anchors_hold(report, false) {
            why.push("an anchor proof does not hold".into());
        } else if self.require_anchor && !crate::commands::verify::anchors_hold(report, true) {
            why.push(
                "the newest step is not anchored in a finalized block (require_anchor)".into(),
            );
        }
        if !self.allow_ai_generated && report.chain.iter().any(|s| s.ai_generated) {
            why.push("made by generative AI (allow_ai_generated = false)".into());
        }
        why
    }
}

/// The verdict as it appears in the JSON report.
pub fn verdict_name(v: Verdict) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_typos() {
        let p: PolicyFile = toml::from_str("").unwrap();
        assert_eq!(p.require, Policy::Trusted);
        assert!(p.reject_blacklisted && p.allow_ai_generated && !p.require_anchor);
        assert!(toml::from_str::<PolicyFile>("requires = \"valid\"").is_err());
    }
}
