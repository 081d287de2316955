//! The client side's tables, written once: the events the Windows Remote Desktop client (mstsc and every
//! app built on its ActiveX control) writes about each connection attempt, with their fields and which code
//! family decodes each number; and the client settings that change the outcome (registry values, with
//! their policy keys and meanings). The client collector reads what these tables name, the attempt builder
//! (`rdp-doctor-client`) groups the events, core's `rules/client.rs` judges them, and `docs/client.md` is
//! generated from them (`rdp-doctor explain --markdown client`).
//!
//! Sources, and how far each fact is backed:
//! - Event IDs, channels, message templates and field names: the provider's manifest as published by
//!   `Get-WinEvent -ListProvider Microsoft-Windows-TerminalServices-ClientActiveXCore` listings and the
//!   OSSEM data dictionary generated from the manifest (field names and types per event). These are the
//!   manifest's own words, not Microsoft Learn pages: marked [`Backing::Manifest`].
//! - The order events appear in for one connection (1024 → 1028 → 1029 → 1102/1103 → 1025 → 1027 …
//!   → 1026): Microsoft's TechNet wiki "RDP Direct Connection with NLA Remote Desktop Client Event Logs" and
//!   forensic write-ups of the Operational log; marked [`Backing::Observed`] where we rely on it.
//! - What a field's value means (1026 `Value` is the client disconnect reason of
//!   `IMsTscAxEvents::OnDisconnected`; 226's `ErrorCode` an HRESULT): the message text says so; where only
//!   examples back the reading it is [`Backing::Unverified`].
//! - That the records of one attempt share `System/Correlation/@ActivityID`: the forensic write-ups and
//!   every example record seen; [`Backing::Observed`].

use rdp_doctor_codes::Kind;

/// The provider's name as records carry it.
pub const PROVIDER: &str = "Microsoft-Windows-TerminalServices-ClientActiveXCore";
/// A distinctive part of the provider's name (matching is by containment, as for the host tables).
pub const PROVIDER_PART: &str = "TerminalServices-ClientActiveXCore";
/// The channel the events below are written to by default.
pub const OPERATIONAL: &str = "Microsoft-Windows-TerminalServices-RDPClient/Operational";
/// The Analytic channel (off by default; the gateway events are there).
pub const ANALYTIC: &str = "Microsoft-Windows-TerminalServices-RDPClient/Analytic";

/// How well a fact is backed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backing {
    /// The provider's manifest (message template, field names and types).
    Manifest,
    /// Seen in published example logs; not stated by Microsoft.
    Observed,
    /// Inferred; not confirmed by any source we have.
    Unverified,
}

impl Backing {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manifest => "manifest",
            Self::Observed => "observed",
            Self::Unverified => "unverified",
        }
    }
}

/// How far a connection attempt got, in the order a connection goes. An attempt is at the furthest stage
/// one of its events proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The client started (1024: trying to connect).
    Started,
    /// Through an RD Gateway: connecting to it (1010).
    Gateway,
    /// The server answered the negotiation (1028: whether it supports TLS).
    Negotiated,
    /// Credentials were taken for the server (1029: the user name's hash).
    Credentials,
    /// The connection sequence finished (1025: connected), multi-transport set up (1102/1103).
    Connected,
    /// The user is logged on (1027: connected to domain with a session ID).
    LoggedOn,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Self::Started => "started (before the server answered)",
            Self::Gateway => "connecting through the RD Gateway",
            Self::Negotiated => "security negotiated (TLS/CredSSP next)",
            Self::Credentials => "credentials sent (authentication)",
            Self::Connected => "connected (connection sequence done)",
            Self::LoggedOn => "logged on (session)",
        }
    }
}

/// What an event says about its attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Proves the attempt got at least this far.
    Progress(Stage),
    /// An error; the attempt failed here unless it got further afterwards.
    Error,
    /// The end of the attempt (1026, with its reason).
    End,
    /// Context only.
    Info,
}

/// One field of an event's `EventData`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    pub name: &'static str,
    pub meaning: &'static str,
    /// The code family that decodes it (`None` with `any_code`: try every family; else not a code).
    pub code: Option<Kind>,
    /// The field holds a code of some family (an HRESULT, an SSPI status) to look up in all of them.
    pub any_code: bool,
}

macro_rules! f {
    ($n:literal, $m:literal) => {
        FieldDef { name: $n, meaning: $m, code: None, any_code: false }
    };
    ($n:literal, $m:literal, any) => {
        FieldDef { name: $n, meaning: $m, code: None, any_code: true }
    };
    ($n:literal, $m:literal, $k:ident) => {
        FieldDef { name: $n, meaning: $m, code: Some(Kind::$k), any_code: false }
    };
}

/// One event of the client's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientEventDef {
    pub id: u32,
    pub channel: &'static str,
    /// The message template, as the manifest has it (`%n` are the fields in order).
    pub message: &'static str,
    /// What it means for the attempt, in our words.
    pub meaning: &'static str,
    pub role: Role,
    pub fields: &'static [FieldDef],
    pub backing: Backing,
    /// A remark on the backing ("" when none).
    pub note: &'static str,
}

/// The `Name`/`Value`/`CustomLevel` triple many of the provider's events carry: `Name` labels the value.
const NV: &[FieldDef] = &[
    f!("Name", "What Value is (a label, such as the server's name)"),
    f!("Value", "The value"),
    f!("CustomLevel", "A level word"),
];

macro_rules! ev {
    ($id:literal, $ch:expr, $msg:literal, $meaning:literal, $role:expr, $fields:expr, $b:ident, $note:literal) => {
        ClientEventDef {
            id: $id,
            channel: $ch,
            message: $msg,
            meaning: $meaning,
            role: $role,
            fields: $fields,
            backing: Backing::$b,
            note: $note,
        }
    };
}

/// Every event of the provider the attempt builder uses, Operational first.
pub static EVENTS: &[ClientEventDef] = &[
    ev!(
        1024,
        OPERATIONAL,
        "RDP ClientActiveX is trying to connect to the server (%2)",
        "An attempt starts: Value is the server name as the user gave it (from the dialog or the .rdp file's full address)",
        Role::Progress(Stage::Started),
        NV,
        Manifest,
        "Whether Value carries a non-default port (name:port) is not documented; a port is taken when present"
    ),
    ev!(
        1028,
        OPERATIONAL,
        "Server supports SSL = %1",
        "The server answered the X.224 negotiation; the message says whether it supports TLS",
        Role::Progress(Stage::Negotiated),
        &[f!("TraceMessage", "supported / not supported")],
        Manifest,
        "Its place after 1024 is observed in published logs"
    ),
    ev!(
        1029,
        OPERATIONAL,
        "Base64(SHA256(UserName)) is = %1",
        "The client took credentials for the server (the message is a hash of the user name; rdp-doctor never quotes it)",
        Role::Progress(Stage::Credentials),
        &[f!("TraceMessage", "Hash of the user name (not quoted)")],
        Manifest,
        "Older clients wrote SHA1 instead of SHA256"
    ),
    ev!(
        1102,
        OPERATIONAL,
        "The client has initiated a multi-transport connection to the server %2.",
        "The client starts the UDP (multi-transport) connection; Value is the server's IP address the client used",
        Role::Progress(Stage::Connected),
        NV,
        Manifest,
        "Written once the main connection is up (observed): absent when an attempt failed earlier"
    ),
    ev!(
        1103,
        OPERATIONAL,
        "The client has established a multi-transport connection to the server.",
        "RDP-UDP is up beside the TCP connection",
        Role::Progress(Stage::Connected),
        &[],
        Manifest,
        ""
    ),
    ev!(
        1104,
        OPERATIONAL,
        "The client failed to establish the multi-transport connection.",
        "RDP-UDP could not be set up; the session goes on over TCP only (not a failure of the attempt)",
        Role::Info,
        &[],
        Manifest,
        ""
    ),
    ev!(
        1105,
        OPERATIONAL,
        "The multi-transport connection has been disconnected.",
        "The RDP-UDP transport ended (written when an attempt or session ends)",
        Role::Info,
        &[],
        Manifest,
        ""
    ),
    ev!(
        1025,
        OPERATIONAL,
        "RDP ClientActiveX has connected to the server",
        "The connection sequence finished",
        Role::Progress(Stage::Connected),
        &[],
        Manifest,
        ""
    ),
    ev!(
        1027,
        OPERATIONAL,
        "Connected to domain (%1) with session %2.",
        "The user is logged on: DomainName and the session ID on the server",
        Role::Progress(Stage::LoggedOn),
        &[f!("DomainName", "The domain of the account that logged on"), f!("SessionId", "The session on the server")],
        Manifest,
        ""
    ),
    ev!(
        1026,
        OPERATIONAL,
        "RDP ClientActiveX has been disconnected (Reason= %2)",
        "The attempt (or session) ended: Value is the client disconnect reason, the dialog's \"Error code\" (2308 = 0x904)",
        Role::End,
        &[
            f!("Name", "A label"),
            f!("Value", "The disconnect reason (IMsTscAxEvents::OnDisconnected discReason)", Disconnect),
            f!("CustomLevel", "A level word"),
        ],
        Manifest,
        "The dialog's extended code is not a field of this event"
    ),
    ev!(
        226,
        OPERATIONAL,
        "%1: An error was encountered when transitioning from %3 to %5 in response to %7 (error code %8).",
        "A state machine of the client failed: StateTransitionName names it (RDPClient_SSL is the TLS layer), the states and the event that failed, and ErrorCode the error",
        Role::Error,
        &[
            f!("StateTransitionName", "Which state machine (RDPClient_SSL: TLS)"),
            f!("PreviousState", "State number before"),
            f!("PreviousStateName", "State before"),
            f!("NewState", "State number after"),
            f!("NewStateName", "State after"),
            f!("Event", "Event number"),
            f!("EventName", "The event that failed (TsSslEventHandshakeContinueFailed …)"),
            f!("ErrorCode", "The error (an HRESULT or SSPI status)", any),
        ],
        Manifest,
        "Which state machine names map to which layer is read from the names (RDPClient_SSL is TLS); not documented"
    ),
    ev!(
        1007,
        OPERATIONAL,
        "DNS failed to resolve the server name (Error= %2)",
        "The server's name did not resolve; ErrorCode is the resolver's error",
        Role::Error,
        &[f!("TraceMessage", "A trace message"), f!("ErrorCode", "The resolver's error (Windows Sockets)")],
        Manifest,
        ""
    ),
    ev!(
        1009,
        OPERATIONAL,
        "The credentials provided were failed to be authenticated by the server",
        "The server refused the credentials",
        Role::Error,
        &[f!("TraceMessage", "A trace message"), f!("ErrorCode", "The error", any)],
        Manifest,
        ""
    ),
    ev!(
        1015,
        OPERATIONAL,
        "RDP ClientActiveX failed to automatically connect to the server (Reason= %1)",
        "Automatic reconnection failed",
        Role::Error,
        &[f!("ErrorCode", "The reason", Disconnect)],
        Manifest,
        "The field holding the reason is named after the manifest's template; not confirmed in an example"
    ),
    ev!(
        1017,
        OPERATIONAL,
        "Client does not have a license to connect to the server (Error= %2)",
        "Licensing failed",
        Role::Error,
        &[f!("TraceMessage", "A trace message"), f!("ErrorCode", "The licensing error", any)],
        Manifest,
        ""
    ),
    ev!(
        1107,
        OPERATIONAL,
        "Disconnect trace:%1 \"%2\", Error code:%3",
        "A component's note on why the connection ended",
        Role::Info,
        &[f!("ComponentName", "The component"), f!("Message", "Its note"), f!("ErrorCode", "Its error", any)],
        Manifest,
        "Channel not confirmed: listed with the General task"
    ),
    ev!(
        1010,
        ANALYTIC,
        "RDP ClientActiveX is connecting to a gateway server (%1=%2)",
        "The attempt goes through an RD Gateway: Value is the gateway's name",
        Role::Progress(Stage::Gateway),
        NV,
        Manifest,
        "Written to the Analytic channel, which is off by default: present only when that log is enabled and exported"
    ),
    ev!(
        1011,
        ANALYTIC,
        "RDP ClientActiveX succeeded in connecting to the gateway server",
        "The gateway accepted the connection",
        Role::Progress(Stage::Gateway),
        &[],
        Manifest,
        "Analytic channel"
    ),
    ev!(
        1012,
        ANALYTIC,
        "RDP ClientActiveX failed to connect to the gateway server(Error= %2)",
        "The connection to the RD Gateway failed; ErrorCode is its HRESULT",
        Role::Error,
        &[f!("TraceMessage", "A trace message"), f!("ErrorCode", "The gateway's HRESULT", Gateway)],
        Manifest,
        "Analytic channel"
    ),
    ev!(
        1021,
        ANALYTIC,
        "RDP ClientActiveX's gateway transport has recorded the following error - %2. Check Details.",
        "The gateway transport recorded an error; Value is its code",
        Role::Error,
        &[
            f!("Name", "A label"),
            f!("Value", "The gateway transport's error", Gateway),
            f!("CustomLevel", "A level word")
        ],
        Manifest,
        "Analytic channel"
    ),
];

/// The definition of an event of the client's provider.
pub fn event_def(provider: &str, id: u32) -> Option<&'static ClientEventDef> {
    if !provider.contains(PROVIDER_PART) {
        return None;
    }
    EVENTS.iter().find(|d| d.id == id)
}

/// Whether the event ID is one the attempt builder reads (checked before a record is parsed).
pub fn is_client_event_id(id: u32) -> bool {
    EVENTS.iter().any(|d| d.id == id)
}

/// Where a client setting lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientSettingDef {
    /// Stable name in evidence.
    pub name: &'static str,
    /// The full key of the local value (`HKLM\...`, `HKCU\...`).
    pub key: &'static str,
    pub value: &'static str,
    /// The Group Policy key that overrides it (same value name), when there is one.
    pub policy_key: Option<&'static str>,
    pub default: Option<u32>,
    pub meaning: &'static str,
    pub values: &'static [(u32, &'static str)],
    pub source: &'static str,
    /// The finding a non-default value can feed.
    pub finding: Option<&'static str>,
}

/// Every client setting read.
pub static SETTINGS: &[ClientSettingDef] = &[
    ClientSettingDef {
        name: "fClientDisableUDP",
        key: r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\Client",
        value: "fClientDisableUDP",
        policy_key: None,
        default: Some(0),
        meaning: "Group Policy \"Turn Off UDP On Client\": the client uses TCP only",
        values: &[(0, "UDP allowed"), (1, "UDP turned off: TCP only")],
        source: "Microsoft Learn: Remote Desktop Connection Client policy \"Turn Off UDP On Client\" (fClientDisableUDP)",
        finding: Some("client.udp_disabled_by_policy"),
    },
    ClientSettingDef {
        name: "TLS 1.2 Client Enabled",
        key: r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client",
        value: "Enabled",
        policy_key: None,
        default: None,
        meaning: "Schannel: TLS 1.2 for clients (Protocols\\TLS 1.2\\Client\\Enabled)",
        values: &[(0, "TLS 1.2 disabled for the client role")],
        source: "Microsoft Learn: TLS registry settings",
        finding: Some("client.tls12_disabled"),
    },
    ClientSettingDef {
        name: "TLS 1.2 Client DisabledByDefault",
        key: r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client",
        value: "DisabledByDefault",
        policy_key: None,
        default: None,
        meaning: "Schannel: TLS 1.2 not offered unless an application asks for it",
        values: &[(1, "TLS 1.2 disabled by default for the client role")],
        source: "Microsoft Learn: TLS registry settings",
        finding: Some("client.tls12_disabled"),
    },
    ClientSettingDef {
        name: "TLS 1.3 Client Enabled",
        key: r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.3\Client",
        value: "Enabled",
        policy_key: None,
        default: None,
        meaning: "Schannel: TLS 1.3 for clients",
        values: &[(0, "TLS 1.3 disabled for the client role")],
        source: "Microsoft Learn: TLS registry settings",
        finding: None,
    },
    ClientSettingDef {
        name: "AllowEncryptionOracle",
        key: r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters",
        value: "AllowEncryptionOracle",
        policy_key: None,
        default: None,
        meaning: "CredSSP Encryption Oracle Remediation on this client (CVE-2018-0886)",
        values: &[
            (0, "Force Updated Clients: this client refuses servers without the 2018 CredSSP update"),
            (1, "Mitigated: refuses to fall back to unpatched servers"),
            (2, "Vulnerable: connects to unpatched servers"),
        ],
        source: "Microsoft Learn: CredSSP updates for CVE-2018-0886 (Encryption Oracle Remediation)",
        finding: Some("client.encryption_oracle_vulnerable"),
    },
];

/// `HKCU\Software\Microsoft\Terminal Server Client\Servers\<host>`: `CertHash` (the SHA-1 thumbprint of the
/// certificate the user accepted for that server, binary) and `UsernameHint` (the last user name).
pub const SERVERS_KEY: &str = r"HKCU\Software\Microsoft\Terminal Server Client\Servers";
/// The WinHTTP proxy (`netsh winhttp show proxy`): the binary `WinHttpSettings` value.
pub const WINHTTP_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections";
/// Network adapters: `Class\{4d36e972-…}\NNNN` has `DriverDesc` and `NetCfgInstanceId`; the interface's
/// `MTU` is under `Tcpip\Parameters\Interfaces\{GUID}`.
pub const ADAPTER_CLASS_KEY: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Control\Class\{4d36e972-e325-11ce-bfc1-08002be10318}";
pub const TCPIP_INTERFACES_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces";
/// Firewall rules (local and policy), as the host side reads them.
pub const FIREWALL_RULES_KEYS: &[&str] = &[
    r"HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules",
    r"HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall\FirewallRules",
];
/// Words in an adapter's description that mark a VPN (or tunnel) adapter.
pub const VPN_WORDS: &[&str] = &[
    "vpn",
    "tap-windows",
    "wireguard",
    "wintun",
    "anyconnect",
    "globalprotect",
    "pangp",
    "fortinet",
    "juniper",
    "pulse secure",
    "zscaler",
    "openvpn",
    "wan miniport",
    "tunnel",
];

/// The setting named `name`.
pub fn setting(name: &str) -> Option<&'static ClientSettingDef> {
    SETTINGS.iter().find(|d| d.name == name)
}

/// What `value` means for the setting `name`.
pub fn meaning(name: &str, value: u32) -> Option<&'static str> {
    setting(name)?.values.iter().find(|(v, _)| *v == value).map(|(_, m)| *m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_unique_and_link_to_findings() {
        for e in EVENTS {
            assert_eq!(EVENTS.iter().filter(|o| o.id == e.id).count(), 1, "event {} twice", e.id);
        }
        for s in SETTINGS {
            assert_eq!(SETTINGS.iter().filter(|o| o.name == s.name).count(), 1);
            if let Some(f) = s.finding {
                assert!(crate::catalogue::by_id(f).is_some(), "setting {} links to unknown finding {f}", s.name);
            }
        }
        assert!(event_def(PROVIDER, 1026).is_some());
        assert!(event_def("Microsoft-Windows-Schannel", 1026).is_none());
        assert!(Stage::Started < Stage::LoggedOn);
    }
}
