//! Every decoder must survive any input: property tests over arbitrary bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use proptest::prelude::*;
use rdp_doctor_proto::{
    credssp, der, dtls, gateway_http, http, krb, mcs, nego, ntlm, rdpeudp, server_pdu, sniff, tls, tls_hello, tpkt,
    tsgu, websocket, x224,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// A chunk round-trips through encode and decode, and every cut of it asks for more bytes.
    #[test]
    fn chunks_round_trip(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let wire = http::encode_chunk(&data);
        let (range, used) = http::decode_chunk(&wire).ok().flatten().unwrap_or((0..0, 0));
        prop_assert_eq!(used, wire.len());
        prop_assert_eq!(&wire[range], &data[..]);
        for cut in 0..wire.len() {
            prop_assert_eq!(http::decode_chunk(&wire[..cut]), Ok(None));
        }
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = tpkt::frame_len(&bytes);
        let _ = x224::decode_connection_confirm(&bytes);
        let _ = nego::decode_negotiation(&bytes);
        let _ = tls::decode_alert_record(&bytes);
        let _ = sniff::guess(&bytes);
        let _ = x224::decode_connection_request(&bytes);
        let _ = tls::handshake::decode_handshake_message(&bytes);
        let _ = tls::handshake::decode_tls13_certificate(&bytes);
        let _ = rdpeudp::decode_syn(&bytes);
        let _ = http::decode_request(&bytes);
        let _ = http::decode_response(&bytes);
        if let Ok(Some((data, used))) = http::decode_chunk(&bytes) {
            prop_assert!(data.end <= used && used <= bytes.len());
        }
        if let Ok(Some(head)) = http::decode_response(&bytes) {
            let _ = gateway_http::auth_challenge(&head, "NTLM");
        }
        let _ = mcs::decode_connect_pdu(&bytes);
        let _ = credssp::decode(&bytes);
        let _ = der::read_tlv(&bytes);
        let _ = ntlm::decode_challenge(&bytes);
        let _ = ntlm::decode_authenticate_account(&bytes);
        let _ = krb::decode(&bytes);
        let _ = krb::find_in_gss_token(&bytes);
        let _ = rdp_doctor_proto::spnego::decode(&bytes);
        let _ = krb::tcp_record_len(&bytes);
        let _ = krb::decode_kdc_proxy_message(&bytes);
        let _ = websocket::decode(&bytes);
        let _ = ntlm::decode_target_info(&bytes);
        let _ = tls_hello::decode_server_answer(&bytes);
        let _ = mcs::decode_connect_response(&bytes);
        let _ = mcs::decode_server_certificate(&bytes);
        let _ = tsgu::decode(&bytes);
        let _ = dtls::decode_answer(&bytes);
        if let Ok(Some(head)) = http::decode_response(&bytes) {
            let _ = gateway_http::facts(&head, &bytes);
        }
        let _ = server_pdu::frame_len(&bytes);
        let _ = server_pdu::decode(&bytes);
    }

    /// MS-TSGU packets: a valid header of every type over an arbitrary body never panics, and whatever
    /// decodes re-encodes to a packet that decodes to the same value.
    #[test]
    fn tsgu_packets(ty in 0u16..0x14, body in proptest::collection::vec(any::<u8>(), 0..96)) {
        let mut m = ty.to_le_bytes().to_vec();
        m.extend_from_slice(&[0, 0]);
        m.extend_from_slice(&((body.len() + 8) as u32).to_le_bytes());
        m.extend_from_slice(&body);
        if let Ok(Some((p, n))) = tsgu::decode(&m) {
            prop_assert!(n <= m.len());
            let again = tsgu::decode(&p.encode());
            prop_assert_eq!(again.ok().flatten().map(|(q, _)| q), Some(p));
        }
    }

    /// HTTP response heads with arbitrary header values: the gateway facts never panic.
    #[test]
    fn gateway_response_heads(name in "[A-Za-z-]{1,20}", value in "[ -~]{0,80}", body in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut m = format!("HTTP/1.1 401 Unauthorized\r\n{name}: {value}\r\nWWW-Authenticate: {value}\r\n\r\n").into_bytes();
        m.extend_from_slice(&body);
        if let Ok(Some(head)) = http::decode_response(&m) {
            let f = gateway_http::facts(&head, &m[head.head_len..]);
            prop_assert_eq!(f.status, 401);
        }
    }

    /// Kerberos-shaped inputs: an application tag and a SEQUENCE header over arbitrary contents.
    #[test]
    fn spnego_like_inputs(tag in prop::sample::select(vec![0x60u8, 0xa0, 0xa1]), body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let t = rdp_doctor_proto::spnego::tlv(tag, &body);
        let _ = rdp_doctor_proto::spnego::decode(&t);
        let inner = rdp_doctor_proto::spnego::tlv(0x30, &body);
        let _ = rdp_doctor_proto::spnego::decode(&rdp_doctor_proto::spnego::tlv(tag, &inner));
    }

    #[test]
    fn kerberos_like_inputs(tag in prop::sample::select(vec![0x6au8, 0x6b, 0x6c, 0x6d, 0x6e, 0x7e]), body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut inner = vec![0x30];
        der::write_len(&mut inner, body.len());
        inner.extend_from_slice(&body);
        let mut m = vec![tag];
        der::write_len(&mut m, inner.len());
        m.extend_from_slice(&inner);
        let _ = krb::decode(&m);
    }

    /// NTLM CHALLENGE with valid header and arbitrary offsets/lengths/payload.
    #[test]
    fn challenge_like_inputs(tail in proptest::collection::vec(any::<u8>(), 40..200)) {
        let mut m = b"NTLMSSP\0".to_vec();
        m.extend_from_slice(&2u32.to_le_bytes());
        m.extend_from_slice(&tail);
        let _ = ntlm::decode_challenge(&m);
        m[8] = 3;
        let _ = ntlm::decode_authenticate_account(&m);
    }

    /// TLS-record-shaped inputs: a handshake record header over arbitrary contents.
    #[test]
    fn server_answer_like_inputs(body in proptest::collection::vec(any::<u8>(), 0..200), ct in 20u8..25) {
        let mut m = vec![ct, 3, 3];
        m.extend_from_slice(&(body.len() as u16).to_be_bytes());
        m.extend_from_slice(&body);
        let _ = tls_hello::decode_server_answer(&m);
    }

    /// TSRequest-shaped inputs: a SEQUENCE header over arbitrary contents.
    #[test]
    fn ts_request_like_inputs(body in proptest::collection::vec(any::<u8>(), 0..120)) {
        let mut m = vec![0x30, body.len() as u8];
        m.extend_from_slice(&body);
        let _ = credssp::decode(&m);
    }

    /// The record walker on arbitrary bytes cut at arbitrary points: never panics, and once it reports
    /// a malformed stream it stays silent.
    #[test]
    fn tls_stream_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), cuts in proptest::collection::vec(0usize..600, 0..8)) {
        let mut s = tls::stream::TlsStream::new();
        let mut out = Vec::new();
        let mut at = 0;
        let mut cuts = cuts;
        cuts.sort_unstable();
        for c in cuts.into_iter().chain(std::iter::once(bytes.len())) {
            let c = c.min(bytes.len()).max(at);
            s.feed(&bytes[at..c], &mut out);
            at = c;
        }
        let malformed = out.iter().filter(|e| matches!(e, tls::stream::TlsEvent::Malformed(_))).count();
        prop_assert!(malformed <= 1);
    }

    /// Handshake messages with a valid header and arbitrary body: decode or describe.
    #[test]
    fn handshake_like_inputs(ty in prop_oneof![Just(1u8), Just(2u8), Just(11u8)], body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut b = vec![ty, 0, (body.len() >> 8) as u8, body.len() as u8];
        b.extend_from_slice(&body);
        if let Ok(Some((_, used))) = tls::handshake::decode_handshake_message(&b) {
            prop_assert_eq!(used, b.len());
        }
    }

    /// A confirm that starts like TPKT + CC with arbitrary tail: decode or describe, never panic, and a
    /// successful decode never claims more bytes than it was given.
    #[test]
    fn confirm_like_inputs(tail in proptest::collection::vec(any::<u8>(), 0..40), len in 0u16..64) {
        let mut b = vec![3, 0];
        b.extend_from_slice(&len.to_be_bytes());
        b.push(0x0e);
        b.push(0xd0);
        b.extend_from_slice(&tail);
        if let Ok(Some((_, used))) = x224::decode_connection_confirm(&b) {
            prop_assert!(used <= b.len());
        }
    }

    #[test]
    fn request_roundtrip_length(proto in any::<u32>(), cookie in proptest::option::of("[a-zA-Z0-9._-]{0,40}")) {
        let req = x224::encode_connection_request(&x224::ConnectionRequestParams {
            requested: nego::SecurityProtocol(proto),
            cookie: cookie.clone(),
        }).unwrap();
        let expected = 19 + cookie.map_or(0, |c| c.len() + "Cookie: mstshash=\r\n".len());
        prop_assert_eq!(req.len(), expected);
        prop_assert_eq!(tpkt::frame_len(&req), Ok(Some(expected)));
    }

    /// Frames shaped like a server PDU after the security exchange: TPKT, X.224 Data, an MCS Send Data
    /// Indication, then arbitrary user data (share headers, licensing, Save Session Info, Set Error Info).
    #[test]
    fn server_pdu_like_inputs(body in proptest::collection::vec(any::<u8>(), 0..120), pdu_type2 in 0u8..60) {
        let mut user = vec![0u8; 0];
        user.extend_from_slice(&((body.len() + 18) as u16).to_le_bytes());
        user.extend_from_slice(&[0x17, 0x00, 0xea, 0x03, 0xea, 0x03, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00]);
        user.push(pdu_type2);
        user.extend_from_slice(&[0, 0, 0]);
        user.extend_from_slice(&body);
        let mut frame = vec![0x03, 0x00, 0x00, 0x00, 0x02, 0xf0, 0x80, 0x68, 0x00, 0x01, 0x03, 0xeb, 0x70];
        let len = user.len();
        frame.push(0x80 | (len >> 8) as u8);
        frame.push(len as u8);
        frame.extend_from_slice(&user);
        let total = frame.len() as u16;
        frame[2..4].copy_from_slice(&total.to_be_bytes());
        let _ = server_pdu::frame_len(&frame);
        let _ = server_pdu::decode(&frame);
        for cut in 0..frame.len() {
            let _ = server_pdu::decode(&frame[..cut]);
        }
    }

    /// Fast-path output with arbitrary updates.
    #[test]
    fn fast_path_like_inputs(body in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut frame = vec![0x00, 0x80 | ((body.len() + 3) >> 8) as u8, (body.len() + 3) as u8];
        frame.extend_from_slice(&body);
        let _ = server_pdu::frame_len(&frame);
        let _ = server_pdu::decode(&frame);
    }
}
