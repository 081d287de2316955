//! The answer to our DTLS 1.2 ClientHello (RFC 6347): HelloVerifyRequest, ServerHello, alerts.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_proto::dtls;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = dtls::decode_answer(data) {
        let _ = format!("{a:?}");
    }
});
