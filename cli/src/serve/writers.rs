//! Who may record entries: `serve` is read-only unless writer tokens are configured.
//!
//! A writer sends `Authorization: Bearer TOKEN`; the server keeps only SHA-256 hashes of
//! the tokens (flags or config), compares the presented token's hash with every one in
//! constant time, and lets each token record at most `per_minute` entries a minute.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, StatusCode};
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// The configured writers.
#[derive(Debug)]
pub struct Writers {
    hashes: Vec<[u8; 32]>,
    per_minute: u32,
    /// Per token hash: the start of its current minute and the writes in it.
    windows: Mutex<HashMap<[u8; 32], (Instant, u32)>>,
}

/// Parses a token hash (64 hex digits, optionally `sha256:`-prefixed).
pub fn parse_hash(text: &str) -> Option<[u8; 32]> {
    let hex = text.trim().strip_prefix("sha256:").unwrap_or(text.trim());
    hex::decode(hex).ok()?.try_into().ok()
}

/// Equal in time that does not depend on where the bytes differ.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Writers {
    /// Writers holding one of `hashes` (none: the server is read-only).
    pub fn new(hashes: Vec<[u8; 32]>, per_minute: u32) -> Self {
        Self {
            hashes,
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// True when no writer is configured.
    pub fn read_only(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Admits one write: the request's bearer token must be a configured writer's, and
    /// within its rate. Checked before the body is read.
    pub fn admit(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        if self.read_only() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "read_only",
                "this server is read-only: it does not record entries",
            ));
        }
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(unauthorized(
                "recording needs a writer's token: Authorization: Bearer TOKEN",
            ));
        };
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        // Every configured hash is compared, so the time does not say which one matched.
        let known = self
            .hashes
            .iter()
            .fold(false, |found, h| found | same(h, &presented));
        if !known {
            return Err(unauthorized(
                "the token is not one of this server's writers",
            ));
        }
        self.count(presented)
    }

    fn count(&self, token: [u8; 32]) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let (start, used) = windows.entry(token).or_insert((now, 0));
        if now.duration_since(*start) >= Duration::from_secs(60) {
            *start = now;
            *used = 0;
        }
        if *used >= self.per_minute {
            let wait = 60u64
                .saturating_sub(now.duration_since(*start).as_secs())
                .max(1);
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "this writer recorded {} entries in the last minute; retry in {wait} s",
                    self.per_minute
                ),
            ));
        }
        *used += 1;
        Ok(())
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn bearer(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        h
    }

    #[test]
    fn tokens_hashes_and_rates() {
        let hash: [u8; 32] = Sha256::digest(b"s3cret").into();
        assert_eq!(
            parse_hash(&format!("sha256:{}", hex::encode(hash))),
            Some(hash)
        );
        assert_eq!(parse_hash("abc"), None);
        let none = Writers::new(Vec::new(), 5);
        assert_eq!(none.admit(&bearer("s3cret")).unwrap_err().code, "read_only");
        let w = Writers::new(vec![hash], 2);
        assert_eq!(w.admit(&HeaderMap::new()).unwrap_err().code, "unauthorized");
        assert_eq!(w.admit(&bearer("wrong")).unwrap_err().code, "unauthorized");
        assert!(w.admit(&bearer("s3cret")).is_ok());
        assert!(w.admit(&bearer("s3cret")).is_ok());
        assert_eq!(w.admit(&bearer("s3cret")).unwrap_err().code, "rate_limited");
    }
}
