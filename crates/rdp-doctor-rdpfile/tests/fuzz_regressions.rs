//! Inputs the `rdpfile` fuzz target found (fuzz/fuzz_targets/rdpfile.rs), kept so `cargo test` holds them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use rdp_doctor_rdpfile::RdpFile;

/// Written and read again, a file keeps every setting (the fuzz target's round-trip assertion).
fn round_trip(name: &str) {
    let bytes = std::fs::read(format!("{}/tests/data/fuzz/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    // The fuzz target's first byte chooses the mode; 0 (these inputs) means the rest is the file as is.
    let file = RdpFile::parse(&bytes[1..]);
    let again = RdpFile::parse(&file.to_bytes().unwrap());
    let names = |f: &RdpFile| f.settings().map(|(_, s)| format!("{s:?}")).collect::<Vec<_>>();
    assert_eq!(names(&again), names(&file), "{name}: settings changed in a write/read round trip");
}

/// Found by the fuzz campaign of 2026-12-07 (two inputs, 16:00 and 17:25), not fixed yet (issue 21): a file
/// read as Windows-1252 with NUL bytes inside a line ("rediråctprintersn\0t\0 \0s\0m\0o\0o\0t\0h…:i:0")
/// lists that line as a setting (name with the NULs dropped); written and read again, the line is there
/// without its NULs but is no longer listed as a setting. Ignored until fixed so CI stays green.
#[test]
#[ignore = "fuzz finding of 2026-12-07, not fixed yet (issue 21)"]
fn nul_bytes_in_a_line_keep_its_setting_through_a_round_trip() {
    round_trip("roundtrip-1.bin");
    round_trip("roundtrip-2.bin");
}
