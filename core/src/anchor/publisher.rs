//! Proofs from a publisher's chronology endpoint (untrusted: every bundle is checked
//! locally and on chain by the caller).
//!
//! The endpoint is named by a manifest, so by whoever made the file: it is fetched only
//! from the public internet, through [`crate::fetch`] (no private, loopback or link-local
//! address, for IP literals and after DNS resolution alike; loopback only with the
//! development option; plain http only to loopback; no redirects; 1 MiB at most).

use crate::chronology::proof::ProofBundle;
use crate::fetch::{FetchError, FetchPolicy};

use super::network::*;

impl Network {
    /// Fetches the proofs a publisher's chronology endpoint serves for one manifest
    /// (`GET {endpoint}/proofs/{manifest_id}`, a proof-set JSON as in sidecars). The
    /// endpoint is not trusted: callers check every bundle locally and on chain.
    /// `Ok(empty)` when the endpoint has none (404).
    /// `allow_loopback` lets an endpoint on this machine be fetched (development and
    /// tests); every other non-public address is refused whatever it says.
    pub fn fetch_proofs(
        &self,
        endpoint: &str,
        manifest_id: &str,
        allow_loopback: bool,
    ) -> Result<Vec<ProofBundle>, AnchorError> {
        let fail = |message: String| AnchorError::Endpoint {
            endpoint: endpoint.to_owned(),
            message,
        };
        let url =
            super::endpoint::proofs_url(endpoint, manifest_id, allow_loopback).map_err(fail)?;
        let policy = FetchPolicy {
            allow_loopback,
            ..FetchPolicy::public(
                crate::chronology::proof::MAX_PROOF_SET_BYTES,
                self.policy.request_timeout,
            )
        };
        let body = match self.rt.block_on(crate::fetch::get(&url, &policy)) {
            Ok(body) => body,
            Err(FetchError::Status { status: 404, .. }) => return Ok(Vec::new()),
            Err(FetchError::TooLarge { .. }) => {
                return Err(fail("answer larger than 1 MiB".into()))
            }
            Err(e) => return Err(fail(why(e))),
        };
        super::endpoint::proofs_from_answer(&body).map_err(fail)
    }
}

/// The error without the URL (the caller's message names the endpoint).
fn why(e: FetchError) -> String {
    match e {
        FetchError::Refused { why, .. } => format!("refused: {why}"),
        FetchError::Failed { why, .. } => why,
        FetchError::Status { status, .. } => format!("HTTP {status}"),
        other => other.to_string(),
    }
}
