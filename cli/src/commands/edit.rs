use provenant_core::credentials::identity::WithIdentities;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::ArgMatches;
use provenant_core::chronology::proof::ProofSet;
use provenant_core::credentials::edit::{edit_stream, EditOp, EditOutcome, EditRequest};
use provenant_core::MediaFormat;

use crate::config;
use crate::output::AtomicOutput;
use crate::Exit;

/// Applies edits in the order given and records each as a C2PA action with its
/// parameters; the input (signed by anyone, or unsigned) becomes the parent ingredient.
#[derive(Debug, clap::Args)]
#[command(
    group = clap::ArgGroup::new("ops").required(true).multiple(true),
    after_help = "Edits apply in the order given; each is recorded as its C2PA action with its \
        parameters (c2pa.cropped, c2pa.resized, c2pa.orientation, c2pa.color_adjustments, \
        c2pa.edited for redactions).\n\nExamples:\n  \
        provenant edit signed.jpg -o web.jpg --key keys --crop 0,0,1600,900 --resize 800x450\n  \
        provenant edit photo.jpg -o safe.png --key keys --redact 120,80,200,60 --grayscale"
)]
pub struct Args {
    /// The picture to edit (JPEG, PNG or WebP).
    pub input: PathBuf,
    /// Where to write the edited, signed picture (its extension picks the format).
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    #[command(flatten)]
    pub key: crate::signing::KeyArgs,
    /// Title recorded in the new manifest (default: the output file name).
    #[arg(long, value_name = "T")]
    pub title: Option<String>,
    /// Trust anchors used to record the parent's status (also PROVENANT_TRUST, config).
    #[arg(long, value_name = "PEM")]
    pub trust: Vec<PathBuf>,
    /// Crop to a rectangle: X,Y,W,H.
    #[arg(long, value_name = "X,Y,W,H", group = "ops")]
    pub crop: Vec<String>,
    /// Resize to exactly WxH pixels.
    #[arg(long, value_name = "WxH", group = "ops")]
    pub resize: Vec<String>,
    /// Rotate clockwise by 90, 180 or 270 degrees.
    #[arg(long, value_name = "DEG", group = "ops")]
    pub rotate: Vec<String>,
    /// Mirror: h (left-right) or v (top-bottom).
    #[arg(long, value_name = "h|v", group = "ops")]
    pub flip: Vec<String>,
    /// Brighten (or darken, negative) by N, -255..255.
    #[arg(long, value_name = "N", allow_hyphen_values = true, group = "ops")]
    pub brightness: Vec<String>,
    /// Change contrast by N percent, -100..100.
    #[arg(long, value_name = "N", allow_hyphen_values = true, group = "ops")]
    pub contrast: Vec<String>,
    /// Convert to grayscale.
    #[arg(long, action = clap::ArgAction::Count, group = "ops")]
    pub grayscale: u8,
    /// Black out a rectangle: X,Y,W,H.
    #[arg(long, value_name = "X,Y,W,H", group = "ops")]
    pub redact: Vec<String>,
    /// Edit a picture whose content credentials are invalid anyway (the result then
    /// verifies as invalid too). Without it such an edit is refused.
    #[arg(long)]
    pub allow_invalid_parent: bool,
    #[command(flatten)]
    pub tsa: super::sign::TsaArgs,
    #[command(flatten)]
    pub statements: crate::signing::StatementArgs,
    /// Also print {output, format, sha256, actions, parent_verdict, tsa} as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub log: crate::chronology::LogArgs,
}

/// The edits in command-line order (clap keeps each flag's values separately).
fn ordered_ops(a: &Args, m: Option<&ArgMatches>) -> Result<Vec<EditOp>> {
    type Parse = fn(&str) -> Result<EditOp, provenant_core::credentials::edit::EditError>;
    let table: [(&str, &Vec<String>, Parse); 7] = [
        ("crop", &a.crop, EditOp::crop),
        ("resize", &a.resize, EditOp::resize),
        ("rotate", &a.rotate, EditOp::rotate),
        ("flip", &a.flip, EditOp::flip),
        ("brightness", &a.brightness, EditOp::brightness),
        ("contrast", &a.contrast, EditOp::contrast),
        ("redact", &a.redact, EditOp::redact),
    ];
    let mut ops: Vec<(usize, EditOp)> = Vec::new();
    for (id, values, parse) in table {
        let idx: Vec<usize> = m
            .and_then(|m| m.indices_of(id))
            .map(Iterator::collect)
            .unwrap_or_default();
        for (k, v) in values.iter().enumerate() {
            ops.push((idx.get(k).copied().unwrap_or(usize::MAX), parse(v)?));
        }
    }
    let gray: Vec<usize> = m
        .and_then(|m| m.indices_of("grayscale"))
        .map(Iterator::collect)
        .unwrap_or_default();
    for k in 0..usize::from(a.grayscale) {
        ops.push((
            gray.get(k).copied().unwrap_or(usize::MAX),
            EditOp::Grayscale,
        ));
    }
    ops.sort_by_key(|(i, _)| *i);
    Ok(ops.into_iter().map(|(_, op)| op).collect())
}

pub fn run(a: Args, matches: Option<&ArgMatches>) -> Result<Exit> {
    let ops = ordered_ops(&a, matches)?;
    let (cfg, _) = config::load_config()?;
    let identity = a.key.load(&cfg)?;
    let trust = config::trust_anchors(&a.trust, &cfg)?;
    let tsa = a.tsa.authority(&cfg)?;
    let bytes = crate::output::read_input(&a.input)?;
    // Earlier steps anchored in our log travel forward inside the new manifest.
    // One validation of the input serves the parent's verdict and the proofs to carry.
    let parent = provenant_core::credentials::verify::verify_bytes(
        &bytes,
        &provenant_core::credentials::verify::VerifyOptions {
            trust: trust.clone(),
            ..Default::default()
        },
    );
    if let Ok(report) = parent.as_ref() {
        if report.verdict == provenant_core::Verdict::Invalid && !a.allow_invalid_parent {
            refuse_invalid_parent(report, &a.input);
            return Ok(Exit::PolicyFail);
        }
    }
    let anchors = match &parent {
        Ok(report) => crate::chronology::carried_proofs(report, cfg.publisher_endpoint.clone())?,
        Err(_) => None,
    };
    let mut input = std::io::Cursor::new(bytes);
    let out_format = a
        .output
        .extension()
        .and_then(|e| MediaFormat::from_extension(&e.to_string_lossy()));
    let parent_title = a
        .input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let title = a.title.clone().or_else(|| {
        a.output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
    });
    let (overrides, people) = (a.statements.overrides(), a.statements.identities()?);
    let mut out = AtomicOutput::create(&a.output)?;
    let request = EditRequest {
        ops: &ops,
        out_format,
        title: title.as_deref(),
        parent_title: &parent_title,
        trust: &trust,
        anchors: anchors.as_ref(),
        parent_report: parent.as_ref().ok(),
        metadata: Some(&overrides),
        do_not_train: a.statements.do_not_train,
        thumbnails: !a.statements.no_thumbnail,
    };
    let outcome = super::sign::with_time_stamps(&identity, tsa.clone(), |signer| {
        let signer = WithIdentities::new(signer, people.clone());
        edit_stream(&mut input, &mut out.file, &signer, &request)
    })
    .with_context(|| crate::shown(&a.input))?;
    crate::chronology::record(&mut out, &a.output, &a.log)?;
    out.commit()?;
    print_notes(anchors.as_ref(), &outcome, &a.input);
    eprintln!(
        "edited {} → {} ({} edit{}, {}{})",
        crate::shown(&a.input),
        crate::shown(&a.output),
        ops.len(),
        if ops.len() == 1 { "" } else { "s" },
        outcome.format,
        super::sign::stamped_note(tsa.as_ref())
    );
    let extra = serde_json::json!({
        "tsa": tsa.as_ref().map(|t| t.url()),
        "actions": ops.iter().map(|op| op.action()["action"].clone()).collect::<Vec<_>>(),
        "parent_verdict": outcome.parent_verdict.as_str(),
    });
    crate::output::print_written(a.json, &a.output, outcome.format.mime(), extra)?;
    Ok(Exit::Pass)
}

/// An invalid parent (a tampered file, a forged earlier step) is not edited unless asked:
/// the edit would sign a new step over it.
fn refuse_invalid_parent(report: &provenant_core::Report, input: &Path) {
    eprintln!(
        "error: the content credentials of {} are invalid; refusing to sign an edit of it",
        crate::shown(input)
    );
    for step in report
        .chain
        .iter()
        .filter(|s| s.status == provenant_core::credentials::report::StepStatus::Invalid)
    {
        eprintln!(
            "  step {} ({}): {}",
            step.index,
            step.signer
                .common_name
                .as_deref()
                .unwrap_or("unknown signer"),
            step.failures.join(", ")
        );
    }
    eprintln!("hint: `provenant verify` shows why; --allow-invalid-parent edits it anyway (the result verifies as invalid)");
}

/// What the edit carried forward, and what it recorded about its parent (stderr).
fn print_notes(anchors: Option<&ProofSet>, outcome: &EditOutcome, input: &Path) {
    if let Some(set) = anchors.filter(|s| !s.proofs.is_empty()) {
        eprintln!(
            "carried {} anchor proof{} of earlier steps into the new manifest",
            set.proofs.len(),
            if set.proofs.len() == 1 { "" } else { "s" }
        );
    }
    if outcome.parent_verdict == provenant_core::Verdict::Invalid {
        eprintln!(
            "warning: the content credentials of {} are invalid; the edit records that, and the result verifies as invalid",
            crate::shown(input)
        );
    }
    if outcome.parent_unsigned {
        eprintln!(
            "note: {} had no content credentials; the edit records an unsigned parent",
            crate::shown(input)
        );
    }
}
