#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::evidence::{GatewayTunnelStep, NegotiationResult, X224Evidence};

fn tunnel(outcome: O) -> GatewayEvidence {
    GatewayEvidence {
        host: "gw.lab.test".into(),
        port: 443,
        dns: None,
        tcp: None,
        tls: None,
        alpn: None,
        requests: vec![],
        seed_budget_ms: 2000,
        udp: None,
        tunnel: Some(GatewayTunnelEvidence {
            transport: Some("HTTP".into()),
            account: "LAB\\alice".into(),
            target: "rdp.lab.test".into(),
            target_port: 3389,
            steps: vec![GatewayTunnelStep {
                name: "HTTP_TUNNEL_RESPONSE".into(),
                at_ms: 12.0,
                duration_ms: 1.0,
                http_status: None,
                hresult: Some(0x8007_59DA),
                hex: Some("05 00 00 00 12 00 00 00".into()),
                detail: String::new(),
            }],
            outcome,
            tunnel_id: None,
            idle_timeout_minutes: None,
            channel_id: Some(7),
            udp_port: None,
            messages: vec![],
            x224: None,
            duration_ms: 20.0,
            timeout_ms: 5000,
        }),
    }
}

fn run(g: &GatewayEvidence) -> Vec<Finding> {
    let mut out = Vec::new();
    check(g, &mut out);
    out
}

#[test]
fn each_hresult_gets_the_finding_its_code_links_to() {
    let cases = [
        (0x8007_59DA, "gateway.rap_denied"),
        (0x8007_59DB, "gateway.cap_denied"),
        (0x8007_59DD, "gateway.target_unreachable"),
        // The low-16 form MS-TSGU also uses (HRESULT_CODE(E_PROXY_TS_CONNECTFAILED)).
        (0x0000_59DD, "gateway.target_unreachable"),
        (0x8007_59D8, "gateway.internal_error"),
        (0x0000_59E6, "gateway.max_connections"),
        (0x8007_59F9, "gateway.auth_method_refused"),
        (0x8007_59ED, "gateway.cap_denied"),
        // Known code without its own finding, and an unknown value.
        (0x8007_59F6, "gateway.tunnel_refused"),
        (0x1234_5678, "gateway.tunnel_refused"),
    ];
    for (hr, id) in cases {
        let f = run(&tunnel(O::Refused { step: "HTTP_TUNNEL_RESPONSE".into(), hresult: hr }));
        assert_eq!(f.len(), 1, "{hr:#x}");
        assert_eq!(f[0].id, id, "{hr:#x}");
        assert!(f[0].evidence.iter().any(|e| e.contains("bytes 05 00")), "{:?}", f[0].evidence);
        assert!(f[0].evidence.iter().any(|e| e.contains(&format!("0x{hr:08X}"))), "{:?}", f[0].evidence);
    }
    let f = run(&tunnel(O::Refused { step: "HTTP_CHANNEL_RESPONSE".into(), hresult: 0x8007_59DA }));
    assert!(f[0].summary.contains("E_PROXY_RAP_ACCESSDENIED"), "{}", f[0].summary);
    assert!(f[0].evidence.iter().any(|e| e.contains("resource authorization policy")), "{:?}", f[0].evidence);
}

#[test]
fn rejected_credentials_are_access_denied() {
    let f = run(&tunnel(O::CredentialsRejected { channel: "RDG_OUT_DATA".into() }));
    assert_eq!(f[0].id, "gateway.access_denied");
    assert!(f[0].summary.contains("LAB\\alice"));
}

#[test]
fn a_created_channel_says_what_the_target_answered() {
    let mut g = tunnel(O::ChannelCreated);
    let f = run(&g);
    assert_eq!(f[0].id, "gateway.tunnel_ok");
    assert!(f[0].summary.contains("channel ID 7"), "{}", f[0].summary);
    let x224 = |outcome| X224Evidence {
        requested_protocols: 3,
        requested_names: vec![],
        cookie_sent: false,
        request_hex: "03 00".into(),
        response_hex: "03 00 00 13".into(),
        outcome,
        duration_ms: 3.0,
        timeout_ms: 5000,
    };
    let t = g.tunnel.as_mut().unwrap();
    t.x224 = Some(x224(X224Outcome::Confirm {
        negotiation: NegotiationResult::Selected {
            protocol: 2,
            protocol_names: vec!["HYBRID".into()],
            flags: 0,
            flag_names: vec![],
        },
        anomalies: vec![],
    }));
    let f = run(&g);
    assert_eq!(f[0].id, "gateway.tunnel_ok");
    assert!(f[0].summary.contains("selected HYBRID"), "{}", f[0].summary);
    g.tunnel.as_mut().unwrap().x224 = Some(x224(X224Outcome::Closed { received: 0 }));
    assert_eq!(run(&g)[0].id, "gateway.tunnel_no_rdp");
}

#[test]
fn protocol_failures_and_limitations() {
    for o in [
        O::NoNtlmChallenge { channel: "RDG_OUT_DATA".into(), status: 401, schemes: vec!["Negotiate".into()] },
        O::HttpStatus { channel: "RDG_IN_DATA".into(), status: 500, reason: "Internal Server Error".into() },
        O::Ended { step: "HTTP_HANDSHAKE_RESPONSE".into(), how: "closed".into() },
        O::Malformed { step: "HTTP_TUNNEL_RESPONSE".into(), error: "bad".into() },
    ] {
        assert_eq!(run(&tunnel(o.clone()))[0].id, "gateway.tunnel_failed", "{o:?}");
    }
    // Not run, or our own NTLM failing, is a limitation of the run, not a finding about the gateway.
    assert!(run(&tunnel(O::NotRun { reason: "x".into() })).is_empty());
    assert!(run(&tunnel(O::Local { error: "x".into() })).is_empty());
}
