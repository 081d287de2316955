//! Authorization results sent after authentication: the Early User Authorization Result PDU
//! (PROTOCOL_HYBRID_EX) and the RDSTLS Authentication Response.

use crate::advice::*;
use crate::{Code, Family, Kind, Shape, Status};

/// MS-RDPBCGR 2.2.10.2 Early User Authorization Result PDU.
pub static AUTHZ: Family = Family {
    kind: Kind::Authz,
    id: "authz",
    title: "Early User Authorization result",
    seen_as: "FreeRDP and IronRDP logs after NLA, rdp-doctor's credentialed check, packet captures (not visible: inside TLS)",
    about: "A 32-bit result the server sends right after a successful CredSSP (NLA) handshake when the client offered PROTOCOL_HYBRID_EX: whether the authenticated user may use this server. It separates \"who you are\" (CredSSP) from \"may you log on here\".",
    not_to_confuse: "",
    sources: &[
        "MS-RDPBCGR 2.2.10.2 Early User Authorization Result PDU: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/d0e560a3-25cb-4563-8bdc-6c4cc625bbfc",
        "FreeRDP libfreerdp/core/nla.c (AUTHZ_RESULT); IronRDP crates/ironrdp-connector/src/credssp.rs",
    ],
    shape: Shape::Exact,
    freerdp_class: None,
    codes: AUTHZ_CODES,
    groups: &[],
};

static AUTHZ_CODES: &[Code] = &[
    Code::new(0x0, "AUTHZ_SUCCESS", "The user may access the server."),
    Code::new(0x5, "AUTHZ_ACCESS_DENIED", "The user authenticated but is not allowed to access this server.")
        .advice(&INSUFFICIENT_PRIVILEGES)
        .findings(&["authz.access_denied"])
        .see(&[(Kind::Errinfo, 0x9), (Kind::Freerdp, 0x16)]),
];

/// MS-RDPBCGR 2.2.17.4 RDSTLS Authentication Response PDU `ResultCode`.
pub static RDSTLS: Family = Family {
    kind: Kind::Rdstls,
    id: "rdstls",
    title: "RDSTLS authentication result",
    seen_as: "FreeRDP logs when connecting with PROTOCOL_RDSTLS (broker redirection), packet captures (inside TLS)",
    about: "The result a server sends in the RDSTLS Authentication Response after checking the redirection credentials or cookie (PROTOCOL_RDSTLS, used when a Connection Broker redirects a client).",
    not_to_confuse: "",
    sources: &[
        "MS-RDPBCGR 2.2.17.4 RDSTLS Authentication Response PDU: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/96327ab4-d43f-4803-9aff-392ce1fc2073",
        "FreeRDP libfreerdp/core/rdstls.c (full list)",
    ],
    shape: Shape::Exact,
    freerdp_class: None,
    codes: RDSTLS_CODES,
    groups: &[],
};

const FREERDP_SEEN: &str = "seen only in FreeRDP's list; the part of the spec read was cut off before this value";

static RDSTLS_CODES: &[Code] = &[
    Code::new(0x0, "RDSTLS_RESULT_SUCCESS", "Authentication succeeded."),
    Code::new(0x5, "RDSTLS_RESULT_ACCESS_DENIED", "Access is denied.").advice(&INSUFFICIENT_PRIVILEGES),
    Code::new(0x52E, "RDSTLS_RESULT_LOGON_FAILURE", "The user name or password is wrong.").advice(&BAD_CREDENTIALS),
    Code::new(0x530, "RDSTLS_RESULT_INVALID_LOGON_HOURS", "The account may not log on at this time of day.")
        .advice(&ACCOUNT_RESTRICTION),
    Code::new(0x532, "RDSTLS_RESULT_PASSWORD_EXPIRED", "The password has expired.").advice(&PASSWORD_CHANGE),
    Code::new(0x533, "RDSTLS_RESULT_ACCOUNT_DISABLED", "The account is disabled.")
        .status(Status::Implementation, FREERDP_SEEN)
        .advice(&ACCOUNT_DISABLED),
    Code::new(0x773, "RDSTLS_RESULT_PASSWORD_MUST_CHANGE", "The password must be changed before logging on.")
        .status(Status::Implementation, FREERDP_SEEN)
        .advice(&PASSWORD_CHANGE),
    Code::new(0x775, "RDSTLS_RESULT_ACCOUNT_LOCKED_OUT", "The account is locked out.")
        .status(Status::Implementation, FREERDP_SEEN)
        .advice(&ACCOUNT_LOCKED),
];
