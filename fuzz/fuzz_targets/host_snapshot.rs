//! The host snapshot JSON (`host --snapshot FILE`, `schema_version`), read back and written again.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ev) = rdp_doctor_host::snapshot::parse(data, "fuzz.json") {
        let json = rdp_doctor_host::snapshot::to_json(&ev);
        assert!(
            rdp_doctor_host::snapshot::parse(json.as_bytes(), "again.json").is_ok(),
            "a written snapshot does not read back"
        );
    }
});
