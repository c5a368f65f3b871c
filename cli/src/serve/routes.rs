//! The endpoints.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant as StdInstant;

use axum::body::Body;
use axum::extract::{MatchedPath, Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use provenant_core::chronology::fingerprint::{self, MATCH_DISTANCE};
use provenant_core::chronology::{Entry, Log};
use provenant_core::credentials::verify::verify_bytes;
use provenant_core::Verdict;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;

use super::error::{ApiError, ErrorCode};
use super::limits::{check_declared_length, read_body, GaugeGuard};
use super::{AppState, Peer};
use crate::Policy;

pub(super) type Shared = Arc<AppState>;

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/v1/verify", post(verify))
        .route("/v1/chronology/entries", post(record))
        .route("/v1/chronology/sha256/{hex}", get(by_sha256))
        .route("/v1/chronology/manifest/{hex}", get(by_manifest))
        .route("/v1/chronology/lookup", post(lookup))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(super::sbr::routes().layer(middleware::from_fn_with_state(
            state.clone(),
            super::sbr::cors,
        )))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// The route label of a matched path (a fixed set, so metrics stay bounded).
fn route_label(path: Option<&MatchedPath>) -> &'static str {
    match path.map(MatchedPath::as_str) {
        Some("/v1/verify") => "/v1/verify",
        Some("/v1/chronology/entries") => "/v1/chronology/entries",
        Some("/v1/chronology/sha256/{hex}") => "/v1/chronology/sha256/{hex}",
        Some("/v1/chronology/manifest/{hex}") => "/v1/chronology/manifest/{hex}",
        Some("/v1/chronology/lookup") => "/v1/chronology/lookup",
        Some("/healthz") => "/healthz",
        Some("/metrics") => "/metrics",
        Some(other) => super::sbr::route_label(other).unwrap_or("other"),
        None => "other",
    }
}

/// Metrics and the access log for every request.
async fn observe(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let started = StdInstant::now();
    let route = route_label(req.extensions().get::<MatchedPath>());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let peer = req.extensions().get::<Peer>().map(|p| p.0);
    // A guard: a client that hangs up drops this future half-way.
    let in_flight = GaugeGuard::new(&st.metrics.in_flight);
    let response = next.run(req).await;
    drop(in_flight);
    let took = started.elapsed();
    let status = response.status();
    let code = response.extensions().get::<ErrorCode>().map(|c| c.0);
    st.metrics.request(route, status.as_u16(), took, code);
    if st.settings.access_log {
        let peer = peer.map_or_else(|| "-".to_owned(), |p: SocketAddr| p.to_string());
        eprintln!(
            "{} {peer} {method} {} {} {:.1}ms{}",
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            crate::render::clean(&path),
            status.as_u16(),
            took.as_secs_f64() * 1000.0,
            code.map(|c| format!(" {c}")).unwrap_or_default()
        );
    }
    response
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no_route", "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method",
    )
}

pub(super) fn query<T: for<'de> Deserialize<'de> + Default>(
    raw: Option<String>,
) -> Result<T, ApiError> {
    match raw {
        None => Ok(T::default()),
        Some(q) => serde_urlencoded::from_str(&q).map_err(ApiError::bad_query),
    }
}

/// A body admitted and read within the limits, with the request's deadline.
pub(super) struct Upload {
    pub(super) bytes: Vec<u8>,
    pub(super) admission: OwnedSemaphorePermit,
    pub(super) deadline: Instant,
}

pub(super) async fn upload(
    st: &AppState,
    peer: Option<Peer>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Upload, ApiError> {
    let deadline = Instant::now() + st.settings.timeout;
    let max = st.settings.max_body;
    let declared = check_declared_length(headers, max)?;
    let client = peer.map_or(std::net::IpAddr::from([0, 0, 0, 0]), |p| p.0.ip());
    let reading = st.gate.begin_read(client)?;
    let limits = (deadline, st.settings.min_upload_rate);
    let bytes = read_body(body, declared, max, limits, &st.metrics).await?;
    drop(reading);
    // Admitted once the body is in: slow uploads never hold the queue.
    let admission = st.gate.admit()?;
    Ok(Upload {
        bytes,
        admission,
        deadline,
    })
}

pub(super) fn lock(st: &AppState) -> std::sync::MutexGuard<'_, Log> {
    st.store.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyQuery {
    policy: Option<Policy>,
}

/// The C2PA half of a check of an upload: in a worker process held to the budget (and
/// to what is left of the request's time) when the server has one, else here.
fn validate(
    state: &AppState,
    bytes: &[u8],
    deadline: tokio::time::Instant,
) -> Result<provenant_core::Report, ApiError> {
    match &state.validator {
        Some(v) => v
            .inspect_bytes(bytes, remaining(deadline))
            .map_err(|e| ApiError::from_validate(&e)),
        None => verify_bytes(bytes, &state.verify_options).map_err(|e| ApiError::from_verify(&e)),
    }
}

fn remaining(deadline: tokio::time::Instant) -> std::time::Duration {
    deadline.saturating_duration_since(tokio::time::Instant::now())
}

/// POST /v1/verify: the report, exactly as `provenant verify --json` prints it.
async fn verify(
    State(st): State<Shared>,
    peer: Option<axum::Extension<Peer>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let q: VerifyQuery = query(raw)?;
    let up = upload(&st, peer.map(|p| p.0), &headers, body).await?;
    let bytes = up.bytes;
    let state = st.clone();
    let report = st
        .gate
        .run(up.admission, up.deadline, move || {
            let mut report = validate(&state, &bytes, up.deadline)?;
            // The blacklist is checked under its lock (it caches per-day keys), after
            // the verification, so verifications still run side by side.
            if let Some(list) = &state.blacklist {
                list.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .apply(&mut report);
            }
            Ok(report)
        })
        .await??;
    st.metrics.verdict(report.verdict.as_str());
    let mut v = serde_json::to_value(&report).map_err(|e| ApiError::internal(e.to_string()))?;
    if let (Some(require), Some(obj)) = (q.policy, v.as_object_mut()) {
        let policy = provenant_core::policy::Policy {
            require: require.into(),
            ..st.policy.clone()
        };
        let evaluation = policy.evaluate(&report);
        obj.insert("passed".into(), Value::Bool(evaluation.passed));
        obj.insert("reasons".into(), json!(evaluation.messages()));
    }
    Ok(Json(v).into_response())
}

/// An entry as the API shows it: hashes in hex, batch state, and the proof bundle
/// (base64) once its batch is on a chain.
fn entry_json(log: &Log, e: &Entry) -> Result<Value, ApiError> {
    let batch = match e.batch_id {
        Some(id) => log.batch(id).map_err(ApiError::store)?,
        None => None,
    };
    let proof = log
        .bundle(e)
        .map_err(ApiError::store)?
        .map(|b| base64::engine::general_purpose::STANDARD.encode(b.encode()));
    let anchor = match &batch {
        None => json!({ "status": "pending" }),
        Some(b) => json!({
            "status": b.state.as_str(),
            "batch": b.id,
            "leaf_index": e.leaf_index,
            "root": hex::encode(b.root),
            "chain_id": b.chain_id,
            "registry": b.registry.map(|r| format!("0x{}", hex::encode(r))),
            "tx_hash": b.tx_hash.map(|h| format!("0x{}", hex::encode(h))),
            "block_number": b.block_number,
            "block_time": b.block_time,
        }),
    };
    Ok(json!({
        "id": e.id,
        "content_sha256": hex::encode(e.leaf.content_sha256),
        "manifest_id": hex::encode(e.leaf.manifest_id),
        "manifest": e.manifest_label,
        "phash": fingerprint::PerceptualHash(e.leaf.phash).to_string(),
        "signer": e.signer,
        "published_at": e.published_at,
        "logged_at": e.leaf.logged_at,
        "anchor": anchor,
        "proof": proof,
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordQuery {
    published_at: Option<String>,
}

/// POST /v1/chronology/entries: verify a signed file and log it as `sign` does.
async fn record(
    State(st): State<Shared>,
    peer: Option<axum::Extension<Peer>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // Who and how often, before a byte of the body is read.
    st.writers.admit(&headers)?;
    let q: RecordQuery = query(raw)?;
    let up = upload(&st, peer.map(|p| p.0), &headers, body).await?;
    let bytes = up.bytes;
    let state = st.clone();
    let (status, v) = st
        .gate
        .run(up.admission, up.deadline, move || {
            let report = validate(&state, &bytes, up.deadline)?;
            match report.verdict {
                Verdict::Trusted => {}
                Verdict::Valid => {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "untrusted_signer",
                        "the file's signer does not chain to this server's trust anchors: only trusted files are recorded",
                    ))
                }
                Verdict::NoManifest | Verdict::NotChecked => {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "no_manifest",
                        "the file carries no content credentials",
                    ))
                }
                Verdict::Invalid => {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_manifest",
                        "the file's content credentials do not validate",
                    ))
                }
            }
            let entry =
                provenant_core::inspect::log_entry(
                &bytes,
                None,
                q.published_at,
                state.settings.decode_limits,
            )
            .map_err(|e| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "not_loggable",
                        crate::render::clean(&e.to_string()),
                    )
                })?;
            // Kept so /manifests/{manifestId} can answer (see serve::sbr); an entry
            // logged without one (before schema 3) gets it now.
            let store = provenant_core::chronology::lookup::manifest_store_of(&bytes);
            let mut log = lock(&state);
            if log
                .by_manifest_id(&entry.manifest_id)
                .map_err(ApiError::store)?
                .is_some()
            {
                let existing = log
                    .add_with_store(&entry, store.as_deref())
                    .map_err(ApiError::store)?;
                return Ok((StatusCode::OK, entry_json(&log, &existing)?));
            }
            let logged = log
                .add_with_store(&entry, store.as_deref())
                .map_err(ApiError::store)?;
            Ok((StatusCode::CREATED, entry_json(&log, &logged)?))
        })
        .await??;
    Ok((status, Json(v)).into_response())
}

fn parse_hash(text: &str) -> Result<[u8; 32], ApiError> {
    hex::decode(text)
        .ok()
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_hash",
                "expected 64 hexadecimal digits (a SHA-256)",
            )
        })
}

/// Runs a store query on a blocking thread within the limits (no body to read).
pub(super) async fn store_query<T, F>(st: &Shared, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Log) -> Result<T, ApiError> + Send + 'static,
{
    let admission = st.gate.admit()?;
    let deadline = Instant::now() + st.settings.timeout;
    let state = st.clone();
    st.gate
        .run(admission, deadline, move || work(&lock(&state)))
        .await?
}

/// GET /v1/chronology/sha256/{hex}: every entry of that content hash (maybe none).
async fn by_sha256(
    State(st): State<Shared>,
    Path(text): Path<String>,
) -> Result<Response, ApiError> {
    let sha = parse_hash(&text)?;
    let entries = store_query(&st, move |log| {
        log.by_content(&sha)
            .map_err(ApiError::store)?
            .iter()
            .map(|e| entry_json(log, e))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    Ok(Json(json!({ "sha256": hex::encode(sha), "entries": entries })).into_response())
}

/// GET /v1/chronology/manifest/{hex}: the entry of that manifest id, or 404.
async fn by_manifest(
    State(st): State<Shared>,
    Path(text): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_hash(&text)?;
    let entry = store_query(&st, move |log| {
        log.by_manifest_id(&id)
            .map_err(ApiError::store)?
            .map(|e| entry_json(log, &e))
            .transpose()
    })
    .await?;
    match entry {
        Some(v) => Ok(Json(v).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no entry has that manifest id",
        )),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LookupQuery {
    max_distance: Option<u32>,
}

/// POST /v1/chronology/lookup: exact, manifest and perceptual matches of a picture.
async fn lookup(
    State(st): State<Shared>,
    peer: Option<axum::Extension<Peer>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let q: LookupQuery = query(raw)?;
    let max_distance = q.max_distance.unwrap_or(MATCH_DISTANCE);
    if max_distance > 32 {
        return Err(ApiError::bad_query(
            "max_distance above 32 bits matches unrelated pictures",
        ));
    }
    let up = upload(&st, peer.map(|p| p.0), &headers, body).await?;
    let bytes = up.bytes;
    let state = st.clone();
    let v = st
        .gate
        .run(up.admission, up.deadline, move || {
            let picture = fingerprint::decode_picture_within(&bytes, state.settings.decode_limits)
                .map_err(|e| {
                    let code = match e {
                        fingerprint::PerceptualError::TooLarge(_) => "picture_too_large",
                        _ => "not_a_picture",
                    };
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        code,
                        crate::render::clean(&e.to_string()),
                    )
                })?;
            let phash = fingerprint::hash_image(&picture);
            let iscc = provenant_core::chronology::iscc::code_image(&picture);
            let sha: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&bytes).into();
            let carried = match &state.validator {
                Some(v) => v
                    .manifest_ids(&bytes, remaining(up.deadline))
                    .map_err(|e| ApiError::from_validate(&e))?,
                None => provenant_core::inspect::carried_manifest_ids(&bytes),
            };
            let log = lock(&state);
            crate::failpoints::hold("lookup-store");
            let matches = provenant_core::chronology::lookup::find_matches(
                &log,
                &sha,
                &carried,
                phash,
                Some(iscc),
                max_distance,
            )
            .map_err(ApiError::store)?;
            // Where the server's own files are is nobody's business.
            let matches: Vec<Value> = matches
                .into_iter()
                .map(|m| {
                    let mut v = json!(m);
                    if let Some(o) = v.as_object_mut() {
                        o.remove("path");
                    }
                    v
                })
                .collect();
            Ok(json!({
                "sha256": hex::encode(sha),
                "phash": phash.to_string(),
                "matches": matches,
            }))
        })
        .await??;
    Ok(Json(v).into_response())
}

/// GET /healthz: "ok" when the store answers.
/// GET /healthz: never waits on the store's lock. A store in use by a request is alive
/// (that request reports its own failure); a free one is asked a trivial query.
async fn healthz(State(st): State<Shared>) -> Response {
    let state = st.clone();
    let probe = tokio::task::spawn_blocking(move || match state.store.try_lock() {
        Ok(log) => Some(log.entry(0).map(|_| ())),
        Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner().entry(0).map(|_| ())),
        Err(std::sync::TryLockError::WouldBlock) => None,
    });
    let ok = |text: &'static str| {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            text,
        )
            .into_response()
    };
    match tokio::time::timeout(std::time::Duration::from_secs(5), probe).await {
        Ok(Ok(Some(Ok(())))) => ok("ok\n"),
        Ok(Ok(None)) => ok("ok (store busy)\n"),
        Ok(Ok(Some(Err(e)))) => ApiError::store(e).into_response(),
        _ => ApiError::store("no answer within 5 s").into_response(),
    }
}

/// GET /metrics: Prometheus text format.
async fn metrics(State(st): State<Shared>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.metrics.render(&st.gate),
    )
        .into_response()
}
