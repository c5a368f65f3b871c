//! Fetching a manifest store that a file names by URL (a "remote manifest"), only when
//! the user asks for it.
//!
//! Whoever made the file chose the URL, so it is fetched through [`crate::fetch`]: https
//! only, no redirects, a size cap and a timeout, and the host must resolve to public
//! addresses — private, shared, link-local (the cloud metadata address among them),
//! loopback, unspecified, multicast and documentation addresses are refused, for IP
//! literals and after DNS resolution alike. Loopback only with the development option,
//! used by tests.

use std::time::Duration;

pub use crate::fetch::Lookup;
use crate::fetch::{FetchError as Refusal, FetchPolicy};

/// Largest manifest store fetched (stores with thumbnails run to a few MiB).
pub const MAX_REMOTE_MANIFEST_BYTES: usize = 32 * 1024 * 1024;

/// How a remote manifest is fetched.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Let the URL's host be this machine (development and tests only; every other
    /// non-public address is refused whatever this says).
    pub allow_loopback: bool,
    /// Extra PEM root certificates for the server, beside the system's (a test
    /// server's CA).
    pub extra_roots_pem: Option<Vec<u8>>,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Largest answer accepted.
    pub max_bytes: usize,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            allow_loopback: false,
            extra_roots_pem: None,
            timeout: Duration::from_secs(20),
            max_bytes: MAX_REMOTE_MANIFEST_BYTES,
        }
    }
}

/// Why a remote manifest could not be fetched.
#[derive(Debug, thiserror::Error)]
#[error("remote manifest fetch failed: {message}")]
pub struct FetchError {
    /// The URL the file names.
    pub url: String,
    /// What went wrong.
    pub message: String,
}

/// Fetches the manifest store at `url` with the system resolver.
pub fn fetch_manifest(url: &str, options: &FetchOptions) -> Result<Vec<u8>, FetchError> {
    fetch_manifest_with(url, options, crate::fetch::system_lookup())
}

/// [`fetch_manifest`] with host names looked up by `lookup` (what the address filter
/// sees; tests use a stub that maps names to private addresses).
pub fn fetch_manifest_with(
    url: &str,
    options: &FetchOptions,
    lookup: Lookup,
) -> Result<Vec<u8>, FetchError> {
    let fail = |message: String| FetchError {
        url: url.to_owned(),
        message,
    };
    if !url.starts_with("https://") {
        return Err(fail("refused: only https URLs are fetched".into()));
    }
    let policy = FetchPolicy {
        timeout: options.timeout,
        max_bytes: options.max_bytes,
        allow_loopback: options.allow_loopback,
        operator_configured: false,
        extra_roots_pem: options.extra_roots_pem.clone(),
        lookup: Some(lookup),
    };
    crate::fetch::get_blocking(url, &policy).map_err(|e| {
        fail(match e {
            Refusal::Refused { why, .. } => format!("refused: {why}"),
            Refusal::Status { status, .. } if (300..400).contains(&status) => {
                format!("HTTP {status}: redirects are not followed")
            }
            Refusal::Status { status, .. } => format!("HTTP {status}"),
            Refusal::TooLarge { max, .. } => format!("larger than {} MiB", max >> 20),
            Refusal::Failed { why, .. } if why.contains("timed out") => {
                format!("timed out: {why}")
            }
            Refusal::Failed { why, .. } => why,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::allowed_addresses;
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A resolver stub mapping every name to `addresses`, counting the lookups.
    fn stub(addresses: Vec<SocketAddr>, calls: Arc<AtomicUsize>) -> Lookup {
        Arc::new(move |_host: String| {
            calls.fetch_add(1, Ordering::SeqCst);
            let found = addresses.clone();
            Box::pin(async move { Ok(found) })
        })
    }

    fn refused_via_stub(address: &str, allow_loopback: bool) -> String {
        let calls = Arc::new(AtomicUsize::new(0));
        let options = FetchOptions {
            allow_loopback,
            timeout: Duration::from_secs(5),
            ..Default::default()
        };
        let err = fetch_manifest_with(
            "https://manifests.example/store.c2pa",
            &options,
            stub(vec![address.parse().unwrap()], calls.clone()),
        )
        .unwrap_err();
        // The stub was asked, so the refusal came from the filter after "DNS", and the
        // stub's only answer was refused, so nothing was connected to.
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{address}");
        err.to_string()
    }

    #[test]
    fn names_resolving_to_non_public_addresses_are_refused_before_connecting() {
        for address in [
            "10.0.0.1:443",
            "169.254.169.254:443",
            "192.168.1.2:443",
            "[fd00:ec2::254]:443",
        ] {
            let message = refused_via_stub(address, false);
            assert!(
                message.contains("resolves to no public address"),
                "{address}: {message}"
            );
        }
        let message = refused_via_stub("[::1]:443", false);
        assert!(
            message.contains("resolves to no public address"),
            "{message}"
        );
        let message = refused_via_stub("127.0.0.1:443", false);
        assert!(
            message.contains("resolves to no public address"),
            "{message}"
        );
        // The development option opens loopback only, never private or link-local.
        let message = refused_via_stub("10.0.0.1:443", true);
        assert!(
            message.contains("resolves to no public address"),
            "{message}"
        );
        let message = refused_via_stub("169.254.169.254:443", true);
        assert!(
            message.contains("resolves to no public address"),
            "{message}"
        );
    }

    #[test]
    fn filter_keeps_only_public_addresses() {
        let private: SocketAddr = "10.0.0.1:443".parse().unwrap();
        let public: SocketAddr = "93.184.215.14:443".parse().unwrap();
        let loopback: SocketAddr = "[::1]:443".parse().unwrap();
        assert_eq!(
            allowed_addresses("h", vec![private, public, loopback], false).unwrap(),
            vec![public]
        );
        assert_eq!(
            allowed_addresses("h", vec![private, loopback], true).unwrap(),
            vec![loopback]
        );
        assert!(allowed_addresses("h", vec![private], true).is_err());
    }

    #[test]
    fn literals_and_plain_http_are_refused_without_a_lookup() {
        let calls = Arc::new(AtomicUsize::new(0));
        let opts = FetchOptions::default();
        for url in [
            "http://manifests.example/x.c2pa",
            "https://10.0.0.1/x.c2pa",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x.c2pa",
            "https://127.0.0.1/x.c2pa",
            "file:///etc/passwd",
            "not a url",
        ] {
            let err = fetch_manifest_with(url, &opts, stub(vec![], calls.clone())).unwrap_err();
            assert!(
                err.message.contains("refused")
                    || err.message.contains("https")
                    || err.message.contains("relative URL"),
                "{url}: {err}"
            );
        }
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }
}
