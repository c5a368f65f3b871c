//! The published step's proof, fetched from the publisher's chronology endpoint a
//! manifest names (opt-in in the page and the extension). The page or worker owns the
//! network (`fetch`, no credentials, no redirects, a deadline and a size cap); which URLs
//! may be fetched and what an answer adds to the report is the core's code, as in
//! `provenant verify --fetch-proofs` (`provenant_core::anchor::endpoint`).
//!
//! Flow: `proofFetches(report, allowLoopback)` → fetch each URL →
//! `attachEndpointAnswers(report, answers)` → the usual anchor check (`anchorCalls`…), which
//! alone can make a step "anchored" (a trusted registry confirms it).
//!
//! A browser cannot see DNS answers: only IP literals are refused here. A name that
//! resolves to a private address is the browser's to block (Chromium's Private Network
//! Access blocks some such requests), not this module's.

use provenant_core::anchor::endpoint::{
    attach_endpoint_proofs, endpoint_requests, endpoint_unavailable, proofs_from_answer,
    proofs_url, MAX_ENDPOINT_FETCHES,
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

fn to_json<T: Serialize>(v: &T) -> Result<String, WasmError> {
    serde_json::to_string(v).map_err(|e| WasmError {
        code: "internal",
        message: e.to_string(),
    })
}

/// One `GET` the caller must make.
#[derive(Debug, Serialize)]
pub struct ProofFetch {
    pub step: usize,
    /// The endpoint as the manifest names it (for the report's notes).
    pub endpoint: String,
    /// `{endpoint}/proofs/{manifest_id}`, already through the core's URL rule.
    pub url: String,
}

#[derive(Debug, Serialize)]
struct Planned {
    /// The report, with refused endpoints already noted (`anchor.endpointUnavailable`).
    report: Report,
    fetches: Vec<ProofFetch>,
}

/// The fetches `report` needs: one per endpoint and manifest id of the steps without an
/// anchor proof, at most 8. Endpoints the URL rule refuses are noted in the report and
/// never fetched. `allow_loopback`: development and tests only.
pub fn proof_fetches(report_json: &str, allow_loopback: bool) -> Result<String, WasmError> {
    let mut report: Report =
        serde_json::from_str(report_json).map_err(|e| bad(format!("not a report: {e}")))?;
    let mut fetches = Vec::new();
    for request in endpoint_requests(&report, allow_loopback) {
        match request.url {
            Ok(url) => fetches.push(ProofFetch {
                step: request.step,
                endpoint: request.endpoint,
                url,
            }),
            Err(why) => {
                report
                    .codes
                    .push(endpoint_unavailable(request.step, &request.endpoint, &why))
            }
        }
    }
    to_json(&Planned { report, fetches })
}

/// What the endpoint answered for one [`ProofFetch`].
#[derive(Debug, Deserialize)]
pub struct EndpointAnswer {
    pub step: usize,
    pub endpoint: String,
    /// The HTTP status (0 when the request failed).
    #[serde(default)]
    pub status: u16,
    /// The body of a 200 answer (text; at most 1 MiB, checked again here).
    #[serde(default)]
    pub body: Option<String>,
    /// Why the request failed (network, time-out, redirect, size).
    #[serde(default)]
    pub error: Option<String>,
}

/// Attaches the proofs the endpoints served (source `endpoint`, each checked locally)
/// and notes the endpoints that failed; a 404 means "none published yet".
pub fn attach_endpoint_answers(report_json: &str, answers_json: &str) -> Result<String, WasmError> {
    let mut report: Report =
        serde_json::from_str(report_json).map_err(|e| bad(format!("not a report: {e}")))?;
    let answers: Vec<EndpointAnswer> = serde_json::from_str(answers_json)
        .map_err(|e| bad(format!("answers must be a JSON array: {e}")))?;
    if answers.len() > MAX_ENDPOINT_FETCHES {
        return Err(bad(format!(
            "at most {MAX_ENDPOINT_FETCHES} endpoint answers per report"
        )));
    }
    let mut bundles = Vec::new();
    for a in answers {
        if a.step >= report.chain.len() {
            return Err(bad(format!("no step {}", a.step)));
        }
        let why = match (a.error, a.status, a.body) {
            (Some(e), _, _) => Some(e),
            (None, 404, _) => None,
            (None, 200, Some(body)) => match proofs_from_answer(body.as_bytes()) {
                Ok(found) => {
                    bundles.extend(found);
                    None
                }
                Err(e) => Some(e),
            },
            (None, 200, None) => Some("empty answer".into()),
            (None, status, _) => Some(format!("HTTP {status}")),
        };
        if let Some(why) = why {
            report
                .codes
                .push(endpoint_unavailable(a.step, &a.endpoint, &why));
        }
    }
    attach_endpoint_proofs(&mut report, bundles);
    to_json(&report)
}

/// The proofs URL for an endpoint and manifest id, or why the URL rule refuses it.
pub fn endpoint_proofs_url(
    endpoint: &str,
    manifest_id: &str,
    allow_loopback: bool,
) -> Result<String, WasmError> {
    proofs_url(endpoint, manifest_id, allow_loopback).map_err(|message| WasmError {
        code: "fetch.refused",
        message,
    })
}

#[cfg(test)]
#[path = "published_tests.rs"]
mod tests;
