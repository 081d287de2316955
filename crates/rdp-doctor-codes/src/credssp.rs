//! CredSSP / NLA failures as NTSTATUS values: the `errorCode` of the server's TSRequest (MS-CSSP 2.2.1,
//! CredSSP versions 3 and later) and what FreeRDP and IronRDP report when NLA fails.
//!
//! Values: winpr `winpr/include/winpr/nt.h`. The FreeRDP mapping to ERRCONNECT codes is
//! `nla_recv_pdu` in `libfreerdp/core/nla.c`. `IMsTscAxEvents::OnLogonError` documents three of them for
//! mstsc. The mstsc `SSL_ERR_*` disconnect reasons with matching names are linked under "see"; that
//! pairing is by name (an inference), not stated by Microsoft.

use crate::advice::*;
use crate::{Code, Family, Kind, Shape, Status};

/// The family.
pub static FAMILY: Family = Family {
    kind: Kind::Ntstatus,
    id: "ntstatus",
    title: "CredSSP / NLA status (NTSTATUS)",
    seen_as: "FreeRDP (\"SPNEGO failed with NTSTATUS: …\"), IronRDP and rdp-doctor's credentialed check; the Windows Security log (Status / Sub Status of events 4625)",
    about: "An NTSTATUS a server returns when Network Level Authentication fails: the errorCode of its CredSSP TSRequest (MS-CSSP 2.2.1, CredSSP version 3 and later). It says why the logon was refused before any session was created.",
    not_to_confuse: "",
    sources: &[
        "MS-CSSP 2.2.1 TSRequest (errorCode): https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-cssp/6aac4dea-08ef-47a6-8747-22ea7f6d8685",
        "winpr winpr/include/winpr/nt.h (values); FreeRDP libfreerdp/core/nla.c (mapping to ERRCONNECT)",
        "Microsoft Learn, IMsTscAxEvents::OnLogonError: https://learn.microsoft.com/en-us/windows/win32/termserv/imstscaxevents-onlogonerror",
    ],
    shape: Shape::Exact,
    freerdp_class: None,
    codes: CODES,
    groups: &[],
};

const NOT_SEEN_IN_TSREQUEST: &str = "whether Windows servers send this value in TSRequest is not confirmed";

static CODES: &[Code] = &[
    Code::new(0xC000_006D, "STATUS_LOGON_FAILURE", "The logon failed: unknown user name or bad password.")
        .advice(&BAD_CREDENTIALS)
        .findings(&["credssp.logon_failure"])
        .see(&[(Kind::Freerdp, 0x14), (Kind::Disconnect, 0x807)]),
    Code::new(0xC000_006A, "STATUS_WRONG_PASSWORD", "The password is wrong.")
        .advice(&BAD_CREDENTIALS)
        .findings(&["credssp.logon_failure"])
        .see(&[(Kind::Freerdp, 0x15)]),
    Code::new(0xC000_0224, "STATUS_PASSWORD_MUST_CHANGE", "The password must be changed before the user can log on.")
        .advice(&PASSWORD_CHANGE)
        .findings(&["credssp.password_must_change"])
        .see(&[(Kind::Freerdp, 0x13), (Kind::Disconnect, 0x1207)]),
    Code::new(0xC000_0071, "STATUS_PASSWORD_EXPIRED", "The password has expired.")
        .advice(&PASSWORD_CHANGE)
        .findings(&["credssp.password_expired"])
        .see(&[(Kind::Freerdp, 0xE), (Kind::Disconnect, 0xF07)]),
    Code::new(0xC000_0072, "STATUS_ACCOUNT_DISABLED", "The account is disabled.")
        .advice(&ACCOUNT_DISABLED)
        .findings(&["credssp.account_disabled"])
        .see(&[(Kind::Freerdp, 0x12), (Kind::Disconnect, 0xB07)]),
    Code::new(0xC000_0022, "STATUS_ACCESS_DENIED", "Access is denied.")
        .advice(&INSUFFICIENT_PRIVILEGES)
        .see(&[(Kind::Freerdp, 0x16)]),
    Code::new(
        0xC000_006E,
        "STATUS_ACCOUNT_RESTRICTION",
        "An account restriction (logon hours, workstations, blank password) prevents the logon.",
    )
    .advice(&ACCOUNT_RESTRICTION)
    .findings(&["credssp.account_restriction"])
    .see(&[(Kind::Freerdp, 0x17), (Kind::Disconnect, 0xC07)]),
    Code::new(0xC000_0234, "STATUS_ACCOUNT_LOCKED_OUT", "The account is locked out.")
        .advice(&ACCOUNT_LOCKED)
        .findings(&["credssp.account_locked_out"])
        .see(&[(Kind::Freerdp, 0x18), (Kind::Disconnect, 0xD07)]),
    Code::new(0xC000_0193, "STATUS_ACCOUNT_EXPIRED", "The account has expired.")
        .advice(&ACCOUNT_EXPIRED)
        .findings(&["credssp.account_expired"])
        .see(&[(Kind::Freerdp, 0x19), (Kind::Disconnect, 0xE07)]),
    Code::new(
        0xC000_015B,
        "STATUS_LOGON_TYPE_NOT_GRANTED",
        "The user does not have the logon right this connection needs.",
    )
    .advice(&LOGON_TYPE)
    .findings(&["credssp.logon_type_not_granted"])
    .see(&[(Kind::Freerdp, 0x1A)]),
    Code::new(0xC000_0064, "STATUS_NO_SUCH_USER", "The user account does not exist.")
        .status(Status::Documented, NOT_SEEN_IN_TSREQUEST)
        .advice(&BAD_CREDENTIALS)
        .findings(&["credssp.logon_failure"])
        .see(&[(Kind::Disconnect, 0xA07)]),
    Code::new(0xC000_006F, "STATUS_INVALID_LOGON_HOURS", "The account may not log on at this time.")
        .status(Status::Documented, NOT_SEEN_IN_TSREQUEST)
        .advice(&ACCOUNT_RESTRICTION)
        .findings(&["credssp.account_restriction"]),
    Code::new(0xC000_0070, "STATUS_INVALID_WORKSTATION", "The account may not log on from this computer.")
        .status(Status::Documented, NOT_SEEN_IN_TSREQUEST)
        .advice(&ACCOUNT_RESTRICTION)
        .findings(&["credssp.account_restriction"]),
    Code::new(0xC000_005E, "STATUS_NO_LOGON_SERVERS", "No domain controller is available to process the logon.")
        .status(Status::Documented, NOT_SEEN_IN_TSREQUEST)
        .advice(&NO_AUTHORITY)
        .findings(&["credssp.no_logon_servers"])
        .see(&[(Kind::Disconnect, 0x1807)]),
    Code::new(
        0xC000_0133,
        "STATUS_TIME_DIFFERENCE_AT_DC",
        "The clocks of this computer and the domain controller differ too much.",
    )
    .status(Status::Documented, NOT_SEEN_IN_TSREQUEST)
    .advice(&TIME_SKEW)
    .findings(&["time.skew_kerberos", "credssp.time_skew"])
    .see(&[(Kind::Sspi, 0x8009_0324)]),
    Code::new(
        0xC000_018D,
        "STATUS_TRUSTED_RELATIONSHIP_FAILURE",
        "The trust between this computer and its domain (or between domains) failed.",
    )
    .status(Status::Documented, NOT_SEEN_IN_TSREQUEST)
    .advice(&NO_AUTHORITY)
    .findings(&["credssp.no_logon_servers"]),
    Code::new(
        0xC000_0388,
        "STATUS_DOWNGRADE_DETECTED",
        "A possible downgrade of the authentication was detected; often just an unreachable domain controller.",
    )
    .status(Status::Documented, NOT_SEEN_IN_TSREQUEST)
    .advice(&NO_AUTHORITY)
    .see(&[(Kind::Sspi, 0x8009_0350)]),
    Code::new(
        0xC000_0413,
        "STATUS_AUTHENTICATION_FIREWALL_FAILED",
        "A selective-authentication trust does not allow this user to authenticate to this computer.",
    )
    .status(Status::Documented, NOT_SEEN_IN_TSREQUEST)
    .advice(&INSUFFICIENT_PRIVILEGES),
];
