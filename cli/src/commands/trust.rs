//! `provenant trust show|update`: where trust comes from, and refreshing the C2PA
//! trust list snapshot.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context, Result};
use provenant_core::TrustAnchors;
use serde_json::json;

use crate::trust::{list_in_use, snapshot_dir, TrustListArgs, LIST_FILE, TSA_LIST_FILE};
use crate::{config, Exit};

/// Where trust comes from (`show`), and refreshing the C2PA trust list (`update`).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Trust, in the order a signer is looked up: your anchors (--trust, \
    PROVENANT_TRUST, config `trust`), the C2PA trust list (built in; a snapshot installed by \
    `trust update` takes precedence; --no-trust-list or config `trust_list = false` turns it \
    off), the allowed list (--allowed, config `allowed`). Time-stamp authorities: the C2PA \
    TSA trust list and --tsa-trust.\n\nExamples:\n  \
    provenant trust show --trust keys/root.pem\n  \
    provenant trust update --from C2PA-TRUST-LIST.pem --tsa-from C2PA-TSA-TRUST-LIST.pem"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List every source of trust with its certificate count and date.
    Show(ShowArgs),
    /// Install a newer C2PA trust list snapshot in the data directory (parse-checked,
    /// atomic; prints what changed; refuses an empty or malformed list).
    Update(UpdateArgs),
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Your trust anchors (PEM), as verify takes them.
    #[arg(long, value_name = "PEM")]
    pub trust: Vec<PathBuf>,
    #[command(flatten)]
    pub lists: TrustListArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// The new C2PA trust list (PEM), e.g. C2PA-TRUST-LIST.pem from
    /// github.com/c2pa-org/conformance-public/trust-list.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// The new C2PA TSA trust list (PEM); default: keep the one in use.
    #[arg(long, value_name = "FILE")]
    pub tsa_from: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<Exit> {
    match a.command {
        Command::Show(s) => show(s),
        Command::Update(u) => update(u),
    }
}

fn show(a: ShowArgs) -> Result<Exit> {
    let (cfg, _) = config::load_config()?;
    let mut anchors = config::trust_anchors(&a.trust, &cfg)?;
    let yours = anchors.len();
    crate::trust::add_lists(&mut anchors, &a.lists, &cfg)?;
    let list = (!a.lists.no_trust_list && cfg.trust_list != Some(false))
        .then(list_in_use)
        .transpose()?;
    let count = |pem: &str| {
        TrustAnchors::none()
            .with_pem("", pem)
            .map_or(0, |t| t.len())
    };
    let v = json!({
        "your_anchors": yours,
        "c2pa_trust_list": list.as_ref().map(|l| json!({
            "origin": l.origin, "signer_cas": count(&l.signers), "tsas": count(&l.tsas),
        })),
        "allowed": anchors.allowed_len(),
        "anchors_in_all": anchors.len(),
        "trust_config": anchors.trust_config().map(|c| c.lines().count()),
        "sources": anchors.sources(),
    });
    if a.json {
        println!("{v}");
        return Ok(Exit::Pass);
    }
    println!("your anchors: {yours} certificate(s)");
    match &list {
        Some(l) => println!(
            "C2PA trust list: {} signer CA(s), {} TSA(s) — {}",
            count(&l.signers),
            count(&l.tsas),
            l.origin
        ),
        None => println!("C2PA trust list: off"),
    }
    println!("allowed list: {} certificate(s)", anchors.allowed_len());
    if let Some(c) = anchors.trust_config() {
        println!("allowed EKUs: {}", c.lines().collect::<Vec<_>>().join(", "));
    }
    for s in anchors.sources() {
        println!("  from {}", crate::render::clean(s));
    }
    Ok(Exit::Pass)
}

/// Fingerprints of a PEM list, refusing an empty or malformed one.
fn parse_list(path: &PathBuf) -> Result<(String, BTreeSet<String>)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {}", crate::shown(path)))?;
    let mut t = TrustAnchors::none();
    t.add_trust_list(&crate::shown(path), &text)?;
    let decoded = t.fingerprints();
    let prints: BTreeSet<String> = decoded.iter().map(hex::encode).collect();
    anyhow::ensure!(
        decoded.len() == t.len(),
        "{}: {} certificate block(s), but only {} decode; refusing a malformed list",
        crate::shown(path),
        t.len(),
        decoded.len()
    );
    anyhow::ensure!(
        t.parses(),
        "{}: the certificates do not parse as trust anchors; refusing it",
        crate::shown(path)
    );
    Ok((text, prints))
}

fn update(a: UpdateArgs) -> Result<Exit> {
    let (new_text, new) = parse_list(&a.from)?;
    let tsa = a.tsa_from.as_ref().map(parse_list).transpose()?;
    let current = list_in_use()?;
    let mut old_t = TrustAnchors::none();
    old_t.add_trust_list("current", &current.signers)?;
    let old: BTreeSet<String> = old_t.fingerprints().iter().map(hex::encode).collect();
    let dir = snapshot_dir()?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let write = |name: &str, text: &str| -> Result<()> {
        let tmp = dir.join(format!("{name}.tmp"));
        std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, dir.join(name))
            .with_context(|| format!("cannot install {}", dir.join(name).display()))
    };
    // The TSA list first: a signer list alone is what `list_in_use` looks for.
    if let Some((text, _)) = &tsa {
        write(TSA_LIST_FILE, text)?;
    }
    write(LIST_FILE, &new_text)?;
    let added = new.difference(&old).count();
    let removed = old.difference(&new).count();
    eprintln!(
        "installed {} ({} certificate(s): {added} added, {removed} removed, {} kept) in {}; it replaces {}",
        crate::shown(&a.from),
        new.len(),
        new.len() - added,
        dir.display(),
        current.origin
    );
    Ok(Exit::Pass)
}
