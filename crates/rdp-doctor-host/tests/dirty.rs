//! A dirty hive with its transaction log: the real SYSTEM hive is changed with hivexregedit; the changed
//! pages become a new-format (`HvLE`) log entry next to the old hive, whose sequence numbers are made to
//! differ as Windows leaves them after a crash. The reader must replay the log in memory and see the new
//! value, leave both files untouched, and say "dirty" when the log does not fit.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// The regf base block checksum: XOR of the first 127 dwords (0 → 1, 0xFFFFFFFF → 0xFFFFFFFE).
fn checksum(b: &mut [u8]) {
    let x = (0..127).fold(0u32, |a, i| a ^ le32(b, i * 4));
    put32(
        b,
        508,
        match x {
            0 => 1,
            0xFFFF_FFFF => 0xFFFF_FFFE,
            x => x,
        },
    );
}

fn dirty_pair(dir: &std::path::Path, seq_gap: u32) -> (std::path::PathBuf, std::path::PathBuf) {
    let old = real_hive("SYSTEM", dir, "old");
    let new = real_hive("SYSTEM", dir, "new");
    merge(
        &new,
        "SYSTEM",
        &[(r"ControlSet001\Control\Terminal Server", Some(vec![("fDenyTSConnections", V::Dword(1))]))],
    );
    let (a, b) = (std::fs::read(&old).unwrap(), std::fs::read(&new).unwrap());
    let seq = le32(&a, 8);
    let bins = le32(&b, 40) as usize;
    let mut refs = Vec::new();
    let mut pages = Vec::new();
    for off in (0..bins).step_by(4096) {
        let pb = &b[4096 + off..4096 + off + 4096];
        let pa = a.get(4096 + off..4096 + off + 4096);
        if pa != Some(pb) {
            refs.push(regf::transaction_log::DirtyPageReference { offset: off as u32, size: 4096 });
            pages.push(pb.to_vec());
        }
    }
    assert!(!pages.is_empty());
    let n = pages.len() as u32;
    let size = (40 + 8 * n + 4096 * n).div_ceil(512) * 512;
    let entry = regf::transaction_log::LogEntry {
        signature: *b"HvLE",
        size,
        flags: 0,
        sequence_number: seq + seq_gap,
        hive_bins_data_size: bins as u32,
        dirty_pages_count: n,
        hash1: 0,
        hash2: 0,
        page_references: refs,
        dirty_pages: pages,
    };
    let mut log = a[..512].to_vec();
    put32(&mut log, 4, seq);
    put32(&mut log, 8, seq);
    put32(&mut log, 28, 6); // file type: new-format transaction log
    put32(&mut log, 32, 1);
    put32(&mut log, 44, 1);
    checksum(&mut log);
    entry.write(&mut log).unwrap();
    // The primary file as a crash leaves it: the write began (primary sequence bumped), never finished.
    let mut primary = a.clone();
    put32(&mut primary, 4, seq + 1);
    checksum(&mut primary);
    let vol = dir.join("config");
    std::fs::create_dir_all(&vol).unwrap();
    std::fs::write(vol.join("SYSTEM"), primary).unwrap();
    std::fs::write(vol.join("SYSTEM.LOG1"), log).unwrap();
    (vol.join("SYSTEM"), vol.join("SYSTEM.LOG1"))
}

#[test]
fn dirty_hive_is_replayed_from_its_log_in_memory() {
    let d = tempfile::tempdir().unwrap();
    let (hive, log) = dirty_pair(d.path(), 0);
    let before = (std::fs::read(&hive).unwrap(), std::fs::read(&log).unwrap());
    let host = rdp_doctor_host::offline::collect(&hives(&[&hive]));
    assert!(host.hives[0].dirty);
    assert_eq!(host.hives[0].logs_applied, ["SYSTEM.LOG1"], "{:?}", host.limitations);
    assert_eq!(host.value("fDenyTSConnections"), Some(1), "the logged change is seen");
    assert!(!host.limitations.iter().any(|l| l.contains("is dirty")));
    assert_eq!(before, (std::fs::read(&hive).unwrap(), std::fs::read(&log).unwrap()), "files unchanged");
}

#[test]
fn a_log_that_does_not_continue_the_hive_is_not_applied() {
    let d = tempfile::tempdir().unwrap();
    let (hive, _) = dirty_pair(d.path(), 5);
    let host = rdp_doctor_host::offline::collect(&hives(&[&hive]));
    assert!(host.hives[0].dirty && host.hives[0].logs_applied.is_empty());
    assert_eq!(host.value("fDenyTSConnections"), Some(0), "the old value, said to be possibly stale");
    assert!(host.limitations.iter().any(|l| l.contains("does not continue sequence")), "{:?}", host.limitations);
    assert!(host.limitations.iter().any(|l| l.contains("is dirty")));
}
