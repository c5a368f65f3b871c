//! Multi-index hashing: the sublinear Hamming search both stores run over the
//! `entry_codes` table.
//!
//! Every 64-bit code (an entry's fingerprint, and any extra code such as a tile code)
//! is stored beside its [`CHUNKS`]: the code cut into `K` runs of bits, each in a
//! B-tree indexed column. If two codes are within `d` bits, write `d = K·r + a`
//! (`0 ≤ a < K`): then one of the first `a + 1` chunks differs by at most `r` bits, or
//! one of the other chunks by at most `r − 1` (otherwise the chunk distances would sum
//! to at least `(a+1)(r+1) + (K−a−1)·r = d + 1`). A lookup therefore probes, for each
//! chunk, every value within that many bits of the query's chunk, and verifies the full
//! distance of each candidate: the same answers as a linear scan, reading only the
//! index entries of the probed values.
//!
//! `K = 3` (22 + 21 + 21 bits) suits logs of 10⁶ to 10⁹ codes at the lookup distance
//! of 8 bits: 3 × ~240 probes, and with 10⁷ random codes about 5 candidates per probed
//! value. Four 16-bit chunks need fewer probes (188) but each 16-bit value holds ~150
//! codes at 10⁷, so ~28,000 candidates to verify.
//!
//! When a radius would need more than [`MAX_PROBES`] probes, the stores scan linearly
//! instead (still exact).

/// The algorithm of the perceptual fingerprint provenant computed before ISCC
/// (`fingerprint::hash_image`); entries logged before fingerprints named their
/// algorithm are migrated to it.
pub const DCT_ALG: &str = "provenant-dct-v1";

/// A 64-bit similarity code and what computed it. An entry's fingerprint is one; its
/// extra codes (e.g. the codes of a picture's tiles, to find crops) are others. Codes
/// are only ever compared with codes of the same `alg`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Code {
    /// The algorithm (and, for extra codes, the kind), e.g. [`DCT_ALG`] or `io.iscc.v0`.
    pub alg: String,
    /// The 64 bits.
    pub value: u64,
}

impl Code {
    /// A code of algorithm `alg`.
    pub fn new(alg: impl Into<String>, value: u64) -> Self {
        Self {
            alg: alg.into(),
            value,
        }
    }

    /// A [`DCT_ALG`] fingerprint.
    pub fn dct(value: u64) -> Self {
        Self::new(DCT_ALG, value)
    }
}

/// The chunks of a code: `(shift, bits)`, chunk `i` being `(code >> shift) & (2^bits − 1)`.
pub(super) const CHUNKS: [(u32, u32); 3] = [(42, 22), (21, 21), (0, 21)];

/// Beyond this many probed values a linear scan is cheaper.
pub(super) const MAX_PROBES: usize = 20_000;

/// The value of chunk `i` of `code`.
pub(super) fn chunk(code: u64, i: usize) -> i64 {
    let (shift, bits) = CHUNKS[i];
    ((code >> shift) & ((1u64 << bits) - 1)) as i64
}

/// SQL computing chunk `i` from the signed 64-bit integer expression `expr` (the
/// masking makes the sign-extending `>>` of SQLite and PostgreSQL agree with
/// [`chunk`]).
pub(super) fn chunk_sql(expr: &str, i: usize) -> String {
    let (shift, bits) = CHUNKS[i];
    format!("(({expr} >> {shift}) & {})", (1u64 << bits) - 1)
}

/// The chunk column names, `c0, c1, …`.
pub(super) fn chunk_columns() -> String {
    (0..CHUNKS.len())
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The radius to probe chunk `i` at, for a search of radius `d`; `None` when that
/// chunk need not be probed at all (radius below zero).
pub(super) fn chunk_radius(d: u32, i: usize) -> Option<u32> {
    let k = CHUNKS.len() as u32;
    let (r, a) = (d / k, d % k);
    if (i as u32) <= a {
        Some(r)
    } else {
        r.checked_sub(1)
    }
}

/// Number of `bits`-bit values within `r` bits of a given one (Σ C(bits, j), j ≤ r).
fn ball_size(bits: u32, r: u32) -> usize {
    let mut total = 0usize;
    let mut c = 1usize;
    for j in 0..=r.min(bits) {
        total = total.saturating_add(c);
        c = c.saturating_mul((bits - j) as usize) / (j as usize + 1);
    }
    total
}

/// How many values a search of radius `d` probes.
pub(super) fn probe_count(d: u32) -> usize {
    (0..CHUNKS.len())
        .filter_map(|i| chunk_radius(d, i).map(|r| ball_size(CHUNKS[i].1, r)))
        .fold(0usize, usize::saturating_add)
}

/// Every `bits`-bit value within `r` bits of `value`, `value` first.
pub(super) fn ball(value: i64, bits: u32, r: u32) -> Vec<i64> {
    let mut out = Vec::with_capacity(ball_size(bits, r));
    fn flip(v: i64, from: u32, bits: u32, left: u32, out: &mut Vec<i64>) {
        out.push(v);
        if left == 0 {
            return;
        }
        for b in from..bits {
            flip(v ^ (1 << b), b + 1, bits, left - 1, out);
        }
    }
    flip(value, 0, bits, r, &mut out);
    out
}

/// The probes of a search for `code` within `d` bits: per chunk, the values to look up
/// (an empty list for a chunk not probed). `None` when there would be more than
/// [`MAX_PROBES`].
pub(super) fn probes(code: u64, d: u32) -> Option<Vec<Vec<i64>>> {
    if probe_count(d) > MAX_PROBES {
        return None;
    }
    Some(
        (0..CHUNKS.len())
            .map(|i| match chunk_radius(d, i) {
                Some(r) => ball(chunk(code, i), CHUNKS[i].1, r),
                None => Vec::new(),
            })
            .collect(),
    )
}

/// Keeps, per entry, the smallest distance of the candidates within `max_distance`.
pub(super) fn verified(
    candidates: impl IntoIterator<Item = (i64, u64)>,
    code: u64,
    max_distance: u32,
) -> Vec<(i64, u32)> {
    let mut best = std::collections::HashMap::new();
    for (id, c) in candidates {
        let d = (c ^ code).count_ones();
        if d <= max_distance {
            best.entry(id)
                .and_modify(|b: &mut u32| *b = (*b).min(d))
                .or_insert(d);
        }
    }
    best.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_64_bits_once() {
        let mut seen = 0u64;
        for (shift, bits) in CHUNKS {
            let mask = ((1u64 << bits) - 1) << shift;
            assert_eq!(seen & mask, 0);
            seen |= mask;
        }
        assert_eq!(seen, u64::MAX);
    }

    #[test]
    fn balls_hold_exactly_the_values_within_the_radius() {
        for r in 0..4 {
            let b = ball(0b1011, 6, r);
            assert_eq!(b.len(), ball_size(6, r));
            let set: std::collections::HashSet<_> = b.iter().copied().collect();
            assert_eq!(set.len(), b.len());
            for v in 0..64i64 {
                assert_eq!(
                    set.contains(&v),
                    (v ^ 0b1011).count_ones() <= r,
                    "{v} r={r}"
                );
            }
        }
    }

    #[test]
    fn pigeonhole_radii_never_miss() {
        // For every split of a distance d over the chunks, some chunk is probed wide enough.
        for d in 0..=24u32 {
            let k = CHUNKS.len();
            let mut split = vec![0u32; k];
            loop {
                if split.iter().sum::<u32>() <= d {
                    assert!(
                        (0..k).any(|i| chunk_radius(d, i).is_some_and(|r| split[i] <= r)),
                        "d={d} split={split:?}"
                    );
                }
                let mut i = 0;
                while i < k {
                    split[i] += 1;
                    if split[i] <= d {
                        break;
                    }
                    split[i] = 0;
                    i += 1;
                }
                if i == k {
                    break;
                }
            }
        }
    }

    #[test]
    fn chunk_sql_agrees_with_chunk_on_negative_codes() {
        // The SQL is checked against the stores in the log tests; here the arithmetic.
        let code = 0xF123_4567_89AB_CDEFu64;
        for (i, &(shift, bits)) in CHUNKS.iter().enumerate() {
            let arithmetic = ((code as i64) >> shift) & ((1i64 << bits) - 1);
            assert_eq!(arithmetic, chunk(code, i));
        }
        assert_eq!(
            probe_count(8),
            probes(1, 8).unwrap().iter().map(Vec::len).sum::<usize>()
        );
    }
}
