//! From any [`Registry`] to [`HostEvidence`]: the settings of `host_tables::REG_VALUES` with which source
//! wins (policy over local over default), the firewall profiles and rules, the listener's certificate from
//! the machine stores with its key file, the service and the machine's names. Shared by the offline reader
//! and the live collector, so the same code reads a hive file on Linux and the registry under Wine.

use rdp_doctor_core::cert::CertInfo;
use rdp_doctor_core::evidence::host::{
    FirewallEvidence, FirewallProfile, HostEvidence, KeyFileEvidence, ListenerCertificate, ServiceEvidence, Setting,
    SettingSource, StoredCertificate,
};
use rdp_doctor_core::host_tables::{self, Hive as TableHive};

use crate::certstore;
use crate::firewall;
use crate::machinekeys;
use crate::registry::{RegData, Registry, hex_upper};

const CCS: &str = r"HKLM\SYSTEM\CurrentControlSet";
const FW_LOCAL: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy";
const FW_POLICY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall";
const CERT_STORES: &str = r"HKLM\SOFTWARE\Microsoft\SystemCertificates";
/// At most this many certificates are read from one store, and rules from one key.
const MAX_CERTS: usize = 512;
const MAX_RULES: usize = 20_000;

/// How the collector looks up a key file (offline: the mounted volume; live: the local disk).
pub trait KeyFiles {
    /// Facts about `name` in `dir` (relative to the system volume's root, backslashes), or `None` when files
    /// cannot be checked from here.
    fn key_file(&self, dir: &str, name: &str) -> Option<KeyFileFacts>;
}

/// What was found for one key file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFileFacts {
    pub exists: bool,
    pub bytes: Option<u64>,
    /// The first bytes (up to 4 KiB), to read the container name stored inside.
    pub head: Vec<u8>,
    /// The file's ACL as text entries, when readable; and whether NETWORK SERVICE may read it.
    pub acl: Option<Vec<String>>,
    pub network_service_can_read: Option<bool>,
}

/// No file access (single hives, snapshots).
pub struct NoFiles;

impl KeyFiles for NoFiles {
    fn key_file(&self, _dir: &str, _name: &str) -> Option<KeyFileFacts> {
        None
    }
}

/// Reads everything the registry holds into `ev`.
pub fn registry(reg: &dyn Registry, files: &dyn KeyFiles, display: &dyn Fn(&str) -> String, ev: &mut HostEvidence) {
    settings(reg, display, ev);
    ev.computer_name = reg
        .value(&format!(r"{CCS}\Control\ComputerName\ComputerName"), "ComputerName")
        .map(|d| d.text())
        .or_else(|| ev.computer_name.take());
    let cv = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion";
    if let Some(product) = reg.value(cv, "ProductName") {
        let build = reg.value(cv, "CurrentBuild").map(|b| format!(", build {}", b.text())).unwrap_or_default();
        let display_version = reg.value(cv, "DisplayVersion").map(|b| format!(" {}", b.text())).unwrap_or_default();
        ev.os = Some(format!("{}{display_version}{build}", product.text()));
    }
    let svc = format!(r"{CCS}\Services\TermService");
    if reg.has_key(&svc) {
        ev.service = Some(ServiceEvidence {
            start_type: reg.value(&svc, "Start").and_then(|d| d.as_u32()),
            account: reg.value(&svc, "ObjectName").map(|d| d.text()),
            sid_type: reg.value(&svc, "ServiceSidType").and_then(|d| d.as_u32()),
            path: display(&svc),
            ..ServiceEvidence::default()
        });
    }
    if reg.has_key(FW_LOCAL) || reg.has_key(FW_POLICY) {
        ev.firewall = Some(firewall_evidence(reg, display, ev.value("PortNumber").unwrap_or(3389)));
    }
    if reg.has_key(CERT_STORES) || reg.has_key(&format!(r"{CCS}\Control\Terminal Server\WinStations\RDP-Tcp")) {
        ev.certificate = certificate(reg, files, display);
    }
}

fn settings(reg: &dyn Registry, display: &dyn Fn(&str) -> String, ev: &mut HostEvidence) {
    for def in host_tables::REG_VALUES {
        let name = def.value_name();
        let local_key = def.local_key();
        let local = reg.value(&local_key, name);
        let policy_key = def.policy_key.map(|k| format!(r"HKLM\SOFTWARE\{k}"));
        let policy = policy_key.as_ref().and_then(|k| reg.value(k, name));
        // A SYSTEM value needs the SYSTEM hive; a policy needs SOFTWARE: without the hive, nothing is said.
        let hive_read = match def.hive {
            TableHive::System => reg.has_key(CCS),
            TableHive::Software => reg.has_key(r"HKLM\SOFTWARE\Microsoft"),
        };
        let setting = match (policy, local) {
            (Some(p), local) => Setting {
                name: def.name.to_owned(),
                value: p.as_u32(),
                text: p.text(),
                source: SettingSource::Policy,
                path: display(&format!(r"{}\{name}", policy_key.as_deref().unwrap_or_default())),
                overridden_local: local.map(|l| l.text()),
            },
            (None, Some(l)) => Setting {
                name: def.name.to_owned(),
                value: l.as_u32(),
                text: l.text(),
                source: SettingSource::Local,
                path: display(&format!(r"{local_key}\{name}")),
                overridden_local: None,
            },
            (None, None) => match def.default {
                Some(d) if hive_read => Setting {
                    name: def.name.to_owned(),
                    value: Some(d),
                    text: RegData::Dword(d).text(),
                    source: SettingSource::Default,
                    path: display(&format!(r"{local_key}\{name}")),
                    overridden_local: None,
                },
                _ => continue,
            },
        };
        ev.settings.push(setting);
    }
}

fn profile_names() -> [(&'static str, &'static str, &'static str); 3] {
    // (name in reports and rules, local key, policy key)
    [
        ("Domain", "DomainProfile", "DomainProfile"),
        ("Private", "StandardProfile", "PrivateProfile"),
        ("Public", "PublicProfile", "PublicProfile"),
    ]
}

fn firewall_evidence(reg: &dyn Registry, display: &dyn Fn(&str) -> String, port: u32) -> FirewallEvidence {
    let mut fw = FirewallEvidence::default();
    for (name, local, policy) in profile_names() {
        let lk = format!(r"{FW_LOCAL}\{local}");
        let pk = format!(r"{FW_POLICY}\{policy}");
        let pol = reg.value(&pk, "EnableFirewall").and_then(|d| d.as_u32());
        let loc = reg.value(&lk, "EnableFirewall").and_then(|d| d.as_u32());
        let (enabled, source, path) = match (pol, loc) {
            (Some(p), _) => (p != 0, SettingSource::Policy, display(&format!(r"{pk}\EnableFirewall"))),
            (None, Some(l)) => (l != 0, SettingSource::Local, display(&format!(r"{lk}\EnableFirewall"))),
            // The firewall is on in every profile unless turned off (Windows' default).
            (None, None) => (true, SettingSource::Default, display(&format!(r"{lk}\EnableFirewall"))),
        };
        let inbound = reg
            .value(&pk, "DefaultInboundAction")
            .or_else(|| reg.value(&lk, "DefaultInboundAction"))
            .and_then(|d| d.as_u32())
            .is_none_or(|v| v != 0);
        let merge = reg.value(&pk, "AllowLocalPolicyMerge").and_then(|d| d.as_u32()).is_none_or(|v| v != 0);
        fw.profiles.push(FirewallProfile {
            name: name.to_owned(),
            enabled,
            default_inbound_block: inbound,
            local_rules_apply: merge,
            source,
            path,
        });
    }
    for (key, source) in [
        (format!(r"{FW_LOCAL}\FirewallRules"), SettingSource::Local),
        (format!(r"{FW_POLICY}\FirewallRules"), SettingSource::Policy),
    ] {
        for (id, data) in reg.values(&key).into_iter().take(MAX_RULES) {
            let RegData::Sz(text) = data else { continue };
            fw.rules_read += 1;
            let path = display(&format!(r"{key}\{id}"));
            let Some(rule) = firewall::parse_rule(&id, &text, source, &path) else { continue };
            let rdp_named = id.starts_with("RemoteDesktop");
            if rule.inbound && (rdp_named || rdp_doctor_core::rules::host::rule_covers(&rule, port)) {
                fw.rules.push(rule);
            }
        }
    }
    let nl = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\NetworkList\Profiles";
    for p in reg.subkeys(nl).into_iter().take(256) {
        let cat = match reg.value(&format!(r"{nl}\{p}"), "Category").and_then(|d| d.as_u32()) {
            Some(0) => "Public",
            Some(1) => "Private",
            Some(2) => "Domain",
            _ => continue,
        };
        if !fw.network_categories.iter().any(|c| c == cat) {
            fw.network_categories.push(cat.to_owned());
        }
    }
    fw
}

fn stored(reg: &dyn Registry, display: &dyn Fn(&str) -> String, store: &str, thumb: &str) -> Option<StoredCertificate> {
    let key = format!(r"{CERT_STORES}\{store}\Certificates\{thumb}");
    let blob = match reg.value(&key, "Blob")? {
        RegData::Binary(b) | RegData::Other(_, b) => b,
        _ => return None,
    };
    let parsed = certstore::parse_blob(&blob);
    let der = parsed.der?;
    Some(StoredCertificate {
        store: store.to_owned(),
        thumbprint: thumb.to_ascii_uppercase(),
        path: display(&format!(r"{key}\Blob")),
        der_hex: der.iter().map(|b| format!("{b:02x}")).collect(),
        info: CertInfo::from_der(&der),
        key: parsed.key,
    })
}

fn certificate(
    reg: &dyn Registry,
    files: &dyn KeyFiles,
    display: &dyn Fn(&str) -> String,
) -> Option<ListenerCertificate> {
    let rdp_tcp = format!(r"{CCS}\Control\Terminal Server\WinStations\RDP-Tcp");
    let bound = match reg.value(&rdp_tcp, "SSLCertificateSHA1Hash") {
        Some(RegData::Binary(b)) if !b.is_empty() && b.iter().any(|x| *x != 0) => Some(hex_upper(&b)),
        Some(RegData::Sz(s)) if !s.trim().is_empty() => Some(s.trim().replace(' ', "").to_ascii_uppercase()),
        _ => None,
    };
    let rd_store: Vec<String> =
        reg.subkeys(&format!(r"{CERT_STORES}\Remote Desktop\Certificates")).into_iter().take(MAX_CERTS).collect();
    let mut out = ListenerCertificate::default();
    if let Some(t) = &bound {
        out.selection = format!("bound (SSLCertificateSHA1Hash = {t}); searched My and Remote Desktop");
        out.bound_thumbprint = Some(t.clone());
        out.found = ["My", "Remote Desktop"].iter().find_map(|s| {
            let names = reg.subkeys(&format!(r"{CERT_STORES}\{s}\Certificates"));
            names.iter().find(|n| n.eq_ignore_ascii_case(t)).and_then(|n| stored(reg, display, s, n))
        });
    } else {
        out.selection =
            "self-signed (no SSLCertificateSHA1Hash: the newest certificate in the Remote Desktop store)".to_owned();
        out.found = rd_store
            .iter()
            .filter_map(|t| stored(reg, display, "Remote Desktop", t))
            .max_by_key(|c| c.info.not_after_unix);
    }
    let chosen = out.found.as_ref().map(|c| c.thumbprint.clone());
    out.others = rd_store.into_iter().map(|t| t.to_ascii_uppercase()).filter(|t| Some(t) != chosen.as_ref()).collect();
    if let Some(key) = out.found.as_ref().and_then(|c| c.key.clone()) {
        let guid = reg.value(r"HKLM\SOFTWARE\Microsoft\Cryptography", "MachineGuid").map(|d| d.text());
        out.key_file = Some(key_file(&key, guid.as_deref(), files));
    }
    if bound.is_none() && out.found.is_none() && !reg.has_key(CERT_STORES) {
        return None;
    }
    Some(out)
}

fn key_file(
    key: &rdp_doctor_core::evidence::host::KeyProvInfo,
    guid: Option<&str>,
    files: &dyn KeyFiles,
) -> KeyFileEvidence {
    let cng = key.provider_type == 0;
    let directory = if cng { machinekeys::CNG_MACHINE_KEYS } else { machinekeys::CAPI_MACHINE_KEYS };
    let mut kf = KeyFileEvidence {
        directory: directory.to_owned(),
        expected_name: None,
        derivation: String::new(),
        exists: None,
        bytes: None,
        embedded_name: None,
        acl: None,
        service_account_can_read: None,
    };
    if cng {
        kf.derivation = format!("a CNG key ({}): its file name is not derived here", key.provider);
        return kf;
    }
    let Some(guid) = guid else {
        kf.derivation = "MachineGuid not read (no SOFTWARE hive): the file name cannot be derived".to_owned();
        return kf;
    };
    let name = machinekeys::capi_file_name(&key.container, guid);
    kf.derivation = format!("MD5 of \"{}\" and MachineGuid {guid}", key.container.to_lowercase());
    if let Some(facts) = files.key_file(directory, &name) {
        kf.exists = Some(facts.exists);
        kf.bytes = facts.bytes;
        kf.embedded_name = machinekeys::embedded_container_name(&facts.head);
        kf.acl = facts.acl;
        kf.service_account_can_read = facts.network_service_can_read;
    }
    kf.expected_name = Some(name);
    kf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::memory::MemRegistry;

    const TS: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server";
    const POL: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";

    fn collect(reg: &MemRegistry) -> HostEvidence {
        let mut ev = HostEvidence::new("test", 0);
        registry(reg, &NoFiles, &|p: &str| p.to_owned(), &mut ev);
        ev
    }

    #[test]
    fn policy_wins_and_the_local_value_is_kept() {
        let mut r = MemRegistry::default();
        r.set(TS, "fDenyTSConnections", RegData::Dword(0));
        r.set(POL, "fDenyTSConnections", RegData::Dword(1));
        r.set(r"HKLM\SOFTWARE\Microsoft\x", "y", RegData::Dword(1));
        let ev = collect(&r);
        let s = ev.setting("fDenyTSConnections").unwrap_or_else(|| unreachable!());
        assert_eq!((s.value, s.source), (Some(1), SettingSource::Policy));
        assert_eq!(s.overridden_local.as_deref(), Some("0 (0x0)"));
        assert!(s.path.ends_with(r"Terminal Services\fDenyTSConnections"));
        // PortNumber is not set: the default, said so.
        let p = ev.setting("PortNumber").unwrap_or_else(|| unreachable!());
        assert_eq!((p.value, p.source), (Some(3389), SettingSource::Default));
    }

    #[test]
    fn nothing_is_invented_without_the_hive() {
        let ev = collect(&MemRegistry::default());
        assert!(ev.settings.is_empty());
        assert!(ev.firewall.is_none() && ev.certificate.is_none() && ev.service.is_none());
    }
}
