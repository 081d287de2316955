//! `scan` over the lab: real xrdp variants, FreeRDP's shadow server (NLA), IronRDP's acceptor in process,
//! and hosts in network namespaces behind iptables DROP and REJECT, in one run. Needs root and the lab
//! packages (scripts/test.sh). Every JSONL line validates against the report schema, the CSV reads back
//! in Python, the strict policy judges each host, and each host's facts are what the server really does.
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod scan_support;

use std::time::Duration;

use rdp_doctor_lab::{Firewall, ShadowVariant, XrdpVariant};
use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};
use scan_support::*;

#[test]
fn the_lab_fleet_in_one_scan() {
    let xrdp_default = rdp_doctor_lab::xrdp(XrdpVariant::Default).unwrap();
    let xrdp_expired = rdp_doctor_lab::xrdp(XrdpVariant::ExpiredCert).unwrap();
    let xrdp_rdp = rdp_doctor_lab::xrdp(XrdpVariant::RdpSecurityOnly).unwrap();
    let xrdp_tls10 = rdp_doctor_lab::xrdp(XrdpVariant::Tls10Only).unwrap();
    let shadow =
        rdp_doctor_lab::shadow(ShadowVariant::Nla { user: "alice".into(), password: "S3cret-pw".into() }).unwrap();
    let ironrdp = TestServer::start(TestServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        cert: CertSpec::Valid,
        security: Security::HybridEx { username: "u".into(), password: "Lab-pw-1".into() },
    })
    .unwrap();
    let dropped = rdp_doctor_lab::netns_host(Firewall::Drop).unwrap();
    let rejected = rdp_doctor_lab::netns_host(Firewall::Reject).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("lab.txt");
    let entries = [
        (xrdp_default.addr, "xrdp-default"),
        (xrdp_expired.addr, "xrdp-expired"),
        (xrdp_rdp.addr, "xrdp-rdp-only"),
        (xrdp_tls10.addr, "xrdp-tls10"),
        (shadow.addr, "shadow-nla"),
        (ironrdp.addr(), "ironrdp"),
        (dropped.addr, "netns-drop"),
        (rejected.addr, "netns-reject"),
    ];
    let text: Vec<String> = entries.iter().map(|(a, tag)| format!("{a},,{tag}")).collect();
    std::fs::write(&list, text.join("\n")).unwrap();
    let (jsonl, csv) = (dir.path().join("lab.jsonl"), dir.path().join("lab.csv"));
    let out = assert_cmd::Command::new(bin())
        .timeout(Duration::from_secs(180))
        .args(["scan", "-iL", list.to_str().unwrap(), "-o", jsonl.to_str().unwrap(), "--csv", csv.to_str().unwrap()])
        .args(["--timeout", "2s", "--policy", "strict", "--deep", "--progress", "never"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let lines = validate_jsonl(&jsonl);
    assert_eq!(lines.len(), entries.len());
    let get = |a: std::net::SocketAddr| by_key(&lines, &a.to_string());
    let facts = |a: std::net::SocketAddr| get(a)["scan"]["facts"].clone();

    assert_eq!(get(dropped.addr)["verdict"], "tcp.filtered");
    assert_eq!(get(rejected.addr)["verdict"], "tcp.refused");
    assert_eq!(get(xrdp_expired.addr)["verdict"], "cert.expired");
    // xrdp 0.9 has no CredSSP: NLA is not offered; negotiate also accepts Standard RDP Security.
    assert_eq!(facts(xrdp_default.addr)["nla"], "not_offered");
    assert_eq!(facts(xrdp_default.addr)["rdp_security"], true);
    assert_eq!(facts(xrdp_rdp.addr)["selected_protocol"], 0);
    assert_eq!(facts(xrdp_rdp.addr)["accepted_protocols"], serde_json::json!([0]));
    assert_eq!(facts(xrdp_tls10.addr)["tls_versions"], serde_json::json!(["TLS 1.0"]));
    assert_eq!(facts(xrdp_tls10.addr)["tls_versions_enumerated"], true);
    assert_eq!(facts(shadow.addr)["nla"], "required");
    assert_eq!(facts(ironrdp.addr())["nla"], "required");
    assert!(facts(ironrdp.addr())["tls_versions"].as_array().unwrap().iter().any(|v| v == "TLS 1.3"));

    // The strict policy: every reached host fails something (self-signed certificates at least); the
    // TLS 1.0 host fails min_tls_version with --deep's evidence; unreachable hosts are unverified.
    let policy = |a: std::net::SocketAddr| get(a)["policy"].clone();
    let fields = |a: std::net::SocketAddr| -> Vec<String> {
        policy(a)["mismatches"].as_array().unwrap().iter().map(|m| m["field"].as_str().unwrap().to_owned()).collect()
    };
    assert!(fields(xrdp_tls10.addr).contains(&"min_tls_version".to_owned()), "{:?}", fields(xrdp_tls10.addr));
    assert!(fields(xrdp_rdp.addr).contains(&"rdp_security".to_owned()));
    assert!(!fields(shadow.addr).contains(&"nla_required".to_owned()), "{:?}", fields(shadow.addr));
    assert_eq!(policy(dropped.addr)["status"], "unverified");
    assert_eq!(policy(rejected.addr)["status"], "unverified");

    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), entries.len());
    let row = rows.iter().find(|r| r["tag"] == "xrdp-tls10").unwrap();
    assert_eq!(row["tls_versions"], "TLS 1.0");
    assert_eq!(row["policy"], "strict: fail");
    assert!(stdout.contains("Hosts with TLS 1.0/1.1 only (1)"), "{stdout}");
    assert!(stdout.contains("Unreachable hosts (2)"), "{stdout}");
    assert_eq!(ironrdp.logon_attempts(), 0);
}
