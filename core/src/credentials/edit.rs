//! Edits that record themselves: each [`EditOp`] changes the pixels with the
//! `image` crate and becomes a C2PA action with its parameters; the input becomes
//! the `parentOf` ingredient of a newly signed manifest.

use std::fmt;
use std::io::{Cursor, Read, Seek, Write};
use std::str::FromStr;

use c2pa::{Builder, BuilderIntent};
use image::{DynamicImage, GenericImageView, ImageFormat, Rgba};
use serde_json::{json, Value};

use crate::credentials::format::MediaFormat;
use crate::credentials::sign::{
    builder_context, definition, detect_format, finish, now_rfc3339, SignError,
};
use crate::credentials::signer::Signer;
use crate::credentials::trust::TrustAnchors;

/// Largest image we decode (pixels), so a hostile header cannot make us allocate gigabytes.
pub const MAX_PIXELS: u64 = 200_000_000;

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// Mirror axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    Horizontal,
    Vertical,
}

/// One edit, in the order the user gave it.
#[derive(Debug, Clone, PartialEq)]
pub enum EditOp {
    Crop(Rect),
    Resize {
        width: u32,
        height: u32,
    },
    Rotate(u16),
    Flip(Axis),
    /// Added to every channel, -255..=255.
    Brightness(i32),
    /// Percent change, -100..=100 (image's `adjust_contrast` scale).
    Contrast(f32),
    Grayscale,
    /// A blacked-out box.
    Redact(Rect),
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum EditError {
    #[error("{what}: expected {expected}, got \"{got}\"")]
    Parse {
        what: &'static str,
        expected: &'static str,
        got: String,
    },
    #[error("{op}: rectangle {rect} lies outside the {width}x{height} image")]
    OutOfBounds {
        op: &'static str,
        rect: String,
        width: u32,
        height: u32,
    },
    #[error("{0}")]
    Invalid(String),
}

fn parse_nums<const N: usize>(
    s: &str,
    sep: char,
    what: &'static str,
    expected: &'static str,
) -> Result<[u32; N], EditError> {
    let err = || EditError::Parse {
        what,
        expected,
        got: s.to_owned(),
    };
    let parts: Vec<&str> = s.split(sep).map(str::trim).collect();
    if parts.len() != N {
        return Err(err());
    }
    let mut out = [0u32; N];
    for (slot, p) in out.iter_mut().zip(parts) {
        *slot = p.parse().map_err(|_| err())?;
    }
    Ok(out)
}

impl FromStr for Rect {
    type Err = EditError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let [x, y, width, height] = parse_nums::<4>(s, ',', "rectangle", "X,Y,W,H")?;
        if width == 0 || height == 0 {
            return Err(EditError::Invalid(format!(
                "rectangle {s}: width and height must be > 0"
            )));
        }
        Ok(Rect {
            x,
            y,
            width,
            height,
        })
    }
}

impl fmt::Display for Rect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{},{},{}", self.x, self.y, self.width, self.height)
    }
}

impl EditOp {
    pub fn crop(s: &str) -> Result<Self, EditError> {
        s.parse().map(Self::Crop)
    }
    pub fn redact(s: &str) -> Result<Self, EditError> {
        s.parse().map(Self::Redact)
    }
    pub fn resize(s: &str) -> Result<Self, EditError> {
        let [width, height] = parse_nums::<2>(&s.to_ascii_lowercase(), 'x', "resize", "WxH")?;
        if width == 0 || height == 0 || u64::from(width) * u64::from(height) > MAX_PIXELS {
            return Err(EditError::Invalid(format!("resize {s}: size out of range")));
        }
        Ok(Self::Resize { width, height })
    }
    pub fn rotate(s: &str) -> Result<Self, EditError> {
        match s.trim() {
            "90" => Ok(Self::Rotate(90)),
            "180" => Ok(Self::Rotate(180)),
            "270" => Ok(Self::Rotate(270)),
            _ => Err(EditError::Parse {
                what: "rotate",
                expected: "90, 180 or 270",
                got: s.into(),
            }),
        }
    }
    pub fn flip(s: &str) -> Result<Self, EditError> {
        match s.trim() {
            "h" | "horizontal" => Ok(Self::Flip(Axis::Horizontal)),
            "v" | "vertical" => Ok(Self::Flip(Axis::Vertical)),
            _ => Err(EditError::Parse {
                what: "flip",
                expected: "h or v",
                got: s.into(),
            }),
        }
    }
    pub fn brightness(s: &str) -> Result<Self, EditError> {
        match s.trim().parse::<i32>() {
            Ok(n) if (-255..=255).contains(&n) => Ok(Self::Brightness(n)),
            _ => Err(EditError::Parse {
                what: "brightness",
                expected: "an integer from -255 to 255",
                got: s.into(),
            }),
        }
    }
    pub fn contrast(s: &str) -> Result<Self, EditError> {
        match s.trim().parse::<f32>() {
            Ok(n) if (-100.0..=100.0).contains(&n) => Ok(Self::Contrast(n)),
            _ => Err(EditError::Parse {
                what: "contrast",
                expected: "a number from -100 to 100",
                got: s.into(),
            }),
        }
    }

    /// Applies the edit to the pixels.
    pub fn apply(&self, img: DynamicImage) -> Result<DynamicImage, EditError> {
        let (w, h) = img.dimensions();
        let check = |op: &'static str, r: &Rect| {
            let fits = u64::from(r.x) + u64::from(r.width) <= u64::from(w)
                && u64::from(r.y) + u64::from(r.height) <= u64::from(h);
            if fits {
                Ok(())
            } else {
                Err(EditError::OutOfBounds {
                    op,
                    rect: r.to_string(),
                    width: w,
                    height: h,
                })
            }
        };
        Ok(match *self {
            Self::Crop(r) => {
                check("crop", &r)?;
                img.crop_imm(r.x, r.y, r.width, r.height)
            }
            Self::Resize { width, height } => {
                img.resize_exact(width, height, image::imageops::FilterType::Triangle)
            }
            Self::Rotate(90) => img.rotate90(),
            Self::Rotate(180) => img.rotate180(),
            Self::Rotate(_) => img.rotate270(),
            Self::Flip(Axis::Horizontal) => img.fliph(),
            Self::Flip(Axis::Vertical) => img.flipv(),
            Self::Brightness(n) => img.brighten(n),
            Self::Contrast(c) => img.adjust_contrast(c),
            Self::Grayscale => DynamicImage::ImageLuma8(img.to_luma8()),
            Self::Redact(r) => {
                check("redact", &r)?;
                let mut rgba = img.into_rgba8();
                for y in r.y..r.y + r.height {
                    for x in r.x..r.x + r.width {
                        rgba.put_pixel(x, y, Rgba([0, 0, 0, 255]));
                    }
                }
                DynamicImage::ImageRgba8(rgba)
            }
        })
    }

    /// The C2PA action that records this edit.
    pub fn action(&self) -> Value {
        let rect = |r: &Rect| json!({ "x": r.x, "y": r.y, "width": r.width, "height": r.height });
        let (action, parameters) = match self {
            Self::Crop(r) => ("c2pa.cropped", json!({ "region": rect(r) })),
            Self::Resize { width, height } => {
                ("c2pa.resized", json!({ "width": width, "height": height }))
            }
            Self::Rotate(d) => ("c2pa.orientation", json!({ "rotate": d })),
            Self::Flip(a) => (
                "c2pa.orientation",
                json!({ "flip": if *a == Axis::Horizontal { "horizontal" } else { "vertical" } }),
            ),
            Self::Brightness(n) => (
                "c2pa.color_adjustments",
                json!({ "name": "brightness", "value": n }),
            ),
            Self::Contrast(c) => (
                "c2pa.color_adjustments",
                json!({ "name": "contrast", "value": c }),
            ),
            Self::Grayscale => ("c2pa.color_adjustments", json!({ "name": "grayscale" })),
            Self::Redact(r) => (
                "c2pa.edited",
                json!({ "name": "redaction", "description": "region blacked out", "region": rect(r) }),
            ),
        };
        json!({
            "action": action,
            "parameters": parameters,
            "softwareAgent": { "name": crate::GENERATOR_NAME, "version": crate::VERSION },
            "when": now_rfc3339(),
        })
    }
}

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
    for op in ops {
        img = op.apply(img)?;
    }
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
    Ok(out.into_inner())
}

/// What an edit produced.
#[derive(Debug, Clone)]
pub struct EditOutcome {
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
    } = *req;
    if ops.is_empty() {
        return Err(SignError::Edit(EditError::Invalid("no edit given".into())));
    }
    let in_format = detect_format(input)?;
    let out_format = out_format.unwrap_or(in_format);
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    let rendered = render(&bytes, in_format, ops, out_format)?;
    // What a verifier will say about the parent, so the caller can warn before
    // publishing an edit of a broken original (it will verify as invalid).
    let parent_verdict = match parent_report {
        Some(r) => r.verdict,
        None => {
            let options = crate::credentials::verify::VerifyOptions {
                trust: trust.clone(),
                ..Default::default()
            };
            crate::credentials::verify::verify_bytes(&bytes, &options)
                .map_err(|e| {
                    SignError::Edit(EditError::Invalid(format!("cannot read the input: {e}")))
                })?
                .verdict
        }
    };
    let parent_unsigned = parent_verdict == crate::Verdict::NoManifest;

    let mut builder =
        Builder::from_context(builder_context(trust)?).with_definition(definition(title))?;
    builder.set_intent(BuilderIntent::Edit);
    let mut parent = json!({ "title": parent_title, "relationship": "parentOf" });
    if parent_unsigned {
        parent["description"] = json!("the input carried no Content Credentials");
    }
    builder.add_ingredient_from_stream(
        parent.to_string(),
        in_format.mime(),
        &mut Cursor::new(&bytes),
    )?;
    for op in ops {
        builder.add_action(op.action())?;
    }
    crate::credentials::sign::add_anchors(&mut builder, anchors)?;
    finish(
        &mut builder,
        signer,
        out_format,
        &mut Cursor::new(rendered),
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
