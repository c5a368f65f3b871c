//! `lookup --endpoint URL`: ask a remote manifest repository through the C2PA Soft
//! Binding Resolution API. The picture never leaves this machine: its `io.iscc.v0`
//! code is computed here and sent as `GET /matches/byBinding`; each match's manifest
//! store is then fetched from `/manifests/{manifestId}` (of the match's `endpoint`
//! when the answer names one) and read against the picture. Every request goes
//! through core's fetcher: https only, public addresses only, no redirects, capped
//! size and time.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use provenant_core::chronology::iscc::{self, IsccImageCode};
use provenant_core::chronology::lookup::binding_value;
use provenant_core::credentials::verify::{
    verify_bytes, ExternalManifest, ManifestOrigin, VerifyOptions,
};
use provenant_core::fetch::{get_blocking, FetchPolicy};
use serde_json::{json, Value};

use super::lookup::Args;
use crate::Exit;

/// Most matches asked for (`maxResults`) and followed.
const MAX_MATCHES: usize = 10;
/// Largest match list accepted.
const MAX_ANSWER: usize = 1 << 20;
/// Largest manifest store accepted.
const MAX_STORE: usize = 32 << 20;
/// Longest manifest id followed.
const MAX_ID: usize = 512;
const TIMEOUT: Duration = Duration::from_secs(20);

/// `text` percent-encoded as one URL path segment (`:` and `@` kept, as RFC 3986 allows).
fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One match of the answer, checked: its manifest id, score and endpoint.
struct Found {
    id: String,
    score: Option<u64>,
    endpoint: Option<String>,
}

/// The matches of a `c2pa.softBindingQueryResult` (at most [`MAX_MATCHES`]).
fn parse_matches(answer: &[u8]) -> Result<Vec<Found>> {
    let v: Value = serde_json::from_slice(answer)
        .context("the repository's answer is not JSON (c2pa.softBindingQueryResult)")?;
    let Some(list) = v.get("matches") else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("the repository's `matches` is not a list"))?;
    let mut out = Vec::new();
    for m in list.iter().take(MAX_MATCHES) {
        let id = m
            .get("manifestId")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty() && id.len() <= MAX_ID)
            .ok_or_else(|| anyhow::anyhow!("a match without a usable manifestId"))?;
        out.push(Found {
            id: id.to_owned(),
            score: m.get("similarityScore").and_then(Value::as_u64),
            endpoint: m.get("endpoint").and_then(Value::as_str).map(str::to_owned),
        });
    }
    Ok(out)
}

/// Fetches a match's manifest store and reads it against the picture: what the
/// manifest says (label, signer, signed soft binding) and how far the picture's code
/// is from the signed one. Failures are reported in the match, not fatal.
fn recover(
    found: &Found,
    base: &str,
    bytes: &[u8],
    code: IsccImageCode,
    policy: &FetchPolicy,
) -> (Value, Option<Vec<u8>>) {
    let base = found
        .endpoint
        .as_deref()
        .unwrap_or(base)
        .trim_end_matches('/');
    let url = format!("{base}/manifests/{}", path_segment(&found.id));
    let store = match get_blocking(
        &url,
        &FetchPolicy {
            max_bytes: MAX_STORE,
            ..policy.clone()
        },
    ) {
        Ok(store) => store,
        Err(e) => return (json!({ "url": url, "error": e.to_string() }), None),
    };
    let options = VerifyOptions {
        manifest: Some(ExternalManifest {
            bytes: Arc::from(store.clone()),
            origin: ManifestOrigin::Remote(url.clone()),
        }),
        ..Default::default()
    };
    let manifest = match verify_bytes(bytes, &options) {
        Ok(report) => {
            let step = report.chain.first();
            let signed = report.soft_binding.as_ref();
            let distance = signed
                .filter(|b| b.alg == iscc::ALG)
                .and_then(|b| b.value.parse::<IsccImageCode>().ok())
                .map(|s| s.distance(code));
            json!({
                "label": step.map(|s| s.manifest.clone()),
                "same_manifest": step.is_some_and(|s| s.manifest == found.id),
                "signer": step.and_then(|s| s.signer.common_name.clone()),
                "soft_binding": signed.map(|b| json!({ "alg": b.alg, "value": b.value })),
                "distance": distance,
                "verdict_for_this_file": report.verdict.as_str(),
            })
        }
        Err(e) => json!({ "error": e.to_string() }),
    };
    (
        json!({ "url": url, "bytes": store.len(), "manifest": manifest }),
        Some(store),
    )
}

fn print_match(i: usize, found: &Found, got: &Value) {
    let clean = |v: &Value| crate::render::clean(v.as_str().unwrap_or("unknown"));
    let m = &got["manifest"];
    let what = if let Some(e) = got.get("error").or_else(|| m.get("error")) {
        format!("manifest not recovered: {}", clean(e))
    } else {
        format!(
            "signed by {}, the picture's code {} bits from the signed one{}",
            clean(&m["signer"]),
            m["distance"].as_u64().map_or("?".into(), |d| d.to_string()),
            if m["same_manifest"].as_bool() == Some(true) {
                ""
            } else {
                " (the store's active manifest is another one)"
            }
        )
    };
    eprintln!(
        "{} {} (similarity {}): {what}",
        if i == 0 { "best match:" } else { "also:" },
        crate::render::clean(&found.id),
        found.score.map_or("?".into(), |s| s.to_string()),
    );
}

/// Runs `lookup FILE --endpoint URL`.
pub fn run(a: &Args, endpoint: &str, bytes: &[u8]) -> Result<Exit> {
    let code = iscc::code_bytes(bytes).with_context(|| crate::shown(&a.file))?;
    let policy = FetchPolicy {
        allow_loopback: a.allow_loopback_fetch,
        ..FetchPolicy::public(MAX_ANSWER, TIMEOUT)
    };
    let value = binding_value(code);
    let max = MAX_MATCHES.to_string();
    let query = serde_urlencoded::to_string([
        ("alg", iscc::ALG),
        ("value", value.as_str()),
        ("maxResults", max.as_str()),
    ])?;
    let base = endpoint.trim_end_matches('/');
    let url = format!("{base}/matches/byBinding?{query}");
    let answer = get_blocking(&url, &policy).context("asking the repository failed")?;
    let found = parse_matches(&answer)?;
    if found.is_empty() {
        eprintln!(
            "no manifest found for {} ({} {code}) at {}",
            crate::shown(&a.file),
            iscc::ALG,
            crate::render::clean(base)
        );
    }
    let mut matches = Vec::new();
    for (i, f) in found.iter().enumerate() {
        let (mut got, store) = recover(f, base, bytes, code, &policy);
        if let (Some(dir), Some(store)) = (&a.save_manifests, store) {
            got["saved"] = json!(save(dir, i, &store)?);
        }
        print_match(i, f, &got);
        got["manifestId"] = json!(f.id);
        got["similarityScore"] = json!(f.score);
        matches.push(got);
    }
    if a.json {
        let out = json!({
            "file": a.file,
            "endpoint": base,
            "alg": iscc::ALG,
            "code": code.to_string(),
            "value": value,
            "matches": matches,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(if found.is_empty() {
        Exit::PolicyFail
    } else {
        Exit::Pass
    })
}

/// Writes a recovered store to `dir/<n>.c2pa`; returns its path.
fn save(dir: &Path, n: usize, store: &[u8]) -> Result<String> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", crate::shown(dir)))?;
    let path = dir.join(format!("{n}.c2pa"));
    let mut out = crate::output::AtomicOutput::create(&path)?;
    std::io::Write::write_all(&mut out.file, store)
        .with_context(|| format!("cannot write {}", crate::shown(&path)))?;
    out.commit()?;
    Ok(path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_ids_are_one_path_segment() {
        assert_eq!(
            path_segment("urn:c2pa:1234-ab/../x?y#z"),
            "urn:c2pa:1234-ab%2F..%2Fx%3Fy%23z"
        );
    }

    #[test]
    fn hostile_answers_are_errors_or_empty() {
        assert!(parse_matches(b"not json").is_err());
        assert!(parse_matches(br#"{"matches": 3}"#).is_err());
        assert!(parse_matches(br#"{"matches": [{"similarityScore": 9}]}"#).is_err());
        assert!(parse_matches(b"{}").unwrap().is_empty());
        let many: Vec<Value> = (0..50)
            .map(|i| json!({ "manifestId": format!("urn:c2pa:{i}") }))
            .collect();
        let body = serde_json::to_vec(&json!({ "matches": many })).unwrap_or_default();
        assert_eq!(
            parse_matches(&body).map(|m| m.len()).ok(),
            Some(MAX_MATCHES)
        );
    }
}
