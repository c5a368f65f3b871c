//! Merkle batches for the chronology: many entries, one anchored root.
//!
//! Hashing is SHA-256 with domain separation — a leaf is `H(0x00 ‖ data)`, an inner
//! node `H(0x01 ‖ left ‖ right)` — so an inner node can never pass as a leaf. An odd
//! node at the end of a level is promoted unchanged (never paired with a copy of
//! itself, which would let two different batches share a root). A proof binds the
//! leaf's position and the batch size, which the registry stores beside the root.
//! Builds for wasm32: browsers check proofs too.

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;

/// Hash of a leaf's data.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(data);
    h.finalize().into()
}

/// Hash of an inner node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// A whole batch: every level kept, so any leaf's proof can be read off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    /// `levels[0]` are the leaf hashes, the last level holds the root alone.
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// Builds the tree over leaf hashes (see [`leaf_hash`]); `None` for no leaves.
    pub fn from_leaf_hashes(leaves: Vec<Hash>) -> Option<Self> {
        if leaves.is_empty() {
            return None;
        }
        let mut levels = vec![leaves];
        while levels.last().is_some_and(|l| l.len() > 1) {
            let below = levels.last()?;
            let above: Vec<Hash> = below
                .chunks(2)
                .map(|pair| match pair {
                    [l, r] => node_hash(l, r),
                    [odd] => *odd,
                    _ => unreachable!("chunks(2) yields one or two"),
                })
                .collect();
            levels.push(above);
        }
        Some(Self { levels })
    }

    /// The Merkle root (the single node of the top level).
    pub fn root(&self) -> Hash {
        self.levels
            .last()
            .and_then(|l| l.first())
            .copied()
            .unwrap_or_default()
    }

    /// Number of leaves.
    pub fn leaf_count(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// The proof for leaf `index`, or `None` past the end.
    pub fn proof(&self, index: u64) -> Option<MerkleProof> {
        let mut i = usize::try_from(index).ok()?;
        if i >= self.levels[0].len() {
            return None;
        }
        let mut siblings = Vec::new();
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = i ^ 1;
            if sibling < level.len() {
                siblings.push(level[sibling]);
            }
            i /= 2;
        }
        Some(MerkleProof {
            index,
            leaf_count: self.leaf_count(),
            siblings,
        })
    }
}

/// The path from one leaf to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleProof {
    /// Position of the leaf in the batch.
    pub index: u64,
    /// Number of leaves in the batch (anchored beside the root).
    pub leaf_count: u64,
    /// Sibling hashes from the leaf level up; promoted levels have none.
    pub siblings: Vec<Hash>,
}

impl MerkleProof {
    /// The root this proof leads to from `leaf`, or `None` if the proof is malformed
    /// for its position and batch size (wrong number of siblings, index out of range).
    pub fn root_for(&self, leaf: &Hash) -> Option<Hash> {
        if self.index >= self.leaf_count {
            return None;
        }
        let (mut i, mut width) = (self.index, self.leaf_count);
        let mut hash = *leaf;
        let mut siblings = self.siblings.iter();
        while width > 1 {
            let sibling = i ^ 1;
            if sibling < width {
                let s = siblings.next()?;
                hash = if i % 2 == 0 {
                    node_hash(&hash, s)
                } else {
                    node_hash(s, &hash)
                };
            }
            i /= 2;
            width = width.div_ceil(2);
        }
        // Every sibling must have been used: extra ones mean a different tree.
        siblings.next().is_none().then_some(hash)
    }

    /// True when `leaf` at this position is in the batch whose root is `root`.
    pub fn verify(&self, leaf: &Hash, root: &Hash) -> bool {
        self.root_for(leaf).is_some_and(|r| &r == root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaves(n: usize, salt: u64) -> Vec<Hash> {
        (0..n as u64)
            .map(|i| leaf_hash(&[i.to_le_bytes(), salt.to_le_bytes()].concat()))
            .collect()
    }

    #[test]
    fn small_trees_by_hand() {
        let l = leaves(3, 0);
        let t = MerkleTree::from_leaf_hashes(l.clone()).unwrap();
        assert_eq!(t.root(), node_hash(&node_hash(&l[0], &l[1]), &l[2]));
        let one = MerkleTree::from_leaf_hashes(vec![l[0]]).unwrap();
        assert_eq!(one.root(), l[0]);
        assert!(one.proof(0).unwrap().siblings.is_empty());
        assert!(MerkleTree::from_leaf_hashes(Vec::new()).is_none());
        assert!(t.proof(3).is_none());
    }

    #[test]
    fn an_inner_node_cannot_pass_as_a_leaf() {
        let l = leaves(4, 1);
        let t = MerkleTree::from_leaf_hashes(l.clone()).unwrap();
        let root = t.root();
        // The bytes of an inner node's children, presented as leaf data, hash (with the
        // leaf prefix) to something else than the inner node…
        let data = [l[0], l[1]].concat();
        assert_ne!(leaf_hash(&data), node_hash(&l[0], &l[1]));
        // …so no position of the anchored 4-leaf batch accepts it, with the real path
        // or with the one-level-shorter path that would fit an inner node.
        for i in 0..4 {
            let mut p = t.proof(i).unwrap();
            assert!(!p.verify(&leaf_hash(&data), &root));
            p.siblings = vec![node_hash(&l[2], &l[3])];
            assert!(!p.verify(&leaf_hash(&data), &root));
        }
    }

    #[test]
    fn a_million_leaf_proof_is_small() {
        let t = MerkleTree::from_leaf_hashes(leaves(1_000_000, 2)).unwrap();
        let p = t.proof(765_432).unwrap();
        assert_eq!(p.siblings.len(), 20);
        // index + count + 20 hashes: 656 bytes before any encoding overhead.
        assert!(16 + 32 * p.siblings.len() < 1024);
        assert!(p.verify(
            &leaf_hash(&[765_432u64.to_le_bytes(), 2u64.to_le_bytes()].concat()),
            &t.root()
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

        #[test]
        fn every_leaf_verifies_and_any_change_fails(
            n in 1usize..=100_000,
            salt in any::<u64>(),
            pick in any::<prop::sample::Index>(),
            flip in any::<prop::sample::Index>(),
            bit in 0u8..8,
        ) {
            let l = leaves(n, salt);
            let t = MerkleTree::from_leaf_hashes(l.clone()).unwrap();
            let root = t.root();
            for (i, leaf) in l.iter().enumerate() {
                prop_assert!(t.proof(i as u64).unwrap().verify(leaf, &root));
            }
            let i = pick.index(n);
            let proof = t.proof(i as u64).unwrap();
            // A changed leaf.
            let mut bad_leaf = l[i];
            bad_leaf[flip.index(32)] ^= 1 << bit;
            prop_assert!(!proof.verify(&bad_leaf, &root));
            // A changed root.
            let mut bad_root = root;
            bad_root[flip.index(32)] ^= 1 << bit;
            prop_assert!(!proof.verify(&l[i], &bad_root));
            // A changed path element.
            if !proof.siblings.is_empty() {
                let mut p = proof.clone();
                let k = flip.index(p.siblings.len());
                p.siblings[k][flip.index(32)] ^= 1 << bit;
                prop_assert!(!p.verify(&l[i], &root));
            }
            // Another position (the same leaf claimed elsewhere).
            if n > 1 {
                let mut p = proof.clone();
                p.index = (p.index + 1 + flip.index(n - 1) as u64) % n as u64;
                prop_assert!(!p.verify(&l[i], &root));
            }
            // A dropped or an extra path element.
            let mut p = proof.clone();
            p.siblings.push([0u8; 32]);
            prop_assert!(!p.verify(&l[i], &root));
            if !proof.siblings.is_empty() {
                let mut p = proof.clone();
                p.siblings.pop();
                prop_assert!(!p.verify(&l[i], &root));
            }
        }
    }
}
