//! The probe chain against IronRDP's acceptor, in process (a real RDP server implementation).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Duration;

use rdp_doctor_core::evidence::{NegotiationResult, TlsOutcome, X224Outcome};
use rdp_doctor_probe::{CheckOptions, check, parse_target};
use rdp_doctor_proto::nego::SecurityProtocol;
use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};

fn opts() -> CheckOptions {
    CheckOptions { timeout: Duration::from_secs(5), ..CheckOptions::default() }
}

fn server(cert: CertSpec, security: Security) -> TestServer {
    TestServer::start(TestServerConfig { bind: "127.0.0.1:0".parse().unwrap(), cert, security }).unwrap()
}

#[tokio::test]
async fn expired_certificate_is_recorded_and_handshake_completes() {
    let srv = server(CertSpec::ExpiredYesterday, Security::Tls);
    let target = parse_target(&srv.addr().to_string(), 3389).unwrap();
    let ev = check(target, &opts()).await;
    let x = ev.x224.as_ref().unwrap();
    assert!(
        matches!(&x.outcome, X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol: 1, .. }, .. }),
        "{:?}",
        x.outcome
    );
    let tls = ev.tls.as_ref().unwrap();
    assert_eq!(tls.outcome, TlsOutcome::Established);
    assert_eq!(tls.chain.len(), 1);
    assert!(tls.chain[0].not_after_unix < ev.observed_at_unix);
    let report = rdp_doctor_core::report::build(ev, 0.0);
    assert_eq!(report.verdict, "cert.expired");
    assert!(report.findings.iter().any(|f| f.id == "cert.self_signed"));
}

#[tokio::test]
async fn hybrid_server_selects_hybrid() {
    let srv = server(CertSpec::Valid, Security::Hybrid { username: "u".into(), password: "p".into() });
    let ev = check(parse_target(&srv.addr().to_string(), 3389).unwrap(), &opts()).await;
    let report = rdp_doctor_core::report::build(ev, 0.0);
    assert_eq!(report.layers[2].summary, "RDP_NEG_RSP: server selected PROTOCOL_HYBRID");
    assert_eq!(report.verdict, "cert.self_signed");
}

#[tokio::test]
async fn client_without_nla_gets_hybrid_required() {
    let srv = server(CertSpec::Valid, Security::Hybrid { username: "u".into(), password: "p".into() });
    let o = CheckOptions { requested: SecurityProtocol::PROTOCOL_SSL, ..opts() };
    let ev = check(parse_target(&srv.addr().to_string(), 3389).unwrap(), &o).await;
    let report = rdp_doctor_core::report::build(ev, 0.0);
    assert_eq!(report.verdict, "nego.hybrid_required_by_server");
    assert_eq!(report.first_failing_layer, Some(rdp_doctor_core::LayerName::X224));
}

#[tokio::test]
async fn other_name_certificate_mismatches() {
    let srv = server(CertSpec::OtherName("wrong.example.test".into()), Security::Tls);
    let ev = check(parse_target(&srv.addr().to_string(), 3389).unwrap(), &opts()).await;
    let report = rdp_doctor_core::report::build(ev, 0.0);
    assert!(report.findings.iter().any(|f| f.id == "cert.name_mismatch"), "{:?}", report.findings);
}
