//! `provenant trust show|update`: where trust comes from, and refreshing the C2PA
//! trust list snapshot.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context, Result};
use provenant_core::fetch::FetchPolicy;
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
    provenant trust update --from C2PA-TRUST-LIST.pem --tsa-from C2PA-TSA-TRUST-LIST.pem\n  \
    provenant trust update --from \
    https://raw.githubusercontent.com/c2pa-org/conformance-public/main/trust-list/C2PA-TRUST-LIST.pem"
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
    /// The new C2PA trust list (PEM), a file or an https:// URL, e.g. C2PA-TRUST-LIST.pem
    /// from github.com/c2pa-org/conformance-public/trust-list. A URL is fetched from public
    /// addresses only, without redirects, 4 MiB and 30 s at most.
    #[arg(long, value_name = "FILE|URL")]
    pub from: String,
    /// The new C2PA TSA trust list (PEM), a file or an https:// URL; default: keep the
    /// one in use.
    #[arg(long, value_name = "FILE|URL")]
    pub tsa_from: Option<String>,
    /// Extra TLS root certificates (PEM) for fetching a URL, beside the system's (e.g.
    /// a TLS-inspecting proxy's CA).
    #[arg(long, value_name = "PEM")]
    pub fetch_ca: Option<PathBuf>,
    /// Development and tests only: let a URL on this machine (127.0.0.0/8, ::1) be
    /// fetched.
    #[arg(long, hide = true)]
    pub allow_loopback_fetch: bool,
}

/// The largest trust list fetched (today's is about 60 KB).
const MAX_LIST_BYTES: usize = 4 << 20;
const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

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

/// A list's text from a file or an https:// URL (fetched under the network rule's
/// address filter).
fn read_list(from: &str, a: &UpdateArgs) -> Result<(String, String)> {
    if !from.contains("://") {
        let path = PathBuf::from(from);
        let shown = crate::shown(&path);
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read {shown}"))?;
        return Ok((shown, text));
    }
    let extra_roots_pem = a
        .fetch_ca
        .as_ref()
        .map(|p| std::fs::read(p).with_context(|| format!("cannot read {}", crate::shown(p))))
        .transpose()?;
    let policy = FetchPolicy {
        allow_loopback: a.allow_loopback_fetch,
        extra_roots_pem,
        ..FetchPolicy::public(MAX_LIST_BYTES, FETCH_TIMEOUT)
    };
    let shown = crate::render::clean(from);
    let body = provenant_core::fetch::get_blocking(from, &policy)
        .with_context(|| "cannot fetch the trust list".to_string())?;
    let text = String::from_utf8(body)
        .map_err(|_| anyhow::anyhow!("{shown}: not text; refusing it as a PEM list"))?;
    Ok((shown, text))
}

/// Fingerprints of a PEM list, refusing an empty or malformed one.
fn parse_list(from: &str, a: &UpdateArgs) -> Result<(String, BTreeSet<String>)> {
    let (shown, text) = read_list(from, a)?;
    let path = &shown;
    let mut t = TrustAnchors::none();
    t.add_trust_list(path, &text)?;
    let decoded = t.fingerprints();
    let prints: BTreeSet<String> = decoded.iter().map(hex::encode).collect();
    anyhow::ensure!(
        decoded.len() == t.len(),
        "{}: {} certificate block(s), but only {} decode; refusing a malformed list",
        path,
        t.len(),
        decoded.len()
    );
    anyhow::ensure!(
        t.parses(),
        "{}: the certificates do not parse as trust anchors; refusing it",
        path
    );
    Ok((text, prints))
}

fn update(a: UpdateArgs) -> Result<Exit> {
    let (new_text, new) = parse_list(&a.from, &a)?;
    let tsa = a
        .tsa_from
        .as_deref()
        .map(|from| parse_list(from, &a))
        .transpose()?;
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
        crate::render::clean(&a.from),
        new.len(),
        new.len() - added,
        dir.display(),
        current.origin
    );
    Ok(Exit::Pass)
}
