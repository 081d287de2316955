//! The DER paths we call: our bounded DER reader walked recursively, X.509 facts (`CertInfo::from_der`,
//! x509-parser) with RFC 6125 name matching, and the certificate store blob of the host side.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_core::cert::CertInfo;
use rdp_doctor_proto::der;

fn walk(buf: &[u8], depth: usize) {
    if depth > 16 {
        return;
    }
    if let Ok(children) = der::children(buf) {
        for c in children {
            let _ = der::integer_u32(&c);
            if c.tag & 0x20 != 0 {
                walk(c.value, depth + 1);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = der::read_tlv(data);
    let _ = der::read_complete(data);
    walk(data, 0);
    let info = CertInfo::from_der(data);
    let _ = info.matches_name("rds.example.test");
    let _ = info.eku_allows_rdp();
    let _ = info.names_summary();
    let _ = info.days_left(1_763_700_000);
    let _ = rdp_doctor_host::certstore::parse_blob(data);
});
