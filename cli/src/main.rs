//! `provenant`: sign, edit and verify content credentials.
//!
//! Data goes to stdout, narration and errors to stderr. Exit codes: 0 = meets the
//! policy, 1 = a verdict fails the policy, 2 = could not run.

mod blacklist_source;
mod checks;
mod chronology;
mod commands;
mod config;
mod failpoints;
mod network;
mod output;
mod policy;
mod render;
mod serve;
mod signing;
mod trust;
mod validator;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use serde::Deserialize;

/// Exit codes, as documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Exit {
    /// Every file meets the policy.
    #[default]
    Pass = 0,
    /// A verdict fails the policy.
    PolicyFail = 1,
    /// Could not run: bad arguments, unreadable file, failed write.
    CouldNotRun = 2,
}

/// What `verify` requires for exit code 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Every signer must chain to a trust anchor (the default).
    #[default]
    Trusted,
    /// Cryptographically intact is enough, whoever signed.
    Valid,
}

#[derive(Debug, Parser)]
#[command(
    name = "provenant",
    version,
    about = "Prove where a picture came from and what was done to it (C2PA content credentials).",
    long_about = "Prove where a picture came from and what was done to it.\n\n\
        provenant signs media with C2PA content credentials, records edits as a signed \
        edit chain, and verifies files made by provenant or any other C2PA tool.\n\n\
        A five-minute tour:\n  \
        provenant keygen --out keys --org \"Daily Planet\"\n  \
        provenant sign photo.jpg -o signed.jpg --key keys\n  \
        provenant edit signed.jpg -o cropped.jpg --key keys --crop 0,0,800,600\n  \
        provenant verify cropped.jpg --trust keys/root.pem\n\n\
        Exit codes: 0 = meets the policy, 1 = fails it (invalid, untrusted, no manifest), \
        2 = could not run.",
    after_help = "Run `provenant demo` to see all of it with throwaway keys and no network."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create an organisation root CA, an intermediate and a signing certificate.
    Keygen(commands::keygen::Args),
    /// Sign a new picture: records who signed it and how it was made.
    Sign(commands::sign::Args),
    /// Edit a picture and record the edits in a newly signed step of its edit chain.
    Edit(commands::edit::Args),
    /// Verify content credentials and print the verdict and the whole edit chain.
    Verify(commands::verify::Args),
    /// Verify many files on every core: one JSON line per file, then a summary.
    Batch(commands::batch::Args),
    /// Seal the chronology log into Merkle batches and anchor their roots on chain.
    Anchor(commands::anchor::Args),
    /// Write the anchor proofs of a file's edit chain to a sidecar file.
    Proof(commands::proof::Args),
    /// Find the anchored original of a picture, even after re-encoding or resizing.
    Lookup(commands::lookup::Args),
    /// Deploy the registry contract; register publishers; authorise and revoke keys.
    Registry(commands::registry::Args),
    /// A capture device: sign at capture with an unlinkable capture tag.
    Device(commands::device::Args),
    /// Curators: threshold key, decryption shares, curator sets in the registry.
    Curator(commands::curator::Args),
    /// The camera and certificate blacklist: propose, approve, appeal, activate, export.
    Blacklist(commands::blacklist::Args),
    /// Serve the HTTP API: verify uploads, record and look up the chronology log.
    Serve(commands::serve::Args),
    /// Where trust comes from (trust lists, anchors, allowed list); refresh the C2PA trust list.
    Trust(commands::trust::Args),
    /// Make a writer token for `serve` (the token, and the hash the server is given).
    ServeToken(commands::serve_token::Args),
    /// Sign, edit twice and verify a sample picture with throwaway keys (no network).
    Demo(commands::demo::Args),
    /// Internal: a validation worker of `batch` and `serve` (JSON lines on stdin/stdout).
    #[command(name = "validate-worker", hide = true)]
    ValidateWorker,
}

/// mimalloc keeps freed memory for the next allocation: signing a 12 MP picture allocates
/// and frees several buffers of the file's size (ours, the SDK's), and with the system
/// allocator each came back from the kernel as fresh zeroed pages (15,000 page faults,
/// a fifth of the CPU time; see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let result = match cli.command {
        Command::Keygen(a) => commands::keygen::run(a),
        Command::Sign(a) => commands::sign::run(a),
        Command::Edit(a) => {
            let sub = matches.subcommand_matches("edit");
            commands::edit::run(a, sub)
        }
        Command::Verify(a) => commands::verify::run(a),
        Command::Batch(a) => commands::batch::run(a),
        Command::Anchor(a) => commands::anchor::run(a),
        Command::Proof(a) => commands::proof::run(a),
        Command::Lookup(a) => commands::lookup::run(a),
        Command::Registry(a) => commands::registry::run(a),
        Command::Device(a) => commands::device::run(a),
        Command::Curator(a) => commands::curator::run(a),
        Command::Blacklist(a) => commands::blacklist::run(a),
        Command::Serve(a) => commands::serve::run(a),
        Command::ServeToken(a) => commands::serve_token::run(a),
        Command::Trust(a) => commands::trust::run(a),
        Command::Demo(a) => commands::demo::run(a),
        Command::ValidateWorker => validator::worker::run(),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            output::error_line(&e);
            ExitCode::from(Exit::CouldNotRun as u8)
        }
    }
}

/// A path argument shown in messages.
pub fn shown(p: &std::path::Path) -> String {
    render::clean(&p.display().to_string())
}
