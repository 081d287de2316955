//! The two monitoring renderers (Prometheus metrics, Nagios plugin output) on reports from real captures
//! (the capture reader's corpus, `crates/rdp-doctor-pcap/tests/data`, sources in its SOURCES.md) and on one
//! live-shaped report built by hand (the security-layer matrix only exists in live checks), against
//! reviewed snapshots in `tests/data/`. `RDP_DOCTOR_BLESS=1` rewrites them after a deliberate change;
//! review the diff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::time::Duration;

use rdp_doctor_core::Report;
use rdp_doctor_monitor::metrics::{self, ProbeContext};
use rdp_doctor_monitor::nagios::{self, Range, Status, Thresholds};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The first (most failing) connection's report of a corpus capture.
fn capture(file: &str, ports: &[u16]) -> Report {
    let path = manifest().join("../rdp-doctor-pcap/tests/data").join(file);
    let opts = rdp_doctor_pcap::Options { ports: ports.to_vec(), ..rdp_doctor_pcap::Options::default() };
    let mut r = rdp_doctor_pcap::analyse_file(&path, &opts).unwrap_or_else(|e| panic!("{file}: {e}"));
    r.connections.remove(0).report
}

fn check_snapshot(name: &str, got: &str) {
    let path = manifest().join("tests/data").join(name);
    if std::env::var_os("RDP_DOCTOR_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with RDP_DOCTOR_BLESS=1)", path.display()));
    assert_eq!(got, want, "{name} differs from its snapshot (RDP_DOCTOR_BLESS=1 rewrites it; review the diff)");
}

const CTX: ProbeContext =
    ProbeContext { deadline: Some(Duration::from_millis(9500)), deadline_exceeded: false, cert_warning_days: Some(14) };

/// (file, ports, snapshot stem)
const CAPTURES: &[(&str, &[u16], &str)] = &[
    ("zeek/tls-expired-cert.pcap", &[443], "zeek_tls-expired-cert"),
    ("nDPI/selfsigned.pcap", &[3001], "nDPI_selfsigned"),
    ("nDPI/rdp.pcap", &[], "nDPI_rdp"),
    ("nDPI/synscan.pcap", &[], "nDPI_synscan"),
    ("suricata-verify/RDP-003.pcap", &[], "suricata-verify_RDP-003"),
    ("keylog/shadow-nla-dsb.pcapng", &[], "keylog_shadow-nla-dsb"),
];

#[test]
fn metrics_of_corpus_captures_match_their_snapshots() {
    for (file, ports, stem) in CAPTURES {
        let report = capture(file, ports);
        check_snapshot(&format!("metrics/{stem}.prom"), &metrics::render(&report, &CTX));
    }
}

#[test]
fn nagios_output_of_corpus_captures_matches_its_snapshots() {
    let th = Thresholds {
        warning: Some(Range::parse("1").unwrap()),
        critical: Some(Range::parse("3").unwrap()),
        cert_days: Some((14, 7)),
        ignore: vec![],
    };
    for (file, ports, stem) in CAPTURES {
        let report = capture(file, ports);
        let (status, text) = nagios::render(&report, &th, 1);
        check_snapshot(&format!("nagios/{stem}.txt"), &format!("exit {}\n{text}", status.code()));
    }
}

#[test]
fn an_expired_certificate_is_critical_with_its_days_in_the_perfdata() {
    let report = capture("zeek/tls-expired-cert.pcap", &[443]);
    let th = Thresholds { cert_days: Some((14, 7)), ..Thresholds::default() };
    let (status, text) = nagios::render(&report, &th, 0);
    assert_eq!(status, Status::Critical);
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("RDP CRITICAL - TLS: "), "{first}");
    assert!(first.contains("(cert.expired)"), "{first}");
    let days = report.evidence.tls.as_ref().unwrap().chain[0].days_left(report.evidence.observed_at_unix);
    assert!(days < 0);
    assert!(first.contains(&format!("'cert_days'={days};14:;7:;;")), "{first}");
}

#[test]
fn the_certificate_metrics_are_there_for_an_expired_certificate() {
    let report = capture("zeek/tls-expired-cert.pcap", &[443]);
    let text = metrics::render(&report, &CTX);
    let leaf = &report.evidence.tls.as_ref().unwrap().chain[0];
    let earliest = report.evidence.tls.as_ref().unwrap().chain.iter().map(|c| c.not_after_unix).min().unwrap();
    assert!(text.contains(&format!("probe_ssl_earliest_cert_expiry {}", earliest as f64)), "{text}");
    assert!(text.contains("probe_success 0"));
    assert!(text.contains("rdp_finding{id=\"cert.expired\",severity=\"fail\"} 1"));
    assert!(text.contains(&format!("rdp_cert_days_left {}", leaf.days_left(report.evidence.observed_at_unix) as f64)));
    assert!(text.ends_with("# EOF\n"));
}

/// Every `rdp_finding` ID of every corpus capture is a catalogue ID: the label set is bounded.
#[test]
fn finding_labels_come_from_the_catalogue() {
    for (file, ports, _) in CAPTURES {
        let text = metrics::render(&capture(file, ports), &CTX);
        for line in text.lines().filter(|l| l.starts_with("rdp_finding{")) {
            let id = line.split('"').nth(1).unwrap();
            assert!(rdp_doctor_core::catalogue::by_id(id).is_some(), "{id} is not in the catalogue");
        }
    }
}

/// A live-shaped report: xrdp's answers as recorded by the lab (RDP_NEG_RSP selecting PROTOCOL_SSL; the
/// matrix accepting PROTOCOL_RDP and PROTOCOL_SSL and refusing HYBRID with the failure xrdp sends), with
/// fixed timings and a real certificate from a capture. Built by hand because a live run's timings differ every time; the lab test checks the
/// same metrics against the real servers.
fn live_shaped() -> Report {
    use rdp_doctor_core::evidence::*;
    let target = Target {
        input: "127.0.0.1:3389".into(),
        host: "127.0.0.1".into(),
        port: 3389,
        ip: Some("127.0.0.1".parse().unwrap()),
    };
    let mut ev = Evidence::new(target, 1_560_000_000); // 2019-06-08: the certificate is valid then
    ev.tcp = Some(TcpEvidence {
        attempts: vec![TcpAttempt {
            addr: "127.0.0.1:3389".parse().unwrap(),
            outcome: TcpOutcome::Connected,
            duration_ms: 0.12,
            detail: None,
        }],
        timeout_ms: 2000,
    });
    let selected = |p: u32, name: &str| X224Outcome::Confirm {
        negotiation: NegotiationResult::Selected {
            protocol: p,
            protocol_names: vec![name.into()],
            flags: 1,
            flag_names: vec!["EXTENDED_CLIENT_DATA_SUPPORTED".into()],
        },
        anomalies: vec![],
    };
    ev.x224 = Some(X224Evidence {
        requested_protocols: 0x0b,
        requested_names: vec!["PROTOCOL_SSL".into(), "PROTOCOL_HYBRID".into(), "PROTOCOL_HYBRID_EX".into()],
        cookie_sent: false,
        request_hex: String::new(),
        response_hex: "0300001300d0000012340002010800010000 00".into(),
        outcome: selected(1, "PROTOCOL_SSL"),
        duration_ms: 1.5,
        timeout_ms: 2000,
    });
    let refused = X224Outcome::Confirm {
        negotiation: NegotiationResult::Failure { code: 5, name: "HYBRID_REQUIRED_BY_SERVER".into() },
        anomalies: vec![],
    };
    let row = |p: u32, name: &str, accepted: bool, outcome: X224Outcome| ProtocolProbe {
        protocol: p,
        name: name.into(),
        accepted,
        outcome: ProbeOutcome::Exchange { outcome },
        duration_ms: 1.0,
        from_main_offer: None,
    };
    ev.security_matrix = Some(vec![
        row(0, "PROTOCOL_RDP", true, selected(0, "PROTOCOL_RDP")),
        row(1, "PROTOCOL_SSL", true, selected(1, "PROTOCOL_SSL")),
        row(2, "PROTOCOL_HYBRID", false, selected(1, "PROTOCOL_SSL")),
        row(8, "PROTOCOL_HYBRID_EX", false, refused),
    ]);
    let mut tls = TlsEvidence::pending("rustls", "127.0.0.1", 2000);
    tls.outcome = TlsOutcome::Established;
    tls.version = Some("TLS 1.3".into());
    tls.cipher_suite = Some("TLS13_AES_256_GCM_SHA384".into());
    tls.duration_ms = 4.25;
    // A real certificate, from a capture (the lab's certificates are generated afresh each run).
    tls.chain = capture("nDPI/rdp.pcap", &[]).evidence.tls.unwrap().chain;
    tls.trust = Some(TrustVerdict { verifier: "test".into(), trusted: false, error: Some("UnknownIssuer".into()) });
    ev.tls = Some(tls);
    rdp_doctor_core::report::build(ev, 12.5)
}

#[test]
fn metrics_of_a_live_shaped_report_match_the_snapshot() {
    let report = live_shaped();
    let text = metrics::render(&report, &CTX);
    check_snapshot("metrics/live_shaped.prom", &text);
    assert!(text.contains("rdp_nla_required 0"));
    assert!(text.contains("rdp_standard_security_accepted 1"));
    assert!(text.contains("rdp_selected_protocol{protocol=\"PROTOCOL_SSL\"} 1"));
    assert!(text.contains("probe_tls_version_info{version=\"TLS 1.3\"} 1"));
    assert!(text.contains("rdp_cert_trusted 0"));
}

#[test]
fn a_deadline_exceeded_probe_never_reads_as_success() {
    let report = live_shaped();
    let ctx = ProbeContext { deadline_exceeded: true, ..CTX };
    assert!(!metrics::probe_success(&report, &ctx));
    assert!(metrics::render(&report, &ctx).contains("rdp_probe_deadline_exceeded 1"));
}

#[test]
fn thresholds_on_time_are_honoured_in_both_directions() {
    let report = capture("nDPI/rdp.pcap", &[]); // a warning (cert.name_mismatch), nothing failing
    let seconds = report.duration_ms / 1000.0;
    let ignore = vec!["cert.name_mismatch".to_owned(), "cert.self_signed".to_owned(), "cert.untrusted".to_owned()];
    let below = format!("{}", seconds * 2.0);
    let above = format!("{}", seconds / 2.0);
    let th = |w: &str, c: &str| Thresholds {
        warning: Some(Range::parse(w).unwrap()),
        critical: Some(Range::parse(c).unwrap()),
        cert_days: None,
        ignore: ignore.clone(),
    };
    let status = |t: Thresholds| nagios::render(&report, &t, 0).0;
    let others: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity >= rdp_doctor_core::Severity::Warn && !ignore.contains(&f.id.to_owned()))
        .map(|f| f.id)
        .collect();
    let base = if others.is_empty() { Status::Ok } else { Status::Warning };
    assert_eq!(status(th(&below, &below)), base, "{others:?}");
    assert_eq!(status(th(&above, &below)), Status::Warning);
    assert_eq!(status(th(&above, &above)), Status::Critical);
    assert_eq!(status(th(&format!("@0:{below}"), &below)), Status::Warning, "an inside range alerts inside");
}
