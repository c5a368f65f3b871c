//! The bit reader and Huffman tables of the entropy decoder.

use super::{fail, Fail, LOOKAHEAD};

/// The flag of an end of block in [`Huffman::fast_ac`].
pub(super) const END_OF_BLOCK: i32 = 1 << 12;

/// A Huffman table: a lookahead table for codes of up to [`LOOKAHEAD`] bits, the
/// canonical limits for longer ones, and for AC tables a second lookahead table of
/// whole coefficients.
pub(super) struct Huffman {
    /// `(length << 8) | symbol`, 0 when the code is longer than the lookahead.
    pub(super) fast: Vec<u16>,
    /// Largest code of each length (as a left-aligned 16-bit value + 1), 0 if none.
    pub(super) max_code: [u32; 18],
    /// Index of the first symbol of each length minus its first code.
    pub(super) offset: [i32; 17],
    pub(super) symbols: Vec<u8>,
    /// For AC tables: `value << 16 | run << 8 | total bits` (with [`END_OF_BLOCK`]
    /// set for an end of block), 0 when not a whole coefficient within the lookahead.
    pub(super) fast_ac: Vec<i32>,
}

impl Huffman {
    pub(super) fn new(counts: &[u8; 16], symbols: &[u8], ac: bool) -> Result<Self, Fail> {
        let mut fast = vec![0u16; 1 << LOOKAHEAD];
        let mut max_code = [0u32; 18];
        let mut offset = [0i32; 17];
        let mut code = 0u32;
        let mut k = 0usize;
        for len in 1..=16u32 {
            let n = usize::from(counts[len as usize - 1]);
            offset[len as usize] = k as i32 - code as i32;
            for _ in 0..n {
                let Some(&symbol) = symbols.get(k) else {
                    return fail("Huffman table shorter than its counts");
                };
                if len <= LOOKAHEAD {
                    let shift = LOOKAHEAD - len;
                    let first = (code << shift) as usize;
                    for slot in fast
                        .get_mut(first..first + (1 << shift))
                        .into_iter()
                        .flatten()
                    {
                        *slot = ((len as u16) << 8) | u16::from(symbol);
                    }
                }
                code += 1;
                k += 1;
            }
            if code > (1 << len) {
                return fail("Huffman table with too many codes");
            }
            // Codes of this length are below `code`, left-aligned to 16 bits.
            max_code[len as usize] = code << (16 - len);
            code <<= 1;
        }
        max_code[17] = u32::MAX;
        let mut table = Self {
            fast,
            max_code,
            offset,
            symbols: symbols.get(..k).unwrap_or_default().to_vec(),
            fast_ac: Vec::new(),
        };
        if ac {
            table.fast_ac = (0..1u32 << LOOKAHEAD)
                .map(|bits| table.whole_coefficient(bits))
                .collect();
        }
        Ok(table)
    }

    pub(super) fn whole_coefficient(&self, bits: u32) -> i32 {
        let entry = self.fast[bits as usize];
        let (len, rs) = (u32::from(entry >> 8), u32::from(entry & 0xff));
        let (run, size) = (rs >> 4, rs & 15);
        if len != 0 && size == 0 {
            // End of block, or 16 zeros (a zero coefficient at the 16th place).
            return match run {
                0 => END_OF_BLOCK | len as i32,
                15 => (15 << 8) | len as i32,
                _ => 0,
            };
        }
        if len == 0 || len + size > LOOKAHEAD {
            return 0;
        }
        let raw = (bits >> (LOOKAHEAD - len - size)) & ((1 << size) - 1);
        let value = extend(raw, size);
        (value << 16) | (run << 8) as i32 | (len + size) as i32
    }
}

/// The signed value of `size` raw bits (JPEG's EXTEND).
#[inline]
pub(super) fn extend(raw: u32, size: u32) -> i32 {
    if size == 0 {
        0
    } else if raw < 1 << (size - 1) {
        raw as i32 - (1 << size) + 1
    } else {
        raw as i32
    }
}

/// MSB-first bit reader over the entropy-coded data of a scan.
pub(super) struct Bits<'a> {
    pub(super) data: &'a [u8],
    pub(super) pos: usize,
    pub(super) buf: u64,
    pub(super) count: u32,
    /// Zero bits fed since a marker or the end of the data was reached.
    pub(super) padded: u32,
    pub(super) at_marker: bool,
}

impl<'a> Bits<'a> {
    pub(super) fn new(data: &'a [u8], pos: usize) -> Self {
        Self {
            data,
            pos,
            buf: 0,
            count: 0,
            padded: 0,
            at_marker: false,
        }
    }

    /// At least 56 bits in the buffer (zeros past a marker).
    #[inline]
    pub(super) fn refill(&mut self) {
        if self.count >= 56 {
            return;
        }
        self.refill_more();
    }

    fn refill_more(&mut self) {
        if !self.at_marker {
            if let Some(chunk) = self.data.get(self.pos..self.pos + 8) {
                let mut word = [0u8; 8];
                word.copy_from_slice(chunk);
                let word = u64::from_be_bytes(word);
                // No 0xFF byte in the word: take whole bytes at once.
                let inv = !word;
                let has_ff = inv.wrapping_sub(0x0101_0101_0101_0101) & !inv & 0x8080_8080_8080_8080;
                if has_ff == 0 {
                    let take = (63 - self.count) / 8;
                    let bits = take * 8;
                    self.buf |= (word >> (64 - bits)) << (64 - bits - self.count);
                    self.count += bits;
                    self.pos += take as usize;
                    return;
                }
            }
        }
        self.refill_bytes();
    }

    /// Byte by byte, near a `0xFF` byte or the end of the data.
    #[cold]
    #[inline(never)]
    fn refill_bytes(&mut self) {
        while self.count < 56 {
            let byte = if self.at_marker {
                self.padded += 8;
                0
            } else {
                match self.data.get(self.pos) {
                    Some(&0xff) => match self.data.get(self.pos + 1) {
                        Some(0) => {
                            self.pos += 2;
                            0xff
                        }
                        _ => {
                            self.at_marker = true;
                            self.padded += 8;
                            0
                        }
                    },
                    Some(&b) => {
                        self.pos += 1;
                        b
                    }
                    None => {
                        self.at_marker = true;
                        self.padded += 8;
                        0
                    }
                }
            };
            self.buf |= u64::from(byte) << (56 - self.count);
            self.count += 8;
        }
    }

    #[inline]
    pub(super) fn peek(&self, n: u32) -> u32 {
        (self.buf >> (64 - n)) as u32
    }

    #[inline]
    pub(super) fn consume(&mut self, n: u32) {
        self.buf <<= n;
        self.count -= n;
    }

    /// `n` (1..=16) raw bits; the buffer must hold them.
    #[inline]
    pub(super) fn take(&mut self, n: u32) -> u32 {
        let v = self.peek(n);
        self.consume(n);
        v
    }

    /// True once decoding used zero bits fed past the data (damaged or truncated).
    pub(super) fn overran(&self) -> bool {
        self.padded > self.count
    }

    #[inline]
    pub(super) fn symbol(&mut self, table: &Huffman) -> Result<u8, Fail> {
        self.refill();
        let entry = table.fast[self.peek(LOOKAHEAD) as usize];
        if entry != 0 {
            self.consume(u32::from(entry >> 8));
            return Ok((entry & 0xff) as u8);
        }
        self.long_symbol(table)
    }

    /// A code longer than the lookahead (or none).
    #[cold]
    #[inline(never)]
    fn long_symbol(&mut self, table: &Huffman) -> Result<u8, Fail> {
        let bits16 = self.peek(16);
        let mut len = LOOKAHEAD as usize + 1;
        while len <= 16 && bits16 >= table.max_code[len] {
            len += 1;
        }
        if len > 16 {
            return fail("bad Huffman code");
        }
        let code = (bits16 >> (16 - len)) as i32;
        self.consume(len as u32);
        usize::try_from(code + table.offset[len])
            .ok()
            .and_then(|i| table.symbols.get(i).copied())
            .ok_or_else(|| "bad Huffman code".to_owned())
    }

    /// Skips to just after the restart marker that must come next.
    pub(super) fn restart(&mut self) -> Result<(), Fail> {
        if self.overran() {
            return fail("entropy data ends early");
        }
        self.buf = 0;
        self.count = 0;
        self.padded = 0;
        self.at_marker = false;
        let mut pos = self.pos;
        while self.data.get(pos) == Some(&0xff) && self.data.get(pos + 1) == Some(&0xff) {
            pos += 1;
        }
        match (self.data.get(pos), self.data.get(pos + 1)) {
            (Some(0xff), Some(0xd0..=0xd7)) => {
                self.pos = pos + 2;
                Ok(())
            }
            _ => fail("missing restart marker"),
        }
    }
}
