//! `applyBlacklist(reportJson, snapshotJson, trustedKeys, nowUnix, seenJson)`: checks a
//! report against a signed blacklist snapshot in the browser, with the same rules as
//! `provenant verify --blacklist` (signature by a trusted key, expiry, entries tied to
//! their evidence, then device tags and certificate fingerprints), and refuses a snapshot
//! older than one this browser saw before from the same source (issue 12 item 7).
//!
//! The browser remembers the newest block per source as `seenJson`: a JSON object from
//! [`SnapshotSource::key`] to the block as a decimal string (a JS number cannot hold every
//! u64). The caller records the `{sourceKey, block}` of a snapshot only when this call
//! succeeded, i.e. after its signature, expiry and entries were checked: a snapshot with a
//! huge block but an untrusted key or a bad signature never raises what is remembered.

use std::collections::BTreeMap;

use provenant_core::blacklist::{Blacklist, Snapshot, SnapshotSource};
use provenant_core::Report;

use crate::WasmError;

fn invalid(message: String) -> WasmError {
    WasmError {
        code: "blacklist.invalid",
        message,
    }
}

/// A report checked against a snapshot, and the snapshot's source and block to remember.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The report with its blacklist fields filled.
    pub report_json: String,
    /// [`SnapshotSource::key`] of the snapshot.
    pub source_key: String,
    /// The block the snapshot's entries were read at.
    pub block: u64,
}

/// The newest block seen per source key, from the browser's record (`""` when none).
pub fn parse_seen(seen_json: &str) -> Result<BTreeMap<String, u64>, WasmError> {
    let bad = |why: String| {
        invalid(format!(
            "this browser's record of blacklist snapshots seen is unreadable ({why}); clear the site's data or the extension's storage"
        ))
    };
    if seen_json.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    let map: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(seen_json).map_err(|e| bad(e.to_string()))?;
    map.into_iter()
        .map(|(key, v)| {
            let block = match &v {
                serde_json::Value::String(s) => s.parse::<u64>().ok(),
                serde_json::Value::Number(n) => n.as_u64(),
                _ => None,
            };
            block
                .map(|b| (key.clone(), b))
                .ok_or_else(|| bad(format!("{key:?} has block {v}")))
        })
        .collect()
}

/// The report (JSON) with its blacklist fields filled from the snapshot, for a verifier
/// that has seen no snapshot before: [`apply_blacklist_seen`] with an empty record.
pub fn apply_blacklist_json(
    report_json: &str,
    snapshot_json: &str,
    trusted_keys: &str,
    now_unix: u64,
) -> Result<String, WasmError> {
    apply_blacklist_seen(report_json, snapshot_json, trusted_keys, now_unix, "")
        .map(|a| a.report_json)
}

/// The report with its blacklist fields filled from the snapshot. `trusted_keys`:
/// hex Ed25519 public keys separated by commas, spaces or newlines; `seen_json`: see
/// [`parse_seen`]. Refuses, like the CLI, a malformed, untrusted, expired snapshot or one
/// with a bad entry, and one older than the block seen before from its source
/// ([`SnapshotSource::check_not_older`]).
pub fn apply_blacklist_seen(
    report_json: &str,
    snapshot_json: &str,
    trusted_keys: &str,
    now_unix: u64,
    seen_json: &str,
) -> Result<Applied, WasmError> {
    let mut report: Report =
        serde_json::from_str(report_json).map_err(|e| invalid(format!("not a report: {e}")))?;
    let keys = trusted_keys
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| {
            provenant_core::blacklist::parse_public_key(t)
                .ok_or_else(|| invalid(format!("{t:?} is not a hex Ed25519 public key")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err(invalid("no trusted blacklist key is configured".into()));
    }
    let seen = parse_seen(seen_json)?;
    let snap = Snapshot::open(snapshot_json.as_bytes(), &keys, now_unix)
        .map_err(|e| invalid(e.to_string()))?;
    let mut list = Blacklist::from_snapshot(&snap, "loaded in this browser")
        .map_err(|e| invalid(e.to_string()))?;
    let source: &SnapshotSource = &snap.body.source;
    let source_key = source.key();
    source
        .check_not_older(seen.get(&source_key).copied())
        .map_err(|e| invalid(e.to_string()))?;
    list.apply(&mut report);
    let report_json = serde_json::to_string(&report).map_err(|e| WasmError {
        code: "internal",
        message: e.to_string(),
    })?;
    Ok(Applied {
        report_json,
        source_key,
        block: source.block_number,
    })
}

#[cfg(test)]
#[path = "blacklist_tests.rs"]
mod tests;
