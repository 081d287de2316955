//! The offline hive reader on raw bytes, the whole path `host --hive FILE` takes: the base block, dirty-hive
//! recovery from a `.LOG1` beside it (the input after a `LOG1` marker), the path-following cell reader
//! (`rdp_doctor_host::cells`: key nodes, subkey and value lists, values, big data), the role, and every value
//! the collector reads, into host evidence and its JSON.
//!
//! The hive itself never reaches `regf`: only the transaction log does (`regf::TransactionLog::parse`, which
//! the hive reader guards with `catch_unwind`, so a damaged log is a message, not a crash). This target
//! therefore keeps libFuzzer's abort-on-panic hook out of the way for panics that are caught; a panic that
//! is not caught (in cells.rs or anywhere else) still aborts (libfuzzer-sys aborts when the input's unwind
//! reaches it).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
        let (hive, log) = match data.windows(4).position(|w| w == b"LOG1") {
            Some(at) => (&data[..at], Some(&data[at + 4..])),
            None => (data, None),
        };
        let dir = rdp_doctor_fuzz::scratch_dir();
        let path = dir.join("SYSTEM");
        let log_path = dir.join("SYSTEM.LOG1");
        let _ = std::fs::remove_file(&log_path);
        if std::fs::write(&path, hive).is_err() {
            return;
        }
        if let Some(l) = log {
            let _ = std::fs::write(&log_path, l);
        }
        let inputs = rdp_doctor_host::offline::Inputs { hives: vec![path], now: 1_763_700_000, ..Default::default() };
        let ev = rdp_doctor_host::offline::collect(&inputs);
        let _ = rdp_doctor_host::offline::readable(&ev);
        let _ = rdp_doctor_host::snapshot::to_json(&ev);
        let report = rdp_doctor_fuzz::host_report(ev);
        assert!(serde_json::to_string(&report).is_ok());
    }
);
