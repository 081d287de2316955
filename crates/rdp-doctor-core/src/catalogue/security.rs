//! Findings about what the server offers and requires: the security-layer matrix, CredSSP and what the
//! NTLM CHALLENGE reveals (MS-RDPBCGR 2.2.1.1.1, MS-CSSP 2.2.1, MS-NLMP 2.2.1.2).

use super::def;
use crate::finding::{FindingDef, Severity};

def!(
    NLA_REQUIRED,
    "nla.required",
    Info,
    "x224",
    "The server requires Network Level Authentication",
    "Only CredSSP (HYBRID / HYBRID_EX) is accepted: clients must authenticate before a session is created. This is the secure setting; clients without CredSSP (old thin clients, FreeRDP with /sec:tls) cannot connect.",
    ["client.enable_nla"]
);
def!(
    NLA_NOT_OFFERED,
    "nla.not_offered",
    Warn,
    "x224",
    "The server does not offer Network Level Authentication",
    "Neither PROTOCOL_HYBRID nor PROTOCOL_HYBRID_EX is accepted. Every connection reaches the Windows logon screen before authenticating, which exposes the server to resource exhaustion and password guessing, and clients that require NLA fail.",
    ["server.require_nla"]
);
def!(
    SEC_RDP_SECURITY_ALLOWED,
    "sec.rdp_security_allowed",
    Warn,
    "x224",
    "Standard RDP Security is still accepted",
    "The server accepts PROTOCOL_RDP: a client can connect with RC4 encryption and without any server authentication, which a man in the middle can exploit.",
    ["server.require_nla", "server.allow_tls_security_layer"]
);
def!(
    TLS_NOT_OFFERED,
    "tls.not_offered",
    Warn,
    "x224",
    "The server offers no TLS-based security at all",
    "None of PROTOCOL_SSL, PROTOCOL_HYBRID or PROTOCOL_HYBRID_EX is accepted: only Standard RDP Security remains. Clients that insist on TLS or NLA fail; all others connect without server authentication.",
    ["server.allow_tls_security_layer"]
);
def!(
    CREDSSP_OLD_VERSION,
    "credssp.old_version",
    Warn,
    "credssp",
    "The server's CredSSP predates the 2018 security update",
    "The server answered with a CredSSP version below 5. Versions 5 and 6 carry the fix for CVE-2018-0886 (the clientNonce binding). Updated clients with Encryption Oracle Remediation set to \"Force Updated Clients\" or \"Mitigated\" refuse such a server with \"This could be due to CredSSP encryption oracle remediation\". Patch the server.",
    ["server.install_credssp_update", "client.allow_encryption_oracle_temporarily"]
);
def!(
    CREDSSP_FAILED,
    "credssp.failed",
    Fail,
    "credssp",
    "The CredSSP (NLA) exchange broke before authentication",
    "After TLS the server did not answer the first CredSSP message with a TSRequest: it closed, reset, stayed silent or sent something else. Clients fail here before any password is checked; a broken security package, a middlebox or a server overloaded with NLA handshakes are typical causes.",
    ["server.check_rdp_service_health"]
);
def!(
    CREDSSP_NO_NTLM,
    "credssp.no_ntlm_challenge",
    Warn,
    "credssp",
    "The server did not offer NTLM in CredSSP",
    "The client proposed NTLM (rdp-doctor's probe always does; in a capture, a client whose first token was NTLM) and the server answered with a TSRequest that carries no NTLM CHALLENGE. A SPNEGO exchange in which the client proposed Kerberos and the server went on with it is not this finding: that is a domain client's normal path (credssp.mechanism). NTLM may be restricted by policy (Network security: Restrict NTLM), so only Kerberos works: clients outside the domain, connecting by IP address, or without a reachable KDC fail.",
    ["client.use_kerberos_name", "server.check_ntlm_policy"]
);
def!(
    CREDSSP_MECHANISM,
    "credssp.mechanism",
    Info,
    "credssp",
    "Which security mechanism CredSSP authenticated with",
    "CredSSP (NLA) carries the tokens of a security mechanism: inside SPNEGO (RFC 4178) as Windows sends them, the client offers a list (Kerberos, NEGOEX, NTLM) and the server chooses; FreeRDP and IronRDP send NTLM or Kerberos tokens directly. Kerberos is what a domain-joined client uses when it can get a ticket for TERMSRV/<server name>; NTLM is the fallback (an IP address, no SPN, no domain controller in reach, a client outside the domain) and is refused where NTLM is restricted; NEGOEX/PKU2U carries certificate and Microsoft Entra ID sign-in. The evidence lists every token seen.",
    ["client.use_kerberos_name"]
);
def!(
    CREDSSP_SERVER_ERROR,
    "credssp.server_error",
    Warn,
    "credssp",
    "The server reported an error in CredSSP",
    "The server's TSRequest carries an errorCode (an NTSTATUS or SEC_E value, MS-CSSP 2.2.1) in answer to the first message.",
    ["server.check_rdp_service_health"]
);
def!(
    NTLM_HOST_INFO,
    "ntlm.host_info",
    Info,
    "credssp",
    "What the server says about itself (NTLM)",
    "The server's NTLM CHALLENGE names the computer and its domain and gives the OS version and the server's clock, without any credentials.",
    ["client.use_kerberos_name"]
);
def!(
    TIME_SKEW,
    "time.skew",
    Warn,
    "credssp",
    "The server's clock differs from this machine's",
    "The server's clock, from its NTLM CHALLENGE timestamp, is off compared with this machine. Kerberos refuses tickets beyond 5 minutes of skew (KRB_AP_ERR_SKEW), so NLA with Kerberos fails and clients fall back to NTLM or fail; certificate validity is judged against the wrong time too.",
    ["any.fix_clock"]
);
def!(
    TIME_SKEW_SEVERE,
    "time.skew_kerberos",
    Fail,
    "credssp",
    "The clocks differ by more than Kerberos tolerates",
    "The skew is 5 minutes or more: Kerberos authentication fails (KRB_AP_ERR_SKEW / SEC_E_TIME_SKEW); NLA works only where NTLM is allowed.",
    ["any.fix_clock"]
);
def!(
    TIME_SKEW_MINOR,
    "time.skew_minor",
    Info,
    "credssp",
    "The server's clock is slightly off",
    "The clocks differ by more than 30 seconds but well within Kerberos' 5-minute tolerance.",
    ["any.fix_clock"]
);

def!(
    TLS_LEGACY_ONLY,
    "tls.legacy_only",
    Warn,
    "tls",
    "The server speaks only TLS 1.0/1.1",
    "No TLS 1.2 or 1.3 handshake succeeds; only the legacy versions do. Clients that disabled TLS 1.0/1.1 (FreeRDP on OpenSSL 3, rustls-based clients, hardened Windows) cannot connect, and the old versions have known weaknesses. Typical of Windows Server 2008 R2 / Windows 7 without KB3080079, or an Schannel registry that disabled TLS 1.2.",
    ["server.enable_tls12"]
);
def!(
    TLS_WEAK_CIPHERS,
    "tls.weak_ciphers",
    Warn,
    "tls",
    "The server accepts broken cipher suites",
    "At least one accepted suite uses RC4, 3DES, DES, NULL or export-grade encryption, anonymous key exchange or an MD5 MAC. Attackers who can force or wait for such a suite can read or tamper with the session.",
    ["server.disable_weak_ciphers"]
);
def!(
    TLS_NO_FORWARD_SECRECY,
    "tls.no_forward_secrecy",
    Info,
    "tls",
    "Some accepted suites lack forward secrecy",
    "Suites with RSA key exchange are accepted: whoever obtains the server's private key later can decrypt recorded sessions that used them. Clients normally prefer ECDHE suites, so this matters mostly for old clients.",
    ["server.disable_weak_ciphers"]
);
def!(
    TLS_NO_TLS13,
    "tls.no_tls13",
    Info,
    "tls",
    "TLS 1.3 is not offered",
    "The server refused a TLS 1.3 ClientHello. Nothing fails today because of it, but TLS 1.3 is faster and has no legacy suites; Windows Server 2022 and later, and xrdp with OpenSSL 1.1.1+, can offer it.",
    ["server.enable_tls13"]
);
def!(
    TLS_ONLY_TLS13,
    "tls.only_tls13",
    Warn,
    "tls",
    "The server speaks only TLS 1.3",
    "TLS 1.0-1.2 are refused. Clients without TLS 1.3 — mstsc on Windows 10 and older, FreeRDP built against OpenSSL 1.1.0 or older — cannot connect.",
    ["server.enable_tls12"]
);

def!(
    SEC_RDP_WEAK_ENCRYPTION,
    "sec.rdp_weak_encryption",
    Warn,
    "x224",
    "Standard RDP Security with weak or no encryption",
    "The server's Standard RDP Security data (MS-RDPBCGR 2.2.1.4.3) allows 40- or 56-bit RC4, or an encryption level of NONE or LOW (only client-to-server traffic encrypted). Sessions can be read by anyone on the path.",
    ["server.allow_tls_security_layer", "server.require_nla"]
);
def!(
    SEC_RDP_PROPRIETARY_CERTIFICATE,
    "sec.rdp_proprietary_certificate",
    Warn,
    "x224",
    "Standard RDP Security authenticates the server with a proprietary certificate",
    "With Standard RDP Security the server proves nothing about its identity: its proprietary certificate is signed with the Terminal Services key whose private half has been public for years, so any man in the middle can impersonate the server and read the password typed at the logon screen.",
    ["server.require_nla", "server.allow_tls_security_layer"]
);

/// This file's definitions.
pub(super) static DEFS: &[FindingDef] = &[
    NLA_REQUIRED,
    NLA_NOT_OFFERED,
    SEC_RDP_SECURITY_ALLOWED,
    TLS_NOT_OFFERED,
    CREDSSP_OLD_VERSION,
    CREDSSP_FAILED,
    CREDSSP_NO_NTLM,
    CREDSSP_MECHANISM,
    CREDSSP_SERVER_ERROR,
    NTLM_HOST_INFO,
    TIME_SKEW,
    TIME_SKEW_SEVERE,
    TIME_SKEW_MINOR,
    TLS_LEGACY_ONLY,
    TLS_WEAK_CIPHERS,
    TLS_NO_FORWARD_SECRECY,
    TLS_NO_TLS13,
    TLS_ONLY_TLS13,
    SEC_RDP_WEAK_ENCRYPTION,
    SEC_RDP_PROPRIETARY_CERTIFICATE,
];
