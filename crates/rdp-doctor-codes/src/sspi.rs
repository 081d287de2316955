//! SSPI status codes (SEC_E_*) commonly met during NLA (CredSSP) and TLS.
//!
//! Values: winpr `winpr/include/winpr/sspi.h`. Meanings: Microsoft Learn, "SSPI Status Codes".

use crate::advice::*;
use crate::{Code, Family, Kind, Shape};

/// The family.
pub static FAMILY: Family = Family {
    kind: Kind::Sspi,
    id: "sspi",
    title: "SSPI status (SEC_E_*)",
    seen_as: "the client's authentication error dialog and event logs, FreeRDP/winpr logs, PowerShell and .NET exceptions (HRESULT 0x8009xxxx)",
    about: "A status of the Windows Security Support Provider Interface, which carries NLA (CredSSP with Kerberos or NTLM inside) and TLS (Schannel). It tells which step of authentication or of the secure channel failed on the side that reports it.",
    not_to_confuse: "",
    sources: &[
        "Microsoft Learn, SSPI Status Codes: https://learn.microsoft.com/en-us/windows/win32/secauthn/sspi-status-codes",
        "winpr winpr/include/winpr/sspi.h (values)",
    ],
    shape: Shape::Exact,
    freerdp_class: None,
    codes: CODES,
    groups: &[],
};

static CODES: &[Code] = &[
    Code::new(0x8009_0302, "SEC_E_UNSUPPORTED_FUNCTION", "The function requested is not supported.")
        .advice(&UNSUPPORTED_FUNCTION)
        .findings(&["credssp.old_version"])
        .note("that the CredSSP \"encryption oracle remediation\" message carries this status is inferred from its text, not documented"),
    Code::new(0x8009_0303, "SEC_E_TARGET_UNKNOWN", "The target (service principal) is not recognized.").advice(&TARGET_NAME),
    Code::new(0x8009_0304, "SEC_E_INTERNAL_ERROR", "An error that does not map to an SSPI code occurred.").advice(&SECURITY_LAYER_ERROR),
    Code::new(0x8009_0308, "SEC_E_INVALID_TOKEN", "The token received is not valid.").advice(&SECURITY_LAYER_ERROR),
    Code::new(0x8009_030C, "SEC_E_LOGON_DENIED", "The logon was denied (documented as obsolete).").advice(&BAD_CREDENTIALS),
    Code::new(0x8009_030E, "SEC_E_NO_CREDENTIALS", "No credentials are available to the security package.").advice(&BAD_CREDENTIALS),
    Code::new(0x8009_030F, "SEC_E_MESSAGE_ALTERED", "A message was altered in transit.").advice(&BAD_BINDINGS),
    Code::new(0x8009_0311, "SEC_E_NO_AUTHENTICATING_AUTHORITY", "No authority could be contacted for authentication.")
        .advice(&NO_AUTHORITY)
        .findings(&["credssp.no_logon_servers"])
        .see(&[(Kind::Disconnect, 0x1807)]),
    Code::new(0x8009_0317, "SEC_E_CONTEXT_EXPIRED", "The security context has already been closed.").advice(&SECURITY_LAYER_ERROR),
    Code::new(0x8009_0322, "SEC_E_WRONG_PRINCIPAL", "The target principal name is wrong: the server is not who the name says.")
        .advice(&TARGET_NAME),
    Code::new(0x8009_0324, "SEC_E_TIME_SKEW", "The client's and server's clocks differ too much.")
        .advice(&TIME_SKEW)
        .findings(&["time.skew_kerberos", "credssp.time_skew"]),
    Code::new(0x8009_0325, "SEC_E_UNTRUSTED_ROOT", "The certificate chain ends in a root that is not trusted.")
        .advice(&CERT_UNTRUSTED)
        .findings(&["cert.untrusted", "cert.self_signed"]),
    Code::new(0x8009_0326, "SEC_E_ILLEGAL_MESSAGE", "A message was unexpected or badly formatted.")
        .advice(&SECURITY_LAYER_ERROR)
        .findings(&["tls.alert"]),
    Code::new(0x8009_0327, "SEC_E_CERT_UNKNOWN", "An unknown error occurred while processing the certificate.").advice(&CERT_UNTRUSTED),
    Code::new(0x8009_0328, "SEC_E_CERT_EXPIRED", "The certificate received has expired.")
        .advice(&CERT_EXPIRED)
        .findings(&["cert.expired"])
        .see(&[(Kind::Disconnect, 0x1B07)]),
    Code::new(0x8009_0331, "SEC_E_ALGORITHM_MISMATCH", "Client and server support no common algorithm (TLS version or cipher suite).")
        .advice(&SECURITY_LAYER_ERROR)
        .findings(&["tls.alert", "tls.legacy_only"]),
    Code::new(0x8009_033E, "SEC_E_SMARTCARD_LOGON_REQUIRED", "The account requires a smart card to log on.").advice(&SMARTCARD),
    Code::new(0x8009_0346, "SEC_E_BAD_BINDINGS", "The channel bindings of the authentication do not match the TLS channel.")
        .advice(&BAD_BINDINGS),
    Code::new(0x8009_0350, "SEC_E_DOWNGRADE_DETECTED", "A possible downgrade attack was detected; often the domain controller could not be reached.")
        .advice(&NO_AUTHORITY),
    Code::new(0x8009_035E, "SEC_E_DELEGATION_POLICY", "Policy does not allow delegating credentials to the target server.")
        .advice(&DELEGATION_POLICY)
        .see(&[(Kind::Disconnect, 0x1607)]),
    Code::new(0x8009_035F, "SEC_E_POLICY_NLTM_ONLY", "Policy does not allow delegating credentials when only NTLM authenticated the server.")
        .advice(&DELEGATION_POLICY)
        .see(&[(Kind::Disconnect, 0x1707)])
        .note("spelled NLTM in the SDK headers"),
    Code::new(0x8009_0363, "SEC_E_MUTUAL_AUTH_FAILED", "Mutual authentication failed: the server's identity could not be proven.")
        .advice(&TARGET_NAME),
];
