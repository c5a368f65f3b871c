//! Checking a report's anchors from the browser. The page or worker owns the network
//! (it `fetch`es a Polygon JSON-RPC endpoint); everything else — which calls to make,
//! what the answers mean, what goes into the report — is the same core code the CLI
//! uses (`provenant_core::anchor::check`).
//!
//! Flow: `anchorCalls(report, chainId, registries)` → for each call, `eth_call` it as of
//! `latest` and as of `finalized` (and `publisherOf` for the name) →
//! `applyAnchorAnswers(report, answers)`.

use provenant_core::anchor::check::{
    apply, decode_publisher_name, decode_publisher_namesakes, decode_verify_leaf, note_namesakes,
    pending_checks, publisher_of_calldata, verify_leaf_calldata,
};
use provenant_core::Report;
use serde::{Deserialize, Serialize};

use crate::WasmError;

fn bad(message: impl Into<String>) -> WasmError {
    WasmError {
        code: "options.invalid",
        message: message.into(),
    }
}

fn parse_report(json: &str) -> Result<Report, WasmError> {
    serde_json::from_str(json).map_err(|e| bad(format!("not a report: {e}")))
}

fn to_json<T: Serialize>(v: &T) -> Result<String, WasmError> {
    serde_json::to_string(v).map_err(|e| WasmError {
        code: "internal",
        message: e.to_string(),
    })
}

fn parse_address(text: &str) -> Result<[u8; 20], WasmError> {
    hex::decode(text.trim().trim_start_matches("0x"))
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| bad(format!("not an address: {text:?}")))
}

fn parse_hex(text: &str) -> Result<Vec<u8>, WasmError> {
    hex::decode(text.trim().trim_start_matches("0x")).map_err(|e| bad(format!("not hex: {e}")))
}

/// One `eth_call` the caller must make (as of `latest` and of `finalized`).
#[derive(Debug, Serialize)]
pub struct AnchorCall {
    pub step: usize,
    /// The registry contract.
    pub to: String,
    /// `verifyLeaf` call data (0x hex).
    pub data: String,
}

#[derive(Debug, Serialize)]
struct Calls {
    /// The report, with proofs for other chains or untrusted registries already noted.
    report: Report,
    calls: Vec<AnchorCall>,
}

/// The calls that check `report`'s unchecked anchors on `chain_id`, asking only the
/// `registries` the reader trusts (JSON array of addresses).
pub fn anchor_calls(
    report_json: &str,
    chain_id: u64,
    registries_json: &str,
) -> Result<String, WasmError> {
    let mut report = parse_report(report_json)?;
    let registries: Vec<String> = serde_json::from_str(registries_json)
        .map_err(|e| bad(format!("registries must be a JSON array of addresses: {e}")))?;
    let trusted = registries
        .iter()
        .map(|r| parse_address(r))
        .collect::<Result<Vec<_>, _>>()?;
    let calls = pending_checks(&mut report, chain_id, &trusted)
        .into_iter()
        .map(|(step, bundle)| AnchorCall {
            step,
            to: format!("0x{}", hex::encode(bundle.registry)),
            data: format!("0x{}", hex::encode(verify_leaf_calldata(&bundle))),
        })
        .collect();
    to_json(&Calls { report, calls })
}

/// What the endpoint answered for one [`AnchorCall`].
#[derive(Debug, Deserialize)]
pub struct AnchorAnswer {
    pub step: usize,
    /// `eth_call` result as of `latest` (0x hex).
    pub latest: String,
    /// `eth_call` result as of `finalized` (0x hex; empty if the node has none).
    #[serde(default)]
    pub finalized: String,
    /// Result of `publisherOf(publisher)` (see [`publisher_of_call`]), if asked.
    #[serde(default)]
    pub publisher_of: Option<String>,
}

/// Records the answers in the report; a malformed answer counts as "not confirmed".
pub fn apply_anchor_answers(report_json: &str, answers_json: &str) -> Result<String, WasmError> {
    let mut report = parse_report(report_json)?;
    let answers: Vec<AnchorAnswer> = serde_json::from_str(answers_json)
        .map_err(|e| bad(format!("answers must be a JSON array: {e}")))?;
    for a in answers {
        if a.step >= report.chain.len() || report.chain[a.step].anchor.is_none() {
            return Err(bad(format!("no anchor to check on step {}", a.step)));
        }
        let latest = decode_verify_leaf(&parse_hex(&a.latest)?).flatten();
        let finalized = match parse_hex(&a.finalized) {
            Ok(bytes) => decode_verify_leaf(&bytes).flatten(),
            Err(_) => None,
        };
        let found = latest.map(|mut c| {
            c.finalized = finalized.is_some_and(|f| f.block_number == c.block_number);
            c
        });
        let publisher_of = a.publisher_of.as_deref().and_then(|h| parse_hex(h).ok());
        let name = publisher_of.as_deref().and_then(decode_publisher_name);
        let namesakes = publisher_of
            .as_deref()
            .and_then(decode_publisher_namesakes)
            .unwrap_or(0);
        apply(&mut report, a.step, found, name);
        note_namesakes(&mut report, a.step, namesakes);
    }
    to_json(&report)
}

/// `publisherOf(address)` call data, for the publisher's registered name.
pub fn publisher_of_call(address: &str) -> Result<String, WasmError> {
    Ok(format!(
        "0x{}",
        hex::encode(publisher_of_calldata(&parse_address(address)?))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use provenant_core::chronology::proof::{LeafData, ProofBundle};
    use provenant_core::credentials::report::{AnchorStatus, StepAnchor};

    fn word(v: u64) -> String {
        format!("{v:064x}")
    }

    fn report_with_anchor(bundle: &ProofBundle) -> String {
        let json = crate::verify_to_json(
            &std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../shared/fixtures/interop/peer-edited.jpg"),
            )
            .unwrap(),
            "",
            None,
        )
        .unwrap();
        let mut report: Report = serde_json::from_str(&json).unwrap();
        report.chain[0].anchor = Some(StepAnchor {
            status: AnchorStatus::Unchecked,
            source: "sidecar".into(),
            chain_id: bundle.chain_id,
            registry: format!("0x{}", hex::encode(bundle.registry)),
            root: format!("0x{}", hex::encode(bundle.root)),
            tx_hash: format!("0x{}", hex::encode(bundle.tx_hash)),
            block_number: bundle.block_number,
            time: None,
            publisher: None,
            publisher_name: None,
            key: None,
            proof: bundle.to_base64(),
        });
        serde_json::to_string(&report).unwrap()
    }

    #[test]
    fn calls_then_answers_give_the_cli_verdicts() {
        let bundle = ProofBundle {
            chain_id: 80002,
            registry: [0x11; 20],
            publisher: [0x22; 20],
            root: [3; 32],
            leaf: LeafData {
                content_sha256: [4; 32],
                manifest_id: [5; 32],
                phash: 6,
                logged_at: 7,
            },
            index: 0,
            leaf_count: 1,
            siblings: vec![],
            tx_hash: [8; 32],
            block_number: 99,
        };
        let report = report_with_anchor(&bundle);
        let registry = format!("[\"0x{}\"]", hex::encode([0x11u8; 20]));

        // Untrusted registry: refused, no call.
        let out: serde_json::Value =
            serde_json::from_str(&anchor_calls(&report, 80002, "[]").unwrap()).unwrap();
        assert_eq!(out["calls"].as_array().unwrap().len(), 0);
        assert_eq!(out["report"]["chain"][0]["anchor"]["status"], "not_found");
        assert!(out["report"].to_string().contains("anchor.unknownRegistry"));

        // Trusted: one call, the core's encoding.
        let out: serde_json::Value =
            serde_json::from_str(&anchor_calls(&report, 80002, &registry).unwrap()).unwrap();
        let call = &out["calls"][0];
        assert_eq!(call["step"], 0);
        assert_eq!(
            call["data"].as_str().unwrap(),
            format!(
                "0x{}",
                hex::encode(provenant_core::anchor::check::verify_leaf_calldata(&bundle))
            )
        );
        let checked = out["report"].to_string();

        // The registry confirms it as of latest and finalized.
        let pubw = format!("{:0>64}", hex::encode([0x22u8; 20]));
        let keyw = format!("{:0>64}", hex::encode([0x33u8; 20]));
        let yes = format!(
            "0x{}{}{}{pubw}{keyw}{}",
            word(1),
            word(1_800_000_000),
            word(99),
            word(1)
        );
        let answers = format!("[{{\"step\":0,\"latest\":\"{yes}\",\"finalized\":\"{yes}\"}}]");
        let done: serde_json::Value =
            serde_json::from_str(&apply_anchor_answers(&checked, &answers).unwrap()).unwrap();
        let a = &done["chain"][0]["anchor"];
        assert_eq!(a["status"], "anchored");
        assert_eq!(a["time"], "2027-01-15T08:00:00Z");
        // Not final yet, and then not confirmed at all.
        let answers = format!("[{{\"step\":0,\"latest\":\"{yes}\",\"finalized\":\"0x\"}}]");
        let done: serde_json::Value =
            serde_json::from_str(&apply_anchor_answers(&checked, &answers).unwrap()).unwrap();
        assert_eq!(done["chain"][0]["anchor"]["status"], "pending");
        let no = format!("0x{}", word(0).repeat(6));
        let answers = format!("[{{\"step\":0,\"latest\":\"{no}\",\"finalized\":\"{no}\"}}]");
        let done: serde_json::Value =
            serde_json::from_str(&apply_anchor_answers(&checked, &answers).unwrap()).unwrap();
        assert_eq!(done["chain"][0]["anchor"]["status"], "not_found");
        // Garbage is an error, not a panic.
        assert!(apply_anchor_answers(&checked, "nope").is_err());
        assert!(apply_anchor_answers("{}", "[]").is_err());
        assert!(publisher_of_call("0x12").is_err());
    }
}
