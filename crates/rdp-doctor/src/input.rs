//! Opening the files named on the command line (a capture, a key log, an .rdp file, a password file) with
//! one error vocabulary on Linux and Windows: a missing file, a directory, a file another program holds
//! open (Windows' sharing violation) and a denied access each get their own plain sentence, and the tool
//! exits 2. Paths are taken as given: on Windows `C:\Users\a b\trace.pcapng` and `\\server\share\x.rdp`
//! are ordinary `Path`s.

use std::fs::File;
use std::io::ErrorKind;
use std::path::Path;

use anyhow::bail;

/// `ERROR_SHARING_VIOLATION` and `ERROR_LOCK_VIOLATION`: another process opened the file without sharing it.
#[cfg(windows)]
const IN_USE: [i32; 2] = [32, 33];

/// Opens `path` for reading; `what` names it in errors (`the capture`, `--password-file`).
pub fn open(path: &Path, what: &str) -> anyhow::Result<File> {
    let shown = path.display();
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => bail!("{what} {shown} is a directory, not a file"),
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => bail!("{what} {shown} does not exist"),
        Err(_) => {} // the open below says why
    }
    File::open(path).map_err(|e| anyhow::anyhow!("{what} {shown} cannot be opened: {}", reason(&e)))
}

/// The sentence for an open error.
pub fn reason(e: &std::io::Error) -> String {
    #[cfg(windows)]
    if e.raw_os_error().is_some_and(|c| IN_USE.contains(&c)) {
        return format!(
            "another program has it open and does not share it ({e}); close that program (a capture still \
             running, an editor), or copy the file and use the copy"
        );
    }
    match e.kind() {
        ErrorKind::NotFound => format!("it does not exist ({e})"),
        ErrorKind::PermissionDenied => format!("access is denied ({e})"),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn errors_name_the_file_and_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nö such.pcap");
        let e = open(&missing, "the capture").unwrap_err().to_string();
        assert!(e.contains("does not exist") && e.contains("nö such.pcap"), "{e}");
        let e = open(dir.path(), "the capture").unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
        let f = dir.path().join("a b.rdp");
        std::fs::write(&f, b"x").unwrap();
        assert!(open(&f, "x").is_ok());
    }
}
