//! Offline collection: a Windows system volume mounted elsewhere (the rescue-VM procedure), single hive
//! files, and exported event logs. Everything is opened read-only; nothing on the volume is written (dirty
//! hives are recovered in memory). Names are matched case-insensitively, as Windows does.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use rdp_doctor_core::evidence::host::{HiveFile, HostEvidence};

use crate::collect::{self, KeyFileFacts, KeyFiles, NoFiles};
use crate::events;
use crate::hive::{self, Hive, HiveError, MAX_HIVE_BYTES, Role};
use crate::registry::{Joined, Registry};
use crate::rights;

/// Said when neither the SECURITY nor the SAM hive was read.
const RIGHTS_UNREAD: &str = "Logon rights (SeRemoteInteractiveLogonRight, SeDenyRemoteInteractiveLogonRight) and Remote Desktop Users membership were not read: give the SECURITY and SAM hives (Windows\\System32\\config, or --hive); refused logons show in Security event 4625 (status 0xC000015B)";

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The root of a mounted Windows system volume (`--offline DIR`).
    pub volume: Option<PathBuf>,
    /// Single hive files (`--hive FILE`).
    pub hives: Vec<PathBuf>,
    /// Exported event logs (`--evtx FILE…`).
    pub evtx: Vec<PathBuf>,
    /// Events before this Unix time are not reported (`--since`).
    pub since: Option<i64>,
    /// The time of the collection.
    pub now: i64,
}

/// Finds `rel` (components) under `base`, matching each component without regard to case.
pub fn find_ci(base: &Path, rel: &[&str]) -> Option<PathBuf> {
    let mut cur = base.to_path_buf();
    for part in rel {
        let exact = cur.join(part);
        if exact.exists() {
            cur = exact;
            continue;
        }
        let found = std::fs::read_dir(&cur)
            .ok()?
            .take(100_000)
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(part))?;
        cur = found.path();
    }
    Some(cur)
}

/// Reads a whole file, read-only, refusing files over `max` bytes.
fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let f = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len > max {
        return Err(HiveError::TooLarge(len).to_string());
    }
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    f.take(max + 1).read_to_end(&mut buf).map_err(|e| format!("cannot read: {e}"))?;
    Ok(buf)
}

/// Opens one hive file: recovers it from `NAME.LOG1`/`NAME.LOG2` beside it when it is dirty.
pub fn open_hive(path: &Path, notes: &mut Vec<String>) -> (HiveFile, Option<Hive>) {
    let shown = path.display().to_string();
    let mut info = HiveFile { role: "unknown".to_owned(), path: shown.clone(), ..HiveFile::default() };
    let mut bytes = match read_bounded(path, MAX_HIVE_BYTES) {
        Ok(b) => b,
        Err(e) => {
            info.error = Some(e);
            return (info, None);
        }
    };
    info.bytes = bytes.len() as u64;
    match hive::base_facts(&bytes) {
        Ok(b) => info.dirty = b.dirty(),
        Err(e) => {
            info.error = Some(e.to_string());
            return (info, None);
        }
    }
    let mut applied = Vec::new();
    if info.dirty {
        let (dir, name) = (
            path.parent().unwrap_or(Path::new(".")),
            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        );
        let logs: Vec<(String, Vec<u8>)> = ["LOG1", "LOG2", "LOG"]
            .iter()
            .filter_map(|ext| find_ci(dir, &[&format!("{name}.{ext}")]))
            .filter_map(|p| {
                let n = p.file_name()?.to_string_lossy().into_owned();
                read_bounded(&p, MAX_HIVE_BYTES).ok().map(|b| (n, b))
            })
            .collect();
        applied = hive::apply_logs(&mut bytes, &logs, notes);
        if applied.is_empty() {
            notes.push(format!(
                "{shown} is dirty (its sequence numbers differ) and no usable transaction log was found beside it: changes made just before the volume went offline may be missing"
            ));
        }
    }
    info.logs_applied = applied.clone();
    match Hive::from_bytes(bytes, &shown, applied) {
        Ok(h) => {
            info.role = h.role.name().to_owned();
            info.control_set = h.control_set;
            if h.role == Role::System && h.control_set.is_none() {
                notes.push(format!("{shown}: Select\\Current is missing: the current control set is unknown"));
            }
            (info, Some(h))
        }
        Err(e) => {
            info.error = Some(e.to_string());
            (info, None)
        }
    }
}

/// Key files on a mounted volume.
struct VolumeFiles<'a>(&'a Path);

impl KeyFiles for VolumeFiles<'_> {
    fn key_file(&self, dir: &str, name: &str) -> Option<KeyFileFacts> {
        let parts: Vec<&str> = dir.split('\\').collect();
        let d = find_ci(self.0, &parts)?;
        let Some(p) = find_ci(&d, &[name]) else { return Some(KeyFileFacts::default()) };
        let mut head = Vec::new();
        let bytes = std::fs::metadata(&p).ok().map(|m| m.len());
        if let Ok(f) = File::open(&p) {
            let _ = f.take(4096).read_to_end(&mut head);
        }
        Some(KeyFileFacts { exists: true, bytes, head, acl: None, network_service_can_read: None })
    }
}

/// Event logs of a volume that matter to Remote Desktop.
fn volume_logs(root: &Path) -> Vec<PathBuf> {
    let Some(dir) = find_ci(root, &["Windows", "System32", "winevt", "Logs"]) else { return Vec::new() };
    let Ok(rd) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut v: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
            n.ends_with(".evtx")
                && (n == "system.evtx"
                    || n == "security.evtx"
                    || n.contains("terminalservices")
                    || n.contains("remotedesktopservices"))
        })
        .collect();
    v.sort();
    v
}

/// Collects everything the inputs hold. Never fails: what could not be read is in `hives[].error`,
/// `events.files[].error` and `limitations`; [`readable`] says whether anything was read at all.
pub fn collect(inputs: &Inputs) -> HostEvidence {
    let mut kinds = Vec::new();
    let mut ev = HostEvidence::new("", inputs.now);
    let mut notes = Vec::new();
    let mut hive_paths: Vec<PathBuf> = Vec::new();
    let mut logs: Vec<PathBuf> = Vec::new();
    if let Some(root) = &inputs.volume {
        kinds.push("offline");
        ev.inputs.push(root.display().to_string());
        let config = find_ci(root, &["Windows", "System32", "config"]);
        match &config {
            Some(c) => {
                for name in ["SYSTEM", "SOFTWARE", "SECURITY", "SAM"] {
                    match find_ci(c, &[name]) {
                        Some(p) => hive_paths.push(p),
                        // A missing SECURITY or SAM hive is said by the rights reader.
                        None if matches!(name, "SYSTEM" | "SOFTWARE") => {
                            notes.push(format!("{} has no {name} hive", c.display()));
                        }
                        None => {}
                    }
                }
            }
            None => notes.push(format!(
                "{} is not a Windows system volume: no Windows\\System32\\config directory (give the volume's root, e.g. /mnt/windows or F:\\)",
                root.display()
            )),
        }
        let found = volume_logs(root);
        if found.is_empty() && config.is_some() {
            notes.push("no event logs under Windows\\System32\\winevt\\Logs".to_owned());
        }
        logs.extend(found);
    }
    if !inputs.hives.is_empty() {
        kinds.push("hive");
        hive_paths.extend(inputs.hives.iter().cloned());
        ev.inputs.extend(inputs.hives.iter().map(|p| p.display().to_string()));
    }
    if !inputs.evtx.is_empty() {
        kinds.push("evtx");
        logs.extend(inputs.evtx.iter().cloned());
        ev.inputs.extend(inputs.evtx.iter().map(|p| p.display().to_string()));
    }
    ev.collection = kinds.join("+");
    // The event logs are read on a second thread while the hives are parsed (both are read-only).
    let since = inputs.since;
    let events = std::thread::scope(|scope| {
        let reader = (!logs.is_empty()).then(|| scope.spawn(|| events::read_files(&logs, since, None)));
        let mut opened: Vec<Hive> = Vec::new();
        for p in &hive_paths {
            let (info, h) = open_hive(p, &mut notes);
            if let Some(h) = h {
                if opened.iter().any(|o| o.role == h.role) {
                    notes.push(format!("{}: a second {} hive, not used", info.path, h.role.name()));
                } else if matches!(h.role, Role::System | Role::Software | Role::Security | Role::Sam) {
                    opened.push(h);
                } else {
                    notes.push(format!(
                        "{}: a {} hive, not SYSTEM, SOFTWARE, SECURITY or SAM: nothing read from it",
                        info.path,
                        h.role.name()
                    ));
                }
            }
            ev.hives.push(info);
        }
        if !opened.is_empty() {
            let joined = Joined(opened.iter().map(|h| h as &dyn Registry).collect());
            let display = |full: &str| {
                opened.iter().find(|h| h.origin(full).is_some()).map_or_else(|| full.to_owned(), |h| h.file_path(full))
            };
            match &inputs.volume {
                Some(root) => collect::registry(&joined, &VolumeFiles(root), &display, &mut ev),
                None => collect::registry(&joined, &NoFiles, &display, &mut ev),
            }
            let has = |r: Role| opened.iter().any(|h| h.role == r);
            if has(Role::Security) || has(Role::Sam) || inputs.volume.is_some() {
                match rights::read(&joined, ev.computer_name.as_deref(), &display) {
                    Some(read) => {
                        ev.rights = Some(read.rights);
                        notes.extend(read.notes);
                    }
                    None => notes.push(RIGHTS_UNREAD.to_owned()),
                }
            }
            notes.extend(joined.problems());
            if !has(Role::System) {
                notes.push(
                    "no SYSTEM hive read: Remote Desktop, listener, firewall, Schannel and service settings are unknown"
                        .to_owned(),
                );
            }
            if !has(Role::Software) {
                notes.push("no SOFTWARE hive read: Group Policy values, the certificate stores, MachineGuid and CredSSP settings are unknown".to_owned());
            }
            if ev.certificate.as_ref().is_some_and(|c| c.key_file.as_ref().is_some_and(|k| k.exists == Some(true))) {
                notes.push("The key file's permissions (NTFS ACL) are not read offline: whether NETWORK SERVICE can read it is judged only from Schannel events".to_owned());
            }
            if inputs.volume.is_some() || has(Role::System) {
                notes.push("Read offline: the service's state, who listens on the port, open sessions and the network profile in use are only known on the running server (start type and configured values are shown)".to_owned());
            }
        }
        reader.map(|r| r.join())
    });
    match events {
        Some(Ok(e)) => {
            for f in &e.files {
                if let Some(err) = &f.error {
                    notes.push(format!("{}: {err}", f.path));
                }
            }
            ev.events = Some(e);
        }
        Some(Err(_)) => notes.push("the event logs could not be read (the reader stopped)".to_owned()),
        None if inputs.volume.is_some() || !inputs.hives.is_empty() => notes.push(
            "no event logs read: certificate creation failures, Schannel key errors and refused logons are judged from events"
                .to_owned(),
        ),
        None => {}
    }
    if ev.rights.is_none() && !notes.iter().any(|n| n == RIGHTS_UNREAD) {
        notes.push(RIGHTS_UNREAD.to_owned());
    }
    ev.limitations = notes;
    ev
}

/// Whether anything at all was read (a hive or an event record): otherwise the command exits 2.
pub fn readable(ev: &HostEvidence) -> bool {
    ev.hives.iter().any(|h| h.error.is_none() && h.role != "other")
        || ev.events.as_ref().is_some_and(|e| e.files.iter().any(|f| f.error.is_none() || f.records_read > 0))
}
