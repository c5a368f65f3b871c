//! Keys held in a PKCS#11 token (a hardware security module, a smart card, SoftHSM2).
//!
//! The key is named by an RFC 7512 URI (`pkcs11:token=…;object=…`), the module is loaded
//! at run time, the certificate chain comes from a PEM file (tokens rarely hold the
//! whole chain), and the algorithm from its signing certificate: Ed25519 (`CKM_EDDSA`),
//! ECDSA on P-256/384/521 (`CKM_ECDSA` over the SHA-2 digest, answered as raw `r||s`)
//! or RSA-PSS (`CKM_SHA256/384/512_RSA_PKCS_PSS`, MGF1 with the same hash, salt as long
//! as the hash: COSE's PS256/384/512). One session, logged in once, serves every signature of a [`Pkcs11Signer`].
//! The PIN is handed in by the caller; a PIN in the URI (`pin-value`) is refused.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use cryptoki::context::{CInitializeArgs, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::{AuthPin, Ulong};
use sha2::Digest;

use super::signer::{algorithm_of, chain_ders, CertifiedKey, RemoteKey};
use super::signer::{SignerError, SigningAlg};

/// The parts of an RFC 7512 `pkcs11:` URI this signer uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pkcs11Uri {
    /// `token=`: the token label.
    pub token: Option<String>,
    /// `serial=`: the token serial number.
    pub serial: Option<String>,
    /// `manufacturer=`: the token manufacturer.
    pub manufacturer: Option<String>,
    /// `model=`: the token model.
    pub model: Option<String>,
    /// `slot-id=`: the slot number.
    pub slot_id: Option<u64>,
    /// `object=`: the key's label.
    pub object: Option<String>,
    /// `id=`: the key's CKA_ID (percent-encoded bytes in the URI).
    pub id: Option<Vec<u8>>,
    /// `?module-path=`: the module to load, when the URI names it.
    pub module_path: Option<PathBuf>,
}

fn bad_uri(why: impl std::fmt::Display) -> SignerError {
    SignerError::Pkcs11(format!("bad pkcs11: URI: {why}"))
}

/// Percent-decodes one attribute value.
fn decode(value: &str) -> Result<Vec<u8>, SignerError> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| bad_uri(format!("bad percent escape in {value:?}")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn text(value: &str) -> Result<String, SignerError> {
    String::from_utf8(decode(value)?).map_err(|_| bad_uri(format!("{value:?} is not UTF-8")))
}

impl Pkcs11Uri {
    /// Whether `s` looks like a PKCS#11 URI (rather than a key directory).
    pub fn is_uri(s: &str) -> bool {
        s.get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("pkcs11:"))
    }

    /// Parses `pkcs11:token=…;object=…[?module-path=…]`.
    pub fn parse(uri: &str) -> Result<Self, SignerError> {
        if !Self::is_uri(uri) {
            return Err(bad_uri("it does not start with \"pkcs11:\""));
        }
        let rest = &uri[7..];
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut out = Self::default();
        for attr in path.split(';').filter(|a| !a.is_empty()) {
            let (name, value) = attr
                .split_once('=')
                .ok_or_else(|| bad_uri(format!("{attr:?} is not name=value")))?;
            match name {
                "token" => out.token = Some(text(value)?),
                "serial" => out.serial = Some(text(value)?),
                "manufacturer" => out.manufacturer = Some(text(value)?),
                "model" => out.model = Some(text(value)?),
                "object" => out.object = Some(text(value)?),
                "id" => out.id = Some(decode(value)?),
                "slot-id" => {
                    let n = text(value)?;
                    out.slot_id = Some(n.parse().map_err(|_| bad_uri("slot-id is not a number"))?)
                }
                "type" if value == "private" => {}
                "type" => return Err(bad_uri("type must be \"private\" (a signing key)")),
                n if n.starts_with("library-") || n == "slot-description" => {}
                n if n.starts_with("slot-") => {}
                other => return Err(bad_uri(format!("unknown attribute {other:?}"))),
            }
        }
        for attr in query.split('&').filter(|a| !a.is_empty()) {
            let (name, value) = attr.split_once('=').unwrap_or((attr, ""));
            match name {
                "module-path" => out.module_path = Some(PathBuf::from(text(value)?)),
                "pin-value" | "pin-source" => {
                    return Err(bad_uri(
                        "the PIN never goes in the URI: set PROVENANT_PKCS11_PIN or type it at the prompt",
                    ))
                }
                other => return Err(bad_uri(format!("unsupported query attribute {other:?}"))),
            }
        }
        if out.object.is_none() && out.id.is_none() {
            return Err(bad_uri("name the key with object=LABEL or id=ID"));
        }
        Ok(out)
    }

    fn key_name(&self) -> String {
        match (&self.object, &self.id) {
            (Some(o), _) => format!("labelled {o:?}"),
            (None, Some(id)) => format!("with id {}", hex::encode(id)),
            (None, None) => "named".into(),
        }
    }
}

fn ck(what: &str) -> impl Fn(CkError) -> SignerError + '_ {
    move |e| SignerError::Pkcs11(format!("{what}: {e}"))
}

/// A private key in a PKCS#11 token, with the logged-in session that uses it.
pub struct TokenKey {
    // Declared before the context so it closes before the module is finalised.
    session: Mutex<Session>,
    key: ObjectHandle,
    _context: Pkcs11,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// A signer whose private key stays in a PKCS#11 token.
pub type Pkcs11Signer = CertifiedKey<TokenKey>;

impl Pkcs11Signer {
    /// Loads `module`, finds the token and key `uri` names, logs in with `pin`, and
    /// signs with the certificate chain `chain_pem` (signer first).
    pub fn open(
        module: &Path,
        uri: &Pkcs11Uri,
        pin: &str,
        chain_pem: &[u8],
    ) -> Result<Self, SignerError> {
        let certs = chain_ders(chain_pem)?;
        let alg = algorithm_of(&certs[0])?;
        let want_type = match alg {
            SigningAlg::Ed25519 => KeyType::EC_EDWARDS,
            SigningAlg::Es256 | SigningAlg::Es384 | SigningAlg::Es512 => KeyType::EC,
            SigningAlg::Ps256 | SigningAlg::Ps384 | SigningAlg::Ps512 => KeyType::RSA,
        };
        if !module.exists() {
            return Err(SignerError::Pkcs11(format!(
                "module {} not found (set --pkcs11-module, PROVENANT_PKCS11_MODULE or pkcs11_module in the config)",
                module.display()
            )));
        }
        let context = Pkcs11::new(module).map_err(|e| {
            SignerError::Pkcs11(format!("cannot load module {}: {e}", module.display()))
        })?;
        context
            .initialize(CInitializeArgs::OsThreads)
            .map_err(ck("cannot initialise the module"))?;
        let slot = find_token(&context, uri)?;
        let session = context
            .open_ro_session(slot)
            .map_err(ck("cannot open a session"))?;
        session
            .login(UserType::User, Some(&AuthPin::from(pin.to_owned())))
            .map_err(|e| match e {
                CkError::Pkcs11(RvError::PinIncorrect, _) => {
                    SignerError::Pkcs11("wrong PIN for the token".into())
                }
                CkError::Pkcs11(RvError::PinLocked, _) => {
                    SignerError::Pkcs11("the token's PIN is locked".into())
                }
                e => SignerError::Pkcs11(format!("cannot log in: {e}")),
            })?;
        let key = find_key(&session, uri, want_type)?;
        let key = TokenKey {
            session: Mutex::new(session),
            key,
            _context: context,
        };
        Ok(Self::from_parts(key, alg, certs))
    }
}

impl RemoteKey for TokenKey {
    fn sign_raw(&self, alg: SigningAlg, data: &[u8]) -> Result<Vec<u8>, SignerError> {
        let (mechanism, input): (Mechanism, Vec<u8>) = match alg {
            SigningAlg::Ed25519 => (
                Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)),
                data.to_vec(),
            ),
            SigningAlg::Es384 => (Mechanism::Ecdsa, sha2::Sha384::digest(data).to_vec()),
            SigningAlg::Es512 => (Mechanism::Ecdsa, sha2::Sha512::digest(data).to_vec()),
            // The token hashes: it is given the bytes themselves.
            SigningAlg::Ps256 => (
                Mechanism::Sha256RsaPkcsPss(pss(
                    MechanismType::SHA256,
                    PkcsMgfType::MGF1_SHA256,
                    32,
                )),
                data.to_vec(),
            ),
            SigningAlg::Ps384 => (
                Mechanism::Sha384RsaPkcsPss(pss(
                    MechanismType::SHA384,
                    PkcsMgfType::MGF1_SHA384,
                    48,
                )),
                data.to_vec(),
            ),
            SigningAlg::Ps512 => (
                Mechanism::Sha512RsaPkcsPss(pss(
                    MechanismType::SHA512,
                    PkcsMgfType::MGF1_SHA512,
                    64,
                )),
                data.to_vec(),
            ),
            SigningAlg::Es256 => (Mechanism::Ecdsa, sha2::Sha256::digest(data).to_vec()),
        };
        let session = self
            .session
            .lock()
            .map_err(|_| SignerError::Pkcs11("the session is poisoned".into()))?;
        session
            .sign(&mechanism, self.key, &input)
            .map_err(ck("the token refused to sign"))
    }
}

/// RSASSA-PSS as COSE's PS256/384/512 want it: MGF1 with the message's hash, and a salt
/// as long as that hash.
fn pss(hash_alg: MechanismType, mgf: PkcsMgfType, salt: u8) -> PkcsPssParams {
    PkcsPssParams {
        hash_alg,
        mgf,
        s_len: Ulong::from(std::os::raw::c_ulong::from(salt)),
    }
}

fn find_token(context: &Pkcs11, uri: &Pkcs11Uri) -> Result<Slot, SignerError> {
    let slots = context
        .get_slots_with_token()
        .map_err(ck("cannot list the slots"))?;
    let mut seen = Vec::new();
    let mut matching = Vec::new();
    for slot in slots {
        let info = context
            .get_token_info(slot)
            .map_err(ck("cannot read a token's information"))?;
        let label = info.label().trim_end().to_owned();
        let same = |want: &Option<String>, have: &str| {
            want.as_deref().is_none_or(|w| w == have.trim_end())
        };
        if same(&uri.token, &label)
            && same(&uri.serial, info.serial_number())
            && same(&uri.manufacturer, info.manufacturer_id())
            && same(&uri.model, info.model())
            && uri.slot_id.is_none_or(|id| id == slot.id())
        {
            matching.push(slot);
        }
        seen.push(label);
    }
    match matching.as_slice() {
        [slot] => Ok(*slot),
        [] => Err(SignerError::Pkcs11(format!(
            "no token matches the URI (tokens present: {})",
            if seen.is_empty() {
                "none".into()
            } else {
                seen.join(", ")
            }
        ))),
        _ => Err(SignerError::Pkcs11(format!(
            "{} tokens match the URI: add token= or serial= to choose one",
            matching.len()
        ))),
    }
}

fn find_key(
    session: &Session,
    uri: &Pkcs11Uri,
    want: KeyType,
) -> Result<ObjectHandle, SignerError> {
    let mut template = vec![Attribute::Class(ObjectClass::PRIVATE_KEY)];
    template.extend(
        uri.object
            .as_ref()
            .map(|o| Attribute::Label(o.as_bytes().to_vec())),
    );
    template.extend(uri.id.clone().map(Attribute::Id));
    let found = session
        .find_objects(&template)
        .map_err(ck("cannot search the token"))?;
    let key = match found.as_slice() {
        [key] => *key,
        [] => {
            return Err(SignerError::Pkcs11(format!(
                "no private key {} on the token",
                uri.key_name()
            )))
        }
        _ => {
            return Err(SignerError::Pkcs11(format!(
                "{} private keys {} on the token: add id= to choose one",
                found.len(),
                uri.key_name()
            )))
        }
    };
    let attrs = session
        .get_attributes(key, &[AttributeType::KeyType])
        .map_err(ck("cannot read the key's type"))?;
    match attrs.first() {
        Some(Attribute::KeyType(t)) if *t == want => Ok(key),
        Some(Attribute::KeyType(t)) => Err(SignerError::Pkcs11(format!(
            "the key {} is of type {t}, but the certificate is for a {want} key",
            uri.key_name()
        ))),
        _ => Err(SignerError::Pkcs11(
            "the token does not say the key's type".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_parse() {
        let u =
            Pkcs11Uri::parse("pkcs11:token=my%20token;object=signer;id=%01%02?module-path=/m.so");
        let want = Pkcs11Uri {
            token: Some("my token".into()),
            object: Some("signer".into()),
            id: Some(vec![1, 2]),
            module_path: Some("/m.so".into()),
            ..Default::default()
        };
        assert_eq!(u.map_err(|e| e.to_string()), Ok(want));
    }

    #[test]
    fn pins_and_bad_uris_are_refused() {
        for (uri, says) in [
            (
                "pkcs11:token=t;object=k?pin-value=1234",
                "never goes in the URI",
            ),
            ("pkcs11:token=t", "object=LABEL or id=ID"),
            ("pkcs11:object=k;colour=red", "unknown attribute"),
            ("pkcs11:object=%zz", "percent escape"),
            ("keys/", "does not start"),
        ] {
            let e = Pkcs11Uri::parse(uri).map(|_| ()).map_err(|e| e.to_string());
            assert!(matches!(&e, Err(m) if m.contains(says)), "{uri}: {e:?}");
        }
    }
}
