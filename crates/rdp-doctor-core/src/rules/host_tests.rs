//! Event-based and live-only host rules, on records shaped as the evtx reader renders them (provider, ID,
//! channel, time, record number, file, EventData fields). The corpus has no real log with these records;
//! the registry-based rules are tested on real hives in `rdp-doctor-host/tests/`.

use super::*;
use crate::evidence::host::{EventsEvidence, ListenerEvidence, ServiceEvidence};
use crate::rules::testkit::{NOW, base};

fn event(provider: &str, id: u32, data: &[(&str, &str)]) -> HostEvent {
    HostEvent {
        provider: provider.to_owned(),
        event_id: id,
        channel: "System".to_owned(),
        time_unix: NOW - 600,
        time: "2026-11-20T23:50:00.0000000Z".to_owned(),
        record_id: 4711,
        file: "System.evtx".to_owned(),
        data: data.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        activity_id: None,
        level: None,
    }
}

fn run(h: HostEvidence) -> Vec<Finding> {
    let mut ev = base();
    ev.host = Some(h);
    crate::rules::evaluate(&ev)
}

fn with_events(records: Vec<HostEvent>) -> HostEvidence {
    let mut h = HostEvidence::new("evtx", NOW);
    h.events = Some(EventsEvidence { window_start_unix: NOW - 86_400, files: vec![], records, omitted: 0 });
    h
}

fn ids(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.id).collect()
}

#[test]
fn schannel_key_errors_and_certificate_creation_failures() {
    let f = run(with_events(vec![
        event("Schannel", 36870, &[("Type", "server"), ("ErrorCode", "0x8009030d")]),
        event("Microsoft-Windows-TerminalServices-RemoteConnectionManager", 1057, &[("ErrorCode", "0x8009000f")]),
    ]));
    assert_eq!(ids(&f), ["host.certificate_key_unusable", "host.certificate_creation_failed"]);
    let e = f[0].evidence.join("\n");
    assert!(
        e.contains("Schannel 36870 at 2026-11-20T23:50:00")
            && e.contains("record 4711 in System.evtx")
            && e.contains("ErrorCode=0x8009030d"),
        "{e}"
    );
}

#[test]
fn logon_type_not_granted_is_the_0x7_case() {
    let ok = event(
        "Microsoft-Windows-Security-Auditing",
        4625,
        &[("TargetUserName", "bob"), ("Status", "0xc000006d"), ("SubStatus", "0xc000006a")],
    );
    assert!(run(with_events(vec![ok])).is_empty(), "a wrong password is not a missing right");
    let denied = event(
        "Microsoft-Windows-Security-Auditing",
        4625,
        &[("TargetUserName", "alice"), ("LogonType", "10"), ("Status", "0xc000015b"), ("SubStatus", "0x0")],
    );
    let f = run(with_events(vec![denied]));
    assert_eq!(ids(&f), ["host.logon_right_missing"]);
    assert!(f[0].summary.contains("alice"), "{}", f[0].summary);
}

#[test]
fn termservice_failures_outstanding_connections_and_cipher_suites() {
    let other = event("Service Control Manager", 7031, &[("param1", "Print Spooler")]);
    assert!(run(with_events(vec![other])).is_empty(), "another service's failure says nothing about RDP");
    let f = run(with_events(vec![
        event("Service Control Manager", 7023, &[("param1", "Remote Desktop Services"), ("param2", "%%1067")]),
        event("Microsoft-Windows-TerminalServices-RemoteConnectionManager", 1006, &[]),
        event("Schannel", 36874, &[]),
    ]));
    assert_eq!(ids(&f), ["host.termservice_not_running", "host.outstanding_connections", "host.tls_no_common_suite"]);
}

#[test]
fn live_only_facts() {
    let mut h = HostEvidence::new("live", NOW);
    h.service = Some(ServiceEvidence { state: Some("Stopped".into()), ..ServiceEvidence::default() });
    h.listener = Some(ListenerEvidence {
        port: 3389,
        process: Some("nginx.exe".into()),
        pid: Some(42),
        ..ListenerEvidence::default()
    });
    h.settings.push(Setting {
        name: "MaxInstanceCount".into(),
        value: Some(2),
        text: "2".into(),
        source: SettingSource::Policy,
        path: r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\MaxInstanceCount".into(),
        overridden_local: None,
    });
    h.sessions_in_use = Some(2);
    let f = run(h.clone());
    assert_eq!(ids(&f), ["host.termservice_not_running", "host.port_other_process", "host.max_instances_reached"]);
    h.listener = Some(ListenerEvidence { port: 3389, ..ListenerEvidence::default() });
    h.sessions_in_use = Some(1);
    h.service = None;
    let f = run(h);
    assert_eq!(ids(&f), ["host.port_not_listening", "host.max_instances_low"]);
}

/// The listener is Remote Desktop Services when its PID is TermService's, or its process hosts TermService;
/// svchost.exe hosting other services only, or another PID than TermService's, is another process.
#[test]
fn the_port_owner_is_judged_by_pid_and_hosted_services() {
    let mut h = HostEvidence::new("live", NOW);
    h.service = Some(ServiceEvidence {
        state: Some("RUNNING".into()),
        pid: Some(1168),
        state_source: Some("service control manager: QueryServiceStatusEx(TermService): 4 RUNNING, PID 1168".into()),
        ..ServiceEvidence::default()
    });
    let listener = |process: &str, pid: u32, services: &[&str]| ListenerEvidence {
        port: 3389,
        process: Some(process.into()),
        pid: Some(pid),
        addresses: vec!["0.0.0.0:3389".into()],
        services: services.iter().map(|s| (*s).to_owned()).collect(),
        source: "netstat -ano; tasklist /svc /fo csv /nh".into(),
    };
    h.listener = Some(listener("svchost.exe", 1168, &["TermService"]));
    assert!(run(h.clone()).is_empty());
    h.listener = Some(listener("svchost.exe", 912, &["RpcEptMapper", "RpcSs"]));
    let f = run(h.clone());
    assert_eq!(ids(&f), ["host.port_other_process"]);
    let e = f[0].evidence.join("\n");
    assert!(e.contains("TCP 3389 is owned by svchost.exe (PID 912) on 0.0.0.0:3389 (netstat -ano"), "{e}");
    assert!(e.contains("services in that process: RpcEptMapper, RpcSs"), "{e}");
    assert!(e.contains("TermService runs in PID 1168 (service control manager"), "{e}");
    // Without the service's PID, the hosted services decide.
    h.service = None;
    h.listener = Some(listener("svchost.exe", 1168, &["TermService"]));
    assert!(run(h.clone()).is_empty());
    h.listener = Some(listener("svchost.exe", 912, &["RpcSs"]));
    assert_eq!(ids(&run(h)), ["host.port_other_process"]);
}

#[test]
fn nothing_read_nothing_said() {
    assert!(run(HostEvidence::new("hive", NOW)).is_empty());
}

#[test]
fn join_names_the_root_cause_seen_from_both_sides() {
    use crate::evidence::{TcpAttempt, TcpEvidence, TcpOutcome};
    let mut ev = base();
    ev.tcp = Some(TcpEvidence {
        attempts: vec![TcpAttempt {
            addr: "127.0.0.1:3389".parse().unwrap_or_else(|_| unreachable!()),
            outcome: TcpOutcome::Refused,
            duration_ms: 0.3,
            detail: None,
        }],
        timeout_ms: 3000,
    });
    let mut h = HostEvidence::new("hive", NOW);
    h.settings.push(Setting {
        name: "fDenyTSConnections".into(),
        value: Some(1),
        text: "1 (0x1)".into(),
        source: SettingSource::Local,
        path: r"HKLM\SYSTEM\ControlSet001\Control\Terminal Server\fDenyTSConnections".into(),
        overridden_local: None,
    });
    ev.host = Some(h);
    let r = crate::report::build(ev, 1.0);
    assert_eq!(r.verdict, "host.remote_connections_disabled");
    let tcp = r.findings.iter().find(|f| f.id == "tcp.refused").unwrap_or_else(|| unreachable!());
    assert_eq!(tcp.see_also, ["host.remote_connections_disabled"]);
    assert!(tcp.evidence.iter().any(|e| e.starts_with("seen on the host: host.remote_connections_disabled")));
    let host = &r.findings[0];
    assert!(host.evidence.iter().any(|e| e.starts_with("seen from the client: tcp.refused")), "{:?}", host.evidence);
    assert_eq!(r.layers.last().map(|l| l.name), Some(crate::report::LayerName::Host));
    // Without the host side nothing is linked.
    let mut alone = base();
    alone.tcp = r.evidence.tcp.clone();
    let r = crate::report::build(alone, 1.0);
    assert_eq!(r.verdict, "tcp.refused");
    assert!(r.findings.iter().all(|f| f.see_also.is_empty()));
}

#[test]
fn join_reset_after_client_hello_with_the_key_file_missing() {
    use crate::evidence::host::{KeyFileEvidence, KeyProvInfo, ListenerCertificate, StoredCertificate};
    let mut tls_failed =
        Finding::new(&c::TLS_HANDSHAKE_FAILED, "the server reset the connection after the ClientHello", vec![]);
    tls_failed.evidence.push("TLS: reset".into());
    let der_info = crate::cert::CertInfo::from_der(&[]);
    let mut h = HostEvidence::new("offline", NOW);
    h.certificate = Some(ListenerCertificate {
        selection: "self-signed".into(),
        found: Some(StoredCertificate {
            store: "Remote Desktop".into(),
            thumbprint: "AB".into(),
            path: "p".into(),
            der_hex: String::new(),
            info: der_info,
            key: Some(KeyProvInfo {
                container: "TSSecKeySet1".into(),
                provider: "p".into(),
                provider_type: 24,
                machine_keyset: true,
                key_spec: 1,
            }),
        }),
        key_file: Some(KeyFileEvidence {
            directory: "ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys".into(),
            expected_name: Some("f686aace6942fb7f7ceb231212eef4a4_x".into()),
            derivation: "d".into(),
            exists: Some(false),
            bytes: None,
            embedded_name: None,
            acl: None,
            service_account_can_read: None,
        }),
        ..ListenerCertificate::default()
    });
    let mut f = run(h);
    f.push(tls_failed);
    crate::rules::host_join::link(&mut f);
    crate::rules::sort(&mut f);
    assert_eq!(f[0].id, "host.certificate_key_file_missing");
    assert!(f[0].evidence.iter().any(|e| e.contains("seen from the client: tls.handshake_failed")));
    let tls = f.iter().find(|x| x.id == "tls.handshake_failed").unwrap_or_else(|| unreachable!());
    assert_eq!(tls.see_also, ["host.certificate_key_file_missing"]);
}
