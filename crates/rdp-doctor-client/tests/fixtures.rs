//! The client's log fixtures (tests/data, wevtutil's XML form, built from the documented schema): attempts
//! grouped by ActivityID, every code decoded, failures told from successes, bad input named.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;

use rdp_doctor_client::collect::{self, Options};
use rdp_doctor_client::source;
use rdp_doctor_core::client_tables::Stage;
use rdp_doctor_core::evidence::client::{AttemptOutcome, ClientEvidence};
use rdp_doctor_core::evidence::{Evidence, Target};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn evidence(name: &str, opts: &Options) -> Result<ClientEvidence, String> {
    let r = source::read_file(&data(name))?;
    collect::evidence(&[(name.to_owned(), r)], "events", opts)
}

fn report(c: ClientEvidence) -> rdp_doctor_core::Report {
    let server = c.selected_attempt().and_then(|a| a.server.clone()).unwrap_or_default();
    let mut ev = Evidence::new(Target { input: server.clone(), host: server, port: 3389, ip: None }, 1_795_340_000);
    ev.client = Some(c);
    rdp_doctor_core::client_report::build(ev, 1.0)
}

#[test]
fn attempt_0x904_is_grouped_decoded_and_selected() {
    let c = evidence("attempt_0x904.xml", &Options { extended: Some(7), ..Options::default() }).unwrap();
    assert_eq!(c.attempts.len(), 2, "{:#?}", c.attempts);
    let failed = &c.attempts[0];
    assert_eq!(failed.number, 1);
    assert_eq!(failed.activity_id.as_deref(), Some("{5D2C8B1E-1A77-4C39-9E60-2B1C3E4F0002}"));
    assert_eq!(failed.server.as_deref(), Some("rds1.corp.example"));
    assert_eq!(failed.disconnect_reason, Some(0x904));
    assert_eq!(failed.reached, Stage::Credentials);
    assert_eq!(failed.outcome, AttemptOutcome::Failed);
    assert!(failed.events.iter().all(|e| !e.text.contains("37b1Qe")), "the user name hash is never quoted");
    let ok = &c.attempts[1];
    assert_eq!(ok.outcome, AttemptOutcome::LoggedOn, "the 08:00 attempt logged on and must not read as a failure");
    assert_eq!(ok.address.as_deref(), Some("10.20.0.15"));
    assert_eq!((ok.domain.as_deref(), ok.session_id), (Some("CORP"), Some(3)));
    assert_eq!(c.selected, Some(1), "the newest failed attempt is diagnosed");

    let r = report(c);
    assert_eq!(r.verdict, "client.attempt_failed");
    let f = &r.findings[0];
    assert!(
        f.summary.starts_with("at 09:14 UTC the client got 0x904/0x7 from rds1.corp.example during the logon"),
        "{}",
        f.summary
    );
    assert!(f.summary.contains("now: not checked"), "{}", f.summary);
    let ev = f.evidence.join("\n");
    assert!(ev.contains("2308 = 0x904: disconnectReasonAtClientWinsockFDCLOSE"), "{ev}");
    assert!(ev.contains("7 = 0x7: exDiscReasonServerDeniedConnection"), "{ev}");
    assert_eq!(r.layers[0].name, rdp_doctor_core::LayerName::Client);
    assert_eq!(r.layers[0].status, rdp_doctor_core::LayerStatus::Fail);
}

#[test]
fn attempt_picked_by_number_and_successful_one_is_not_a_failure() {
    let c = evidence("attempt_0x904.xml", &Options { attempt: Some(2), ..Options::default() }).unwrap();
    let r = report(c);
    assert_eq!(r.verdict, "ok", "{:?}", r.findings.iter().map(|f| f.id).collect::<Vec<_>>());
    assert_eq!(r.findings[0].id, "client.attempt_logged_on");
    let err = evidence("attempt_0x904.xml", &Options { attempt: Some(9), ..Options::default() }).unwrap_err();
    assert!(err.contains("no attempt #9"), "{err}");
}

#[test]
fn success_only_log_reads_as_success() {
    let c = evidence("success.xml", &Options::default()).unwrap();
    assert_eq!(c.attempts.len(), 1);
    assert_eq!(c.attempts[0].outcome, AttemptOutcome::LoggedOn);
    let r = report(c);
    assert_eq!(r.verdict, "ok");
    assert!(r.findings.iter().all(|f| f.severity < rdp_doctor_core::Severity::Warn));
}

#[test]
fn dns_failure() {
    let c = evidence("dns_failure.xml", &Options::default()).unwrap();
    let a = c.selected_attempt().unwrap();
    assert_eq!(a.outcome, AttemptOutcome::Failed);
    assert_eq!(a.disconnect_reason, Some(0x104));
    assert_eq!(a.errors[0].event_id, 1007);
    assert_eq!(a.errors[0].code, 11001);
    let r = report(c);
    let f = &r.findings[0];
    assert!(f.summary.contains("during name resolution (DNS)"), "{}", f.summary);
    assert!(f.evidence.join("\n").contains("disconnectReasonDNSLookupFailed"), "{:?}", f.evidence);
}

#[test]
fn ssl_phase_226_error() {
    let c = evidence("ssl_226.xml", &Options::default()).unwrap();
    let a = c.selected_attempt().unwrap();
    assert_eq!((a.server.as_deref(), a.port), (Some("rds2.corp.example"), Some(3390)));
    assert_eq!(a.errors[0].code, 0x8009_0331);
    assert_eq!(
        a.errors[0].context,
        "RDPClient_SSL: TsSslStateHandshakeStart → TsSslStateDisconnecting on TsSslEventHandshakeContinueFailed"
    );
    let r = report(c);
    let f = &r.findings[0];
    assert!(f.summary.contains("during the TLS handshake (RDPClient_SSL)"), "{}", f.summary);
    assert!(f.evidence.join("\n").contains("SEC_E_ALGORITHM_MISMATCH"), "{:?}", f.evidence);
}

#[test]
fn gateway_failure_with_the_analytic_events() {
    let c = evidence("gateway_failure.xml", &Options::default()).unwrap();
    let a = c.selected_attempt().unwrap();
    assert_eq!(a.gateway.as_deref(), Some("gw.corp.example"));
    assert_eq!(a.disconnect_reason, Some(0x300_001C));
    assert_eq!(a.errors[0].code, 0x8007_59DA);
    let r = report(c);
    let f = &r.findings[0];
    assert!(f.summary.contains("during the RD Gateway connection"), "{}", f.summary);
    let ev = f.evidence.join("\n");
    assert!(ev.contains("GATEWAY_UNAUTHORIZED") && ev.contains("E_PROXY_RAP_ACCESSDENIED"), "{ev}");
}

#[test]
fn records_without_activity_id_group_by_order() {
    let text = std::fs::read_to_string(data("attempt_0x904.xml")).unwrap();
    let stripped = regex_free_strip(&text);
    let r = source::from_xml_bytes(stripped.as_bytes(), "no-activity.xml");
    assert!(r.records.iter().all(|e| e.activity_id.is_none()));
    let c = collect::evidence(&[("x".into(), r)], "events", &Options::default()).unwrap();
    assert_eq!(c.attempts.len(), 2);
    assert_eq!(c.attempts[0].outcome, AttemptOutcome::Failed);
    assert_eq!(c.attempts[1].outcome, AttemptOutcome::LoggedOn);
}

/// Replaces every `<Correlation ActivityID='…'/>` with `<Correlation/>`.
fn regex_free_strip(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("<Correlation ActivityID=") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find("/>").unwrap() + 2;
        out.push_str("<Correlation/>");
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn bad_input_gives_a_clear_message() {
    let other = evidence("other_channel.xml", &Options::default()).unwrap_err();
    assert!(other.contains("2 event record(s), none from the Remote Desktop client"), "{other}");
    assert!(other.contains("System (2)"), "{other}");
    let empty = evidence("empty.xml", &Options::default()).unwrap_err();
    assert!(empty.contains("no event records"), "{empty}");
    // A cut file keeps the complete records before the cut and says so.
    let cut = evidence("truncated.xml", &Options::default()).unwrap();
    assert!(cut.read_error.as_deref().unwrap_or_default().contains("cut short"), "{:?}", cut.read_error);
    assert_eq!(cut.attempts[0].outcome, AttemptOutcome::Unfinished, "{:#?}", cut.attempts[0]);
    assert!(cut.limitations.iter().any(|l| l.contains("could not be read to its end")));
    let garbage = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(garbage.path(), b"MZ\x90\x00 not a log").unwrap();
    let e = source::read_file(garbage.path()).unwrap_err();
    assert!(e.contains("neither an event log (.evtx) nor event XML"), "{e}");
}

#[test]
fn utf16_export_as_powershell_writes_it() {
    let text = std::fs::read_to_string(data("dns_failure.xml")).unwrap();
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let r = source::from_xml_bytes(&bytes, "dns.xml");
    assert_eq!(r.records.len(), 3);
}

#[test]
fn window_and_since() {
    // --since after every attempt: a clear message, not an empty report.
    let e = evidence("attempt_0x904.xml", &Options { since: Some(1_900_000_000), ..Options::default() }).unwrap_err();
    assert!(e.contains("no connection attempt in the window") && e.contains("2 older"), "{e}");
}

/// The registry-backed client findings both ways, from an in-memory registry (the same `Registry` view the
/// live reader and Wine give): switches that change the outcome make findings, their harmless values none.
#[test]
fn client_settings_findings_both_ways() {
    use rdp_doctor_host::registry::RegData;
    use rdp_doctor_host::registry::memory::MemRegistry;
    let tls = r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client";
    let oracle = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters";
    let winhttp = rdp_doctor_core::client_tables::WINHTTP_KEY;
    let blob = |proxy: &[u8]| {
        let mut b = vec![0x18, 0, 0, 0, 5, 0, 0, 0, if proxy.is_empty() { 1 } else { 3 }, 0, 0, 0];
        b.extend((proxy.len() as u32).to_le_bytes());
        b.extend(proxy);
        b.extend(0u32.to_le_bytes());
        b
    };
    let ids = |r: &MemRegistry| {
        let mut c = evidence("ssl_226.xml", &Options::default()).unwrap();
        rdp_doctor_client::settings::read_into(r, Some("rds2.corp.example"), Some(3390), &mut c);
        report(c).findings.iter().map(|f| f.id).collect::<Vec<_>>()
    };
    let mut bad = MemRegistry::default();
    bad.set(tls, "Enabled", RegData::Dword(0));
    bad.set(oracle, "AllowEncryptionOracle", RegData::Dword(2));
    bad.set(winhttp, "WinHttpSettings", RegData::Binary(blob(b"proxy.corp.example:8080")));
    let got = ids(&bad);
    for want in ["client.tls12_disabled", "client.encryption_oracle_vulnerable", "client.winhttp_proxy"] {
        assert!(got.contains(&want), "{want} missing: {got:?}");
    }
    let mut force = MemRegistry::default();
    force.set(oracle, "AllowEncryptionOracle", RegData::Dword(0));
    assert!(ids(&force).contains(&"client.encryption_oracle_force"));
    let mut fine = MemRegistry::default();
    fine.set(tls, "Enabled", RegData::Dword(1));
    fine.set(oracle, "AllowEncryptionOracle", RegData::Dword(1));
    fine.set(winhttp, "WinHttpSettings", RegData::Binary(blob(b"")));
    let got = ids(&fine);
    assert_eq!(got, vec!["client.attempt_failed"], "harmless values make no finding");
}
