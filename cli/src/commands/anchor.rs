use std::time::Duration;

use anyhow::Result;
use provenant_core::anchor::{parse_address, Address, AnchorRound, Network, PrivateKeySigner};
use provenant_core::chronology::{Log, LogStatus, MAX_BATCH_LEAVES};

use crate::network::{KeyArgs, NetworkArgs, RegistryArgs};
use crate::Exit;

/// Seals the chronology log's pending entries into Merkle batches and anchors each
/// batch's root in the registry contract.
///
/// Safe to run again at any time, and after a crash: the log records every step
/// before the next one, and the registry is asked before anything is sent, so no
/// entry is lost and no root is anchored twice. A batch counts as anchored once its
/// block is finalized; a reorg that drops it gets it re-submitted.
#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  \
    provenant anchor --chain amoy --key-file publisher.key --publisher 0xA11CE… --wait\n  \
    provenant anchor --chain http://127.0.0.1:8545 --registry 0x5FbD…\n  \
    provenant anchor --seal-only\n  \
    provenant anchor status --json\n\n\
    The log lives in $PROVENANT_HOME (default ~/.local/share/provenant), or where\n\
    $PROVENANT_LOG says: a SQLite path or a postgres://user@host:port/db URL."
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Sub>,
    #[command(flatten)]
    pub chain: NetworkArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The publisher (admin address) this log anchors for: refuse to anchor if the key
    /// is authorised by any other publisher.
    #[arg(long, value_name = "ADDRESS", env = "PROVENANT_PUBLISHER")]
    pub publisher: Option<String>,
    /// Keep going until every batch is finalized on chain (or --wait-timeout passes).
    #[arg(long)]
    pub wait: bool,
    /// Seconds to wait with --wait.
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    pub wait_timeout: u64,
    /// Seconds between checks with --wait.
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    pub poll: f64,
    /// Largest batch to seal (the registry allows up to 16,777,215 leaves).
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub max_batch: u64,
    /// Only seal pending entries into batches; do not contact a chain.
    #[arg(long)]
    pub seal_only: bool,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Show how many entries are pending, sealed, sent, mined and anchored.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn print_status(s: &LogStatus) {
    eprintln!(
        "chronology: {} entries ({} pending); batches: {} sealed, {} sent, {} mined, {} anchored ({} entries anchored)",
        s.entries,
        s.pending_entries,
        s.sealed_batches,
        s.submitted_batches,
        s.mined_batches,
        s.anchored_batches,
        s.anchored_entries
    );
}

pub fn run(a: Args) -> Result<Exit> {
    let log = Log::open_default()?;
    if let Some(Sub::Status { json }) = a.command {
        return status(&log, json);
    }
    anchor(a, log)
}

/// `anchor status`: the log's counts, and its unfinished batches.
fn status(log: &Log, json: bool) -> Result<Exit> {
    let status = log.status()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print_status(&status);
        for b in log.unfinished_batches()? {
            eprintln!(
                "  batch {} ({} leaves, root 0x{}…): {}{}",
                b.id,
                b.leaf_count,
                &hex::encode(b.root)[..12],
                b.state.as_str(),
                b.block_number
                    .map(|n| format!(" in block {n}"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(Exit::Pass)
}

/// `anchor`: seal pending entries, then (unless --seal-only) anchor the batches.
fn anchor(a: Args, mut log: Log) -> Result<Exit> {
    if !(a.poll.is_finite() && (0.05..=600.0).contains(&a.poll)) {
        anyhow::bail!("--poll must be between 0.05 and 600 seconds");
    }
    if !(1..=MAX_BATCH_LEAVES).contains(&a.max_batch) {
        anyhow::bail!("--max-batch must be between 1 and {MAX_BATCH_LEAVES}");
    }
    seal(&mut log, a.max_batch)?;
    if a.seal_only {
        let status = log.status()?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&status)?);
        } else {
            print_status(&status);
        }
        return Ok(Exit::Pass);
    }
    if !a.chain.given() {
        anyhow::bail!(
            "no chain given: pass --chain ({} or an RPC URL), or --seal-only",
            crate::network::preset_names()
        );
    }
    let _lock = log.anchoring_lock()?;
    let chain = a.chain.connect()?;
    let signer = a.key.signer()?;
    let registry = a.registry.resolve(&chain, &log)?;
    check_publisher(&chain, registry, &signer, a.publisher.as_deref())?;
    let round = if a.wait {
        anchor_until_final(&a, &chain, &mut log, &signer, registry)?
    } else {
        chain.advance(&mut log, &signer, registry)?
    };
    let status = log.status()?;
    report(&chain, registry, &round, &status, a.json)?;
    if a.wait && (status.sealed_batches + status.submitted_batches + status.mined_batches) > 0 {
        eprintln!("not everything is anchored yet; run `provenant anchor` again later");
        return Ok(Exit::PolicyFail);
    }
    Ok(Exit::Pass)
}

/// Refuses to anchor when the key belongs to another publisher than `expected`; without
/// `expected`, says which publisher the anchors will be credited to.
fn check_publisher(
    chain: &Network,
    registry: Address,
    signer: &PrivateKeySigner,
    expected: Option<&str>,
) -> Result<()> {
    let expected = expected.map(parse_address).transpose()?;
    // A key of no publisher: `advance` refuses it with its own message.
    let Some((publisher, name)) = chain.key_publisher(registry, signer.address())? else {
        return Ok(());
    };
    let name = crate::render::clean(&name);
    match expected {
        Some(expected) if expected != publisher => anyhow::bail!(
            "key {:#x} anchors for publisher {name:?} ({publisher:#x}), not for {expected:#x}: \
             refusing to anchor (check --publisher / PROVENANT_PUBLISHER and who authorised the key)",
            signer.address()
        ),
        Some(_) => {}
        None => eprintln!(
            "anchoring for publisher {name:?} ({publisher:#x}); pass --publisher {publisher:#x} to insist on it"
        ),
    }
    Ok(())
}

/// Seals pending entries into batches of at most `max_batch` leaves, and says so.
fn seal(log: &mut Log, max_batch: u64) -> Result<()> {
    let sealed = log.seal(max_batch)?;
    if !sealed.is_empty() {
        let leaves: u64 = sealed.iter().map(|b| b.leaf_count).sum();
        eprintln!(
            "sealed {leaves} entr{} into {} batch{}",
            if leaves == 1 { "y" } else { "ies" },
            sealed.len(),
            if sealed.len() == 1 { "" } else { "es" }
        );
    }
    Ok(())
}

/// With --wait: anchor rounds until every batch is final, showing what it waits for.
fn anchor_until_final(
    a: &Args,
    chain: &Network,
    log: &mut Log,
    signer: &PrivateKeySigner,
    registry: Address,
) -> Result<AnchorRound> {
    let poll = Duration::from_secs_f64(a.poll);
    let mut shown = u64::MAX;
    Ok(chain.anchor_until_final(
        log,
        signer,
        registry,
        poll,
        Duration::from_secs(a.wait_timeout),
        |r| {
            if r.waiting > 0 && r.waiting != shown {
                shown = r.waiting;
                eprintln!(
                    "waiting for {} batch{} to be finalized…",
                    r.waiting,
                    if r.waiting == 1 { "" } else { "es" }
                );
            }
        },
    )?)
}

/// What a run did on chain (stderr), the log's counts, and with --json a summary (stdout).
fn report(
    chain: &Network,
    registry: Address,
    round: &AnchorRound,
    status: &LogStatus,
    json: bool,
) -> Result<()> {
    eprintln!(
        "chain {}: {} sent, {} adopted from chain, {} mined, {} finalized, {} dropped by reorg and re-sent, {} waiting{}",
        chain.chain_id(),
        round.submitted,
        round.adopted,
        round.mined,
        round.finalized,
        round.reorged,
        round.waiting,
        if chain.retries() > 0 {
            format!(" ({} RPC calls retried)", chain.retries())
        } else {
            String::new()
        }
    );
    print_status(status);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "chain_id": chain.chain_id(),
                "registry": format!("{registry:#x}"),
                "round": round,
                "rpc_retries": chain.retries(),
                "status": status,
            }))?
        );
    }
    Ok(())
}
