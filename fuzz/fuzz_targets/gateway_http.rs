//! RD Gateway HTTP heads (requests and responses, `httparse`) and the facts read from a response: framing,
//! proxy traces, authentication schemes and challenges, Sec-WebSocket-Accept.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_proto::{gateway_http, http};

fuzz_target!(|data: &[u8]| {
    let _ = http::starts_like_gateway_request(data);
    if let Ok(Some(req)) = http::decode_request(data) {
        assert!(req.head_len <= data.len());
        let _ = req.is_gateway();
    }
    if let Ok(Some(head)) = http::decode_response(data) {
        assert!(head.head_len <= data.len());
        let body = data.get(head.head_len..).unwrap_or_default();
        let f = gateway_http::facts(&head, body);
        let _ = format!("{f:?}");
        for scheme in ["NTLM", "Negotiate", "Basic", "Digest"] {
            let _ = gateway_http::auth_challenge(&head, scheme);
        }
    }
});
