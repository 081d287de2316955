//! Bad input is an answer, never a panic: truncated and corrupted hives, a hive of another kind, files that
//! are no hive; and the inputs are read-only (a test proves every file is unchanged).
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;

fn digest(p: &std::path::Path) -> (Vec<u8>, std::time::SystemTime) {
    let m = std::fs::metadata(p).unwrap();
    (std::fs::read(p).unwrap(), m.modified().unwrap())
}

#[test]
fn truncated_corrupt_and_foreign_hives() {
    let d = tempfile::tempdir().unwrap();
    let h = real_hive("SYSTEM", d.path(), "SYSTEM");
    let bytes = std::fs::read(&h).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("short", bytes[..100].to_vec()),
        ("half", bytes[..bytes.len() / 2].to_vec()),
        ("no-magic", {
            let mut b = bytes.clone();
            b[0] = b'x';
            b
        }),
        ("bins-zeroed", {
            let mut b = bytes.clone();
            b[4096..4096 + 8192].fill(0);
            b
        }),
        ("evtx", std::fs::read(data("evtx/DE_RDP_Tunneling_4624.evtx")).unwrap()),
    ];
    for (name, b) in cases {
        let p = d.path().join(name);
        std::fs::write(&p, &b).unwrap();
        let host = rdp_doctor_host::offline::collect(&hives(&[&p]));
        assert!(!rdp_doctor_host::offline::readable(&host), "{name} read as a hive");
        let err = host.hives[0].error.clone().unwrap_or_default();
        assert!(!err.is_empty(), "{name}: no message");
        match name {
            "no-magic" | "evtx" => assert!(err.contains("not a registry hive"), "{name}: {err}"),
            "empty" | "short" => {
                assert!(err.contains("truncated") || err.contains("not a registry hive"), "{name}: {err}")
            }
            _ => assert!(err.contains("damaged") || err.contains("truncated"), "{name}: {err}"),
        }
    }
    // Flipped bytes anywhere: read or refused, never a panic.
    for i in (4096..bytes.len()).step_by(bytes.len() / 12) {
        let mut b = bytes.clone();
        for j in i..(i + 64).min(b.len()) {
            b[j] ^= 0x5A;
        }
        let p = d.path().join("flipped");
        std::fs::write(&p, &b).unwrap();
        let _ = rdp_doctor_host::offline::collect(&hives(&[&p]));
    }
}

#[test]
fn a_hive_of_no_known_kind() {
    let d = tempfile::tempdir().unwrap();
    // The real SYSTEM hive with its SYSTEM keys removed and nothing added: a hive of no known kind.
    let h = real_hive("SYSTEM", d.path(), "OTHER");
    merge(&h, "X", &[("ControlSet001", None), ("ControlSet002", None), ("Select", None)]);
    let host = rdp_doctor_host::offline::collect(&hives(&[&h]));
    assert!(!rdp_doctor_host::offline::readable(&host));
    assert!(
        host.limitations.iter().any(|l| l.contains("not SYSTEM, SOFTWARE, SECURITY or SAM")),
        "{:?}",
        host.limitations
    );
}

#[test]
fn inputs_are_not_changed() {
    let d = tempfile::tempdir().unwrap();
    let sys = real_hive("SYSTEM_2", d.path(), "SYSTEM");
    // A dirty hive with a (foreign) transaction log beside it: recovery happens in memory only.
    let log = d.path().join("SYSTEM.LOG1");
    std::fs::write(&log, &std::fs::read(&sys).unwrap()[..8192]).unwrap();
    let root = d.path().join("vol");
    volume(&root, &sys, None, &[], &["DE_RDP_Tunneling_TerminalServices-RemoteConnectionManagerOperational_1149.evtx"]);
    std::fs::rename(&log, root.join("Windows/System32/config/SYSTEM.LOG1")).unwrap();
    let files = [
        root.join("Windows/System32/config/SYSTEM"),
        root.join("Windows/System32/config/SYSTEM.LOG1"),
        root.join("Windows/System32/winevt/Logs/DE_RDP_Tunneling_TerminalServices-RemoteConnectionManagerOperational_1149.evtx"),
    ];
    let before: Vec<_> = files.iter().map(|p| digest(p)).collect();
    let inputs = rdp_doctor_host::offline::Inputs { volume: Some(root.clone()), now: NOW, ..Default::default() };
    let host = rdp_doctor_host::offline::collect(&inputs);
    assert!(rdp_doctor_host::offline::readable(&host));
    assert!(host.hives[0].dirty);
    let after: Vec<_> = files.iter().map(|p| digest(p)).collect();
    assert!(before == after, "an input file changed");
    let mut names: Vec<_> =
        std::fs::read_dir(root.join("Windows/System32/config")).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names, ["SYSTEM", "SYSTEM.LOG1"], "nothing was added beside the hive");
}
