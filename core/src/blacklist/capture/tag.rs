//! Capture tags and the epoch-key ratchet (no curve arithmetic; builds for wasm32).
//!
//! - k_{e+1} = SHA-256("provenant/epoch/v1" ‖ k_e): one-way, so a key published for one
//!   day reveals nothing about earlier days. (One SHA-256 block per step.)
//! - τ = HMAC-SHA256(k_e, "provenant/tag/v1" ‖ r) for a fresh random r.
//!
//! [`EntryMatcher`] is the verifier's hot loop: one keyed HMAC per blacklist entry per
//! photo, with each entry's key for the photo's day derived once and cached. A
//! [`TagKey`] holds HMAC's inner and outer states after the key blocks, and the domain
//! and r fit one block, so a check is exactly two SHA-256 compressions.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

/// A camera's secret for one epoch (UTC day).
pub type EpochKey = [u8; 32];
/// Length of an epoch.
pub const EPOCH_SECONDS: u64 = 86_400;
/// How far a key may be ratcheted in one call (hostile input must not cost hours).
pub const MAX_RATCHET: u32 = 100_000;

const EPOCH_DOMAIN: &[u8] = b"provenant/epoch/v1";
/// 16 bytes: with r (32) and SHA-256 padding it fills exactly one block.
const TAG_DOMAIN: &[u8; 16] = b"provenant/tag/v1";
const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The epoch (UTC day number) of a Unix time.
pub fn epoch_of(unix_secs: u64) -> u32 {
    u32::try_from(unix_secs / EPOCH_SECONDS).unwrap_or(u32::MAX)
}

/// The next day's key.
pub fn next_epoch_key(k: &EpochKey) -> EpochKey {
    let mut h = Sha256::new();
    h.update(EPOCH_DOMAIN);
    h.update(k);
    h.finalize().into()
}

/// `k` (the key of `key_epoch`) ratcheted forward to `epoch`; `None` backwards (the
/// chain is one-way) or further than [`MAX_RATCHET`] days.
pub fn epoch_key_at(k: &EpochKey, key_epoch: u32, epoch: u32) -> Option<EpochKey> {
    let steps = epoch.checked_sub(key_epoch)?;
    if steps > MAX_RATCHET {
        return None;
    }
    let mut key = *k;
    for _ in 0..steps {
        key = next_epoch_key(&key);
    }
    Some(key)
}

/// τ = PRF(k, r).
pub fn tag(k: &EpochKey, r: &[u8; 32]) -> [u8; 32] {
    TagKey::new(k).tag(r)
}

/// HMAC-SHA256 keyed with one epoch key, its two key blocks already compressed: a
/// tag costs two SHA-256 compressions and no allocation.
#[derive(Clone)]
pub struct TagKey {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl std::fmt::Debug for TagKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TagKey(..)")
    }
}

fn compress(state: &mut [u32; 8], block: &[u8; 64]) {
    sha2::compress256(state, &[(*block).into()]);
}

fn state_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

impl TagKey {
    /// Precomputes the HMAC inner and outer states for epoch key `k`.
    pub fn new(k: &EpochKey) -> Self {
        // HMAC: the 32-byte key zero-padded to the 64-byte block, XOR ipad / opad.
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for (i, b) in k.iter().enumerate() {
            ipad[i] ^= b;
            opad[i] ^= b;
        }
        let (mut inner, mut outer) = (SHA256_IV, SHA256_IV);
        compress(&mut inner, &ipad);
        compress(&mut outer, &opad);
        Self { inner, outer }
    }

    /// τ = HMAC-SHA256(k, "provenant/tag/v1" ‖ r): the capture tag of `r` under this key.
    pub fn tag(&self, r: &[u8; 32]) -> [u8; 32] {
        // Inner: ipad block, then domain ‖ r ‖ padding (message of 64 + 48 bytes).
        let mut block = [0u8; 64];
        block[..16].copy_from_slice(TAG_DOMAIN);
        block[16..48].copy_from_slice(r);
        block[48] = 0x80;
        block[56..].copy_from_slice(&((64u64 + 48) * 8).to_be_bytes());
        let mut inner = self.inner;
        compress(&mut inner, &block);
        // Outer: opad block, then the inner digest ‖ padding (64 + 32 bytes).
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&state_bytes(&inner));
        block[32] = 0x80;
        block[56..].copy_from_slice(&((64u64 + 32) * 8).to_be_bytes());
        let mut outer = self.outer;
        compress(&mut outer, &block);
        state_bytes(&outer)
    }

    /// Constant-time comparison with `tag`.
    pub fn matches(&self, r: &[u8; 32], tag: &[u8; 32]) -> bool {
        let t = self.tag(r);
        t.iter().zip(tag).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

#[derive(Debug, Clone)]
struct Entry {
    key: EpochKey,
    key_epoch: u32,
    start_epoch: u32,
    id: u64,
}

/// Device blacklist entries, checked against photos' tags.
#[derive(Debug, Clone, Default)]
pub struct EntryMatcher {
    entries: Vec<Entry>,
    /// Per photo epoch: (entry index, that day's keyed PRF) of entries in force then.
    cache: HashMap<u32, Vec<(usize, TagKey)>>,
}

/// Epochs kept in the cache (photos of a batch cluster around a few days).
const CACHED_EPOCHS: usize = 8;

impl EntryMatcher {
    /// An empty matcher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an entry: photos from `start_epoch` on whose tag `key` (the key of
    /// `key_epoch`, ratcheted to the photo's day) reproduces are flagged as `id`.
    pub fn add(&mut self, key: EpochKey, key_epoch: u32, start_epoch: u32, id: u64) {
        self.entries.push(Entry {
            key,
            key_epoch,
            start_epoch: start_epoch.max(key_epoch),
            id,
        });
        self.cache.clear();
    }

    /// Number of entries added.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no entry has been added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Ids of the entries that flag a photo of `epoch` with this `r` and `tag`.
    pub fn check(&mut self, epoch: u32, r: &[u8; 32], tag: &[u8; 32]) -> Vec<u64> {
        if !self.cache.contains_key(&epoch) {
            if self.cache.len() >= CACHED_EPOCHS {
                self.cache.clear();
            }
            let keys = self
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.start_epoch <= epoch)
                .filter_map(|(i, e)| {
                    epoch_key_at(&e.key, e.key_epoch, epoch).map(|k| (i, TagKey::new(&k)))
                })
                .collect();
            self.cache.insert(epoch, keys);
        }
        let Some(keys) = self.cache.get(&epoch) else {
            return Vec::new();
        };
        keys.iter()
            .filter(|(_, k)| k.matches(r, tag))
            .map(|(i, _)| self.entries[*i].id)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratchet_is_one_way_and_bounded() {
        let k = [7u8; 32];
        let three = next_epoch_key(&next_epoch_key(&next_epoch_key(&k)));
        assert_eq!(epoch_key_at(&k, 10, 13), Some(three));
        assert_eq!(epoch_key_at(&k, 10, 10), Some(k));
        assert_eq!(epoch_key_at(&k, 10, 9), None);
        assert_eq!(epoch_key_at(&k, 0, MAX_RATCHET + 1), None);
        assert_ne!(next_epoch_key(&k), k);
    }

    #[test]
    fn tag_key_is_standard_hmac_sha256() {
        use hmac::{Hmac, Mac};
        for seed in 0u8..20 {
            let k = [seed; 32];
            let r: [u8; 32] = Sha256::digest([seed, 1]).into();
            let mut mac = Hmac::<Sha256>::new_from_slice(&k).unwrap();
            mac.update(TAG_DOMAIN);
            mac.update(&r);
            let want: [u8; 32] = mac.finalize().into_bytes().into();
            assert_eq!(TagKey::new(&k).tag(&r), want);
        }
    }

    #[test]
    fn tags_depend_on_key_and_r() {
        let (k1, k2) = ([1u8; 32], [2u8; 32]);
        let (r1, r2) = ([3u8; 32], [4u8; 32]);
        assert_eq!(tag(&k1, &r1), tag(&k1, &r1));
        assert_ne!(tag(&k1, &r1), tag(&k2, &r1));
        assert_ne!(tag(&k1, &r1), tag(&k1, &r2));
        let t = tag(&k1, &r1);
        assert!(TagKey::new(&k1).matches(&r1, &t));
        assert!(!TagKey::new(&k2).matches(&r1, &t));
        assert_eq!(epoch_of(86_399), 0);
        assert_eq!(epoch_of(86_400), 1);
    }

    #[test]
    fn matcher_flags_from_the_start_epoch_on_only() {
        let camera = [9u8; 32]; // key of day 100
        let other = [8u8; 32];
        let mut m = EntryMatcher::new();
        m.add(camera, 100, 102, 42);
        for _ in 0..20 {
            m.add(rand_key(), 90, 90, 1);
        }
        let r = [5u8; 32];
        for day in [100u32, 101, 102, 103, 150] {
            let k = epoch_key_at(&camera, 100, day).unwrap();
            let t = tag(&k, &r);
            let hits = m.check(day, &r, &t);
            assert_eq!(
                hits,
                if day >= 102 { vec![42] } else { vec![] },
                "day {day}"
            );
            let o = epoch_key_at(&other, 100, day).unwrap();
            assert!(m.check(day, &r, &tag(&o, &r)).is_empty());
        }
        // A photo from before the key's day can never match (the chain is one-way).
        assert!(m.check(99, &r, &tag(&camera, &r)).is_empty());
    }

    fn rand_key() -> EpochKey {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(1);
        Sha256::digest(N.fetch_add(1, Ordering::Relaxed).to_le_bytes()).into()
    }
}
