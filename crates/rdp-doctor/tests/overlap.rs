//! The overlapped check says what the one-connection-at-a-time check says. `check` runs the security-layer
//! matrix, the quality series and the UDP probe beside the main chain within a per-host bound
//! (`--parallel`, default `rdp_doctor_probe::gate::PER_HOST`); `--parallel 1` lets only one connection wait
//! for the server at a time, which is the order the probes had before they overlapped. Against real servers
//! (xrdp with its listen backlog of 2, FreeRDP's shadow server, IronRDP's acceptor) both must reach the same
//! verdict, the same findings, the same layer statuses and the same security-layer matrix: overlapping may
//! change how long a check takes, never what it concludes. A case with a planted fault (an expired
//! certificate) and healthy servers guard both directions.
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::time::Duration;

use assert_cmd::Command;
use rdp_doctor_lab::{ShadowVariant, XrdpVariant};
use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};
use serde_json::Value;

fn check(addr: SocketAddr, parallel: &str, extra: &[&str]) -> Value {
    let out = Command::cargo_bin("rdp-doctor")
        .unwrap()
        .timeout(Duration::from_secs(90))
        .args(["check", &addr.to_string(), "--json", "--fail-on", "never", "--parallel", parallel])
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What a report concludes, without timings: verdict, finding IDs, layer statuses, the matrix's answers,
/// the UDP outcome and how many handshakes the series made.
fn conclusions(r: &Value) -> Value {
    let mut ids: Vec<&str> = r["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    let layers: Vec<(&str, &str)> = r["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["name"].as_str().unwrap_or_default(), l["status"].as_str().unwrap_or_default()))
        .collect();
    let matrix: Vec<(u64, bool)> = r["evidence"]["security_matrix"]
        .as_array()
        .map(|m| m.iter().map(|p| (p["protocol"].as_u64().unwrap(), p["accepted"].as_bool().unwrap())).collect())
        .unwrap_or_default();
    let udp: Vec<Value> = r["evidence"]["udp"]["attempts"]
        .as_array()
        .map(|a| a.iter().map(|x| x["outcome"].clone()).collect())
        .unwrap_or_default();
    serde_json::json!({
        "verdict": r["verdict"],
        "findings": ids,
        "layers": layers,
        "matrix": matrix,
        "udp": udp,
        "samples": r["evidence"]["net"]["samples"].as_array().map(Vec::len),
        "tls_scan": r["evidence"]["tls_scan"]["versions"],
    })
}

fn same_conclusions(name: &str, addr: SocketAddr, extra: &[&str]) -> Value {
    let serial = conclusions(&check(addr, "1", extra));
    let overlapped = conclusions(&check(addr, &rdp_doctor_probe::gate::PER_HOST.to_string(), extra));
    assert_eq!(overlapped, serial, "{name}: the overlapped check concluded otherwise than --parallel 1");
    assert_eq!(overlapped["matrix"].as_array().unwrap().len(), 6, "{name}: {overlapped}");
    overlapped
}

fn acceptor(cert: CertSpec, security: Security) -> TestServer {
    TestServer::start(TestServerConfig { bind: "127.0.0.1:0".parse().unwrap(), cert, security }).unwrap()
}

#[test]
fn ironrdp_acceptor_expired_certificate() {
    let srv = acceptor(CertSpec::ExpiredYesterday, Security::Tls);
    let c = same_conclusions("IronRDP expired", srv.addr(), &[]);
    assert_eq!(c["verdict"], "cert.expired");
}

#[test]
fn ironrdp_acceptor_nla() {
    let srv = acceptor(CertSpec::Valid, Security::HybridEx { username: "u".into(), password: "Hybrid-pw-1".into() });
    let c = same_conclusions("IronRDP NLA", srv.addr(), &[]);
    assert_eq!(c["verdict"], "cert.self_signed");
}

#[test]
fn xrdp_default() {
    let srv = rdp_doctor_lab::xrdp(XrdpVariant::Default).unwrap();
    let c = same_conclusions("xrdp", srv.addr, &[]);
    assert!(c["findings"].as_array().unwrap().iter().all(|f| f != "net.packet_loss"), "{c}");
}

#[test]
fn xrdp_deep() {
    let srv = rdp_doctor_lab::xrdp(XrdpVariant::Tls12Only).unwrap();
    let c = same_conclusions("xrdp TLS 1.2 --deep", srv.addr, &["--deep"]);
    let versions = c["tls_scan"].as_array().unwrap();
    let accepted: Vec<&str> =
        versions.iter().filter(|v| v["accepted"] == true).map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(accepted, ["TLS 1.2"], "{c}");
}

#[test]
fn freerdp_shadow_tls() {
    let srv = rdp_doctor_lab::shadow(ShadowVariant::Tls).unwrap();
    same_conclusions("FreeRDP shadow", srv.addr, &[]);
}
