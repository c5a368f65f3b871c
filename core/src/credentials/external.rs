//! An external signer: a command that receives the bytes to sign on stdin and writes
//! the signature to stdout. Cloud KMS clients and signing services plug in here.
//!
//! The command runs through `sh -c`. It must answer with the raw signature: 64 bytes
//! for Ed25519; for ECDSA either raw `r||s` (64/96/132 bytes for P-256/384/521) or a
//! DER `ECDSA-Sig-Value` (what `openssl pkeyutl` prints), which is converted. The
//! command hashes for itself (ECDSA over SHA-256/384/512 of the input, as ES256/384/512
//! define). Every signature is checked against the signing certificate before use.

use std::io::Write;
use std::process::{Command, Stdio};

use super::signer::{algorithm_of, chain_ders, checked_signature, FailureSlot};
use super::signer::{Signer, SignerError, SigningAlg};

/// A signer that runs a command for each signature.
#[derive(Debug)]
pub struct ExternalSigner {
    command: String,
    alg: SigningAlg,
    certs: Vec<Vec<u8>>,
    failure: FailureSlot,
}

impl ExternalSigner {
    /// A signer running `command`, with the certificate chain `chain_pem` (signer
    /// first; the algorithm comes from its certificate).
    pub fn new(command: &str, chain_pem: &[u8]) -> Result<Self, SignerError> {
        if command.trim().is_empty() {
            return Err(SignerError::Command("the command is empty".into()));
        }
        let certs = chain_ders(chain_pem)?;
        let alg = algorithm_of(&certs[0])?;
        Ok(Self {
            command: command.to_owned(),
            alg,
            certs,
            failure: FailureSlot::default(),
        })
    }

    /// The algorithm, from the certificate.
    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// Why the last signature failed, if it did.
    pub fn take_failure(&self) -> Option<SignerError> {
        self.failure.take()
    }

    fn run(&self, data: &[u8]) -> Result<Vec<u8>, SignerError> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&self.command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                SignerError::Command(format!("cannot start `sh -c {}`: {e}", self.command))
            })?;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| SignerError::Command("no stdin".into()))?;
        let input = data.to_vec();
        // A thread feeds stdin so a command that answers before reading everything
        // cannot dead-lock against a full pipe.
        let feeder = std::thread::spawn(move || stdin.write_all(&input));
        let output = child
            .wait_with_output()
            .map_err(|e| SignerError::Command(format!("`{}`: {e}", self.command)))?;
        let fed = feeder.join();
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            return Err(SignerError::Command(format!(
                "`{}` failed ({}){}{}",
                self.command,
                output.status,
                if last.is_empty() { "" } else { ": " },
                last.trim()
            )));
        }
        if !matches!(fed, Ok(Ok(()))) {
            return Err(SignerError::Command(format!(
                "`{}` did not read the bytes to sign",
                self.command
            )));
        }
        if output.stdout.is_empty() {
            return Err(SignerError::Command(format!(
                "`{}` wrote no signature",
                self.command
            )));
        }
        checked_signature(self.alg, &self.certs[0], data, output.stdout)
    }
}

impl Signer for ExternalSigner {
    fn sign(&self, data: &[u8]) -> c2pa::Result<Vec<u8>> {
        self.run(data).map_err(|e| self.failure.fail(e))
    }

    fn alg(&self) -> SigningAlg {
        self.alg
    }

    fn certs(&self) -> c2pa::Result<Vec<Vec<u8>>> {
        Ok(self.certs.clone())
    }

    fn reserve_size(&self) -> usize {
        1024 + self.certs.iter().map(Vec::len).sum::<usize>()
    }
}
