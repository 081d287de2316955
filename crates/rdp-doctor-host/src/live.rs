//! Live collection on the Windows server itself (`rdp-doctor host` with no input), read-only: the registry
//! through `winreg`'s safe wrappers (no `unsafe` here), fed to the same collector as the offline hives, and
//! the listener's key file in MachineKeys, and the logon rights and local groups from HKLM\SECURITY and
//! HKLM\SAM when this runs as SYSTEM (the same reader as the offline hives). What needs an elevated prompt,
//! and what this build does not read live yet (the service's state, the port's owner, sessions, the event
//! log API), is said in the limitations; exported logs (`wevtutil epl`) can be given with `--evtx`.

use std::io::Read;
use std::path::PathBuf;

use rdp_doctor_core::evidence::host::HostEvidence;
use winreg::RegKey;
use winreg::enums::{HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, KEY_READ, KEY_WOW64_64KEY};

use crate::collect::{self, KeyFileFacts, KeyFiles};
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

/// Reads the live server.
pub fn collect(now: i64) -> HostEvidence {
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
    collect::registry(&reg, &LocalFiles(drive), &|p: &str| p.to_owned(), &mut ev);
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
    ev.limitations.push(
        "Not read live by this build: the service's state, who listens on the port, sessions in use, and the event \
         log (export with wevtutil epl System sys.evtx and pass --evtx); the key file's ACL is not read"
            .to_owned(),
    );
    ev
}
