//! Proofs from a publisher's chronology endpoint, without a network stack of its own:
//! which requests a report needs (each URL through the rules of [`crate::fetch`]) and what
//! an answer adds to the report. The CLI fetches them with reqwest (`publisher`,
//! `inspect`), the browser with `fetch`; both plan and read through here. Builds for
//! wasm32.
//!
//! The endpoint is named by a manifest, so by whoever made the file: it is never trusted.
//! Every bundle it serves is checked locally (its Merkle path, its manifest id, the file's
//! hash) and then on chain against the registries the verifier trusts.

use crate::chronology::proof::{ProofBundle, ProofSet, MAX_PROOF_SET_BYTES};
use crate::credentials::report::{CodeKind, CodeOrigin, Report, StatusCode};
use crate::credentials::verify::{attach_proofs, SourcedProof};

/// Informational: a publisher's endpoint was refused, failed or answered garbage; the
/// step stays without a proof from it.
pub const ANCHOR_ENDPOINT_UNAVAILABLE: &str = "anchor.endpointUnavailable";

/// Each endpoint fetch may take a whole time-out: at most this many per file.
pub const MAX_ENDPOINT_FETCHES: usize = 8;

/// One `GET` of a step's proofs from its publisher's endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRequest {
    /// The step whose manifest names the endpoint.
    pub step: usize,
    /// The endpoint as the manifest names it.
    pub endpoint: String,
    /// The step's manifest id (64 hex digits as the report has it).
    pub manifest_id: String,
    /// `{endpoint}/proofs/{manifest_id}` when the URL rules allow it, else why not.
    pub url: Result<String, String>,
}

/// `{endpoint}/proofs/{manifest_id}` if the endpoint passes the URL rule (https only;
/// no private, loopback, link-local or metadata IP literal; loopback, and plain http to
/// it, only with `allow_loopback`) and the id is 64 hex digits; else why not.
pub fn proofs_url(
    endpoint: &str,
    manifest_id: &str,
    allow_loopback: bool,
) -> Result<String, String> {
    crate::fetch::check_url(endpoint, allow_loopback).map_err(|e| match e {
        crate::fetch::FetchError::Refused { why, .. } => format!("refused: {why}"),
        other => other.to_string(),
    })?;
    if manifest_id.len() != 64 || !manifest_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("bad manifest id".into());
    }
    Ok(format!(
        "{}/proofs/{manifest_id}",
        endpoint.trim_end_matches('/')
    ))
}

/// The endpoint requests `report` needs: one per (endpoint, manifest id) of the steps
/// that have no anchor proof yet and name an endpoint, at most [`MAX_ENDPOINT_FETCHES`].
pub fn endpoint_requests(report: &Report, allow_loopback: bool) -> Vec<EndpointRequest> {
    let mut asked = std::collections::HashSet::new();
    let mut out = Vec::new();
    for step in &report.chain {
        let (None, Some(endpoint), Some(id)) =
            (&step.anchor, &step.chronology_endpoint, &step.manifest_id)
        else {
            continue;
        };
        if asked.len() >= MAX_ENDPOINT_FETCHES || !asked.insert((endpoint.clone(), id.clone())) {
            continue;
        }
        out.push(EndpointRequest {
            step: step.index,
            endpoint: endpoint.clone(),
            manifest_id: id.clone(),
            url: proofs_url(endpoint, id, allow_loopback),
        });
    }
    out
}

/// The bundles of an endpoint's answer body (a proof-set JSON as in sidecars, at most
/// [`MAX_PROOF_SET_BYTES`]); bundles that cannot be read are left out.
pub fn proofs_from_answer(body: &[u8]) -> Result<Vec<ProofBundle>, String> {
    if body.len() > MAX_PROOF_SET_BYTES {
        return Err("answer larger than 1 MiB".into());
    }
    Ok(ProofSet::parse(body)
        .map_err(|e| e.to_string())?
        .bundles()
        .0)
}

/// The report's note that `endpoint` gave step `step` nothing usable.
pub fn endpoint_unavailable(step: usize, endpoint: &str, why: &str) -> StatusCode {
    StatusCode {
        code: ANCHOR_ENDPOINT_UNAVAILABLE.into(),
        kind: CodeKind::Informational,
        origin: CodeOrigin::Provenant,
        step: Some(step),
        url: None,
        explanation: Some(format!("chronology endpoint {endpoint}: {why}")),
    }
}

/// Attaches bundles fetched from endpoints to the steps that have no proof yet (source
/// `endpoint`), each checked locally; the caller then checks them on chain.
pub fn attach_endpoint_proofs(report: &mut Report, bundles: Vec<ProofBundle>) {
    let proofs: Vec<SourcedProof> = bundles
        .into_iter()
        .map(|bundle| SourcedProof {
            bundle,
            source: "endpoint",
        })
        .collect();
    attach_proofs(report, &proofs);
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn proof_urls_follow_the_fetch_rules() {
        assert_eq!(
            proofs_url("https://news.example/chronology/", ID, false).unwrap(),
            format!("https://news.example/chronology/proofs/{ID}")
        );
        for (endpoint, loopback) in [
            ("http://news.example", true),
            ("https://10.0.0.1", true),
            ("https://169.254.169.254", true),
            ("https://[fe80::1]", true),
            ("https://127.0.0.1:8443", false),
            ("http://127.0.0.1:8080", false),
            ("ftp://news.example", true),
            ("https://user:pw@news.example", true),
            ("not a url", true),
        ] {
            let why = proofs_url(endpoint, ID, loopback).unwrap_err();
            assert!(why.starts_with("refused: "), "{endpoint}: {why}");
        }
        assert!(proofs_url("http://127.0.0.1:8080", ID, true).is_ok());
        assert_eq!(
            proofs_url("https://news.example", "../../etc", false).unwrap_err(),
            "bad manifest id"
        );
    }

    #[test]
    fn answers_are_bounded_and_parsed() {
        assert!(proofs_from_answer(&vec![b' '; MAX_PROOF_SET_BYTES + 1])
            .unwrap_err()
            .contains("1 MiB"));
        assert!(proofs_from_answer(b"<html>oops</html>").is_err());
        assert!(proofs_from_answer(b"{\"version\":2}").is_err());
        let empty = ProofSet::from_bundles(&[], None).to_json();
        assert_eq!(proofs_from_answer(empty.as_bytes()).unwrap(), vec![]);
    }
}
