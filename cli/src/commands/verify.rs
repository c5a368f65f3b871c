use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use provenant_core::credentials::verify::VerifyOptions;
use provenant_core::inspect::Inspection;
use provenant_core::policy::Evaluation;
use provenant_core::{Report, Verdict};

use crate::checks::{policy_from, trust_for, Checks};
use crate::network::NetworkArgs;
use crate::output::stdout_style;
use crate::{config, render, Exit, Policy};

/// Verifies each file: C2PA validation of every step of its edit chain against the
/// trust anchors from --trust, PROVENANT_TRUST (a path list) and the config file.
///
/// Prints the verdict and the chain as a tree, or the JSON report with --json (one
/// file: a pretty object; several: one compact object per line).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 = every file meets the policy, 1 = a verdict fails it, \
    2 = could not run (the worst code wins).\n\nExamples:\n  \
    provenant verify photo.jpg --trust keys/root.pem\n  \
    provenant verify *.jpg --policy valid --json | jq .verdict"
)]
pub struct Args {
    /// Files to verify.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// PEM file of trust anchors (root certificates); repeatable.
    #[arg(long, value_name = "PEM")]
    pub trust: Vec<PathBuf>,
    /// The C2PA trust list, the allowed list, TSA anchors and allowed EKUs.
    #[command(flatten)]
    pub trust_lists: crate::trust::TrustListArgs,
    /// What passes (exit 0): `trusted` signers only, or any cryptographically `valid` file.
    #[arg(long, value_enum)]
    pub policy: Option<Policy>,
    /// Policy file (TOML, see docs/policy.md: required verdict, trust anchors, blacklist,
    /// anchors, AI-generated files), as `batch` takes it; --policy overrides its verdict.
    #[arg(long, value_name = "FILE")]
    pub policy_file: Option<PathBuf>,
    /// Print the JSON report instead of the tree.
    #[arg(long)]
    pub json: bool,
    /// Anchor proofs for the file (default: FILE.provenant-proof when it exists).
    /// Proofs of earlier steps also travel inside later manifests.
    #[arg(long, value_name = "FILE")]
    pub proof: Option<PathBuf>,
    /// Fetch missing proofs from the publisher chronology endpoints named in the
    /// manifests (needs --chain; what they serve is checked against the chain).
    #[arg(long)]
    pub fetch_proofs: bool,
    /// Development and tests: let --fetch-proofs fetch from endpoints on this machine
    /// (private, link-local and metadata addresses are refused whatever this says).
    #[arg(long)]
    pub allow_loopback_endpoints: bool,
    /// Fail (exit 1) unless the newest step is anchored in a finalized block (needs --chain).
    #[arg(long)]
    pub require_anchor: bool,
    /// Check anchors against this chain: each proof's leaf must be confirmed by the
    /// registry contract (an unreachable endpoint is exit 2).
    #[command(flatten)]
    pub chain: NetworkArgs,
    /// Registry contract you trust on that chain (also PROVENANT_REGISTRY, the config's
    /// `registries`, and any registry deployed from this machine's log). Proofs naming
    /// another contract are refused.
    #[arg(long, value_name = "ADDRESS", env = "PROVENANT_REGISTRY")]
    pub registry: Vec<String>,
    #[command(flatten)]
    pub blacklist: crate::blacklist_source::BlacklistArgs,
}

pub fn run(a: Args) -> Result<Exit> {
    let (cfg, _) = config::load_config()?;
    if a.proof.is_some() && a.files.len() > 1 {
        anyhow::bail!("--proof names the proofs of one file; give one file, or use FILE.provenant-proof sidecars");
    }
    if (a.require_anchor || a.fetch_proofs) && !a.chain.given() {
        anyhow::bail!(
            "--require-anchor and --fetch-proofs need a chain to check against: add --chain (polygon, amoy or an RPC URL) or --rpc URL"
        );
    }
    let policy = policy_from(a.policy_file.as_deref(), a.policy, a.require_anchor, &cfg)?;
    let options = VerifyOptions {
        trust: trust_for(&policy, &a.trust, &a.trust_lists, &cfg)?,
        ..Default::default()
    };
    let mut checks = Checks::load(&a.chain, &a.registry, &a.blacklist, &cfg)?;
    let mut blacklist = checks.blacklist.take();
    let anchors = checks.anchors(a.fetch_proofs, a.allow_loopback_endpoints);
    let mut out = Printer {
        json: a.json,
        many: a.files.len() > 1,
        hinted: false,
        no_trust: options.trust.is_empty(),
    };
    let mut worst = Exit::Pass;
    for path in &a.files {
        let mut inspection = Inspection {
            options: &options,
            anchors: anchors.as_ref(),
            blacklist: blacklist.as_mut(),
        };
        let report = inspection.file(path, a.proof.as_deref());
        let exit = match report.with_context(|| crate::shown(path)) {
            Ok(mut report) => {
                report.file = Some(path.display().to_string());
                let verdict = policy.policy.evaluate(&report);
                match out.print(&report, &verdict)? {
                    Some(exit) => exit,
                    None => return Ok(worst), // a closed pipe (e.g. `| head`)
                }
            }
            Err(e) => {
                crate::output::error_line(&e);
                Exit::CouldNotRun
            }
        };
        worst = worst.max(exit);
    }
    Ok(worst)
}

/// Prints reports as `verify` does: the tree (with the policy's reasons when it fails)
/// or JSON (pretty for one file, one line each for several).
struct Printer {
    json: bool,
    many: bool,
    /// The "who could vouch" hint was given.
    hinted: bool,
    /// Nothing is trusted at all (no anchors, no trust list, no allowed list).
    no_trust: bool,
}

impl Printer {
    /// The exit code for this report, or `None` when stdout is closed.
    fn print(&mut self, report: &Report, evaluation: &Evaluation) -> Result<Option<Exit>> {
        let text = if self.json {
            if self.many {
                serde_json::to_string(report)?
            } else {
                report.to_json_pretty()
            }
        } else {
            render::report_text(report, stdout_style())
        };
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        if writeln!(lock, "{}", text.trim_end()).is_err() {
            return Ok(None);
        }
        if evaluation.passed {
            if self.many && !self.json {
                let _ = writeln!(lock);
            }
            return Ok(Some(Exit::Pass));
        }
        if report.verdict == Verdict::Valid && !self.hinted {
            self.hinted = true;
            if self.no_trust {
                eprintln!(
                    "hint: no trust anchors are configured, so no signer can be trusted; \
                     pass the signer's root with --trust ROOT.pem (or PROVENANT_TRUST, or the config file)"
                );
            } else {
                eprintln!(
                    "hint: the signer is neither on the C2PA trust list nor under your trust anchors; \
                     if you know it, pass its root with --trust ROOT.pem (or PROVENANT_TRUST, or the config file)"
                );
            }
        }
        if !self.json {
            for reason in &evaluation.reasons {
                let _ = writeln!(
                    lock,
                    "  fails the policy: {}",
                    render::clean(&reason.message)
                );
            }
            let _ = writeln!(lock);
        }
        Ok(Some(Exit::PolicyFail))
    }
}
