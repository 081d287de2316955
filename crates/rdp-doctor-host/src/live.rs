//! Live collection on the Windows server itself (`rdp-doctor host` with no input), read-only: the registry
//! through `winreg`'s safe wrappers (no `unsafe` here), fed to the same collector as the offline hives, and
//! the listener's key file in MachineKeys, and the logon rights and local groups from HKLM\SECURITY and
//! HKLM\SAM when this runs as SYSTEM (the same reader as the offline hives). TermService's state and process
//! come from the service control manager (the `windows-service` crate's safe wrappers); who listens on the
//! port, the sessions and the event log from Windows' own tools (`netstat -ano`, `tasklist /svc`, `qwinsta`,
//! `wevtutil qe … /f:xml`), run here with a deadline and an output bound. Both are read by the pure
//! `live_tools` (tested on Linux). What needs an elevated prompt, and what a source could not answer, is
//! said in the limitations. The listener's key file's ACL comes from PowerShell's `Get-Acl` as SDDL (`sddl.rs`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rdp_doctor_core::evidence::host::HostEvidence;
use winreg::RegKey;
use winreg::enums::{HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, KEY_READ, KEY_WOW64_64KEY};

use crate::collect::{self, KeyFileFacts, KeyFiles};
use crate::live_tools::{self, Outputs, ServiceQuery, ToolRun};
use crate::registry::{RegData, Registry, Root, split_hkey};

/// The live registry (HKLM, the 64-bit view, and the current user's HKCU), read-only.
#[derive(Default)]
pub struct LiveRegistry {
    problems: std::cell::RefCell<Vec<String>>,
}

impl LiveRegistry {
    /// A reader of the live registry.
    pub fn new() -> Self {
        Self::default()
    }

    fn open(&self, key: &str) -> Option<RegKey> {
        let (root, path) = split_hkey(key)?;
        let (hkey, root_name) = match root {
            Root::LocalMachine => (HKEY_LOCAL_MACHINE, "HKLM"),
            Root::CurrentUser => (HKEY_CURRENT_USER, "HKCU"),
        };
        match RegKey::predef(hkey).open_subkey_with_flags(path, KEY_READ | KEY_WOW64_64KEY) {
            Ok(k) => Some(k),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                let mut p = self.problems.borrow_mut();
                let msg = if e.kind() == std::io::ErrorKind::PermissionDenied {
                    format!("{root_name}\\{path}: access denied (run from an elevated prompt to read it)")
                } else {
                    format!("{root_name}\\{path}: {e}")
                };
                if p.len() < 32 && !p.contains(&msg) {
                    p.push(msg);
                }
                None
            }
        }
    }
}

fn convert(v: winreg::RegValue<'_>) -> RegData {
    let bytes = v.bytes.into_owned();
    let le32 = |b: &[u8]| b.get(..4).and_then(|s| <[u8; 4]>::try_from(s).ok()).map(u32::from_le_bytes);
    let utf16 = |b: &[u8]| {
        let units: Vec<u16> = b.as_chunks::<2>().0.iter().map(|c| u16::from_le_bytes(*c)).collect();
        String::from_utf16_lossy(&units)
    };
    match v.vtype as u32 {
        4 => le32(&bytes).map_or(RegData::Other(4, bytes.clone()), RegData::Dword),
        11 => bytes
            .get(..8)
            .and_then(|s| <[u8; 8]>::try_from(s).ok())
            .map_or(RegData::Other(11, bytes.clone()), |b| RegData::Qword(u64::from_le_bytes(b))),
        1 | 2 => RegData::Sz(utf16(&bytes).trim_end_matches('\0').to_owned()),
        7 => RegData::MultiSz(utf16(&bytes).split('\0').filter(|s| !s.is_empty()).map(str::to_owned).collect()),
        3 => RegData::Binary(bytes),
        t => RegData::Other(t, bytes),
    }
}

impl Registry for LiveRegistry {
    fn value(&self, key: &str, name: &str) -> Option<RegData> {
        self.open(key)?.get_raw_value(name).ok().map(convert)
    }
    fn subkeys(&self, key: &str) -> Vec<String> {
        self.open(key).map(|k| k.enum_keys().filter_map(Result::ok).take(100_000).collect()).unwrap_or_default()
    }
    fn values(&self, key: &str) -> Vec<(String, RegData)> {
        self.open(key)
            .map(|k| {
                k.enum_values()
                    .filter_map(Result::ok)
                    .take(crate::hive::MAX_VALUES_PER_KEY)
                    .map(|(n, v)| (n, convert(v)))
                    .collect()
            })
            .unwrap_or_default()
    }
    fn has_key(&self, key: &str) -> bool {
        self.open(key).is_some()
    }
    fn origin(&self, _key: &str) -> Option<String> {
        Some("live registry".to_owned())
    }
    fn problems(&self) -> Vec<String> {
        self.problems.borrow().clone()
    }
}

/// Key files on the local system drive.
struct LocalFiles(PathBuf);

impl KeyFiles for LocalFiles {
    fn key_file(&self, dir: &str, name: &str) -> Option<KeyFileFacts> {
        let p = self.0.join(dir).join(name);
        let Ok(meta) = std::fs::metadata(&p) else { return Some(KeyFileFacts::default()) };
        let mut head = Vec::new();
        match std::fs::File::open(&p) {
            Ok(f) => {
                let _ = f.take(4096).read_to_end(&mut head);
            }
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {}
            Err(_) => {}
        }
        Some(KeyFileFacts { exists: true, bytes: Some(meta.len()), head, acl: None, network_service_can_read: None })
    }
}

/// Reads the live server. `window_start`: the oldest event to report (Unix time); `None` = no live event
/// log query (the caller reads exported logs instead).
pub fn collect(now: i64, window_start: Option<i64>) -> HostEvidence {
    let mut ev = HostEvidence::new("live", now);
    let reg = LiveRegistry::new();
    // `C:` names the drive's current directory; `C:\` its root.
    let drive = std::env::var_os("SystemDrive").map_or_else(
        || PathBuf::from("C:\\"),
        |mut d| {
            d.push("\\");
            PathBuf::from(d)
        },
    );
    collect::registry(&reg, &LocalFiles(drive.clone()), &|p: &str| p.to_owned(), &mut ev);
    // HKLM\SECURITY and HKLM\SAM are readable only by SYSTEM: read when this runs as SYSTEM, else said.
    let mut notes = Vec::new();
    match crate::rights::read(&reg, ev.computer_name.as_deref(), &|p: &str| p.to_owned()) {
        Some(r) if r.rights.allow_remote_interactive.is_some() || r.rights.remote_desktop_users.is_some() => {
            ev.rights = Some(r.rights);
            notes.extend(r.notes);
        }
        _ => notes.push(
            "Logon rights and Remote Desktop Users membership were not read: HKLM\\SECURITY and HKLM\\SAM are readable \
             only by SYSTEM. From an elevated prompt: reg save HKLM\\SECURITY sec.hiv & reg save HKLM\\SAM sam.hiv & \
             reg save HKLM\\SYSTEM sys.hiv & reg save HKLM\\SOFTWARE sw.hiv, then rdp-doctor host --hive sys.hiv \
             --hive sw.hiv --hive sec.hiv --hive sam.hiv (delete the copies afterwards: they hold password hashes)"
                .to_owned(),
        ),
    }
    ev.limitations = reg.problems();
    ev.limitations.retain(|p| !p.contains("HKLM\\SECURITY") && !p.contains("HKLM\\SAM"));
    ev.limitations.extend(notes);
    let mut outputs = run_tools(now, window_start);
    // The key file's ACL, when the file is there (PowerShell's Get-Acl prints it as SDDL: SIDs, not the
    // display language's account names).
    if let Some(kf) = ev.certificate.as_ref().and_then(|c| c.key_file.as_ref()).filter(|k| k.exists == Some(true))
        && let Some(name) = &kf.expected_name
    {
        let file = drive.join(&kf.directory).join(name);
        let literal = file.display().to_string().replace('\'', "''");
        let script = format!("(Get-Acl -LiteralPath '{literal}').Sddl");
        let ps = system32_path(&["WindowsPowerShell", "v1.0", "powershell.exe"]);
        let mut run = run_tool(&ps, &["-NoProfile", "-NonInteractive", "-Command", &script]);
        run.command = format!("powershell (Get-Acl -LiteralPath '{literal}').Sddl");
        outputs.key_acl = Some(run);
    }
    live_tools::apply(&outputs, window_start.unwrap_or(now), &mut ev);
    ev
}

/// How long one tool may run, and how much of its output is read.
const TOOL_TIMEOUT: Duration = Duration::from_secs(30);
const TOOL_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// `%SystemRoot%\System32\NAME.exe` (never a program found on PATH).
fn system32(name: &str) -> PathBuf {
    system32_path(&[&format!("{name}.exe")])
}

/// A path under `%SystemRoot%\System32`.
fn system32_path(parts: &[&str]) -> PathBuf {
    let root = std::env::var_os("SystemRoot").map_or_else(|| PathBuf::from("C:\\Windows"), PathBuf::from);
    parts.iter().fold(root.join("System32"), |p, x| p.join(x))
}

/// Runs a tool with no console input, stdout read (bounded) until it exits or the deadline passes (then it
/// is killed by its handle).
fn run_tool(exe: &Path, args: &[&str]) -> ToolRun {
    let name = exe.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let command = std::iter::once(name.as_str()).chain(args.iter().copied()).collect::<Vec<_>>().join(" ");
    let mut run = ToolRun { command, ..ToolRun::default() };
    let mut child =
        match Command::new(exe).args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn() {
            Ok(c) => c,
            Err(e) => {
                run.error = Some(format!("cannot start {}: {e}", exe.display()));
                return run;
            }
        };
    let reader = child.stdout.take().map(|out| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out.take(TOOL_MAX_BYTES).read_to_end(&mut buf);
            buf
        })
    });
    // stderr is drained to the end (so the tool never blocks on it) and its first 4 KiB kept.
    let err_reader = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            let mut head = Vec::new();
            let mut chunk = [0u8; 4096];
            while let Ok(n) = err.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let room = 4096usize.saturating_sub(head.len());
                head.extend_from_slice(chunk.get(..n.min(room)).unwrap_or_default());
            }
            head
        })
    });
    let deadline = Instant::now() + TOOL_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                run.exit = status.code();
                break;
            }
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                run.error = Some(format!("stopped after {} s", TOOL_TIMEOUT.as_secs()));
                break;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                run.error = Some(format!("waiting for it: {e}"));
                break;
            }
        }
    }
    if let Some(r) = reader {
        run.stdout = r.join().unwrap_or_default();
    }
    if let Some(r) = err_reader {
        run.stderr = r.join().unwrap_or_default();
    }
    run
}

/// TermService's state and process from the service control manager (read-only access rights).
fn query_termservice() -> Result<ServiceQuery, String> {
    use windows_service::service::{ServiceAccess, ServiceState};
    use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
    let failed = |what: &str, e: windows_service::Error| match e {
        windows_service::Error::Winapi(io) => {
            if io.raw_os_error() == Some(live_tools::ERROR_SERVICE_DOES_NOT_EXIST) {
                Ok(ServiceQuery::NotInstalled)
            } else {
                Err(format!("{what}: {io}"))
            }
        }
        other => Err(format!("{what}: {other}")),
    };
    let manager = match ServiceManager::local_computer(None::<&str>, ServiceManagerAccess::CONNECT) {
        Ok(m) => m,
        Err(e) => return failed("OpenSCManager", e),
    };
    let service = match manager.open_service("TermService", ServiceAccess::QUERY_STATUS) {
        Ok(s) => s,
        Err(e) => return failed("OpenService(TermService)", e),
    };
    let status = match service.query_status() {
        Ok(s) => s,
        Err(e) => return failed("QueryServiceStatusEx(TermService)", e),
    };
    let state_code = match status.current_state {
        ServiceState::Stopped => 1,
        ServiceState::StartPending => 2,
        ServiceState::StopPending => 3,
        ServiceState::Running => 4,
        ServiceState::ContinuePending => 5,
        ServiceState::PausePending => 6,
        ServiceState::Paused => 7,
    };
    Ok(ServiceQuery::Status { state_code, pid: status.process_id.filter(|p| *p != 0) })
}

/// Asks the service control manager and Windows' tools what the registry does not hold.
fn run_tools(now: i64, window_start: Option<i64>) -> Outputs {
    let mut out = Outputs {
        service: Some(query_termservice()),
        netstat: Some(run_tool(&system32("netstat"), &["-ano"])),
        tasklist: Some(run_tool(&system32("tasklist"), &["/svc", "/fo", "csv", "/nh"])),
        qwinsta: Some(run_tool(&system32("qwinsta"), &[])),
        events: Vec::new(),
        key_acl: None,
    };
    if let Some(start) = window_start {
        let query = format!("/q:{}", live_tools::event_query((now - start).saturating_mul(1000)));
        for channel in live_tools::CHANNELS {
            let mut run = run_tool(&system32("wevtutil"), &["qe", channel, &query, "/f:xml", "/rd:true", "/c:20000"]);
            // Named without the long XPath query (the records of interest of the window) in evidence.
            run.command = format!("wevtutil qe {channel} /f:xml");
            out.events.push(((*channel).to_owned(), run));
        }
    }
    out
}
