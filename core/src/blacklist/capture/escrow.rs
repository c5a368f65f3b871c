//! The escrow of a day's key k_e to the curators' group key P = s·G (ristretto255),
//! bound to the photo it travels in.
//!
//! R = x·G for a fresh x, shared point S = x·P (= s·R). The photo's context — epoch e,
//! its r and tag τ, and the SHA-256 of the fleet (signer) certificate's DER — goes into
//! the key derivation (encryption and MAC keys from SHA-512(domain ‖ R ‖ S ‖ context)),
//! the MAC (HMAC-SHA256 over R ‖ context ‖ ciphertext) and a Schnorr proof of knowledge
//! of x whose challenge covers R, P and the context. Only s·R opens it, and s·R needs a
//! threshold of curators.
//!
//! What the binding buys: the proof is checkable by anyone *before* a curator releases a
//! share, and only the device that drew x can make it. An escrow point copied next to
//! another r, τ, day or certificate fails the proof (and, opened anyway, its MAC), so
//! curators refuse to decrypt it; copying a whole assertion into another photo works only
//! under the same fleet certificate, i.e. with the fleet's own key.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use hmac::{Hmac, Mac};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroize;

use super::ristretto::{hash_to_scalar, point, random_scalar, scalar};
use super::tag::EpochKey;
use super::CaptureError;

const DOMAIN: &[u8] = b"provenant/capture/escrow/v2";
const PROOF_DOMAIN: &[u8] = b"provenant/capture/escrow-binding/v2";

/// The photo an escrow belongs to: what its keys, MAC and proof are bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscrowContext {
    /// The photo's epoch (UTC day); the escrowed key is that day's.
    pub epoch: u32,
    /// The photo's fresh random r.
    pub r: [u8; 32],
    /// The photo's capture tag τ = PRF(k_e, r).
    pub tag: [u8; 32],
    /// SHA-256 of the DER of the certificate that signs the photo (the fleet certificate).
    pub signer_cert_sha256: [u8; 32],
}

impl EscrowContext {
    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 96);
        out.extend_from_slice(&self.epoch.to_le_bytes());
        out.extend_from_slice(&self.r);
        out.extend_from_slice(&self.tag);
        out.extend_from_slice(&self.signer_cert_sha256);
        out
    }
}

/// An escrowed epoch key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escrow {
    /// R = x·G (compressed).
    #[serde(with = "super::hex32")]
    pub point: [u8; 32],
    /// The epoch key XORed with the encryption key derived from R, S = x·P and the context.
    #[serde(with = "super::hex32")]
    pub ciphertext: [u8; 32],
    /// HMAC-SHA256(R ‖ context ‖ ciphertext) under the derived MAC key.
    #[serde(with = "super::hex32")]
    pub mac: [u8; 32],
    /// Challenge c of the Schnorr proof of knowledge of x, bound to P and the context.
    #[serde(with = "super::hex32")]
    pub proof_c: [u8; 32],
    /// Response z of that proof.
    #[serde(with = "super::hex32")]
    pub proof_z: [u8; 32],
}

fn keys(r: &[u8; 32], shared: &[u8; 32], ctx: &EscrowContext) -> ([u8; 32], [u8; 32]) {
    let mut h = Sha512::new();
    h.update(DOMAIN);
    h.update(r);
    h.update(shared);
    h.update(ctx.bytes());
    let out = h.finalize();
    let mut enc = [0u8; 32];
    let mut mac = [0u8; 32];
    enc.copy_from_slice(&out[..32]);
    mac.copy_from_slice(&out[32..]);
    (enc, mac)
}

fn mac_of(mac_key: &[u8; 32], r: &[u8; 32], ctx: &EscrowContext, ct: &[u8; 32]) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(mac_key).unwrap_or_else(|_| unreachable!());
    m.update(r);
    m.update(&ctx.bytes());
    m.update(ct);
    m
}

fn challenge(
    r: &[u8; 32],
    commitment: &[u8; 32],
    group_key: &[u8; 32],
    ctx: &EscrowContext,
) -> curve25519_dalek::scalar::Scalar {
    hash_to_scalar(
        PROOF_DOMAIN,
        &[
            G.compress().as_bytes(),
            r,
            commitment,
            group_key,
            &ctx.bytes(),
        ],
    )
}

/// Escrows `epoch_key` (the key of `ctx.epoch`) to the group key, bound to `ctx`.
pub fn seal<R: RngCore + CryptoRng>(
    group_key: &[u8; 32],
    epoch_key: &EpochKey,
    ctx: &EscrowContext,
    rng: &mut R,
) -> Result<Escrow, CaptureError> {
    let p = point(group_key, "the curators' group key")?;
    let mut x = random_scalar(rng);
    let r = (x * G).compress().to_bytes();
    let shared = (x * p).compress().to_bytes();
    let (enc, mac_key) = keys(&r, &shared, ctx);
    let mut ciphertext = [0u8; 32];
    for (c, (k, e)) in ciphertext.iter_mut().zip(epoch_key.iter().zip(&enc)) {
        *c = k ^ e;
    }
    let mac = mac_of(&mac_key, &r, ctx, &ciphertext)
        .finalize()
        .into_bytes()
        .into();
    let mut w = random_scalar(rng);
    let commitment = (w * G).compress().to_bytes();
    let c = challenge(&r, &commitment, group_key, ctx);
    let z = w + c * x;
    w.zeroize();
    x.zeroize();
    Ok(Escrow {
        point: r,
        ciphertext,
        mac,
        proof_c: c.to_bytes(),
        proof_z: z.to_bytes(),
    })
}

/// Checks that the escrow was made for this photo (`ctx`) and group key: the Schnorr
/// proof of knowledge of x with R = x·G over R, P and the context. Anyone can run it;
/// curators run it before releasing a decryption share.
pub fn verify_binding(
    escrow: &Escrow,
    group_key: &[u8; 32],
    ctx: &EscrowContext,
) -> Result<(), CaptureError> {
    let r = point(&escrow.point, "the escrow point")?;
    point(group_key, "the curators' group key")?;
    let c = scalar(&escrow.proof_c, "the escrow proof challenge")?;
    let z = scalar(&escrow.proof_z, "the escrow proof response")?;
    let commitment = (z * G - c * r).compress().to_bytes();
    if challenge(&escrow.point, &commitment, group_key, ctx) == c {
        Ok(())
    } else {
        Err(CaptureError::EscrowBinding)
    }
}

/// Opens an escrow with the shared point s·R (from [`super::threshold::combine`]) in the
/// context of the photo it came with.
pub fn open(
    escrow: &Escrow,
    shared_point: &[u8; 32],
    ctx: &EscrowContext,
) -> Result<EpochKey, CaptureError> {
    point(&escrow.point, "the escrow point")?;
    let (enc, mac_key) = keys(&escrow.point, shared_point, ctx);
    mac_of(&mac_key, &escrow.point, ctx, &escrow.ciphertext)
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
    h.update(escrow.proof_c);
    h.update(escrow.proof_z);
    h.finalize().into()
}
