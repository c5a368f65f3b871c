//! Admission, CPU concurrency, body size and time limits.
//!
//! A request that uploads a body first takes a *reading* slot (`--concurrency` +
//! `--queue` of them; none free → 503; at most `--max-uploads-per-client` per client
//! address → 429) while its body arrives, at `--min-upload-rate` or faster after a short
//! grace (a trickling client is cut off with 408, not held for the whole timeout). Only
//! once the body is in does it take an *admission* slot (as many; none free → 503), so
//! slow uploads never hold the queue, and at most twice that many bodies are in memory.
//! It then waits for one of `--concurrency` *CPU* permits and runs on a blocking thread.
//! Admission and CPU permits are held until the blocking work ends, even when the
//! request has already timed out, so a timeout never lets more work run than allowed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use http_body_util::BodyExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::error::ApiError;
use super::metrics::Metrics;

/// The admission and CPU gates.
#[derive(Debug)]
pub struct Gate {
    reading: Arc<Semaphore>,
    /// Uploads being read, per client address.
    clients: Mutex<HashMap<IpAddr, usize>>,
    /// Most uploads one client address may have being read at once.
    pub per_client: usize,
    admit: Arc<Semaphore>,
    cpu: Arc<Semaphore>,
    pub concurrency: usize,
    pub queue: usize,
    /// Requests waiting for a CPU permit.
    waiting: AtomicI64,
}

/// Decrements a gauge when dropped (also when the future is cancelled).
#[derive(Debug)]
pub struct GaugeGuard<'a>(&'a AtomicI64);

impl<'a> GaugeGuard<'a> {
    pub fn new(g: &'a AtomicI64) -> Self {
        g.fetch_add(1, Ordering::Relaxed);
        Self(g)
    }
}

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Gate {
    pub fn new(concurrency: usize, queue: usize, per_client: usize) -> Self {
        Self {
            reading: Arc::new(Semaphore::new(concurrency + queue)),
            clients: Mutex::new(HashMap::new()),
            per_client,
            admit: Arc::new(Semaphore::new(concurrency + queue)),
            cpu: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            queue,
            waiting: AtomicI64::new(0),
        }
    }

    /// A slot to read one upload of `client` in: 429 past the client's cap, 503 when
    /// every slot is taken.
    pub fn begin_read(&self, client: IpAddr) -> Result<Reading<'_>, ApiError> {
        {
            let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
            let n = clients.entry(client).or_insert(0);
            if *n >= self.per_client {
                return Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_uploads",
                    format!(
                        "this client already has {} uploads in progress",
                        self.per_client
                    ),
                ));
            }
            *n += 1;
        }
        let mut reading = Reading {
            gate: self,
            client,
            _slot: None,
        };
        reading._slot = Some(
            self.reading
                .clone()
                .try_acquire_owned()
                .map_err(|_| ApiError::overloaded())?,
        );
        Ok(reading)
    }

    /// An admission slot, or 503 when every slot is taken.
    pub fn admit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.admit
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::overloaded())
    }

    /// Requests admitted (reading their body, waiting or running).
    pub fn admitted(&self) -> usize {
        let slots = self.concurrency + self.queue;
        slots.saturating_sub(self.admit.available_permits())
            + slots.saturating_sub(self.reading.available_permits())
    }

    /// Requests running on a blocking thread.
    pub fn running(&self) -> usize {
        self.concurrency
            .saturating_sub(self.cpu.available_permits())
    }

    /// Requests waiting for a CPU permit.
    pub fn waiting(&self) -> i64 {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Runs CPU-bound `work` on a blocking thread once a CPU permit is free; 504 at
    /// `deadline`.
    pub async fn run<T, F>(
        &self,
        admission: OwnedSemaphorePermit,
        deadline: Instant,
        work: F,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let cpu = {
            let _waiting = GaugeGuard::new(&self.waiting);
            match tokio::time::timeout_at(deadline, self.cpu.clone().acquire_owned()).await {
                Ok(Ok(p)) => p,
                Ok(Err(_)) => return Err(ApiError::internal("the server is shutting down")),
                Err(_) => return Err(ApiError::timeout()),
            }
        };
        let handle = tokio::task::spawn_blocking(move || {
            let _held = (cpu, admission);
            work()
        });
        match tokio::time::timeout_at(deadline, handle).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(_)) => Err(ApiError::internal("the worker failed")),
            Err(_) => Err(ApiError::timeout()),
        }
    }
}

/// An upload being read: its reading slot and its place in its client's count.
#[derive(Debug)]
pub struct Reading<'a> {
    gate: &'a Gate,
    client: IpAddr,
    _slot: Option<OwnedSemaphorePermit>,
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        let mut clients = self.gate.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = clients.get_mut(&self.client) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                clients.remove(&self.client);
            }
        }
    }
}

/// How long a body may arrive slower than the minimum rate before it is held to it.
pub const UPLOAD_GRACE: Duration = Duration::from_secs(5);

/// Refuses a declared Content-Length above `max` before anything is read.
pub fn check_declared_length(headers: &HeaderMap, max: u64) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::CONTENT_LENGTH) else {
        return Ok(None);
    };
    let len: u64 = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_content_length",
                "the Content-Length header is not a number",
            )
        })?;
    if len > max {
        return Err(ApiError::too_large(max));
    }
    if len == 0 {
        return Err(ApiError::empty());
    }
    Ok(Some(len))
}

/// Reads the body, never holding more than `max` bytes; 413 beyond it, 408 when the
/// client is still sending at `deadline`, or after [`UPLOAD_GRACE`] has sent less than
/// `min_rate` bytes a second on average (0: no minimum).
pub async fn read_body(
    mut body: Body,
    declared: Option<u64>,
    max: u64,
    (deadline, min_rate): (Instant, u64),
    metrics: &Metrics,
) -> Result<Vec<u8>, ApiError> {
    let start = declared.unwrap_or(64 * 1024).min(max);
    let mut buf = Vec::with_capacity(usize::try_from(start).unwrap_or(0));
    let began = Instant::now();
    loop {
        // By when the bytes so far must have been followed by more.
        let owed = match min_rate {
            0 => deadline,
            rate => began + UPLOAD_GRACE + Duration::from_secs_f64(buf.len() as f64 / rate as f64),
        };
        let frame = match tokio::time::timeout_at(owed.min(deadline), body.frame()).await {
            Err(_) if owed < deadline => {
                return Err(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "body_too_slow",
                    format!("the body arrives slower than {min_rate} bytes a second"),
                ))
            }
            Err(_) => {
                return Err(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "body_timeout",
                    "the body did not arrive within the time limit",
                ))
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "body_read",
                    format!("cannot read the body: {e}"),
                ))
            }
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            metrics.received(data.len() as u64);
            if (buf.len() + data.len()) as u64 > max {
                return Err(ApiError::too_large(max));
            }
            buf.extend_from_slice(&data);
        }
    }
    if buf.is_empty() {
        return Err(ApiError::empty());
    }
    Ok(buf)
}

/// Parses sizes such as `65536`, `64KiB`, `64MiB`, `1GiB` (also K/M/G, KB/MB/GB as
/// binary units).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 64MiB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("`{text}`: unknown unit (use KiB, MiB or GiB)")),
    };
    n.checked_mul(mult)
        .filter(|&v| v > 0)
        .ok_or_else(|| format!("`{text}` is not a usable size"))
}

/// How long a graceful shutdown waits for requests in flight.
pub fn grace(timeout: Duration) -> Duration {
    timeout.min(Duration::from_secs(30)) + Duration::from_secs(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("2k"), Ok(2048));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("").is_err());
    }
}
