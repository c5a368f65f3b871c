//! Anchoring the chronology log: one pass over every unfinished batch, and passes until
//! everything is final.
//!
//! The chronology [`Log`] is the source of truth: every step (transaction signed and
//! recorded → sent → mined → finalized) is committed to the log before the next one,
//! and before any submission the registry is asked whether the root is already there.
//! So a crash at any point resumes cleanly, and a root is never anchored twice (the
//! contract refuses duplicates as a last line). "Anchored" means the block is
//! *finalized*; a reorg that drops a mined batch sends it back to be re-submitted.
//! "nonce too low", "already known" and "underpriced" answers to a submission are
//! resolved by looking at what the chain actually has.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Address, PrivateKeySigner};
use alloy::consensus::TxEnvelope;
use alloy::eips::{BlockId, BlockNumberOrTag, Encodable2718};
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Bytes, FixedBytes, B256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, TransactionRequest};
use alloy::sol_types::{SolCall, SolEvent};

use crate::chronology::log::crash_point;
use crate::chronology::{Batch, BatchState, Inclusion, Log, LogError};

use super::contract::*;
use super::network::*;

/// What happened to the batches in one anchoring pass.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AnchorRound {
    /// Transactions sent (first submissions and re-submissions).
    pub submitted: u64,
    /// Batches found already anchored on chain (by an earlier run) and adopted.
    pub adopted: u64,
    /// Batches that reached a block in this pass.
    pub mined: u64,
    /// Batches whose block became final in this pass.
    pub finalized: u64,
    /// Batches whose block was dropped by a reorg (they are re-submitted).
    pub reorged: u64,
    /// Transactions that reverted (their batch is signed and sent again).
    pub reverted: u64,
    /// Batches bound to another chain, left alone.
    pub other_chain: u64,
    /// Batches the registry refused this pass (the first refusal is returned as the
    /// error once every other batch has had its turn).
    pub refused: u64,
    /// Batches still waiting (pending transaction or block not final).
    pub waiting: u64,
}

impl Network {
    /// (hash, timestamp) of block `n`, if the chain has it.
    pub(super) fn block_at(&self, n: u64) -> Result<Option<(B256, u64)>, AnchorError> {
        let block = self.run("eth_getBlockByNumber", |p| async move {
            p.get_block_by_number(BlockNumberOrTag::Number(n)).await
        })?;
        Ok(block.map(|b| (b.header.hash, b.header.timestamp)))
    }

    /// Finds the transaction that anchored `root` (from the contract's event).
    pub(super) fn find_anchor_tx(
        &self,
        registry: Address,
        publisher: Address,
        root: B256,
        block: u64,
    ) -> Result<Option<(B256, u64, B256)>, AnchorError> {
        let filter = Filter::new()
            .address(registry)
            .event_signature(ProvenantRegistry::Anchored::SIGNATURE_HASH)
            .topic1(root)
            .topic2(publisher.into_word())
            .from_block(block)
            .to_block(block);
        let logs = self.run("eth_getLogs", |p| {
            let f = filter.clone();
            async move { p.get_logs(&f).await }
        })?;
        Ok(logs
            .first()
            .and_then(|l| Some((l.transaction_hash?, l.block_number?, l.block_hash?))))
    }

    /// One pass over every unfinished batch of the log. Call again (or use
    /// [`Network::anchor_until_final`]) until everything is anchored.
    pub fn advance(
        &self,
        log: &mut Log,
        signer: &PrivateKeySigner,
        registry: Address,
    ) -> Result<AnchorRound, AnchorError> {
        let mut round = AnchorRound::default();
        let mut refusal = None;
        let key = self.view(
            registry,
            ProvenantRegistry::keyInfoCall {
                key: signer.address(),
            },
        )?;
        if key.publisher == Address::ZERO {
            return Err(AnchorError::KeyNotAuthorized {
                key: signer.address(),
                registry,
            });
        }
        let publisher = key.publisher;
        for batch in log.unfinished_batches()? {
            if batch.chain_id.is_some_and(|c| c != self.chain_id)
                || batch.registry.is_some_and(|r| addr(r) != registry)
            {
                round.other_chain += 1;
                continue;
            }
            match self.advance_batch(log, signer, (registry, publisher), batch, &mut round) {
                Ok(()) => {}
                // One batch refused (e.g. a revoked key): the others still get their turn.
                Err(e @ AnchorError::Refused(_)) => {
                    round.refused += 1;
                    refusal.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        match refusal {
            Some(e) => Err(e),
            None => Ok(round),
        }
    }

    pub(super) fn advance_batch(
        &self,
        log: &mut Log,
        signer: &PrivateKeySigner,
        (registry, publisher): (Address, Address),
        mut batch: Batch,
        round: &mut AnchorRound,
    ) -> Result<(), AnchorError> {
        let root = B256::from(batch.root);
        // A mined batch: is its block still there, and final yet?
        if batch.state == BatchState::Mined {
            if self.settle_mined(log, &batch, (registry, publisher), round)? {
                return Ok(());
            }
            // Reorged out (or moved to another block): start again from what the chain says.
            round.reorged += 1;
            log.record_dropped(batch.id)?;
            batch = reload(log, batch.id)?;
        }

        let mut reverted = false;
        if batch.state == BatchState::Submitted {
            if let Some(tx) = batch.tx_hash {
                let tx = B256::from(tx);
                let receipt = self.run("eth_getTransactionReceipt", |p| async move {
                    p.get_transaction_receipt(tx).await
                })?;
                if let Some(r) = receipt {
                    if r.status() {
                        let (Some(number), Some(hash)) = (r.block_number, r.block_hash) else {
                            round.waiting += 1;
                            return Ok(());
                        };
                        let time = self.block_at(number)?.map(|(_, t)| t).unwrap_or(0);
                        let at = self.inclusion((registry, publisher), tx, number, hash, time);
                        log.record_mined(batch.id, &at)?;
                        crash_point("mined");
                        round.mined += 1;
                        let mined = reload(log, batch.id)?;
                        self.settle_mined(log, &mined, (registry, publisher), round)?;
                        return Ok(());
                    }
                    // Reverted (out of gas, or the root got anchored first): never
                    // re-send that transaction; see below.
                    reverted = true;
                    round.reverted += 1;
                } else {
                    let known = self.run("eth_getTransactionByHash", |p| async move {
                        p.get_transaction_by_hash(tx).await
                    })?;
                    if known.is_some() {
                        round.waiting += 1;
                        return Ok(());
                    }
                }
            }
        }

        // Sealed, or submitted but gone: ask the registry before sending anything.
        // Anchors are per publisher, so nobody else's anchoring of this root counts.
        let on_chain = self.anchor_of(registry, publisher, root, BlockId::latest())?;
        if on_chain.anchored {
            if on_chain.leafCount != batch.leaf_count {
                return Err(AnchorError::Refused(format!(
                    "root {root} is already anchored by this publisher with {} leaves, but the batch has {}",
                    on_chain.leafCount, batch.leaf_count
                )));
            }
            if let Some((tx, number, hash)) =
                self.find_anchor_tx(registry, publisher, root, on_chain.blockNumber)?
            {
                let at = self.inclusion((registry, publisher), tx, number, hash, on_chain.time);
                log.record_mined(batch.id, &at)?;
                round.adopted += 1;
                return Ok(());
            }
        }
        if batch.state == BatchState::Submitted && !reverted {
            if let Some(raw) = batch.raw_tx.as_ref().filter(|r| !r.is_empty()) {
                // Recorded but apparently never sent (a crash in between): send exactly it.
                match self.send_raw(raw)? {
                    Sent::Accepted => {
                        round.submitted += 1;
                        round.waiting += 1;
                        return Ok(());
                    }
                    Sent::Stale | Sent::TipTooLow(_) => {
                        // Its nonce was used by something else, or its fee no longer
                        // passes the node's floor: sign a fresh one.
                        log.record_dropped(batch.id)?;
                    }
                }
            }
        }
        self.submit(log, signer, registry, &batch)?;
        round.submitted += 1;
        round.waiting += 1;
        Ok(())
    }

    pub(super) fn inclusion(
        &self,
        (registry, publisher): (Address, Address),
        tx: B256,
        block_number: u64,
        block_hash: B256,
        block_time: u64,
    ) -> Inclusion {
        Inclusion {
            chain_id: self.chain_id,
            registry: registry.into(),
            publisher: publisher.into(),
            tx_hash: tx.into(),
            block_number,
            block_hash: block_hash.into(),
            block_time,
        }
    }

    /// For a mined batch: true if its block is still on the chain (then it is marked
    /// anchored once final, else counted as waiting); false if a reorg dropped it.
    pub(super) fn settle_mined(
        &self,
        log: &mut Log,
        batch: &Batch,
        (registry, publisher): (Address, Address),
        round: &mut AnchorRound,
    ) -> Result<bool, AnchorError> {
        let (Some(tx), Some(number), Some(hash)) =
            (batch.tx_hash, batch.block_number, batch.block_hash)
        else {
            return Ok(false);
        };
        let receipt = self.run("eth_getTransactionReceipt", |p| async move {
            p.get_transaction_receipt(B256::from(tx)).await
        })?;
        let still_there = receipt.as_ref().is_some_and(|r| {
            r.block_hash == Some(B256::from(hash)) && r.block_number == Some(number)
        });
        if !still_there {
            // A node behind the others (load-balanced endpoints) may not know the receipt
            // yet: only a changed block at that height is a reorg.
            if receipt.is_none()
                && self
                    .block_at(number)?
                    .is_some_and(|(h, _)| h == B256::from(hash))
            {
                round.waiting += 1;
                return Ok(true);
            }
            return Ok(false);
        }
        // Final = the registry has it as of the `finalized` block (one call, same node).
        let root = B256::from(batch.root);
        let at_final = self.anchor_of(registry, publisher, root, BlockId::finalized())?;
        if at_final.anchored && at_final.leafCount == batch.leaf_count {
            log.record_anchored(batch.id)?;
            crash_point("finalized");
            round.finalized += 1;
        } else {
            round.waiting += 1;
        }
        Ok(true)
    }

    /// Signs an `anchor` transaction for the batch, records it, then sends it.
    pub(super) fn submit(
        &self,
        log: &mut Log,
        signer: &PrivateKeySigner,
        registry: Address,
        batch: &Batch,
    ) -> Result<(), AnchorError> {
        let from = signer.address();
        let call = ProvenantRegistry::anchorCall {
            root: FixedBytes(batch.root),
            leafCount: batch.leaf_count,
            metaHash: batch_meta_hash(),
        };
        let data = Bytes::from(call.abi_encode());
        let request = TransactionRequest::default()
            .with_from(from)
            .with_to(registry)
            .with_input(data);
        // Estimating also tells us early if the registry would refuse (key not authorised...).
        let gas = self
            .rt
            .block_on(self.with_retries(|p| {
                let r = request.clone();
                async move { p.estimate_gas(r).await }
            }))
            .map_err(|e| Self::refused(alloy::contract::Error::TransportError(e)))?;
        let mut fees = self.run("fee estimate", |p| async move {
            p.estimate_eip1559_fees().await
        })?;
        // Estimators often suggest less than a network's pool floor (Polygon: 25 gwei).
        raise_tip(&mut fees, self.min_priority_fee);
        let wallet = EthereumWallet::from(signer.clone());
        for _ in 0..4 {
            let nonce = self.run("eth_getTransactionCount", |p| async move {
                p.get_transaction_count(from).pending().await
            })?;
            let tx = request
                .clone()
                .with_nonce(nonce)
                .with_chain_id(self.chain_id)
                .with_gas_limit(gas + gas / 4)
                .with_max_fee_per_gas(fees.max_fee_per_gas)
                .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas);
            let envelope: TxEnvelope = self
                .rt
                .block_on(tx.build(&wallet))
                .map_err(|e| AnchorError::Config(format!("signing the transaction: {e}")))?;
            let raw = envelope.encoded_2718();
            let hash = *envelope.tx_hash();
            log.record_submission(
                batch.id,
                self.chain_id,
                registry.into(),
                hash.into(),
                &raw,
                nonce,
            )?;
            crash_point("recorded");
            match self.send_raw(&raw)? {
                Sent::Accepted => {
                    crash_point("sent");
                    return Ok(());
                }
                Sent::Stale => {
                    // Bump fees (a replacement must pay at least 10% more) and re-sign.
                    fees.max_fee_per_gas += fees.max_fee_per_gas / 4 + 1;
                    fees.max_priority_fee_per_gas += fees.max_priority_fee_per_gas / 4 + 1;
                }
                Sent::TipTooLow(needed) => {
                    // Refused at pool admission: nothing was sent. Offer what the node
                    // asks (or a quarter more when it does not say) and re-sign.
                    let tip = fees.max_priority_fee_per_gas;
                    raise_tip(&mut fees, needed.unwrap_or(tip + tip / 4 + 1));
                }
            }
        }
        Err(AnchorError::Refused(
            "the node kept refusing the anchoring transaction (nonce/fee); try again later".into(),
        ))
    }

    /// Broadcasts a signed transaction. Transient faults are retried; "already known"
    /// counts as accepted; a used nonce or an underpriced replacement is `Stale`
    /// unless the chain turns out to have this very transaction.
    pub(super) fn send_raw(&self, raw: &[u8]) -> Result<Sent, AnchorError> {
        let hash = alloy::primitives::keccak256(raw);
        let result = self.rt.block_on(
            self.with_retries(|p| async move { p.send_raw_transaction(raw).await.map(|_| ()) }),
        );
        let Err(e) = result else {
            return Ok(Sent::Accepted);
        };
        let message = error_message(&e).to_ascii_lowercase();
        if message.contains("already known") || message.contains("already imported") {
            return Ok(Sent::Accepted);
        }
        if message.contains("gas tip cap") || message.contains("below minimum") {
            self.retries.fetch_add(1, Ordering::Relaxed);
            return Ok(Sent::TipTooLow(minimum_needed(&message)));
        }
        if message.contains("nonce too low")
            || message.contains("underpriced")
            || message.contains("nonce has already been used")
        {
            // Perhaps our own transaction got in after all (an answer lost on the way).
            let known = self.run("eth_getTransactionByHash", |p| async move {
                p.get_transaction_by_hash(hash).await
            })?;
            self.retries.fetch_add(1, Ordering::Relaxed);
            return Ok(if known.is_some() {
                Sent::Accepted
            } else {
                Sent::Stale
            });
        }
        Err(AnchorError::Rpc {
            url: self.url.to_string(),
            what: "eth_sendRawTransaction",
            message: error_message(&e),
        })
    }

    /// Passes until every batch is anchored (finalized), sleeping `poll` between
    /// passes; gives up after `timeout`. `progress` sees each round.
    pub fn anchor_until_final(
        &self,
        log: &mut Log,
        signer: &PrivateKeySigner,
        registry: Address,
        poll: Duration,
        timeout: Duration,
        mut progress: impl FnMut(&AnchorRound),
    ) -> Result<AnchorRound, AnchorError> {
        let start = std::time::Instant::now();
        let mut total = AnchorRound::default();
        loop {
            let r = self.advance(log, signer, registry)?;
            progress(&r);
            total.submitted += r.submitted;
            total.adopted += r.adopted;
            total.mined += r.mined;
            total.finalized += r.finalized;
            total.reorged += r.reorged;
            total.other_chain = r.other_chain;
            total.waiting = r.waiting;
            if r.waiting == 0
                && log
                    .unfinished_batches()?
                    .iter()
                    .all(|b| b.chain_id.is_some_and(|c| c != self.chain_id))
            {
                return Ok(total);
            }
            if start.elapsed() > timeout {
                return Ok(total);
            }
            std::thread::sleep(poll);
        }
    }
}

pub(super) fn reload(log: &Log, id: i64) -> Result<Batch, AnchorError> {
    Ok(log
        .batch(id)?
        .ok_or_else(|| LogError::Corrupt(format!("batch {id} vanished")))?)
}

pub(super) enum Sent {
    Accepted,
    Stale,
    /// The node's pool refused the priority fee (Polygon's floor), with the least it
    /// takes when it says.
    TipTooLow(Option<u128>),
}

/// Raises the priority fee to at least `floor`, and the fee cap with it (the cap must
/// cover the tip).
fn raise_tip(fees: &mut alloy::eips::eip1559::Eip1559Estimation, floor: u128) {
    if fees.max_priority_fee_per_gas < floor {
        fees.max_fee_per_gas += floor - fees.max_priority_fee_per_gas;
        fees.max_priority_fee_per_gas = floor;
    }
}

/// The `minimum needed N` of a node's refusal ("transaction gas price below minimum:
/// gas tip cap 1500000000, minimum needed 25000000000").
fn minimum_needed(message: &str) -> Option<u128> {
    let rest = &message[message.find("minimum needed")? + "minimum needed".len()..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygon_refusals_say_the_minimum() {
        let m = "transaction gas price below minimum: gas tip cap 1500000000, minimum needed 25000000000";
        assert_eq!(minimum_needed(m), Some(25_000_000_000));
        assert_eq!(minimum_needed("underpriced"), None);
        let mut fees = alloy::eips::eip1559::Eip1559Estimation {
            max_fee_per_gas: 3_000_000_000,
            max_priority_fee_per_gas: 1_500_000_000,
        };
        raise_tip(&mut fees, 25_000_000_000);
        assert_eq!(fees.max_priority_fee_per_gas, 25_000_000_000);
        assert_eq!(fees.max_fee_per_gas, 26_500_000_000);
        raise_tip(&mut fees, 1);
        assert_eq!(fees.max_priority_fee_per_gas, 25_000_000_000);
    }
}
