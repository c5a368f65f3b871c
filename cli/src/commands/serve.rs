use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use provenant_core::credentials::verify::VerifyOptions;

use crate::checks::{policy_from, trust_for};
use crate::serve::writers::{parse_hash, Writers};
use crate::serve::{self, limits::parse_size, Settings};
use crate::{config, Exit};

/// Serves the HTTP API for upload pipelines: POST a file's bytes to /v1/verify and get
/// the report JSON; record signed files and look them up in the chronology log;
/// /healthz and Prometheus /metrics.
///
/// Stateless apart from the chronology store, so replicas scale out behind a load
/// balancer. No endpoint takes a URL: the server never fetches anything.
#[derive(Debug, clap::Args)]
#[command(after_help = "Endpoints:\n  \
    POST /v1/verify[?policy=trusted|valid]   body = the file → report JSON (+ passed, reasons)\n  \
    POST /v1/chronology/entries               body = a trusted signed file → logged entry (201);\n  \
                                              needs Authorization: Bearer TOKEN of a writer\n  \
    GET  /v1/chronology/sha256/{hex}          entries with that content hash\n  \
    GET  /v1/chronology/manifest/{hex}        the entry of a manifest id\n  \
    POST /v1/chronology/lookup                body = a picture → exact and perceptual matches\n  \
    GET  /healthz, GET /metrics\n\n\
    Examples:\n  \
    provenant serve --listen 0.0.0.0:8080 --trust keys/root.pem\n  \
    curl --data-binary @photo.jpg http://localhost:8080/v1/verify?policy=trusted")]
pub struct Args {
    /// Address to listen on (port 0 picks a free port; the line `listening on http://…`
    /// on stdout names it).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The chronology store: a SQLite path or a `postgres://user@host:port/db` URL shared
    /// by replicas (default: the default chronology log).
    #[arg(long, value_name = "LOCATION", env = "PROVENANT_LOG")]
    pub log: Option<String>,
    /// PEM file of trust anchors (root certificates); repeatable. Also PROVENANT_TRUST
    /// and the config file, as for `verify`.
    #[arg(long, value_name = "PEM")]
    pub trust: Vec<PathBuf>,
    /// The C2PA trust list, the allowed list, TSA anchors and allowed EKUs.
    #[command(flatten)]
    pub trust_lists: crate::trust::TrustListArgs,
    /// Verifications running at once (default: the number of CPU cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: Option<u32>,
    /// Requests that may wait (or upload their body) beyond those running; more get 503.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub queue: u32,
    /// Time limit per request in seconds, body upload included (504 or 408 beyond).
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Time limit for a request's line and headers in seconds (slow clients are cut off).
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_timeout: u64,
    /// Largest request body (e.g. 64MiB, 500KiB, 1048576); larger gets 413.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    pub max_body: u64,
    /// Open connections at most; more are answered 503 and closed.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Refuse to record entries even when writer tokens are configured (without
    /// writers the server is read-only anyway).
    #[arg(long)]
    pub read_only: bool,
    /// SHA-256 (hex) of a writer's bearer token (from `provenant serve-token`); repeat.
    /// Also the config's `writer_tokens`. Without any, POST /v1/chronology/entries
    /// answers 403: the server records nothing.
    #[arg(long = "writer-token-sha256", value_name = "HEX")]
    pub writer_tokens: Vec<String>,
    /// Least average upload rate in KiB/s once a body has had 5 s: a client trickling
    /// its body slower is cut off (408 body_too_slow) instead of holding a slot for the
    /// whole --timeout. 0: no minimum.
    #[arg(long, value_name = "KIB_PER_S", default_value_t = 16)]
    pub min_upload_rate: u64,
    /// Seconds of C2PA validation one upload may take; its worker process is then killed
    /// and the request answered 422 `over_budget` (a crafted file can make the parser
    /// spin for minutes). Never more than what is left of --timeout. 0: validate in the
    /// server process, bounded only by --timeout (which answers but cannot stop the work).
    #[arg(long, value_name = "SECS", default_value_t = crate::validator::DEFAULT_BUDGET_SECS)]
    pub budget: u64,
    /// Uploads one client address may have in progress at once (more get 429).
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_uploads_per_client: u32,
    /// Most memory decoding one uploaded picture may take, in MiB (lookups and recorded
    /// entries decode pixels; a small compressed file can claim a huge picture). Larger
    /// pictures get 422 `picture_too_large`. At most `--concurrency` decode at once.
    #[arg(long, value_name = "MIB", default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_decode_mib: u64,
    /// Entries each writer token may record per minute (more get 429).
    #[arg(long, value_name = "N", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    pub writes_per_minute: u32,
    /// Print one access-log line per request to stderr.
    #[arg(long)]
    pub access_log: bool,
    /// Let web pages from ORIGIN (e.g. `https://verify.example`, or `*` for any) read the
    /// Soft Binding Resolution API's GET answers (CORS), as the browser verifier's
    /// "look for the original" needs. Off by default: on a private network, `*` would let
    /// any page its users open read the repository.
    #[arg(long, value_name = "ORIGIN", value_parser = parse_origin)]
    pub allow_origin: Option<String>,
    /// Policy file (TOML, see docs/policy.md) that `?policy=` evaluates; the query's
    /// `trusted`/`valid` replaces its required verdict.
    #[arg(long, value_name = "FILE")]
    pub policy_file: Option<PathBuf>,
    #[command(flatten)]
    pub blacklist: crate::blacklist_source::BlacklistArgs,
}

/// The writers: hashed tokens from the flags and the config, none with --read-only.
fn writers(a: &Args, cfg: &config::Config) -> Result<Writers> {
    if a.read_only {
        return Ok(Writers::new(Vec::new(), a.writes_per_minute));
    }
    let mut hashes = Vec::new();
    for text in a.writer_tokens.iter().chain(&cfg.writer_tokens) {
        hashes.push(parse_hash(text).with_context(|| {
            format!("{text:?} is not a writer token's SHA-256 (64 hex digits, from `provenant serve-token`)")
        })?);
    }
    Ok(Writers::new(hashes, a.writes_per_minute))
}

pub fn run(a: Args) -> Result<Exit> {
    let (cfg, _) = config::load_config()?;
    if a.blacklist.blacklist_chain {
        anyhow::bail!("serve reads the blacklist from a signed snapshot: --blacklist FILE --blacklist-key HEX (export one with `provenant blacklist export`)");
    }
    let policy = policy_from(a.policy_file.as_deref(), None, false, &cfg)?;
    let checks = serve::Checks {
        writers: writers(&a, &cfg)?,
        budget: (a.budget > 0).then(|| Duration::from_secs(a.budget)),
        options: VerifyOptions {
            trust: trust_for(&policy, &a.trust, &a.trust_lists, &cfg)?,
            ..Default::default()
        },
        policy: policy.policy,
        blacklist: a.blacklist.load(&cfg, None)?,
    };
    let concurrency = match a.concurrency {
        Some(n) => n as usize,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let store = serve::open_store(a.log.as_deref())?;
    let settings = Settings {
        listen: a.listen,
        concurrency,
        queue: a.queue as usize,
        timeout: Duration::from_secs(a.timeout),
        header_timeout: Duration::from_secs(a.header_timeout),
        max_body: a.max_body,
        max_connections: a.max_connections as usize,
        access_log: a.access_log,
        allow_origin: a.allow_origin,
        min_upload_rate: a.min_upload_rate.saturating_mul(1024),
        uploads_per_client: a.max_uploads_per_client as usize,
        decode_limits: provenant_core::chronology::fingerprint::DecodeLimits {
            max_side: provenant_core::chronology::fingerprint::MAX_SIDE,
            max_alloc: a.max_decode_mib << 20,
        },
    };
    serve::run(settings, checks, store)?;
    Ok(Exit::Pass)
}

/// `*` or a bare `scheme://host[:port]` origin (what browsers send in `Origin`).
fn parse_origin(text: &str) -> Result<String, String> {
    if text == "*" {
        return Ok(text.to_owned());
    }
    let bad = || {
        format!(
            "give an origin such as https://verify.example (scheme, host and port only), or *; got {text:?}"
        )
    };
    let lower = text.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(bad)?;
    let host_ok = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !host_ok {
        return Err(bad());
    }
    Ok(lower)
}
