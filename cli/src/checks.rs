//! What `verify`, `batch` and `serve` resolve the same way from their options: the
//! policy (a policy file, `--policy`, the config), the trust anchors, the network and
//! registries anchors are checked on, and the blacklist.

use std::path::PathBuf;

use anyhow::Result;
use provenant_core::anchor::{Address, Network};
use provenant_core::inspect::AnchorCheck;
use provenant_core::policy::Policy as CorePolicy;

use crate::network::NetworkArgs;
use crate::policy::PolicyFile;
use crate::{config, Policy};

/// The registries whose answers count on `chain`: flags, config, and what this
/// machine's chronology log deployed or used there.
pub fn trusted_registries(
    chain: &Network,
    flags: &[String],
    cfg: &config::Config,
) -> Result<Vec<provenant_core::anchor::Address>> {
    let mut out = Vec::new();
    for text in flags.iter().chain(&cfg.registries) {
        out.push(provenant_core::anchor::parse_address(text)?);
    }
    if let Ok(log) = provenant_core::chronology::Log::open_default() {
        if let Some(r) = log.registry_for(chain.chain_id())? {
            out.push(r.into());
        }
    }
    if out.is_empty() {
        eprintln!(
            "note: no registry is trusted on chain {}: anchor proofs will be refused; pass --registry ADDRESS",
            chain.chain_id()
        );
    }
    Ok(out)
}

/// The policy `verify` applies: a policy file, else the required verdict from
/// --policy or the config (default trusted); --require-anchor on top.
pub fn policy_from(
    file: Option<&std::path::Path>,
    require: Option<Policy>,
    require_anchor: bool,
    cfg: &config::Config,
) -> Result<PolicyFile> {
    let mut policy = match file {
        Some(p) => PolicyFile::load(p)?,
        None => PolicyFile {
            policy: CorePolicy::requiring(require.or(cfg.policy).unwrap_or_default().into()),
            ..PolicyFile::default()
        },
    };
    if let (Some(_), Some(r)) = (file, require) {
        policy.policy.require = r.into();
    }
    policy.policy.require_anchor |= require_anchor;
    Ok(policy)
}

/// The trust anchors: a policy that names its anchors allows only those (and --trust);
/// otherwise --trust, PROVENANT_TRUST and the config file.
pub fn trust_for(
    policy: &PolicyFile,
    flags: &[PathBuf],
    extra: &crate::trust::TrustListArgs,
    cfg: &config::Config,
) -> Result<provenant_core::TrustAnchors> {
    let mut anchors = if policy.trust_anchors.is_empty() {
        config::trust_anchors(flags, cfg)?
    } else {
        let mut all = policy.trust_anchors.clone();
        all.extend(flags.iter().cloned());
        config::trust_anchors(&all, &config::Config::default())?
    };
    crate::trust::add_lists(&mut anchors, extra, cfg)?;
    Ok(anchors)
}

/// The network to check anchors on, the registries trusted there, and the blacklist.
pub struct Checks {
    pub network: Option<Network>,
    pub registries: Vec<Address>,
    pub blacklist: Option<provenant_core::blacklist::Blacklist>,
}

impl Checks {
    /// Connects (when --chain/--rpc is given) and loads the blacklist asked for.
    pub fn load(
        chain: &NetworkArgs,
        registry: &[String],
        blacklist: &crate::blacklist_source::BlacklistArgs,
        cfg: &config::Config,
    ) -> Result<Self> {
        let network = if chain.given() {
            Some(chain.connect()?)
        } else {
            None
        };
        let registries = match &network {
            Some(n) => trusted_registries(n, registry, cfg)?,
            None => Vec::new(),
        };
        let blacklist =
            blacklist.load(cfg, network.as_ref().map(|n| (n, registries.as_slice())))?;
        Ok(Self {
            network,
            registries,
            blacklist,
        })
    }

    /// What to confirm anchors against, if a network is configured.
    pub fn anchors(&self, fetch_proofs: bool, allow_loopback: bool) -> Option<AnchorCheck<'_>> {
        self.network.as_ref().map(|network| AnchorCheck {
            network,
            fetch_proofs,
            allow_loopback_endpoints: allow_loopback,
            registries: &self.registries,
        })
    }
}
