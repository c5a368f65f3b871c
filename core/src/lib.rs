//! provenant-core: proves where a picture came from and what was done to it.
//!
//! Grouped by domain:
//! - [`credentials`]: C2PA content credentials — format, hashing, trust anchors, keys,
//!   signing, edits and verification into a [`Report`];
//! - [`chronology`]: Merkle trees, proof bundles, the log of signed assets, perceptual
//!   fingerprints and lookup;
//! - [`anchor`]: the registry client on an EVM network, the anchoring state machine and
//!   the sans-IO anchor check;
//! - [`blacklist`]: capture tags, capture devices and the camera/certificate blacklist;
//! - [`policy`]: the one pass/fail policy every surface applies to a report;
//! - `fetch` (feature `fetch`): HTTPS fetches from the public internet only, for URLs
//!   that files and users name;
//! - `inspect` (feature `anchor`): one file's whole check — its proofs, its anchors on
//!   the network, the blacklist — as `verify`, `batch` and `serve` run it.
//!
//! The verify path (credentials' verification, proofs, the anchor check, the blacklist
//! and the policy) has no native-only dependencies and builds for
//! `wasm32-unknown-unknown`. Signing, key generation and pixel edits sit behind the
//! `sign` and `edit` features, the log behind `chronology`, network access behind
//! `anchor`.
//!
//! The library never prints: results come back as values (a [`Report`] is data, not an
//! error) and errors carry the context a user needs.

#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::print_stdout,
        clippy::print_stderr
    )
)]

pub mod anchor;
pub mod blacklist;
pub mod chronology;
pub mod credentials;
pub mod fetch;
#[cfg(feature = "anchor")]
pub mod inspect;
pub(crate) mod jpeg_segments;
pub mod policy;

pub use credentials::format::MediaFormat;
pub use credentials::report::{ChainStep, Report, Verdict};
pub use credentials::trust::TrustAnchors;
pub use credentials::verify::{verify_bytes, verify_stream, VerifyError};

/// Name and version written into every claim we sign.
pub const GENERATOR_NAME: &str = "provenant";
/// Version of this library.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
