//! Proofs from a publisher's chronology endpoint (untrusted: every bundle is checked
//! locally and on chain by the caller).
//!
//! The endpoint is named by a manifest, so by whoever made the file: it is fetched only
//! from the public internet. Private (10/8, 172.16/12, 192.168/16, fc00::/7), shared
//! (100.64/10), link-local (169.254/16 with the cloud metadata address, fe80::/10),
//! loopback, unspecified, multicast and documentation addresses are refused, for IP
//! literals and after DNS resolution alike (the connection goes only to the addresses
//! checked); loopback only with the development option. Plain http only to loopback.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use alloy::transports::http::reqwest;
use alloy::transports::http::reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::chronology::proof::ProofBundle;

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
        let base = reqwest::Url::parse(endpoint).map_err(|e| fail(e.to_string()))?;
        let host = base.host_str().unwrap_or_default();
        let literal = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok();
        if let Some(ip) = literal.filter(|ip| !endpoint_address_allowed(*ip, allow_loopback)) {
            return Err(fail(format!("refused: {ip} is not a public address")));
        }
        let local = literal.is_some_and(|ip| ip.is_loopback());
        match base.scheme() {
            "https" => {}
            "http" if local => {}
            _ => return Err(fail("only https endpoints are fetched".into())),
        }
        if manifest_id.len() != 64 || !manifest_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(fail("bad manifest id".into()));
        }
        let url = format!("{}/proofs/{manifest_id}", endpoint.trim_end_matches('/'));
        let client = reqwest::Client::builder()
            .timeout(self.policy.request_timeout)
            .connect_timeout(self.policy.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(PublicOnly { allow_loopback }))
            .build()
            .map_err(|e| fail(format!("HTTP client: {e}")))?;
        self.rt.block_on(async {
            let mut response = client
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

/// Whether a publisher endpoint may be at `ip` (see the module docs).
pub fn endpoint_address_allowed(ip: IpAddr, allow_loopback: bool) -> bool {
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
                return endpoint_address_allowed(IpAddr::V4(v4), allow_loopback);
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

/// The addresses of `found` a publisher endpoint may be at; none left is an error.
fn public_addresses(
    host: &str,
    found: Vec<SocketAddr>,
    allow_loopback: bool,
) -> Result<Vec<SocketAddr>, String> {
    let kept: Vec<SocketAddr> = found
        .into_iter()
        .filter(|a| endpoint_address_allowed(a.ip(), allow_loopback))
        .collect();
    if kept.is_empty() {
        return Err(format!(
            "refused: {host} resolves to no public address (private, loopback and link-local ones are not fetched)"
        ));
    }
    Ok(kept)
}

/// A resolver that hands the HTTP client only the addresses that passed the check.
struct PublicOnly {
    allow_loopback: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept = public_addresses(&host, found, allow_loopback)?;
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
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
            "::1",
            "fe80::1",
            "fd00:ec2::254",
            "fc00::1",
            "::ffff:10.0.0.1",
            "::",
            "2001:db8::1",
            "192.0.2.1",
        ];
        for text in refused {
            let ip: IpAddr = text.parse().unwrap();
            assert!(!endpoint_address_allowed(ip, false), "{text} allowed");
        }
        for text in [
            "93.184.216.34",
            "2606:2800:220:1:248:1893:25c8:1946",
            "8.8.8.8",
        ] {
            assert!(
                endpoint_address_allowed(text.parse().unwrap(), false),
                "{text} refused"
            );
        }
        assert!(endpoint_address_allowed("127.0.0.1".parse().unwrap(), true));
        assert!(!endpoint_address_allowed("10.0.0.1".parse().unwrap(), true));
    }

    /// A resolver stub's answers go through the filter: a name that maps to 10.x is
    /// refused without any connection being made.
    #[test]
    fn names_resolving_to_private_addresses_are_refused() {
        let private: SocketAddr = "10.1.2.3:443".parse().unwrap();
        let public: SocketAddr = "93.184.216.34:443".parse().unwrap();
        let metadata: SocketAddr = "169.254.169.254:80".parse().unwrap();
        let err =
            public_addresses("publisher.example", vec![private, metadata], false).unwrap_err();
        assert!(err.contains("no public address"), "{err}");
        assert_eq!(
            public_addresses("publisher.example", vec![private, public], false).unwrap(),
            vec![public]
        );
    }
}
