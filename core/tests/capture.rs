//! Capture-tag crypto: escrow through the whole threshold path, shares with wrong
//! proofs, tampering, hostile encodings, and the unlinkability of one camera's tags.
#![cfg(feature = "device")]
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use provenant_core::blacklist::capture::escrow::{self, Escrow, EscrowContext};
use provenant_core::blacklist::capture::tag::{self, epoch_key_at, EntryMatcher};
use provenant_core::blacklist::capture::threshold::{self, DecryptionShare};
use provenant_core::blacklist::capture::CaptureError;
use rand_core::{OsRng, RngCore};

/// A photo's context for an escrow of `epoch` (r, tag and certificate hash from `seed`).
fn ctx(epoch: u32, seed: u8) -> EscrowContext {
    EscrowContext {
        epoch,
        r: [seed; 32],
        tag: [seed.wrapping_add(1); 32],
        signer_cert_sha256: [seed.wrapping_add(2); 32],
    }
}

fn subsets(n: u8, m: u8) -> Vec<Vec<u8>> {
    (0u32..1 << n)
        .filter(|b| b.count_ones() == u32::from(m))
        .map(|b| (1..=n).filter(|j| b & (1 << (j - 1)) != 0).collect())
        .collect()
}

#[test]
fn every_quorum_opens_the_escrow_and_fewer_cannot() {
    for (m, n) in [(1u8, 1u8), (2, 3), (3, 5)] {
        let (group, shares) = threshold::deal(m, n, &mut OsRng).unwrap();
        for s in &shares {
            assert!(threshold::verify_share(&group, s));
            assert!(threshold::curator_public(&group, s.index).is_some());
        }
        let mut k = [0u8; 32];
        OsRng.fill_bytes(&mut k);
        let sealed = escrow::seal(&group.public, &k, &ctx(20_000, 1), &mut OsRng).unwrap();
        let all: Vec<DecryptionShare> = shares
            .iter()
            .map(|s| threshold::decryption_share(s, &sealed.point, &mut OsRng).unwrap())
            .collect();
        for ds in &all {
            assert!(threshold::verify_decryption_share(
                &group,
                &sealed.point,
                ds
            ));
        }
        for subset in subsets(n, m) {
            let chosen: Vec<_> = subset
                .iter()
                .map(|j| all[usize::from(*j) - 1].clone())
                .collect();
            let shared = threshold::combine(&group, &sealed.point, &chosen).unwrap();
            assert_eq!(
                escrow::open(&sealed, &shared, &ctx(20_000, 1)).unwrap(),
                k,
                "{m}-of-{n} {subset:?}"
            );
            // The wrong epoch, r, tag or certificate does not open it.
            let good = ctx(20_000, 1);
            let wrong = [
                EscrowContext {
                    epoch: 20_001,
                    ..good
                },
                EscrowContext { r: [9; 32], ..good },
                EscrowContext {
                    tag: [9; 32],
                    ..good
                },
                EscrowContext {
                    signer_cert_sha256: [9; 32],
                    ..good
                },
            ];
            for w in &wrong {
                assert_eq!(
                    escrow::open(&sealed, &shared, w),
                    Err(CaptureError::EscrowMac)
                );
            }
        }
        if m > 1 {
            let few: Vec<_> = all[..usize::from(m) - 1].to_vec();
            assert!(matches!(
                threshold::combine(&group, &sealed.point, &few),
                Err(CaptureError::TooFewShares { .. })
            ));
            // Duplicates of one share do not count twice.
            let dup = vec![all[0].clone(); usize::from(m)];
            assert!(threshold::combine(&group, &sealed.point, &dup).is_err());
        }
    }
}

#[test]
fn shares_with_wrong_proofs_are_rejected() {
    let (group, shares) = threshold::deal(2, 3, &mut OsRng).unwrap();
    let sealed = escrow::seal(&group.public, &[1u8; 32], &ctx(7, 1), &mut OsRng).unwrap();
    let other = escrow::seal(&group.public, &[1u8; 32], &ctx(7, 1), &mut OsRng).unwrap();
    let good = threshold::decryption_share(&shares[1], &sealed.point, &mut OsRng).unwrap();
    let first = threshold::decryption_share(&shares[0], &sealed.point, &mut OsRng).unwrap();
    let mut tampered = Vec::new();
    let mut c = good.clone();
    c.proof_c[0] ^= 1;
    tampered.push(c);
    let mut z = good.clone();
    z.proof_z[0] ^= 1;
    tampered.push(z);
    let mut p = good.clone();
    p.point = first.point; // another curator's share point
    tampered.push(p);
    let mut i = good.clone();
    i.index = 3; // claims to be another curator
    tampered.push(i);
    tampered.push(threshold::decryption_share(&shares[1], &other.point, &mut OsRng).unwrap()); // for another R
    for bad in &tampered {
        assert!(
            !threshold::verify_decryption_share(&group, &sealed.point, bad),
            "{bad:?}"
        );
        let err =
            threshold::combine(&group, &sealed.point, &[first.clone(), bad.clone()]).unwrap_err();
        assert!(
            matches!(err, CaptureError::BadShare(j) if j == bad.index),
            "{err}"
        );
    }
    // A share from a dealer of another group fails against this one.
    let (_, foreign) = threshold::deal(2, 3, &mut OsRng).unwrap();
    assert!(!threshold::verify_share(&group, &foreign[0]));
    let f = threshold::decryption_share(&foreign[0], &sealed.point, &mut OsRng).unwrap();
    assert!(!threshold::verify_decryption_share(
        &group,
        &sealed.point,
        &f
    ));
}

#[test]
fn tampered_escrows_and_hostile_encodings_are_errors() {
    let (group, shares) = threshold::deal(1, 1, &mut OsRng).unwrap();
    let sealed = escrow::seal(&group.public, &[9u8; 32], &ctx(3, 1), &mut OsRng).unwrap();
    let ds = threshold::decryption_share(&shares[0], &sealed.point, &mut OsRng).unwrap();
    let shared = threshold::combine(&group, &sealed.point, &[ds]).unwrap();
    assert!(escrow::verify_binding(&sealed, &group.public, &ctx(3, 1)).is_ok());
    for field in 0..5 {
        let mut e: Escrow = sealed.clone();
        match field {
            0 => e.ciphertext[5] ^= 0x80,
            1 => e.mac[31] ^= 1,
            2 => e.proof_c[3] ^= 1,
            3 => e.proof_z[3] ^= 1,
            _ => e.point[0] ^= 2,
        }
        assert!(escrow::open(&e, &shared, &ctx(3, 1)).is_err() || field >= 2);
        if field >= 2 {
            assert!(escrow::verify_binding(&e, &group.public, &ctx(3, 1)).is_err());
        }
    }
    let junk = [0xffu8; 32];
    assert!(escrow::seal(&junk, &[0u8; 32], &ctx(1, 1), &mut OsRng).is_err());
    assert!(
        escrow::seal(&[0u8; 32], &[0u8; 32], &ctx(1, 1), &mut OsRng).is_err(),
        "identity key"
    );
    assert!(threshold::decryption_share(&shares[0], &junk, &mut OsRng).is_err());
    assert!(threshold::combine(&group, &junk, &[]).is_err());
    assert!(threshold::deal(0, 3, &mut OsRng).is_err());
    assert!(threshold::deal(4, 3, &mut OsRng).is_err());
    assert!(threshold::deal(2, 33, &mut OsRng).is_err());
    let mut bad_group = group.clone();
    bad_group.commitments.push([0xee; 32]);
    assert!(threshold::curator_public(&bad_group, 1).is_none());
    // Serde refuses malformed hex.
    assert!(
        serde_json::from_str::<Escrow>(r#"{"point":"00","ciphertext":"00","mac":"00"}"#).is_err()
    );
}

#[test]
fn one_cameras_tags_and_escrows_never_repeat() {
    let (group, _) = threshold::deal(2, 3, &mut OsRng).unwrap();
    let mut k = [0u8; 32];
    OsRng.fill_bytes(&mut k);
    let mut seen = HashSet::new();
    for _ in 0..1_000 {
        let mut r = [0u8; 32];
        OsRng.fill_bytes(&mut r);
        let t = tag::tag(&k, &r);
        let context = EscrowContext {
            epoch: 20_414,
            r,
            tag: t,
            signer_cert_sha256: [3; 32],
        };
        let e = escrow::seal(&group.public, &k, &context, &mut OsRng).unwrap();
        for v in [r, t, e.point, e.ciphertext, e.mac, e.proof_c, e.proof_z] {
            assert!(
                seen.insert(v),
                "a value repeats across photos of one camera"
            );
        }
    }
    assert_eq!(seen.len(), 7_000);
}

#[test]
fn the_matcher_ties_a_recovered_key_to_later_photos_only() {
    let (group, shares) = threshold::deal(2, 3, &mut OsRng).unwrap();
    let k10 = [4u8; 32];
    let photo_day = 12;
    let k12 = epoch_key_at(&k10, 10, photo_day).unwrap();
    let evidence = escrow::seal(&group.public, &k12, &ctx(photo_day, 4), &mut OsRng).unwrap();
    let ds: Vec<_> = shares[..2]
        .iter()
        .map(|s| threshold::decryption_share(s, &evidence.point, &mut OsRng).unwrap())
        .collect();
    let shared = threshold::combine(&group, &evidence.point, &ds).unwrap();
    let recovered = escrow::open(&evidence, &shared, &ctx(photo_day, 4)).unwrap();
    assert_eq!(recovered, k12);
    let mut m = EntryMatcher::new();
    m.add(recovered, photo_day, photo_day, 1);
    let r = [6u8; 32];
    for day in 10..16u32 {
        let kd = epoch_key_at(&k10, 10, day).unwrap();
        let flagged = !m.check(day, &r, &tag::tag(&kd, &r)).is_empty();
        assert_eq!(flagged, day >= photo_day, "day {day}");
    }
}

/// An escrow copied next to another photo's r, tag, day or certificate fails its binding
/// proof before any curator decrypts it, and fails its MAC if decrypted anyway; only
/// the device that drew x can make a proof for a new context.
#[test]
fn a_transplanted_escrow_fails_its_binding() {
    let (group, shares) = threshold::deal(1, 1, &mut OsRng).unwrap();
    let good = ctx(20_000, 1);
    let sealed = escrow::seal(&group.public, &[5u8; 32], &good, &mut OsRng).unwrap();
    escrow::verify_binding(&sealed, &group.public, &good).unwrap();
    let (other, _) = threshold::deal(1, 1, &mut OsRng).unwrap();
    assert_eq!(
        escrow::verify_binding(&sealed, &other.public, &good),
        Err(CaptureError::EscrowBinding)
    );
    let ds = threshold::decryption_share(&shares[0], &sealed.point, &mut OsRng).unwrap();
    let shared = threshold::combine(&group, &sealed.point, &[ds]).unwrap();
    for moved in [
        EscrowContext {
            epoch: 20_001,
            ..good
        },
        EscrowContext { r: [8; 32], ..good },
        EscrowContext {
            tag: [8; 32],
            ..good
        },
        EscrowContext {
            signer_cert_sha256: [8; 32],
            ..good
        },
    ] {
        assert_eq!(
            escrow::verify_binding(&sealed, &group.public, &moved),
            Err(CaptureError::EscrowBinding)
        );
        assert_eq!(
            escrow::open(&sealed, &shared, &moved),
            Err(CaptureError::EscrowMac)
        );
    }
}

/// The distributed key generation among three curators: no dealer, the same group key
/// for everyone, shares that verify against it, and escrows any two of them open — the
/// same threshold path as with a dealer.
#[test]
fn a_distributed_key_generation_feeds_the_same_threshold_path() {
    use provenant_core::blacklist::capture::dkg;
    let (m, n) = (2u8, 3u8);
    let mut states = Vec::new();
    let mut round1 = Vec::new();
    for j in 1..=n {
        let (s, p) = dkg::round1(j, n, m, &mut OsRng).unwrap();
        states.push(s);
        round1.push(p);
    }
    let mut states2 = Vec::new();
    let mut round2 = Vec::new();
    for s in &states {
        let (s2, out) = dkg::round2(s, &round1).unwrap();
        states2.push(s2);
        round2.extend(out);
    }
    let results: Vec<_> = states2
        .iter()
        .map(|s| dkg::finish(s, &round1, &round2).unwrap())
        .collect();
    let group = results[0].0.clone();
    assert!(
        results.iter().all(|(g, _)| *g == group),
        "one group key for all"
    );
    let shares: Vec<_> = results.iter().map(|(_, s)| s.clone()).collect();
    for s in &shares {
        assert!(threshold::verify_share(&group, s));
    }
    let k = [3u8; 32];
    let sealed = escrow::seal(&group.public, &k, &ctx(9, 9), &mut OsRng).unwrap();
    for subset in subsets(n, m) {
        let ds: Vec<_> = subset
            .iter()
            .map(|j| {
                threshold::decryption_share(&shares[usize::from(*j) - 1], &sealed.point, &mut OsRng)
                    .unwrap()
            })
            .collect();
        let shared = threshold::combine(&group, &sealed.point, &ds).unwrap();
        assert_eq!(escrow::open(&sealed, &shared, &ctx(9, 9)).unwrap(), k);
    }
    // A tampered round-2 value is caught by its recipient.
    let mut bad = round2.clone();
    let p = bad.iter_mut().find(|p| p.to == Some(1)).unwrap();
    let mut bytes = hex::decode(&p.package).unwrap();
    let last = bytes.len() - 5;
    bytes[last] ^= 1;
    p.package = hex::encode(bytes);
    assert!(dkg::finish(&states2[0], &round1, &bad).is_err());
    // Missing packages and wrong rounds are errors, not panics.
    assert!(dkg::round2(&states[0], &round1[..2]).is_err());
    assert!(dkg::finish(&states[0], &round1, &round2).is_err());
    assert!(dkg::round1(4, 3, 2, &mut OsRng).is_err());
    assert!(dkg::round1(1, 3, 4, &mut OsRng).is_err());
}
