//! MCS Connect Initial/Response (T.125, MS-RDPBCGR 2.2.1.3-2.2.1.4) and the server certificate
//! (2.2.1.4.3.1): the tolerant connect PDU reader, the Connect Response reader and the certificate reader.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_proto::mcs;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((_, used))) = mcs::decode_connect_pdu(data) {
        assert!(used <= data.len());
    }
    if let Ok(Some((sec, used))) = mcs::decode_connect_response(data) {
        assert!(used <= data.len());
        let _ = format!("{sec:?}");
    }
    let _ = mcs::decode_server_certificate(data);
});
