use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use provenant_core::anchor::{parse_address, Address};
use provenant_core::blacklist::capture::threshold::{self, CuratorShare, DecryptionShare};
use provenant_core::chronology::Log;
use rand_core::OsRng;

use crate::commands::curator_evidence::{recover_epoch_key, Evidence, EvidenceArgs};
use crate::commands::device::read_group;
use crate::network::{KeyArgs, NetworkArgs, RegistryArgs};
use crate::Exit;

/// Curators: the threshold key that camera epoch keys are escrowed to, decryption
/// shares with Chaum–Pedersen proofs, and curator sets in the registry.
///
/// Key set-up is a distributed key generation (`curator dkg round1|round2|finish`, ZF
/// FROST's): each curator keeps only its own share and nobody ever holds the group
/// secret. `deal` (one party makes every share and sees the group secret) is for tests
/// and demos only and needs --insecure-trusted-dealer.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    provenant curator dkg round1 --id 1 --of 3 --threshold 2 --out-dir dkg   # each curator J\n  \
    provenant curator dkg round2 --id 1 --state dkg/dkg-state-1.json --round1 all-round1 --out-dir dkg\n  \
    provenant curator dkg finish --id 1 --state dkg/dkg-state2-1.json --round1 all-round1 \\\n      \
    --round2 to-me --out-dir curators\n  \
    provenant curator register --name \"Press Freedom Board\" --group curators/group.json \\\n      \
    --curator 0xAAA… --curator 0xBBB… --curator 0xCCC… --timelock 86400 --bond 1000000000000000\n  \
    provenant curator share --entry 1 --share curators/curator-1.json --evidence photo.jpg \\\n      \
    --maker-roots acme-root.pem --chain amoy --registry 0x… -o share-1.json\n  \
    provenant curator combine --group curators/group.json --evidence photo.jpg share-1.json share-2.json")]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Generate the group key among the curators, without a dealer (run by each curator).
    #[command(subcommand)]
    Dkg(crate::commands::curator_dkg::Round),
    /// TESTS AND DEMOS ONLY: deal an m-of-n group key as a trusted dealer (who sees the
    /// group secret and could open every escrow alone). Writes group.json and curator-J.json.
    Deal {
        #[arg(long, value_name = "M")]
        threshold: u8,
        #[arg(long, value_name = "N")]
        curators: u8,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Required: say that one party holding every share is acceptable here.
        #[arg(long)]
        insecure_trusted_dealer: bool,
    },
    /// Make this curator's decryption share (with its proof) for a device entry, after
    /// checking the entry's evidence photo (see `blacklist release`, which also publishes it).
    Share {
        /// The device entry in the registry.
        #[arg(long, value_name = "ID")]
        entry: u64,
        /// This curator's share file (curator-J.json).
        #[arg(long, value_name = "FILE")]
        share: PathBuf,
        #[command(flatten)]
        evidence: EvidenceArgs,
        /// Where to write the decryption share (default: stdout).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        chain: NetworkArgs,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Check decryption shares, combine them, and recover the evidence camera's epoch key.
    Combine {
        #[arg(long, value_name = "FILE")]
        group: PathBuf,
        #[arg(long, value_name = "FILE")]
        evidence: PathBuf,
        /// Decryption share files.
        #[arg(required = true)]
        shares: Vec<PathBuf>,
    },
    /// Create a curator set in the registry (immutable once created).
    Register {
        /// Name shown to platforms choosing which curator sets to honour.
        #[arg(long)]
        name: String,
        /// The group key (group.json); its threshold is the approval threshold.
        #[arg(long, value_name = "FILE")]
        group: PathBuf,
        /// Curator accounts in share order (curator-1 first); repeat.
        #[arg(long = "curator", value_name = "ADDRESS", required = true)]
        curators: Vec<String>,
        /// Appeal window after approval, in seconds, before decryption shares may be released.
        #[arg(long, value_name = "SECS", default_value_t = 259_200)]
        timelock: u32,
        /// Bond a reporter or appellant must post, in wei.
        #[arg(long, value_name = "WEI", default_value = "0")]
        bond: String,
        #[command(flatten)]
        chain: NetworkArgs,
        #[command(flatten)]
        key: KeyArgs,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Show a curator set.
    Show {
        id: u32,
        #[command(flatten)]
        chain: NetworkArgs,
        #[command(flatten)]
        registry: RegistryArgs,
    },
}

fn write_json(path: &Path, value: &impl serde::Serialize, secret: bool) -> Result<()> {
    crate::output::write_new_file(
        path,
        serde_json::to_string_pretty(value)?.as_bytes(),
        secret,
    )
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {}", crate::shown(path)))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a {what}", crate::shown(path)))
}

pub fn run(a: Args) -> Result<Exit> {
    match a.command {
        Sub::Dkg(round) => crate::commands::curator_dkg::run(round)?,
        Sub::Deal {
            threshold: m,
            curators: n,
            out,
            insecure_trusted_dealer,
        } => {
            if !insecure_trusted_dealer {
                anyhow::bail!(
                    "`curator deal` makes one party hold the curators' group secret (it could open every escrow alone): use `curator dkg`, or pass --insecure-trusted-dealer for a test or demo"
                );
            }
            deal(m, n, out)?
        }
        Sub::Share {
            entry,
            share,
            evidence,
            output,
            chain,
            registry,
        } => make_share(entry, share, evidence, output, chain, registry)?,
        Sub::Combine {
            group,
            evidence,
            shares,
        } => combine(group, evidence, shares)?,
        Sub::Register {
            name,
            group,
            curators,
            timelock,
            bond,
            chain,
            key,
            registry,
        } => register(name, group, curators, timelock, bond, chain, key, registry)?,
        Sub::Show {
            id,
            chain,
            registry,
        } => show(id, chain, registry)?,
    }
    Ok(Exit::Pass)
}

fn deal(m: u8, n: u8, out: PathBuf) -> Result<()> {
    let (group, shares) = threshold::deal(m, n, &mut OsRng)?;
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create {}", crate::shown(&out)))?;
    write_json(&out.join("group.json"), &group, false)?;
    for s in &shares {
        write_json(&out.join(format!("curator-{}.json", s.index)), s, true)?;
    }
    eprintln!(
        "INSECURE trusted dealer (tests and demos only): dealt a {m}-of-{n} group key into {}; whoever ran this could open every escrow",
        crate::shown(&out)
    );
    println!("{}", hex::encode(group.public));
    Ok(())
}

fn make_share(
    entry: u64,
    share: PathBuf,
    evidence: EvidenceArgs,
    output: Option<PathBuf>,
    chain: NetworkArgs,
    registry: RegistryArgs,
) -> Result<()> {
    let share: CuratorShare = read_json(&share, "curator share file")?;
    let chain = chain.connect()?;
    let registry = registry.resolve(&chain, &Log::open_default()?)?;
    let e = chain.entry(registry, entry)?;
    if e.kind != provenant_core::anchor::EntryKind::Device {
        anyhow::bail!("entry {entry} is a certificate entry: it needs no decryption shares");
    }
    let evidence = evidence.checked(&chain, registry, &e)?;
    let ds = threshold::decryption_share(&share, &evidence.escrow_point()?, &mut OsRng)?;
    match output {
        Some(path) => write_json(&path, &ds, false)?,
        None => println!("{}", serde_json::to_string_pretty(&ds)?),
    }
    Ok(())
}

fn combine(group: PathBuf, evidence: PathBuf, shares: Vec<PathBuf>) -> Result<()> {
    let group = read_group(&group)?;
    let evidence = Evidence::read(&evidence, &provenant_core::TrustAnchors::none())?;
    let shares = shares
        .iter()
        .map(|p| read_json(p, "decryption share file"))
        .collect::<Result<Vec<DecryptionShare>>>()?;
    let key = recover_epoch_key(&group, &evidence, &shares)?;
    eprintln!(
        "recovered the epoch key of day {}; it reproduces the evidence photo's tag",
        evidence.capture.epoch
    );
    println!(
        "{}",
        serde_json::json!({ "epoch": evidence.capture.epoch, "epoch_key": hex::encode(key) })
    );
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn register(
    name: String,
    group: PathBuf,
    curators: Vec<String>,
    timelock: u32,
    bond: String,
    chain: NetworkArgs,
    key: KeyArgs,
    registry: RegistryArgs,
) -> Result<()> {
    let group = read_group(&group)?;
    let accounts = curators
        .iter()
        .map(|c| parse_address(c))
        .collect::<Result<Vec<Address>, _>>()?;
    if accounts.len() != usize::from(group.curators) {
        anyhow::bail!(
            "the group key has {} curators but {} --curator accounts were given",
            group.curators,
            accounts.len()
        );
    }
    let bond = bond
        .parse::<provenant_core::anchor::U256>()
        .with_context(|| format!("--bond {bond:?} is not a whole number of wei"))?;
    let signer = key.signer()?;
    let chain = chain.connect()?;
    let registry = registry.resolve(&chain, &Log::open_default()?)?;
    let id = chain.create_curator_set(
        &signer,
        registry,
        &name,
        &accounts,
        group.threshold,
        timelock,
        bond,
        group.public,
    )?;
    eprintln!(
        "curator set {id} \"{name}\" created: {}-of-{}, timelock {timelock} s",
        group.threshold, group.curators
    );
    println!("{id}");
    Ok(())
}

fn show(id: u32, chain: NetworkArgs, registry: RegistryArgs) -> Result<()> {
    let chain = chain.connect()?;
    let registry = registry.resolve(&chain, &Log::open_default()?)?;
    let set = chain.curator_set(registry, id)?;
    println!("{}", serde_json::to_string_pretty(&set)?);
    Ok(())
}
