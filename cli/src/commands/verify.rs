use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use provenant_core::blacklist::Blacklist;
use provenant_core::credentials::verify::{
    crjson_stream, remote_manifest_url, verify_fragmented, VerifyOptions,
};
use provenant_core::inspect::{AnchorCheck, Inspection};
use provenant_core::policy::Evaluation;
use provenant_core::{Report, Verdict};

use crate::checks::{policy_from, trust_for, Checks};
use crate::network::NetworkArgs;
use crate::output::stdout_style;
use crate::{config, render, Exit, Policy};

#[path = "verify_sources.rs"]
mod sources;

/// How reports are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// The verdict and the chain as a tree.
    Text,
    /// The JSON report (docs/report.schema.json).
    Json,
    /// The C2PA SDK's crJSON of the manifest store (validation results included).
    Crjson,
}

/// Verifies each file: C2PA validation of every step of its edit chain against the
/// trust anchors from --trust, PROVENANT_TRUST (a path list) and the config file.
///
/// Prints the verdict and the chain as a tree, or the JSON report with --json (one
/// file: a pretty object; several: one compact object per line), or crJSON.
///
/// Reads every format the C2PA SDK reads, recognised by content: JPEG, PNG, WebP, GIF,
/// TIFF/DNG, HEIC/HEIF/AVIF, JPEG XL, MP4/MOV/M4A (fragmented MP4 with --fragments),
/// WAV, AVI, MP3, FLAC, SVG, PDF and bare `.c2pa` manifest stores. A file without an
/// embedded manifest is checked against its sidecar (`NAME.c2pa` or `NAME.EXT.c2pa`
/// beside it, or --manifest); a manifest stored at a URL is reported as
/// `not_checked` with the `manifest.remote` code unless --fetch-remote fetches it.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 = every file meets the policy, 1 = a verdict fails it, \
    2 = could not run (the worst code wins).\n\nExamples:\n  \
    provenant verify photo.jpg --trust keys/root.pem\n  \
    provenant verify *.jpg --policy valid --json | jq .verdict\n  \
    provenant verify init.mp4 --fragments 'seg*.m4s'\n  \
    provenant verify song.mp3 --manifest song.c2pa --format crjson"
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
    /// Also decode the pixels and compare them with the manifest's soft binding (its ISCC
    /// code): `softBinding.match` or `softBinding.mismatch` (never fatal). Costs a picture
    /// decode per file.
    #[arg(long)]
    pub check_soft_binding: bool,
    /// What passes (exit 0): `trusted` signers only, or any cryptographically `valid` file.
    #[arg(long, value_enum)]
    pub policy: Option<Policy>,
    /// Policy file (TOML, see docs/policy.md: required verdict, trust anchors, blacklist,
    /// anchors, AI-generated files), as `batch` takes it; --policy overrides its verdict.
    #[arg(long, value_name = "FILE")]
    pub policy_file: Option<PathBuf>,
    /// Print the JSON report instead of the tree (same as --format json).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Output: `text` (the tree), `json` (the report) or `crjson` (the SDK's crJSON).
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
    /// Check the file against this manifest store (`.c2pa`) instead of any manifest the
    /// file carries or names (default for a file without one: a sidecar beside it).
    #[arg(long, value_name = "FILE.c2pa")]
    pub manifest: Option<PathBuf>,
    /// The fragments of a fragmented MP4 whose initialization segment is FILE: paths,
    /// or a file name pattern with `*`/`?` (quote it), e.g. 'seg*.m4s'; repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub fragments: Vec<PathBuf>,
    /// Fetch a manifest the file names by URL and check it (https only, public addresses
    /// only, no redirects, at most 32 MiB, 20 s). Without it such files are `not_checked`.
    #[arg(long)]
    pub fetch_remote: bool,
    /// Save what the manifest store carries into DIR (created; must be empty): the store
    /// (`manifest_store.c2pa`), the SDK's JSON of it (`manifest_store.json`), this report
    /// (`report.json`) and the thumbnail of every step and ingredient
    /// (`step-0.thumbnail.jpg`, `step-1.ingredient-0.thumbnail.jpg`, …). One file.
    #[arg(long, value_name = "DIR")]
    pub extract: Option<PathBuf>,
    /// Development and tests only: let --fetch-remote fetch from this machine.
    #[arg(long, hide = true)]
    pub allow_loopback_fetch: bool,
    /// Tests only: trust only these PEM certificates for --fetch-remote's server.
    #[arg(long, hide = true, value_name = "PEM")]
    pub fetch_roots: Option<PathBuf>,
    /// Tests only: HOST=ADDRESS:PORT, look HOST up as ADDRESS (the address filter still applies).
    #[arg(long, hide = true, value_name = "RULE")]
    pub fetch_resolve: Option<String>,
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
    let single =
        a.proof.is_some() || a.manifest.is_some() || !a.fragments.is_empty() || a.extract.is_some();
    if single && a.files.len() > 1 {
        anyhow::bail!(
            "--proof, --manifest, --fragments and --extract apply to one file; give one file"
        );
    }
    if a.extract.is_some() && !a.fragments.is_empty() {
        anyhow::bail!("--extract is not available with --fragments");
    }
    if let Some(dir) = &a.extract {
        sources::prepare_extract_dir(dir)?;
    }
    let format = match (a.json, a.format) {
        (true, _) => OutputFormat::Json,
        (false, f) => f.unwrap_or(OutputFormat::Text),
    };
    if format == OutputFormat::Crjson && !a.fragments.is_empty() {
        anyhow::bail!("--format crjson is not available with --fragments");
    }
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
        check_soft_binding: a.check_soft_binding,
        ..Default::default()
    };
    let mut checks = Checks::load(&a.chain, &a.registry, &a.blacklist, &cfg)?;
    let mut blacklist = checks.blacklist.take();
    let anchors = checks.anchors(a.fetch_proofs, a.allow_loopback_endpoints);
    let mut out = Printer {
        format,
        many: a.files.len() > 1,
        hinted: false,
        no_trust: options.trust.is_empty(),
    };
    let mut worst = Exit::Pass;
    for path in &a.files {
        let checked = check_file(
            &a,
            path,
            &options,
            anchors.as_ref(),
            blacklist.as_mut(),
            format,
        );
        let exit = match checked.with_context(|| crate::shown(path)) {
            Ok((mut report, crjson)) => {
                report.file = Some(path.display().to_string());
                let verdict = policy.policy.evaluate(&report);
                match out.print(&report, &verdict, crjson.as_deref())? {
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

/// One file's report (with its crJSON when asked): the manifest it carries, else its
/// sidecar; its fragments; its remote manifest when --fetch-remote.
fn check_file(
    a: &Args,
    path: &Path,
    options: &VerifyOptions,
    anchors: Option<&AnchorCheck<'_>>,
    mut blacklist: Option<&mut Blacklist>,
    format: OutputFormat,
) -> Result<(provenant_core::Report, Option<String>)> {
    let mut options = options.clone();
    if let Some(manifest) = &a.manifest {
        options.manifest = Some(sources::read_sidecar(manifest)?);
    }
    let mut inspection = Inspection {
        options: &options,
        anchors,
        blacklist: blacklist.as_deref_mut(),
    };
    let mut report = if a.fragments.is_empty() {
        inspection.file(path, a.proof.as_deref())?
    } else {
        let init = crate::output::open_input(path)?;
        let mut fragments = Vec::new();
        for pattern in &a.fragments {
            for file in sources::fragment_files(pattern)? {
                fragments.push(crate::output::open_input(&file)?);
            }
        }
        let mut report = verify_fragmented(std::io::BufReader::new(init), fragments, &options)?;
        inspection.complete(&mut report)?;
        report
    };
    let sidecar = (options.manifest.is_none() && report.verdict == Verdict::NoManifest)
        .then(|| sources::sidecar_beside(path))
        .flatten();
    let remote = remote_manifest_url(&report).map(str::to_owned);
    let refetch = if let Some(sidecar) = sidecar {
        Some(sources::read_sidecar(&sidecar)?)
    } else if let (Some(url), true) = (remote, a.fetch_remote) {
        let dev = sources::FetchDev {
            allow_loopback: a.allow_loopback_fetch,
            roots: a.fetch_roots.as_deref(),
            resolve: a.fetch_resolve.as_deref(),
        };
        Some(sources::fetch_remote(&url, &dev)?)
    } else {
        None
    };
    if let Some(external) = refetch {
        options.manifest = Some(external);
        let mut inspection = Inspection {
            options: &options,
            anchors,
            blacklist,
        };
        report = inspection.file(path, a.proof.as_deref())?;
    }
    if let Some(dir) = &a.extract {
        report.file = Some(path.display().to_string());
        sources::extract_to(dir, path, &report, &options)?;
    }
    let crjson = match format {
        OutputFormat::Crjson => crjson_stream(
            std::io::BufReader::new(crate::output::open_input(path)?),
            &options,
        )?,
        _ => None,
    };
    Ok((report, crjson))
}

/// Prints reports as `verify` does: the tree (with the policy's reasons when it fails)
/// or JSON (pretty for one file, one line each for several).
struct Printer {
    format: OutputFormat,
    many: bool,
    /// The "who could vouch" hint was given.
    hinted: bool,
    /// Nothing is trusted at all (no anchors, no trust list, no allowed list).
    no_trust: bool,
}

impl Printer {
    /// The exit code for this report, or `None` when stdout is closed.
    fn print(
        &mut self,
        report: &Report,
        evaluation: &Evaluation,
        crjson: Option<&str>,
    ) -> Result<Option<Exit>> {
        let text = match self.format {
            OutputFormat::Json if self.many => serde_json::to_string(report)?,
            OutputFormat::Json => report.to_json_pretty(),
            OutputFormat::Text => render::report_text(report, stdout_style()),
            OutputFormat::Crjson => match crjson {
                Some(crjson) if self.many => {
                    serde_json::to_string(&serde_json::from_str::<serde_json::Value>(crjson)?)?
                }
                Some(crjson) => crjson.to_owned(),
                None => {
                    eprintln!(
                        "{}: no manifest to show as crJSON (verdict {})",
                        report
                            .file
                            .as_deref()
                            .map(render::clean)
                            .unwrap_or_default(),
                        report.verdict.as_str()
                    );
                    String::new()
                }
            },
        };
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        if !text.is_empty() && writeln!(lock, "{}", text.trim_end()).is_err() {
            return Ok(None);
        }
        if evaluation.passed {
            if self.many && self.format == OutputFormat::Text {
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
        if self.format == OutputFormat::Text {
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
