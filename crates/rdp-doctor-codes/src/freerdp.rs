//! FreeRDP's connection error codes (ERRCONNECT_*), what Linux users of xfreerdp/sdl-freerdp see.
//!
//! FreeRDP reports a "last error" `MAKE_FREERDP_ERROR(class, type) = (class << 16) | type`: class 1 holds
//! the server's ERRINFO values, class 2 the ERRCONNECT codes below; `0x0002000D` is
//! ERRCONNECT_CONNECT_TRANSPORT_FAILED. Both forms are accepted ([`crate::Family::freerdp_class`]).
//!
//! Values and names: FreeRDP `include/freerdp/error.h` and `libfreerdp/core/errconnect.c`. Codes
//! 0x00–0x1B were read value by value from libfreerdp2 2.11.7 (Debian 12); 0x1C–0x1E exist from FreeRDP
//! 3. These codes are FreeRDP's own ([`Status::Implementation`]); the mapping from NTSTATUS is in
//! `libfreerdp/core/nla.c`.

use crate::advice::*;
use crate::{Code, Family, Kind, Shape, Status};

/// The family.
pub static FAMILY: Family = Family {
    kind: Kind::Freerdp,
    id: "freerdp",
    title: "FreeRDP connection error (ERRCONNECT_*)",
    seen_as: "FreeRDP clients' log lines such as \"ERRCONNECT_CONNECT_TRANSPORT_FAILED [0x0002000D]\" (xfreerdp, sdl-freerdp, Remmina)",
    about: "FreeRDP's own classification of why a connection attempt failed on the client side. In logs it appears combined with its class as 0x0002xxxx; the server's reasons appear as 0x0001xxxx (ERRINFO).",
    not_to_confuse: "",
    sources: &[
        "FreeRDP include/freerdp/error.h and libfreerdp/core/errconnect.c (FreeRDP/FreeRDP @ 9626564)",
        "libfreerdp2 2.11.7 as shipped in Debian 12: freerdp_get_last_error_name() for 0x00020000-0x0002001B",
    ],
    shape: Shape::Exact,
    freerdp_class: Some(2),
    codes: CODES,
    groups: &[],
};

const IMPL: Status = Status::Implementation;
const FREERDP3: &str = "FreeRDP 3 and later; unknown to FreeRDP 2";

static CODES: &[Code] = &[
    Code::new(0x0, "ERRCONNECT_SUCCESS", "No error.").status(IMPL, ""),
    Code::new(0x1, "ERRCONNECT_PRE_CONNECT_FAILED", "A configuration error stopped the client before it connected.")
        .status(IMPL, "")
        .advice(&FREERDP_CONFIG),
    Code::new(0x2, "ERRCONNECT_CONNECT_UNDEFINED", "An unclassified connection error occurred.")
        .status(IMPL, "")
        .advice(&TRANSPORT_FAILED),
    Code::new(
        0x3,
        "ERRCONNECT_POST_CONNECT_FAILED",
        "The connection was set up, then aborted by a client-side configuration error.",
    )
    .status(IMPL, "")
    .advice(&FREERDP_CONFIG),
    Code::new(0x4, "ERRCONNECT_DNS_ERROR", "The server's name could not be resolved.")
        .status(IMPL, "")
        .advice(&DNS_FAILED)
        .findings(&["dns.resolution_failed"]),
    Code::new(0x5, "ERRCONNECT_DNS_NAME_NOT_FOUND", "The server's host name was not found in DNS.")
        .status(IMPL, "")
        .advice(&DNS_FAILED)
        .findings(&["dns.resolution_failed"]),
    Code::new(0x6, "ERRCONNECT_CONNECT_FAILED", "The TCP connection to the server failed.")
        .status(IMPL, "")
        .advice(&TCP_CONNECT_FAILED)
        .findings(&["tcp.refused", "tcp.filtered", "tcp.unreachable"])
        .see(&[(Kind::Disconnect, 0x204)]),
    Code::new(
        0x7,
        "ERRCONNECT_MCS_CONNECT_INITIAL_ERROR",
        "The connection failed at the first MCS exchange, after the security layer.",
    )
    .status(IMPL, "")
    .advice(&PROTOCOL_ERROR),
    Code::new(0x8, "ERRCONNECT_TLS_CONNECT_FAILED", "The TLS handshake with the server failed.")
        .status(IMPL, "")
        .advice(&SECURITY_LAYER_ERROR)
        .findings(&["tls.handshake_failed", "tls.alert", "tls.legacy_only", "nego.ssl_cert_not_on_server"]),
    Code::new(
        0x9,
        "ERRCONNECT_AUTHENTICATION_FAILED",
        "Authentication (NLA) failed; FreeRDP logs the NTSTATUS it got.",
    )
    .status(IMPL, "")
    .advice(&BAD_CREDENTIALS),
    Code::new(0xA, "ERRCONNECT_INSUFFICIENT_PRIVILEGES", "The user lacks the privileges to connect.")
        .status(IMPL, "")
        .advice(&INSUFFICIENT_PRIVILEGES),
    Code::new(0xB, "ERRCONNECT_CONNECT_CANCELLED", "The connection was cancelled (by the user or the application).")
        .status(IMPL, ""),
    Code::new(
        0xC,
        "ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED",
        "Security negotiation failed: no security protocol acceptable to both sides.",
    )
    .status(IMPL, "")
    .advice(&SECURITY_LAYER_ERROR)
    .findings(&[
        "nego.ssl_required_by_server",
        "nego.ssl_not_allowed_by_server",
        "nego.inconsistent_flags",
        "nego.ssl_with_user_auth_required_by_server",
    ]),
    Code::new(
        0xD,
        "ERRCONNECT_CONNECT_TRANSPORT_FAILED",
        "The transport failed: the connection was closed or broke during set-up.",
    )
    .status(IMPL, "")
    .advice(&TRANSPORT_FAILED)
    .findings(&["x224.closed", "tls.handshake_failed"]),
    Code::new(0xE, "ERRCONNECT_PASSWORD_EXPIRED", "The password has expired and must be changed.")
        .status(IMPL, "")
        .advice(&PASSWORD_CHANGE),
    Code::new(
        0xF,
        "ERRCONNECT_PASSWORD_CERTAINLY_EXPIRED",
        "The password has expired (reported when no Kerberos server could be asked).",
    )
    .status(IMPL, "")
    .advice(&PASSWORD_CHANGE),
    Code::new(0x10, "ERRCONNECT_CLIENT_REVOKED", "The client's account or certificate has been revoked.")
        .status(IMPL, "")
        .advice(&ACCOUNT_DISABLED),
    Code::new(
        0x11,
        "ERRCONNECT_KDC_UNREACHABLE",
        "The Kerberos key distribution center (domain controller) could not be reached.",
    )
    .status(IMPL, "")
    .advice(&NO_AUTHORITY),
    Code::new(0x12, "ERRCONNECT_ACCOUNT_DISABLED", "The account is disabled.")
        .status(IMPL, "")
        .advice(&ACCOUNT_DISABLED),
    Code::new(0x13, "ERRCONNECT_PASSWORD_MUST_CHANGE", "The password must be changed.")
        .status(IMPL, "")
        .advice(&PASSWORD_CHANGE),
    Code::new(0x14, "ERRCONNECT_LOGON_FAILURE", "The logon failed: user name or password not accepted.")
        .status(IMPL, "")
        .advice(&BAD_CREDENTIALS),
    Code::new(0x15, "ERRCONNECT_WRONG_PASSWORD", "The password is wrong.").status(IMPL, "").advice(&BAD_CREDENTIALS),
    Code::new(
        0x16,
        "ERRCONNECT_ACCESS_DENIED",
        "Access is denied (also what gateway authentication failures turn into).",
    )
    .status(IMPL, "")
    .advice(&INSUFFICIENT_PRIVILEGES),
    Code::new(0x17, "ERRCONNECT_ACCOUNT_RESTRICTION", "An account restriction prevents the logon.")
        .status(IMPL, "")
        .advice(&ACCOUNT_RESTRICTION),
    Code::new(0x18, "ERRCONNECT_ACCOUNT_LOCKED_OUT", "The account is locked out.")
        .status(IMPL, "")
        .advice(&ACCOUNT_LOCKED),
    Code::new(0x19, "ERRCONNECT_ACCOUNT_EXPIRED", "The account has expired.").status(IMPL, "").advice(&ACCOUNT_EXPIRED),
    Code::new(0x1A, "ERRCONNECT_LOGON_TYPE_NOT_GRANTED", "The user lacks the logon right this connection needs.")
        .status(IMPL, "")
        .advice(&LOGON_TYPE),
    Code::new(0x1B, "ERRCONNECT_NO_OR_MISSING_CREDENTIALS", "Credentials are missing or invalid.")
        .status(IMPL, "")
        .advice(&BAD_CREDENTIALS),
    Code::new(0x1C, "ERRCONNECT_ACTIVATION_TIMEOUT", "The session did not become active in time after connecting.")
        .status(IMPL, FREERDP3)
        .advice(&SERVER_RESOURCES),
    Code::new(0x1D, "ERRCONNECT_TARGET_BOOTING", "The target computer is still starting up.").status(IMPL, FREERDP3),
    Code::new(
        0x1E,
        "ERRCONNECT_HYBRID_REQUIRED_BY_SERVER",
        "The server requires Network Level Authentication, which this client has not enabled.",
    )
    .status(IMPL, FREERDP3)
    .findings(&["nego.hybrid_required_by_server"]),
    Code::new(0xFFFF_FFFF, "ERRCONNECT_NONE", "FreeRDP's internal marker for \"no error recorded\".")
        .status(IMPL, "never reported as a failure"),
];
