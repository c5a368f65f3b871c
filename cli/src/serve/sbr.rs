//! The C2PA Soft Binding Resolution API (OpenAPI 3.0.3, "C2PA Soft Binding
//! Resolution API" 1.0.0, vendored in `cli/tests/data/sbr/`), beside /v1:
//!
//! - `GET /matches/byBinding?alg=io.iscc.v0&value=…` and `POST /matches/byBinding`
//!   (`{"alg","value"}`): the manifests whose pictures have an ISCC code within
//!   [`iscc::MATCH_DISTANCE`] bits of the given one (their whole picture or one of
//!   its regions, so crops are found);
//! - `POST /matches/byContent?alg=io.iscc.v0` (the picture as the body): the same,
//!   for the code the server computes from the upload (decoded within the server's
//!   limits), plus entries of exactly these bytes;
//! - `GET /manifests/{manifestId}`: the manifest store kept in the log for that
//!   manifest (`application/c2pa`);
//! - `GET /services/supportedAlgorithms`.
//!
//! `manifestId` is the label of the logged file's active manifest (`urn:c2pa:…`,
//! the C2PA unique identifier the API asks for), everywhere. `similarityScore` is
//! `round(100 × (64 − d) / 64)` for a Hamming distance of `d` bits between the 64-bit
//! codes (100: the same code). Read-only; every request runs under the same limits
//! as /v1 (admission queue, deadline, body size and upload rate). Errors carry the
//! status codes the API defines (400 for an unknown `alg` or a bad query, 404 for an
//! unknown manifest, 415 for an upload that is not a picture we decode) with the
//! JSON error body of /v1 (the API defines no error body).

use std::collections::HashSet;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use provenant_core::chronology::fingerprint::PerceptualError;
use provenant_core::chronology::iscc::{self, IsccImageCode};
use provenant_core::chronology::lookup::parse_binding_value;
use provenant_core::chronology::{Code, Entry, Log};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::routes::{lock, query, store_query, upload, Shared};
use super::Peer;

/// The algorithm we answer for.
pub const ALG: &str = iscc::ALG;
/// Most matches one query returns (`maxResults` above this is lowered to it).
pub const MAX_RESULTS: usize = 100;
/// `maxResults` when the query gives none (the API's default).
const DEFAULT_RESULTS: usize = 10;

/// The routes, merged into the server's router.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/matches/byBinding", get(by_binding).post(by_large_binding))
        .route("/matches/byContent", axum::routing::post(by_content))
        .route("/manifests/{manifest_id}", get(manifest))
        .route("/services/supportedAlgorithms", get(supported))
}

/// Adds `Access-Control-Allow-Origin` to the GET answers when `--allow-origin` is set,
/// so a verifier page on that origin can read them (simple GETs need no preflight; the
/// POST routes stay for non-browser clients).
pub async fn cors(
    State(st): State<Shared>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let get = req.method() == axum::http::Method::GET;
    let mut response = next.run(req).await;
    let allowed = st.settings.allow_origin.as_deref().filter(|_| get);
    if let Some(value) = allowed.and_then(|o| header::HeaderValue::from_str(o).ok()) {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        if allowed != Some("*") {
            headers.insert(header::VARY, header::HeaderValue::from_static("Origin"));
        }
    }
    response
}

/// The route labels of these endpoints (for metrics), if `path` is one.
pub fn route_label(path: &str) -> Option<&'static str> {
    match path {
        "/matches/byBinding" => Some("/matches/byBinding"),
        "/matches/byContent" => Some("/matches/byContent"),
        "/manifests/{manifest_id}" => Some("/manifests/{manifestId}"),
        "/services/supportedAlgorithms" => Some("/services/supportedAlgorithms"),
        _ => None,
    }
}

/// `maxResults`, checked: an integer ≥ 1 (the API's minimum), capped at [`MAX_RESULTS`].
fn max_results(raw: Option<&str>) -> Result<usize, ApiError> {
    match raw {
        None => Ok(DEFAULT_RESULTS),
        Some(t) => match t.parse::<u64>() {
            Ok(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(MAX_RESULTS).min(MAX_RESULTS)),
            _ => Err(ApiError::bad_query(
                "maxResults must be an integer of at least 1",
            )),
        },
    }
}

fn check_alg(alg: &str) -> Result<(), ApiError> {
    if alg == ALG {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_alg",
            format!(
                "soft binding algorithm \"{}\" is not supported here; this service answers for {ALG}",
                crate::render::clean(&alg.chars().take(80).collect::<String>())
            ),
        ))
    }
}

fn code_of_value(value: &str) -> Result<IsccImageCode, ApiError> {
    parse_binding_value(value).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_value",
            format!(
                "value must be the base64 of an {ALG} 64-bit ISCC Content-Code Image \
                 (its ISCC:… text or its 10 bytes), or that text itself"
            ),
        )
    })
}

/// The API's score of a Hamming distance between two 64-bit codes.
pub fn similarity(distance: u32) -> u32 {
    let d = distance.min(64);
    ((64 - d) * 100 + 32) / 64
}

/// `c2pa.softBindingQueryResult` of entries with their distances (nearest first, each
/// manifest once), at most `max`.
fn result(found: Vec<(Entry, u32)>, max: usize) -> Value {
    let mut seen = HashSet::new();
    let matches: Vec<Value> = found
        .into_iter()
        .filter(|(e, _)| seen.insert(e.manifest_label.clone()))
        .take(max)
        .map(|(e, d)| json!({ "manifestId": e.manifest_label, "similarityScore": similarity(d) }))
        .collect();
    json!({ "matches": matches })
}

/// Entries with an ISCC code within the match distance of `code`, nearest first.
fn near(log: &Log, code: IsccImageCode) -> Result<Vec<(Entry, u32)>, ApiError> {
    log.similar_code(&Code::new(ALG, code.0), iscc::MATCH_DISTANCE)
        .map_err(ApiError::store)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BindingQuery {
    alg: Option<String>,
    value: Option<String>,
    #[serde(rename = "maxResults")]
    max_results: Option<String>,
}

/// GET /matches/byBinding (`queryByBinding`).
async fn by_binding(
    State(st): State<Shared>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q: BindingQuery = query(raw)?;
    let max = max_results(q.max_results.as_deref())?;
    let alg = q
        .alg
        .ok_or_else(|| ApiError::bad_query("alg is required"))?;
    check_alg(&alg)?;
    let value = q
        .value
        .ok_or_else(|| ApiError::bad_query("value is required"))?;
    let code = code_of_value(&value)?;
    let v = store_query(&st, move |log| Ok(result(near(log, code)?, max))).await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LargeBindingQuery {
    #[serde(rename = "maxResults")]
    max_results: Option<String>,
}

/// `c2pa.softBindingQuery`.
#[derive(Debug, Deserialize)]
struct SoftBindingQuery {
    alg: String,
    value: String,
}

/// POST /matches/byBinding (`queryByLargeBinding`): the query as a JSON body.
async fn by_large_binding(
    State(st): State<Shared>,
    peer: Option<axum::Extension<Peer>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let q: LargeBindingQuery = query(raw)?;
    let max = max_results(q.max_results.as_deref())?;
    let up = upload(&st, peer.map(|p| p.0), &headers, body).await?;
    let parsed: SoftBindingQuery = serde_json::from_slice(&up.bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_body",
            format!("the body is not a c2pa.softBindingQuery ({{\"alg\",\"value\"}}): {e}"),
        )
    })?;
    check_alg(&parsed.alg)?;
    let code = code_of_value(&parsed.value)?;
    let state = st.clone();
    let v = st
        .gate
        .run(
            up.admission,
            up.deadline,
            move || -> Result<Value, ApiError> { Ok(result(near(&lock(&state), code)?, max)) },
        )
        .await??;
    Ok(Json(v).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContentQuery {
    alg: Option<String>,
    #[serde(rename = "maxResults")]
    max_results: Option<String>,
    /// Accepted and not used: the code is computed from the upload.
    #[serde(rename = "hintAlg")]
    _hint_alg: Option<String>,
    #[serde(rename = "hintValue")]
    _hint_value: Option<String>,
}

/// Whether a declared `Content-Type` may be a picture (absent: we look at the bytes).
fn picture_type(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return true;
    };
    let ct = ct.to_str().unwrap_or("").trim().to_ascii_lowercase();
    ct.starts_with("image/") || ct.starts_with("application/octet-stream")
}

/// POST /matches/byContent (`uploadFile`): the server computes the picture's code.
async fn by_content(
    State(st): State<Shared>,
    peer: Option<axum::Extension<Peer>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let q: ContentQuery = query(raw)?;
    let max = max_results(q.max_results.as_deref())?;
    check_alg(q.alg.as_deref().unwrap_or(ALG))?;
    if !picture_type(&headers) {
        return Err(unsupported_media(
            "this service matches pictures (image/*) only",
        ));
    }
    let up = upload(&st, peer.map(|p| p.0), &headers, body).await?;
    let bytes = up.bytes;
    let state = st.clone();
    let v =
        st.gate
            .run(
                up.admission,
                up.deadline,
                move || -> Result<Value, ApiError> {
                    let code = iscc::code_bytes_within(&bytes, state.settings.decode_limits)
                        .map_err(|e| match e {
                            PerceptualError::TooLarge(_) => ApiError::new(
                                StatusCode::PAYLOAD_TOO_LARGE,
                                "picture_too_large",
                                crate::render::clean(&e.to_string()),
                            ),
                            _ => unsupported_media(&crate::render::clean(&e.to_string())),
                        })?;
                    let sha: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&bytes).into();
                    let log = lock(&state);
                    // The same bytes first (score 100), then the nearest codes.
                    let mut found: Vec<(Entry, u32)> = log
                        .by_content(&sha)
                        .map_err(ApiError::store)?
                        .into_iter()
                        .map(|e| (e, 0))
                        .collect();
                    found.extend(near(&log, code)?);
                    Ok(result(found, max))
                },
            )
            .await??;
    Ok(Json(v).into_response())
}

fn unsupported_media(message: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "not_a_picture",
        message.to_owned(),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestQuery {
    #[serde(rename = "returnActiveManifest")]
    return_active_manifest: Option<bool>,
}

/// Longest manifest id taken (C2PA labels are far shorter).
const MAX_ID: usize = 512;

/// GET /manifests/{manifestId} (`getManifestById`): the kept manifest store.
async fn manifest(
    State(st): State<Shared>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q: ManifestQuery = query(raw)?;
    if q.return_active_manifest == Some(true) {
        // The log keeps whole stores; cutting one down to its active manifest would
        // re-serialize signed JUMBF, which we do not do.
        return Err(ApiError::bad_query(
            "returnActiveManifest=true is not supported: this service returns whole manifest stores",
        ));
    }
    if id.is_empty()
        || id.len() > MAX_ID
        || !id.starts_with("urn:")
        || id.chars().any(char::is_control)
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_manifest_id",
            "a manifest id is a C2PA manifest label (urn:c2pa:… or urn:uuid:…)",
        ));
    }
    let store = store_query(&st, move |log| {
        let Some(entry) = log.by_manifest_label(&id).map_err(ApiError::store)? else {
            return Ok(None);
        };
        log.manifest_store(entry.id).map_err(ApiError::store)
    })
    .await?;
    match store {
        Some(bytes) => Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/c2pa")],
            bytes,
        )
            .into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "manifest_not_found",
            "no manifest store is kept for that manifest id",
        )),
    }
}

/// GET /services/supportedAlgorithms (`getSupportedBindings`).
async fn supported() -> Response {
    Json(json!({ "watermarks": [], "fingerprints": [{ "alg": ALG }] })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_scores() {
        assert_eq!(similarity(0), 100);
        assert_eq!(similarity(8), 88);
        assert_eq!(similarity(32), 50);
        assert_eq!(similarity(64), 0);
        assert_eq!(similarity(99), 0);
    }

    #[test]
    fn max_results_are_checked() {
        assert_eq!(max_results(None).ok(), Some(DEFAULT_RESULTS));
        assert_eq!(max_results(Some("3")).ok(), Some(3));
        assert_eq!(max_results(Some("100000")).ok(), Some(MAX_RESULTS));
        for bad in ["0", "-1", "x", ""] {
            assert!(max_results(Some(bad)).is_err(), "{bad}");
        }
    }
}
