//! Patterns across a capture (issue 15): password guessing, a flood of pending connections, scans and
//! health probes, each one finding with counts, sources, targets and rates; causal chains per client.
//!
//! Guessing and floods are built from a real brute-force connection (nDPI/rdp_over_tls.pcap: a bot with
//! cookie mstshash=WDeployAd whose NLA the server ends after its NTLM AUTHENTICATE), repeated with new
//! client ports and times: the bytes of every attempt are the real ones. Scans are the real nDPI traces;
//! health probes are synthetic connect-and-close flows (no public trace has them).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{ACK, FIN, Flow, Link, data};
use rdp_doctor_core::capture_report::CaptureReport;
use rdp_doctor_pcap::{Options, analyse, analyse_file};

/// The frames of a classic little-endian pcap (Ethernet, IPv4, TCP): (timestamp ns, frame).
fn frames(pcap: &[u8]) -> Vec<(i64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= pcap.len() {
        let u = |o: usize| u32::from_le_bytes(pcap[at + o..at + o + 4].try_into().unwrap());
        let (sec, usec, incl) = (u(0), u(4), u(8) as usize);
        out.push((i64::from(sec) * 1_000_000_000 + i64::from(usec) * 1000, pcap[at + 16..at + 16 + incl].to_vec()));
        at += 16 + incl;
    }
    out
}

/// The real connection repeated `copies` times, copy `i` from client port `40000 + i` and `gap_ms` later.
fn repeated(file: &str, client_port: u16, copies: usize, gap_ms: f64) -> Vec<u8> {
    let base = frames(&std::fs::read(data(file)).unwrap());
    let mut all = Vec::new();
    for i in 0..copies {
        let port = 40000 + i as u16;
        for (ts, f) in &base {
            let mut f = f.clone();
            // Ethernet (14, or 18 with the 802.1Q tag this capture has) | IPv4 (IHL) | TCP ports.
            let l3 = if f[12..14] == [0x81, 0x00] { 18 } else { 14 };
            let tcp = l3 + usize::from(f[l3] & 0x0f) * 4;
            for off in [tcp, tcp + 2] {
                if u16::from_be_bytes([f[off], f[off + 1]]) == client_port {
                    f[off..off + 2].copy_from_slice(&port.to_be_bytes());
                }
            }
            all.push((ts + (i as f64 * gap_ms * 1e6) as i64, f));
        }
    }
    all.sort_by_key(|(ts, _)| *ts);
    let mut p = common::Pcap::new(1, false, true);
    for (ts, f) in &all {
        p.packet(*ts, f);
    }
    p.buf
}

fn run(bytes: &[u8]) -> CaptureReport {
    analyse(bytes, "test.pcap", &Options::default()).unwrap()
}

/// 60 attempts from the bot, one every 2 s: password guessing, the file's verdict, with the count, the
/// target, the rate and the cookies (not quoted); each connection is part of it.
#[test]
fn repeated_nla_refusals_from_one_source_are_password_guessing() {
    let r = run(&repeated("nDPI/rdp_over_tls.pcap", 35888, 60, 2000.0));
    assert_eq!(r.verdict, "pattern.password_guessing", "{:?}", r.patterns);
    let p = &r.patterns[0];
    assert!(
        p.summary.starts_with("password guessing: 60 refused logons from 91.238.181.21 in 118.0 s (30.5/min)"),
        "{}",
        p.summary
    );
    let e = &p.evidence[0];
    assert!(e.contains("to 89.31.79.12:3389"), "{e}");
    assert!(e.contains("credssp.ended_by_server ×60"), "{e}");
    assert!(e.contains("60 requests carried an mstshash cookie"), "{e}");
    assert!(!serde_json::to_string(&r).unwrap().contains("WDeployAd"), "the cookie is never quoted");
    assert!(r.dominant_pattern.as_deref().unwrap().starts_with("pattern.password_guessing: "));
    assert!(r.connections.iter().all(|c| c.pattern == Some("pattern.password_guessing")));
    assert!(!r.patterns.iter().any(|p| p.id == "pattern.pending_flood"), "2 s apart, at most one pending at once");
    // Few attempts are no pattern.
    let r = run(&repeated("nDPI/rdp_over_tls.pcap", 35888, 3, 2000.0));
    assert!(r.patterns.is_empty(), "{:?}", r.patterns);
    assert_eq!(r.verdict, "credssp.ended_by_server");
}

/// The same attempts 20 ms apart: 40 pending at once, a flood of pending connections.
#[test]
fn overlapping_attempts_are_a_pending_flood() {
    let r = run(&repeated("nDPI/rdp_over_tls.pcap", 35888, 40, 20.0));
    let f = r.patterns.iter().find(|p| p.id == "pattern.pending_flood").unwrap();
    assert!(f.summary.starts_with("40 connections to 89.31.79.12:3389 pending at once"), "{}", f.summary);
    assert!(f.evidence.iter().any(|e| e.contains("MaxOutstandingConnections")));
    assert!(f.remedies.iter().any(|r| r.id == "server.max_outstanding_connections"));
    assert!(r.patterns.iter().any(|p| p.id == "pattern.password_guessing"));
}

/// The real scans: an nmap SYN scan of ~1000 ports, and a scan with FIN/NULL/Xmas probes of 7 ports.
#[test]
fn real_scans_are_scans() {
    let r = analyse_file(&data("nDPI/synscan.pcap"), &Options::default()).unwrap();
    assert_eq!(r.verdict, "pattern.scan");
    assert_eq!(r.patterns[0].summary, "port scan: 172.16.0.8 probed 999 port(s) on 1 host(s) in 23.1 s");
    assert!(r.patterns[0].evidence[0].contains("1984 unanswered SYN(s)"), "{:?}", r.patterns[0].evidence);
    assert!(r.connections.iter().all(|c| c.pattern == Some("pattern.scan")));
    let r = analyse_file(&data("nDPI/tcp_scan.pcapng"), &Options::default()).unwrap();
    assert_eq!(r.verdict, "pattern.scan");
    assert!(r.patterns[0].evidence[0].contains("3 probe(s) without a SYN"), "{:?}", r.patterns[0].evidence);
}

/// A balancer's TCP checks: handshake, then the client closes, every 5 s.
#[test]
fn connect_and_close_is_health_probes() {
    let mut all: Vec<(i64, Vec<u8>)> = Vec::new();
    for i in 0..8 {
        let mut f = Flow::new(&format!("10.0.0.2:{}", 41000 + i), "10.0.0.9:3389", Link::Ethernet);
        f.wait_ms(f64::from(i) * 5000.0);
        f.handshake().client_flags(FIN | ACK).server_flags(FIN | ACK).client_flags(ACK);
        all.extend(f.frames);
    }
    all.sort_by_key(|(t, _)| *t);
    let mut p = common::Pcap::new(Link::Ethernet.linktype(), false, true);
    for (t, f) in &all {
        p.packet(*t, f);
    }
    let r = run(&p.buf);
    let f = r.patterns.iter().find(|p| p.id == "pattern.health_probes").unwrap();
    assert!(f.summary.starts_with("health probes: 8 connect-and-close connections from 1 source(s)"), "{}", f.summary);
    assert!(f.evidence[0].contains("one every 5.0 s"), "{:?}", f.evidence);
    assert_eq!(f.severity, rdp_doctor_core::Severity::Info);
}

/// The real capture of a client refused TLS that retried with Standard RDP Security: one chain, the TLS
/// refusal its root and verdict, the retry its consequence.
#[test]
fn the_retry_with_standard_rdp_security_follows_from_the_tls_refusal() {
    let r = analyse_file(&data("zeek/rdp-proprietary-encryption.pcap"), &Options::default()).unwrap();
    assert_eq!(r.chains.len(), 1);
    let ch = &r.chains[0];
    assert_eq!(ch.verdict, "nego.ssl_not_allowed_by_server");
    assert_eq!(ch.summary, "#1 nego.ssl_not_allowed_by_server → #2 sec.rdp_proprietary_certificate");
    assert_eq!(r.verdict, "nego.ssl_not_allowed_by_server");
    let second = r.connections.iter().find(|c| c.id == 2).unwrap().chain.clone().unwrap();
    assert_eq!(second.caused_by, Some(1));
    assert!(second.how.contains("retried with Standard RDP Security"), "{}", second.how);
}
