use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use provenant_core::chronology::fingerprint;
use provenant_core::chronology::{Log, LOG_FILE};
use provenant_core::credentials::edit::{edit_stream, EditOp, EditRequest};
use provenant_core::credentials::keys::{self, KeygenOptions};
use provenant_core::credentials::sign::{sign_stream, SignRequest, SourceType};
use provenant_core::credentials::signer::KeyFileSigner;
use provenant_core::credentials::verify::{verify_stream, VerifyOptions};
use provenant_core::TrustAnchors;

use crate::output::{stdout_style, AtomicOutput};
use crate::{render, Exit};

/// The sample capture the demo signs (made by samples/make_samples.rs, owned by the project).
const SAMPLE: &[u8] = include_bytes!("../../../samples/harbour-capture.jpg");

/// Creates throwaway credentials, signs a sample capture, edits it twice (crop; then
/// resize + brightness), verifies the result and prints the chain. No network.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to put the keys and pictures (default: a new temporary directory).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<Exit> {
    let dir = match a.out {
        Some(d) => d,
        None => std::env::temp_dir().join(format!("provenant-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create {}", crate::shown(&dir)))?;
    let key_dir = dir.join("keys");

    eprintln!("1. keygen: throwaway organisation \"Demo Newsroom\" (Ed25519)");
    let creds = keys::generate(&KeygenOptions {
        org: "Demo Newsroom".into(),
        ..Default::default()
    })?;
    let paths = keys::write_key_dir(&key_dir, &creds, true)?;
    let identity = KeyFileSigner::load(&key_dir)?;
    let trust = TrustAnchors::none().with_pem("root.pem", &creds.root_cert)?;

    let original = dir.join("1-original.jpg");
    std::fs::write(&original, SAMPLE)?;
    let signed = sign_capture(&dir, &identity)?;

    let steps: [(&str, PathBuf, Vec<EditOp>); 2] = [
        (
            "3. edit: crop",
            dir.join("3-cropped.jpg"),
            vec![EditOp::crop("64,48,896,600")?],
        ),
        (
            "4. edit: resize + brightness",
            dir.join("4-published.jpg"),
            vec![EditOp::resize("640x428")?, EditOp::brightness("12")?],
        ),
    ];
    // The demo keeps its own chronology log beside its files (not the user's).
    let mut log = Log::open(&dir.join(LOG_FILE))?;
    let mut logged = vec![log_file(&mut log, &signed)?];
    let mut previous = signed;
    for (title, path, ops) in steps {
        eprintln!("{title}");
        edit_step(&previous, &path, &ops, &identity, &trust)?;
        say(crate::shown(&path));
        logged.push(log_file(&mut log, &path)?);
        previous = path;
    }

    seal_log(&mut log, logged.len())?;
    platform_copy(&dir, &previous, &log)?;
    verify_published(&previous, trust, &paths.root_cert)
}

/// One indented line of the demo's commentary.
fn say(s: String) {
    eprintln!("\x20 {s}");
}

/// The sample capture's claim thumbnail.
fn demo_thumbnail() -> Result<provenant_core::credentials::thumbnail::Thumbnail> {
    let picture = provenant_core::chronology::fingerprint::decode_picture(SAMPLE)?;
    Ok(provenant_core::credentials::thumbnail::Thumbnail::of(
        &picture,
    )?)
}

/// Step 2: signs the sample capture into 2-signed.jpg; returns its path.
fn sign_capture(dir: &Path, identity: &KeyFileSigner) -> Result<PathBuf> {
    let signed = dir.join("2-signed.jpg");
    eprintln!("2. sign the capture");
    {
        let mut out = AtomicOutput::create(&signed)?;
        sign_stream(
            &mut std::io::Cursor::new(SAMPLE),
            &mut out.file,
            identity.as_signer(),
            &SignRequest {
                title: Some("harbour-capture.jpg".into()),
                source: SourceType::Capture,
                anchors: None,
                thumbnail: Some(demo_thumbnail()?),
                ..Default::default()
            },
        )?;
        out.commit()?;
    }
    say(crate::shown(&signed));
    Ok(signed)
}

/// Steps 3 and 4: edits `previous` into `path` with `ops`, signing the new step.
fn edit_step(
    previous: &Path,
    path: &Path,
    ops: &[EditOp],
    identity: &KeyFileSigner,
    trust: &TrustAnchors,
) -> Result<()> {
    let mut input = std::fs::File::open(previous)?;
    let mut out = AtomicOutput::create(path)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let parent = previous
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let request = EditRequest {
        ops,
        out_format: None,
        title: name.as_deref(),
        parent_title: &parent,
        trust,
        anchors: None,
        parent_report: None,
        metadata: None,
        do_not_train: false,
        thumbnails: true,
    };
    edit_stream(&mut input, &mut out.file, identity.as_signer(), &request)?;
    out.commit()?;
    Ok(())
}

/// Step 5: seals the logged files into a batch (anchoring needs a chain).
fn seal_log(log: &mut Log, logged: usize) -> Result<()> {
    eprintln!("5. chronology: log each signed file and seal the batch (anchoring needs a chain)");
    for batch in log.seal(1_000_000)? {
        say(format!(
            "sealed {} entries into batch {}: Merkle root 0x{}",
            batch.leaf_count,
            batch.id,
            hex::encode(batch.root)
        ));
    }
    say(format!(
        "not yet anchored: `provenant anchor --chain …` submits the root ({} entries logged in {})",
        logged,
        crate::shown(log.path())
    ));
    Ok(())
}

/// Step 6: a platform's re-encoded copy of the published picture, found again by
/// its perceptual hash.
fn platform_copy(dir: &Path, previous: &Path, log: &Log) -> Result<()> {
    eprintln!(
        "6. a platform re-encodes the published picture (half size, JPEG quality 70, no metadata)"
    );
    let copy = dir.join("5-platform-copy.jpg");
    let published = image::load_from_memory(&std::fs::read(previous)?)?;
    let half = published.resize_exact(
        published.width() / 2,
        published.height() / 2,
        image::imageops::FilterType::Triangle,
    );
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 70)
        .encode_image(&half.to_rgb8())?;
    std::fs::write(&copy, &jpeg)?;
    let phash = fingerprint::hash_bytes(&jpeg)?;
    let found = log.similar(phash.0, fingerprint::MATCH_DISTANCE)?;
    if found.is_empty() {
        say("lookup found no original (unexpected)".into());
    }
    for (entry, d) in found {
        say(format!(
            "lookup by perceptual hash finds entry {} at distance {d} of 64 bits: {}",
            entry.id,
            entry.path.as_deref().map(render::clean).unwrap_or_default()
        ));
    }
    Ok(())
}

/// Step 7: verifies the published picture with and without the demo root.
fn verify_published(previous: &Path, trust: TrustAnchors, root_cert: &Path) -> Result<Exit> {
    eprintln!(
        "7. verify with the demo root as trust anchor ({})\n",
        crate::shown(root_cert)
    );
    let mut report = verify_stream(
        std::fs::File::open(previous)?,
        &VerifyOptions {
            trust,
            ..Default::default()
        },
    )?;
    report.file = Some(previous.display().to_string());
    println!("{}", render::report_text(&report, stdout_style()));
    let untrusted = verify_stream(std::fs::File::open(previous)?, &VerifyOptions::default())?;
    eprintln!(
        "without the trust anchor the same file is `{}`; try: provenant verify {} --trust {}",
        untrusted.verdict.as_str(),
        crate::shown(previous),
        crate::shown(root_cert)
    );
    Ok(if report.verdict == provenant_core::Verdict::Trusted {
        Exit::Pass
    } else {
        Exit::PolicyFail
    })
}

/// Records a file the demo signed in the demo's log; returns the entry id.
fn log_file(log: &mut Log, path: &std::path::Path) -> Result<i64> {
    let bytes = std::fs::read(path)?;
    let entry = provenant_core::inspect::log_entry(
        &bytes,
        Some(path.display().to_string()),
        None,
        Default::default(),
    )?;
    Ok(log.add(&entry)?.id)
}
