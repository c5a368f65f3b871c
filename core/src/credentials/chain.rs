//! The edit chain of a verified file: one step per manifest (newest first), each with
//! its signer, actions, ingredients, status codes, trust and status, and the file's
//! verdict over them.

use std::collections::HashMap;

use c2pa::status_tracker::LogKind;
use c2pa::validation_results::validation_codes;
use c2pa::validation_status::ValidationStatus;
use c2pa::{Manifest, Reader, ValidationState};
use serde_json::Value;

use crate::chronology::proof::manifest_id;
use crate::credentials::report::{
    is_ai_source_type, ActionRecord, ChainStep, CodeKind, CodeOrigin, IngredientRef, Report,
    SignerInfo, StatusCode, StepStatus, TimeSource, Trust, Verdict, VouchedBy,
};
use crate::credentials::trust::TrustAnchors;

/// Chains deeper than this are cut (a hostile file could nest ingredients without end).
const MAX_CHAIN_STEPS: usize = 256;

/// The manifest label a JUMBF URI points into (`self#jumbf=/c2pa/<label>/...`).
pub(super) fn label_of(url: &str) -> Option<&str> {
    let rest = &url[url.find("/c2pa/")? + "/c2pa/".len()..];
    let end = rest.find('/').unwrap_or(rest.len());
    Some(&rest[..end]).filter(|l| !l.is_empty())
}

pub(super) fn kind_of(kind: &LogKind) -> CodeKind {
    match kind {
        LogKind::Success => CodeKind::Success,
        LogKind::Informational => CodeKind::Informational,
        _ => CodeKind::Failure,
    }
}

pub(super) fn status_code(
    s: &ValidationStatus,
    kind: CodeKind,
    origin: CodeOrigin,
    step: Option<usize>,
) -> StatusCode {
    StatusCode {
        code: s.code().to_owned(),
        kind,
        origin,
        step,
        url: s.url().map(str::to_owned),
        explanation: s.explanation().map(str::to_owned),
    }
}

/// Trust codes recorded by an earlier signer reflect *its* trust list, not ours.
pub(super) fn is_trust_code(code: &str) -> bool {
    code == validation_codes::SIGNING_CREDENTIAL_UNTRUSTED
        || code == validation_codes::SIGNING_CREDENTIAL_TRUSTED
}

pub(super) fn fill_report(report: &mut Report, reader: &Reader, trust: &TrustAnchors) {
    let Some(active_label) = reader.active_label() else {
        return;
    };
    let mut index: HashMap<String, usize> = HashMap::new();
    // Walk the ingredient graph breadth-first from the active manifest.
    let mut queue: Vec<(String, Option<usize>, String)> =
        vec![(active_label.to_owned(), None, "active".to_owned())];
    let mut recorded: Vec<(StatusCode, Option<String>)> = Vec::new();
    let mut cursor = 0;
    while cursor < queue.len() && report.chain.len() < MAX_CHAIN_STEPS {
        let (label, parent, relationship) = queue[cursor].clone();
        cursor += 1;
        let Some(manifest) = reader.get_manifest(&label) else {
            continue;
        };
        let step_index = report.chain.len();
        index.insert(label.clone(), step_index);
        let mut step = describe_step(step_index, &label, parent, relationship, manifest);
        for ingredient in manifest.ingredients() {
            let relationship = serde_json::to_value(ingredient.relationship())
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "componentOf".to_owned());
            let child = ingredient
                .active_manifest()
                .filter(|l| reader.get_manifest(l).is_some());
            if let Some(l) = child {
                if !index.contains_key(l) && !queue.iter().any(|(q, _, _)| q == l) {
                    queue.push((l.to_owned(), Some(step_index), relationship.clone()));
                }
            }
            step.ingredients.push(IngredientRef {
                title: ingredient.title().map(str::to_owned),
                relationship,
                step: None, // set once every step has its index
            });
            // What the later signer recorded about this ingredient when it took it in;
            // attributed to the manifest its URI names, else to the ingredient's own.
            for (s, kind) in recorded_statuses(ingredient) {
                let target = s.url().and_then(label_of).or(child).map(str::to_owned);
                recorded.push((
                    status_code(&s, kind, CodeOrigin::IngredientRecord, None),
                    target,
                ));
            }
        }
        report.chain.push(step);
    }
    fix_ingredient_steps(report, reader, &index);

    // Live validation results, attributed to the step their URI points into.
    if let Some(results) = reader.validation_results() {
        if let Some(active) = results.active_manifest() {
            push_codes(report, &index, active.success(), CodeKind::Success, Some(0));
            push_codes(
                report,
                &index,
                active.informational(),
                CodeKind::Informational,
                Some(0),
            );
            push_codes(report, &index, active.failure(), CodeKind::Failure, Some(0));
        }
        for delta in results.ingredient_deltas().into_iter().flatten() {
            let d = delta.validation_deltas();
            // A code without a URL (time-stamp codes have none) belongs to the step
            // of the ingredient the delta is about.
            let step = delta_step(reader, &index, delta.ingredient_assertion_uri());
            push_codes(report, &index, d.success(), CodeKind::Success, step);
            push_codes(
                report,
                &index,
                d.informational(),
                CodeKind::Informational,
                step,
            );
            push_codes(report, &index, d.failure(), CodeKind::Failure, step);
        }
    }
    for (mut code, target) in recorded {
        code.step = target.and_then(|l| index.get(&l).copied());
        report.codes.push(code);
    }

    check_ingredient_trust(report, reader, trust);
    settle_time_stamps(report);
    settle_steps(report);
    vouch_for_steps(report, reader, trust);
    report.verdict = overall_verdict(reader.validation_state(), &report.chain);
}

/// The step of the ingredient an ingredient assertion URI names
/// (`self#jumbf=/c2pa/<manifest>/c2pa.assertions/<ingredient label>`).
fn delta_step(reader: &Reader, index: &HashMap<String, usize>, uri: &str) -> Option<usize> {
    let parent = reader.get_manifest(label_of(uri)?)?;
    let assertion = uri.rsplit('/').next()?;
    parent
        .ingredients()
        .iter()
        .find(|i| i.label() == Some(assertion))
        .and_then(|i| i.active_manifest())
        .and_then(|l| index.get(l).copied())
}

/// A time is "time-stamped" only when the SDK checked the time-stamp live on that step
/// and its authority chains to a trusted TSA (`timeStamp.trusted`). The time a manifest
/// reports is read from the token without any trust check, so a self-made TSA could
/// otherwise back-date a claim.
pub(super) fn settle_time_stamps(report: &mut Report) {
    for i in 0..report.chain.len() {
        if report.chain[i].time_source != Some(TimeSource::TimeStamp) {
            continue;
        }
        let trusted = report.codes.iter().any(|c| {
            c.step == Some(i)
                && c.origin == CodeOrigin::Validation
                && c.code == validation_codes::TIMESTAMP_TRUSTED
        });
        if !trusted {
            report.chain[i].time_source = Some(TimeSource::UntrustedTimeStamp);
        }
    }
}

pub(super) fn fix_ingredient_steps(
    report: &mut Report,
    reader: &Reader,
    index: &HashMap<String, usize>,
) {
    for step_i in 0..report.chain.len() {
        let label = report.chain[step_i].manifest.clone();
        let Some(manifest) = reader.get_manifest(&label) else {
            continue;
        };
        for (slot, ingredient) in manifest.ingredients().iter().enumerate() {
            let found = ingredient
                .active_manifest()
                .and_then(|l| index.get(l).copied());
            if let Some(ing) = report.chain[step_i].ingredients.get_mut(slot) {
                ing.step = found;
            }
        }
    }
}

/// Everything a later signer recorded about an ingredient, each status classified by
/// the SDK's own kind for its code, never by the array it sits in: the SDK drops a
/// live finding about an ingredient when the store records an equal (code, url)
/// anywhere — `success`, `informational`, `failure` or `ingredientDeltas` — so a
/// recorded `claimSignature.mismatch` filed under `success` must still count.
pub(super) fn recorded_statuses(
    ingredient: &c2pa::Ingredient,
) -> Vec<(ValidationStatus, CodeKind)> {
    let mut statuses: Vec<ValidationStatus> = Vec::new();
    if let Some(results) = ingredient.validation_results() {
        if let Some(active) = results.active_manifest() {
            statuses.extend_from_slice(active.success());
            statuses.extend_from_slice(active.informational());
            statuses.extend_from_slice(active.failure());
        }
        for delta in results.ingredient_deltas().into_iter().flatten() {
            let d = delta.validation_deltas();
            statuses.extend_from_slice(d.success());
            statuses.extend_from_slice(d.informational());
            statuses.extend_from_slice(d.failure());
        }
    }
    if let Some(more) = ingredient.validation_status() {
        statuses.extend_from_slice(more);
    }
    let mut out: Vec<(ValidationStatus, CodeKind)> = Vec::new();
    for s in statuses {
        let kind = kind_of(&validation_codes::log_kind(s.code()));
        if !out
            .iter()
            .any(|(o, _)| o.code() == s.code() && o.url() == s.url())
        {
            out.push((s, kind));
        }
    }
    out
}

pub(super) fn push_codes(
    report: &mut Report,
    index: &HashMap<String, usize>,
    statuses: &[ValidationStatus],
    kind: CodeKind,
    default_step: Option<usize>,
) {
    for s in statuses {
        let step = s
            .url()
            .and_then(label_of)
            .and_then(|l| index.get(l).copied())
            .or(default_step);
        report
            .codes
            .push(status_code(s, kind, CodeOrigin::Validation, step));
    }
}

/// For C2PA v2 claims the SDK accepts an ingredient's recorded status when its
/// manifest hash matches, so the recorded trust reflects the *editor's* trust list.
/// We check every step without a live trust decision against our own anchors.
pub(super) fn check_ingredient_trust(report: &mut Report, reader: &Reader, trust: &TrustAnchors) {
    // Built (once per trust) only when a step needs it.
    let mut vouchers = None;
    for i in 0..report.chain.len() {
        let decided = report.codes.iter().any(|c| {
            c.step == Some(i)
                && c.origin == CodeOrigin::Validation
                && (c.code == validation_codes::SIGNING_CREDENTIAL_TRUSTED
                    || c.code == validation_codes::SIGNING_CREDENTIAL_UNTRUSTED)
        });
        if decided {
            continue;
        }
        let Some(sig) = reader
            .get_manifest(&report.chain[i].manifest)
            .and_then(Manifest::signature_info)
        else {
            continue;
        };
        let ders = crate::credentials::trust::certificate_ders(sig.cert_chain());
        let verdict = match ders.split_first() {
            None => Err("no certificate chain in the signature".to_owned()),
            Some((leaf, rest)) => match vouchers.get_or_insert_with(|| trust.vouchers()).every() {
                None => Err("no trust anchors configured".to_owned()),
                Some(policy) => policy
                    .check_certificate_trust(rest, leaf, None)
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
            },
        };
        let (code, kind, explanation) = match verdict {
            Ok(()) => (
                validation_codes::SIGNING_CREDENTIAL_TRUSTED,
                CodeKind::Success,
                "signing certificate chains to a configured trust anchor".to_owned(),
            ),
            Err(e) => (
                validation_codes::SIGNING_CREDENTIAL_UNTRUSTED,
                CodeKind::Failure,
                format!("signing certificate not trusted here: {e}"),
            ),
        };
        report.codes.push(StatusCode {
            code: code.to_owned(),
            kind,
            origin: CodeOrigin::Provenant,
            step: Some(i),
            url: Some(format!(
                "self#jumbf=/c2pa/{}/c2pa.signature",
                report.chain[i].manifest
            )),
            explanation: Some(explanation),
        });
    }
}

/// Who vouches for each trusted step's signer. The C2PA validator has one set of
/// anchors for signers and time-stamp authorities; a signer that chains only to a TSA
/// anchor (a CA that issues both) is not trusted here: only your anchors, the C2PA trust
/// list and the allowed list vouch for signers.
fn vouch_for_steps(report: &mut Report, reader: &Reader, trust: &TrustAnchors) {
    let mut codes = Vec::new();
    let mut vouchers = None;
    let mut answered: Vec<(Vec<Vec<u8>>, Option<VouchedBy>)> = Vec::new();
    for step in &mut report.chain {
        if step.trust != Trust::Trusted {
            continue;
        }
        let Some(sig) = reader
            .get_manifest(&step.manifest)
            .and_then(Manifest::signature_info)
        else {
            continue;
        };
        let ders = crate::credentials::trust::certificate_ders(sig.cert_chain());
        if let Some((_, answer)) = answered.iter().find(|(chain, _)| *chain == ders) {
            // Steps signed with the same chain (an editor's several manifests): one check.
            step.vouched_by = *answer;
        } else if let Some((leaf, rest)) = ders.split_first() {
            // The step's trust is a live check of this chain over every anchor: see
            // `vouch_trusted` for why that lets names settle who vouches.
            step.vouched_by = vouchers
                .get_or_insert_with(|| trust.vouchers())
                .vouch_trusted(leaf, rest);
            answered.push((ders, step.vouched_by));
        }
        if step.vouched_by.is_none() {
            step.trust = Trust::Untrusted;
            if step.status == StepStatus::Trusted {
                step.status = StepStatus::Valid;
            }
            codes.push(StatusCode {
                code: validation_codes::SIGNING_CREDENTIAL_UNTRUSTED.to_owned(),
                kind: CodeKind::Failure,
                origin: CodeOrigin::Provenant,
                step: Some(step.index),
                url: Some(format!("self#jumbf=/c2pa/{}/c2pa.signature", step.manifest)),
                explanation: Some(
                    "the signer chains only to a time-stamp authority's anchor, which vouches for time-stamps, not signers".to_owned(),
                ),
            });
        }
    }
    report.codes.extend(codes);
}

/// Per-step trust and status from the codes attributed to each step.
pub(super) fn settle_steps(report: &mut Report) {
    for step in &mut report.chain {
        let mine = report.codes.iter().filter(|c| c.step == Some(step.index));
        // Codes on an identity assertion are about the person who signed it, not about
        // the step's signer: they settle the identity, not the step's trust.
        let on_identity = |c: &&crate::credentials::report::StatusCode| {
            c.url
                .as_deref()
                .is_some_and(crate::credentials::identity::is_identity_url)
        };
        crate::credentials::identity::settle(
            &mut step.identities,
            mine.clone().filter(on_identity).map(|c| {
                (
                    c.code.as_str(),
                    c.url.as_deref().unwrap_or(""),
                    c.kind == CodeKind::Failure,
                )
            }),
        );
        let mut trust = Trust::Unknown;
        let mut failures: Vec<String> = Vec::new();
        for c in mine.filter(|c| !on_identity(c)) {
            let live = c.origin != CodeOrigin::IngredientRecord;
            if c.code == validation_codes::SIGNING_CREDENTIAL_TRUSTED && live {
                trust = Trust::Trusted;
            } else if c.code == validation_codes::SIGNING_CREDENTIAL_UNTRUSTED && live {
                if trust != Trust::Trusted {
                    trust = Trust::Untrusted;
                }
            } else if c.kind == CodeKind::Failure
                && !is_trust_code(&c.code)
                && !failures.contains(&c.code)
            {
                failures.push(c.code.clone());
            }
        }
        // A step whose own claim signature failed (live or as recorded) was not made
        // by the holder of its certificate: whoever the certificate names, it vouches
        // for nothing here.
        if failures.iter().any(|f| f.starts_with("claimSignature.")) {
            trust = Trust::Unknown;
        }
        step.trust = trust;
        step.status = if !failures.is_empty() {
            StepStatus::Invalid
        } else if trust == Trust::Trusted {
            StepStatus::Trusted
        } else {
            StepStatus::Valid
        };
        step.failures = failures;
    }
}

/// The C2PA validation state of the active manifest, never greener than a step
/// that failed live validation or whose signer is untrusted here, and `invalid`
/// when any step of the parent lineage (the `parentOf` ingredients this picture
/// was edited from) is invalid, even if only recorded so: an edit must not launder
/// a tampered original. A broken *component* is reported on its step only, as
/// the C2PA validation states prescribe.
pub(super) fn overall_verdict(state: ValidationState, chain: &[ChainStep]) -> Verdict {
    let mut verdict = match state {
        ValidationState::Trusted => Verdict::Trusted,
        ValidationState::Valid => Verdict::Valid,
        _ => Verdict::Invalid,
    };
    let mut lineage = vec![false; chain.len()];
    for (i, step) in chain.iter().enumerate() {
        lineage[i] = i == 0
            || (step.relationship == "parentOf"
                && step
                    .parent
                    .is_some_and(|p| lineage.get(p).copied().unwrap_or(false)));
        if lineage[i] && step.status == StepStatus::Invalid {
            verdict = Verdict::Invalid;
        }
    }
    if verdict == Verdict::Trusted && chain.iter().any(|s| s.trust == Trust::Untrusted) {
        verdict = Verdict::Valid;
    }
    verdict
}

pub(super) fn describe_step(
    index: usize,
    label: &str,
    parent: Option<usize>,
    relationship: String,
    manifest: &Manifest,
) -> ChainStep {
    let sig = manifest.signature_info();
    let ders = sig
        .map(|s| crate::credentials::trust::certificate_ders(s.cert_chain()))
        .unwrap_or_default();
    let actions = actions_of(manifest);
    let digital_source_type = actions
        .iter()
        .find(|a| a.action == "c2pa.created")
        .and_then(|a| a.digital_source_type.clone())
        .or_else(|| actions.iter().find_map(|a| a.digital_source_type.clone()));
    let (time, time_source) = match sig.and_then(|s| s.time.clone()) {
        Some(t) => (Some(t), Some(TimeSource::TimeStamp)),
        None => match actions.iter().filter_map(|a| a.when.clone()).max() {
            Some(t) => (Some(t), Some(TimeSource::Claimed)),
            None => (None, None),
        },
    };
    ChainStep {
        index,
        manifest: label.to_owned(),
        parent,
        relationship,
        title: manifest.title().map(str::to_owned),
        format: manifest.format().map(str::to_owned),
        claim_generator: manifest.claim_generator().map(str::to_owned).or_else(|| {
            manifest
                .claim_generator_info
                .as_ref()
                .and_then(|v| v.first())
                .map(|g| g.name.clone())
        }),
        signer: SignerInfo {
            common_name: sig.and_then(|s| s.common_name.clone()),
            issuer: sig.and_then(|s| s.issuer.clone()),
            alg: sig.and_then(|s| s.alg).map(|a| a.to_string()),
            serial_number: sig.and_then(|s| s.cert_serial_number.clone()),
        },
        time,
        time_source,
        ai_generated: digital_source_type
            .as_deref()
            .is_some_and(is_ai_source_type),
        digital_source_type,
        actions,
        ingredients: Vec::new(),
        trust: Trust::Unknown,
        vouched_by: None,
        status: StepStatus::Valid,
        failures: Vec::new(),
        manifest_id: ders.first().map(|der| hex::encode(manifest_id(label, der))),
        anchor: None,
        chronology_endpoint: None,
        certificates: ders
            .iter()
            .map(|der| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(der)))
            .collect(),
        capture: crate::blacklist::capture::assertion::read_assertion(manifest),
        blacklist: Default::default(),
        metadata: crate::credentials::metadata::metadata_of(manifest),
        do_not_train: crate::credentials::metadata::do_not_train_of(manifest),
        identities: crate::credentials::identity::identities_of(manifest),
        thumbnail: manifest
            .thumbnail_ref()
            .map(|t| t.format.chars().take(100).collect()),
    }
}

pub(super) fn actions_of(manifest: &Manifest) -> Vec<ActionRecord> {
    let mut out = Vec::new();
    for assertion in manifest.assertions() {
        if !assertion.label().starts_with("c2pa.actions") {
            continue;
        }
        let Ok(value) = assertion.value() else {
            continue;
        };
        for a in value
            .get("actions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(action) = a.get("action").and_then(Value::as_str) else {
                continue;
            };
            let agent = a.get("softwareAgent").and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            });
            out.push(ActionRecord {
                action: action.to_owned(),
                parameters: a.get("parameters").cloned(),
                digital_source_type: a
                    .get("digitalSourceType")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                software_agent: agent,
                when: a.get("when").and_then(Value::as_str).map(str::to_owned),
            });
        }
    }
    out
}
