//! One module per subcommand.

pub mod anchor;
pub mod batch;
pub mod blacklist;
pub mod curator;
pub mod curator_dkg;
pub mod curator_evidence;
pub mod demo;
pub mod device;
pub mod edit;
pub mod keygen;
pub mod lookup;
pub mod lookup_remote;
pub mod proof;
pub mod registry;
pub mod serve;
pub mod serve_token;
pub mod sign;
pub mod trust;
pub mod verify;
