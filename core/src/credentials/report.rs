//! The verification report: the one structure the CLI, the browser and batch
//! consumers share. Its JSON form is described by `docs/report.schema.json`.
//!
//! A verdict is data, never an error: `Err` from the verify functions means the
//! file could not be examined at all.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Version of the report's JSON layout; bumped on incompatible changes.
pub const REPORT_VERSION: u32 = 1;

/// The overall answer for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Cryptographically intact and every signer chains to a configured trust anchor.
    Trusted,
    /// Cryptographically intact, but some signer is not trusted here.
    Valid,
    /// Something is broken: a hash, a signature, a certificate or the manifest itself.
    Invalid,
    /// The file carries no C2PA manifest at all.
    NoManifest,
    /// The file's manifest is stored elsewhere (a remote URL, see the
    /// `manifest.remote` code) and was not fetched: nothing was checked.
    NotChecked,
}

impl Verdict {
    /// The verdict's snake_case name as it appears in the JSON report (`trusted`, `valid`, `invalid`, `no_manifest`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trusted => "trusted",
            Self::Valid => "valid",
            Self::Invalid => "invalid",
            Self::NoManifest => "no_manifest",
            Self::NotChecked => "not_checked",
        }
    }
}

/// How a status code should be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    /// The check passed.
    Success,
    /// Worth knowing, but not a failure.
    Informational,
    /// Something is broken: the step (or file) is invalid.
    Failure,
}

/// Where a status code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeOrigin {
    /// Found while validating this file now.
    Validation,
    /// Recorded by the signer of a later step when it took this step in as an ingredient.
    IngredientRecord,
    /// Added by provenant (not a C2PA code).
    Provenant,
}

/// One status code and where it applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusCode {
    /// Stable dotted code, e.g. `assertion.dataHash.mismatch`.
    pub code: String,
    /// Whether the code reports a success, information or a failure.
    pub kind: CodeKind,
    /// Who produced the code: this validation, a later signer's ingredient record, or provenant.
    pub origin: CodeOrigin,
    /// Index into [`Report::chain`] of the step this code is about, if known.
    pub step: Option<usize>,
    /// JUMBF URI of the element the code is about.
    pub url: Option<String>,
    /// Human-readable detail, when the validator gave one.
    pub explanation: Option<String>,
}

/// Whether a step's signer chains to a configured trust anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trust {
    /// The signer chains to a configured trust anchor.
    Trusted,
    /// The signer does not chain to any configured trust anchor.
    Untrusted,
    /// No trust decision was recorded for this step.
    Unknown,
}

/// The status of one step on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Intact and its signer is trusted.
    Trusted,
    /// Intact, but its signer is not trusted here.
    Valid,
    /// Something in this step is broken (see [`ChainStep::failures`]).
    Invalid,
}

/// Who signed a step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SignerInfo {
    /// Common name of the signing certificate.
    pub common_name: Option<String>,
    /// Organisation that issued the signing certificate.
    pub issuer: Option<String>,
    /// Signature algorithm, e.g. `Ed25519`, `Es256`.
    pub alg: Option<String>,
    /// Serial number of the signing certificate, as the C2PA reader reports it.
    pub serial_number: Option<String>,
}

/// Who vouches for a step's signer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VouchedBy {
    /// One of the anchors you configured (`--trust`, config, `PROVENANT_TRUST`).
    YourAnchors,
    /// The C2PA trust list (built in, or the snapshot `trust update` installed).
    C2paTrustList,
    /// The signer's own certificate is on the allowed list (`--allowed`).
    AllowedList,
}

/// Where a step's time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// An RFC 3161 time-stamp countersigned the claim, and its authority (TSA) chains
    /// to a trust anchor configured here.
    TimeStamp,
    /// A time-stamp whose authority does not chain to a trusted TSA here, or that could
    /// not be checked on this step: whoever runs such a TSA can write any time, so it is
    /// worth no more than the signer's own clock.
    UntrustedTimeStamp,
    /// The signer's own clock, as written in the actions (`when`); not independently proven.
    Claimed,
}

/// One recorded action (`c2pa.created`, `c2pa.cropped`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    /// The action's label, e.g. `c2pa.created` or `c2pa.cropped`.
    pub action: String,
    /// The action's parameters as recorded (e.g. the crop rectangle).
    pub parameters: Option<Value>,
    /// IPTC digital source type URI recorded with the action (`digitalSourceType`).
    pub digital_source_type: Option<String>,
    /// The software that performed the action (`softwareAgent`, or its `name`).
    pub software_agent: Option<String>,
    /// When the action happened (`when`), as the signer wrote it; not independently proven.
    pub when: Option<String>,
}

/// An ingredient listed by a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngredientRef {
    /// The ingredient's title (usually its file name), if recorded.
    pub title: Option<String>,
    /// `parentOf`, `componentOf` or `inputTo`.
    pub relationship: String,
    /// Index into [`Report::chain`] of the ingredient's own manifest, when it has one.
    pub step: Option<usize>,
}

/// One manifest of the edit chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainStep {
    /// Position in [`Report::chain`]; 0 is the active (newest) manifest.
    pub index: usize,
    /// The manifest label (`urn:c2pa:...`).
    pub manifest: String,
    /// Index of the step that lists this one as an ingredient (None for the active manifest).
    pub parent: Option<usize>,
    /// `active` for step 0, else the ingredient relationship.
    pub relationship: String,
    /// The manifest's title (usually the asset's file name), if any.
    pub title: Option<String>,
    /// The asset's MIME type as recorded in the manifest.
    pub format: Option<String>,
    /// The claim generator (software that signed), from the claim or its first `claim_generator_info`.
    pub claim_generator: Option<String>,
    /// Who signed this step.
    pub signer: SignerInfo,
    /// When the step was signed: the time-stamp's time, else the latest action `when` (see `time_source`).
    pub time: Option<String>,
    /// Where [`ChainStep::time`] comes from; None when there is no time.
    pub time_source: Option<TimeSource>,
    /// The actions this step recorded, in manifest order.
    pub actions: Vec<ActionRecord>,
    /// The ingredients this step lists.
    pub ingredients: Vec<IngredientRef>,
    /// IPTC digital source type of the creating action, if any.
    pub digital_source_type: Option<String>,
    /// True when the digital source type says the content was made by generative AI.
    pub ai_generated: bool,
    /// Whether the step's signer chains to a configured trust anchor.
    pub trust: Trust,
    /// Who vouches for the signer when it is trusted: your anchors, the C2PA trust list
    /// or the allowed list (checked in that order); null when nobody does.
    #[serde(default)]
    pub vouched_by: Option<VouchedBy>,
    /// The step's status on its own.
    pub status: StepStatus,
    /// Failure codes that apply to this step (details in [`Report::codes`]).
    pub failures: Vec<String>,
    /// Hex id that matches this step to chronology entries and anchor proofs
    /// (see `proof::manifest_id`); None when the step has no signing certificate.
    pub manifest_id: Option<String>,
    /// The step's on-chain anchor, when a proof for it was found.
    pub anchor: Option<StepAnchor>,
    /// The publisher's chronology endpoint named in this step's manifest (where its
    /// proof can be fetched; whatever it serves is checked against the chain).
    pub chronology_endpoint: Option<String>,
    /// SHA-256 fingerprints (hex) of the DER of the signing certificate and the rest of
    /// its chain, signer first: what the certificate blacklist is keyed by.
    #[serde(default)]
    pub certificates: Vec<String>,
    /// The unlinkable capture tag a camera put in this step's signed manifest.
    #[serde(default)]
    pub capture: Option<CaptureTag>,
    /// Camera and signer blacklist result for this step.
    #[serde(default)]
    pub blacklist: StepBlacklist,
    /// The photo metadata the step signed (caption, creators, credit, copyright,
    /// dateline), when it carries a metadata assertion with any of them.
    #[serde(default)]
    pub metadata: Option<crate::credentials::metadata::PhotoMetadata>,
    /// True when the step forbids AI training, inference and data mining
    /// (`cawg.training-mining`, every use `notAllowed`).
    #[serde(default)]
    pub do_not_train: bool,
    /// People who signed alongside the signer (CAWG identity assertions).
    #[serde(default)]
    pub identities: Vec<IdentityClaim>,
    /// The media type of the step's claim thumbnail, when it has one.
    #[serde(default)]
    pub thumbnail: Option<String>,
}

/// A capture tag (assertion `org.provenant.capture`): the epoch (UTC day), a fresh random
/// `r` and `tag` = PRF(k_epoch, r). Without the camera's epoch key these look random.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureTag {
    /// The tag's epoch: the UTC day it was made in.
    pub epoch: u32,
    /// Hex, 32 bytes.
    pub r: String,
    /// Hex, 32 bytes.
    pub tag: String,
}

/// Whether a step was checked against a blacklist, and what it matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlacklistState {
    /// No blacklist was consulted.
    #[default]
    NotChecked,
    /// Checked: no entry matches.
    Clear,
    /// An entry matches (see `hits`).
    Listed,
}

/// The blacklist result of one step.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StepBlacklist {
    /// Whether a blacklist was consulted and whether an entry matched.
    pub status: BlacklistState,
    /// The matching entries (empty unless `status` is `listed`).
    pub hits: Vec<BlacklistHit>,
}

/// One blacklist entry that matches a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlacklistHit {
    /// `device` (the capture tag matches a blacklisted camera's epoch key) or
    /// `certificate` (a certificate of the signer's chain is listed).
    pub kind: String,
    /// Entry id in the registry.
    pub entry: u64,
    /// The curator set that decided the entry.
    pub curator_set: u32,
    /// The reason given when the entry was proposed.
    pub reason: String,
    /// Device entries: photos from this epoch (UTC day) on are flagged.
    pub start_epoch: Option<u32>,
    /// Certificate entries: the listed fingerprint.
    pub fingerprint: Option<String>,
}

impl ChainStep {
    /// [`ChainStep::manifest_id`] as bytes.
    pub fn manifest_id_bytes(&self) -> Option<[u8; 32]> {
        let bytes = hex::decode(self.manifest_id.as_deref()?).ok()?;
        bytes.try_into().ok()
    }
}

/// How far an anchor proof was checked, and what it showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnchorStatus {
    /// The registry confirms the root and the leaf, and the block is finalized.
    Anchored,
    /// The registry confirms it, but the block is not finalized yet.
    Pending,
    /// The proof's path is sound, but no chain endpoint was consulted.
    Unchecked,
    /// The chain does not know the root, or the leaf is not in it.
    NotFound,
    /// The proof does not belong to this step or its path is broken.
    Invalid,
    /// Anchored by a key its publisher declared compromised at that time.
    KeyCompromised,
}

/// A step's anchor on chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepAnchor {
    /// How far the proof was checked, and what it showed.
    pub status: AnchorStatus,
    /// Where the proof came from: `sidecar`, `manifest` (carried by a later step),
    /// `endpoint` (fetched from the publisher) or `log` (the local chronology).
    pub source: String,
    /// EVM chain id the batch was anchored on.
    pub chain_id: u64,
    /// Address of the registry contract (0x-prefixed hex).
    pub registry: String,
    /// Merkle root of the anchored batch (0x-prefixed hex).
    pub root: String,
    /// Hash of the anchoring transaction (0x-prefixed hex).
    pub tx_hash: String,
    /// Block the anchoring transaction was mined in (as the proof says, then as the registry confirms).
    pub block_number: u64,
    /// Block time of the anchor (RFC 3339, UTC), once read from the chain.
    pub time: Option<String>,
    /// Publisher account and name registered in the contract, once read from the chain.
    pub publisher: Option<String>,
    /// The publisher's registered display name, once read from the chain.
    pub publisher_name: Option<String>,
    /// The key that anchored the batch.
    pub key: Option<String>,
    /// The proof bundle itself (base64), so the report can be re-checked anywhere.
    pub proof: String,
}

/// The result of verifying one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Layout version of this report ([`REPORT_VERSION`]).
    pub report_version: u32,
    /// The overall answer for the file.
    pub verdict: Verdict,
    /// The file's path or name, as the caller gave it.
    pub file: Option<String>,
    /// Detected MIME type.
    pub format: String,
    /// SHA-256 of the whole file.
    pub sha256: String,
    /// Size of the file in bytes.
    pub size: u64,
    /// Every status code found, each with the step it applies to.
    pub codes: Vec<StatusCode>,
    /// Manifests, newest first.
    pub chain: Vec<ChainStep>,
    /// True when a step matched a blacklist entry (device or certificate).
    #[serde(default)]
    pub blacklisted: bool,
    /// The blacklist consulted (snapshot or chain), when one was.
    #[serde(default)]
    pub blacklist_source: Option<String>,
    /// The active manifest's `c2pa.soft-binding` (a fingerprint of the pixels it was
    /// signed over) and whether the pixels still match it; null when it has none.
    #[serde(default)]
    pub soft_binding: Option<SoftBindingReport>,
}

/// Whether the pixels still match a soft binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SoftBindingStatus {
    /// The code of the pixels is within the tolerance of the signed one.
    Match,
    /// The code of the pixels differs from the signed one (informational: the hard
    /// binding decides whether the file is intact).
    Mismatch,
    /// Not compared: another algorithm, a value we cannot read, pixels we cannot
    /// decode, or a verifier without picture decoders (the browser).
    Unchecked,
}

/// A manifest's soft binding (assertion `c2pa.soft-binding`), as signed and as checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftBindingReport {
    /// The algorithm, from the C2PA soft binding algorithm list (`io.iscc.v0` for
    /// the ISCC Content-Code Image).
    pub alg: String,
    /// The value of its first block as signed (for `io.iscc.v0`, `ISCC:…`).
    pub value: String,
    /// Whether the pixels still match it.
    pub status: SoftBindingStatus,
    /// The code computed from the pixels, when they were compared.
    pub computed: Option<String>,
    /// Bits between the signed and the computed code, when they were compared.
    pub distance: Option<u32>,
}

impl Report {
    /// The codes of kind `failure`, in report order.
    pub fn failures(&self) -> impl Iterator<Item = &StatusCode> {
        self.codes.iter().filter(|c| c.kind == CodeKind::Failure)
    }

    /// True when any step of the chain says its content was AI-generated.
    pub fn ai_generated(&self) -> bool {
        self.chain.iter().any(|s| s.ai_generated)
    }

    /// The report as pretty JSON.
    pub fn to_json_pretty(&self) -> String {
        // Serialising plain data structures cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// IPTC digital source types that mean "made by generative AI".
pub fn is_ai_source_type(source_type: &str) -> bool {
    let term = source_type.rsplit('/').next().unwrap_or(source_type);
    matches!(
        term,
        "trainedAlgorithmicMedia" | "compositeWithTrainedAlgorithmicMedia"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_serialises_as_snake_case() {
        assert_eq!(
            serde_json::to_string(&Verdict::NoManifest).unwrap(),
            "\"no_manifest\""
        );
        assert_eq!(Verdict::Trusted.as_str(), "trusted");
    }

    #[test]
    fn ai_source_types() {
        assert!(is_ai_source_type(
            "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
        ));
        assert!(!is_ai_source_type(
            "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
        ));
    }
}

/// What a verifier found about one identity assertion of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityClaim {
    /// The assertion's label (`cawg.identity`, `cawg.identity__1`, ...).
    pub label: String,
    /// The credential type (`cawg.x509.cose` for X.509 certificates).
    pub sig_type: Option<String>,
    /// Who the credential names: the certificate's organisation, as the SDK reports it.
    pub name: Option<String>,
    /// The named actor's roles (e.g. `cawg.creator`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// The labels of the assertions the person signed over.
    #[serde(default)]
    pub signed_over: Vec<String>,
    /// `trusted` (the credential chains to a CAWG trust anchor), `untrusted`,
    /// `invalid` (a failure on the assertion) or `unchecked`.
    pub state: IdentityState,
    /// Failure codes on the assertion.
    #[serde(default)]
    pub failures: Vec<String>,
}

/// How far an identity assertion holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityState {
    /// Well-formed, and the credential chains to a CAWG trust anchor.
    Trusted,
    /// Well-formed, but nobody here vouches for the credential.
    Untrusted,
    /// A check of the assertion failed.
    Invalid,
    /// No result was reported for it.
    Unchecked,
}
