//! CAWG identity assertions: a named person (a photographer, an editor) signs alongside
//! the newsroom. The manifest's claim is still signed by the newsroom's signer; each
//! identity assertion (`cawg.identity`, CAWG Identity Assertion 1.1, X.509 credentials)
//! is signed by the person's own certificate and key over the assertions it names: the
//! hard binding always, and the actions, the photo metadata and the do-not-train statement
//! when the manifest has them.

use std::path::Path;
use std::sync::Arc;

use c2pa::dynamic_assertion::DynamicAssertion;
use c2pa::identity::builder::IdentityAssertionBuilder;
use c2pa::identity::x509::X509CredentialHolder;

use super::signer::{algorithm_of, Signer, SignerError, SigningAlg};

/// Label of a CAWG identity assertion.
pub const IDENTITY_ASSERTION: &str = "cawg.identity";

/// The assertions an identity assertion signs over, when the manifest has them (the hard
/// binding is always included).
const REFERENCED: [&str; 5] = [
    "c2pa.actions",
    "c2pa.actions.v2",
    super::metadata::METADATA_ASSERTION,
    super::metadata::TRAINING_MINING_ASSERTION,
    "c2pa.soft-binding",
];

/// One person's X.509 credentials, ready to sign an identity assertion.
#[derive(Clone)]
pub struct Identity {
    builder: Arc<IdentityAssertionBuilder>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").finish_non_exhaustive()
    }
}

impl Identity {
    /// From a PEM certificate chain (the person's certificate first) and its PKCS#8 PEM
    /// private key; `roles` are the CAWG named-actor roles (e.g. `cawg.creator`).
    pub fn from_pem(
        chain_pem: &[u8],
        key_pem: &[u8],
        key_name: &Path,
        roles: &[&str],
    ) -> Result<Self, SignerError> {
        if !std::str::from_utf8(key_pem).is_ok_and(|t| t.contains("-----BEGIN PRIVATE KEY-----")) {
            return Err(SignerError::BadKey(key_name.into()));
        }
        let certs = super::signer::chain_ders(chain_pem)?;
        let alg: SigningAlg = algorithm_of(&certs[0])?;
        let raw = c2pa::crypto::raw_signature::signer_from_cert_chain_and_private_key(
            chain_pem, key_pem, alg, None,
        )
        .map_err(|e| SignerError::C2pa(Box::new(c2pa::Error::from(e))))?;
        let mut builder = IdentityAssertionBuilder::for_credential_holder(
            X509CredentialHolder::from_raw_signer(raw),
        );
        builder.add_referenced_assertions(&REFERENCED);
        builder.add_roles(roles);
        Ok(Self {
            builder: Arc::new(builder),
        })
    }

    /// From a directory made by `provenant keygen` (`chain.pem` + `signer.key`) or a key
    /// file with its chain.
    pub fn from_files(chain: &Path, key: &Path, roles: &[&str]) -> Result<Self, SignerError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| SignerError::Read {
                path: path.to_owned(),
                source,
            })
        };
        Self::from_pem(&read(chain)?, &read(key)?, key, roles)
    }
}

/// The claim signer with identity assertions added to every manifest it signs.
pub struct WithIdentities<'a> {
    claim: &'a dyn Signer,
    identities: Vec<Identity>,
}

impl std::fmt::Debug for WithIdentities<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithIdentities")
            .field("identities", &self.identities.len())
            .finish_non_exhaustive()
    }
}

impl<'a> WithIdentities<'a> {
    /// `claim` signs the claim; each of `identities` adds its identity assertion.
    pub fn new(claim: &'a dyn Signer, identities: Vec<Identity>) -> Self {
        Self { claim, identities }
    }
}

impl Signer for WithIdentities<'_> {
    fn sign(&self, data: &[u8]) -> c2pa::Result<Vec<u8>> {
        self.claim.sign(data)
    }

    fn alg(&self) -> SigningAlg {
        self.claim.alg()
    }

    fn certs(&self) -> c2pa::Result<Vec<Vec<u8>>> {
        self.claim.certs()
    }

    fn reserve_size(&self) -> usize {
        self.claim.reserve_size()
    }

    fn time_authority_url(&self) -> Option<String> {
        self.claim.time_authority_url()
    }

    fn timestamp_request_headers(&self) -> Option<Vec<(String, String)>> {
        self.claim.timestamp_request_headers()
    }

    fn timestamp_request_body(&self, message: &[u8]) -> c2pa::Result<Vec<u8>> {
        self.claim.timestamp_request_body(message)
    }

    fn send_timestamp_request(&self, message: &[u8]) -> Option<c2pa::Result<Vec<u8>>> {
        self.claim.send_timestamp_request(message)
    }

    fn ocsp_val(&self) -> Option<Vec<u8>> {
        self.claim.ocsp_val()
    }

    fn dynamic_assertions(&self) -> Vec<Box<dyn DynamicAssertion>> {
        let mut all = self.claim.dynamic_assertions();
        all.extend(
            self.identities
                .iter()
                .map(|i| Box::new(Arc::clone(&i.builder)) as Box<dyn DynamicAssertion>),
        );
        all
    }
}
