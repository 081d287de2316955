//! Realism of the scripted gateway's tunnel mode, checked with FreeRDP's client: `xfreerdp /g:` with the
//! gateway's test account must authenticate with NTLM on both channels, walk the MS-TSGU setup and get its
//! channel to the target (an IronRDP acceptor behind the scripted gateway); on each E_PROXY fault FreeRDP
//! must stop at the step and with the code our finding names. What FreeRDP did is read from the scripted
//! gateway's log of what it saw, and from FreeRDP's own log.
//!
//! Needs root and the Debian packages `scripts/test.sh` installs (xfreerdp, freerdp-shadow-cli, Xvfb): the
//! shadow server provides the X display FreeRDP needs.
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::process::Command;

use rdp_doctor_lab::{LabServer, ShadowVariant};
use rdp_doctor_testserver::{
    CertSpec, GATEWAY_PASSWORD, GATEWAY_USER, GatewayFault, ScriptedGateway, Security, TestServer, TestServerConfig,
};

/// What FreeRDP logged, what the scripted gateway saw from it, and our report on the same gateway.
struct Seen {
    log: String,
    gateway: Vec<String>,
    report: serde_json::Value,
}

impl Seen {
    fn saw(&self, what: &str) -> usize {
        self.gateway.iter().filter(|l| l.contains(what)).count()
    }
    fn ids(&self) -> Vec<String> {
        self.report["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
    }
    fn tunnel(&self, field: &str) -> &serde_json::Value {
        &self.report["evidence"]["gateway"]["tunnel"]["outcome"][field]
    }
}

/// `xfreerdp /v:rdp.lab.test /g:localhost:PORT` with the gateway's test account (a throwaway test password:
/// argv is acceptable for it in a test) and the acceptor's account, `+auth-only`; then `rdp-doctor check`
/// with the same account against the same gateway (password in the environment).
fn run(display: &LabServer, fault: GatewayFault, gateway_password: &str) -> Seen {
    let rdp = TestServer::start(TestServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        cert: CertSpec::Valid,
        security: Security::Hybrid { username: "u".into(), password: "Hybrid-pw-1".into() },
    })
    .unwrap();
    let gw = ScriptedGateway::start_relay(fault, CertSpec::Valid, rdp.addr()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .args(["30", "xfreerdp", "/v:rdp.lab.test"])
        .arg(format!("/g:localhost:{}", gw.addr().port()))
        .args(["/gu:alice", "/gd:LAB", "/u:u", "/p:Hybrid-pw-1", "/cert:ignore", "+auth-only", "/log-level:DEBUG"])
        .arg(format!("/gp:{gateway_password}"))
        .args(["/log-filters:com.freerdp.core.gateway.*:TRACE"])
        .env("DISPLAY", format!(":{}", display.display.unwrap()))
        .env("HOME", home.path())
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .unwrap();
    let log = format!(
        "{}{}\nexit {:?}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        out.status.code()
    );
    let gateway = gw.requests();
    let ours = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin("rdp-doctor"))
        .args(["check", "rdp.lab.test", "--json", "--gateway"])
        .arg(format!("localhost:{}", gw.addr().port()))
        .args(["--user", GATEWAY_USER])
        .env("RDP_DOCTOR_PASSWORD", gateway_password)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let report = serde_json::from_slice(&ours.stdout).unwrap();
    Seen { log, gateway, report }
}

/// What FreeRDP 2.11 did through the scripted gateway, observed with this test (FreeRDP's own log lines):
///
/// | scripted gateway | rdp-doctor | FreeRDP 2.11 |
/// |---|---|---|
/// | healthy tunnel, relay to IronRDP's acceptor | `gateway.tunnel_ok`, X.224 selected HYBRID through the channel | RDG_OUT_DATA (with the WebSocket upgrade headers) and RDG_IN_DATA each authorized with NTLM ("authorization result: 200"; a 200 instead of 101 makes it use the legacy two channels), HANDSHAKE, TUNNEL_CREATE (caps 0x0D), TUNNEL_AUTH, CHANNEL_CREATE rdp.lab.test:3389 all RPC_S_OK, then NLA with the acceptor through DATA packets: "Authentication only, exit status 0" |
/// | WebSocket transport (101 to the upgrade request) | `gateway.tunnel_ok`, transport WebSocket | RDG_OUT_DATA with the upgrade headers authorized with NTLM, 101, then the same MS-TSGU steps and NLA in WebSocket frames on that one connection, no RDG_IN_DATA: "Authentication only, exit status 0" |
/// | wrong gateway password | `gateway.access_denied` (401 on RDG_OUT_DATA after the AUTHENTICATE) | "RDG_OUT_DATA authorization result: 401", ERRCONNECT_ACCESS_DENIED; one NTLM AUTHENTICATE, no IN channel |
/// | E_PROXY_RAP_ACCESSDENIED on the channel | `gateway.rap_denied` at HTTP_CHANNEL_RESPONSE | rdg_process_channel_response: E_PROXY_RAP_ACCESSDENIED [0x800759DA] |
/// | E_PROXY_NAP_ACCESSDENIED on tunnel auth | `gateway.cap_denied` at HTTP_TUNNEL_AUTH_RESPONSE | rdg_process_tunnel_authorization_response: E_PROXY_NAP_ACCESSDENIED [0x800759DB] |
/// | E_PROXY_INTERNALERROR on tunnel create | `gateway.internal_error` at HTTP_TUNNEL_RESPONSE | rdg_process_tunnel_response: E_PROXY_INTERNALERROR [0x800759D8] |
/// | E_PROXY_TS_CONNECTFAILED on the channel | `gateway.target_unreachable` at HTTP_CHANNEL_RESPONSE | rdg_process_channel_response: E_PROXY_TS_CONNECTFAILED [0x800759DD] |
#[test]
fn freerdp_through_the_scripted_gateway_tunnel() {
    let display =
        rdp_doctor_lab::shadow(ShadowVariant::Tls).unwrap_or_else(|e| panic!("cannot start the shadow server: {e}"));

    let ok = run(&display, GatewayFault::Tunnel, GATEWAY_PASSWORD);
    let ctx = format!("{}\nGATEWAY SAW {:#?}", ok.log, ok.gateway);
    assert_eq!(ok.saw("NTLM AUTHENTICATE accepted"), 2, "FreeRDP authenticates both channels:\n{ctx}");
    for step in [
        "RDG_IN_DATA /remoteDesktopGateway/ stream chunked=true",
        "TSGU HTTP_HANDSHAKE_REQUEST",
        "TSGU HTTP_TUNNEL_PACKET caps 0xd",
        "TSGU HTTP_TUNNEL_AUTH_PACKET",
        "TSGU HTTP_CHANNEL_PACKET rdp.lab.test:3389",
        "TSGU HTTP_DATA_PACKET",
    ] {
        assert_eq!(ok.saw(step), 1, "FreeRDP must reach {step}:\n{ctx}");
    }
    assert!(ok.log.contains("channel response errorCode=RPC_S_OK"), "{ctx}");
    assert!(ok.log.contains("Authentication only, exit status 0"), "NLA through the tunnel:\n{ctx}");
    assert!(ok.ids().contains(&"gateway.tunnel_ok".to_owned()), "{:?}", ok.ids());
    assert_eq!(ok.tunnel("kind"), "channel_created");

    // The WebSocket transport: FreeRDP's upgrade request is answered 101, and it runs the whole tunnel in
    // WebSocket frames on that one connection, as our check does.
    let ws = run(&display, GatewayFault::TunnelWebsocket, GATEWAY_PASSWORD);
    let ctx = format!("{}\nGATEWAY SAW {:#?}", ws.log, ws.gateway);
    assert_eq!(ws.saw("NTLM AUTHENTICATE accepted"), 1, "one connection, one logon:\n{ctx}");
    assert_eq!(ws.saw("WebSocket 101"), 1, "{ctx}");
    assert_eq!(ws.saw("RDG_IN_DATA"), 0, "no IN channel:\n{ctx}");
    for step in ["TSGU HTTP_HANDSHAKE_REQUEST", "TSGU HTTP_CHANNEL_PACKET rdp.lab.test:3389", "TSGU HTTP_DATA_PACKET"] {
        assert_eq!(ws.saw(step), 1, "FreeRDP must reach {step} over WebSocket:\n{ctx}");
    }
    assert!(ws.log.contains("Authentication only, exit status 0"), "NLA through the WebSocket tunnel:\n{ctx}");
    assert!(ws.ids().contains(&"gateway.tunnel_ok".to_owned()), "{:?}", ws.ids());
    assert_eq!(ws.report["evidence"]["gateway"]["tunnel"]["transport"], "WebSocket");

    let bad = run(&display, GatewayFault::Tunnel, "not-the-gateway-pw");
    let ctx = format!("{}\nGATEWAY SAW {:#?}", bad.log, bad.gateway);
    assert!(bad.log.contains("RDG_OUT_DATA authorization result: 401"), "{ctx}");
    assert!(bad.log.contains("ERRCONNECT_ACCESS_DENIED"), "{ctx}");
    assert_eq!(bad.saw("NTLM AUTHENTICATE rejected"), 1, "{ctx}");
    assert_eq!(bad.saw("RDG_IN_DATA"), 0, "{ctx}");
    assert!(bad.ids().contains(&"gateway.access_denied".to_owned()), "{:?}", bad.ids());
    assert_eq!(bad.tunnel("kind"), "credentials_rejected");
    assert_eq!(bad.tunnel("channel"), "RDG_OUT_DATA");

    // Each refusal: FreeRDP stops in the function that reads the packet our finding names, with the same code.
    let cases = [
        (
            GatewayFault::ChannelRefused(0x8007_59DA),
            "gateway.rap_denied",
            "HTTP_CHANNEL_RESPONSE",
            "rdg_process_channel_response",
            "E_PROXY_RAP_ACCESSDENIED [0x800759DA]",
        ),
        (
            GatewayFault::ChannelRefused(0x8007_59DD),
            "gateway.target_unreachable",
            "HTTP_CHANNEL_RESPONSE",
            "rdg_process_channel_response",
            "E_PROXY_TS_CONNECTFAILED [0x800759DD]",
        ),
        (
            GatewayFault::TunnelAuthRefused(0x8007_59DB),
            "gateway.cap_denied",
            "HTTP_TUNNEL_AUTH_RESPONSE",
            "rdg_process_tunnel_authorization_response",
            "E_PROXY_NAP_ACCESSDENIED [0x800759DB]",
        ),
        (
            GatewayFault::TunnelCreateRefused(0x8007_59D8),
            "gateway.internal_error",
            "HTTP_TUNNEL_RESPONSE",
            "rdg_process_tunnel_response",
            "E_PROXY_INTERNALERROR [0x800759D8]",
        ),
    ];
    for (fault, id, step, function, code) in cases {
        let s = run(&display, fault, GATEWAY_PASSWORD);
        let ctx = format!("{fault:?}\n{}\nGATEWAY SAW {:#?}", s.log, s.gateway);
        assert!(s.log.contains(&format!("{function}:freerdp_set_last_error_ex {code}")), "{ctx}");
        assert!(s.log.contains("Authentication only, exit status 1"), "{ctx}");
        assert!(s.ids().contains(&id.to_owned()), "{fault:?}: {:?}", s.ids());
        assert_eq!(s.tunnel("step"), step, "{fault:?}");
        let hr = u64::from_str_radix(code.rsplit("0x").next().unwrap().trim_end_matches(']'), 16).unwrap();
        assert_eq!(s.tunnel("hresult"), hr, "{fault:?}");
    }
}
