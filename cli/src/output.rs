//! Writing results safely: one-line errors, atomic output files.

use std::fs::{self, File, OpenOptions};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::render::Style;

/// Prints an error chain on one line to stderr.
/// What to do about an error from the core, in the CLI's own terms (the core names no
/// flags or commands).
fn hint(e: &anyhow::Error) -> Option<&'static str> {
    use provenant_core::anchor::{AnchorError, RegistryError};
    use provenant_core::blacklist::device::DeviceError;
    use provenant_core::chronology::LogError;
    use provenant_core::credentials::keys::KeyError;
    use provenant_core::credentials::sign::SignError;
    e.chain().find_map(|cause| {
        if let Some(e) = cause.downcast_ref::<AnchorError>() {
            return match e {
                AnchorError::NoNetwork => Some("use --chain polygon|amoy|URL or --rpc URL"),
                AnchorError::NoRegistry(_) => {
                    Some("deploy one (`provenant registry deploy`) or pass --registry")
                }
                AnchorError::NoContract(_) => Some("wrong --registry or wrong chain?"),
                AnchorError::KeyNotAuthorized { .. }
                | AnchorError::Reverted(RegistryError::NotAuthorizedKey(_)) => {
                    Some("ask the publisher: `provenant registry publisher authorize`")
                }
                _ => None,
            };
        }
        match (
            cause.downcast_ref::<KeyError>(),
            cause.downcast_ref::<SignError>(),
            cause.downcast_ref::<LogError>(),
            cause.downcast_ref::<DeviceError>(),
        ) {
            (Some(KeyError::Exists { .. }), ..) => Some("use --force to overwrite"),
            (_, Some(SignError::AlreadySigned), ..) => Some("use `provenant edit` to add a step"),
            (_, _, Some(LogError::Busy(_)), _) => Some("another `provenant anchor` is running"),
            (.., Some(DeviceError::NotDevice(..))) => Some("make one with `provenant device init`"),
            _ => None,
        }
    })
}

pub fn error_line(e: &anyhow::Error) {
    let parts: Vec<String> = e
        .chain()
        .map(|c| crate::render::clean(&c.to_string()))
        .collect();
    let mut line = String::new();
    for p in parts {
        // Causes often repeat their context; keep the line short.
        if !line.contains(&p) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&p);
        }
    }
    if let Some(hint) = hint(e) {
        line.push_str(" (");
        line.push_str(hint);
        line.push(')');
    }
    eprintln!("error: {line}");
}

/// Colour on stdout only for a terminal, and never with NO_COLOR set.
pub fn stdout_style() -> Style {
    Style {
        color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

/// A file written under a temporary name and renamed into place on success, so a
/// failed run never leaves a half-written output or clobbers an existing one.
#[derive(Debug)]
pub struct AtomicOutput {
    tmp: PathBuf,
    dest: PathBuf,
    pub file: File,
    done: bool,
}

impl AtomicOutput {
    pub fn create(dest: &Path) -> Result<Self> {
        if dest.is_dir() {
            anyhow::bail!(
                "{} is a directory; give an output file name",
                crate::shown(dest)
            );
        }
        let dir = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.provenant-{}.tmp", std::process::id()));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&tmp)
            .with_context(|| format!("cannot create {}", crate::shown(&tmp)))?;
        Ok(Self {
            tmp,
            dest: dest.to_path_buf(),
            file,
            done: false,
        })
    }

    /// Everything written so far (read back from the temporary file; the writer may
    /// have left the position anywhere).
    pub fn written(&mut self) -> Result<Vec<u8>> {
        use std::io::{Read, Seek, SeekFrom};
        self.file.flush()?;
        let len = self.file.metadata()?.len();
        let at = self.file.stream_position()?;
        self.file.seek(SeekFrom::Start(0))?;
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        (&mut self.file).take(len).read_to_end(&mut bytes)?;
        self.file.seek(SeekFrom::Start(at))?;
        Ok(bytes)
    }

    pub fn commit(mut self) -> Result<()> {
        self.file.sync_all()?;
        fs::rename(&self.tmp, &self.dest)
            .with_context(|| format!("cannot write {}", crate::shown(&self.dest)))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for AtomicOutput {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// With `--json`, describes a written file on stdout (path, format, SHA-256 and
/// whatever `extra` adds) so pipelines need not parse the narration on stderr.
pub fn print_written(
    json: bool,
    path: &Path,
    format: &str,
    extra: serde_json::Value,
) -> Result<()> {
    if !json {
        return Ok(());
    }
    let sha256 = provenant_core::credentials::hash::sha256_hex(File::open(path)?)?;
    let mut v = serde_json::json!({ "output": path.display().to_string(), "format": format, "sha256": sha256 });
    if let (Some(obj), serde_json::Value::Object(more)) = (v.as_object_mut(), extra) {
        obj.extend(more);
    }
    println!("{v}");
    Ok(())
}

/// Opens an input file with a clear message for directories and missing files.
pub fn open_input(path: &Path) -> Result<File> {
    let meta = fs::metadata(path).with_context(|| format!("cannot open {}", crate::shown(path)))?;
    if meta.is_dir() {
        anyhow::bail!("{} is a directory, not a file", crate::shown(path));
    }
    File::open(path).with_context(|| format!("cannot open {}", crate::shown(path)))
}

/// Largest file read whole into memory (pictures for hashing and lookup).
pub const MAX_READ_BYTES: u64 = 512 * 1024 * 1024;

/// Reads a whole input file, refusing directories and absurd sizes.
pub fn read_input(path: &Path) -> Result<Vec<u8>> {
    read_open_input(&mut open_input(path)?, path)
}

/// The rest of an open input file (`path` names it in messages), refusing absurd sizes:
/// before reading when the file says so, and after reading at most one byte past the cap
/// when it grew meanwhile.
pub fn read_open_input(file: &mut File, path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let too_large = || {
        anyhow::anyhow!(
            "{} is larger than {} MiB",
            crate::shown(path),
            MAX_READ_BYTES >> 20
        )
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX_READ_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_READ_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", crate::shown(path)))?;
    if bytes.len() as u64 > MAX_READ_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Writes a file that must not exist yet (mode 0600 when `secret`), synced to disk.
pub fn write_new_file(path: &Path, bytes: &[u8], secret: bool) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut f = options
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist)", crate::shown(path)))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}
