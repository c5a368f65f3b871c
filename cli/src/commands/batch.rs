//! `provenant batch`: verifies many files on every core and streams one JSON line per
//! file. Walker → bounded channel → worker threads → bounded channel → writer, so
//! memory does not grow with the number of files (no list of paths or reports is kept).

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Result;
use provenant_core::credentials::verify::VerifyOptions;
use serde_json::{json, Value};

use provenant_core::inspect::Inspection;
use provenant_core::policy::Policy;

use crate::checks::{policy_from, trust_for, Checks};
use crate::network::NetworkArgs;
use crate::validator::Validator;
use crate::{config, Exit};

/// Verifies every file under the given paths on all cores and prints one JSON line
/// per file as it finishes (stdout stays pure JSON Lines), then a summary.
///
/// PATH may be a file, a directory (walked recursively in name order; symlinked
/// directories are followed but never into a loop), `@LIST` (a file naming one path
/// per line) or `-` (paths on stdin, one per line). Bad files are reported and skipped.
///
/// Each line: {"path", "status": "pass"|"fail"|"error", "exit": 0|1|2, "verdict",
/// "reasons": [why it fails the policy], "report": {as `verify --json`}}, or for a file
/// that could not be read {"path", "status": "error", "exit": 2, "error": "message"}
/// (schema: docs/batch-line.schema.json).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The summary (counts per verdict and per code, speed) goes to stderr \
    as text; with --summary-json it is also printed as the last stdout line \
    {\"summary\": {...}}. A progress bar is shown on stderr when it is a terminal.\n\n\
    Exit codes: 0 = every file passes the policy, 1 = some file fails it, 2 = some file \
    could not be read, or bad arguments/policy (the worst code wins).\n\nExamples:\n  \
    provenant batch photos/ --trust keys/root.pem > results.jsonl\n  \
    find . -name '*.jpg' | provenant batch - --policy-file policy.toml\n  \
    provenant batch @list.txt --jobs 4 --summary-json | tail -n1"
)]
pub struct Args {
    /// Files, directories, @LIST files, or `-` for paths on stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Policy file (TOML, see docs/policy.md). Default: trusted signers required.
    #[arg(long, value_name = "FILE")]
    pub policy_file: Option<PathBuf>,
    /// PEM file of trust anchors (root certificates); repeatable.
    #[arg(long, value_name = "PEM")]
    pub trust: Vec<PathBuf>,
    /// The C2PA trust list, the allowed list, TSA anchors and allowed EKUs.
    #[command(flatten)]
    pub trust_lists: crate::trust::TrustListArgs,
    /// Worker threads (default: the number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<std::num::NonZeroUsize>,
    /// Files larger than this many MiB are refused (an error line, exit 2).
    #[arg(long, value_name = "MIB", default_value_t = 256)]
    pub max_size: u64,
    /// Seconds of validation each file may take before its worker process is killed and
    /// the file reported as an error (a crafted file can make the C2PA parser spin for
    /// minutes). 0 validates in this process, without a budget.
    #[arg(long, value_name = "SECS", default_value_t = crate::validator::DEFAULT_BUDGET_SECS)]
    pub budget: u64,
    /// Lists (`-` and `@LIST`) are NUL-separated, as `find -print0` writes them, so a
    /// file name holding a newline cannot smuggle in another path.
    #[arg(long = "null", short = '0')]
    pub null: bool,
    /// Also print the summary as the last stdout line (JSON).
    #[arg(long)]
    pub summary_json: bool,
    /// No progress bar and no text summary on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Fail unless the newest step of each file is anchored (needs --chain or --rpc).
    #[arg(long)]
    pub require_anchor: bool,
    /// Check anchors against this chain (as `verify`).
    #[command(flatten)]
    pub chain: NetworkArgs,
    /// Registry contract you trust on that chain (as `verify`).
    #[arg(long, value_name = "ADDRESS", env = "PROVENANT_REGISTRY")]
    pub registry: Vec<String>,
    /// The camera/certificate blacklist to check against (as `verify`).
    #[command(flatten)]
    pub blacklist: crate::blacklist_source::BlacklistArgs,
}

/// What the walker hands to the workers.
enum Job {
    File(PathBuf),
    /// A path that could not be walked or read as a list.
    Error(String, String),
}

/// What a worker hands to the writer.
struct Done {
    line: String,
    exit: Exit,
    verdict: Option<String>,
    codes: Vec<String>,
}

pub fn run(a: Args) -> Result<Exit> {
    let (cfg, _) = config::load_config()?;
    let policy = policy_from(a.policy_file.as_deref(), None, a.require_anchor, &cfg)?;
    let options = VerifyOptions {
        trust: trust_for(&policy, &a.trust, &a.trust_lists, &cfg)?,
        ..Default::default()
    };
    if policy.policy.require_anchor && !a.chain.given() {
        anyhow::bail!(
            "require_anchor needs a chain to check against: add --chain (polygon, amoy or an RPC URL) or --rpc URL"
        );
    }
    if a.paths.iter().filter(|p| *p == "-").count() > 1 {
        anyhow::bail!("`-` (paths on stdin) can be given once");
    }
    let checks = Checks::load(&a.chain, &a.registry, &a.blacklist, &cfg)?;
    if checks.blacklist.is_none() && policy.policy.reject_blacklisted && !a.quiet {
        eprintln!(
            "note: no blacklist given (--blacklist FILE --blacklist-key HEX, or --blacklist-chain): cameras and certificates are not checked"
        );
    }
    let started = Instant::now();
    let progress = (!a.quiet && std::io::stderr().is_terminal()).then(spinner);
    let (summary, broken_pipe) = pipeline(&a, &policy.policy, &options, &checks, progress.as_ref());
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let seconds = started.elapsed().as_secs_f64();
    if !a.quiet {
        eprint!("{}", summary.text(seconds));
    }
    if a.summary_json && !broken_pipe {
        println!("{}", summary.json(seconds));
    }
    Ok(summary.worst)
}

fn spinner() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {pos} files  {per_sec}  {elapsed}  {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Walker → workers → writer; returns the summary and whether stdout was closed.
fn pipeline(
    a: &Args,
    policy: &Policy,
    options: &VerifyOptions,
    checks: &Checks,
    progress: Option<&indicatif::ProgressBar>,
) -> (Summary, bool) {
    let jobs = a
        .jobs
        .map(|n| n.get())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let max_bytes = a.max_size.saturating_mul(1024 * 1024);
    let validator = validator_for(a.budget, options);
    let validator = validator.as_ref();
    let (job_tx, job_rx) = sync_channel::<Job>(jobs * 4);
    let (done_tx, done_rx) = sync_channel::<Done>(jobs * 4);
    let job_rx = Mutex::new(job_rx);
    let mut summary = Summary::default();
    let mut broken_pipe = false;
    std::thread::scope(|s| {
        let paths = &a.paths;
        let null = a.null;
        s.spawn(move || walk_all(paths, null, &job_tx));
        for _ in 0..jobs {
            let done_tx = done_tx.clone();
            let job_rx = &job_rx;
            let anchors = checks.anchors(false, false);
            // Each worker checks with its own copy (checking caches per-day keys).
            let mut blacklist = checks.blacklist.clone();
            s.spawn(move || loop {
                let job = match job_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok(job) = job else { return };
                let mut inspection = Inspection {
                    options,
                    anchors: anchors.as_ref(),
                    blacklist: blacklist.as_mut(),
                };
                if done_tx
                    .send(check(job, policy, &mut inspection, validator, max_bytes))
                    .is_err()
                {
                    return;
                }
            });
        }
        drop(done_tx);
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        for done in done_rx.iter() {
            summary.add(&done);
            // Flush per line: lines stream as files finish.
            if !broken_pipe
                && writeln!(out, "{}", done.line)
                    .and_then(|_| out.flush())
                    .is_err()
            {
                broken_pipe = true;
            }
            if let Some(bar) = progress {
                bar.inc(1);
                bar.set_message(format!(
                    "pass {} fail {} error {}",
                    summary.pass, summary.fail, summary.error
                ));
            }
        }
    });
    (summary, broken_pipe)
}

/// Worker processes held to `budget` seconds a file (0: none, validate in process).
fn validator_for(budget: u64, options: &VerifyOptions) -> Option<Validator> {
    if budget == 0 {
        return None;
    }
    match Validator::new(options, std::time::Duration::from_secs(budget)) {
        Ok(v) => Some(v),
        Err(e) => {
            eprintln!("warning: {e:#}; validating in this process, without a budget");
            None
        }
    }
}

/// Verifies one file and builds its line.
fn check(
    job: Job,
    policy: &Policy,
    inspection: &mut Inspection<'_>,
    validator: Option<&Validator>,
    max_bytes: u64,
) -> Done {
    let (path, result) = match job {
        Job::Error(path, e) => (path, Err(anyhow::anyhow!(e))),
        Job::File(path) => {
            let r = too_big(&path, max_bytes).and_then(|_| match validator {
                Some(v) => {
                    let mut report = v
                        .inspect_file(&path, None)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", crate::shown(&path)))?;
                    inspection.complete(&mut report)?;
                    Ok(report)
                }
                None => Ok(inspection.file(&path, None)?),
            });
            (path.display().to_string(), r)
        }
    };
    match result {
        Err(e) => Done {
            line: json!({"path": path, "status": "error", "exit": 2, "error": format!("{e:#}")})
                .to_string(),
            exit: Exit::CouldNotRun,
            verdict: None,
            codes: Vec::new(),
        },
        Ok(mut report) => {
            report.file = Some(path.clone());
            let reasons = policy.evaluate(&report).messages();
            let (status, exit) = if reasons.is_empty() {
                ("pass", Exit::Pass)
            } else {
                ("fail", Exit::PolicyFail)
            };
            let verdict = report.verdict.as_str().to_owned();
            let mut codes: Vec<String> = report.codes.iter().map(|c| c.code.clone()).collect();
            codes.sort();
            codes.dedup();
            let line = json!({
                "path": path,
                "status": status,
                "exit": exit as u8,
                "verdict": verdict,
                "reasons": reasons,
                "report": serde_json::to_value(&report).unwrap_or(Value::Null),
            });
            Done {
                line: line.to_string(),
                exit,
                verdict: Some(verdict),
                codes,
            }
        }
    }
}

fn too_big(path: &Path, max_bytes: u64) -> Result<()> {
    let meta = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", crate::shown(path)))?;
    if meta.is_file() && meta.len() > max_bytes {
        anyhow::bail!(
            "{} is {} MiB, larger than --max-size {} MiB",
            crate::shown(path),
            meta.len() >> 20,
            max_bytes >> 20
        );
    }
    Ok(())
}

/// Sends every file under `paths`, in order. Stops early when the workers are gone.
fn walk_all(paths: &[String], null: bool, tx: &SyncSender<Job>) {
    for p in paths {
        let ok = if p == "-" {
            list(std::io::stdin().lock(), "stdin", null, tx)
        } else if let Some(list_path) = p.strip_prefix('@') {
            match std::fs::File::open(list_path) {
                Ok(f) => list(std::io::BufReader::new(f), list_path, null, tx),
                Err(e) => tx
                    .send(Job::Error(
                        p.clone(),
                        format!("cannot read list {list_path}: {e}"),
                    ))
                    .is_ok(),
            }
        } else {
            walk(Path::new(p), true, &mut Vec::new(), tx)
        };
        if !ok {
            return;
        }
    }
}

/// Paths one per line (blank lines skipped), or NUL-separated with `null` (taken as
/// they are, any byte but NUL allowed); each is walked like an argument.
fn list(mut reader: impl BufRead, name: &str, null: bool, tx: &SyncSender<Job>) -> bool {
    let separator = if null { b'\0' } else { b'\n' };
    let mut item = Vec::new();
    for n in 1.. {
        item.clear();
        match reader.read_until(separator, &mut item) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) => {
                return tx
                    .send(Job::Error(
                        format!("{name}:{n}"),
                        format!("cannot read {name}: {e}"),
                    ))
                    .is_ok()
            }
        }
        if item.last() == Some(&separator) {
            item.pop();
        }
        if !null {
            if item.last() == Some(&b'\r') {
                item.pop();
            }
            if item.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
        } else if item.is_empty() {
            continue;
        }
        if !walk(&path_of(&item), true, &mut Vec::new(), tx) {
            return false;
        }
    }
    true
}

/// A path from a list's bytes (any bytes on Unix; UTF-8, lossily, elsewhere).
#[cfg(unix)]
fn path_of(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}
#[cfg(not(unix))]
fn path_of(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// Identity of a directory, to refuse walking into one of its own ancestors.
#[cfg(unix)]
fn dir_id(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}
#[cfg(not(unix))]
fn dir_id(_: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// Sends a file, or the files of a directory recursively in name order. `ancestors`
/// holds the directories being walked (symlink loops are skipped). Returns false when
/// the receiving side has gone. Inside directories only files with a media extension
/// (jpg, png, webp, gif, tif, avif, heic, mp4, …) are taken; named files always are.
fn walk(path: &Path, named: bool, ancestors: &mut Vec<(u64, u64)>, tx: &SyncSender<Job>) -> bool {
    let shown = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        // Missing files are reported by the worker with verify's message.
        Err(_) if !named => return true,
        Err(_) => return tx.send(Job::File(path.to_owned())).is_ok(),
    };
    if !meta.is_dir() {
        let media = path
            .extension()
            .and_then(|e| e.to_str())
            .and_then(provenant_core::MediaFormat::from_extension)
            .is_some();
        if !named && !media {
            return true;
        }
        return tx.send(Job::File(path.to_owned())).is_ok();
    }
    let id = dir_id(&meta);
    if cfg!(unix) && ancestors.contains(&id) {
        return true; // a symlink back into a directory being walked
    }
    let entries = match std::fs::read_dir(path) {
        Ok(rd) => rd,
        Err(e) => {
            return tx
                .send(Job::Error(shown, format!("cannot read directory: {e}")))
                .is_ok()
        }
    };
    // One directory's names at a time (bounded by the directory, not the total).
    let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    names.sort();
    ancestors.push(id);
    for child in names {
        if !walk(&child, false, ancestors, tx) {
            return false;
        }
    }
    ancestors.pop();
    true
}

/// Running counts; only the distinct verdicts and codes are kept.
#[derive(Debug, Default)]
struct Summary {
    files: u64,
    pass: u64,
    fail: u64,
    error: u64,
    verdicts: BTreeMap<String, u64>,
    codes: BTreeMap<String, u64>,
    worst: Exit,
}

impl Summary {
    fn add(&mut self, d: &Done) {
        self.files += 1;
        match d.exit {
            Exit::Pass => self.pass += 1,
            Exit::PolicyFail => self.fail += 1,
            Exit::CouldNotRun => self.error += 1,
        }
        self.worst = self.worst.max(d.exit);
        if let Some(v) = &d.verdict {
            *self.verdicts.entry(v.clone()).or_default() += 1;
        }
        for c in &d.codes {
            *self.codes.entry(c.clone()).or_default() += 1;
        }
    }

    fn rate(&self, seconds: f64) -> f64 {
        if seconds > 0.0 {
            self.files as f64 / seconds
        } else {
            0.0
        }
    }

    fn json(&self, seconds: f64) -> String {
        json!({"summary": {
            "files": self.files,
            "pass": self.pass,
            "fail": self.fail,
            "error": self.error,
            "verdicts": self.verdicts,
            "codes": self.codes,
            "seconds": (seconds * 1000.0).round() / 1000.0,
            "files_per_second": (self.rate(seconds) * 10.0).round() / 10.0,
        }})
        .to_string()
    }

    fn text(&self, seconds: f64) -> String {
        let mut s = format!(
            "{} files in {:.1} s ({:.1} files/s): {} pass, {} fail, {} error\n",
            self.files,
            seconds,
            self.rate(seconds),
            self.pass,
            self.fail,
            self.error
        );
        if !self.verdicts.is_empty() {
            let v: Vec<String> = self
                .verdicts
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            s.push_str(&format!("verdicts: {}\n", v.join(", ")));
        }
        if !self.codes.is_empty() {
            let c: Vec<String> = self.codes.iter().map(|(k, n)| format!("{k} {n}")).collect();
            s.push_str(&format!("codes (files): {}\n", c.join(", ")));
        }
        s
    }
}
