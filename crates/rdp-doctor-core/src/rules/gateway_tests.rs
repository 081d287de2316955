//! Gateway rules on hand-built evidence: each status and framing anomaly gives its finding, and a healthy
//! gateway gives only informational ones.

use super::super::testkit::*;
use crate::evidence::*;

fn resp(status: u16, version: &str, framing: &str) -> GatewayResponse {
    GatewayResponse {
        version: version.into(),
        status,
        reason: "R".into(),
        framing: framing.into(),
        content_length: (framing == "content-length").then_some(0),
        connection: vec![],
        upgrade: None,
        server: Some("Microsoft-HTTPAPI/2.0".into()),
        content_type: None,
        auth_schemes: if status == 401 { vec!["Negotiate".into(), "NTLM".into()] } else { vec![] },
        proxy_auth_schemes: vec![],
        proxy_headers: vec![],
        websocket_accept: None,
        websocket_accept_expected: None,
        cookie_names: vec![],
        html_title: None,
        head_lines: vec![format!("{version} {status} R")],
        body_read: 0,
        first_body_byte_ms: None,
    }
}

fn probe(kind: GatewayRequestKind, r: GatewayResponse) -> GatewayHttpProbe {
    GatewayHttpProbe {
        kind,
        request_line: "X / HTTP/1.1".into(),
        outcome: GatewayHttpOutcome::Response(Box::new(r)),
        duration_ms: 1.0,
    }
}

fn gateway(out: GatewayResponse, ws: GatewayResponse, rpc: GatewayResponse) -> Evidence {
    let mut tls = TlsEvidence::pending("test", "gw", 1000);
    tls.outcome = TlsOutcome::Established;
    let mut ev = base();
    ev.gateway = Some(GatewayEvidence {
        host: "gw".into(),
        port: 443,
        dns: None,
        tcp: Some(TcpEvidence {
            attempts: vec![TcpAttempt {
                addr: "127.0.0.1:443".parse().unwrap_or_else(|_| unreachable!()),
                outcome: TcpOutcome::Connected,
                duration_ms: 1.0,
                detail: None,
            }],
            timeout_ms: 1000,
        }),
        tls: Some(tls),
        alpn: Some("http/1.1".into()),
        requests: vec![
            probe(GatewayRequestKind::RdgOut, out),
            probe(GatewayRequestKind::RdgWebsocket, ws),
            probe(GatewayRequestKind::RpcInData, rpc),
        ],
        seed_budget_ms: 2000,
        udp: None,
        tunnel: None,
    });
    ev
}

fn healthy() -> GatewayResponse {
    resp(401, "HTTP/1.1", "content-length")
}

fn findings(ev: &Evidence) -> Vec<&'static str> {
    ids(&crate::rules::evaluate(ev))
}

#[test]
fn healthy_gateway_gives_only_information() {
    let ev = gateway(healthy(), healthy(), healthy());
    let f = crate::rules::evaluate(&ev);
    assert_eq!(ids(&f), ["gateway.auth_schemes", "gateway.rpc_over_http"]);
    assert!(f.iter().all(|f| f.severity == crate::Severity::Info));
    assert!(f[0].summary.contains("Negotiate, NTLM"), "{}", f[0].summary);
    let report = crate::report::build(ev, 1.0);
    assert_eq!(report.verdict, "ok");
    assert_eq!(report.layers[0].name, crate::report::LayerName::Gateway);
}

#[test]
fn each_status_has_its_finding() {
    for (status, id) in [
        (400, "gateway.method_rejected"),
        (405, "gateway.method_rejected"),
        (501, "gateway.method_rejected"),
        (407, "gateway.proxy_auth_required"),
        (502, "gateway.proxy_error"),
        (404, "gateway.http_transport_unavailable"),
        (302, "gateway.unexpected_status"),
    ] {
        let ev = gateway(resp(status, "HTTP/1.1", "content-length"), healthy(), healthy());
        assert!(findings(&ev).contains(&id), "{status}: {:?}", findings(&ev));
    }
}

#[test]
fn transport_disabled_fails_without_rpc_fallback() {
    let sev = |rpc| {
        let ev = gateway(resp(404, "HTTP/1.1", "content-length"), healthy(), rpc);
        crate::rules::evaluate(&ev)
            .into_iter()
            .find(|f| f.id == "gateway.http_transport_unavailable")
            .map(|f| f.severity)
    };
    assert_eq!(sev(healthy()), Some(crate::Severity::Warn));
    assert_eq!(sev(resp(404, "HTTP/1.1", "content-length")), Some(crate::Severity::Fail));
}

#[test]
fn framing_anomalies() {
    let ev = gateway(resp(401, "HTTP/1.1", "close-delimited"), healthy(), healthy());
    assert!(findings(&ev).contains(&"gateway.http_no_framing"));
    let ev = gateway(resp(401, "HTTP/1.1", "chunked"), healthy(), healthy());
    assert!(findings(&ev).contains(&"gateway.chunked_reframed"));
    let ev = gateway(resp(401, "HTTP/1.0", "content-length"), healthy(), healthy());
    assert_eq!(findings(&ev)[0], "gateway.http_1_0");
    let mut r = healthy();
    r.proxy_headers = vec!["Via: 1.1 nginx".into()];
    assert!(findings(&gateway(r, healthy(), healthy())).contains(&"gateway.proxy_in_path"));
    let mut r = healthy();
    r.server = Some("nginx/1.22".into());
    assert!(findings(&gateway(r, healthy(), healthy())).contains(&"gateway.proxy_in_path"));
}

#[test]
fn websocket_checks() {
    let ev = gateway(healthy(), resp(200, "HTTP/1.1", "close-delimited"), healthy());
    assert!(findings(&ev).contains(&"gateway.websocket_refused"));
    let ev = gateway(healthy(), resp(400, "HTTP/1.1", "content-length"), healthy());
    assert!(findings(&ev).contains(&"gateway.websocket_blocked"));
    let mut ws = resp(101, "HTTP/1.1", "close-delimited");
    ws.websocket_accept = Some("bad".into());
    ws.websocket_accept_expected = Some("good".into());
    assert!(findings(&gateway(healthy(), ws.clone(), healthy())).contains(&"gateway.websocket_bad_accept"));
    ws.websocket_accept = Some("good".into());
    assert!(!findings(&gateway(healthy(), ws, healthy())).iter().any(|i| i.starts_with("gateway.websocket")));
}

#[test]
fn buffered_seed() {
    let ev = gateway(resp(200, "HTTP/1.1", "close-delimited"), healthy(), healthy());
    assert!(findings(&ev).contains(&"gateway.seed_delayed"));
    let mut r = resp(200, "HTTP/1.1", "close-delimited");
    r.first_body_byte_ms = Some(3.0);
    assert!(!findings(&gateway(r, healthy(), healthy())).contains(&"gateway.seed_delayed"));
}

#[test]
fn no_answer_and_certificate() {
    let mut ev = gateway(healthy(), healthy(), healthy());
    if let Some(g) = ev.gateway.as_mut() {
        g.requests[0].outcome = GatewayHttpOutcome::Closed { received: 0 };
        let mut c = crate::cert::CertInfo::from_der(&[]);
        c.parse_error = None;
        c.subject = "CN=other".into();
        c.issuer = "CN=Zscaler Intermediate Root CA".into();
        c.common_names = vec!["other".into()];
        c.not_before_unix = NOW - 86_400;
        c.not_after_unix = NOW - 3600;
        c.key_type = "RSA".into();
        c.key_bits = 2048;
        c.signature_algorithm = "sha256WithRSAEncryption".into();
        c.ekus = vec!["serverAuth".into()];
        if let Some(t) = g.tls.as_mut() {
            t.chain = vec![c];
        }
    }
    let f = crate::rules::evaluate(&ev);
    let ids = ids(&f);
    for id in ["gateway.http_no_response", "cert.expired", "cert.name_mismatch", "gateway.tls_inspection"] {
        assert!(ids.contains(&id), "{id}: {ids:?}");
    }
    let expired = f.iter().find(|f| f.id == "cert.expired").unwrap_or_else(|| unreachable!());
    assert_eq!(expired.layer, "gateway");
    assert_eq!(expired.remedies.iter().map(|r| r.id).collect::<Vec<_>>(), ["gateway.certificate"]);
}

/// One framing judgement for both drivers: the live probe's responses and a capture's exchanges give the
/// same verdict for the same response.
#[test]
fn framing_judgement_is_shared() {
    use super::{ResponseFraming, lacks_framing};
    let cases: &[(&str, &str, u16, bool, bool, bool)] = &[
        // method, version, status, close-delimited, Connection: close, judged unframed
        ("RDG_OUT_DATA", "HTTP/1.1", 401, true, false, true),
        // A 401 must stay open for the NTLM legs: Connection: close does not excuse it (the live
        // NoContentLength fault sends exactly this).
        ("RDG_OUT_DATA", "HTTP/1.1", 401, true, true, true),
        ("RDG_OUT_DATA", "HTTP/1.1", 401, false, false, false),
        // The OUT channel's stream is close-delimited by design; the IN channel's 200 is not.
        ("RDG_OUT_DATA", "HTTP/1.1", 200, true, false, false),
        ("RDG_IN_DATA", "HTTP/1.1", 200, true, false, true),
        // An error page that announces the close is legal HTTP/1.1.
        ("RDG_OUT_DATA", "HTTP/1.1", 502, true, true, false),
        ("RDG_OUT_DATA", "HTTP/1.1", 502, true, false, true),
        // No body, or HTTP/1.0 (its own finding).
        ("RDG_OUT_DATA", "HTTP/1.1", 101, true, false, false),
        ("RDG_OUT_DATA", "HTTP/1.1", 204, true, false, false),
        ("RDG_OUT_DATA", "HTTP/1.1", 304, true, false, false),
        ("RDG_OUT_DATA", "HTTP/1.0", 401, true, false, false),
    ];
    for &(method, version, status, close_delimited, connection_close, want) in cases {
        let r = ResponseFraming { method, version, status, close_delimited, connection_close };
        assert_eq!(lacks_framing(&r), want, "{method} {version} {status} {close_delimited} {connection_close}");
    }
    // The live driver: the NoContentLength answer (401, Connection: close, no length) is judged.
    let mut r = resp(401, "HTTP/1.1", "close-delimited");
    r.connection = vec!["close".into()];
    let ev = gateway(r, healthy(), healthy());
    assert!(findings(&ev).contains(&"gateway.http_no_framing"));
    let mut ok = resp(200, "HTTP/1.1", "close-delimited");
    ok.first_body_byte_ms = Some(1.0);
    assert!(!findings(&gateway(ok, healthy(), healthy())).contains(&"gateway.http_no_framing"));
}
