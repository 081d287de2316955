//! Kerberos findings (RFC 4120 KRB-ERROR codes, MS-KILE): what the domain controller (KDC) or the server
//! answered when the client tried Kerberos for NLA, seen in captures (port 88 is clear text; CredSSP's
//! SPNEGO tokens once decrypted), and the "NTLM fallback refused" pattern.

use super::def;
use crate::finding::{FindingDef, Severity};

def!(
    KERBEROS_PREAUTH_FAILED,
    "kerberos.preauth_failed",
    Fail,
    "credssp",
    "The domain controller rejected the password (Kerberos pre-authentication failed)",
    "The KDC could not decrypt the client's pre-authentication timestamp with the account's key: the password typed (or saved, or cached by a service) is wrong. Each one counts towards the lockout threshold; a stale saved password on some device often locks the account.",
    ["client.check_credentials", "server.account_state"]
);
def!(
    KERBEROS_CLIENT_UNKNOWN,
    "kerberos.client_unknown",
    Fail,
    "credssp",
    "The domain controller does not know this user",
    "The KDC answered KDC_ERR_C_PRINCIPAL_UNKNOWN: no account of that name in the realm asked. Usually a typo, the wrong domain (or UPN suffix), or an account that exists only locally on the server.",
    ["client.check_credentials"]
);
def!(
    KERBEROS_CLIENT_REVOKED,
    "kerberos.client_revoked",
    Fail,
    "credssp",
    "The domain controller refused the account (disabled, locked out or expired)",
    "The KDC answered KDC_ERR_CLIENT_REVOKED (or KDC_ERR_NAME_EXP): the account is disabled, locked out, expired, or outside its logon hours. A Windows KDC adds an NTSTATUS that says which (shown in the evidence when present).",
    ["server.account_state"]
);
def!(
    KERBEROS_PASSWORD_EXPIRED,
    "kerberos.password_expired",
    Fail,
    "credssp",
    "The password has expired (Kerberos)",
    "The KDC answered KDC_ERR_KEY_EXPIRED: the password must be changed before the user can log on, and NLA cannot change it during the RDP logon.",
    ["client.change_password", "server.account_state"]
);
def!(
    KERBEROS_SERVER_UNKNOWN,
    "kerberos.server_unknown",
    Warn,
    "credssp",
    "No Kerberos service principal for the name used (the client falls back to NTLM)",
    "The KDC answered KDC_ERR_S_PRINCIPAL_UNKNOWN for TERMSRV/<name>: no computer account carries that service principal name. This is what connecting by IP address or by an alias (CNAME) looks like. The client then tries NTLM, which works unless NTLM is restricted, the user is in Protected Users, or the client's delegation policy requires Kerberos.",
    ["client.use_kerberos_name", "server.check_spn"]
);
def!(
    KERBEROS_CLOCK_SKEW,
    "kerberos.clock_skew",
    Fail,
    "credssp",
    "Kerberos refused: the clocks differ too much",
    "A KRB-ERROR KRB_AP_ERR_SKEW: the client's clock and the KDC's (or the server's) differ by more than the allowed skew (5 minutes by default in Active Directory). The evidence shows the KDC's own time.",
    ["any.fix_clock"]
);
def!(
    KERBEROS_POLICY,
    "kerberos.policy",
    Fail,
    "credssp",
    "The domain controller's policy refuses this logon",
    "The KDC answered KDC_ERR_POLICY: a logon restriction applies to this account (allowed workstations, logon hours, smart card required, an authentication policy or silo, or the rules of the Protected Users group).",
    ["server.account_state", "server.kerberos_protected_users"]
);
def!(
    KERBEROS_ETYPE_UNSUPPORTED,
    "kerberos.etype_unsupported",
    Fail,
    "credssp",
    "No common Kerberos encryption type",
    "The KDC answered KDC_ERR_ETYPE_NOSUPP: the client, the account and the domain controller share no allowed encryption type. Typical after RC4 was disabled for an account whose password was never reset since AES keys were introduced, or on old clients that only offer RC4/DES.",
    ["server.kerberos_encryption_types"]
);
def!(
    KERBEROS_TICKET_REJECTED,
    "kerberos.ticket_rejected",
    Fail,
    "credssp",
    "The server could not accept its Kerberos ticket",
    "The server answered the client's AP-REQ with a KRB-ERROR such as KRB_AP_ERR_MODIFIED: the ticket was made for another account's key. The name used leads to a different computer than the one that owns TERMSRV/<name> (a stale DNS record, an alias, a duplicate SPN), or the server's computer account password is out of sync with the domain.",
    ["network.fix_dns_record", "server.check_spn", "server.domain_secure_channel"]
);
def!(
    KERBEROS_ERROR,
    "kerberos.error",
    Warn,
    "credssp",
    "A Kerberos exchange failed",
    "A KRB-ERROR other than the common cases; the evidence names the code (RFC 4120 7.5.9), the e-text and the Windows NTSTATUS when present. `rdp-doctor explain CODE --kind kerberos` gives its meaning.",
    ["client.use_kerberos_name"]
);
def!(
    KERBEROS_NTLM_FALLBACK_REFUSED,
    "kerberos.ntlm_fallback_refused",
    Fail,
    "credssp",
    "Kerberos was not possible and the server refused the NTLM fallback",
    "NLA first tries Kerberos; without a ticket for TERMSRV/<name> (connection by IP address or alias, no SPN, no reachable KDC) the client falls back to NTLM. This server (or the account) refuses NTLM: the incoming-NTLM restriction, or a member of Protected Users, who may never use NTLM. Connecting by the server's own DNS name lets Kerberos work.",
    ["client.use_kerberos_name", "server.check_spn", "server.kerberos_protected_users", "server.check_ntlm_policy"]
);

/// This file's findings.
pub(super) static DEFS: &[FindingDef] = &[
    KERBEROS_PREAUTH_FAILED,
    KERBEROS_CLIENT_UNKNOWN,
    KERBEROS_CLIENT_REVOKED,
    KERBEROS_PASSWORD_EXPIRED,
    KERBEROS_SERVER_UNKNOWN,
    KERBEROS_CLOCK_SKEW,
    KERBEROS_POLICY,
    KERBEROS_ETYPE_UNSUPPORTED,
    KERBEROS_TICKET_REJECTED,
    KERBEROS_ERROR,
    KERBEROS_NTLM_FALLBACK_REFUSED,
];
