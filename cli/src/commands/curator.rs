use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use provenant_core::anchor::{parse_address, Address};
use provenant_core::blacklist::capture::assertion::{hex32, CaptureAssertion};
use provenant_core::blacklist::capture::escrow::{self, Escrow};
use provenant_core::blacklist::capture::tag;
use provenant_core::blacklist::capture::threshold::{
    self, CuratorShare, DecryptionShare, GroupKey,
};
use provenant_core::chronology::Log;
use rand_core::OsRng;

use crate::commands::device::read_group;
use crate::network::{KeyArgs, NetworkArgs, RegistryArgs};
use crate::Exit;

/// Curators: the threshold key that camera epoch keys are escrowed to, decryption
/// shares with Chaum–Pedersen proofs, and curator sets in the registry.
///
/// Key set-up is a trusted dealer with Feldman-verifiable shares: the dealer sees the
/// group secret once and must erase it (run `deal` on an offline machine and hand each
/// curator only its own share file). A distributed key generation would remove that
/// trust; it is not built.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    provenant curator deal --threshold 2 --curators 3 --out curators\n  \
    provenant curator register --name \"Press Freedom Board\" --group curators/group.json \\\n      \
    --curator 0xAAA… --curator 0xBBB… --curator 0xCCC… --timelock 86400 --bond 1000000000000000\n  \
    provenant curator share --share curators/curator-1.json --evidence photo.jpg -o share-1.json\n  \
    provenant curator combine --group curators/group.json --evidence photo.jpg share-1.json share-2.json")]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Deal an m-of-n group key: writes group.json (public) and curator-J.json (secret, one per curator).
    Deal {
        #[arg(long, value_name = "M")]
        threshold: u8,
        #[arg(long, value_name = "N")]
        curators: u8,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Make this curator's decryption share (with its proof) for an evidence photo's escrow.
    Share {
        /// This curator's share file (curator-J.json).
        #[arg(long, value_name = "FILE")]
        share: PathBuf,
        /// The evidence photo.
        #[arg(long, value_name = "FILE")]
        evidence: PathBuf,
        /// Where to write the decryption share (default: stdout).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
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

/// An evidence photo: its SHA-256 and its capture assertion (the photo must be valid).
pub struct Evidence {
    pub sha256: [u8; 32],
    pub capture: CaptureAssertion,
}

impl Evidence {
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = crate::output::read_input(path)?;
        let report = provenant_core::verify_bytes(&bytes, &Default::default())
            .with_context(|| crate::shown(path))?;
        if !matches!(
            report.verdict,
            provenant_core::Verdict::Valid | provenant_core::Verdict::Trusted
        ) {
            anyhow::bail!(
                "{}: the evidence photo does not verify ({}); its capture tag proves nothing",
                crate::shown(path),
                report.verdict.as_str()
            );
        }
        let capture = provenant_core::credentials::verify::active_capture(&bytes)?.with_context(|| {
            format!(
                "{}: no capture tag in its newest step (was it taken by a provenant device and not edited since?)",
                crate::shown(path)
            )
        })?;
        let sha256 = hex32(&report.sha256).context("report without a SHA-256")?;
        Ok(Self { sha256, capture })
    }

    pub fn escrow(&self) -> Result<Escrow> {
        let field = |name: &str, v: &str| {
            hex32(v).with_context(|| format!("evidence capture tag: bad {name}"))
        };
        Ok(Escrow {
            point: field("escrow point", &self.capture.escrow.point)?,
            ciphertext: field("escrow ciphertext", &self.capture.escrow.ciphertext)?,
            mac: field("escrow mac", &self.capture.escrow.mac)?,
        })
    }

    pub fn r(&self) -> [u8; 32] {
        hex32(&self.capture.r).unwrap_or_default()
    }

    pub fn tag(&self) -> [u8; 32] {
        hex32(&self.capture.tag).unwrap_or_default()
    }
}

/// Checks the shares, combines them, opens the evidence's escrow and checks that the
/// key reproduces the evidence's tag. Returns the epoch key.
pub fn recover_epoch_key(
    group: &GroupKey,
    evidence: &Evidence,
    shares: &[DecryptionShare],
) -> Result<[u8; 32]> {
    if hex::encode(group.public) != evidence.capture.group_key.to_ascii_lowercase() {
        anyhow::bail!("the evidence photo's epoch key is escrowed to another curator group");
    }
    let escrow = evidence.escrow()?;
    let shared = threshold::combine(group, &escrow.point, shares)?;
    let key = escrow::open(&escrow, &shared, evidence.capture.epoch)?;
    if tag::tag(&key, &evidence.r()) != evidence.tag() {
        anyhow::bail!("the recovered key does not reproduce the evidence photo's tag");
    }
    Ok(key)
}

pub fn run(a: Args) -> Result<Exit> {
    match a.command {
        Sub::Deal {
            threshold: m,
            curators: n,
            out,
        } => deal(m, n, out)?,
        Sub::Share {
            share,
            evidence,
            output,
        } => make_share(share, evidence, output)?,
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
        "dealt a {m}-of-{n} group key into {}: group.json is public; give curator-J.json to curator J only, then erase this directory's copies",
        crate::shown(&out)
    );
    println!("{}", hex::encode(group.public));
    Ok(())
}

fn make_share(share: PathBuf, evidence: PathBuf, output: Option<PathBuf>) -> Result<()> {
    let share: CuratorShare = read_json(&share, "curator share file")?;
    let evidence = Evidence::read(&evidence)?;
    let ds = threshold::decryption_share(&share, &evidence.escrow()?.point, &mut OsRng)?;
    match output {
        Some(path) => write_json(&path, &ds, false)?,
        None => println!("{}", serde_json::to_string_pretty(&ds)?),
    }
    Ok(())
}

fn combine(group: PathBuf, evidence: PathBuf, shares: Vec<PathBuf>) -> Result<()> {
    let group = read_group(&group)?;
    let evidence = Evidence::read(&evidence)?;
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
