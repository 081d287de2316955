//! The tools' outputs as Windows prints them. No Windows machine is available here: the Windows samples are
//! written in the layout of Microsoft's documentation and of published transcripts of these commands
//! (netstat -ano, tasklist /svc /fo csv, qwinsta), including a German-language netstat whose
//! State column is translated; the Wine outputs of the same commands are checked by
//! `crates/rdp-doctor/tests/host_wine.rs` on the real tools.

use super::*;

const NETSTAT: &str = include_str!("../tests/data/tools/netstat_ano.txt");

/// German Windows: the State column translated, everything read here unchanged.
const NETSTAT_DE: &str = include_str!("../tests/data/tools/netstat_ano_de.txt");

const TASKLIST: &str = include_str!("../tests/data/tools/tasklist_svc.csv");

const QWINSTA: &str = include_str!("../tests/data/tools/qwinsta.txt");

#[test]
fn netstat_listening_sockets_in_any_language() {
    let l = parse_netstat(NETSTAT);
    let on: Vec<(&str, Option<u32>)> = l.iter().filter(|x| x.port == 3389).map(|x| (x.local.as_str(), x.pid)).collect();
    assert_eq!(on, [("0.0.0.0:3389", Some(1168)), ("[::]:3389", Some(1168))]);
    let de = parse_netstat(NETSTAT_DE);
    assert_eq!(de, [Listening { local: "0.0.0.0:3389".into(), port: 3389, pid: Some(4242) }]);
    // Without -o: no PID column.
    let no_pid = parse_netstat("  TCP    0.0.0.0:3389           0.0.0.0:0              LISTENING\n");
    assert_eq!(no_pid[0].pid, None);
}

#[test]
fn tasklist_services_and_csv_quoting() {
    let p = parse_tasklist_svc(TASKLIST);
    assert_eq!(p.len(), 4);
    assert_eq!(p[1].services, ["RpcEptMapper", "RpcSs"]);
    assert_eq!(
        (p[2].image.as_str(), p[2].pid, p[2].services.as_slice()),
        ("svchost.exe", 1168, &["TermService".to_owned()][..])
    );
    assert!(p[3].services.is_empty());
    assert_eq!(csv_fields(r#""a ""b"", c","2""#), ["a \"b\", c", "2"]);
    assert!(parse_tasklist_svc("\"Image Name\",\"PID\",\"Services\"\n").is_empty());
}

#[test]
fn qwinsta_counts_the_listeners_connections() {
    assert_eq!(parse_qwinsta(QWINSTA), ["rdp-tcp#0", "rdp-tcp#7"]);
    assert!(parse_qwinsta("").is_empty());
}

fn ev_with_port(port: u32) -> HostEvidence {
    let mut ev = HostEvidence::new("live", 1_765_000_000);
    ev.settings.push(rdp_doctor_core::evidence::host::Setting {
        name: "PortNumber".into(),
        value: Some(port),
        text: format!("{port} (0x{port:X})"),
        source: rdp_doctor_core::evidence::host::SettingSource::Local,
        path: r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp\PortNumber".into(),
        overridden_local: None,
    });
    ev
}

const RUNNING: ServiceQuery = ServiceQuery::Status { state_code: 4, pid: Some(1168) };
const STOPPED: ServiceQuery = ServiceQuery::Status { state_code: 1, pid: None };

fn outputs(service: ServiceQuery, netstat: &str, qwinsta: &str) -> Outputs {
    Outputs {
        service: Some(Ok(service)),
        netstat: Some(ToolRun::output("netstat -ano", 0, netstat.as_bytes())),
        tasklist: Some(ToolRun::output("tasklist /svc /fo csv /nh", 0, TASKLIST.as_bytes())),
        qwinsta: Some(ToolRun::output("qwinsta", 0, qwinsta.as_bytes())),
        events: vec![],
        key_acl: None,
    }
}

#[test]
fn apply_healthy_server() {
    let mut ev = ev_with_port(3389);
    apply(&outputs(RUNNING, NETSTAT, QWINSTA), 0, &mut ev);
    let s = ev.service.clone().unwrap_or_default();
    assert_eq!((s.state.as_deref(), s.pid), (Some("RUNNING"), Some(1168)));
    assert_eq!(
        s.state_source.as_deref(),
        Some("service control manager: QueryServiceStatusEx(TermService): 4 RUNNING, PID 1168")
    );
    let l = ev.listener.clone().unwrap_or_default();
    assert_eq!(
        (l.process.as_deref(), l.pid, l.services.as_slice()),
        (Some("svchost.exe"), Some(1168), &["TermService".to_owned()][..])
    );
    assert_eq!(l.addresses, ["0.0.0.0:3389", "[::]:3389"]);
    assert_eq!(l.source, "netstat -ano; tasklist /svc /fo csv /nh");
    assert_eq!(ev.sessions_in_use, Some(2));
    assert_eq!(ev.sessions, ["rdp-tcp#0", "rdp-tcp#7"]);
    assert!(ev.limitations.is_empty(), "{:?}", ev.limitations);
}

#[test]
fn apply_stopped_service_other_process_and_nothing_listening() {
    let mut ev = ev_with_port(3389);
    let console_only =
        " SESSIONNAME  USERNAME  ID  STATE\n>console  Administrator  1  Active\n rdp-tcp  65536  Listen\n";
    apply(&outputs(STOPPED, NETSTAT_DE, console_only), 0, &mut ev);
    assert_eq!(ev.service.as_ref().and_then(|s| s.state.as_deref()), Some("STOPPED"));
    let l = ev.listener.clone().unwrap_or_default();
    assert_eq!((l.process.as_deref(), l.pid), (Some("nginx.exe"), Some(4242)));
    assert_eq!(ev.sessions_in_use, Some(0));

    let mut ev = ev_with_port(3390);
    apply(&outputs(ServiceQuery::NotInstalled, NETSTAT, QWINSTA), 0, &mut ev);
    assert_eq!(ev.service.as_ref().and_then(|s| s.state.as_deref()), Some("NOT_INSTALLED"));
    let l = ev.listener.clone().unwrap_or_default();
    assert_eq!((l.port, l.process.as_deref(), l.pid), (3390, None, None), "nothing listens on 3390");
}

#[test]
fn apply_says_what_the_tools_could_not_answer() {
    let mut ev = ev_with_port(3389);
    let failed = Outputs {
        service: Some(Err("OpenService(TermService): Access is denied. (os error 5)".into())),
        netstat: Some(ToolRun::output("netstat -ano", 0, b"  TCP    0.0.0.0:3389    0.0.0.0:0    LISTENING\n")),
        tasklist: None,
        qwinsta: Some(ToolRun {
            command: "qwinsta".into(),
            error: Some("cannot start it: not found".into()),
            ..Default::default()
        }),
        events: vec![(
            "Security".into(),
            ToolRun::output("wevtutil qe Security", 5, b"Failed to read events. Access is denied.\r\n"),
        )],
        key_acl: None,
    };
    apply(&failed, 0, &mut ev);
    assert!(ev.service.is_none() && ev.listener.is_none() && ev.sessions_in_use.is_none());
    let l = ev.limitations.join("\n");
    assert!(l.contains("The state of TermService was not read: OpenService(TermService): Access is denied"), "{l}");
    assert!(l.contains("Something listens on TCP 3389 (0.0.0.0:3389), but `netstat -ano` did not say which"), "{l}");
    assert!(l.contains("Sessions in use were not counted: `qwinsta`: cannot start it"), "{l}");
    assert!(l.contains("The Security event log was not read live"), "{l}");
    let files = &ev.events.as_ref().map(|e| e.files.clone()).unwrap_or_default();
    assert!(files[0].error.is_some());
}

#[test]
fn live_events_from_wevtutil_xml() {
    let xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-TerminalServices-RemoteConnectionManager' Guid='{C76BAA63-AE81-421C-B425-340B4B24157F}'/><EventID>1057</EventID><Version>0</Version><Level>2</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords><TimeCreated SystemTime='2025-12-06T08:00:00.0000000Z'/><EventRecordID>4711</EventRecordID><Correlation/><Execution ProcessID='1168' ThreadID='2200'/><Channel>System</Channel><Computer>RDS1</Computer><Security UserID='S-1-5-20'/></System><EventData><Data Name='ErrorCode'>0x8009000f</Data></EventData></Event>\r\n";
    let mut ev = ev_with_port(3389);
    let out = Outputs {
        events: vec![("System".into(), ToolRun::output("wevtutil qe System /f:xml", 0, xml.as_bytes()))],
        ..Default::default()
    };
    apply(&out, 1_764_000_000, &mut ev);
    let e = ev.events.clone().unwrap_or_default();
    assert_eq!(e.records.len(), 1);
    assert_eq!((e.records[0].event_id, e.records[0].record_id), (1057, 4711));
    assert_eq!(e.records[0].file, "live System");
    assert_eq!(e.files[0].records_of_interest, 1);
    // Outside the window: read, not kept.
    let mut ev = ev_with_port(3389);
    apply(&out, 1_766_000_000, &mut ev);
    assert!(ev.events.unwrap_or_default().records.is_empty());
}

#[test]
fn the_event_query_names_every_id_of_interest() {
    let q = event_query(86_400_000);
    assert!(q.starts_with("*[System[(EventID=") && q.ends_with("<= 86400000]]]"), "{q}");
    for id in [1057, 1058, 36870, 36874, 1006, 4625, 7031] {
        assert!(q.contains(&format!("EventID={id} ")) || q.contains(&format!("EventID={id})")), "{id}: {q}");
    }
}

proptest::proptest! {
    #[test]
    fn any_output_is_safe(s in ".{0,600}") {
        let _ = parse_netstat(&s);
        let _ = parse_tasklist_svc(&s);
        let _ = parse_qwinsta(&s);
        let mut ev = HostEvidence::new("live", 0);
        let run = ToolRun::output("x", 0, s.as_bytes());
        let out = Outputs { service: Some(Err(s.clone())), netstat: Some(run.clone()), tasklist: Some(run.clone()), qwinsta: Some(run.clone()), events: vec![("System".into(), run.clone())], key_acl: Some(run) };
        apply(&out, 0, &mut ev);
    }
}
