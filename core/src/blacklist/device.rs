//! A capture device: signs at capture and embeds an unlinkable capture tag.
//!
//! The device directory holds what a camera's secure element would: the fleet
//! certificate chain and key it signs with (`chain.pem`, `signer.key`, issued under the
//! maker's CA and shared by every camera of the fleet, so the certificate does not
//! name the camera), and the camera's own epoch key (`secure-element.json`). **This is
//! a software stand-in for a secure element**: the files are mode 0600 on an ordinary
//! disk, so anyone who can read them can forge this camera's tags. A real camera keeps
//! them in tamper-resistant hardware and takes the time from its own clock.
//!
//! The epoch key ratchets forward (k_{e+1} = KDF(k_e)) and the older key is erased
//! when a photo is taken on a later day, so a stolen device cannot tag photos as if
//! taken on earlier days, and a key published for one day reveals nothing earlier.

use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::blacklist::capture::assertion::{
    hex32, CaptureAssertion, EscrowFields, CAPTURE_VERSION,
};
use crate::blacklist::capture::{escrow, tag};
use crate::credentials::sign::{sign_stream, SignError, SignRequest, SourceType};
use crate::credentials::signer::KeyFileSigner;
use crate::MediaFormat;

/// The secure-element stand-in's file inside a device directory.
pub const SECURE_ELEMENT: &str = "secure-element.json";

/// Why a capture device could not be created, opened or made to sign.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// Reading or writing a file of the device directory failed.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The directory's secure-element file is missing or unreadable (directory, reason).
    #[error("{0} is not a device directory ({SECURE_ELEMENT} is unreadable: {1})")]
    NotDevice(PathBuf, String),
    /// The directory already holds a device; its key is not overwritten.
    #[error("{0} already holds a device (refusing to overwrite its key)")]
    Exists(PathBuf),
    #[error("the epoch key for day {asked} was erased when the device moved on to day {current}: it cannot tag photos as taken earlier")]
    /// The key for the asked epoch cannot be derived: an earlier day's key was erased by the ratchet.
    KeyErased {
        /// The epoch (UTC day) asked for.
        asked: u32,
        /// The device's current epoch.
        current: u32,
    },
    /// Escrowing the epoch key, or encoding the secure element's state, failed.
    #[error("capture crypto: {0}")]
    Crypto(String),
    /// Signing the captured photo failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// What the secure element keeps.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ElementState {
    /// Reminds a reader of the file what it is.
    note: String,
    /// The epoch (UTC day) of `epoch_key`.
    epoch: u32,
    /// k_epoch, hex. Older keys are erased.
    epoch_key: String,
    /// The curators' group public key the epoch keys are escrowed to, hex.
    group_key: String,
}

/// The secure-element stand-in of one device: the file's keys parsed once.
pub struct SecureElement {
    path: PathBuf,
    epoch: u32,
    epoch_key: zeroize::Zeroizing<[u8; 32]>,
    group_key: [u8; 32],
}

impl std::fmt::Debug for SecureElement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecureElement")
            .field("path", &self.path)
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DeviceError + '_ {
    move |source| DeviceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl SecureElement {
    /// Creates a device's element in `dir` with a fresh random key for `epoch`.
    pub fn create(dir: &Path, group_key: [u8; 32], epoch: u32) -> Result<Self, DeviceError> {
        let path = dir.join(SECURE_ELEMENT);
        if path.exists() {
            return Err(DeviceError::Exists(path));
        }
        let mut epoch_key = zeroize::Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(&mut *epoch_key);
        let element = Self {
            path,
            epoch,
            epoch_key,
            group_key,
        };
        element.save()?;
        Ok(element)
    }

    /// Opens the element of the device in `dir`.
    pub fn open(dir: &Path) -> Result<Self, DeviceError> {
        let path = dir.join(SECURE_ELEMENT);
        let bad = |why: String| DeviceError::NotDevice(dir.to_path_buf(), why);
        let text = fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
        let state: ElementState = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let (Some(epoch_key), Some(group_key)) = (hex32(&state.epoch_key), hex32(&state.group_key))
        else {
            return Err(bad("a key is not 32 bytes of hex".into()));
        };
        Ok(Self {
            path,
            epoch: state.epoch,
            epoch_key: zeroize::Zeroizing::new(epoch_key),
            group_key,
        })
    }

    /// The curators' group key this device escrows to.
    pub fn group_key(&self) -> [u8; 32] {
        self.group_key
    }

    /// The epoch the element's key is at.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// Writes the state atomically (temporary file, fsync, rename), mode 0600.
    fn save(&self) -> Result<(), DeviceError> {
        let tmp = self.path.with_extension("json.tmp");
        let state = ElementState {
            note: "provenant software stand-in for a camera secure element: keep secret (0600)"
                .into(),
            epoch: self.epoch,
            epoch_key: hex::encode(*self.epoch_key),
            group_key: hex::encode(self.group_key),
        };
        let text = serde_json::to_string_pretty(&state)
            .map_err(|e| DeviceError::Crypto(format!("encoding the element: {e}")))?;
        {
            let mut options = fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut f = options.open(&tmp).map_err(io_err(&tmp))?;
            f.write_all(text.as_bytes()).map_err(io_err(&tmp))?;
            f.sync_all().map_err(io_err(&tmp))?;
        }
        fs::rename(&tmp, &self.path).map_err(io_err(&self.path))
    }

    /// The capture assertion for a photo taken on `epoch` and signed by the certificate
    /// whose DER has SHA-256 `signer_cert_sha256`: ratchets the key forward to that day
    /// first (erasing the older key on disk before the photo is tagged). The escrow is
    /// bound to the photo's epoch, r, tag and that certificate.
    pub fn tag_photo(
        &mut self,
        epoch: u32,
        signer_cert_sha256: [u8; 32],
    ) -> Result<CaptureAssertion, DeviceError> {
        let current = self.epoch;
        let key =
            tag::epoch_key_at(&self.epoch_key, current, epoch).ok_or(DeviceError::KeyErased {
                asked: epoch,
                current,
            })?;
        if epoch != current {
            self.epoch = epoch;
            *self.epoch_key = key;
            self.save()?;
        }
        let mut r = [0u8; 32];
        OsRng.fill_bytes(&mut r);
        let t = tag::tag(&key, &r);
        let context = escrow::EscrowContext {
            epoch,
            r,
            tag: t,
            signer_cert_sha256,
        };
        let sealed = escrow::seal(&self.group_key(), &key, &context, &mut OsRng)
            .map_err(|e| DeviceError::Crypto(e.to_string()))?;
        Ok(CaptureAssertion {
            version: CAPTURE_VERSION,
            epoch,
            r: hex::encode(r),
            tag: hex::encode(t),
            escrow: EscrowFields {
                point: hex::encode(sealed.point),
                ciphertext: hex::encode(sealed.ciphertext),
                mac: hex::encode(sealed.mac),
                proof_c: Some(hex::encode(sealed.proof_c)),
                proof_z: Some(hex::encode(sealed.proof_z)),
            },
            group_key: hex::encode(self.group_key),
        })
    }
}

/// SHA-256 of the DER of the device's signing (fleet) certificate, the first in its chain.
pub fn signer_certificate_sha256(device_dir: &Path) -> Result<[u8; 32], DeviceError> {
    use sha2::Digest;
    let path = device_dir.join(crate::credentials::keys::CHAIN);
    let pem = fs::read_to_string(&path).map_err(io_err(&path))?;
    let ders = crate::credentials::trust::certificate_ders(&pem);
    let der = ders
        .first()
        .ok_or_else(|| DeviceError::Crypto(format!("{} holds no certificate", path.display())))?;
    Ok(sha2::Sha256::digest(der).into())
}

/// Signs a fresh capture with the device's fleet certificate and its capture tag.
/// `when` is the capture time (RFC 3339) and `epoch` its UTC day.
pub fn capture_stream<R, W>(
    src: &mut R,
    dest: &mut W,
    device_dir: &Path,
    epoch: u32,
    when: String,
) -> Result<MediaFormat, DeviceError>
where
    R: Read + Seek + Send,
    W: Read + Write + Seek + Send,
{
    let signer = KeyFileSigner::load(device_dir).map_err(SignError::from)?;
    let mut element = SecureElement::open(device_dir)?;
    let assertion = element.tag_photo(epoch, signer_certificate_sha256(device_dir)?)?;
    let request = SignRequest {
        // No title: a file name like IMG_0042 would link a camera's photos.
        title: None,
        source: SourceType::Capture,
        anchors: None,
        capture: Some(assertion),
        when: Some(when),
        // A camera writes no thumbnail and no metadata of its own here.
        ..Default::default()
    };
    Ok(sign_stream(src, dest, signer.as_signer(), &request)?)
}
