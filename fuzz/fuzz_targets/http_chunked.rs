//! HTTP/1.1 chunked transfer coding (RFC 9112 7.1): the chunk decoder walked over a whole body.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_proto::http;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some((range, used))) = http::decode_chunk(rest) {
        assert!(range.start <= range.end && range.end <= used && used <= rest.len());
        if used == 0 {
            break;
        }
        rest = &rest[used..];
    }
});
