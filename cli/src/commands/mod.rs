//! One module per subcommand.

pub mod anchor;
pub mod batch;
pub mod demo;
pub mod edit;
pub mod keygen;
pub mod lookup;
pub mod proof;
pub mod registry;
pub mod sign;
pub mod verify;
