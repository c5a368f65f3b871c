//! One file's whole check, as `verify`, `batch` and `serve` run it: C2PA validation with
//! the file's anchor proofs (its sidecar, an explicit proof file, or none), the anchors
//! confirmed on the network, missing proofs fetched from publishers when asked, and the
//! blacklist applied. The [`crate::policy`] then decides pass or fail.
//!
//! Also here because they join two domains: the chronology log entry for a signed file
//! (its manifest id comes from verifying it) and the manifest ids a file still carries
//! (for lookup).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::anchor::endpoint::{
    attach_endpoint_proofs, endpoint_requests, ANCHOR_ENDPOINT_UNAVAILABLE,
};
use crate::anchor::{AnchorError, Network};
use crate::blacklist::Blacklist;
use crate::chronology::fingerprint;
use crate::chronology::merkle::Hash;
use crate::chronology::proof::{ProofSet, SIDECAR_SUFFIX};
use crate::chronology::NewEntry;
use crate::credentials::hash::sha256_hex;
use crate::credentials::report::{CodeKind, CodeOrigin, Report, StatusCode};
use crate::credentials::verify::{
    verify_bytes, verify_stream_with_digest, SourcedProof, VerifyError, VerifyOptions,
    ANCHOR_MALFORMED,
};

/// Largest proof file read (a proof set is far smaller).
const MAX_PROOF_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Why a file could not be inspected (a verdict is never an error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// The path names a directory.
    #[error("{} is a directory, not a file", .0.display())]
    Directory(PathBuf),
    /// The file could not be opened or read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A proof file larger than any proof set.
    #[error("{} is larger than {} MiB", .0.display(), MAX_PROOF_FILE_BYTES >> 20)]
    TooLarge(PathBuf),
    /// The validator could not run on the file.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The network could not be asked about the file's anchors.
    #[error(transparent)]
    Anchor(#[from] AnchorError),
}

/// What to check a report's anchors against.
#[derive(Debug)]
pub struct AnchorCheck<'a> {
    /// The network the proofs must name.
    pub network: &'a Network,
    /// Fetch missing proofs from the publishers' endpoints first.
    pub fetch_proofs: bool,
    /// Let those endpoints be on this machine (development and tests only; other
    /// non-public addresses are refused whatever this says).
    pub allow_loopback_endpoints: bool,
    /// The registries whose answers count; proofs naming others are refused.
    pub registries: &'a [crate::anchor::Address],
}

/// Everything a check of one file uses besides the file.
#[derive(Debug)]
pub struct Inspection<'a> {
    /// Trust anchors and the like.
    pub options: &'a VerifyOptions,
    /// Anchors are confirmed on this network when given.
    pub anchors: Option<&'a AnchorCheck<'a>>,
    /// Applied to the report when given.
    pub blacklist: Option<&'a mut Blacklist>,
}

impl Inspection<'_> {
    /// Checks the file at `path` with its proofs: `explicit`, else `FILE.provenant-proof`
    /// when it exists. A proof file that cannot be parsed becomes a failure code in the
    /// report, not an error.
    pub fn file(&mut self, path: &Path, explicit: Option<&Path>) -> Result<Report, InspectError> {
        let (proofs, problems) = sidecar_proofs(path, explicit)?;
        let options = VerifyOptions {
            proofs,
            ..self.options.clone()
        };
        let file = open(path)?;
        let digest = || sha256_hex(File::open(path)?);
        let reader = BufReader::with_capacity(256 * 1024, file);
        let mut report = verify_stream_with_digest(reader, &options, digest)?;
        for p in problems {
            report.codes.push(StatusCode {
                code: ANCHOR_MALFORMED.into(),
                kind: CodeKind::Failure,
                origin: CodeOrigin::Provenant,
                step: None,
                url: None,
                explanation: Some(p),
            });
        }
        self.complete(&mut report)?;
        Ok(report)
    }

    /// Checks a file held in memory (an upload), with no proofs beside it.
    pub fn bytes(&mut self, bytes: &[u8]) -> Result<Report, InspectError> {
        let mut report = verify_bytes(bytes, self.options)?;
        self.complete(&mut report)?;
        Ok(report)
    }

    /// The half of a check that follows C2PA validation: anchors confirmed on the
    /// network (proofs fetched first when asked) and the blacklist applied. For a report
    /// validated elsewhere, e.g. in a worker process held to a time budget.
    pub fn complete(&mut self, report: &mut Report) -> Result<(), InspectError> {
        if let Some(check) = self.anchors {
            if check.fetch_proofs {
                fetch_missing_proofs(check.network, report, check.allow_loopback_endpoints);
            }
            check.network.check_report(report, check.registries)?;
        }
        if let Some(list) = self.blacklist.as_deref_mut() {
            list.apply(report);
        }
        Ok(())
    }
}

fn open(path: &Path) -> Result<File, InspectError> {
    let read = |source| InspectError::Read {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read)?;
    if meta.is_dir() {
        return Err(InspectError::Directory(path.to_owned()));
    }
    File::open(path).map_err(read)
}

/// The proofs beside a file and the problems found reading them.
fn sidecar_proofs(
    path: &Path,
    explicit: Option<&Path>,
) -> Result<(Vec<SourcedProof>, Vec<String>), InspectError> {
    let sidecar = match explicit {
        Some(p) => p.to_owned(),
        None => {
            let mut p = path.as_os_str().to_owned();
            p.push(SIDECAR_SUFFIX);
            let p = PathBuf::from(p);
            if !p.is_file() {
                return Ok((Vec::new(), Vec::new()));
            }
            p
        }
    };
    let mut bytes = Vec::new();
    open(&sidecar)?
        .take(MAX_PROOF_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| InspectError::Read {
            path: sidecar.clone(),
            source,
        })?;
    if bytes.len() as u64 > MAX_PROOF_FILE_BYTES {
        return Err(InspectError::TooLarge(sidecar));
    }
    let shown = sidecar.display();
    let mut problems = Vec::new();
    let bundles = match ProofSet::parse(&bytes) {
        Ok(set) => {
            let (ok, bad) = set.bundles();
            problems.extend(
                bad.into_iter()
                    .map(|(i, e)| format!("proof {i} in {shown}: {e}")),
            );
            ok
        }
        Err(e) => {
            problems.push(format!("{shown}: {e}"));
            Vec::new()
        }
    };
    let proofs = bundles
        .into_iter()
        .map(|bundle| SourcedProof {
            bundle,
            source: "sidecar",
        })
        .collect();
    Ok((proofs, problems))
}

/// Fills steps without an anchor from their publisher's endpoint (the requests planned
/// by [`crate::anchor::endpoint`], as in the browser). An endpoint that fails is noted in
/// the report; verification goes on.
fn fetch_missing_proofs(network: &Network, report: &mut Report, allow_loopback: bool) {
    let mut fetched = Vec::new();
    for request in endpoint_requests(report, allow_loopback) {
        match network.fetch_proofs(&request.endpoint, &request.manifest_id, allow_loopback) {
            Ok(bundles) => fetched.extend(bundles),
            Err(e) => report.codes.push(StatusCode {
                code: ANCHOR_ENDPOINT_UNAVAILABLE.into(),
                kind: CodeKind::Informational,
                origin: CodeOrigin::Provenant,
                step: Some(request.step),
                url: None,
                explanation: Some(e.to_string()),
            }),
        }
    }
    attach_endpoint_proofs(report, fetched);
}

/// Why a signed file cannot become a chronology log entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// The file could not be verified at all.
    #[error("a file that cannot be verified")]
    Verify(#[source] VerifyError),
    /// It carries no content credentials.
    #[error("a file without content credentials")]
    NoManifest,
    /// Its active manifest has no signing certificate to name it by.
    #[error("a manifest without a signing certificate")]
    NoSigner,
    /// The validator gave no usable SHA-256 of the file.
    #[error("a file whose hash could not be taken")]
    NoHash,
    /// Its pixels could not be decoded for the fingerprint.
    #[error("a picture that cannot be decoded")]
    Fingerprint(#[source] fingerprint::PerceptualError),
}

/// The log entry for a signed file just written: its SHA-256, its active manifest's id
/// and label, the signer's name and the picture's perceptual fingerprint (decoded within
/// `limits`).
pub fn log_entry(
    bytes: &[u8],
    path: Option<String>,
    published_at: Option<String>,
    limits: fingerprint::DecodeLimits,
) -> Result<NewEntry, EntryError> {
    log_entry_of(bytes, path, published_at, limits, None)
}

/// As [`log_entry`], with the picture's fingerprints when the caller already has them
/// (signing computes them from the pixels it decoded for the thumbnail).
pub fn log_entry_of(
    bytes: &[u8],
    path: Option<String>,
    published_at: Option<String>,
    limits: fingerprint::DecodeLimits,
    fingerprints: Option<&crate::chronology::log_fingerprints::PictureFingerprints>,
) -> Result<NewEntry, EntryError> {
    let report = verify_bytes(bytes, &VerifyOptions::default()).map_err(EntryError::Verify)?;
    let mut entry = entry_of_report(&report, path, published_at)?;
    // One reduced decode for both fingerprints: the DCT hash and the ISCC codes (the
    // whole picture and its overlapping regions, which find crops).
    let computed;
    let fingerprints = match fingerprints {
        Some(f) => f,
        None => {
            let reduced =
                fingerprint::decode_reduced_within(bytes, limits, fingerprint::FINGERPRINT_SIDE)
                    .map_err(EntryError::Fingerprint)?;
            computed = crate::chronology::log_fingerprints::PictureFingerprints::of(&reduced);
            &computed
        }
    };
    let phash = fingerprints.hash;
    let mut codes = fingerprints.codes.clone();
    // The whole picture's code is the one the manifest signed as its soft binding when it
    // has one (a soft binding resolution query with the manifest's own value then finds
    // this entry at distance 0); the region codes stay the pixels'.
    if let (Some(first), Some(signed)) = (codes.first_mut(), signed_iscc(&report)) {
        *first = signed;
    }
    entry.extra_codes = codes
        .into_iter()
        .map(|c| crate::chronology::Code::new(crate::chronology::iscc::ALG, c.0))
        .collect();
    entry.fingerprint = Some(crate::chronology::Code::dct(phash.0));
    Ok(entry)
}

/// The `io.iscc.v0` code the file's active manifest signed as its soft binding.
fn signed_iscc(report: &Report) -> Option<crate::chronology::iscc::IsccImageCode> {
    report
        .soft_binding
        .as_ref()
        .filter(|b| b.alg == crate::chronology::iscc::ALG)
        .and_then(|b| b.value.parse().ok())
}

/// The log entry for a signed file whose pixels we do not fingerprint (video, audio,
/// PDF, GIF, TIFF, HEIC, SVG…), read as a stream so a large video is never held in
/// memory: found by its hash and its manifests, never by a similarity lookup.
pub fn media_log_entry_of<R>(
    stream: R,
    path: Option<String>,
    published_at: Option<String>,
) -> Result<NewEntry, EntryError>
where
    R: Read + std::io::Seek + Send,
{
    let report = crate::credentials::verify::verify_stream(stream, &VerifyOptions::default())
        .map_err(EntryError::Verify)?;
    entry_of_report(&report, path, published_at)
}

/// The entry's hash, manifest and signer from a file's report (no fingerprint yet).
fn entry_of_report(
    report: &Report,
    path: Option<String>,
    published_at: Option<String>,
) -> Result<NewEntry, EntryError> {
    let step = report.chain.first().ok_or(EntryError::NoManifest)?;
    let manifest_id = step.manifest_id_bytes().ok_or(EntryError::NoSigner)?;
    let content_sha256 = hex::decode(&report.sha256)
        .ok()
        .and_then(|v| Hash::try_from(v).ok())
        .ok_or(EntryError::NoHash)?;
    Ok(NewEntry {
        content_sha256,
        manifest_id,
        manifest_label: step.manifest.clone(),
        fingerprint: None,
        extra_codes: Vec::new(),
        signer: step.signer.common_name.clone(),
        path,
        published_at,
    })
}

/// The manifest ids of every step of the edit chain a file still carries (none when it
/// cannot be verified at all).
pub fn carried_manifest_ids(bytes: &[u8]) -> Vec<Hash> {
    verify_bytes(bytes, &VerifyOptions::default())
        .map(|report| {
            report
                .chain
                .iter()
                .filter_map(|step| step.manifest_id_bytes())
                .collect()
        })
        .unwrap_or_default()
}
