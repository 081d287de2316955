//! Client evidence (`rdp-doctor last`): what the user's own PC recorded about its Remote Desktop
//! connection attempts (the `Microsoft-Windows-TerminalServices-RDPClient/Operational` log, grouped by
//! ActivityID into attempts) and the client settings that change the outcome, each with where it was read.
//! Facts only; the judgement is in `rules/client.rs`. Field meanings are in `client_tables.rs`.

use serde::{Deserialize, Serialize};

use crate::client_tables::Stage;
use crate::evidence::host::{FirewallRule, Setting};

/// Everything `last` read on (or from) the client.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientEvidence {
    /// `live` (this PC's log and registry) or `events` (an exported log).
    pub collection: String,
    /// The files read (an exported log), or what was run (`wevtutil qe …`).
    pub inputs: Vec<String>,
    /// Attempts older than this are not listed (`--since`, default 24 h before the newest record).
    pub window_start_unix: i64,
    /// Event records read, and of those the client's.
    pub records_read: u64,
    pub client_records: u64,
    /// Records of other providers or channels, by channel (bounded), when an export mixed them in.
    pub other_channels: Vec<(String, u64)>,
    /// Records that could not be read, and why reading stopped early.
    pub damaged: u64,
    pub read_error: Option<String>,
    /// The attempts in the window, newest first, numbered from 1.
    pub attempts: Vec<ClientAttempt>,
    /// The number of the attempt diagnosed (`--attempt N`, default the newest failed one).
    pub selected: Option<u32>,
    /// The dialog's "Extended error code" when the user gave it (`--extended`): the log does not record it.
    pub extended_reason: Option<u32>,
    /// Client settings that change the outcome, each with its source.
    pub settings: Vec<Setting>,
    /// What the client remembers about the selected attempt's server (`Servers\<host>`).
    pub remembered: Option<RememberedServer>,
    /// The hidden `Default.rdp` in Documents, when it exists.
    pub default_rdp: Option<String>,
    /// The .rdp file the attempt came from, when one naming its server was found (or why not).
    pub rdp_file: Option<RdpFileMatch>,
    /// The WinHTTP proxy (gateway connections go through it).
    pub winhttp_proxy: Option<WinHttpProxy>,
    /// Network adapters that look like VPN or tunnel adapters, with their MTU.
    pub vpn_adapters: Vec<Adapter>,
    /// Outbound firewall rules that block the Remote Desktop client (mstsc.exe), enabled or not.
    pub firewall_blocks: Vec<FirewallRule>,
    /// Whether the registry was read at all (live on Windows; not from an exported log alone).
    pub registry_read: bool,
    /// What could not be read, and why.
    pub limitations: Vec<String>,
}

/// One connection attempt: the records sharing one ActivityID (or, without one, one 1024 … 1026 run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientAttempt {
    /// 1 = the newest.
    pub number: u32,
    pub activity_id: Option<String>,
    /// The first record's time (Unix seconds and as written).
    pub started_unix: i64,
    pub started: String,
    /// The last record's time.
    pub ended_unix: i64,
    /// 1024's Value: the server as the user named it (port split off when present).
    pub server: Option<String>,
    pub port: Option<u16>,
    /// 1102's Value: the address the client connected to.
    pub address: Option<String>,
    /// 1010's Value: the RD Gateway (Analytic log only).
    pub gateway: Option<String>,
    /// 1027: the logon's domain and session ID.
    pub domain: Option<String>,
    pub session_id: Option<u32>,
    /// 1028's message (whether the server supports TLS).
    pub server_tls: Option<String>,
    /// The furthest stage an event proves.
    pub reached: Stage,
    pub outcome: AttemptOutcome,
    /// 1026's Value: the client disconnect reason.
    pub disconnect_reason: Option<u32>,
    /// Every code the attempt's events carry (226, 1007, 1009, 1012, 1017, 1021, 1107 …), in order.
    pub errors: Vec<AttemptError>,
    /// The attempt's events, in order (bounded to 64).
    pub events: Vec<AttemptEvent>,
    /// Where its records came from.
    pub source: String,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// The user logged on (1027), whatever ended the session later.
    LoggedOn,
    /// Connected (1025/1102) and then ended by the user or the server without an error reason.
    EndedNormally,
    /// Ended before a logon with an error reason or error events.
    Failed,
    /// No end record in the window: still running, or the log was cut.
    Unfinished,
}

impl AttemptOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoggedOn => "logged on",
            Self::EndedNormally => "ended normally",
            Self::Failed => "failed",
            Self::Unfinished => "no end recorded",
        }
    }
}

/// A code an event of the attempt carried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptError {
    pub event_id: u32,
    /// The field it was read from (`Value`, `ErrorCode`).
    pub field: String,
    pub code: u32,
    /// What the event adds (226: `RDPClient_SSL: TsSslStateHandshakeStart → … on …`).
    pub context: String,
}

/// One record of an attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptEvent {
    pub event_id: u32,
    pub time_unix: i64,
    /// The message, filled from the record's fields (the user name hash is never quoted).
    pub text: String,
}

/// What the client keeps for a server (`HKCU\Software\Microsoft\Terminal Server Client\Servers\<host>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedServer {
    pub host: String,
    /// `CertHash`: the SHA-1 thumbprint of the certificate the user accepted (upper-case hex).
    pub cert_hash: Option<String>,
    /// `UsernameHint`: the user name last used for it.
    pub username_hint: Option<String>,
    pub path: String,
}

/// The .rdp file the attempt came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RdpFileMatch {
    /// The file, when one naming the server was found.
    pub path: Option<String>,
    /// How it was found, or why none was.
    pub how: String,
}

/// The WinHTTP proxy setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WinHttpProxy {
    /// `direct` or the proxy server list.
    pub proxy: Option<String>,
    pub bypass: Option<String>,
    pub path: String,
}

/// A network adapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adapter {
    pub description: String,
    /// `NetCfgInstanceId`.
    pub guid: String,
    /// The interface's configured `MTU`, when set (`None`: the driver's default).
    pub mtu: Option<u32>,
    pub path: String,
}

impl ClientEvidence {
    /// The attempt numbered `n`.
    pub fn attempt(&self, n: u32) -> Option<&ClientAttempt> {
        self.attempts.iter().find(|a| a.number == n)
    }

    /// The attempt being diagnosed.
    pub fn selected_attempt(&self) -> Option<&ClientAttempt> {
        self.selected.and_then(|n| self.attempt(n))
    }

    /// A setting by name.
    pub fn setting(&self, name: &str) -> Option<&Setting> {
        self.settings.iter().find(|s| s.name == name)
    }
}
