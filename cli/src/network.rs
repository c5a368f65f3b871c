//! Options shared by the commands that talk to a chain, and how they are resolved:
//! flags first, then the environment, then what the chronology log remembers.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use provenant_core::anchor::{
    parse_address, parse_private_key, Address, Endpoint, Network, PrivateKeySigner, RetryPolicy,
    PRESETS,
};
use provenant_core::chronology::Log;

/// Where the chain is.
#[derive(Debug, Clone, clap::Args)]
pub struct NetworkArgs {
    /// Network: `polygon` (137), `amoy` (80002), or an RPC URL (e.g. a local anvil).
    #[arg(long, value_name = "NAME|URL", env = "PROVENANT_CHAIN")]
    pub chain: Option<String>,
    /// RPC endpoint to use for --chain (default: the preset's public endpoint).
    #[arg(long, value_name = "URL", env = "PROVENANT_RPC")]
    pub rpc: Option<String>,
    /// Per-request timeout in seconds; failed requests are retried with backoff.
    #[arg(long, value_name = "SECS", default_value_t = 20.0)]
    pub rpc_timeout: f64,
    /// Least priority fee to offer, in gwei (default: the network's pool floor, 25 for
    /// polygon and amoy, none for an RPC URL).
    #[arg(long, value_name = "GWEI")]
    pub min_priority_fee: Option<f64>,
}

/// Who signs transactions.
#[derive(Debug, Clone, clap::Args)]
pub struct KeyArgs {
    /// File holding the publisher's private key (hex). Also PROVENANT_PUBLISHER_KEY
    /// (the key itself) — never pass a key on the command line.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
}

/// Which registry contract.
#[derive(Debug, Clone, clap::Args)]
pub struct RegistryArgs {
    /// Registry contract address (default: the one `registry deploy` recorded for this chain).
    #[arg(long, value_name = "ADDRESS", env = "PROVENANT_REGISTRY")]
    pub registry: Option<String>,
}

impl NetworkArgs {
    pub fn connect(&self) -> Result<Network> {
        let mut endpoint = Endpoint::resolve(self.chain.as_deref(), self.rpc.as_deref())?;
        if let Some(gwei) = self.min_priority_fee {
            if !(gwei.is_finite() && (0.0..=1e6).contains(&gwei)) {
                anyhow::bail!("--min-priority-fee must be between 0 and 1,000,000 gwei");
            }
            endpoint.min_priority_fee = (gwei * 1e9).round() as u128;
        }
        if !(self.rpc_timeout.is_finite() && self.rpc_timeout > 0.0 && self.rpc_timeout < 3600.0) {
            anyhow::bail!("--rpc-timeout must be between 0 and 3600 seconds");
        }
        let policy = RetryPolicy {
            request_timeout: Duration::from_secs_f64(self.rpc_timeout),
            ..RetryPolicy::default()
        };
        Ok(Network::connect(&endpoint, policy)?)
    }

    pub fn given(&self) -> bool {
        self.chain.is_some() || self.rpc.is_some()
    }
}

impl KeyArgs {
    pub fn signer(&self) -> Result<PrivateKeySigner> {
        let text = match (&self.key_file, std::env::var("PROVENANT_PUBLISHER_KEY")) {
            (Some(path), _) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the key file {}", crate::shown(path)))?,
            (None, Ok(key)) => key,
            (None, Err(_)) => anyhow::bail!(
                "no publisher key: pass --key-file FILE (hex private key) or set PROVENANT_PUBLISHER_KEY"
            ),
        };
        Ok(parse_private_key(&text)?)
    }
}

impl RegistryArgs {
    /// The registry address: the flag, else what the log recorded for this chain.
    pub fn resolve(&self, chain: &Network, log: &Log) -> Result<Address> {
        let address = match &self.registry {
            Some(a) => parse_address(a)?,
            None => log
                .registry_for(chain.chain_id())?
                .map(Address::from)
                .ok_or(provenant_core::anchor::AnchorError::NoRegistry(
                    chain.chain_id(),
                ))?,
        };
        chain.check_registry(address)?;
        Ok(address)
    }
}

/// Names of the presets, for help texts.
pub fn preset_names() -> String {
    PRESETS
        .iter()
        .map(|p| format!("{} ({})", p.name, p.chain_id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A time given as Unix seconds or RFC 3339 (not past 2^40 s).
pub fn parse_time(text: &str) -> Result<u64> {
    if let Ok(secs) = text.parse::<u64>() {
        if secs >= 1 << 40 {
            anyhow::bail!("{text} seconds is too far in the future");
        }
        return Ok(secs);
    }
    let t = chrono::DateTime::parse_from_rfc3339(text)
        .with_context(|| format!("{text:?} is neither Unix seconds nor an RFC 3339 time"))?;
    u64::try_from(t.timestamp()).context("time before 1970")
}
