//! Anchoring on an EVM chain (Polygon PoS, Amoy, or any JSON-RPC endpoint) through
//! the registry contract, and checking anchors found in reports against the chain.
//!
//! The chronology [`Log`] is the source of truth: every step (transaction signed and
//! recorded → sent → mined → finalized) is committed to the log before the next one,
//! and before any submission the registry is asked whether the root is already there.
//! So a crash at any point resumes cleanly, and a root is never anchored twice (the
//! contract refuses duplicates as a last line). "Anchored" means the block is
//! *finalized*; a reorg that drops a mined batch sends it back to be re-submitted.
//! Transient RPC faults (timeouts, refused connections, HTTP 5xx/429) are retried with
//! exponential backoff; "nonce too low", "already known" and "underpriced" answers to
//! a submission are resolved by looking at what the chain actually has.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use alloy::consensus::TxEnvelope;
use alloy::eips::{BlockId, BlockNumberOrTag, Encodable2718};
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Bytes, FixedBytes, B256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::client::RpcClient;
use alloy::rpc::types::{Filter, TransactionRequest};
use alloy::sol_types::{SolCall, SolEvent};
use alloy::transports::http::reqwest;
use alloy::transports::{RpcError, TransportError};
use sha2::{Digest, Sha256};

use crate::chronology::{crash_point, Batch, BatchState, Inclusion, Log, LogError};
use crate::proof::ProofBundle;
use crate::report::Report;

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    #[allow(clippy::too_many_arguments)]
    ProvenantRegistry,
    "../registry-contract/artifacts/ProvenantRegistry.json"
);

mod curation;

pub use alloy::primitives::{Address, U256};
pub use alloy::signers::local::PrivateKeySigner;
pub use curation::{CuratorSetInfo, DeviceEvidence, EntryInfo, EntryKind, EntryStatus};
pub use ProvenantRegistry::ProvenantRegistryErrors as RegistryError;

pub use crate::anchor_check::{
    Confirmation, ANCHOR_ANCHORED, ANCHOR_KEY_COMPROMISED, ANCHOR_NOT_FOUND, ANCHOR_OTHER_CHAIN,
    ANCHOR_PENDING, ANCHOR_UNKNOWN_REGISTRY,
};

/// A named network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    pub chain_id: u64,
    /// A public RPC endpoint; production users should bring their own.
    pub rpc: &'static str,
}

pub const PRESETS: [Preset; 2] = [
    Preset {
        name: "polygon",
        chain_id: 137,
        rpc: "https://polygon-rpc.com",
    },
    Preset {
        name: "amoy",
        chain_id: 80002,
        rpc: "https://rpc-amoy.polygon.technology",
    },
];

/// Where to talk to a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub url: reqwest::Url,
    /// Refuse to talk to the endpoint if it reports another chain.
    pub expected_chain_id: Option<u64>,
}

impl Endpoint {
    /// `chain` is a preset name (`polygon`, `amoy`) or an RPC URL; `rpc` overrides
    /// the preset's public endpoint.
    pub fn resolve(chain: Option<&str>, rpc: Option<&str>) -> Result<Self, ChainError> {
        let preset = match chain {
            Some(c) if !c.contains("://") => Some(
                PRESETS
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(c))
                    .ok_or_else(|| {
                        ChainError::Config(format!(
                            "unknown chain {c:?}: use polygon, amoy, or an RPC URL"
                        ))
                    })?,
            ),
            _ => None,
        };
        let url = rpc
            .or(chain.filter(|c| c.contains("://")))
            .or(preset.map(|p| p.rpc))
            .ok_or_else(|| {
                ChainError::Config(
                    "no chain given: use --chain polygon|amoy|URL or --rpc URL".into(),
                )
            })?;
        let url = reqwest::Url::parse(url)
            .map_err(|e| ChainError::Config(format!("bad RPC URL {url:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ChainError::Config(format!(
                "RPC URL must be http(s), not {}",
                url.scheme()
            )));
        }
        Ok(Self {
            url,
            expected_chain_id: preset.map(|p| p.chain_id),
        })
    }
}

/// How hard to try before giving up on an RPC call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base_delay: Duration,
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

#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("{0}")]
    Config(String),
    #[error("RPC endpoint {url}: {what} failed: {message}")]
    Rpc {
        url: String,
        what: &'static str,
        message: String,
    },
    #[error("the endpoint serves chain {actual}, expected {expected}")]
    WrongChain { expected: u64, actual: u64 },
    #[error("chronology endpoint {endpoint}: {message}")]
    Endpoint { endpoint: String, message: String },
    #[error("registry refused: {0}")]
    Refused(String),
    #[error("no registry known for chain {0}: deploy one (`provenant registry deploy`) or pass --registry")]
    NoRegistry(u64),
    #[error("no contract at {0} on this chain (wrong --registry or wrong chain?)")]
    NoContract(Address),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("cannot start the network runtime: {0}")]
    Runtime(std::io::Error),
}

/// True for faults worth retrying: the request may not have been served.
fn transient(e: &TransportError) -> bool {
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

fn error_message(e: &TransportError) -> String {
    match e {
        RpcError::ErrorResp(p) => p.message.to_string(),
        other => other.to_string(),
    }
}

/// A connection to one chain.
#[derive(Debug)]
pub struct Chain {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    url: reqwest::Url,
    provider: DynProvider,
    chain_id: u64,
    policy: RetryPolicy,
    retries: AtomicU64,
}

/// What happened to the batches in one anchoring pass.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AnchorRound {
    /// Transactions sent (first submissions and re-submissions).
    pub submitted: u64,
    /// Batches found already anchored on chain (by an earlier run) and adopted.
    pub adopted: u64,
    /// Batches that reached a block in this pass.
    pub mined: u64,
    /// Batches whose block became final in this pass.
    pub finalized: u64,
    /// Batches whose block was dropped by a reorg (they are re-submitted).
    pub reorged: u64,
    /// Transactions that reverted (their batch is signed and sent again).
    pub reverted: u64,
    /// Batches bound to another chain, left alone.
    pub other_chain: u64,
    /// Batches the registry refused this pass (the first refusal is returned as the
    /// error once every other batch has had its turn).
    pub refused: u64,
    /// Batches still waiting (pending transaction or block not final).
    pub waiting: u64,
}

/// Calldata of `anchor(root, leafCount, metaHash)` with our metadata hash (for
/// relayers and tests).
pub fn anchor_calldata(root: [u8; 32], leaf_count: u64) -> Vec<u8> {
    ProvenantRegistry::anchorCall {
        root: FixedBytes(root),
        leafCount: leaf_count,
        metaHash: batch_meta_hash(),
    }
    .abi_encode()
}

/// Topic 0 of the registry's `Anchored` event (for log queries).
pub fn anchored_event_topic() -> [u8; 32] {
    ProvenantRegistry::Anchored::SIGNATURE_HASH.0
}

/// The metadata hash anchored beside every root: names the leaf layout and hashing.
pub fn batch_meta_hash() -> B256 {
    B256::from(<[u8; 32]>::from(Sha256::digest(
        b"provenant-batch/1;leaf=content_sha256|manifest_id|phash_be64|logged_at_be64;\
          hash=sha256;leaf_prefix=00;node_prefix=01;odd=promote",
    )))
}

fn addr(a: [u8; 20]) -> Address {
    Address::from(a)
}

impl Chain {
    /// Connects and checks the chain id.
    pub fn connect(endpoint: &Endpoint, policy: RetryPolicy) -> Result<Self, ChainError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ChainError::Runtime)?;
        let http = reqwest::Client::builder()
            .timeout(policy.request_timeout)
            .connect_timeout(policy.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ChainError::Config(format!("HTTP client: {e}")))?;
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
            policy,
            retries: AtomicU64::new(0),
        };
        let id = chain.run("eth_chainId", |p| async move { p.get_chain_id().await })?;
        if let Some(expected) = endpoint.expected_chain_id.filter(|e| *e != id) {
            return Err(ChainError::WrongChain {
                expected,
                actual: id,
            });
        }
        chain.chain_id = id;
        Ok(chain)
    }

    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// RPC calls retried so far (after transient faults).
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Runs one RPC operation with retries on transient faults.
    fn run<T, F, Fut>(&self, what: &'static str, f: F) -> Result<T, ChainError>
    where
        F: Fn(DynProvider) -> Fut,
        Fut: Future<Output = Result<T, TransportError>>,
    {
        self.rt.block_on(self.retrying(what, f))
    }

    async fn retrying<T, F, Fut>(&self, what: &'static str, f: F) -> Result<T, ChainError>
    where
        F: Fn(DynProvider) -> Fut,
        Fut: Future<Output = Result<T, TransportError>>,
    {
        self.with_retries(f).await.map_err(|e| ChainError::Rpc {
            url: self.url.to_string(),
            what,
            message: error_message(&e),
        })
    }

    /// Runs `f` until it succeeds, fails for good, or the attempts run out; transient
    /// faults are retried after an exponentially growing pause.
    async fn with_retries<T, F, Fut>(&self, f: F) -> Result<T, TransportError>
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

    fn wallet_provider(&self, signer: &PrivateKeySigner) -> DynProvider {
        ProviderBuilder::new()
            .wallet(signer.clone())
            .connect_client(RpcClient::new_http_with_client(
                self.http.clone(),
                self.url.clone(),
            ))
            .erased()
    }

    fn refused(e: alloy::contract::Error) -> ChainError {
        if let Some(decoded) = e.as_decoded_interface_error::<RegistryError>() {
            return ChainError::Refused(explain(&decoded));
        }
        ChainError::Refused(e.to_string())
    }

    /// Sends a registry transaction from `signer` and waits for its receipt.
    fn transact(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        calldata: Vec<u8>,
    ) -> Result<B256, ChainError> {
        self.transact_paying(signer, registry, calldata, alloy::primitives::U256::ZERO)
            .map(|r| r.transaction_hash)
    }

    /// As [`Chain::transact`], sending `value` wei along (a bond); returns the receipt.
    fn transact_paying(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        calldata: Vec<u8>,
        value: alloy::primitives::U256,
    ) -> Result<alloy::rpc::types::TransactionReceipt, ChainError> {
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
                .map_err(|e| ChainError::Refused(e.to_string()))?;
            if !receipt.status() {
                return Err(ChainError::Refused(format!(
                    "transaction {} reverted",
                    receipt.transaction_hash
                )));
            }
            Ok(receipt)
        })
    }

    /// Deploys the registry (the committed artifact); returns its address and block.
    pub fn deploy(&self, signer: &PrivateKeySigner) -> Result<(Address, u64), ChainError> {
        let provider = self.wallet_provider(signer);
        self.rt.block_on(async {
            let tx =
                TransactionRequest::default().with_deploy_code(ProvenantRegistry::BYTECODE.clone());
            let receipt = provider
                .send_transaction(tx)
                .await
                .map_err(|e| ChainError::Refused(error_message(&e)))?
                .with_timeout(Some(Duration::from_secs(120)))
                .get_receipt()
                .await
                .map_err(|e| ChainError::Refused(e.to_string()))?;
            let address = receipt
                .contract_address
                .ok_or_else(|| ChainError::Refused("deployment created no contract".into()))?;
            Ok((address, receipt.block_number.unwrap_or_default()))
        })
    }

    /// Fails unless a contract is deployed at `registry`.
    pub fn check_registry(&self, registry: Address) -> Result<(), ChainError> {
        let code = self.run(
            "eth_getCode",
            |p| async move { p.get_code_at(registry).await },
        )?;
        if code.is_empty() {
            return Err(ChainError::NoContract(registry));
        }
        Ok(())
    }

    pub fn register_publisher(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        name: &str,
        endpoint: &str,
    ) -> Result<B256, ChainError> {
        let call = ProvenantRegistry::registerPublisherCall {
            name: name.to_owned(),
            endpoint: endpoint.to_owned(),
        };
        self.transact(signer, registry, call.abi_encode())
    }

    pub fn authorize_key(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        key: Address,
    ) -> Result<B256, ChainError> {
        let call = ProvenantRegistry::authorizeKeyCall { key };
        self.transact(signer, registry, call.abi_encode())
    }

    pub fn revoke_key(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        key: Address,
        compromised_since: u64,
    ) -> Result<B256, ChainError> {
        let compromised_since = alloy::primitives::Uint::<48, 1>::try_from(compromised_since)
            .map_err(|_| ChainError::Config("the compromise time is out of range".into()))?;
        let call = ProvenantRegistry::revokeKeyCall {
            key,
            compromisedSince: compromised_since,
        };
        self.transact(signer, registry, call.abi_encode())
    }

    /// `anchorOf(publisher, root)` as of block `at`: (anchored, key, publisher, time,
    /// block, leafCount, keyTrusted).
    pub fn anchor_of(
        &self,
        registry: Address,
        publisher: Address,
        root: B256,
        at: BlockId,
    ) -> Result<ProvenantRegistry::anchorOfReturn, ChainError> {
        let call = ProvenantRegistry::anchorOfCall {
            publisher_: publisher,
            root,
        };
        self.view_at(registry, call, at)
    }

    fn view<C: SolCall + Clone>(
        &self,
        registry: Address,
        call: C,
    ) -> Result<C::Return, ChainError> {
        self.view_at(registry, call, BlockId::latest())
    }

    /// A registry view as of block `at` (`finalized` answers "is it final?" in one call).
    fn view_at<C: SolCall + Clone>(
        &self,
        registry: Address,
        call: C,
        at: BlockId,
    ) -> Result<C::Return, ChainError> {
        let data = Bytes::from(call.abi_encode());
        let raw = self.run("eth_call", |p| {
            let tx = TransactionRequest::default()
                .with_to(registry)
                .with_input(data.clone());
            async move { p.call(tx).block(at).await }
        })?;
        if raw.is_empty() {
            return Err(ChainError::NoContract(registry));
        }
        C::abi_decode_returns(&raw).map_err(|e| ChainError::Rpc {
            url: self.url.to_string(),
            what: "eth_call",
            message: format!("unexpected answer: {e}"),
        })
    }

    /// (hash, timestamp) of block `n`, if the chain has it.
    fn block_at(&self, n: u64) -> Result<Option<(B256, u64)>, ChainError> {
        let block = self.run("eth_getBlockByNumber", |p| async move {
            p.get_block_by_number(BlockNumberOrTag::Number(n)).await
        })?;
        Ok(block.map(|b| (b.header.hash, b.header.timestamp)))
    }

    /// Finds the transaction that anchored `root` (from the contract's event).
    fn find_anchor_tx(
        &self,
        registry: Address,
        publisher: Address,
        root: B256,
        block: u64,
    ) -> Result<Option<(B256, u64, B256)>, ChainError> {
        let filter = Filter::new()
            .address(registry)
            .event_signature(ProvenantRegistry::Anchored::SIGNATURE_HASH)
            .topic1(root)
            .topic2(publisher.into_word())
            .from_block(block)
            .to_block(block);
        let logs = self.run("eth_getLogs", |p| {
            let f = filter.clone();
            async move { p.get_logs(&f).await }
        })?;
        Ok(logs
            .first()
            .and_then(|l| Some((l.transaction_hash?, l.block_number?, l.block_hash?))))
    }

    /// One pass over every unfinished batch of the log. Call again (or use
    /// [`Chain::anchor_until_final`]) until everything is anchored.
    pub fn advance(
        &self,
        log: &mut Log,
        signer: &PrivateKeySigner,
        registry: Address,
    ) -> Result<AnchorRound, ChainError> {
        let mut round = AnchorRound::default();
        let mut refusal = None;
        let key = self.view(
            registry,
            ProvenantRegistry::keyInfoCall {
                key: signer.address(),
            },
        )?;
        if key.publisher == Address::ZERO {
            return Err(ChainError::Refused(format!(
                "key {:#x} is not authorised by any publisher in registry {registry:#x} \
                 (`provenant registry publisher authorize`)",
                signer.address()
            )));
        }
        let publisher = key.publisher;
        for batch in log.unfinished_batches()? {
            if batch.chain_id.is_some_and(|c| c != self.chain_id)
                || batch.registry.is_some_and(|r| addr(r) != registry)
            {
                round.other_chain += 1;
                continue;
            }
            match self.advance_batch(log, signer, (registry, publisher), batch, &mut round) {
                Ok(()) => {}
                // One batch refused (e.g. a revoked key): the others still get their turn.
                Err(e @ ChainError::Refused(_)) => {
                    round.refused += 1;
                    refusal.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        match refusal {
            Some(e) => Err(e),
            None => Ok(round),
        }
    }

    fn advance_batch(
        &self,
        log: &mut Log,
        signer: &PrivateKeySigner,
        (registry, publisher): (Address, Address),
        mut batch: Batch,
        round: &mut AnchorRound,
    ) -> Result<(), ChainError> {
        let root = B256::from(batch.root);
        // A mined batch: is its block still there, and final yet?
        if batch.state == BatchState::Mined {
            if self.settle_mined(log, &batch, (registry, publisher), round)? {
                return Ok(());
            }
            // Reorged out (or moved to another block): start again from what the chain says.
            round.reorged += 1;
            log.record_dropped(batch.id)?;
            batch = reload(log, batch.id)?;
        }

        let mut reverted = false;
        if batch.state == BatchState::Submitted {
            if let Some(tx) = batch.tx_hash {
                let tx = B256::from(tx);
                let receipt = self.run("eth_getTransactionReceipt", |p| async move {
                    p.get_transaction_receipt(tx).await
                })?;
                if let Some(r) = receipt {
                    if r.status() {
                        let (Some(number), Some(hash)) = (r.block_number, r.block_hash) else {
                            round.waiting += 1;
                            return Ok(());
                        };
                        let time = self.block_at(number)?.map(|(_, t)| t).unwrap_or(0);
                        let at = self.inclusion((registry, publisher), tx, number, hash, time);
                        log.record_mined(batch.id, &at)?;
                        crash_point("mined");
                        round.mined += 1;
                        let mined = reload(log, batch.id)?;
                        self.settle_mined(log, &mined, (registry, publisher), round)?;
                        return Ok(());
                    }
                    // Reverted (out of gas, or the root got anchored first): never
                    // re-send that transaction; see below.
                    reverted = true;
                    round.reverted += 1;
                } else {
                    let known = self.run("eth_getTransactionByHash", |p| async move {
                        p.get_transaction_by_hash(tx).await
                    })?;
                    if known.is_some() {
                        round.waiting += 1;
                        return Ok(());
                    }
                }
            }
        }

        // Sealed, or submitted but gone: ask the registry before sending anything.
        // Anchors are per publisher, so nobody else's anchoring of this root counts.
        let on_chain = self.anchor_of(registry, publisher, root, BlockId::latest())?;
        if on_chain.anchored {
            if on_chain.leafCount != batch.leaf_count {
                return Err(ChainError::Refused(format!(
                    "root {root} is already anchored by this publisher with {} leaves, but the batch has {}",
                    on_chain.leafCount, batch.leaf_count
                )));
            }
            if let Some((tx, number, hash)) =
                self.find_anchor_tx(registry, publisher, root, on_chain.blockNumber)?
            {
                let at = self.inclusion((registry, publisher), tx, number, hash, on_chain.time);
                log.record_mined(batch.id, &at)?;
                round.adopted += 1;
                return Ok(());
            }
        }
        if batch.state == BatchState::Submitted && !reverted {
            if let Some(raw) = batch.raw_tx.as_ref().filter(|r| !r.is_empty()) {
                // Recorded but apparently never sent (a crash in between): send exactly it.
                match self.send_raw(raw)? {
                    Sent::Accepted => {
                        round.submitted += 1;
                        round.waiting += 1;
                        return Ok(());
                    }
                    Sent::Stale => {
                        // Its nonce was used by something else: sign a fresh one.
                        log.record_dropped(batch.id)?;
                    }
                }
            }
        }
        self.submit(log, signer, registry, &batch)?;
        round.submitted += 1;
        round.waiting += 1;
        Ok(())
    }

    fn inclusion(
        &self,
        (registry, publisher): (Address, Address),
        tx: B256,
        block_number: u64,
        block_hash: B256,
        block_time: u64,
    ) -> Inclusion {
        Inclusion {
            chain_id: self.chain_id,
            registry: registry.into(),
            publisher: publisher.into(),
            tx_hash: tx.into(),
            block_number,
            block_hash: block_hash.into(),
            block_time,
        }
    }

    /// For a mined batch: true if its block is still on the chain (then it is marked
    /// anchored once final, else counted as waiting); false if a reorg dropped it.
    fn settle_mined(
        &self,
        log: &mut Log,
        batch: &Batch,
        (registry, publisher): (Address, Address),
        round: &mut AnchorRound,
    ) -> Result<bool, ChainError> {
        let (Some(tx), Some(number), Some(hash)) =
            (batch.tx_hash, batch.block_number, batch.block_hash)
        else {
            return Ok(false);
        };
        let receipt = self.run("eth_getTransactionReceipt", |p| async move {
            p.get_transaction_receipt(B256::from(tx)).await
        })?;
        let still_there = receipt.as_ref().is_some_and(|r| {
            r.block_hash == Some(B256::from(hash)) && r.block_number == Some(number)
        });
        if !still_there {
            // A node behind the others (load-balanced endpoints) may not know the receipt
            // yet: only a changed block at that height is a reorg.
            if receipt.is_none()
                && self
                    .block_at(number)?
                    .is_some_and(|(h, _)| h == B256::from(hash))
            {
                round.waiting += 1;
                return Ok(true);
            }
            return Ok(false);
        }
        // Final = the registry has it as of the `finalized` block (one call, same node).
        let root = B256::from(batch.root);
        let at_final = self.anchor_of(registry, publisher, root, BlockId::finalized())?;
        if at_final.anchored && at_final.leafCount == batch.leaf_count {
            log.record_anchored(batch.id)?;
            crash_point("finalized");
            round.finalized += 1;
        } else {
            round.waiting += 1;
        }
        Ok(true)
    }

    /// Signs an `anchor` transaction for the batch, records it, then sends it.
    fn submit(
        &self,
        log: &mut Log,
        signer: &PrivateKeySigner,
        registry: Address,
        batch: &Batch,
    ) -> Result<(), ChainError> {
        let from = signer.address();
        let call = ProvenantRegistry::anchorCall {
            root: FixedBytes(batch.root),
            leafCount: batch.leaf_count,
            metaHash: batch_meta_hash(),
        };
        let data = Bytes::from(call.abi_encode());
        let request = TransactionRequest::default()
            .with_from(from)
            .with_to(registry)
            .with_input(data);
        // Estimating also tells us early if the registry would refuse (key not authorised...).
        let gas = self
            .rt
            .block_on(self.with_retries(|p| {
                let r = request.clone();
                async move { p.estimate_gas(r).await }
            }))
            .map_err(|e| Self::refused(alloy::contract::Error::TransportError(e)))?;
        let mut fees = self.run("fee estimate", |p| async move {
            p.estimate_eip1559_fees().await
        })?;
        let wallet = EthereumWallet::from(signer.clone());
        for _ in 0..4 {
            let nonce = self.run("eth_getTransactionCount", |p| async move {
                p.get_transaction_count(from).pending().await
            })?;
            let tx = request
                .clone()
                .with_nonce(nonce)
                .with_chain_id(self.chain_id)
                .with_gas_limit(gas + gas / 4)
                .with_max_fee_per_gas(fees.max_fee_per_gas)
                .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas);
            let envelope: TxEnvelope = self
                .rt
                .block_on(tx.build(&wallet))
                .map_err(|e| ChainError::Config(format!("signing the transaction: {e}")))?;
            let raw = envelope.encoded_2718();
            let hash = *envelope.tx_hash();
            log.record_submission(
                batch.id,
                self.chain_id,
                registry.into(),
                hash.into(),
                &raw,
                nonce,
            )?;
            crash_point("recorded");
            match self.send_raw(&raw)? {
                Sent::Accepted => {
                    crash_point("sent");
                    return Ok(());
                }
                Sent::Stale => {
                    // Bump fees (a replacement must pay at least 10% more) and re-sign.
                    fees.max_fee_per_gas += fees.max_fee_per_gas / 4 + 1;
                    fees.max_priority_fee_per_gas += fees.max_priority_fee_per_gas / 4 + 1;
                }
            }
        }
        Err(ChainError::Refused(
            "the node kept refusing the anchoring transaction (nonce/fee); try again later".into(),
        ))
    }

    /// Broadcasts a signed transaction. Transient faults are retried; "already known"
    /// counts as accepted; a used nonce or an underpriced replacement is `Stale`
    /// unless the chain turns out to have this very transaction.
    fn send_raw(&self, raw: &[u8]) -> Result<Sent, ChainError> {
        let hash = alloy::primitives::keccak256(raw);
        let result = self.rt.block_on(
            self.with_retries(|p| async move { p.send_raw_transaction(raw).await.map(|_| ()) }),
        );
        let Err(e) = result else {
            return Ok(Sent::Accepted);
        };
        let message = error_message(&e).to_ascii_lowercase();
        if message.contains("already known") || message.contains("already imported") {
            return Ok(Sent::Accepted);
        }
        if message.contains("nonce too low")
            || message.contains("underpriced")
            || message.contains("nonce has already been used")
        {
            // Perhaps our own transaction got in after all (an answer lost on the way).
            let known = self.run("eth_getTransactionByHash", |p| async move {
                p.get_transaction_by_hash(hash).await
            })?;
            self.retries.fetch_add(1, Ordering::Relaxed);
            return Ok(if known.is_some() {
                Sent::Accepted
            } else {
                Sent::Stale
            });
        }
        Err(ChainError::Rpc {
            url: self.url.to_string(),
            what: "eth_sendRawTransaction",
            message: error_message(&e),
        })
    }

    /// Passes until every batch is anchored (finalized), sleeping `poll` between
    /// passes; gives up after `timeout`. `progress` sees each round.
    pub fn anchor_until_final(
        &self,
        log: &mut Log,
        signer: &PrivateKeySigner,
        registry: Address,
        poll: Duration,
        timeout: Duration,
        mut progress: impl FnMut(&AnchorRound),
    ) -> Result<AnchorRound, ChainError> {
        let start = std::time::Instant::now();
        let mut total = AnchorRound::default();
        loop {
            let r = self.advance(log, signer, registry)?;
            progress(&r);
            total.submitted += r.submitted;
            total.adopted += r.adopted;
            total.mined += r.mined;
            total.finalized += r.finalized;
            total.reorged += r.reorged;
            total.other_chain = r.other_chain;
            total.waiting = r.waiting;
            if r.waiting == 0
                && log
                    .unfinished_batches()?
                    .iter()
                    .all(|b| b.chain_id.is_some_and(|c| c != self.chain_id))
            {
                return Ok(total);
            }
            if start.elapsed() > timeout {
                return Ok(total);
            }
            std::thread::sleep(poll);
        }
    }

    /// Fetches the proofs a publisher's chronology endpoint serves for one manifest
    /// (`GET {endpoint}/proofs/{manifest_id}`, a proof-set JSON as in sidecars). The
    /// endpoint is not trusted: callers check every bundle locally and on chain.
    /// `Ok(empty)` when the endpoint has none (404).
    pub fn fetch_proofs(
        &self,
        endpoint: &str,
        manifest_id: &str,
    ) -> Result<Vec<ProofBundle>, ChainError> {
        let fail = |message: String| ChainError::Endpoint {
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
                if body.len() > crate::proof::MAX_PROOF_SET_BYTES {
                    return Err(fail("answer larger than 1 MiB".into()));
                }
            }
            let set = crate::proof::ProofSet::parse(&body).map_err(|e| fail(e.to_string()))?;
            Ok(set.bundles().0)
        })
    }

    /// Asks the bundle's registry, in one `eth_call`, whether the bundle's leaf is in an
    /// anchored root. `None`: not confirmed (unknown root, leaf not in it, or no
    /// registry at that address on this chain).
    ///
    /// Asked as of `latest` (key revocations count at once) and as of `finalized`
    /// (whether the anchor is final).
    pub fn confirm(&self, bundle: &ProofBundle) -> Result<Option<Confirmation>, ChainError> {
        let call = ProvenantRegistry::verifyLeafCall {
            publisher_: addr(bundle.publisher),
            leafData: Bytes::copy_from_slice(&bundle.leaf.encode()),
            index: bundle.index,
            leafCount: bundle.leaf_count,
            siblings: bundle.siblings.iter().map(|s| FixedBytes(*s)).collect(),
            root: FixedBytes(bundle.root),
        };
        let registry = addr(bundle.registry);
        // Latest state first: a revocation counts from the moment it is mined.
        let latest = match self.view_at(registry, call.clone(), BlockId::latest()) {
            Ok(found) if found.included => found,
            Ok(_) | Err(ChainError::NoContract(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let finalized = match self.view_at(registry, call, BlockId::finalized()) {
            Ok(found) => found.included && found.blockNumber == latest.blockNumber,
            Err(ChainError::NoContract(_)) => false,
            Err(e) => return Err(e),
        };
        Ok(Some(Confirmation {
            time: latest.time,
            block_number: latest.blockNumber,
            publisher: latest.publisher.into(),
            key: latest.key.into(),
            key_trusted: latest.keyTrusted,
            finalized,
        }))
    }

    /// Checks every step anchor of `report` that names this chain: the registry must
    /// confirm the leaf under an anchored root (one `eth_call` per step).
    ///
    /// Only registries in `trusted` are asked: a proof naming any other contract is
    /// refused (`anchor.unknownRegistry`), since anyone can deploy a contract that
    /// answers "included" to everything.
    pub fn check_report(&self, report: &mut Report, trusted: &[Address]) -> Result<(), ChainError> {
        let trusted: Vec<[u8; 20]> = trusted.iter().map(|a| (*a).into()).collect();
        for (i, bundle) in crate::anchor_check::pending_checks(report, self.chain_id, &trusted) {
            let found = self.confirm(&bundle)?;
            let name = match &found {
                Some(f) => self
                    .view(
                        addr(bundle.registry),
                        ProvenantRegistry::publisherOfCall {
                            admin: addr(f.publisher),
                        },
                    )
                    .ok()
                    .filter(|p| p.registered)
                    .map(|p| p.name),
                None => None,
            };
            crate::anchor_check::apply(report, i, found, name);
        }
        Ok(())
    }
}

/// The registry's refusal in words, with the contract's error name for searching.
fn explain(e: &RegistryError) -> String {
    use RegistryError as E;
    let words = match e {
        E::EmptyName(_) => "a publisher needs a name".to_owned(),
        E::AlreadyRegistered(x) => format!("{:#x} is already a registered publisher", x.publisher),
        E::NotPublisher(x) => format!("{:#x} is not a registered publisher (register first)", x.account),
        E::KeyInUse(x) => format!("key {:#x} was already authorised once (keys are never reused)", x.key),
        E::ZeroKey(_) => "the zero address cannot be a key".to_owned(),
        E::NotKeyPublisher(x) => format!("key {:#x} belongs to another publisher", x.key),
        E::InvalidCompromiseTime(_) => "the compromise time must be after 1970 and not in the future".to_owned(),
        E::CannotLoosenRevocation(_) => "a revocation can only move the compromise time earlier".to_owned(),
        E::NotAuthorizedKey(x) => format!(
            "key {:#x} is not authorised to anchor (ask the publisher: `provenant registry publisher authorize`)",
            x.key
        ),
        E::KeyIsRevoked(x) => format!("key {:#x} has been revoked by its publisher", x.key),
        E::ZeroRoot(_) => "an all-zero root cannot be anchored".to_owned(),
        E::LeafCountOutOfRange(_) => "a batch must have 1 to 16,777,215 leaves".to_owned(),
        E::AlreadyAnchored(x) => format!("root {} is already anchored", x.root),
        E::InvalidSignature(_) => "the relayed anchoring signature is invalid".to_owned(),
        E::SignatureExpired(_) => "the relayed anchoring signature has expired".to_owned(),
        E::BadCuratorSet(_) => "a curator set needs a name, 1 to 32 distinct curators, a threshold of 1..n, a timelock and a group key".to_owned(),
        E::UnknownCuratorSet(x) => format!("there is no curator set {}", x.setId),
        E::UnknownEntry(x) => format!("there is no blacklist entry {}", x.id),
        E::NotCurator(x) => format!("{:#x} is not a curator of this entry's set", x.account),
        E::AlreadyVoted(x) => format!("{:#x} already voted (or released its share) on this", x.curator),
        E::WrongStatus(x) => format!("the entry's status ({}) does not allow this", status_name(x.status)),
        E::WrongKind(_) => "certificate entries have no decryption shares or epoch keys".to_owned(),
        E::TimelockRunning(x) => format!(
            "the entry's timelock (appeal window) runs until {}",
            crate::anchor_check::rfc3339(x.activeAfter)
        ),
        E::TimelockOver(_) => "the appeal window is over".to_owned(),
        E::WrongBond(x) => format!("the bond must be exactly {} wei", x.expected),
        E::NotEnoughShares(x) => format!("{} of {} decryption shares released", x.have, x.need),
        E::BadEvidence(_) => "the evidence is incomplete (zero hash or point, or a start before the evidence's day)".to_owned(),
        E::BadEpochKey(_) => "a device entry needs its epoch key; a certificate entry none".to_owned(),
        E::NothingToClaim(_) => "no bond is credited to this account".to_owned(),
        E::TransferFailed(_) => "paying out the bond failed".to_owned(),
    };
    let name = format!("{e:?}");
    let name = name.split('(').next().unwrap_or_default();
    format!("{words} ({name})")
}

fn status_name(status: u8) -> &'static str {
    [
        "proposed",
        "approved",
        "appealed",
        "active",
        "withdrawn",
        "rejected",
    ]
    .get(usize::from(status))
    .copied()
    .unwrap_or("unknown")
}

fn reload(log: &Log, id: i64) -> Result<Batch, ChainError> {
    Ok(log
        .batch(id)?
        .ok_or_else(|| LogError::Corrupt(format!("batch {id} vanished")))?)
}

enum Sent {
    Accepted,
    Stale,
}

/// Parses a publisher private key (hex, with or without 0x; whitespace ignored).
pub fn parse_private_key(text: &str) -> Result<PrivateKeySigner, ChainError> {
    text.trim().parse::<PrivateKeySigner>().map_err(|_| {
        ChainError::Config("the publisher key is not a 32-byte hex private key".into())
    })
}

pub fn parse_address(text: &str) -> Result<Address, ChainError> {
    text.trim()
        .parse::<Address>()
        .map_err(|_| ChainError::Config(format!("not an address: {text:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anchor_check::{
        decode_publisher_name, decode_verify_leaf, publisher_of_calldata, verify_leaf_calldata,
        PUBLISHER_OF_SELECTOR, VERIFY_LEAF_SELECTOR,
    };
    use crate::proof::LeafData;
    use alloy::sol_types::SolValue;

    fn bundle(siblings: usize) -> ProofBundle {
        ProofBundle {
            chain_id: 137,
            registry: [1; 20],
            publisher: [2; 20],
            root: [3; 32],
            leaf: LeafData {
                content_sha256: [4; 32],
                manifest_id: [5; 32],
                phash: 0x0123_4567_89ab_cdef,
                logged_at: 1_800_000_000,
            },
            index: 5,
            leaf_count: 1_000_000,
            siblings: (0..siblings).map(|i| [i as u8; 32]).collect(),
            tx_hash: [6; 32],
            block_number: 9,
        }
    }

    /// The hand-written ABI code the browser uses agrees with alloy's.
    #[test]
    fn hand_encoding_matches_alloy() {
        assert_eq!(
            VERIFY_LEAF_SELECTOR,
            ProvenantRegistry::verifyLeafCall::SELECTOR
        );
        assert_eq!(
            PUBLISHER_OF_SELECTOR,
            ProvenantRegistry::publisherOfCall::SELECTOR
        );
        for n in [0, 1, 7, 20] {
            let b = bundle(n);
            let call = ProvenantRegistry::verifyLeafCall {
                publisher_: addr(b.publisher),
                leafData: Bytes::copy_from_slice(&b.leaf.encode()),
                index: b.index,
                leafCount: b.leaf_count,
                siblings: b.siblings.iter().map(|s| FixedBytes(*s)).collect(),
                root: FixedBytes(b.root),
            };
            assert_eq!(verify_leaf_calldata(&b), call.abi_encode(), "{n} siblings");
        }
        assert_eq!(
            publisher_of_calldata(&[7; 20]),
            ProvenantRegistry::publisherOfCall {
                admin: addr([7; 20])
            }
            .abi_encode()
        );
        let ret = (
            true,
            1_800_000_123u64,
            42u64,
            addr([8; 20]),
            addr([9; 20]),
            false,
        )
            .abi_encode_params();
        let c = decode_verify_leaf(&ret).unwrap().unwrap();
        assert_eq!(
            (c.time, c.block_number, c.publisher, c.key, c.key_trusted),
            (1_800_000_123, 42, [8; 20], [9; 20], false)
        );
        let named = ("Daily Planet".to_owned(), "https://x".to_owned(), true).abi_encode_params();
        assert_eq!(
            decode_publisher_name(&named).as_deref(),
            Some("Daily Planet")
        );
        let unregistered = (String::new(), String::new(), false).abi_encode_params();
        assert_eq!(decode_publisher_name(&unregistered), None);
    }
}
