//! MS-TSGU HTTP-transport packets (2.2.10): whatever decodes re-encodes to a packet that decodes the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_proto::tsgu;

fuzz_target!(|data: &[u8]| {
    let _ = tsgu::decode_header(data);
    let mut rest = data;
    while let Ok(Some((p, n))) = tsgu::decode(rest) {
        assert!(n > 0 && n <= rest.len());
        let _ = p.hresult();
        let again = tsgu::decode(&p.encode());
        assert_eq!(again.ok().flatten().map(|(q, _)| q), Some(p), "re-encoded packet decodes differently");
        rest = &rest[n..];
    }
});
