//! The one verification policy: what a report must show to pass.
//!
//! `verify`, `batch`, `serve` and the browser build a [`Policy`] from their own options
//! (flags, a policy file, a query string, the page's settings) and call
//! [`Policy::evaluate`], so they can never disagree about a file. A verdict stays data:
//! the policy only says whether it is good enough here, and why not.

use serde::{Deserialize, Serialize};

use crate::credentials::report::{AnchorStatus, CodeKind, Report, Verdict};

/// Failure codes that mean a blacklisted camera or signer certificate.
pub const BLACKLIST_CODES: [&str; 2] = ["device.blacklisted", "signer.blacklisted"];

/// The least verdict that passes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Requirement {
    /// Every signer of the chain chains to a trust anchor (the default).
    #[default]
    Trusted,
    /// Cryptographically intact is enough, whoever signed.
    Valid,
}

impl Requirement {
    /// The name used in flags, files and reasons.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trusted => "trusted",
            Self::Valid => "valid",
        }
    }

    fn met_by(self, verdict: Verdict) -> bool {
        match self {
            Self::Trusted => verdict == Verdict::Trusted,
            Self::Valid => matches!(verdict, Verdict::Trusted | Verdict::Valid),
        }
    }
}

/// What a file must show to pass. An anchor proof that does not hold fails every policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The least verdict that passes.
    #[serde(default)]
    pub require: Requirement,
    /// Fail files whose camera or signer certificate is on a blacklist the caller applied.
    #[serde(default = "yes")]
    pub reject_blacklisted: bool,
    /// The newest step must be anchored in a finalized block.
    #[serde(default)]
    pub require_anchor: bool,
    /// Accept files whose chain says generative AI made them.
    #[serde(default = "yes")]
    pub allow_ai_generated: bool,
}

fn yes() -> bool {
    true
}

impl Default for Policy {
    fn default() -> Self {
        Self::requiring(Requirement::Trusted)
    }
}

/// Why a report fails a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// Stable name of the rule that failed: `policy.verdict`, `policy.blacklisted`,
    /// `policy.anchorFailed`, `policy.notAnchored` or `policy.aiGenerated`.
    pub rule: String,
    /// The reason in words.
    pub message: String,
}

/// The outcome of [`Policy::evaluate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// True when no rule failed.
    pub passed: bool,
    /// Every rule that failed, in a fixed order.
    pub reasons: Vec<Reason>,
}

impl Evaluation {
    /// The reasons in words.
    pub fn messages(&self) -> Vec<String> {
        self.reasons.iter().map(|r| r.message.clone()).collect()
    }
}

impl Policy {
    /// The default policy with another required verdict.
    pub fn requiring(require: Requirement) -> Self {
        Self {
            require,
            reject_blacklisted: true,
            require_anchor: false,
            allow_ai_generated: true,
        }
    }

    /// Evaluates `report` against this policy.
    pub fn evaluate(&self, report: &Report) -> Evaluation {
        let mut reasons = Vec::new();
        let mut fail = |rule: &str, message: String| {
            reasons.push(Reason {
                rule: rule.to_owned(),
                message,
            })
        };
        if !self.require.met_by(report.verdict) {
            fail(
                "policy.verdict",
                format!(
                    "verdict {} does not meet require = \"{}\"",
                    report.verdict.as_str(),
                    self.require.as_str()
                ),
            );
        }
        if self.reject_blacklisted {
            let mut listed: Vec<&str> = report
                .codes
                .iter()
                .filter(|c| c.kind == CodeKind::Failure && BLACKLIST_CODES.contains(&&*c.code))
                .map(|c| c.code.as_str())
                .collect();
            if listed.is_empty() && report.blacklisted {
                listed.push("blacklisted");
            }
            for code in listed {
                fail("policy.blacklisted", format!("{code} (reject_blacklisted)"));
            }
        }
        let anchor_failed = report
            .codes
            .iter()
            .any(|c| c.kind == CodeKind::Failure && c.code.starts_with("anchor."));
        if anchor_failed {
            fail(
                "policy.anchorFailed",
                "an anchor proof does not hold".into(),
            );
        } else if self.require_anchor && !newest_step_anchored(report) {
            fail(
                "policy.notAnchored",
                "the newest step is not anchored in a finalized block (require_anchor)".into(),
            );
        }
        if !self.allow_ai_generated && report.chain.iter().any(|s| s.ai_generated) {
            fail(
                "policy.aiGenerated",
                "made by generative AI (allow_ai_generated = false)".into(),
            );
        }
        Evaluation {
            passed: reasons.is_empty(),
            reasons,
        }
    }
}

fn newest_step_anchored(report: &Report) -> bool {
    report
        .chain
        .first()
        .and_then(|s| s.anchor.as_ref())
        .is_some_and(|a| a.status == AnchorStatus::Anchored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_typos() {
        let p: Policy = serde_json::from_str("{}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p, Policy::default());
        assert!(p.reject_blacklisted && p.allow_ai_generated && !p.require_anchor);
        assert!(serde_json::from_str::<Policy>(r#"{"requires": "valid"}"#).is_err());
    }

    #[test]
    fn verdicts_against_requirements() {
        let mut report = Report {
            report_version: 1,
            verdict: Verdict::Valid,
            file: None,
            format: "image/jpeg".into(),
            sha256: String::new(),
            size: 0,
            codes: Vec::new(),
            chain: Vec::new(),
            blacklisted: false,
            blacklist_source: None,
            soft_binding: None,
        };
        assert!(!Policy::default().evaluate(&report).passed);
        let valid = Policy::requiring(Requirement::Valid);
        assert!(valid.evaluate(&report).passed);
        report.verdict = Verdict::NoManifest;
        let e = valid.evaluate(&report);
        assert_eq!(e.reasons.len(), 1);
        assert_eq!(e.reasons[0].rule, "policy.verdict");
        report.verdict = Verdict::Trusted;
        report.blacklisted = true;
        assert_eq!(
            Policy::default().evaluate(&report).reasons[0].rule,
            "policy.blacklisted"
        );
        let lenient = Policy {
            reject_blacklisted: false,
            ..Policy::default()
        };
        assert!(lenient.evaluate(&report).passed);
    }
}
