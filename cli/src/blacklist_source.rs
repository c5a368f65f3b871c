//! Where `verify` (and `batch`) get the camera/certificate blacklist: a signed snapshot
//! file checked against trusted snapshot keys, or the registry's active entries of the
//! curator sets the platform honours (`--blacklist-chain`, with --chain).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use provenant_core::blacklist::{Blacklist, Snapshot, SnapshotSource};

use crate::config::Config;

/// Blacklist options.
#[derive(Debug, Clone, clap::Args)]
pub struct BlacklistArgs {
    /// Check cameras and signer certificates against this signed blacklist snapshot
    /// (from `provenant blacklist export`; also the config's `blacklist`).
    #[arg(long, value_name = "FILE")]
    pub blacklist: Option<PathBuf>,
    /// Snapshot signing key you trust (hex Ed25519 public key); repeat. Also the config's
    /// `blacklist_keys`.
    #[arg(long = "blacklist-key", value_name = "HEX")]
    pub blacklist_keys: Vec<String>,
    /// Check against the registry's active entries instead (needs --chain and a trusted
    /// --registry), of the curator sets given with --curator-set (or the config's
    /// `curator_sets`).
    #[arg(long)]
    pub blacklist_chain: bool,
    /// Curator set whose entries you honour; repeat.
    #[arg(long = "curator-set", value_name = "ID")]
    pub curator_sets: Vec<u32>,
}

impl BlacklistArgs {
    /// The blacklist to apply, if any was asked for. Errors (unreadable, untrusted,
    /// expired snapshot; unreachable chain) stop the run: a check that was asked for
    /// must not silently pass.
    pub fn load(
        &self,
        cfg: &Config,
        chain: Option<(
            &provenant_core::anchor::Network,
            &[provenant_core::anchor::Address],
        )>,
    ) -> Result<Option<Blacklist>> {
        if self.blacklist_chain {
            let Some((chain, registries)) = chain else {
                anyhow::bail!(
                    "--blacklist-chain needs --chain (or --rpc) and a trusted --registry"
                );
            };
            let Some(&registry) = registries.first() else {
                anyhow::bail!(
                    "--blacklist-chain needs a trusted registry: pass --registry ADDRESS"
                );
            };
            let sets: Vec<u32> = if self.curator_sets.is_empty() {
                cfg.curator_sets.clone()
            } else {
                self.curator_sets.clone()
            };
            if sets.is_empty() {
                anyhow::bail!("say which curator sets you honour: --curator-set ID (or `curator_sets` in the config)");
            }
            let (devices, certificates, block) = chain.active_blacklist(registry, &sets)?;
            let source = format!(
                "registry {registry:#x} on chain {} at block {block}, curator sets {sets:?}",
                chain.chain_id()
            );
            let (list, refused) = Blacklist::new(source, devices, certificates);
            for e in refused {
                eprintln!("warning: blacklist entry ignored: {e}");
            }
            return Ok(Some(list));
        }
        let Some(path) = self.blacklist.clone().or_else(|| cfg.blacklist.clone()) else {
            return Ok(None);
        };
        let texts: Vec<String> = self
            .blacklist_keys
            .iter()
            .chain(&cfg.blacklist_keys)
            .cloned()
            .collect();
        if texts.is_empty() {
            anyhow::bail!(
                "--blacklist needs the snapshot signer's key you trust: --blacklist-key HEX (or `blacklist_keys` in the config)"
            );
        }
        let keys = crate::commands::blacklist::parse_keys(&texts)?;
        let bytes = crate::output::read_input(&path)?;
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
        let snap = Snapshot::open(&bytes, &keys, now).with_context(|| crate::shown(&path))?;
        let list = Blacklist::from_snapshot(&snap, &crate::shown(&path))
            .with_context(|| crate::shown(&path))?;
        not_older_than_seen(&snap.body.source).with_context(|| crate::shown(&path))?;
        Ok(Some(list))
    }
}

/// Where this verifier remembers the newest snapshot block seen per source.
const SEEN_FILE: &str = "blacklist-seen.json";

/// Refuses a snapshot older than one seen before from the same source (an older,
/// unexpired snapshot may lack a newer entry), and remembers this one when it is newer.
fn not_older_than_seen(source: &SnapshotSource) -> Result<()> {
    let dir = provenant_core::chronology::data_dir()?;
    let path = dir.join(SEEN_FILE);
    let mut seen: BTreeMap<String, u64> = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is not this verifier's record of snapshots",
                path.display()
            )
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let key = source.key();
    source.check_not_older(seen.get(&key).copied())?;
    if seen.get(&key) != Some(&source.block_number) {
        seen.insert(key, source.block_number);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let tmp = dir.join(format!("{SEEN_FILE}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, serde_json::to_vec_pretty(&seen)?)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
