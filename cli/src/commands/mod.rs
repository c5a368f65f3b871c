//! One module per subcommand.

pub mod anchor;
pub mod demo;
pub mod edit;
pub mod keygen;
pub mod lookup;
pub mod proof;
pub mod registry;
pub mod serve;
pub mod sign;
pub mod verify;
