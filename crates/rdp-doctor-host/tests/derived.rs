//! Findings that rest on event records and on the live tools, judged on realistically derived data rather
//! than on evidence built by hand:
//!
//! * a System log written as a real `.evtx` file (`rdp_doctor_lab::evtx`, from the XML `wevtutil qe /f:xml`
//!   prints) with the records Windows writes when the listener's certificate cannot be made (Remote
//!   Connection Manager 1057/1058), when Schannel cannot use the key (36870) or finds no common cipher suite
//!   (36874), when the listener refuses unfinished connections (1006) and when TermService dies (Service
//!   Control Manager 7031), read by the evtx reader `host --evtx` uses; and a healthy log that gives none.
//!   The corpus holds no real log with these records: their System and EventData fields follow the
//!   events' manifests as `wevtutil gp` lists them (provider names and GUIDs, `param1`… for the Service
//!   Control Manager).
//! * the real SYSTEM hive (with MaxInstanceCount set by hivexregedit) joined with the recorded outputs of
//!   `netstat -ano`, `tasklist /svc` and `qwinsta` (`tests/data/tools`) and the service control manager's
//!   answer, through the live collector's reader `live_tools::apply`: the service stopped, nothing or
//!   another program on the port, every allowed session in use; and the healthy outputs, which give none.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use rdp_doctor_host::live_tools::{self, Outputs, ServiceQuery, ToolRun};

const RCM: &str = "<Provider Name='Microsoft-Windows-TerminalServices-RemoteConnectionManager' Guid='{C76BAA63-AE81-421C-B425-340B4B24157F}'/>";
const SCHANNEL: &str = "<Provider Name='Schannel' Guid='{1F678132-5938-4686-9FDC-C8FF68F15C85}'/>";
const SCM: &str = "<Provider Name='Service Control Manager' Guid='{555908d1-a6d7-4695-8e1e-26931d2012f4}' EventSourceName='Service Control Manager'/>";

/// One System record as `wevtutil qe System /f:xml` prints it.
fn event(provider: &str, id: &str, level: u8, time: &str, record: u32, data: &str) -> String {
    format!(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>{provider}<EventID{id}</EventID><Version>0</Version><Level>{level}</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8080000000000000</Keywords><TimeCreated SystemTime='2026-11-20T{time}.0000000Z'/><EventRecordID>{record}</EventRecordID><Correlation/><Execution ProcessID='1168' ThreadID='2204'/><Channel>System</Channel><Computer>RDS1.corp.example</Computer><Security UserID='S-1-5-20'/></System><EventData>{data}</EventData></Event>\r\n"
    )
}

fn log(dir: &std::path::Path, name: &str, xml: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, rdp_doctor_lab::evtx::from_xml(xml).unwrap()).unwrap();
    p
}

fn evtx_inputs(p: &std::path::Path) -> rdp_doctor_host::offline::Inputs {
    rdp_doctor_host::offline::Inputs { evtx: vec![p.to_path_buf()], now: NOW, ..Default::default() }
}

#[test]
fn a_written_system_log_gives_the_certificate_key_suite_listener_and_service_findings() {
    let d = tempfile::tempdir().unwrap();
    let mut xml = event(RCM, ">1057", 2, "18:00:00", 9001, "<Data Name='ErrorCode'>0x80090016</Data>");
    xml += &event(RCM, ">1058", 2, "18:05:00", 9002, "<Data Name='ErrorCode'>0x80070005</Data>");
    xml += &event(
        SCHANNEL,
        " Qualifiers='49152'>36870",
        2,
        "19:00:00",
        9010,
        "<Data Name='Type'>server</Data><Data Name='ErrorCode'>0x8009030d</Data><Data Name='ErrorStatus'>10001</Data>",
    );
    xml += &event(SCHANNEL, " Qualifiers='49152'>36874", 2, "19:30:00", 9011, "<Data Name='Protocol'>TLS 1.0</Data>");
    xml += &event(RCM, ">1006", 3, "20:00:00", 9020, "");
    xml += &event(
        SCM,
        " Qualifiers='49152'>7031",
        2,
        "21:00:00",
        9030,
        "<Data Name='param1'>Remote Desktop Services</Data><Data Name='param2'>1</Data><Data Name='param3'>60000</Data><Data Name='param4'>1</Data><Data Name='param5'>Restart the service</Data><Binary>5400650072006D0053006500720076006900630065000000</Binary>",
    );
    // Another service's crash says nothing about Remote Desktop.
    xml += &event(
        SCM,
        " Qualifiers='49152'>7031",
        2,
        "21:10:00",
        9031,
        "<Data Name='param1'>Print Spooler</Data><Data Name='param2'>1</Data><Data Name='param3'>60000</Data><Data Name='param4'>1</Data><Data Name='param5'>Restart the service</Data>",
    );
    let p = log(d.path(), "System.evtx", &xml);
    let (host, r) = report(&evtx_inputs(&p));
    let f = &host.events.as_ref().unwrap().files[0];
    assert_eq!((f.records_read, f.records_of_interest, f.records_damaged), (7, 7, 0), "{f:?}");
    let mut got = ids(&r);
    got.sort_unstable();
    assert_eq!(
        got,
        [
            "host.certificate_creation_failed",
            "host.certificate_key_unusable",
            "host.outstanding_connections",
            "host.termservice_not_running",
            "host.tls_no_common_suite",
        ]
    );
    let (c, e) = finding(&r, "host.certificate_creation_failed");
    assert!(c.summary.contains("(2 event(s))"), "{}", c.summary);
    assert!(
        e.contains("Microsoft-Windows-TerminalServices-RemoteConnectionManager 1058 at 2026-11-20T18:05:00")
            && e.contains("(record 9002 in System.evtx): ErrorCode=0x80070005")
            && e.contains("1057 at 2026-11-20T18:00:00"),
        "{e}"
    );
    let (_, e) = finding(&r, "host.certificate_key_unusable");
    assert!(e.contains("Schannel 36870 at 2026-11-20T19:00:00") && e.contains("ErrorCode=0x8009030d"), "{e}");
    let (_, e) = finding(&r, "host.tls_no_common_suite");
    assert!(e.contains("Schannel 36874") && e.contains("Protocol=TLS 1.0"), "{e}");
    let (_, e) = finding(&r, "host.outstanding_connections");
    assert!(e.contains("1006 at 2026-11-20T20:00:00") && e.contains("record 9020"), "{e}");
    let (t, e) = finding(&r, "host.termservice_not_running");
    assert!(t.summary.contains("(1 event(s))"), "only TermService's crash: {}", t.summary);
    assert!(e.contains("param1=Remote Desktop Services") && !e.contains("Print Spooler"), "{e}");

    // A healthy day: the certificate made (1056), connections received (261), no finding.
    let ok = event(RCM, ">1056", 4, "18:00:00", 1, "")
        + &event(RCM, ">261", 4, "18:01:00", 2, "<Data Name='listenerName'>RDP-Tcp</Data>")
        + &event(
            SCM,
            " Qualifiers='16384'>7036",
            4,
            "18:02:00",
            3,
            "<Data Name='param1'>Remote Desktop Services</Data><Data Name='param2'>running</Data>",
        );
    let p = log(d.path(), "healthy.evtx", &ok);
    let (_, r) = report(&evtx_inputs(&p));
    assert!(r.findings.is_empty(), "{:?}", ids(&r));
}

fn tool(file: &str, command: &str) -> Option<ToolRun> {
    Some(ToolRun::output(command, 0, &std::fs::read(data(&format!("tools/{file}"))).unwrap()))
}

/// The real SYSTEM hive with MaxInstanceCount 2 (hivexregedit), collected as `host --hive` does, then the
/// tools' outputs applied as the live collector applies them.
fn judged(outputs: &Outputs) -> (rdp_doctor_core::evidence::host::HostEvidence, rdp_doctor_core::Report) {
    let d = tempfile::tempdir().unwrap();
    let h = system_variant(
        d.path(),
        "SYSTEM",
        &[(
            r"ControlSet001\Control\Terminal Server\WinStations\RDP-Tcp",
            Some(vec![("MaxInstanceCount", V::Dword(2))]),
        )],
    );
    let mut host = rdp_doctor_host::offline::collect(&hives(&[&h]));
    host.collection = "live".into();
    live_tools::apply(outputs, NOW - 86_400, &mut host);
    let mut ev = rdp_doctor_core::Evidence::new(
        rdp_doctor_core::evidence::Target { input: "h".into(), host: "h".into(), port: 3389, ip: None },
        NOW,
    );
    ev.host = Some(host.clone());
    (host, rdp_doctor_core::host_report::build(ev, 0.0))
}

#[test]
fn recorded_tool_outputs_on_a_real_hive_give_the_live_findings() {
    let healthy = Outputs {
        service: Some(Ok(ServiceQuery::Status { state_code: 4, pid: Some(1168) })),
        netstat: tool("netstat_ano.txt", "netstat -ano"),
        tasklist: tool("tasklist_svc.csv", "tasklist /svc /fo csv /nh"),
        qwinsta: Some(ToolRun::output("qwinsta", 0, b" SESSIONNAME  USERNAME  ID  STATE\r\n>console  Administrator  1  Active\r\n rdp-tcp#3  alice  2  Active\r\n rdp-tcp  65536  Listen\r\n")),
        events: vec![],
        key_acl: None,
    };
    let (host, r) = judged(&healthy);
    assert_eq!(host.value("PortNumber"), Some(3389), "the real hive's port");
    assert_eq!(host.sessions_in_use, Some(1));
    let live: Vec<&str> = ids(&r)
        .into_iter()
        .filter(|i| {
            ["termservice_not_running", "port_not_listening", "port_other_process", "max_instances_reached"]
                .iter()
                .any(|x| i.ends_with(x))
        })
        .collect();
    assert!(live.is_empty(), "a healthy server: {:?}", ids(&r));

    // Stopped, nothing on the port: the recorded stopped status and netstat without the 3389 listener.
    let netstat_without = String::from_utf8(std::fs::read(data("tools/netstat_ano.txt")).unwrap())
        .unwrap()
        .lines()
        .filter(|l| !l.contains(":3389"))
        .collect::<Vec<_>>()
        .join("\r\n");
    let stopped = Outputs {
        service: Some(Ok(ServiceQuery::Status { state_code: 1, pid: None })),
        netstat: Some(ToolRun::output("netstat -ano", 0, netstat_without.as_bytes())),
        qwinsta: tool("qwinsta.txt", "qwinsta"),
        ..healthy.clone()
    };
    let (_, r) = judged(&stopped);
    let (t, e) = finding(&r, "host.termservice_not_running");
    assert_eq!(t.summary, "TermService is STOPPED");
    assert!(
        e.contains(
            "TermService state: STOPPED (service control manager: QueryServiceStatusEx(TermService): 1 STOPPED)"
        ),
        "{e}"
    );
    let (_, e) = finding(&r, "host.port_not_listening");
    assert!(e.contains("no listening socket on TCP 3389 (netstat -ano)"), "{e}");
    assert!(e.contains(r"PortNumber = 3389"), "{e}");
    // Both allowed sessions in use (qwinsta lists rdp-tcp#0 and rdp-tcp#7; MaxInstanceCount 2 in the hive).
    let (m, e) = finding(&r, "host.max_instances_reached");
    assert_eq!(m.summary, "2 of 2 allowed sessions are in use");
    assert!(e.contains("2 session(s) in use: rdp-tcp#0, rdp-tcp#7") && e.contains("MaxInstanceCount = 2"), "{e}");

    // nginx on the port (the German-language netstat), TermService running elsewhere.
    let other = Outputs { netstat: tool("netstat_ano_de.txt", "netstat -ano"), ..healthy };
    let (_, r) = judged(&other);
    let (p, e) = finding(&r, "host.port_other_process");
    assert_eq!(p.summary, "nginx.exe listens on TCP 3389");
    assert!(e.contains("TCP 3389 is owned by nginx.exe (PID 4242) on 0.0.0.0:3389"), "{e}");
    assert!(e.contains("TermService runs in PID 1168 (service control manager"), "{e}");
    // The host layer lists what was read live.
    let details: Vec<String> = r.layers[0].details.iter().map(|d| format!("{}: {}", d.label, d.value)).collect();
    let details = details.join("\n");
    assert!(details.contains("TermService: RUNNING, PID 1168 (service control manager"), "{details}");
    assert!(
        details.contains(
            "listening on TCP 3389: nginx.exe (PID 4242) on 0.0.0.0:3389 (netstat -ano; tasklist /svc /fo csv /nh)"
        ),
        "{details}"
    );
    assert!(details.contains("sessions on the listener: 1: rdp-tcp#3"), "{details}");
    assert!(!ids(&r).contains(&"host.port_not_listening"), "{:?}", ids(&r));
}
