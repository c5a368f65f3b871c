//! Media format detection from magic bytes (never from the file name alone).

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
    /// TIFF (`image/tiff`).
    Tiff,
    /// ISO BMFF family: HEIC/HEIF/AVIF/MP4/MOV.
    Bmff(&'static str),
}

impl MediaFormat {
    /// Number of leading bytes [`MediaFormat::sniff`] wants to see.
    pub const SNIFF_LEN: usize = 16;

    /// Detects the format from the first bytes of a file.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        match head {
            [0xFF, 0xD8, 0xFF, ..] => Some(Self::Jpeg),
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Self::Png),
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(Self::WebP),
            [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(Self::Gif),
            [b'I', b'I', 0x2A, 0x00, ..] | [b'M', b'M', 0x00, 0x2A, ..] => Some(Self::Tiff),
            [_, _, _, _, b'f', b't', b'y', b'p', b1, b2, b3, b4, ..] => {
                Some(Self::Bmff(match &[*b1, *b2, *b3, *b4] {
                    b"avif" | b"avis" => "image/avif",
                    b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" => "image/heic",
                    b"mif1" | b"msf1" => "image/heif",
                    b"qt  " => "video/quicktime",
                    _ => "video/mp4",
                }))
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
            Self::Bmff(mime) => mime,
        }
    }

    /// Guesses the intended output format from a file extension.
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" => Some(Self::Jpeg),
            "png" => Some(Self::Png),
            "webp" => Some(Self::WebP),
            "gif" => Some(Self::Gif),
            "tif" | "tiff" => Some(Self::Tiff),
            "avif" => Some(Self::Bmff("image/avif")),
            "heic" => Some(Self::Bmff("image/heic")),
            "heif" => Some(Self::Bmff("image/heif")),
            "mp4" => Some(Self::Bmff("video/mp4")),
            "mov" => Some(Self::Bmff("video/quicktime")),
            _ => None,
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
    fn extension_round_trip() {
        for ext in ["jpg", "PNG", "webp", "gif", "tiff", "avif"] {
            assert!(MediaFormat::from_extension(ext).is_some(), "{ext}");
        }
        assert_eq!(MediaFormat::from_extension("txt"), None);
    }
}
