//! The client settings that change the outcome, read from any [`Registry`] (live on Windows, a Wine
//! prefix, an in-memory one in tests) as `client_tables` names them, each with its source and path. Pure
//! over the registry view: no I/O here.

use rdp_doctor_core::client_tables::{self, SETTINGS};
use rdp_doctor_core::evidence::client::{Adapter, ClientEvidence, RememberedServer, WinHttpProxy};
use rdp_doctor_core::evidence::host::{Setting, SettingSource};
use rdp_doctor_host::firewall::parse_rule;
use rdp_doctor_host::registry::{RegData, Registry, hex_upper};

/// At most this many adapters and firewall rules are looked at.
const MAX_ADAPTERS: usize = 256;
const MAX_RULES: usize = 20_000;

/// Reads every setting of the table that is set (policy first, then local); unset ones are not listed.
pub fn settings(reg: &dyn Registry) -> Vec<Setting> {
    let mut out = Vec::new();
    for d in SETTINGS {
        let policy = d.policy_key.and_then(|k| reg.value(k, d.value).map(|v| (k, v)));
        let local = reg.value(d.key, d.value).map(|v| (d.key, v));
        let (source, (key, data)) = match (policy, local.clone()) {
            (Some(p), _) => (SettingSource::Policy, p),
            // A value whose only home is a policy key (fClientDisableUDP, AllowEncryptionOracle) is policy.
            (None, Some(l)) if is_policy_key(l.0) => (SettingSource::Policy, l),
            (None, Some(l)) => (SettingSource::Local, l),
            (None, None) => continue,
        };
        out.push(Setting {
            name: d.name.to_owned(),
            value: data.as_u32(),
            text: data.text(),
            source,
            path: format!("{key}\\{}", d.value),
            overridden_local: if source == SettingSource::Policy { local.map(|(_, l)| l.text()) } else { None },
        });
    }
    out
}

/// Whether a key is one of the policy trees Group Policy writes (`…\Policies\…`).
fn is_policy_key(key: &str) -> bool {
    key.to_ascii_lowercase().contains("\\policies\\")
}

/// What the client remembers for `host` (`Servers\<host>`: `CertHash`, `UsernameHint`). The key name is
/// what the user typed (`rds1`, or `rds1:3390` with a port); it is looked up without regard to case, with
/// the port first when the attempt named one.
pub fn remembered(reg: &dyn Registry, host: &str, port: Option<u16>) -> Option<RememberedServer> {
    let keys = reg.subkeys(client_tables::SERVERS_KEY);
    let with_port = port.map(|p| format!("{host}:{p}"));
    let name = with_port
        .iter()
        .find_map(|hp| keys.iter().find(|k| k.eq_ignore_ascii_case(hp)))
        .or_else(|| keys.iter().find(|k| k.eq_ignore_ascii_case(host)))?
        .clone();
    let key = format!("{}\\{name}", client_tables::SERVERS_KEY);
    let cert_hash = match reg.value(&key, "CertHash") {
        Some(RegData::Binary(b)) if !b.is_empty() => Some(hex_upper(&b)),
        Some(RegData::Sz(s)) if !s.trim().is_empty() => Some(s.trim().replace([' ', ':'], "").to_ascii_uppercase()),
        _ => None,
    };
    let username_hint = match reg.value(&key, "UsernameHint") {
        Some(RegData::Sz(s)) if !s.is_empty() => Some(s),
        _ => None,
    };
    Some(RememberedServer { host: name, cert_hash, username_hint, path: key })
}

/// The `WinHttpSettings` blob (as `netsh winhttp set proxy` writes it; the layout is not documented by
/// Microsoft: observed): DWORD header size, DWORD counter, DWORD flags (bit 1: a proxy is set), DWORD
/// length + proxy list (ANSI), DWORD length + bypass list. `None` when the blob does not fit that layout.
pub fn parse_winhttp(blob: &[u8]) -> Option<(Option<String>, Option<String>)> {
    let dword = |at: usize| -> Option<u32> {
        blob.get(at..at + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes)
    };
    let flags = dword(8)?;
    let plen = usize::try_from(dword(12)?).ok().filter(|l| *l <= 4096)?;
    let proxy = blob.get(16..16 + plen)?;
    let blen = usize::try_from(dword(16 + plen).unwrap_or(0)).ok().filter(|l| *l <= 16_384)?;
    let bypass = blob.get(20 + plen..20 + plen + blen).unwrap_or_default();
    let text = |b: &[u8]| {
        let s = String::from_utf8_lossy(b).trim_end_matches('\0').trim().to_owned();
        (!s.is_empty()).then_some(s)
    };
    if flags & 2 == 0 {
        return Some((None, None));
    }
    Some((text(proxy), text(bypass)))
}

/// The WinHTTP proxy, when the value is there.
pub fn winhttp(reg: &dyn Registry) -> Option<WinHttpProxy> {
    let key = client_tables::WINHTTP_KEY;
    let Some(RegData::Binary(b)) = reg.value(key, "WinHttpSettings") else { return None };
    let (proxy, bypass) = parse_winhttp(&b)?;
    Some(WinHttpProxy {
        proxy: Some(proxy.unwrap_or_else(|| "direct".to_owned())),
        bypass,
        path: format!("{key}\\WinHttpSettings"),
    })
}

/// Network adapters whose description marks them as VPN or tunnel adapters, with their configured MTU.
pub fn vpn_adapters(reg: &dyn Registry) -> Vec<Adapter> {
    let mut out = Vec::new();
    for sub in reg.subkeys(client_tables::ADAPTER_CLASS_KEY).into_iter().take(MAX_ADAPTERS) {
        if !sub.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let key = format!("{}\\{sub}", client_tables::ADAPTER_CLASS_KEY);
        let Some(RegData::Sz(desc)) = reg.value(&key, "DriverDesc") else { continue };
        let lower = desc.to_ascii_lowercase();
        if !client_tables::VPN_WORDS.iter().any(|w| lower.contains(w)) {
            continue;
        }
        let guid = match reg.value(&key, "NetCfgInstanceId") {
            Some(RegData::Sz(g)) => g,
            _ => String::new(),
        };
        let iface = format!("{}\\{guid}", client_tables::TCPIP_INTERFACES_KEY);
        let mtu = if guid.is_empty() { None } else { reg.value(&iface, "MTU").and_then(|m| m.as_u32()) };
        out.push(Adapter { description: desc, guid, mtu, path: if mtu.is_some() { iface } else { key } });
    }
    out
}

/// Outbound block rules that name the Remote Desktop client (`App=…\mstsc.exe`), enabled or not.
pub fn firewall_blocks(reg: &dyn Registry) -> Vec<rdp_doctor_core::evidence::host::FirewallRule> {
    let mut out = Vec::new();
    for (i, key) in client_tables::FIREWALL_RULES_KEYS.iter().enumerate() {
        let source = if i == 0 { SettingSource::Local } else { SettingSource::Policy };
        for (id, data) in reg.values(key).into_iter().take(MAX_RULES) {
            let RegData::Sz(text) = data else { continue };
            let Some(rule) = parse_rule(&id, &text, source, &format!("{key}\\{id}")) else { continue };
            let mstsc = rule.app.as_deref().is_some_and(|a| a.to_ascii_lowercase().ends_with("mstsc.exe"));
            if mstsc && !rule.allow && !rule.inbound {
                out.push(rule);
            }
        }
    }
    out
}

/// Fills the registry-backed parts of the client evidence; `host` and `port` are the diagnosed attempt's.
pub fn read_into(reg: &dyn Registry, host: Option<&str>, port: Option<u16>, ev: &mut ClientEvidence) {
    ev.registry_read = true;
    ev.settings = settings(reg);
    ev.remembered = host.and_then(|h| remembered(reg, h, port));
    ev.winhttp_proxy = winhttp(reg);
    ev.vpn_adapters = vpn_adapters(reg);
    ev.firewall_blocks = firewall_blocks(reg);
    ev.limitations.extend(reg.problems());
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rdp_doctor_host::registry::memory::MemRegistry;

    #[test]
    fn winhttp_blobs() {
        // netsh winhttp reset proxy: direct access.
        let direct = [0x18, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(parse_winhttp(&direct), Some((None, None)));
        let mut b = vec![0x18, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0];
        let p = b"proxy.corp:8080";
        b.extend((p.len() as u32).to_le_bytes());
        b.extend(p);
        let by = b"<local>";
        b.extend((by.len() as u32).to_le_bytes());
        b.extend(by);
        assert_eq!(parse_winhttp(&b), Some((Some("proxy.corp:8080".into()), Some("<local>".into()))));
        assert_eq!(parse_winhttp(&b[..10]), None);
        let mut huge = b.clone();
        huge[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(parse_winhttp(&huge), None);
    }

    #[test]
    fn registry_reads() {
        let mut r = MemRegistry::default();
        let servers = client_tables::SERVERS_KEY;
        r.set(&format!("{servers}\\RDS1.corp.example"), "CertHash", RegData::Binary(vec![0xAB; 20]));
        r.set(&format!("{servers}\\RDS1.corp.example"), "UsernameHint", RegData::Sz("CORP\\alice".into()));
        r.set(
            r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\Client",
            "fClientDisableUDP",
            RegData::Dword(1),
        );
        r.set(
            r"HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules",
            "{block}",
            RegData::Sz(
                "v2.30|Action=Block|Active=TRUE|Dir=Out|App=%SystemRoot%\\system32\\mstsc.exe|Name=No RDP|".into(),
            ),
        );
        let class = client_tables::ADAPTER_CLASS_KEY;
        r.set(&format!("{class}\\0007"), "DriverDesc", RegData::Sz("WireGuard Tunnel".into()));
        r.set(&format!("{class}\\0007"), "NetCfgInstanceId", RegData::Sz("{G}".into()));
        r.set(&format!("{class}\\0001"), "DriverDesc", RegData::Sz("Intel Ethernet".into()));
        r.set(&format!("{}\\{{G}}", client_tables::TCPIP_INTERFACES_KEY), "MTU", RegData::Dword(1280));
        let mut ev = ClientEvidence::default();
        read_into(&r, Some("rds1.CORP.example"), None, &mut ev);
        let rem = ev.remembered.unwrap();
        assert_eq!(rem.cert_hash.as_deref(), Some("AB".repeat(20).as_str()));
        assert_eq!(rem.username_hint.as_deref(), Some("CORP\\alice"));
        assert_eq!(ev.settings[0].name, "fClientDisableUDP");
        assert_eq!(ev.settings[0].value, Some(1));
        assert_eq!(ev.settings[0].source, SettingSource::Policy, "its only key is the policy key");
        assert_eq!(ev.firewall_blocks.len(), 1);
        assert_eq!(ev.vpn_adapters.len(), 1);
        assert_eq!(ev.vpn_adapters[0].mtu, Some(1280));
        // A key with the port the user typed wins over the bare name when the attempt named that port.
        r.set(&format!("{servers}\\rds1.corp.example:3390"), "CertHash", RegData::Binary(vec![0xCD; 20]));
        let rem = remembered(&r, "rds1.corp.example", Some(3390)).unwrap();
        assert_eq!(rem.cert_hash.as_deref(), Some("CD".repeat(20).as_str()));
        let rem = remembered(&r, "rds1.corp.example", Some(3391)).unwrap();
        assert_eq!(rem.cert_hash.as_deref(), Some("AB".repeat(20).as_str()));
        assert!(remembered(&r, "rds9", None).is_none());
    }
}
