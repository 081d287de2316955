//! What Windows' own command-line tools print (and what the service control manager answers), read for the
//! live collector: the parts of the server that live outside the registry (the service's state, who listens
//! on the port, the sessions, the event log, the key file's ACL), with no `unsafe` code of ours (the workspace
//! forbids it). Only columns and fields that do not depend on the display language are read:
//!
//! * TermService's state and process come from the service control manager itself (`live.rs`, through the
//!   `windows-service` crate's safe wrappers of OpenService/QueryServiceStatusEx): [`ServiceQuery`].
//! * `netstat -ano`: `Proto  Local Address  Foreign Address  State  PID`, TCP and TCPv6 lines; a socket
//!   listens when its foreign address is the unspecified one with port 0 (`0.0.0.0:0`, `[::]:0`): the
//!   State column is translated (`LISTENING`, `ABHÖREN`), the addresses and the PID are not.
//! * `tasklist /svc /fo csv /nh`: `"Image Name","PID","Services"` in CSV, one process a line.
//! * `qwinsta` (query session): the session name column; every connection on the RDP-Tcp listener is a
//!   WinStation named `rdp-tcp#N` (the listener itself is `rdp-tcp`), whatever the language.
//! * `wevtutil qe CHANNEL /q:XPATH /f:xml /rd:true /c:N`: the records as XML, read by `events_xml`.
//! * `(Get-Acl -LiteralPath KEYFILE).Sddl` (PowerShell): the key file's ACL in SDDL, read by `sddl.rs`.
//!
//! Pure and bounded: [`apply`] turns recorded outputs and answers into evidence and limitations, so all of it
//! is tested on Linux; `live.rs` only runs the programs (with a deadline and an output bound).

use rdp_doctor_core::evidence::host::{EventsEvidence, EvtxFile, HostEvidence, ListenerEvidence};

use crate::events::{self, Selection};
use crate::events_xml;

/// At most this many lines of one tool's output are read.
const MAX_LINES: usize = 100_000;
/// ERROR_SERVICE_DOES_NOT_EXIST (winerror.h).
pub const ERROR_SERVICE_DOES_NOT_EXIST: i32 = 1060;
/// ERROR_ACCESS_DENIED (winerror.h).
pub const ERROR_ACCESS_DENIED: i32 = 5;

/// One run of a tool: its command line, exit code and stdout, or why it could not be run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolRun {
    pub command: String,
    pub exit: Option<i32>,
    pub stdout: Vec<u8>,
    /// The start of what it wrote to stderr (where wevtutil and PowerShell say why they failed).
    pub stderr: Vec<u8>,
    /// The program could not be started or was stopped at its deadline.
    pub error: Option<String>,
}

impl ToolRun {
    /// A run that printed `stdout` and exited with `exit`.
    pub fn output(command: &str, exit: i32, stdout: &[u8]) -> Self {
        Self { command: command.to_owned(), exit: Some(exit), stdout: stdout.to_vec(), ..Self::default() }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Why this run says nothing, when it says nothing: not started, stopped, or a failing exit.
    fn failure(&self) -> Option<String> {
        if let Some(e) = &self.error {
            return Some(format!("`{}`: {e}", self.command));
        }
        match self.exit {
            Some(0) => None,
            Some(ERROR_ACCESS_DENIED) => {
                Some(format!("`{}`: access denied (run from an elevated prompt to read it)", self.command))
            }
            Some(c) => {
                let err = String::from_utf8_lossy(&self.stderr).into_owned();
                let text = self.text();
                let first = text
                    .lines()
                    .chain(err.lines())
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or_default()
                    .to_owned();
                let said = if first.is_empty() { String::new() } else { format!(": {}", bounded(&first, 200)) };
                Some(format!("`{}` exited with {c}{said}", self.command))
            }
            None => Some(format!("`{}` gave no exit code", self.command)),
        }
    }
}

fn bounded(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { s.chars().take(n).chain(['…']).collect() }
}

/// What the service control manager said about TermService.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceQuery {
    /// `SERVICE_STATUS_PROCESS.dwCurrentState` and `dwProcessId` (`None` when 0: not running).
    Status { state_code: u32, pid: Option<u32> },
    /// ERROR_SERVICE_DOES_NOT_EXIST.
    NotInstalled,
}

/// How the service's state is named in evidence.
pub const SCM_SOURCE: &str = "service control manager: QueryServiceStatusEx(TermService)";

/// `dwCurrentState` by its winsvc.h name.
pub fn state_name(code: u32) -> &'static str {
    match code {
        1 => "STOPPED",
        2 => "START_PENDING",
        3 => "STOP_PENDING",
        4 => "RUNNING",
        5 => "CONTINUE_PENDING",
        6 => "PAUSE_PENDING",
        7 => "PAUSED",
        _ => "UNKNOWN",
    }
}

/// One listening TCP socket from `netstat -ano`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listening {
    pub local: String,
    pub port: u16,
    /// `None` when the output has no PID column (netstat without `-o`).
    pub pid: Option<u32>,
}

/// The port of `1.2.3.4:3389` or `[::]:3389`.
fn port_of(addr: &str) -> Option<u16> {
    addr.rsplit_once(':')?.1.parse().ok()
}

/// The listening TCP sockets of `netstat -ano` output (any language).
pub fn parse_netstat(text: &str) -> Vec<Listening> {
    let mut out = Vec::new();
    for line in text.lines().take(MAX_LINES) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let (Some(proto), Some(local), Some(foreign)) = (cols.first(), cols.get(1), cols.get(2)) else { continue };
        if !proto.eq_ignore_ascii_case("TCP") && !proto.eq_ignore_ascii_case("TCPv6") {
            continue;
        }
        let unspecified = foreign
            .rsplit_once(':')
            .is_some_and(|(a, p)| p == "0" && matches!(a, "0.0.0.0" | "[::]" | "*" | "[::0]" | "[0:0:0:0:0:0:0:0]"));
        let Some(port) = port_of(local).filter(|_| unspecified) else { continue };
        // The PID is the last column when there are five (Proto, Local, Foreign, State, PID).
        let pid = if cols.len() >= 5 { cols.last().and_then(|p| p.parse().ok()) } else { None };
        out.push(Listening { local: (*local).to_owned(), port, pid });
    }
    out
}

/// One process from `tasklist /svc /fo csv /nh`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub image: String,
    pub pid: u32,
    /// Services hosted in the process (empty for `N/A` and its translations).
    pub services: Vec<String>,
}

/// The fields of one CSV line (double quotes, `""` inside quotes).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
        if out.len() > 16 || cur.len() > 4096 {
            break;
        }
    }
    out.push(cur);
    out
}

/// The processes of `tasklist /svc /fo csv /nh` (a header line, when present, is skipped: its PID column
/// is not a number).
pub fn parse_tasklist_svc(text: &str) -> Vec<Process> {
    text.lines()
        .take(MAX_LINES)
        .filter_map(|line| {
            let f = csv_fields(line.trim());
            let pid = f.get(1)?.trim().parse().ok()?;
            let services = f
                .get(2)
                .map(|s| {
                    s.split(',')
                        .map(str::trim)
                        // Service names have no spaces or slashes; `N/A` (translated or not) is none.
                        .filter(|s| !s.is_empty() && !s.contains('/') && !s.contains(' '))
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            Some(Process { image: f.first()?.trim().to_owned(), pid, services })
        })
        .collect()
}

/// The connections on the RDP-Tcp listener in `qwinsta` output: the `rdp-tcp#N` session names (a leading
/// `>` marks the caller's own session).
pub fn parse_qwinsta(text: &str) -> Vec<String> {
    text.lines()
        .take(MAX_LINES)
        .filter_map(|l| l.split_whitespace().next())
        .map(|n| n.trim_start_matches('>'))
        .filter(|n| n.len() > 8 && n.get(..8).is_some_and(|p| p.eq_ignore_ascii_case("rdp-tcp#")))
        .map(str::to_owned)
        .collect()
}

/// What the live collector asked the tools, for [`apply`].
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    /// The service control manager's answer about TermService, or why there is none.
    pub service: Option<Result<ServiceQuery, String>>,
    /// `netstat -ano` (TCP and TCPv6).
    pub netstat: Option<ToolRun>,
    /// `tasklist /svc /fo csv /nh`.
    pub tasklist: Option<ToolRun>,
    /// `qwinsta`.
    pub qwinsta: Option<ToolRun>,
    /// `wevtutil qe CHANNEL …` per channel.
    pub events: Vec<(String, ToolRun)>,
    /// `(Get-Acl -LiteralPath KEYFILE).Sddl` for the listener's key file, when it exists.
    pub key_acl: Option<ToolRun>,
}

/// The event channels the live collector queries: where `host_tables::EVENTS` records are written.
pub const CHANNELS: &[&str] = &[
    "System",
    "Security",
    "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
    "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
    "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",
];

/// The XPath query for the records of interest of the last `window_ms` milliseconds.
pub fn event_query(window_ms: i64) -> String {
    let mut ids: Vec<u32> = rdp_doctor_core::host_tables::EVENTS.iter().map(|d| d.id).collect();
    ids.sort_unstable();
    ids.dedup();
    let ids: Vec<String> = ids.iter().map(|i| format!("EventID={i}")).collect();
    format!("*[System[({}) and TimeCreated[timediff(@SystemTime) <= {}]]]", ids.join(" or "), window_ms.max(0))
}

/// Turns the tools' outputs into evidence: the service's state and PID, who listens on `PortNumber`,
/// the sessions on the listener, the event records of interest since `window_start`; every tool that
/// could not answer becomes a limitation naming it.
pub fn apply(out: &Outputs, window_start: i64, ev: &mut HostEvidence) {
    let mut limits = Vec::new();
    let port = ev.value("PortNumber").and_then(|p| u16::try_from(p).ok()).unwrap_or(3389);
    if let Some(answer) = &out.service {
        match answer {
            Ok(q) => {
                let svc = ev.service.get_or_insert_with(|| rdp_doctor_core::evidence::host::ServiceEvidence {
                    path: r"HKLM\SYSTEM\CurrentControlSet\Services\TermService".to_owned(),
                    ..Default::default()
                });
                match q {
                    ServiceQuery::NotInstalled => {
                        svc.state = Some("NOT_INSTALLED".to_owned());
                        svc.pid = None;
                        svc.state_source = Some(format!("{SCM_SOURCE}: error 1060, the service does not exist"));
                    }
                    ServiceQuery::Status { state_code, pid } => {
                        let name = state_name(*state_code);
                        svc.state = Some(name.to_owned());
                        svc.pid = *pid;
                        svc.state_source = Some(format!(
                            "{SCM_SOURCE}: {state_code} {name}{}",
                            pid.map(|p| format!(", PID {p}")).unwrap_or_default()
                        ));
                    }
                }
            }
            Err(why) => limits.push(format!("The state of TermService was not read: {why}")),
        }
    }
    if let Some(run) = &out.netstat {
        match run.failure() {
            Some(why) => limits.push(format!("Who listens on TCP {port} was not read: {why}")),
            None => {
                let all = parse_netstat(&run.text());
                let on_port: Vec<&Listening> = all.iter().filter(|l| l.port == port).collect();
                let pids: Vec<u32> = {
                    let mut p: Vec<u32> = on_port.iter().filter_map(|l| l.pid).collect();
                    p.dedup();
                    p
                };
                if all.is_empty() {
                    // A running Windows always listens somewhere (RPC on 135, SMB on 445): a list without
                    // any listening socket is not an answer (Wine's netstat lists none).
                    limits.push(format!(
                        "Who listens on TCP {port} was not read: `{}` listed no listening socket at all",
                        run.command
                    ));
                } else if !on_port.is_empty() && pids.is_empty() {
                    limits.push(format!(
                        "Something listens on TCP {port} ({}), but `{}` did not say which process",
                        on_port.iter().map(|l| l.local.as_str()).collect::<Vec<_>>().join(", "),
                        run.command
                    ));
                } else {
                    // The first listening process (the RDP listener binds IPv4 and IPv6 in one process).
                    let pid = pids.first().copied();
                    let proc = pid.and_then(|p| {
                        out.tasklist
                            .as_ref()
                            .filter(|t| t.failure().is_none())
                            .and_then(|t| parse_tasklist_svc(&t.text()).into_iter().find(|x| x.pid == p))
                    });
                    let mut source = run.command.clone();
                    if let Some(t) = out.tasklist.as_ref().filter(|_| proc.is_some()) {
                        source.push_str(&format!("; {}", t.command));
                    }
                    if pid.is_some() && proc.is_none() {
                        let why =
                            out.tasklist.as_ref().and_then(ToolRun::failure).unwrap_or_else(|| "not listed".into());
                        limits.push(format!("The name of the process listening on TCP {port} was not read: {why}"));
                    }
                    ev.listener = Some(ListenerEvidence {
                        port,
                        process: pid.map(|p| proc.as_ref().map_or_else(|| format!("PID {p}"), |x| x.image.clone())),
                        pid,
                        addresses: on_port.iter().filter(|l| l.pid == pid).map(|l| l.local.clone()).collect(),
                        services: proc.map(|x| x.services).unwrap_or_default(),
                        source,
                    });
                }
            }
        }
    }
    if let Some(run) = &out.qwinsta {
        match run.failure() {
            Some(why) => limits.push(format!("Sessions in use were not counted: {why}")),
            // qwinsta always lists the services and console sessions: no output is no answer.
            None if run.stdout.iter().all(u8::is_ascii_whitespace) => {
                limits.push(format!("Sessions in use were not counted: `{}` printed nothing", run.command));
            }
            None => {
                let names = parse_qwinsta(&run.text());
                ev.sessions_in_use = Some(u32::try_from(names.len()).unwrap_or(u32::MAX));
                ev.sessions = names.into_iter().take(64).collect();
            }
        }
    }
    if !out.events.is_empty() {
        let mut evidence = EventsEvidence { window_start_unix: window_start, ..Default::default() };
        let mut records = Vec::new();
        for (channel, run) in &out.events {
            let mut f = EvtxFile { path: run.command.clone(), channel: Some(channel.clone()), ..Default::default() };
            f.bytes = run.stdout.len() as u64;
            match run.failure() {
                Some(why) => {
                    f.error = Some(why.clone());
                    limits.push(format!("The {channel} event log was not read live: {why}"));
                }
                None => {
                    let xml = events_xml::decode(&run.stdout);
                    let read = events_xml::read(&xml, &format!("live {channel}"), Some(window_start), &HOST_LIVE);
                    f.records_read = read.events_read;
                    f.records_damaged = read.damaged;
                    f.records_of_interest = read.kept.len() as u64;
                    f.newest_unix = read.kept.iter().map(|e| e.time_unix).max();
                    f.error = read.error;
                    records.extend(read.kept);
                }
            }
            evidence.files.push(f);
        }
        let total = records.len();
        events::trim(&mut records);
        evidence.omitted = total.saturating_sub(records.len());
        evidence.records = records;
        ev.events = Some(evidence);
    }
    if let Some(run) = &out.key_acl {
        key_acl(run, ev, &mut limits);
    }
    ev.limitations.extend(limits);
}

/// The key file's ACL (SDDL) judged for the account TermService runs as.
fn key_acl(run: &ToolRun, ev: &mut HostEvidence, limits: &mut Vec<String>) {
    let account = ev.service.as_ref().and_then(|s| s.account.clone());
    let sid_type = ev.service.as_ref().and_then(|s| s.sid_type);
    let Some(kf) = ev.certificate.as_mut().and_then(|c| c.key_file.as_mut()).filter(|k| k.exists == Some(true)) else {
        return;
    };
    let text = run.text();
    let parsed = run.failure().map_or_else(
        || {
            crate::sddl::parse_dacl(text.trim())
                .ok_or_else(|| format!("`{}` printed no security descriptor", run.command))
        },
        Err,
    );
    match (parsed, account) {
        (Err(why), _) => limits.push(format!("The key file's ACL was not read: {why}")),
        (Ok((aces, null)), account) => {
            let mut lines: Vec<String> = aces.iter().map(crate::sddl::Ace::describe).collect();
            if null {
                lines.push("no DACL (everyone has access)".to_owned());
            }
            lines.push(format!("read with `{}`", run.command));
            kf.acl = Some(lines);
            match account {
                Some(a) => {
                    let sids = crate::sddl::service_sids(&a, sid_type);
                    kf.service_account_can_read = Some(crate::sddl::can_read(&aces, null, &sids));
                }
                None => limits.push(
                    "The key file's ACL was read, but not TermService's account (ObjectName): who may read it \
                     is not judged"
                        .to_owned(),
                ),
            }
        }
    }
}

/// The host selection (the live query already asked for these IDs; the provider is checked here).
const HOST_LIVE: Selection = events::HOST;

#[cfg(test)]
#[path = "live_tools_tests.rs"]
mod tests;
