//! Extended disconnect reasons: the "Extended error code" of the Remote Desktop Connection dialog.
//!
//! Source: Microsoft Learn, `ExtendedDisconnectReasonCode` enumeration, read through the
//! `IMsRdpClient::ExtendedDisconnectReason` property. Values 1–12 and 256–266 carry the same numbers and
//! meanings as the server's Set Error Info PDU (MS-RDPBCGR 2.2.5.1.1, [`crate::errinfo`]), and the
//! documented protocol range 4096–32767 holds every RDP-specific ERRINFO code; the causes and remedies
//! of those codes live with ERRINFO and are found through [`errinfo_counterpart`].
//!
//! That the client's extended reason *is* the server's errorInfo is an inference (no Microsoft sentence
//! says it outright) supported by the value identity and by rdesktop's history, which stored the Set
//! Error Info value as `ext_disc_reason` and named the constants `exDiscReason*` until 2017.

use crate::advice::{BAD_CREDENTIALS, LICENSING_CLIENT};
use crate::{Code, Family, Group, Kind, Shape};

/// The family.
pub static FAMILY: Family = Family {
    kind: Kind::Extended,
    id: "extended",
    title: "Extended disconnect reason",
    seen_as: "\"Extended error code\" in the Remote Desktop Connection (mstsc) dialog; the ExtendedDisconnectReason property of the ActiveX client",
    about: "A second number the Windows Remote Desktop client keeps when a connection ends. Its values and meanings are those of the errorInfo a server sends in its Set Error Info PDU just before it disconnects, and for reasons the server gives it is that value (inferred from the identical tables; no Microsoft page says so in one sentence). 0 means no reason was given.",
    not_to_confuse: "The extended error code is its own numbering (ExtendedDisconnectReasonCode, mirroring the server's ERRINFO codes), not a Win32 error code from GetLastError: looking it up in the system error list gives an unrelated message.",
    sources: &[
        "Microsoft Learn, ExtendedDisconnectReasonCode enumeration: https://learn.microsoft.com/en-us/windows/win32/termserv/extendeddisconnectreasoncode",
        "Microsoft Learn, IMsRdpClient::ExtendedDisconnectReason: https://learn.microsoft.com/en-us/windows/win32/termserv/imsrdpclient-extendeddisconnectreason",
        "MS-RDPBCGR 2.2.5.1.1 Set Error Info PDU (the same values sent by the server)",
        "rdesktop rdp.c / rdesktop.c (stores errorInfo as ext_disc_reason)",
    ],
    shape: Shape::Exact,
    freerdp_class: None,
    codes: CODES,
    groups: GROUPS,
};

/// exDiscReasonProtocolRangeStart..=exDiscReasonProtocolRangeEnd.
pub const PROTOCOL_RANGE: (u32, u32) = (0x1000, 0x7FFF);

static GROUPS: &[Group] = &[Group {
    name: "exDiscReasonProtocolRangeStart..exDiscReasonProtocolRangeEnd",
    first: PROTOCOL_RANGE.0,
    last: PROTOCOL_RANGE.1,
    about: "An internal protocol error: the server stopped because something in the RDP data stream was wrong. The server's event log has the details; the RDP-specific ERRINFO code with the same number names the exact check that failed.",
    advice: Some(&crate::advice::PROTOCOL_ERROR),
}];

static CODES: &[Code] = &[
    Code::new(0x0, "exDiscReasonNoInfo", "No extended information: the server gave no reason."),
    Code::new(
        0x1,
        "exDiscReasonAPIInitiatedDisconnect",
        "An application or administrative tool on the server disconnected the session.",
    ),
    Code::new(
        0x2,
        "exDiscReasonAPIInitiatedLogoff",
        "An application or administrative tool on the server logged the session off.",
    ),
    Code::new(0x3, "exDiscReasonServerIdleTimeout", "The server's idle-session time limit was reached."),
    Code::new(
        0x4,
        "exDiscReasonServerLogonTimeout",
        "The server's active-session (connection) time limit was reached.",
    ),
    Code::new(0x5, "exDiscReasonReplacedByOtherConnection", "Another connection took over the session."),
    Code::new(0x6, "exDiscReasonOutOfMemory", "The server ran out of memory."),
    Code::new(0x7, "exDiscReasonServerDeniedConnection", "The server denied the connection."),
    Code::new(
        0x8,
        "exDiscReasonServerDeniedConnectionFips",
        "The server denied the connection for security reasons (FIPS).",
    ),
    Code::new(
        0x9,
        "exDiscReasonServerInsufficientPrivileges",
        "The server denied the connection: the user lacks the privileges to connect.",
    ),
    Code::new(
        0xA,
        "exDiscReasonServerFreshCredsRequired",
        "The server requires credentials typed for this connection, not saved ones.",
    ),
    Code::new(
        0xB,
        "exDiscReasonRpcInitiatedDisconnectByUser",
        "A tool running in the user's own session disconnected it.",
    ),
    Code::new(0xC, "exDiscReasonLogoffByUser", "The user logged off.").note(
        "the raw Markdown of Microsoft's page says 2, a typo; the rendered page, rdesktop, FreeRDP and IronRDP say 12",
    ),
    Code::new(0x100, "exDiscReasonLicenseInternal", "An internal error in the server's licensing."),
    Code::new(0x101, "exDiscReasonLicenseNoLicenseServer", "No Remote Desktop license server was available."),
    Code::new(0x102, "exDiscReasonLicenseNoLicense", "No valid license (CAL) was available."),
    Code::new(
        0x103,
        "exDiscReasonLicenseErrClientMsg",
        "The server received an invalid licensing message from the client.",
    ),
    Code::new(
        0x104,
        "exDiscReasonLicenseHwidDoesntMatchLicense",
        "The client's stored license does not match its hardware ID (it was altered).",
    ),
    Code::new(0x105, "exDiscReasonLicenseErrClientLicense", "The client's stored license is invalid."),
    Code::new(0x106, "exDiscReasonLicenseCantFinishProtocol", "A network problem interrupted licensing."),
    Code::new(0x107, "exDiscReasonLicenseClientEndedProtocol", "The client ended licensing early."),
    Code::new(0x108, "exDiscReasonLicenseErrClientEncryption", "A licensing message was wrongly encrypted."),
    Code::new(0x109, "exDiscReasonLicenseCantUpgradeLicense", "The client's license could not be upgraded or renewed."),
    Code::new(
        0x10A,
        "exDiscReasonLicenseNoRemoteConnections",
        "The server is not licensed to accept remote connections.",
    ),
    Code::new(
        0x10B,
        "exDiscReasonLicenseCreatingLicStoreAccDenied",
        "The client was denied access when creating its license store in the registry.",
    )
    .note("set by the client itself; no ERRINFO counterpart")
    .advice(&LICENSING_CLIENT),
    Code::new(0x300, "exDiscReasonRdpEncInvalidCredentials", "Invalid credentials were encountered.")
        .note("set by the client itself; no ERRINFO counterpart")
        .advice(&BAD_CREDENTIALS),
];

/// The server-side ERRINFO code that carries the same value and meaning, for values where the two
/// numberings coincide (0–12, 256–266 and the protocol range).
pub fn errinfo_counterpart(value: u32) -> Option<&'static Code> {
    let mirrored =
        value <= 0xC || (0x100..=0x10A).contains(&value) || (PROTOCOL_RANGE.0..=PROTOCOL_RANGE.1).contains(&value);
    if mirrored { crate::errinfo::FAMILY.code(value) } else { None }
}
