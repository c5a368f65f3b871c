//! Batches: where a sealed batch is on its way to the chain, and the records of each
//! step of its life (submitted, mined, anchored, dropped by a reorg).

use super::*;

/// Where a batch is on its way to the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BatchState {
    /// Root fixed, nothing sent yet (also where a reorg-dropped batch returns).
    Sealed,
    /// A signed transaction is recorded (recorded before it is broadcast).
    Submitted,
    /// In a block, not yet finalized.
    Mined,
    /// Its block is finalized.
    Anchored,
}

impl BatchState {
    /// The state's name as stored in the log (`sealed`, `submitted`, `mined`, `anchored`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sealed => "sealed",
            Self::Submitted => "submitted",
            Self::Mined => "mined",
            Self::Anchored => "anchored",
        }
    }
    pub(super) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "sealed" => Self::Sealed,
            "submitted" => Self::Submitted,
            "mined" => Self::Mined,
            "anchored" => Self::Anchored,
            _ => return None,
        })
    }
}

/// A sealed batch and what is known of its anchoring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Batch id in the log.
    pub id: i64,
    /// Merkle root over the batch's leaves.
    pub root: Hash,
    /// Number of leaves (entries) in the batch; at most [`MAX_BATCH_LEAVES`].
    pub leaf_count: u64,
    /// When the batch was sealed (Unix seconds, the logger's clock).
    pub sealed_at: u64,
    /// Where the batch is on its way to the chain.
    pub state: BatchState,
    /// The chain and registry the batch is bound to once first submitted.
    pub chain_id: Option<u64>,
    /// Address of the registry contract the batch is bound to.
    pub registry: Option<[u8; 20]>,
    /// The publisher the anchoring key belongs to (known once mined).
    pub publisher: Option<[u8; 20]>,
    /// Hash of the anchoring transaction (the one submitted, or the one that anchored the root first once mined).
    pub tx_hash: Option<Hash>,
    /// The signed transaction, kept so a crash between recording and sending can
    /// re-send exactly the same transaction.
    pub raw_tx: Option<Vec<u8>>,
    /// Nonce of the recorded transaction.
    pub nonce: Option<u64>,
    /// Block the anchoring transaction is in (known once mined).
    pub block_number: Option<u64>,
    /// Hash of that block (to notice a reorg).
    pub block_hash: Option<Hash>,
    /// Time of that block (Unix seconds).
    pub block_time: Option<u64>,
    /// How many times the batch was (re)submitted.
    pub submissions: u64,
}

impl Batch {
    /// Whether the batch is in a block with everything a proof needs.
    pub(super) fn in_block(&self) -> bool {
        self.chain_id.is_some()
            && self.registry.is_some()
            && self.publisher.is_some()
            && self.tx_hash.is_some()
            && self.block_number.is_some()
    }

    /// The proof bundle of one leaf of this batch (`None` while it is not in a block).
    pub(super) fn bundle(
        &self,
        leaf: LeafData,
        index: u64,
        siblings: Vec<Hash>,
    ) -> Option<ProofBundle> {
        Some(ProofBundle {
            chain_id: self.chain_id?,
            registry: self.registry?,
            publisher: self.publisher?,
            root: self.root,
            leaf,
            index,
            leaf_count: self.leaf_count,
            siblings,
            tx_hash: self.tx_hash?,
            block_number: self.block_number?,
        })
    }
}

/// The batch's tree, rebuilt from its entries and checked against the stored root.
pub(super) fn verified_tree(batch: &Batch, leaves: Vec<Hash>) -> Result<MerkleTree, LogError> {
    let tree = MerkleTree::from_leaf_hashes(leaves)
        .ok_or_else(|| LogError::Corrupt(format!("batch {} has no entries", batch.id)))?;
    if tree.root() != batch.root || tree.leaf_count() != batch.leaf_count {
        return Err(LogError::Corrupt(format!(
            "batch {}: its entries no longer hash to its root",
            batch.id
        )));
    }
    Ok(tree)
}

/// Where a batch's root landed on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inclusion {
    /// EVM chain id.
    pub chain_id: u64,
    /// Address of the registry contract.
    pub registry: [u8; 20],
    /// The publisher the anchoring key belongs to.
    pub publisher: [u8; 20],
    /// Hash of the transaction that anchored the root.
    pub tx_hash: Hash,
    /// Block the transaction is in.
    pub block_number: u64,
    /// Hash of that block.
    pub block_hash: Hash,
    /// Time of that block (Unix seconds).
    pub block_time: u64,
}

/// Counts for `anchor status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LogStatus {
    /// All entries in the log.
    pub entries: u64,
    /// Entries not sealed into a batch yet.
    pub pending_entries: u64,
    /// Batches in state `sealed`.
    pub sealed_batches: u64,
    /// Batches in state `submitted`.
    pub submitted_batches: u64,
    /// Batches in state `mined`.
    pub mined_batches: u64,
    /// Batches in state `anchored`.
    pub anchored_batches: u64,
    /// Entries in anchored batches.
    pub anchored_entries: u64,
}

impl Log {
    /// Binds a batch to a chain and records the signed transaction *before* it is sent.
    pub fn record_submission(
        &mut self,
        batch_id: i64,
        chain_id: u64,
        registry: [u8; 20],
        tx_hash: Hash,
        raw_tx: &[u8],
        nonce: u64,
    ) -> Result<(), LogError> {
        self.store.execute(
            "UPDATE batches SET state = 'submitted', chain_id = ?2, registry = ?3, tx_hash = ?4, \
             raw_tx = ?5, nonce = ?6, block_number = NULL, block_hash = NULL, block_time = NULL, \
             submissions = submissions + 1 WHERE id = ?1 AND state IN ('sealed', 'submitted')",
            &[
                Param::Int(Some(batch_id)),
                Param::Int(Some(chain_id as i64)),
                Param::Blob(Some(&registry)),
                Param::Blob(Some(&tx_hash)),
                Param::Blob(Some(raw_tx)),
                Param::Int(Some(nonce as i64)),
            ],
        )?;
        Ok(())
    }

    /// The batch's transaction (or, when `tx_hash` differs, the one that anchored its
    /// root first) is in a block.
    pub fn record_mined(&mut self, batch_id: i64, at: &Inclusion) -> Result<(), LogError> {
        let Inclusion {
            chain_id,
            registry,
            publisher,
            tx_hash,
            block_number,
            block_hash,
            block_time,
        } = *at;
        self.store.execute(
            "UPDATE batches SET state = 'mined', chain_id = ?2, registry = ?3, tx_hash = ?4, \
             block_number = ?5, block_hash = ?6, block_time = ?7, publisher = ?8 WHERE id = ?1",
            &[
                Param::Int(Some(batch_id)),
                Param::Int(Some(chain_id as i64)),
                Param::Blob(Some(&registry)),
                Param::Blob(Some(&tx_hash)),
                Param::Int(Some(block_number as i64)),
                Param::Blob(Some(&block_hash)),
                Param::Int(Some(block_time as i64)),
                Param::Blob(Some(&publisher)),
            ],
        )?;
        Ok(())
    }

    /// The batch's block is finalized.
    pub fn record_anchored(&mut self, batch_id: i64) -> Result<(), LogError> {
        self.store.execute(
            "UPDATE batches SET state = 'anchored' WHERE id = ?1 AND state = 'mined'",
            &[Param::Int(Some(batch_id))],
        )?;
        Ok(())
    }

    /// The batch's transaction is gone (a reorg dropped its block, or it never made it
    /// into the pool): back to `sealed`, still bound to its chain.
    pub fn record_dropped(&mut self, batch_id: i64) -> Result<(), LogError> {
        self.store.execute(
            "UPDATE batches SET state = 'sealed', tx_hash = NULL, raw_tx = NULL, nonce = NULL, \
             block_number = NULL, block_hash = NULL, block_time = NULL \
             WHERE id = ?1 AND state != 'anchored'",
            &[Param::Int(Some(batch_id))],
        )?;
        Ok(())
    }

    /// The registry this log uses on `chain_id`, if one was deployed or configured.
    pub fn registry_for(&self, chain_id: u64) -> Result<Option<[u8; 20]>, LogError> {
        match self
            .store
            .query(
                "SELECT registry FROM deployments WHERE chain_id = ?1",
                &[Param::Int(Some(chain_id as i64))],
            )?
            .first()
        {
            Some(row) => row.opt_array::<20>(0),
            None => Ok(None),
        }
    }

    /// Sets (or replaces) the registry this log uses on `chain_id`, with the block it was deployed in if known.
    pub fn set_registry(
        &mut self,
        chain_id: u64,
        registry: [u8; 20],
        deployed_block: Option<u64>,
    ) -> Result<(), LogError> {
        self.store.execute(
            "INSERT INTO deployments (chain_id, registry, deployed_block) VALUES (?1, ?2, ?3) \
             ON CONFLICT(chain_id) DO UPDATE SET registry = ?2, deployed_block = ?3",
            &[
                Param::Int(Some(chain_id as i64)),
                Param::Blob(Some(&registry)),
                Param::Int(deployed_block.map(|b| b as i64)),
            ],
        )?;
        Ok(())
    }
}
