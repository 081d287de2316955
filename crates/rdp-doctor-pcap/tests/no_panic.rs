//! Any bytes as a capture file: the analyser describes or refuses them, never panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use proptest::prelude::*;

fn run(bytes: &[u8]) {
    if let Ok(r) = rdp_doctor_pcap::analyse(bytes, "fuzz.pcap", &Default::default()) {
        // Whatever was read must serialise (the JSON contract never fails).
        let _ = serde_json::to_string(&r).unwrap();
    }
}

fn pcap_header(linktype: u32) -> Vec<u8> {
    Pcap::new(linktype, false, false).buf
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
        run(&bytes);
    }

    /// A valid file header followed by arbitrary records, for every supported link type.
    #[test]
    fn arbitrary_records(lt in prop_oneof![Just(0u32), Just(1), Just(101), Just(108), Just(113), Just(228), Just(229), Just(276), Just(147)],
                         body in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let mut b = pcap_header(lt);
        b.extend_from_slice(&body);
        run(&b);
    }

    /// Real captures with random bytes changed.
    #[test]
    fn mutated_real_captures(which in 0usize..4, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..24)) {
        let file = ["nDPI/rdp.pcap", "nDPI/tls_alert.pcap", "zeek/rdp-x509.pcap", "zeek/rdpeudp2-handshake-success.pcap"][which];
        let mut b = std::fs::read(data(file)).unwrap();
        for (at, v) in flips {
            let n = b.len();
            b[at % n] = v;
        }
        run(&b);
    }

    /// Well-formed packets with arbitrary TCP payloads on the RDP port: the dissectors see garbage in every
    /// phase, cut anywhere.
    #[test]
    fn arbitrary_streams(chunks in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 0..400)), 0..12),
                         start in prop_oneof![Just(0u8), Just(1), Just(2)]) {
        let mut f = Flow::new("10.0.0.1:50000", "10.0.0.2:3389", Link::Ethernet);
        f.handshake();
        if start >= 1 { f.client(CR).server(CC_HYBRID); }
        if start >= 2 { f.client(&client_hello()); }
        for (from_client, data) in &chunks {
            if *from_client { f.client(data); } else { f.server(data); }
        }
        run(&f.pcap());
    }
}
