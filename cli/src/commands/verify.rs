use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use provenant_core::verify::{verify_stream_with_digest, VerifyOptions};
use provenant_core::{Report, Verdict};

use crate::output::{open_input, stdout_style};
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
    /// What passes (exit 0): `trusted` signers only, or any cryptographically `valid` file.
    #[arg(long, value_enum)]
    pub policy: Option<Policy>,
    /// Print the JSON report instead of the tree.
    #[arg(long)]
    pub json: bool,
}

pub fn passes(policy: Policy, verdict: Verdict) -> bool {
    match policy {
        Policy::Trusted => verdict == Verdict::Trusted,
        Policy::Valid => matches!(verdict, Verdict::Trusted | Verdict::Valid),
    }
}

/// Streams the file to the validator while a second handle on it is hashed beside.
fn verify_path(path: &std::path::Path, options: &VerifyOptions) -> Result<Report> {
    let file = open_input(path)?;
    let digest = || provenant_core::hash::sha256_hex(std::fs::File::open(path)?);
    let reader = std::io::BufReader::with_capacity(256 * 1024, file);
    Ok(verify_stream_with_digest(reader, options, digest)?)
}

pub fn run(a: Args) -> Result<Exit> {
    let (cfg, _) = config::load_config()?;
    let policy = a.policy.or(cfg.policy).unwrap_or_default();
    let options = VerifyOptions {
        trust: config::trust_anchors(&a.trust, &cfg)?,
    };
    let style = stdout_style();
    let mut worst = Exit::Pass;
    let mut hinted = false;
    let many = a.files.len() > 1;
    let stdout = std::io::stdout();
    for path in &a.files {
        let report = verify_path(path, &options).with_context(|| crate::shown(path));
        let mut report: Report = match report {
            Ok(r) => r,
            Err(e) => {
                crate::output::error_line(&e);
                worst = worst.max(Exit::CouldNotRun);
                continue;
            }
        };
        report.file = Some(path.display().to_string());
        let text = if a.json {
            if many {
                serde_json::to_string(&report)?
            } else {
                report.to_json_pretty()
            }
        } else {
            render::report_text(&report, style)
        };
        let mut lock = stdout.lock();
        // A closed pipe (e.g. `| head`) is not an error worth a message.
        if writeln!(lock, "{}", text.trim_end()).is_err() {
            return Ok(worst);
        }
        if !passes(policy, report.verdict) {
            worst = worst.max(Exit::PolicyFail);
            if report.verdict == provenant_core::Verdict::Valid
                && options.trust.is_empty()
                && !hinted
            {
                hinted = true;
                eprintln!(
                    "hint: no trust anchors are configured, so no signer can be trusted; \
                     pass the signer's root with --trust ROOT.pem (or PROVENANT_TRUST, or the config file)"
                );
            }
            if !a.json {
                let _ = writeln!(
                    lock,
                    "  fails the `{}` policy\n",
                    match policy {
                        Policy::Trusted => "trusted",
                        Policy::Valid => "valid",
                    }
                );
            }
        } else if many && !a.json {
            let _ = writeln!(lock);
        }
    }
    Ok(worst)
}
