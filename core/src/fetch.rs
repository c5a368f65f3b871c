//! Fetching over HTTPS from places someone else named — a publisher's chronology
//! endpoint written into a manifest, a trust list URL — without letting that someone
//! point us at this machine or its network.
//!
//! Only `https` is fetched (plain `http` only from loopback, and only when loopback is
//! allowed). Private (10/8, 172.16/12, 192.168/16, fc00::/7), shared (100.64/10),
//! link-local (169.254/16 with the cloud metadata address, fe80::/10), loopback,
//! unspecified, multicast, broadcast, reserved and documentation addresses are refused,
//! for IP literals and after DNS resolution alike: the client connects only to the
//! addresses that passed the check, so a name that resolves to 10.x is refused before any
//! connection. Loopback is allowed only by the development option the tests use.
//! Redirects are never followed; every fetch has a deadline and a size cap.
//!
//! The address and URL rules ([`address_allowed`], [`allowed_addresses`], [`check_url`])
//! need no network and are built without the `fetch` feature too: the browser verifier
//! checks the URLs it is asked to fetch with them (a browser cannot see DNS answers, so
//! there only IP literals can be refused).

#[cfg(feature = "fetch")]
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
#[cfg(feature = "fetch")]
use std::pin::Pin;
#[cfg(feature = "fetch")]
use std::sync::Arc;
#[cfg(feature = "fetch")]
use std::time::Duration;

#[cfg(feature = "fetch")]
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

#[cfg(feature = "fetch")]
/// Looks a host name up: the system resolver, or a stub in tests (what the address
/// filter sees; a stub that maps a name to 10.x shows the filter refusing it).
pub type Lookup = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>>
        + Send
        + Sync,
>;

#[cfg(feature = "fetch")]
/// The system resolver.
pub fn system_lookup() -> Lookup {
    Arc::new(|host: String| {
        Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.collect()) })
    })
}

#[cfg(feature = "fetch")]
/// How a fetch is bounded and where it may go.
#[derive(Clone)]
pub struct FetchPolicy {
    /// Deadline for the whole exchange (connect, TLS, headers and body).
    pub timeout: Duration,
    /// The largest body accepted, in bytes.
    pub max_bytes: usize,
    /// Let loopback addresses (127.0.0.0/8, ::1) be fetched: development and tests.
    pub allow_loopback: bool,
    /// The URL was configured by the operator (a time-stamp authority on the newsroom's
    /// own network), not named by a file or a web page: any address may be reached.
    /// Never set for URLs that come from outside data.
    pub operator_configured: bool,
    /// Extra TLS root certificates (PEM), beside the system's: a test server's CA, or
    /// a TLS-inspecting proxy's.
    pub extra_roots_pem: Option<Vec<u8>>,
    /// How host names are looked up (default: the system resolver).
    pub lookup: Option<Lookup>,
}

#[cfg(feature = "fetch")]
impl std::fmt::Debug for FetchPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchPolicy")
            .field("timeout", &self.timeout)
            .field("max_bytes", &self.max_bytes)
            .field("allow_loopback", &self.allow_loopback)
            .field("operator_configured", &self.operator_configured)
            .field("extra_roots", &self.extra_roots_pem.is_some())
            .field("lookup", &self.lookup.as_ref().map(|_| "stub"))
            .finish()
    }
}

#[cfg(feature = "fetch")]
impl FetchPolicy {
    /// Public addresses only, `max_bytes` at most, within `timeout`.
    pub fn public(max_bytes: usize, timeout: Duration) -> Self {
        Self {
            timeout,
            max_bytes,
            allow_loopback: false,
            operator_configured: false,
            extra_roots_pem: None,
            lookup: None,
        }
    }
}

/// Why a fetch gave nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL is not one we fetch (malformed, not https, or a refused address).
    #[error("{url}: refused: {why}")]
    Refused {
        /// The URL as given.
        url: String,
        /// Why.
        why: String,
    },
    /// The server answered with a status other than 200.
    #[error("{url}: HTTP {status}{}", if (300..400).contains(status) { " (redirects are not followed)" } else { "" })]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The body is larger than the cap.
    #[error("{url}: the answer is larger than {max} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap.
        max: usize,
    },
    /// The exchange failed (DNS, connection, TLS, time-out).
    #[error("{url}: {why}")]
    Failed {
        /// The URL.
        url: String,
        /// What happened.
        why: String,
    },
}

/// Whether a fetch may go to `ip` (see the module docs).
pub fn address_allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                return allow_loopback;
            }
            !(v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return address_allowed(IpAddr::V4(v4), allow_loopback);
            }
            if v6.is_loopback() {
                return allow_loopback;
            }
            let first = v6.segments()[0];
            !(v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local (fd00:ec2::254 among them)
                || (first & 0xffc0) == 0xfe80 // link-local
                || first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
        }
    }
}

/// The addresses of `found` a fetch may go to; none left is an error.
pub fn allowed_addresses(
    host: &str,
    found: Vec<SocketAddr>,
    allow_loopback: bool,
) -> Result<Vec<SocketAddr>, String> {
    let kept: Vec<SocketAddr> = found
        .into_iter()
        .filter(|a| address_allowed(a.ip(), allow_loopback))
        .collect();
    if kept.is_empty() {
        return Err(format!(
            "{host} resolves to no public address (private, loopback and link-local ones are not fetched)"
        ));
    }
    Ok(kept)
}

#[cfg(feature = "fetch")]
/// A resolver that hands the HTTP client only the addresses that passed the check.
struct PublicOnly {
    allow_loopback: bool,
    lookup: Lookup,
}

#[cfg(feature = "fetch")]
impl Resolve for PublicOnly {
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

/// Checks the URL's scheme and, for an IP literal, its address (names are checked
/// after resolution).
pub fn check_url(url: &str, allow_loopback: bool) -> Result<url::Url, FetchError> {
    let refused = |why: String| FetchError::Refused {
        url: url.to_owned(),
        why,
    };
    let parsed = url::Url::parse(url).map_err(|e| refused(format!("not a URL: {e}")))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(refused(
            "user names and passwords in URLs are not sent".into(),
        ));
    }
    let host = parsed.host_str().unwrap_or_default();
    let literal = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    if let Some(ip) = literal.filter(|ip| !address_allowed(*ip, allow_loopback)) {
        return Err(refused(format!("{ip} is not a public address")));
    }
    let local = literal.is_some_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if local => Ok(parsed),
        _ => Err(refused("only https:// URLs are fetched".into())),
    }
}

#[cfg(feature = "fetch")]
/// GETs `url` under `policy`: the body of a 200 answer, or why not.
pub async fn get(url: &str, policy: &FetchPolicy) -> Result<Vec<u8>, FetchError> {
    Ok(send(url, policy, None).await?.body)
}

#[cfg(feature = "fetch")]
/// A 200 answer: its declared content type and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body (at most the policy's `max_bytes`).
    pub body: Vec<u8>,
}

#[cfg(feature = "fetch")]
/// POSTs `body` as `content_type` to `url` under `policy`: the 200 answer, or why not.
pub async fn post(
    url: &str,
    content_type: &str,
    body: &[u8],
    policy: &FetchPolicy,
) -> Result<Answer, FetchError> {
    send(url, policy, Some((content_type, body))).await
}

#[cfg(feature = "fetch")]
async fn send(
    url: &str,
    policy: &FetchPolicy,
    post: Option<(&str, &[u8])>,
) -> Result<Answer, FetchError> {
    let parsed = if policy.operator_configured {
        url::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http"))
            .ok_or_else(|| FetchError::Refused {
                url: url.to_owned(),
                why: "not an http(s) URL".into(),
            })?
    } else {
        check_url(url, policy.allow_loopback)?
    };
    let failed = |why: String| FetchError::Failed {
        url: url.to_owned(),
        why,
    };
    let mut builder = reqwest::Client::builder()
        .timeout(policy.timeout)
        .connect_timeout(policy.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("provenant/", env!("CARGO_PKG_VERSION")));
    if !policy.operator_configured {
        builder = builder.dns_resolver(Arc::new(PublicOnly {
            allow_loopback: policy.allow_loopback,
            lookup: policy.lookup.clone().unwrap_or_else(system_lookup),
        }));
    }
    if let Some(pem) = &policy.extra_roots_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| failed(format!("extra root certificates: {e}")))?;
        if certs.is_empty() {
            return Err(failed("extra root certificates: no PEM certificate".into()));
        }
        builder = builder.tls_certs_merge(certs);
    }
    let client = builder
        .build()
        .map_err(|e| failed(format!("HTTP client: {e}")))?;
    let request = match post {
        Some((content_type, body)) => client
            .post(parsed)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.to_vec()),
        None => client.get(parsed),
    };
    let mut response = request.send().await.map_err(|e| failed(root_cause(&e)))?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(FetchError::Status {
            url: url.to_owned(),
            status: response.status().as_u16(),
        });
    }
    let too_large = || FetchError::TooLarge {
        url: url.to_owned(),
        max: policy.max_bytes,
    };
    if response
        .content_length()
        .is_some_and(|n| n > policy.max_bytes as u64)
    {
        return Err(too_large());
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(e.to_string()))? {
        if body.len() + chunk.len() > policy.max_bytes {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer { content_type, body })
}

#[cfg(feature = "fetch")]
/// What went wrong, from the root cause: reqwest's own message repeats the URL and hides
/// the interesting part (the resolver's refusal, the TLS error).
fn root_cause(e: &reqwest::Error) -> String {
    let mut root = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        root = s.to_string();
        source = s.source();
    }
    if e.is_timeout() && !root.contains("timed out") {
        return format!("timed out: {root}");
    }
    root
}

#[cfg(feature = "fetch")]
/// [`get`] from synchronous code (not from inside an async runtime).
pub fn get_blocking(url: &str, policy: &FetchPolicy) -> Result<Vec<u8>, FetchError> {
    block_on(url, get(url, policy))
}

#[cfg(feature = "fetch")]
/// [`post`] from synchronous code (not from inside an async runtime).
pub fn post_blocking(
    url: &str,
    content_type: &str,
    body: &[u8],
    policy: &FetchPolicy,
) -> Result<Answer, FetchError> {
    block_on(url, post(url, content_type, body, policy))
}

#[cfg(feature = "fetch")]
fn block_on<T>(
    url: &str,
    work: impl std::future::Future<Output = Result<T, FetchError>>,
) -> Result<T, FetchError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| FetchError::Failed {
            url: url.to_owned(),
            why: format!("runtime: {e}"),
        })?;
    rt.block_on(work)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_fetched() {
        let refused = [
            "10.1.2.3",
            "172.16.0.9",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "127.0.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "::1",
            "fe80::1",
            "fd00:ec2::254",
            "fc00::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "::",
            "ff02::1",
            "2001:db8::1",
            "192.0.2.1",
        ];
        for text in refused {
            let ip: IpAddr = text.parse().unwrap();
            assert!(!address_allowed(ip, false), "{text} allowed");
        }
        for text in [
            "93.184.216.34",
            "2606:2800:220:1:248:1893:25c8:1946",
            "8.8.8.8",
        ] {
            assert!(
                address_allowed(text.parse().unwrap(), false),
                "{text} refused"
            );
        }
        assert!(address_allowed("127.0.0.1".parse().unwrap(), true));
        assert!(address_allowed("::1".parse().unwrap(), true));
        assert!(!address_allowed("10.0.0.1".parse().unwrap(), true));
        assert!(!address_allowed("169.254.169.254".parse().unwrap(), true));
    }

    /// A resolver stub's answers go through the filter: a name that maps to 10.x is
    /// refused without any connection being made.
    #[test]
    fn names_resolving_to_private_addresses_are_refused() {
        let private: SocketAddr = "10.1.2.3:443".parse().unwrap();
        let public: SocketAddr = "93.184.216.34:443".parse().unwrap();
        let metadata: SocketAddr = "169.254.169.254:80".parse().unwrap();
        let err =
            allowed_addresses("publisher.example", vec![private, metadata], false).unwrap_err();
        assert!(err.contains("no public address"), "{err}");
        assert_eq!(
            allowed_addresses("publisher.example", vec![private, public], false).unwrap(),
            vec![public]
        );
        let loopback: SocketAddr = "127.0.0.1:443".parse().unwrap();
        assert!(allowed_addresses("localhost", vec![loopback], false).is_err());
        assert_eq!(
            allowed_addresses("localhost", vec![loopback, private], true).unwrap(),
            vec![loopback]
        );
    }

    /// Literal addresses and schemes are refused before any client exists.
    #[test]
    fn urls_are_checked_before_anything_is_sent() {
        for (url, loopback) in [
            ("http://93.184.216.34/list.pem", false),
            ("ftp://example.org/list.pem", false),
            ("https://10.0.0.1/list.pem", false),
            ("https://[fd00:ec2::254]/latest", true),
            ("https://169.254.169.254/latest", true),
            ("https://127.0.0.1:8443/list.pem", false),
            ("http://127.0.0.1:8080/list.pem", false),
            ("https://user:pw@example.org/list.pem", false),
            ("not a url", false),
        ] {
            let err = check_url(url, loopback).unwrap_err();
            assert!(matches!(err, FetchError::Refused { .. }), "{url}: {err}");
        }
        assert!(check_url("https://example.org/list.pem", false).is_ok());
        assert!(check_url("https://127.0.0.1:8443/list.pem", true).is_ok());
        assert!(check_url("http://127.0.0.1:8080/list.pem", true).is_ok());
    }
}
