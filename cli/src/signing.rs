//! Loading the signer of `sign` and `edit`: a key directory or PEM key (`--key`), a key
//! in a PKCS#11 token (`--key pkcs11:…` with `--cert` and a module), or an external
//! command (`--signer-command` with `--cert`). The PIN comes from
//! `PROVENANT_PKCS11_PIN` or a prompt on the terminal, never from an argument.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use provenant_core::credentials::external::ExternalSigner;
use provenant_core::credentials::identity::Identity;
use provenant_core::credentials::metadata::PhotoMetadata;
use provenant_core::credentials::pkcs11::{Pkcs11Signer, Pkcs11Uri};
use provenant_core::credentials::signer::{KeyFileSigner, Signer, SignerError, SigningAlg};
use provenant_core::credentials::thumbnail::Thumbnail;

use crate::config::Config;

/// The key options shared by `sign` and `edit`.
#[derive(Debug, clap::Args)]
pub struct KeyArgs {
    /// The signing key: a directory made by `provenant keygen`, a PKCS#8 PEM key file
    /// (with --cert), or a key in a PKCS#11 token as an RFC 7512 URI,
    /// 'pkcs11:token=…;object=…' (with --cert; PIN from PROVENANT_PKCS11_PIN or a prompt).
    #[arg(
        long,
        value_name = "DIR|FILE|URI",
        required_unless_present = "signer_command"
    )]
    pub key: Option<PathBuf>,
    /// The certificate chain (PEM, signing certificate first) for a key file, a PKCS#11
    /// key or --signer-command.
    #[arg(long, value_name = "PEM")]
    pub cert: Option<PathBuf>,
    /// The PKCS#11 module to load (default: PROVENANT_PKCS11_MODULE, the URI's
    /// module-path, then pkcs11_module in the config file).
    #[arg(long, value_name = "SO")]
    pub pkcs11_module: Option<PathBuf>,
    /// Sign by running CMD (through sh -c): it reads the bytes to sign on stdin and writes
    /// the raw signature to stdout (Ed25519: 64 bytes; ECDSA: r||s or DER). Needs --cert.
    #[arg(long, value_name = "CMD", conflicts_with_all = ["key", "pkcs11_module"])]
    pub signer_command: Option<String>,
    /// Seconds --signer-command may take per signature before it (and what it started)
    /// is stopped and nothing is written.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 60.0,
        requires = "signer_command"
    )]
    pub signer_timeout: f64,
}

/// The signer the key options chose.
pub enum LoadedSigner {
    /// Key files.
    File(KeyFileSigner),
    /// A key in a PKCS#11 token.
    Pkcs11(Box<Pkcs11Signer>),
    /// An external command.
    External(ExternalSigner),
}

impl LoadedSigner {
    pub fn as_signer(&self) -> &dyn Signer {
        match self {
            Self::File(s) => s.as_signer(),
            Self::Pkcs11(s) => s.as_ref(),
            Self::External(s) => s,
        }
    }

    pub fn alg(&self) -> SigningAlg {
        match self {
            Self::File(s) => s.alg(),
            Self::Pkcs11(s) => s.alg(),
            Self::External(s) => s.alg(),
        }
    }

    /// Why the token or command failed the last signature, if it did.
    pub fn take_failure(&self) -> Option<SignerError> {
        match self {
            Self::File(_) => None,
            Self::Pkcs11(s) => s.take_failure(),
            Self::External(s) => s.take_failure(),
        }
    }
}

fn read_chain(cert: Option<&Path>, what: &str) -> Result<Vec<u8>> {
    let cert = cert.ok_or_else(|| {
        anyhow!("{what} needs --cert CHAIN.pem (the certificate chain, signing certificate first)")
    })?;
    std::fs::read(cert).with_context(|| format!("cannot read {}", crate::shown(cert)))
}

impl KeyArgs {
    /// Loads the signer, reading the module from the config when no flag names it.
    pub fn load(&self, cfg: &Config) -> Result<LoadedSigner> {
        if let Some(cmd) = &self.signer_command {
            let chain = read_chain(self.cert.as_deref(), "--signer-command")?;
            if !(self.signer_timeout.is_finite()
                && self.signer_timeout > 0.0
                && self.signer_timeout <= 3600.0)
            {
                bail!("--signer-timeout must be between 0 and 3600 seconds");
            }
            let timeout = std::time::Duration::from_secs_f64(self.signer_timeout);
            return Ok(LoadedSigner::External(
                ExternalSigner::new(cmd, &chain)?.with_timeout(timeout),
            ));
        }
        let key = self
            .key
            .as_deref()
            .ok_or_else(|| anyhow!("give --key or --signer-command"))?;
        if let Some(uri) = key.to_str().filter(|k| Pkcs11Uri::is_uri(k)) {
            return self.load_pkcs11(uri, cfg);
        }
        if self.pkcs11_module.is_some() {
            bail!("--pkcs11-module goes with a PKCS#11 key (--key 'pkcs11:token=…;object=…')");
        }
        Ok(LoadedSigner::File(match &self.cert {
            Some(chain) if key.is_file() => KeyFileSigner::from_files(chain, key)?,
            Some(_) => bail!(
                "--cert goes with a key file or a PKCS#11 key; {} is a key directory",
                crate::shown(key)
            ),
            None => KeyFileSigner::load(key)?,
        }))
    }

    fn load_pkcs11(&self, uri: &str, cfg: &Config) -> Result<LoadedSigner> {
        let uri = Pkcs11Uri::parse(uri)?;
        let chain = read_chain(self.cert.as_deref(), "a PKCS#11 key")?;
        let module = self
            .pkcs11_module
            .clone()
            .or_else(|| std::env::var_os("PROVENANT_PKCS11_MODULE").map(PathBuf::from))
            .or_else(|| uri.module_path.clone())
            .or_else(|| cfg.pkcs11_module.clone())
            .ok_or_else(|| {
                anyhow!("no PKCS#11 module: give --pkcs11-module, PROVENANT_PKCS11_MODULE or pkcs11_module in the config file")
            })?;
        let pin = pin(uri.token.as_deref())?;
        Ok(LoadedSigner::Pkcs11(Box::new(Pkcs11Signer::open(
            &module, &uri, &pin, &chain,
        )?)))
    }
}

/// The PIN from `PROVENANT_PKCS11_PIN`, else typed at the terminal (not echoed).
fn pin(token: Option<&str>) -> Result<String> {
    if let Ok(pin) = std::env::var("PROVENANT_PKCS11_PIN") {
        return Ok(pin);
    }
    if !std::io::stdin().is_terminal() {
        bail!("the token needs a PIN: set PROVENANT_PKCS11_PIN (it is never taken as an argument), or run on a terminal to be asked");
    }
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("cannot open the terminal to ask for the PIN")?;
    let echo = |on: bool| {
        std::process::Command::new("stty")
            .arg(if on { "echo" } else { "-echo" })
            .stdin(tty.try_clone()?)
            .status()
    };
    eprint!("PIN for token {}: ", token.unwrap_or("(any)"));
    std::io::stderr().flush()?;
    let hidden = echo(false).is_ok_and(|s| s.success());
    let mut line = String::new();
    let read = std::io::BufReader::new(&tty).read_line(&mut line);
    if hidden {
        let _ = echo(true);
    }
    eprintln!();
    read.context("cannot read the PIN")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// What the newsroom says about the picture and who else signs it (shared by `sign` and
/// `edit`): IPTC photo metadata, the do-not-train statement, thumbnails and CAWG
/// identity assertions.
#[derive(Debug, clap::Args)]
pub struct StatementArgs {
    /// Caption (IPTC Description). Default: the input's own, from its XMP or IPTC
    /// metadata (edit: the previous step's).
    #[arg(long, value_name = "TEXT")]
    pub caption: Option<String>,
    /// Creator (IPTC Creator); repeat for several. Default: the input's own.
    #[arg(long, value_name = "NAME")]
    pub creator: Vec<String>,
    /// Credit line (IPTC Credit Line). Default: the input's own.
    #[arg(long, value_name = "TEXT")]
    pub credit: Option<String>,
    /// Copyright notice (IPTC Copyright Notice). Default: the input's own.
    #[arg(long, value_name = "TEXT")]
    pub copyright: Option<String>,
    /// Forbid AI training, inference and data mining of the content (a CAWG
    /// training-and-data-mining assertion; edits keep it).
    #[arg(long)]
    pub do_not_train: bool,
    /// Write no claim thumbnail (edit: nor an ingredient thumbnail of the input).
    #[arg(long)]
    pub no_thumbnail: bool,
    /// Sign also as a person (a photographer, an editor): a key directory from `provenant
    /// keygen`, or a key file with --identity-cert. Adds a CAWG identity assertion signed
    /// with that key over the content, the actions and the metadata. Repeatable.
    #[arg(long, value_name = "DIR|FILE")]
    pub identity: Vec<PathBuf>,
    /// The certificate chain (PEM) of an --identity key file.
    #[arg(long, value_name = "PEM", requires = "identity")]
    pub identity_cert: Option<PathBuf>,
    /// The person's role (CAWG named-actor role), e.g. cawg.creator, cawg.editor,
    /// cawg.photographer; repeatable.
    #[arg(
        long,
        value_name = "ROLE",
        default_value = "cawg.creator",
        requires = "identity"
    )]
    pub identity_role: Vec<String>,
}

impl StatementArgs {
    /// The metadata fields given on the command line.
    pub fn overrides(&self) -> PhotoMetadata {
        PhotoMetadata {
            caption: self.caption.clone(),
            creator: self.creator.clone(),
            credit: self.credit.clone(),
            copyright: self.copyright.clone(),
            ..Default::default()
        }
    }

    /// The identities to sign as, loaded and checked.
    pub fn identities(&self) -> Result<Vec<Identity>> {
        if self.identity.len() > 1 && self.identity_cert.is_some() {
            bail!("--identity-cert goes with a single --identity key file");
        }
        let roles: Vec<&str> = self.identity_role.iter().map(String::as_str).collect();
        self.identity
            .iter()
            .map(|key| {
                let loaded = match &self.identity_cert {
                    Some(chain) => Identity::from_files(chain, key, &roles),
                    None if key.is_dir() => Identity::from_files(
                        &key.join(provenant_core::credentials::keys::CHAIN),
                        &key.join(provenant_core::credentials::keys::SIGNER_KEY),
                        &roles,
                    ),
                    None => bail!(
                        "--identity {} is a key file: give its chain with --identity-cert",
                        crate::shown(key)
                    ),
                };
                loaded.with_context(|| format!("--identity {}", crate::shown(key)))
            })
            .collect()
    }

    /// A picture decoded once (reduced: a JPEG in the DCT domain) for its thumbnail
    /// (unless --no-thumbnail), its ISCC soft binding and the log's fingerprints; none
    /// for other media. The thumbnail is encoded on a second thread while this one
    /// codes the soft binding and reduces the pixels further to the fingerprints' size;
    /// the log's fingerprints are then computed on another thread while the caller
    /// signs and writes the file (they are needed only for the log record after it).
    pub fn decode(&self, bytes: &[u8]) -> Result<Option<Decoded>> {
        use provenant_core::chronology::fingerprint::{
            decode_reduced_with_factor, fingerprint_picture, DecodeLimits, FINGERPRINT_SIDE,
        };
        use provenant_core::chronology::log_fingerprints::PictureFingerprints;
        if !is_picture(bytes) {
            return Ok(None);
        }
        // A JPEG already thumbnail-sized is its own thumbnail (no pixels needed for it).
        let own_thumbnail = (!self.no_thumbnail)
            .then(|| Thumbnail::of_small_jpeg(bytes))
            .flatten();
        // Else half the thumbnail's edge at least: a 12 MP photo becomes 1000x750.
        let min_side = if self.no_thumbnail || own_thumbnail.is_some() {
            FINGERPRINT_SIDE
        } else {
            provenant_core::credentials::thumbnail::LONG_EDGE / 2
        };
        let (picture, factor) =
            decode_reduced_with_factor(bytes, DecodeLimits::default(), min_side)
                .map_err(|e| anyhow!("cannot decode the picture: {e}"))?;
        let (thumbnail, fingerprints, code) = std::thread::scope(|scope| {
            let thumbnail = (!self.no_thumbnail && own_thumbnail.is_none())
                .then(|| scope.spawn(|| Thumbnail::of(&picture)));
            // The soft binding from the decoded pixels themselves, as before (what
            // `verify --check-soft-binding` computes, to the bit on the samples); the
            // log's 13 codes and hash from the further reduced copy.
            let code = provenant_core::chronology::iscc::code_image(&picture);
            let fingerprints = fingerprint_picture(&picture, factor).into_owned();
            let thumbnail = thumbnail.map(|t| {
                t.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            });
            (thumbnail, fingerprints, code)
        });
        let thumbnail = match own_thumbnail {
            Some(own) => Some(own),
            None => thumbnail.transpose().map_err(|e| {
                anyhow!("cannot make a thumbnail: {e} (use --no-thumbnail to skip it)")
            })?,
        };
        let fingerprints = std::thread::spawn(move || PictureFingerprints::of(&fingerprints));
        Ok(Some(Decoded {
            fingerprints,
            thumbnail,
            code,
        }))
    }
}

/// A picture decoded for signing, and what is made of it.
pub struct Decoded {
    /// The log's fingerprints of the pixels reduced to their size (see
    /// `fingerprint_picture`), being computed.
    fingerprints:
        std::thread::JoinHandle<provenant_core::chronology::log_fingerprints::PictureFingerprints>,
    /// The claim thumbnail, unless --no-thumbnail.
    pub thumbnail: Option<Thumbnail>,
    /// The ISCC code (the soft binding).
    pub code: provenant_core::chronology::iscc::IsccImageCode,
}

impl Decoded {
    /// The log's fingerprints, once computed.
    pub fn fingerprints(self) -> provenant_core::chronology::log_fingerprints::PictureFingerprints {
        self.fingerprints
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

/// The whole file when it is a picture thumbnails and metadata are read from; empty for
/// other media (which are not read into memory here). Read from the caller's open `file`,
/// which is left at its start for signing from it; `path` names it in messages.
pub fn picture_bytes(file: &mut std::fs::File, path: &Path) -> Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let read = |e: std::io::Error| anyhow::anyhow!("cannot read {}: {e}", crate::shown(path));
    let mut head = Vec::with_capacity(provenant_core::MediaFormat::SNIFF_LEN);
    (&mut *file)
        .take(provenant_core::MediaFormat::SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .map_err(read)?;
    file.seek(SeekFrom::Start(0)).map_err(read)?;
    if !is_picture(&head) {
        return Ok(Vec::new());
    }
    let bytes = crate::output::read_open_input(file, path)?;
    file.seek(SeekFrom::Start(0)).map_err(read)?;
    Ok(bytes)
}

/// True for the picture formats thumbnails are made of (those the `image` build decodes).
fn is_picture(bytes: &[u8]) -> bool {
    use provenant_core::MediaFormat;
    matches!(
        MediaFormat::sniff(&bytes[..bytes.len().min(MediaFormat::SNIFF_LEN)]),
        Some(MediaFormat::Jpeg | MediaFormat::Png | MediaFormat::WebP)
    )
}
