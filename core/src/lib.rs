//! provenant-core: proves where a picture came from and what was done to it.
//!
//! The verify path ([`verify`], [`report`], [`trust`], [`format`], [`hash`]) has no
//! native-only dependencies and builds for `wasm32-unknown-unknown`. Signing, key
//! generation and pixel edits sit behind the `sign` and `edit` features.
//!
//! The library never prints: results come back as values (a [`report::Report`] is
//! data, not an error) and errors carry the context a user needs.

pub mod anchor_check;
pub mod blacklist;
pub mod capture;
pub mod format;
pub mod hash;
pub mod merkle;
pub mod proof;
pub mod report;
pub mod trust;
pub mod verify;

#[cfg(feature = "anchor")]
pub mod anchoring;
#[cfg(feature = "chronology")]
pub mod chronology;
#[cfg(feature = "device")]
pub mod device;
#[cfg(feature = "edit")]
pub mod edit;
#[cfg(feature = "sign")]
pub mod keys;
#[cfg(feature = "chronology")]
pub mod perceptual;
#[cfg(feature = "sign")]
pub mod sign;

pub use format::MediaFormat;
pub use report::{ChainStep, Report, Verdict};
pub use trust::TrustAnchors;
pub use verify::{verify_bytes, verify_stream, VerifyError};

/// Name and version written into every claim we sign.
pub const GENERATOR_NAME: &str = "provenant";
/// Version of this library.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
