//! Exported event logs (`host --evtx FILE…`): the real logs of EVTX-ATTACK-SAMPLES, the window, and
//! truncated or wrong files.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use rdp_doctor_host::events;

const RCM: &str = "evtx/DE_RDP_Tunneling_TerminalServices-RemoteConnectionManagerOperational_1149.evtx";

#[test]
fn real_remote_connection_manager_log() {
    let e = events::read_files(&[data(RCM)], Some(0), None);
    let f = &e.files[0];
    assert!(f.error.is_none(), "{f:?}");
    assert!(f.records_read >= 10, "{f:?}");
    assert_eq!(f.records_damaged, 0);
    let ids: std::collections::BTreeSet<u32> = e.records.iter().map(|r| r.event_id).collect();
    assert!(ids.contains(&1149) && ids.contains(&261), "{ids:?}");
    // Newest first, each with the file and record number for evidence.
    assert!(e.records.windows(2).all(|w| w[0].time_unix >= w[1].time_unix));
    let r = &e.records[0];
    assert!(r.file.ends_with(".evtx") && r.record_id > 0 && r.time.ends_with('Z'), "{r:?}");
}

#[test]
fn default_window_is_a_day_before_the_newest_record() {
    let all = events::read_files(&[data(RCM)], Some(0), None);
    let newest = all.files[0].newest_unix.unwrap();
    let day = events::read_files(&[data(RCM)], None, None);
    assert_eq!(day.window_start_unix, newest - events::DEFAULT_WINDOW_S);
    assert!(day.records.iter().all(|r| r.time_unix >= day.window_start_unix));
    assert!(day.records.len() <= all.records.len());
    // --since after the newest record: nothing of interest, the file still read.
    let none = events::read_files(&[data(RCM)], Some(newest + 1), None);
    assert!(none.records.is_empty() && none.files[0].records_read > 0);
}

#[test]
fn other_channels_are_read_but_keep_only_what_matters() {
    let e = events::read_files(
        &[data("evtx/DE_RDP_Tunneling_4624.evtx"), data("evtx/DFIR_RDP_Client_TimeZone_RdpCoreTs_104_example.evtx")],
        Some(0),
        None,
    );
    assert_eq!(e.files[0].channel.as_deref(), Some("Security"));
    assert!(
        e.files[0].records_read > 0 && e.files[0].records_of_interest == 0,
        "4624 is not of interest: {:?}",
        e.files[0]
    );
    assert!(e.files[1].channel.as_deref().is_some_and(|c| c.contains("RdpCoreTS")), "{:?}", e.files[1]);
}

#[test]
fn truncated_and_wrong_files() {
    let d = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(data(RCM)).unwrap();
    // Cut in the middle of a chunk: the records before the cut are read, the damage is said.
    let cut = d.path().join("cut.evtx");
    std::fs::write(&cut, &bytes[..4096 + 65_536 + 30_000]).unwrap();
    let e = events::read_files(std::slice::from_ref(&cut), Some(0), None);
    let f = &e.files[0];
    assert!(f.records_read > 0, "{f:?}");
    // Only the header: nothing, but no error beyond that.
    let head = d.path().join("head.evtx");
    std::fs::write(&head, &bytes[..100]).unwrap();
    let e = events::read_files(&[head], Some(0), None);
    assert_eq!(e.files[0].records_read, 0);
    // Not an event log at all.
    let hive = d.path().join("SYSTEM");
    std::fs::write(&hive, b"regf and then some bytes that are no event log").unwrap();
    let e = events::read_files(&[hive], Some(0), None);
    assert!(e.files[0].error.as_deref().is_some_and(|m| m.contains("not an event log")), "{:?}", e.files[0]);
    // Every cut of the first chunk is safe.
    for n in (0..4096 + 65_536).step_by(997) {
        let p = d.path().join(format!("c{n}.evtx"));
        std::fs::write(&p, &bytes[..n]).unwrap();
        let _ = events::read_files(&[p], Some(0), None);
    }
}
