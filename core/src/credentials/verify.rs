//! Verification: C2PA validation of every manifest of the edit chain, turned into a
//! [`Report`]. Builds for wasm32 (no file system, no network).

use std::collections::HashMap;
use std::io::{self, Cursor, Read, Seek, SeekFrom};

use c2pa::crypto::cose::CertificateTrustPolicy;
use c2pa::status_tracker::LogKind;
use c2pa::validation_results::validation_codes;
use c2pa::validation_status::ValidationStatus;
use c2pa::{Context, Manifest, Reader, Settings, ValidationState};
use serde_json::Value;

use crate::chronology::proof::{manifest_id, ProofBundle, ProofSet, ANCHORS_ASSERTION};
use crate::credentials::format::MediaFormat;
use crate::credentials::report::{
    is_ai_source_type, ActionRecord, AnchorStatus, ChainStep, CodeKind, CodeOrigin, IngredientRef,
    Report, SignerInfo, StatusCode, StepAnchor, StepStatus, TimeSource, Trust, Verdict,
    REPORT_VERSION,
};
use crate::credentials::trust::TrustAnchors;

/// Our own code for a manifest store that is present but cannot be parsed.
pub const MANIFEST_UNREADABLE: &str = "manifest.unreadable";

/// Chains deeper than this are cut (a hostile file could nest ingredients without end).
const MAX_CHAIN_STEPS: usize = 256;

/// What the verifier accepts.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Roots that make a signer "trusted". Empty: the best verdict is `valid`.
    pub trust: TrustAnchors,
    /// Anchor proofs found outside the file (sidecar, publisher endpoint, local log),
    /// matched to steps by manifest id. Proofs carried inside manifests are found anyway.
    pub proofs: Vec<SourcedProof>,
}

/// An anchor proof and where it came from (`sidecar`, `endpoint`, `log`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcedProof {
    pub bundle: ProofBundle,
    pub source: &'static str,
}

/// The file could not be examined at all (a verdict is never an error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("the file is empty")]
    Empty,
    #[error("not a recognised image or media format (starts with {head})")]
    UnknownFormat { head: String },
    #[error("{format} files cannot carry C2PA manifests here")]
    UnsupportedFormat { format: String },
    #[error("the trust settings were rejected: {0}")]
    Settings(String),
    #[error("read failed: {0}")]
    Io(#[from] io::Error),
}

/// Verifies an in-memory file (the browser's entry point).
pub fn verify_bytes(bytes: &[u8], options: &VerifyOptions) -> Result<Report, VerifyError> {
    verify_stream_with_digest(Cursor::new(bytes), options, || {
        Ok(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)))
    })
}

/// Verifies `stream` while `digest` computes the file's SHA-256 (hex) some other way,
/// e.g. through a second handle on the same file: natively on a second thread, beside
/// the C2PA validation; in the browser one after the other.
pub fn verify_stream_with_digest<R, D>(
    mut stream: R,
    options: &VerifyOptions,
    digest: D,
) -> Result<Report, VerifyError>
where
    R: Read + Seek + Send,
    D: FnOnce() -> io::Result<String> + Send,
{
    let (size, format) = probe(&mut stream)?;
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::thread::scope(|scope| {
            let hashing = scope.spawn(digest);
            let (mut report, embedded) = examine(stream, format, size, options)?;
            report.sha256 = hashing
                .join()
                .map_err(|_| io::Error::other("the hashing thread failed"))??;
            attach_anchors(&mut report, embedded, &options.proofs);
            Ok(report)
        })
    }
    #[cfg(target_arch = "wasm32")]
    {
        let (mut report, embedded) = examine(stream, format, size, options)?;
        report.sha256 = digest()?;
        attach_anchors(&mut report, embedded, &options.proofs);
        Ok(report)
    }
}

/// Verifies a seekable stream. Reads the head first, so a huge file that is not
/// media is refused without reading it whole.
pub fn verify_stream<R>(mut stream: R, options: &VerifyOptions) -> Result<Report, VerifyError>
where
    R: Read + Seek + Send,
{
    let (size, format) = probe(&mut stream)?;
    let sha256 = crate::credentials::hash::sha256_hex(&mut stream)?;
    stream.rewind()?;
    let (mut report, embedded) = examine(stream, format, size, options)?;
    report.sha256 = sha256;
    attach_anchors(&mut report, embedded, &options.proofs);
    Ok(report)
}

/// Size and format from the first bytes; leaves the stream rewound.
pub(crate) fn probe<R: Read + Seek>(stream: &mut R) -> Result<(u64, MediaFormat), VerifyError> {
    let size = stream.seek(SeekFrom::End(0))?;
    stream.rewind()?;
    if size == 0 {
        return Err(VerifyError::Empty);
    }
    let mut head = [0u8; MediaFormat::SNIFF_LEN];
    let n = read_up_to(stream, &mut head)?;
    let format = MediaFormat::sniff(&head[..n]).ok_or_else(|| VerifyError::UnknownFormat {
        head: describe_head(&head[..n]),
    })?;
    stream.rewind()?;
    Ok((size, format))
}

/// The C2PA part of verification; `sha256` is filled in by the caller.
fn examine<R>(
    stream: R,
    format: MediaFormat,
    size: u64,
    options: &VerifyOptions,
) -> Result<(Report, Vec<SourcedProof>), VerifyError>
where
    R: Read + Seek + Send,
{
    let mut embedded = Vec::new();
    let mut report = Report {
        report_version: REPORT_VERSION,
        verdict: Verdict::NoManifest,
        file: None,
        format: format.mime().to_owned(),
        sha256: String::new(),
        size,
        codes: Vec::new(),
        chain: Vec::new(),
        blacklisted: false,
        blacklist_source: None,
    };

    let context = Context::new()
        .with_settings(reader_settings(&options.trust)?)
        .map_err(|e| VerifyError::Settings(e.to_string()))?;
    match Reader::from_context(context).with_stream(format.mime(), stream) {
        Ok(reader) => {
            fill_report(&mut report, &reader, &options.trust);
            embedded = embedded_proofs(&mut report, &reader);
        }
        Err(c2pa::Error::JumbfNotFound) | Err(c2pa::Error::ProvenanceMissing) => {}
        Err(c2pa::Error::UnsupportedType) => {
            return Err(VerifyError::UnsupportedFormat {
                format: format.mime().to_owned(),
            })
        }
        Err(e) => {
            // A manifest store is there but broken (or the container around it is):
            // that is a verdict about the file, not a failure to run.
            report.verdict = Verdict::Invalid;
            report.codes.push(StatusCode {
                code: MANIFEST_UNREADABLE.to_owned(),
                kind: CodeKind::Failure,
                origin: CodeOrigin::Provenant,
                step: None,
                url: None,
                explanation: Some(e.to_string()),
            });
        }
    }
    Ok((report, embedded))
}

/// The capture assertion of a file's active manifest (the newest step), if it has a
/// well-formed one. Pair with [`verify_bytes`]: a tag from an invalid file proves nothing.
pub fn active_capture(
    bytes: &[u8],
) -> Result<Option<crate::blacklist::capture::assertion::CaptureAssertion>, VerifyError> {
    let mut stream = Cursor::new(bytes);
    let (_, format) = probe(&mut stream)?;
    let context = Context::new()
        .with_settings(reader_settings(&TrustAnchors::none())?)
        .map_err(|e| VerifyError::Settings(e.to_string()))?;
    let Ok(reader) = Reader::from_context(context).with_stream(format.mime(), stream) else {
        return Ok(None);
    };
    Ok(reader
        .active_label()
        .and_then(|l| reader.get_manifest(l))
        .and_then(crate::blacklist::capture::assertion::from_manifest))
}

/// Anchor proofs that later steps carry for earlier ones (our assertion). A proof
/// that cannot be read is reported on the step that carries it.
fn embedded_proofs(report: &mut Report, reader: &Reader) -> Vec<SourcedProof> {
    let mut found = Vec::new();
    for i in 0..report.chain.len() {
        let Some(manifest) = reader.get_manifest(&report.chain[i].manifest) else {
            continue;
        };
        for assertion in manifest.assertions() {
            if assertion.label() != ANCHORS_ASSERTION {
                continue;
            }
            let set = assertion.value().map_err(|e| e.to_string()).and_then(|v| {
                serde_json::from_value::<ProofSet>(v.clone()).map_err(|e| e.to_string())
            });
            let (bundles, bad) = match set {
                Ok(set) => {
                    if let Some(e) = set.endpoint.as_deref().filter(|e| !e.is_empty()) {
                        report.chain[i].chronology_endpoint = Some(e.to_owned());
                    }
                    set.bundles()
                }
                Err(e) => (
                    Vec::new(),
                    vec![(0, crate::chronology::proof::ProofError::Format(e))],
                ),
            };
            found.extend(bundles.into_iter().map(|bundle| SourcedProof {
                bundle,
                source: "manifest",
            }));
            for (n, e) in bad {
                report.codes.push(anchor_code(
                    ANCHOR_MALFORMED,
                    CodeKind::Failure,
                    Some(i),
                    format!("proof {n} carried by this step cannot be read: {e}"),
                ));
            }
        }
    }
    found
}

/// Our codes for anchors.
pub const ANCHOR_MALFORMED: &str = "anchor.malformed";
pub const ANCHOR_ROOT_MISMATCH: &str = "anchor.rootMismatch";
pub const ANCHOR_CONTENT_MISMATCH: &str = "anchor.contentMismatch";
pub const ANCHOR_UNCHECKED: &str = "anchor.unchecked";

pub fn anchor_code(
    code: &str,
    kind: CodeKind,
    step: Option<usize>,
    explanation: String,
) -> StatusCode {
    StatusCode {
        code: code.to_owned(),
        kind,
        origin: CodeOrigin::Provenant,
        step,
        url: None,
        explanation: Some(explanation),
    }
}

/// Attaches proofs found after verification (e.g. fetched from a publisher's
/// endpoint) to the steps that have none yet; each path is checked locally.
pub fn attach_proofs(report: &mut Report, proofs: &[SourcedProof]) {
    attach_anchors(report, Vec::new(), proofs);
}

/// Matches proofs to steps by manifest id and checks each path locally (no network).
/// Embedded proofs come first; a sound proof wins over a broken one for the same step.
/// Steps that already have an anchor keep it.
fn attach_anchors(report: &mut Report, embedded: Vec<SourcedProof>, external: &[SourcedProof]) {
    let candidates: Vec<&SourcedProof> = embedded.iter().chain(external).collect();
    for i in 0..report.chain.len() {
        // A step that fails validation gets no anchor: its label and certificate could
        // have been copied from a genuine manifest that is anchored.
        let step = &report.chain[i];
        if step.anchor.is_some() || step.status == StepStatus::Invalid || !step.failures.is_empty()
        {
            continue;
        }
        let Some(id) = report.chain[i].manifest_id.clone() else {
            continue;
        };
        let mine: Vec<&&SourcedProof> = candidates
            .iter()
            .filter(|p| hex::encode(p.bundle.leaf.manifest_id) == id)
            .collect();
        let Some(chosen) = mine
            .iter()
            .find(|p| p.bundle.path_is_valid())
            .or_else(|| mine.first())
        else {
            continue;
        };
        let b = &chosen.bundle;
        let (status, code) = if !b.path_is_valid() {
            (
                AnchorStatus::Invalid,
                anchor_code(
                    ANCHOR_ROOT_MISMATCH,
                    CodeKind::Failure,
                    Some(i),
                    "the proof's Merkle path does not lead to its root".into(),
                ),
            )
        } else if i == 0 && hex::encode(b.leaf.content_sha256) != report.sha256 {
            (
                AnchorStatus::Invalid,
                anchor_code(
                    ANCHOR_CONTENT_MISMATCH,
                    CodeKind::Failure,
                    Some(i),
                    "the anchored entry is for different file bytes than this file".into(),
                ),
            )
        } else {
            (
                AnchorStatus::Unchecked,
                anchor_code(
                    ANCHOR_UNCHECKED,
                    CodeKind::Informational,
                    Some(i),
                    format!(
                        "anchor proof found ({}), not checked against chain {}: give an RPC endpoint",
                        chosen.source, b.chain_id
                    ),
                ),
            )
        };
        report.codes.push(code);
        report.chain[i].anchor = Some(StepAnchor {
            status,
            source: chosen.source.to_owned(),
            chain_id: b.chain_id,
            registry: format!("0x{}", hex::encode(b.registry)),
            root: format!("0x{}", hex::encode(b.root)),
            tx_hash: format!("0x{}", hex::encode(b.tx_hash)),
            block_number: b.block_number,
            time: None,
            publisher: None,
            publisher_name: None,
            key: None,
            proof: b.to_base64(),
        });
        if status == AnchorStatus::Invalid {
            report.chain[i].failures.push(
                report
                    .codes
                    .last()
                    .map(|c| c.code.clone())
                    .unwrap_or_default(),
            );
        }
    }
}

fn reader_settings(trust: &TrustAnchors) -> Result<Settings, VerifyError> {
    let err = |e: c2pa::Error| VerifyError::Settings(e.to_string());
    let mut settings = Settings::new()
        .with_value("verify.remote_manifest_fetch", false)
        .map_err(err)?
        .with_value("verify.ocsp_fetch", false)
        .map_err(err)?;
    if !trust.is_empty() {
        settings = settings
            .with_value("trust.trust_anchors", trust.pem().to_owned())
            .map_err(err)?;
    }
    Ok(settings)
}

fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Printable description of a file's first bytes, safe for a terminal.
fn describe_head(head: &[u8]) -> String {
    let shown = &head[..head.len().min(8)];
    if shown.iter().all(|b| b.is_ascii_graphic() || *b == b' ') && !shown.is_empty() {
        format!("\"{}\"", String::from_utf8_lossy(shown))
    } else {
        format!("0x{}", hex::encode(shown))
    }
}

/// The manifest label a JUMBF URI points into (`self#jumbf=/c2pa/<label>/...`).
fn label_of(url: &str) -> Option<&str> {
    let rest = &url[url.find("/c2pa/")? + "/c2pa/".len()..];
    let end = rest.find('/').unwrap_or(rest.len());
    Some(&rest[..end]).filter(|l| !l.is_empty())
}

fn kind_of(kind: &LogKind) -> CodeKind {
    match kind {
        LogKind::Success => CodeKind::Success,
        LogKind::Informational => CodeKind::Informational,
        _ => CodeKind::Failure,
    }
}

fn status_code(
    s: &ValidationStatus,
    kind: CodeKind,
    origin: CodeOrigin,
    step: Option<usize>,
) -> StatusCode {
    StatusCode {
        code: s.code().to_owned(),
        kind,
        origin,
        step,
        url: s.url().map(str::to_owned),
        explanation: s.explanation().map(str::to_owned),
    }
}

/// Trust codes recorded by an earlier signer reflect *its* trust list, not ours.
fn is_trust_code(code: &str) -> bool {
    code == validation_codes::SIGNING_CREDENTIAL_UNTRUSTED
        || code == validation_codes::SIGNING_CREDENTIAL_TRUSTED
}

fn fill_report(report: &mut Report, reader: &Reader, trust: &TrustAnchors) {
    let Some(active_label) = reader.active_label() else {
        return;
    };
    let mut index: HashMap<String, usize> = HashMap::new();
    // Walk the ingredient graph breadth-first from the active manifest.
    let mut queue: Vec<(String, Option<usize>, String)> =
        vec![(active_label.to_owned(), None, "active".to_owned())];
    let mut recorded: Vec<(StatusCode, Option<String>)> = Vec::new();
    let mut cursor = 0;
    while cursor < queue.len() && report.chain.len() < MAX_CHAIN_STEPS {
        let (label, parent, relationship) = queue[cursor].clone();
        cursor += 1;
        let Some(manifest) = reader.get_manifest(&label) else {
            continue;
        };
        let step_index = report.chain.len();
        index.insert(label.clone(), step_index);
        let mut step = describe_step(step_index, &label, parent, relationship, manifest);
        for ingredient in manifest.ingredients() {
            let relationship = serde_json::to_value(ingredient.relationship())
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "componentOf".to_owned());
            let child = ingredient
                .active_manifest()
                .filter(|l| reader.get_manifest(l).is_some());
            if let Some(l) = child {
                if !index.contains_key(l) && !queue.iter().any(|(q, _, _)| q == l) {
                    queue.push((l.to_owned(), Some(step_index), relationship.clone()));
                }
            }
            step.ingredients.push(IngredientRef {
                title: ingredient.title().map(str::to_owned),
                relationship,
                step: None, // set once every step has its index
            });
            // What the later signer recorded about this ingredient when it took it in;
            // attributed to the manifest its URI names, else to the ingredient's own.
            for (s, kind) in recorded_statuses(ingredient) {
                let target = s.url().and_then(label_of).or(child).map(str::to_owned);
                recorded.push((
                    status_code(&s, kind, CodeOrigin::IngredientRecord, None),
                    target,
                ));
            }
        }
        report.chain.push(step);
    }
    fix_ingredient_steps(report, reader, &index);

    // Live validation results, attributed to the step their URI points into.
    if let Some(results) = reader.validation_results() {
        if let Some(active) = results.active_manifest() {
            push_codes(report, &index, active.success(), CodeKind::Success, Some(0));
            push_codes(
                report,
                &index,
                active.informational(),
                CodeKind::Informational,
                Some(0),
            );
            push_codes(report, &index, active.failure(), CodeKind::Failure, Some(0));
        }
        for delta in results.ingredient_deltas().into_iter().flatten() {
            let d = delta.validation_deltas();
            push_codes(report, &index, d.success(), CodeKind::Success, None);
            push_codes(
                report,
                &index,
                d.informational(),
                CodeKind::Informational,
                None,
            );
            push_codes(report, &index, d.failure(), CodeKind::Failure, None);
        }
    }
    for (mut code, target) in recorded {
        code.step = target.and_then(|l| index.get(&l).copied());
        report.codes.push(code);
    }

    check_ingredient_trust(report, reader, trust);
    settle_steps(report);
    report.verdict = overall_verdict(reader.validation_state(), &report.chain);
}

fn fix_ingredient_steps(report: &mut Report, reader: &Reader, index: &HashMap<String, usize>) {
    for step_i in 0..report.chain.len() {
        let label = report.chain[step_i].manifest.clone();
        let Some(manifest) = reader.get_manifest(&label) else {
            continue;
        };
        for (slot, ingredient) in manifest.ingredients().iter().enumerate() {
            let found = ingredient
                .active_manifest()
                .and_then(|l| index.get(l).copied());
            if let Some(ing) = report.chain[step_i].ingredients.get_mut(slot) {
                ing.step = found;
            }
        }
    }
}

fn recorded_statuses(ingredient: &c2pa::Ingredient) -> Vec<(ValidationStatus, CodeKind)> {
    let mut out = Vec::new();
    if let Some(results) = ingredient.validation_results() {
        if let Some(active) = results.active_manifest() {
            out.extend(
                active
                    .success()
                    .iter()
                    .map(|s| (s.clone(), CodeKind::Success)),
            );
            out.extend(
                active
                    .informational()
                    .iter()
                    .map(|s| (s.clone(), CodeKind::Informational)),
            );
            out.extend(
                active
                    .failure()
                    .iter()
                    .map(|s| (s.clone(), CodeKind::Failure)),
            );
        }
    } else if let Some(statuses) = ingredient.validation_status() {
        out.extend(
            statuses
                .iter()
                .map(|s| (s.clone(), kind_of(&validation_codes::log_kind(s.code())))),
        );
    }
    out
}

fn push_codes(
    report: &mut Report,
    index: &HashMap<String, usize>,
    statuses: &[ValidationStatus],
    kind: CodeKind,
    default_step: Option<usize>,
) {
    for s in statuses {
        let step = s
            .url()
            .and_then(label_of)
            .and_then(|l| index.get(l).copied())
            .or(default_step);
        report
            .codes
            .push(status_code(s, kind, CodeOrigin::Validation, step));
    }
}

/// For C2PA v2 claims the SDK accepts an ingredient's recorded status when its
/// manifest hash matches, so the recorded trust reflects the *editor's* trust list.
/// We check every step without a live trust decision against our own anchors.
fn check_ingredient_trust(report: &mut Report, reader: &Reader, trust: &TrustAnchors) {
    let mut policy = CertificateTrustPolicy::new();
    policy.add_default_valid_ekus();
    let anchors_ok = !trust.is_empty() && policy.add_trust_anchors(trust.pem().as_bytes()).is_ok();
    for i in 0..report.chain.len() {
        let decided = report.codes.iter().any(|c| {
            c.step == Some(i)
                && c.origin == CodeOrigin::Validation
                && (c.code == validation_codes::SIGNING_CREDENTIAL_TRUSTED
                    || c.code == validation_codes::SIGNING_CREDENTIAL_UNTRUSTED)
        });
        if decided {
            continue;
        }
        let Some(sig) = reader
            .get_manifest(&report.chain[i].manifest)
            .and_then(Manifest::signature_info)
        else {
            continue;
        };
        let ders = crate::credentials::trust::certificate_ders(sig.cert_chain());
        let verdict = match ders.split_first() {
            None => Err("no certificate chain in the signature".to_owned()),
            Some(_) if !anchors_ok => Err("no trust anchors configured".to_owned()),
            Some((leaf, rest)) => policy
                .check_certificate_trust(rest, leaf, None)
                .map(|_| ())
                .map_err(|e| e.to_string()),
        };
        let (code, kind, explanation) = match verdict {
            Ok(()) => (
                validation_codes::SIGNING_CREDENTIAL_TRUSTED,
                CodeKind::Success,
                "signing certificate chains to a configured trust anchor".to_owned(),
            ),
            Err(e) => (
                validation_codes::SIGNING_CREDENTIAL_UNTRUSTED,
                CodeKind::Failure,
                format!("signing certificate not trusted here: {e}"),
            ),
        };
        report.codes.push(StatusCode {
            code: code.to_owned(),
            kind,
            origin: CodeOrigin::Provenant,
            step: Some(i),
            url: Some(format!(
                "self#jumbf=/c2pa/{}/c2pa.signature",
                report.chain[i].manifest
            )),
            explanation: Some(explanation),
        });
    }
}

/// Per-step trust and status from the codes attributed to each step.
fn settle_steps(report: &mut Report) {
    for step in &mut report.chain {
        let mine = report.codes.iter().filter(|c| c.step == Some(step.index));
        let mut trust = Trust::Unknown;
        let mut failures: Vec<String> = Vec::new();
        for c in mine {
            let live = c.origin != CodeOrigin::IngredientRecord;
            if c.code == validation_codes::SIGNING_CREDENTIAL_TRUSTED && live {
                trust = Trust::Trusted;
            } else if c.code == validation_codes::SIGNING_CREDENTIAL_UNTRUSTED && live {
                if trust != Trust::Trusted {
                    trust = Trust::Untrusted;
                }
            } else if c.kind == CodeKind::Failure
                && !is_trust_code(&c.code)
                && !failures.contains(&c.code)
            {
                failures.push(c.code.clone());
            }
        }
        step.trust = trust;
        step.status = if !failures.is_empty() {
            StepStatus::Invalid
        } else if trust == Trust::Trusted {
            StepStatus::Trusted
        } else {
            StepStatus::Valid
        };
        step.failures = failures;
    }
}

/// The C2PA validation state of the active manifest, never greener than a step
/// that failed live validation or whose signer is untrusted here, and `invalid`
/// when any step of the parent lineage (the `parentOf` ingredients this picture
/// was edited from) is invalid, even if only recorded so: an edit must not launder
/// a tampered original. A broken *component* is reported on its step only, as
/// the C2PA validation states prescribe.
fn overall_verdict(state: ValidationState, chain: &[ChainStep]) -> Verdict {
    let mut verdict = match state {
        ValidationState::Trusted => Verdict::Trusted,
        ValidationState::Valid => Verdict::Valid,
        _ => Verdict::Invalid,
    };
    let mut lineage = vec![false; chain.len()];
    for (i, step) in chain.iter().enumerate() {
        lineage[i] = i == 0
            || (step.relationship == "parentOf"
                && step
                    .parent
                    .is_some_and(|p| lineage.get(p).copied().unwrap_or(false)));
        if lineage[i] && step.status == StepStatus::Invalid {
            verdict = Verdict::Invalid;
        }
    }
    if verdict == Verdict::Trusted && chain.iter().any(|s| s.trust == Trust::Untrusted) {
        verdict = Verdict::Valid;
    }
    verdict
}

fn describe_step(
    index: usize,
    label: &str,
    parent: Option<usize>,
    relationship: String,
    manifest: &Manifest,
) -> ChainStep {
    let sig = manifest.signature_info();
    let ders = sig
        .map(|s| crate::credentials::trust::certificate_ders(s.cert_chain()))
        .unwrap_or_default();
    let actions = actions_of(manifest);
    let digital_source_type = actions
        .iter()
        .find(|a| a.action == "c2pa.created")
        .and_then(|a| a.digital_source_type.clone())
        .or_else(|| actions.iter().find_map(|a| a.digital_source_type.clone()));
    let (time, time_source) = match sig.and_then(|s| s.time.clone()) {
        Some(t) => (Some(t), Some(TimeSource::TimeStamp)),
        None => match actions.iter().filter_map(|a| a.when.clone()).max() {
            Some(t) => (Some(t), Some(TimeSource::Claimed)),
            None => (None, None),
        },
    };
    ChainStep {
        index,
        manifest: label.to_owned(),
        parent,
        relationship,
        title: manifest.title().map(str::to_owned),
        format: manifest.format().map(str::to_owned),
        claim_generator: manifest.claim_generator().map(str::to_owned).or_else(|| {
            manifest
                .claim_generator_info
                .as_ref()
                .and_then(|v| v.first())
                .map(|g| g.name.clone())
        }),
        signer: SignerInfo {
            common_name: sig.and_then(|s| s.common_name.clone()),
            issuer: sig.and_then(|s| s.issuer.clone()),
            alg: sig.and_then(|s| s.alg).map(|a| a.to_string()),
            serial_number: sig.and_then(|s| s.cert_serial_number.clone()),
        },
        time,
        time_source,
        ai_generated: digital_source_type
            .as_deref()
            .is_some_and(is_ai_source_type),
        digital_source_type,
        actions,
        ingredients: Vec::new(),
        trust: Trust::Unknown,
        status: StepStatus::Valid,
        failures: Vec::new(),
        manifest_id: ders.first().map(|der| hex::encode(manifest_id(label, der))),
        anchor: None,
        chronology_endpoint: None,
        certificates: ders
            .iter()
            .map(|der| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(der)))
            .collect(),
        capture: crate::blacklist::capture::assertion::read_assertion(manifest),
        blacklist: Default::default(),
    }
}

fn actions_of(manifest: &Manifest) -> Vec<ActionRecord> {
    let mut out = Vec::new();
    for assertion in manifest.assertions() {
        if !assertion.label().starts_with("c2pa.actions") {
            continue;
        }
        let Ok(value) = assertion.value() else {
            continue;
        };
        for a in value
            .get("actions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(action) = a.get("action").and_then(Value::as_str) else {
                continue;
            };
            let agent = a.get("softwareAgent").and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            });
            out.push(ActionRecord {
                action: action.to_owned(),
                parameters: a.get("parameters").cloned(),
                digital_source_type: a
                    .get("digitalSourceType")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                software_agent: agent,
                when: a.get("when").and_then(Value::as_str).map(str::to_owned),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_is_taken_from_jumbf_uris() {
        assert_eq!(
            label_of("self#jumbf=/c2pa/urn:c2pa:abc/c2pa.signature"),
            Some("urn:c2pa:abc")
        );
        assert_eq!(
            label_of("self#jumbf=/c2pa/urn:c2pa:abc"),
            Some("urn:c2pa:abc")
        );
        assert_eq!(label_of("self#jumbf=c2pa.assertions/c2pa.hash.data"), None);
    }

    #[test]
    fn empty_and_unknown_inputs_are_errors_not_verdicts() {
        let opts = VerifyOptions::default();
        assert!(matches!(verify_bytes(b"", &opts), Err(VerifyError::Empty)));
        match verify_bytes(b"hello world, not an image", &opts) {
            Err(VerifyError::UnknownFormat { head }) => assert_eq!(head, "\"hello wo\""),
            other => panic!("unexpected {other:?}"),
        }
    }
}
