use super::*;

use crate::tests::fixture;

#[test]
fn the_code_of_rgba_is_cores_code() {
    let img = image::load_from_memory(&fixture("interop/peer-edited.jpg")).unwrap();
    let rgba = img.to_rgba8();
    let text = image_code(rgba.as_raw(), rgba.width(), rgba.height()).unwrap();
    assert_eq!(text, iscc::code_image(&img).to_string());
    assert!(text.starts_with("ISCC:EEA"), "{text}");
}

#[test]
fn bad_pixels_are_refused() {
    assert!(image_code(&[], 0, 0).is_err());
    assert!(image_code(&[0; 15], 2, 2).is_err());
    assert!(image_code(&[0; 16], 100_000, 100_000).is_err());
    assert_eq!(
        image_code(&[255; 16], 2, 2).unwrap().len(),
        "ISCC:EEAQAAAAAAAAAAAA".len()
    );
}

#[test]
fn query_urls_follow_the_url_rule() {
    let code = "ISCC:EEAZF2LFD2NPKJKK";
    let url = by_binding_url("https://repo.example/sbr/", code, false).unwrap();
    assert_eq!(
        url,
        "https://repo.example/sbr/matches/byBinding?alg=io.iscc.v0&value=SVNDQzpFRUFaRjJMRkQyTlBLSktL"
    );
    assert!(by_binding_url("http://repo.example", code, false).is_err());
    assert!(by_binding_url("https://127.0.0.1:8080", code, false).is_err());
    assert!(by_binding_url("http://127.0.0.1:8080", code, true).is_ok());
    assert!(by_binding_url("https://10.0.0.1", code, true).is_err());
    assert!(by_binding_url("https://repo.example/?x=1", code, false).is_err());
    assert!(by_binding_url("https://repo.example", "ISCC:nope", false).is_err());
}

#[test]
fn the_best_match_is_taken_and_its_id_encoded() {
    let answer = r#"{"matches":[{"manifestId":"urn:c2pa:a","similarityScore":80},
        {"manifestId":"urn:c2pa:b/../x?","similarityScore":95},{"similarityScore":100}]}"#;
    let best: Value =
        serde_json::from_str(&best_match("https://r.example", answer, false).unwrap()).unwrap();
    assert_eq!(best["manifestId"], "urn:c2pa:b/../x?");
    assert_eq!(
        best["url"],
        "https://r.example/manifests/urn%3Ac2pa%3Ab%2F..%2Fx%3F"
    );
    assert_eq!(
        best_match("https://r.example", r#"{"matches":[]}"#, false).unwrap(),
        "null"
    );
    assert!(best_match("https://r.example", "<html>", false).is_err());
    assert!(best_match("https://r.example", "{}", false).is_err());
}

fn report(failures: &[&str], signature: bool, binding: Option<&str>) -> String {
    let mut codes: Vec<Value> = failures
        .iter()
        .map(|f| serde_json::json!({"code": f, "kind": "failure", "step": 0}))
        .collect();
    if signature {
        codes.push(
            serde_json::json!({"code": "claimSignature.validated", "kind": "success", "step": 0}),
        );
    }
    serde_json::json!({
        "verdict": "invalid",
        "codes": codes,
        "chain": [{"manifest": "urn:c2pa:x", "signer": {"common_name": "Desk", "issuer": "Org"},
                   "time": "2026-11-30T07:30:15Z", "trust": "trusted"}],
        "soft_binding": binding.map(|v| serde_json::json!({"alg": "io.iscc.v0", "value": v})),
    })
    .to_string()
}

#[test]
fn only_a_verifying_near_manifest_counts() {
    let local = "ISCC:EEAZF2LFD2NPKJKK";
    let near = IsccImageCode(local.parse::<IsccImageCode>().unwrap().0 ^ 0b111).to_string();
    let far = IsccImageCode(!local.parse::<IsccImageCode>().unwrap().0).to_string();
    let j = |r: String| -> Value { serde_json::from_str(&judge(&r, local).unwrap()).unwrap() };
    let ok = j(report(&["assertion.dataHash.mismatch"], true, Some(&near)));
    assert_eq!(ok["recovered"], true);
    assert_eq!(ok["distance"], 3);
    assert_eq!(ok["similarity"], 95);
    assert_eq!(ok["signer"], "Desk");
    assert_eq!(
        j(report(&["assertion.dataHash.mismatch"], true, Some(&far)))["reason"],
        "tooFar"
    );
    assert_eq!(
        j(report(&["claimSignature.mismatch"], true, Some(local)))["reason"],
        "doesNotVerify"
    );
    assert_eq!(
        j(report(&[], false, Some(local)))["reason"],
        "doesNotVerify"
    );
    assert_eq!(j(report(&[], true, None))["reason"], "noSoftBinding");
    assert!(judge("{", local).is_err());
}
