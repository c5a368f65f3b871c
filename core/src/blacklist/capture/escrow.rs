//! The escrow of a day's key k_e to the curators' group key P = s·G (ristretto255):
//! R = x·G for a fresh x, shared point S = x·P (= s·R), encryption and MAC keys from
//! SHA-512(domain ‖ R ‖ S ‖ e), ciphertext = k_e ⊕ key, MAC = HMAC-SHA256(R ‖ e ‖ ct).
//! Only s·R opens it, and s·R needs a threshold of curators.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use hmac::{Hmac, Mac};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

use super::ristretto::{point, random_scalar};
use super::tag::EpochKey;
use super::CaptureError;

const DOMAIN: &[u8] = b"provenant/capture/escrow/v1";

/// An escrowed epoch key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escrow {
    /// R = x·G (compressed).
    #[serde(with = "super::hex32")]
    pub point: [u8; 32],
    /// The epoch key XORed with the encryption key derived from R, S = x·P and the epoch.
    #[serde(with = "super::hex32")]
    pub ciphertext: [u8; 32],
    /// HMAC-SHA256(R ‖ epoch ‖ ciphertext) under the derived MAC key.
    #[serde(with = "super::hex32")]
    pub mac: [u8; 32],
}

fn keys(r: &[u8; 32], shared: &[u8; 32], epoch: u32) -> ([u8; 32], [u8; 32]) {
    let mut h = Sha512::new();
    h.update(DOMAIN);
    h.update(r);
    h.update(shared);
    h.update(epoch.to_le_bytes());
    let out = h.finalize();
    let mut enc = [0u8; 32];
    let mut mac = [0u8; 32];
    enc.copy_from_slice(&out[..32]);
    mac.copy_from_slice(&out[32..]);
    (enc, mac)
}

fn mac_of(mac_key: &[u8; 32], r: &[u8; 32], epoch: u32, ct: &[u8; 32]) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(mac_key).unwrap_or_else(|_| unreachable!());
    m.update(r);
    m.update(&epoch.to_le_bytes());
    m.update(ct);
    m
}

/// Escrows `epoch_key` (the key of `epoch`) to the group key.
pub fn seal<R: RngCore + CryptoRng>(
    group_key: &[u8; 32],
    epoch_key: &EpochKey,
    epoch: u32,
    rng: &mut R,
) -> Result<Escrow, CaptureError> {
    let p = point(group_key, "the curators' group key")?;
    let x = random_scalar(rng);
    let r = (x * RISTRETTO_BASEPOINT_POINT).compress().to_bytes();
    let shared = (x * p).compress().to_bytes();
    let (enc, mac_key) = keys(&r, &shared, epoch);
    let mut ciphertext = [0u8; 32];
    for (c, (k, e)) in ciphertext.iter_mut().zip(epoch_key.iter().zip(&enc)) {
        *c = k ^ e;
    }
    let mac = mac_of(&mac_key, &r, epoch, &ciphertext)
        .finalize()
        .into_bytes()
        .into();
    Ok(Escrow {
        point: r,
        ciphertext,
        mac,
    })
}

/// Opens an escrow with the shared point s·R (from [`super::threshold::combine`]).
pub fn open(
    escrow: &Escrow,
    shared_point: &[u8; 32],
    epoch: u32,
) -> Result<EpochKey, CaptureError> {
    point(&escrow.point, "the escrow point")?;
    let (enc, mac_key) = keys(&escrow.point, shared_point, epoch);
    mac_of(&mac_key, &escrow.point, epoch, &escrow.ciphertext)
        .verify_slice(&escrow.mac)
        .map_err(|_| CaptureError::EscrowMac)?;
    let mut k = [0u8; 32];
    for (o, (c, e)) in k.iter_mut().zip(escrow.ciphertext.iter().zip(&enc)) {
        *o = c ^ e;
    }
    Ok(k)
}

/// SHA-256 of an escrow's bytes (a compact id for logs and tests).
pub fn fingerprint(escrow: &Escrow) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(escrow.point);
    h.update(escrow.ciphertext);
    h.update(escrow.mac);
    h.finalize().into()
}
