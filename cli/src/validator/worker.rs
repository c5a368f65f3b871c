//! The worker side: `provenant validate-worker`, started by [`super::Validator`] with
//! pipes on stdin and stdout. Validates one file per request until stdin closes.

use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use provenant_core::credentials::verify::VerifyOptions;
use provenant_core::inspect::Inspection;
use serde::{Deserialize, Serialize};

use super::Init;
use crate::serve::error::ApiError;

/// Largest request body the worker accepts (the callers cap uploads far below it).
const MAX_BODY: usize = 4 << 30;

/// One answer line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Answer<T> {
    /// The result.
    Ok(T),
    /// The file could not be validated.
    Error(Refusal),
}

/// A refusal, as `serve` would answer it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Refusal {
    pub status: u16,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Request {
    InspectFile {
        path: PathBuf,
        proof: Option<PathBuf>,
    },
    InspectBytes {
        len: usize,
    },
    ManifestIds {
        len: usize,
    },
}

/// Runs the worker loop; returns when stdin closes.
pub fn run() -> anyhow::Result<crate::Exit> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut line = String::new();
    input.read_line(&mut line)?;
    let init: Init = serde_json::from_str(&line)?;
    let options = VerifyOptions {
        trust: init.trust,
        ..Default::default()
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let watchdog = Watchdog::start();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(crate::Exit::Pass);
        }
        watchdog.arm(init.budget_ms);
        let request: Request = serde_json::from_str(&line)?;
        let answer = match request {
            Request::InspectFile { path, proof } => answer(
                inspection(&options)
                    .file(&path, proof.as_deref())
                    .map_err(|e| refusal(&e)),
            ),
            Request::InspectBytes { len } => {
                let bytes = body(&mut input, len)?;
                answer(inspection(&options).bytes(&bytes).map_err(|e| refusal(&e)))
            }
            Request::ManifestIds { len } => {
                let bytes = body(&mut input, len)?;
                let ids: Vec<String> = provenant_core::inspect::carried_manifest_ids(&bytes)
                    .iter()
                    .map(hex::encode)
                    .collect();
                answer(Ok(ids))
            }
        };
        watchdog.disarm();
        writeln!(out, "{answer}")?;
        out.flush()?;
    }
}

fn inspection(options: &VerifyOptions) -> Inspection<'_> {
    Inspection {
        options,
        anchors: None,
        blacklist: None,
    }
}

fn body(input: &mut impl Read, len: usize) -> anyhow::Result<Vec<u8>> {
    anyhow::ensure!(len <= MAX_BODY, "request body of {len} bytes refused");
    let mut bytes = vec![0u8; len];
    input.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn refusal(e: &provenant_core::inspect::InspectError) -> Refusal {
    let api = ApiError::from_inspect(e);
    Refusal {
        status: api.status.as_u16(),
        code: api.code.to_owned(),
        message: e.to_string(),
    }
}

fn answer<T: Serialize>(result: Result<T, Refusal>) -> String {
    let a = match result {
        Ok(v) => Answer::Ok(v),
        Err(r) => Answer::Error(r),
    };
    serde_json::to_string(&a).unwrap_or_else(|e| {
        format!(r#"{{"error":{{"status":500,"code":"internal","message":"{e}"}}}}"#)
    })
}

/// If the parent is gone and cannot kill us, we stop ourselves: a watchdog thread ends
/// the process when one request has run for twice the budget plus five seconds.
#[derive(Debug, Clone)]
struct Watchdog(std::sync::Arc<std::sync::Mutex<Option<Instant>>>);

impl Watchdog {
    fn start() -> Self {
        let dog = Self(Default::default());
        let shared = dog.0.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(250));
            let due = *shared.lock().unwrap_or_else(|p| p.into_inner());
            if due.is_some_and(|d| Instant::now() >= d) {
                eprintln!("validate-worker: a file ran far past its budget; stopping");
                std::process::exit(3);
            }
        });
        dog
    }

    fn arm(&self, budget_ms: u64) {
        let grace = Duration::from_millis(budget_ms.saturating_mul(2)) + Duration::from_secs(5);
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + grace);
    }

    fn disarm(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}
