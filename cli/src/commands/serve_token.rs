//! `provenant serve-token`: a new writer token for `serve`.

use anyhow::Result;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::Exit;

/// Makes a new random writer token for `provenant serve`: the token goes to stdout (give
/// it to the writer, who sends `Authorization: Bearer TOKEN`); the server is given only
/// its SHA-256, printed on stderr with the flag and config line that take it.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  \
    provenant serve-token > writer.token\n  \
    provenant serve --trust keys/root.pem --writer-token-sha256 HASH\n  \
    curl -H \"Authorization: Bearer $(cat writer.token)\" --data-binary @signed.jpg \\\n       \
    http://localhost:8080/v1/chronology/entries")]
pub struct Args {}

pub fn run(_: Args) -> Result<Exit> {
    let mut secret = [0u8; 32];
    OsRng.fill_bytes(&mut secret);
    let token = hex::encode(secret);
    let hash = hex::encode(Sha256::digest(token.as_bytes()));
    eprintln!(
        "writer token on stdout; give the server only its hash: \
         --writer-token-sha256 {hash} (or writer_tokens = [\"{hash}\"] in the config)"
    );
    println!("{token}");
    Ok(Exit::Pass)
}
