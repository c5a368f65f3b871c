//! `curator dkg round1|round2|finish`: the curators' group key without a dealer.
//!
//! Each curator runs the three steps on its own machine; nobody ever holds the group
//! secret. Round-1 packages are public (publish them to every curator); round-2 packages
//! are secret to their recipient (mode 0600: send each over a confidential channel);
//! `finish` writes the same `curator-J.json` and `group.json` as a dealer would, so the
//! rest of the flow (register, device init, share, release, activate) is unchanged.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use provenant_core::blacklist::capture::dkg::{self, DkgPackage, DkgState};
use rand_core::OsRng;

/// Run one round of the distributed key generation (as curator --id).
#[derive(Debug, clap::Subcommand)]
pub enum Round {
    /// Start: writes DIR/dkg-state-J.json (secret, 0600) and DIR/round1-J.json (public:
    /// give it to every other curator).
    Round1 {
        /// This curator's index J (1-based; its position in the registry's curator set).
        #[arg(long, value_name = "J")]
        id: u8,
        /// n: number of curators.
        #[arg(long, value_name = "N")]
        of: u8,
        /// m: shares needed to decrypt.
        #[arg(long, value_name = "M")]
        threshold: u8,
        #[arg(long, value_name = "DIR")]
        out_dir: PathBuf,
    },
    /// With every curator's round1-*.json: writes DIR/dkg-state2-J.json (secret) and
    /// DIR/round2-J-to-K.json for each other curator K (secret to K: confidential channel).
    Round2 {
        #[arg(long, value_name = "J")]
        id: u8,
        /// The state file from round 1.
        #[arg(long, value_name = "FILE")]
        state: PathBuf,
        /// Folder holding every curator's round1-*.json.
        #[arg(long, value_name = "DIR")]
        round1: PathBuf,
        #[arg(long, value_name = "DIR")]
        out_dir: PathBuf,
    },
    /// With the round-1 packages and the round2-*-to-J.json sent to this curator: checks
    /// them and writes DIR/curator-J.json (this curator's share, 0600) and DIR/group.json.
    Finish {
        #[arg(long, value_name = "J")]
        id: u8,
        /// The state file from round 2.
        #[arg(long, value_name = "FILE")]
        state: PathBuf,
        #[arg(long, value_name = "DIR")]
        round1: PathBuf,
        /// Folder holding the round2-*-to-J.json packages sent to this curator.
        #[arg(long, value_name = "DIR")]
        round2: PathBuf,
        #[arg(long, value_name = "DIR")]
        out_dir: PathBuf,
    },
}

fn write(path: &Path, value: &impl serde::Serialize, secret: bool) -> Result<()> {
    crate::output::write_new_file(
        path,
        serde_json::to_string_pretty(value)?.as_bytes(),
        secret,
    )
}

fn read_state(path: &Path, id: u8) -> Result<DkgState> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {}", crate::shown(path)))?;
    let state: DkgState = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a DKG state file", crate::shown(path)))?;
    if state.index != id {
        anyhow::bail!(
            "{} is curator {}'s state, not curator {id}'s",
            crate::shown(path),
            state.index
        );
    }
    Ok(state)
}

/// Every `prefix*.json` package in `dir`.
fn read_packages(dir: &Path, prefix: &str) -> Result<Vec<DkgPackage>> {
    let mut out = Vec::new();
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", crate::shown(dir)))?;
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with(prefix) && name.ends_with(".json") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", crate::shown(&path)))?;
            out.push(
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a DKG package", crate::shown(&path)))?,
            );
        }
    }
    Ok(out)
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", crate::shown(dir)))
}

pub fn run(round: Round) -> Result<()> {
    match round {
        Round::Round1 {
            id,
            of,
            threshold,
            out_dir,
        } => {
            let (state, package) = dkg::round1(id, of, threshold, &mut OsRng)?;
            create_dir(&out_dir)?;
            write(&out_dir.join(format!("dkg-state-{id}.json")), &state, true)?;
            let public = out_dir.join(format!("round1-{id}.json"));
            write(&public, &package, false)?;
            eprintln!(
                "curator {id}: round 1 done; send {} to every other curator, keep dkg-state-{id}.json secret",
                crate::shown(&public)
            );
        }
        Round::Round2 {
            id,
            state,
            round1,
            out_dir,
        } => {
            let state = read_state(&state, id)?;
            let (next, packages) = dkg::round2(&state, &read_packages(&round1, "round1-")?)?;
            create_dir(&out_dir)?;
            write(&out_dir.join(format!("dkg-state2-{id}.json")), &next, true)?;
            for p in &packages {
                let to = p.to.unwrap_or_default();
                write(&out_dir.join(format!("round2-{id}-to-{to}.json")), p, true)?;
            }
            eprintln!(
                "curator {id}: round 2 done; send each round2-{id}-to-K.json to curator K only, over a confidential channel"
            );
        }
        Round::Finish {
            id,
            state,
            round1,
            round2,
            out_dir,
        } => {
            let state = read_state(&state, id)?;
            let (group, share) = dkg::finish(
                &state,
                &read_packages(&round1, "round1-")?,
                &read_packages(&round2, "round2-")?,
            )?;
            create_dir(&out_dir)?;
            write(&out_dir.join(format!("curator-{id}.json")), &share, true)?;
            write(&out_dir.join("group.json"), &group, false)?;
            eprintln!(
                "curator {id}: key share in curator-{id}.json (secret); group key below — check every curator got the same one; erase the dkg-state files and round-2 packages"
            );
            println!("{}", hex::encode(group.public));
        }
    }
    Ok(())
}
