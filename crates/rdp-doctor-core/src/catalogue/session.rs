//! Findings of the credentialed check (`check --user`): how the server judged the logon (CredSSP NTSTATUS,
//! MS-CSSP 2.2.1; Early User Authorization Result, MS-RDPBCGR 2.2.10.2), what it said when it ended the
//! connection (Set Error Info, MS-RDPBCGR 2.2.5.1.1; licensing, 2.2.1.12), and whether the session started.

use super::def;
use crate::finding::{FindingDef, Severity};

def!(
    CREDSSP_LOGON_FAILURE,
    "credssp.logon_failure",
    Fail,
    "credssp",
    "The server rejected the user name or password",
    "Network Level Authentication refused the credentials: the user name is unknown or the password is wrong (STATUS_LOGON_FAILURE, 0xC000006D, or the server closing the connection right after the NTLM AUTHENTICATE, which is where the password is checked). A domain account needs its domain (DOMAIN\\user or user@domain); a local account the computer name or .\\user. Repeated attempts count towards the account lockout threshold.",
    ["client.check_credentials", "server.account_state"]
);
def!(
    CREDSSP_PASSWORD_EXPIRED,
    "credssp.password_expired",
    Fail,
    "credssp",
    "The account's password has expired",
    "The server reported STATUS_PASSWORD_EXPIRED (0xC0000071). With NLA the client cannot change the password during the connection: it must be changed elsewhere first.",
    ["client.change_password", "server.account_state"]
);
def!(
    CREDSSP_PASSWORD_MUST_CHANGE,
    "credssp.password_must_change",
    Fail,
    "credssp",
    "The password must be changed before the first logon",
    "The server reported STATUS_PASSWORD_MUST_CHANGE (0xC0000224): the account is flagged \"User must change password at next logon\". NLA cannot show the change-password dialog, so the logon fails until the password is changed elsewhere.",
    ["client.change_password"]
);
def!(
    CREDSSP_ACCOUNT_RESTRICTION,
    "credssp.account_restriction",
    Fail,
    "credssp",
    "An account restriction prevents this logon",
    "The server reported an account restriction (STATUS_ACCOUNT_RESTRICTION 0xC000006E, STATUS_INVALID_LOGON_HOURS 0xC000006F or STATUS_INVALID_WORKSTATION 0xC0000070): logon hours, allowed workstations, or a blank password (Windows refuses blank passwords over the network by default).",
    ["server.account_state"]
);
def!(
    CREDSSP_ACCOUNT_DISABLED,
    "credssp.account_disabled",
    Fail,
    "credssp",
    "The account is disabled",
    "The server reported STATUS_ACCOUNT_DISABLED (0xC0000072).",
    ["server.account_state"]
);
def!(
    CREDSSP_ACCOUNT_LOCKED_OUT,
    "credssp.account_locked_out",
    Fail,
    "credssp",
    "The account is locked out",
    "The server reported STATUS_ACCOUNT_LOCKED_OUT (0xC0000234): too many failed logons reached the lockout threshold. Every further attempt, also from saved credentials on other devices, extends or repeats the lockout.",
    ["server.account_state", "client.check_credentials"]
);
def!(
    CREDSSP_ACCOUNT_EXPIRED,
    "credssp.account_expired",
    Fail,
    "credssp",
    "The account has expired",
    "The server reported STATUS_ACCOUNT_EXPIRED (0xC0000193): the account's expiry date has passed.",
    ["server.account_state"]
);
def!(
    CREDSSP_LOGON_TYPE_NOT_GRANTED,
    "credssp.logon_type_not_granted",
    Fail,
    "credssp",
    "The user may not log on through Remote Desktop",
    "The server reported STATUS_LOGON_TYPE_NOT_GRANTED (0xC000015B): the password is right, but the user lacks the \"Allow log on through Remote Desktop Services\" right or has \"Deny log on through Remote Desktop Services\".",
    ["server.grant_rdp_logon_right"]
);
def!(
    CREDSSP_TIME_SKEW,
    "credssp.time_skew",
    Fail,
    "credssp",
    "Authentication failed on clock skew",
    "The server reported a time difference (SEC_E_TIME_SKEW 0x80090324 or STATUS_TIME_DIFFERENCE_AT_DC 0xC0000133): the clocks of client, server or domain controller differ by more than Kerberos tolerates (5 minutes by default).",
    ["any.fix_clock"]
);
def!(
    CREDSSP_NO_LOGON_SERVERS,
    "credssp.no_logon_servers",
    Fail,
    "credssp",
    "The server could not reach a domain controller to check the logon",
    "The server reported that no authority could check the credentials (STATUS_NO_LOGON_SERVERS 0xC000005E, STATUS_TRUSTED_RELATIONSHIP_FAILURE 0xC000018D or SEC_E_NO_AUTHENTICATING_AUTHORITY 0x80090311): its domain controller is unreachable, its secure channel is broken, or the domain given does not exist.",
    ["server.domain_secure_channel", "client.check_credentials"]
);
def!(
    CREDSSP_AUTH_FAILED,
    "credssp.auth_failed",
    Fail,
    "credssp",
    "Network Level Authentication failed",
    "The server refused the CredSSP authentication with a status code this tool has no specific finding for (quoted in the evidence), or the client side could not complete CredSSP (for instance the server's public key did not match its TLS certificate).",
    ["client.check_credentials", "server.check_rdp_service_health"]
);
def!(
    AUTHZ_ACCESS_DENIED,
    "authz.access_denied",
    Fail,
    "credssp",
    "The password is right, but the user may not connect to this server",
    "After a successful CredSSP authentication the server's Early User Authorization Result (PROTOCOL_HYBRID_EX, MS-RDPBCGR 2.2.10.2) was AUTHZ_ACCESS_DENIED: the account is valid but not authorized for remote logon here, typically because it is neither an administrator nor in Remote Desktop Users, or a Deny log on through Remote Desktop Services policy applies.",
    ["server.grant_rdp_logon_right"]
);
def!(
    SERVER_DENIED_CONNECTION,
    "server.denied_connection",
    Fail,
    "session",
    "The server denied the connection (ERRINFO 0x7: mstsc error 0x904, extended 0x7)",
    "After the transport, TLS and authentication succeeded, the server sent a Set Error Info PDU with ERRINFO_SERVER_DENIED_CONNECTION (7) and closed the connection. The Windows client reports this as \"Error code: 0x904, Extended error code: 0x7\": 0x904 says the server closed the socket, 0x7 that the server refused. Which conditions make a Windows server choose 7 is not documented; the server's own logs name the reason. (0x7 here is not Win32 ERROR_ARENA_TRASHED.)",
    ["server.find_denial_reason", "server.grant_rdp_logon_right", "server.connection_limits"]
);
def!(
    SERVER_INSUFFICIENT_PRIVILEGES,
    "server.insufficient_privileges",
    Fail,
    "session",
    "The user lacks the privileges to connect (ERRINFO 0x9)",
    "The server sent ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES (9) and closed the connection: the account authenticated but is not allowed a remote session.",
    ["server.grant_rdp_logon_right"]
);
def!(
    SERVER_FRESH_CREDENTIALS_REQUIRED,
    "server.fresh_credentials_required",
    Fail,
    "session",
    "The server requires freshly typed credentials (ERRINFO 0xA)",
    "The server sent ERRINFO_SERVER_FRESH_CREDENTIALS_REQUIRED (10): its policy refuses saved or delegated credentials (\"Always prompt for password upon connection\"), so the user must type the password.",
    ["client.fresh_credentials"]
);
def!(
    SERVER_DISCONNECTED,
    "server.disconnected",
    Fail,
    "session",
    "The server ended the connection during the connection sequence",
    "The server disconnected before the session started: with a Set Error Info code this tool has no specific finding for, with an MCS Disconnect Provider Ultimatum, or by closing the connection without saying why. The evidence names the step and every code received.",
    ["server.find_denial_reason", "server.check_rdp_service_health"]
);

def!(
    LICENSE_INTERNAL,
    "license.internal",
    Fail,
    "session",
    "Internal licensing error on the server (ERRINFO 0x100)",
    "The server sent ERRINFO_LICENSE_INTERNAL during licensing.",
    ["server.rd_licensing"]
);
def!(
    LICENSE_NO_LICENSE_SERVER,
    "license.no_license_server",
    Fail,
    "session",
    "No Remote Desktop license server is available (ERRINFO 0x101)",
    "The server sent ERRINFO_LICENSE_NO_LICENSE_SERVER (or licensing ERR_NO_LICENSE_SERVER): the RD Session Host found no license server, typically after its licensing grace period ended.",
    ["server.rd_licensing"]
);
def!(
    LICENSE_NO_LICENSE,
    "license.no_license",
    Fail,
    "session",
    "No client access license is available (ERRINFO 0x102)",
    "The server sent ERRINFO_LICENSE_NO_LICENSE (or licensing ERR_NO_LICENSE): the license server has no RDS CAL left for this user or device.",
    ["server.rd_licensing"]
);
def!(
    LICENSE_BAD_CLIENT_MSG,
    "license.bad_client_msg",
    Fail,
    "session",
    "The server rejected a licensing message (ERRINFO 0x103)",
    "The server sent ERRINFO_LICENSE_BAD_CLIENT_MSG.",
    ["client.clear_license_cache", "server.rd_licensing"]
);
def!(
    LICENSE_HWID_MISMATCH,
    "license.hwid_mismatch",
    Fail,
    "session",
    "The client's stored license does not match (ERRINFO 0x104)",
    "The server sent ERRINFO_LICENSE_HWID_DOESNT_MATCH_LICENSE: the CAL stored on the client was modified or belongs to other hardware.",
    ["client.clear_license_cache"]
);
def!(
    LICENSE_BAD_CLIENT_LICENSE,
    "license.bad_client_license",
    Fail,
    "session",
    "The client's stored license is corrupt (ERRINFO 0x105)",
    "The server sent ERRINFO_LICENSE_BAD_CLIENT_LICENSE.",
    ["client.clear_license_cache"]
);
def!(
    LICENSE_CANT_FINISH_PROTOCOL,
    "license.cant_finish_protocol",
    Fail,
    "session",
    "Licensing was cut off by network trouble (ERRINFO 0x106)",
    "The server sent ERRINFO_LICENSE_CANT_FINISH_PROTOCOL.",
    ["server.rd_licensing"]
);
def!(
    LICENSE_CLIENT_ENDED_PROTOCOL,
    "license.client_ended_protocol",
    Fail,
    "session",
    "The licensing exchange ended early (ERRINFO 0x107)",
    "The server sent ERRINFO_LICENSE_CLIENT_ENDED_PROTOCOL.",
    ["server.rd_licensing"]
);
def!(
    LICENSE_BAD_CLIENT_ENCRYPTION,
    "license.bad_client_encryption",
    Fail,
    "session",
    "A licensing message was wrongly encrypted (ERRINFO 0x108)",
    "The server sent ERRINFO_LICENSE_BAD_CLIENT_ENCRYPTION.",
    ["client.clear_license_cache"]
);
def!(
    LICENSE_CANT_UPGRADE,
    "license.cant_upgrade_license",
    Fail,
    "session",
    "The client's license could not be upgraded (ERRINFO 0x109)",
    "The server sent ERRINFO_LICENSE_CANT_UPGRADE_LICENSE.",
    ["client.clear_license_cache", "server.rd_licensing"]
);
def!(
    LICENSE_NO_REMOTE_CONNECTIONS,
    "license.no_remote_connections",
    Fail,
    "session",
    "The server is not licensed for remote connections (ERRINFO 0x10A)",
    "The server sent ERRINFO_LICENSE_NO_REMOTE_CONNECTIONS.",
    ["server.rd_licensing"]
);
def!(
    LICENSE_ERROR_ALERT,
    "license.error_alert",
    Fail,
    "session",
    "The server's licensing exchange failed",
    "The server sent a licensing ERROR_ALERT other than \"valid client\" (its dwErrorCode is quoted) without a Set Error Info PDU explaining it.",
    ["server.rd_licensing"]
);

def!(
    SESSION_OK,
    "session.ok",
    Info,
    "session",
    "The session started",
    "The whole connection sequence completed with this account and the server sent its first screen update: authentication, authorization, licensing and capability exchange all succeeded.",
    ["client.clean_rdp_file", "client.windows_app"]
);
def!(
    SESSION_NO_UPDATE,
    "session.no_update",
    Warn,
    "session",
    "Connected, but the server drew nothing",
    "The connection sequence completed, yet no screen update (bitmap, orders, surface commands) arrived before the deadline: users see a black screen or a hang. Typical causes: a session that cannot start (on xrdp: xrdp-sesman not running or the desktop session failing), a stuck or disconnected session being reattached, or a display driver problem.",
    ["server.session_shows_nothing", "server.reset_sessions"]
);
def!(
    SESSION_LOGON_UNCONFIRMED,
    "session.logon_unconfirmed",
    Warn,
    "session",
    "The session started, but the server did not confirm the logon",
    "Without NLA the password travels in the Client Info PDU and is checked inside the session. The server drew its screen but sent no logon notification (Save Session Info) before the deadline: what it shows may be a desktop, a logon screen with an error, or (xrdp) its login window; a screen's contents cannot be read by this tool. Enable NLA to get the server's verdict before a session is created.",
    ["server.require_nla", "client.check_credentials"]
);
def!(
    SESSION_LOGON_FAILED,
    "session.logon_failed",
    Fail,
    "session",
    "The server reported a failed logon inside the session",
    "The server sent Logon Errors Info (MS-RDPBCGR 2.2.10.1.1.4.1.1) in a Save Session Info PDU whose type is a failure: an NTSTATUS error (STATUS_LOGON_FAILURE …, with LOGON_FAILED_* telling the client what to show), ERROR_CODE_ACCESS_DENIED, LOGON_MSG_NO_PERMISSION (this user may not connect to that session) or LOGON_MSG_DISCONNECT_REFUSED (the session's current user refused to let it go). Both numbers are quoted and named. The other notification types (the logon continues, a reconnection or contention dialog, the session ending) are not failures: they read as session.logon_notice.",
    [
        "client.check_credentials",
        "server.account_state",
        "server.grant_rdp_logon_right",
        "server.single_session_policy"
    ]
);
def!(
    SESSION_LOGON_NOTICE,
    "session.logon_notice",
    Info,
    "session",
    "The server reported the progress of the logon (not a failure)",
    "The server sent Logon Errors Info (MS-RDPBCGR 2.2.10.1.1.4.1.1) whose type is not a failure: LOGON_MSG_SESSION_CONTINUE (the logon continues in the session named, what a successful logon commonly sends), a Winlogon dialog about an existing session (LOGON_MSG_RECONNECT_OPTIONS, LOGON_MSG_BUMP_OPTIONS, LOGON_MSG_SESSION_BUSY_OPTIONS: the user chooses), LOGON_MSG_SESSION_TERMINATE (the session named is ending), or an NTSTATUS with LOGON_WARNING. Its second number is then a session ID, not a LOGON_FAILED_* value. Reported as what it is; the session's verdict comes from what follows.",
    ["server.single_session_policy"]
);
def!(
    SESSION_FAILED,
    "session.failed",
    Fail,
    "session",
    "The connection sequence did not complete",
    "The credentialed run stopped before the session started without a server verdict: the server stopped answering, or sent something the client could not process (the step and IronRDP's error are quoted).",
    ["server.check_rdp_service_health", "client.update_client"]
);

/// Whether a finding belongs to the credentialed check (the code tables link codes to findings of several
/// areas; the session rules pick theirs).
pub fn is_session_finding(id: &str) -> bool {
    DEFS.iter().any(|d| d.id == id)
}

/// This file's definitions.
pub(super) static DEFS: &[FindingDef] = &[
    CREDSSP_LOGON_FAILURE,
    CREDSSP_PASSWORD_EXPIRED,
    CREDSSP_PASSWORD_MUST_CHANGE,
    CREDSSP_ACCOUNT_RESTRICTION,
    CREDSSP_ACCOUNT_DISABLED,
    CREDSSP_ACCOUNT_LOCKED_OUT,
    CREDSSP_ACCOUNT_EXPIRED,
    CREDSSP_LOGON_TYPE_NOT_GRANTED,
    CREDSSP_TIME_SKEW,
    CREDSSP_NO_LOGON_SERVERS,
    CREDSSP_AUTH_FAILED,
    AUTHZ_ACCESS_DENIED,
    SERVER_DENIED_CONNECTION,
    SERVER_INSUFFICIENT_PRIVILEGES,
    SERVER_FRESH_CREDENTIALS_REQUIRED,
    SERVER_DISCONNECTED,
    LICENSE_INTERNAL,
    LICENSE_NO_LICENSE_SERVER,
    LICENSE_NO_LICENSE,
    LICENSE_BAD_CLIENT_MSG,
    LICENSE_HWID_MISMATCH,
    LICENSE_BAD_CLIENT_LICENSE,
    LICENSE_CANT_FINISH_PROTOCOL,
    LICENSE_CLIENT_ENDED_PROTOCOL,
    LICENSE_BAD_CLIENT_ENCRYPTION,
    LICENSE_CANT_UPGRADE,
    LICENSE_NO_REMOTE_CONNECTIONS,
    LICENSE_ERROR_ALERT,
    SESSION_OK,
    SESSION_NO_UPDATE,
    SESSION_LOGON_UNCONFIRMED,
    SESSION_LOGON_FAILED,
    SESSION_LOGON_NOTICE,
    SESSION_FAILED,
];
