//! The host side's tables, written once: which registry values are read (where, which policy value
//! overrides them, the default, what each number means), and which event IDs matter (provider, meaning,
//! the finding they feed). The host collector reads what these tables name; the rules and `explain`
//! render the meanings; `docs/host.md` is generated from them.

/// Which hive a value lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hive {
    /// `HKLM\SYSTEM`; keys are relative to the current control set (`CurrentControlSet`).
    System,
    /// `HKLM\SOFTWARE`.
    Software,
}

/// One registry value the host collector reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegValueDef {
    /// The value's name (also the setting's stable name in the snapshot).
    pub name: &'static str,
    pub hive: Hive,
    /// The key, relative to the hive root (SYSTEM: relative to the control set).
    pub key: &'static str,
    /// The Group Policy value that overrides it (`HKLM\SOFTWARE\Policies\...`, same value name).
    pub policy_key: Option<&'static str>,
    /// Windows' behaviour when neither is set, as a number (`None`: no single documented default).
    pub default: Option<u32>,
    /// What the value controls.
    pub meaning: &'static str,
    /// What each number means.
    pub values: &'static [(u32, &'static str)],
    /// Where the meaning is documented.
    pub source: &'static str,
}

/// The Terminal Services policy key (Group Policy: Computer Configuration > Administrative Templates >
/// Windows Components > Remote Desktop Services).
pub const TS_POLICY_KEY: &str = r"Policies\Microsoft\Windows NT\Terminal Services";
const TS: &str = r"Control\Terminal Server";
const RDP_TCP: &str = r"Control\Terminal Server\WinStations\RDP-Tcp";

macro_rules! v {
    ($name:literal, $hive:ident, $key:expr, $pol:expr, $def:expr, $meaning:literal, [$(($n:literal, $m:literal)),* $(,)?], $src:literal) => {
        RegValueDef {
            name: $name,
            hive: Hive::$hive,
            key: $key,
            policy_key: $pol,
            default: $def,
            meaning: $meaning,
            values: &[$(($n, $m)),*],
            source: $src,
        }
    };
}

/// Every registry value read, in report order.
pub static REG_VALUES: &[RegValueDef] = &[
    v!(
        "fDenyTSConnections",
        System,
        TS,
        Some(TS_POLICY_KEY),
        Some(1),
        "Allow remote connections to this computer (0 = allowed, 1 = denied)",
        [(0, "remote connections allowed"), (1, "remote connections denied")],
        "Microsoft Learn: Allow users to connect remotely by using Remote Desktop Services (fDenyTSConnections)"
    ),
    v!(
        "PortNumber",
        System,
        RDP_TCP,
        None,
        Some(3389),
        "TCP port of the RDP listener",
        [],
        "Microsoft Learn: Change the listening port for Remote Desktop"
    ),
    v!(
        "SecurityLayer",
        System,
        RDP_TCP,
        Some(TS_POLICY_KEY),
        Some(1),
        "Security layer the listener accepts",
        [
            (0, "RDP Security only (no TLS, no NLA)"),
            (1, "Negotiate (TLS when the client supports it)"),
            (2, "SSL/TLS required")
        ],
        "Microsoft Learn: Require use of specific security layer for remote (RDP) connections"
    ),
    v!(
        "UserAuthentication",
        System,
        RDP_TCP,
        Some(TS_POLICY_KEY),
        None,
        "Network Level Authentication (NLA)",
        [(0, "NLA not required"), (1, "NLA required (CredSSP before the session)")],
        "Microsoft Learn: Require user authentication for remote connections by using Network Level Authentication"
    ),
    v!(
        "MinEncryptionLevel",
        System,
        RDP_TCP,
        Some(TS_POLICY_KEY),
        Some(2),
        "Encryption level for RDP Security (Standard RDP Security only)",
        [(1, "Low"), (2, "Client compatible"), (3, "High"), (4, "FIPS compliant")],
        "Microsoft Learn: Set client connection encryption level"
    ),
    v!(
        "MaxInstanceCount",
        System,
        RDP_TCP,
        Some(TS_POLICY_KEY),
        Some(0xFFFF_FFFF),
        "Maximum number of sessions on the listener (0xFFFFFFFF = unlimited)",
        [(0xFFFF_FFFF, "unlimited")],
        "Microsoft Learn: Limit number of connections (MaxInstanceCount)"
    ),
    v!(
        "fEnableWinStation",
        System,
        RDP_TCP,
        None,
        Some(1),
        "The RDP-Tcp listener is enabled",
        [(0, "listener disabled"), (1, "listener enabled")],
        "Win32_TSGeneralSetting / tscon documentation (WinStation enabled)"
    ),
    v!(
        "LanAdapter",
        System,
        RDP_TCP,
        None,
        Some(0),
        "Network adapter the listener binds to (0 = all)",
        [(0, "all network adapters")],
        "Win32_TSNetworkAdapterSetting (NetworkAdapterLanaID)"
    ),
    v!(
        "fSingleSessionPerUser",
        System,
        TS,
        Some(TS_POLICY_KEY),
        Some(1),
        "Restrict each user to a single session",
        [(0, "several sessions per user"), (1, "one session per user")],
        "Microsoft Learn: Restrict Remote Desktop Services users to a single Remote Desktop Services session"
    ),
    v!(
        "MaxOutstandingConnections",
        System,
        TS,
        None,
        None,
        "Maximum number of connections that have not finished logging on; beyond it the listener refuses new ones (event 1006)",
        [],
        "Microsoft Learn: Remote Desktop Services event 1006 (large number of incomplete connections)"
    ),
    v!(
        "TSServerDrainMode",
        System,
        TS,
        None,
        Some(0),
        "Drain mode (change logon /drain)",
        [
            (0, "all connections allowed"),
            (1, "new logons refused until restart (change logon /drainuntilrestart)"),
            (2, "new logons refused, reconnections allowed (change logon /drain)")
        ],
        "change logon (chglogon) documentation; Remote Desktop Services drain mode"
    ),
    v!(
        "WinStationsDisabled",
        Software,
        r"Microsoft\Windows NT\CurrentVersion\Winlogon",
        None,
        Some(0),
        "Remote logons disabled (change logon /disable)",
        [(0, "logons enabled"), (1, "all remote logons and reconnections refused")],
        "change logon (chglogon) documentation"
    ),
    v!(
        "TermService Start",
        System,
        r"Services\TermService",
        None,
        Some(3),
        "Start type of Remote Desktop Services (TermService)",
        [(2, "automatic"), (3, "manual (started on demand)"), (4, "disabled")],
        "Microsoft Learn: Services registry tree (Start)"
    ),
    v!(
        "TLS 1.2 Server Enabled",
        System,
        r"Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server",
        None,
        None,
        "Schannel: TLS 1.2 for servers (Protocols\\TLS 1.2\\Server\\Enabled)",
        [(0, "TLS 1.2 disabled for the server role")],
        "Microsoft Learn: TLS registry settings"
    ),
    v!(
        "TLS 1.2 Server DisabledByDefault",
        System,
        r"Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server",
        None,
        None,
        "Schannel: TLS 1.2 not offered unless an application asks for it (Protocols\\TLS 1.2\\Server\\DisabledByDefault)",
        [(1, "TLS 1.2 disabled by default for the server role")],
        "Microsoft Learn: TLS registry settings"
    ),
    v!(
        "TLS 1.0 Server Enabled",
        System,
        r"Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.0\Server",
        None,
        None,
        "Schannel: TLS 1.0 for servers",
        [(0, "TLS 1.0 disabled for the server role")],
        "Microsoft Learn: TLS registry settings"
    ),
    v!(
        "TLS 1.1 Server Enabled",
        System,
        r"Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.1\Server",
        None,
        None,
        "Schannel: TLS 1.1 for servers",
        [(0, "TLS 1.1 disabled for the server role")],
        "Microsoft Learn: TLS registry settings"
    ),
    v!(
        "FipsAlgorithmPolicy Enabled",
        System,
        r"Control\Lsa\FipsAlgorithmPolicy",
        None,
        Some(0),
        "System cryptography: use FIPS compliant algorithms (Control\\Lsa\\FipsAlgorithmPolicy\\Enabled)",
        [
            (0, "FIPS mode off"),
            (1, "FIPS mode on: RDP Security needs FIPS encryption; TLS suites limited to FIPS ones")
        ],
        "Microsoft Learn: System cryptography: Use FIPS compliant algorithms for encryption, hashing, and signing"
    ),
    v!(
        "AllowEncryptionOracle",
        Software,
        r"Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters",
        None,
        None,
        "CredSSP encryption oracle remediation (CVE-2018-0886)",
        [
            (0, "Force Updated Clients: refuses clients without the 2018 CredSSP update"),
            (1, "Mitigated"),
            (2, "Vulnerable: accepts every client")
        ],
        "Microsoft Learn: CredSSP updates for CVE-2018-0886 (Encryption Oracle Remediation)"
    ),
];

impl RegValueDef {
    /// The registry value's own name: the setting's name, or its last word for settings named after their
    /// key (`TLS 1.2 Server Enabled` is the value `Enabled`).
    pub fn value_name(&self) -> &'static str {
        self.name.rsplit(' ').next().unwrap_or(self.name)
    }

    /// The full path of the key holding the local value (`HKLM\SYSTEM\CurrentControlSet\...`).
    pub fn local_key(&self) -> String {
        match self.hive {
            Hive::System => format!("HKLM\\SYSTEM\\CurrentControlSet\\{}", self.key),
            Hive::Software => format!("HKLM\\SOFTWARE\\{}", self.key),
        }
    }
}

/// The registry value named `name`.
pub fn reg_value(name: &str) -> Option<&'static RegValueDef> {
    REG_VALUES.iter().find(|d| d.name == name)
}

/// What `value` means for the setting `name` (`None` when the table has no word for it).
pub fn meaning(name: &str, value: u32) -> Option<&'static str> {
    reg_value(name)?.values.iter().find(|(v, _)| *v == value).map(|(_, m)| *m)
}

/// One event ID that matters to Remote Desktop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventDef {
    /// A distinctive part of the provider's name (`TerminalServices-RemoteConnectionManager`, `Schannel`).
    pub provider: &'static str,
    pub id: u32,
    /// The channel it is written to.
    pub channel: &'static str,
    pub meaning: &'static str,
    /// The finding it feeds, if any.
    pub finding: Option<&'static str>,
}

macro_rules! e {
    ($p:literal, $id:literal, $ch:literal, $m:literal, $f:expr) => {
        EventDef { provider: $p, id: $id, channel: $ch, meaning: $m, finding: $f }
    };
}

const RCM: &str = "TerminalServices-RemoteConnectionManager";

/// Every event the host collector keeps, by provider and ID.
pub static EVENTS: &[EventDef] = &[
    e!(
        "TerminalServices-RemoteConnectionManager",
        1056,
        "System",
        "A new self-signed certificate was created for the RDP listener",
        None
    ),
    e!(
        "TerminalServices-RemoteConnectionManager",
        1057,
        "System",
        "The RD Session Host server failed to create a new self-signed certificate for TLS authentication (error code in the record)",
        Some("host.certificate_creation_failed")
    ),
    e!(
        "TerminalServices-RemoteConnectionManager",
        1058,
        "System",
        "The RD Session Host server failed to replace the expired self-signed certificate (error code in the record)",
        Some("host.certificate_creation_failed")
    ),
    e!(
        "TerminalServices-RemoteConnectionManager",
        1006,
        "System",
        "The server received a large number of incomplete connections (MaxOutstandingConnections reached)",
        Some("host.outstanding_connections")
    ),
    e!(
        "TerminalServices-RemoteConnectionManager",
        1149,
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
        "Remote Desktop Services: user authentication succeeded (network level)",
        None
    ),
    e!(
        "TerminalServices-RemoteConnectionManager",
        261,
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
        "The listener RDP-Tcp received a connection",
        None
    ),
    e!(
        "TerminalServices-RemoteConnectionManager",
        258,
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
        "The listener RDP-Tcp started listening",
        None
    ),
    e!(
        "Schannel",
        36870,
        "System",
        "A fatal error occurred when accessing the TLS server credential private key (error code from the cryptographic module)",
        Some("host.certificate_key_unusable")
    ),
    e!(
        "Schannel",
        36871,
        "System",
        "A fatal error occurred while creating a TLS server credential",
        Some("host.certificate_key_unusable")
    ),
    e!(
        "Schannel",
        36874,
        "System",
        "A TLS connection request was received but none of the client's cipher suites is supported by the server",
        Some("host.tls_no_common_suite")
    ),
    e!(
        "Schannel",
        36888,
        "System",
        "A fatal TLS alert was generated and sent to the remote endpoint (alert description and internal error state)",
        None
    ),
    e!("Schannel", 36887, "System", "A fatal TLS alert was received from the remote endpoint", None),
    e!(
        "RdpCoreTS",
        131,
        "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",
        "The server accepted a new TCP connection from a client",
        None
    ),
    e!(
        "RdpCoreTS",
        140,
        "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",
        "A connection failed because the user name or password is not correct",
        None
    ),
    e!(
        "TerminalServices-LocalSessionManager",
        21,
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
        "Session logon succeeded",
        None
    ),
    e!(
        "TerminalServices-LocalSessionManager",
        24,
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
        "Session has been disconnected",
        None
    ),
    e!(
        "TerminalServices-LocalSessionManager",
        40,
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
        "Session disconnected, with a reason code",
        None
    ),
    e!(
        "Security-Auditing",
        4625,
        "Security",
        "An account failed to log on (Status and SubStatus say why; 0xC000015B = the logon type is not granted)",
        Some("host.logon_right_missing")
    ),
    e!(
        "Service Control Manager",
        7023,
        "System",
        "A service terminated with an error",
        Some("host.termservice_not_running")
    ),
    e!(
        "Service Control Manager",
        7031,
        "System",
        "A service terminated unexpectedly",
        Some("host.termservice_not_running")
    ),
    e!("Service Control Manager", 7000, "System", "A service failed to start", Some("host.termservice_not_running")),
];

/// Whether a record of `provider`/`id` is kept.
pub fn event_def(provider: &str, id: u32) -> Option<&'static EventDef> {
    EVENTS.iter().find(|d| d.id == id && provider.contains(d.provider))
}

/// The provider name distinct to Remote Connection Manager records.
pub const RCM_PROVIDER: &str = RCM;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_unique_and_link_to_findings() {
        let mut names: Vec<_> = REG_VALUES.iter().map(|d| d.name).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len());
        for e in EVENTS {
            assert_eq!(EVENTS.iter().filter(|o| o.id == e.id && o.provider == e.provider).count(), 1);
            if let Some(f) = e.finding {
                assert!(crate::catalogue::by_id(f).is_some(), "event {} links to unknown finding {f}", e.id);
            }
        }
        assert_eq!(meaning("SecurityLayer", 0), Some("RDP Security only (no TLS, no NLA)"));
        assert!(event_def("Microsoft-Windows-Schannel", 36870).is_some());
    }
}
