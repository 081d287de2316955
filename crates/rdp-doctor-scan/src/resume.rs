//! `--resume FILE`: continue a scan that was stopped. FILE is the JSONL output of the stopped run; every
//! complete line names a finished target (`scan.key`), which is not probed again. A last line cut off by
//! the stop is removed from the file (it is rewritten when that target runs again), so the file stays
//! valid JSONL and the resumed run appends to it.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;

/// What a stopped run had finished.
#[derive(Debug, Default)]
pub struct Done {
    /// Keys of the targets with a complete line.
    pub keys: HashSet<String>,
    /// Complete lines read.
    pub lines: usize,
    /// Bytes of an incomplete last line that were cut off.
    pub truncated_bytes: u64,
    /// Lines that are not reports of a scan (kept in the file, ignored).
    pub foreign: usize,
}

/// Reads `path` (created empty when missing) and removes a trailing incomplete line.
pub fn prepare(path: &Path) -> std::io::Result<Done> {
    let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
    let mut done = Done::default();
    let mut reader = BufReader::with_capacity(1 << 16, &file);
    let mut line = Vec::new();
    let mut complete_end = 0u64;
    let mut pos = 0u64;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        pos += n as u64;
        if line.last() != Some(&b'\n') {
            break;
        }
        complete_end = pos;
        match key_of(&line) {
            Some(k) => {
                done.keys.insert(k);
                done.lines += 1;
            }
            None => done.foreign += 1,
        }
    }
    let len = file.metadata()?.len();
    if len > complete_end {
        done.truncated_bytes = len - complete_end;
        file.set_len(complete_end)?;
    }
    let mut f = &file;
    f.seek(SeekFrom::End(0))?;
    Ok(done)
}

/// The `scan.key` of one JSONL line, if it is a scan report.
pub fn key_of(line: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Line {
        scan: Option<Scan>,
    }
    #[derive(serde::Deserialize)]
    struct Scan {
        key: String,
    }
    serde_json::from_slice::<Line>(line).ok()?.scan.map(|s| s.key)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn complete_lines_count_and_a_cut_line_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("run.jsonl");
        let text = "{\"scan\":{\"key\":\"a:3389\"}}\n{\"other\":1}\n{\"scan\":{\"key\":\"b:3389\"}}\n{\"scan\":{\"ke";
        std::fs::write(&p, text).unwrap();
        let done = prepare(&p).unwrap();
        assert_eq!(done.lines, 2);
        assert_eq!(done.foreign, 1);
        assert!(done.keys.contains("a:3389") && done.keys.contains("b:3389"));
        assert_eq!(done.truncated_bytes, 12);
        assert!(std::fs::read_to_string(&p).unwrap().ends_with("\"b:3389\"}}\n"));
        let missing = dir.path().join("new.jsonl");
        assert_eq!(prepare(&missing).unwrap().lines, 0);
        assert!(missing.exists());
    }
}
