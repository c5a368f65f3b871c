//! Camera and signer blacklists, checked by `verify`.
//!
//! Two kinds of entry, both decided by a curator set in the registry contract:
//! - *device* entries carry a camera's epoch key k_e (recovered by a curator quorum
//!   from the escrow in one evidence photo) and a start epoch. A photo is flagged when
//!   its epoch is at or after the start and PRF(k_epoch, r) equals its tag, k_epoch
//!   being k_e ratcheted forward. Earlier photos cannot be flagged (the ratchet is
//!   one-way) and other cameras' tags never match.
//! - *certificate* entries list the SHA-256 fingerprint of a certificate DER: any step
//!   whose signer chain contains it is flagged (a whole fleet when a maker key leaks).
//!
//! A [`Blacklist`] comes from the chain (`anchoring::curation`) or from a signed,
//! expiring snapshot file ([`Snapshot`]) that verifiers without chain access read,
//! the browser among them. This module builds for wasm32.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::blacklist::capture::assertion::hex32;
use crate::blacklist::capture::tag::{self, EntryMatcher, EpochKey};
use crate::credentials::report::{
    BlacklistHit, BlacklistState, CodeKind, CodeOrigin, Report, StatusCode, StepBlacklist,
};

/// `format` of a snapshot file.
pub const SNAPSHOT_FORMAT: &str = "provenant-blacklist-snapshot/1";
/// Failure code for a photo from a blacklisted camera.
pub const DEVICE_BLACKLISTED: &str = "device.blacklisted";
/// Failure code for a step signed under a blacklisted certificate.
pub const SIGNER_BLACKLISTED: &str = "signer.blacklisted";
/// Largest snapshot accepted (100,000 entries take about 40 MB of JSON).
pub const MAX_SNAPSHOT_BYTES: usize = 256 * 1024 * 1024;

/// Why a blacklist snapshot or entry was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlacklistError {
    /// The snapshot is not JSON of the expected layout, or a field is malformed.
    #[error("blacklist snapshot is not valid JSON of the expected layout: {0}")]
    Malformed(String),
    /// The snapshot's `format` is not [`SNAPSHOT_FORMAT`].
    #[error("blacklist snapshot has format {0:?}; this verifier reads {SNAPSHOT_FORMAT}")]
    Format(String),
    /// The snapshot is signed by a key that is not trusted (hex public key).
    #[error("blacklist snapshot is signed by {0}, which is not a trusted blacklist key")]
    UntrustedKey(String),
    /// The snapshot's Ed25519 signature does not verify.
    #[error("blacklist snapshot signature does not verify")]
    BadSignature,
    /// The snapshot's `expires_at` (RFC 3339) has passed.
    #[error("blacklist snapshot expired at {0}")]
    Expired(String),
    #[error("blacklist entry {id}: {why}")]
    /// An entry is malformed, or a device entry's key does not reproduce its evidence's tag.
    BadEntry {
        /// The entry's id.
        id: u64,
        /// What is wrong with it.
        why: String,
    },
    /// The snapshot is larger than [`MAX_SNAPSHOT_BYTES`].
    #[error("blacklist snapshot is larger than {MAX_SNAPSHOT_BYTES} bytes")]
    TooLarge,
    /// A snapshot of the same source read at a later block was seen before: an older one
    /// (perhaps without a newer entry) must not replace it.
    #[error("blacklist snapshot of {origin} was read at block {block}, older than block {seen} of the snapshot this verifier saw before")]
    Older {
        /// The source ([`SnapshotSource::key`]).
        origin: String,
        /// The snapshot's block.
        block: u64,
        /// The newest block seen from that source.
        seen: u64,
    },
}

/// A device entry: the camera's epoch key and where flagging starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceEntry {
    /// Entry id in the registry.
    pub id: u64,
    /// The curator set that decided the entry.
    pub curator_set: u32,
    /// k at `key_epoch` (hex), recovered from the evidence photo's escrow.
    pub epoch_key: String,
    /// The evidence photo's epoch.
    pub key_epoch: u32,
    /// Photos from this epoch on are flagged.
    pub start_epoch: u32,
    /// SHA-256 of the evidence photo, and its r and tag: anyone can check that the key
    /// reproduces the evidence's tag, which ties the entry to its evidence.
    pub evidence_hash: String,
    /// The evidence photo's capture-tag `r` (hex, 32 bytes).
    pub evidence_r: String,
    /// The evidence photo's capture tag (hex, 32 bytes); `epoch_key` must reproduce it from `evidence_r`.
    pub evidence_tag: String,
    /// The reason given when the entry was proposed.
    pub reason: String,
}

/// A certificate entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateEntry {
    /// Entry id in the registry.
    pub id: u64,
    /// The curator set that decided the entry.
    pub curator_set: u32,
    /// SHA-256 of the certificate's DER (hex).
    pub fingerprint: String,
    /// The reason given when the entry was proposed.
    pub reason: String,
}

/// Where a snapshot's entries were read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotSource {
    /// EVM chain id of the registry.
    pub chain_id: u64,
    /// Address of the registry contract the entries were read from.
    pub registry: String,
    /// Curator sets whose active entries are included.
    pub curator_sets: Vec<u32>,
    /// Block the entries were read at.
    pub block_number: u64,
}

impl SnapshotSource {
    /// What a snapshot's freshness is tracked under: its chain, registry and curator sets.
    pub fn key(&self) -> String {
        let mut sets = self.curator_sets.clone();
        sets.sort_unstable();
        format!(
            "{}:{}:{sets:?}",
            self.chain_id,
            self.registry.to_ascii_lowercase()
        )
    }

    /// Refuses a snapshot older than the newest one seen from this source (`seen`, its
    /// block); the block a snapshot's entries were read at only grows.
    pub fn check_not_older(&self, seen: Option<u64>) -> Result<(), BlacklistError> {
        match seen {
            Some(seen) if self.block_number < seen => Err(BlacklistError::Older {
                origin: self.key(),
                block: self.block_number,
                seen,
            }),
            _ => Ok(()),
        }
    }
}

/// The signed part of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotBody {
    /// Must be [`SNAPSHOT_FORMAT`].
    pub format: String,
    /// Where the entries were read.
    pub source: SnapshotSource,
    /// RFC 3339 (UTC).
    pub issued_at: String,
    /// When the snapshot stops being accepted (RFC 3339, UTC).
    pub expires_at: String,
    /// Active device entries.
    pub devices: Vec<DeviceEntry>,
    /// Active certificate entries.
    pub certificates: Vec<CertificateEntry>,
}

impl SnapshotBody {
    /// The bytes the signature covers: the body's compact JSON.
    pub fn signed_bytes(&self) -> Vec<u8> {
        // Plain data: serialising cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// An Ed25519 signature over [`SnapshotBody::signed_bytes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotSignature {
    /// Signature algorithm; only `Ed25519` is accepted.
    pub alg: String,
    /// Hex of the 32-byte Ed25519 public key.
    pub public_key: String,
    /// Hex of the 64-byte signature.
    pub value: String,
}

/// A signed, expiring blacklist snapshot file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// The signed content.
    pub body: SnapshotBody,
    /// The signature over [`SnapshotBody::signed_bytes`].
    pub signature: SnapshotSignature,
}

impl Snapshot {
    /// Signs `body` with an Ed25519 key.
    pub fn sign(body: SnapshotBody, key: &ed25519_dalek::SigningKey) -> Self {
        use ed25519_dalek::Signer;
        let sig = key.sign(&body.signed_bytes());
        Self {
            signature: SnapshotSignature {
                alg: "Ed25519".into(),
                public_key: hex::encode(key.verifying_key().as_bytes()),
                value: hex::encode(sig.to_bytes()),
            },
            body,
        }
    }

    /// Parses a snapshot file and checks its signature against `trusted_keys`, its
    /// format, its expiry against `now_unix`, and every entry.
    pub fn open(
        bytes: &[u8],
        trusted_keys: &[[u8; 32]],
        now_unix: u64,
    ) -> Result<Self, BlacklistError> {
        if bytes.len() > MAX_SNAPSHOT_BYTES {
            return Err(BlacklistError::TooLarge);
        }
        let snap: Snapshot =
            serde_json::from_slice(bytes).map_err(|e| BlacklistError::Malformed(e.to_string()))?;
        snap.check_signature(trusted_keys)?;
        if snap.body.format != SNAPSHOT_FORMAT {
            return Err(BlacklistError::Format(snap.body.format.clone()));
        }
        let expires =
            crate::anchor::check::parse_rfc3339(&snap.body.expires_at).ok_or_else(|| {
                BlacklistError::Malformed(format!("expires_at {:?}", snap.body.expires_at))
            })?;
        if now_unix > expires {
            return Err(BlacklistError::Expired(snap.body.expires_at.clone()));
        }
        Ok(snap)
    }

    fn check_signature(&self, trusted_keys: &[[u8; 32]]) -> Result<(), BlacklistError> {
        let sig = &self.signature;
        if sig.alg != "Ed25519" {
            return Err(BlacklistError::Malformed(format!(
                "signature algorithm {:?}",
                sig.alg
            )));
        }
        let key = hex32(&sig.public_key)
            .ok_or_else(|| BlacklistError::Malformed("signature public_key".into()))?;
        if !trusted_keys.contains(&key) {
            return Err(BlacklistError::UntrustedKey(sig.public_key.clone()));
        }
        let value: [u8; 64] = hex::decode(&sig.value)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| BlacklistError::Malformed("signature value".into()))?;
        let verifying = ed25519_dalek::VerifyingKey::from_bytes(&key)
            .map_err(|_| BlacklistError::BadSignature)?;
        verifying
            .verify_strict(
                &self.body.signed_bytes(),
                &ed25519_dalek::Signature::from_bytes(&value),
            )
            .map_err(|_| BlacklistError::BadSignature)
    }
}

/// Parses a trusted blacklist key: 64 hex digits of an Ed25519 public key.
pub fn parse_public_key(text: &str) -> Option<[u8; 32]> {
    hex32(text.trim().trim_start_matches("0x"))
}

/// The entry's epoch key, once its layout and its tie to the evidence are checked.
fn check_device(d: &DeviceEntry) -> Result<EpochKey, String> {
    let field = |name: &str, value: &str| {
        hex32(value).ok_or_else(|| format!("{name} is not 32 bytes of hex"))
    };
    let key = field("epoch_key", &d.epoch_key)?;
    let r = field("evidence_r", &d.evidence_r)?;
    let t = field("evidence_tag", &d.evidence_tag)?;
    field("evidence_hash", &d.evidence_hash)?;
    if d.start_epoch < d.key_epoch {
        return Err("start_epoch is before the key's epoch".into());
    }
    if tag::tag(&key, &r) != t {
        return Err("its key does not reproduce the evidence photo's tag".into());
    }
    Ok(key)
}

/// A device entry ready for checking.
#[derive(Debug, Clone)]
struct Device {
    entry: DeviceEntry,
}

/// Entries to check reports against. Clone one per thread: checking caches keys.
#[derive(Debug, Clone)]
pub struct Blacklist {
    source: String,
    devices: HashMap<u64, Device>,
    certificates: HashMap<[u8; 32], CertificateEntry>,
    matcher: EntryMatcher,
}

impl Blacklist {
    /// From entries (a snapshot's or the chain's). Entries that are malformed, or
    /// device entries whose key does not reproduce their evidence's tag (not tied to
    /// their evidence), are left out and returned as errors beside the blacklist.
    pub fn new(
        source: impl Into<String>,
        devices: Vec<DeviceEntry>,
        certificates: Vec<CertificateEntry>,
    ) -> (Self, Vec<BlacklistError>) {
        let mut matcher = EntryMatcher::new();
        let mut by_id = HashMap::new();
        let mut refused = Vec::new();
        for d in devices {
            match check_device(&d) {
                Ok(key) => {
                    matcher.add(key, d.key_epoch, d.start_epoch, d.id);
                    by_id.insert(d.id, Device { entry: d });
                }
                Err(why) => refused.push(BlacklistError::BadEntry { id: d.id, why }),
            }
        }
        let mut certs = HashMap::new();
        for c in certificates {
            match hex32(&c.fingerprint) {
                Some(fp) => {
                    certs.insert(fp, c);
                }
                None => refused.push(BlacklistError::BadEntry {
                    id: c.id,
                    why: "fingerprint is not 32 bytes of hex".into(),
                }),
            }
        }
        let list = Self {
            source: source.into(),
            devices: by_id,
            certificates: certs,
            matcher,
        };
        (list, refused)
    }

    /// From a checked snapshot.
    pub fn from_snapshot(snap: &Snapshot, name: &str) -> Result<Self, BlacklistError> {
        let source = format!(
            "snapshot {name} (chain {}, registry {}, block {}, issued {}, expires {})",
            snap.body.source.chain_id,
            snap.body.source.registry,
            snap.body.source.block_number,
            snap.body.issued_at,
            snap.body.expires_at
        );
        let (list, mut refused) = Self::new(
            source,
            snap.body.devices.clone(),
            snap.body.certificates.clone(),
        );
        // A signed snapshot with a bad entry is refused whole: its signer vouched for it.
        match refused.pop() {
            Some(e) => Err(e),
            None => Ok(list),
        }
    }

    /// Where the entries came from (a snapshot or the chain), as written into [`Report::blacklist_source`](crate::Report::blacklist_source).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Number of device entries in use.
    pub fn device_entries(&self) -> usize {
        self.devices.len()
    }

    /// Number of certificate entries in use.
    pub fn certificate_entries(&self) -> usize {
        self.certificates.len()
    }

    /// Checks every step of `report`: sets each step's `blacklist`, adds
    /// `device.blacklisted` / `signer.blacklisted` failure codes and `report.blacklisted`.
    pub fn apply(&mut self, report: &mut Report) {
        report.blacklist_source = Some(self.source.clone());
        for i in 0..report.chain.len() {
            let mut hits = Vec::new();
            let mut codes = Vec::new();
            let step = &report.chain[i];
            for fp in &step.certificates {
                let Some(entry) = hex32(fp).and_then(|k| self.certificates.get(&k)) else {
                    continue;
                };
                codes.push((
                    SIGNER_BLACKLISTED,
                    format!(
                        "certificate {fp} of this step's signer chain is blacklisted by curator set {} (entry {}): {}",
                        entry.curator_set, entry.id, entry.reason
                    ),
                ));
                hits.push(BlacklistHit {
                    kind: "certificate".into(),
                    entry: entry.id,
                    curator_set: entry.curator_set,
                    reason: entry.reason.clone(),
                    start_epoch: None,
                    fingerprint: Some(fp.clone()),
                });
            }
            if let Some(capture) = &step.capture {
                if let (Some(r), Some(t)) = (hex32(&capture.r), hex32(&capture.tag)) {
                    for id in self.matcher.check(capture.epoch, &r, &t) {
                        let Some(d) = self.devices.get(&id) else {
                            continue;
                        };
                        codes.push((
                            DEVICE_BLACKLISTED,
                            format!(
                                "the camera that took this photo is blacklisted from epoch {} on by curator set {} (entry {}): {}",
                                d.entry.start_epoch, d.entry.curator_set, id, d.entry.reason
                            ),
                        ));
                        hits.push(BlacklistHit {
                            kind: "device".into(),
                            entry: id,
                            curator_set: d.entry.curator_set,
                            reason: d.entry.reason.clone(),
                            start_epoch: Some(d.entry.start_epoch),
                            fingerprint: None,
                        });
                    }
                }
            }
            let state = if hits.is_empty() {
                BlacklistState::Clear
            } else {
                BlacklistState::Listed
            };
            report.blacklisted |= !hits.is_empty();
            report.chain[i].blacklist = StepBlacklist {
                status: state,
                hits,
            };
            for (code, explanation) in codes {
                if !report.chain[i].failures.iter().any(|f| f == code) {
                    report.chain[i].failures.push(code.to_owned());
                }
                report.codes.push(StatusCode {
                    code: code.to_owned(),
                    kind: CodeKind::Failure,
                    origin: CodeOrigin::Provenant,
                    step: Some(i),
                    url: None,
                    explanation: Some(explanation),
                });
            }
        }
    }
}
