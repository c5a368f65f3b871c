//! Browser bindings: `verify(bytes, trustPem)` returns the same report JSON as
//! `provenant verify --json`; failures to run come back as `{code, message}`.

mod anchors;
mod blacklist;
mod published;
mod recover;
mod thumbnails;

pub use blacklist::{apply_blacklist_json, apply_blacklist_seen, parse_seen, Applied};

use provenant_core::credentials::format::MediaFormat;
use provenant_core::credentials::verify::{
    verify_bytes, verify_stream_with_digest, ExternalManifest, ManifestOrigin, VerifyError,
    VerifyOptions,
};
use provenant_core::TrustAnchors;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// A structured "could not run" error (a verdict is never an error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WasmError {
    /// Stable machine-readable code.
    pub code: &'static str,
    pub message: String,
}

impl From<VerifyError> for WasmError {
    fn from(e: VerifyError) -> Self {
        let code = match &e {
            VerifyError::Empty => "input.empty",
            VerifyError::UnknownFormat { .. } => "input.unknownFormat",
            VerifyError::UnsupportedFormat { .. } => "input.unsupportedFormat",
            VerifyError::Settings(_) => "options.invalid",
            _ => "input.unreadable",
        };
        Self {
            code,
            message: e.to_string(),
        }
    }
}

/// Verifies `bytes` under the built-in C2PA trust list plus `trust_pem`, a PEM bundle of
/// your own trust anchors (may be empty).
/// Returns the report as JSON text (schema: docs/report.schema.json).
pub fn verify_to_json(
    bytes: &[u8],
    trust_pem: &str,
    file_name: Option<&str>,
) -> Result<String, WasmError> {
    verify_to_json_with_digest(bytes, trust_pem, file_name, None)
}

/// The reader's trust settings: the built-in C2PA trust list, plus `trust_pem` (your own
/// anchors) and `allowed_pem` (end-entity certificates trusted as themselves, as
/// `provenant verify --allowed`); either may be empty.
pub fn trust_anchors(trust_pem: &str, allowed_pem: &str) -> Result<TrustAnchors, WasmError> {
    let invalid = |e: provenant_core::credentials::trust::NoCertificate| WasmError {
        code: "options.invalid",
        message: e.to_string(),
    };
    let mut trust = TrustAnchors::c2pa_trust_list();
    if !trust_pem.trim().is_empty() {
        trust.add_pem("trust anchors", trust_pem).map_err(invalid)?;
    }
    if !allowed_pem.trim().is_empty() {
        trust
            .add_allowed("allowed list", allowed_pem)
            .map_err(invalid)?;
    }
    Ok(trust)
}

/// As [`verify_to_json`], with the file's SHA-256 (64 hex digits) already computed by
/// the caller — in a browser, `crypto.subtle.digest` is native code and much faster
/// than hashing inside wasm. The caller only vouches for its own file.
pub fn verify_to_json_with_digest(
    bytes: &[u8],
    trust_pem: &str,
    file_name: Option<&str>,
    sha256: Option<&str>,
) -> Result<String, WasmError> {
    // The C2PA trust list is built in, as in the CLI; the page's PEM adds your anchors.
    verify_with_trust(bytes, trust_anchors(trust_pem, "")?, file_name, sha256)
}

/// As [`verify_to_json_with_digest`], under trust anchors the caller built (see [`trust_anchors`]).
pub fn verify_with_trust(
    bytes: &[u8],
    trust: TrustAnchors,
    file_name: Option<&str>,
    sha256: Option<&str>,
) -> Result<String, WasmError> {
    verify_with_sidecar(bytes, trust, file_name, sha256, None)
}

/// The largest `.c2pa` sidecar accepted (manifest stores are far smaller).
pub const MAX_SIDECAR_BYTES: usize = 16 * 1024 * 1024;

/// The longest sidecar name or manifest URL kept in the report (characters).
const MAX_URL_CHARS: usize = 2000;

/// As [`verify_with_trust`], with `sidecar`: a `.c2pa` manifest store the reader gave
/// beside the asset, and its name (reported in the `manifest.sidecar` code). It is checked
/// against the asset's bytes instead of anything the asset carries.
pub fn verify_with_sidecar(
    bytes: &[u8],
    trust: TrustAnchors,
    file_name: Option<&str>,
    sha256: Option<&str>,
    sidecar: Option<(&[u8], &str)>,
) -> Result<String, WasmError> {
    verify_with_external(bytes, trust, file_name, sha256, sidecar, false)
}

/// As [`verify_with_sidecar`]; `remote`: the store was fetched from the remote URL the
/// asset names (given as its name), reported as `manifest.fetched` rather than
/// `manifest.sidecar`.
pub fn verify_with_external(
    bytes: &[u8],
    trust: TrustAnchors,
    file_name: Option<&str>,
    sha256: Option<&str>,
    sidecar: Option<(&[u8], &str)>,
    remote: bool,
) -> Result<String, WasmError> {
    let manifest = match sidecar {
        Some((store, _)) if store.is_empty() || store.len() > MAX_SIDECAR_BYTES => {
            return Err(WasmError {
                code: "options.invalid",
                message: format!(
                    "a sidecar manifest store must hold 1 byte to {} MiB",
                    MAX_SIDECAR_BYTES >> 20
                ),
            })
        }
        Some((store, name)) => Some(ExternalManifest {
            bytes: store.into(),
            origin: if remote {
                ManifestOrigin::Remote(name.chars().take(MAX_URL_CHARS).collect())
            } else {
                ManifestOrigin::Sidecar(name.chars().take(MAX_URL_CHARS).collect())
            },
        }),
        None => None,
    };
    // PDF only when this build has the `pdf` feature: said here, not left to which features
    // the SDK happens to be built with (a native build beside the CLI has them all).
    if !cfg!(feature = "pdf") && MediaFormat::sniff(bytes) == Some(MediaFormat::Pdf) {
        return Err(VerifyError::UnsupportedFormat {
            format: "application/pdf".into(),
        }
        .into());
    }
    let options = VerifyOptions {
        trust,
        manifest,
        ..Default::default()
    };
    let mut report = match sha256 {
        None => verify_bytes(bytes, &options)?,
        Some(digest) => {
            let digest = digest.trim().to_ascii_lowercase();
            if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(WasmError {
                    code: "options.invalid",
                    message: "sha256 must be 64 hex digits".into(),
                });
            }
            verify_stream_with_digest(std::io::Cursor::new(bytes), &options, move || Ok(digest))?
        }
    };
    report.file = file_name.map(str::to_owned);
    serde_json::to_string(&report).map_err(|e| WasmError {
        code: "internal",
        message: e.to_string(),
    })
}

/// JS entry point: `verify(Uint8Array, trustPem?, fileName?, sha256?, allowedPem?,
/// sidecar?, sidecarName?) → string` (report JSON); throws `{code, message}`. Pass the
/// file's SHA-256 (hex) when the caller has it (e.g. from `crypto.subtle.digest`), else it
/// is computed here. `allowedPem`: end-entity certificates trusted as themselves (the
/// allowed list). `sidecar`: a `.c2pa` manifest store given beside the asset.
/// `sidecarRemote`: true when `sidecar` was fetched from the remote URL the asset names
/// (`sidecarName` is then that URL, reported as `manifest.fetched`).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn verify(
    bytes: &[u8],
    trust_pem: Option<String>,
    file_name: Option<String>,
    sha256: Option<String>,
    allowed_pem: Option<String>,
    sidecar: Option<Vec<u8>>,
    sidecar_name: Option<String>,
    sidecar_remote: Option<bool>,
) -> Result<String, JsValue> {
    let trust = trust_anchors(
        trust_pem.as_deref().unwrap_or(""),
        allowed_pem.as_deref().unwrap_or(""),
    )
    .map_err(throw)?;
    let name = sidecar_name.unwrap_or_else(|| "sidecar.c2pa".into());
    verify_with_external(
        bytes,
        trust,
        file_name.as_deref(),
        sha256.as_deref(),
        sidecar.as_deref().map(|s| (s, name.as_str())),
        sidecar_remote == Some(true),
    )
    .map_err(throw)
}

/// A manifest store URL (a remote manifest the asset names, or the `.c2pa` beside a
/// picture) through the core's URL rule, as `provenant verify --fetch-remote`: https only,
/// no user name or password, and an IP literal must be public (loopback, over http too,
/// only with `allow_loopback`, for development and tests). Returns the URL to fetch, or
/// `{code: "fetch.refused", message}`.
pub fn checked_manifest_url(url: &str, allow_loopback: bool) -> Result<String, WasmError> {
    let refused = |message: String| WasmError {
        code: "fetch.refused",
        message,
    };
    if url.len() > MAX_URL_CHARS {
        return Err(refused("refused: the URL is too long".into()));
    }
    let parsed = provenant_core::fetch::check_url(url, allow_loopback).map_err(|e| match e {
        provenant_core::fetch::FetchError::Refused { why, .. } => {
            refused(format!("refused: {why}"))
        }
        other => refused(other.to_string()),
    })?;
    Ok(parsed.to_string())
}

/// `manifestUrl(url, allowLoopback) → string`: see [`checked_manifest_url`].
#[wasm_bindgen(js_name = manifestUrl)]
pub fn manifest_url(url: &str, allow_loopback: bool) -> Result<String, JsValue> {
    checked_manifest_url(url, allow_loopback).map_err(throw)
}

/// `thumbnails(Uint8Array, sidecar?) → [{manifest, type, bytes: Uint8Array}]`: the claim
/// thumbnails of the file's manifests, sanitised (see `thumbnails.rs`: JPEG, PNG or WebP
/// only, sniffed, at most 1 MiB each); an empty array when there are none.
#[wasm_bindgen]
pub fn thumbnails(bytes: &[u8], sidecar: Option<Vec<u8>>) -> js_sys::Array {
    let out = js_sys::Array::new();
    for t in thumbnails::claim_thumbnails(bytes, sidecar.as_deref()) {
        let obj = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&obj, &"manifest".into(), &t.manifest.into());
        let _ = js_sys::Reflect::set(&obj, &"type".into(), &t.media_type.into());
        let _ = js_sys::Reflect::set(
            &obj,
            &"bytes".into(),
            &js_sys::Uint8Array::from(t.bytes.as_slice()).into(),
        );
        out.push(&obj);
    }
    out
}

fn throw(e: WasmError) -> JsValue {
    let obj = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&obj, &"code".into(), &e.code.into());
    let _ = js_sys::Reflect::set(&obj, &"message".into(), &e.message.into());
    obj.into()
}

/// `applyBlacklist(reportJson, snapshotJson, trustedKeys, nowUnix, seenJson) →
/// {report, sourceKey, block}`: the report (JSON text) checked against a signed blacklist
/// snapshot, and the snapshot's source key and block (a decimal string) for the caller to
/// remember in `seenJson` (`{sourceKey: "block"}`, the newest block per source). Throws
/// `{code, message}` when the snapshot is malformed, untrusted, expired, has a bad entry or
/// is older than the block remembered for its source (the report then says "not checked",
/// and nothing is to be remembered).
#[wasm_bindgen(js_name = applyBlacklist)]
pub fn apply_blacklist(
    report_json: &str,
    snapshot_json: &str,
    trusted_keys: &str,
    now_unix: f64,
    seen_json: &str,
) -> Result<JsValue, JsValue> {
    let now = if now_unix.is_finite() && now_unix > 0.0 {
        now_unix as u64
    } else {
        0
    };
    let applied = apply_blacklist_seen(report_json, snapshot_json, trusted_keys, now, seen_json)
        .map_err(throw)?;
    let obj = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&obj, &"report".into(), &applied.report_json.into());
    let _ = js_sys::Reflect::set(&obj, &"sourceKey".into(), &applied.source_key.into());
    let _ = js_sys::Reflect::set(&obj, &"block".into(), &applied.block.to_string().into());
    Ok(obj.into())
}

/// `anchorCalls(reportJson, chainId, registriesJson) → string`: the `eth_call`s that
/// check the report's anchor proofs on that chain against the registries the reader
/// trusts (see `anchors.rs`).
#[wasm_bindgen(js_name = anchorCalls)]
pub fn anchor_calls(
    report_json: &str,
    chain_id: u64,
    registries_json: &str,
) -> Result<String, JsValue> {
    anchors::anchor_calls(report_json, chain_id, registries_json).map_err(throw)
}

/// `applyAnchorAnswers(reportJson, answersJson) → string` (the updated report).
#[wasm_bindgen(js_name = applyAnchorAnswers)]
pub fn apply_anchor_answers(report_json: &str, answers_json: &str) -> Result<String, JsValue> {
    anchors::apply_anchor_answers(report_json, answers_json).map_err(throw)
}

/// `publisherOfCall(address) → string`: call data for a publisher's registered name.
#[wasm_bindgen(js_name = publisherOfCall)]
pub fn publisher_of_call(address: &str) -> Result<String, JsValue> {
    anchors::publisher_of_call(address).map_err(throw)
}

/// `proofFetches(reportJson, allowLoopback) → string`: `{report, fetches: [{step, endpoint,
/// url}]}`, the publisher endpoint fetches the report needs (each URL through the core's
/// URL rule; refused ones are noted in `report` and not listed). See `published.rs`.
#[wasm_bindgen(js_name = proofFetches)]
pub fn proof_fetches(report_json: &str, allow_loopback: bool) -> Result<String, JsValue> {
    published::proof_fetches(report_json, allow_loopback).map_err(throw)
}

/// `attachEndpointAnswers(reportJson, answersJson) → string` (the updated report):
/// answers are `[{step, endpoint, status, body?, error?}]`.
#[wasm_bindgen(js_name = attachEndpointAnswers)]
pub fn attach_endpoint_answers(report_json: &str, answers_json: &str) -> Result<String, JsValue> {
    published::attach_endpoint_answers(report_json, answers_json).map_err(throw)
}

/// `endpointProofsUrl(endpoint, manifestId, allowLoopback) → string`: the proofs URL, or
/// throws `{code: "fetch.refused", message}` when the URL rule refuses it.
#[wasm_bindgen(js_name = endpointProofsUrl)]
pub fn endpoint_proofs_url(
    endpoint: &str,
    manifest_id: &str,
    allow_loopback: bool,
) -> Result<String, JsValue> {
    published::endpoint_proofs_url(endpoint, manifest_id, allow_loopback).map_err(throw)
}

/// `isccImageCode(rgba, width, height) → string`: the ISCC Content-Code Image (`ISCC:…`,
/// `io.iscc.v0`) of RGBA pixels the browser decoded (see `recover.rs`).
#[wasm_bindgen(js_name = isccImageCode)]
pub fn iscc_image_code(rgba: &[u8], width: u32, height: u32) -> Result<String, JsValue> {
    recover::image_code(rgba, width, height).map_err(throw)
}

/// `isccDistance(a, b) → number`: bits between two ISCC image codes.
#[wasm_bindgen(js_name = isccDistance)]
pub fn iscc_distance(a: &str, b: &str) -> Result<u32, JsValue> {
    recover::distance(a, b).map_err(throw)
}

/// `recoverQueryUrl(endpoint, code, allowLoopback) → string`: the `/matches/byBinding` URL
/// for a code; throws `{code: "fetch.refused"}` when the URL rule refuses the endpoint.
#[wasm_bindgen(js_name = recoverQueryUrl)]
pub fn recover_query_url(
    endpoint: &str,
    code: &str,
    allow_loopback: bool,
) -> Result<String, JsValue> {
    recover::by_binding_url(endpoint, code, allow_loopback).map_err(throw)
}

/// `recoverBestMatch(endpoint, answer, allowLoopback) → string`: JSON
/// `{manifestId, similarityScore, url}` of the best match, or `null`.
#[wasm_bindgen(js_name = recoverBestMatch)]
pub fn recover_best_match(
    endpoint: &str,
    answer: &str,
    allow_loopback: bool,
) -> Result<String, JsValue> {
    recover::best_match(endpoint, answer, allow_loopback).map_err(throw)
}

/// `recoverJudge(reportJson, localCode) → string`: whether a recovered manifest store's
/// report (verified standalone) counts as the original of a picture with `localCode`.
#[wasm_bindgen(js_name = recoverJudge)]
pub fn recover_judge(report_json: &str, local_code: &str) -> Result<String, JsValue> {
    recover::judge(report_json, local_code).map_err(throw)
}

/// The policy the page and the extension apply (JSON, the fields of a policy file
/// without `trust_anchors`; `{}` is the default: trusted, no blacklisted camera or
/// signer) evaluated on a report: `{"passed": bool, "reasons": [{"rule", "message"}]}`.
/// The same evaluation as `provenant verify`, `batch` and `serve`.
pub fn evaluate_policy_json(report_json: &str, policy_json: &str) -> Result<String, WasmError> {
    let bad = |what: &str, e: serde_json::Error| WasmError {
        code: "options.invalid",
        message: format!("{what}: {e}"),
    };
    let report: provenant_core::Report =
        serde_json::from_str(report_json).map_err(|e| bad("report", e))?;
    let policy: provenant_core::policy::Policy = if policy_json.trim().is_empty() {
        provenant_core::policy::Policy::default()
    } else {
        serde_json::from_str(policy_json).map_err(|e| bad("policy", e))?
    };
    serde_json::to_string(&policy.evaluate(&report)).map_err(|e| bad("evaluation", e))
}

/// `evaluatePolicy(reportJson, policyJson) → string`: see [`evaluate_policy_json`].
#[wasm_bindgen(js_name = evaluatePolicy)]
pub fn evaluate_policy(report_json: &str, policy_json: &str) -> Result<String, JsValue> {
    evaluate_policy_json(report_json, policy_json).map_err(throw)
}

/// Version of the verifier, for the page's footer.
#[wasm_bindgen]
pub fn version() -> String {
    provenant_core::VERSION.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of `../shared/fixtures` (the wasm crate's unit tests share it).
    pub(crate) fn fixture(rel: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures")
            .join(rel);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn same_report_as_the_core() {
        let pem = String::from_utf8(fixture("interop/trust-anchor-root.pem")).unwrap();
        let json = verify_to_json(
            &fixture("interop/peer-edited.jpg"),
            &pem,
            Some("peer-edited.jpg"),
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["verdict"], "trusted");
        assert_eq!(v["file"], "peer-edited.jpg");
        assert_eq!(v["chain"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn a_digest_from_the_caller_is_used_and_checked_for_form() {
        let bytes = fixture("c2pa-rs/C.jpg");
        let own = verify_to_json(&bytes, "", None).unwrap();
        let sha = serde_json::from_str::<serde_json::Value>(&own).unwrap()["sha256"]
            .as_str()
            .unwrap()
            .to_owned();
        let given =
            verify_to_json_with_digest(&bytes, "", None, Some(&sha.to_uppercase())).unwrap();
        assert_eq!(given, own);
        assert_eq!(
            verify_to_json_with_digest(&bytes, "", None, Some("abc"))
                .unwrap_err()
                .code,
            "options.invalid"
        );
    }

    #[test]
    fn the_allowed_list_vouches_for_its_signers() {
        let bytes = fixture("realworld/amazon-titan-image-g1.png");
        let allowed = String::from_utf8(fixture("trust/cai-allowed.pem")).unwrap();
        let verdict = |allowed: &str| -> serde_json::Value {
            let trust = trust_anchors("", allowed).unwrap();
            serde_json::from_str(&verify_with_trust(&bytes, trust, None, None).unwrap()).unwrap()
        };
        assert_eq!(verdict("")["verdict"], "valid");
        let v = verdict(&allowed);
        assert_eq!(v["verdict"], "trusted");
        assert_eq!(v["chain"][0]["vouched_by"], "allowed_list");
    }

    #[test]
    fn a_fetched_remote_manifest_is_reported_as_fetched_from_its_url() {
        let asset = fixture("formats/cloud.jpg");
        let store = fixture("formats/cloud_manifest.c2pa");
        let url = "https://manifests.example/m/cloud";
        let trust = trust_anchors("", "").unwrap();
        let v: serde_json::Value = serde_json::from_str(
            &verify_with_external(&asset, trust, None, None, Some((&store, url)), true).unwrap(),
        )
        .unwrap();
        assert_eq!(v["verdict"], "valid", "{v}");
        let codes = v["codes"].as_array().unwrap();
        assert!(
            codes
                .iter()
                .any(|c| c["code"] == "manifest.fetched" && c["url"] == url),
            "{v}"
        );
        assert!(
            !codes.iter().any(|c| c["code"] == "manifest.sidecar"),
            "{v}"
        );
    }

    #[test]
    fn manifest_urls_go_through_the_core_url_rule() {
        let ok = "https://manifests.example/m/cloud.c2pa";
        assert_eq!(checked_manifest_url(ok, false).unwrap(), ok);
        for bad in [
            "http://manifests.example/x.c2pa",
            "https://10.0.0.1/x.c2pa",
            "https://169.254.169.254/latest",
            "https://127.0.0.1:8443/x.c2pa",
            "http://127.0.0.1:8080/x.c2pa",
            "https://[::1]/x.c2pa",
            "https://user:pw@manifests.example/x.c2pa",
            "ftp://manifests.example/x.c2pa",
            "not a url",
        ] {
            assert_eq!(
                checked_manifest_url(bad, false).unwrap_err().code,
                "fetch.refused",
                "{bad}"
            );
        }
        // Loopback only with the development setting; other private addresses never.
        assert!(checked_manifest_url("http://127.0.0.1:8080/x.c2pa", true).is_ok());
        assert!(checked_manifest_url("https://10.0.0.1/x.c2pa", true).is_err());
        let long = format!("https://manifests.example/{}", "a".repeat(MAX_URL_CHARS));
        assert!(checked_manifest_url(&long, false).is_err());
    }

    #[test]
    fn a_remote_manifest_is_not_fetched_and_a_sidecar_is_checked_against_the_asset() {
        let asset = fixture("formats/cloud.jpg");
        let alone: serde_json::Value =
            serde_json::from_str(&verify_to_json(&asset, "", None).unwrap()).unwrap();
        assert_eq!(alone["verdict"], "not_checked");
        let remote = alone["codes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == "manifest.remote")
            .expect("a manifest.remote code");
        assert!(remote["url"].as_str().unwrap().starts_with("http"));

        let store = fixture("formats/cloud_manifest.c2pa");
        let trust = trust_anchors("", "").unwrap();
        let with: serde_json::Value = serde_json::from_str(
            &verify_with_sidecar(&asset, trust, None, None, Some((&store, "cloud.c2pa"))).unwrap(),
        )
        .unwrap();
        assert_ne!(with["verdict"], "not_checked", "{with}");
        assert_ne!(with["verdict"], "invalid", "{with}");
        assert!(with["codes"].to_string().contains("manifest.sidecar"));
        assert!(with["codes"].to_string().contains("cloud.c2pa"));
        // The same store against other bytes does not bind them.
        let other = fixture("c2pa-rs/C.jpg");
        let trust = trust_anchors("", "").unwrap();
        let wrong: serde_json::Value = serde_json::from_str(
            &verify_with_sidecar(&other, trust, None, None, Some((&store, "cloud.c2pa"))).unwrap(),
        )
        .unwrap();
        assert_eq!(wrong["verdict"], "invalid", "{wrong}");
        let trust = trust_anchors("", "").unwrap();
        assert_eq!(
            verify_with_sidecar(&asset, trust, None, None, Some((b"", "x")))
                .unwrap_err()
                .code,
            "options.invalid"
        );
        // Thumbnails come from the sidecar too.
        let declared = with["chain"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["thumbnail"].is_string())
            .count();
        let found = thumbnails::claim_thumbnails(&asset, Some(&store)).len();
        assert!(found <= declared, "{found} thumbnails, {declared} declared");
    }

    #[test]
    fn errors_are_structured() {
        assert_eq!(
            verify_to_json(b"", "", None).unwrap_err().code,
            "input.empty"
        );
        assert_eq!(
            verify_to_json(b"plain text", "", None).unwrap_err().code,
            "input.unknownFormat"
        );
        assert_eq!(
            verify_to_json(&fixture("c2pa-rs/C.jpg"), "junk", None)
                .unwrap_err()
                .code,
            "options.invalid"
        );
        assert_eq!(
            trust_anchors("", "not a certificate").unwrap_err().code,
            "options.invalid"
        );
    }

    /// With the `pdf` feature PDF is read in the browser as by the CLI, with the verdicts
    /// the reference tool gives (../shared/fixtures/README.md): the unsigned sample has no
    /// manifest, the signed one is valid but its signer is not trusted here; a damaged PDF
    /// is an error or a verdict, never a panic.
    /// (The workspace's test run builds this crate with `pdf`; the browser tests check the
    /// default build's refusal in Chromium.)
    #[test]
    fn pdf_documents_get_the_reference_verdicts_or_are_refused() {
        if !cfg!(feature = "pdf") {
            for rel in ["formats/basic.pdf", "formats/express-signed.pdf"] {
                let e = verify_to_json(&fixture(rel), "", None).unwrap_err();
                assert_eq!(e.code, "input.unsupportedFormat", "{rel}: {e:?}");
            }
            return;
        }
        let report = |rel: &str| -> serde_json::Value {
            serde_json::from_str(&verify_to_json(&fixture(rel), "", None).unwrap()).unwrap()
        };
        let basic = report("formats/basic.pdf");
        assert_eq!(basic["format"], "application/pdf");
        assert_eq!(basic["verdict"], "no_manifest");
        let signed = report("formats/express-signed.pdf");
        assert_eq!(signed["format"], "application/pdf");
        assert_eq!(signed["verdict"], "valid");
        let codes: Vec<&str> = signed["codes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["kind"] == "failure")
            .map(|c| c["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&"signingCredential.untrusted"), "{codes:?}");
        let bytes = fixture("formats/express-signed.pdf");
        for cut in [9, 100, bytes.len() / 2, bytes.len() - 10] {
            match verify_to_json(&bytes[..cut], "", None) {
                Ok(json) => assert!(json.contains("\"verdict\"")),
                Err(e) => assert!(e.code.starts_with("input."), "{cut}: {e:?}"),
            }
        }
    }
}
