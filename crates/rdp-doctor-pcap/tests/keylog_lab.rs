//! A real lab capture with its real key log (tests/data/SOURCES.md, "keylog/"): rdp-doctor's own check
//! against FreeRDP's shadow server over TLS 1.3, captured with dumpcap. Decrypted, the capture shows what
//! the live check saw: the certificate TLS 1.3 hides (self-signed) and the server's NTLM CHALLENGE
//! inside CredSSP (`ntlm.host_info`, the same names).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use rdp_doctor_core::capture_report::CaptureReport;
use rdp_doctor_pcap::Options;
use rdp_doctor_pcap::keylog::KeyLog;

fn run(file: &str, keys: Option<&str>) -> CaptureReport {
    let keylog = keys.map(|k| {
        let mut log = KeyLog::default();
        log.add_text(&std::fs::read(common::data(k)).unwrap(), "the key log shadow-nla.keys");
        log
    });
    let opts = Options { ports: vec![20766], keylog, ..Options::default() };
    rdp_doctor_pcap::analyse_file(&common::data(file), &opts).unwrap()
}

fn ids(r: &CaptureReport) -> Vec<&'static str> {
    r.connections[0].report.findings.iter().map(|f| f.id).collect()
}

#[test]
fn lab_capture_decrypts_to_the_live_findings() {
    for (file, keys) in
        [("keylog/shadow-nla.pcapng", Some("keylog/shadow-nla.keys")), ("keylog/shadow-nla-dsb.pcapng", None)]
    {
        let r = run(file, keys);
        assert_eq!(r.connections.len(), 1);
        let rep = &r.connections[0].report;
        let d = rep.evidence.capture.as_ref().unwrap().decryption.clone().unwrap();
        assert!(d.decrypted, "{file}: {:?}", d.not_decrypted);
        assert_eq!(
            d.credssp,
            vec![
                "client TSRequest version 6: authentication token (NTLM NEGOTIATE)",
                "server TSRequest version 6: NTLM CHALLENGE"
            ]
        );
        // The certificate TLS 1.3 encrypted, read from the decrypted handshake and judged like check's.
        assert_eq!(rep.verdict, "cert.self_signed", "{file}: {:?}", ids(&r));
        let found = ids(&r);
        assert!(found.contains(&"ntlm.host_info"), "{found:?}");
        let ntlm = rep.evidence.credssp.as_ref().unwrap().ntlm.clone().unwrap();
        assert_eq!(ntlm.nb_computer_name.as_deref(), Some("VM"));
        assert_eq!(ntlm.os_version.as_deref(), Some("6.1.7601"));
        assert!(!rep.limitations.iter().any(|l| l.contains("TLS 1.3 encrypts")), "{:?}", rep.limitations);
    }
}

#[test]
fn lab_capture_without_secrets_stays_opaque() {
    let r = run("keylog/shadow-nla.pcapng", None);
    let rep = &r.connections[0].report;
    assert!(rep.evidence.capture.as_ref().unwrap().decryption.is_none());
    assert!(rep.evidence.credssp.is_none());
    assert_eq!(rep.verdict, "credssp.ended_by_client", "{:?}", ids(&r));
    assert!(!ids(&r).contains(&"ntlm.host_info"));
    assert!(rep.limitations.iter().any(|l| l.contains("TLS 1.3 encrypts")));
}
