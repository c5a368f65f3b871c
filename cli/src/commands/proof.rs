use std::path::PathBuf;

use anyhow::{Context, Result};
use provenant_core::chronology::proof::{ProofBundle, ProofSet, SIDECAR_SUFFIX};
use provenant_core::chronology::{Entry, Log};
use provenant_core::credentials::verify::{verify_bytes, VerifyOptions};

use crate::output::AtomicOutput;
use crate::Exit;

/// Writes the anchor proofs of a file's edit chain (from the local chronology log)
/// to a sidecar file that travels with the picture: FILE.provenant-proof.
///
/// Every step whose entry is in an anchored (or mined) batch gets its proof; readers
/// check them with `provenant verify FILE --chain …` against the registry, trusting
/// nothing but the chain.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  provenant anchor --chain amoy --key-file publisher.key --wait\n  \
    provenant proof published.jpg          # writes published.jpg.provenant-proof\n  \
    provenant verify published.jpg --chain amoy\n\n\
    Exit codes: 0 = a proof for the newest step was written, 1 = it is not anchored yet, 2 = could not run."
)]
pub struct Args {
    /// The signed picture.
    #[arg(required_unless_present = "export")]
    pub file: Option<PathBuf>,
    /// Instead: write the proof of every anchored entry of the log as
    /// DIR/proofs/<manifest id>, ready for a static web server to serve as the
    /// publisher's chronology endpoint (set `publisher_endpoint` in the config).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["file", "output"])]
    pub export: Option<PathBuf>,
    /// Where to write the proofs (default: FILE.provenant-proof).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Also print the proofs as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Writes every anchored entry's proof under `dir/proofs/`.
fn export(dir: &std::path::Path) -> Result<Exit> {
    let log = Log::open_default()?;
    let proofs = dir.join("proofs");
    std::fs::create_dir_all(&proofs)
        .with_context(|| format!("cannot create {}", crate::shown(&proofs)))?;
    let mut written = 0u64;
    for batch in log.batches()? {
        for (_, bundle) in log.batch_bundles(batch.id)? {
            let name = hex::encode(bundle.leaf.manifest_id);
            let set = ProofSet::from_bundles(&[bundle], None);
            let mut out = AtomicOutput::create(&proofs.join(name))?;
            std::io::Write::write_all(&mut out.file, set.to_json().as_bytes())?;
            out.commit()?;
            written += 1;
        }
    }
    eprintln!(
        "wrote {written} proof{} under {}",
        if written == 1 { "" } else { "s" },
        crate::shown(&proofs)
    );
    Ok(Exit::Pass)
}

pub fn run(a: Args) -> Result<Exit> {
    if let Some(dir) = &a.export {
        return export(dir);
    }
    let Some(file) = a.file.clone() else {
        anyhow::bail!("give a FILE or --export DIR");
    };
    let file_path = file;
    let bytes = crate::output::read_input(&file_path)?;
    let report = verify_bytes(&bytes, &VerifyOptions::default())
        .with_context(|| crate::shown(&file_path))?;
    if report.chain.is_empty() {
        anyhow::bail!(
            "{} has no content credentials, so no chronology entry can be matched to it (try `provenant lookup`)",
            crate::shown(&file_path)
        );
    }
    let log = Log::open_default()?;
    let mut bundles: Vec<ProofBundle> = Vec::new();
    let mut steps = Vec::new();
    for step in &report.chain {
        let entry = match step.manifest_id_bytes() {
            Some(id) => log.by_manifest_id(&id)?,
            None => None,
        };
        let (status, bundle) = step_status(&log, entry.as_ref())?;
        eprintln!(
            "step {} {}: {}",
            step.index,
            crate::render::clean(&step.manifest),
            status
        );
        steps.push(serde_json::json!({
            "index": step.index,
            "manifest": step.manifest,
            "status": status,
            "proof": bundle,
        }));
        if let Some(b) = bundle {
            bundles.push(b);
        }
    }
    let newest_anchored = steps.first().is_some_and(|s| s["status"] == "anchored");
    if !bundles.is_empty() {
        let out = a.output.clone().unwrap_or_else(|| {
            let mut p = file_path.clone().into_os_string();
            p.push(SIDECAR_SUFFIX);
            PathBuf::from(p)
        });
        write_sidecar(&out, &bundles)?;
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "file": file_path, "steps": steps })
            )?
        );
    }
    Ok(if newest_anchored {
        Exit::Pass
    } else {
        Exit::PolicyFail
    })
}

/// Where a step's log entry stands, and its proof when it is in a block.
fn step_status(log: &Log, entry: Option<&Entry>) -> Result<(&'static str, Option<ProofBundle>)> {
    Ok(match entry {
        None => ("not in this log", None),
        Some(e) => match log.bundle(e)? {
            Some(b) => {
                let state = match e.batch_id {
                    Some(id) => log.batch(id)?.map(|b| b.state),
                    None => None,
                };
                if state == Some(provenant_core::chronology::BatchState::Anchored) {
                    ("anchored", Some(b))
                } else {
                    (
                        "in a block, not final yet: run `provenant anchor` again later",
                        Some(b),
                    )
                }
            }
            None if e.batch_id.is_some() => {
                ("sealed, not yet on chain: run `provenant anchor`", None)
            }
            None => ("pending, not yet sealed: run `provenant anchor`", None),
        },
    })
}

/// Writes the proofs as one sidecar file at `out`.
fn write_sidecar(out: &std::path::Path, bundles: &[ProofBundle]) -> Result<()> {
    let set = ProofSet::from_bundles(bundles, None);
    let mut file = AtomicOutput::create(out)?;
    std::io::Write::write_all(&mut file.file, set.to_json().as_bytes())?;
    file.commit()?;
    eprintln!(
        "wrote {} proof{} to {}",
        bundles.len(),
        if bundles.len() == 1 { "" } else { "s" },
        crate::shown(out)
    );
    Ok(())
}
