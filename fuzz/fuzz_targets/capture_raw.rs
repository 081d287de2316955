//! The whole `capture` pipeline on raw bytes: pcap or pcapng, any link type, every dissector behind it,
//! the rules and the JSON report (the contract never fails to serialise).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = rdp_doctor_pcap::Options { ports: vec![443, 3391], ..Default::default() };
    if let Ok(r) = rdp_doctor_pcap::analyse(data, "fuzz.pcap", &opts) {
        assert!(serde_json::to_string(&r).is_ok());
    }
});
