//! C2PA validation of untrusted files in worker processes held to a time budget.
//!
//! The C2PA SDK parses hostile containers; some crafted files make it burn a minute of
//! CPU (the reference SDK's own `tiff_poc.tiff`), and a thread cannot be stopped. So
//! `batch` and `serve` hand each file to a worker process (this binary, hidden command
//! `validate-worker`) and kill it when the budget runs out: the work really stops, the
//! file gets an error line (batch) or a 422 (serve), and the next file goes to a fresh
//! worker. A worker that dies (a crash, a stack overflow in the parser) costs one file,
//! not the run. Workers are reused between files; the network half of a check (anchors,
//! fetched proofs) and the blacklist stay in the parent, on the report sent back.
//!
//! Protocol (stdin/stdout of the worker, one JSON line each way): an init line
//! `{trust, budget_ms}`, then per file a request line — `{op: "inspect_file", path,
//! proof}` or `{op: "inspect_bytes" | "manifest_ids", len}` followed by `len` raw bytes —
//! answered by `{ok: …}` or `{error: {status, code, message}}`.

pub mod worker;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::Duration;

use provenant_core::chronology::merkle::Hash;
use provenant_core::credentials::verify::VerifyOptions;
use provenant_core::Report;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The default per-file budget. Real files validate in well under a second; a
/// multi-gigabyte video needs a few seconds to hash.
pub const DEFAULT_BUDGET_SECS: u64 = 30;

/// The hidden command that runs a worker.
pub const WORKER_COMMAND: &str = "validate-worker";

/// What the worker is told once.
#[derive(Debug, Serialize, Deserialize)]
pub struct Init {
    /// Everything trusted (anchors by origin, allowed list, EKUs).
    pub trust: provenant_core::TrustAnchors,
    /// The per-file budget, for the worker's own CPU-time backstop.
    pub budget_ms: u64,
}

/// Why a file was not validated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidateError {
    /// The validator refused the file (the same errors as in-process validation).
    #[error("{message}")]
    Refused {
        /// HTTP status `serve` answers with.
        status: u16,
        /// Machine-readable error code.
        code: String,
        /// What went wrong.
        message: String,
    },
    /// The file took longer than its budget; the worker was killed.
    #[error("validation stopped after {0:?}, the per-file time budget (a file this costly to parse is refused; raise --budget if it is genuine)")]
    OverBudget(Duration),
    /// The worker died or could not be started.
    #[error("the validator process failed: {0}")]
    Worker(String),
}

/// A pool of worker processes.
#[derive(Debug)]
pub struct Validator {
    exe: PathBuf,
    init: String,
    budget: Duration,
    idle: Mutex<Vec<Worker>>,
}

#[derive(Debug)]
struct Worker {
    child: Child,
    stdin: ChildStdin,
    answers: Receiver<String>,
}

impl Worker {
    fn spawn(exe: &Path, init: &str) -> Result<Self, ValidateError> {
        let failed = |e: std::io::Error| ValidateError::Worker(format!("cannot start it: {e}"));
        let mut child = Command::new(exe)
            .arg(WORKER_COMMAND)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(failed)?;
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(ValidateError::Worker("no pipes to it".into()));
        };
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        if let Err(e) = writeln!(stdin, "{init}").and_then(|_| stdin.flush()) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(failed(e));
        }
        Ok(Self {
            child,
            stdin,
            answers,
        })
    }

    /// Kills the worker and reaps it; says how it ended when it had ended by itself.
    fn end(mut self) -> String {
        let ended = match self.child.try_wait() {
            Ok(Some(status)) => status.to_string(),
            _ => {
                let _ = self.child.kill();
                "killed".into()
            }
        };
        let _ = self.child.wait();
        ended
    }
}

impl Validator {
    /// Workers of the running executable, validating under `options`' trust anchors.
    pub fn new(options: &VerifyOptions, budget: Duration) -> anyhow::Result<Self> {
        let exe = std::env::current_exe()
            .map_err(|e| anyhow::anyhow!("cannot find the running executable: {e}"))?;
        let init = serde_json::to_string(&Init {
            trust: options.trust.clone(),
            budget_ms: u64::try_from(budget.as_millis()).unwrap_or(u64::MAX),
        })?;
        Ok(Self {
            exe,
            init,
            budget,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Validates the file at `path` (with its sidecar proofs, or `proof`).
    pub fn inspect_file(&self, path: &Path, proof: Option<&Path>) -> Result<Report, ValidateError> {
        let header = json!({ "op": "inspect_file", "path": path, "proof": proof });
        self.call(&header, None, self.budget)
    }

    /// Validates an upload, within `budget` at most.
    pub fn inspect_bytes(&self, bytes: &[u8], budget: Duration) -> Result<Report, ValidateError> {
        let header = json!({ "op": "inspect_bytes", "len": bytes.len() });
        self.call(&header, Some(bytes), budget.min(self.budget))
    }

    /// The manifest ids an upload still carries (lookup), within `budget` at most.
    pub fn manifest_ids(&self, bytes: &[u8], budget: Duration) -> Result<Vec<Hash>, ValidateError> {
        let header = json!({ "op": "manifest_ids", "len": bytes.len() });
        let hex: Vec<String> = self.call(&header, Some(bytes), budget.min(self.budget))?;
        Ok(hex
            .iter()
            .filter_map(|h| hex::decode(h).ok()?.try_into().ok())
            .collect())
    }

    fn take(&self) -> Result<Worker, ValidateError> {
        let reused = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match reused {
            Some(w) => Ok(w),
            None => Worker::spawn(&self.exe, &self.init),
        }
    }

    fn call<T: serde::de::DeserializeOwned>(
        &self,
        header: &Value,
        body: Option<&[u8]>,
        budget: Duration,
    ) -> Result<T, ValidateError> {
        let mut w = self.take()?;
        let sent = writeln!(w.stdin, "{header}")
            .and_then(|_| body.map_or(Ok(()), |b| w.stdin.write_all(b)))
            .and_then(|_| w.stdin.flush());
        if let Err(e) = sent {
            let ended = w.end();
            return Err(ValidateError::Worker(format!(
                "it stopped reading ({e}; {ended})"
            )));
        }
        let line = match w.answers.recv_timeout(budget) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                w.end();
                return Err(ValidateError::OverBudget(budget));
            }
            Err(RecvTimeoutError::Disconnected) => {
                let ended = w.end();
                return Err(ValidateError::Worker(format!("it ended ({ended})")));
            }
        };
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(w);
        let answer: worker::Answer<T> = serde_json::from_str(&line)
            .map_err(|e| ValidateError::Worker(format!("unreadable answer: {e}")))?;
        match answer {
            worker::Answer::Ok(v) => Ok(v),
            worker::Answer::Error(e) => Err(ValidateError::Refused {
                status: e.status,
                code: e.code,
                message: e.message,
            }),
        }
    }
}

impl Drop for Validator {
    fn drop(&mut self) {
        // Closing a worker's stdin ends it; reap each so none is left behind.
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|p| p.into_inner()));
        for w in idle {
            let Worker {
                mut child, stdin, ..
            } = w;
            drop(stdin);
            let _ = child.wait();
        }
    }
}
