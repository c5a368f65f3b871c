//! Anchoring on an EVM network through the registry contract.
//!
//! [`check`] is the sans-IO anchor check (which calls to make, what their answers mean),
//! shared by the CLI and the browser, as is [`endpoint`] (which proofs to ask a publisher's
//! endpoint for, and what its answer adds). The rest is native (feature `anchor`): the
//! JSON-RPC client with retries (`network`), registry administration and views
//! (`registry`), the batch state machine that anchors the chronology log
//! (`anchoring`), proofs from publisher endpoints (`publisher`) and the blacklist
//! governance transactions (`curation`), all reached through [`Network`].

pub mod check;
pub mod endpoint;

#[cfg(feature = "anchor")]
mod anchoring;
#[cfg(feature = "anchor")]
mod contract;
#[cfg(feature = "anchor")]
mod curation;
#[cfg(feature = "anchor")]
mod network;
#[cfg(feature = "anchor")]
mod publisher;
#[cfg(feature = "anchor")]
mod registry;

#[cfg(feature = "anchor")]
pub use alloy::primitives::{Address, U256};
#[cfg(feature = "anchor")]
pub use alloy::signers::local::PrivateKeySigner;
#[cfg(feature = "anchor")]
pub use anchoring::AnchorRound;
pub use check::{
    Confirmation, ANCHOR_ANCHORED, ANCHOR_KEY_COMPROMISED, ANCHOR_NOT_FOUND, ANCHOR_OTHER_CHAIN,
    ANCHOR_PENDING, ANCHOR_UNKNOWN_REGISTRY,
};
#[cfg(feature = "anchor")]
pub use contract::{
    anchor_calldata, anchored_event_topic, authorize_key_calldata, batch_meta_hash, RegistryError,
};
#[cfg(feature = "anchor")]
pub use curation::{CuratorSetInfo, DeviceEvidence, EntryInfo, EntryKind, EntryStatus};
#[cfg(feature = "anchor")]
pub use network::{
    parse_address, parse_private_key, AnchorError, Endpoint, Network, Preset, RetryPolicy, PRESETS,
};
#[cfg(feature = "anchor")]
#[cfg(feature = "anchor")]
pub use registry::accept_publisher;
