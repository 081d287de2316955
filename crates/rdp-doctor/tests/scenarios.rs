//! The scenario matrix: `check` against every lab scenario (real xrdp, FreeRDP shadow, IronRDP's acceptor,
//! closed ports, namespaced firewalls), asserting the verdict and key findings from `scenarios.json`.
//!
//! Needs root and the Debian packages `scripts/test.sh` installs. Every server is stopped by PID when its
//! guard drops (also on panic); namespaces are deleted the same way.
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::time::Duration;

use assert_cmd::Command;
use rdp_doctor_lab::{Firewall, ShadowVariant, XrdpVariant};
use rdp_doctor_testserver::{
    CertSpec, GatewayFault, ScriptedGateway, ScriptedNla, ScriptedServer, ScriptedUdp, Security, TestServer,
    TestServerConfig,
};
use serde_json::Value;

/// Keeps whatever runs the scenario alive until the check is done.
enum Guard {
    /// A server in our namespace and a client namespace behind a veth pair: the check runs inside it.
    NetnsClient(#[allow(dead_code)] TestServer, rdp_doctor_lab::NetnsHost),
    Delay(#[allow(dead_code)] TestServer, #[allow(dead_code)] rdp_doctor_lab::DelayProxy),
    Udp(#[allow(dead_code)] TestServer, #[allow(dead_code)] Option<ScriptedUdp>),
    Lab(#[allow(dead_code)] rdp_doctor_lab::LabServer),
    Netns(#[allow(dead_code)] rdp_doctor_lab::NetnsHost),
    Acceptor(#[allow(dead_code)] TestServer),
    Scripted(#[allow(dead_code)] ScriptedServer),
    Gateway(#[allow(dead_code)] ScriptedGateway),
    /// A tunnel-mode scripted gateway whose channels relay to an IronRDP acceptor.
    GatewayRelay(#[allow(dead_code)] ScriptedGateway, #[allow(dead_code)] TestServer),
    None,
}

fn acceptor_srv(cert: CertSpec, security: Security) -> TestServer {
    TestServer::start(TestServerConfig { bind: "127.0.0.1:0".parse().unwrap(), cert, security }).unwrap()
}

fn start(server: &str) -> (Guard, SocketAddr) {
    let lab = |r: Result<rdp_doctor_lab::LabServer, rdp_doctor_lab::LabError>| {
        let s = r.unwrap_or_else(|e| panic!("cannot start {server}: {e}"));
        let addr = s.addr;
        (Guard::Lab(s), addr)
    };
    let acceptor = |cert, security| {
        let s = TestServer::start(TestServerConfig { bind: "127.0.0.1:0".parse().unwrap(), cert, security }).unwrap();
        let addr = s.addr();
        (Guard::Acceptor(s), addr)
    };
    match server {
        "xrdp-default" => lab(rdp_doctor_lab::xrdp(XrdpVariant::Default)),
        "xrdp-expired-cert" => lab(rdp_doctor_lab::xrdp(XrdpVariant::ExpiredCert)),
        "xrdp-other-name-cert" => lab(rdp_doctor_lab::xrdp(XrdpVariant::OtherNameCert)),
        "xrdp-rdp-security-only" => lab(rdp_doctor_lab::xrdp(XrdpVariant::RdpSecurityOnly)),
        "xrdp-tls10-only" => lab(rdp_doctor_lab::xrdp(XrdpVariant::Tls10Only)),
        "xrdp-tls12-only" => lab(rdp_doctor_lab::xrdp(XrdpVariant::Tls12Only)),
        "xrdp-tls13-only" => lab(rdp_doctor_lab::xrdp(XrdpVariant::Tls13Only)),
        "shadow-nla" => {
            lab(rdp_doctor_lab::shadow(ShadowVariant::Nla { user: "alice".into(), password: "S3cret-pw".into() }))
        }
        "shadow-tls" => lab(rdp_doctor_lab::shadow(ShadowVariant::Tls)),
        "shadow-rdp" => lab(rdp_doctor_lab::shadow(ShadowVariant::Rdp)),
        "ironrdp-expired" => acceptor(CertSpec::ExpiredYesterday, Security::Tls),
        "ironrdp-hybrid" => {
            acceptor(CertSpec::Valid, Security::Hybrid { username: "u".into(), password: "Hybrid-pw-1".into() })
        }
        "ironrdp-hybrid-ex-denied" => acceptor(
            CertSpec::Valid,
            Security::HybridExDenied { username: "alice".into(), password: "S3cret-pw".into() },
        ),
        "ironrdp-tls-logon-errinfo-7" => acceptor(
            CertSpec::Valid,
            Security::TlsLogon { username: "alice".into(), password: "S3cret-pw".into(), errinfo: 7 },
        ),
        "scripted-ntlm-skew" | "scripted-credssp-v3" => {
            let script = ScriptedNla {
                credssp_version: if server == "scripted-credssp-v3" { 3 } else { 6 },
                clock_offset_ms: if server == "scripted-ntlm-skew" { -10 * 60_000 } else { 0 },
                dns_computer_name: "scripted.lab.test".into(),
            };
            let s = ScriptedServer::start_nla(script).unwrap();
            let addr = s.addr();
            (Guard::Scripted(s), addr)
        }
        "scripted-ntlm-refused" => {
            // TSRequest { version [0] 6, errorCode [4] STATUS_ACCOUNT_RESTRICTION } instead of an NTLM
            // CHALLENGE: what a server whose account policy refuses NTLM answers (Protected Users, or NTLM
            // restricted). Scripted: no Debian server refuses NTLM this way.
            use rdp_doctor_proto::der;
            let mut fields = Vec::new();
            let mut v = Vec::new();
            der::write_integer(&mut v, 6);
            der::write_tlv(&mut fields, 0xa0, &v);
            let mut c = Vec::new();
            der::write_integer(&mut c, 0xC000_006E);
            der::write_tlv(&mut fields, 0xa4, &c);
            let mut ts = Vec::new();
            der::write_tlv(&mut ts, 0x30, &fields);
            let s = ScriptedServer::start_tsrequest_reply(ts).unwrap();
            let addr = s.addr();
            (Guard::Scripted(s), addr)
        }
        "netns-loss-10" | "netns-loss-30" | "netns-mtu-blackhole" | "netns-udp-dropped" => {
            let h =
                rdp_doctor_lab::netns_host(Firewall::Open).unwrap_or_else(|e| panic!("cannot create {server}: {e}"));
            let bind = std::net::SocketAddr::from((h.host_addr, 0));
            let srv =
                TestServer::start(TestServerConfig { bind, cert: CertSpec::Valid, security: Security::Tls }).unwrap();
            let port = srv.addr().port().to_string();
            let rules: Vec<Vec<&str>> = match server {
                // Nothing listens on UDP there and the ICMP port-unreachable answers are dropped on the way
                // back: to the client, exactly a firewall that silently drops RDP-UDP.
                "netns-udp-dropped" => {
                    vec![vec!["-A", "INPUT", "-p", "icmp", "--icmp-type", "port-unreachable", "-j", "DROP"]]
                }
                "netns-mtu-blackhole" => {
                    // Full-size segments from the server vanish, small ones pass; no ICMP comes back.
                    vec![vec![
                        "-A",
                        "INPUT",
                        "-p",
                        "tcp",
                        "--sport",
                        &port,
                        "-m",
                        "length",
                        "--length",
                        "600:65535",
                        "-j",
                        "DROP",
                    ]]
                }
                _ => {
                    let p = if server == "netns-loss-10" { "0.10" } else { "0.30" };
                    vec![
                        vec![
                            "-A",
                            "INPUT",
                            "-p",
                            "tcp",
                            "--sport",
                            &port,
                            "-m",
                            "statistic",
                            "--mode",
                            "random",
                            "--probability",
                            p,
                            "-j",
                            "DROP",
                        ],
                        vec![
                            "-A",
                            "OUTPUT",
                            "-p",
                            "tcp",
                            "--dport",
                            &port,
                            "-m",
                            "statistic",
                            "--mode",
                            "random",
                            "--probability",
                            p,
                            "-j",
                            "DROP",
                        ],
                    ]
                }
            };
            for r in rules {
                h.iptables(&r).unwrap_or_else(|e| panic!("iptables in {server}: {e}"));
            }
            let addr = srv.addr();
            (Guard::NetnsClient(srv, h), addr)
        }
        "udp-open" | "udp-closed" => {
            let srv = acceptor_srv(CertSpec::Valid, Security::Tls);
            let udp = (server == "udp-open").then(|| ScriptedUdp::start(srv.addr()).unwrap());
            let addr = srv.addr();
            (Guard::Udp(srv, udp), addr)
        }
        "delay-600ms" => {
            let srv = acceptor_srv(CertSpec::Valid, Security::Tls);
            let proxy = rdp_doctor_lab::delay_proxy(srv.addr(), Duration::from_millis(300)).unwrap();
            let addr = proxy.addr;
            (Guard::Delay(srv, proxy), addr)
        }
        "closed-port" => (Guard::None, rdp_doctor_lab::closed_port()),
        // The scripted RD Gateway (Debian has none): `name` picks the fault, `-expired`/`-other-name` the
        // certificate. The check targets rdp.lab.test through it.
        // The scripted gateway with NTLM (GATEWAY_USER / GATEWAY_PASSWORD) and MS-TSGU; its channel relays
        // to IronRDP's acceptor (HYBRID). The suffix names the HRESULT and the step that carries it.
        gw if gw.starts_with("scripted-gateway-tunnel") => {
            let fault = match gw.trim_start_matches("scripted-gateway-tunnel").trim_start_matches('-') {
                "" => GatewayFault::Tunnel,
                "websocket" => GatewayFault::TunnelWebsocket,
                "rap-denied" => GatewayFault::ChannelRefused(0x8007_59DA),
                "target-unreachable" => GatewayFault::ChannelRefused(0x8007_59DD),
                "cap-denied" => GatewayFault::TunnelAuthRefused(0x8007_59DB),
                "internal-error" => GatewayFault::TunnelCreateRefused(0x8007_59D8),
                "max-connections" => GatewayFault::TunnelCreateRefused(0x0000_59E6),
                other => panic!("unknown scripted gateway tunnel fault {other:?}"),
            };
            let rdp = acceptor_srv(CertSpec::Valid, Security::Hybrid { username: "u".into(), password: "p".into() });
            let g = ScriptedGateway::start_relay(fault, CertSpec::Valid, rdp.addr()).unwrap();
            let addr = g.addr();
            (Guard::GatewayRelay(g, rdp), addr)
        }
        gw if gw.starts_with("scripted-gateway") => {
            let fault = match gw.trim_start_matches("scripted-gateway").trim_start_matches('-') {
                "" | "expired" | "other-name" => GatewayFault::Healthy,
                "no-content-length" => GatewayFault::NoContentLength,
                "chunked" => GatewayFault::Chunked,
                "http10" => GatewayFault::Http10,
                "502" => GatewayFault::Proxy502,
                "407" => GatewayFault::Proxy407,
                "websocket-stripped" => GatewayFault::WebsocketStripped,
                "verb-rejected" => GatewayFault::VerbRejected,
                "http-disabled" => GatewayFault::HttpDisabled,
                "close" => GatewayFault::CloseOnRequest,
                "seed-buffered" => GatewayFault::SeedBuffered,
                other => panic!("unknown scripted gateway fault {other:?}"),
            };
            let cert = match gw {
                "scripted-gateway-expired" => CertSpec::ExpiredYesterday,
                "scripted-gateway-other-name" => CertSpec::OtherName("other.lab.test".into()),
                _ => CertSpec::Valid,
            };
            let g = ScriptedGateway::start(fault, cert).unwrap();
            let addr = g.addr();
            (Guard::Gateway(g), addr)
        }
        "netns-drop" | "netns-reject" => {
            let fw = if server == "netns-drop" { Firewall::Drop } else { Firewall::Reject };
            let h = rdp_doctor_lab::netns_host(fw).unwrap_or_else(|e| panic!("cannot create {server}: {e}"));
            let addr = h.addr;
            (Guard::Netns(h), addr)
        }
        other => panic!("scenarios.json names unknown server {other:?}"),
    }
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// Runs one scenario; returns the mismatches (empty = pass).
fn run(s: &Value) -> Vec<String> {
    let name = s["name"].as_str().unwrap();
    let (guard, addr) = start(s["server"].as_str().unwrap());
    let bin = assert_cmd::cargo::cargo_bin("rdp-doctor");
    let mut cmd = match &guard {
        Guard::NetnsClient(_, h) => Command::from_std(h.command(&bin)),
        _ => Command::new(&bin),
    };
    // Through a gateway the target is a name only the gateway would resolve; the server is the gateway.
    let (target, gateway) = match &guard {
        Guard::Gateway(_) | Guard::GatewayRelay(..) => {
            ("rdp.lab.test".to_owned(), vec!["--gateway".to_owned(), format!("localhost:{}", addr.port())])
        }
        _ => (addr.to_string(), vec![]),
    };
    cmd.timeout(Duration::from_secs(90)).args(["check", &target, "--json"]).args(gateway).args(strs(&s["args"]));
    // Rows with credentials name the password; it goes in the environment, never in the arguments.
    match s["password"].as_str() {
        Some(pw) => cmd.env("RDP_DOCTOR_PASSWORD", pw),
        None => cmd.env_remove("RDP_DOCTOR_PASSWORD"),
    };
    let password = s["password"].as_str().map(str::to_owned);
    let out = cmd.output().unwrap();
    drop(guard);
    let report: Value = match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(e) => return vec![format!("{name}: no JSON ({e}); stderr: {}", String::from_utf8_lossy(&out.stderr))],
    };
    let mut bad = Vec::new();
    if let Some(pw) = &password {
        for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            if String::from_utf8_lossy(bytes).contains(pw.as_str()) {
                bad.push(format!("{name}: the password appears in {what}"));
            }
        }
    }
    let ids: Vec<String> =
        report["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect();
    let context = format!("verdict {} findings {ids:?}", report["verdict"]);
    if let Some(v) = s["verdict"].as_str()
        && report["verdict"] != v
    {
        bad.push(format!("{name}: expected verdict {v}, got {context}"));
    }
    for f in strs(&s["findings"]) {
        if !ids.contains(&f) {
            bad.push(format!("{name}: missing finding {f} ({context})"));
        }
    }
    for f in strs(&s["absent"]) {
        if ids.contains(&f) {
            bad.push(format!("{name}: unexpected finding {f} ({context})"));
        }
    }
    if let Some(layers) = s["layers"].as_object() {
        for (layer, want) in layers {
            let got = report["layers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["name"] == layer.as_str())
                .map(|l| l["status"].clone());
            if got.as_ref() != Some(want) {
                bad.push(format!("{name}: layer {layer} expected {want}, got {got:?} ({context})"));
            }
        }
    }
    if let Some(l) = s.get("first_failing_layer")
        && report["first_failing_layer"] != *l
    {
        bad.push(format!("{name}: first failing layer expected {l}, got {}", report["first_failing_layer"]));
    }
    if let Some(sel) = s["selected"].as_str() {
        let names = strs(&report["evidence"]["x224"]["outcome"]["negotiation"]["protocol_names"]);
        if names != [sel] {
            bad.push(format!("{name}: expected selected protocol {sel}, got {names:?}"));
        }
    }
    if let Some(pointers) = s["pointers"].as_object() {
        for (ptr, want) in pointers {
            let got = report.pointer(ptr);
            if got != Some(want) {
                bad.push(format!("{name}: {ptr} expected {want}, got {got:?}"));
            }
        }
    }
    if let Some(contains) = s["contains"].as_object() {
        for (ptr, want) in contains {
            let got = report.pointer(ptr).and_then(Value::as_str).unwrap_or_default();
            if !got.contains(want.as_str().unwrap_or("\u{0}")) {
                bad.push(format!("{name}: {ptr} expected to contain {want}, got {got:?}"));
            }
        }
    }
    let exit = out.status.code();
    let want_exit =
        if report["max_severity"] == "fail" || report["max_severity"] == "warn" { Some(1) } else { Some(0) };
    if exit != want_exit {
        bad.push(format!("{name}: exit code {exit:?}, expected {want_exit:?}"));
    }
    bad
}

#[test]
fn scenario_matrix() {
    let data: Value = serde_json::from_str(include_str!("scenarios.json")).unwrap();
    let all = data["scenarios"].as_array().unwrap();
    assert!(all.len() >= 12);
    // RDP_DOCTOR_SCENARIOS=text runs only the rows whose server contains `text` (while working on one area).
    let only = std::env::var("RDP_DOCTOR_SCENARIOS").ok();
    let scenarios: Vec<Value> = all
        .iter()
        .filter(|s| only.as_deref().is_none_or(|o| s["server"].as_str().unwrap().contains(o)))
        .cloned()
        .collect();
    for s in &scenarios {
        assert!(
            s.get("verdict").is_some() || s.get("selected").is_some() || s.get("findings").is_some(),
            "scenario without an expectation: {s}"
        );
    }
    // Four scenarios at a time: each has its own server, port and namespace.
    let mut failures = Vec::new();
    for batch in scenarios.chunks(4) {
        let results: Vec<Vec<String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = batch.iter().map(|s| scope.spawn(move || run(s))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| vec!["a scenario thread panicked".into()]))
                .collect()
        });
        failures.extend(results.into_iter().flatten());
    }
    assert!(failures.is_empty(), "scenario mismatches:\n{}", failures.join("\n"));
}
