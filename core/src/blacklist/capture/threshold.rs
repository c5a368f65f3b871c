//! The curators' m-of-n threshold key and decryption shares.
//!
//! The group: a polynomial f of degree m−1 over the ristretto255 scalars, group secret
//! s = f(0), public key P = s·G, commitments C_k = a_k·G, curator j's share s_j = f(j).
//! Anyone can check a share against the commitments and derive each curator's public
//! share Y_j = Σ C_k·j^k. Curators make it by a distributed key generation
//! ([`super::dkg`]), where f is the sum of one random polynomial per curator and nobody
//! learns s. [`deal`] is a trusted dealer that learns s: tests and demos only.
//!
//! A decryption share for an escrow point R is D_j = s_j·R with a Chaum–Pedersen proof
//! that log_G(Y_j) = log_R(D_j) (Fiat–Shamir over SHA-512). m valid shares combine by
//! Lagrange interpolation at 0 into s·R, which opens the escrow.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::ristretto::{hash_to_scalar, point, random_scalar, scalar};
use super::CaptureError;

const PROOF_DOMAIN: &[u8] = b"provenant/capture/chaum-pedersen/v1";
/// Most curators a group may have.
pub const MAX_CURATORS: u8 = 32;

/// The public side of a group: threshold, size, P and the Feldman commitments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupKey {
    /// m: shares needed to decrypt (1 ≤ m ≤ n).
    pub threshold: u8,
    /// n: number of curators (at most [`MAX_CURATORS`]).
    pub curators: u8,
    /// P = s·G (compressed).
    #[serde(with = "super::hex32")]
    pub public: [u8; 32],
    /// C_0 … C_{m−1}; C_0 = P.
    #[serde(with = "super::hex32::vec")]
    pub commitments: Vec<[u8; 32]>,
}

/// One curator's secret share (keep it secret: Debug does not print it).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CuratorShare {
    /// 1-based; also the curator's position in the registry's curator set.
    pub index: u8,
    /// s_j = f(j), a ristretto255 scalar (zeroized on drop).
    #[serde(with = "super::hex32")]
    pub secret: [u8; 32],
}

impl std::fmt::Debug for CuratorShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CuratorShare")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl Drop for CuratorShare {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

/// D_j = s_j·R with its Chaum–Pedersen proof (c, z).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecryptionShare {
    /// The releasing curator's index j (1-based).
    pub index: u8,
    /// D_j = s_j·R (compressed ristretto255).
    #[serde(with = "super::hex32")]
    pub point: [u8; 32],
    /// Chaum–Pedersen challenge c (scalar).
    #[serde(with = "super::hex32")]
    pub proof_c: [u8; 32],
    /// Chaum–Pedersen response z (scalar).
    #[serde(with = "super::hex32")]
    pub proof_z: [u8; 32],
}

/// Deals an m-of-n group key as a trusted dealer, who sees the group secret: for tests
/// and demos only (curators use [`super::dkg`]).
pub fn deal<R: RngCore + CryptoRng>(
    threshold: u8,
    curators: u8,
    rng: &mut R,
) -> Result<(GroupKey, Vec<CuratorShare>), CaptureError> {
    if threshold == 0 || threshold > curators || curators > MAX_CURATORS {
        return Err(CaptureError::BadThreshold {
            threshold,
            curators,
        });
    }
    let mut coefficients: Vec<Scalar> = (0..threshold).map(|_| random_scalar(rng)).collect();
    let commitments: Vec<[u8; 32]> = coefficients
        .iter()
        .map(|a| (a * G).compress().to_bytes())
        .collect();
    let shares = (1..=curators)
        .map(|j| {
            let x = Scalar::from(u64::from(j));
            // Horner: f(j) = a_0 + j(a_1 + j(a_2 + …)).
            let value = coefficients
                .iter()
                .rev()
                .fold(Scalar::ZERO, |acc, a| acc * x + a);
            CuratorShare {
                index: j,
                secret: value.to_bytes(),
            }
        })
        .collect();
    coefficients.iter_mut().for_each(Zeroize::zeroize);
    let group = GroupKey {
        threshold,
        curators,
        public: commitments[0],
        commitments,
    };
    Ok((group, shares))
}

fn checked_group(group: &GroupKey) -> Result<Vec<RistrettoPoint>, CaptureError> {
    if group.threshold == 0
        || group.threshold > group.curators
        || group.curators > MAX_CURATORS
        || group.commitments.len() != usize::from(group.threshold)
        || group.commitments.first() != Some(&group.public)
    {
        return Err(CaptureError::BadThreshold {
            threshold: group.threshold,
            curators: group.curators,
        });
    }
    group
        .commitments
        .iter()
        .map(|c| point(c, "a group commitment"))
        .collect()
}

fn public_share(commitments: &[RistrettoPoint], index: u8) -> RistrettoPoint {
    let x = Scalar::from(u64::from(index));
    commitments
        .iter()
        .rev()
        .fold(RistrettoPoint::identity(), |acc, c| acc * x + c)
}

/// Y_j of curator `index`, if the group is well-formed and has that curator.
pub fn curator_public(group: &GroupKey, index: u8) -> Option<[u8; 32]> {
    let commitments = checked_group(group).ok()?;
    (1..=group.curators)
        .contains(&index)
        .then(|| public_share(&commitments, index).compress().to_bytes())
}

/// Checks a curator's share against the group's commitments.
pub fn verify_share(group: &GroupKey, share: &CuratorShare) -> bool {
    let Ok(commitments) = checked_group(group) else {
        return false;
    };
    let Ok(s) = scalar(&share.secret, "share") else {
        return false;
    };
    (1..=group.curators).contains(&share.index) && s * G == public_share(&commitments, share.index)
}

fn challenge(
    index: u8,
    r: &RistrettoPoint,
    y: &RistrettoPoint,
    d: &RistrettoPoint,
    a1: &RistrettoPoint,
    a2: &RistrettoPoint,
) -> Scalar {
    hash_to_scalar(
        PROOF_DOMAIN,
        &[
            &[index],
            G.compress().as_bytes(),
            r.compress().as_bytes(),
            y.compress().as_bytes(),
            d.compress().as_bytes(),
            a1.compress().as_bytes(),
            a2.compress().as_bytes(),
        ],
    )
}

/// This curator's decryption share for an escrow point R, with its proof.
pub fn decryption_share<R: RngCore + CryptoRng>(
    share: &CuratorShare,
    escrow_point: &[u8; 32],
    rng: &mut R,
) -> Result<DecryptionShare, CaptureError> {
    let r = point(escrow_point, "the escrow point")?;
    let s = scalar(&share.secret, "the curator's share")?;
    let y = s * G;
    let d = s * r;
    let mut w = random_scalar(rng);
    let (a1, a2) = (w * G, w * r);
    let c = challenge(share.index, &r, &y, &d, &a1, &a2);
    let z = w + c * s;
    w.zeroize();
    Ok(DecryptionShare {
        index: share.index,
        point: d.compress().to_bytes(),
        proof_c: c.to_bytes(),
        proof_z: z.to_bytes(),
    })
}

/// Checks a decryption share's proof against the curator's public share.
pub fn verify_decryption_share(
    group: &GroupKey,
    escrow_point: &[u8; 32],
    ds: &DecryptionShare,
) -> bool {
    let check = || -> Result<bool, CaptureError> {
        let commitments = checked_group(group)?;
        if !(1..=group.curators).contains(&ds.index) {
            return Ok(false);
        }
        let r = point(escrow_point, "the escrow point")?;
        let d = point(&ds.point, "the share point")?;
        let c = scalar(&ds.proof_c, "the proof challenge")?;
        let z = scalar(&ds.proof_z, "the proof response")?;
        let y = public_share(&commitments, ds.index);
        let a1 = z * G - c * y;
        let a2 = z * r - c * d;
        Ok(challenge(ds.index, &r, &y, &d, &a1, &a2) == c)
    };
    check().unwrap_or(false)
}

/// Combines at least `threshold` valid shares into s·R. A share whose proof fails is
/// an error naming its curator; duplicates of an index are ignored.
pub fn combine(
    group: &GroupKey,
    escrow_point: &[u8; 32],
    shares: &[DecryptionShare],
) -> Result<[u8; 32], CaptureError> {
    checked_group(group)?;
    point(escrow_point, "the escrow point")?;
    let mut chosen: Vec<&DecryptionShare> = Vec::new();
    for ds in shares {
        if !(1..=group.curators).contains(&ds.index) {
            return Err(CaptureError::UnknownCurator(ds.index));
        }
        if !verify_decryption_share(group, escrow_point, ds) {
            return Err(CaptureError::BadShare(ds.index));
        }
        if !chosen.iter().any(|c| c.index == ds.index) {
            chosen.push(ds);
        }
    }
    let need = usize::from(group.threshold);
    if chosen.len() < need {
        return Err(CaptureError::TooFewShares {
            have: chosen.len(),
            need,
        });
    }
    chosen.truncate(need);
    let mut sum = RistrettoPoint::identity();
    for ds in &chosen {
        let xj = Scalar::from(u64::from(ds.index));
        let mut lambda = Scalar::ONE;
        for other in &chosen {
            if other.index != ds.index {
                let xk = Scalar::from(u64::from(other.index));
                lambda *= xk * (xk - xj).invert();
            }
        }
        sum += lambda * point(&ds.point, "the share point")?;
    }
    Ok(sum.compress().to_bytes())
}
