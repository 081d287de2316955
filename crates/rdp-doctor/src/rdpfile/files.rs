//! File I/O for the rdpfile commands: bounded reads, atomic writes, backups, and the guard that `clean`
//! never overwrites its input by accident.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Largest file read: far above any real .rdp file (a few KiB), small enough to hold in memory.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a whole file, refusing anything larger than [`MAX_FILE_BYTES`].
pub fn read_bounded(path: &Path) -> anyhow::Result<Vec<u8>> {
    let file = crate::input::open(path, "the file")?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        bail!("{} is larger than {} MiB: not an .rdp file", path.display(), MAX_FILE_BYTES / 1024 / 1024);
    }
    Ok(bytes)
}

/// The directory a path lives in (`.` for a bare file name).
pub fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Whether two paths name the same file (same inode on Unix, same canonical path elsewhere).
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(ma), Ok(mb)) = (fs::metadata(a), fs::metadata(b)) {
            return ma.dev() == mb.dev() && ma.ino() == mb.ino();
        }
    }
    matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, flushed to disk, then
/// renamed over `path`. Readers see the old file or the new one, never half of one. With `keep_mode_of`,
/// the new file gets that file's permissions (else the temporary file's owner-only mode stays).
pub fn write_atomic(path: &Path, bytes: &[u8], keep_mode_of: Option<&Path>, clobber: bool) -> anyhow::Result<()> {
    let dir = parent(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".rdp-doctor-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes).and_then(|()| tmp.as_file().sync_all()).context("cannot write the temporary file")?;
    if let Some(src) = keep_mode_of {
        let perms = fs::metadata(src).with_context(|| format!("cannot read {}", src.display()))?.permissions();
        fs::set_permissions(tmp.path(), perms).context("cannot set the new file's permissions")?;
    }
    let result = if clobber { tmp.persist(path) } else { tmp.persist_noclobber(path) };
    result.map_err(|e| anyhow::Error::new(e.error)).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// `FILE.rdp` → `FILE.rdp.bak`.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".bak");
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn atomic_write_and_guards() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.rdp");
        write_atomic(&a, b"one", None, false).unwrap();
        assert!(write_atomic(&a, b"two", None, false).is_err(), "no clobber");
        assert_eq!(fs::read(&a).unwrap(), b"one");
        write_atomic(&a, b"two", None, true).unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"two");
        let link = dir.path().join("b.rdp");
        fs::hard_link(&a, &link).unwrap();
        assert!(same_file(&a, &link));
        assert!(same_file(&a, &dir.path().join(".").join("a.rdp")));
        assert!(!same_file(&a, &dir.path().join("missing.rdp")));
        assert_eq!(backup_path(&a), dir.path().join("a.rdp.bak"));
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files are renamed or removed");
    }

    #[test]
    fn reads_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.rdp");
        let f = fs::File::create(&big).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        let err = read_bounded(&big).unwrap_err().to_string();
        assert!(err.contains("larger than 16 MiB"), "{err}");
        assert!(read_bounded(&dir.path().join("none.rdp")).is_err());
    }
}
