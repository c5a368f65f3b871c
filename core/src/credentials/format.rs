//! Media format detection from the content (never from the file name alone).
//!
//! Every container the pinned C2PA SDK reads is recognised by its magic bytes; SVG by
//! a bounded look at the start of the text (`<svg`, or an XML prolog, comments or a
//! doctype followed by `<svg` within [`MediaFormat::SNIFF_LEN`] bytes), MP3 by its ID3
//! tag or an MPEG audio frame sync, JPEG XL as a bare codestream (`FF 0A`) or in its
//! ISO BMFF container. DNG and the camera raw formats built on TIFF are read as TIFF.

use std::fmt;

/// A media container that C2PA can carry a manifest in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaFormat {
    /// JPEG (`image/jpeg`).
    Jpeg,
    /// PNG (`image/png`).
    Png,
    /// WebP (`image/webp`).
    WebP,
    /// GIF (`image/gif`).
    Gif,
    /// TIFF, and DNG and other raw formats built on it (`image/tiff`).
    Tiff,
    /// ISO BMFF family: HEIC/HEIF/AVIF/MP4/MOV/M4A.
    Bmff(&'static str),
    /// JPEG XL, bare codestream or container (`image/jxl`).
    JpegXl,
    /// RIFF audio and video other than WebP: WAV, AVI.
    Riff(&'static str),
    /// MP3 (`audio/mpeg`).
    Mp3,
    /// FLAC (`audio/flac`).
    Flac,
    /// SVG (`image/svg+xml`).
    Svg,
    /// PDF (`application/pdf`); read only, with the `pdf` feature (the CLI; the browser build
    /// only when built with it).
    Pdf,
    /// A bare C2PA manifest store (`.c2pa`, `application/c2pa`).
    ManifestStore,
}

impl MediaFormat {
    /// Number of leading bytes [`MediaFormat::sniff`] wants to see (SVG may need them all).
    pub const SNIFF_LEN: usize = 1024;

    /// Detects the format from the first bytes of a file.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        let binary = match head {
            [0xFF, 0xD8, 0xFF, ..] => Some(Self::Jpeg),
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Self::Png),
            [b'R', b'I', b'F', b'F', _, _, _, _, kind @ ..] if kind.len() >= 4 => {
                match &kind[..4] {
                    b"WEBP" => Some(Self::WebP),
                    b"WAVE" => Some(Self::Riff("audio/wav")),
                    b"AVI " => Some(Self::Riff("video/avi")),
                    _ => None,
                }
            }
            [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(Self::Gif),
            [b'I', b'I', 0x2A, 0x00, ..] | [b'M', b'M', 0x00, 0x2A, ..] => Some(Self::Tiff),
            [0xFF, 0x0A, ..] => Some(Self::JpegXl),
            [0, 0, 0, 0x0C, b'J', b'X', b'L', b' ', 0x0D, 0x0A, 0x87, 0x0A, ..] => {
                Some(Self::JpegXl)
            }
            [_, _, _, _, b'f', b't', b'y', b'p', b1, b2, b3, b4, ..] => {
                Some(Self::Bmff(bmff_mime([*b1, *b2, *b3, *b4])))
            }
            [_, _, _, _, b'j', b'u', b'm', b'b', ..] => Some(Self::ManifestStore),
            [b'f', b'L', b'a', b'C', ..] => Some(Self::Flac),
            [b'I', b'D', b'3', 2..=4, ..] => Some(Self::Mp3),
            [0xFF, b1, b2, ..] if is_mpeg_audio_frame(*b1, *b2) => Some(Self::Mp3),
            [b'%', b'P', b'D', b'F', b'-', ..] => Some(Self::Pdf),
            _ => None,
        };
        binary.or_else(|| is_svg(head).then_some(Self::Svg))
    }

    /// The length of the ID3v2 tag `head` starts with (header, frames and footer), if
    /// it starts with one. FLAC files may carry one before their `fLaC` marker, so a
    /// file that starts with ID3 is FLAC when `fLaC` follows the tag, else MP3.
    pub fn id3_tag_len(head: &[u8]) -> Option<u64> {
        match head {
            [b'I', b'D', b'3', 2..=4, _, flags, s @ ..] if s.len() >= 4 => {
                if s[..4].iter().any(|b| b & 0x80 != 0) {
                    return None;
                }
                let size = s[..4]
                    .iter()
                    .fold(0u64, |acc, b| (acc << 7) | u64::from(*b));
                let footer = if flags & 0x10 != 0 { 10 } else { 0 };
                Some(10 + size + footer)
            }
            _ => None,
        }
    }

    /// The MIME type c2pa expects.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::WebP => "image/webp",
            Self::Gif => "image/gif",
            Self::Tiff => "image/tiff",
            Self::Bmff(mime) | Self::Riff(mime) => mime,
            Self::JpegXl => "image/jxl",
            Self::Mp3 => "audio/mpeg",
            Self::Flac => "audio/flac",
            Self::Svg => "image/svg+xml",
            Self::Pdf => "application/pdf",
            Self::ManifestStore => "application/c2pa",
        }
    }

    /// Whether this is a raster picture the chronology log can fingerprint (decode to
    /// pixels). Audio, video, vector graphics and documents are not.
    pub fn is_decodable_picture(self) -> bool {
        matches!(self, Self::Jpeg | Self::Png | Self::WebP)
    }

    /// Guesses the intended output format from a file extension.
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" => Some(Self::Jpeg),
            "png" => Some(Self::Png),
            "webp" => Some(Self::WebP),
            "gif" => Some(Self::Gif),
            "tif" | "tiff" | "dng" => Some(Self::Tiff),
            "avif" => Some(Self::Bmff("image/avif")),
            "heic" => Some(Self::Bmff("image/heic")),
            "heif" => Some(Self::Bmff("image/heif")),
            "mp4" => Some(Self::Bmff("video/mp4")),
            "mov" => Some(Self::Bmff("video/quicktime")),
            "m4a" => Some(Self::Bmff("audio/mp4")),
            "jxl" => Some(Self::JpegXl),
            "wav" => Some(Self::Riff("audio/wav")),
            "avi" => Some(Self::Riff("video/avi")),
            "mp3" => Some(Self::Mp3),
            "flac" => Some(Self::Flac),
            "svg" => Some(Self::Svg),
            "pdf" => Some(Self::Pdf),
            _ => None,
        }
    }
}

/// The MIME type for an ISO BMFF major brand.
fn bmff_mime(brand: [u8; 4]) -> &'static str {
    match &brand {
        b"avif" | b"avis" => "image/avif",
        b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" => "image/heic",
        b"mif1" | b"msf1" => "image/heif",
        b"qt  " => "video/quicktime",
        b"M4A " | b"M4B " => "audio/mp4",
        b"M4V " => "video/x-m4v",
        _ => "video/mp4",
    }
}

/// An MPEG audio frame header's second and third bytes: the rest of the 11-bit sync,
/// a version that is not reserved, layer I–III (not 00, which is AAC's ADTS), and a
/// bitrate and sample rate index that are not "bad"/reserved.
fn is_mpeg_audio_frame(b1: u8, b2: u8) -> bool {
    b1 & 0xE0 == 0xE0
        && (b1 >> 3) & 0b11 != 0b01
        && (b1 >> 1) & 0b11 != 0b00
        && b2 >> 4 != 0xF
        && (b2 >> 2) & 0b11 != 0b11
}

/// SVG: after an optional BOM and white space, `<svg`, or an XML prolog, comments,
/// processing instructions or a doctype followed by an `<svg` element, all within `head`.
fn is_svg(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace());
    let Some(text) = start.map(|i| &text[i..]) else {
        return false;
    };
    if !(text.starts_with(b"<svg") || text.starts_with(b"<?xml") || text.starts_with(b"<!")) {
        return false;
    }
    // The first element must be `svg`: skip the prolog, comments, processing
    // instructions and a doctype (with its internal subset) before it.
    let mut rest = text;
    loop {
        let Some(at) = rest.iter().position(|&b| b == b'<') else {
            return false;
        };
        rest = &rest[at..];
        let skip_past = |rest: &[u8], end: &[u8]| -> Option<usize> {
            rest.windows(end.len())
                .position(|w| w == end)
                .map(|i| i + end.len())
        };
        let next = if rest.starts_with(b"<!--") {
            skip_past(rest, b"-->")
        } else if rest.starts_with(b"<?") {
            skip_past(rest, b"?>")
        } else if rest.starts_with(b"<!") {
            let close = rest.iter().position(|&b| b == b'>');
            match rest.iter().position(|&b| b == b'[') {
                Some(open) if close.is_none_or(|c| open < c) => {
                    skip_past(rest, b"]>").or_else(|| skip_past(rest, b"]"))
                }
                _ => close.map(|c| c + 1),
            }
        } else {
            let name = &rest[1..];
            return name.starts_with(b"svg")
                && name
                    .get(3)
                    .is_some_and(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/');
        };
        match next {
            Some(n) => rest = &rest[n..],
            None => return false,
        }
    }
}

impl fmt::Display for MediaFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mime())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_common_formats_and_rejects_text() {
        assert_eq!(
            MediaFormat::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(MediaFormat::Jpeg)
        );
        assert_eq!(
            MediaFormat::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(MediaFormat::Png)
        );
        assert_eq!(
            MediaFormat::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(MediaFormat::WebP)
        );
        assert_eq!(
            MediaFormat::sniff(b"\0\0\0\x1cftypheic\0\0"),
            Some(MediaFormat::Bmff("image/heic"))
        );
        assert_eq!(MediaFormat::sniff(b"hello, this is text"), None);
        assert_eq!(MediaFormat::sniff(b""), None);
        assert_eq!(MediaFormat::sniff(&[0xFF, 0xD8]), None);
    }

    #[test]
    fn sniffs_audio_video_documents_and_stores() {
        let cases: [(&[u8], MediaFormat); 12] = [
            (b"RIFF\0\0\0\0WAVEfmt ", MediaFormat::Riff("audio/wav")),
            (b"RIFF\0\0\0\0AVI LIST", MediaFormat::Riff("video/avi")),
            (b"ID3\x04\0\0\0\0\0\x23", MediaFormat::Mp3),
            (&[0xFF, 0xFB, 0x90, 0x64], MediaFormat::Mp3),
            (b"fLaC\0\0\0\x22", MediaFormat::Flac),
            (&[0xFF, 0x0A, 0xFA, 0x1F], MediaFormat::JpegXl),
            (
                b"\0\0\0\x0cJXL \r\n\x87\n\0\0\0\x14ftypjxl ",
                MediaFormat::JpegXl,
            ),
            (b"\0\0\0\x18ftypM4A \0\0", MediaFormat::Bmff("audio/mp4")),
            (
                b"\0\0\0\x14ftypqt  \0\0",
                MediaFormat::Bmff("video/quicktime"),
            ),
            (b"%PDF-1.7\n", MediaFormat::Pdf),
            (
                b"\0\0\x01\x00jumb\0\0\0\x1ejumd",
                MediaFormat::ManifestStore,
            ),
            (b"MM\0\x2a\0\0\0\x08", MediaFormat::Tiff),
        ];
        for (head, want) in cases {
            assert_eq!(MediaFormat::sniff(head), Some(want), "{head:?}");
        }
        // ADTS AAC (layer 00) and a reserved MPEG version are not MP3; RIFF of another kind is nothing.
        assert_eq!(MediaFormat::sniff(&[0xFF, 0xF1, 0x50, 0x80]), None);
        assert_eq!(MediaFormat::sniff(&[0xFF, 0xEB, 0x90, 0x64]), None);
        assert_eq!(MediaFormat::sniff(b"RIFF\0\0\0\0CDDAfmt "), None);
        assert_eq!(
            MediaFormat::id3_tag_len(b"ID3\x04\0\0\0\0\x01\x7f"),
            Some(10 + 255)
        );
        assert_eq!(
            MediaFormat::id3_tag_len(b"ID3\x04\0\x10\0\0\0\x01"),
            Some(21)
        );
        assert_eq!(MediaFormat::id3_tag_len(b"ID3\x04\0\0\x80\0\0\0"), None);
        assert_eq!(MediaFormat::id3_tag_len(b"fLaC"), None);
    }

    #[test]
    fn svg_is_found_by_a_bounded_look_at_the_text() {
        let yes: [&[u8]; 4] = [
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            b"\xEF\xBB\xBF  \n<?xml version=\"1.0\"?>\n<!-- hi <b> -->\n<svg>",
            b"<?xml version=\"1.0\"?><!DOCTYPE svg PUBLIC '-//W3C//DTD SVG 1.1//EN' 'x'><svg\nwidth='1'>",
            b"<!DOCTYPE svg><svg/>",
        ];
        for head in yes {
            assert_eq!(MediaFormat::sniff(head), Some(MediaFormat::Svg), "{head:?}");
        }
        let no: [&[u8]; 5] = [
            b"<?xml version=\"1.0\"?><html><svg></svg></html>",
            b"<svgfoo>",
            b"<?xml version=\"1.0\"?>",
            b"text <svg>",
            b"   ",
        ];
        for head in no {
            assert_eq!(MediaFormat::sniff(head), None, "{head:?}");
        }
        // Only the head is looked at: an `<svg` past it is not seen.
        let mut late = b"<?xml version=\"1.0\"?>".to_vec();
        late.resize(MediaFormat::SNIFF_LEN, b' ');
        assert_eq!(MediaFormat::sniff(&late), None);
    }

    #[test]
    fn extension_round_trip() {
        for ext in [
            "jpg", "PNG", "webp", "gif", "tiff", "avif", "wav", "mp3", "svg",
        ] {
            assert!(MediaFormat::from_extension(ext).is_some(), "{ext}");
        }
        assert_eq!(MediaFormat::from_extension("txt"), None);
        assert_eq!(MediaFormat::from_extension("c2pa"), None);
    }
}
