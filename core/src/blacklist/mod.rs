//! The camera blacklist: unlinkable capture tags and their escrow ([`capture`]), capture
//! devices that sign with them ([`device`], feature `device`) and the blacklist a
//! verifier checks reports against, with its signed snapshots ([`list`]).

pub mod capture;
pub mod list;

#[cfg(feature = "device")]
pub mod device;
#[cfg(feature = "device")]
pub mod metadata;

pub use list::*;
