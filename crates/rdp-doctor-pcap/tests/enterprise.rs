//! Healthy enterprise sessions read as healthy (issue 15): successful logons with Remote Credential Guard,
//! Restricted Admin and a FreeRDP-style NLA logon, whose servers send Logon Errors Info with
//! LOGON_MSG_SESSION_CONTINUE; the logon notification of a session drawn over the graphics pipeline.
//!
//! The decrypted sessions are made in the test by rustls (`common::tls`); what the server writes inside TLS
//! is built here from MS-RDPBCGR, field by field, as a Windows server sends it (the shapes were checked
//! against the decrypted Windows capture `awakecoding/rdp-nla-kerberos-auth2.pcapng`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::tls::{Turn, analyse, cc, keylog, session_full};
use rdp_doctor_core::Severity;
use rdp_doctor_core::capture_report::CaptureReport;
use rustls::crypto::ring;

/// X.224 Connection Request with RDP_NEG_REQ `flags` and requestedProtocols SSL|HYBRID|HYBRID_EX.
fn request(flags: u8) -> Vec<u8> {
    vec![3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, flags, 8, 0, 0x0b, 0, 0, 0]
}

/// X.224 Connection Confirm with RDP_NEG_RSP `flags` selecting HYBRID_EX.
fn confirm(flags: u8) -> Vec<u8> {
    let mut c = cc(8);
    c[12] = flags;
    c
}

/// TSRequest { [0] version 6, [2] authInfo (2 bytes) }: the shape of the client's credentials message.
fn auth_info() -> Vec<u8> {
    vec![0x30, 0x0b, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa2, 0x04, 0x04, 0x02, 0xaa, 0xbb]
}

/// A Save Session Info PDU (MS-RDPBCGR 2.2.10.1) on the I/O channel 1003 carrying `info` (infoType and
/// infoData).
fn save_session_info(info: &[u8]) -> Vec<u8> {
    let user = 18 + info.len(); // share control (6) + share data header (12) + infoType/infoData
    let total = 7 + 6 + 2 + user; // TPKT + X.224 Data + SendDataIndication header + 2-byte PER length
    let mut f = vec![3, 0];
    f.extend((total as u16).to_be_bytes());
    f.extend([0x02, 0xf0, 0x80]); // X.224 Data TPDU
    f.extend([0x68, 0x00, 0x01, 0x03, 0xeb, 0x70]); // SendDataIndication, initiator 1002, channel 1003
    f.extend([0x80 | (user >> 8) as u8, user as u8]); // PER length
    f.extend((user as u16).to_le_bytes()); // totalLength
    f.extend([0x17, 0x00, 0xea, 0x03]); // pduType PDUTYPE_DATAPDU (v1), pduSource 1002
    f.extend([0xea, 0x03, 0x01, 0x00, 0x00, 0x01]); // shareId, pad1, streamId STREAM_LOW
    f.extend(((info.len() + 4) as u16).to_le_bytes()); // uncompressedLength
    f.extend([0x26, 0x00, 0x00, 0x00]); // pduType2 38 PDUTYPE2_SAVE_SESSION_INFO, no compression
    f.extend(info);
    f
}

/// INFOTYPE_LOGON_PLAINNOTIFY (2.2.10.1.1.3): 576 bytes of padding.
fn plain_notify() -> Vec<u8> {
    let mut i = 2u32.to_le_bytes().to_vec();
    i.extend([0u8; 576]);
    save_session_info(&i)
}

/// INFOTYPE_LOGON_EXTENDED_INFO (2.2.10.1.1.4) with the auto-reconnect cookie of `session` and, when
/// given, Logon Errors Info (2.2.10.1.1.4.1.1).
fn extended_info(session: u32, logon_error: Option<(u32, u32)>) -> Vec<u8> {
    let mut fields = Vec::new();
    fields.extend(28u32.to_le_bytes()); // cbFieldData
    fields.extend(28u32.to_le_bytes()); // ARC_SC_PRIVATE_PACKET cbLen
    fields.extend(1u32.to_le_bytes()); // Version
    fields.extend(session.to_le_bytes()); // LogonId
    fields.extend([0x5a; 16]); // ArcRandomBits
    let mut present = 1u32; // LOGON_EX_AUTORECONNECTCOOKIE
    if let Some((t, d)) = logon_error {
        present |= 2; // LOGON_EX_LOGONERRORS
        fields.extend(8u32.to_le_bytes());
        fields.extend(t.to_le_bytes());
        fields.extend(d.to_le_bytes());
    }
    let mut i = 3u32.to_le_bytes().to_vec();
    i.extend(((fields.len() + 6) as u16).to_le_bytes()); // Length
    i.extend(present.to_le_bytes());
    i.extend(fields);
    i.extend([0u8; 570]); // Pad
    save_session_info(&i)
}

/// A HYBRID_EX logon as a Windows server answers it: credentials, AUTHZ_SUCCESS, the logon notification
/// and Logon Errors Info `logon_error`; the client's RDP_NEG_REQ carries `request_flags`, the server's
/// RDP_NEG_RSP `response_flags`.
fn windows_logon(request_flags: u8, response_flags: u8, logon_error: Option<(u32, u32)>) -> CaptureReport {
    let mut server = 0u32.to_le_bytes().to_vec(); // Early User Authorization Result: AUTHZ_SUCCESS
    server.extend(plain_notify());
    server.extend(extended_info(2, logon_error));
    let (flow, lines) = session_full(
        ring::cipher_suite::TLS13_AES_256_GCM_SHA384,
        Some((request(request_flags), confirm(response_flags))),
        "10.0.0.5:50000",
        "10.0.0.9:3389",
        &[Turn::Client(auth_info()), Turn::Server(server)],
    );
    analyse(&flow.pcap(), Some(keylog(&lines)))
}

/// An NTLM AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3) naming CORP\alice, with empty responses.
fn ntlm_authenticate() -> Vec<u8> {
    let u16le = |s: &str| s.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>();
    let (domain, user) = (u16le("CORP"), u16le("alice"));
    let mut m = b"NTLMSSP\0".to_vec();
    m.extend(3u32.to_le_bytes()); // MessageType
    let field = |m: &mut Vec<u8>, len: usize, at: usize| {
        m.extend((len as u16).to_le_bytes());
        m.extend((len as u16).to_le_bytes());
        m.extend((at as u32).to_le_bytes());
    };
    field(&mut m, 0, 64); // LmChallengeResponseFields
    field(&mut m, 0, 64); // NtChallengeResponseFields
    field(&mut m, domain.len(), 64); // DomainNameFields
    field(&mut m, user.len(), 64 + domain.len()); // UserNameFields
    field(&mut m, 0, 64); // WorkstationFields
    field(&mut m, 0, 64); // EncryptedRandomSessionKeyFields
    m.extend(0x0000_0001u32.to_le_bytes()); // NegotiateFlags: NTLMSSP_NEGOTIATE_UNICODE
    m.extend(domain);
    m.extend(user);
    m
}

/// TSRequest { version 6, negoTokens [1] { [0] token }, pubKeyAuth [3] (when `pub_key_auth`) }.
fn ts_request(token: Option<&[u8]>, pub_key_auth: bool) -> Vec<u8> {
    use rdp_doctor_proto::spnego::tlv;
    let mut fields = tlv(0xa0, &[0x02, 0x01, 0x06]);
    if let Some(t) = token {
        let item = tlv(0x30, &tlv(0xa0, &tlv(0x04, t)));
        fields.extend(tlv(0xa1, &tlv(0x30, &item)));
    }
    if pub_key_auth {
        fields.extend(tlv(0xa3, &tlv(0x04, &[0x5a; 16])));
    }
    tlv(0x30, &fields)
}

/// A raw NTLM CredSSP exchange as FreeRDP's and IronRDP's clients make it (no SPNEGO), then a Windows
/// server's logon notification with LOGON_MSG_SESSION_CONTINUE: the "FreeRDP NLA logon" of issue 15.
#[test]
fn freerdp_ntlm_logon_is_ntlm_and_ok() {
    use rdp_doctor_proto::ntlm;
    let info = ntlm::TargetInfo {
        nb_computer_name: Some("RDS1".into()),
        nb_domain_name: Some("CORP".into()),
        ..ntlm::TargetInfo::default()
    };
    let challenge = ntlm::encode_challenge(0x0000_0001, "CORP", &info, None);
    let mut server = 0u32.to_le_bytes().to_vec();
    server.extend(plain_notify());
    server.extend(extended_info(3, Some((0xFFFF_FFFE, 3))));
    let (flow, lines) = session_full(
        ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
        Some((request(0), confirm(0x1f))),
        "10.0.0.5:50000",
        "10.0.0.9:3389",
        &[
            Turn::Client(ts_request(Some(&ntlm::encode_negotiate()), false)),
            Turn::Server(ts_request(Some(&challenge), false)),
            Turn::Client(ts_request(Some(&ntlm_authenticate()), true)),
            Turn::Server(ts_request(None, true)),
            Turn::Client(auth_info()),
            Turn::Server(server),
        ],
    );
    let r = analyse(&flow.pcap(), Some(keylog(&lines)));
    no_warning(&r);
    assert_eq!(r.verdict, "ok", "{:?}", ids(&r));
    let rep = &r.connections[0].report;
    let m = rep.evidence.credssp.as_ref().unwrap().mechanisms.as_ref().unwrap();
    assert!(!m.spnego);
    assert_eq!((m.proposed.as_deref(), m.authenticated.as_deref()), (Some("NTLM"), Some("NTLM")));
    let ok = rep.findings.iter().find(|f| f.id == "session.ok").unwrap();
    assert!(ok.summary.starts_with("CORP\\alice logged on"), "{}", ok.summary);
    assert!(ok.summary.contains("authenticated with CredSSP: NTLM"), "{}", ok.summary);
    let mech = rep.findings.iter().find(|f| f.id == "credssp.mechanism").unwrap();
    assert!(mech.summary.starts_with("CredSSP authenticated with NTLM"), "{}", mech.summary);
}

fn ids(r: &CaptureReport) -> Vec<&'static str> {
    r.connections.iter().flat_map(|c| c.report.findings.iter().map(|f| f.id)).collect()
}

fn no_warning(r: &CaptureReport) {
    for c in &r.connections {
        for f in &c.report.findings {
            assert!(f.severity < Severity::Warn, "{} {}: {}", c.id, f.id, f.summary);
        }
    }
}

/// Remote Credential Guard (REDIRECTED_AUTHENTICATION_MODE_REQUIRED), Restricted Admin
/// (RESTRICTED_ADMIN_MODE_REQUIRED) and a plain NLA logon: each server sends LOGON_MSG_SESSION_CONTINUE
/// (0xFFFFFFFE) with session 2, which read as `session.logon_failed` before issue 15.
#[test]
fn session_continue_is_a_successful_logon() {
    for (request_flags, what) in [(0x02, "Remote Credential Guard"), (0x01, "Restricted Admin"), (0x00, "NLA")] {
        let r = windows_logon(request_flags, 0x1f, Some((0xFFFF_FFFE, 2)));
        no_warning(&r);
        assert_eq!(r.verdict, "ok", "{what}: {:?}", ids(&r));
        let rep = &r.connections[0].report;
        let s = rep.evidence.session.as_ref().unwrap();
        assert_eq!(s.logon_errors, vec![(0xFFFF_FFFE, 2)]);
        assert_eq!(s.session_id, Some(2));
        let ok = rep.findings.iter().find(|f| f.id == "session.ok").unwrap();
        assert!(ok.summary.contains("INFOTYPE_LOGON_PLAINNOTIFY, session 2"), "{}", ok.summary);
        if request_flags != 0 {
            let m = rep.findings.iter().find(|f| f.id == "authmode.in_use").unwrap();
            assert!(m.summary.starts_with(what), "{}", m.summary);
        }
        let n = rep.findings.iter().find(|f| f.id == "session.logon_notice").unwrap();
        assert!(n.summary.contains("LOGON_MSG_SESSION_CONTINUE (0xFFFFFFFE)"), "{}", n.summary);
        assert!(n.evidence.iter().any(|e| e.contains("= session 2 (continues)")), "{:?}", n.evidence);
    }
}

/// A logon notification without Logon Errors Info (the Windows capture's shape) is a logon too.
#[test]
fn logon_notification_without_screen_update_is_a_logon() {
    let r = windows_logon(0, 0x1f, None);
    no_warning(&r);
    assert_eq!(r.verdict, "ok", "{:?}", ids(&r));
    assert!(ids(&r).contains(&"session.ok"));
}

/// The failure types still fail: an NTSTATUS with LOGON_FAILED_BAD_PASSWORD, ERROR_CODE_ACCESS_DENIED.
#[test]
fn failure_types_still_fail() {
    for (t, d) in [(0xC000_006D, 0), (0xFFFF_FFFF, 0), (0xFFFF_FFFA, 2)] {
        let r = windows_logon(0, 0x1f, Some((t, d)));
        assert_eq!(r.verdict, "session.logon_failed", "{t:#x}: {:?}", ids(&r));
    }
}

/// The real Windows capture (Kerberos NLA through SPNEGO, user-to-user, AUTHZ_SUCCESS, logon notification,
/// graphics over GFX) read with the Decryption Secrets Block it carries: healthy, authenticated with
/// Kerberos; before issue 15 it read `WARN credssp.no_ntlm_challenge`.
#[test]
fn windows_kerberos_nla_capture_is_healthy() {
    let opts = rdp_doctor_pcap::Options::default();
    let r = rdp_doctor_pcap::analyse_file(&common::data("awakecoding/rdp-nla-kerberos-auth2.pcapng"), &opts).unwrap();
    no_warning(&r);
    assert_eq!(r.verdict, "ok", "{:?}", ids(&r));
    let rep = &r.connections.iter().find(|c| c.server.ends_with(":3389")).unwrap().report;
    let m = rep.evidence.credssp.as_ref().unwrap().mechanisms.as_ref().unwrap();
    assert!(m.spnego);
    assert_eq!(m.offered.len(), 4);
    assert!(m.ntlm_offered);
    assert_eq!((m.proposed.as_deref(), m.chosen.as_deref()), (Some("Kerberos"), Some("Kerberos")));
    assert_eq!(m.authenticated.as_deref(), Some("Kerberos"));
    assert!(!ids(&r).contains(&"credssp.no_ntlm_challenge"));
    let s = rep.evidence.session.as_ref().unwrap();
    assert_eq!(s.session_id, Some(2));
    assert!(s.account.starts_with("Administrator@AD.IT-HELP.NINJA"), "{}", s.account);
}

/// The documented refusals: the client requires Remote Credential Guard or Restricted Admin and the
/// server's RDP_NEG_RSP does not announce it (flags without 0x10 / 0x08).
#[test]
fn a_mode_the_server_does_not_announce_is_named() {
    for (request_flags, response_flags, name) in
        [(0x02, 0x0f, "Remote Credential Guard"), (0x01, 0x17, "Restricted Admin")]
    {
        let (flow, lines) = session_full(
            ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
            Some((request(request_flags), confirm(response_flags))),
            "10.0.0.5:50000",
            "10.0.0.9:3389",
            &[],
        );
        let r = analyse(&flow.pcap(), Some(keylog(&lines)));
        let f = r.connections[0].report.findings.iter().find(|f| f.id == "authmode.unsupported").unwrap();
        assert!(f.summary.contains(name), "{}", f.summary);
        assert_eq!(r.verdict, "authmode.unsupported", "{:?}", ids(&r));
    }
}

/// The real RD Gateway capture (WebSocket transport, Kerberos, MS-TSGU all S_OK) is found without
/// `--port 443` from its own Decryption Secrets Block and reads as a working gateway session.
#[test]
fn windows_gateway_capture_is_found_and_healthy() {
    let opts = rdp_doctor_pcap::Options::default();
    let file = common::data("awakecoding/rdp-rdg-same-creds-kerberos-password-success2.pcapng");
    let r = rdp_doctor_pcap::analyse_file(&file, &opts).unwrap();
    no_warning(&r);
    assert_eq!(r.verdict, "ok", "{:?}", ids(&r));
    let c = r.connections.iter().find(|c| c.server.ends_with(":443")).unwrap();
    assert_eq!(c.report.evidence.capture.as_ref().unwrap().kind, rdp_doctor_core::capture::ConnectionKind::GatewayTls);
    assert!(c.report.findings.iter().any(|f| f.id == "gateway.tunnel_ok"), "{:?}", ids(&r));
}
