//! Prometheus metrics in the text exposition format (written by hand).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::limits::Gate;

/// Upper bounds (seconds) of the request duration histogram.
const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: BTreeMap<(&'static str, u16), u64>,
    durations: BTreeMap<&'static str, Histogram>,
    verdicts: BTreeMap<&'static str, u64>,
    rejected: BTreeMap<&'static str, u64>,
}

/// Everything `/metrics` shows.
#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
    bytes_received: AtomicU64,
    pub in_flight: AtomicI64,
}

impl Metrics {
    fn counters(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn received(&self, bytes: u64) {
        self.bytes_received.fetch_add(bytes, Ordering::Relaxed);
    }

    /// One finished request; `rejected` is the error code of a 4xx/5xx answer.
    pub fn request(
        &self,
        route: &'static str,
        status: u16,
        took: Duration,
        rejected: Option<&'static str>,
    ) {
        let secs = took.as_secs_f64();
        let mut c = self.counters();
        *c.requests.entry((route, status)).or_default() += 1;
        let h = c.durations.entry(route).or_default();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
        if let Some(code) = rejected {
            *c.rejected.entry(code).or_default() += 1;
        }
    }

    /// A connection closed at once because too many were open.
    pub fn connection_refused(&self) {
        *self
            .counters()
            .rejected
            .entry("too_many_connections")
            .or_default() += 1;
    }

    pub fn verdict(&self, verdict: &'static str) {
        *self.counters().verdicts.entry(verdict).or_default() += 1;
    }

    /// The text exposition format.
    pub fn render(&self, gate: &Gate) -> String {
        let c = self.counters().clone_view();
        let mut out = String::new();
        let w = &mut out;
        head(
            w,
            "provenant_http_requests_total",
            "counter",
            "HTTP requests answered, by route and status.",
        );
        for ((route, status), n) in &c.requests {
            let _ = writeln!(
                w,
                "provenant_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        head(
            w,
            "provenant_http_request_duration_seconds",
            "histogram",
            "Time from the request's headers to its answer, by route.",
        );
        for (route, h) in &c.durations {
            for (le, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    w,
                    "provenant_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {n}"
                );
            }
            let _ = writeln!(
                w,
                "provenant_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                w,
                "provenant_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                w,
                "provenant_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        head(
            w,
            "provenant_http_requests_in_flight",
            "gauge",
            "Requests being answered now.",
        );
        let _ = writeln!(
            w,
            "provenant_http_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        head(
            w,
            "provenant_queue_depth",
            "gauge",
            "Requests waiting for a verification slot.",
        );
        let _ = writeln!(w, "provenant_queue_depth {}", gate.waiting());
        head(
            w,
            "provenant_admitted",
            "gauge",
            "Requests holding an admission slot (reading their body, waiting or running).",
        );
        let _ = writeln!(w, "provenant_admitted {}", gate.admitted());
        head(
            w,
            "provenant_running",
            "gauge",
            "Requests running on a verification slot.",
        );
        let _ = writeln!(w, "provenant_running {}", gate.running());
        head(
            w,
            "provenant_limits",
            "gauge",
            "Configured concurrency and queue length.",
        );
        let _ = writeln!(
            w,
            "provenant_limits{{limit=\"concurrency\"}} {}",
            gate.concurrency
        );
        let _ = writeln!(w, "provenant_limits{{limit=\"queue\"}} {}", gate.queue);
        head(
            w,
            "provenant_verdicts_total",
            "counter",
            "Verification verdicts returned by /v1/verify.",
        );
        for (verdict, n) in &c.verdicts {
            let _ = writeln!(w, "provenant_verdicts_total{{verdict=\"{verdict}\"}} {n}");
        }
        head(
            w,
            "provenant_received_bytes_total",
            "counter",
            "Request body bytes received.",
        );
        let _ = writeln!(
            w,
            "provenant_received_bytes_total {}",
            self.bytes_received.load(Ordering::Relaxed)
        );
        head(
            w,
            "provenant_rejected_total",
            "counter",
            "Requests answered with an error, by error code.",
        );
        for (reason, n) in &c.rejected {
            let _ = writeln!(w, "provenant_rejected_total{{reason=\"{reason}\"}} {n}");
        }
        out
    }
}

impl Counters {
    fn clone_view(&self) -> Counters {
        Counters {
            requests: self.requests.clone(),
            durations: self.durations.clone(),
            verdicts: self.verdicts.clone(),
            rejected: self.rejected.clone(),
        }
    }
}

fn head(w: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(w, "# HELP {name} {help}");
    let _ = writeln!(w, "# TYPE {name} {kind}");
}
