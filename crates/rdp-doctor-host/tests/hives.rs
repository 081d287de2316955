//! The host side on real SYSTEM hives (regipy's test data) and on faulty variants made from them with
//! hivexregedit: every registry-based finding in both directions (present on the variant, absent on the
//! real hive), each quoting its value, its source and the hive file.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use rdp_doctor_core::evidence::host::SettingSource;

const TS: &str = r"ControlSet001\Control\Terminal Server";
const RDP_TCP: &str = r"ControlSet001\Control\Terminal Server\WinStations\RDP-Tcp";
const FW: &str = r"ControlSet001\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules";

#[test]
fn real_system_hive_reads_as_the_corpus_says() {
    let d = tempfile::tempdir().unwrap();
    let h = real_hive("SYSTEM", d.path(), "SYSTEM");
    let (host, r) = report(&hives(&[&h]));
    assert_eq!(host.hives[0].role, "SYSTEM");
    assert_eq!(host.hives[0].control_set, Some(1));
    assert!(!host.hives[0].dirty);
    assert_eq!(host.value("fDenyTSConnections"), Some(0));
    assert_eq!(host.value("PortNumber"), Some(3389));
    assert_eq!(host.value("SecurityLayer"), Some(1));
    assert_eq!(host.value("UserAuthentication"), Some(0));
    assert_eq!(host.setting("PortNumber").unwrap().source, SettingSource::Local);
    assert!(host.setting("PortNumber").unwrap().path.starts_with(r"HKLM\SYSTEM\ControlSet001\Control"));
    // Never "fail" on a working configuration: remote connections allowed, the listener on, TLS 1.2 on.
    let ids = ids(&r);
    for absent in [
        "host.remote_connections_disabled",
        "host.listener_disabled",
        "host.security_layer_rdp",
        "host.nla_required",
        "host.termservice_disabled",
        "host.tls12_disabled",
        "host.fips_enabled",
        "host.drain_mode",
        "host.firewall_no_allow_rule",
        "host.firewall_block_rule",
    ] {
        assert!(!ids.contains(&absent), "{absent} on the real hive: {ids:?}");
    }
    // The Remote Desktop rule is active for Domain and Private only, the Public profile's firewall is on.
    let (f, ev) = finding(&r, "host.firewall_profile_gap");
    assert!(f.summary.contains("Domain, Private") && f.summary.contains("Public"), "{}", f.summary);
    assert!(ev.contains("RemoteDesktop-In-TCP") && ev.contains("Active=TRUE"), "{ev}");
    assert!(ev.contains(&h.display().to_string()), "the hive file is named: {ev}");
    assert_eq!(r.verdict, "host.firewall_profile_gap");
}

#[test]
fn real_dirty_system_hive_with_rdp_off() {
    let d = tempfile::tempdir().unwrap();
    let h = real_hive("SYSTEM_2", d.path(), "SYSTEM");
    let (host, r) = report(&hives(&[&h]));
    assert!(host.hives[0].dirty && host.hives[0].logs_applied.is_empty());
    assert!(host.limitations.iter().any(|l| l.contains("is dirty") && l.contains("no usable transaction log")));
    let (f, ev) = finding(&r, "host.remote_connections_disabled");
    assert!(f.summary.contains("local"), "{}", f.summary);
    assert!(
        ev.contains(r"fDenyTSConnections = 1")
            && ev.contains(r"HKLM\SYSTEM\ControlSet001\Control\Terminal Server\fDenyTSConnections"),
        "{ev}"
    );
    let (_, ev) = finding(&r, "host.firewall_no_allow_rule");
    assert!(ev.contains("RemoteDesktop-UserMode-In-TCP") && ev.contains("Active=FALSE"), "{ev}");
    assert!(ids(&r).contains(&"host.nla_required"));
    // The switch comes before its consequence.
    assert_eq!(r.verdict, "host.remote_connections_disabled");
}

#[test]
fn listener_security_and_service_variants() {
    let d = tempfile::tempdir().unwrap();
    let h = system_variant(
        d.path(),
        "SYSTEM",
        &[
            (
                RDP_TCP,
                Some(vec![
                    ("SecurityLayer", V::Dword(0)),
                    ("UserAuthentication", V::Dword(1)),
                    ("fEnableWinStation", V::Dword(0)),
                    ("MaxInstanceCount", V::Dword(1)),
                ]),
            ),
            (TS, Some(vec![("TSServerDrainMode", V::Dword(2))])),
            (r"ControlSet001\Services\TermService", Some(vec![("Start", V::Dword(4))])),
            (
                r"ControlSet001\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server",
                Some(vec![("Enabled", V::Dword(0))]),
            ),
            (r"ControlSet001\Control\Lsa\FipsAlgorithmPolicy", Some(vec![("Enabled", V::Dword(1))])),
        ],
    );
    let (_, r) = report(&hives(&[&h]));
    for (id, quote) in [
        ("host.security_layer_rdp", r"SecurityLayer = 0 (0x0): RDP Security only"),
        ("host.nla_required", "UserAuthentication = 1"),
        ("host.listener_disabled", r"RDP-Tcp\fEnableWinStation"),
        ("host.max_instances_low", "MaxInstanceCount = 1"),
        ("host.drain_mode", "TSServerDrainMode = 2 (0x2): new logons refused, reconnections allowed"),
        ("host.termservice_disabled", r"Services\TermService\Start"),
        ("host.tls12_disabled", r"Protocols\TLS 1.2\Server\Enabled"),
        ("host.fips_enabled", r"Lsa\FipsAlgorithmPolicy\Enabled"),
    ] {
        let (_, ev) = finding(&r, id);
        assert!(ev.contains(quote), "{id}: {ev}");
        assert!(ev.contains("(local: HKLM\\SYSTEM\\ControlSet001"), "{id} names source and path: {ev}");
    }
    assert_eq!(r.verdict, "host.listener_disabled");
}

/// The Remote Desktop (WebSocket) rules (TCP 3387/3392, for web clients): said with what they serve, how many
/// are enabled and where each is stored; the real hive has none, and then nothing is said. The rule strings
/// are derived from the real hive's RemoteDesktop-UserMode-In-TCP (its port and name changed).
#[test]
fn websocket_rules_are_said_and_only_when_present() {
    let d = tempfile::tempdir().unwrap();
    let real = real_hive("SYSTEM", d.path(), "SYSTEM-real");
    let (_, r) = report(&hives(&[&real]));
    assert!(!ids(&r).contains(&"host.firewall_websocket_rules"), "{:?}", ids(&r));
    let ws = |port: u32, active: &str| {
        format!(
            r"v2.10|Action=Allow|Active={active}|Dir=In|Protocol=6|LPort={port}|App=%SystemRoot%\system32\svchost.exe|Svc=termservice|Name=Remote Desktop - (TCP-WS-In)|EmbedCtxt=@FirewallAPI.dll,-28852|"
        )
    };
    let (a, b) = (ws(3387, "TRUE"), ws(3392, "FALSE"));
    let h = system_variant(
        d.path(),
        "SYSTEM",
        &[(FW, Some(vec![("RemoteDesktop-In-TCP-WS", V::Sz(&a)), ("RemoteDesktop-In-TCP-WSS", V::Sz(&b))]))],
    );
    let (host, r) = report(&hives(&[&h]));
    let (f, ev) = finding(&r, "host.firewall_websocket_rules");
    assert_eq!(f.severity, rdp_doctor_core::Severity::Info);
    assert!(
        f.summary.contains("2 Remote Desktop WebSocket rule(s), 1 enabled") && f.summary.contains("3387/3392"),
        "{}",
        f.summary
    );
    assert!(ev.contains(r"rule RemoteDesktop-In-TCP-WS (local): v2.10|Action=Allow|Active=TRUE"), "{ev}");
    assert!(ev.contains(r"FirewallPolicy\FirewallRules\RemoteDesktop-In-TCP-WSS"), "{ev}");
    assert!(ev.contains(&format!("read from {}", h.display())), "{ev}");
    // They do not cover the RDP port: the real hive's verdict on 3389 is unchanged by them.
    assert_eq!(host.firewall.as_ref().map(|f| f.rules.iter().filter(|r| r.id.contains("-WS")).count()), Some(2));
    assert!(!ids(&r).contains(&"host.firewall_block_rule"), "{:?}", ids(&r));
}

#[test]
fn firewall_variants_port_block_and_inactive_rules() {
    let d = tempfile::tempdir().unwrap();
    // The listener moved to 3390: the built-in rules name 3389.
    let moved = system_variant(d.path(), "SYSTEM", &[(RDP_TCP, Some(vec![("PortNumber", V::Dword(3390))]))]);
    let (_, r) = report(&hives(&[&moved]));
    let (f, _) = finding(&r, "host.firewall_no_allow_rule");
    assert!(f.summary.contains("TCP 3390") && f.summary.contains("Domain, Private, Public"), "{}", f.summary);
    // A block rule from policy-less local configuration covering 3389.
    let d2 = tempfile::tempdir().unwrap();
    let blocked = system_variant(
        d2.path(),
        "SYSTEM",
        &[(
            FW,
            Some(vec![(
                "Block-RDP",
                V::Sz("v2.30|Action=Block|Active=TRUE|Dir=In|Protocol=6|Profile=Domain|LPort=3389|Name=Block RDP|"),
            )]),
        )],
    );
    let (_, r) = report(&hives(&[&blocked]));
    let (f, ev) = finding(&r, "host.firewall_block_rule");
    assert!(f.summary.contains("Domain") && !f.summary.contains("Public"), "{}", f.summary);
    assert!(ev.contains("rule Block-RDP (local)"), "{ev}");
    assert_eq!(r.verdict, "host.firewall_block_rule");
    // The old kernel-listener rule switched off: no enabled rule left for any profile.
    let d3 = tempfile::tempdir().unwrap();
    let off = system_variant(
        d3.path(),
        "SYSTEM",
        &[(
            FW,
            Some(vec![(
                "RemoteDesktop-In-TCP",
                V::Sz(
                    "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Domain|Profile=Private|LPort=3389|App=System|Name=@FirewallAPI.dll,-28753|",
                ),
            )]),
        )],
    );
    let (_, r) = report(&hives(&[&off]));
    assert!(ids(&r).contains(&"host.firewall_no_allow_rule"), "{:?}", ids(&r));
}

#[test]
fn policy_wins_over_local_and_software_settings() {
    let d = tempfile::tempdir().unwrap();
    let sys = real_hive("SYSTEM", d.path(), "SYSTEM");
    let sw = software(
        d.path(),
        "SOFTWARE",
        &[
            (
                r"Policies\Microsoft\Windows NT\Terminal Services",
                Some(vec![("fDenyTSConnections", V::Dword(1)), ("SecurityLayer", V::Dword(0))]),
            ),
            (
                r"Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters",
                Some(vec![("AllowEncryptionOracle", V::Dword(2))]),
            ),
            (r"Microsoft\Windows NT\CurrentVersion\Winlogon", Some(vec![("WinStationsDisabled", V::Dword(1))])),
        ],
    );
    let (host, r) = report(&hives(&[&sys, &sw]));
    assert_eq!(host.hives.iter().map(|h| h.role.as_str()).collect::<Vec<_>>(), ["SYSTEM", "SOFTWARE"]);
    assert_eq!(host.os.as_deref(), Some("Windows Server 2022 Datacenter, build 20348"));
    let (f, ev) = finding(&r, "host.remote_connections_disabled");
    assert!(f.summary.contains("Group Policy"), "{}", f.summary);
    assert!(
        ev.contains(r"policy: HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\fDenyTSConnections"),
        "{ev}"
    );
    assert!(ev.contains("the local value 0 (0x0) is overridden"), "{ev}");
    assert!(ev.contains(&sw.display().to_string()), "{ev}");
    let (_, ev) = finding(&r, "host.security_layer_rdp");
    assert!(ev.contains("policy:"), "{ev}");
    let (_, ev) = finding(&r, "host.encryption_oracle_vulnerable");
    assert!(ev.contains("AllowEncryptionOracle = 2"), "{ev}");
    let (_, ev) = finding(&r, "host.drain_mode");
    assert!(ev.contains("WinStationsDisabled = 1"), "{ev}");
    // Force Updated Clients is the other direction.
    let d2 = tempfile::tempdir().unwrap();
    let sw0 = software(
        d2.path(),
        "SOFTWARE",
        &[(
            r"Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters",
            Some(vec![("AllowEncryptionOracle", V::Dword(0))]),
        )],
    );
    let (_, r) = report(&hives(&[&sw0]));
    assert!(
        ids(&r).contains(&"host.encryption_oracle_force") && !ids(&r).contains(&"host.encryption_oracle_vulnerable")
    );
    assert!(r.limitations.iter().any(|l| l.contains("no SYSTEM hive read")));
}

#[test]
fn firewall_policy_without_local_merge_ignores_local_rules() {
    let d = tempfile::tempdir().unwrap();
    let sys = real_hive("SYSTEM", d.path(), "SYSTEM");
    let no_merge: Vec<Section<'_>> = ["DomainProfile", "PrivateProfile", "PublicProfile"]
        .iter()
        .map(|p| {
            (
                Box::leak(format!(r"Policies\Microsoft\WindowsFirewall\{p}").into_boxed_str()) as &str,
                Some(vec![("AllowLocalPolicyMerge", V::Dword(0))]),
            )
        })
        .collect();
    let sw = software(d.path(), "SOFTWARE", &no_merge);
    let (_, r) = report(&hives(&[&sys, &sw]));
    let (f, ev) = finding(&r, "host.firewall_no_allow_rule");
    assert!(f.summary.contains("Domain, Private, Public"), "{}", f.summary);
    assert!(ev.contains("local rules ignored (AllowLocalPolicyMerge = 0)"), "{ev}");
    // A policy rule for the port restores it.
    let d2 = tempfile::tempdir().unwrap();
    let sys2 = real_hive("SYSTEM", d2.path(), "SYSTEM");
    let mut with_rule = no_merge.clone();
    with_rule.push((
        r"Policies\Microsoft\WindowsFirewall\FirewallRules",
        Some(vec![(
            "GPO-RDP",
            V::Sz("v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=3389|Name=RDP from GPO|"),
        )]),
    ));
    let sw2 = software(d2.path(), "SOFTWARE", &with_rule);
    let (_, r) = report(&hives(&[&sys2, &sw2]));
    let ids = ids(&r);
    assert!(!ids.contains(&"host.firewall_no_allow_rule") && !ids.contains(&"host.firewall_profile_gap"), "{ids:?}");
}
