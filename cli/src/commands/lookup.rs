use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use image::DynamicImage;
use provenant_core::chronology::fingerprint::{self, MATCH_DISTANCE};
use provenant_core::chronology::lookup::{find_matches, Match};
use provenant_core::chronology::Log;

use crate::output::AtomicOutput;
use crate::Exit;

/// Finds a picture's originals in the chronology log — by exact hash, by the
/// manifests it still carries, and by perceptual hash, so a copy a platform
/// re-encoded, resized or stripped of metadata is still found — and reports the
/// earliest anchored original. With --diff, draws what changed.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  provenant lookup viral-copy.jpg\n  \
    provenant lookup viral-copy.jpg --diff changes.png --json\n  \
    provenant lookup viral-copy.jpg --endpoint https://repository.example/\n\n\
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
    /// Ask this manifest repository instead of the local log, through the C2PA Soft
    /// Binding Resolution API (`/matches/byBinding` with the picture's io.iscc.v0 code,
    /// computed here; then `/manifests/{manifestId}`): https only, public addresses only.
    #[arg(long, value_name = "URL", conflicts_with_all = ["diff", "max_distance"])]
    pub endpoint: Option<String>,
    /// With --endpoint: write each recovered manifest store to DIR/<n>.c2pa.
    #[arg(long, value_name = "DIR", requires = "endpoint")]
    pub save_manifests: Option<PathBuf>,
    /// Development and tests only: let --endpoint be on this machine.
    #[arg(long, hide = true)]
    pub allow_loopback_fetch: bool,
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
    if let Some(endpoint) = &a.endpoint {
        return super::lookup_remote::run(&a, endpoint, &bytes);
    }
    let query = fingerprint::decode_picture(&bytes).with_context(|| crate::shown(&a.file))?;
    let phash = fingerprint::hash_image(&query);
    let sha: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&bytes).into();
    let log = Log::open_default()?;
    let carried = provenant_core::inspect::carried_manifest_ids(&bytes);
    let iscc = provenant_core::chronology::iscc::code_image(&query);
    let matches = find_matches(&log, &sha, &carried, phash, Some(iscc), a.max_distance)?;

    if matches.is_empty() {
        eprintln!(
            "no original found for {} (perceptual hash {phash}) in {}",
            crate::shown(&a.file),
            log.path().display()
        );
    }
    print_matches(&matches);

    let mut diff_info = None;
    if let (Some(out), Some(first)) = (&a.diff, matches.first()) {
        diff_info = Some(write_diff(out, first, &query)?);
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

/// One line per match on stderr, the earliest first.
fn print_matches(matches: &[Match]) {
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
}

/// Writes the difference between the original of `first` and `query` to `out` (PNG);
/// returns the share of the picture that changed.
fn write_diff(out: &Path, first: &Match, query: &DynamicImage) -> Result<f64> {
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
    let diff = provenant_core::chronology::difference::difference_picture(&original, query);
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
    Ok(diff.changed_fraction)
}

fn image_format_png() -> image::ImageFormat {
    image::ImageFormat::Png
}
