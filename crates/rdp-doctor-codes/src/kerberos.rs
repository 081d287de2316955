//! Kerberos V5 error codes: the `error-code` of a KRB-ERROR (RFC 4120 5.9.1, 7.5.9), from a domain
//! controller (KDC) to the client, or from a server to a client inside CredSSP/SPNEGO. A Windows KDC adds an
//! NTSTATUS in the error's e-data (MS-KILE 2.2.1 KERB-EXT-ERROR) that narrows the reason (disabled, locked,
//! expired, logon hours).

use crate::advice::*;
use crate::{Code, Family, Kind, Shape};

/// The family.
pub static FAMILY: Family = Family {
    kind: Kind::Kerberos,
    id: "kerberos",
    title: "Kerberos error code (KRB-ERROR)",
    seen_as: "Packet captures of the client's traffic to its domain controller (port 88, in clear) and decrypted CredSSP; klist and the Windows System log (Kerberos-client events 3 and 4), events 4768/4769/4771 on domain controllers (\"Failure Code 0x18\"), FreeRDP logs with Kerberos",
    about: "The reason a Kerberos exchange failed, as a small number in a KRB-ERROR message: sent by the KDC when the client asks for a ticket (AS-REQ for the logon, TGS-REQ for the TERMSRV/ service ticket), or by the server when it cannot accept the ticket. NLA tries Kerberos first; when it cannot get a ticket for TERMSRV/<name> the client falls back to NTLM, which may be refused in turn.",
    not_to_confuse: "KDC_ERR_PREAUTH_REQUIRED (25, 0x19) is the normal first answer to a logon without pre-authentication data, not a failure: the client retries with its encrypted timestamp. Domain controller events show these codes in hex (0x18 = 24, KDC_ERR_PREAUTH_FAILED).",
    sources: &[
        "RFC 4120 7.5.9 Error Codes: https://www.rfc-editor.org/rfc/rfc4120#section-7.5.9",
        "RFC 4556 (PKINIT) 3.1.3 and RFC 6113 (FAST) 5.4.5 for the codes above 68",
        "MS-KILE 2.2.1 KERB-EXT-ERROR (the NTSTATUS in e-data): https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-kile/",
    ],
    shape: Shape::Exact,
    freerdp_class: None,
    codes: CODES,
    groups: &[],
};

static CODES: &[Code] = &[
    Code::new(0, "KDC_ERR_NONE", "No error."),
    Code::new(1, "KDC_ERR_NAME_EXP", "The client's entry in the KDC database has expired.")
        .advice(&ACCOUNT_EXPIRED)
        .findings(&["kerberos.client_revoked"]),
    Code::new(2, "KDC_ERR_SERVICE_EXP", "The service's entry in the KDC database has expired."),
    Code::new(3, "KDC_ERR_BAD_PVNO", "The request used a Kerberos protocol version the KDC does not support."),
    Code::new(4, "KDC_ERR_C_OLD_MAST_KVNO", "The client's key is encrypted in an old master key."),
    Code::new(5, "KDC_ERR_S_OLD_MAST_KVNO", "The service's key is encrypted in an old master key."),
    Code::new(6, "KDC_ERR_C_PRINCIPAL_UNKNOWN", "The KDC does not know the client (user) name in this realm.")
        .advice(&BAD_CREDENTIALS)
        .findings(&["kerberos.client_unknown"]),
    Code::new(
        7,
        "KDC_ERR_S_PRINCIPAL_UNKNOWN",
        "The KDC knows no account with the requested service principal name (e.g. no TERMSRV/<name> SPN for the name used).",
    )
    .advice(&TARGET_NAME)
    .findings(&["kerberos.server_unknown"]),
    Code::new(8, "KDC_ERR_PRINCIPAL_NOT_UNIQUE", "Several accounts carry the requested principal name (a duplicate SPN).")
        .advice(&TARGET_NAME)
        .findings(&["kerberos.error"]),
    Code::new(9, "KDC_ERR_NULL_KEY", "The client or service has no key (no password set)."),
    Code::new(10, "KDC_ERR_CANNOT_POSTDATE", "The ticket may not be postdated."),
    Code::new(11, "KDC_ERR_NEVER_VALID", "The requested start time is later than the end time."),
    Code::new(
        12,
        "KDC_ERR_POLICY",
        "The KDC's policy rejects the request: on Windows a logon restriction (workstations, logon hours, smart card required, an authentication policy or silo, Protected Users rules).",
    )
    .advice(&ACCOUNT_RESTRICTION)
    .findings(&["kerberos.policy"]),
    Code::new(13, "KDC_ERR_BADOPTION", "The KDC cannot honour a requested option (often delegation not allowed)."),
    Code::new(
        14,
        "KDC_ERR_ETYPE_NOSUPP",
        "No common encryption type: the account has no key of a type both sides allow (e.g. RC4 disabled while the account has only RC4 keys).",
    )
    .findings(&["kerberos.etype_unsupported"]),
    Code::new(15, "KDC_ERR_SUMTYPE_NOSUPP", "The KDC does not support the checksum type."),
    Code::new(16, "KDC_ERR_PADATA_TYPE_NOSUPP", "The KDC does not support the pre-authentication data type (e.g. PKINIT for a smart card)."),
    Code::new(17, "KDC_ERR_TRTYPE_NOSUPP", "The KDC does not support the transited-realm encoding."),
    Code::new(
        18,
        "KDC_ERR_CLIENT_REVOKED",
        "The client's credentials were revoked: the account is disabled, locked out, expired or outside its logon hours.",
    )
    .advice(&ACCOUNT_DISABLED)
    .findings(&["kerberos.client_revoked"]),
    Code::new(19, "KDC_ERR_SERVICE_REVOKED", "The service's credentials were revoked (its computer account is disabled)."),
    Code::new(20, "KDC_ERR_TGT_REVOKED", "The ticket-granting ticket was revoked; log on again."),
    Code::new(21, "KDC_ERR_CLIENT_NOTYET", "The client is not yet valid; try again later."),
    Code::new(22, "KDC_ERR_SERVICE_NOTYET", "The service is not yet valid; try again later."),
    Code::new(23, "KDC_ERR_KEY_EXPIRED", "The password has expired; it must be changed before logging on.")
        .advice(&PASSWORD_CHANGE)
        .findings(&["kerberos.password_expired"]),
    Code::new(
        24,
        "KDC_ERR_PREAUTH_FAILED",
        "Pre-authentication failed: the encrypted timestamp does not decrypt with the account's key, i.e. the password is wrong.",
    )
    .advice(&BAD_CREDENTIALS)
    .findings(&["kerberos.preauth_failed"]),
    Code::new(
        25,
        "KDC_ERR_PREAUTH_REQUIRED",
        "The KDC wants pre-authentication data; a normal first answer to which the client replies with its encrypted timestamp.",
    ),
    Code::new(26, "KDC_ERR_SERVER_NOMATCH", "The requested server and the ticket do not match."),
    Code::new(27, "KDC_ERR_MUST_USE_USER2USER", "The server principal is valid for user-to-user only."),
    Code::new(28, "KDC_ERR_PATH_NOT_ACCEPTED", "The KDC policy rejects the transited path (cross-realm trust)."),
    Code::new(29, "KDC_ERR_SVC_UNAVAILABLE", "The KDC is unavailable (busy, or a read-only DC that cannot serve this account)."),
    Code::new(31, "KRB_AP_ERR_BAD_INTEGRITY", "The integrity check of the message failed."),
    Code::new(32, "KRB_AP_ERR_TKT_EXPIRED", "The ticket has expired; the client should get a new one."),
    Code::new(33, "KRB_AP_ERR_TKT_NYV", "The ticket is not yet valid (clock difference)."),
    Code::new(34, "KRB_AP_ERR_REPEAT", "The request is a replay of an earlier one."),
    Code::new(35, "KRB_AP_ERR_NOT_US", "The ticket is not for this server."),
    Code::new(36, "KRB_AP_ERR_BADMATCH", "The ticket and the authenticator do not match.").findings(&["kerberos.ticket_rejected"]),
    Code::new(
        37,
        "KRB_AP_ERR_SKEW",
        "The clocks differ by more than the allowed skew (5 minutes by default in Active Directory).",
    )
    .advice(&TIME_SKEW)
    .findings(&["kerberos.clock_skew"]),
    Code::new(38, "KRB_AP_ERR_BADADDR", "The network address in the ticket does not match the sender's."),
    Code::new(39, "KRB_AP_ERR_BADVERSION", "The protocol version numbers do not match."),
    Code::new(40, "KRB_AP_ERR_MSG_TYPE", "The message type is not supported."),
    Code::new(
        41,
        "KRB_AP_ERR_MODIFIED",
        "The server cannot decrypt the ticket: it was issued for another account's key (a DNS record or alias pointing at another computer, a duplicate SPN, or a computer account password out of sync).",
    )
    .advice(&TARGET_NAME)
    .findings(&["kerberos.ticket_rejected"]),
    Code::new(42, "KRB_AP_ERR_BADORDER", "A message arrived out of order."),
    Code::new(44, "KRB_AP_ERR_BADKEYVER", "The ticket's key version is not available to the server.")
        .advice(&TARGET_NAME)
        .findings(&["kerberos.ticket_rejected"]),
    Code::new(45, "KRB_AP_ERR_NOKEY", "The server has no key to decrypt the ticket.")
        .advice(&TARGET_NAME)
        .findings(&["kerberos.ticket_rejected"]),
    Code::new(46, "KRB_AP_ERR_MUT_FAIL", "Mutual authentication failed."),
    Code::new(47, "KRB_AP_ERR_BADDIRECTION", "The message direction is wrong."),
    Code::new(48, "KRB_AP_ERR_METHOD", "Another authentication method is required."),
    Code::new(49, "KRB_AP_ERR_BADSEQ", "The sequence number in the message is wrong."),
    Code::new(50, "KRB_AP_ERR_INAPP_CKSUM", "The checksum type is inappropriate for the message."),
    Code::new(51, "KRB_AP_PATH_NOT_ACCEPTED", "The server policy rejects the transited path."),
    Code::new(
        52,
        "KRB_ERR_RESPONSE_TOO_BIG",
        "The answer does not fit a UDP datagram; the client retries over TCP (normal with large tickets).",
    ),
    Code::new(60, "KRB_ERR_GENERIC", "A generic error; the e-text or the Windows NTSTATUS in e-data says more.")
        .findings(&["kerberos.error"]),
    Code::new(61, "KRB_ERR_FIELD_TOOLONG", "A field is too long for this implementation."),
    Code::new(62, "KDC_ERROR_CLIENT_NOT_TRUSTED", "PKINIT: the KDC does not trust the client's certificate (smart card).")
        .advice(&SMARTCARD),
    Code::new(63, "KDC_ERROR_KDC_NOT_TRUSTED", "PKINIT: the client does not trust the KDC's certificate."),
    Code::new(64, "KDC_ERROR_INVALID_SIG", "PKINIT: a signature is invalid."),
    Code::new(65, "KDC_ERR_KEY_TOO_WEAK", "The key is too weak for the KDC's policy."),
    Code::new(66, "KDC_ERR_CERTIFICATE_MISMATCH", "PKINIT: the certificate does not match the principal."),
    Code::new(67, "KRB_AP_ERR_NO_TGT", "No ticket-granting ticket is available for user-to-user authentication."),
    Code::new(68, "KDC_ERR_WRONG_REALM", "The request went to the wrong realm; the client should ask the realm named in the answer.")
        .advice(&NO_AUTHORITY)
        .findings(&["kerberos.error"]),
    Code::new(69, "KRB_AP_ERR_USER_TO_USER_REQUIRED", "The server requires user-to-user authentication."),
    Code::new(70, "KDC_ERR_CANT_VERIFY_CERTIFICATE", "PKINIT: the KDC cannot verify the client's certificate.")
        .advice(&SMARTCARD),
    Code::new(71, "KDC_ERR_INVALID_CERTIFICATE", "PKINIT: the client's certificate is invalid.").advice(&SMARTCARD),
    Code::new(72, "KDC_ERR_REVOKED_CERTIFICATE", "PKINIT: the client's certificate is revoked.").advice(&SMARTCARD),
    Code::new(73, "KDC_ERR_REVOCATION_STATUS_UNKNOWN", "PKINIT: the revocation status of the certificate is unknown.")
        .advice(&SMARTCARD),
    Code::new(74, "KDC_ERR_REVOCATION_STATUS_UNAVAILABLE", "PKINIT: the revocation status cannot be obtained.")
        .advice(&SMARTCARD),
    Code::new(75, "KDC_ERR_CLIENT_NAME_MISMATCH", "PKINIT: the client name does not match the certificate.")
        .advice(&SMARTCARD),
    Code::new(76, "KDC_ERR_KDC_NAME_MISMATCH", "PKINIT: the KDC name does not match its certificate."),
    Code::new(90, "KDC_ERR_PREAUTH_EXPIRED", "FAST: the pre-authentication data has expired."),
    Code::new(91, "KDC_ERR_MORE_PREAUTH_DATA_REQUIRED", "FAST: more pre-authentication data is needed (a normal step)."),
    Code::new(92, "KDC_ERR_PREAUTH_BAD_AUTHENTICATION_SET", "FAST: the pre-authentication set is not acceptable."),
    Code::new(93, "KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS", "FAST: the KDC does not support a critical FAST option."),
];
