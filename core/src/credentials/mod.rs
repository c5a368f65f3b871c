//! Content credentials: what a file's C2PA manifests say and whether they hold.
//!
//! Format sniffing ([`format`]), hashing ([`hash`]), trust anchors ([`trust`]), the
//! report a verification produces ([`report`]), photo metadata and the do-not-train
//! statement ([`metadata`]) and the verification itself ([`verify`]) build for wasm32. Key generation ([`keys`]), the signer seam
//! ([`signer`]) with its PKCS#11 (`pkcs11`) and external-command
//! ([`external`]) backends, RFC 3161 time-stamps for new manifests ([`time_stamp`]), signing
//! ([`sign`]) and pixel edits ([`edit`]) are native only, behind
//! the `sign` and `edit` features. Remote manifest stores are fetched on request
//! ([`remote`], native, feature `anchor` for its HTTP client).

mod cert_names;
mod chain;
pub mod extract;
pub mod format;
pub mod hash;
pub mod identity;
pub mod metadata;
pub mod report;
pub mod soft_binding;
mod step_anchors;
pub mod trust;
pub mod verify;

#[cfg(feature = "edit")]
pub mod edit;
#[cfg(feature = "edit")]
mod edit_ops;
#[cfg(feature = "sign")]
pub mod external;
#[cfg(feature = "sign")]
pub mod keys;
#[cfg(feature = "pkcs11")]
pub mod pkcs11;
#[cfg(feature = "fetch")]
pub mod remote;
#[cfg(feature = "sign")]
pub mod sign;
#[cfg(feature = "sign")]
pub mod signer;
#[cfg(feature = "thumbnails")]
pub mod thumbnail;
#[cfg(feature = "sign")]
pub mod time_stamp;

#[cfg(feature = "sign")]
/// RFC 3339 time of now, for the `when` of actions.
pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
