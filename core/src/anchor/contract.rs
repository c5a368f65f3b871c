//! The registry contract's bindings, generated from the committed artifact: its calls,
//! events and errors, with the errors in words.

use alloy::primitives::{Address, Bytes, FixedBytes, B256, U256};
use alloy::sol_types::{SolCall, SolEvent};
use sha2::{Digest, Sha256};

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    #[allow(clippy::too_many_arguments)]
    ProvenantRegistry,
    "../registry-contract/artifacts/ProvenantRegistry.json"
);

pub use ProvenantRegistry::ProvenantRegistryErrors as RegistryError;

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

/// Calldata of `authorizeKey(key, deadline, signature)`, the signature being the key's
/// acceptance (see [`accept_publisher`](super::accept_publisher)); for relayers and tests.
pub fn authorize_key_calldata(key: Address, deadline: U256, signature: &[u8]) -> Vec<u8> {
    ProvenantRegistry::authorizeKeyCall {
        key,
        deadline,
        signature: Bytes::copy_from_slice(signature),
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

/// The registry's refusal in words, with the contract's error name for searching.
pub(super) fn explain(e: &RegistryError) -> String {
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
        E::NotAuthorizedKey(x) => format!("key {:#x} is not authorised to anchor", x.key),
        E::KeyIsRevoked(x) => format!("key {:#x} has been revoked by its publisher", x.key),
        E::ZeroRoot(_) => "an all-zero root cannot be anchored".to_owned(),
        E::LeafCountOutOfRange(_) => "a batch must have 1 to 16,777,215 leaves".to_owned(),
        E::AlreadyAnchored(x) => format!("root {} is already anchored", x.root),
        E::InvalidSignature(_) => "the relayed anchoring signature is invalid".to_owned(),
        E::SignatureExpired(_) => "the signature (relayed anchor or key acceptance) has expired".to_owned(),
        E::KeyDidNotAccept(x) => format!(
            "key {:#x} did not sign its acceptance of this publisher (authorising a key needs the key's own signature)",
            x.key
        ),
        E::BadCuratorSet(_) => "a curator set needs a name, 1 to 32 distinct curators, a threshold of 1..n, a timelock and a group key".to_owned(),
        E::UnknownCuratorSet(x) => format!("there is no curator set {}", x.setId),
        E::UnknownEntry(x) => format!("there is no blacklist entry {}", x.id),
        E::NotCurator(x) => format!("{:#x} is not a curator of this entry's set", x.account),
        E::AlreadyVoted(x) => format!("{:#x} already voted (or released its share) on this", x.curator),
        E::WrongStatus(x) => format!("the entry's status ({}) does not allow this", status_name(x.status)),
        E::WrongKind(_) => "certificate entries have no decryption shares or epoch keys".to_owned(),
        E::TimelockRunning(x) => format!(
            "the entry's timelock (appeal window) runs until {}",
            crate::anchor::check::rfc3339(x.activeAfter)
        ),
        E::TimelockOver(_) => "the appeal window is over".to_owned(),
        E::WrongBond(x) => format!("the bond must be exactly {} wei", x.expected),
        E::NotEnoughShares(x) => format!("{} of {} decryption shares released", x.have, x.need),
        E::BadEvidence(_) => "the evidence is incomplete (zero hash or point, or a start before the evidence's day)".to_owned(),
        E::WrongEpochKey(_) => "the epoch key does not reproduce the evidence's capture tag".to_owned(),
        E::AlreadyAppealed(x) => format!("{:#x} has already appealed this entry (one appeal per account)", x.appellant),
        E::BadEpochKey(_) => "a device entry needs its epoch key; a certificate entry none".to_owned(),
        E::NothingToClaim(_) => "no bond is credited to this account".to_owned(),
        E::TransferFailed(_) => "paying out the bond failed".to_owned(),
    };
    let name = format!("{e:?}");
    let name = name.split('(').next().unwrap_or_default();
    format!("{words} ({name})")
}

pub(super) fn status_name(status: u8) -> &'static str {
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
