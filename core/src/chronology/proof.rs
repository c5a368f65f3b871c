//! Anchor proofs: what lets anyone check, from a file and a chain endpoint, that one
//! signed step of an edit chain existed when a block was made.
//!
//! A chronology entry becomes a Merkle leaf ([`LeafData`]); a batch of leaves is
//! anchored on chain as one root. A [`ProofBundle`] carries everything needed to check
//! one entry with one `eth_call` (chain id, registry, root, leaf data, Merkle path,
//! transaction hash, block number) in a compact binary form — 861 bytes for a
//! million-leaf batch. Bundles travel in a sidecar file ([`ProofSet`]) or, for earlier
//! steps, inside later manifests (the [`ANCHORS_ASSERTION`] assertion).
//!
//! Steps are matched to entries by [`manifest_id`]: a hash of the manifest label and
//! the signer's certificate, computable from the file for every step of its chain.
//! Builds for wasm32: parsing and the Merkle check need no network.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::chronology::merkle::{leaf_hash, Hash, MerkleProof};

/// Label of our assertion carrying the proofs of earlier steps (and the publisher's
/// chronology endpoint) inside a manifest.
pub const ANCHORS_ASSERTION: &str = "org.provenant.anchors";

/// File-name suffix of a proof sidecar beside the picture it proves.
pub const SIDECAR_SUFFIX: &str = ".provenant-proof";

const MAGIC: &[u8; 4] = b"PVP1";
/// Upper bound on a Merkle path: 2^24 leaves per batch need at most 24 siblings.
pub const MAX_SIBLINGS: usize = 32;
/// Fixed part of an encoded bundle (everything but the siblings).
const FIXED_LEN: usize = 4 + 8 + 20 + 20 + 32 + LeafData::LEN + 8 + 8 + 1 + 32 + 8;

/// Identifies one manifest of a chain: SHA-256 over a domain tag, the manifest label
/// and the DER of its signing certificate. Another signer cannot produce the same id
/// without that certificate's key, because the manifest must also validate.
pub fn manifest_id(label: &str, signer_cert_der: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update(b"provenant/manifest-id/v1\0");
    h.update((label.len() as u64).to_be_bytes());
    h.update(label.as_bytes());
    h.update(signer_cert_der);
    h.finalize().into()
}

/// What one chronology entry commits to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafData {
    /// SHA-256 of the signed file as written.
    #[serde(with = "hex32")]
    pub content_sha256: Hash,
    /// [`manifest_id`] of the file's active manifest.
    #[serde(with = "hex32")]
    pub manifest_id: Hash,
    /// 64-bit perceptual hash of the picture.
    pub phash: u64,
    /// When the entry was logged (Unix seconds, the logger's clock; the chain time is
    /// what proves anything).
    pub logged_at: u64,
}

impl LeafData {
    /// Encoded length.
    pub const LEN: usize = 32 + 32 + 8 + 8;

    /// The fixed [`LeafData::LEN`]-byte encoding hashed into the Merkle leaf: both hashes, then `phash` and `logged_at` big-endian.
    pub fn encode(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..32].copy_from_slice(&self.content_sha256);
        out[32..64].copy_from_slice(&self.manifest_id);
        out[64..72].copy_from_slice(&self.phash.to_be_bytes());
        out[72..].copy_from_slice(&self.logged_at.to_be_bytes());
        out
    }

    /// Parses [`LeafData::encode`]'s output; `None` unless exactly [`LeafData::LEN`] bytes.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != Self::LEN {
            return None;
        }
        Some(Self {
            content_sha256: bytes[..32].try_into().ok()?,
            manifest_id: bytes[32..64].try_into().ok()?,
            phash: u64::from_be_bytes(bytes[64..72].try_into().ok()?),
            logged_at: u64::from_be_bytes(bytes[72..].try_into().ok()?),
        })
    }

    /// The Merkle leaf hash of this entry.
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.encode())
    }
}

/// Everything needed to check one entry against the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofBundle {
    /// EVM chain id the root was anchored on.
    pub chain_id: u64,
    /// Address of the registry contract.
    #[serde(with = "hex20")]
    pub registry: [u8; 20],
    /// The publisher whose key anchored the root (anchors are per publisher).
    #[serde(with = "hex20")]
    pub publisher: [u8; 20],
    /// The anchored Merkle root of the batch.
    #[serde(with = "hex32")]
    pub root: Hash,
    /// The entry the proof is about.
    pub leaf: LeafData,
    /// Position of the leaf in the batch (< `leaf_count`).
    pub index: u64,
    /// Number of leaves in the batch.
    pub leaf_count: u64,
    /// Sibling hashes from the leaf level up (levels where the node is promoted have none); at most [`MAX_SIBLINGS`].
    #[serde(with = "hex32_vec")]
    pub siblings: Vec<Hash>,
    /// Hash of the anchoring transaction.
    #[serde(with = "hex32")]
    pub tx_hash: Hash,
    /// Block the anchoring transaction is in.
    pub block_number: u64,
}

/// Why a proof bundle could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The bytes do not start with the proof magic `PVP1`.
    #[error("not a provenant proof (bad magic)")]
    Magic,
    /// The bytes end early or run on past the bundle.
    #[error("proof is truncated or has trailing bytes")]
    Length,
    /// The Merkle path is longer than [`MAX_SIBLINGS`].
    #[error("proof has {0} path elements (at most {MAX_SIBLINGS})")]
    TooManySiblings(usize),
    #[error("proof position {index} is outside a batch of {leaf_count}")]
    /// The leaf position is not inside the batch (`index` ≥ `leaf_count`).
    Position {
        /// The bundle's leaf position.
        index: u64,
        /// The bundle's batch size.
        leaf_count: u64,
    },
    /// The proof file or its base64 is not valid.
    #[error("proof file is not valid: {0}")]
    Format(String),
}

impl ProofBundle {
    /// The Merkle path of this bundle.
    pub fn merkle_proof(&self) -> MerkleProof {
        MerkleProof {
            index: self.index,
            leaf_count: self.leaf_count,
            siblings: self.siblings.clone(),
        }
    }

    /// True when the leaf and path lead to the bundle's root (no chain consulted).
    pub fn path_is_valid(&self) -> bool {
        self.merkle_proof()
            .verify(&self.leaf.leaf_hash(), &self.root)
    }

    /// Compact binary form (see the module docs for the size).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FIXED_LEN + 32 * self.siblings.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.chain_id.to_be_bytes());
        out.extend_from_slice(&self.registry);
        out.extend_from_slice(&self.publisher);
        out.extend_from_slice(&self.root);
        out.extend_from_slice(&self.leaf.encode());
        out.extend_from_slice(&self.index.to_be_bytes());
        out.extend_from_slice(&self.leaf_count.to_be_bytes());
        // At most MAX_SIBLINGS, enforced on decode; a tree of u64 leaves has < 64.
        out.push(self.siblings.len().min(u8::MAX as usize) as u8);
        for s in &self.siblings {
            out.extend_from_slice(s);
        }
        out.extend_from_slice(&self.tx_hash);
        out.extend_from_slice(&self.block_number.to_be_bytes());
        out
    }

    /// Parses the binary form strictly: exact length, bounded path, sane position.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProofError> {
        let mut r = Cursor { bytes, pos: 0 };
        if r.take(4).ok_or(ProofError::Length)? != MAGIC {
            return Err(ProofError::Magic);
        }
        let chain_id = r.u64()?;
        let registry: [u8; 20] = r.array()?;
        let publisher: [u8; 20] = r.array()?;
        let root: Hash = r.array()?;
        let leaf = LeafData::decode(r.take(LeafData::LEN).ok_or(ProofError::Length)?)
            .ok_or(ProofError::Length)?;
        let index = r.u64()?;
        let leaf_count = r.u64()?;
        let n = usize::from(r.take(1).ok_or(ProofError::Length)?[0]);
        if n > MAX_SIBLINGS {
            return Err(ProofError::TooManySiblings(n));
        }
        let siblings = (0..n)
            .map(|_| r.array())
            .collect::<Result<Vec<Hash>, _>>()?;
        let tx_hash: Hash = r.array()?;
        let block_number = r.u64()?;
        if r.pos != bytes.len() {
            return Err(ProofError::Length);
        }
        if index >= leaf_count {
            return Err(ProofError::Position { index, leaf_count });
        }
        Ok(Self {
            chain_id,
            registry,
            publisher,
            root,
            leaf,
            index,
            leaf_count,
            siblings,
            tx_hash,
            block_number,
        })
    }

    /// [`ProofBundle::encode`] as standard base64.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.encode())
    }

    /// Parses standard base64 of [`ProofBundle::encode`] (surrounding whitespace ignored).
    pub fn from_base64(text: &str) -> Result<Self, ProofError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| ProofError::Format(e.to_string()))?;
        Self::decode(&bytes)
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], ProofError> {
        self.take(N)
            .and_then(|b| b.try_into().ok())
            .ok_or(ProofError::Length)
    }
    fn u64(&mut self) -> Result<u64, ProofError> {
        self.array().map(u64::from_be_bytes)
    }
}

/// Proof bundles as stored in a sidecar file or in the [`ANCHORS_ASSERTION`]:
/// base64 bundles in a small JSON object, plus the publisher's endpoint if any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofSet {
    /// Layout version of this object.
    #[serde(default = "one")]
    pub version: u32,
    /// Base64 of [`ProofBundle::encode`], one per anchored step.
    #[serde(default)]
    pub proofs: Vec<String>,
    /// The publisher's chronology endpoint, where proofs of newer entries can be
    /// fetched (and then checked against the chain; the endpoint is never trusted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

fn one() -> u32 {
    1
}

/// Refuse absurd sidecars before parsing them.
pub const MAX_PROOF_SET_BYTES: usize = 1 << 20;

impl ProofSet {
    /// A version-1 set of these bundles (base64) and the publisher's endpoint.
    pub fn from_bundles(bundles: &[ProofBundle], endpoint: Option<String>) -> Self {
        Self {
            version: 1,
            proofs: bundles.iter().map(ProofBundle::to_base64).collect(),
            endpoint,
        }
    }

    /// Parses a sidecar or assertion JSON (at most [`MAX_PROOF_SET_BYTES`], version 1 only).
    pub fn parse(bytes: &[u8]) -> Result<Self, ProofError> {
        if bytes.len() > MAX_PROOF_SET_BYTES {
            return Err(ProofError::Format("larger than 1 MiB".into()));
        }
        let set: Self =
            serde_json::from_slice(bytes).map_err(|e| ProofError::Format(e.to_string()))?;
        if set.version != 1 {
            return Err(ProofError::Format(format!(
                "unsupported version {}",
                set.version
            )));
        }
        Ok(set)
    }

    /// The bundles that parse; the errors of those that do not, with their position.
    pub fn bundles(&self) -> (Vec<ProofBundle>, Vec<(usize, ProofError)>) {
        let mut ok = Vec::new();
        let mut bad = Vec::new();
        for (i, p) in self.proofs.iter().enumerate() {
            match ProofBundle::from_base64(p) {
                Ok(b) => ok.push(b),
                Err(e) => bad.push((i, e)),
            }
        }
        (ok, bad)
    }

    /// The set as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

macro_rules! hex_array {
    ($name:ident, $n:expr) => {
        mod $name {
            use serde::{Deserialize, Deserializer, Serializer};
            pub fn serialize<S: Serializer>(v: &[u8; $n], s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&format!("0x{}", hex::encode(v)))
            }
            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; $n], D::Error> {
                let text = String::deserialize(d)?;
                let bytes =
                    hex::decode(text.trim_start_matches("0x")).map_err(serde::de::Error::custom)?;
                bytes
                    .try_into()
                    .map_err(|_| serde::de::Error::custom(concat!("expected ", $n, " bytes")))
            }
        }
    };
}
hex_array!(hex32, 32);
hex_array!(hex20, 20);

mod hex32_vec {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|h| format!("0x{}", hex::encode(h))))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u8; 32]>, D::Error> {
        Vec::<String>::deserialize(d)?
            .into_iter()
            .map(|t| {
                hex::decode(t.trim_start_matches("0x"))
                    .map_err(serde::de::Error::custom)?
                    .try_into()
                    .map_err(|_| serde::de::Error::custom("expected 32 bytes"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chronology::merkle::MerkleTree;

    fn leaf(i: u64) -> LeafData {
        LeafData {
            content_sha256: [i as u8; 32],
            manifest_id: manifest_id(&format!("urn:c2pa:{i}"), b"cert"),
            phash: i * 7,
            logged_at: 1_700_000_000 + i,
        }
    }

    fn bundle(n: u64, index: u64) -> ProofBundle {
        let leaves: Vec<LeafData> = (0..n).map(leaf).collect();
        let tree =
            MerkleTree::from_leaf_hashes(leaves.iter().map(LeafData::leaf_hash).collect()).unwrap();
        let p = tree.proof(index).unwrap();
        ProofBundle {
            chain_id: 137,
            registry: [0xab; 20],
            publisher: [0xef; 20],
            root: tree.root(),
            leaf: leaves[index as usize],
            index,
            leaf_count: n,
            siblings: p.siblings,
            tx_hash: [0xcd; 32],
            block_number: 65_000_000,
        }
    }

    #[test]
    fn binary_round_trip_and_size_at_a_million_leaves() {
        let b = bundle(5, 3);
        assert!(b.path_is_valid());
        assert_eq!(ProofBundle::decode(&b.encode()).unwrap(), b);
        assert_eq!(ProofBundle::from_base64(&b.to_base64()).unwrap(), b);
        // A million-leaf batch has a 20-element path.
        let big = ProofBundle {
            siblings: vec![[1; 32]; 20],
            leaf_count: 1_000_000,
            ..b
        };
        assert_eq!(big.encode().len(), 861);
        assert!(big.encode().len() < 1024);
    }

    #[test]
    fn strict_parsing() {
        let b = bundle(8, 5).encode();
        for cut in 0..b.len() {
            assert!(ProofBundle::decode(&b[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = b.clone();
        long.push(0);
        assert_eq!(ProofBundle::decode(&long), Err(ProofError::Length));
        let mut magic = b.clone();
        magic[0] = b'X';
        assert_eq!(ProofBundle::decode(&magic), Err(ProofError::Magic));
    }

    #[test]
    fn tampering_breaks_the_path() {
        let good = bundle(9, 4);
        let mut b = good.clone();
        b.leaf.phash ^= 1;
        assert!(!b.path_is_valid());
        let mut b = good.clone();
        b.siblings[0][0] ^= 1;
        assert!(!b.path_is_valid());
        let mut b = good.clone();
        b.index = 5;
        assert!(!b.path_is_valid());
        let mut b = good;
        b.root[31] ^= 1;
        assert!(!b.path_is_valid());
    }

    #[test]
    fn proof_set_json_round_trip() {
        let set = ProofSet::from_bundles(&[bundle(3, 0), bundle(3, 2)], Some("https://x".into()));
        let parsed = ProofSet::parse(set.to_json().as_bytes()).unwrap();
        let (ok, bad) = parsed.bundles();
        assert_eq!(ok.len(), 2);
        assert!(bad.is_empty());
        assert!(ProofSet::parse(b"{\"version\":2}").is_err());
        assert!(ProofSet::parse(b"not json").is_err());
        let json = serde_json::to_string(&bundle(3, 1)).unwrap();
        let back: ProofBundle = serde_json::from_str(&json).unwrap();
        assert_eq!(back, bundle(3, 1));
    }
}
