//! Recovering the credentials of a picture that carries none (opt-in in the page and the
//! extension): the browser decodes the picture, [`image_code`] computes its ISCC
//! Content-Code Image (`io.iscc.v0`, core's normalisation and code) from the RGBA pixels,
//! and only that 64-bit code is sent to the repository the reader configured
//! (`GET /matches/byBinding`, the C2PA Soft Binding Resolution API). The best match's
//! manifest store (`GET /manifests/{id}`) is verified here like any file, and
//! [`judge`] decides whether it counts: its signature verifies (the only failure allowed
//! is the hard binding, since the signed asset is not here) and its soft binding is
//! within [`MATCH_DISTANCE`] bits of the local code. The file's own verdict never changes.
//!
//! The page or worker owns the network (no credentials, no redirects, a deadline, a size
//! cap); the URLs come from here, through the core's URL rule.

use base64::Engine;
use image::{DynamicImage, RgbaImage};
use provenant_core::chronology::iscc::{self, IsccImageCode, ALG, MATCH_DISTANCE};
use serde::Serialize;
use serde_json::Value;

use crate::WasmError;

/// Largest picture (in pixels) whose code is computed (the decoder already refused
/// larger ones; this bounds the copy).
pub const MAX_PIXELS: u64 = 100_000_000;

/// Longest manifest id taken (the server takes 512; C2PA labels are far shorter).
const MAX_ID: usize = 512;

/// Failures a bare manifest store always has: the hard binding cannot be checked without
/// the asset it was signed for.
const HARD_BINDING: [&str; 4] = [
    "assertion.dataHash.mismatch",
    "assertion.boxesHash.mismatch",
    "assertion.bmffHash.mismatch",
    "assertion.collectionHash.mismatch",
];

fn bad(message: impl Into<String>) -> WasmError {
    WasmError {
        code: "options.invalid",
        message: message.into(),
    }
}

/// The ISCC text (`ISCC:…`) of RGBA pixels, `width` × `height`, row-major.
pub fn image_code(rgba: &[u8], width: u32, height: u32) -> Result<String, WasmError> {
    let pixels = u64::from(width) * u64::from(height);
    if width == 0 || height == 0 || pixels > MAX_PIXELS {
        return Err(bad(format!(
            "a picture of {width}×{height} pixels is not coded (1 to {MAX_PIXELS} pixels)"
        )));
    }
    if rgba.len() as u64 != pixels * 4 {
        return Err(bad(format!(
            "{} bytes are not the RGBA pixels of {width}×{height}",
            rgba.len()
        )));
    }
    let img =
        RgbaImage::from_raw(width, height, rgba.to_vec()).ok_or_else(|| bad("not RGBA pixels"))?;
    Ok(iscc::code_image(&DynamicImage::ImageRgba8(img)).to_string())
}

/// Bits between two ISCC image codes given as text.
pub fn distance(a: &str, b: &str) -> Result<u32, WasmError> {
    let parse = |s: &str| s.parse::<IsccImageCode>().map_err(|e| bad(e.to_string()));
    Ok(parse(a)?.distance(parse(b)?))
}

fn refused(message: String) -> WasmError {
    WasmError {
        code: "fetch.refused",
        message,
    }
}

fn checked_endpoint(endpoint: &str, allow_loopback: bool) -> Result<String, WasmError> {
    provenant_core::fetch::check_url(endpoint, allow_loopback).map_err(|e| match e {
        provenant_core::fetch::FetchError::Refused { why, .. } => {
            refused(format!("refused: {why}"))
        }
        other => refused(other.to_string()),
    })?;
    if endpoint.contains(['?', '#']) {
        return Err(refused(
            "refused: the endpoint must not carry a query or fragment".into(),
        ));
    }
    Ok(endpoint.trim_end_matches('/').to_owned())
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `{endpoint}/matches/byBinding?alg=io.iscc.v0&value=<base64 of the ISCC text>`, or why
/// the URL rule refuses the endpoint or the code is not one.
pub fn by_binding_url(
    endpoint: &str,
    code: &str,
    allow_loopback: bool,
) -> Result<String, WasmError> {
    let base = checked_endpoint(endpoint, allow_loopback)?;
    let parsed: IsccImageCode = code
        .parse()
        .map_err(|e: iscc::ParseIsccError| bad(e.to_string()))?;
    let value = base64::engine::general_purpose::STANDARD.encode(parsed.to_string());
    Ok(format!(
        "{base}/matches/byBinding?alg={}&value={}",
        encode_component(ALG),
        encode_component(&value)
    ))
}

/// The best match of a `/matches/byBinding` answer (highest `similarityScore`, the first
/// on ties) as `{manifestId, similarityScore, url}`, with the URL of its manifest store;
/// `null` (JSON) when the answer lists none. Malformed answers are errors.
pub fn best_match(endpoint: &str, answer: &str, allow_loopback: bool) -> Result<String, WasmError> {
    let base = checked_endpoint(endpoint, allow_loopback)?;
    let v: Value = serde_json::from_str(answer).map_err(|e| bad(format!("not JSON: {e}")))?;
    let matches = v
        .get("matches")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("the answer has no \"matches\" array"))?;
    let mut best: Option<(&str, u64)> = None;
    for m in matches.iter().take(1000) {
        let Some(id) = m.get("manifestId").and_then(Value::as_str) else {
            continue;
        };
        if id.is_empty() || id.len() > MAX_ID || id.chars().any(char::is_control) {
            continue;
        }
        let score = m
            .get("similarityScore")
            .and_then(Value::as_u64)
            .unwrap_or(0)
            .min(100);
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((id, score));
        }
    }
    let out = match best {
        None => Value::Null,
        Some((id, score)) => serde_json::json!({
            "manifestId": id,
            "similarityScore": score,
            "url": format!("{base}/manifests/{}", encode_component(id)),
        }),
    };
    Ok(out.to_string())
}

/// What [`judge`] found.
#[derive(Debug, Serialize)]
pub struct Judgement {
    /// True only when the recovered manifest verifies and its code is near.
    pub recovered: bool,
    /// Why not, when not: `doesNotVerify`, `noSoftBinding` or `tooFar`.
    pub reason: Option<&'static str>,
    pub manifest: Option<String>,
    pub signer: Option<String>,
    pub issuer: Option<String>,
    pub time: Option<String>,
    /// `trusted`, `untrusted` or `unknown` (the recovered signer's trust).
    pub trust: Option<String>,
    /// Bits between the local code and the recovered soft binding.
    pub distance: Option<u32>,
    /// `round(100 × (64 − d) / 64)`, as the Soft Binding Resolution API scores.
    pub similarity: Option<u32>,
    /// The recovered soft binding (`ISCC:…`).
    pub binding: Option<String>,
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().map(|s| s.chars().take(200).collect())
}

/// Judges the report of a recovered manifest store (verified standalone) against the
/// local code.
pub fn judge(report_json: &str, local_code: &str) -> Result<String, WasmError> {
    let report: Value =
        serde_json::from_str(report_json).map_err(|e| bad(format!("not a report: {e}")))?;
    let local: IsccImageCode = local_code
        .parse()
        .map_err(|e: iscc::ParseIsccError| bad(e.to_string()))?;
    let step = report
        .get("chain")
        .and_then(|c| c.get(0))
        .cloned()
        .unwrap_or(Value::Null);
    let codes = report
        .get("codes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let code_of = |c: &Value| {
        c.get("code")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let failures: Vec<String> = codes
        .iter()
        .filter(|c| c.get("kind").and_then(Value::as_str) == Some("failure"))
        .map(code_of)
        .collect();
    let signature_ok = codes.iter().any(|c| {
        code_of(c) == "claimSignature.validated" && c.get("step").and_then(Value::as_u64) == Some(0)
    });
    let verifies = !step.is_null()
        && signature_ok
        && failures.iter().all(|f| HARD_BINDING.contains(&f.as_str()));
    let binding = match (
        text(&report, &["soft_binding", "alg"]),
        text(&report, &["soft_binding", "value"]),
    ) {
        (Some(alg), Some(value)) if alg == ALG => value.parse::<IsccImageCode>().ok(),
        _ => None,
    };
    let distance = binding.map(|b| b.distance(local));
    let reason = if !verifies {
        Some("doesNotVerify")
    } else if binding.is_none() {
        Some("noSoftBinding")
    } else if distance.is_some_and(|d| d > MATCH_DISTANCE) {
        Some("tooFar")
    } else {
        None
    };
    let j = Judgement {
        recovered: reason.is_none(),
        reason,
        manifest: text(&step, &["manifest"]),
        signer: text(&step, &["signer", "common_name"]),
        issuer: text(&step, &["signer", "issuer"]),
        time: text(&step, &["time"]),
        trust: text(&step, &["trust"]),
        distance,
        similarity: distance.map(|d| (100 * (64 - d.min(64)) + 32) / 64),
        binding: binding.map(|b| b.to_string()),
    };
    serde_json::to_string(&j).map_err(|e| WasmError {
        code: "internal",
        message: e.to_string(),
    })
}

#[cfg(test)]
#[path = "recover_tests.rs"]
mod tests;
