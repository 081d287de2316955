//! The credentialed rules' view of the code tables. Names, meanings and the links between numberings come
//! from `rdp-doctor-codes` (one table per fact): a code names the findings `check` emits for it, and the
//! same condition in mstsc's and FreeRDP's numberings (`see`). This module only picks, for a code, the
//! credentialed check's finding, and what mstsc and FreeRDP report for it.
//!
//! The licensing ERROR_ALERT codes (MS-RDPBCGR 2.2.1.12.1.3) are not a family of `rdp-doctor-codes`; their
//! few names live here until one is added there.

use rdp_doctor_codes::{Code, Kind, family};

/// A code of one family, by value.
pub fn code(kind: Kind, value: u32) -> Option<&'static Code> {
    family(kind).code(value)
}

/// The finding of the credentialed check that a code links to.
fn session_finding(kind: Kind, value: u32) -> Option<&'static str> {
    code(kind, value)?.findings.iter().copied().find(|id| crate::catalogue::is_session_finding(id))
}

/// A Set Error Info code (MS-RDPBCGR 2.2.5.1.1).
pub fn errinfo(value: u32) -> Option<&'static Code> {
    code(Kind::Errinfo, value)
}

/// The finding a Set Error Info code leads to: its own (`server.denied_connection`, `license.*`, …), or
/// `server.disconnected` for every other code.
pub fn errinfo_finding(value: u32) -> &'static str {
    session_finding(Kind::Errinfo, value).unwrap_or("server.disconnected")
}

/// An NTSTATUS or SEC_E value from TSRequest.errorCode or Logon Errors Info.
pub fn ntstatus(value: u32) -> Option<&'static Code> {
    code(Kind::Ntstatus, value).or_else(|| code(Kind::Sspi, value))
}

/// The finding a CredSSP status leads to; `credssp.auth_failed` when the code has none.
pub fn ntstatus_finding(value: u32) -> &'static str {
    session_finding(Kind::Ntstatus, value)
        .or_else(|| session_finding(Kind::Sspi, value))
        .unwrap_or("credssp.auth_failed")
}

/// The same condition in another numbering, as (value, name).
fn see(code: &Code, kind: Kind) -> Option<(u32, &'static str)> {
    let (_, value) = code.see.iter().find(|(k, _)| *k == kind)?;
    family(kind).code(*value).map(|c| (c.value, c.name))
}

/// mstsc's discReason (its "Error code") for a CredSSP status: the `SSL_ERR_*` values, paired by name.
pub fn mstsc_for_status(value: u32) -> Option<(u32, &'static str)> {
    ntstatus(value).and_then(|c| see(c, Kind::Disconnect))
}

/// FreeRDP's ERRCONNECT for a CredSSP status; its `nla.c` reports any status it does not map as
/// ERRCONNECT_AUTHENTICATION_FAILED.
pub fn freerdp_for_status(value: u32) -> &'static str {
    ntstatus(value).and_then(|c| see(c, Kind::Freerdp)).map_or("ERRCONNECT_AUTHENTICATION_FAILED", |(_, n)| n)
}

/// FreeRDP's ERRCONNECT for an Early User Authorization Result.
pub fn freerdp_for_authz(value: u32) -> Option<&'static str> {
    code(Kind::Authz, value).and_then(|c| see(c, Kind::Freerdp)).map(|(_, n)| n)
}

/// The name of mstsc's "Extended error code" with this value (the same number as the ERRINFO), or of the
/// range it falls in.
pub fn extended_name(value: u32) -> Option<&'static str> {
    let f = family(Kind::Extended);
    f.code(value).map(|c| c.name).or_else(|| f.group(value).map(|g| g.name))
}

/// The name of mstsc's "Error code" 0x904: the client saw the server close the connection.
pub fn socket_closed_name() -> &'static str {
    code(Kind::Disconnect, 0x904).map_or("disconnectReasonAtClientWinsockFDCLOSE", |c| c.name)
}

/// Licensing ERROR_ALERT `dwErrorCode` (MS-RDPBCGR 2.2.1.12.1.3).
pub fn license_error(value: u32) -> &'static str {
    match value {
        0x01 => "ERR_INVALID_SERVER_CERTIFICATE",
        0x02 => "ERR_NO_LICENSE",
        0x03 => "ERR_INVALID_MAC",
        0x04 => "ERR_INVALID_SCOPE",
        0x06 => "ERR_NO_LICENSE_SERVER",
        0x07 => "STATUS_VALID_CLIENT",
        0x08 => "ERR_INVALID_CLIENT",
        0x0B => "ERR_INVALID_PRODUCTID",
        0x0C => "ERR_INVALID_MESSAGE_LEN",
        _ => "unknown licensing error",
    }
}

/// The finding a licensing ERROR_ALERT leads to when no Set Error Info PDU explains it.
pub fn license_error_finding(value: u32) -> &'static str {
    match value {
        0x02 => "license.no_license",
        0x06 => "license.no_license_server",
        _ => "license.error_alert",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_0x904_0x7_case() {
        assert_eq!(errinfo(7).map(|c| c.name), Some("ERRINFO_SERVER_DENIED_CONNECTION"));
        assert_eq!(errinfo_finding(7), "server.denied_connection");
        assert_eq!(extended_name(7), Some("exDiscReasonServerDeniedConnection"));
        assert_eq!(socket_closed_name(), "disconnectReasonAtClientWinsockFDCLOSE");
        assert_eq!(errinfo_finding(0x7777), "server.disconnected");
        assert!(errinfo(0x7777).is_none());
    }

    #[test]
    fn statuses_map_to_their_findings() {
        for (v, id) in [
            (0xC000_006D, "credssp.logon_failure"),
            (0xC000_0071, "credssp.password_expired"),
            (0xC000_0224, "credssp.password_must_change"),
            (0xC000_006E, "credssp.account_restriction"),
            (0xC000_0072, "credssp.account_disabled"),
            (0xC000_0234, "credssp.account_locked_out"),
            (0xC000_0193, "credssp.account_expired"),
            (0xC000_015B, "credssp.logon_type_not_granted"),
            (0xC000_0133, "credssp.time_skew"),
            (0x8009_0324, "credssp.time_skew"),
            (0xC000_005E, "credssp.no_logon_servers"),
            (0x1234, "credssp.auth_failed"),
        ] {
            assert_eq!(ntstatus_finding(v), id, "0x{v:08X}");
        }
        for v in (0x100..=0x10A).chain([9, 10]) {
            assert!(crate::catalogue::is_session_finding(errinfo_finding(v)), "0x{v:x}");
            assert_ne!(errinfo_finding(v), "server.disconnected", "0x{v:x}");
        }
    }

    #[test]
    fn other_clients() {
        assert_eq!(mstsc_for_status(0xC000_006D), Some((0x807, "SSL_ERR_LOGON_FAILURE")));
        assert_eq!(mstsc_for_status(0xC000_0234), Some((0xD07, "SSL_ERR_ACCOUNT_LOCKED_OUT")));
        assert_eq!(freerdp_for_status(0xC000_006D), "ERRCONNECT_LOGON_FAILURE");
        assert_eq!(freerdp_for_status(0xdead_beef), "ERRCONNECT_AUTHENTICATION_FAILED");
        assert_eq!(freerdp_for_authz(5), Some("ERRCONNECT_ACCESS_DENIED"));
        for v in [2, 6, 9] {
            assert!(crate::catalogue::by_id(license_error_finding(v)).is_some());
        }
    }
}
