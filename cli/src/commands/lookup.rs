use std::path::PathBuf;

use anyhow::{Context, Result};
use provenant_core::chronology::fingerprint::{self, MATCH_DISTANCE};
use provenant_core::chronology::{BatchState, Entry, Log};
use provenant_core::credentials::verify::{verify_bytes, VerifyOptions};
use serde::Serialize;

use crate::output::AtomicOutput;
use crate::Exit;

/// Finds a picture's originals in the chronology log — by exact hash, by the
/// manifests it still carries, and by perceptual hash, so a copy a platform
/// re-encoded, resized or stripped of metadata is still found — and reports the
/// earliest anchored original. With --diff, draws what changed.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  provenant lookup viral-copy.jpg\n  \
    provenant lookup viral-copy.jpg --diff changes.png --json\n\n\
    Exit codes: 0 = an original was found, 1 = none, 2 = could not run.")]
pub struct Args {
    /// The picture to look up (any JPEG, PNG or WebP, with or without credentials).
    pub file: PathBuf,
    /// Write a picture of what differs from the earliest original (PNG).
    #[arg(long, value_name = "OUT.png")]
    pub diff: Option<PathBuf>,
    /// Largest perceptual distance (bits of 64) that counts as the same picture.
    #[arg(long, value_name = "BITS", default_value_t = MATCH_DISTANCE)]
    pub max_distance: u32,
    /// Print the matches as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
pub struct Match {
    entry: i64,
    /// `exact` (same bytes), `manifest` (carries this entry's manifest) or `perceptual`.
    how: &'static str,
    distance: u32,
    manifest: String,
    signer: Option<String>,
    logged_at: u64,
    path: Option<String>,
    published_at: Option<String>,
    anchored: bool,
    block_time: Option<u64>,
    block_number: Option<u64>,
    chain_id: Option<u64>,
    tx_hash: Option<String>,
}

fn describe(log: &Log, e: &Entry, how: &'static str, distance: u32) -> Result<Match> {
    let batch = match e.batch_id {
        Some(id) => log.batch(id)?,
        None => None,
    };
    let on_chain = batch
        .as_ref()
        .filter(|b| matches!(b.state, BatchState::Mined | BatchState::Anchored));
    Ok(Match {
        entry: e.id,
        how,
        distance,
        manifest: e.manifest_label.clone(),
        signer: e.signer.clone(),
        logged_at: e.leaf.logged_at,
        path: e.path.clone(),
        published_at: e.published_at.clone(),
        anchored: batch
            .as_ref()
            .is_some_and(|b| b.state == BatchState::Anchored),
        block_time: on_chain.and_then(|b| b.block_time),
        block_number: on_chain.and_then(|b| b.block_number),
        chain_id: on_chain.and_then(|b| b.chain_id),
        tx_hash: on_chain
            .and_then(|b| b.tx_hash)
            .map(|h| format!("0x{}", hex::encode(h))),
    })
}

/// The manifest ids of every step of the edit chain a file still carries (none when
/// it cannot be verified at all).
pub fn carried_manifest_ids(bytes: &[u8]) -> Vec<[u8; 32]> {
    verify_bytes(bytes, &VerifyOptions::default())
        .map(|report| {
            report
                .chain
                .iter()
                .filter_map(|step| step.manifest_id_bytes())
                .collect()
        })
        .unwrap_or_default()
}

/// Log entries matching a picture: exact hash, the manifests it carries, perceptual
/// hash within `max_distance`; earliest original first.
pub fn find_matches(
    log: &Log,
    sha: &[u8; 32],
    carried: &[[u8; 32]],
    phash: fingerprint::PerceptualHash,
    max_distance: u32,
) -> Result<Vec<Match>> {
    let mut matches: Vec<Match> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for e in log.by_content(sha)? {
        if seen.insert(e.id) {
            matches.push(describe(log, &e, "exact", 0)?);
        }
    }
    for id in carried {
        if let Some(e) = log.by_manifest_id(id)? {
            if seen.insert(e.id) {
                let d = fingerprint::PerceptualHash(e.leaf.phash).distance(phash);
                matches.push(describe(log, &e, "manifest", d)?);
            }
        }
    }
    for (e, d) in log.similar(phash.0, max_distance)? {
        if seen.insert(e.id) {
            matches.push(describe(log, &e, "perceptual", d)?);
        }
    }
    // Earliest original: anchored ones by block time first, then by logging time.
    matches.sort_by_key(|m| {
        (
            !m.anchored,
            m.block_time.unwrap_or(u64::MAX),
            m.logged_at,
            m.entry,
        )
    });
    Ok(matches)
}

fn when(secs: u64) -> String {
    chrono::DateTime::from_timestamp(secs as i64, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| secs.to_string())
}

pub fn run(a: Args) -> Result<Exit> {
    if a.max_distance > 32 {
        anyhow::bail!("--max-distance above 32 bits matches unrelated pictures");
    }
    let bytes = crate::output::read_input(&a.file)?;
    let query = fingerprint::decode_picture(&bytes).with_context(|| crate::shown(&a.file))?;
    let phash = fingerprint::hash_image(&query);
    let sha: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&bytes).into();
    let log = Log::open_default()?;
    let carried = carried_manifest_ids(&bytes);
    let matches = find_matches(&log, &sha, &carried, phash, a.max_distance)?;

    if matches.is_empty() {
        eprintln!(
            "no original found for {} (perceptual hash {phash}) in {}",
            crate::shown(&a.file),
            log.path().display()
        );
    }
    for (i, m) in matches.iter().enumerate() {
        let time = match (m.anchored, m.block_time) {
            (true, Some(t)) => format!(
                "anchored {} (block {})",
                when(t),
                m.block_number.unwrap_or(0)
            ),
            (false, Some(t)) => format!("mined {} (not final yet)", when(t)),
            _ => format!("logged {} (not yet anchored)", when(m.logged_at)),
        };
        eprintln!(
            "{} {} match (distance {}), {}: {} signed by {}",
            if i == 0 {
                "earliest original:"
            } else {
                "also:"
            },
            m.how,
            m.distance,
            time,
            crate::render::clean(&m.manifest),
            crate::render::clean(m.signer.as_deref().unwrap_or("unknown"))
        );
    }

    let mut diff_info = None;
    if let (Some(out), Some(first)) = (&a.diff, matches.first()) {
        let original_path = first.path.as_deref().ok_or_else(|| {
            anyhow::anyhow!("the log has no file path for the original, so no difference picture")
        })?;
        let original_bytes = std::fs::read(original_path).with_context(|| {
            format!(
                "the original is no longer at {} (needed for --diff)",
                crate::render::clean(original_path)
            )
        })?;
        let original = fingerprint::decode_picture(&original_bytes)
            .with_context(|| crate::render::clean(original_path))?;
        let diff = fingerprint::difference_picture(&original, &query);
        let mut file = AtomicOutput::create(out)?;
        diff.image
            .write_to(
                &mut std::io::BufWriter::new(&mut file.file),
                image_format_png(),
            )
            .context("cannot encode the difference picture")?;
        file.commit()?;
        eprintln!(
            "wrote {}: {:.1}% of the picture differs from the original",
            crate::shown(out),
            diff.changed_fraction * 100.0
        );
        diff_info = Some(diff.changed_fraction);
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "file": a.file,
                "sha256": hex::encode(sha),
                "phash": phash.to_string(),
                "matches": matches,
                "changed_fraction": diff_info,
            }))?
        );
    }
    Ok(if matches.is_empty() {
        Exit::PolicyFail
    } else {
        Exit::Pass
    })
}

fn image_format_png() -> image::ImageFormat {
    image::ImageFormat::Png
}
