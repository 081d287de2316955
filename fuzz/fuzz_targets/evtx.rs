//! Event logs (.evtx): our header and chunk walk for the window, then the `evtx` crate's BinXml, then the
//! records of interest (`events.rs`), the whole path `host --evtx FILE` takes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(chunk) = data.get(4096..) {
        let _ = rdp_doctor_host::events::chunk_newest(chunk);
    }
    let path = rdp_doctor_fuzz::scratch_dir().join("fuzz.evtx");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let inputs = rdp_doctor_host::offline::Inputs { evtx: vec![path], now: 1_763_700_000, ..Default::default() };
    let ev = rdp_doctor_host::offline::collect(&inputs);
    assert!(ev.events.as_ref().is_none_or(|e| e.records.len() <= rdp_doctor_host::events::MAX_RECORDS));
    let report = rdp_doctor_fuzz::host_report(ev);
    assert!(serde_json::to_string(&report).is_ok());
});
