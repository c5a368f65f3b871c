//! Trust: the root certificates a verifier accepts as vouching for signers and
//! time-stamp authorities, the end-entity certificates it accepts as themselves (the
//! reference tool's "allowed list"), and which of them vouches for a given signer.

use std::fmt;

use c2pa::crypto::cose::CertificateTrustPolicy;
use serde::{Deserialize, Serialize};

use crate::credentials::report::VouchedBy;

/// The official C2PA trust list (signers' CAs), built in: see `core/trust/README.md`.
pub const C2PA_TRUST_LIST: &str = include_str!("../../trust/C2PA-TRUST-LIST.pem");
/// The C2PA time-stamp authority trust list, built in.
pub const C2PA_TSA_TRUST_LIST: &str = include_str!("../../trust/C2PA-TSA-TRUST-LIST.pem");
/// When the built-in lists were taken (the upstream commit date).
pub const C2PA_TRUST_LIST_DATE: &str = "2026-08-13";
/// The upstream commit the built-in lists were read at (c2pa-org/conformance-public).
pub const C2PA_TRUST_LIST_COMMIT: &str = "7dbff513b66e36184619286fe734beea32f2e6db";

/// Everything a verifier trusts, by where it came from.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustAnchors {
    /// Every anchor (yours, the lists', the TSAs'): what the C2PA validator is given.
    pem: String,
    count: usize,
    sources: Vec<String>,
    /// Your own anchors (`--trust`).
    yours: String,
    /// The C2PA trust list's anchors.
    list: String,
    /// End-entity certificates trusted as themselves (`--allowed`).
    allowed: String,
    allowed_count: usize,
    /// Allowed extended key usages, one OID per line (`--trust-config`); default: the SDK's.
    trust_config: Option<String>,
    /// Roots vouching for the people who sign CAWG identity assertions (`--identity-trust`).
    #[serde(default)]
    identity: String,
    #[serde(default)]
    identity_count: usize,
}

/// A trust-anchor file that holds no certificate.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{source_name}: no PEM certificate found (expected \"-----BEGIN CERTIFICATE-----\")")]
pub struct NoCertificate {
    /// Name of the file (or other source) the PEM came from.
    pub source_name: String,
}

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

fn append(to: &mut String, blocks: &[&str]) {
    for block in blocks {
        to.push_str(block);
        to.push('\n');
    }
}

impl TrustAnchors {
    /// No anchors: every signer is untrusted, so the best verdict is `valid`.
    pub fn none() -> Self {
        Self::default()
    }

    /// The built-in C2PA trust list and C2PA TSA trust list, and nothing else.
    pub fn c2pa_trust_list() -> Self {
        let mut t = Self::none();
        // The built-in PEM files hold certificates (checked by a unit test).
        let _ = t.add_trust_list("C2PA trust list (built in)", C2PA_TRUST_LIST);
        let _ = t.add_tsa_anchors("C2PA TSA trust list (built in)", C2PA_TSA_TRUST_LIST);
        t
    }

    fn add_blocks(&mut self, source_name: &str, pem: &str) -> Result<Vec<String>, NoCertificate> {
        let blocks = certificate_blocks(pem);
        if blocks.is_empty() {
            return Err(NoCertificate {
                source_name: source_name.to_owned(),
            });
        }
        append(&mut self.pem, &blocks);
        self.count += blocks.len();
        self.sources.push(source_name.to_owned());
        Ok(blocks.into_iter().map(str::to_owned).collect())
    }

    /// Adds your own anchors: every certificate of a PEM text; `source_name` names it in
    /// messages. Anything outside BEGIN/END CERTIFICATE blocks (comments, keys) is ignored.
    pub fn add_pem(&mut self, source_name: &str, pem: &str) -> Result<usize, NoCertificate> {
        let blocks = self.add_blocks(source_name, pem)?;
        append(
            &mut self.yours,
            &blocks.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        Ok(blocks.len())
    }

    /// Builder form of [`TrustAnchors::add_pem`].
    pub fn with_pem(mut self, source_name: &str, pem: &str) -> Result<Self, NoCertificate> {
        self.add_pem(source_name, pem)?;
        Ok(self)
    }

    /// Adds the anchors of a trust list (the C2PA trust list or a snapshot of it).
    pub fn add_trust_list(&mut self, source_name: &str, pem: &str) -> Result<usize, NoCertificate> {
        let blocks = self.add_blocks(source_name, pem)?;
        append(
            &mut self.list,
            &blocks.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        Ok(blocks.len())
    }

    /// Adds anchors for time-stamp authorities. The C2PA validator has one set of
    /// anchors for signers and TSAs alike, so they join it; a TSA's anchor vouches for a
    /// signer only if it issued that signer a certificate with a signing EKU.
    pub fn add_tsa_anchors(
        &mut self,
        source_name: &str,
        pem: &str,
    ) -> Result<usize, NoCertificate> {
        Ok(self.add_blocks(source_name, pem)?.len())
    }

    /// Adds end-entity certificates trusted as themselves (the allowed list).
    pub fn add_allowed(&mut self, source_name: &str, pem: &str) -> Result<usize, NoCertificate> {
        let blocks = certificate_blocks(pem);
        if blocks.is_empty() {
            return Err(NoCertificate {
                source_name: source_name.to_owned(),
            });
        }
        append(&mut self.allowed, &blocks);
        self.allowed_count += blocks.len();
        self.sources.push(format!("{source_name} (allowed list)"));
        Ok(blocks.len())
    }

    /// Adds roots for the X.509 credentials of CAWG identity assertions (the people who
    /// sign alongside a signer). They vouch for identities only, never for a claim signer.
    pub fn add_identity_anchors(
        &mut self,
        source_name: &str,
        pem: &str,
    ) -> Result<usize, NoCertificate> {
        let blocks = certificate_blocks(pem);
        if blocks.is_empty() {
            return Err(NoCertificate {
                source_name: source_name.to_owned(),
            });
        }
        append(&mut self.identity, &blocks);
        self.identity_count += blocks.len();
        self.sources
            .push(format!("{source_name} (identity anchors)"));
        Ok(blocks.len())
    }

    /// The CAWG identity anchors (PEM), empty when none.
    pub fn identity_pem(&self) -> &str {
        &self.identity
    }

    /// Number of CAWG identity anchors.
    pub fn identity_len(&self) -> usize {
        self.identity_count
    }

    /// Sets the extended key usages signers may have: one OID per line.
    pub fn set_trust_config(&mut self, oids: &str) {
        self.trust_config = Some(oids.to_owned());
    }

    /// SHA-256 fingerprints of the anchors' DER, in order.
    pub fn fingerprints(&self) -> Vec<[u8; 32]> {
        certificate_ders(self.pem())
            .iter()
            .map(|der| sha256(der))
            .collect()
    }

    /// True when nothing is trusted (no anchor and no allowed certificate).
    pub fn is_empty(&self) -> bool {
        self.count == 0 && self.allowed_count == 0
    }

    /// Number of anchor certificates.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Number of allowed end-entity certificates.
    pub fn allowed_len(&self) -> usize {
        self.allowed_count
    }

    /// The concatenated PEM bundle of every anchor.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// Every anchor once (the first of equal certificates kept, in order): what the C2PA
    /// validator is given. The validator parses every anchor on each trust check, and the
    /// same root often comes both from a file of yours and from the trust list.
    pub fn validator_pem(&self) -> String {
        let mut seen: Vec<Vec<u8>> = Vec::new();
        let mut out = String::with_capacity(self.pem.len());
        for block in certificate_blocks(&self.pem) {
            // A block that does not decode is passed on as it is: the validator judges it.
            if let Some(der) = certificate_ders(block).pop() {
                if seen.contains(&der) {
                    continue;
                }
                seen.push(der);
            }
            append(&mut out, &[block]);
        }
        out
    }

    /// The allowed end-entity certificates (PEM).
    pub fn allowed_pem(&self) -> &str {
        &self.allowed
    }

    /// The allowed EKUs, when set.
    pub fn trust_config(&self) -> Option<&str> {
        self.trust_config.as_deref()
    }

    /// Where the anchors came from (file names, "env", ...).
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// A certificate trust policy over `anchors` (PEM) and, when `allowed`, the allowed list.
    pub(crate) fn policy(&self, anchors: &str, allowed: bool) -> Option<CertificateTrustPolicy> {
        let mut policy = CertificateTrustPolicy::new();
        match &self.trust_config {
            Some(oids) => policy.add_valid_ekus(oids.as_bytes()),
            None => policy.add_default_valid_ekus(),
        }
        let mut any = false;
        if !anchors.is_empty() {
            policy.add_trust_anchors(anchors.as_bytes()).ok()?;
            any = true;
        }
        if allowed && !self.allowed.is_empty() {
            policy
                .add_end_entity_credentials(self.allowed.as_bytes())
                .ok()?;
            any = true;
        }
        any.then_some(policy)
    }

    /// True when every anchor and allowed certificate is a well-formed X.509
    /// certificate and the set parses for the C2PA validator.
    #[cfg(feature = "sign")]
    pub fn parses(&self) -> bool {
        let anchors = certificate_ders(&self.pem);
        let all_x509 = anchors
            .iter()
            .chain(&certificate_ders(&self.allowed))
            .all(|der| {
                x509_parser::parse_x509_certificate(der).is_ok_and(|(rest, _)| rest.is_empty())
            });
        all_x509 && anchors.len() == self.count && self.policy(&self.pem, true).is_some()
    }

    /// The checks that say who vouches for a signer: your anchors first, then the C2PA
    /// trust list, then the allowed list. Parsing the anchors is the costly part: the
    /// last set built is kept and handed out again while the trust stays the same.
    pub fn vouchers(&self) -> std::sync::Arc<Vouchers> {
        use std::sync::{Arc, Mutex};
        // Kept for the next report under the same trust (a batch, a server, a browser
        // session): parsing the anchors costs more than checking a chain.
        static LAST: Mutex<Option<(TrustAnchors, Arc<Vouchers>)>> = Mutex::new(None);
        let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((cached, vouchers)) = last.as_ref() {
            if cached == self {
                return Arc::clone(vouchers);
            }
        }
        let vouchers = Arc::new(Vouchers {
            sets: [
                self.voucher(&self.yours, false, VouchedBy::YourAnchors),
                self.voucher(&self.list, false, VouchedBy::C2paTrustList),
                self.voucher("", true, VouchedBy::AllowedList),
            ],
            every: self.policy(&self.validator_pem(), true),
            names: self.anchor_names(),
        });
        *last = Some((self.clone(), Arc::clone(&vouchers)));
        vouchers
    }

    /// Every anchor the validator is given, by subject name (as the SDK's parser reads it)
    /// and by whom it speaks for, and the allowed list's fingerprints; None when a block of
    /// either could not be decoded (the validator might then know an anchor we do not).
    fn anchor_names(&self) -> Option<AnchorNames> {
        let ders = certificate_ders(&self.pem);
        let allowed = certificate_ders(&self.allowed);
        if ders.len() != certificate_blocks(&self.pem).len()
            || allowed.len() != certificate_blocks(&self.allowed).len()
        {
            return None;
        }
        let yours = certificate_ders(&self.yours);
        let list = certificate_ders(&self.list);
        let anchors = ders
            .iter()
            // An anchor the SDK's parser refuses is dropped by the SDK too.
            .filter_map(|der| {
                let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
                let who = if yours.contains(der) {
                    Some(VouchedBy::YourAnchors)
                } else if list.contains(der) {
                    Some(VouchedBy::C2paTrustList)
                } else {
                    None // a time-stamp authority's anchor only
                };
                Some((cert.subject().as_raw().to_vec(), who))
            })
            .collect();
        Some(AnchorNames {
            anchors,
            allowed: allowed.iter().map(|der| sha256(der)).collect(),
        })
    }

    fn voucher(&self, anchors: &str, allowed: bool, who: VouchedBy) -> Voucher {
        // The anchors' subjects, when every anchor's could be read (else the set is always
        // checked in full).
        let ders = certificate_ders(anchors);
        let subjects: Option<Vec<Vec<u8>>> = (ders.len() == certificate_blocks(anchors).len())
            .then(|| {
                ders.iter()
                    .map(|der| {
                        crate::credentials::cert_names::issuer_and_subject(der)
                            .map(|(_, subject)| subject.to_vec())
                    })
                    .collect()
            })
            .flatten();
        Voucher {
            policy: self.policy(anchors, allowed),
            who,
            // The allowed list vouches for leaves themselves, whoever issued them.
            subjects: if allowed { None } else { subjects },
        }
    }
}

#[derive(Debug)]
struct Voucher {
    policy: Option<CertificateTrustPolicy>,
    who: VouchedBy,
    /// The DER subject names of the set's anchors; None: unknown, always check in full.
    subjects: Option<Vec<Vec<u8>>>,
}

/// The names behind [`Vouchers::vouch_trusted`].
#[derive(Debug)]
struct AnchorNames {
    /// Each anchor's DER subject name and who it speaks for (None: a TSA anchor only).
    anchors: Vec<(Vec<u8>, Option<VouchedBy>)>,
    /// SHA-256 of each allowed end-entity certificate.
    allowed: Vec<[u8; 32]>,
}

fn sha256(der: &[u8]) -> [u8; 32] {
    <sha2::Sha256 as sha2::Digest>::digest(der).into()
}

/// Who vouches for a signer ([`TrustAnchors::vouchers`]).
#[derive(Debug)]
pub struct Vouchers {
    sets: [Voucher; 3],
    every: Option<CertificateTrustPolicy>,
    names: Option<AnchorNames>,
}

impl Vouchers {
    /// Who vouches for a signer whose chain is `leaf` then `rest`; None when nobody does.
    ///
    /// The SDK's check re-verifies every signature of the chain for each set, and pairs a
    /// certificate with an anchor only when the certificate's issuer is the anchor's
    /// subject (the same DER bytes): a set none of whose anchors' subjects is the issuer of
    /// a certificate of the chain cannot vouch, and is not checked.
    pub fn vouch(&self, leaf: &[u8], rest: &[Vec<u8>]) -> Option<VouchedBy> {
        let issuers: Option<Vec<&[u8]>> = std::iter::once(leaf)
            .chain(rest.iter().map(Vec::as_slice))
            .map(|der| crate::credentials::cert_names::issuer_and_subject(der).map(|(i, _)| i))
            .collect();
        self.sets.iter().find_map(|set| {
            let policy = set.policy.as_ref()?;
            if let (Some(subjects), Some(issuers)) = (&set.subjects, &issuers) {
                if !issuers.iter().any(|i| subjects.iter().any(|s| s == i)) {
                    return None;
                }
            }
            policy
                .check_certificate_trust(rest, leaf, None)
                .ok()
                .map(|_| set.who)
        })
    }

    /// Who vouches for a signer whose chain the validator has already found trusted over
    /// [`Vouchers::every`] (a live `signingCredential.trusted` for exactly this chain).
    ///
    /// That answer already means: every certificate of the chain signs the one before it, the
    /// leaf has a signing EKU and, unless the leaf is on the allowed list, some anchor whose
    /// subject is byte for byte the issuer of a certificate of the chain verified that
    /// certificate's signature (the SDK's rule, `check_certificate_trust`). So when every
    /// anchor that *could* have been that one speaks for the same set, that set vouches, and
    /// the chain's signatures need not be verified again. Anything less clear (anchors of
    /// different sets under one name, an allowed leaf that an anchor could also vouch for, a
    /// name nothing explains) goes to the full check, [`Vouchers::vouch`].
    pub fn vouch_trusted(&self, leaf: &[u8], rest: &[Vec<u8>]) -> Option<VouchedBy> {
        match self.settled_by_names(leaf, rest) {
            Some(answer) => answer,
            None => self.vouch(leaf, rest),
        }
    }

    /// The answer of [`Vouchers::vouch_trusted`] from names alone; None: not settled.
    fn settled_by_names(&self, leaf: &[u8], rest: &[Vec<u8>]) -> Option<Option<VouchedBy>> {
        let names = self.names.as_ref()?;
        let mut issuers: Vec<Vec<u8>> = Vec::with_capacity(rest.len() + 1);
        for der in std::iter::once(leaf).chain(rest.iter().map(Vec::as_slice)) {
            // The SDK's own parser, so that the names are the ones it paired.
            let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
            issuers.push(cert.issuer().as_raw().to_vec());
        }
        let mut could = names
            .anchors
            .iter()
            .filter(|(subject, _)| issuers.contains(subject))
            .map(|(_, who)| *who);
        let first = could.next();
        let one_set = could.all(|who| Some(who) == first);
        let allowed = names.allowed.contains(&sha256(leaf));
        match (first, one_set, allowed) {
            // Only an allowed leaf explains the trust.
            (None, _, true) | (Some(None), true, true) => Some(Some(VouchedBy::AllowedList)),
            // Every anchor that could have verified it speaks for one set (or none).
            (Some(who), true, false) => Some(who),
            _ => None,
        }
    }

    /// The policy over every anchor and the allowed list (what the C2PA validator is
    /// given); None when there is none.
    pub(crate) fn every(&self) -> Option<&CertificateTrustPolicy> {
        self.every.as_ref()
    }
}

/// The complete `BEGIN/END CERTIFICATE` blocks of a PEM text, in order.
pub(crate) fn certificate_blocks(pem: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(BEGIN) {
        let Some(end) = rest[start..].find(END) else {
            break;
        };
        let stop = start + end + END.len();
        blocks.push(&rest[start..stop]);
        rest = &rest[stop..];
    }
    blocks
}

/// The DER bodies of the certificate blocks of a PEM text (undecodable ones skipped).
pub(crate) fn certificate_ders(pem: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    certificate_blocks(pem)
        .into_iter()
        .filter_map(|block| {
            let body = &block[BEGIN.len()..block.len() - END.len()];
            let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD.decode(b64).ok()
        })
        .collect()
}

impl fmt::Debug for TrustAnchors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustAnchors")
            .field("certificates", &self.count)
            .field("allowed", &self.allowed_count)
            .field("sources", &self.sources)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Who vouches, through the name pre-check: your anchors; not a root known only as a
    /// TSA anchor; not a list without the root (skipped by name); the allowed list for its
    /// own leaf; nobody for a chain whose leaf signature is broken under a matching name.
    #[test]
    fn who_vouches_for_a_chain() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/c2pa-rs/certs");
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("fixture");
        let chain = certificate_ders(&read("es256.pub"));
        let (leaf, rest) = chain.split_first().expect("a chain");
        let roots = read("test_cert_root_bundle.pem");
        let yours = TrustAnchors::none().with_pem("roots", &roots).unwrap();
        assert_eq!(
            yours.vouchers().vouch(leaf, rest),
            Some(VouchedBy::YourAnchors)
        );
        let mut tsa = TrustAnchors::none();
        tsa.add_tsa_anchors("tsa", &roots).unwrap();
        assert_eq!(tsa.vouchers().vouch(leaf, rest), None);
        let list = TrustAnchors::c2pa_trust_list();
        assert_eq!(list.vouchers().vouch(leaf, rest), None);
        let mut allowed = TrustAnchors::none();
        allowed.add_allowed("allowed", &read("es256.pub")).unwrap();
        assert_eq!(
            allowed.vouchers().vouch(leaf, rest),
            Some(VouchedBy::AllowedList)
        );
        let mut broken = leaf.clone();
        let last = broken.len() - 3;
        broken[last] ^= 0x01;
        assert_eq!(yours.vouchers().vouch(&broken, rest), None);
        // Same answers as the SDK's check over the same anchors, pre-check or not.
        let policy = yours.policy(&roots, false).unwrap();
        assert!(policy.check_certificate_trust(rest, leaf, None).is_ok());
        assert!(policy.check_certificate_trust(rest, &broken, None).is_err());
    }

    /// Names settle who vouches exactly as the full check does, on every trust shape where
    /// the validator trusts the chain, and without the full check where they can.
    #[test]
    fn names_settle_who_vouches_as_the_full_check_does() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/c2pa-rs/certs");
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("fixture");
        let roots = read("test_cert_root_bundle.pem");
        let with = |f: &dyn Fn(&mut TrustAnchors)| {
            let mut t = TrustAnchors::none();
            f(&mut t);
            t
        };
        for chain_file in ["es256.pub", "ed25519.pub"] {
            let chain = certificate_ders(&read(chain_file));
            let (leaf, rest) = chain.split_first().expect("a chain");
            let shapes: [(TrustAnchors, bool); 7] = [
                (with(&|t| drop(t.add_pem("r", &roots))), true),
                (with(&|t| drop(t.add_trust_list("r", &roots))), true),
                (with(&|t| drop(t.add_tsa_anchors("r", &roots))), true),
                (with(&|t| drop(t.add_allowed("a", &read(chain_file)))), true),
                (
                    with(&|t| {
                        t.add_tsa_anchors("r", &roots).unwrap();
                        t.add_allowed("a", &read(chain_file)).unwrap();
                    }),
                    true,
                ),
                (
                    with(&|t| {
                        t.add_pem("r", &roots).unwrap();
                        t.add_trust_list("r", &roots).unwrap();
                    }),
                    true,
                ),
                // An allowed leaf that your anchors could also vouch for: the full check.
                (
                    with(&|t| {
                        t.add_pem("r", &roots).unwrap();
                        t.add_allowed("a", &read(chain_file)).unwrap();
                    }),
                    false,
                ),
            ];
            for (i, (trust, settled)) in shapes.iter().enumerate() {
                let v = trust.vouchers();
                let every = v.every().expect("a policy");
                assert!(every.check_certificate_trust(rest, leaf, None).is_ok());
                assert_eq!(
                    v.vouch_trusted(leaf, rest),
                    v.vouch(leaf, rest),
                    "{chain_file} shape {i}"
                );
                assert_eq!(
                    v.settled_by_names(leaf, rest).is_some(),
                    *settled,
                    "{chain_file} shape {i}"
                );
            }
        }
    }

    /// Two roots with one name: a signer issued under the time-stamp authority's root is
    /// trusted by the validator, and your root of the same name must not be credited.
    #[cfg(feature = "sign")]
    #[test]
    fn a_name_shared_by_two_sets_goes_to_the_full_check() {
        use crate::credentials::keys::{generate, KeygenOptions};
        let opts = KeygenOptions {
            org: "Same Name".into(),
            ..KeygenOptions::default()
        };
        let tsa_side = generate(&opts).unwrap();
        let your_side = generate(&opts).unwrap();
        let mut trust = TrustAnchors::none();
        trust.add_pem("yours", &your_side.root_cert).unwrap();
        trust.add_tsa_anchors("tsa", &tsa_side.root_cert).unwrap();
        let chain = certificate_ders(&tsa_side.chain);
        let (leaf, rest) = chain.split_first().unwrap();
        let v = trust.vouchers();
        assert!(v
            .every()
            .unwrap()
            .check_certificate_trust(rest, leaf, None)
            .is_ok());
        assert_eq!(v.settled_by_names(leaf, rest), None);
        assert_eq!(v.vouch_trusted(leaf, rest), None);
        // And your own chain under that name is yours.
        let chain = certificate_ders(&your_side.chain);
        let (leaf, rest) = chain.split_first().unwrap();
        assert_eq!(v.vouch_trusted(leaf, rest), Some(VouchedBy::YourAnchors));
    }

    #[test]
    fn counts_blocks_and_rejects_empty() {
        let pem = format!("junk\n{BEGIN}\nAAAA\n{END}\nmore\n{BEGIN}\nBBBB\n{END}\n");
        let mut t = TrustAnchors::none();
        assert_eq!(t.add_pem("a.pem", &pem), Ok(2));
        assert_eq!(t.len(), 2);
        assert!(!t.pem().contains("junk"));
        assert!(t.add_pem("b.pem", "not a cert").is_err());
        assert_eq!(t.sources(), ["a.pem"]);
    }

    #[test]
    fn the_built_in_lists_hold_certificates() {
        assert_eq!(certificate_ders(C2PA_TRUST_LIST).len(), 30);
        assert_eq!(certificate_ders(C2PA_TSA_TRUST_LIST).len(), 22);
        let t = TrustAnchors::c2pa_trust_list();
        assert_eq!(t.len(), 52);
        assert!(
            t.policy(&t.list, false).is_some(),
            "the list parses as anchors"
        );
        // The same roots again from a file of yours: given to the validator once.
        let mut twice = t.clone();
        twice.add_pem("copy of the list", C2PA_TRUST_LIST).unwrap();
        assert_eq!(twice.len(), 82);
        assert_eq!(twice.validator_pem(), t.validator_pem());
        // 16 roots are on both built-in lists (signers' and TSAs').
        assert_eq!(certificate_ders(&t.validator_pem()).len(), 36);
    }
}
