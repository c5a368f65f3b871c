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
/// Version of its layout.
pub const CAPTURE_VERSION: u32 = 1;

/// The escrowed epoch key, as written in the assertion (hex strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscrowFields {
    /// R = x·G (compressed ristretto255).
    pub point: String,
    /// The epoch key XORed with the escrow's encryption key (hex, 32 bytes).
    pub ciphertext: String,
    /// HMAC-SHA256 over R, the epoch and the ciphertext (hex, 32 bytes).
    pub mac: String,
}

/// The assertion's JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureAssertion {
    /// Layout version; must be [`CAPTURE_VERSION`].
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
        if self.version != CAPTURE_VERSION {
            return Err(format!(
                "capture assertion version {} is not known",
                self.version
            ));
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
            version: 1,
            epoch: 20_000,
            r: h.clone(),
            tag: h.clone(),
            escrow: EscrowFields {
                point: h.clone(),
                ciphertext: h.clone(),
                mac: h.clone(),
            },
            group_key: h.clone(),
        };
        assert!(a.check().is_ok());
        a.tag = "ab".into();
        assert!(a.check().unwrap_err().contains("tag"));
        a.tag = h;
        a.version = 2;
        assert!(a.check().is_err());
        assert_eq!(hex32(&"zz".repeat(32)), None);
    }
}
