//! Distributed key generation of the curators' m-of-n group key: no party ever holds the
//! group secret s, each curator ends with its own share s_j only.
//!
//! The protocol is the Pedersen DKG with proofs of knowledge (Komlo–Goldberg, as in FROST)
//! implemented by the Zcash Foundation's `frost-ristretto255` crate (`keys::dkg::part1..3`);
//! this module only moves its packages in and out of files and converts the result into
//! this crate's [`GroupKey`] and [`CuratorShare`], so the rest of the blacklist flow
//! (register the set, escrow, decryption shares, combine) is unchanged.
//!
//! 1. [`round1`]: each curator j draws a random polynomial f_j of degree m−1 and
//!    broadcasts its Feldman commitments with a proof of knowledge of f_j(0).
//! 2. [`round2`]: given everyone else's round-1 packages, each curator sends curator k the
//!    value f_j(k) — **secret to k**: it must travel over a confidential channel.
//! 3. [`finish`]: given all round-1 packages and the round-2 values sent to it, curator k
//!    checks each against the sender's commitments and keeps s_k = Σ_j f_j(k). The group
//!    key is P = Σ_j C_{j,0}, the group commitments C_i = Σ_j C_{j,i}, and
//!    Y_k = s_k·G = Σ_i C_i·k^i, as with a dealer.
//!
//! FROST's identifiers are the scalars 1..=n (`Identifier::try_from(j as u16)`), the same
//! x-coordinates [`super::threshold`] interpolates at. Every curator must see the *same*
//! round-1 packages (compare the resulting `group.json` out of band, or its key on chain):
//! a curator given different packages ends with another group key and [`finish`] of the
//! others will not match its.

use std::collections::BTreeMap;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::traits::Identity;
use frost_ristretto255 as frost;
use frost_ristretto255::keys::dkg::{round1 as r1, round2 as r2};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::ristretto::point;
use super::threshold::{verify_share, CuratorShare, GroupKey, MAX_CURATORS};
use super::CaptureError;

/// A curator's secret state between rounds (keep it secret: Debug does not print it).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DkgState {
    /// 1 after [`round1`], 2 after [`round2`].
    pub round: u8,
    /// This curator's index j (1-based; its position in the registry's curator set).
    pub index: u8,
    /// n.
    pub curators: u8,
    /// m.
    pub threshold: u8,
    /// FROST's secret package of that round (hex; zeroized on drop).
    pub secret: String,
}

impl std::fmt::Debug for DkgState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkgState")
            .field("round", &self.round)
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl Drop for DkgState {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

/// A package one curator sends: round 1 to everyone (public), round 2 to one curator
/// (secret to it).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DkgPackage {
    /// 1 or 2.
    pub round: u8,
    /// The sending curator's index.
    pub from: u8,
    /// Round 2: the recipient's index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<u8>,
    /// FROST's package (hex).
    pub package: String,
}

impl std::fmt::Debug for DkgPackage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkgPackage")
            .field("round", &self.round)
            .field("from", &self.from)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

fn err(what: impl std::fmt::Display) -> CaptureError {
    CaptureError::Dkg(what.to_string())
}

fn id(index: u8) -> Result<frost::Identifier, CaptureError> {
    frost::Identifier::try_from(u16::from(index)).map_err(|_| err("curator index 0"))
}

fn unhex(text: &str, what: &str) -> Result<Vec<u8>, CaptureError> {
    hex::decode(text).map_err(|_| err(format!("{what} is not hex")))
}

/// Round 1 for curator `index` of `curators`, threshold `threshold`: the secret state
/// to keep and the public package to send to every other curator.
pub fn round1<R: RngCore + CryptoRng>(
    index: u8,
    curators: u8,
    threshold: u8,
    rng: &mut R,
) -> Result<(DkgState, DkgPackage), CaptureError> {
    if threshold == 0 || threshold > curators || curators > MAX_CURATORS {
        return Err(CaptureError::BadThreshold {
            threshold,
            curators,
        });
    }
    if curators < 2 {
        return Err(err(
            "a distributed key generation needs at least 2 curators",
        ));
    }
    if !(1..=curators).contains(&index) {
        return Err(CaptureError::UnknownCurator(index));
    }
    let (secret, package) =
        frost::keys::dkg::part1(id(index)?, u16::from(curators), u16::from(threshold), rng)
            .map_err(err)?;
    let state = DkgState {
        round: 1,
        index,
        curators,
        threshold,
        secret: hex::encode(secret.serialize().map_err(err)?),
    };
    let public = DkgPackage {
        round: 1,
        from: index,
        to: None,
        package: hex::encode(package.serialize().map_err(err)?),
    };
    Ok((state, public))
}

/// The round-1 packages of every curator but `state`'s, keyed by FROST identifier;
/// exactly one from each other curator.
fn others_round1(
    state: &DkgState,
    packages: &[DkgPackage],
) -> Result<BTreeMap<frost::Identifier, r1::Package>, CaptureError> {
    let mut out = BTreeMap::new();
    for p in packages {
        if p.round != 1 || p.to.is_some() {
            return Err(err(format!(
                "package from curator {} is not a round-1 package",
                p.from
            )));
        }
        if !(1..=state.curators).contains(&p.from) {
            return Err(CaptureError::UnknownCurator(p.from));
        }
        if p.from == state.index {
            continue;
        }
        let parsed = r1::Package::deserialize(&unhex(&p.package, "a round-1 package")?)
            .map_err(|e| err(format!("round-1 package of curator {}: {e}", p.from)))?;
        if out.insert(id(p.from)?, parsed).is_some() {
            return Err(err(format!("two round-1 packages from curator {}", p.from)));
        }
    }
    if out.len() != usize::from(state.curators) - 1 {
        return Err(err(format!(
            "{} round-1 packages from other curators, {} needed",
            out.len(),
            state.curators - 1
        )));
    }
    Ok(out)
}

/// Round 2: checks the others' round-1 packages (their proofs of knowledge) and makes
/// one package per other curator, each secret to its recipient.
pub fn round2(
    state: &DkgState,
    round1: &[DkgPackage],
) -> Result<(DkgState, Vec<DkgPackage>), CaptureError> {
    if state.round != 1 {
        return Err(err("round 2 needs the state written by round 1"));
    }
    let others = others_round1(state, round1)?;
    let secret =
        r1::SecretPackage::deserialize(&unhex(&state.secret, "the round-1 state")?).map_err(err)?;
    let (secret2, outgoing) = frost::keys::dkg::part2(secret, &others).map_err(err)?;
    let mut packages = Vec::new();
    for to in (1..=state.curators).filter(|j| *j != state.index) {
        let p = outgoing
            .get(&id(to)?)
            .ok_or_else(|| err(format!("no round-2 package for curator {to}")))?;
        packages.push(DkgPackage {
            round: 2,
            from: state.index,
            to: Some(to),
            package: hex::encode(p.serialize().map_err(err)?),
        });
    }
    let next = DkgState {
        round: 2,
        secret: hex::encode(secret2.serialize().map_err(err)?),
        ..state.clone()
    };
    Ok((next, packages))
}

/// Round 3: checks the round-2 values sent to this curator against their senders'
/// commitments and returns the group key and this curator's share.
pub fn finish(
    state: &DkgState,
    round1: &[DkgPackage],
    round2: &[DkgPackage],
) -> Result<(GroupKey, CuratorShare), CaptureError> {
    if state.round != 2 {
        return Err(err("finishing needs the state written by round 2"));
    }
    let others = others_round1(state, round1)?;
    let mut received = BTreeMap::new();
    for p in round2 {
        if p.round != 2 || p.to != Some(state.index) {
            continue; // packages for other curators may sit in the same folder
        }
        let parsed = r2::Package::deserialize(&unhex(&p.package, "a round-2 package")?)
            .map_err(|e| err(format!("round-2 package of curator {}: {e}", p.from)))?;
        if !others.contains_key(&id(p.from)?) || received.insert(id(p.from)?, parsed).is_some() {
            return Err(err(format!(
                "unexpected round-2 package from curator {}",
                p.from
            )));
        }
    }
    let secret =
        r2::SecretPackage::deserialize(&unhex(&state.secret, "the round-2 state")?).map_err(err)?;
    let (key_package, public) =
        frost::keys::dkg::part3(&secret, &others, &received).map_err(err)?;

    // Group commitments C_i = Σ_j C_{j,i}, own included.
    let mut sums = vec![RistrettoPoint::identity(); usize::from(state.threshold)];
    let all = others
        .values()
        .map(|p| p.commitment())
        .chain([secret.commitment()]);
    for commitment in all {
        let coefficients = commitment.serialize().map_err(err)?;
        if coefficients.len() != sums.len() {
            return Err(err("a commitment of the wrong degree"));
        }
        for (sum, c) in sums.iter_mut().zip(&coefficients) {
            let bytes: [u8; 32] = c
                .as_slice()
                .try_into()
                .map_err(|_| err("a bad commitment"))?;
            *sum += point(&bytes, "a DKG commitment")?;
        }
    }
    let commitments: Vec<[u8; 32]> = sums.iter().map(|p| p.compress().to_bytes()).collect();
    let group_key: [u8; 32] = public
        .verifying_key()
        .serialize()
        .map_err(err)?
        .try_into()
        .map_err(|_| err("a bad group key"))?;
    let group = GroupKey {
        threshold: state.threshold,
        curators: state.curators,
        public: group_key,
        commitments,
    };
    let share = CuratorShare {
        index: state.index,
        secret: key_package
            .signing_share()
            .serialize()
            .try_into()
            .map_err(|_| err("a bad share"))?,
    };
    // The conversion must agree with FROST: P = C_0, s_j·G = Y_j, every Y_k as FROST has it.
    if group.commitments.first() != Some(&group.public) || !verify_share(&group, &share) {
        return Err(err(
            "the DKG result does not convert to a consistent group key",
        ));
    }
    for (identifier, y) in public.verifying_shares() {
        let k = (1..=state.curators)
            .find(|k| id(*k).ok().as_ref() == Some(identifier))
            .ok_or_else(|| err("an unknown identifier in the result"))?;
        let ours = super::threshold::curator_public(&group, k);
        if ours.map(|b| b.to_vec()) != y.serialize().ok() {
            return Err(err(format!(
                "curator {k}'s public share disagrees with FROST's"
            )));
        }
    }
    Ok((group, share))
}
