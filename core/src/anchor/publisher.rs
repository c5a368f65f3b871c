//! Proofs from a publisher's chronology endpoint (untrusted: every bundle is checked
//! locally and on chain by the caller).

use alloy::transports::http::reqwest;

use crate::chronology::proof::ProofBundle;

use super::network::*;

impl Network {
    /// Fetches the proofs a publisher's chronology endpoint serves for one manifest
    /// (`GET {endpoint}/proofs/{manifest_id}`, a proof-set JSON as in sidecars). The
    /// endpoint is not trusted: callers check every bundle locally and on chain.
    /// `Ok(empty)` when the endpoint has none (404).
    pub fn fetch_proofs(
        &self,
        endpoint: &str,
        manifest_id: &str,
    ) -> Result<Vec<ProofBundle>, AnchorError> {
        let fail = |message: String| AnchorError::Endpoint {
            endpoint: endpoint.to_owned(),
            message,
        };
        let base = reqwest::Url::parse(endpoint).map_err(|e| fail(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(fail("only http(s) endpoints are fetched".into()));
        }
        if manifest_id.len() != 64 || !manifest_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(fail("bad manifest id".into()));
        }
        let url = format!("{}/proofs/{manifest_id}", endpoint.trim_end_matches('/'));
        self.rt.block_on(async {
            let mut response = self
                .http
                .get(&url)
                .send()
                .await
                .map_err(|e| fail(e.to_string()))?;
            if response.status() == reqwest::StatusCode::NOT_FOUND {
                return Ok(Vec::new());
            }
            if !response.status().is_success() {
                return Err(fail(format!("HTTP {}", response.status())));
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| fail(e.to_string()))? {
                body.extend_from_slice(&chunk);
                if body.len() > crate::chronology::proof::MAX_PROOF_SET_BYTES {
                    return Err(fail("answer larger than 1 MiB".into()));
                }
            }
            let set = crate::chronology::proof::ProofSet::parse(&body)
                .map_err(|e| fail(e.to_string()))?;
            Ok(set.bundles().0)
        })
    }
}
