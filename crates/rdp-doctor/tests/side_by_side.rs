//! Side by side with FreeRDP: `xfreerdp +auth-only` and `rdp-doctor check --user` on the same servers and
//! credentials. rdp-doctor's verdict must be at least as specific as what xfreerdp reports: the same
//! cause named, or a cause where xfreerdp only sees a broken transport.
//!
//! Needs root and the lab packages (xfreerdp, the FreeRDP shadow server, Xvfb): xfreerdp wants an X
//! display even with +auth-only, so the shadow server's Xvfb display is borrowed for every case.
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::process::Command as StdCommand;
use std::time::Duration;

use assert_cmd::Command;
use rdp_doctor_lab::ShadowVariant;
use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};
use serde_json::Value;

const USER: &str = "alice";
const PASSWORD: &str = "S3cret-pw";

/// What xfreerdp said: its exit code and the ERRCONNECT_/ERRINFO_ names in its log.
#[derive(Debug)]
struct Xfreerdp {
    exit: Option<i32>,
    codes: Vec<String>,
}

fn xfreerdp(addr: SocketAddr, display: u32, password: &str, extra: &[&str], home: &std::path::Path) -> Xfreerdp {
    let bin = rdp_doctor_lab::require("xfreerdp").unwrap();
    // The password is the lab's test password, on xfreerdp's own command line (not rdp-doctor's).
    let out = StdCommand::new("timeout")
        .arg("30")
        .arg(bin)
        .arg(format!("/v:{addr}"))
        .arg(format!("/u:{USER}"))
        .arg(format!("/p:{password}"))
        .args(["+auth-only", "/cert:ignore", "/log-level:INFO"])
        .args(extra)
        .env("DISPLAY", format!(":{display}"))
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .output()
        .unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let mut codes: Vec<String> = log
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("ERRCONNECT_") || w.starts_with("ERRINFO_"))
        .map(str::to_owned)
        .collect();
    codes.dedup();
    Xfreerdp { exit: out.status.code(), codes }
}

fn rdp_doctor(addr: SocketAddr, password: &str) -> Value {
    let out = Command::cargo_bin("rdp-doctor")
        .unwrap()
        .timeout(Duration::from_secs(60))
        .args(["check", &addr.to_string(), "--user", USER, "--no-matrix", "--json"])
        .env("RDP_DOCTOR_PASSWORD", password)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The finding of the credentialed run (credssp.*, authz.*, server.*, license.*, session.*).
fn session_finding(report: &Value) -> String {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .find(|id| ["credssp.", "authz.", "server.", "license.", "session."].iter().any(|p| id.starts_with(p)))
        .unwrap_or_default()
}

fn acceptor(security: Security) -> TestServer {
    TestServer::start(TestServerConfig::loopback(CertSpec::Valid, security)).unwrap()
}

#[test]
fn rdp_doctor_is_at_least_as_specific_as_xfreerdp_auth_only() {
    let shadow = rdp_doctor_lab::shadow(ShadowVariant::Nla { user: USER.into(), password: PASSWORD.into() })
        .unwrap_or_else(|e| panic!("cannot start the shadow server: {e}"));
    let display = shadow.display.unwrap();
    let home = tempfile::tempdir().unwrap();
    let hybrid = acceptor(Security::Hybrid { username: USER.into(), password: PASSWORD.into() });
    let denied = acceptor(Security::HybridExDenied { username: USER.into(), password: PASSWORD.into() });
    let errinfo7 = acceptor(Security::TlsLogon { username: USER.into(), password: PASSWORD.into(), errinfo: 7 });

    // (case, server, password, extra xfreerdp arguments, rdp-doctor's finding, what xfreerdp 2.10 reports:
    // "exit 0" for success, or the error name in its log). Observed with Debian 12's FreeRDP 2.10.
    type Case<'a> = (&'a str, SocketAddr, &'a str, &'a [&'a str], &'a str, &'a str);
    let cases: Vec<Case<'_>> = vec![
        ("shadow NLA, right password", shadow.addr, PASSWORD, &[], "session.ok", "exit 0"),
        // FreeRDP's server closes after a bad NTLM AUTHENTICATE without a status: xfreerdp blames the
        // transport, rdp-doctor names the logon failure.
        (
            "shadow NLA, wrong password",
            shadow.addr,
            "wrong",
            &[],
            "credssp.logon_failure",
            "ERRCONNECT_CONNECT_TRANSPORT_FAILED",
        ),
        // With a TSRequest errorCode both name it.
        (
            "IronRDP NLA, wrong password",
            hybrid.addr(),
            "wrong",
            &[],
            "credssp.logon_failure",
            "ERRCONNECT_LOGON_FAILURE",
        ),
        // xfreerdp 2.10 does not offer PROTOCOL_HYBRID_EX unless told (+sec-ext): the server selects plain
        // HYBRID, never refuses at the Early User Authorization Result, and +auth-only reports success.
        // rdp-doctor offers HYBRID_EX as mstsc does and names the denial.
        ("IronRDP HYBRID_EX, authorization denied", denied.addr(), PASSWORD, &[], "authz.access_denied", "exit 0"),
        // With +sec-ext xfreerdp gets the refusal but reports a generic negotiation failure.
        (
            "IronRDP HYBRID_EX (+sec-ext), authorization denied",
            denied.addr(),
            PASSWORD,
            &["+sec-ext"],
            "authz.access_denied",
            "ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED",
        ),
        // Without NLA +auth-only connects on (there is nothing to authenticate with before the Client Info
        // PDU) and sees the Set Error Info PDU too: both name ERRINFO 7.
        (
            "IronRDP TLS, Client Info refused with ERRINFO 7",
            errinfo7.addr(),
            "wrong",
            &[],
            "server.denied_connection",
            "ERRINFO_SERVER_DENIED_CONNECTION",
        ),
    ];
    let mut table = Vec::new();
    let mut bad = Vec::new();
    for (case, addr, password, extra, want, want_x) in cases {
        let x = xfreerdp(addr, display, password, extra, home.path());
        let report = rdp_doctor(addr, password);
        let ours = session_finding(&report);
        table.push(format!("{case:<48} xfreerdp: exit {:?} {:?}  rdp-doctor: {ours}", x.exit, x.codes));
        if ours != want {
            bad.push(format!("{case}: rdp-doctor said {ours:?}, expected {want}"));
        }
        let x_matches = if want_x == "exit 0" { x.exit == Some(0) } else { x.codes.iter().any(|c| c == want_x) };
        if !x_matches {
            bad.push(format!("{case}: xfreerdp {x:?}, expected {want_x}"));
        }
    }
    eprintln!("{}", table.join("\n"));
    assert!(bad.is_empty(), "{}\n{}", bad.join("\n"), table.join("\n"));
}

/// What xrdp (TLS, no NLA) answers for a logon in the lab, where xrdp-sesman does not run: it takes the
/// credentials from the Client Info PDU (INFO_AUTOLOGON), completes the connection sequence, sends a
/// synchronize update and pointer PDUs, then tries to reach xrdp-sesman on 127.0.0.1:3350 for several
/// seconds (observed: about 15 s with xrdp 0.9.21) and finally draws its own log window ("Error connecting
/// to sesman") as the first screen update. It never checks the password (sesman would), never sends a Set
/// Error Info PDU or a logon notification. rdp-doctor therefore cannot confirm the logon.
#[test]
fn xrdp_without_sesman_never_confirms_a_logon() {
    let xrdp =
        rdp_doctor_lab::xrdp(rdp_doctor_lab::XrdpVariant::Default).unwrap_or_else(|e| panic!("cannot start xrdp: {e}"));
    let out = Command::cargo_bin("rdp-doctor")
        .unwrap()
        .timeout(Duration::from_secs(90))
        .args(["check", &xrdp.addr.to_string(), "--user", USER, "--no-matrix", "--json", "--timeout", "17s"])
        .env("RDP_DOCTOR_PASSWORD", "no-sesman-so-never-checked")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let session = &report["evidence"]["session"];
    let log: String = std::fs::read_dir(xrdp.dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "log"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert!(log.contains("Client supplied username: alice"), "{log}");
    assert!(log.contains("Error connecting to sesman"), "{log}");
    assert_eq!(session["selected_protocol"], 1, "{session}");
    assert_eq!(session["outcome"]["kind"], "first_update", "{session}");
    assert_eq!(session["error_infos"], serde_json::json!([]));
    assert_eq!(session["logon_infos"], serde_json::json!([]));
    assert_eq!(session_finding(&report), "session.logon_unconfirmed");
    let steps = session["steps"].as_array().unwrap();
    assert!(steps.iter().any(|s| s["name"] == "logon_wait"), "{session}");
}
