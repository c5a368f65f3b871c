//! The registry's camera blacklist: curator sets and their entries.
//!
//! Transactions for every governance step (create a curator set, propose, approve,
//! appeal, resolve an appeal, publish a decryption share, activate, withdraw, claim a
//! bond) and the reads a verifier needs: the active entries of the curator sets it
//! honours, with their reasons (kept in events). A device entry is only used when its
//! epoch key reproduces its evidence's tag (checked in `blacklist::Blacklist::new`).

use alloy::primitives::{FixedBytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, TransactionReceipt};
use alloy::sol_types::{SolCall, SolEvent};

use super::contract::ProvenantRegistry;
use super::{Address, AnchorError, Network, PrivateKeySigner};
use crate::blacklist::capture::threshold::DecryptionShare;
use crate::blacklist::{CertificateEntry, DeviceEntry};

/// What an entry lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A camera, identified by an evidence photo's capture tag and, once active, its epoch key.
    Device,
    /// A signing certificate, identified by the SHA-256 fingerprint of its DER.
    Certificate,
}

/// Where an entry is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// Waiting for curator approvals.
    Proposed,
    /// Approved by a quorum; the timelock (appeal window) runs until `active_after`.
    Approved,
    /// Stopped by an appeal until the curators resolve it.
    Appealed,
    /// In force.
    Active,
    /// Withdrawn by a curator quorum, or by its reporter while still proposed.
    Withdrawn,
    /// The appeal was upheld.
    Rejected,
}

impl EntryStatus {
    /// The contract's status number; an unknown one is an error, never a guess.
    fn from_u8(n: u8) -> Result<Self, AnchorError> {
        Ok(match n {
            0 => Self::Proposed,
            1 => Self::Approved,
            2 => Self::Appealed,
            3 => Self::Active,
            4 => Self::Withdrawn,
            5 => Self::Rejected,
            other => {
                return Err(AnchorError::UnknownValue {
                    what: "blacklist entry status",
                    value: u64::from(other),
                })
            }
        })
    }
}

/// An entry as the registry holds it (plus its reason, from the proposal's event).
#[derive(Debug, Clone, serde::Serialize)]
pub struct EntryInfo {
    /// Entry id in the registry (from 1).
    pub id: u64,
    /// Whether the entry lists a device or a certificate.
    pub kind: EntryKind,
    /// Where the entry is in its life.
    pub status: EntryStatus,
    /// Id of the curator set that decides the entry.
    pub curator_set: u32,
    /// Account that proposed the entry (0x-prefixed hex address).
    pub reporter: String,
    /// Evidence photo SHA-256 (device) or certificate fingerprint (certificate), hex.
    pub subject: String,
    /// Epoch (UTC day) of the evidence photo's capture tag (device entries).
    pub evidence_epoch: u32,
    /// Photos from this epoch (UTC day) on are flagged; not before `evidence_epoch`.
    pub start_epoch: u32,
    /// The evidence's capture-tag `r` (hex, 32 bytes).
    pub evidence_r: String,
    /// The evidence's capture tag (hex, 32 bytes).
    pub evidence_tag: String,
    /// The evidence's escrow point R (hex, compressed ristretto255); curators' shares are s_j·R.
    pub escrow_point: String,
    /// Zero until activated (device entries).
    pub epoch_key: String,
    /// Number of curator approvals so far.
    pub approvals: u8,
    /// Number of decryption shares released so far.
    pub shares_published: u8,
    /// Unix time the timelock ends (0 before approval).
    pub active_after: u64,
    /// The reason given with the proposal (empty when read with [`Network::entry`]).
    pub reason: String,
}

/// A curator set as the registry holds it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CuratorSetInfo {
    /// Curator set id (from 1).
    pub id: u32,
    /// Name shown to platforms choosing which sets they honour.
    pub name: String,
    /// Curator accounts (0x-prefixed hex); curator j (its share index) is `curators[j - 1]`.
    pub curators: Vec<String>,
    /// Approvals, shares and votes needed to decide.
    pub threshold: u8,
    /// Appeal window in seconds between approval and the earliest share release.
    pub timelock: u32,
    /// Bond in wei (decimal string).
    pub bond: String,
    /// The curators' ristretto255 group key that devices escrow to (hex, 32 bytes).
    pub group_key: String,
}

/// The evidence a device entry is proposed with (read off the evidence photo).
#[derive(Debug, Clone)]
pub struct DeviceEvidence {
    /// SHA-256 of the evidence photo.
    pub evidence_hash: [u8; 32],
    /// The evidence photo's epoch (UTC day).
    pub epoch: u32,
    /// The evidence's capture-tag `r`.
    pub r: [u8; 32],
    /// The evidence's capture tag.
    pub tag: [u8; 32],
    /// The evidence's escrow point R (compressed ristretto255).
    pub escrow_point: [u8; 32],
}

fn b32(x: [u8; 32]) -> FixedBytes<32> {
    FixedBytes::from(x)
}

impl Network {
    /// Sends a registry call from `signer` and waits for it to be mined.
    fn call<C: SolCall>(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        call: C,
    ) -> Result<(), AnchorError> {
        self.transact(signer, registry, call.abi_encode())
            .map(|_| ())
    }

    /// Creates an immutable curator set; returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn create_curator_set(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        name: &str,
        curators: &[Address],
        threshold: u8,
        timelock: u32,
        bond: U256,
        group_key: [u8; 32],
    ) -> Result<u32, AnchorError> {
        let call = ProvenantRegistry::createCuratorSetCall {
            name: name.to_owned(),
            curators: curators.to_vec(),
            threshold,
            timelock,
            bond,
            groupKey: b32(group_key),
        };
        let receipt = self.transact_paying(signer, registry, call.abi_encode(), U256::ZERO)?;
        receipt
            .decoded_log::<ProvenantRegistry::CuratorSetCreated>()
            .map(|l| l.data.setId)
            .ok_or_else(|| AnchorError::Refused("no CuratorSetCreated event in the receipt".into()))
    }

    /// Reads curator set `id` from the registry.
    pub fn curator_set(&self, registry: Address, id: u32) -> Result<CuratorSetInfo, AnchorError> {
        let r = self.view(registry, ProvenantRegistry::curatorSetCall { setId: id })?;
        Ok(CuratorSetInfo {
            id,
            name: r.name,
            curators: r.curators.iter().map(|a| format!("{a:#x}")).collect(),
            threshold: r.threshold,
            timelock: r.timelock,
            bond: r.bond.to_string(),
            group_key: hex::encode(r.groupKey),
        })
    }

    fn bond_of(&self, registry: Address, set: u32) -> Result<U256, AnchorError> {
        Ok(self
            .view(registry, ProvenantRegistry::curatorSetCall { setId: set })?
            .bond)
    }

    fn proposed_id(receipt: &TransactionReceipt) -> Result<u64, AnchorError> {
        receipt
            .decoded_log::<ProvenantRegistry::EntryProposed>()
            .map(|l| l.data.id)
            .ok_or_else(|| AnchorError::Refused("no EntryProposed event in the receipt".into()))
    }

    /// Proposes a device entry (pays the set's bond); returns the entry id.
    pub fn propose_device(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        set: u32,
        evidence: &DeviceEvidence,
        start_epoch: u32,
        reason: &str,
    ) -> Result<u64, AnchorError> {
        let bond = self.bond_of(registry, set)?;
        let call = ProvenantRegistry::proposeDeviceCall {
            setId: set,
            evidenceHash: b32(evidence.evidence_hash),
            evidenceEpoch: evidence.epoch,
            evidenceR: b32(evidence.r),
            evidenceTag: b32(evidence.tag),
            escrowPoint: b32(evidence.escrow_point),
            startEpoch: start_epoch,
            reason: reason.to_owned(),
        };
        let receipt = self.transact_paying(signer, registry, call.abi_encode(), bond)?;
        Self::proposed_id(&receipt)
    }

    /// Proposes a certificate entry (pays the set's bond); returns the entry id.
    pub fn propose_certificate(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        set: u32,
        fingerprint: [u8; 32],
        reason: &str,
    ) -> Result<u64, AnchorError> {
        let bond = self.bond_of(registry, set)?;
        let call = ProvenantRegistry::proposeCertificateCall {
            setId: set,
            fingerprint: b32(fingerprint),
            reason: reason.to_owned(),
        };
        let receipt = self.transact_paying(signer, registry, call.abi_encode(), bond)?;
        Self::proposed_id(&receipt)
    }

    /// Approves a proposed entry as a curator of its set (once per curator); at the threshold its timelock starts.
    pub fn approve_entry(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        id: u64,
    ) -> Result<(), AnchorError> {
        self.call(signer, registry, ProvenantRegistry::approveCall { id })
    }

    /// Appeals an entry, paying its current appeal bond (the set's bond, doubled for each
    /// earlier appeal of the entry; one appeal per account).
    pub fn appeal_entry(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        id: u64,
        reason: &str,
    ) -> Result<(), AnchorError> {
        let bond = self.view(registry, ProvenantRegistry::appealBondCall { id })?;
        let call = ProvenantRegistry::appealCall {
            id,
            reason: reason.to_owned(),
        };
        self.transact_paying(signer, registry, call.abi_encode(), bond)
            .map(|_| ())
    }

    /// Votes on an open appeal as a curator: `uphold` rejects the entry, otherwise the appeal is dismissed.
    pub fn resolve_appeal(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        id: u64,
        uphold: bool,
    ) -> Result<(), AnchorError> {
        self.call(
            signer,
            registry,
            ProvenantRegistry::resolveAppealCall { id, uphold },
        )
    }

    /// Releases the signer's decryption share for an approved device entry whose timelock is over.
    pub fn publish_share(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        id: u64,
        share: &DecryptionShare,
    ) -> Result<(), AnchorError> {
        self.call(
            signer,
            registry,
            ProvenantRegistry::publishShareCall {
                id,
                sharePoint: b32(share.point),
                proofC: b32(share.proof_c),
                proofZ: b32(share.proof_z),
            },
        )
    }

    /// Puts an approved entry in force once its timelock is over, with the epoch key combined from the shares (device) or zero (certificate).
    pub fn activate_entry(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        id: u64,
        epoch_key: [u8; 32],
    ) -> Result<(), AnchorError> {
        self.call(
            signer,
            registry,
            ProvenantRegistry::activateCall {
                id,
                epochKey: b32(epoch_key),
            },
        )
    }

    /// Withdraws an entry: a curator's vote, or the reporter alone while the entry is proposed.
    pub fn withdraw_entry(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        id: u64,
        reason: &str,
    ) -> Result<(), AnchorError> {
        self.call(
            signer,
            registry,
            ProvenantRegistry::withdrawCall {
                id,
                reason: reason.to_owned(),
            },
        )
    }

    /// Pays out bonds credited to the signer.
    pub fn claim_bonds(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
    ) -> Result<(), AnchorError> {
        self.call(signer, registry, ProvenantRegistry::claimCall {})
    }

    /// The decryption shares published for an entry (their proofs are not checked here).
    pub fn published_shares(
        &self,
        registry: Address,
        id: u64,
    ) -> Result<Vec<DecryptionShare>, AnchorError> {
        let r = self.view(registry, ProvenantRegistry::sharesOfCall { id })?;
        Ok(r.indexes
            .iter()
            .zip(&r.points)
            .zip(r.proofC.iter().zip(&r.proofZ))
            .map(|((&index, point), (c, z))| DecryptionShare {
                index,
                point: point.0,
                proof_c: c.0,
                proof_z: z.0,
            })
            .collect())
    }

    /// Number of entries in the registry (ids are 1..=count).
    pub fn entry_count(&self, registry: Address) -> Result<u64, AnchorError> {
        self.view(registry, ProvenantRegistry::entryCountCall {})
    }

    /// One entry, without its reason.
    pub fn entry(&self, registry: Address, id: u64) -> Result<EntryInfo, AnchorError> {
        let e = self.view(registry, ProvenantRegistry::entryCall { id })?;
        Ok(EntryInfo {
            id,
            kind: match e.kind {
                0 => EntryKind::Device,
                1 => EntryKind::Certificate,
                other => {
                    return Err(AnchorError::UnknownValue {
                        what: "blacklist entry kind",
                        value: u64::from(other),
                    })
                }
            },
            status: EntryStatus::from_u8(e.status)?,
            curator_set: e.setId,
            reporter: format!("{:#x}", e.reporter),
            subject: hex::encode(e.subject),
            evidence_epoch: e.evidenceEpoch,
            start_epoch: e.startEpoch,
            evidence_r: hex::encode(e.evidenceR),
            evidence_tag: hex::encode(e.evidenceTag),
            escrow_point: hex::encode(e.escrowPoint),
            epoch_key: hex::encode(e.epochKey),
            approvals: e.approvals,
            shares_published: e.sharesPublished,
            active_after: e.activeAfter,
            reason: String::new(),
        })
    }

    /// Every entry (of `sets`, or all when empty), with reasons, and the block read at.
    pub fn entries(
        &self,
        registry: Address,
        sets: &[u32],
    ) -> Result<(Vec<EntryInfo>, u64), AnchorError> {
        let block = self.run(
            "eth_blockNumber",
            |p| async move { p.get_block_number().await },
        )?;
        let filter = Filter::new()
            .address(registry)
            .event_signature(ProvenantRegistry::EntryProposed::SIGNATURE_HASH)
            .from_block(0)
            .to_block(block);
        let logs = self.run("eth_getLogs", |p| {
            let f = filter.clone();
            async move { p.get_logs(&f).await }
        })?;
        let mut reasons = std::collections::HashMap::new();
        for log in logs {
            if let Ok(ev) = ProvenantRegistry::EntryProposed::decode_log_data(log.data()) {
                reasons.insert(ev.id, ev.reason);
            }
        }
        let count = self.entry_count(registry)?;
        let mut out = Vec::new();
        for id in 1..=count {
            let mut e = self.entry(registry, id)?;
            if !sets.is_empty() && !sets.contains(&e.curator_set) {
                continue;
            }
            e.reason = reasons.remove(&id).unwrap_or_default();
            out.push(e);
        }
        Ok((out, block))
    }

    /// The active entries of the honoured curator sets, ready for a
    /// [`crate::blacklist::Blacklist`]; and the block they were read at.
    pub fn active_blacklist(
        &self,
        registry: Address,
        sets: &[u32],
    ) -> Result<(Vec<DeviceEntry>, Vec<CertificateEntry>, u64), AnchorError> {
        let (entries, block) = self.entries(registry, sets)?;
        let mut devices = Vec::new();
        let mut certificates = Vec::new();
        for e in entries
            .into_iter()
            .filter(|e| e.status == EntryStatus::Active)
        {
            match e.kind {
                EntryKind::Device => devices.push(DeviceEntry {
                    id: e.id,
                    curator_set: e.curator_set,
                    epoch_key: e.epoch_key,
                    key_epoch: e.evidence_epoch,
                    start_epoch: e.start_epoch,
                    evidence_hash: e.subject,
                    evidence_r: e.evidence_r,
                    evidence_tag: e.evidence_tag,
                    reason: e.reason,
                }),
                EntryKind::Certificate => certificates.push(CertificateEntry {
                    id: e.id,
                    curator_set: e.curator_set,
                    fingerprint: e.subject,
                    reason: e.reason,
                }),
            }
        }
        Ok((devices, certificates, block))
    }
}
