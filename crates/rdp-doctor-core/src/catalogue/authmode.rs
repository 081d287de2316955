//! Restricted Admin and Remote Credential Guard: the credential-less logons a client asks for with the
//! RDP_NEG_REQ flags RESTRICTED_ADMIN_MODE_REQUIRED / REDIRECTED_AUTHENTICATION_MODE_REQUIRED
//! (MS-RDPBCGR 2.2.1.1.1) and a server announces with RESTRICTED_ADMIN_MODE_SUPPORTED /
//! REDIRECTED_AUTHENTICATION_MODE_SUPPORTED (2.2.1.2.1).

use super::def;
use crate::finding::{FindingDef, Severity};

def!(
    AUTHMODE_IN_USE,
    "authmode.in_use",
    Info,
    "x224",
    "A credential-less logon mode was asked for (Restricted Admin or Remote Credential Guard)",
    "The client required Restricted Admin mode (RESTRICTED_ADMIN_MODE_REQUIRED: the user's credentials are not sent and the session acts on the network as the server's computer account) or Remote Credential Guard (REDIRECTED_AUTHENTICATION_MODE_REQUIRED: the credentials stay on the client, which answers the server's Kerberos requests), and the server's RDP_NEG_RSP announced the matching *_SUPPORTED flag (MS-RDPBCGR 2.2.1.1.1, 2.2.1.2.1). For a live check, the modes the server announces. Their preconditions: Restricted Admin needs an account that is a local administrator on the server and a server that allows it (DisableRestrictedAdmin = 0); Remote Credential Guard needs Kerberos (the server's name, a reachable KDC, the same or a trusting domain) and a Windows 10 1607 / Server 2016 or later server.",
    ["client.remote_guard_requirements", "client.restricted_admin_requirements"]
);
def!(
    AUTHMODE_UNSUPPORTED,
    "authmode.unsupported",
    Fail,
    "x224",
    "The client requires a logon mode the server does not announce",
    "The client's RDP_NEG_REQ required Restricted Admin or Remote Credential Guard, and the server's RDP_NEG_RSP lacks the matching flag (RESTRICTED_ADMIN_MODE_SUPPORTED 0x08, REDIRECTED_AUTHENTICATION_MODE_SUPPORTED 0x10, MS-RDPBCGR 2.2.1.2.1): without it the client may not send empty or redirected credentials, and Windows clients stop with an error that the remote computer does not support the mode. Servers before Windows 8.1 / Server 2012 R2 (Restricted Admin) or Windows 10 1607 / Server 2016 (Remote Credential Guard), xrdp and FreeRDP servers announce neither.",
    ["server.enable_restricted_admin", "client.remote_guard_requirements", "client.restricted_admin_requirements"]
);
def!(
    AUTHMODE_NEEDS_KERBEROS,
    "authmode.remote_guard_needs_kerberos",
    Fail,
    "credssp",
    "Remote Credential Guard was asked for, but CredSSP used NTLM",
    "Remote Credential Guard redirects Kerberos requests back to the client: it works only when CredSSP authenticates with Kerberos. The exchange here proposed or used NTLM (connection by IP address or by a name without a TERMSRV/ SPN, no domain controller reachable from the client, accounts or servers in untrusted domains), so the logon cannot be made in this mode.",
    ["client.use_kerberos_name", "client.remote_guard_requirements"]
);
def!(
    AUTHMODE_REFUSED,
    "authmode.refused",
    Fail,
    "credssp",
    "The server refused a Restricted Admin or Remote Credential Guard logon",
    "The client asked for Restricted Admin or Remote Credential Guard and the server then refused the logon (its status, Early User Authorization Result, ERRINFO or logon error is quoted). The mode's own preconditions are the usual reasons: Restricted Admin accepts only accounts in the server's local Administrators group and must be allowed on the server (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa DisableRestrictedAdmin = 0); Remote Credential Guard needs Kerberos and a server that allows it (the same value), and the user's own account (no other credentials can be typed).",
    ["client.restricted_admin_requirements", "server.enable_restricted_admin", "client.remote_guard_requirements"]
);

/// This file's definitions.
pub(super) static DEFS: &[FindingDef] =
    &[AUTHMODE_IN_USE, AUTHMODE_UNSUPPORTED, AUTHMODE_NEEDS_KERBEROS, AUTHMODE_REFUSED];
