use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use provenant_core::blacklist::capture::tag::epoch_of;
use provenant_core::blacklist::capture::threshold::GroupKey;
use provenant_core::blacklist::device::{capture_stream, SecureElement};
use provenant_core::credentials::keys::{CHAIN, SIGNER_KEY};

use crate::output::AtomicOutput;
use crate::Exit;

/// A capture device (camera) that signs at capture and embeds an unlinkable capture tag.
///
/// The device signs with its maker's fleet certificate (shared by every camera of the
/// fleet, so it does not name the camera) and tags each photo with a fresh random r and
/// PRF(k_day, r); k_day is escrowed to a curator group so a curator quorum can blacklist
/// the camera from a day on, using one evidence photo. The key store here is a
/// software stand-in for a camera's secure element.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    provenant keygen --out maker --org \"Acme Cameras\"      # the maker's CA and fleet certificate\n  \
    provenant curator dkg …                                # the curators' group.json (see `curator --help`)\n  \
    provenant device init cam1 --maker maker --group curators/group.json\n  \
    provenant device capture raw.jpg -o photo.jpg --device cam1")]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Set up a device: copy the maker's fleet certificate and key, create the epoch key.
    Init {
        /// The device directory to create.
        dir: PathBuf,
        /// The maker's key directory (from `provenant keygen`): its signing certificate
        /// is the fleet certificate the device signs with.
        #[arg(long, value_name = "DIR")]
        maker: PathBuf,
        /// The curators' group key (group.json from `provenant curator dkg finish`).
        #[arg(long, value_name = "FILE")]
        group: PathBuf,
        /// Start the epoch chain on this day instead of today (RFC 3339 or Unix seconds).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Sign a freshly captured picture with the device's certificate and capture tag.
    Capture {
        /// The unsigned picture.
        input: PathBuf,
        #[arg(short, long, value_name = "OUT")]
        output: PathBuf,
        /// The device directory.
        #[arg(long, value_name = "DIR")]
        device: PathBuf,
        /// Capture time (RFC 3339 or Unix seconds); default now. A real camera uses its
        /// own clock; a day earlier than the device's last photo is refused.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Print {output, epoch} as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Keep the input's EXIF/XMP/IPTC metadata. By default it is removed (all but the
        /// orientation): serial numbers, owner names and GPS positions would link a
        /// camera's photos whatever its capture tags say.
        #[arg(long)]
        keep_metadata: bool,
    },
}

fn now_secs() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default()
}

fn copy_secret(from: &Path, to: &Path, secret: bool) -> Result<()> {
    let bytes =
        std::fs::read(from).with_context(|| format!("cannot read {}", crate::shown(from)))?;
    crate::output::write_new_file(to, &bytes, secret)
}

pub fn read_group(path: &Path) -> Result<GroupKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the curator group {}", crate::shown(path)))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a curator group file (from `provenant curator dkg finish`)",
            crate::shown(path)
        )
    })
}

pub fn run(a: Args) -> Result<Exit> {
    match a.command {
        Sub::Init {
            dir,
            maker,
            group,
            at,
        } => {
            let group = read_group(&group)?;
            let secs = match at {
                Some(t) => crate::network::parse_time(&t)?,
                None => now_secs(),
            };
            if dir
                .join(provenant_core::blacklist::device::SECURE_ELEMENT)
                .exists()
            {
                anyhow::bail!("{} already holds a device", crate::shown(&dir));
            }
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", crate::shown(&dir)))?;
            copy_secret(&maker.join(CHAIN), &dir.join(CHAIN), false)?;
            copy_secret(&maker.join(SIGNER_KEY), &dir.join(SIGNER_KEY), true)?;
            let element = SecureElement::create(&dir, group.public, epoch_of(secs))?;
            eprintln!(
                "device ready in {} (fleet certificate from {}, epoch {}, escrow to a {}-of-{} curator group)",
                crate::shown(&dir),
                crate::shown(&maker),
                element.epoch(),
                group.threshold,
                group.curators
            );
        }
        Sub::Capture {
            input,
            output,
            device,
            at,
            json,
            keep_metadata,
        } => {
            let secs = match at {
                Some(t) => crate::network::parse_time(&t)?,
                None => now_secs(),
            };
            let when = provenant_core::anchor::check::rfc3339(secs);
            let epoch = epoch_of(secs);
            let mut bytes = crate::output::read_input(&input)?;
            if !keep_metadata {
                bytes = provenant_core::blacklist::metadata::strip_identifying(&bytes)
                    .with_context(|| {
                        format!(
                            "{} (--keep-metadata signs it as it is)",
                            crate::shown(&input)
                        )
                    })?;
            }
            let mut src = std::io::Cursor::new(bytes);
            let mut out = AtomicOutput::create(&output)?;
            let format = capture_stream(&mut src, &mut out.file, &device, epoch, when)
                .with_context(|| crate::shown(&input))?;
            out.commit()?;
            eprintln!(
                "captured {} → {} ({format}, epoch {epoch})",
                crate::shown(&input),
                crate::shown(&output)
            );
            crate::output::print_written(
                json,
                &output,
                format.mime(),
                serde_json::json!({ "epoch": epoch }),
            )?;
        }
    }
    Ok(Exit::Pass)
}
