//! `applyBlacklist(reportJson, snapshotJson, trustedKeys, nowUnix)`: checks a report
//! against a signed blacklist snapshot in the browser, with the same rules as
//! `provenant verify --blacklist` (signature by a trusted key, expiry, entries tied to
//! their evidence, then device tags and certificate fingerprints).

use provenant_core::blacklist::{Blacklist, Snapshot};
use provenant_core::Report;

use crate::WasmError;

fn invalid(message: String) -> WasmError {
    WasmError {
        code: "blacklist.invalid",
        message,
    }
}

/// The report with its blacklist fields filled from the snapshot. `trusted_keys`:
/// hex Ed25519 public keys separated by commas, spaces or newlines.
pub fn apply_blacklist_json(
    report_json: &str,
    snapshot_json: &str,
    trusted_keys: &str,
    now_unix: u64,
) -> Result<String, WasmError> {
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
    let snap = Snapshot::open(snapshot_json.as_bytes(), &keys, now_unix)
        .map_err(|e| invalid(e.to_string()))?;
    let mut list = Blacklist::from_snapshot(&snap, "loaded in this browser")
        .map_err(|e| invalid(e.to_string()))?;
    list.apply(&mut report);
    serde_json::to_string(&report).map_err(|e| WasmError {
        code: "internal",
        message: e.to_string(),
    })
}
