//! The NSS key log parser (CLIENT_RANDOM, TLS 1.3 traffic secrets), bounded overall.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_pcap::keylog::KeyLog;

fuzz_target!(|data: &[u8]| {
    let mut k = KeyLog::default();
    k.add_text(data, "fuzz.keys");
    let n = k.len();
    let _ = k.master_secret(&[0x11; 32]);
    let _ = k.tls13(&[0x11; 32]);
    k.add_text(data, "again.keys");
    assert!(k.len() >= n);
});
