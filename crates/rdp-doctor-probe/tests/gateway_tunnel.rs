//! The credentialed tunnel (`check HOST --gateway GW --user USER`) against the scripted gateway in tunnel
//! mode: NTLM with sspi on both HTTP channels, MS-TSGU handshake, tunnel, tunnel authorization and channel,
//! and the X.224 exchange through the channel with IronRDP's acceptor behind the gateway. Each E_PROXY
//! fault must give its finding, a wrong password `gateway.access_denied` after exactly one NTLM logon.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::{Duration, Instant};

use rdp_doctor_core::evidence::{GatewayTunnelOutcome, NegotiationResult, Target, X224Outcome};
use rdp_doctor_probe::CheckOptions;
use rdp_doctor_probe::session::{Credentials, Password};
use rdp_doctor_testserver::{
    CertSpec, GATEWAY_PASSWORD, GATEWAY_USER, GatewayFault, ScriptedGateway, Security, TestServer, TestServerConfig,
};

struct Run {
    report: rdp_doctor_core::Report,
    seen: Vec<String>,
    elapsed: Duration,
}

async fn check(fault: GatewayFault, password: &str) -> Run {
    let rdp = TestServer::start(TestServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        cert: CertSpec::Valid,
        security: Security::Hybrid { username: "u".into(), password: "p".into() },
    })
    .unwrap();
    let gw = ScriptedGateway::start_relay(fault, CertSpec::Valid, rdp.addr()).unwrap();
    let opts = CheckOptions {
        timeout: Duration::from_secs(3),
        gateway: Some(("localhost".into(), gw.addr().port())),
        credentials: Some(Credentials { user: GATEWAY_USER.into(), password: Password::new(password.into()) }),
        ..CheckOptions::default()
    };
    let target = Target { input: "rdp.lab.test".into(), host: "rdp.lab.test".into(), port: 3389, ip: None };
    let start = Instant::now();
    let ev = rdp_doctor_probe::check(target, &opts).await;
    let elapsed = start.elapsed();
    let report = rdp_doctor_core::report::build(ev, 0.0);
    Run { report, seen: gw.requests(), elapsed }
}

fn ids(r: &rdp_doctor_core::Report) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.id).collect()
}

fn count(seen: &[String], what: &str) -> usize {
    seen.iter().filter(|l| l.contains(what)).count()
}

#[tokio::test]
async fn healthy_tunnel_reaches_the_target_through_the_channel() {
    let run = check(GatewayFault::Tunnel, GATEWAY_PASSWORD).await;
    let r = &run.report;
    let ids = ids(r);
    assert!(ids.contains(&"gateway.tunnel_ok"), "{ids:?}\n{:?}", run.seen);
    let t = r.evidence.gateway.as_ref().unwrap().tunnel.as_ref().unwrap();
    assert_eq!(t.outcome, GatewayTunnelOutcome::ChannelCreated);
    assert_eq!(t.channel_id, Some(1));
    // The acceptor behind the gateway offers HYBRID only: its real answer came back through DATA packets.
    let x = t.x224.as_ref().unwrap();
    assert!(
        matches!(&x.outcome, X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol: 2, .. }, .. }),
        "{:?}",
        x.outcome
    );
    let names: Vec<&str> = t.steps.iter().map(|s| s.name.as_str()).collect();
    for step in [
        "OUT NTLM NEGOTIATE",
        "OUT NTLM AUTHENTICATE",
        "OUT seed",
        "IN NTLM AUTHENTICATE",
        "HTTP_HANDSHAKE_RESPONSE",
        "HTTP_TUNNEL_RESPONSE",
        "HTTP_TUNNEL_AUTH_RESPONSE",
        "HTTP_CHANNEL_RESPONSE",
    ] {
        assert!(names.contains(&step), "{step} missing from {names:?}");
    }
    // What the scripted gateway saw: two NTLM logons (one per channel), the four MS-TSGU requests, the
    // channel to rdp.lab.test:3389, data, and the close.
    let seen = &run.seen;
    assert_eq!(count(seen, "NTLM AUTHENTICATE accepted"), 2, "{seen:?}");
    assert_eq!(count(seen, "rejected"), 0, "{seen:?}");
    for what in [
        "RDG_IN_DATA /remoteDesktopGateway/ stream chunked=true",
        "TSGU HTTP_HANDSHAKE_REQUEST",
        "TSGU HTTP_TUNNEL_PACKET caps 0xd",
        "TSGU HTTP_TUNNEL_AUTH_PACKET client rdp-doctor",
        "TSGU HTTP_CHANNEL_PACKET rdp.lab.test:3389",
        "TSGU HTTP_DATA_PACKET",
        "TSGU HTTP_CLOSE_PACKET",
    ] {
        assert_eq!(count(seen, what), 1, "{what}: {seen:?}");
    }
    // The password never reaches the report.
    let json = serde_json::to_string(r).unwrap();
    assert!(!json.contains(GATEWAY_PASSWORD));
    assert!(!format!("{r:?}").contains(GATEWAY_PASSWORD));
    eprintln!("full credentialed gateway check: {:?}, tunnel {:.0} ms", run.elapsed, t.duration_ms);
}

#[tokio::test]
async fn wrong_password_is_refused_once() {
    let run = check(GatewayFault::Tunnel, "not-the-password").await;
    assert!(ids(&run.report).contains(&"gateway.access_denied"), "{:?}", ids(&run.report));
    let t = run.report.evidence.gateway.as_ref().unwrap().tunnel.as_ref().unwrap();
    assert_eq!(t.outcome, GatewayTunnelOutcome::CredentialsRejected { channel: "RDG_OUT_DATA".into() });
    // One NTLM AUTHENTICATE, refused; the IN channel is never opened.
    assert_eq!(count(&run.seen, "NTLM AUTHENTICATE"), 1, "{:?}", run.seen);
    assert_eq!(count(&run.seen, "RDG_IN_DATA"), 0, "{:?}", run.seen);
}

#[tokio::test]
async fn each_e_proxy_refusal_has_its_finding_at_its_step() {
    let cases = [
        (GatewayFault::TunnelCreateRefused(0x8007_59D8), "gateway.internal_error", "HTTP_TUNNEL_RESPONSE"),
        (GatewayFault::TunnelCreateRefused(0x0000_59E6), "gateway.max_connections", "HTTP_TUNNEL_RESPONSE"),
        (GatewayFault::TunnelAuthRefused(0x8007_59DB), "gateway.cap_denied", "HTTP_TUNNEL_AUTH_RESPONSE"),
        (GatewayFault::ChannelRefused(0x8007_59DA), "gateway.rap_denied", "HTTP_CHANNEL_RESPONSE"),
        (GatewayFault::ChannelRefused(0x8007_59DD), "gateway.target_unreachable", "HTTP_CHANNEL_RESPONSE"),
    ];
    for (fault, id, step) in cases {
        let run = check(fault, GATEWAY_PASSWORD).await;
        let ids = ids(&run.report);
        assert!(ids.contains(&id), "{fault:?}: {ids:?}");
        let t = run.report.evidence.gateway.as_ref().unwrap().tunnel.as_ref().unwrap();
        assert!(
            matches!(&t.outcome, GatewayTunnelOutcome::Refused { step: s, .. } if s == step),
            "{fault:?}: {:?}",
            t.outcome
        );
        assert!(t.x224.is_none());
    }
    // Quarantine at tunnel authorization lets the session go on (MS-TSGU 3.7.5.2.7).
    let run = check(GatewayFault::TunnelAuthRefused(0x8007_59ED), GATEWAY_PASSWORD).await;
    assert!(ids(&run.report).contains(&"gateway.tunnel_ok"), "{:?}", ids(&run.report));
}

#[tokio::test]
async fn no_credentials_are_sent_to_a_gateway_without_ntlm() {
    // The healthy (credential-free) scripted gateway offers NTLM but never answers it with a challenge.
    let gw = ScriptedGateway::start(GatewayFault::VerbRejected, CertSpec::Valid).unwrap();
    let opts = CheckOptions {
        timeout: Duration::from_secs(3),
        gateway: Some(("localhost".into(), gw.addr().port())),
        credentials: Some(Credentials { user: GATEWAY_USER.into(), password: Password::new("x".into()) }),
        ..CheckOptions::default()
    };
    let target = Target { input: "rdp.lab.test".into(), host: "rdp.lab.test".into(), port: 3389, ip: None };
    let report = rdp_doctor_core::report::build(rdp_doctor_probe::check(target, &opts).await, 0.0);
    let t = report.evidence.gateway.as_ref().unwrap().tunnel.as_ref().unwrap();
    assert!(matches!(t.outcome, GatewayTunnelOutcome::NotRun { .. }), "{:?}", t.outcome);
    assert!(gw.requests().iter().all(|l| l.ends_with("auth=none")), "{:?}", gw.requests());
    assert!(report.limitations.iter().any(|l| l.contains("not attempted")), "{:?}", report.limitations);
}

/// Hostile gateways (scripted: real gateways do not misbehave on demand): silence after the OUT channel's
/// 200, and a packet header announcing ~4 GiB. The run ends by its own deadline or length bound (the silent
/// gateway's outcome is the step's timeout) with a finding that says where, and never reads past the bound.
#[tokio::test]
async fn hostile_gateways_end_by_deadline_and_bound() {
    // The run must end by its own step deadline; the outer limit only keeps a hang from blocking the suite.
    let run = tokio::time::timeout(Duration::from_secs(300), check(GatewayFault::TunnelSilent, GATEWAY_PASSWORD))
        .await
        .expect("the tunnel run must end by its own deadline, not hang");
    let t = run.report.evidence.gateway.as_ref().unwrap().tunnel.as_ref().unwrap();
    assert!(
        matches!(&t.outcome, GatewayTunnelOutcome::Ended { step, how } if step.contains("HANDSHAKE") && how.contains("timed out")),
        "{:?}",
        t.outcome
    );
    assert!(ids(&run.report).contains(&"gateway.tunnel_failed"), "{:?}", ids(&run.report));
    assert_eq!(count(&run.seen, "TSGU HTTP_TUNNEL_PACKET"), 0, "nothing is sent after an unanswered handshake");

    let run = check(GatewayFault::TunnelGarbage, GATEWAY_PASSWORD).await;
    let t = run.report.evidence.gateway.as_ref().unwrap().tunnel.as_ref().unwrap();
    assert!(matches!(&t.outcome, GatewayTunnelOutcome::Malformed { .. }), "{:?}", t.outcome);
    assert!(ids(&run.report).contains(&"gateway.tunnel_failed"), "{:?}", ids(&run.report));
}

/// The WebSocket transport (MS-TSGU 2.2.5.3.2): the same NTLM legs on the upgrade request, `101` with a
/// valid Sec-WebSocket-Accept, then the four MS-TSGU steps and the X.224 exchange in binary frames on that
/// one connection; no IN channel.
#[tokio::test]
async fn websocket_transport_reaches_the_target() {
    let run = check(GatewayFault::TunnelWebsocket, GATEWAY_PASSWORD).await;
    let ids = ids(&run.report);
    assert!(ids.contains(&"gateway.tunnel_ok"), "{ids:?}\n{:?}", run.seen);
    let t = run.report.evidence.gateway.as_ref().unwrap().tunnel.as_ref().unwrap();
    assert_eq!(t.transport.as_deref(), Some("WebSocket"));
    let x = t.x224.as_ref().unwrap();
    assert!(
        matches!(&x.outcome, X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol: 2, .. }, .. }),
        "{:?}",
        x.outcome
    );
    let names: Vec<&str> = t.steps.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"OUT WebSocket"), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("IN ")), "no IN channel: {names:?}");
    let seen = &run.seen;
    assert_eq!(count(seen, "NTLM AUTHENTICATE accepted"), 1, "{seen:?}");
    assert_eq!(count(seen, "WebSocket 101"), 1, "{seen:?}");
    assert_eq!(count(seen, "RDG_IN_DATA"), 0, "{seen:?}");
    for what in ["TSGU HTTP_HANDSHAKE_REQUEST", "TSGU HTTP_CHANNEL_PACKET rdp.lab.test:3389", "TSGU HTTP_DATA_PACKET"] {
        assert_eq!(count(seen, what), 1, "{what}: {seen:?}");
    }
    // A legacy-only gateway answers the same upgrade request 200: the HTTP transport is used.
    let run = check(GatewayFault::Tunnel, GATEWAY_PASSWORD).await;
    let t = run.report.evidence.gateway.as_ref().unwrap().tunnel.as_ref().unwrap();
    assert_eq!(t.transport.as_deref(), Some("HTTP"));
}
