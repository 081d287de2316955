//! Windows Firewall rule strings as the registry stores them (`FirewallRules` values under
//! `...\SharedAccess\Parameters\FirewallPolicy` and `HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall`):
//! `v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|Profile=Domain|LPort=3389|App=…|Name=…|`.
//! The format is documented in MS-GPFAS 2.2.2.10 (Firewall Rule and the Firewall Rule Grammar Rule).
//! Pure and bounded: unknown fields are kept verbatim in `raw`, never rejected.

use rdp_doctor_core::evidence::host::{FirewallRule, SettingSource};

/// Rule strings longer than this are cut (real ones are well under 1 KiB).
pub const MAX_RULE_LEN: usize = 8 * 1024;
/// At most this many fields are read from one rule.
const MAX_FIELDS: usize = 256;

/// Parses one rule string. `None` when it is not a rule (no `v<major>.<minor>` version field).
pub fn parse_rule(id: &str, text: &str, source: SettingSource, path: &str) -> Option<FirewallRule> {
    let text = text.get(..MAX_RULE_LEN).unwrap_or(text);
    let mut fields = text.split('|');
    let version = fields.next()?.trim();
    if !version.starts_with('v') || !version[1..].chars().all(|c| c.is_ascii_digit() || c == '.') || version.len() < 2 {
        return None;
    }
    let mut r = FirewallRule {
        id: id.to_owned(),
        name: String::new(),
        allow: false,
        active: false,
        inbound: false,
        protocol: None,
        profiles: Vec::new(),
        local_ports: Vec::new(),
        remote_addresses: Vec::new(),
        app: None,
        service: None,
        package: None,
        source,
        path: path.to_owned(),
        raw: text.to_owned(),
    };
    for f in fields.take(MAX_FIELDS) {
        let Some((k, v)) = f.split_once('=') else { continue };
        match k {
            "Action" => r.allow = v.eq_ignore_ascii_case("Allow") || v.eq_ignore_ascii_case("ByPass"),
            "Active" => r.active = v.eq_ignore_ascii_case("TRUE"),
            "Dir" => r.inbound = v.eq_ignore_ascii_case("In"),
            "Protocol" => r.protocol = v.parse().ok(),
            "Profile" => r.profiles.push(v.to_owned()),
            "LPort" | "LPort2_10" | "LPort2_20" => r.local_ports.extend(v.split(',').map(|p| p.trim().to_owned())),
            "RA4" | "RA6" | "RA42" | "RA62" => r.remote_addresses.push(v.to_owned()),
            "App" => r.app = Some(v.to_owned()),
            "Svc" => r.service = Some(v.to_owned()),
            "AppPkgId" => r.package = Some(v.to_owned()),
            "Name" => r.name = v.to_owned(),
            _ => {}
        }
    }
    r.profiles.sort();
    r.profiles.dedup();
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From the SYSTEM hive of regipy's test data (a real Windows 10 installation).
    const REAL: &str = "v2.10|Action=Allow|Active=TRUE|Dir=In|Protocol=6|Profile=Domain|Profile=Private|LPort=3389|App=System|Name=@FirewallAPI.dll,-28753|Desc=@FirewallAPI.dll,-28756|EmbedCtxt=@FirewallAPI.dll,-28752|";

    #[test]
    fn real_remote_desktop_rule() {
        let r = parse_rule("RemoteDesktop-In-TCP", REAL, SettingSource::Local, "p").unwrap_or_else(|| unreachable!());
        assert!(r.allow && r.active && r.inbound);
        assert_eq!(r.protocol, Some(6));
        assert_eq!(r.profiles, ["Domain", "Private"]);
        assert_eq!(r.local_ports, ["3389"]);
        assert_eq!(r.app.as_deref(), Some("System"));
        assert_eq!(r.name, "@FirewallAPI.dll,-28753");
    }

    #[test]
    fn block_rule_with_addresses_and_ranges() {
        let t = "v2.30|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort=3380-3390,443|RA4=10.0.0.0/8|Name=deny|";
        let r = parse_rule("x", t, SettingSource::Policy, "p").unwrap_or_else(|| unreachable!());
        assert!(!r.allow && r.inbound && r.profiles.is_empty());
        assert_eq!(r.local_ports, ["3380-3390", "443"]);
        assert_eq!(r.remote_addresses, ["10.0.0.0/8"]);
        assert!(rdp_doctor_core::rules::host::rule_covers(&r, 3389));
        assert!(!rdp_doctor_core::rules::host::rule_covers(&r, 3391));
    }

    #[test]
    fn not_a_rule_and_odd_input() {
        assert!(parse_rule("x", "", SettingSource::Local, "p").is_none());
        assert!(parse_rule("x", "Action=Allow", SettingSource::Local, "p").is_none());
        assert!(parse_rule("x", "v|||==|", SettingSource::Local, "p").is_none());
        let r =
            parse_rule("x", "v2.0|Protocol=zz|Dir=Out", SettingSource::Local, "p").unwrap_or_else(|| unreachable!());
        assert_eq!(r.protocol, None);
        assert!(!r.inbound);
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_safe(s in ".{0,400}") {
            let _ = parse_rule("x", &s, SettingSource::Local, "p");
            let _ = parse_rule("x", &format!("v2.10|{s}"), SettingSource::Local, "p");
        }
    }
}
