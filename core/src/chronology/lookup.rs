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

/// The C2PA manifest store (JUMBF) a file carries, as a `.c2pa` sidecar holds it, for
/// [`super::Log::add_with_store`]; `None` when the file carries none or its format is
/// not recognised.
pub fn manifest_store_of(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut src = std::io::Cursor::new(bytes);
    let (_, format) = crate::credentials::verify::probe(&mut src).ok()?;
    crate::credentials::extract::embedded_store(&mut src, format)
}

/// The `value` of a Soft Binding Resolution API query (`/matches/byBinding`) for an
/// `io.iscc.v0` code: the API wants "a base64-encoded string describing, in
/// algorithm specific format, the value of the soft binding", so this is the
/// standard base64 of the code's canonical text, exactly what the manifest's
/// `c2pa.soft-binding` assertion holds as its `value` (`ISCC:…`).
pub fn binding_value(code: super::iscc::IsccImageCode) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(code.to_string())
}

/// Reads the `value` of a `/matches/byBinding` query for `io.iscc.v0`, accepting what
/// other clients may reasonably send: the base64 (standard or URL-safe, padded or not)
/// of the code's text (what [`binding_value`] sends) or of its binary form (the ISCC
/// header and body, 10 bytes), or the `ISCC:…` text itself as the assertion holds it.
/// `None` when the value is none of these, or not a 64-bit Content-Code Image.
pub fn parse_binding_value(value: &str) -> Option<super::iscc::IsccImageCode> {
    use super::iscc::IsccImageCode;
    use base64::Engine;
    let value = value.trim();
    if value.is_empty() || value.len() > 128 {
        return None;
    }
    if value.starts_with("ISCC:") {
        return value.parse::<IsccImageCode>().ok();
    }
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let decoded = engines.iter().find_map(|e| e.decode(value).ok())?;
    if let Ok(text) = std::str::from_utf8(&decoded) {
        if let Ok(code) = text.trim().parse::<IsccImageCode>() {
            return Some(code);
        }
    }
    // The binary code: base32 (RFC 4648, no padding) of it is the ISCC text.
    if decoded.len() == 10 {
        return format!("ISCC:{}", base32(&decoded)).parse().ok();
    }
    None
}

/// RFC 4648 base32 without padding (the ISCC text alphabet).
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((acc >> bits) & 31) as usize]));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((acc << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::chronology::iscc::IsccImageCode;
    use base64::Engine;

    #[test]
    fn binding_values_in_every_accepted_form() {
        let code = IsccImageCode(0x8f3a_11c0_55aa_0f0f);
        let text = code.to_string();
        assert!(text.starts_with("ISCC:"), "{text}");
        // The binary form: base32-decode the text's body by hand-checked round trip.
        let b32 = &text["ISCC:".len()..];
        assert_eq!(b32.len(), 16, "10 bytes are 16 base32 digits");
        let mut bin = Vec::new();
        let (mut acc, mut bits) = (0u32, 0u32);
        for c in b32.bytes() {
            let v = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
                .iter()
                .position(|&a| a == c)
                .unwrap() as u32;
            acc = (acc << 5) | v;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                bin.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        assert_eq!(&bin[2..], &code.0.to_be_bytes());
        assert_eq!(base32(&bin), b32);
        let std = base64::engine::general_purpose::STANDARD;
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for value in [
            binding_value(code),
            text.clone(),
            std.encode(&bin),
            url.encode(&bin),
            url.encode(text.as_bytes()),
        ] {
            assert_eq!(parse_binding_value(&value), Some(code), "{value}");
        }
        for bad in [
            "",
            "not base64!",
            "ISCC:NOTACODE",
            &std.encode(b"0123456789"),
            &std.encode(b"hello"),
            &"A".repeat(200),
        ] {
            assert_eq!(parse_binding_value(bad), None, "{bad}");
        }
    }
}
