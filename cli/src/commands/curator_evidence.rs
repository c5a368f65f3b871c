//! What a curator checks before approving an entry or releasing a decryption share: the
//! evidence photo itself, not just an entry id. Shared by `blacklist approve|release` and
//! `curator share`.
//!
//! The evidence must (1) be the photo the entry was proposed with (SHA-256), (2) carry
//! the capture tag and escrow the entry holds on chain (epoch, r, τ, escrow point R),
//! escrowed to the curator set's group key, (3) verify `trusted` against the makers'
//! roots the curators honour (`--maker-roots`), and (4) carry an escrow bound to the
//! photo (the device's proof over R, the group key, epoch, r, τ and the fleet
//! certificate). Otherwise the command refuses (exit 2) and nothing is sent: a share for
//! an escrow point copied from another photo would open that photo's escrow.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use provenant_core::anchor::{Address, EntryInfo, Network};
use provenant_core::blacklist::capture::assertion::{hex32, CaptureAssertion};
use provenant_core::blacklist::capture::escrow::{self, Escrow, EscrowContext};
use provenant_core::blacklist::capture::tag;
use provenant_core::blacklist::capture::threshold::{self, DecryptionShare, GroupKey};
use provenant_core::{TrustAnchors, Verdict};

use crate::commands::device::read_group;

/// The evidence a curator looks at (required for device entries).
#[derive(Debug, Clone, clap::Args)]
pub struct EvidenceArgs {
    /// The entry's evidence photo: checked against the entry (SHA-256, epoch, r, tag,
    /// escrow point), the makers' roots and its escrow's binding before anything is sent.
    #[arg(long, value_name = "FILE")]
    pub evidence: Option<PathBuf>,
    /// Root certificates (PEM) of the camera makers this curator set honours; repeat.
    /// The evidence must verify `trusted` against them.
    #[arg(long = "maker-roots", value_name = "PEM")]
    pub maker_roots: Vec<PathBuf>,
}

impl EvidenceArgs {
    /// The evidence, checked for a curator acting on device entry `entry`.
    pub fn checked(
        &self,
        chain: &Network,
        registry: Address,
        entry: &EntryInfo,
    ) -> Result<Evidence> {
        let Some(path) = &self.evidence else {
            anyhow::bail!(
                "entry {} is a device entry: give --evidence PHOTO (its evidence photo) and --maker-roots PEM; a curator acts on the evidence, never on an entry id alone",
                entry.id
            );
        };
        let ev = Evidence::for_curator(path, &self.roots()?)?;
        let set = chain.curator_set(registry, entry.curator_set)?;
        ev.matches_entry(entry, &set.group_key)?;
        Ok(ev)
    }

    fn roots(&self) -> Result<TrustAnchors> {
        if self.maker_roots.is_empty() {
            anyhow::bail!(
                "give --maker-roots PEM: the makers' roots this curator set honours (the evidence must verify trusted against them)"
            );
        }
        let mut anchors = TrustAnchors::none();
        for p in &self.maker_roots {
            let pem = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", crate::shown(p)))?;
            anchors = anchors
                .with_pem(&crate::shown(p), &pem)
                .with_context(|| format!("{} holds no certificate", crate::shown(p)))?;
        }
        Ok(anchors)
    }
}

/// An evidence photo: its SHA-256, its capture assertion and its signer certificate.
pub struct Evidence {
    pub sha256: [u8; 32],
    pub capture: CaptureAssertion,
    /// SHA-256 of the DER of the certificate that signed the newest step.
    pub signer_cert_sha256: [u8; 32],
}

impl Evidence {
    /// Reads a photo that must verify at least `valid` (under `trust`) and carry a capture tag.
    pub fn read(path: &Path, trust: &TrustAnchors) -> Result<Self> {
        let bytes = crate::output::read_input(path)?;
        let options = provenant_core::credentials::verify::VerifyOptions {
            trust: trust.clone(),
            ..Default::default()
        };
        let report =
            provenant_core::verify_bytes(&bytes, &options).with_context(|| crate::shown(path))?;
        let trusted_needed = !trust.is_empty();
        let ok = match report.verdict {
            Verdict::Trusted => true,
            Verdict::Valid => !trusted_needed,
            _ => false,
        };
        if !ok {
            anyhow::bail!(
                "{}: the evidence photo is {}, not {} (under the given roots); its capture tag proves nothing",
                crate::shown(path),
                report.verdict.as_str(),
                if trusted_needed { "trusted against the makers' roots" } else { "valid" }
            );
        }
        let capture = provenant_core::credentials::verify::active_capture(&bytes)?.with_context(|| {
            format!(
                "{}: no capture tag in its newest step (was it taken by a provenant device and not edited since?)",
                crate::shown(path)
            )
        })?;
        let sha256 = hex32(&report.sha256).context("report without a SHA-256")?;
        let signer_cert_sha256 = report
            .chain
            .first()
            .and_then(|s| s.certificates.first())
            .and_then(|c| hex32(c))
            .with_context(|| format!("{}: no signing certificate", crate::shown(path)))?;
        Ok(Self {
            sha256,
            capture,
            signer_cert_sha256,
        })
    }

    /// Reads evidence a curator may act on: trusted against `roots`, escrow bound to it.
    pub fn for_curator(path: &Path, roots: &TrustAnchors) -> Result<Self> {
        let ev = Self::read(path, roots)?;
        let (escrow, context) = ev.bound()?;
        escrow::verify_binding(&escrow, &ev.group_key()?, &context)
            .with_context(|| crate::shown(path))?;
        Ok(ev)
    }

    /// The escrow and the context it must be bound to (version 2 assertions only).
    pub fn bound(&self) -> Result<(Escrow, EscrowContext)> {
        self.capture
            .bound_escrow(self.signer_cert_sha256)
            .map_err(anyhow::Error::msg)
    }

    fn group_key(&self) -> Result<[u8; 32]> {
        hex32(&self.capture.group_key).context("evidence capture tag: bad group key")
    }

    pub fn escrow_point(&self) -> Result<[u8; 32]> {
        hex32(&self.capture.escrow.point).context("evidence capture tag: bad escrow point")
    }

    pub fn r(&self) -> [u8; 32] {
        hex32(&self.capture.r).unwrap_or_default()
    }

    pub fn tag(&self) -> [u8; 32] {
        hex32(&self.capture.tag).unwrap_or_default()
    }

    /// Refuses unless this is entry `e`'s evidence photo with the same epoch, r, tag and
    /// escrow point, escrowed to `set_group_key` (hex).
    pub fn matches_entry(&self, e: &EntryInfo, set_group_key: &str) -> Result<()> {
        let id = e.id;
        if hex::encode(self.sha256) != e.subject.to_ascii_lowercase() {
            anyhow::bail!(
                "this is not entry {id}'s evidence photo (its SHA-256 differs from the entry's)"
            );
        }
        let c = &self.capture;
        let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        for (what, ours, theirs) in [
            (
                "escrow point",
                c.escrow.point.as_str(),
                e.escrow_point.as_str(),
            ),
            ("r", c.r.as_str(), e.evidence_r.as_str()),
            ("tag", c.tag.as_str(), e.evidence_tag.as_str()),
        ] {
            if !same(ours, theirs) {
                anyhow::bail!(
                    "entry {id}'s {what} on chain is not the evidence photo's: the entry would decrypt another photo's escrow; refused"
                );
            }
        }
        if c.epoch != e.evidence_epoch {
            anyhow::bail!("entry {id}'s epoch on chain is not the evidence photo's; refused");
        }
        if !same(&c.group_key, set_group_key) {
            anyhow::bail!("the evidence photo's key is escrowed to another curator group than entry {id}'s set");
        }
        Ok(())
    }
}

/// Checks the shares, combines them, opens the evidence's escrow in its context and
/// checks that the key reproduces the evidence's tag. Returns the epoch key.
pub fn recover_epoch_key(
    group: &GroupKey,
    evidence: &Evidence,
    shares: &[DecryptionShare],
) -> Result<[u8; 32]> {
    if hex::encode(group.public) != evidence.capture.group_key.to_ascii_lowercase() {
        anyhow::bail!("the evidence photo's epoch key is escrowed to another curator group");
    }
    let (escrow, context) = evidence.bound()?;
    let shared = threshold::combine(group, &escrow.point, shares)?;
    let key = escrow::open(&escrow, &shared, &context)?;
    if tag::tag(&key, &evidence.r()) != evidence.tag() {
        anyhow::bail!("the recovered key does not reproduce the evidence photo's tag");
    }
    Ok(key)
}

/// A device entry's epoch key, recovered from its published shares and evidence photo.
pub fn device_key(
    chain: &Network,
    registry: Address,
    id: u64,
    e: &EntryInfo,
    group: Option<PathBuf>,
    evidence: Option<PathBuf>,
) -> Result<[u8; 32]> {
    let (Some(group), Some(evidence)) = (group, evidence) else {
        anyhow::bail!("a device entry needs --group FILE and --evidence PHOTO");
    };
    let group = read_group(&group)?;
    let ev = Evidence::read(&evidence, &TrustAnchors::none())?;
    if hex::encode(ev.sha256) != e.subject {
        anyhow::bail!(
            "{} is not entry {id}'s evidence photo (SHA-256 differs)",
            crate::shown(&evidence)
        );
    }
    let set = chain.curator_set(registry, e.curator_set)?;
    if set.group_key != hex::encode(group.public) {
        anyhow::bail!(
            "the group file is not curator set {}'s group key",
            e.curator_set
        );
    }
    let shares = chain.published_shares(registry, id)?;
    recover_epoch_key(&group, &ev, &shares)
}
