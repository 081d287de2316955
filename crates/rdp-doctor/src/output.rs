//! Where a report goes: standard output (a closed pipe ends it quietly), or `-o FILE`, written atomically
//! (a temporary file in the same directory, flushed, renamed over FILE) and never over an input file.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, bail};

use crate::rdpfile::files::{parent, same_file};

/// Refuses an output path that names one of the command's inputs (a capture, a key log, an .rdp file, a
/// password file, a hive) or lies inside an input directory (a mounted volume read as evidence), or is a
/// directory.
pub fn guard(out: &Path, inputs: &[&Path]) -> anyhow::Result<()> {
    if let Some(input) = inputs.iter().find(|i| same_file(out, i) || out == **i) {
        bail!("refusing to write the report over the input file {} (-o names it)", input.display());
    }
    let canonical_parent = std::fs::canonicalize(parent(out)).ok();
    if let Some(dir) = inputs
        .iter()
        .filter(|i| i.is_dir())
        .find(|d| matches!((&canonical_parent, std::fs::canonicalize(d)), (Some(p), Ok(d)) if p.starts_with(&d)))
    {
        bail!("refusing to write the report inside the input directory {} (-o names a file in it)", dir.display());
    }
    if out.is_dir() {
        bail!("{} is a directory: -o needs a file name", out.display());
    }
    Ok(())
}

/// Writes what `body` produces to `dest` (or standard output).
pub fn write(
    dest: Option<&Path>,
    inputs: &[&Path],
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let Some(path) = dest else {
        let stdout = std::io::stdout();
        let mut w = BufWriter::with_capacity(1 << 16, stdout.lock());
        return match body(&mut w).and_then(|()| w.flush()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.context("cannot write the report"),
        };
    };
    guard(path, inputs)?;
    let dir = parent(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".rdp-doctor-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    {
        let mut w = BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        body(&mut w).and_then(|()| w.flush()).context("cannot write the temporary file")?;
    }
    tmp.as_file().sync_all().context("cannot flush the temporary file")?;
    // A report is for sharing: readable like any new file (the temporary file is owner-only), or with the
    // permissions of the file it replaces.
    let perms = match std::fs::metadata(path) {
        Ok(m) => Some(m.permissions()),
        Err(_) => readable(),
    };
    if let Some(p) = perms {
        std::fs::set_permissions(tmp.path(), p).context("cannot set the report's permissions")?;
    }
    tmp.persist(path)
        .map_err(|e| anyhow::Error::new(e.error))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(unix)]
fn readable() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn readable() -> Option<std::fs::Permissions> {
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn writes_atomically_and_never_over_an_input() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.pcap");
        std::fs::write(&input, b"capture").unwrap();
        let out = dir.path().join("report.html");
        write(Some(&out), &[&input], |w: &mut dyn Write| w.write_all(b"one")).unwrap();
        write(Some(&out), &[&input], |w: &mut dyn Write| w.write_all(b"two")).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"two", "a report replaces an older report");
        let err = write(Some(&input), &[&input], |w: &mut dyn Write| w.write_all(b"x")).unwrap_err();
        assert!(err.to_string().contains("refusing to write the report over the input file"), "{err}");
        let link = dir.path().join("link.pcap");
        std::fs::hard_link(&input, &link).unwrap();
        assert!(write(Some(&link), &[&input], |w: &mut dyn Write| w.write_all(b"x")).is_err(), "same file");
        assert_eq!(std::fs::read(&input).unwrap(), b"capture");
        assert!(write(Some(dir.path()), &[], |w: &mut dyn Write| w.write_all(b"x")).is_err());
        let volume = dir.path().join("volume");
        std::fs::create_dir_all(volume.join("Windows")).unwrap();
        let inside = volume.join("Windows").join("r.html");
        let err = write(Some(&inside), &[&volume], |w: &mut dyn Write| w.write_all(b"x")).unwrap_err();
        assert!(err.to_string().contains("inside the input directory"), "{err}");
        assert!(!inside.exists());
        let failing = write(Some(&out), &[], |_: &mut dyn Write| Err(std::io::Error::other("boom")));
        assert!(failing.is_err());
        assert_eq!(std::fs::read(&out).unwrap(), b"two", "a failed write leaves the old file");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o644);
        }
    }
}
