//! `provenant serve`: the HTTP API for upload pipelines.
//!
//! Stateless apart from the chronology store: any number of replicas can run behind
//! a load balancer over one store. No endpoint takes a URL and nothing here fetches
//! one (verification runs with proof fetching off).

pub mod error;
pub mod limits;
pub mod metrics;
pub mod routes;
pub mod sbr;
pub mod writers;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use hyper_util::rt::{TokioIo, TokioTimer};
use provenant_core::chronology::Log;
use provenant_core::credentials::verify::VerifyOptions;

/// What the server was started with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: String,
    pub concurrency: usize,
    pub queue: usize,
    pub timeout: Duration,
    pub header_timeout: Duration,
    pub max_body: u64,
    pub max_connections: usize,
    pub access_log: bool,
    /// Least average upload rate (bytes a second) after the grace; 0: none.
    pub min_upload_rate: u64,
    /// Most uploads one client address may have in progress.
    pub uploads_per_client: usize,
    /// How much decoding one uploaded picture may take (lookup, recording).
    pub decode_limits: provenant_core::chronology::fingerprint::DecodeLimits,
    /// The origin web pages may read the Soft Binding Resolution API from (CORS); none
    /// by default.
    pub allow_origin: Option<String>,
}

/// Shared by every request.
#[derive(Debug)]
pub struct AppState {
    pub settings: Settings,
    pub verify_options: VerifyOptions,
    /// Validation in worker processes held to a per-file budget (none: in process).
    pub validator: Option<crate::validator::Validator>,
    /// What `?policy=` evaluates (its verdict replaced by the query's).
    pub policy: provenant_core::policy::Policy,
    /// Applied to every report, as `verify --blacklist` does. Checking caches per-day
    /// keys, so one check at a time.
    pub blacklist: Option<Mutex<provenant_core::blacklist::Blacklist>>,
    /// Who may record entries (none: read-only).
    pub writers: writers::Writers,
    /// `Log` is `Send` but not `Sync`: one connection, used from blocking threads.
    pub store: Mutex<Log>,
    pub gate: limits::Gate,
    pub metrics: metrics::Metrics,
}

/// The peer's address, put on each request for the access log.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// Opens the chronology store: `location` (a SQLite path or a `postgres://` URL, see
/// [`Log::connect`]), else the default log (`$PROVENANT_LOG`, else the SQLite file in
/// the data directory).
pub fn open_store(location: Option<&str>) -> Result<Log> {
    match location {
        // The error names the store itself (a URL without its password).
        Some(loc) => Log::connect(loc).context("cannot open the chronology store"),
        None => Log::open_default().context("cannot open the default chronology log"),
    }
}

/// Runs the server until SIGTERM or ctrl-c.
/// What every verification of the server applies.
#[derive(Debug)]
pub struct Checks {
    pub writers: writers::Writers,
    /// Per-file validation budget (none: validate in process, unbounded).
    pub budget: Option<Duration>,
    pub options: VerifyOptions,
    pub policy: provenant_core::policy::Policy,
    pub blacklist: Option<provenant_core::blacklist::Blacklist>,
}

pub fn run(settings: Settings, checks: Checks, store: Log) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(settings.concurrency + 8)
        .build()
        .context("cannot start the async runtime")?;
    let state = Arc::new(AppState {
        gate: limits::Gate::new(
            settings.concurrency,
            settings.queue,
            settings.uploads_per_client,
        ),
        settings,
        validator: match checks.budget {
            Some(b) => Some(crate::validator::Validator::new(&checks.options, b)?),
            None => None,
        },
        verify_options: checks.options,
        policy: checks.policy,
        blacklist: checks.blacklist.map(Mutex::new),
        writers: checks.writers,
        store: Mutex::new(store),
        metrics: metrics::Metrics::default(),
    });
    runtime.block_on(serve(state))
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The whole answer to a connection past `--max-connections`.
fn too_many_connections() -> Vec<u8> {
    let body = serde_json::json!({ "error": {
        "code": "too_many_connections",
        "message": "too many open connections; retry later",
    }})
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
         Retry-After: 1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn serve(state: Arc<AppState>) -> Result<()> {
    let listen = &state.settings.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let local = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{local}")?;
        out.flush()?;
    }
    let app = routes::router(state.clone());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        // Slowloris: the request line and headers must arrive within this time.
        .header_read_timeout(state.settings.header_timeout)
        .max_buf_size(64 * 1024);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let connections = Arc::new(tokio::sync::Semaphore::new(state.settings.max_connections));
    let refusal = too_many_connections();
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        eprintln!("warning: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(slot) = connections.clone().try_acquire_owned() else {
                    // Past the cap: a short answer and close, without reading anything.
                    state.metrics.connection_refused();
                    let _ = stream.try_write(&refusal);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(Peer(peer));
                    let mut app = app.clone();
                    async move { tower_service::Service::call(&mut app, req).await }
                });
                let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    let _ = conn.await;
                    drop(slot);
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    eprintln!("shutting down: finishing requests in flight");
    let grace = limits::grace(state.settings.timeout);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(grace) => {
            eprintln!("warning: requests still running after {} s were cut off", grace.as_secs());
        }
    }
    Ok(())
}
