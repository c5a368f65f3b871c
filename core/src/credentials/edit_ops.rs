//! Edit operations: parsed from the command line's words, applied to pixels with the
//! `image` crate, and described as C2PA actions with their parameters.

use std::fmt;
use std::str::FromStr;

use image::{DynamicImage, GenericImageView, Rgba};
use serde_json::{json, Value};

use super::now_rfc3339;

/// Largest image we decode (pixels), so a hostile header cannot make us allocate gigabytes.
pub const MAX_PIXELS: u64 = 200_000_000;

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left edge, in pixels from the image's left.
    pub x: u32,
    /// Top edge, in pixels from the image's top.
    pub y: u32,
    /// Width in pixels (> 0).
    pub width: u32,
    /// Height in pixels (> 0).
    pub height: u32,
}

/// Mirror axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// Mirror left to right (`h`).
    Horizontal,
    /// Mirror top to bottom (`v`).
    Vertical,
}

/// One edit, in the order the user gave it.
#[derive(Debug, Clone, PartialEq)]
pub enum EditOp {
    /// Keep only this rectangle (`c2pa.cropped`).
    Crop(Rect),
    /// Scale to exactly this size, ignoring the aspect ratio (`c2pa.resized`).
    Resize {
        /// New width in pixels.
        width: u32,
        /// New height in pixels.
        height: u32,
    },
    /// Rotate clockwise by 90, 180 or 270 degrees (`c2pa.orientation`).
    Rotate(u16),
    /// Mirror along an axis (`c2pa.orientation`).
    Flip(Axis),
    /// Added to every channel, -255..=255.
    Brightness(i32),
    /// Percent change, -100..=100 (image's `adjust_contrast` scale).
    Contrast(f32),
    /// Convert to 8-bit grayscale (`c2pa.color_adjustments`).
    Grayscale,
    /// A blacked-out box.
    Redact(Rect),
}

/// Why an edit could not be parsed or applied.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum EditError {
    /// A command-line value does not parse.
    #[error("{what}: expected {expected}, got \"{got}\"")]
    Parse {
        /// What was being parsed (e.g. `rectangle`, `rotate`).
        what: &'static str,
        /// The form expected (e.g. `X,Y,W,H`).
        expected: &'static str,
        /// The text given.
        got: String,
    },
    /// A crop or redaction rectangle does not fit in the image.
    #[error("{op}: rectangle {rect} lies outside the {width}x{height} image")]
    OutOfBounds {
        /// The operation (`crop` or `redact`).
        op: &'static str,
        /// The rectangle as `X,Y,W,H`.
        rect: String,
        /// The image's width in pixels.
        width: u32,
        /// The image's height in pixels.
        height: u32,
    },
    /// Any other invalid edit or result (the message says what).
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
    /// Parses a crop rectangle `X,Y,W,H` (pixels; width and height > 0).
    pub fn crop(s: &str) -> Result<Self, EditError> {
        s.parse().map(Self::Crop)
    }
    /// Parses a redaction rectangle `X,Y,W,H` (pixels; width and height > 0).
    pub fn redact(s: &str) -> Result<Self, EditError> {
        s.parse().map(Self::Redact)
    }
    /// Parses a target size `WxH` (pixels; both > 0, at most [`MAX_PIXELS`] in all).
    pub fn resize(s: &str) -> Result<Self, EditError> {
        let [width, height] = parse_nums::<2>(&s.to_ascii_lowercase(), 'x', "resize", "WxH")?;
        if width == 0 || height == 0 || u64::from(width) * u64::from(height) > MAX_PIXELS {
            return Err(EditError::Invalid(format!("resize {s}: size out of range")));
        }
        Ok(Self::Resize { width, height })
    }
    /// Parses a clockwise rotation: `90`, `180` or `270`.
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
    /// Parses a mirror axis: `h`/`horizontal` or `v`/`vertical`.
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
    /// Parses a brightness change: an integer from -255 to 255.
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
    /// Parses a contrast change in percent: a number from -100 to 100.
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
