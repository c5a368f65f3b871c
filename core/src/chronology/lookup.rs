//! Finding a picture's originals in the chronology log: by exact hash, by the
//! manifests it still carries, and by perceptual fingerprint, so a copy a platform
//! re-encoded, resized or stripped of metadata is still found; the earliest anchored
//! original comes first.

use serde::Serialize;

use super::fingerprint;
use super::{BatchState, Entry, Log, LogError};

/// A log entry that matches the picture looked up.
#[derive(Debug, Clone, Serialize)]
pub struct Match {
    /// The log entry.
    pub entry: i64,
    /// `exact` (same bytes), `manifest` (carries this entry's manifest) or `perceptual`.
    pub how: &'static str,
    /// Hamming distance in bits between the perceptual hashes (0 for an exact match).
    pub distance: u32,
    /// Label of the entry's manifest.
    pub manifest: String,
    /// Common name of the entry's signer, if recorded.
    pub signer: Option<String>,
    /// When the entry was logged (Unix seconds, the logger's clock).
    pub logged_at: u64,
    /// Where the signed file was written, if recorded.
    pub path: Option<String>,
    /// Where it was published, if known.
    pub published_at: Option<String>,
    /// True when the entry's batch is anchored (its block finalized).
    pub anchored: bool,
    /// Block time of the anchoring (Unix seconds), once mined.
    pub block_time: Option<u64>,
    /// Block the anchoring transaction is in, once mined.
    pub block_number: Option<u64>,
    /// EVM chain id of the anchor, once mined.
    pub chain_id: Option<u64>,
    /// Hash of the anchoring transaction (0x-prefixed hex), once mined.
    pub tx_hash: Option<String>,
}

fn describe(log: &Log, e: &Entry, how: &'static str, distance: u32) -> Result<Match, LogError> {
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

/// Log entries matching a picture: exact hash, the manifests it carries, perceptual
/// hash within `max_distance`, and, when the query's ISCC code is given, any ISCC code
/// of an entry (its whole picture or one of its regions, so crops are found) within
/// [`super::iscc::MATCH_DISTANCE`]; earliest original first.
pub fn find_matches(
    log: &Log,
    sha: &[u8; 32],
    carried: &[[u8; 32]],
    phash: fingerprint::PerceptualHash,
    iscc: Option<super::iscc::IsccImageCode>,
    max_distance: u32,
) -> Result<Vec<Match>, LogError> {
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
    if let Some(code) = iscc {
        let code = super::Code::new(super::iscc::ALG, code.0);
        for (e, d) in log.similar_code(&code, super::iscc::MATCH_DISTANCE)? {
            if seen.insert(e.id) {
                matches.push(describe(log, &e, "perceptual", d)?);
            }
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
