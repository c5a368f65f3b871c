//! RFC 3161 time-stamps for new manifests: [`TimeStamped`] wraps any [`Signer`] so that
//! every signature it makes is counter-signed by a time-stamp authority (TSA).
//!
//! The request goes out over a small blocking HTTP/1.1 client of our own rather than the
//! C2PA SDK's HTTP resolver features: the SDK stays without any HTTP stack (so the wasm
//! verify path, which shares this crate, never links one), and the request goes only to
//! the URL the user configured, with a deadline, a response size cap and no redirects.
//!
//! Only `http://` URLs are supported: there is no TLS client here. That is the usual way
//! TSAs are reached, since the response is itself signed; what the token says is checked
//! before it is embedded (it must be granted and cover the signed claim) and again by
//! every verifier, which also decides whether the TSA is trusted.
//!
//! A failure is an error, never a silently un-time-stamped file.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use c2pa::crypto::cose::CertificateTrustPolicy;
use c2pa::crypto::time_stamp::{default_rfc3161_message, verify_time_stamp};
use c2pa::status_tracker::StatusTracker;

use crate::credentials::signer::{Signer, SigningAlg};

/// The largest response accepted from a TSA, and the room reserved for its token in the
/// signature (the SDK reserves the same when it is given a TSA URL itself). The room is
/// padded out in every time-stamped file, so it is kept to what tokens need.
pub const MAX_RESPONSE: usize = 10_000;
/// The default deadline for the whole exchange with the TSA.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_HEADER: usize = 8 * 1024;

/// Why a time-stamp could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeStampError {
    /// The URL is not one this client can use.
    #[error("TSA URL {url:?}: {why}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// The TSA could not be reached, or the exchange failed or took too long.
    #[error("time-stamp authority {url}: {why}")]
    Unreachable {
        /// The TSA's URL.
        url: String,
        /// What happened.
        why: String,
    },
    /// The TSA answered, but not with a usable time-stamp.
    #[error("time-stamp authority {url} gave no usable time-stamp: {why}")]
    BadResponse {
        /// The TSA's URL.
        url: String,
        /// What was wrong with the answer.
        why: String,
    },
}

/// A time-stamp authority reached over HTTP: where it is and how long to wait.
#[derive(Debug, Clone)]
pub struct TimeStampAuthority {
    url: String,
    host: String,
    port: u16,
    path: String,
    timeout: Duration,
    /// An `https://` URL: reached through the TLS client of the `fetch` feature.
    tls: bool,
    /// Extra TLS roots (PEM) for an `https://` TSA, beside the system's.
    extra_roots_pem: Option<Vec<u8>>,
}

impl TimeStampAuthority {
    /// A TSA at an `http://host[:port][/path]` URL, with the default deadline.
    pub fn new(url: &str) -> Result<Self, TimeStampError> {
        let bad = |why: &str| TimeStampError::BadUrl {
            url: url.to_owned(),
            why: why.to_owned(),
        };
        if url.len() > 2048 || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(bad(
                "not a URL (too long, or has spaces or control characters)",
            ));
        }
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(bad("not a URL (expected http://host[:port]/path)"));
        };
        let tls = scheme.eq_ignore_ascii_case("https");
        if tls && !cfg!(feature = "fetch") {
            return Err(bad(
                "https is not supported in this build (no TLS client); use the TSA's http:// URL — its answers are signed",
            ));
        }
        if !tls && !scheme.eq_ignore_ascii_case("http") {
            return Err(bad("only http:// and https:// URLs are supported"));
        }
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest[i..].starts_with('/') => (&rest[..i], rest[i..].to_owned()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_owned()),
        };
        if authority.contains('@') {
            return Err(bad("user names and passwords in the URL are not supported"));
        }
        let default_port = if tls { 443 } else { 80 };
        let (host, port) =
            split_host_port(authority, default_port).ok_or_else(|| bad("bad host or port"))?;
        Ok(Self {
            url: url.to_owned(),
            host,
            port,
            path,
            timeout: DEFAULT_TIMEOUT,
            tls,
            extra_roots_pem: None,
        })
    }

    /// The same TSA, trusting these TLS roots (PEM) beside the system's for an
    /// `https://` URL: a newsroom's own TSA behind its own CA.
    pub fn with_tls_roots(mut self, pem: Vec<u8>) -> Self {
        self.extra_roots_pem = Some(pem);
        self
    }

    /// The same TSA with another deadline for the whole exchange.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The URL as configured.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn unreachable(&self, why: impl std::fmt::Display) -> TimeStampError {
        TimeStampError::Unreachable {
            url: self.url.clone(),
            why: why.to_string(),
        }
    }

    fn bad_response(&self, why: impl std::fmt::Display) -> TimeStampError {
        TimeStampError::BadResponse {
            url: self.url.clone(),
            why: why.to_string(),
        }
    }

    /// POSTs an RFC 3161 request (DER) and returns the TSA's response body (DER).
    pub fn post(&self, request: &[u8]) -> Result<Vec<u8>, TimeStampError> {
        if self.tls {
            return self.post_tls(request);
        }
        let deadline = Instant::now() + self.timeout;
        // The system resolver has no deadline of its own: it answers on a thread that is
        // abandoned (and ends by itself) when the deadline passes first.
        let (tx, rx) = std::sync::mpsc::channel();
        let target = (self.host.clone(), self.port);
        std::thread::spawn(move || {
            let _ = tx.send(
                target
                    .to_socket_addrs()
                    .map(|a| a.collect::<Vec<SocketAddr>>()),
            );
        });
        let addrs: Vec<SocketAddr> = match rx.recv_timeout(self.timeout) {
            Ok(found) => {
                found.map_err(|e| self.unreachable(format!("cannot resolve {}: {e}", self.host)))?
            }
            Err(_) => {
                return Err(self.unreachable(format!(
                    "cannot resolve {} within {:?}",
                    self.host, self.timeout
                )))
            }
        };
        let mut last = self.unreachable(format!("{} has no address", self.host));
        let mut stream = None;
        for addr in addrs {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                last = self.unreachable(format!("no answer within {:?}", self.timeout));
                break;
            }
            match TcpStream::connect_timeout(&addr, left) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = self.unreachable(format!("cannot connect to {addr}: {e}")),
            }
        }
        let mut stream = stream.ok_or(last)?;
        let host = if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        };
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {}/{}\r\n\
             Content-Type: application/timestamp-query\r\nAccept: application/timestamp-reply\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.path,
            crate::GENERATOR_NAME,
            crate::VERSION,
            request.len()
        );
        let io = |e: std::io::Error| {
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) {
                self.unreachable(format!("no answer within {:?}", self.timeout))
            } else {
                self.unreachable(e)
            }
        };
        stream.set_write_timeout(Some(self.timeout)).map_err(io)?;
        stream.write_all(head.as_bytes()).map_err(io)?;
        stream.write_all(request).map_err(io)?;
        let raw = self.read_capped(&mut stream, deadline).map_err(io)?;
        self.parse_response(&raw)
    }

    /// The `https://` exchange, through the TLS client of the `fetch` feature: the same
    /// deadline, cap, no redirects and no proxy; any address (the operator chose the TSA).
    #[cfg(feature = "fetch")]
    fn post_tls(&self, request: &[u8]) -> Result<Vec<u8>, TimeStampError> {
        use crate::fetch::{post_blocking, FetchError, FetchPolicy};
        let policy = FetchPolicy {
            allow_loopback: true,
            operator_configured: true,
            extra_roots_pem: self.extra_roots_pem.clone(),
            ..FetchPolicy::public(MAX_RESPONSE, self.timeout)
        };
        let answer = post_blocking(&self.url, "application/timestamp-query", request, &policy)
            .map_err(|e| match e {
                FetchError::Status { status, .. } => {
                    let also = if (300..400).contains(&status) {
                        " (redirects are not followed)"
                    } else {
                        ""
                    };
                    self.bad_response(format!("HTTP status {status}{also}"))
                }
                FetchError::TooLarge { .. } => self.too_large(MAX_RESPONSE + 1),
                FetchError::Refused { why, .. } | FetchError::Failed { why, .. } => {
                    self.unreachable(why)
                }
            })?;
        self.check_content_type(answer.content_type.as_deref().unwrap_or_default())?;
        Ok(answer.body)
    }

    #[cfg(not(feature = "fetch"))]
    fn post_tls(&self, _request: &[u8]) -> Result<Vec<u8>, TimeStampError> {
        Err(self.unreachable("https is not supported in this build"))
    }

    fn check_content_type(&self, ctype: &str) -> Result<(), TimeStampError> {
        let mime = ctype.split(';').next().unwrap_or_default().trim();
        if mime.eq_ignore_ascii_case("application/timestamp-reply") {
            Ok(())
        } else {
            Err(self.bad_response(format!(
                "content type {ctype:?}, not application/timestamp-reply"
            )))
        }
    }

    /// Reads until the peer closes, the cap is passed or the deadline is reached.
    fn read_capped(&self, stream: &mut TcpStream, deadline: Instant) -> std::io::Result<Vec<u8>> {
        let cap = MAX_HEADER + MAX_RESPONSE + 1;
        let mut raw = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(std::io::ErrorKind::TimedOut.into());
            }
            stream.set_read_timeout(Some(left))?;
            let n = stream.read(&mut buf)?;
            if n == 0 {
                return Ok(raw);
            }
            raw.extend_from_slice(&buf[..n]);
            if raw.len() > cap || complete(&raw) {
                return Ok(raw);
            }
        }
    }

    /// The body of a raw HTTP/1.x answer from the TSA: status 200, type
    /// `application/timestamp-reply`, plain or chunked, at most the size cap. Public for
    /// the fuzzer: the answer is outside data.
    pub fn parse_response(&self, raw: &[u8]) -> Result<Vec<u8>, TimeStampError> {
        let end = find(raw, b"\r\n\r\n")
            .filter(|&e| e <= MAX_HEADER)
            .ok_or_else(|| self.bad_response("not an HTTP response (no header end)"))?;
        let head = String::from_utf8_lossy(&raw[..end]);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .filter(|_| status_line.starts_with("HTTP/1."))
            .ok_or_else(|| self.bad_response("not an HTTP response"))?;
        let header = |name: &str| {
            head.split("\r\n").skip(1).find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_owned())
            })
        };
        if status != 200 {
            let also = if (300..400).contains(&status) {
                " (redirects are not followed)"
            } else {
                ""
            };
            return Err(self.bad_response(format!("HTTP status {status}{also}")));
        }
        self.check_content_type(&header("content-type").unwrap_or_default())?;
        let body = &raw[end + 4..];
        let chunked =
            header("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
        let body = if chunked {
            dechunk(body).ok_or_else(|| self.bad_response("bad chunked body"))?
        } else if let Some(len) = header("content-length") {
            let len: usize = len
                .parse()
                .map_err(|_| self.bad_response("bad Content-Length"))?;
            if len > MAX_RESPONSE {
                return Err(self.too_large(len));
            }
            body.get(..len)
                .ok_or_else(|| self.bad_response("the answer was cut short"))?
                .to_vec()
        } else {
            body.to_vec()
        };
        if body.len() > MAX_RESPONSE {
            return Err(self.too_large(body.len()));
        }
        Ok(body)
    }

    fn too_large(&self, len: usize) -> TimeStampError {
        self.bad_response(format!(
            "the answer is too large ({len} bytes; at most {MAX_RESPONSE})"
        ))
    }

    /// A time-stamp response for `message` (the data the SDK counter-signs): requested,
    /// then checked to be granted and to cover exactly that message.
    pub fn time_stamp(&self, message: &[u8]) -> Result<Vec<u8>, TimeStampError> {
        let request = default_rfc3161_message(message)
            .map_err(|e| self.bad_response(format!("cannot build the request: {e}")))?;
        let response = self.post(&request)?;
        self.check_response(&response, message)?;
        Ok(response)
    }

    /// Checks a time-stamp response (DER) for `message`: granted, and a well-formed token
    /// over exactly that message. Public for the fuzzer: the response is outside data.
    pub fn check_response(&self, response: &[u8], message: &[u8]) -> Result<(), TimeStampError> {
        if let Some(status) = pki_status(response) {
            if status > 1 {
                return Err(
                    self.bad_response(format!("the TSA refused the request (PKIStatus {status})"))
                );
            }
        }
        // The trust decision is each verifier's; here only "is it a token over this".
        let mut log = StatusTracker::default();
        verify_time_stamp(
            response,
            message,
            &CertificateTrustPolicy::passthrough(),
            &mut log,
            false,
        )
        .map_err(|e| self.bad_response(e))?;
        Ok(())
    }
}

fn split_host_port(authority: &str, default_port: u16) -> Option<(String, u16)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (h, port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => p.parse().ok().filter(|&p| p != 0)?,
        None => default_port,
    };
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':');
    (!host.is_empty() && host.chars().all(ok)).then(|| (host.to_owned(), port))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Whether a response read so far is whole (by its Content-Length), so a server that
/// keeps the connection open does not cost the whole deadline.
fn complete(raw: &[u8]) -> bool {
    let Some(end) = find(raw, b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    head.split("\r\n")
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .is_some_and(|len| raw.len() >= end + 4 + len)
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = find(body, b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        if size > MAX_RESPONSE || out.len() + size > MAX_RESPONSE + 1 {
            return None;
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

/// The PKIStatus of a DER TimeStampResp (`SEQUENCE { SEQUENCE { INTEGER, … }, … }`).
fn pki_status(der: &[u8]) -> Option<u64> {
    use x509_parser::der_parser::ber::BerObjectContent;
    let (_, outer) = x509_parser::der_parser::parse_der(der).ok()?;
    let BerObjectContent::Sequence(items) = &outer.content else {
        return None;
    };
    let BerObjectContent::Sequence(status) = &items.first()?.content else {
        return None;
    };
    status.first()?.as_u64().ok()
}

/// A signer whose every signature is time-stamped by a TSA. The wrapped signer does the
/// signing; this adds the RFC 3161 token (and room for it in the signature).
pub struct TimeStamped<'a> {
    inner: &'a dyn Signer,
    tsa: TimeStampAuthority,
    failure: Mutex<Option<TimeStampError>>,
    count: Mutex<usize>,
}

impl std::fmt::Debug for TimeStamped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimeStamped")
            .field("tsa", &self.tsa)
            .finish_non_exhaustive()
    }
}

impl<'a> TimeStamped<'a> {
    /// `inner`'s signatures, time-stamped by `tsa`.
    pub fn new(inner: &'a dyn Signer, tsa: TimeStampAuthority) -> Self {
        Self {
            inner,
            tsa,
            failure: Mutex::new(None),
            count: Mutex::new(0),
        }
    }

    /// The last time-stamp failure, if any (the SDK's error that wraps it says less).
    pub fn take_failure(&self) -> Option<TimeStampError> {
        self.failure.lock().ok()?.take()
    }

    /// How many time-stamps were obtained.
    pub fn count(&self) -> usize {
        self.count.lock().map(|c| *c).unwrap_or_default()
    }
}

impl Signer for TimeStamped<'_> {
    fn sign(&self, data: &[u8]) -> c2pa::Result<Vec<u8>> {
        self.inner.sign(data)
    }

    fn alg(&self) -> SigningAlg {
        self.inner.alg()
    }

    fn certs(&self) -> c2pa::Result<Vec<Vec<u8>>> {
        self.inner.certs()
    }

    fn reserve_size(&self) -> usize {
        self.inner.reserve_size() + MAX_RESPONSE
    }

    fn time_authority_url(&self) -> Option<String> {
        Some(self.tsa.url.clone())
    }

    fn send_timestamp_request(&self, message: &[u8]) -> Option<c2pa::Result<Vec<u8>>> {
        Some(match self.tsa.time_stamp(message) {
            Ok(response) => {
                if let Ok(mut c) = self.count.lock() {
                    *c += 1;
                }
                Ok(response)
            }
            Err(e) => {
                let wrapped = c2pa::Error::TimeStampError(
                    c2pa::crypto::time_stamp::TimeStampError::InternalError(e.to_string()),
                );
                if let Ok(mut f) = self.failure.lock() {
                    *f = Some(e);
                }
                Err(wrapped)
            }
        })
    }

    fn ocsp_val(&self) -> Option<Vec<u8>> {
        self.inner.ocsp_val()
    }

    fn direct_cose_handling(&self) -> bool {
        self.inner.direct_cose_handling()
    }

    fn dynamic_assertions(&self) -> Vec<Box<dyn c2pa::dynamic_assertion::DynamicAssertion>> {
        self.inner.dynamic_assertions()
    }
    // `raw_signer` stays `None`: the SDK would otherwise sign through the inner signer's
    // own time-stamp provider and never ask this one.
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn urls() {
        let t = TimeStampAuthority::new("http://127.0.0.1:8080/tsa?x=1").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("127.0.0.1", 8080, "/tsa?x=1")
        );
        let t = TimeStampAuthority::new("http://timestamp.example").unwrap();
        assert_eq!((t.port, t.path.as_str()), (80, "/"));
        let t = TimeStampAuthority::new("http://[::1]:9/").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 9));
        let t = TimeStampAuthority::new("https://tsa.example/ts").unwrap();
        assert_eq!((t.port, t.tls), (443, true));
        for bad in [
            "ftp://tsa.example/",
            "tsa.example",
            "http://",
            "http://a:b@tsa.example/",
            "http://tsa.example:0/",
            "http://tsa.example:99999/",
            "http://tsa example/",
            "http://tsa.example/\u{7}",
        ] {
            assert!(
                matches!(
                    TimeStampAuthority::new(bad),
                    Err(TimeStampError::BadUrl { .. })
                ),
                "{bad}"
            );
        }
    }

    fn tsa() -> TimeStampAuthority {
        TimeStampAuthority::new("http://127.0.0.1:1/").unwrap()
    }

    #[test]
    fn responses() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: 3\r\n\r\nabcdef";
        assert_eq!(tsa().parse_response(ok).unwrap(), b"abc");
        let chunked = b"HTTP/1.1 200 OK\r\ncontent-type: Application/Timestamp-Reply; x=1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n";
        assert_eq!(tsa().parse_response(chunked).unwrap(), b"abc");
        for (raw, why) in [
            (&b"HTTP/1.1 302 Found\r\nLocation: http://elsewhere/\r\n\r\n"[..], "redirects"),
            (b"HTTP/1.1 500 Oops\r\n\r\n", "500"),
            (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>", "content type"),
            (b"garbage", "no header end"),
            (b"HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: 99999999\r\n\r\n", "too large"),
            (b"HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: 9\r\n\r\nab", "cut short"),
        ] {
            let e = tsa().parse_response(raw).unwrap_err().to_string();
            assert!(e.contains(why), "{e}");
        }
        let mut big =
            b"HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\n\r\n".to_vec();
        big.extend(vec![0u8; MAX_RESPONSE + 1]);
        assert!(tsa()
            .parse_response(&big)
            .unwrap_err()
            .to_string()
            .contains("too large"));
    }

    #[test]
    fn pki_status_is_read() {
        // TimeStampResp { status: PKIStatusInfo { status: rejection (2) } }
        assert_eq!(
            pki_status(&[0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02]),
            Some(2)
        );
        assert_eq!(pki_status(&[0x30, 0x03, 0x02, 0x01, 0x00]), None);
        assert_eq!(pki_status(b"not DER"), None);
    }

    #[test]
    fn refused_connection_is_an_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let t = TimeStampAuthority::new(&format!("http://127.0.0.1:{port}/")).unwrap();
        assert!(matches!(
            t.time_stamp(b"claim"),
            Err(TimeStampError::Unreachable { .. })
        ));
    }

    #[test]
    fn a_silent_tsa_times_out() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let t = TimeStampAuthority::new(&format!("http://127.0.0.1:{port}/"))
            .unwrap()
            .with_timeout(Duration::from_millis(300));
        let started = Instant::now();
        let e = t.time_stamp(b"claim").unwrap_err();
        assert!(e.to_string().contains("no answer within"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(3));
        drop(listener);
    }
}
