use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use provenant_core::chronology::proof::{ProofSet, SIDECAR_SUFFIX};
use provenant_core::credentials::report::{AnchorStatus, CodeKind, CodeOrigin, StatusCode};
use provenant_core::credentials::verify::{verify_stream_with_digest, SourcedProof, VerifyOptions};
use provenant_core::{Report, Verdict};

use crate::network::NetworkArgs;

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
    /// Anchor proofs for the file (default: FILE.provenant-proof when it exists).
    /// Proofs of earlier steps also travel inside later manifests.
    #[arg(long, value_name = "FILE")]
    pub proof: Option<PathBuf>,
    /// Fetch missing proofs from the publisher chronology endpoints named in the
    /// manifests (needs --chain; what they serve is checked against the chain).
    #[arg(long)]
    pub fetch_proofs: bool,
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

/// The registries whose answers count on `chain`: flags, config, and what this
/// machine's chronology log deployed or used there.
pub fn trusted_registries(
    chain: &provenant_core::anchor::Network,
    flags: &[String],
    cfg: &config::Config,
) -> Result<Vec<provenant_core::anchor::Address>> {
    let mut out = Vec::new();
    for text in flags.iter().chain(&cfg.registries) {
        out.push(provenant_core::anchor::parse_address(text)?);
    }
    if let Ok(log) = provenant_core::chronology::Log::open_default() {
        if let Some(r) = log.registry_for(chain.chain_id())? {
            out.push(r.into());
        }
    }
    if out.is_empty() {
        eprintln!(
            "note: no registry is trusted on chain {}: anchor proofs will be refused; pass --registry ADDRESS",
            chain.chain_id()
        );
    }
    Ok(out)
}

/// Fills steps without an anchor from their publisher's endpoint. An endpoint that
/// fails is noted in the report; verification goes on.
fn fetch_missing_proofs(chain: &provenant_core::anchor::Network, report: &mut Report) {
    /// Each fetch may take the whole RPC timeout: bound how many one file can cause.
    const MAX_FETCHES: usize = 8;
    let mut fetched = Vec::new();
    let mut problems = Vec::new();
    let mut asked = std::collections::HashSet::new();
    for step in &report.chain {
        let (None, Some(endpoint), Some(id)) =
            (&step.anchor, &step.chronology_endpoint, &step.manifest_id)
        else {
            continue;
        };
        if asked.len() >= MAX_FETCHES || !asked.insert((endpoint.clone(), id.clone())) {
            continue;
        }
        match chain.fetch_proofs(endpoint, id) {
            Ok(bundles) => fetched.extend(bundles.into_iter().map(|bundle| SourcedProof {
                bundle,
                source: "endpoint",
            })),
            Err(e) => problems.push(StatusCode {
                code: "anchor.endpointUnavailable".into(),
                kind: CodeKind::Informational,
                origin: CodeOrigin::Provenant,
                step: Some(step.index),
                url: None,
                explanation: Some(e.to_string()),
            }),
        }
    }
    report.codes.extend(problems);
    provenant_core::credentials::verify::attach_proofs(report, &fetched);
}

/// Anchor failures (a proof that does not hold) fail any policy.
pub fn anchors_hold(report: &Report, require_anchor: bool) -> bool {
    let failed = report
        .codes
        .iter()
        .any(|c| c.kind == CodeKind::Failure && c.code.starts_with("anchor."));
    let newest_anchored = report
        .chain
        .first()
        .and_then(|s| s.anchor.as_ref())
        .is_some_and(|a| a.status == AnchorStatus::Anchored);
    !failed && (!require_anchor || newest_anchored)
}

/// The proofs beside a file: --proof, else FILE.provenant-proof if present. A sidecar
/// that cannot be read becomes a failure code in the report, not an abort.
fn sidecar_proofs(
    path: &std::path::Path,
    explicit: Option<&std::path::Path>,
) -> Result<(Vec<SourcedProof>, Vec<String>)> {
    let sidecar = match explicit {
        Some(p) => p.to_owned(),
        None => {
            let mut p = path.as_os_str().to_owned();
            p.push(SIDECAR_SUFFIX);
            let p = PathBuf::from(p);
            if !p.is_file() {
                return Ok((Vec::new(), Vec::new()));
            }
            p
        }
    };
    let bytes = crate::output::read_input(&sidecar)?;
    let mut problems = Vec::new();
    let bundles = match ProofSet::parse(&bytes) {
        Ok(set) => {
            let (ok, bad) = set.bundles();
            problems.extend(
                bad.into_iter()
                    .map(|(i, e)| format!("proof {i} in {}: {e}", crate::shown(&sidecar))),
            );
            ok
        }
        Err(e) => {
            problems.push(format!("{}: {e}", crate::shown(&sidecar)));
            Vec::new()
        }
    };
    Ok((
        bundles
            .into_iter()
            .map(|bundle| SourcedProof {
                bundle,
                source: "sidecar",
            })
            .collect(),
        problems,
    ))
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
    let digest = || provenant_core::credentials::hash::sha256_hex(std::fs::File::open(path)?);
    let reader = std::io::BufReader::with_capacity(256 * 1024, file);
    Ok(verify_stream_with_digest(reader, options, digest)?)
}

/// What to check a report's anchors against (`--chain`/`--rpc`).
#[derive(Debug)]
pub struct AnchorCheck<'a> {
    pub chain: &'a provenant_core::anchor::Network,
    /// Fetch missing proofs from the publishers' endpoints first.
    pub fetch_proofs: bool,
    pub registries: &'a [provenant_core::anchor::Address],
}

/// Verifies one file as `verify` does: its sidecar (or `explicit`) proofs, then the
/// anchor checks against the chain when one is given. Shared by `verify` and `batch`.
pub fn verify_file(
    path: &std::path::Path,
    explicit: Option<&std::path::Path>,
    options: &VerifyOptions,
    anchors: Option<&AnchorCheck<'_>>,
    blacklist: Option<&mut provenant_core::blacklist::Blacklist>,
) -> Result<Report> {
    let (proofs, problems) = sidecar_proofs(path, explicit)?;
    let options = VerifyOptions {
        proofs,
        ..options.clone()
    };
    let mut report = verify_path(path, &options)?;
    for p in problems {
        report.codes.push(StatusCode {
            code: provenant_core::credentials::verify::ANCHOR_MALFORMED.into(),
            kind: CodeKind::Failure,
            origin: CodeOrigin::Provenant,
            step: None,
            url: None,
            explanation: Some(p),
        });
    }
    if let Some(check) = anchors {
        if check.fetch_proofs {
            fetch_missing_proofs(check.chain, &mut report);
        }
        check.chain.check_report(&mut report, check.registries)?;
    }
    if let Some(list) = blacklist {
        list.apply(&mut report);
    }
    Ok(report)
}

pub fn run(a: Args) -> Result<Exit> {
    let (cfg, _) = config::load_config()?;
    let policy = a.policy.or(cfg.policy).unwrap_or_default();
    let options = VerifyOptions {
        trust: config::trust_anchors(&a.trust, &cfg)?,
        ..Default::default()
    };
    if a.proof.is_some() && a.files.len() > 1 {
        anyhow::bail!("--proof names the proofs of one file; give one file, or use FILE.provenant-proof sidecars");
    }
    if (a.require_anchor || a.fetch_proofs) && !a.chain.given() {
        anyhow::bail!(
            "--require-anchor and --fetch-proofs need a chain to check against: add --chain (polygon, amoy or an RPC URL) or --rpc URL"
        );
    }
    let chain = if a.chain.given() {
        Some(a.chain.connect()?)
    } else {
        None
    };
    let trusted_registries = match &chain {
        Some(chain) => trusted_registries(chain, &a.registry, &cfg)?,
        None => Vec::new(),
    };
    let mut blacklist = a.blacklist.load(
        &cfg,
        chain.as_ref().map(|c| (c, trusted_registries.as_slice())),
    )?;
    let style = stdout_style();
    let mut worst = Exit::Pass;
    let mut hinted = false;
    let many = a.files.len() > 1;
    let stdout = std::io::stdout();
    for path in &a.files {
        let anchors = chain.as_ref().map(|chain| AnchorCheck {
            chain,
            fetch_proofs: a.fetch_proofs,
            registries: &trusted_registries,
        });
        let report = verify_file(
            path,
            a.proof.as_deref(),
            &options,
            anchors.as_ref(),
            blacklist.as_mut(),
        );
        let report = report.with_context(|| crate::shown(path));
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
        if !passes(policy, report.verdict)
            || !anchors_hold(&report, a.require_anchor)
            || report.blacklisted
        {
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
                let why = if report.blacklisted {
                    "the blacklist: a camera or certificate of its chain is blacklisted"
                } else if passes(policy, report.verdict) {
                    if a.require_anchor {
                        "its anchors: the newest step must be anchored and every proof must hold"
                    } else {
                        "its anchors: every proof must hold"
                    }
                } else {
                    match policy {
                        Policy::Trusted => "the `trusted` policy",
                        Policy::Valid => "the `valid` policy",
                    }
                };
                let _ = writeln!(lock, "  fails {why}\n");
            }
        } else if many && !a.json {
            let _ = writeln!(lock);
        }
    }
    Ok(worst)
}
