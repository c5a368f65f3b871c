//! How sign and edit use the chronology log: record what they wrote, and carry the
//! anchor proofs of earlier steps forward into the new manifest.

use std::path::Path;

use anyhow::{Context, Result};
use provenant_core::chronology::proof::{ProofBundle, ProofSet};
use provenant_core::chronology::Log;
use provenant_core::Report;

use crate::output::AtomicOutput;

/// Options shared by `sign` and `edit`.
#[derive(Debug, Clone, clap::Args)]
pub struct LogArgs {
    /// Do not record the signed file in the chronology log.
    #[arg(long)]
    pub no_log: bool,
    /// Where the picture is (or will be) published, recorded in the log.
    #[arg(long, value_name = "URL")]
    pub published_at: Option<String>,
}

/// Logs the signed file about to be committed to `path` (its bytes are still in the
/// temporary output), so a crash between the two leaves at worst an entry whose file
/// was never renamed into place, never a signed file that is not logged.
pub fn record(out: &mut AtomicOutput, path: &Path, args: &LogArgs) -> Result<()> {
    record_decoded(out, path, args, None, None)
}

/// As [`record`], with the bytes just written when the caller still has them (else they
/// are read back) and the picture's fingerprints when the caller already has them.
pub fn record_decoded(
    out: &mut AtomicOutput,
    path: &Path,
    args: &LogArgs,
    written: Option<&[u8]>,
    decoded: Option<&provenant_core::chronology::log_fingerprints::PictureFingerprints>,
) -> Result<()> {
    add_entry(path, args, "", |location| {
        let read_back;
        let bytes = match written {
            Some(bytes) => bytes,
            None => {
                read_back = out.written()?;
                &read_back[..]
            }
        };
        let entry = provenant_core::inspect::log_entry_of(
            bytes,
            location,
            args.published_at.clone(),
            Default::default(),
            decoded,
        )?;
        // The manifest store too, for the Soft Binding Resolution API's /manifests.
        Ok((
            entry,
            provenant_core::chronology::lookup::manifest_store_of(bytes),
        ))
    })
}

/// As [`record`], for media whose pixels are not fingerprinted (video, audio, PDF, GIF,
/// TIFF, HEIC, SVG…): read back as a stream, never whole, and found later by its hash and
/// its manifests only.
pub fn record_media(out: &mut AtomicOutput, path: &Path, args: &LogArgs) -> Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    let note = "no fingerprint for this format: found by its hash and manifests; ";
    add_entry(path, args, note, |location| {
        out.file.flush()?;
        let at = out.file.stream_position()?;
        out.file.seek(SeekFrom::Start(0))?;
        let entry = provenant_core::inspect::media_log_entry_of(
            std::io::BufReader::new(&out.file),
            location,
            args.published_at.clone(),
        )?;
        out.file.seek(SeekFrom::Start(0))?;
        let store = provenant_core::credentials::verify::probe_format(&mut out.file)
            .ok()
            .and_then(|format| {
                provenant_core::credentials::extract::embedded_store(&mut out.file, format)
            });
        out.file.seek(SeekFrom::Start(at))?;
        Ok((entry, store))
    })
}

/// Adds the entry `make` builds (given the file's absolute location) with its manifest
/// store to the log, and says so; a failure names the file and stops the signing.
fn add_entry(
    path: &Path,
    args: &LogArgs,
    note: &str,
    make: impl FnOnce(Option<String>) -> Result<(provenant_core::chronology::NewEntry, Option<Vec<u8>>)>,
) -> Result<()> {
    if args.no_log {
        return Ok(());
    }
    let shown = crate::shown(path);
    let result = (|| -> Result<_> {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        let (entry, store) = make(Some(absolute.display().to_string()))?;
        let mut log = Log::open_default()?;
        let logged = log.add_with_store(&entry, store.as_deref())?;
        Ok((logged.id, log.path().to_owned()))
    })();
    let (id, log_path) = result.with_context(|| {
        format!("recording {shown} in the chronology log failed, so it was not written (use --no-log to skip the log)")
    })?;
    eprintln!(
        "logged {shown} as chronology entry {id} in {} ({note}anchor it with `provenant anchor`)",
        log_path.display()
    );
    Ok(())
}

/// Proofs for the steps of `parent` that the log has on chain and that the parent's
/// own manifests do not already carry, plus the publisher's endpoint.
pub fn carried_proofs(parent: &Report, endpoint: Option<String>) -> Result<Option<ProofSet>> {
    let mut bundles: Vec<ProofBundle> = Vec::new();
    // No log here: nothing to carry, which is not an error for an edit.
    let log = Log::open_default().ok();
    if let Some(log) = &log {
        for step in &parent.chain {
            if step.anchor.as_ref().is_some_and(|a| a.source == "manifest") {
                continue;
            }
            let Some(id) = step.manifest_id_bytes() else {
                continue;
            };
            if let Some(entry) = log.by_manifest_id(&id)? {
                // Only final anchors go into a manifest: it cannot be changed later.
                let final_batch = match entry.batch_id {
                    Some(b) => log.batch(b)?.is_some_and(|b| {
                        b.state == provenant_core::chronology::BatchState::Anchored
                    }),
                    None => false,
                };
                if final_batch {
                    if let Some(b) = log.bundle(&entry)? {
                        bundles.push(b);
                    }
                }
            }
        }
    }
    if bundles.is_empty() && endpoint.is_none() {
        return Ok(None);
    }
    Ok(Some(ProofSet::from_bundles(&bundles, endpoint)))
}
