//! Edits that record themselves: each [`EditOp`] changes the pixels with the
//! `image` crate and becomes a C2PA action with its parameters; the input becomes
//! the `parentOf` ingredient of a newly signed manifest.

use std::io::{Cursor, Read, Seek, Write};

use c2pa::{Builder, BuilderIntent};
use image::{DynamicImage, ImageFormat};
use serde_json::json;

use crate::credentials::format::MediaFormat;
use crate::credentials::metadata::PhotoMetadata;
use crate::credentials::sign::{builder_context, definition, detect_format, finish, SignError};
use crate::credentials::signer::Signer;
use crate::credentials::thumbnail::Thumbnail;
use crate::credentials::trust::TrustAnchors;

pub use super::edit_ops::*;

/// Formats we can decode, edit and encode again.
pub fn editable(format: MediaFormat) -> Option<ImageFormat> {
    match format {
        MediaFormat::Jpeg => Some(ImageFormat::Jpeg),
        MediaFormat::Png => Some(ImageFormat::Png),
        MediaFormat::WebP => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// Decodes, applies `ops` in order, and encodes to `out_format`.
pub fn render(
    input: &[u8],
    in_format: MediaFormat,
    ops: &[EditOp],
    out_format: MediaFormat,
) -> Result<Vec<u8>, SignError> {
    Ok(render_with_thumbnails(input, in_format, ops, out_format, false, false)?.bytes)
}

/// An edit's result with the thumbnails a manifest shows.
struct Rendered {
    bytes: Vec<u8>,
    /// Of the result.
    thumbnail: Option<Thumbnail>,
    /// Of the input, before the edit.
    parent_thumbnail: Option<Thumbnail>,
}

fn render_with_thumbnails(
    input: &[u8],
    in_format: MediaFormat,
    ops: &[EditOp],
    out_format: MediaFormat,
    thumbnail: bool,
    parent_thumbnail: bool,
) -> Result<Rendered, SignError> {
    let unsupported = |f: MediaFormat| SignError::UnsupportedFormat(format!("{f} (edit)"));
    let decode_as = editable(in_format).ok_or_else(|| unsupported(in_format))?;
    let encode_as = editable(out_format).ok_or_else(|| unsupported(out_format))?;
    let mut reader = image::ImageReader::with_format(Cursor::new(input), decode_as);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(60_000);
    limits.max_image_height = Some(60_000);
    limits.max_alloc = Some(MAX_PIXELS * 4);
    reader.limits(limits);
    let mut img = reader.decode().map_err(|e| {
        SignError::Edit(EditError::Invalid(format!("cannot decode the image: {e}")))
    })?;
    let thumb = |img: &DynamicImage| {
        Thumbnail::of(img).map_err(|e| {
            SignError::Edit(EditError::Invalid(format!("cannot make a thumbnail: {e}")))
        })
    };
    let parent_thumbnail = parent_thumbnail.then(|| thumb(&img)).transpose()?;
    for op in ops {
        img = op.apply(img)?;
    }
    let thumbnail = thumbnail.then(|| thumb(&img)).transpose()?;
    let mut out = Cursor::new(Vec::new());
    let encoded = match encode_as {
        ImageFormat::Jpeg => {
            let rgb = DynamicImage::ImageRgb8(img.into_rgb8());
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
            rgb.write_with_encoder(enc)
        }
        ImageFormat::WebP => {
            DynamicImage::ImageRgba8(img.into_rgba8()).write_to(&mut out, encode_as)
        }
        _ => img.write_to(&mut out, encode_as),
    };
    encoded.map_err(|e| {
        SignError::Edit(EditError::Invalid(format!("cannot encode the result: {e}")))
    })?;
    Ok(Rendered {
        bytes: out.into_inner(),
        thumbnail,
        parent_thumbnail,
    })
}

/// What an edit produced.
#[derive(Debug, Clone)]
pub struct EditOutcome {
    /// The format the result was encoded in.
    pub format: MediaFormat,
    /// The input carried no C2PA manifest (the parent ingredient says so).
    pub parent_unsigned: bool,
    /// The input's verdict under the trust anchors given.
    pub parent_verdict: crate::Verdict,
}

/// What one `edit` does.
#[derive(Debug, Clone, Copy)]
pub struct EditRequest<'a> {
    /// Applied in this order.
    pub ops: &'a [EditOp],
    /// Defaults to the input's format.
    pub out_format: Option<MediaFormat>,
    /// Title of the new manifest.
    pub title: Option<&'a str>,
    /// Title recorded for the parent ingredient (usually its file name).
    pub parent_title: &'a str,
    /// Used to record the parent's validation status.
    pub trust: &'a TrustAnchors,
    /// Anchor proofs of earlier steps (and the publisher's endpoint) to carry forward.
    pub anchors: Option<&'a crate::chronology::proof::ProofSet>,
    /// The input's report under `trust`, when the caller already verified it (saves a
    /// second validation of the same bytes).
    pub parent_report: Option<&'a crate::Report>,
    /// Photo metadata fields to set; the others are kept from the input's newest step.
    pub metadata: Option<&'a PhotoMetadata>,
    /// Forbid AI training and data mining (kept anyway when the input forbids it).
    pub do_not_train: bool,
    /// Write a claim thumbnail of the result and an ingredient thumbnail of the input.
    pub thumbnails: bool,
}

/// Edits `input` and writes the signed result to `dest`.
pub fn edit_stream<R, W>(
    input: &mut R,
    dest: &mut W,
    signer: &dyn Signer,
    req: &EditRequest<'_>,
) -> Result<EditOutcome, SignError>
where
    R: Read + Seek + Send,
    W: Read + Write + Seek + Send,
{
    let EditRequest {
        ops,
        out_format,
        title,
        parent_title,
        trust,
        anchors,
        parent_report,
        metadata,
        do_not_train,
        thumbnails,
    } = *req;
    if ops.is_empty() {
        return Err(SignError::Edit(EditError::Invalid("no edit given".into())));
    }
    let in_format = detect_format(input)?;
    let out_format = out_format.unwrap_or(in_format);
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    // What a verifier will say about the parent, so the caller can warn before
    // publishing an edit of a broken original (it will verify as invalid).
    let verified;
    let parent = match parent_report {
        Some(r) => r,
        None => {
            let options = crate::credentials::verify::VerifyOptions {
                trust: trust.clone(),
                ..Default::default()
            };
            verified = crate::credentials::verify::verify_bytes(&bytes, &options).map_err(|e| {
                SignError::Edit(EditError::Invalid(format!("cannot read the input: {e}")))
            })?;
            &verified
        }
    };
    let parent_verdict = parent.verdict;
    let parent_unsigned = parent_verdict == crate::Verdict::NoManifest;
    let newest = parent.chain.first();
    // The input's own claim thumbnail, when its newest step has one, stands for it in
    // the ingredient; else one is made from its pixels.
    let parent_has_thumbnail = newest.is_some_and(|s| s.thumbnail.is_some());
    let rendered = render_with_thumbnails(
        &bytes,
        in_format,
        ops,
        out_format,
        thumbnails,
        thumbnails && !parent_has_thumbnail,
    )?;
    // Photo metadata and the do-not-train statement go on through the edit.
    let carried = newest.and_then(|s| s.metadata.clone()).unwrap_or_default();
    let metadata = match metadata {
        Some(m) => carried.overridden_by(m),
        None => carried,
    };
    let do_not_train = do_not_train || newest.is_some_and(|s| s.do_not_train);

    let mut builder =
        Builder::from_context(builder_context(trust)?).with_definition(definition(title))?;
    builder.set_intent(BuilderIntent::Edit);
    let mut parent_json = json!({ "title": parent_title, "relationship": "parentOf" });
    if parent_unsigned {
        parent_json["description"] = json!("the input carried no Content Credentials");
    }
    // The SDK copies the parent's claim thumbnail into the ingredient when it has one.
    let ingredient = builder.add_ingredient_from_stream(
        parent_json.to_string(),
        in_format.mime(),
        &mut Cursor::new(&bytes),
    )?;
    if let Some(t) = &rendered.parent_thumbnail {
        ingredient.set_thumbnail(t.mime, t.bytes.clone())?;
    }
    for op in ops {
        builder.add_action(op.action())?;
    }
    crate::credentials::sign::add_anchors(&mut builder, anchors)?;
    crate::credentials::sign::add_statements(&mut builder, Some(&metadata), do_not_train)?;
    if let Some(t) = &rendered.thumbnail {
        builder.set_thumbnail(t.mime, &mut Cursor::new(&t.bytes))?;
    }
    #[cfg(feature = "chronology")]
    crate::credentials::sign::add_soft_binding(&mut builder, out_format, &rendered.bytes)?;
    finish(
        &mut builder,
        signer,
        out_format,
        &mut Cursor::new(rendered.bytes),
        dest,
    )?;
    Ok(EditOutcome {
        format: out_format,
        parent_unsigned,
        parent_verdict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GenericImageView, Rgba};

    #[test]
    fn parses_and_rejects_arguments() {
        assert_eq!(
            EditOp::crop("1,2,3,4").unwrap(),
            EditOp::Crop(Rect {
                x: 1,
                y: 2,
                width: 3,
                height: 4
            })
        );
        assert!(EditOp::crop("1,2,3").is_err());
        assert!(EditOp::crop("1,2,0,4").is_err());
        assert_eq!(
            EditOp::resize("640x480").unwrap(),
            EditOp::Resize {
                width: 640,
                height: 480
            }
        );
        assert!(EditOp::resize("640*480").is_err());
        assert!(EditOp::rotate("45").is_err());
        assert_eq!(EditOp::flip("v").unwrap(), EditOp::Flip(Axis::Vertical));
        assert!(EditOp::brightness("300").is_err());
        assert!(EditOp::contrast("abc").is_err());
    }

    #[test]
    fn edits_change_pixels_as_described() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            10,
            8,
            image::Rgb([200, 100, 50]),
        ));
        let cropped = EditOp::crop("2,2,4,3").unwrap().apply(img.clone()).unwrap();
        assert_eq!(cropped.dimensions(), (4, 3));
        let rotated = EditOp::rotate("90").unwrap().apply(img.clone()).unwrap();
        assert_eq!(rotated.dimensions(), (8, 10));
        let redacted = EditOp::redact("0,0,2,2")
            .unwrap()
            .apply(img.clone())
            .unwrap();
        assert_eq!(redacted.get_pixel(1, 1), Rgba([0, 0, 0, 255]));
        assert_eq!(redacted.get_pixel(5, 5), Rgba([200, 100, 50, 255]));
        let err = EditOp::crop("8,0,5,5").unwrap().apply(img).unwrap_err();
        assert!(err.to_string().contains("outside the 10x8 image"), "{err}");
    }

    #[test]
    fn actions_carry_parameters() {
        let a = EditOp::crop("1,2,3,4").unwrap().action();
        assert_eq!(a["action"], "c2pa.cropped");
        assert_eq!(a["parameters"]["region"]["width"], 3);
        let b = EditOp::brightness("20").unwrap().action();
        assert_eq!(b["parameters"]["value"], 20);
    }
}
