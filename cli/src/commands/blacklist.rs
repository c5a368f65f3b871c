use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use provenant_core::anchor::{Address, EntryKind, EntryStatus, Network};
use provenant_core::blacklist::capture::assertion::hex32;
use provenant_core::blacklist::capture::tag::epoch_of;
use provenant_core::blacklist::capture::threshold::{self, CuratorShare};
use provenant_core::blacklist::{
    Blacklist, CertificateEntry, DeviceEntry, Snapshot, SnapshotBody, SnapshotSource,
    SNAPSHOT_FORMAT,
};
use provenant_core::chronology::Log;
use provenant_core::TrustAnchors;
use rand_core::OsRng;

use crate::commands::curator_evidence::{device_key, Evidence, EvidenceArgs};
use crate::network::{parse_time, KeyArgs, NetworkArgs, RegistryArgs};
use crate::Exit;

/// The camera and certificate blacklist in the registry: propose, approve, appeal,
/// release decryption shares, activate, withdraw; list entries and export a signed,
/// expiring snapshot for verifiers without chain access (the browser).
///
/// Life of an entry: a reporter proposes it with a bond → m of n curators approve →
/// a timelock runs during which anyone may appeal (stopping it until curators resolve
/// the appeal) → after the timelock curators release decryption shares → anyone
/// combines them and activates the entry with the camera's epoch key → verifiers flag
/// that camera's photos from the start epoch on. Withdrawal takes a curator quorum.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    provenant blacklist propose --set 1 --evidence fake.jpg --reason \"staged scene, see report 42\"\n  \
    provenant blacklist propose --set 1 --certificate leaked-fleet.pem --reason \"maker key leaked\"\n  \
    provenant blacklist approve 1 --evidence fake.jpg --maker-roots acme-root.pem   # as each curator\n  \
    provenant blacklist release 1 --share curator-1.json --evidence fake.jpg --maker-roots acme-root.pem\n  \
    provenant blacklist activate 1 --group group.json --evidence fake.jpg\n  \
    provenant blacklist export --set 1 --signing-key snap.key --valid-for 168 -o blacklist.json\n  \
    provenant verify photo.jpg --blacklist blacklist.json --blacklist-key <hex>")]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

/// Where and as whom a transaction runs.
#[derive(Debug, clap::Args)]
pub struct Tx {
    #[command(flatten)]
    chain: NetworkArgs,
    #[command(flatten)]
    key: KeyArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Where a read runs.
#[derive(Debug, clap::Args)]
pub struct Read {
    #[command(flatten)]
    chain: NetworkArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Propose an entry (posts the curator set's bond): a camera, by an evidence photo,
    /// or a certificate, by its PEM or fingerprint.
    Propose {
        /// Curator set to decide it.
        #[arg(long, value_name = "ID")]
        set: u32,
        /// Evidence photo taken by the camera to blacklist.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["certificate", "fingerprint"])]
        evidence: Option<PathBuf>,
        /// Flag the camera's photos from this time on (default: the evidence photo's day).
        #[arg(long, value_name = "TIME", requires = "evidence")]
        from: Option<String>,
        /// A certificate (PEM; the first one in the file) to blacklist.
        #[arg(long, value_name = "PEM", conflicts_with = "fingerprint")]
        certificate: Option<PathBuf>,
        /// A certificate's SHA-256 fingerprint (hex of the DER's hash).
        #[arg(long, value_name = "HEX")]
        fingerprint: Option<String>,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        tx: Tx,
    },
    /// Approve an entry (as a curator of its set). Device entries: only after checking
    /// the evidence photo (--evidence, --maker-roots) against the entry.
    Approve {
        id: u64,
        #[command(flatten)]
        evidence: EvidenceArgs,
        #[command(flatten)]
        tx: Tx,
    },
    /// Appeal an entry during its timelock (posts the bond); stops it until resolved.
    Appeal {
        id: u64,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        tx: Tx,
    },
    /// Vote on an appeal (as a curator): --uphold rejects the entry, --dismiss restarts its timelock.
    Resolve {
        id: u64,
        #[arg(long, conflicts_with = "dismiss", required_unless_present = "dismiss")]
        uphold: bool,
        #[arg(long)]
        dismiss: bool,
        #[command(flatten)]
        tx: Tx,
    },
    /// Publish this curator's decryption share for a device entry (after the timelock),
    /// after checking its evidence photo like `approve`.
    Release {
        id: u64,
        /// This curator's share file (curator-J.json).
        #[arg(long, value_name = "FILE")]
        share: PathBuf,
        #[command(flatten)]
        evidence: EvidenceArgs,
        #[command(flatten)]
        tx: Tx,
    },
    /// Activate an approved entry after its timelock. Device entries: combines the
    /// published shares (each proof checked), recovers the epoch key from the evidence
    /// photo's escrow and checks it reproduces the evidence's tag.
    Activate {
        id: u64,
        /// The curator group key (device entries).
        #[arg(long, value_name = "FILE")]
        group: Option<PathBuf>,
        /// The evidence photo (device entries).
        #[arg(long, value_name = "FILE")]
        evidence: Option<PathBuf>,
        #[command(flatten)]
        tx: Tx,
    },
    /// Vote to withdraw an entry (as a curator), or withdraw your own proposal.
    Withdraw {
        id: u64,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        tx: Tx,
    },
    /// Pay out bonds credited to your account.
    Claim {
        #[command(flatten)]
        tx: Tx,
    },
    /// List entries (all, or of some curator sets).
    List {
        /// Only these curator sets; repeat.
        #[arg(long = "set", value_name = "ID")]
        sets: Vec<u32>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        read: Read,
    },
    /// Export the active entries of curator sets as a signed, expiring snapshot file.
    Export {
        /// Curator sets to include; repeat.
        #[arg(long = "set", value_name = "ID", required = true)]
        sets: Vec<u32>,
        /// Ed25519 key (from `blacklist keygen`) to sign the snapshot with.
        #[arg(long, value_name = "FILE")]
        signing_key: PathBuf,
        /// Hours the snapshot stays valid.
        #[arg(long, value_name = "HOURS", default_value_t = 24)]
        valid_for: u64,
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        #[command(flatten)]
        read: Read,
    },
    /// Check a snapshot's signature (against --key) and expiry, and summarise it.
    Verify {
        file: PathBuf,
        /// Trusted snapshot key (hex Ed25519 public key); repeat.
        #[arg(long = "key", value_name = "HEX", required = true)]
        keys: Vec<String>,
    },
    /// Create an Ed25519 key for signing snapshots; prints its public key.
    Keygen {
        /// Where to write the private key (hex seed, mode 0600).
        output: PathBuf,
    },
}

fn tx_context(tx: &Tx) -> Result<(Network, Address, provenant_core::anchor::PrivateKeySigner)> {
    let signer = tx.key.signer()?;
    let chain = tx.chain.connect()?;
    let registry = tx.registry.resolve(&chain, &Log::open_default()?)?;
    Ok((chain, registry, signer))
}

fn read_context(read: &Read) -> Result<(Network, Address)> {
    let chain = read.chain.connect()?;
    let registry = read.registry.resolve(&chain, &Log::open_default()?)?;
    Ok((chain, registry))
}

/// SHA-256 of the DER of the first certificate in a PEM file.
fn certificate_fingerprint(path: &Path) -> Result<[u8; 32]> {
    let pem = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {}", crate::shown(path)))?;
    let anchors = provenant_core::TrustAnchors::none()
        .with_pem(&crate::shown(path), &pem)
        .with_context(|| format!("{} holds no certificate", crate::shown(path)))?;
    anchors
        .fingerprints()
        .into_iter()
        .next()
        .with_context(|| format!("{} holds no certificate", crate::shown(path)))
}

fn now_secs() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default()
}

/// Trusted snapshot keys from flags.
pub fn parse_keys(texts: &[String]) -> Result<Vec<[u8; 32]>> {
    texts
        .iter()
        .map(|t| {
            provenant_core::blacklist::parse_public_key(t)
                .with_context(|| format!("{t:?} is not a hex Ed25519 public key (64 hex digits)"))
        })
        .collect()
}

pub fn run(a: Args) -> Result<Exit> {
    match a.command {
        Sub::Propose {
            set,
            evidence,
            from,
            certificate,
            fingerprint,
            reason,
            tx,
        } => propose(set, evidence, from, certificate, fingerprint, reason, tx)?,
        Sub::Approve { id, evidence, tx } => approve(id, evidence, tx)?,
        Sub::Appeal { id, reason, tx } => appeal(id, reason, tx)?,
        Sub::Resolve { id, uphold, tx, .. } => resolve(id, uphold, tx)?,
        Sub::Release {
            id,
            share,
            evidence,
            tx,
        } => release(id, share, evidence, tx)?,
        Sub::Activate {
            id,
            group,
            evidence,
            tx,
        } => activate(id, group, evidence, tx)?,
        Sub::Withdraw { id, reason, tx } => withdraw(id, reason, tx)?,
        Sub::Claim { tx } => claim(tx)?,
        Sub::List { sets, json, read } => list(sets, json, read)?,
        Sub::Export {
            sets,
            signing_key,
            valid_for,
            output,
            read,
        } => export(sets, signing_key, valid_for, output, read)?,
        Sub::Verify { file, keys } => verify(file, keys)?,
        Sub::Keygen { output } => keygen(output)?,
    }
    Ok(Exit::Pass)
}

/// The certificate fingerprint named by --certificate or --fingerprint, if any.
fn fingerprint_arg(
    certificate: &Option<PathBuf>,
    fingerprint: &Option<String>,
) -> Result<Option<[u8; 32]>> {
    Ok(match (certificate, fingerprint) {
        (Some(pem), _) => Some(certificate_fingerprint(pem)?),
        (None, Some(hex)) => Some(
            hex32(hex.trim_start_matches("0x")).context("--fingerprint must be 64 hex digits")?,
        ),
        _ => None,
    })
}

fn propose(
    set: u32,
    evidence: Option<PathBuf>,
    from: Option<String>,
    certificate: Option<PathBuf>,
    fingerprint: Option<String>,
    reason: String,
    tx: Tx,
) -> Result<()> {
    if reason.trim().is_empty() {
        anyhow::bail!("give a --reason: it is published with the entry");
    }
    let fingerprint = fingerprint_arg(&certificate, &fingerprint)?;
    let (chain, registry, signer) = tx_context(&tx)?;
    let id = match (evidence, fingerprint) {
        (Some(path), _) => {
            let (evidence, start) = device_evidence(&path, from)?;
            chain.propose_device(&signer, registry, set, &evidence, start, &reason)?
        }
        (None, Some(fp)) => chain.propose_certificate(&signer, registry, set, fp, &reason)?,
        (None, None) => anyhow::bail!(
            "say what to blacklist: --evidence PHOTO, --certificate PEM or --fingerprint HEX"
        ),
    };
    eprintln!("entry {id} proposed to curator set {set}");
    println!("{id}");
    Ok(())
}

/// A device entry's evidence from its photo, and the epoch to flag from.
fn device_evidence(
    path: &Path,
    from: Option<String>,
) -> Result<(provenant_core::anchor::DeviceEvidence, u32)> {
    let ev = Evidence::read(path, &TrustAnchors::none())?;
    // An escrow that is not bound to the photo would be refused by every curator.
    ev.bound()?;
    let start = match from {
        Some(t) => epoch_of(parse_time(&t)?),
        None => ev.capture.epoch,
    };
    if start < ev.capture.epoch {
        anyhow::bail!(
            "--from is before the evidence photo's day ({}): earlier photos cannot be flagged (the key chain is one-way)",
            ev.capture.epoch
        );
    }
    let evidence = provenant_core::anchor::DeviceEvidence {
        evidence_hash: ev.sha256,
        epoch: ev.capture.epoch,
        r: ev.r(),
        tag: ev.tag(),
        escrow_point: ev.escrow_point()?,
    };
    Ok((evidence, start))
}

fn approve(id: u64, evidence: EvidenceArgs, tx: Tx) -> Result<()> {
    let (chain, registry, signer) = tx_context(&tx)?;
    let e = chain.entry(registry, id)?;
    if e.kind == EntryKind::Device {
        evidence.checked(&chain, registry, &e)?;
    }
    chain.approve_entry(&signer, registry, id)?;
    let e = chain.entry(registry, id)?;
    eprintln!(
        "entry {id}: {} approvals, status {:?}{}",
        e.approvals,
        e.status,
        if e.status == EntryStatus::Approved {
            format!(
                " (appeal window until {})",
                provenant_core::anchor::check::rfc3339(e.active_after)
            )
        } else {
            String::new()
        }
    );
    Ok(())
}

fn appeal(id: u64, reason: String, tx: Tx) -> Result<()> {
    let (chain, registry, signer) = tx_context(&tx)?;
    chain.appeal_entry(&signer, registry, id, &reason)?;
    eprintln!("entry {id} appealed: stopped until its curators resolve the appeal");
    Ok(())
}

fn resolve(id: u64, uphold: bool, tx: Tx) -> Result<()> {
    let (chain, registry, signer) = tx_context(&tx)?;
    chain.resolve_appeal(&signer, registry, id, uphold)?;
    let e = chain.entry(registry, id)?;
    eprintln!("entry {id}: vote recorded, status {:?}", e.status);
    Ok(())
}

fn release(id: u64, share: PathBuf, evidence: EvidenceArgs, tx: Tx) -> Result<()> {
    let share: CuratorShare = serde_json::from_str(
        &std::fs::read_to_string(&share)
            .with_context(|| format!("cannot read {}", crate::shown(&share)))?,
    )
    .with_context(|| format!("{} is not a curator share file", crate::shown(&share)))?;
    let (chain, registry, signer) = tx_context(&tx)?;
    let e = chain.entry(registry, id)?;
    if e.kind != EntryKind::Device {
        anyhow::bail!("entry {id} is a certificate entry: it needs no decryption shares");
    }
    let point = evidence.checked(&chain, registry, &e)?.escrow_point()?;
    let ds = threshold::decryption_share(&share, &point, &mut OsRng)?;
    chain.publish_share(&signer, registry, id, &ds)?;
    eprintln!(
        "entry {id}: decryption share of curator {} published",
        ds.index
    );
    Ok(())
}

fn activate(id: u64, group: Option<PathBuf>, evidence: Option<PathBuf>, tx: Tx) -> Result<()> {
    let (chain, registry, signer) = tx_context(&tx)?;
    let e = chain.entry(registry, id)?;
    let key = match e.kind {
        EntryKind::Certificate => [0u8; 32],
        EntryKind::Device => device_key(&chain, registry, id, &e, group, evidence)?,
    };
    chain.activate_entry(&signer, registry, id, key)?;
    eprintln!("entry {id} is active");
    Ok(())
}

fn withdraw(id: u64, reason: String, tx: Tx) -> Result<()> {
    let (chain, registry, signer) = tx_context(&tx)?;
    chain.withdraw_entry(&signer, registry, id, &reason)?;
    let e = chain.entry(registry, id)?;
    eprintln!("entry {id}: withdrawal recorded, status {:?}", e.status);
    Ok(())
}

fn claim(tx: Tx) -> Result<()> {
    let (chain, registry, signer) = tx_context(&tx)?;
    chain.claim_bonds(&signer, registry)?;
    eprintln!("bonds paid out");
    Ok(())
}

fn list(sets: Vec<u32>, json: bool, read: Read) -> Result<()> {
    let (chain, registry) = read_context(&read)?;
    let (entries, block) = chain.entries(registry, &sets)?;
    if json {
        for e in &entries {
            println!("{}", serde_json::to_string(e)?);
        }
    } else {
        println!("{} entries (block {block})", entries.len());
        for e in &entries {
            println!(
                "#{:<4} set {:<3} {:<11} {:<9} {} — {}",
                e.id,
                e.curator_set,
                format!("{:?}", e.kind).to_lowercase(),
                format!("{:?}", e.status).to_lowercase(),
                match e.kind {
                    EntryKind::Device => format!("from day {}", e.start_epoch),
                    EntryKind::Certificate => format!("cert {}", &e.subject[..16]),
                },
                crate::render::clean(&e.reason)
            );
        }
    }
    Ok(())
}

fn export(
    sets: Vec<u32>,
    signing_key: PathBuf,
    valid_for: u64,
    output: PathBuf,
    read: Read,
) -> Result<()> {
    let key = read_signing_key(&signing_key)?;
    let (chain, registry) = read_context(&read)?;
    let (devices, certificates, block) = chain.active_blacklist(registry, &sets)?;
    let (devices, certificates) = drop_refused(devices, certificates);
    let now = now_secs();
    let hours = valid_for.clamp(1, 24 * 366);
    let body = SnapshotBody {
        format: SNAPSHOT_FORMAT.into(),
        source: SnapshotSource {
            chain_id: chain.chain_id(),
            registry: format!("{registry:#x}"),
            curator_sets: sets,
            block_number: block,
        },
        issued_at: provenant_core::anchor::check::rfc3339(now),
        expires_at: provenant_core::anchor::check::rfc3339(now + hours * 3600),
        devices,
        certificates,
    };
    let (nd, nc) = (body.devices.len(), body.certificates.len());
    let snapshot = Snapshot::sign(body, &key);
    let mut out = crate::output::AtomicOutput::create(&output)?;
    std::io::Write::write_all(
        &mut out.file,
        serde_json::to_string_pretty(&snapshot)?.as_bytes(),
    )?;
    out.commit()?;
    eprintln!(
        "snapshot of {nd} device and {nc} certificate entries (block {block}) → {}, valid {hours} h, signed by {}",
        crate::shown(&output),
        snapshot.signature.public_key
    );
    Ok(())
}

/// The entries a blacklist accepts, with a warning for each it refuses.
fn drop_refused(
    devices: Vec<DeviceEntry>,
    certificates: Vec<CertificateEntry>,
) -> (Vec<DeviceEntry>, Vec<CertificateEntry>) {
    let (_, refused) = Blacklist::new("export", devices.clone(), certificates.clone());
    let refused_ids: Vec<u64> = refused
        .iter()
        .filter_map(|e| match e {
            provenant_core::blacklist::BlacklistError::BadEntry { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    for e in &refused {
        eprintln!("warning: left out: {e}");
    }
    let devices: Vec<_> = devices
        .into_iter()
        .filter(|d| !refused_ids.contains(&d.id))
        .collect();
    let certificates: Vec<_> = certificates
        .into_iter()
        .filter(|c| !refused_ids.contains(&c.id))
        .collect();
    (devices, certificates)
}

fn verify(file: PathBuf, keys: Vec<String>) -> Result<()> {
    let keys = parse_keys(&keys)?;
    let bytes = crate::output::read_input(&file)?;
    let snap = Snapshot::open(&bytes, &keys, now_secs()).with_context(|| crate::shown(&file))?;
    let list = Blacklist::from_snapshot(&snap, &crate::shown(&file))?;
    println!(
        "{}",
        serde_json::json!({
            "valid": true,
            "signed_by": snap.signature.public_key,
            "issued_at": snap.body.issued_at,
            "expires_at": snap.body.expires_at,
            "source": snap.body.source,
            "devices": list.device_entries(),
            "certificates": list.certificate_entries(),
        })
    );
    Ok(())
}

fn keygen(output: PathBuf) -> Result<()> {
    let key = generate_signing_key(&output)?;
    eprintln!(
        "snapshot signing key written to {} (0600)",
        crate::shown(&output)
    );
    println!("{}", hex::encode(key.verifying_key().as_bytes()));
    Ok(())
}

fn read_signing_key(path: &Path) -> Result<ed25519_dalek::SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {}", crate::shown(path)))?;
    let seed = hex32(text.trim()).with_context(|| {
        format!(
            "{} is not a snapshot signing key (64 hex digits, from `provenant blacklist keygen`)",
            crate::shown(path)
        )
    })?;
    Ok(ed25519_dalek::SigningKey::from_bytes(&seed))
}

fn generate_signing_key(path: &Path) -> Result<ed25519_dalek::SigningKey> {
    let key = ed25519_dalek::SigningKey::generate(&mut OsRng);
    let text = format!("{}\n", hex::encode(key.to_bytes()));
    crate::output::write_new_file(path, text.as_bytes(), true)?;
    Ok(key)
}
