//! The binary end to end: demo, exit codes, JSON contract, argument errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::cargo_bin("rdp-doctor").unwrap();
    c.timeout(Duration::from_secs(60)).env("NO_COLOR", "1");
    c
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn demo_diagnoses_the_expired_certificate() {
    let out = bin().arg("demo").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Verdict: cert.expired"), "{text}");
    assert!(text.contains("first failing layer: TLS"), "{text}");
    assert!(!text.contains('\u{1b}'), "NO_COLOR must strip escapes");
}

#[test]
fn demo_json_follows_the_contract() {
    let out = bin().args(["demo", "--json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["verdict"], "cert.expired");
    assert_eq!(v["first_failing_layer"], "tls");
    let layers: Vec<&str> = v["layers"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(layers, ["dns", "tcp", "x224", "tls", "credssp"]);
    for l in v["layers"].as_array().unwrap() {
        assert!(l.get("status").is_some() && l.get("duration_ms").is_some());
    }
    let f = &v["findings"][0];
    assert_eq!(f["id"], "cert.expired");
    assert_eq!(f["severity"], "fail");
    assert!(!f["evidence"].as_array().unwrap().is_empty());
    assert!(!f["remedies"].as_array().unwrap().is_empty());
    assert_eq!(v["evidence"]["tls"]["outcome"]["kind"], "established");
}

#[test]
fn closed_port_exit_codes() {
    let target = format!("127.0.0.1:{}", closed_port());
    let out = bin().args(["check", &target, "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "tcp.refused");
    let out = bin().args(["check", &target, "--fail-on", "never"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        vec!["check"],
        vec!["check", "bad host"],
        vec!["check", "h:0"],
        vec!["check", "h", "--timeout", "x"],
        vec!["nonsense"],
    ] {
        let out = bin().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    assert_eq!(bin().arg("--help").output().unwrap().status.code(), Some(0));
}

/// A server that accepts TCP and never answers must not hang the tool: the X.224 deadline ends it.
/// (A scripted peer: real servers do not hold a connection silently on purpose.)
#[test]
fn silent_server_is_bounded_by_the_deadline() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let holder = std::thread::spawn(move || {
        let conn = l.accept();
        std::thread::sleep(Duration::from_secs(3));
        drop(conn);
    });
    let out = bin().args(["check", &addr.to_string(), "--timeout", "500ms", "--json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "x224.no_response");
    assert_eq!(out.status.code(), Some(1));
    holder.join().unwrap();
}
