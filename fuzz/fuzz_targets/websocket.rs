//! WebSocket frames (RFC 6455 5.2), masked or not, walked as the gateway tunnel reads a stream.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_proto::websocket;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some((frame, used))) = websocket::decode(rest) {
        assert!(used > 0 && used <= rest.len());
        assert!(frame.payload.len() <= used);
        rest = &rest[used..];
    }
});
