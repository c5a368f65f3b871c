//! Content credentials: what a file's C2PA manifests say and whether they hold.
//!
//! Format sniffing ([`format`]), hashing ([`hash`]), trust anchors ([`trust`]), the
//! report a verification produces ([`report`]) and the verification itself
//! ([`verify`]) build for wasm32. Key generation ([`keys`]), the signer seam
//! ([`signer`]), signing ([`sign`]) and pixel edits ([`edit`]) are native only, behind
//! the `sign` and `edit` features.

mod chain;
pub mod format;
pub mod hash;
pub mod report;
mod step_anchors;
pub mod trust;
pub mod verify;

#[cfg(feature = "edit")]
pub mod edit;
#[cfg(feature = "sign")]
pub mod keys;
#[cfg(feature = "sign")]
pub mod sign;
#[cfg(feature = "sign")]
pub mod signer;
