//! The marker segments of a JPEG file, walked once for everyone who reads them: the photo
//! metadata reader, the blacklist's privacy stripper, the own-thumbnail copier and the
//! scaled decoder. Each decides what a segment means to it; this only finds them, and says
//! plainly where a file stops making sense, never reading past its end.

/// One step of the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step<'a> {
    /// A marker segment with a length: `whole` is `FF marker len_hi len_lo body…`.
    Segment {
        /// The marker byte (0xE1 for APP1, 0xDA for start of scan, …).
        marker: u8,
        /// Where the segment starts in the file.
        at: usize,
        /// The whole segment, marker and length included.
        whole: &'a [u8],
        /// What follows the length field.
        body: &'a [u8],
    },
    /// A marker without a length: RST0–RST7, TEM or a stray SOI.
    Standalone {
        /// The marker byte.
        marker: u8,
        /// Where the marker starts in the file.
        at: usize,
    },
    /// End of image (FF D9), at this offset.
    End {
        /// Where the marker starts in the file.
        at: usize,
    },
}

/// Where and why a file stops being a sequence of JPEG segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{why} at byte {at}")]
pub(crate) struct Malformed {
    /// What was wrong.
    pub why: &'static str,
    /// Where.
    pub at: usize,
}

/// The segments of a JPEG after its SOI marker (the caller checks the first two bytes).
#[derive(Debug, Clone)]
pub(crate) struct Segments<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Segments<'a> {
    /// The walk from just after SOI.
    pub(crate) fn after_soi(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            at: 2.min(bytes.len()),
        }
    }

    /// Where the walk stands: the start of the next marker, or just past a scan's data.
    // Used by the scaled decoder (feature iscc).
    #[cfg_attr(not(feature = "iscc"), allow(dead_code))]
    pub(crate) fn position(&self) -> usize {
        self.at
    }

    /// The next marker, skipping fill bytes (runs of 0xFF before it).
    pub(crate) fn next_step(&mut self) -> Result<Step<'a>, Malformed> {
        let bytes = self.bytes;
        let fail = |why, at| Err(Malformed { why, at });
        while bytes.get(self.at) == Some(&0xFF) && bytes.get(self.at + 1) == Some(&0xFF) {
            self.at += 1;
        }
        let at = self.at;
        match (bytes.get(at), bytes.get(at + 1)) {
            (None, _) => return fail("the file ends before its end-of-image marker", at),
            (Some(0xFF), None) => return fail("truncated marker", at),
            (Some(0xFF), Some(_)) => {}
            (Some(_), _) => return fail("a JPEG segment does not start with 0xFF", at),
        }
        let marker = bytes[at + 1];
        match marker {
            0xD9 => return Ok(Step::End { at }),
            0xD0..=0xD8 | 0x01 => {
                self.at += 2;
                return Ok(Step::Standalone { marker, at });
            }
            0x00 => return fail("a stuffed zero byte where a marker belongs", at),
            _ => {}
        }
        let Some(&[hi, lo]) = bytes.get(at + 2..at + 4) else {
            return fail("truncated segment length", at);
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len < 2 {
            return fail("a segment length under 2", at);
        }
        let Some(whole) = bytes.get(at..at + 2 + len) else {
            return fail("a segment runs past the end", at);
        };
        self.at += 2 + len;
        Ok(Step::Segment {
            marker,
            at,
            whole,
            body: &whole[4..],
        })
    }

    /// After a scan the caller decoded itself: go on from `at`, where its data ended.
    // Used by the scaled decoder (feature iscc).
    #[cfg_attr(not(feature = "iscc"), allow(dead_code))]
    pub(crate) fn skip_to(&mut self, at: usize) {
        self.at = at.clamp(self.at, self.bytes.len());
    }

    /// After a start-of-scan segment: the entropy-coded data up to the next marker that is
    /// neither a stuffed 0xFF nor a restart, which the walk then stands at.
    // Only the thumbnail copier reads scans this way.
    #[cfg_attr(not(feature = "thumbnails"), allow(dead_code))]
    pub(crate) fn entropy_data(&mut self) -> Result<&'a [u8], Malformed> {
        let bytes = self.bytes;
        let start = self.at;
        let mut at = start;
        loop {
            let Some(offset) = bytes
                .get(at..)
                .and_then(|rest| rest.iter().position(|&b| b == 0xFF))
            else {
                return Err(Malformed {
                    why: "the scan's data runs to the end of the file",
                    at: start,
                });
            };
            at += offset;
            match bytes.get(at + 1) {
                Some(0x00 | 0xD0..=0xD7) => at += 2,
                Some(_) => break,
                None => {
                    return Err(Malformed {
                        why: "the scan's data runs to the end of the file",
                        at: start,
                    })
                }
            }
        }
        self.at = at;
        Ok(&bytes[start..at])
    }
}

impl<'a> Iterator for Segments<'a> {
    /// The header segments up to the first scan or the end of the image, whichever comes
    /// first; a standalone marker is passed over. It stops quietly at anything malformed:
    /// for readers that take what a file offers.
    type Item = (u8, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.next_step().ok()? {
                Step::Segment { marker: 0xDA, .. } | Step::End { .. } => return None,
                Step::Segment { marker, body, .. } => return Some((marker, body)),
                Step::Standalone { .. } => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOI, fill bytes, APP0, a restart marker where none belongs, DQT, SOS with two bytes of
    /// data holding a stuffed 0xFF and a restart, EOI.
    fn sample() -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xFF];
        j.extend([0xFF, 0xE0, 0x00, 0x07, b'J', b'F', b'I', b'F', 0x00]);
        j.extend([0xFF, 0xD3]);
        j.extend([0xFF, 0xDB, 0x00, 0x03, 0x00]);
        j.extend([0xFF, 0xDA, 0x00, 0x03, 0x01]);
        j.extend([0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        j.extend([0xFF, 0xD9]);
        j
    }

    #[test]
    fn walks_segments_standalone_markers_scans_and_the_end() {
        let j = sample();
        let mut walk = Segments::after_soi(&j);
        let Ok(Step::Segment {
            marker: 0xE0,
            at: 4,
            body,
            ..
        }) = walk.next_step()
        else {
            panic!("APP0 after the fill byte");
        };
        assert_eq!(body, b"JFIF\0");
        assert_eq!(
            walk.next_step(),
            Ok(Step::Standalone {
                marker: 0xD3,
                at: 13
            })
        );
        assert!(matches!(
            walk.next_step(),
            Ok(Step::Segment { marker: 0xDB, .. })
        ));
        assert!(matches!(
            walk.next_step(),
            Ok(Step::Segment { marker: 0xDA, .. })
        ));
        assert_eq!(
            walk.entropy_data(),
            Ok(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56][..])
        );
        assert_eq!(walk.next_step(), Ok(Step::End { at: j.len() - 2 }));
        // As an iterator: the header segments only.
        let markers: Vec<u8> = Segments::after_soi(&j).map(|(m, _)| m).collect();
        assert_eq!(markers, [0xE0, 0xDB]);
    }

    #[test]
    fn every_cut_and_bad_length_is_an_error_never_a_read_past_the_end() {
        let j = sample();
        for cut in 2..j.len() - 1 {
            let mut walk = Segments::after_soi(&j[..cut]);
            let ended = (0..20).any(|_| match walk.next_step() {
                Err(_) => true,
                Ok(Step::Segment { marker: 0xDA, .. }) => walk.entropy_data().is_err(),
                Ok(Step::End { .. }) => panic!("no end marker before {cut}"),
                Ok(_) => false,
            });
            assert!(ended, "cut at {cut}");
        }
        for len in [0u8, 1] {
            let bad = [0xFF, 0xD8, 0xFF, 0xE1, 0x00, len, 0xAA, 0xBB];
            assert_eq!(
                Segments::after_soi(&bad).next_step().map_err(|e| e.why),
                Err("a segment length under 2")
            );
        }
        let bad = [0xFF, 0xD8, 0x12, 0x34];
        assert_eq!(
            Segments::after_soi(&bad).next_step().map_err(|e| e.why),
            Err("a JPEG segment does not start with 0xFF")
        );
    }
}
