//! The gateway probe against the scripted gateway (Debian has no RD Gateway: `rdp-doctor-testserver`'s
//! `ScriptedGateway` answers like one, and like the proxies that break one). Each fault must produce its
//! finding, the healthy gateway none above info.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Duration;

use rdp_doctor_core::evidence::Target;
use rdp_doctor_probe::CheckOptions;
use rdp_doctor_testserver::{CertSpec, GatewayFault, ScriptedGateway};

async fn check(fault: GatewayFault, cert: CertSpec) -> rdp_doctor_core::Report {
    let gw = ScriptedGateway::start(fault, cert).unwrap();
    let opts = CheckOptions {
        timeout: Duration::from_secs(3),
        gateway: Some(("localhost".into(), gw.addr().port())),
        ..CheckOptions::default()
    };
    let target = Target { input: "rdp.lab.test".into(), host: "rdp.lab.test".into(), port: 3389, ip: None };
    let ev = rdp_doctor_probe::check(target, &opts).await;
    rdp_doctor_core::report::build(ev, 0.0)
}

fn ids(r: &rdp_doctor_core::Report) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.id).collect()
}

#[tokio::test]
async fn healthy_scripted_gateway() {
    let r = check(GatewayFault::Healthy, CertSpec::Valid).await;
    let ids = ids(&r);
    assert!(ids.contains(&"gateway.auth_schemes"), "{ids:?}");
    assert!(ids.contains(&"gateway.rpc_over_http"), "{ids:?}");
    assert!(
        !ids.iter().any(|i| ["gateway.http_1_0", "gateway.proxy_in_path", "gateway.websocket_blocked"].contains(i))
    );
    let g = r.evidence.gateway.as_ref().unwrap();
    assert_eq!(g.alpn, None, "the scripted gateway offers no ALPN");
    assert_eq!(g.requests.len(), 3);
    let f = r.findings.iter().find(|f| f.id == "gateway.auth_schemes").unwrap();
    assert!(f.summary.contains("Negotiate, NTLM, Basic"), "{}", f.summary);
    // The direct path is not probed through a gateway.
    assert!(r.evidence.tcp.is_none());
    assert_eq!(r.layers[0].name, rdp_doctor_core::LayerName::Gateway);
}

#[tokio::test]
async fn each_fault_has_its_finding() {
    for (fault, id) in [
        (GatewayFault::NoContentLength, "gateway.http_no_framing"),
        (GatewayFault::Chunked, "gateway.chunked_reframed"),
        (GatewayFault::Chunked, "gateway.proxy_in_path"),
        (GatewayFault::Http10, "gateway.http_1_0"),
        (GatewayFault::Proxy502, "gateway.proxy_error"),
        (GatewayFault::Proxy407, "gateway.proxy_auth_required"),
        (GatewayFault::WebsocketStripped, "gateway.websocket_blocked"),
        (GatewayFault::VerbRejected, "gateway.method_rejected"),
        (GatewayFault::HttpDisabled, "gateway.http_transport_unavailable"),
        (GatewayFault::CloseOnRequest, "gateway.http_no_response"),
        (GatewayFault::SeedBuffered, "gateway.seed_delayed"),
    ] {
        let r = check(fault, CertSpec::Valid).await;
        assert!(ids(&r).contains(&id), "{fault:?}: expected {id}, got {:?}", ids(&r));
        assert_ne!(r.verdict, "ok", "{fault:?}");
    }
}

#[tokio::test]
async fn gateway_certificate_uses_the_certificate_rules() {
    let r = check(GatewayFault::Healthy, CertSpec::ExpiredYesterday).await;
    let f = r.findings.iter().find(|f| f.id == "cert.expired").unwrap_or_else(|| panic!("{:?}", ids(&r)));
    assert_eq!(f.layer, "gateway");
    assert_eq!(r.verdict, "cert.expired");
    let r = check(GatewayFault::Healthy, CertSpec::OtherName("other.lab.test".into())).await;
    assert!(ids(&r).contains(&"cert.name_mismatch"), "{:?}", ids(&r));
}
