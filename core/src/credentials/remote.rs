//! Fetching a manifest store that a file names by URL (a "remote manifest"), only when
//! the user asks for it.
//!
//! Whoever made the file chose the URL, so it is treated as hostile: https only, no
//! redirects, a size cap and a timeout, and the host must resolve to public addresses —
//! private, shared, link-local (the cloud metadata address among them), loopback,
//! unspecified, multicast and documentation addresses are refused, for IP literals and
//! after DNS resolution alike (the connection goes only to the addresses checked; see
//! [`crate::anchor::endpoint_address_allowed`]). Loopback only with the development
//! option, used by tests.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use alloy::transports::http::reqwest;
use alloy::transports::http::reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::anchor::endpoint_address_allowed;

/// Largest manifest store fetched (stores with thumbnails run to a few MiB).
pub const MAX_REMOTE_MANIFEST_BYTES: usize = 32 * 1024 * 1024;

/// How a remote manifest is fetched.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Let the URL's host be this machine (development and tests only; every other
    /// non-public address is refused whatever this says).
    pub allow_loopback: bool,
    /// Trust only these PEM certificates for the server (tests with a self-signed
    /// certificate); `None` uses the system's roots.
    pub only_roots_pem: Option<Vec<u8>>,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Largest answer accepted.
    pub max_bytes: usize,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            allow_loopback: false,
            only_roots_pem: None,
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

/// Looks a host name up (the system resolver, or a stub in tests).
pub type Lookup = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>>
        + Send
        + Sync,
>;

/// Fetches the manifest store at `url` with the system resolver.
pub fn fetch_manifest(url: &str, options: &FetchOptions) -> Result<Vec<u8>, FetchError> {
    let lookup: Lookup = Arc::new(|host: String| {
        Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.collect()) })
    });
    fetch_manifest_with(url, options, lookup)
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
    let parsed = reqwest::Url::parse(url).map_err(|e| fail(e.to_string()))?;
    if parsed.scheme() != "https" {
        return Err(fail("only https URLs are fetched".into()));
    }
    let host = parsed.host_str().unwrap_or_default();
    let literal = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    if let Some(ip) = literal.filter(|ip| !endpoint_address_allowed(*ip, options.allow_loopback)) {
        return Err(fail(format!("refused: {ip} is not a public address")));
    }
    let mut builder = reqwest::Client::builder()
        .https_only(true)
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(Filtered {
            allow_loopback: options.allow_loopback,
            lookup,
        }));
    if let Some(pem) = &options.only_roots_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| fail(format!("trusted certificates: {e}")))?;
        builder = builder.tls_certs_only(certs);
    }
    let client = builder
        .build()
        .map_err(|e| fail(format!("HTTP client: {e}")))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(format!("runtime: {e}")))?;
    let max = options.max_bytes;
    runtime.block_on(async {
        let mut response = client
            .get(parsed)
            .send()
            .await
            .map_err(|e| fail(error_chain(&e)))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(fail(format!("HTTP {status}: redirects are not followed")));
        }
        if !status.is_success() {
            return Err(fail(format!("HTTP {status}")));
        }
        if response.content_length().is_some_and(|n| n > max as u64) {
            return Err(fail(format!("larger than {} MiB", max >> 20)));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| fail(error_chain(&e)))? {
            body.extend_from_slice(&chunk);
            if body.len() > max {
                return Err(fail(format!("larger than {} MiB", max >> 20)));
            }
        }
        Ok(body)
    })
}

/// What went wrong, from the root cause (reqwest's own message repeats the URL and
/// hides the interesting part).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut root = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        root = s.to_string();
        source = s.source();
    }
    if e.to_string().contains("timed out") || root.contains("timed out") {
        return format!("timed out: {root}");
    }
    root
}

/// The addresses of `found` the URL's host may be at; none left is an error.
pub fn allowed_addresses(
    host: &str,
    found: Vec<SocketAddr>,
    allow_loopback: bool,
) -> Result<Vec<SocketAddr>, String> {
    let kept: Vec<SocketAddr> = found
        .into_iter()
        .filter(|a| endpoint_address_allowed(a.ip(), allow_loopback))
        .collect();
    if kept.is_empty() {
        return Err(format!("refused: {host} resolves to no public address"));
    }
    Ok(kept)
}

/// A resolver that hands the HTTP client only the addresses that passed the filter.
struct Filtered {
    allow_loopback: bool,
    lookup: Lookup,
}

impl Resolve for Filtered {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        let host = name.as_str().to_owned();
        let found = (self.lookup)(host.clone());
        Box::pin(async move {
            let kept = allowed_addresses(&host, found.await?, allow_loopback)?;
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

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
