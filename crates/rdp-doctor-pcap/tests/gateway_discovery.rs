//! Captures find the RD Gateway by themselves (issue 15): with TLS secrets, a TLS connection on any port is
//! decrypted and classified by its plaintext (RD Gateway, KDC proxy); without them, TLS on 443 whose name
//! suggests a gateway is listed as "not examined" with the command that would examine it; a resumed TLS
//! session (no certificate on the wire) is not "incomplete"; HTTP reason phrases are quoted as sent.
//!
//! Sessions are made by rustls in the test (`common::tls`); the gateway's answers are built from MS-TSGU
//! and MS-KKDCP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::tls::{Peers, Turn, keylog};
use common::{Flow, Link, client_hello};
use rdp_doctor_core::Severity;
use rdp_doctor_core::capture::ConnectionKind;
use rdp_doctor_core::capture_report::CaptureReport;
use rustls::crypto::ring;

/// MS-TSGU 2.2.10.x responses with S_OK: HTTP_HANDSHAKE_RESPONSE, HTTP_TUNNEL_RESPONSE,
/// HTTP_TUNNEL_AUTH_RESPONSE, HTTP_CHANNEL_RESPONSE (type, reserved, packetLength, then the fields).
fn tsgu_ok() -> Vec<u8> {
    let mut p = Vec::new();
    // HTTP_HANDSHAKE_RESPONSE: errorCode 0, verMajor 1, verMinor 0, serverVersion 0, extendedAuth 0.
    p.extend([2, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    // HTTP_TUNNEL_RESPONSE: serverVersion 0, statusCode S_OK, fieldsPresent 0, reserved.
    p.extend([5, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // HTTP_TUNNEL_AUTH_RESPONSE: errorCode S_OK, fieldsPresent 0, reserved.
    p.extend([7, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // HTTP_CHANNEL_RESPONSE: errorCode S_OK, fieldsPresent 0, reserved.
    p.extend([9, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    p
}

fn analyse(flows: &[&Flow], keys: Option<&str>) -> CaptureReport {
    let mut frames: Vec<(i64, Vec<u8>)> = flows.iter().flat_map(|f| f.frames.clone()).collect();
    frames.sort_by_key(|(ts, _)| *ts);
    let mut p = common::Pcap::new(Link::Ethernet.linktype(), false, true);
    for (ts, f) in &frames {
        p.packet(*ts, f);
    }
    let opts = rdp_doctor_pcap::Options { keylog: keys.map(keylog), ..Default::default() };
    rdp_doctor_pcap::analyse(p.buf.as_slice(), "/tmp/site capture.pcapng", &opts).unwrap()
}

fn ids(r: &CaptureReport) -> Vec<&'static str> {
    r.connections.iter().flat_map(|c| c.report.findings.iter().map(|f| f.id)).collect()
}

/// A gateway on 443 and one on 8443, found with the secrets and no --port: RD Gateway (TLS), the tunnel
/// open, verdict ok; an ordinary HTTPS connection with secrets is not listed.
#[test]
fn decrypted_gateways_are_found_on_any_port() {
    let peers = Peers::new(ring::cipher_suite::TLS13_AES_128_GCM_SHA256, "rdg.corp.example");
    let out = b"RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nHost: rdg.corp.example\r\nContent-Length: 0\r\n\r\n";
    let answer = [b"HTTP/1.1 200 OK\r\n\r\n".to_vec(), tsgu_ok()].concat();
    let turns = [Turn::Client(out.to_vec()), Turn::Server(answer)];
    let a = peers.run(None, "10.0.0.5:50001", "10.0.0.7:443", &turns);
    let b = peers.run(None, "10.0.0.5:50002", "10.0.0.8:8443", &turns);
    let web = peers.run(
        None,
        "10.0.0.5:50003",
        "10.0.0.9:443",
        &[
            Turn::Client(b"GET / HTTP/1.1\r\nHost: www\r\n\r\n".to_vec()),
            Turn::Server(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec()),
        ],
    );
    let r = analyse(&[&a, &b, &web], Some(&peers.lines()));
    assert_eq!(r.connections.len(), 2, "{:?}", r.connections.iter().map(|c| &c.server).collect::<Vec<_>>());
    for c in &r.connections {
        let cap = c.report.evidence.capture.as_ref().unwrap();
        assert_eq!(cap.kind, ConnectionKind::GatewayTls);
        assert!(c.report.findings.iter().any(|f| f.id == "gateway.tunnel_ok"), "{:?}", ids(&r));
        assert_eq!(c.report.verdict, "ok", "{:?}", ids(&r));
        assert!(!c.report.limitations.iter().any(|l| l.starts_with("Checked up to")), "{:?}", c.report.limitations);
    }
    // Without the secrets, and with a gateway-like name, the 443 connections are named, not examined.
    let r = analyse(&[&a, &b, &web], None);
    assert_eq!(r.verdict, "no_rdp_traffic");
    assert_eq!(r.not_examined.len(), 2, "{:?}", r.not_examined);
    assert!(r.not_examined.iter().all(|n| n.server.ends_with(":443")));
    let n = &r.not_examined[0];
    assert_eq!(n.command, "rdp-doctor capture '/tmp/site capture.pcapng' --port 443");
    assert!(n.why.contains("rdg.corp.example suggests an RD Gateway"), "{}", n.why);
}

/// A KDC proxy that answers 503 is a finding with the reason phrase as sent; a gateway's 401 quotes its own
/// phrase ("User Account Restricted"), not "Unauthorized".
#[test]
fn kdc_proxy_failure_and_reason_phrases_are_quoted() {
    let peers = Peers::new(ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "gw.corp.example");
    let kdc = peers.run(
        None,
        "10.0.0.5:50001",
        "10.0.0.7:443",
        &[
            Turn::Client(b"POST /KdcProxy HTTP/1.1\r\nHost: gw.corp.example\r\nContent-Type: application/kerberos\r\nContent-Length: 2\r\n\r\n\x30\x00".to_vec()),
            Turn::Server(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n".to_vec()),
        ],
    );
    let mut gw = peers.run(
        None,
        "10.0.0.5:50002",
        "10.0.0.7:443",
        &[
            Turn::Client(b"RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nHost: gw.corp.example\r\nAuthorization: NTLM c2VjcmV0\r\nContent-Length: 0\r\n\r\n".to_vec()),
            Turn::Server(b"HTTP/1.1 401 User Account Restricted\r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n".to_vec()),
        ],
    );
    // The NTLM attempt comes a second after the KDC proxy's refusal.
    for f in &mut gw.frames {
        f.0 += 1_000_000_000;
    }
    let r = analyse(&[&kdc, &gw], Some(&peers.lines()));
    let by_kind = |k| r.connections.iter().find(|c| c.report.evidence.capture.as_ref().unwrap().kind == k).unwrap();
    let k = by_kind(ConnectionKind::KdcProxy);
    let f = k.report.findings.iter().find(|f| f.id == "gateway.kdc_proxy_failed").unwrap();
    assert!(f.summary.contains("503 \"Service Unavailable\""), "{}", f.summary);
    assert_eq!(f.severity, Severity::Fail);
    let g = by_kind(ConnectionKind::GatewayTls);
    let f = g.report.findings.iter().find(|f| f.id == "gateway.access_denied").unwrap();
    assert_eq!(f.summary, "the gateway's last answer was 401 \"User Account Restricted\"");
    // One chain: KDC proxy unavailable → NTLM fallback → NTLM refused for this account. Its root is the
    // file's verdict; the 401 is shown as its consequence.
    assert_eq!(r.chains.len(), 1, "{:?}", r.chains);
    assert_eq!(r.chains[0].verdict, "gateway.kdc_proxy_failed");
    assert_eq!(r.verdict, "gateway.kdc_proxy_failed");
    assert_eq!(r.connections[0].id, k.id, "the root is listed first");
    let role = g.chain.as_ref().unwrap();
    assert_eq!(role.caused_by, Some(k.id));
    assert!(role.how.contains("fell back to NTLM"), "{}", role.how);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["chains"][0]["root"], k.id);
}

/// The second connection resumes the first one's TLS session: no certificate on the wire, yet not
/// "incomplete" (TLS 1.2 session ID and TLS 1.3 pre-shared key).
#[test]
fn a_resumed_tls_session_is_not_incomplete() {
    for suite in
        [ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, ring::cipher_suite::TLS13_AES_256_GCM_SHA384]
    {
        let peers = Peers::new(suite, "rdg.corp.example");
        let out =
            b"RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nHost: rdg.corp.example\r\nContent-Length: 0\r\n\r\n";
        let answer = [b"HTTP/1.1 200 OK\r\n\r\n".to_vec(), tsgu_ok()].concat();
        let turns = [Turn::Client(out.to_vec()), Turn::Server(answer)];
        let first = peers.run(None, "10.0.0.5:50001", "10.0.0.7:443", &turns);
        let second = peers.run(None, "10.0.0.5:50002", "10.0.0.7:443", &turns);
        let r = analyse(&[&first, &second], Some(&peers.lines()));
        assert_eq!(r.connections.len(), 2);
        let resumed: Vec<_> =
            r.connections.iter().filter(|c| c.report.evidence.capture.as_ref().unwrap().tls_resumed).collect();
        assert_eq!(resumed.len(), 1, "{suite:?}");
        assert_eq!(resumed[0].report.verdict, "ok", "{:?} {:?}", ids(&r), resumed[0].report.limitations);
        assert!(
            resumed[0].report.limitations.iter().any(|l| l.contains("resumed")),
            "{:?}",
            resumed[0].report.limitations
        );
    }
}

/// Without secrets: a TLS flow on 443 whose SNI does not suggest a gateway is not mentioned.
#[test]
fn ordinary_https_without_secrets_is_left_out() {
    let mut f = Flow::new("10.0.0.5:50000", "10.0.0.9:443", Link::Ethernet);
    f.handshake().client(&client_hello());
    let r = analyse(&[&f], None);
    assert_eq!(r.verdict, "no_rdp_traffic");
    assert!(r.not_examined.is_empty(), "{:?}", r.not_examined);
}
