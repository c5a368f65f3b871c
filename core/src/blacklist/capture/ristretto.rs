//! Small ristretto255 helpers shared by the escrow and the threshold scheme.

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};

use super::CaptureError;

/// Decodes a point; the identity is refused too (it would make every secret public).
pub fn point(bytes: &[u8; 32], what: &'static str) -> Result<RistrettoPoint, CaptureError> {
    let p = CompressedRistretto(*bytes)
        .decompress()
        .ok_or(CaptureError::BadPoint(what))?;
    if p == RistrettoPoint::default() {
        return Err(CaptureError::BadPoint(what));
    }
    Ok(p)
}

pub fn scalar(bytes: &[u8; 32], what: &'static str) -> Result<Scalar, CaptureError> {
    Option::from(Scalar::from_canonical_bytes(*bytes)).ok_or(CaptureError::BadScalar(what))
}

/// A uniformly random non-zero scalar.
pub fn random_scalar<R: RngCore + CryptoRng>(rng: &mut R) -> Scalar {
    loop {
        let mut wide = [0u8; 64];
        rng.fill_bytes(&mut wide);
        let s = Scalar::from_bytes_mod_order_wide(&wide);
        if s != Scalar::ZERO {
            return s;
        }
    }
}

/// SHA-512 of a domain tag and length-prefixed parts, reduced to a scalar.
pub fn hash_to_scalar(domain: &[u8], parts: &[&[u8]]) -> Scalar {
    let mut h = Sha512::new();
    h.update((domain.len() as u64).to_le_bytes());
    h.update(domain);
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    let wide: [u8; 64] = h.finalize().into();
    Scalar::from_bytes_mod_order_wide(&wide)
}
