//! Anchor proofs attached to the steps of a verified file: the proofs later steps carry
//! for earlier ones (our assertion) and those given from outside (a sidecar, an
//! endpoint), each checked locally against its step.

use c2pa::Reader;

use crate::chronology::proof::ProofBundle;
use crate::chronology::proof::{ProofSet, ANCHORS_ASSERTION};
use crate::credentials::report::{
    AnchorStatus, CodeKind, CodeOrigin, Report, StatusCode, StepAnchor, StepStatus,
};

/// Anchor proofs that later steps carry for earlier ones (our assertion). A proof
/// that cannot be read is reported on the step that carries it.
/// An anchor proof and where it came from (`sidecar`, `endpoint`, `log`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcedProof {
    /// The proof.
    pub bundle: ProofBundle,
    /// Where it came from.
    pub source: &'static str,
}

pub(super) fn embedded_proofs(report: &mut Report, reader: &Reader) -> Vec<SourcedProof> {
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
/// Failure: the proof's Merkle path does not lead to its root.
pub const ANCHOR_ROOT_MISMATCH: &str = "anchor.rootMismatch";
/// Failure: the anchored entry is for different file bytes than this file.
pub const ANCHOR_CONTENT_MISMATCH: &str = "anchor.contentMismatch";
/// Informational: a proof was found but not checked against a chain (no RPC endpoint given).
pub const ANCHOR_UNCHECKED: &str = "anchor.unchecked";

/// A provenant status code (`origin` provenant, no URL) about step `step`.
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
pub(super) fn attach_anchors(
    report: &mut Report,
    embedded: Vec<SourcedProof>,
    external: &[SourcedProof],
) {
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
