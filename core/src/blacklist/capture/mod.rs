//! Capture tags: the unlinkable camera identity behind the camera blacklist.
//!
//! A camera tags each photo with a fresh random r and τ = PRF(k_e, r), k_e being its
//! secret for the day (a one-way ratchet, [`tag`]), and escrows k_e to the curators'
//! threshold key ([`escrow`], ristretto255). m of n curators can release decryption
//! shares with Chaum–Pedersen proofs ([`threshold`]); combined, they open the escrow of
//! one evidence photo and yield k_e, which flags that camera's photos from that day on
//! and nothing before, and links no other camera.
//!
//! Threat model in short: without k_e, one camera's tags are indistinguishable from
//! random, so photos cannot be linked; curators at or above the threshold can decrypt
//! any escrow and link a camera's photos from that photo's day on. The key set-up is a
//! distributed key generation ([`dkg`], ZF FROST's), so no one holds the group secret;
//! a trusted dealer ([`threshold::deal`]) remains for tests and demos only.
//! Tags are only as honest as the device's secure element.

pub mod assertion;
pub mod tag;

#[cfg(feature = "device")]
pub mod dkg;
#[cfg(feature = "device")]
pub mod escrow;
#[cfg(feature = "device")]
mod ristretto;
#[cfg(feature = "device")]
pub mod threshold;

/// Why a capture-crypto operation failed.
#[cfg(feature = "device")]
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaptureError {
    /// A value that should be a compressed ristretto255 point is not one (names the value).
    #[error("{0} is not a valid ristretto255 point")]
    BadPoint(&'static str),
    /// A value that should be a canonical ristretto255 scalar is not one (names the value).
    #[error("{0} is not a canonical scalar")]
    BadScalar(&'static str),
    #[error(
        "the escrow does not open with this key in this photo's context (wrong curators, wrong shares, or an escrow copied from another photo or tampered with)"
    )]
    /// The escrow's MAC does not verify with the key obtained from the shares.
    EscrowMac,
    /// The escrow's proof does not bind it to this photo (epoch, r, tag, fleet
    /// certificate) and group key: it was copied from another photo or tampered with.
    #[error("the escrow is not bound to this photo (its proof fails for this epoch, r, tag, fleet certificate and group key): copied from another photo or tampered with")]
    EscrowBinding,
    #[error("a threshold of {threshold} of {curators} curators is not possible (1 ≤ m ≤ n ≤ 32)")]
    /// The threshold m and group size n do not satisfy 1 ≤ m ≤ n ≤ 32.
    BadThreshold {
        /// The threshold asked for (m).
        threshold: u8,
        /// The number of curators asked for (n).
        curators: u8,
    },
    /// The curator index is not in the group (1-based).
    #[error("curator {0} is not a member of this group")]
    UnknownCurator(u8),
    /// The curator's decryption share fails its Chaum–Pedersen proof.
    #[error("the decryption share of curator {0} fails its proof")]
    BadShare(u8),
    /// The distributed key generation failed (a bad, missing or inconsistent package).
    #[error("key generation: {0}")]
    Dkg(String),
    #[error("{have} valid decryption shares, {need} needed")]
    /// Fewer valid decryption shares than the group's threshold.
    TooFewShares {
        /// Valid shares given.
        have: usize,
        /// The threshold.
        need: usize,
    },
}

/// Serde for 32-byte values as hex strings.
#[cfg(feature = "device")]
pub(crate) mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        super::assertion::hex32(&text)
            .ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }

    /// Vectors of them.
    pub mod vec {
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(v: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(v.iter().map(hex::encode))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u8; 32]>, D::Error> {
            Vec::<String>::deserialize(d)?
                .iter()
                .map(|t| {
                    crate::blacklist::capture::assertion::hex32(t)
                        .ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
                })
                .collect()
        }
    }
}
