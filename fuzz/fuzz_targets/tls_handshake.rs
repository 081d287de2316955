//! TLS handshake messages (ClientHello, ServerHello, Certificate; RFC 5246 7.4 / RFC 8446 4), record
//! headers and alerts, the TLS 1.3 Certificate body and the reading of a server's answer to our hellos.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_proto::{tls, tls_hello};

fuzz_target!(|data: &[u8]| {
    let _ = tls::decode_record_header(data);
    let _ = tls::decode_alert_record(data);
    if let Ok(Some((m, used))) = tls::handshake::decode_handshake_message(data) {
        assert!(used <= data.len());
        let _ = m.msg_type().name();
    }
    if let Some((chain, used)) = tls::handshake::decode_tls13_certificate(data) {
        assert!(used <= data.len());
        assert!(chain.iter().map(Vec::len).sum::<usize>() <= data.len());
    }
    let _ = tls_hello::decode_server_answer(data);
});
