//! What a file's manifest store carries besides the claims, taken out for a person or a
//! tool to look at: the store itself, the SDK's JSON of it, and the thumbnails of every
//! step and of every ingredient a step lists (`provenant verify --extract DIR`).
//!
//! The manifests are the file maker's: nothing they say becomes a file name. Resources
//! are named from the report's own step and ingredient numbers, the extension comes from
//! a short list of media types, and sizes are capped.

use std::io::{Cursor, Read, Seek};

use crate::credentials::report::Report;
use crate::credentials::verify::{open_reader_for, VerifyError, VerifyOptions};

/// Largest single resource taken out (a thumbnail is tens of kilobytes).
pub const MAX_RESOURCE_BYTES: usize = 16 << 20;
/// Largest total taken out of one file.
pub const MAX_TOTAL_BYTES: usize = 64 << 20;

/// A thumbnail found in the manifest store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractedThumbnail {
    /// The step ([`crate::Report::chain`] index) whose manifest carries it.
    pub step: usize,
    /// `None` for the step's claim thumbnail; `Some(j)` for the thumbnail of the step's
    /// `j`-th ingredient.
    pub ingredient: Option<usize>,
    /// The media type the manifest gives it.
    pub mime: String,
    /// The thumbnail as stored (not decoded, not checked to be a picture).
    pub bytes: Vec<u8>,
}

impl ExtractedThumbnail {
    /// A file name made from our own numbers: `step-0.thumbnail.jpg`,
    /// `step-1.ingredient-0.thumbnail.png`. Unknown media types get `.bin`.
    pub fn file_name(&self) -> String {
        let ext = extension_for(&self.mime);
        match self.ingredient {
            None => format!("step-{}.thumbnail.{ext}", self.step),
            Some(j) => format!("step-{}.ingredient-{j}.thumbnail.{ext}", self.step),
        }
    }
}

/// Everything taken out of one file.
#[derive(Debug, Clone, Default)]
pub struct Extracted {
    /// The manifest store as stored in the file (JUMBF, `application/c2pa`), when the
    /// file embeds one; a sidecar's or remote store is the caller's already.
    pub store: Option<Vec<u8>>,
    /// The C2PA SDK's JSON of the manifest store (what the reference tool prints).
    pub store_json: Option<String>,
    /// Every step's claim thumbnail and its ingredients' thumbnails, in chain order.
    pub thumbnails: Vec<ExtractedThumbnail>,
    /// Resources left out, and why (too large, unreadable).
    pub skipped: Vec<String>,
}

/// The file extension for a thumbnail's media type.
fn extension_for(mime: &str) -> &'static str {
    match mime.to_ascii_lowercase().as_str() {
        "image/jpeg" | "image/jpg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "image/avif" => "avif",
        "image/heic" => "heic",
        "image/tiff" => "tiff",
        _ => "bin",
    }
}

/// The manifest store (JUMBF) embedded in a `format` file, as a `.c2pa` sidecar holds it;
/// `None` when there is none (or the format keeps it where the SDK does not look).
pub fn embedded_store<R: Read + Seek + Send>(
    stream: &mut R,
    format: crate::credentials::format::MediaFormat,
) -> Option<Vec<u8>> {
    c2pa::jumbf_io::load_jumbf_from_stream(format.mime(), stream)
        .ok()
        .filter(|store| !store.is_empty())
}

/// Takes the store, its JSON and every thumbnail out of `stream`, numbered as in
/// `report` (the report of the same stream with the same `options`).
pub fn extract<R>(
    mut stream: R,
    report: &Report,
    options: &VerifyOptions,
) -> Result<Extracted, VerifyError>
where
    R: Read + Seek + Send,
{
    let mut out = Extracted::default();
    let (_, format) = crate::credentials::verify::probe(&mut stream)?;
    if options.manifest.is_none() {
        out.store = embedded_store(&mut stream, format);
        stream.rewind()?;
    }
    let Ok(reader) = open_reader_for(stream, format, options)? else {
        return Ok(out);
    };
    out.store_json = Some(reader.json());
    let mut total = 0usize;
    for step in &report.chain {
        let Some(manifest) = reader.manifests().get(&step.manifest) else {
            continue;
        };
        let mut wanted: Vec<(Option<usize>, String, String)> = Vec::new();
        if let Some(r) = manifest.thumbnail_ref() {
            wanted.push((None, r.identifier.clone(), r.format.clone()));
        }
        for (j, ingredient) in manifest.ingredients().iter().enumerate() {
            if let Some(r) = ingredient.thumbnail_ref() {
                wanted.push((Some(j), r.identifier.clone(), r.format.clone()));
            }
        }
        for (ingredient, identifier, mime) in wanted {
            let what = match ingredient {
                None => format!("step {}'s thumbnail", step.index),
                Some(j) => format!("step {}'s ingredient {j}'s thumbnail", step.index),
            };
            // The identifier is the manifest's: resolve it inside this manifest only.
            let uri = if identifier.starts_with("self#jumbf=/c2pa/") {
                identifier
            } else {
                format!(
                    "self#jumbf=/c2pa/{}/{}",
                    step.manifest,
                    identifier.trim_start_matches("self#jumbf=")
                )
            };
            let mut buffer = Cursor::new(Vec::new());
            match reader.resource_to_stream(&uri, &mut buffer) {
                Ok(_) => {}
                Err(e) => {
                    out.skipped.push(format!("{what}: unreadable ({e})"));
                    continue;
                }
            }
            let bytes = buffer.into_inner();
            if bytes.len() > MAX_RESOURCE_BYTES || total + bytes.len() > MAX_TOTAL_BYTES {
                out.skipped
                    .push(format!("{what}: too large ({} bytes)", bytes.len()));
                continue;
            }
            total += bytes.len();
            out.thumbnails.push(ExtractedThumbnail {
                step: step.index,
                ingredient,
                mime,
                bytes,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_our_numbers_and_a_short_list_of_types() {
        let t = |ingredient, mime: &str| ExtractedThumbnail {
            step: 2,
            ingredient,
            mime: mime.into(),
            bytes: Vec::new(),
        };
        assert_eq!(t(None, "image/jpeg").file_name(), "step-2.thumbnail.jpg");
        assert_eq!(
            t(Some(1), "image/PNG").file_name(),
            "step-2.ingredient-1.thumbnail.png"
        );
        assert_eq!(
            t(None, "../../etc/passwd").file_name(),
            "step-2.thumbnail.bin"
        );
        assert_eq!(t(None, "image/svg+xml").file_name(), "step-2.thumbnail.bin");
    }
}
