//! Decryption of captured TLS with logged secrets (`capture --keylog`, pcapng Decryption Secrets Blocks).
//!
//! Every capture here is made in the test by a real TLS library: a rustls client and server talk in
//! memory (no sockets) with rustls' key log callback recording the NSS key log lines; their byte streams
//! are written as TCP segments of a synthetic capture. So the record vectors of every suite come from
//! rustls, not typed in, and a wrong answer from our key schedule fails to authenticate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::tls::{Turn, analyse, client_negotiate, keylog, pcapng, session, session_on};
use rdp_doctor_core::capture_report::CaptureReport;
use rustls::SupportedCipherSuite;
use rustls::crypto::ring;

/// TSRequest { [0] version 6, [4] errorCode 0xC000006D STATUS_LOGON_FAILURE }.
const TS_LOGON_FAILURE: &[u8] =
    &[0x30, 0x0d, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa4, 0x06, 0x02, 0x04, 0xc0, 0x00, 0x00, 0x6d];

fn ids(r: &CaptureReport) -> Vec<&'static str> {
    r.connections.iter().flat_map(|c| c.report.findings.iter().map(|f| f.id)).collect()
}

fn decryption(r: &CaptureReport) -> rdp_doctor_core::capture::DecryptionEvidence {
    r.connections[0].report.evidence.capture.as_ref().unwrap().decryption.clone().unwrap()
}

fn all_suites() -> Vec<SupportedCipherSuite> {
    use ring::cipher_suite::*;
    vec![
        TLS13_AES_128_GCM_SHA256,
        TLS13_AES_256_GCM_SHA384,
        TLS13_CHACHA20_POLY1305_SHA256,
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ]
}

/// Every supported suite: the server's CredSSP errorCode is read and judged like the live check's (the same
/// session rules: STATUS_LOGON_FAILURE is `credssp.logon_failure`, with the client view).
#[test]
fn every_suite_decrypts_the_credssp_error() {
    for suite in all_suites() {
        let name = format!("{:?}", suite.suite());
        let (flow, lines) =
            session(suite, 2, &[Turn::Client(client_negotiate()), Turn::Server(TS_LOGON_FAILURE.to_vec())]);
        assert!(!lines.is_empty(), "{name}: rustls logged no secrets");
        let r = analyse(&flow.pcap(), Some(keylog(&lines)));
        let d = decryption(&r);
        assert!(d.decrypted, "{name}: {:?}", d.not_decrypted);
        assert_eq!(d.not_decrypted, None, "{name}");
        assert_eq!(d.credssp_error, Some(0xC000_006D), "{name}");
        assert!(d.alerts.iter().any(|a| a.contains("close_notify")), "{name}: {:?}", d.alerts);
        let found = ids(&r);
        assert_eq!(r.connections[0].report.verdict, "credssp.logon_failure", "{name}: {found:?}");
        assert!(!found.contains(&"credssp.ended_by_server"), "{name}: the reason is known, not guessed");
        assert!(!found.contains(&"credssp.server_error"), "{name}: one code, one finding: {found:?}");
        let f = r.connections[0].report.findings.iter().find(|f| f.id == "credssp.logon_failure").unwrap();
        assert!(f.evidence.iter().any(|e| e.contains("STATUS_LOGON_FAILURE")), "{name}: {:?}", f.evidence);
        let session = r.connections[0].report.evidence.session.as_ref().unwrap();
        assert_eq!(session.credssp_error, Some(0xC000_006D), "{name}");
    }
}

/// Without the secret (or with another connection's) the report says so and judges nothing inside.
#[test]
fn missing_or_wrong_secrets_are_a_stated_limitation() {
    use ring::cipher_suite::*;
    for suite in [TLS13_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256] {
        let (flow, _) = session(suite, 2, &[Turn::Client(client_negotiate()), Turn::Server(TS_LOGON_FAILURE.to_vec())]);
        // Secrets of another session of the same suite.
        let (_, other) = session(suite, 2, &[]);
        let r = analyse(&flow.pcap(), Some(keylog(&other)));
        let d = decryption(&r);
        assert!(!d.decrypted);
        let why = d.not_decrypted.clone().unwrap_or_default();
        assert!(why.contains("no secret for this client random"), "{why}");
        assert!(
            r.connections[0].report.limitations.iter().any(|l| l.contains("no secret for this client random")),
            "{:?}",
            r.connections[0].report.limitations
        );
        assert!(!ids(&r).iter().any(|i| *i == "credssp.server_error" || *i == "credssp.logon_failure"));
        assert_eq!(d.credssp_error, None);
        // No key log at all: no decryption section, the old inference stays.
        let r = analyse(&flow.pcap(), None);
        assert!(r.connections[0].report.evidence.capture.as_ref().unwrap().decryption.is_none());
    }
}

/// A key log line whose secret is wrong for its client random: a clear "does not decrypt", not a guess.
#[test]
fn corrupted_secret_does_not_authenticate() {
    let (flow, lines) = session(
        ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        2,
        &[Turn::Client(client_negotiate()), Turn::Server(TS_LOGON_FAILURE.to_vec())],
    );
    let bad: String = lines
        .lines()
        .map(|l| {
            let mut p: Vec<String> = l.split(' ').map(str::to_owned).collect();
            p[2] = "00".repeat(p[2].len() / 2);
            p.join(" ") + "\n"
        })
        .collect();
    let d = decryption(&analyse(&flow.pcap(), Some(keylog(&bad))));
    assert!(!d.decrypted);
    assert!(d.not_decrypted.unwrap_or_default().contains("does not decrypt"));
}

/// Secrets embedded in the pcapng (Decryption Secrets Block) are used without --keylog.
#[test]
fn decryption_secrets_block_is_used() {
    let (flow, lines) = session(
        ring::cipher_suite::TLS13_AES_256_GCM_SHA384,
        2,
        &[Turn::Client(client_negotiate()), Turn::Server(TS_LOGON_FAILURE.to_vec())],
    );
    let r = analyse(&pcapng(&flow, Some(&lines)), None);
    let d = decryption(&r);
    assert!(d.decrypted, "{:?}", d.not_decrypted);
    assert_eq!(d.sources, vec!["the capture's Decryption Secrets Block".to_owned()]);
    assert!(ids(&r).contains(&"credssp.logon_failure"), "{:?}", ids(&r));
}

/// Set Error Info PDU inside a TLS-only (PROTOCOL_SSL) connection, then the MCS Disconnect Provider
/// Ultimatum.
#[test]
fn set_error_info_is_read_after_decryption() {
    // TPKT(4) | X.224 Data 02 f0 80 | MCS SendDataIndication 0x68, initiator 0x0001, channel 0x03eb,
    // flags 0x70, PER length 22 | ShareControlHeader totalLength 22, pduType 0x0017 (DATA, v1), source
    // 0x03e9 | ShareDataHeader shareId 0x000103ea, pad, streamId 1, uncompressedLength 8, pduType2 0x2f
    // (SET_ERROR_INFO), compression 0, 0 | errorInfo 0x00000007 ERRINFO_SERVER_DENIED_CONNECTION.
    let mut sdi = vec![3, 0, 0, 36, 0x02, 0xf0, 0x80, 0x68, 0x00, 0x01, 0x03, 0xeb, 0x70, 22];
    sdi.extend_from_slice(&[22, 0, 0x17, 0x00, 0xe9, 0x03]);
    sdi.extend_from_slice(&[0xea, 0x03, 0x01, 0x00, 0, 1, 8, 0, 0x2f, 0, 0, 0]);
    sdi.extend_from_slice(&7u32.to_le_bytes());
    assert_eq!(sdi.len(), 36);
    // DisconnectProviderUltimatum, reason rn-user-requested (3): 0x21 0x80.
    let dpum = vec![3, 0, 0, 9, 0x02, 0xf0, 0x80, 0x21, 0x80];
    for suite in [
        ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
        ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ] {
        let (flow, lines) = session(suite, 1, &[Turn::Server([sdi.clone(), dpum.clone()].concat())]);
        let r = analyse(&flow.pcap(), Some(keylog(&lines)));
        let d = decryption(&r);
        assert_eq!(d.error_info, vec![7]);
        assert_eq!(d.mcs_disconnect.as_deref(), Some("rn-user-requested (3)"));
        // The same finding as the live credentialed check for ERRINFO 7.
        let f = r.connections[0].report.findings.iter().find(|f| f.id == "server.denied_connection").unwrap();
        assert!(f.summary.contains("ERRINFO_SERVER_DENIED_CONNECTION"), "{}", f.summary);
    }
    // The same PDUs with ERRINFO_LOGOFF_BY_USER (0xC): a normal logoff, neither a session verdict nor a finding.
    let mut logoff = sdi.clone();
    logoff[32] = 0x0c;
    let (flow, lines) =
        session(ring::cipher_suite::TLS13_AES_128_GCM_SHA256, 1, &[Turn::Server([logoff, dpum].concat())]);
    let r = analyse(&flow.pcap(), Some(keylog(&lines)));
    assert_eq!(decryption(&r).error_info, vec![0xc]);
    assert!(r.connections[0].report.evidence.session.is_none());
    assert!(!ids(&r).iter().any(|i| i.starts_with("server.") || i.starts_with("session.")), "{:?}", ids(&r));
}

/// HYBRID_EX: after the client's credentials the server's 4-byte Early User Authorization Result.
#[test]
fn early_user_authorization_denied() {
    // TSRequest { version 6, [2] authInfo OCTET STRING (2 bytes) }: the shape of a credentials message.
    let auth = vec![0x30, 0x0b, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa2, 0x04, 0x04, 0x02, 0xaa, 0xbb];
    let (flow, lines) = session(
        ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
        8,
        &[Turn::Client(auth), Turn::Server(5u32.to_le_bytes().to_vec())],
    );
    let r = analyse(&flow.pcap(), Some(keylog(&lines)));
    let d = decryption(&r);
    assert!(d.credentials_sent);
    assert_eq!(d.early_user_auth, Some(5));
    assert!(ids(&r).contains(&"authz.access_denied"), "{:?}", ids(&r));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Whatever the peers say inside TLS, the session reader never panics and the report serialises.
        #[test]
        fn arbitrary_plaintext_never_panics(
            protocol in prop_oneof![Just(1u8), Just(2), Just(8)],
            turns in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 1..300)), 0..6),
            prefix in prop_oneof![Just(vec![]), Just(vec![3u8, 0]), Just(vec![0x30u8]), Just(vec![3, 0, 0, 40, 2, 0xf0, 0x80, 0x68])],
        ) {
            let turns: Vec<Turn> = turns
                .into_iter()
                .map(|(c, b)| if c { Turn::Client(b) } else { Turn::Server([prefix.clone(), b].concat()) })
                .collect();
            let (flow, lines) = session(ring::cipher_suite::TLS13_AES_128_GCM_SHA256, protocol, &turns);
            let r = analyse(&flow.pcap(), Some(keylog(&lines)));
            serde_json::to_string(&r).unwrap();
        }

        /// The lab capture with bytes changed, decrypted with its key log.
        #[test]
        fn mutated_lab_capture_with_secrets(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..16)) {
            let mut b = std::fs::read(common::data("keylog/shadow-nla.pcapng")).unwrap();
            for (at, v) in flips {
                let n = b.len();
                b[at % n] = v;
            }
            let keys = std::fs::read_to_string(common::data("keylog/shadow-nla.keys")).unwrap();
            if let Ok(r) = rdp_doctor_pcap::analyse(b.as_slice(), "fuzz.pcapng", &rdp_doctor_pcap::Options { keylog: Some(keylog(&keys)), ports: vec![20766], ..Default::default() }) {
                serde_json::to_string(&r).unwrap();
            }
        }
    }
}

/// An RD Gateway on 443: the decrypted HTTP exchange is read by the gateway reader and judged by the
/// gateway rules (here the final 401 of a refused user).
#[test]
fn gateway_http_inside_tls_is_read() {
    let request = b"RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nHost: gw.example.test\r\nAuthorization: Negotiate c2VjcmV0\r\nContent-Length: 0\r\n\r\n".to_vec();
    let response =
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n".to_vec();
    let (flow, lines) = session_on(
        ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
        None,
        "10.0.0.9:443",
        &[Turn::Client(request), Turn::Server(response)],
    );
    let opts = rdp_doctor_pcap::Options { keylog: Some(keylog(&lines)), ports: vec![443], ..Default::default() };
    let r = rdp_doctor_pcap::analyse(flow.pcap().as_slice(), "gw.pcapng", &opts).unwrap();
    let cap = r.connections[0].report.evidence.capture.clone().unwrap();
    assert!(cap.decryption.as_ref().unwrap().decrypted);
    assert_eq!(cap.http.len(), 1, "{:?}", cap.phases);
    let resp = cap.http[0].response.clone().unwrap();
    assert_eq!(resp.status, 401);
    assert_eq!(resp.auth_schemes, vec!["Negotiate".to_owned(), "NTLM".to_owned()]);
    assert!(ids(&r).contains(&"gateway.access_denied"), "{:?}", ids(&r));
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("c2VjcmV0"), "the Authorization value never reaches the report");
    // Without the secrets the same connection shows no HTTP.
    let r = rdp_doctor_pcap::analyse(
        flow.pcap().as_slice(),
        "gw.pcapng",
        &rdp_doctor_pcap::Options { ports: vec![443], ..Default::default() },
    )
    .unwrap();
    assert!(r.connections[0].report.evidence.capture.as_ref().unwrap().http.is_empty());
}

/// HTTP_HANDSHAKE_RESPONSE (type 2, length 18): errorCode S_OK, version 1.0, serverVersion 0,
/// extendedAuth 0.
const TSGU_HANDSHAKE_OK: [u8; 18] = [2, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0];
/// HTTP_TUNNEL_RESPONSE (type 5, length 18): serverVersion 1, statusCode 0x800759DA
/// (E_PROXY_RAP_ACCESSDENIED), fieldsPresent 0, reserved 0.
const TSGU_TUNNEL_DENIED: [u8; 18] = [5, 0, 0, 0, 18, 0, 0, 0, 1, 0, 0xda, 0x59, 0x07, 0x80, 0, 0, 0, 0];

/// The gateway's MS-TSGU answers inside the decrypted tunnel, over the HTTP transport and over WebSocket.
#[test]
fn gateway_tunnel_refusal_is_read() {
    let out =
        b"RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nHost: gw.example.test\r\nContent-Length: 0\r\n\r\n".to_vec();
    let ws = b"GET /remoteDesktopGateway/ HTTP/1.1\r\nHost: gw.example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".to_vec();
    let packets = [TSGU_HANDSHAKE_OK, TSGU_TUNNEL_DENIED].concat();
    let mut frames = Vec::new();
    for p in [TSGU_HANDSHAKE_OK, TSGU_TUNNEL_DENIED] {
        frames.extend_from_slice(&[0x82, 18]);
        frames.extend_from_slice(&p);
    }
    let cases = [
        (out, [b"HTTP/1.1 200 OK\r\n\r\n".to_vec(), packets].concat()),
        (ws, [b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n".to_vec(), frames].concat()),
    ];
    for (request, answer) in cases {
        let (flow, lines) = session_on(
            ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            None,
            "10.0.0.9:443",
            &[Turn::Client(request), Turn::Server(answer)],
        );
        let opts = rdp_doctor_pcap::Options { keylog: Some(keylog(&lines)), ports: vec![443], ..Default::default() };
        let r = rdp_doctor_pcap::analyse(flow.pcap().as_slice(), "gw.pcapng", &opts).unwrap();
        let d = decryption(&r);
        assert_eq!(d.gateway_refusal, Some(("HTTP_TUNNEL_RESPONSE".to_owned(), 0x8007_59DA)), "{:?}", d.gateway);
        assert_eq!(d.gateway.len(), 2, "{:?}", d.gateway);
        let f = r.connections[0].report.findings.iter().find(|f| f.id == "gateway.rap_denied").unwrap();
        assert!(f.summary.contains("E_PROXY_RAP_ACCESSDENIED"), "{}", f.summary);
    }
}

/// An MS-KKDCP KDC-PROXY-MESSAGE (2.2.2) around a Kerberos message a real KDC sent.
fn kdc_proxy_body(file: &str) -> Vec<u8> {
    use rdp_doctor_proto::der;
    let path = format!("{}/../rdp-doctor-proto/tests/data/krb/{file}.bin", env!("CARGO_MANIFEST_DIR"));
    let msg = std::fs::read(&path).unwrap();
    let mut framed = u32::try_from(msg.len()).unwrap().to_be_bytes().to_vec(); // RFC 4120 7.2.2 length
    framed.extend_from_slice(&msg);
    let mut octets = Vec::new();
    der::write_tlv(&mut octets, 0x04, &framed); // kerb-message OCTET STRING
    let mut fields = Vec::new();
    der::write_tlv(&mut fields, 0xa0, &octets); // [0]
    let mut body = Vec::new();
    der::write_tlv(&mut body, 0x30, &fields);
    body
}

/// The RD Gateway as KDC proxy (`rdgiskdcproxy`): inside the decrypted HTTPS, the client's AS-REQ and the
/// KDC's KRB-ERROR relayed in MS-KKDCP bodies are read and judged like KDC traffic on port 88.
#[test]
fn kdc_proxy_answers_are_read_inside_the_gateway_tls() {
    let req = kdc_proxy_body("as-req");
    let resp = kdc_proxy_body("preauth-failed");
    let mut request = format!(
        "POST /KdcProxy HTTP/1.1\r\nHost: gw.example.test\r\nContent-Type: application/kerberos\r\nContent-Length: {}\r\n\r\n",
        req.len()
    )
    .into_bytes();
    request.extend_from_slice(&req);
    let mut answer =
        format!("HTTP/1.1 200 OK\r\nContent-Type: application/kerberos\r\nContent-Length: {}\r\n\r\n", resp.len())
            .into_bytes();
    answer.extend_from_slice(&resp);
    let (flow, lines) = session_on(
        ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
        None,
        "10.0.0.9:443",
        &[Turn::Client(request), Turn::Server(answer)],
    );
    let opts = rdp_doctor_pcap::Options { keylog: Some(keylog(&lines)), ports: vec![443], ..Default::default() };
    let r = rdp_doctor_pcap::analyse(flow.pcap().as_slice(), "kdcproxy.pcapng", &opts).unwrap();
    let rep = &r.connections[0].report;
    let k = rep.evidence.kerberos.as_ref().unwrap();
    assert_eq!(k.messages.len(), 2, "{:?}", k.messages);
    assert!(k.messages[0].via.starts_with("KDC proxy (MS-KKDCP, decrypted)"));
    assert_eq!((k.messages[0].message.as_str(), k.messages[1].error_code), ("AS-REQ", Some(24)));
    assert_eq!(rep.verdict, "kerberos.preauth_failed", "{:?}", ids(&r));
    // Without the secrets nothing of it is visible.
    let r = rdp_doctor_pcap::analyse(
        flow.pcap().as_slice(),
        "kdcproxy.pcapng",
        &rdp_doctor_pcap::Options { ports: vec![443], ..Default::default() },
    )
    .unwrap();
    assert!(r.connections[0].report.evidence.kerberos.is_none());
}

/// Kerberos inside NLA: the server answers the client's SPNEGO token with a krb5 KRB-ERROR (here the real
/// KRB_AP_ERR_SKEW a KDC sent), wrapped as RFC 1964 1.1 / RFC 4121 4.1 frame it (0x60, the krb5 OID, TOK_ID
/// 03 00); decrypted, it is judged as Kerberos clock skew on the RDP connection itself.
#[test]
fn kerberos_error_inside_credssp_is_read() {
    let path = format!("{}/../rdp-doctor-proto/tests/data/krb/skew.bin", env!("CARGO_MANIFEST_DIR"));
    let krb_error = std::fs::read(&path).unwrap();
    let mut inner = vec![0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x03, 0x00];
    inner.extend_from_slice(&krb_error);
    let mut gss = Vec::new();
    rdp_doctor_proto::der::write_tlv(&mut gss, 0x60, &inner); // InitialContextToken
    let answer = rdp_doctor_proto::credssp::encode_nego(6, &gss);
    let (flow, lines) = session(
        ring::cipher_suite::TLS13_AES_256_GCM_SHA384,
        2,
        &[Turn::Client(client_negotiate()), Turn::Server(answer)],
    );
    let r = analyse(&flow.pcap(), Some(keylog(&lines)));
    let rep = &r.connections[0].report;
    let k = rep.evidence.kerberos.as_ref().unwrap();
    assert_eq!(k.messages.len(), 1);
    assert!(k.messages[0].via.starts_with("CredSSP (decrypted)"), "{:?}", k.messages[0]);
    assert_eq!((k.messages[0].from.as_str(), k.messages[0].error_code), ("server", Some(37)));
    assert!(ids(&r).contains(&"kerberos.clock_skew"), "{:?}", ids(&r));
}

/// A licensing ERROR_ALERT other than STATUS_VALID_CLIENT (MS-RDPELE 2.2.2.7.1), inside TLS.
#[test]
fn licensing_error_alert_is_read() {
    // TPKT(4) | X.224 Data | SDI 0x68, initiator 0x0001, channel 0x03eb, flags 0x70, PER length 20 |
    // security header flags 0x0080 (SEC_LICENSE_PKT), flagsHi 0 | preamble bMsgType 0xFF (ERROR_ALERT),
    // flags 0x03, wMsgSize 16 | dwErrorCode 0x06 (ERR_NO_LICENSE_SERVER), dwStateTransition 0x01
    // (ST_TOTAL_ABORT) | bbErrorInfo: wBlobType 4, wBlobLen 0.
    let mut pdu = vec![3, 0, 0, 34, 0x02, 0xf0, 0x80, 0x68, 0x00, 0x01, 0x03, 0xeb, 0x70, 20];
    pdu.extend_from_slice(&[0x80, 0x00, 0x00, 0x00, 0xff, 0x03, 16, 0]);
    pdu.extend_from_slice(&6u32.to_le_bytes());
    pdu.extend_from_slice(&1u32.to_le_bytes());
    pdu.extend_from_slice(&[4, 0, 0, 0]);
    assert_eq!(pdu.len(), 34);
    // The same alert with STATUS_VALID_CLIENT (7) is the normal end of licensing, not an error.
    let mut valid = pdu.clone();
    valid[22] = 7;
    let (flow, lines) = session(ring::cipher_suite::TLS13_AES_128_GCM_SHA256, 1, &[Turn::Server(pdu)]);
    let r = analyse(&flow.pcap(), Some(keylog(&lines)));
    assert_eq!(decryption(&r).licensing_error, Some((6, 1)));
    // ERR_NO_LICENSE_SERVER: the live credentialed check's finding for the same alert.
    assert_eq!(r.connections[0].report.verdict, "license.no_license_server", "{:?}", ids(&r));
    let (flow, lines) = session(ring::cipher_suite::TLS13_AES_128_GCM_SHA256, 1, &[Turn::Server(valid)]);
    let r = analyse(&flow.pcap(), Some(keylog(&lines)));
    assert_eq!(decryption(&r).licensing_error, None);
    assert!(!ids(&r).iter().any(|i| i.starts_with("license.")), "{:?}", ids(&r));
    assert!(r.connections[0].report.evidence.session.is_none());
}
