//! The JSON-RPC client of one EVM network (Polygon PoS, Amoy, or any endpoint):
//! presets, endpoints, retries with backoff on transient faults, and sending
//! transactions. Registry calls, anchoring and publisher fetches are further `impl`
//! blocks of [`Network`] in the sibling modules.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{Address, PrivateKeySigner};
use alloy::network::TransactionBuilder;
use alloy::primitives::{Bytes, B256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::client::RpcClient;
use alloy::rpc::types::TransactionRequest;
use alloy::transports::http::reqwest;
use alloy::transports::{RpcError, TransportError};

use crate::chronology::LogError;

use super::contract::{explain, RegistryError};

/// A named network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// Preset name as given on the command line (`polygon`, `amoy`).
    pub name: &'static str,
    /// EVM chain id of the network.
    pub chain_id: u64,
    /// A public RPC endpoint; production users should bring their own.
    pub rpc: &'static str,
    /// Least priority fee (wei per gas) the network's nodes admit to their pools.
    pub min_priority_fee: u128,
}

/// Polygon PoS nodes (mainnet and Amoy) refuse transactions tipping under 25 gwei.
const POLYGON_MIN_TIP: u128 = 25_000_000_000;

/// The known networks: Polygon PoS mainnet (chain 137) and the Amoy testnet (chain 80002).
pub const PRESETS: [Preset; 2] = [
    Preset {
        name: "polygon",
        chain_id: 137,
        rpc: "https://polygon-rpc.com",
        min_priority_fee: POLYGON_MIN_TIP,
    },
    Preset {
        name: "amoy",
        chain_id: 80002,
        rpc: "https://rpc-amoy.polygon.technology",
        min_priority_fee: POLYGON_MIN_TIP,
    },
];

/// Where to talk to a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The JSON-RPC endpoint (http or https).
    pub url: reqwest::Url,
    /// Refuse to talk to the endpoint if it reports another chain.
    pub expected_chain_id: Option<u64>,
    /// Least priority fee (wei per gas) to offer: the preset's floor unless set.
    pub min_priority_fee: u128,
}

/// True for hosts on this machine (127.0.0.0/8, ::1, `localhost`).
fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Endpoint {
    /// `chain` is a preset name (`polygon`, `amoy`) or an RPC URL; `rpc` overrides
    /// the preset's public endpoint.
    pub fn resolve(chain: Option<&str>, rpc: Option<&str>) -> Result<Self, AnchorError> {
        let preset = match chain {
            Some(c) if !c.contains("://") => Some(
                PRESETS
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(c))
                    .ok_or_else(|| {
                        AnchorError::Config(format!(
                            "unknown chain {c:?}: use polygon, amoy, or an RPC URL"
                        ))
                    })?,
            ),
            _ => None,
        };
        let url = rpc
            .or(chain.filter(|c| c.contains("://")))
            .or(preset.map(|p| p.rpc))
            .ok_or(AnchorError::NoNetwork)?;
        let url = reqwest::Url::parse(url)
            .map_err(|e| AnchorError::Config(format!("bad RPC URL {url:?}: {e}")))?;
        match url.scheme() {
            "https" => {}
            // Plain HTTP lets anyone on the path rewrite the chain's answers.
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(AnchorError::Config(format!(
                    "RPC URL {url} is plain http to another machine: use https (plain http only to this machine)"
                )))
            }
            other => {
                return Err(AnchorError::Config(format!(
                    "RPC URL must be http(s), not {other}"
                )))
            }
        }
        Ok(Self {
            url,
            expected_chain_id: preset.map(|p| p.chain_id),
            min_priority_fee: preset.map_or(0, |p| p.min_priority_fee),
        })
    }
}

/// How hard to try before giving up on an RPC call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included.
    pub attempts: u32,
    /// Pause after the first transient fault; doubled after each further one.
    pub base_delay: Duration,
    /// Upper bound on the pause between attempts.
    pub max_delay: Duration,
    /// Per-request timeout.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            request_timeout: Duration::from_secs(20),
        }
    }
}

/// Why talking to the network or the registry failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnchorError {
    /// A setting that cannot work (an unknown preset, a bad URL or key).
    #[error("{0}")]
    Config(String),
    /// Neither a preset nor an RPC URL was given.
    #[error("no network given")]
    NoNetwork,
    /// An RPC call failed for good (after retries of transient faults).
    #[error("RPC endpoint {url}: {what} failed: {message}")]
    Rpc {
        /// The endpoint.
        url: String,
        /// The JSON-RPC method.
        what: &'static str,
        /// The endpoint's or the transport's words.
        message: String,
    },
    /// The endpoint serves another chain than the preset's.
    #[error("the endpoint serves chain {actual}, expected {expected}")]
    WrongChain {
        /// The preset's chain id.
        expected: u64,
        /// What the endpoint answered.
        actual: u64,
    },
    /// A publisher's chronology endpoint failed.
    #[error("chronology endpoint {endpoint}: {message}")]
    Endpoint {
        /// The endpoint.
        endpoint: String,
        /// What went wrong.
        message: String,
    },
    /// The registry contract reverted with one of its errors, decoded.
    #[error("registry refused: {}", explain(.0))]
    Reverted(RegistryError),
    /// The node or the registry refused in a way the contract's errors do not name.
    #[error("registry refused: {0}")]
    Refused(String),
    /// The anchoring key belongs to no publisher in this registry.
    #[error("key {key:#x} is not authorised by any publisher in registry {registry:#x}")]
    KeyNotAuthorized {
        /// The key.
        key: Address,
        /// The registry.
        registry: Address,
    },
    /// The registry answered a value this version does not know (never guessed).
    #[error("the registry answered an unknown {what} ({value})")]
    UnknownValue {
        /// What was read.
        what: &'static str,
        /// The value.
        value: u64,
    },
    /// No registry address was given or recorded for this chain.
    #[error("no registry known for chain {0}")]
    NoRegistry(u64),
    /// Nothing is deployed at the registry address.
    #[error("no contract at {0} on this chain")]
    NoContract(Address),
    /// The chronology log failed.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The async runtime could not start.
    #[error("cannot start the network runtime")]
    Runtime(#[source] std::io::Error),
}

/// True for faults worth retrying: the request may not have been served.
pub(super) fn transient(e: &TransportError) -> bool {
    match e {
        RpcError::Transport(_) | RpcError::NullResp => true,
        RpcError::ErrorResp(p) => {
            let m = p.message.to_ascii_lowercase();
            p.code == 429
                || m.contains("timeout")
                || m.contains("timed out")
                || m.contains("rate limit")
                || m.contains("temporarily")
                || m.contains("header not found")
        }
        RpcError::DeserError { text, .. } => {
            // An HTML error page from a load balancer.
            text.trim_start().starts_with('<') || text.contains("Service Unavailable")
        }
        _ => false,
    }
}

pub(super) fn error_message(e: &TransportError) -> String {
    match e {
        RpcError::ErrorResp(p) => p.message.to_string(),
        other => other.to_string(),
    }
}

/// A connection to one chain.
#[derive(Debug)]
pub struct Network {
    pub(super) rt: tokio::runtime::Runtime,
    pub(super) http: reqwest::Client,
    pub(super) url: reqwest::Url,
    pub(super) provider: DynProvider,
    pub(super) chain_id: u64,
    /// Least priority fee (wei per gas) a transaction offers (the network's floor).
    pub(super) min_priority_fee: u128,
    pub(super) policy: RetryPolicy,
    pub(super) retries: AtomicU64,
}

pub(super) fn addr(a: [u8; 20]) -> Address {
    Address::from(a)
}

impl Network {
    /// Connects and checks the chain id.
    pub fn connect(endpoint: &Endpoint, policy: RetryPolicy) -> Result<Self, AnchorError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(AnchorError::Runtime)?;
        let http = reqwest::Client::builder()
            .timeout(policy.request_timeout)
            .connect_timeout(policy.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| AnchorError::Config(format!("HTTP client: {e}")))?;
        let client = RpcClient::new_http_with_client(http.clone(), endpoint.url.clone());
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .connect_client(client)
            .erased();
        let mut chain = Self {
            rt,
            http,
            url: endpoint.url.clone(),
            provider,
            chain_id: 0,
            min_priority_fee: endpoint.min_priority_fee,
            policy,
            retries: AtomicU64::new(0),
        };
        let id = chain.run("eth_chainId", |p| async move { p.get_chain_id().await })?;
        if let Some(expected) = endpoint.expected_chain_id.filter(|e| *e != id) {
            return Err(AnchorError::WrongChain {
                expected,
                actual: id,
            });
        }
        chain.chain_id = id;
        Ok(chain)
    }

    /// The chain id the endpoint reported when connecting.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// RPC calls retried so far (after transient faults).
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Runs one RPC operation with retries on transient faults.
    pub(super) fn run<T, F, Fut>(&self, what: &'static str, f: F) -> Result<T, AnchorError>
    where
        F: Fn(DynProvider) -> Fut,
        Fut: Future<Output = Result<T, TransportError>>,
    {
        self.rt.block_on(self.retrying(what, f))
    }

    pub(super) async fn retrying<T, F, Fut>(
        &self,
        what: &'static str,
        f: F,
    ) -> Result<T, AnchorError>
    where
        F: Fn(DynProvider) -> Fut,
        Fut: Future<Output = Result<T, TransportError>>,
    {
        self.with_retries(f).await.map_err(|e| AnchorError::Rpc {
            url: self.url.to_string(),
            what,
            message: error_message(&e),
        })
    }

    /// Runs `f` until it succeeds, fails for good, or the attempts run out; transient
    /// faults are retried after an exponentially growing pause.
    pub(super) async fn with_retries<T, F, Fut>(&self, f: F) -> Result<T, TransportError>
    where
        F: Fn(DynProvider) -> Fut,
        Fut: Future<Output = Result<T, TransportError>>,
    {
        let mut delay = self.policy.base_delay;
        let mut attempt = 1;
        loop {
            match f(self.provider.clone()).await {
                Err(e) if transient(&e) && attempt < self.policy.attempts => {
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(self.policy.max_delay);
                    attempt += 1;
                }
                done => return done,
            }
        }
    }

    pub(super) fn wallet_provider(&self, signer: &PrivateKeySigner) -> DynProvider {
        ProviderBuilder::new()
            .wallet(signer.clone())
            .connect_client(RpcClient::new_http_with_client(
                self.http.clone(),
                self.url.clone(),
            ))
            .erased()
    }

    pub(super) fn refused(e: alloy::contract::Error) -> AnchorError {
        if let Some(decoded) = e.as_decoded_interface_error::<RegistryError>() {
            return AnchorError::Reverted(decoded);
        }
        AnchorError::Refused(e.to_string())
    }

    /// Sends a registry transaction from `signer` and waits for its receipt.
    pub(super) fn transact(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        calldata: Vec<u8>,
    ) -> Result<B256, AnchorError> {
        self.transact_paying(signer, registry, calldata, alloy::primitives::U256::ZERO)
            .map(|r| r.transaction_hash)
    }

    /// As [`Network::transact`], sending `value` wei along (a bond); returns the receipt.
    pub(super) fn transact_paying(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        calldata: Vec<u8>,
        value: alloy::primitives::U256,
    ) -> Result<alloy::rpc::types::TransactionReceipt, AnchorError> {
        let provider = self.wallet_provider(signer);
        self.rt.block_on(async {
            let tx = TransactionRequest::default()
                .with_to(registry)
                .with_value(value)
                .with_input(Bytes::from(calldata));
            let pending = provider
                .send_transaction(tx)
                .await
                .map_err(|e| Self::refused(alloy::contract::Error::TransportError(e)))?;
            let receipt = pending
                .with_timeout(Some(Duration::from_secs(120)))
                .get_receipt()
                .await
                .map_err(|e| AnchorError::Refused(e.to_string()))?;
            if !receipt.status() {
                return Err(AnchorError::Refused(format!(
                    "transaction {} reverted",
                    receipt.transaction_hash
                )));
            }
            Ok(receipt)
        })
    }
}

/// Parses a publisher private key (hex, with or without 0x; whitespace ignored).
pub fn parse_private_key(text: &str) -> Result<PrivateKeySigner, AnchorError> {
    text.trim().parse::<PrivateKeySigner>().map_err(|_| {
        AnchorError::Config("the publisher key is not a 32-byte hex private key".into())
    })
}

/// Parses an EVM address (0x-prefixed hex; surrounding whitespace ignored).
pub fn parse_address(text: &str) -> Result<Address, AnchorError> {
    text.trim()
        .parse::<Address>()
        .map_err(|_| AnchorError::Config(format!("not an address: {text:?}")))
}
