//! The JSONL a scan writes, read back by `scan --resume` (the key of each line) and `diff` (whole runs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for line in data.split(|&b| b == b'\n') {
        let _ = rdp_doctor_scan::resume::key_of(line);
    }
    if let Ok((old, _)) = rdp_doctor_scan::diff::read_run(data) {
        let d = rdp_doctor_scan::diff::diff(&old, &Default::default());
        let _ = format!("{d:?}");
    }
});
