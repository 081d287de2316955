//! Client disconnect reasons: the "Error code" of the Remote Desktop Connection dialog.
//!
//! Source: Microsoft Learn, `IMsTscAxEvents::OnDisconnected` (discReason), cross-checked with the
//! Windows CE page and the RDP ActiveX `OnConnectionTerminated` page. Every documented value is here
//! (47 rows in that table). Values seen in the wild but absent from Microsoft's table are kept as
//! [`Status::Unverified`] so that users who meet them get an honest answer.

use crate::advice::*;
use crate::{Code, Family, Kind, Shape, Status};

const WILD: Status = Status::Unverified;

/// The family.
pub static FAMILY: Family = Family {
    kind: Kind::Disconnect,
    id: "disconnect",
    title: "Client disconnect reason",
    seen_as: "\"Error code\" in the Remote Desktop Connection (mstsc) dialog; discReason of the ActiveX client's OnDisconnected event",
    about: "A number the Windows Remote Desktop client sets when it loses or ends a connection. It describes what the client itself saw (a DNS failure, a socket closed, a logon refused), so it often says how the link ended rather than why. When the server gave a reason, it is in the extended error code.",
    not_to_confuse: "The error code is a client disconnect reason, not a Win32 error code: looking it up in the system error list (GetLastError values) gives an unrelated message.",
    sources: &[
        "Microsoft Learn, IMsTscAxEvents::OnDisconnected: https://learn.microsoft.com/en-us/windows/win32/termserv/imstscaxevents-ondisconnected",
        "Microsoft Learn (previous versions), Windows CE discReason list: https://learn.microsoft.com/en-us/previous-versions/aa911976(v=msdn.10)",
        "Microsoft Learn, IMsRdpClient5::GetErrorDescription (turns the pair into the client's text)",
    ],
    shape: Shape::Exact,
    freerdp_class: None,
    codes: CODES,
    groups: &[],
};

static CODES: &[Code] = &[
    Code::new(0x0, "disconnectReasonNoInfo", "No information is available about the disconnect."),
    Code::new(0x1, "disconnectReasonLocalNotError", "The user at the client disconnected; not an error."),
    Code::new(0x2, "disconnectReasonRemoteByUser", "The user disconnected from inside the remote session; not an error."),
    Code::new(0x3, "disconnectReasonByServer", "The server ended the connection; not an error in itself. The extended code tells why."),
    Code::new(0x104, "disconnectReasonDNSLookupFailed", "The server's name could not be resolved.")
        .advice(&DNS_FAILED)
        .findings(&["dns.resolution_failed"]),
    Code::new(0x106, "disconnectReasonOutOfMemory", "The client ran out of memory.").advice(&CLIENT_RESOURCES),
    Code::new(0x108, "disconnectReasonConnectionTimedOut", "The connection attempt timed out.")
        .advice(&TIMEOUT)
        .findings(&["tcp.filtered", "x224.no_response"]),
    Code::new(0x204, "disconnectReasonSocketConnectFailed", "The TCP connection to the server could not be made.")
        .advice(&TCP_CONNECT_FAILED)
        .findings(&["tcp.refused", "tcp.filtered", "tcp.unreachable"])
        .see(&[(Kind::Freerdp, 0x6)]),
    Code::new(0x206, "disconnectReasonOutOfMemory2", "The client ran out of memory.").advice(&CLIENT_RESOURCES),
    Code::new(0x208, "disconnectReasonHostNotFound", "The server's host name was not found.")
        .advice(&DNS_FAILED)
        .findings(&["dns.resolution_failed"]),
    Code::new(0x304, "disconnectReasonWinsockSendFailed", "Sending on the connection failed: the link broke.")
        .advice(&SOCKET_CLOSED),
    Code::new(0x306, "disconnectReasonOutOfMemory3", "The client ran out of memory.").advice(&CLIENT_RESOURCES),
    Code::new(0x308, "disconnectReasonInvalidIPAddr", "The IP address given is not valid.").advice(&INVALID_ADDRESS),
    Code::new(0x404, "disconnectReasonSocketRecvFailed", "Receiving on the connection failed: the link broke.")
        .advice(&SOCKET_CLOSED),
    Code::new(0x406, "disconnectReasonInvalidSecurityData", "The security data received is not valid.")
        .advice(&SECURITY_LAYER_ERROR),
    Code::new(0x408, "disconnectReasonInternalError", "The client hit an internal error.").advice(&CLIENT_RESOURCES),
    Code::new(0x506, "disconnectReasonInvalidEncryption", "The encryption method is not valid.").advice(&SECURITY_LAYER_ERROR),
    Code::new(0x508, "disconnectReasonDNSLookupFailed2", "The server's name could not be resolved.")
        .advice(&DNS_FAILED)
        .findings(&["dns.resolution_failed"]),
    Code::new(0x604, "disconnectReasonGetHostByNameFailed", "Looking up the server's name failed.")
        .advice(&DNS_FAILED)
        .findings(&["dns.resolution_failed"]),
    Code::new(0x606, "disconnectReasonInvalidServerSecurityInfo", "The server's security data is not valid.")
        .advice(&SECURITY_LAYER_ERROR),
    Code::new(0x608, "disconnectReasonTimerError", "An internal timer of the client failed.").advice(&CLIENT_RESOURCES),
    Code::new(0x704, "disconnectReasonTimeoutOccurred", "A time-out occurred during the connection.")
        .advice(&TIMEOUT)
        .findings(&["x224.no_response"]),
    Code::new(0x706, "disconnectReasonServerCertificateUnpackErr", "The server's certificate could not be unpacked.")
        .advice(&SECURITY_LAYER_ERROR)
        .findings(&["cert.unparsable"]),
    Code::new(0x804, "disconnectReasonInvalidIP", "The IP address is not valid.").advice(&INVALID_ADDRESS),
    Code::new(0x807, "SSL_ERR_LOGON_FAILURE", "The logon failed: user name or password not accepted.")
        .advice(&BAD_CREDENTIALS)
        .see(&[(Kind::Ntstatus, 0xC000_006D), (Kind::Freerdp, 0x14)]),
    Code::new(0x808, "disconnectReasonLicensingFailed", "Licensing with the server failed.").advice(&LICENSING_SERVER),
    Code::new(
        0x904,
        "disconnectReasonAtClientWinsockFDCLOSE",
        "Socket closed: the client was told (Winsock FD_CLOSE) that the connection was closed from the other end.",
    )
    .advice(&SOCKET_CLOSED)
    .findings(&["x224.closed", "tls.handshake_failed"]),
    Code::new(0x906, "disconnectReasonInternalSecurityError", "An internal security error occurred.")
        .advice(&SECURITY_LAYER_ERROR),
    Code::new(0x908, "disconnectReasonLicensingTimeout", "Licensing with the server timed out.").advice(&LICENSING_SERVER),
    Code::new(0xA06, "disconnectReasonInternalSecurityError2", "An internal security error occurred.")
        .advice(&SECURITY_LAYER_ERROR),
    Code::new(0xA07, "SSL_ERR_NO_SUCH_USER", "The user account does not exist.")
        .advice(&BAD_CREDENTIALS)
        .see(&[(Kind::Ntstatus, 0xC000_0064)]),
    Code::new(0xB06, "disconnectReasonEncryptionError", "Encrypting data for the server failed.").advice(&SECURITY_LAYER_ERROR),
    Code::new(0xB07, "SSL_ERR_ACCOUNT_DISABLED", "The user account is disabled.")
        .advice(&ACCOUNT_DISABLED)
        .see(&[(Kind::Ntstatus, 0xC000_0072), (Kind::Freerdp, 0x12)]),
    Code::new(0xC06, "disconnectReasonDecryptionError", "Decrypting data from the server failed.")
        .advice(&SECURITY_LAYER_ERROR),
    Code::new(0xC07, "SSL_ERR_ACCOUNT_RESTRICTION", "An account restriction prevents this logon.")
        .advice(&ACCOUNT_RESTRICTION)
        .see(&[(Kind::Ntstatus, 0xC000_006E), (Kind::Freerdp, 0x17)]),
    Code::new(0xC08, "disconnectReasonClientDecompressionError", "The client could not decompress data from the server.")
        .advice(&CLIENT_RESOURCES),
    Code::new(0xD07, "SSL_ERR_ACCOUNT_LOCKED_OUT", "The user account is locked out.")
        .advice(&ACCOUNT_LOCKED)
        .see(&[(Kind::Ntstatus, 0xC000_0234), (Kind::Freerdp, 0x18)]),
    Code::new(0xE07, "SSL_ERR_ACCOUNT_EXPIRED", "The user account has expired.")
        .advice(&ACCOUNT_EXPIRED)
        .see(&[(Kind::Ntstatus, 0xC000_0193), (Kind::Freerdp, 0x19)]),
    Code::new(0xF07, "SSL_ERR_PASSWORD_EXPIRED", "The password has expired.")
        .advice(&PASSWORD_CHANGE)
        .see(&[(Kind::Ntstatus, 0xC000_0071), (Kind::Freerdp, 0xE)]),
    Code::new(0x1207, "SSL_ERR_PASSWORD_MUST_CHANGE", "The password must be changed before the first logon.")
        .advice(&PASSWORD_CHANGE)
        .see(&[(Kind::Ntstatus, 0xC000_0224), (Kind::Freerdp, 0x13)]),
    Code::new(0x1607, "SSL_ERR_DELEGATION_POLICY", "Policy does not allow sending credentials to this server.")
        .advice(&DELEGATION_POLICY)
        .see(&[(Kind::Sspi, 0x8009_035E)]),
    Code::new(
        0x1707,
        "SSL_ERR_POLICY_NTLM_ONLY",
        "Policy does not allow sending credentials to a server authenticated with NTLM only (no mutual authentication).",
    )
    .advice(&DELEGATION_POLICY)
    .see(&[(Kind::Sspi, 0x8009_035F)]),
    Code::new(
        0x1807,
        "SSL_ERR_NO_AUTHENTICATING_AUTHORITY",
        "No authority could be contacted to authenticate: wrong or unreachable domain, or a broken trust.",
    )
    .advice(&NO_AUTHORITY)
    .see(&[(Kind::Sspi, 0x8009_0311), (Kind::Ntstatus, 0xC000_005E)]),
    Code::new(0x1B07, "SSL_ERR_CERT_EXPIRED", "The certificate received has expired.")
        .advice(&CERT_EXPIRED)
        .findings(&["cert.expired"])
        .see(&[(Kind::Sspi, 0x8009_0328)]),
    Code::new(0x1C07, "SSL_ERR_SMARTCARD_WRONG_PIN", "The smart-card PIN is wrong.").advice(&SMARTCARD),
    Code::new(
        0x2107,
        "SSL_ERR_FRESH_CRED_REQUIRED_BY_SERVER",
        "The server does not accept saved credentials; the user must type them.",
    )
    .advice(&FRESH_CREDENTIALS)
    .see(&[(Kind::Errinfo, 0xA)]),
    Code::new(0x2207, "SSL_ERR_SMARTCARD_CARD_BLOCKED", "The smart card is blocked.").advice(&SMARTCARD),
    // Not in Microsoft's table. Kept so users get an honest answer; meanings are the sources' and unconfirmed.
    Code::new(0x708, "(undocumented 0x708)", "Reported by a user together with a console-session message.")
        .status(WILD, "not in Microsoft's table; one user report (github anhkgg/SuperRDP#38)"),
    Code::new(0xB08, "UI_ERR_NORMAL_DISCONNECT", "Third-party hosts treat this as a normal disconnect by the user.")
        .status(WILD, "not in Microsoft's table; name from mRemoteNG's RdpProtocol.cs"),
    Code::new(0xB09, "(undocumented 0xB09)", "Reported as a Network Level Authentication error.")
        .status(WILD, "not in Microsoft's table; mRemoteNG issue #875")
        .advice(&UNSUPPORTED_FUNCTION),
    Code::new(0x1104, "(undocumented 0x1104)", "Reported as \"a protocol error detected at the client\".")
        .status(WILD, "not in Microsoft's table; stascorp/rdpwrap issue #363")
        .advice(&PROTOCOL_ERROR),
    Code::new(0x300_0002, "CERTIFICATE_REVOKE_LIST_UNAVAIL", "RD Gateway path: the certificate revocation list could not be fetched.")
        .status(WILD, "not in Microsoft's table; name from rdpgw protocol/errors.go (origin not checked)")
        .advice(&CERT_UNTRUSTED),
    Code::new(0x300_0005, "SECURITY_GATEWAY_IDENTITY", "RD Gateway path: the gateway's identity could not be verified.")
        .status(WILD, "not in Microsoft's table; name from rdpgw protocol/errors.go (origin not checked)")
        .advice(&CERT_UNTRUSTED),
    Code::new(0x300_0006, "SECURITY_GATEWAY_SUBJECT", "RD Gateway path: the gateway certificate's name does not match.")
        .status(WILD, "not in Microsoft's table; name from rdpgw protocol/errors.go (origin not checked)")
        .advice(&CERT_UNTRUSTED)
        .findings(&["cert.name_mismatch"]),
    Code::new(0x300_0007, "GATEWAY_EXPIRED", "RD Gateway path: the gateway certificate has expired.")
        .status(WILD, "not in Microsoft's table; name from rdpgw protocol/errors.go (origin not checked)")
        .advice(&CERT_EXPIRED),
    Code::new(0x300_0008, "(undocumented 0x3000008)", "Reported in RD Gateway set-ups.")
        .status(WILD, "not in Microsoft's table; MicrosoftDocs/azure-docs#48463")
        .advice(&GATEWAY_PROTOCOL),
    Code::new(0x300_0009, "GATEWAY_NETWORK_SEND", "RD Gateway path: sending to the gateway failed.")
        .status(WILD, "not in Microsoft's table; name from rdpgw protocol/errors.go (origin not checked)")
        .advice(&GATEWAY_PROTOCOL),
    Code::new(0x300_000A, "GATEWAY_NETWORK_RECEIVE", "RD Gateway path: receiving from the gateway failed.")
        .status(WILD, "not in Microsoft's table; name from rdpgw protocol/errors.go (origin not checked)")
        .advice(&GATEWAY_PROTOCOL),
    Code::new(0x300_000D, "GATEWAY_TEMP_UNAVAIL", "RD Gateway path: the gateway is temporarily unavailable.")
        .status(WILD, "not in Microsoft's table; name from rdpgw protocol/errors.go (origin not checked)")
        .advice(&GATEWAY_PROTOCOL),
    Code::new(0x300_001B, "GATEWAY_NOT_PERMITTED", "RD Gateway path: the gateway does not permit this connection.")
        .status(WILD, "not in Microsoft's table; name from rdpgw protocol/errors.go (origin not checked)")
        .advice(&GATEWAY_CAP),
    Code::new(0x300_001C, "GATEWAY_UNAUTHORIZED", "RD Gateway path: the user is not authorized on the gateway.")
        .status(WILD, "not in Microsoft's table; name from rdpgw protocol/errors.go (origin not checked)")
        .advice(&GATEWAY_CAP),
    Code::new(0x300_002A, "GATEWAY_INVALID_CERTIFICATE", "RD Gateway path: the gateway's certificate is not valid.")
        .status(WILD, "not in Microsoft's table; name from rdpgw protocol/errors.go (origin not checked)")
        .advice(&CERT_UNTRUSTED),
    Code::new(0x300_0044, "PROXY_CONFIG", "RD Gateway path: a proxy configuration problem.")
        .status(WILD, "not in Microsoft's table; name from rdpgw protocol/errors.go (origin not checked)")
        .advice(&GATEWAY_PROTOCOL),
    Code::new(0x300_004A, "SECURITY_NETWORK_HTTPS", "RD Gateway path: the HTTPS connection to the gateway failed its security checks.")
        .status(WILD, "not in Microsoft's table; name from rdpgw protocol/errors.go (origin not checked)")
        .advice(&CERT_UNTRUSTED),
];
