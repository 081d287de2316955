//! X.224 Connection Request (tolerant decoder, MS-RDPBCGR 2.2.1.1) and the TPKT framing around it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_proto::{tpkt, x224};

fuzz_target!(|data: &[u8]| {
    let _ = tpkt::decode_header(data);
    if let Ok(Some(n)) = tpkt::frame_len(data) {
        assert!(n >= 4);
    }
    if let Ok(Some((req, used))) = x224::decode_connection_request(data) {
        assert!(used <= data.len());
        let _ = format!("{req:?}");
    }
});
