//! X.224 Connection Confirm with RDP_NEG_RSP / RDP_NEG_FAILURE (MS-RDPBCGR 2.2.1.2), as the live probe and
//! the capture reader decode it, then the shared mapping to evidence.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_proto::{nego, x224};

fuzz_target!(|data: &[u8]| {
    let _ = nego::decode_negotiation(data);
    if let Ok(Some((cc, used))) = x224::decode_connection_confirm(data) {
        assert!(used <= data.len());
        let _ = format!("{cc:?}");
    }
});
