//! Realism of the scripted RD Gateway, checked with FreeRDP's client: `xfreerdp /g:` against it must walk
//! the gateway's HTTP transport the way the findings predict. The scripted gateway never authenticates
//! (it is not a gateway; Debian has none), so the healthy case ends at HTTP authentication: FreeRDP sends
//! RDG_OUT_DATA with an NTLM NEGOTIATE and gets a 401 without a challenge. It does not reach the tunnel:
//! that needs a scripted NTLM + MS-TSGU peer (not built yet). The faults must make FreeRDP fail at the
//! HTTP transport in the way each finding says.
//!
//! Needs root and the Debian packages `scripts/test.sh` installs (xfreerdp, freerdp-shadow-cli, Xvfb): the
//! shadow server provides the X display FreeRDP needs.
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::process::Command;

use rdp_doctor_lab::{LabServer, ShadowVariant};
use rdp_doctor_testserver::{CertSpec, GatewayFault, ScriptedGateway};

/// `xfreerdp /v:rdp.lab.test /g:localhost:PORT` with throwaway lab credentials; the client's log.
fn xfreerdp(display: &LabServer, fault: GatewayFault) -> String {
    let gw = ScriptedGateway::start(fault, CertSpec::Valid).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .args(["30", "xfreerdp", "/v:rdp.lab.test"])
        .arg(format!("/g:localhost:{}", gw.addr().port()))
        .args([
            "/u:alice",
            "/p:lab-only-pw",
            "/gu:alice",
            "/gp:lab-only-pw",
            "/gd:LAB",
            "/cert:ignore",
            "+auth-only",
            "/log-level:DEBUG",
            "/log-filters:com.freerdp.core.gateway.*:TRACE",
        ])
        .env("DISPLAY", format!(":{}", display.display.unwrap()))
        .env("HOME", home.path())
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .unwrap();
    format!(
        "{}{}\nGATEWAY SAW: {:?}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        gw.requests()
    )
}

/// What FreeRDP 2.11 did, observed with this test (log lines are FreeRDP's own):
///
/// | scripted fault | finding | FreeRDP 2.11 |
/// |---|---|---|
/// | none (401, no NTLM) | `gateway.auth_schemes` | sends `RDG_OUT_DATA /remoteDesktopGateway/` with the WebSocket upgrade and an NTLM NEGOTIATE at once, gets 401 without a challenge, stops (ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED) |
/// | 404 on /remoteDesktopGateway/ | `gateway.http_transport_unavailable` | "RD Gateway does not support HTTP transport.", falls back to RPC over HTTP (RPC_IN_DATA / RPC_OUT_DATA) |
/// | 405 from nginx | `gateway.method_rejected` | "Unexpected NTLM challenge HTTP status: 405", stops |
/// | 407 from squid | `gateway.proxy_auth_required` | "Unexpected NTLM challenge HTTP status: 407", stops |
/// | 400 to the upgrade | `gateway.websocket_blocked` | "Unexpected NTLM challenge HTTP status: 400", stops (no retry without WebSocket) |
/// | close without answer | `gateway.http_no_response` | "http_response_recv: Retries exceeded", stops |
#[test]
fn freerdp_through_the_scripted_gateway() {
    let display =
        rdp_doctor_lab::shadow(ShadowVariant::Tls).unwrap_or_else(|e| panic!("cannot start the shadow server: {e}"));
    let cases: [(GatewayFault, &[&str]); 6] = [
        (GatewayFault::Healthy, &["ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED"]),
        (GatewayFault::HttpDisabled, &["RD Gateway does not support HTTP transport", "RPC_IN_DATA /rpc/rpcproxy.dll"]),
        (GatewayFault::VerbRejected, &["Unexpected NTLM challenge HTTP status: 405"]),
        (GatewayFault::Proxy407, &["Unexpected NTLM challenge HTTP status: 407"]),
        (GatewayFault::WebsocketStripped, &["Unexpected NTLM challenge HTTP status: 400"]),
        (GatewayFault::CloseOnRequest, &["http_response_recv: Retries exceeded"]),
    ];
    for (fault, expected) in cases {
        let log = xfreerdp(&display, fault);
        assert!(
            log.contains(r#"GATEWAY SAW: ["RDG_OUT_DATA /remoteDesktopGateway/ websocket auth=NTLM""#),
            "{fault:?}: FreeRDP's first request is RDG_OUT_DATA with the upgrade and NTLM:\n{log}"
        );
        for e in expected {
            assert!(log.contains(e), "{fault:?}: FreeRDP should log {e:?}:\n{log}");
        }
        assert!(!log.contains("exit status 0"), "{fault:?}: FreeRDP must not succeed through the scripted gateway");
    }
}
