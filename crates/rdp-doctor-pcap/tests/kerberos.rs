//! Kerberos in captures: a real MIT KDC's answers (tests/data/kerberos/SOURCES.md) read from UDP datagrams
//! and TCP records on port 88 and judged by the same rules as everything else.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use rdp_doctor_core::capture::ConnectionKind;
use rdp_doctor_pcap::Options;

#[test]
fn kdc_answers_become_findings() {
    let r = rdp_doctor_pcap::analyse_file(&common::data("kerberos/mit-kdc.pcapng"), &Options::default()).unwrap();
    // No RDP connection in this capture: the client's KDC exchanges are their own entry.
    assert_eq!(r.connections.len(), 1);
    let c = &r.connections[0];
    assert_eq!(c.kind, ConnectionKind::Kerberos);
    assert_eq!(c.server, "127.0.0.88:88");
    let k = c.report.evidence.kerberos.as_ref().unwrap();
    assert!(k.messages.iter().any(|m| m.via.starts_with("TCP")), "the TCP records are read too");
    assert_eq!(
        k.messages.iter().filter(|m| m.error_code == Some(25)).count(),
        5,
        "PREAUTH_REQUIRED x5 (tshark agrees)"
    );
    let ids: Vec<&str> = c.report.findings.iter().map(|f| f.id).collect();
    for id in
        ["kerberos.client_revoked", "kerberos.client_unknown", "kerberos.password_expired", "kerberos.server_unknown"]
    {
        assert!(ids.contains(&id), "{id} missing: {ids:?}");
    }
    // alice's wrong password and skewed clock were followed by a good logon: reported, not as the cause.
    assert!(!ids.contains(&"kerberos.preauth_failed"), "{ids:?}");
    let retried = c.report.findings.iter().find(|f| f.id == "kerberos.error").unwrap();
    assert!(retried.evidence.iter().any(|e| e.contains("KDC_ERR_PREAUTH_FAILED")));
    assert!(retried.evidence.iter().any(|e| e.contains("KRB_AP_ERR_SKEW")));
    let spn = c.report.findings.iter().find(|f| f.id == "kerberos.server_unknown").unwrap();
    assert!(spn.evidence[0].contains("TERMSRV/10.0.0.5"), "{:?}", spn.evidence);
    // PREAUTH_REQUIRED is the normal first step: never a finding of its own.
    assert!(c.report.findings.iter().all(|f| f.evidence.iter().all(|e| !e.contains("KDC_ERR_PREAUTH_REQUIRED"))));
    assert_eq!(c.report.verdict, "kerberos.client_revoked");
}
