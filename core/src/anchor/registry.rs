//! The registry contract: bindings from the committed artifact, administration
//! (deploy, publishers, keys), views, the confirmation of proof bundles, and the
//! contract's refusals in words.

use std::time::Duration;

use super::{Address, PrivateKeySigner, U256};
use alloy::eips::BlockId;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Bytes, FixedBytes, B256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::SignerSync;
use alloy::sol_types::SolCall;
use alloy::sol_types::SolStruct;

use crate::chronology::proof::ProofBundle;
use crate::credentials::report::Report;

use super::check::Confirmation;
use super::contract::*;
use super::network::*;

/// How long a key's acceptance of a publisher stays valid (seconds).
const ACCEPTANCE_SECONDS: u64 = 3600;

alloy::sol! {
    /// A key's consent to anchor for `publisher` (EIP-712, see the contract's `authorizeKey`).
    struct AcceptPublisher {
        address publisher;
        uint256 deadline;
    }
}

/// `key`'s EIP-712 acceptance of `publisher` in `registry` on `chain_id`: 65 bytes
/// r ‖ s ‖ v (v 27 or 28, low s). The digest is computed here, never asked of the
/// registry, so a contract at the given address cannot get the key to sign anything else.
pub fn accept_publisher(
    key: &PrivateKeySigner,
    chain_id: u64,
    registry: Address,
    publisher: Address,
    deadline: U256,
) -> Result<[u8; 65], AnchorError> {
    let domain = alloy::sol_types::eip712_domain! {
        name: "ProvenantRegistry",
        version: "1",
        chain_id: chain_id,
        verifying_contract: registry,
    };
    let digest = AcceptPublisher {
        publisher,
        deadline,
    }
    .eip712_signing_hash(&domain);
    let signature = key
        .sign_hash_sync(&digest)
        .map_err(|e| AnchorError::Config(format!("cannot sign the key's acceptance: {e}")))?;
    Ok(signature.as_bytes())
}

impl Network {
    /// Deploys the registry (the committed artifact); returns its address and block.
    pub fn deploy(&self, signer: &PrivateKeySigner) -> Result<(Address, u64), AnchorError> {
        let provider = self.wallet_provider(signer);
        self.rt.block_on(async {
            let tx =
                TransactionRequest::default().with_deploy_code(ProvenantRegistry::BYTECODE.clone());
            let receipt = provider
                .send_transaction(tx)
                .await
                .map_err(|e| AnchorError::Refused(error_message(&e)))?
                .with_timeout(Some(Duration::from_secs(120)))
                .get_receipt()
                .await
                .map_err(|e| AnchorError::Refused(e.to_string()))?;
            let address = receipt
                .contract_address
                .ok_or_else(|| AnchorError::Refused("deployment created no contract".into()))?;
            Ok((address, receipt.block_number.unwrap_or_default()))
        })
    }

    /// Fails unless a contract is deployed at `registry`.
    pub fn check_registry(&self, registry: Address) -> Result<(), AnchorError> {
        let code = self.run(
            "eth_getCode",
            |p| async move { p.get_code_at(registry).await },
        )?;
        if code.is_empty() {
            return Err(AnchorError::NoContract(registry));
        }
        Ok(())
    }

    /// Registers the signer as a publisher with a display name and chronology endpoint URL (may be empty); returns the transaction hash.
    pub fn register_publisher(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        name: &str,
        endpoint: &str,
    ) -> Result<B256, AnchorError> {
        let call = ProvenantRegistry::registerPublisherCall {
            name: name.to_owned(),
            endpoint: endpoint.to_owned(),
        };
        self.transact(signer, registry, call.abi_encode())
    }

    /// Authorises `key` to anchor for the signer's publisher (a key is never reused), with
    /// the key's own acceptance (its proof of possession, valid for an hour); returns the
    /// transaction hash.
    pub fn authorize_key(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        key: &PrivateKeySigner,
    ) -> Result<B256, AnchorError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let deadline = U256::from(now + ACCEPTANCE_SECONDS);
        let signature = accept_publisher(key, self.chain_id, registry, signer.address(), deadline)?;
        let call = ProvenantRegistry::authorizeKeyCall {
            key: key.address(),
            deadline,
            signature: Bytes::copy_from_slice(&signature),
        };
        self.transact(signer, registry, call.abi_encode())
    }

    /// The publisher `key` anchors for, with its registered name; `None` if the key was
    /// never authorised in `registry`.
    pub fn key_publisher(
        &self,
        registry: Address,
        key: Address,
    ) -> Result<Option<(Address, String)>, AnchorError> {
        let info = self.view(registry, ProvenantRegistry::keyInfoCall { key })?;
        if info.publisher == Address::ZERO {
            return Ok(None);
        }
        let p = self.view(
            registry,
            ProvenantRegistry::publisherOfCall {
                admin: info.publisher,
            },
        )?;
        Ok(Some((info.publisher, p.name)))
    }

    /// Revokes `key`: anchors it made at or after `compromised_since` (Unix seconds) are distrusted; returns the transaction hash.
    pub fn revoke_key(
        &self,
        signer: &PrivateKeySigner,
        registry: Address,
        key: Address,
        compromised_since: u64,
    ) -> Result<B256, AnchorError> {
        let compromised_since = alloy::primitives::Uint::<48, 1>::try_from(compromised_since)
            .map_err(|_| AnchorError::Config("the compromise time is out of range".into()))?;
        let call = ProvenantRegistry::revokeKeyCall {
            key,
            compromisedSince: compromised_since,
        };
        self.transact(signer, registry, call.abi_encode())
    }

    /// `anchorOf(publisher, root)` as of block `at`: (anchored, key, publisher, time,
    /// block, leafCount, keyTrusted).
    pub fn anchor_of(
        &self,
        registry: Address,
        publisher: Address,
        root: B256,
        at: BlockId,
    ) -> Result<ProvenantRegistry::anchorOfReturn, AnchorError> {
        let call = ProvenantRegistry::anchorOfCall {
            publisher_: publisher,
            root,
        };
        self.view_at(registry, call, at)
    }

    pub(super) fn view<C: SolCall + Clone>(
        &self,
        registry: Address,
        call: C,
    ) -> Result<C::Return, AnchorError> {
        self.view_at(registry, call, BlockId::latest())
    }

    /// A registry view as of block `at` (`finalized` answers "is it final?" in one call).
    pub(super) fn view_at<C: SolCall + Clone>(
        &self,
        registry: Address,
        call: C,
        at: BlockId,
    ) -> Result<C::Return, AnchorError> {
        let data = Bytes::from(call.abi_encode());
        let raw = self.run("eth_call", |p| {
            let tx = TransactionRequest::default()
                .with_to(registry)
                .with_input(data.clone());
            async move { p.call(tx).block(at).await }
        })?;
        if raw.is_empty() {
            return Err(AnchorError::NoContract(registry));
        }
        C::abi_decode_returns(&raw).map_err(|e| AnchorError::Rpc {
            url: self.url.to_string(),
            what: "eth_call",
            message: format!("unexpected answer: {e}"),
        })
    }

    /// Asks the bundle's registry, in one `eth_call`, whether the bundle's leaf is in an
    /// anchored root. `None`: not confirmed (unknown root, leaf not in it, or no
    /// registry at that address on this chain).
    ///
    /// Asked as of `latest` (key revocations count at once) and as of `finalized`
    /// (whether the anchor is final).
    pub fn confirm(&self, bundle: &ProofBundle) -> Result<Option<Confirmation>, AnchorError> {
        let call = ProvenantRegistry::verifyLeafCall {
            publisher_: addr(bundle.publisher),
            leafData: Bytes::copy_from_slice(&bundle.leaf.encode()),
            index: bundle.index,
            leafCount: bundle.leaf_count,
            siblings: bundle.siblings.iter().map(|s| FixedBytes(*s)).collect(),
            root: FixedBytes(bundle.root),
        };
        let registry = addr(bundle.registry);
        // Latest state first: a revocation counts from the moment it is mined.
        let latest = match self.view_at(registry, call.clone(), BlockId::latest()) {
            Ok(found) if found.included => found,
            Ok(_) | Err(AnchorError::NoContract(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let finalized = match self.view_at(registry, call, BlockId::finalized()) {
            Ok(found) => found.included && found.blockNumber == latest.blockNumber,
            Err(AnchorError::NoContract(_)) => false,
            Err(e) => return Err(e),
        };
        Ok(Some(Confirmation {
            time: latest.time,
            block_number: latest.blockNumber,
            publisher: latest.publisher.into(),
            key: latest.key.into(),
            key_trusted: latest.keyTrusted,
            finalized,
        }))
    }

    /// Checks every step anchor of `report` that names this chain: the registry must
    /// confirm the leaf under an anchored root (one `eth_call` per step).
    ///
    /// Only registries in `trusted` are asked: a proof naming any other contract is
    /// refused (`anchor.unknownRegistry`), since anyone can deploy a contract that
    /// answers "included" to everything.
    pub fn check_report(
        &self,
        report: &mut Report,
        trusted: &[Address],
    ) -> Result<(), AnchorError> {
        let trusted: Vec<[u8; 20]> = trusted.iter().map(|a| (*a).into()).collect();
        for (i, bundle) in crate::anchor::check::pending_checks(report, self.chain_id, &trusted) {
            let found = self.confirm(&bundle)?;
            let registered = match &found {
                Some(f) => self
                    .view(
                        addr(bundle.registry),
                        ProvenantRegistry::publisherOfCall {
                            admin: addr(f.publisher),
                        },
                    )
                    .ok()
                    .filter(|p| p.registered),
                None => None,
            };
            let namesakes = registered.as_ref().map_or(0, |p| p.namesakes);
            crate::anchor::check::apply(report, i, found, registered.map(|p| p.name));
            crate::anchor::check::note_namesakes(report, i, namesakes);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anchor::check::{
        decode_publisher_name, decode_publisher_namesakes, decode_verify_leaf,
        publisher_of_calldata, verify_leaf_calldata, PUBLISHER_OF_SELECTOR, VERIFY_LEAF_SELECTOR,
    };
    use crate::chronology::proof::LeafData;
    use alloy::sol_types::SolValue;

    pub(super) fn bundle(siblings: usize) -> ProofBundle {
        ProofBundle {
            chain_id: 137,
            registry: [1; 20],
            publisher: [2; 20],
            root: [3; 32],
            leaf: LeafData {
                content_sha256: [4; 32],
                manifest_id: [5; 32],
                phash: 0x0123_4567_89ab_cdef,
                logged_at: 1_800_000_000,
            },
            index: 5,
            leaf_count: 1_000_000,
            siblings: (0..siblings).map(|i| [i as u8; 32]).collect(),
            tx_hash: [6; 32],
            block_number: 9,
        }
    }

    /// The hand-written ABI code the browser uses agrees with alloy's.
    #[test]
    pub(super) fn hand_encoding_matches_alloy() {
        assert_eq!(
            VERIFY_LEAF_SELECTOR,
            ProvenantRegistry::verifyLeafCall::SELECTOR
        );
        assert_eq!(
            PUBLISHER_OF_SELECTOR,
            ProvenantRegistry::publisherOfCall::SELECTOR
        );
        for n in [0, 1, 7, 20] {
            let b = bundle(n);
            let call = ProvenantRegistry::verifyLeafCall {
                publisher_: addr(b.publisher),
                leafData: Bytes::copy_from_slice(&b.leaf.encode()),
                index: b.index,
                leafCount: b.leaf_count,
                siblings: b.siblings.iter().map(|s| FixedBytes(*s)).collect(),
                root: FixedBytes(b.root),
            };
            assert_eq!(verify_leaf_calldata(&b), call.abi_encode(), "{n} siblings");
        }
        assert_eq!(
            publisher_of_calldata(&[7; 20]),
            ProvenantRegistry::publisherOfCall {
                admin: addr([7; 20])
            }
            .abi_encode()
        );
        let ret = (
            true,
            1_800_000_123u64,
            42u64,
            addr([8; 20]),
            addr([9; 20]),
            false,
        )
            .abi_encode_params();
        let c = decode_verify_leaf(&ret).unwrap().unwrap();
        assert_eq!(
            (c.time, c.block_number, c.publisher, c.key, c.key_trusted),
            (1_800_000_123, 42, [8; 20], [9; 20], false)
        );
        let named = (
            "Daily Planet".to_owned(),
            "https://x".to_owned(),
            true,
            2u32,
        )
            .abi_encode_params();
        assert_eq!(
            decode_publisher_name(&named).as_deref(),
            Some("Daily Planet")
        );
        assert_eq!(decode_publisher_namesakes(&named), Some(2));
        let unregistered = (String::new(), String::new(), false, 0u32).abi_encode_params();
        assert_eq!(decode_publisher_name(&unregistered), None);
        assert_eq!(decode_publisher_namesakes(&unregistered), Some(0));
    }
}
