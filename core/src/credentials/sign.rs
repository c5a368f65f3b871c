//! Signing: the functions that embed a signed C2PA manifest, with any signer behind
//! the [`Signer`] seam.

use std::io::{Read, Seek, Write};

use c2pa::{Builder, BuilderIntent, Context, DigitalSourceType, Settings};
use serde_json::json;

use crate::credentials::format::MediaFormat;
pub(crate) use crate::credentials::now_rfc3339;
use crate::credentials::signer::{Signer, SignerError};
use crate::credentials::trust::TrustAnchors;

/// Why signing or editing a file failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The signer could not be loaded or failed to sign.
    #[error(transparent)]
    Signer(#[from] SignerError),
    /// The input already carries Content Credentials (a fresh signing refuses it).
    #[error("the input already carries Content Credentials")]
    AlreadySigned,
    /// The input cannot be read as a supported media file (the message says why).
    #[error("{0}")]
    Input(String),
    /// Files of this format cannot be signed (or edited) here; names the format.
    #[error("{0} files cannot be signed here")]
    UnsupportedFormat(String),
    /// The C2PA SDK cannot make a sidecar that holds for this format; names the format.
    #[error("the C2PA SDK cannot make a valid sidecar manifest for {0} files (its hash does not match the unchanged file); sign without --sidecar")]
    SidecarUnsupported(String),
    /// An edit could not be parsed or applied.
    #[cfg(feature = "edit")]
    #[error("edit: {0}")]
    Edit(#[from] crate::credentials::edit_ops::EditError),
    /// The C2PA library failed to build or sign the manifest.
    #[error("signing failed: {0}")]
    C2pa(#[from] c2pa::Error),
    /// Reading the input or writing the output failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Where the content came from, recorded as the IPTC digital source type of `c2pa.created`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceType {
    /// Captured by a camera.
    #[default]
    Capture,
    /// Made digitally by a person (IPTC `digitalCreation`).
    DigitalArt,
    /// Composed of several sources (IPTC `composite`).
    Composite,
    /// Made by generative AI.
    Ai,
    /// A screen capture (IPTC `screenCapture`).
    Screenshot,
}

impl SourceType {
    /// The IPTC digital source type recorded for this source.
    pub fn digital_source_type(self) -> DigitalSourceType {
        match self {
            Self::Capture => DigitalSourceType::DigitalCapture,
            Self::DigitalArt => DigitalSourceType::DigitalCreation,
            Self::Composite => DigitalSourceType::Composite,
            Self::Ai => DigitalSourceType::TrainedAlgorithmicMedia,
            Self::Screenshot => DigitalSourceType::ScreenCapture,
        }
    }
}

/// What `sign` records besides the content.
#[derive(Debug, Clone, Default)]
pub struct SignRequest {
    /// The manifest's title (usually the file name).
    pub title: Option<String>,
    /// Where the content came from.
    pub source: SourceType,
    /// Anchor proofs (and the publisher's chronology endpoint) to carry in the manifest.
    pub anchors: Option<crate::chronology::proof::ProofSet>,
    /// A camera's capture tag (see `device`), signed into the manifest.
    pub capture: Option<crate::blacklist::capture::assertion::CaptureAssertion>,
    /// The `when` of `c2pa.created` (RFC 3339); default now.
    pub when: Option<String>,
    /// Photo metadata to sign (caption, creators, credit, copyright, dateline).
    pub metadata: Option<crate::credentials::metadata::PhotoMetadata>,
    /// Forbid AI training, inference and data mining (`cawg.training-mining`).
    pub do_not_train: bool,
    /// The claim thumbnail (the caller decoded the picture; see [`crate::credentials::thumbnail`]).
    #[cfg(feature = "thumbnails")]
    pub thumbnail: Option<crate::credentials::thumbnail::Thumbnail>,
    /// The picture's ISCC code when the caller already decoded it (saves a decode);
    /// else it is computed from the input.
    #[cfg(feature = "chronology")]
    pub soft_binding: Option<crate::chronology::iscc::IsccImageCode>,
}

/// Adds the photo metadata and the do-not-train statement, when there is something to say.
pub(crate) fn add_statements(
    builder: &mut Builder,
    metadata: Option<&crate::credentials::metadata::PhotoMetadata>,
    do_not_train: bool,
) -> Result<(), SignError> {
    use crate::credentials::metadata::{
        do_not_train_assertion, METADATA_ASSERTION, TRAINING_MINING_ASSERTION,
    };
    if let Some(m) = metadata.filter(|m| !m.is_empty()) {
        builder.add_assertion_json(METADATA_ASSERTION, &m.to_assertion())?;
    }
    if do_not_train {
        builder.add_assertion_json(TRAINING_MINING_ASSERTION, &do_not_train_assertion())?;
    }
    Ok(())
}

/// Adds our anchors assertion when there is something to carry.
pub(crate) fn add_anchors(
    builder: &mut Builder,
    anchors: Option<&crate::chronology::proof::ProofSet>,
) -> Result<(), SignError> {
    if let Some(set) = anchors.filter(|s| !s.proofs.is_empty() || s.endpoint.is_some()) {
        builder.add_assertion_json(crate::chronology::proof::ANCHORS_ASSERTION, set)?;
    }
    Ok(())
}

/// Adds the `c2pa.soft-binding` assertion (see [`crate::credentials::soft_binding`])
/// of the picture in `bytes`. Formats whose pixels we cannot decode (video, HEIC,
/// GIF, TIFF) get none; a picture that cannot be decoded is an input error.
#[cfg(feature = "chronology")]
pub(crate) fn add_soft_binding(
    builder: &mut Builder,
    format: MediaFormat,
    bytes: &[u8],
) -> Result<(), SignError> {
    use crate::credentials::soft_binding;
    if !matches!(
        format,
        MediaFormat::Jpeg | MediaFormat::Png | MediaFormat::WebP
    ) {
        return Ok(());
    }
    let code = crate::chronology::iscc::code_bytes(bytes)
        .map_err(|e| SignError::Input(format!("cannot compute the picture's soft binding: {e}")))?;
    builder.add_assertion(soft_binding::LABEL, &soft_binding::assertion(code))?;
    Ok(())
}

pub(crate) fn builder_context(trust: &TrustAnchors) -> Result<Context, SignError> {
    let mut settings = Settings::new()
        .with_value("verify.remote_manifest_fetch", false)?
        .with_value("verify.ocsp_fetch", false)?;
    if !trust.is_empty() {
        settings = settings.with_value("trust.trust_anchors", trust.pem().to_owned())?;
    }
    Ok(Context::new().with_settings(settings)?)
}

pub(crate) fn definition(title: Option<&str>) -> serde_json::Value {
    json!({
        "title": title,
        "claim_generator_info": [{ "name": crate::GENERATOR_NAME, "version": crate::VERSION }],
    })
}

/// Detects the format of a seekable source and refuses what C2PA cannot carry.
pub fn detect_format<R: Read + Seek>(src: &mut R) -> Result<MediaFormat, SignError> {
    crate::credentials::verify::probe(src)
        .map(|(_, format)| format)
        .map_err(|e| match e {
            crate::credentials::verify::VerifyError::Io(e) => SignError::Io(e),
            e => SignError::Input(e.to_string()),
        })
}

fn has_manifest<R: Read + Seek + Send>(
    src: &mut R,
    format: MediaFormat,
) -> Result<bool, SignError> {
    let found = c2pa::jumbf_io::load_jumbf_from_stream(format.mime(), src).is_ok();
    src.rewind()?;
    Ok(found)
}

/// Signs a fresh capture/creation: one `c2pa.created` action with its digital source type.
pub fn sign_stream<R, W>(
    src: &mut R,
    dest: &mut W,
    signer: &dyn Signer,
    request: &SignRequest,
) -> Result<MediaFormat, SignError>
where
    R: Read + Seek + Send,
    W: Read + Write + Seek + Send,
{
    let (format, mut builder) = creation_builder(src, request)?;
    finish(&mut builder, signer, format, src, dest)?;
    Ok(format)
}

/// Signs a fresh capture/creation like [`sign_stream`], but returns the manifest store
/// (the bytes of a `.c2pa` sidecar) instead of embedding it: the asset is not changed,
/// and the manifest binds its bytes as they are.
pub fn sign_sidecar<R>(
    src: &mut R,
    signer: &dyn Signer,
    request: &SignRequest,
) -> Result<(MediaFormat, Vec<u8>), SignError>
where
    R: Read + Seek + Send,
{
    let (format, mut builder) = creation_builder(src, request)?;
    builder.set_no_embed(true);
    // The SDK copies the asset to its output even for a sidecar; that copy is dropped.
    let mut copy = std::io::Cursor::new(Vec::new());
    let store = builder
        .sign(signer, format.mime(), src, &mut copy)
        .map_err(|e| match e {
            c2pa::Error::UnsupportedType => SignError::UnsupportedFormat(format.mime().into()),
            e => SignError::C2pa(e),
        })?;
    // The SDK's sidecars of some formats (MP3 and FLAC in 0.90.22) exclude a region
    // the unchanged file does not have: check the new store against the file.
    src.rewind()?;
    let options = crate::credentials::verify::VerifyOptions {
        manifest: Some(crate::credentials::verify::ExternalManifest {
            bytes: std::sync::Arc::from(store.as_slice()),
            origin: crate::credentials::verify::ManifestOrigin::Sidecar(String::new()),
        }),
        ..Default::default()
    };
    let report = crate::credentials::verify::verify_stream(&mut *src, &options)
        .map_err(|e| SignError::Input(e.to_string()))?;
    if report.verdict == crate::Verdict::Invalid {
        return Err(SignError::SidecarUnsupported(format.mime().into()));
    }
    Ok((format, store))
}

/// The builder for a fresh signing of `src` (refused when it already has credentials).
fn creation_builder<R>(
    src: &mut R,
    request: &SignRequest,
) -> Result<(MediaFormat, Builder), SignError>
where
    R: Read + Seek + Send,
{
    let format = detect_format(src)?;
    if matches!(format, MediaFormat::ManifestStore) {
        return Err(SignError::UnsupportedFormat(format.mime().into()));
    }
    if has_manifest(src, format)? {
        return Err(SignError::AlreadySigned);
    }
    let mut builder = Builder::from_context(builder_context(&TrustAnchors::none())?)
        .with_definition(definition(request.title.as_deref()))?;
    builder.set_intent(BuilderIntent::Create(request.source.digital_source_type()));
    builder.add_action(json!({
        "action": "c2pa.created",
        "digitalSourceType": request.source.digital_source_type(),
        "softwareAgent": { "name": crate::GENERATOR_NAME, "version": crate::VERSION },
        "when": request.when.clone().unwrap_or_else(now_rfc3339),
    }))?;
    add_anchors(&mut builder, request.anchors.as_ref())?;
    add_statements(
        &mut builder,
        request.metadata.as_ref(),
        request.do_not_train,
    )?;
    #[cfg(feature = "thumbnails")]
    if let Some(t) = &request.thumbnail {
        builder.set_thumbnail(t.mime, &mut std::io::Cursor::new(&t.bytes))?;
    }
    #[cfg(feature = "chronology")]
    match request.soft_binding {
        Some(code) => builder
            .add_assertion(
                crate::credentials::soft_binding::LABEL,
                &crate::credentials::soft_binding::assertion(code),
            )
            .map(|_| ())?,
        None => {
            let mut bytes = Vec::new();
            src.read_to_end(&mut bytes)?;
            src.rewind()?;
            add_soft_binding(&mut builder, format, &bytes)?;
        }
    }
    if let Some(capture) = &request.capture {
        builder.add_assertion_json(
            crate::blacklist::capture::assertion::CAPTURE_ASSERTION,
            capture,
        )?;
    }
    Ok((format, builder))
}

pub(crate) fn finish<R, W>(
    builder: &mut Builder,
    signer: &dyn Signer,
    format: MediaFormat,
    src: &mut R,
    dest: &mut W,
) -> Result<(), SignError>
where
    R: Read + Seek + Send,
    W: Read + Write + Seek + Send,
{
    builder
        .sign(signer, format.mime(), src, dest)
        .map_err(|e| match e {
            c2pa::Error::UnsupportedType => SignError::UnsupportedFormat(format.mime().into()),
            e => SignError::C2pa(e),
        })?;
    Ok(())
}
