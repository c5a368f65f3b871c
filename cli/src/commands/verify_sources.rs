//! Where `verify` finds a file's manifest when the file does not carry it: a `.c2pa`
//! sidecar (named, or found beside the file), a remote URL fetched on request, and the
//! fragments of a fragmented MP4.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use provenant_core::credentials::remote::{fetch_manifest, fetch_manifest_with, FetchOptions};
use provenant_core::credentials::verify::{ExternalManifest, ManifestOrigin};

/// Largest sidecar manifest store read.
const MAX_SIDECAR_BYTES: u64 = 64 * 1024 * 1024;
/// Most fragments one pattern may name.
const MAX_FRAGMENTS: usize = 100_000;

/// The sidecar beside `asset`: `NAME.c2pa` (the asset's extension replaced, as the C2PA
/// SDK writes them), else `NAME.EXT.c2pa`. None for a `.c2pa` file itself.
pub fn sidecar_beside(asset: &Path) -> Option<PathBuf> {
    let is_store = asset
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("c2pa"));
    if is_store {
        return None;
    }
    let replaced = asset.with_extension("c2pa");
    let mut appended = asset.as_os_str().to_owned();
    appended.push(".c2pa");
    [replaced, PathBuf::from(appended)]
        .into_iter()
        .find(|p| p.is_file())
}

/// Reads a sidecar manifest store.
pub fn read_sidecar(path: &Path) -> Result<ExternalManifest> {
    let shown = crate::shown(path);
    let meta = std::fs::metadata(path).with_context(|| format!("cannot open {shown}"))?;
    if meta.is_dir() {
        anyhow::bail!("{shown} is a directory, not a manifest store");
    }
    if meta.len() > MAX_SIDECAR_BYTES {
        anyhow::bail!("{shown} is larger than {} MiB", MAX_SIDECAR_BYTES >> 20);
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {shown}"))?;
    Ok(ExternalManifest {
        bytes: Arc::from(bytes),
        origin: ManifestOrigin::Sidecar(path.display().to_string()),
    })
}

/// Test-only settings of --fetch-remote (hidden flags).
#[derive(Debug, Default)]
pub struct FetchDev<'a> {
    /// Let the host be this machine.
    pub allow_loopback: bool,
    /// Trust only these PEM certificates.
    pub roots: Option<&'a Path>,
    /// `HOST=ADDRESS:PORT`: look HOST up as this address (it still passes the filter).
    pub resolve: Option<&'a str>,
}

/// Fetches the remote manifest `url` names (https only, public addresses only unless
/// `dev.allow_loopback`, trusting only `dev.roots` when given).
pub fn fetch_remote(url: &str, dev: &FetchDev<'_>) -> Result<ExternalManifest> {
    let (allow_loopback, roots) = (dev.allow_loopback, dev.roots);
    let extra_roots_pem = roots
        .map(|p| std::fs::read(p).with_context(|| format!("cannot read {}", crate::shown(p))))
        .transpose()?;
    let options = FetchOptions {
        allow_loopback,
        extra_roots_pem,
        ..Default::default()
    };
    let bytes = match dev.resolve {
        None => fetch_manifest(url, &options)?,
        Some(rule) => {
            let (host, address) = rule
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--fetch-resolve takes HOST=ADDRESS:PORT"))?;
            let address: std::net::SocketAddr = address
                .parse()
                .with_context(|| format!("--fetch-resolve: bad address {address}"))?;
            let host = host.to_owned();
            let lookup: provenant_core::credentials::remote::Lookup =
                Arc::new(move |name: String| {
                    let found = if name.eq_ignore_ascii_case(&host) {
                        Ok(vec![address])
                    } else {
                        Err(std::io::Error::other(format!(
                            "{name} is not named by --fetch-resolve"
                        )))
                    };
                    Box::pin(async move { found })
                });
            fetch_manifest_with(url, &options, lookup)?
        }
    };
    Ok(ExternalManifest {
        bytes: Arc::from(bytes),
        origin: ManifestOrigin::Remote(url.to_owned()),
    })
}

/// The files a fragment pattern names: a path whose file name may hold `*` (any run of
/// characters) and `?` (one character), matched in its directory, sorted by name.
pub fn fragment_files(pattern: &Path) -> Result<Vec<PathBuf>> {
    let name = pattern
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| anyhow::anyhow!("--fragments needs a file name pattern"))?;
    if !name.contains(['*', '?']) {
        return Ok(vec![pattern.to_owned()]);
    }
    let dir = match pattern.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let entries =
        std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", crate::shown(&dir)))?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry?;
        let file = entry.file_name().to_string_lossy().into_owned();
        if wildcard_match(name.as_bytes(), file.as_bytes()) && entry.path().is_file() {
            found.push(entry.path());
            if found.len() > MAX_FRAGMENTS {
                anyhow::bail!("--fragments matches more than {MAX_FRAGMENTS} files");
            }
        }
    }
    if found.is_empty() {
        anyhow::bail!("--fragments {} matches no file", crate::shown(pattern));
    }
    found.sort();
    Ok(found)
}

/// `*` and `?` wildcard matching (iterative, linear backtracking on the last `*`).
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Makes `dir` for --extract: created when absent, refused when it holds anything (so
/// nothing of the reader's is overwritten and nothing stale is mistaken for the file's).
pub fn prepare_extract_dir(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                anyhow::bail!(
                    "--extract: {} is not empty; give a new or empty directory",
                    crate::shown(dir)
                );
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create {}", crate::shown(dir))),
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot read {}", crate::shown(dir)))),
    }
}

/// Writes what `path`'s manifest store carries into `dir` (see `verify --extract`).
pub fn extract_to(
    dir: &Path,
    path: &Path,
    report: &provenant_core::Report,
    options: &provenant_core::credentials::verify::VerifyOptions,
) -> Result<()> {
    use crate::output::write_new_file;
    let file = std::io::BufReader::new(crate::output::open_input(path)?);
    let extracted = provenant_core::credentials::extract::extract(file, report, options)?;
    let mut written = vec!["report.json".to_owned()];
    write_new_file(
        &dir.join("report.json"),
        report.to_json_pretty().as_bytes(),
        false,
    )?;
    let store = extracted
        .store
        .as_deref()
        .or(options.manifest.as_ref().map(|m| &*m.bytes));
    if let Some(store) = store {
        write_new_file(&dir.join("manifest_store.c2pa"), store, false)?;
        written.push("manifest_store.c2pa".into());
    }
    if let Some(json) = &extracted.store_json {
        write_new_file(&dir.join("manifest_store.json"), json.as_bytes(), false)?;
        written.push("manifest_store.json".into());
    }
    for thumbnail in &extracted.thumbnails {
        let name = thumbnail.file_name();
        write_new_file(&dir.join(&name), &thumbnail.bytes, false)?;
        written.push(name);
    }
    for skipped in &extracted.skipped {
        eprintln!("--extract: left out {skipped}");
    }
    eprintln!(
        "extracted {} file{} into {}: {}",
        written.len(),
        if written.len() == 1 { "" } else { "s" },
        crate::shown(dir),
        written.join(", ")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn wildcards() {
        let m = |p: &str, t: &str| wildcard_match(p.as_bytes(), t.as_bytes());
        assert!(m("seg*.m4s", "seg1.m4s"));
        assert!(m("seg*.m4s", "seg.m4s"));
        assert!(m("dash?.m4s", "dash1.m4s"));
        assert!(!m("dash?.m4s", "dash12.m4s"));
        assert!(!m("seg*.m4s", "seg1.mp4"));
        assert!(m("*", "anything"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
    }
}
