//! The TLS record walker of one direction (`tls::stream`), fed in pieces as TCP delivers them: the first
//! bytes choose where the stream is cut.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_proto::tls::stream::{TlsEvent, TlsStream};

fuzz_target!(|data: &[u8]| {
    let Some((&cuts, rest)) = data.split_first() else { return };
    let mut s = TlsStream::new();
    let mut out = Vec::new();
    let step = usize::from(cuts).max(1);
    for piece in rest.chunks(step) {
        s.feed(piece, &mut out);
    }
    let malformed = out.iter().filter(|e| matches!(e, TlsEvent::Malformed(_))).count();
    assert!(malformed <= 1, "the walker reported a malformed stream twice");
});
