//! Checking a report's anchor proofs against the registry contract, without a network
//! stack of its own: this module builds the `eth_call` data, reads the answers and
//! records the verdict in the report. The native CLI sends the calls through alloy
//! (`anchoring`); the browser sends the same bytes with `fetch`. Builds for wasm32.
//!
//! Rules, the same everywhere: only registries the verifier trusts are asked (anyone
//! can deploy a contract that says "included" to everything); a proof for another
//! chain is left unchecked; the registry is asked as of `latest` (a key revocation
//! counts at once) and as of `finalized` (only then is the anchor *anchored*).

use crate::chronology::proof::ProofBundle;
use crate::credentials::report::{AnchorStatus, CodeKind, Report};
use crate::credentials::verify::{anchor_code, ANCHOR_UNCHECKED};

/// Our codes for anchors checked against a chain.
pub const ANCHOR_ANCHORED: &str = "anchor.anchored";
/// Informational: the registry confirms the anchor, but its block is not finalized yet.
pub const ANCHOR_PENDING: &str = "anchor.pending";
/// Failure: the registry does not confirm the root or the leaf.
pub const ANCHOR_NOT_FOUND: &str = "anchor.notFound";
/// Failure: anchored by a key its publisher declared compromised at that time.
pub const ANCHOR_KEY_COMPROMISED: &str = "anchor.keyCompromised";
/// Informational: the proof is for another chain than the endpoint serves, so it was left unchecked.
pub const ANCHOR_OTHER_CHAIN: &str = "anchor.otherChain";
/// The proof names a registry the verifier does not trust on that chain.
pub const ANCHOR_UNKNOWN_REGISTRY: &str = "anchor.unknownRegistry";
/// Informational: other registered publishers use the same name; only the address
/// identifies the publisher. Never makes a verdict more (or less) trusted.
pub const ANCHOR_PUBLISHER_NAME_SHARED: &str = "anchor.publisherNameShared";

/// `verifyLeaf(address,bytes,uint64,uint64,bytes32[],bytes32)`.
pub const VERIFY_LEAF_SELECTOR: [u8; 4] = [0x42, 0xcb, 0x91, 0xf4];
/// `publisherOf(address)`.
pub const PUBLISHER_OF_SELECTOR: [u8; 4] = [0x23, 0xe2, 0xff, 0x45];

/// What the registry says about a confirmed leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirmation {
    /// Block time of the anchoring (Unix seconds).
    pub time: u64,
    /// Block number of the anchor as the registry stored it (low 32 bits).
    pub block_number: u64,
    /// The publisher the anchoring key belongs to.
    pub publisher: [u8; 20],
    /// Address of the key that anchored the root.
    pub key: [u8; 20],
    /// False when the key's publisher declared it compromised at or before `time`.
    pub key_trusted: bool,
    /// The registry confirmed it as of the chain's `finalized` block.
    pub finalized: bool,
}

fn word_u64(v: u64) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&v.to_be_bytes());
    w
}

fn word_address(a: &[u8; 20]) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a);
    w
}

/// ABI-encoded call of `verifyLeaf` for a bundle.
pub fn verify_leaf_calldata(b: &ProofBundle) -> Vec<u8> {
    let leaf = b.leaf.encode();
    let leaf_words = leaf.len().div_ceil(32);
    let head = 6 * 32;
    let siblings_at = head + 32 + leaf_words * 32;
    let mut out = Vec::with_capacity(4 + siblings_at + 32 + 32 * b.siblings.len());
    out.extend_from_slice(&VERIFY_LEAF_SELECTOR);
    out.extend_from_slice(&word_address(&b.publisher));
    out.extend_from_slice(&word_u64(head as u64));
    out.extend_from_slice(&word_u64(b.index));
    out.extend_from_slice(&word_u64(b.leaf_count));
    out.extend_from_slice(&word_u64(siblings_at as u64));
    out.extend_from_slice(&b.root);
    out.extend_from_slice(&word_u64(leaf.len() as u64));
    out.extend_from_slice(&leaf);
    out.resize(out.len() + leaf_words * 32 - leaf.len(), 0);
    out.extend_from_slice(&word_u64(b.siblings.len() as u64));
    for s in &b.siblings {
        out.extend_from_slice(s);
    }
    out
}

fn read_word(data: &[u8], i: usize) -> Option<&[u8; 32]> {
    data.get(i * 32..i * 32 + 32)?.try_into().ok()
}

fn as_u64(w: &[u8; 32]) -> Option<u64> {
    w[..24]
        .iter()
        .all(|b| *b == 0)
        .then(|| u64::from_be_bytes(w[24..].try_into().unwrap_or_default()))
}

fn as_bool(w: &[u8; 32]) -> Option<bool> {
    match as_u64(w)? {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

fn as_address(w: &[u8; 32]) -> Option<[u8; 20]> {
    w[..12]
        .iter()
        .all(|b| *b == 0)
        .then(|| w[12..].try_into().ok())
        .flatten()
}

/// Reads `verifyLeaf`'s answer: `None` for a malformed answer; `Some(None)` when the
/// leaf is not included; `finalized` is left false (the caller knows which block
/// the answer was for).
pub fn decode_verify_leaf(ret: &[u8]) -> Option<Option<Confirmation>> {
    if ret.len() != 6 * 32 {
        return None;
    }
    let included = as_bool(read_word(ret, 0)?)?;
    let c = Confirmation {
        time: as_u64(read_word(ret, 1)?)?,
        block_number: as_u64(read_word(ret, 2)?)?,
        publisher: as_address(read_word(ret, 3)?)?,
        key: as_address(read_word(ret, 4)?)?,
        key_trusted: as_bool(read_word(ret, 5)?)?,
        finalized: false,
    };
    Some(included.then_some(c))
}

/// ABI-encoded call of `publisherOf(admin)`.
pub fn publisher_of_calldata(admin: &[u8; 20]) -> Vec<u8> {
    let mut out = PUBLISHER_OF_SELECTOR.to_vec();
    out.extend_from_slice(&word_address(admin));
    out
}

fn read_string(ret: &[u8], head_word: usize) -> Option<String> {
    let at = usize::try_from(as_u64(read_word(ret, head_word)?)?).ok()?;
    let len_word: &[u8; 32] = ret.get(at..at.checked_add(32)?)?.try_into().ok()?;
    let len = usize::try_from(as_u64(len_word)?).ok()?;
    let bytes = ret.get(at + 32..(at + 32).checked_add(len)?)?;
    String::from_utf8(bytes.to_vec()).ok()
}

/// Reads `publisherOf`'s answer: the publisher's name when it is registered.
pub fn decode_publisher_name(ret: &[u8]) -> Option<String> {
    let registered = as_bool(read_word(ret, 2)?)?;
    registered.then(|| read_string(ret, 0)).flatten()
}

/// Reads `publisherOf`'s answer: how many other publishers registered the same name
/// (0 for an unregistered one; `None` for a malformed answer).
pub fn decode_publisher_namesakes(ret: &[u8]) -> Option<u32> {
    u32::try_from(as_u64(read_word(ret, 3)?)?).ok()
}

/// Notes on step `i` that its publisher's name is shared with `namesakes` other
/// publishers (nothing when it is unique). Informational only: a name never changes
/// what the anchor proves; the address does.
pub fn note_namesakes(report: &mut Report, i: usize, namesakes: u32) {
    let Some(a) = report.chain.get(i).and_then(|s| s.anchor.as_ref()) else {
        return;
    };
    if namesakes == 0 || a.publisher.is_none() {
        return;
    }
    let who = a.publisher.clone().unwrap_or_default();
    let name = a.publisher_name.clone().unwrap_or_default();
    report.codes.push(anchor_code(
        ANCHOR_PUBLISHER_NAME_SHARED,
        CodeKind::Informational,
        Some(i),
        format!(
            "{namesakes} other publisher{} registered the name {name:?}: this anchor is by {who}; check that address, not the name",
            if namesakes == 1 { " has" } else { "s have" }
        ),
    ));
}

/// Steps whose anchors can be checked on `chain_id` against the `trusted` registries,
/// with their bundles. Proofs for another chain are noted and left unchecked; proofs
/// naming an untrusted registry are refused in the report.
pub fn pending_checks(
    report: &mut Report,
    chain_id: u64,
    trusted: &[[u8; 20]],
) -> Vec<(usize, ProofBundle)> {
    let mut out = Vec::new();
    for i in 0..report.chain.len() {
        let Some(anchor) = report.chain[i].anchor.as_ref() else {
            continue;
        };
        if anchor.status != AnchorStatus::Unchecked {
            continue;
        }
        let Ok(bundle) = ProofBundle::from_base64(&anchor.proof) else {
            continue;
        };
        if bundle.chain_id != chain_id {
            report.codes.push(anchor_code(
                ANCHOR_OTHER_CHAIN,
                CodeKind::Informational,
                Some(i),
                format!(
                    "anchored on chain {}, but the endpoint serves chain {chain_id}",
                    bundle.chain_id
                ),
            ));
            continue;
        }
        report
            .codes
            .retain(|c| !(c.step == Some(i) && c.code == ANCHOR_UNCHECKED));
        if !trusted.contains(&bundle.registry) {
            let registry = format!("0x{}", hex::encode(bundle.registry));
            refuse(
                report,
                i,
                ANCHOR_UNKNOWN_REGISTRY,
                format!(
                    "the proof names registry {registry}, which is not a registry you trust on chain {chain_id}"
                ),
            );
            continue;
        }
        out.push((i, bundle));
    }
    out
}

fn refuse(report: &mut Report, i: usize, code: &str, why: String) {
    let step = &mut report.chain[i];
    if let Some(a) = step.anchor.as_mut() {
        a.status = AnchorStatus::NotFound;
    }
    step.failures.push(code.into());
    report
        .codes
        .push(anchor_code(code, CodeKind::Failure, Some(i), why));
}

/// Records what the registry said about step `i`'s proof.
pub fn apply(
    report: &mut Report,
    i: usize,
    found: Option<Confirmation>,
    publisher_name: Option<String>,
) {
    let Some(found) = found else {
        let (registry, chain) = report.chain[i]
            .anchor
            .as_ref()
            .map(|a| (a.registry.clone(), a.chain_id))
            .unwrap_or_default();
        refuse(
            report,
            i,
            ANCHOR_NOT_FOUND,
            format!("registry {registry} on chain {chain} does not confirm this entry"),
        );
        return;
    };
    let step = &mut report.chain[i];
    let Some(a) = step.anchor.as_mut() else {
        return;
    };
    a.block_number = found.block_number;
    a.time = Some(rfc3339(found.time));
    a.publisher = Some(format!("0x{}", hex::encode(found.publisher)));
    a.key = Some(format!("0x{}", hex::encode(found.key)));
    a.publisher_name = publisher_name;
    let (status, code, kind, why) = if !found.key_trusted {
        (
            AnchorStatus::KeyCompromised,
            ANCHOR_KEY_COMPROMISED,
            CodeKind::Failure,
            "anchored by a key its publisher declared compromised at that time".to_owned(),
        )
    } else if found.finalized {
        (
            AnchorStatus::Anchored,
            ANCHOR_ANCHORED,
            CodeKind::Success,
            format!("anchored in finalized block {}", found.block_number),
        )
    } else {
        (
            AnchorStatus::Pending,
            ANCHOR_PENDING,
            CodeKind::Informational,
            format!("in block {}, not yet finalized", found.block_number),
        )
    };
    a.status = status;
    if kind == CodeKind::Failure {
        step.failures.push(code.into());
    }
    report.codes.push(anchor_code(code, kind, Some(i), why));
}

/// Unix seconds as RFC 3339 UTC (civil-from-days, no date library needed in wasm).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{d:02}T{h:02}:{m:02}:{s:02}Z")
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` (what [`rfc3339`] writes) back to Unix seconds.
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || b[19] != b'Z' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let part = text.get(from..to)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, mi, s) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    // Howard Hinnant's days-from-civil algorithm.
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + h * 3600 + mi * 60 + s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed_dates_round_trip() {
        for secs in [0, 951_782_400, 1_795_329_207, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&rfc3339(secs)), Some(secs));
        }
        for bad in [
            "",
            "2026-13-01T00:00:00Z",
            "2026-11-22 06:33:27Z",
            "2026-11-22T06:33:27+01:00",
            "+026-11-22T06:33:27Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_329_207), "2026-11-22T06:33:27Z");
    }

    #[test]
    fn malformed_answers_are_none() {
        assert_eq!(decode_verify_leaf(&[]), None);
        assert_eq!(decode_verify_leaf(&[0u8; 6 * 32]), Some(None));
        let mut bad_bool = [0u8; 6 * 32];
        bad_bool[31] = 2;
        assert_eq!(decode_verify_leaf(&bad_bool), None);
        assert_eq!(decode_publisher_name(&[1, 2, 3]), None);
    }
}
