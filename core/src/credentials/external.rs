//! An external signer: a command that receives the bytes to sign on stdin and writes
//! the signature to stdout. Cloud KMS clients and signing services plug in here.
//!
//! The command runs through `sh -c`. It must answer with the raw signature: 64 bytes
//! for Ed25519; for ECDSA either raw `r||s` (64/96/132 bytes for P-256/384/521) or a
//! DER `ECDSA-Sig-Value` (what `openssl pkeyutl` prints), which is converted. The
//! command hashes for itself (ECDSA over SHA-256/384/512 of the input, as ES256/384/512
//! define). Every signature is checked against the signing certificate before use.
//!
//! A command that does not answer within its deadline (60 s unless set) is killed with
//! everything it started in its process group, and what it writes is capped, so a stuck
//! or runaway signing service cannot hang or exhaust the signer.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::signer::{algorithm_of, chain_ders, CertifiedKey, RemoteKey};
use super::signer::{SignerError, SigningAlg};

/// The command that signs, and its deadline per signature.
#[derive(Debug)]
pub struct SignerCommand {
    command: String,
    timeout: Duration,
}

/// A signer that runs a command for each signature.
pub type ExternalSigner = CertifiedKey<SignerCommand>;

/// How long a signer command may take for one signature unless set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The most a signer command may write on stdout (a signature is under 1 KB) and the
/// most of its stderr kept for the error message.
const MAX_OUTPUT: usize = 64 * 1024;

impl ExternalSigner {
    /// A signer running `command`, with the certificate chain `chain_pem` (signer
    /// first; the algorithm comes from its certificate).
    pub fn new(command: &str, chain_pem: &[u8]) -> Result<Self, SignerError> {
        if command.trim().is_empty() {
            return Err(SignerError::Command("the command is empty".into()));
        }
        let certs = chain_ders(chain_pem)?;
        let alg = algorithm_of(&certs[0])?;
        let command = SignerCommand {
            command: command.to_owned(),
            timeout: DEFAULT_TIMEOUT,
        };
        Ok(Self::from_parts(command, alg, certs))
    }

    /// The same signer with another deadline per signature.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.key_mut().timeout = timeout;
        self
    }
}

impl RemoteKey for SignerCommand {
    fn sign_raw(&self, _alg: SigningAlg, data: &[u8]) -> Result<Vec<u8>, SignerError> {
        self.run(data)
    }
}

impl SignerCommand {
    fn run(&self, data: &[u8]) -> Result<Vec<u8>, SignerError> {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(&self.command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            // Its own process group, so a time-out kills what it started too.
            command.process_group(0);
        }
        let mut child = command.spawn().map_err(|e| {
            SignerError::Command(format!("cannot start `sh -c {}`: {e}", self.command))
        })?;
        let (Some(mut stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            kill_group(&mut child);
            return Err(SignerError::Command("no pipes to the command".into()));
        };
        let input = data.to_vec();
        // Threads feed stdin and drain the outputs so a command that answers before
        // reading everything, or writes a lot, cannot dead-lock against a full pipe.
        let feeder = std::thread::spawn(move || stdin.write_all(&input));
        let out = std::thread::spawn(move || read_capped(stdout));
        let err = std::thread::spawn(move || read_capped(stderr));
        let deadline = Instant::now() + self.timeout;
        let mut nap = Duration::from_millis(1);
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    kill_group(&mut child);
                    return Err(SignerError::Command(format!(
                        "`{}` gave no signature within {} s; it was stopped",
                        self.command,
                        self.timeout.as_secs_f64()
                    )));
                }
                Ok(None) => {
                    std::thread::sleep(nap);
                    nap = (nap * 2).min(Duration::from_millis(20));
                }
                Err(e) => {
                    kill_group(&mut child);
                    return Err(SignerError::Command(format!("`{}`: {e}", self.command)));
                }
            }
        };
        // Anything it left running in its group would keep the pipes open.
        kill_group(&mut child);
        let joined = |t: std::thread::JoinHandle<(Vec<u8>, bool)>| t.join().unwrap_or_default();
        let (stdout, stdout_overflow) = joined(out);
        let (stderr, _) = joined(err);
        let output = std::process::Output {
            status,
            stdout,
            stderr,
        };
        let fed = feeder.join();
        if stdout_overflow {
            return Err(SignerError::Command(format!(
                "`{}` wrote more than {MAX_OUTPUT} bytes; a signature is far smaller",
                self.command
            )));
        }
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
        Ok(output.stdout)
    }
}

/// Reads a pipe to its end, keeping at most [`MAX_OUTPUT`] bytes; true when more came.
fn read_capped(mut pipe: impl Read) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut overflow = false;
    let mut buf = [0u8; 8192];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) | Err(_) => return (kept, overflow),
            Ok(n) => {
                let room = MAX_OUTPUT - kept.len();
                kept.extend_from_slice(&buf[..n.min(room)]);
                overflow |= n > room;
            }
        }
    }
}

/// Kills the command's process group (the shell and what it started), then reaps it.
fn kill_group(child: &mut Child) {
    // A pid is not reused while a process group of that id still has members; with
    // none left the signal finds no group.
    #[cfg(unix)]
    if let Some(pid) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}
