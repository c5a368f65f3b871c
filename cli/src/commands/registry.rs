use anyhow::{Context, Result};
use provenant_core::anchor::{parse_address, parse_private_key, PrivateKeySigner};
use provenant_core::chronology::Log;

use crate::network::{parse_time, KeyArgs, NetworkArgs, RegistryArgs};
use crate::Exit;

/// Deploys the registry contract and manages publishers and their anchoring keys.
///
/// The contract is immutable: no owner, no upgrade. A publisher registers once from
/// its admin account, then authorises the keys that anchor for it; a leaked key is
/// revoked with the time it was compromised from (anchors before stay good). Authorising
/// a key takes the key's own signature (it accepts this publisher), so nobody can claim
/// another newsroom's key.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    provenant registry deploy --chain http://127.0.0.1:8545 --key-file admin.key\n  \
    provenant registry publisher register --name \"Daily Planet\" --endpoint https://planet.example/chronology\n  \
    provenant registry publisher authorize --anchor-key-file anchor.key --key-file admin.key\n  \
    provenant registry publisher revoke 0x7099… --compromised-since 2026-11-01T00:00:00Z")]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Deploy the registry (the committed, compiled contract) and remember its address.
    Deploy {
        #[command(flatten)]
        chain: NetworkArgs,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Register as a publisher, authorise or revoke anchoring keys.
    Publisher {
        #[command(subcommand)]
        command: PublisherSub,
    },
}

/// Where and as whom a publisher command runs.
#[derive(Debug, clap::Args)]
pub struct Common {
    #[command(flatten)]
    chain: NetworkArgs,
    #[command(flatten)]
    key: KeyArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum PublisherSub {
    /// Register the key's account as a publisher.
    Register {
        /// The publisher's name, shown to readers.
        #[arg(long)]
        name: String,
        /// URL of the publisher's chronology endpoint (proofs are fetched from it and
        /// checked against the chain).
        #[arg(long, default_value = "")]
        endpoint: String,
        #[command(flatten)]
        common: Common,
    },
    /// Authorise a key to anchor for this publisher. The key signs its acceptance of the
    /// publisher (proof of possession; the registry refuses a key without it).
    Authorize {
        /// The key's address (0x…), optional: checked against --anchor-key-file.
        address: Option<String>,
        /// File holding the anchoring key's private key (hex): it signs its acceptance.
        #[arg(long, value_name = "FILE")]
        anchor_key_file: std::path::PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Revoke a key: anchors it made at or after --compromised-since are distrusted.
    Revoke {
        /// The key's address (0x…).
        address: String,
        /// When the key was compromised: RFC 3339 time or Unix seconds (not in the future).
        #[arg(long, value_name = "TIME")]
        compromised_since: String,
        #[command(flatten)]
        common: Common,
    },
}

pub fn run(a: Args) -> Result<Exit> {
    match a.command {
        Sub::Deploy { chain, key } => {
            let signer = key.signer()?;
            let chain = chain.connect()?;
            let (address, block) = chain.deploy(&signer)?;
            let mut log = Log::open_default()?;
            log.set_registry(chain.chain_id(), address.into(), Some(block))?;
            eprintln!(
                "registry deployed on chain {} at {address:#x} (block {block}); recorded as this log's registry",
                chain.chain_id()
            );
            println!("{address:#x}");
        }
        Sub::Publisher { command } => {
            let (PublisherSub::Register { common, .. }
            | PublisherSub::Authorize { common, .. }
            | PublisherSub::Revoke { common, .. }) = &command;
            let Common {
                chain,
                key,
                registry,
            } = common;
            let signer = key.signer()?;
            let chain = chain.connect()?;
            let log = Log::open_default()?;
            let registry = registry.resolve(&chain, &log)?;
            let tx = match &command {
                PublisherSub::Register { name, endpoint, .. } => {
                    if name.trim().is_empty() {
                        anyhow::bail!("--name must not be empty");
                    }
                    chain.register_publisher(&signer, registry, name, endpoint)?
                }
                PublisherSub::Authorize {
                    address,
                    anchor_key_file,
                    ..
                } => {
                    let key = anchor_key(anchor_key_file, address.as_deref())?;
                    chain.authorize_key(&signer, registry, &key)?
                }
                PublisherSub::Revoke {
                    address,
                    compromised_since,
                    ..
                } => chain.revoke_key(
                    &signer,
                    registry,
                    parse_address(address)?,
                    parse_time(compromised_since)?,
                )?,
            };
            let what = match command {
                PublisherSub::Register { name, .. } => {
                    format!("registered publisher {:?} as {:#x}", name, signer.address())
                }
                PublisherSub::Authorize {
                    anchor_key_file, ..
                } => format!(
                    "authorised key {:#x}",
                    anchor_key(&anchor_key_file, None)?.address()
                ),
                PublisherSub::Revoke { address, .. } => format!("revoked key {address}"),
            };
            eprintln!("{} (transaction {tx:#x})", crate::render::clean(&what));
        }
    }
    Ok(Exit::Pass)
}

/// The anchoring key from its file; when `expected` names an address, the file must hold
/// that key.
fn anchor_key(path: &std::path::Path, expected: Option<&str>) -> Result<PrivateKeySigner> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the key file {}", crate::shown(path)))?;
    let key = parse_private_key(&text)?;
    if let Some(expected) = expected {
        let expected = parse_address(expected)?;
        if expected != key.address() {
            anyhow::bail!(
                "--anchor-key-file holds the key of {:#x}, not {expected:#x}",
                key.address()
            );
        }
    }
    Ok(key)
}
