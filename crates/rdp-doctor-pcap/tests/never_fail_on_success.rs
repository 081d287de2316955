//! Never "fail" on a success, never "ok" on a failure (issue 15), over every capture in the test data.
//!
//! Each connection of each capture is labelled by hand from what is on the wire (tshark, and
//! `/work/shared/corpus/pcap/GROUND_TRUTH.md` as a second opinion; tests/data/SOURCES.md for the lab and
//! Windows captures), never from rdp-doctor's own output:
//! - [`Worked`]: the connection reached the logon or the first screen (a logon notification, a working
//!   session's data, an established RDP-UDP transport, a working RD Gateway tunnel, a good Kerberos logon).
//!   It must carry no `fail` finding, and a `warn` only where the warning is a true statement about a
//!   working connection that the administrator should still hear ([`ADVICE_ON_A_WORKING_SESSION`]:
//!   certificate hygiene, weak legacy security, packet loss and stalls the session survived), never one that
//!   says the connection or the logon failed.
//! - [`Failed`]: a failure the wire shows (refused, filtered, alert, refused negotiation, KRB-ERROR, an
//!   expired certificate). It must read at least `warn`, and never `ok` or `incomplete`.
//! - [`Unknown`]: truncated, mid-stream, fuzzed, or a probe that hung up on purpose. It must carry no
//!   `fail` finding (what the capture does not show is not a failure).
//!
//! A capture added to tests/data without a label here fails the test, so the table stays complete. The
//! enterprise sessions that only exist as spec-built decrypted traffic (Remote Credential Guard, Restricted
//! Admin, FreeRDP's NLA logon) are asserted the same way in `enterprise.rs`; the IronRDP acceptor lab case
//! in crates/rdp-doctor/tests/success_lab.rs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::Path;

use rdp_doctor_core::Severity;
use rdp_doctor_core::capture_report::{CaptureReport, ConnectionReport};
use rdp_doctor_pcap::Options;
use rdp_doctor_pcap::keylog::KeyLog;

use Outcome::{Failed, Unknown, Worked};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Worked,
    Failed,
    Unknown,
}

/// Warnings that are true of a connection that worked: said, but never a claim that it failed.
const ADVICE_ON_A_WORKING_SESSION: &[&str] = &[
    "cert.self_signed",
    "cert.name_mismatch",
    "cert.untrusted",
    "cert.expiring_soon",
    "cert.weak_signature",
    "sec.rdp_proprietary_certificate",
    "sec.rdp_weak_encryption",
    "net.packet_loss",
    "net.stall",
];

/// (file under tests/data, extra ports, key log, [(connection id, outcome, why)]).
type Case = (&'static str, &'static [u16], Option<&'static str>, &'static [(u64, Outcome, &'static str)]);

const CASES: &[Case] = &[
    ("arkime/socks5-rdp.pcap", &[], None, &[(1, Unknown, "negotiation through SOCKS5, file ends after the CC")]),
    (
        "awakecoding/rdp-nla-kerberos-auth2.pcapng",
        &[],
        None,
        &[(1, Worked, "Kerberos NLA, Save Session Info logon notification, session 2 (decrypted with its DSB)")],
    ),
    (
        "awakecoding/rdp-rdg-same-creds-kerberos-password-success2.pcapng",
        &[],
        None,
        &[(1, Worked, "RD Gateway: WebSocket 101, MS-TSGU handshake/tunnel/channel S_OK, data (decrypted)")],
    ),
    (
        "kerberos/mit-kdc.pcapng",
        &[],
        None,
        &[(1, Failed, "KRB-ERRORs: wrong password, unknown, revoked client, expired password, skew")],
    ),
    ("kerberos/mit-kdc-good.pcapng", &[], None, &[(1, Worked, "AS-REQ, PREAUTH_REQUIRED, AS-REP, TGS-REP")]),
    (
        "keylog/shadow-nla.pcapng",
        &[20766],
        Some("keylog/shadow-nla.keys"),
        &[(1, Unknown, "rdp-doctor's credential-free probe hangs up after the server's CHALLENGE on purpose")],
    ),
    (
        "keylog/shadow-nla-dsb.pcapng",
        &[20766],
        None,
        &[(1, Unknown, "the same probe, secrets in a Decryption Secrets Block")],
    ),
    ("nDPI/rdp.pcap", &[], None, &[(1, Unknown, "truncated during NLA (3 records each way, no FIN/RST)")]),
    (
        "nDPI/rdp2.pcap",
        &[],
        None,
        &[
            (1, Unknown, "RDP-UDP SYN/SYN+ACK, then a ClientHello unanswered within 1.76 s (stalled or truncated)"),
            (2, Unknown, "mid-stream RDP-UDP data"),
            (3, Worked, "RDP-UDP SYN/SYN+ACK, TLS handshake data both ways"),
        ],
    ),
    ("nDPI/rdp3.pcap", &[], None, &[(1, Worked, "Standard RDP Security: MCS ok, Client Info, licensing")]),
    (
        "nDPI/rdp_over_tls.pcap",
        &[],
        None,
        &[(1, Failed, "NLA refused: no pubKeyAuth, encrypted alert 0.96 s after AUTHENTICATE (inferred)")],
    ),
    (
        "nDPI/selfsigned.pcap",
        &[3001],
        None,
        &[(1, Failed, "certificate expired 2016, capture 2020: a validating client refuses it (this one went on)")],
    ),
    (
        "nDPI/synscan.pcap",
        &[],
        None,
        &[(15, Failed, "SYN to 3389 never answered"), (18, Failed, "second SYN to 3389 never answered")],
    ),
    ("nDPI/tcp_scan.pcapng", &[], None, &[(4, Failed, "SYN to 3389 answered by RST,ACK")]),
    (
        "nDPI/tls_alert.pcap",
        &[443],
        None,
        &[
            (1, Failed, "server Alert protocol_version"),
            (2, Unknown, "mid-stream: the client's FIN and alert resent 5 times, nothing back"),
        ],
    ),
    (
        "suricata-verify/RDP-003.pcap",
        &[],
        None,
        &[(1, Worked, "legacy security, license ok, 23 s of session, user logoff")],
    ),
    ("wireshark-samplecaptures/RDP-002.pcap", &[], None, &[(1, Worked, "session data, normal end; 17 resends")]),
    ("zeek/certificate-request-failed.pcap", &[3000], None, &[(1, Failed, "empty client Certificate, Alert 40")]),
    ("zeek/dce-rpc-mapi.pcap", &[], None, &[(5, Unknown, "mid-stream fast-path output only")]),
    ("zeek/rdp-invalid-length.pcap", &[], None, &[(1, Unknown, "fuzzed: client bytes not TPKT, CC malformed")]),
    (
        "zeek/rdp-no-cookie-mstshash.pcap",
        &[],
        None,
        &[(1, Unknown, "client reset right after the TLS handshake (a probe or a refused certificate)")],
    ),
    (
        "zeek/rdp-proprietary-encryption.pcap",
        &[],
        None,
        &[
            (1, Failed, "RDP_NEG_FAILURE SSL_NOT_ALLOWED_BY_SERVER"),
            (2, Worked, "the retry with Standard RDP Security: 22 s session, user logoff"),
        ],
    ),
    (
        "zeek/rdp-to-ssl.pcap",
        &[],
        None,
        &[
            (1, Unknown, "client closed after the server's pubKeyAuth, before TSCredentials (inferred)"),
            (2, Worked, "NLA completed, 95/345 application-data records"),
        ],
    ),
    ("zeek/rdp-unknown-keyboard.pcap", &[], None, &[(1, Unknown, "truncated after Connect-Initial; slow setup")]),
    ("zeek/rdp-x509.pcap", &[], None, &[(1, Worked, "MCS Connect-Response result 0 after a slow setup")]),
    ("zeek/rdpeudp-handshake-fail.pcap", &[], None, &[(1, Failed, "three RDP-UDP SYNs, nothing back")]),
    ("zeek/rdpeudp-handshake-success.pcap", &[], None, &[(1, Worked, "RDP-UDP v1, TLS, data")]),
    ("zeek/rdpeudp2-handshake-success.pcap", &[], None, &[(1, Worked, "RDP-UDP v2 established")]),
    ("zeek/tls-1.2-handshake-failure.pcap", &[443], None, &[(1, Failed, "server Alert handshake_failure")]),
    (
        "zeek/tls-expired-cert.pcap",
        &[443],
        None,
        &[
            (1, Failed, "certificate expired 9 days before the capture: a validating client refuses it"),
            (2, Worked, "valid (expires the next day), data, normal close"),
        ],
    ),
];

fn run(file: &str, ports: &[u16], keys: Option<&str>) -> CaptureReport {
    let keylog = keys.map(|k| {
        let mut log = KeyLog::default();
        log.add_text(&std::fs::read(common::data(k)).unwrap(), k);
        log
    });
    let opts = Options { ports: ports.to_vec(), keylog, ..Options::default() };
    rdp_doctor_pcap::analyse_file(&common::data(file), &opts).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn findings(c: &ConnectionReport) -> Vec<String> {
    c.report.findings.iter().map(|f| format!("{:?} {}", f.severity, f.id)).collect()
}

/// What is wrong with `c` read as `outcome`, if anything.
fn misread(c: &ConnectionReport, outcome: Outcome) -> Option<String> {
    let r = &c.report;
    let fails: Vec<&str> = r.findings.iter().filter(|f| f.severity >= Severity::Fail).map(|f| f.id).collect();
    match outcome {
        Worked => {
            let wrong: Vec<&str> = r
                .findings
                .iter()
                .filter(|f| f.severity >= Severity::Warn && !ADVICE_ON_A_WORKING_SESSION.contains(&f.id))
                .map(|f| f.id)
                .collect();
            (!wrong.is_empty()).then(|| format!("worked, but reads {wrong:?}"))
        }
        Failed => (r.max_severity < Some(Severity::Warn) || matches!(r.verdict.as_str(), "ok" | "incomplete"))
            .then(|| format!("failed, but reads {}", r.verdict)),
        Unknown => (!fails.is_empty()).then(|| format!("not known to have failed, but reads {fails:?}")),
    }
}

fn every_capture(dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            every_capture(&p, out);
        } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
            let rel = p.strip_prefix(common::data("")).unwrap();
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn every_capture_in_the_test_data_is_labelled() {
    let mut files = Vec::new();
    every_capture(&common::data(""), &mut files);
    files.sort();
    let labelled: Vec<&str> = CASES.iter().map(|c| c.0).collect();
    let missing: Vec<&String> = files.iter().filter(|f| !labelled.contains(&f.as_str())).collect();
    assert!(missing.is_empty(), "captures without a label in never_fail_on_success.rs: {missing:?}");
    assert!(files.len() >= 29, "{files:?}");
}

#[test]
fn no_success_reads_as_a_failure_and_no_failure_as_ok() {
    let mut wrong = Vec::new();
    let (mut worked, mut failed, mut unknown) = (0, 0, 0);
    for (file, ports, keys, labels) in CASES {
        let r = run(file, ports, *keys);
        for (id, outcome, why) in *labels {
            let Some(c) = r.connections.iter().find(|c| c.id == *id) else {
                wrong.push(format!("{file} #{id} ({why}): not in the report"));
                continue;
            };
            match outcome {
                Worked => worked += 1,
                Failed => failed += 1,
                Unknown => unknown += 1,
            }
            if let Some(m) = misread(c, *outcome) {
                wrong.push(format!("{file} #{id} ({why}): {m}; findings {:?}", findings(c)));
            }
        }
        // Every connection of the report is labelled (none appears or vanishes unnoticed).
        let extra: Vec<u64> =
            r.connections.iter().map(|c| c.id).filter(|id| !labels.iter().any(|l| l.0 == *id)).collect();
        if !extra.is_empty() {
            wrong.push(format!("{file}: connections {extra:?} have no label"));
        }
        // The file's verdict: never ok when a labelled failure is in it; never a failure of a file whose
        // connections all worked.
        if labels.iter().any(|l| l.1 == Failed) && r.verdict == "ok" {
            wrong.push(format!("{file}: a failure in it, but the file reads ok"));
        }
        if labels.iter().all(|l| l.1 == Worked) && r.max_severity >= Some(Severity::Fail) {
            wrong.push(format!("{file}: every connection worked, but the file reads {}", r.verdict));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The figures the closing note quotes.
    assert_eq!((worked, failed, unknown), (13, 12, 12), "labels changed: update the counts");
}
