//! Verification: C2PA validation of every manifest of the edit chain, turned into a
//! [`Report`]. Builds for wasm32 (no file system, no network).

use std::cell::RefCell;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::sync::Arc;

use c2pa::{Context, Reader, Settings};

use crate::credentials::format::MediaFormat;
use crate::credentials::report::{
    CodeKind, CodeOrigin, Report, StatusCode, Verdict, REPORT_VERSION,
};
use crate::credentials::trust::TrustAnchors;

use super::chain::fill_report;
#[cfg(test)]
use super::chain::label_of;
pub use super::step_anchors::{
    anchor_code, attach_proofs, SourcedProof, ANCHOR_CONTENT_MISMATCH, ANCHOR_MALFORMED,
    ANCHOR_ROOT_MISMATCH, ANCHOR_UNCHECKED,
};
use super::step_anchors::{attach_anchors, embedded_proofs};

/// Our own code for a manifest store that is present but cannot be parsed.
pub const MANIFEST_UNREADABLE: &str = "manifest.unreadable";
/// Informational: the file's manifest is stored at a remote URL (the code's `url`) and
/// was not fetched; the verdict is [`Verdict::NotChecked`].
pub const MANIFEST_REMOTE: &str = "manifest.remote";
/// Informational: the manifest store was read from a sidecar file (the code's `url`),
/// not from the asset.
pub const MANIFEST_SIDECAR: &str = "manifest.sidecar";
/// Informational: the manifest store was fetched from the remote URL in the code's `url`.
pub const MANIFEST_FETCHED: &str = "manifest.fetched";

/// Where a manifest store kept outside the asset came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestOrigin {
    /// A `.c2pa` sidecar file (its path as shown to the user).
    Sidecar(String),
    /// The remote URL the asset names, fetched on request.
    Remote(String),
}

/// A manifest store (`.c2pa`, JUMBF) kept outside the asset, checked against the
/// asset's bytes instead of anything the asset carries.
#[derive(Debug, Clone)]
pub struct ExternalManifest {
    /// The manifest store's bytes.
    pub bytes: std::sync::Arc<[u8]>,
    /// Where they came from (reported as an informational code).
    pub origin: ManifestOrigin,
}

/// What the verifier accepts.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Roots that make a signer "trusted". Empty: the best verdict is `valid`.
    pub trust: TrustAnchors,
    /// Anchor proofs found outside the file (sidecar, publisher endpoint, local log),
    /// matched to steps by manifest id. Proofs carried inside manifests are found anyway.
    pub proofs: Vec<SourcedProof>,
    /// A manifest store from a sidecar or a remote URL, used instead of the asset's own.
    pub manifest: Option<ExternalManifest>,
    /// Decode the pixels and compare them with the manifest's soft binding (a reduced
    /// JPEG decode per file: on a 12 MP photo several times the cost of the rest of the
    /// verification, so it is asked for, not done by default).
    pub check_soft_binding: bool,
}

/// The file could not be examined at all (a verdict is never an error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The file has no bytes.
    #[error("the file is empty")]
    Empty,
    #[error("not a recognised image or media format (starts with {head})")]
    /// The first bytes match no supported media format.
    UnknownFormat {
        /// Up to 8 first bytes of the file: quoted text if printable, else 0x-prefixed hex.
        head: String,
    },
    #[error("{format} files cannot carry C2PA manifests here")]
    /// The format was recognised, but the C2PA reader cannot read manifests from it.
    UnsupportedFormat {
        /// The format's MIME type.
        format: String,
    },
    /// The C2PA reader refused the trust settings built from the trust anchors.
    #[error("the trust settings were rejected: {0}")]
    Settings(String),
    /// The manifest store could not be turned into the requested output (crJSON).
    #[error("the manifest store cannot be read: {0}")]
    Manifest(String),
    /// Reading the file failed.
    #[error("read failed: {0}")]
    Io(#[from] io::Error),
}

/// Verifies an in-memory file (the browser's entry point).
pub fn verify_bytes(bytes: &[u8], options: &VerifyOptions) -> Result<Report, VerifyError> {
    verify_stream_with_digest(Cursor::new(bytes), options, || {
        Ok(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)))
    })
}

/// Verifies `stream` while `digest` computes the file's SHA-256 (hex) some other way,
/// e.g. through a second handle on the same file: natively on a second thread, beside
/// the C2PA validation; in the browser one after the other.
pub fn verify_stream_with_digest<R, D>(
    mut stream: R,
    options: &VerifyOptions,
    digest: D,
) -> Result<Report, VerifyError>
where
    R: Read + Seek + Send,
    D: FnOnce() -> io::Result<String> + Send,
{
    let (size, format) = probe(&mut stream)?;
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::thread::scope(|scope| {
            let hashing = scope.spawn(digest);
            let (mut report, embedded) = examine(&mut stream, NO_FRAGMENT, format, size, options)?;
            #[cfg(feature = "chronology")]
            if options.check_soft_binding {
                check_soft_binding(&mut report, &mut stream)?;
            }
            report.sha256 = hashing
                .join()
                .map_err(|_| io::Error::other("the hashing thread failed"))??;
            attach_anchors(&mut report, embedded, &options.proofs);
            Ok(report)
        })
    }
    #[cfg(target_arch = "wasm32")]
    {
        let (mut report, embedded) = examine(stream, NO_FRAGMENT, format, size, options)?;
        report.sha256 = digest()?;
        attach_anchors(&mut report, embedded, &options.proofs);
        Ok(report)
    }
}

/// Verifies a seekable stream. Reads the head first, so a huge file that is not
/// media is refused without reading it whole.
pub fn verify_stream<R>(mut stream: R, options: &VerifyOptions) -> Result<Report, VerifyError>
where
    R: Read + Seek + Send,
{
    let (size, format) = probe(&mut stream)?;
    let sha256 = crate::credentials::hash::sha256_hex(&mut stream)?;
    stream.rewind()?;
    let (mut report, embedded) = examine(&mut stream, NO_FRAGMENT, format, size, options)?;
    #[cfg(feature = "chronology")]
    if options.check_soft_binding {
        check_soft_binding(&mut report, &mut stream)?;
    }
    report.sha256 = sha256;
    attach_anchors(&mut report, embedded, &options.proofs);
    Ok(report)
}

/// Compares the active manifest's soft binding, when it has one, with the pixels
/// (see [`crate::credentials::soft_binding::check`]).
#[cfg(feature = "chronology")]
fn check_soft_binding<R: Read + Seek>(report: &mut Report, stream: &mut R) -> io::Result<()> {
    let picture = matches!(
        report.format.as_str(),
        "image/jpeg" | "image/png" | "image/webp"
    );
    if report.soft_binding.is_none() || !picture {
        return Ok(());
    }
    stream.rewind()?;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes)?;
    crate::credentials::soft_binding::check(report, &bytes);
    Ok(())
}

/// No fragment: the type of `None` for [`examine`].
const NO_FRAGMENT: Option<Cursor<&[u8]>> = None;

/// Verifies a fragmented MP4: the initialization segment `init` (which carries the
/// manifest) with each of its `fragments` (e.g. `.m4s` segments). Each fragment is
/// checked against the manifest on its own; the report is that of the worst one, with
/// the failure codes of the others added. No fragment is verification of `init` alone.
pub fn verify_fragmented<R, F>(
    mut init: R,
    fragments: Vec<F>,
    options: &VerifyOptions,
) -> Result<Report, VerifyError>
where
    R: Read + Seek + Send,
    F: Read + Seek + Send,
{
    if fragments.is_empty() {
        return verify_stream(init, options);
    }
    let (size, format) = probe(&mut init)?;
    let sha256 = crate::credentials::hash::sha256_hex(&mut init)?;
    let mut worst: Option<(Report, Vec<SourcedProof>)> = None;
    let mut failures: Vec<StatusCode> = Vec::new();
    for fragment in fragments {
        init.rewind()?;
        let (report, embedded) = examine(&mut init, Some(fragment), format, size, options)?;
        failures.extend(
            report
                .codes
                .iter()
                .filter(|c| c.kind == CodeKind::Failure)
                .cloned(),
        );
        let rank = |r: &Report| match r.verdict {
            Verdict::Trusted => 0,
            Verdict::Valid => 1,
            Verdict::NoManifest | Verdict::NotChecked => 2,
            Verdict::Invalid => 3,
        };
        if worst.as_ref().is_none_or(|(w, _)| rank(&report) > rank(w)) {
            worst = Some((report, embedded));
        }
    }
    let Some((mut report, embedded)) = worst else {
        return verify_stream(init, options);
    };
    for code in failures {
        if !report.codes.contains(&code) {
            report.codes.push(code);
        }
    }
    report.sha256 = sha256;
    attach_anchors(&mut report, embedded, &options.proofs);
    Ok(report)
}

/// The file's manifest store as crJSON (the C2PA SDK's standard JSON form, validation
/// results included), checked with `options` like [`verify_stream`]. `None` when the
/// file carries no manifest or only names a remote one.
pub fn crjson_stream<R>(
    mut stream: R,
    options: &VerifyOptions,
) -> Result<Option<String>, VerifyError>
where
    R: Read + Seek + Send,
{
    let (_, format) = probe(&mut stream)?;
    match open_reader(stream, NO_FRAGMENT, format, options)? {
        Ok(reader) => reader
            .crjson_checked()
            .map(Some)
            .map_err(|e| VerifyError::Manifest(e.to_string())),
        Err(c2pa::Error::JumbfNotFound)
        | Err(c2pa::Error::ProvenanceMissing)
        | Err(c2pa::Error::RemoteManifestUrl(_)) => Ok(None),
        Err(c2pa::Error::UnsupportedType) => Err(VerifyError::UnsupportedFormat {
            format: format.mime().to_owned(),
        }),
        Err(e) => Err(VerifyError::Manifest(e.to_string())),
    }
}

/// The C2PA reader for `stream` (with `fragment`, or the external manifest of
/// `options`): the outer error is a settings problem, the inner one the SDK's answer.
fn open_reader<R, F>(
    stream: R,
    fragment: Option<F>,
    format: MediaFormat,
    options: &VerifyOptions,
) -> Result<c2pa::Result<Reader>, VerifyError>
where
    R: Read + Seek + Send,
    F: Read + Seek + Send,
{
    let context = shared_context(&options.trust)?;
    let reader = Reader::from_shared_context(&context);
    Ok(match (&options.manifest, fragment) {
        (_, Some(fragment)) => reader.with_fragment(format.mime(), stream, fragment),
        (Some(external), None) => {
            reader.with_manifest_data_and_stream(&external.bytes, format.mime(), stream)
        }
        (None, None) => reader.with_stream(format.mime(), stream),
    })
}

/// The C2PA reader for `stream` alone or with the external manifest of `options`
/// (see [`open_reader`]).
pub(crate) fn open_reader_for<R>(
    stream: R,
    format: MediaFormat,
    options: &VerifyOptions,
) -> Result<c2pa::Result<Reader>, VerifyError>
where
    R: Read + Seek + Send,
{
    open_reader(stream, NO_FRAGMENT, format, options)
}

/// The media format of a stream, by content (rewound afterwards).
pub fn probe_format<R: Read + Seek>(stream: &mut R) -> Result<MediaFormat, VerifyError> {
    probe(stream).map(|(_, format)| format)
}

/// Size and format from the first bytes; leaves the stream rewound.
pub(crate) fn probe<R: Read + Seek>(stream: &mut R) -> Result<(u64, MediaFormat), VerifyError> {
    let size = stream.seek(SeekFrom::End(0))?;
    stream.rewind()?;
    if size == 0 {
        return Err(VerifyError::Empty);
    }
    let mut head = [0u8; MediaFormat::SNIFF_LEN];
    let n = read_up_to(stream, &mut head)?;
    let mut format = MediaFormat::sniff(&head[..n]).ok_or_else(|| VerifyError::UnknownFormat {
        head: describe_head(&head[..n]),
    })?;
    // An ID3 tag before `fLaC` is FLAC (signed FLAC files carry their manifest there).
    if let Some(tag) = MediaFormat::id3_tag_len(&head[..n]).filter(|t| t + 4 <= size) {
        stream.seek(SeekFrom::Start(tag))?;
        let mut marker = [0u8; 4];
        if read_up_to(stream, &mut marker)? == 4 && &marker == b"fLaC" {
            format = MediaFormat::Flac;
        }
    }
    stream.rewind()?;
    Ok((size, format))
}

/// The C2PA part of verification; `sha256` is filled in by the caller.
fn examine<R, F>(
    stream: R,
    fragment: Option<F>,
    format: MediaFormat,
    size: u64,
    options: &VerifyOptions,
) -> Result<(Report, Vec<SourcedProof>), VerifyError>
where
    R: Read + Seek + Send,
    F: Read + Seek + Send,
{
    let mut embedded = Vec::new();
    let mut report = Report {
        report_version: REPORT_VERSION,
        verdict: Verdict::NoManifest,
        file: None,
        format: format.mime().to_owned(),
        sha256: String::new(),
        size,
        codes: Vec::new(),
        chain: Vec::new(),
        blacklisted: false,
        blacklist_source: None,
        soft_binding: None,
    };

    if let Some(external) = &options.manifest {
        let (code, url) = match &external.origin {
            ManifestOrigin::Sidecar(path) => (MANIFEST_SIDECAR, path),
            ManifestOrigin::Remote(url) => (MANIFEST_FETCHED, url),
        };
        report.codes.push(provenant_code(
            code,
            CodeKind::Informational,
            Some(url.clone()),
            None,
        ));
    }
    match open_reader(stream, fragment, format, options)? {
        Ok(reader) => {
            fill_report(&mut report, &reader, &options.trust);
            report.soft_binding = reader
                .active_label()
                .and_then(|l| reader.get_manifest(l))
                .and_then(crate::credentials::soft_binding::read);
            embedded = embedded_proofs(&mut report, &reader);
        }
        Err(c2pa::Error::JumbfNotFound) | Err(c2pa::Error::ProvenanceMissing) => {}
        Err(c2pa::Error::RemoteManifestUrl(url)) => {
            report.verdict = Verdict::NotChecked;
            report.codes.push(provenant_code(
                MANIFEST_REMOTE,
                CodeKind::Informational,
                Some(url),
                Some("the manifest is stored at this URL and was not fetched (verify --fetch-remote fetches it)".into()),
            ));
        }
        Err(c2pa::Error::UnsupportedType) => {
            return Err(VerifyError::UnsupportedFormat {
                format: format.mime().to_owned(),
            })
        }
        Err(e) => {
            // A manifest store is there but broken (or the container around it is):
            // that is a verdict about the file, not a failure to run.
            report.verdict = Verdict::Invalid;
            report.codes.push(provenant_code(
                MANIFEST_UNREADABLE,
                CodeKind::Failure,
                None,
                Some(e.to_string()),
            ));
        }
    }
    Ok((report, embedded))
}

fn provenant_code(
    code: &str,
    kind: CodeKind,
    url: Option<String>,
    explanation: Option<String>,
) -> StatusCode {
    StatusCode {
        code: code.to_owned(),
        kind,
        origin: CodeOrigin::Provenant,
        step: None,
        url,
        explanation,
    }
}

/// The remote manifest URL a file names (the `manifest.remote` code), if its manifest
/// is stored remotely.
pub fn remote_manifest_url(report: &Report) -> Option<&str> {
    report
        .codes
        .iter()
        .find(|c| c.code == MANIFEST_REMOTE)
        .and_then(|c| c.url.as_deref())
}

/// The capture assertion of a file's active manifest (the newest step), if it has a
/// well-formed one. Pair with [`verify_bytes`]: a tag from an invalid file proves nothing.
pub fn active_capture(
    bytes: &[u8],
) -> Result<Option<crate::blacklist::capture::assertion::CaptureAssertion>, VerifyError> {
    let mut stream = Cursor::new(bytes);
    let (_, format) = probe(&mut stream)?;
    let context = shared_context(&TrustAnchors::none())?;
    let Ok(reader) = Reader::from_shared_context(&context).with_stream(format.mime(), stream)
    else {
        return Ok(None);
    };
    Ok(reader
        .active_label()
        .and_then(|l| reader.get_manifest(l))
        .and_then(crate::blacklist::capture::assertion::from_manifest))
}

/// The reader context for `trust`, built once and shared while the trust stays the same
/// (a batch, a server, a browser session): building it parses every anchor, which costs
/// more than reading a small file.
fn shared_context(trust: &TrustAnchors) -> Result<Arc<Context>, VerifyError> {
    // Per thread: the SDK's context is not `Send` in every build (wasm32).
    thread_local! {
        static LAST: RefCell<Option<(TrustAnchors, Arc<Context>)>> = const { RefCell::new(None) };
    }
    if let Some(context) = LAST.with_borrow(|last| {
        last.as_ref()
            .filter(|(cached, _)| cached == trust)
            .map(|(_, context)| Arc::clone(context))
    }) {
        return Ok(context);
    }
    let context = Context::new()
        .with_settings(reader_settings(trust))
        .map_err(|e| VerifyError::Settings(e.to_string()))?
        .into_shared();
    LAST.set(Some((trust.clone(), Arc::clone(&context))));
    Ok(context)
}

/// The SDK's settings for `trust`, set field by field: `Settings::with_value` serialises
/// and re-validates the whole settings (parsing every anchor again) on each call. The
/// anchors were checked when they were added to [`TrustAnchors`].
fn reader_settings(trust: &TrustAnchors) -> Settings {
    let some = |pem: &str| (!pem.is_empty()).then(|| pem.to_owned());
    let mut settings = Settings::new();
    settings.verify.remote_manifest_fetch = false;
    settings.verify.ocsp_fetch = false;
    settings.trust.trust_anchors = some(&trust.validator_pem());
    settings.trust.allowed_list = some(trust.allowed_pem());
    settings.trust.trust_config = trust.trust_config().map(str::to_owned);
    settings.cawg_trust.trust_anchors = some(trust.identity_pem());
    settings
}

fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Printable description of a file's first bytes, safe for a terminal.
fn describe_head(head: &[u8]) -> String {
    let shown = &head[..head.len().min(8)];
    if shown.iter().all(|b| b.is_ascii_graphic() || *b == b' ') && !shown.is_empty() {
        format!("\"{}\"", String::from_utf8_lossy(shown))
    } else {
        format!("0x{}", hex::encode(shown))
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_is_taken_from_jumbf_uris() {
        assert_eq!(
            label_of("self#jumbf=/c2pa/urn:c2pa:abc/c2pa.signature"),
            Some("urn:c2pa:abc")
        );
        assert_eq!(
            label_of("self#jumbf=/c2pa/urn:c2pa:abc"),
            Some("urn:c2pa:abc")
        );
        assert_eq!(label_of("self#jumbf=c2pa.assertions/c2pa.hash.data"), None);
    }

    #[test]
    fn empty_and_unknown_inputs_are_errors_not_verdicts() {
        let opts = VerifyOptions::default();
        assert!(matches!(verify_bytes(b"", &opts), Err(VerifyError::Empty)));
        match verify_bytes(b"hello world, not an image", &opts) {
            Err(VerifyError::UnknownFormat { head }) => assert_eq!(head, "\"hello wo\""),
            other => panic!("unexpected {other:?}"),
        }
    }
}
