//! Host evidence: what the RDP server's own configuration and logs say, read live on Windows, offline from a
//! mounted system volume or single hives, from exported event logs, or from a saved snapshot.
//!
//! This is also the snapshot format (`rdp-doctor host --save FILE`, `--snapshot FILE`): JSON with
//! [`HOST_SCHEMA_VERSION`]. Facts only, each with where it came from; the judgement is in `rules/host.rs`.
//! Fields are only ever added within a schema version; a snapshot of another version is refused.

use serde::{Deserialize, Serialize};

use crate::cert::CertInfo;

/// Version of the host snapshot format.
pub const HOST_SCHEMA_VERSION: u32 = 1;

/// Everything one collection saw on (or from) the RDP server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostEvidence {
    pub schema_version: u32,
    /// How the data was collected: `live`, `offline` (a mounted volume), `hive` (single hive files),
    /// `evtx` (exported logs only), or a combination joined with `+`.
    pub collection: String,
    /// The directory or files read (absent for live collection).
    pub inputs: Vec<String>,
    /// Unix time of the collection; events are judged against it.
    pub collected_at_unix: i64,
    /// `ComputerName` from the SYSTEM hive (or the live host).
    pub computer_name: Option<String>,
    /// Product name and build from `SOFTWARE\Microsoft\Windows NT\CurrentVersion`.
    pub os: Option<String>,
    /// The hive files read, with their state.
    pub hives: Vec<HiveFile>,
    /// The RDP settings, each with the value that takes effect and where it came from.
    pub settings: Vec<Setting>,
    /// Windows Firewall profiles and the rules that match TCP `PortNumber` inbound.
    pub firewall: Option<FirewallEvidence>,
    /// The listener's certificate as the host holds it.
    pub certificate: Option<ListenerCertificate>,
    /// The Remote Desktop Services service.
    pub service: Option<ServiceEvidence>,
    /// Who listens on `PortNumber` (live only).
    pub listener: Option<ListenerEvidence>,
    /// Sessions in use against `MaxInstanceCount` (live only).
    pub sessions_in_use: Option<u32>,
    /// The listener's connections counted in `sessions_in_use` (`rdp-tcp#0`, …) and where they were read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<String>,
    /// Logon rights and group membership for Remote Desktop.
    pub rights: Option<RightsEvidence>,
    /// Accounts the administrator asked about (`host --user NAME`): their logon right is judged by name.
    #[serde(default)]
    pub accounts_checked: Vec<String>,
    /// Event log files read and the records of interest in the window.
    pub events: Option<EventsEvidence>,
    /// What could not be read, and why.
    pub limitations: Vec<String>,
}

/// One hive file as read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HiveFile {
    /// `SYSTEM`, `SOFTWARE`, `SECURITY`, `SAM` or what the file says it is.
    pub role: String,
    pub path: String,
    pub bytes: u64,
    /// The base block's primary and secondary sequence numbers differ: changes were still in the
    /// transaction logs when the volume was taken offline.
    pub dirty: bool,
    /// Transaction logs applied to a dirty hive (`SYSTEM.LOG1`, …), in order.
    pub logs_applied: Vec<String>,
    /// The control set `Select\Current` names (SYSTEM only).
    pub control_set: Option<u32>,
    /// Why the hive could not be read (then nothing else here is from it).
    pub error: Option<String>,
}

/// Where a setting's effective value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingSource {
    /// Group Policy (`HKLM\SOFTWARE\Policies\...`): wins over the local value.
    Policy,
    /// The local configuration (`HKLM\SYSTEM\CurrentControlSet\...`, `HKLM\SOFTWARE\...`).
    Local,
    /// Neither is set: Windows' documented default applies.
    Default,
}

/// One setting with its effective value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    /// Stable name: the registry value's name (`fDenyTSConnections`, `PortNumber`, …), or
    /// `Schannel TLS 1.2 Server Enabled` style names for the Schannel switches.
    pub name: String,
    /// The number that takes effect (`None` for strings).
    pub value: Option<u32>,
    /// The text that takes effect (thumbprints, strings); for numbers their rendering.
    pub text: String,
    pub source: SettingSource,
    /// Full registry path of the value that was read, `HKLM\...\Key\Value` (the documented key when the
    /// value is a default).
    pub path: String,
    /// The local value when a policy overrides it, so the report can say both.
    pub overridden_local: Option<String>,
}

/// The firewall as the registry stores it (`...\SharedAccess\Parameters\FirewallPolicy`, local and policy).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallEvidence {
    /// Domain, Private (`StandardProfile`), Public: enabled or not, and where that came from.
    pub profiles: Vec<FirewallProfile>,
    /// Network categories of the networks this host knows (`NetworkList\Profiles`), when read.
    pub network_categories: Vec<String>,
    /// Inbound rules that match TCP `PortNumber` (or any port), enabled or not.
    pub rules: Vec<FirewallRule>,
    /// Rules read in all (local + policy).
    pub rules_read: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallProfile {
    /// `Domain`, `Private` or `Public`.
    pub name: String,
    pub enabled: bool,
    /// `DefaultInboundAction` = 1 (block) unless set otherwise.
    pub default_inbound_block: bool,
    /// Local rules apply (a policy's `AllowLocalPolicyMerge` = 0 makes only policy rules count).
    pub local_rules_apply: bool,
    pub source: SettingSource,
    pub path: String,
}

/// One firewall rule as stored (`v2.x|Action=Allow|Active=TRUE|Dir=In|Protocol=6|…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallRule {
    /// The value name (rule ID), e.g. `RemoteDesktop-UserMode-In-TCP`.
    pub id: String,
    /// `Name=` (may be an indirect string such as `@FirewallAPI.dll,-28753`).
    pub name: String,
    pub allow: bool,
    pub active: bool,
    pub inbound: bool,
    /// IP protocol number (6 = TCP); `None` = any.
    pub protocol: Option<u32>,
    /// Profiles the rule applies to; empty = all.
    pub profiles: Vec<String>,
    /// Local ports (`3389`, `3380-3390`, `RPC`, …); empty = any.
    pub local_ports: Vec<String>,
    /// Remote addresses; empty = any.
    pub remote_addresses: Vec<String>,
    /// `App=` and `Svc=` when present.
    pub app: Option<String>,
    pub service: Option<String>,
    /// `AppPkgId=`: the rule applies to one packaged (Store) app only.
    #[serde(default)]
    pub package: Option<String>,
    pub source: SettingSource,
    /// Registry path of the value.
    pub path: String,
    /// The stored string, verbatim (bounded).
    pub raw: String,
}

/// The certificate the listener uses, as the host holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerCertificate {
    /// Why this one: `bound` (`SSLCertificateSHA1Hash` names it) or `self-signed` (the `Remote Desktop` store).
    pub selection: String,
    /// The thumbprint the listener is bound to, when one is set.
    pub bound_thumbprint: Option<String>,
    /// The certificate found, if any.
    pub found: Option<StoredCertificate>,
    /// Other certificates in the `Remote Desktop` store (thumbprints), for context.
    pub others: Vec<String>,
    /// The private key's file, when looked up.
    pub key_file: Option<KeyFileEvidence>,
}

/// One certificate from a machine store (`HKLM\SOFTWARE\Microsoft\SystemCertificates\<store>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCertificate {
    /// `My` or `Remote Desktop`.
    pub store: String,
    /// The registry key name (the SHA-1 thumbprint, upper case).
    pub thumbprint: String,
    /// Registry path of the `Blob` value (or the live store's name).
    pub path: String,
    /// The certificate, DER in hex.
    pub der_hex: String,
    pub info: CertInfo,
    /// The key provider info property (`CERT_KEY_PROV_INFO_PROP_ID`): `None` = the store holds no private
    /// key reference for this certificate.
    pub key: Option<KeyProvInfo>,
}

/// CRYPT_KEY_PROV_INFO: which provider and container hold the private key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyProvInfo {
    pub container: String,
    pub provider: String,
    /// 0 = a CNG key storage provider, 1 = PROV_RSA_FULL, 24 = PROV_RSA_AES, …
    pub provider_type: u32,
    /// CRYPT_MACHINE_KEYSET (0x20) set: a machine key.
    pub machine_keyset: bool,
    /// AT_KEYEXCHANGE (1) or AT_SIGNATURE (2); 0 for CNG.
    pub key_spec: u32,
}

/// The private key's file in the machine key store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFileEvidence {
    /// The directory looked in (`ProgramData\Microsoft\Crypto\RSA\MachineKeys` or `…\Crypto\Keys`).
    pub directory: String,
    /// The file name derived from the container name and `MachineGuid`.
    pub expected_name: Option<String>,
    /// How the name was derived, or why it could not be.
    pub derivation: String,
    pub exists: Option<bool>,
    /// The key file's bytes and the container name stored inside it, when read.
    pub bytes: Option<u64>,
    pub embedded_name: Option<String>,
    /// Its access control, when it could be read (`None` = not readable from here: stated as a limitation).
    pub acl: Option<Vec<String>>,
    /// Whether the service's account can read it, when the ACL was read.
    pub service_account_can_read: Option<bool>,
}

/// The Remote Desktop Services service (`TermService`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceEvidence {
    /// `Start`: 2 automatic, 3 manual, 4 disabled.
    pub start_type: Option<u32>,
    /// `ObjectName`, the account it runs as (`NT Authority\NetworkService`).
    pub account: Option<String>,
    /// `ServiceSidType`: 0 none, 1 unrestricted, 3 restricted. With 1 or 3 the service's token also holds its
    /// service SID, `NT SERVICE\TermService` (S-1-5-80-…), so an ACL entry for that SID counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid_type: Option<u32>,
    /// `RUNNING`, `STOPPED`, … (live only): the service control manager's `dwCurrentState` by its winsvc.h
    /// name, or `NOT_INSTALLED` when the manager does not know the service.
    pub state: Option<String>,
    pub path: String,
    /// The process the service runs in, when running (live only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// Where the state came from (`service control manager: QueryServiceStatusEx(TermService): 4 RUNNING, PID 1168`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_source: Option<String>,
}

/// Who listens on the RDP port (live only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerEvidence {
    pub port: u16,
    /// The listening process's image name, or `None` when nothing listens.
    pub process: Option<String>,
    pub pid: Option<u32>,
    /// The local addresses listening (`0.0.0.0:3389`, `[::]:3389`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// The services hosted in the listening process (`TermService`), when the source says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// Where this came from (`netstat -ano`, `tasklist /svc`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// Logon rights (LSA policy) and Remote Desktop Users membership: offline from the SECURITY hive
/// (`Policy\Accounts\<SID>\ActSysAc`) and the SAM hive (`SAM\Domains\Builtin\Aliases\<RID>\C`), live from
/// LsaEnumerateAccountsWithUserRight and NetLocalGroupGetMembers. SIDs are in string form (`S-1-5-32-555`);
/// `names` resolves the ones the sources could name. `None` = that list could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsEvidence {
    /// SIDs holding SeRemoteInteractiveLogonRight ("Allow log on through Remote Desktop Services").
    pub allow_remote_interactive: Option<Vec<String>>,
    /// SIDs holding SeDenyRemoteInteractiveLogonRight ("Deny log on through Remote Desktop Services").
    pub deny_remote_interactive: Option<Vec<String>>,
    /// Members of BUILTIN\Remote Desktop Users (S-1-5-32-555).
    pub remote_desktop_users: Option<Vec<String>>,
    /// Where each list came from (hive files and keys, or the API calls).
    pub source: String,
    /// Every local group (SAM alias, BUILTIN and the machine's own) with its member SIDs, when read: the
    /// right may be granted to any of them.
    #[serde(default)]
    pub groups: Vec<LocalGroup>,
    /// Local user accounts (SAM `Domains\Account\Users`), when read.
    #[serde(default)]
    pub users: Vec<LocalUser>,
    /// Names for SIDs, where the sources say them (SAM names, well-known SIDs, LookupAccountSid).
    #[serde(default)]
    pub names: Vec<SidName>,
    /// The machine's account domain SID (`S-1-5-21-a-b-c`: SECURITY `Policy\PolAcDmS`), when read.
    #[serde(default)]
    pub machine_sid: Option<String>,
    /// The primary (Active Directory) domain's SID (`Policy\PolPrDmS`), when the machine is joined.
    #[serde(default)]
    pub domain_sid: Option<String>,
}

/// A local group (SAM alias) and its members.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalGroup {
    pub sid: String,
    pub name: String,
    /// Member SIDs (users and groups, local or of the domain), bounded.
    pub members: Vec<String>,
    /// Registry path (or API) the list came from.
    pub path: String,
}

/// A local user account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalUser {
    pub sid: String,
    pub name: String,
    /// USER_ACCOUNT_DISABLED in the account's control flags, when read.
    pub disabled: Option<bool>,
}

/// A name for a SID.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SidName {
    pub sid: String,
    /// `BUILTIN\Remote Desktop Users`, `RDS1\alice`, `Everyone`.
    pub name: String,
}

impl RightsEvidence {
    /// The name of `sid` when known.
    pub fn name_of(&self, sid: &str) -> Option<&str> {
        self.names.iter().find(|n| n.sid.eq_ignore_ascii_case(sid)).map(|n| n.name.as_str())
    }

    /// `BUILTIN\Remote Desktop Users (S-1-5-32-555)` or the SID alone.
    pub fn display(&self, sid: &str) -> String {
        match self.name_of(sid) {
            Some(n) => format!("{n} ({sid})"),
            None => sid.to_owned(),
        }
    }

    /// The local group `sid`, when read.
    pub fn group(&self, sid: &str) -> Option<&LocalGroup> {
        self.groups.iter().find(|g| g.sid.eq_ignore_ascii_case(sid))
    }
}

/// Event logs read and the records of interest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsEvidence {
    /// Records older than this are not reported (`--since`, default 24 h before the newest record read or
    /// the collection time).
    pub window_start_unix: i64,
    pub files: Vec<EvtxFile>,
    /// Records of interest in the window, newest first, bounded.
    pub records: Vec<HostEvent>,
    /// Records of interest beyond the bound, by `provider/id`.
    pub omitted: usize,
}

/// One event log file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvtxFile {
    pub path: String,
    pub bytes: u64,
    /// The channel the records name (from the first record read).
    pub channel: Option<String>,
    pub records_read: u64,
    pub records_of_interest: u64,
    /// Records that could not be parsed (truncated or damaged chunks).
    pub records_damaged: u64,
    /// Why reading stopped early or failed.
    pub error: Option<String>,
    /// Newest record's time in this file.
    pub newest_unix: Option<i64>,
}

/// One event record of interest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostEvent {
    pub provider: String,
    pub event_id: u32,
    pub channel: String,
    /// `System/TimeCreated/@SystemTime` as Unix seconds and as written.
    pub time_unix: i64,
    pub time: String,
    pub record_id: u64,
    /// The file it came from.
    pub file: String,
    /// `EventData` / `UserData` fields by name (bounded), in document order.
    pub data: Vec<(String, String)>,
    /// `System/Correlation/@ActivityID`: the records of one activity (one client connection attempt) share it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_id: Option<String>,
    /// `System/Level`: 1 critical, 2 error, 3 warning, 4 information, 5 verbose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
}

impl HostEvidence {
    /// An empty snapshot collected at `collected_at_unix` by `collection`.
    pub fn new(collection: &str, collected_at_unix: i64) -> Self {
        Self {
            schema_version: HOST_SCHEMA_VERSION,
            collection: collection.to_owned(),
            collected_at_unix,
            ..Self::default()
        }
    }

    /// The setting named `name`, when read.
    pub fn setting(&self, name: &str) -> Option<&Setting> {
        self.settings.iter().find(|s| s.name == name)
    }

    /// The number a setting takes effect with, when read.
    pub fn value(&self, name: &str) -> Option<u32> {
        self.setting(name).and_then(|s| s.value)
    }

    /// Event records of one provider (by a distinctive part of its name) and ID.
    pub fn events<'a>(&'a self, provider: &'a str, id: u32) -> impl Iterator<Item = &'a HostEvent> + 'a {
        self.events
            .iter()
            .flat_map(|e| e.records.iter())
            .filter(move |r| r.event_id == id && r.provider.contains(provider))
    }
}

impl HostEvent {
    /// A named field of the record's data.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.data.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}
