//! Every real capture of the test data against its expected report (snapshot). The expected files were
//! produced by the analyser and checked by hand against tshark (see tests/data/expected/README.md);
//! regenerate with `UPDATE_SNAPSHOTS=1 cargo test -p rdp-doctor-pcap --test corpus` and review the diff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{check_snapshot, data, snapshot};
use rdp_doctor_pcap::{Options, analyse_file};

/// (file, extra ports, snapshot name)
const CASES: &[(&str, &[u16], &str)] = &[
    ("arkime/socks5-rdp.pcap", &[], "arkime_socks5-rdp"),
    ("awakecoding/rdp-nla-kerberos-auth2.pcapng", &[], "awakecoding_rdp-nla-kerberos-auth2"),
    (
        "awakecoding/rdp-rdg-same-creds-kerberos-password-success2.pcapng",
        &[],
        "awakecoding_rdp-rdg-same-creds-kerberos-password-success2",
    ),
    ("nDPI/rdp.pcap", &[], "nDPI_rdp"),
    ("nDPI/rdp2.pcap", &[], "nDPI_rdp2"),
    ("nDPI/rdp3.pcap", &[], "nDPI_rdp3"),
    ("nDPI/rdp_over_tls.pcap", &[], "nDPI_rdp_over_tls"),
    ("nDPI/selfsigned.pcap", &[3001], "nDPI_selfsigned"),
    ("nDPI/synscan.pcap", &[], "nDPI_synscan"),
    ("nDPI/tcp_scan.pcapng", &[], "nDPI_tcp_scan"),
    ("nDPI/tls_alert.pcap", &[443], "nDPI_tls_alert"),
    ("suricata-verify/RDP-003.pcap", &[], "suricata-verify_RDP-003"),
    ("wireshark-samplecaptures/RDP-002.pcap", &[], "wireshark_RDP-002"),
    ("zeek/certificate-request-failed.pcap", &[3000], "zeek_certificate-request-failed"),
    ("zeek/dce-rpc-mapi.pcap", &[], "zeek_dce-rpc-mapi"),
    ("zeek/rdp-invalid-length.pcap", &[], "zeek_rdp-invalid-length"),
    ("zeek/rdp-no-cookie-mstshash.pcap", &[], "zeek_rdp-no-cookie-mstshash"),
    ("zeek/rdp-proprietary-encryption.pcap", &[], "zeek_rdp-proprietary-encryption"),
    ("zeek/rdp-to-ssl.pcap", &[], "zeek_rdp-to-ssl"),
    ("zeek/rdp-unknown-keyboard.pcap", &[], "zeek_rdp-unknown-keyboard"),
    ("zeek/rdp-x509.pcap", &[], "zeek_rdp-x509"),
    ("zeek/rdpeudp-handshake-fail.pcap", &[], "zeek_rdpeudp-handshake-fail"),
    ("zeek/rdpeudp-handshake-success.pcap", &[], "zeek_rdpeudp-handshake-success"),
    ("zeek/rdpeudp2-handshake-success.pcap", &[], "zeek_rdpeudp2-handshake-success"),
    ("zeek/tls-1.2-handshake-failure.pcap", &[443], "zeek_tls-1.2-handshake-failure"),
    ("zeek/tls-expired-cert.pcap", &[443], "zeek_tls-expired-cert"),
];

fn run(file: &str, ports: &[u16]) -> rdp_doctor_core::capture_report::CaptureReport {
    let opts = Options { ports: ports.to_vec(), ..Options::default() };
    analyse_file(&data(file), &opts).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn every_corpus_capture_matches_its_expected_report() {
    let mut failures = Vec::new();
    for (file, ports, name) in CASES {
        let got = snapshot(&run(file, ports));
        if let Err(e) = std::panic::catch_unwind(|| check_snapshot(name, &got)) {
            failures.push(format!("{file}: {}", e.downcast_ref::<String>().cloned().unwrap_or_default()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The verdicts a reviewer checked by hand (tests/data/expected/README.md), asserted directly so a snapshot
/// update cannot silently change them.
#[test]
fn hand_checked_verdicts() {
    let verdict = |file: &str, ports: &[u16]| run(file, ports).verdict;
    assert_eq!(verdict("zeek/rdp-proprietary-encryption.pcap", &[]), "nego.ssl_not_allowed_by_server");
    // The scanner's probes: the scan is the verdict (each refused or filtered attempt is part of it).
    assert_eq!(verdict("nDPI/tcp_scan.pcapng", &[]), "pattern.scan");
    assert_eq!(verdict("nDPI/synscan.pcap", &[]), "pattern.scan");
    // Healthy Windows domain sessions, decrypted with their own secrets (issue 15).
    assert_eq!(verdict("awakecoding/rdp-nla-kerberos-auth2.pcapng", &[]), "ok");
    assert_eq!(verdict("awakecoding/rdp-rdg-same-creds-kerberos-password-success2.pcapng", &[]), "ok");
    assert_eq!(verdict("zeek/rdpeudp-handshake-fail.pcap", &[]), "udp.blocked");
    assert_eq!(verdict("zeek/rdpeudp-handshake-success.pcap", &[]), "ok");
    assert_eq!(verdict("zeek/tls-1.2-handshake-failure.pcap", &[443]), "tls.alert");
    assert_eq!(verdict("nDPI/tls_alert.pcap", &[443]), "tls.alert");
    assert_eq!(verdict("zeek/certificate-request-failed.pcap", &[3000]), "tls.alert");
    assert_eq!(verdict("zeek/tls-expired-cert.pcap", &[443]), "cert.expired");
    assert_eq!(verdict("nDPI/selfsigned.pcap", &[3001]), "cert.expired");
    assert_eq!(verdict("nDPI/rdp_over_tls.pcap", &[]), "credssp.ended_by_server");
    assert_eq!(verdict("wireshark-samplecaptures/RDP-002.pcap", &[]), "net.packet_loss");
    assert_eq!(verdict("zeek/rdp-unknown-keyboard.pcap", &[]), "net.stall");
    // Damaged, synthetic or mid-stream: said to be incomplete, never a failure verdict.
    assert_eq!(verdict("zeek/rdp-invalid-length.pcap", &[]), "incomplete");
    assert_eq!(verdict("zeek/dce-rpc-mapi.pcap", &[]), "incomplete");
    // A working Standard RDP Security session: its MCS Connect Response, read by the live probe's decoder,
    // shows a 512-bit proprietary certificate and 56-bit RC4.
    assert_eq!(verdict("suricata-verify/RDP-003.pcap", &[]), "sec.rdp_proprietary_certificate");
    // Healthy: negotiation through a SOCKS proxy, the capture ends before MCS.
    assert_eq!(verdict("arkime/socks5-rdp.pcap", &[]), "ok");
}

#[test]
fn unrelated_traffic_says_so() {
    let r = run("zeek/tls-1.2-handshake-failure.pcap", &[]);
    assert_eq!(r.verdict, "no_rdp_traffic");
    assert!(r.connections.is_empty());
    assert!(r.limitations.iter().any(|l| l.contains("No RDP-related connection")), "{:?}", r.limitations);
    assert_eq!(r.exit_code(Some(rdp_doctor_core::Severity::Warn)), 0);
}

#[test]
fn the_json_contract_holds() {
    let r = run("nDPI/rdp_over_tls.pcap", &[]);
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["kind"], "capture");
    assert_eq!(v["verdict"], "credssp.ended_by_server");
    let c = &v["connections"][0];
    assert_eq!(c["report"]["evidence"]["capture"]["transport"], "tcp");
    assert_eq!(c["report"]["evidence"]["tls"]["chain"][0]["subject"], "CN=topsalon");
    assert!(c["report"]["findings"][0]["remedies"][0]["steps"].is_array());
    // The mstshash cookie (a user name) never appears, only that it was sent.
    let text = serde_json::to_string(&v).unwrap();
    assert!(!text.contains("WDeployAd"), "the cookie value leaked");
    assert_eq!(c["report"]["evidence"]["capture"]["request"]["cookie"], true);
}

/// docs/corpus-verdicts.md's "after" column is what the analyser says now: each row's verdict and
/// connection count, on the repository's copies of the shared corpus (same bytes, see tests/data/SOURCES.md).
#[test]
fn the_corpus_verdicts_document_is_current() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/corpus-verdicts.md")).unwrap();
    let table = doc.split("## Before and after issue 15").nth(1).unwrap().split("\n## ").next().unwrap();
    let mut rows = 0;
    for line in table.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let file = cells[0].trim_matches('`').replace("awakecoding-wireshark-rdp/", "awakecoding/");
        let after = cells[2].trim_end_matches(" ◀");
        let r = run(&file, &[]);
        assert_eq!(r.verdict, after, "{file}: docs/corpus-verdicts.md is stale");
        assert_eq!(r.connections.len().to_string(), cells[3], "{file}: connections");
        rows += 1;
    }
    assert_eq!(rows, 26, "one row per capture of the shared corpus");
}
