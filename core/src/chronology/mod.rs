//! Chronology: when a signed asset existed. Merkle trees ([`merkle`]) and proof bundles
//! ([`proof`]) build for wasm32; the log of signed assets with its SQLite and
//! PostgreSQL stores ([`log`]), perceptual fingerprints ([`fingerprint`], the ISO
//! ISCC image code [`iscc`], reduced JPEG decoding [`jpeg_scaled`]) and the
//! search for a picture's originals ([`lookup`]) are native (feature `chronology`).

pub mod merkle;
pub mod proof;

#[cfg(feature = "chronology")]
pub mod difference;
#[cfg(feature = "chronology")]
pub mod fingerprint;
#[cfg(feature = "iscc")]
pub mod iscc;
#[cfg(feature = "iscc")]
pub mod jpeg_entropy;
#[cfg(feature = "chronology")]
pub mod jpeg_scaled;
#[cfg(feature = "chronology")]
pub mod log;
#[cfg(feature = "chronology")]
pub mod log_fingerprints;
#[cfg(feature = "chronology")]
pub mod lookup;

#[cfg(feature = "failpoints")]
pub use log::CRASH_POINTS;
#[cfg(feature = "chronology")]
pub use log::{
    data_dir, is_postgres_url, AnchoringLock, Batch, BatchState, Code, Entry, Inclusion, Log,
    LogError, LogStatus, NewEntry, DCT_ALG, LOG_FILE, MAX_BATCH_LEAVES,
};
