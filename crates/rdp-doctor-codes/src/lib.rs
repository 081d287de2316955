//! The code tables rdp-doctor explains: every number a Remote Desktop client, server or gateway reports
//! when a connection fails, with its meaning in plain words, the likely causes and what to do.
//!
//! One family per module, each a static table built from the sources it cites (Microsoft's protocol
//! specifications and client reference pages, and FreeRDP for the codes only FreeRDP defines). Meanings
//! are written in our own words. The same tables feed `rdp-doctor explain`, the generated
//! `docs/codes.md` and the rules that classify live evidence, so a fact is written down once.
//!
//! Nothing here does I/O; every lookup takes any `u32` and never panics. Wire values that the codecs
//! decode (the RDP_NEG structures) are open newtypes in [`nego`]: unknown values are kept and printed in
//! hex.

pub mod advice;
pub mod authz;
pub mod credssp;
pub mod disconnect;
pub mod errinfo;
pub mod extended;
pub mod freerdp;
pub mod gateway;
pub mod kerberos;
pub mod logon;
mod lookup;
pub mod nego;
pub mod pair;
pub mod sspi;

pub use advice::Advice;
pub use lookup::{
    Form, Match, ParseError, Reading, by_name, codes_for_finding, explain_number, families, family, family_by_id,
    parse_number,
};

/// How well a code's meaning is backed by its sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Defined in a Microsoft specification or reference page.
    Documented,
    /// Defined by an implementation (FreeRDP), not by a Microsoft document.
    Implementation,
    /// Seen in the wild or in a single secondary source; the meaning is not confirmed.
    Unverified,
}

impl Status {
    /// Stable name used in JSON and the docs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Documented => "documented",
            Self::Implementation => "implementation",
            Self::Unverified => "unverified",
        }
    }
}

/// The code families, one per numbering. The order of [`families`] is the order of likelihood used when a
/// bare number belongs to several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// mstsc's "Error code": `IMsTscAxEvents::OnDisconnected` discReason.
    Disconnect,
    /// mstsc's "Extended error code": `ExtendedDisconnectReasonCode`.
    Extended,
    /// MS-RDPBCGR 2.2.5.1.1 Set Error Info PDU `errorInfo`.
    Errinfo,
    /// CredSSP / NLA NTSTATUS values (MS-CSSP TSRequest.errorCode).
    Ntstatus,
    /// SSPI SEC_E_* status codes.
    Sspi,
    /// RD Gateway E_PROXY_* HRESULTs and MS-TSGU return values.
    Gateway,
    /// FreeRDP ERRCONNECT_* codes.
    Freerdp,
    /// MS-RDPBCGR 2.2.1.2.2 RDP_NEG_FAILURE failureCode.
    NegFailure,
    /// MS-RDPBCGR 2.2.10.2 Early User Authorization Result.
    Authz,
    /// MS-RDPBCGR 2.2.17.4 RDSTLS Authentication Response ResultCode.
    Rdstls,
    /// MS-RDPBCGR 2.2.1.1.1 requestedProtocols / 2.2.1.2.1 selectedProtocol.
    NegProtocol,
    /// MS-RDPBCGR 2.2.1.2.1 RDP_NEG_RSP flags.
    NegRspFlags,
    /// RFC 4120 7.5.9 Kerberos KRB-ERROR error-code.
    Kerberos,
    /// MS-RDPBCGR 2.2.10.1.1 Save Session Info `infoType`.
    LogonInfo,
    /// MS-RDPBCGR 2.2.10.1.1.4 Logon Info Extended `FieldsPresent`.
    LogonExFields,
    /// MS-RDPBCGR 2.2.10.1.1.4.1.1 Logon Errors Info `ErrorNotificationType`.
    LogonError,
    /// MS-RDPBCGR 2.2.10.1.1.4.1.1 Logon Errors Info `ErrorNotificationData`.
    LogonData,
}

/// One named value of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub value: u32,
    /// The name the sources use (`ERRINFO_SERVER_DENIED_CONNECTION`).
    pub name: &'static str,
    /// What it means, in one sentence of our own.
    pub meaning: &'static str,
    pub status: Status,
    /// A remark on the source or status ("" when none).
    pub note: &'static str,
    /// Likely causes, what to check and which remedies apply ("what to do").
    pub advice: Option<&'static Advice>,
    /// Finding IDs `rdp-doctor check` emits for the same condition.
    pub findings: &'static [&'static str],
    /// The same condition in other families.
    pub see: &'static [(Kind, u32)],
}

impl Code {
    /// A documented code with no advice and no links.
    pub const fn new(value: u32, name: &'static str, meaning: &'static str) -> Self {
        Self { value, name, meaning, status: Status::Documented, note: "", advice: None, findings: &[], see: &[] }
    }

    pub const fn advice(self, advice: &'static Advice) -> Self {
        Self { advice: Some(advice), ..self }
    }

    pub const fn findings(self, findings: &'static [&'static str]) -> Self {
        Self { findings, ..self }
    }

    pub const fn see(self, see: &'static [(Kind, u32)]) -> Self {
        Self { see, ..self }
    }

    /// Marks the code as not (or not only) Microsoft-documented, with the reason.
    pub const fn status(self, status: Status, note: &'static str) -> Self {
        Self { status, note, ..self }
    }

    pub const fn note(self, note: &'static str) -> Self {
        Self { note, ..self }
    }
}

/// A range of a family whose unnamed members share a meaning and advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    pub name: &'static str,
    pub first: u32,
    pub last: u32,
    pub about: &'static str,
    pub advice: Option<&'static Advice>,
}

impl Group {
    pub fn contains(&self, value: u32) -> bool {
        (self.first..=self.last).contains(&value)
    }
}

/// How numbers map onto a family's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One value, one code.
    Exact,
    /// A bit set: a value is the combination of the single-bit codes it contains. 0 matches only a code
    /// whose value is 0.
    Bits,
    /// HRESULTs also seen as their low 16 bits (`HRESULT_CODE(hr)`).
    Hresult,
}

/// A numbering: what it is, where users meet it, where it is defined, and its codes.
#[derive(Debug)]
pub struct Family {
    pub kind: Kind,
    /// The `--kind` name (`disconnect`, `errinfo`, …).
    pub id: &'static str,
    pub title: &'static str,
    /// Where a user meets this number.
    pub seen_as: &'static str,
    /// What the number is and where it comes from.
    pub about: &'static str,
    /// A common misreading to correct ("" when none).
    pub not_to_confuse: &'static str,
    /// Where the values and meanings come from.
    pub sources: &'static [&'static str],
    pub shape: Shape,
    /// FreeRDP's composite last-error form `MAKE_FREERDP_ERROR(class, code)` = `(class << 16) | code`,
    /// when this family is one of its classes.
    pub freerdp_class: Option<u32>,
    pub codes: &'static [Code],
    pub groups: &'static [Group],
}

/// A family is identified by its kind.
impl PartialEq for Family {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

impl Eq for Family {}

impl Family {
    /// The code with exactly this value.
    pub fn code(&self, value: u32) -> Option<&'static Code> {
        self.codes.iter().find(|c| c.value == value)
    }

    /// The group containing this value, most specific (narrowest) first.
    pub fn group(&self, value: u32) -> Option<&'static Group> {
        self.groups.iter().filter(|g| g.contains(value)).min_by_key(|g| g.last - g.first)
    }
}

/// Formats a value as users see it: `0x904`, `0xC000006D`.
pub fn hex(value: u32) -> String {
    format!("0x{value:X}")
}
