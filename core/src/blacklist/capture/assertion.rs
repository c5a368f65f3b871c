//! The capture assertion a device signs into its manifest (`org.provenant.capture`).
//!
//! It carries the epoch (UTC day), a fresh random `r`, the tag τ = PRF(k_epoch, r) and
//! the escrow of k_epoch to the curators' group key. Every value is fresh per photo
//! except the epoch and the group key, which every camera escrowing to the same
//! curators shares on that day: no field names the camera.

use serde::{Deserialize, Serialize};

use crate::credentials::report::CaptureTag;

/// Label of the capture assertion.
pub const CAPTURE_ASSERTION: &str = "org.provenant.capture";
/// Version of its layout written today: 2, whose escrow is bound to the photo (its keys,
/// MAC and a proof cover the epoch, r, τ and the fleet certificate's SHA-256).
pub const CAPTURE_VERSION: u32 = 2;
/// Version 1: same tag, escrow not bound to the photo. Verifiers still read its tag;
/// curators refuse it as evidence.
pub const CAPTURE_VERSION_UNBOUND: u32 = 1;

/// The escrowed epoch key, as written in the assertion (hex strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscrowFields {
    /// R = x·G (compressed ristretto255).
    pub point: String,
    /// The epoch key XORed with the escrow's encryption key (hex, 32 bytes).
    pub ciphertext: String,
    /// HMAC-SHA256 over R, the photo's context and the ciphertext (hex, 32 bytes).
    pub mac: String,
    /// Version 2: challenge of the proof binding the escrow to the photo (hex, 32 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_c: Option<String>,
    /// Version 2: response of that proof (hex, 32 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_z: Option<String>,
}

/// The assertion's JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureAssertion {
    /// Layout version: [`CAPTURE_VERSION`] or [`CAPTURE_VERSION_UNBOUND`].
    pub version: u32,
    /// The photo's epoch (UTC day number).
    pub epoch: u32,
    /// Fresh random `r` of this photo (hex, 32 bytes).
    pub r: String,
    /// τ = PRF(k_epoch, r) (hex, 32 bytes).
    pub tag: String,
    /// The epoch key escrowed to the curators' group key.
    pub escrow: EscrowFields,
    /// The curators' group public key the epoch key is escrowed to.
    pub group_key: String,
}

/// 32 bytes from 64 hex digits.
pub fn hex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    hex::decode(text).ok()?.try_into().ok()
}

impl CaptureAssertion {
    /// Checks the layout: version and 32-byte hex values.
    pub fn check(&self) -> Result<(), String> {
        let proofs = [&self.escrow.proof_c, &self.escrow.proof_z];
        match self.version {
            CAPTURE_VERSION if proofs.iter().any(|p| p.is_none()) => {
                return Err("capture assertion version 2 without its escrow proof".into())
            }
            CAPTURE_VERSION_UNBOUND if proofs.iter().any(|p| p.is_some()) => {
                return Err("capture assertion version 1 with version 2 fields".into())
            }
            CAPTURE_VERSION | CAPTURE_VERSION_UNBOUND => {}
            v => return Err(format!("capture assertion version {v} is not known")),
        }
        for (name, value) in [
            ("escrow.proof_c", &self.escrow.proof_c),
            ("escrow.proof_z", &self.escrow.proof_z),
        ] {
            if value.as_deref().is_some_and(|v| hex32(v).is_none()) {
                return Err(format!("capture assertion: {name} is not 32 bytes of hex"));
            }
        }
        for (name, value) in [
            ("r", &self.r),
            ("tag", &self.tag),
            ("escrow.point", &self.escrow.point),
            ("escrow.ciphertext", &self.escrow.ciphertext),
            ("escrow.mac", &self.escrow.mac),
            ("group_key", &self.group_key),
        ] {
            if hex32(value).is_none() {
                return Err(format!("capture assertion: {name} is not 32 bytes of hex"));
            }
        }
        Ok(())
    }

    /// The escrow and the photo context it must be bound to, for a photo signed by the
    /// certificate whose DER has SHA-256 `signer_cert_sha256`. Version 1 (unbound escrow)
    /// is an error: it cannot be checked before decrypting.
    #[cfg(feature = "device")]
    pub fn bound_escrow(
        &self,
        signer_cert_sha256: [u8; 32],
    ) -> Result<(super::escrow::Escrow, super::escrow::EscrowContext), String> {
        self.check()?;
        if self.version != CAPTURE_VERSION {
            return Err(format!(
                "capture assertion version {} has an escrow that is not bound to its photo; it is not accepted as evidence (use a photo from a device writing version {CAPTURE_VERSION})",
                self.version
            ));
        }
        let field = |v: &str| hex32(v).unwrap_or_default();
        let opt = |v: &Option<String>| field(v.as_deref().unwrap_or_default());
        let escrow = super::escrow::Escrow {
            point: field(&self.escrow.point),
            ciphertext: field(&self.escrow.ciphertext),
            mac: field(&self.escrow.mac),
            proof_c: opt(&self.escrow.proof_c),
            proof_z: opt(&self.escrow.proof_z),
        };
        let context = super::escrow::EscrowContext {
            epoch: self.epoch,
            r: field(&self.r),
            tag: field(&self.tag),
            signer_cert_sha256,
        };
        Ok((escrow, context))
    }

    /// What the report shows of it.
    pub fn tag_fields(&self) -> CaptureTag {
        CaptureTag {
            epoch: self.epoch,
            r: self.r.to_ascii_lowercase(),
            tag: self.tag.to_ascii_lowercase(),
        }
    }
}

/// The capture assertion of a manifest, if it has a well-formed one.
pub fn from_manifest(manifest: &c2pa::Manifest) -> Option<CaptureAssertion> {
    manifest
        .assertions()
        .iter()
        .filter(|a| a.label() == CAPTURE_ASSERTION)
        .find_map(|a| {
            let value = a.value().ok()?;
            let parsed: CaptureAssertion = serde_json::from_value(value.clone()).ok()?;
            parsed.check().ok()?;
            Some(parsed)
        })
}

/// The report's view of a manifest's capture tag.
pub fn read_assertion(manifest: &c2pa::Manifest) -> Option<CaptureTag> {
    from_manifest(manifest).map(|a| a.tag_fields())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_checked() {
        let h = "ab".repeat(32);
        let mut a = CaptureAssertion {
            version: 2,
            epoch: 20_000,
            r: h.clone(),
            tag: h.clone(),
            escrow: EscrowFields {
                point: h.clone(),
                ciphertext: h.clone(),
                mac: h.clone(),
                proof_c: Some(h.clone()),
                proof_z: Some(h.clone()),
            },
            group_key: h.clone(),
        };
        assert!(a.check().is_ok());
        // Version 1 (unbound escrow) still reads, without proof fields only.
        a.version = 1;
        assert!(a.check().unwrap_err().contains("version 2 fields"));
        a.escrow.proof_c = None;
        a.escrow.proof_z = None;
        assert!(a.check().is_ok());
        a.version = 2;
        assert!(a.check().unwrap_err().contains("without its escrow proof"));
        a.escrow.proof_c = Some("ab".into());
        a.escrow.proof_z = Some(h.clone());
        assert!(a.check().unwrap_err().contains("proof_c"));
        a.escrow.proof_c = Some(h.clone());
        a.tag = "ab".into();
        assert!(a.check().unwrap_err().contains("tag"));
        a.tag = h;
        a.version = 3;
        assert!(a.check().is_err());
        assert_eq!(hex32(&"zz".repeat(32)), None);
    }
}
