//! RD Gateway (MS-TSGU) return values: the E_PROXY_* HRESULTs and the Win32 values its methods return.
//!
//! An E_PROXY_* value is a failure HRESULT of facility 7 (Win32): `0x8007xxxx`, where `xxxx` is a code
//! from 23000 (0x59D8) upwards. MS-TSGU sometimes returns only the low 16 bits, written
//! `HRESULT_CODE(E_PROXY_X)` (`0x000059DD`), and users meet both forms; a lookup accepts either
//! ([`crate::Shape::Hresult`]). Every value is stored in its full form; for the ones MS-TSGU and FreeRDP
//! define only as `HRESULT_CODE(..)` the full form is that arithmetic (`0x80070000 | code`).
//!
//! Values: FreeRDP `libfreerdp/core/gateway/tsg.h` and `rpc_fault.c`. Meanings: the MS-TSGU method
//! return-value tables (3.2.6.x), as carried in oiweiwei/go-msrpc `msrpc/tsgu/tsproxyrpcinterface/v1`.

use crate::advice::*;
use crate::{Code, Family, Kind, Shape, Status};

/// The family.
pub static FAMILY: Family = Family {
    kind: Kind::Gateway,
    id: "gateway",
    title: "RD Gateway result (E_PROXY_*)",
    seen_as: "RD Gateway event logs, FreeRDP logs and exit status with a gateway (/g:), HTTP_TUNNEL_RESPONSE and channel status codes in captures",
    about: "Results of the RD Gateway protocol (MS-TSGU): the gateway's answer when it creates or authorizes the tunnel, opens the channel to the target or ends the session. Seen as a full HRESULT (0x800759DA) or as its low 16 bits (0x59DA); both forms are accepted.",
    not_to_confuse: "The low 16 bits of an E_PROXY value (23000 and up) are not a Win32 system error code, even though the HRESULT has the Win32 facility.",
    sources: &[
        "MS-TSGU 3.2.6.1.1 TsProxyCreateTunnel and the other method return-value tables: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-tsgu/0386b24c-4603-400d-a79e-11fd9518e34e",
        "MS-TSGU 2.2.10.20 HTTP_TUNNEL_RESPONSE statusCode",
        "FreeRDP libfreerdp/core/gateway/tsg.h, rpc_fault.c, rdg.c",
        "oiweiwei/go-msrpc msrpc/tsgu/tsproxyrpcinterface/v1/v1.go (spec text of the return values)",
    ],
    shape: Shape::Hresult,
    freerdp_class: None,
    codes: CODES,
    groups: &[],
};

static CODES: &[Code] = &[
    Code::new(
        0x8007_59D8,
        "E_PROXY_INTERNALERROR",
        "The gateway hit an unexpected error (creating the tunnel or channel, or in its send/receive pipe).",
    )
    .advice(&GATEWAY_PROTOCOL)
    .findings(&["gateway.internal_error"]),
    Code::new(
        0x8007_59DA,
        "E_PROXY_RAP_ACCESSDENIED",
        "The gateway's resource authorization policy (RAP) does not allow this user to reach this target computer.",
    )
    .advice(&GATEWAY_RAP)
    .findings(&["gateway.rap_denied"]),
    Code::new(
        0x8007_59DB,
        "E_PROXY_NAP_ACCESSDENIED",
        "The gateway's connection authorization policy (CAP, with NAP health checks) does not admit this client.",
    )
    .advice(&GATEWAY_CAP)
    .findings(&["gateway.cap_denied"]),
    Code::new(
        0x8007_59DD,
        "E_PROXY_TS_CONNECTFAILED",
        "The gateway could not connect to the target computer under any of its names.",
    )
    .advice(&GATEWAY_TARGET)
    .findings(&["gateway.target_unreachable"]),
    Code::new(
        0x8007_59DF,
        "E_PROXY_ALREADYDISCONNECTED",
        "Defined by FreeRDP; the meaning (presumably \"the gateway connection was already closed\") is not confirmed.",
    )
    .status(Status::Unverified, "value from FreeRDP tsg.h; not in the MS-TSGU text available")
    .advice(&GATEWAY_SESSION),
    Code::new(
        0x8007_59E6,
        "E_PROXY_MAXCONNECTIONSREACHED",
        "The gateway has reached its maximum number of connections.",
    )
    .note("defined as HRESULT_CODE(E_PROXY_MAXCONNECTIONSREACHED) = 0x59E6")
    .advice(&GATEWAY_CAPACITY)
    .findings(&["gateway.max_connections"]),
    Code::new(
        0x8007_59E8,
        "E_PROXY_NOTSUPPORTED",
        "The gateway received a packet type it did not expect while authorizing the tunnel.",
    )
    .note("defined as HRESULT_CODE(E_PROXY_NOTSUPPORTED) = 0x59E8")
    .advice(&GATEWAY_PROTOCOL),
    Code::new(
        0x8007_59E9,
        "E_PROXY_CAPABILITYMISMATCH",
        "The gateway requires a capability (consent message signing) the client does not have.",
    )
    .advice(&GATEWAY_PROTOCOL)
    .findings(&["gateway.auth_method_refused"]),
    Code::new(
        0x8007_59ED,
        "E_PROXY_QUARANTINE_ACCESSDENIED",
        "The gateway's quarantine (client health) policy rejected the client.",
    )
    .advice(&GATEWAY_CAP)
    .findings(&["gateway.cap_denied"]),
    Code::new(0x8007_59EE, "E_PROXY_NOCERTAVAILABLE", "The gateway has no certificate registered for TLS (SCHANNEL).")
        .advice(&GATEWAY_CERT),
    Code::new(
        0x8007_59F6,
        "E_PROXY_SESSIONTIMEOUT",
        "The gateway session timed out and the policy says to disconnect on time-out.",
    )
    .note("defined as HRESULT_CODE(E_PROXY_SESSIONTIMEOUT) = 0x59F6")
    .advice(&GATEWAY_SESSION),
    Code::new(
        0x8007_59F7,
        "E_PROXY_COOKIE_BADPACKET",
        "The pluggable-authentication cookie packet was missing or malformed.",
    )
    .advice(&GATEWAY_PROTOCOL)
    .findings(&["gateway.auth_method_refused"]),
    Code::new(
        0x8007_59F8,
        "E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED",
        "Pluggable authentication rejected the user: not allowed through the gateway.",
    )
    .advice(&GATEWAY_CAP)
    .findings(&["gateway.cap_denied"]),
    Code::new(
        0x8007_59F9,
        "E_PROXY_UNSUPPORTED_AUTHENTICATION_METHOD",
        "The gateway is in pluggable-authentication mode and the client used another method.",
    )
    .advice(&GATEWAY_PROTOCOL)
    .findings(&["gateway.auth_method_refused"]),
    Code::new(
        0x8007_59FA,
        "E_PROXY_REAUTH_AUTHN_FAILED",
        "Re-authentication failed: the user's credentials are no longer valid.",
    )
    .note("defined as HRESULT_CODE(E_PROXY_REAUTH_AUTHN_FAILED) = 0x59FA")
    .advice(&BAD_CREDENTIALS),
    Code::new(
        0x8007_59FB,
        "E_PROXY_REAUTH_CAP_FAILED",
        "Re-authentication failed: the connection policy (CAP) no longer admits the user.",
    )
    .note("defined as HRESULT_CODE(E_PROXY_REAUTH_CAP_FAILED) = 0x59FB")
    .advice(&GATEWAY_CAP)
    .findings(&["gateway.cap_denied"]),
    Code::new(
        0x8007_59FC,
        "E_PROXY_REAUTH_RAP_FAILED",
        "Re-authentication failed: the resource policy (RAP) no longer allows the target.",
    )
    .note("defined as HRESULT_CODE(E_PROXY_REAUTH_RAP_FAILED) = 0x59FC")
    .advice(&GATEWAY_RAP)
    .findings(&["gateway.rap_denied"]),
    Code::new(
        0x8007_59FD,
        "E_PROXY_SDR_NOT_SUPPORTED_BY_TS",
        "The gateway requires a target that supports policy exchange, and this target does not.",
    )
    .note("defined as HRESULT_CODE(E_PROXY_SDR_NOT_SUPPORTED_BY_TS) = 0x59FD")
    .advice(&GATEWAY_PROTOCOL),
    Code::new(
        0x8007_5A00,
        "E_PROXY_REAUTH_NAP_FAILED",
        "Re-authentication failed: the client's health no longer meets the policy.",
    )
    .note("defined as HRESULT_CODE(E_PROXY_REAUTH_NAP_FAILED) = 0x5A00")
    .advice(&GATEWAY_CAP)
    .findings(&["gateway.cap_denied"]),
    Code::new(
        0x8007_04D4,
        "E_PROXY_CONNECTIONABORTED",
        "An administrator disconnected the gateway connection, or a time-out or failed re-authentication ended it.",
    )
    .note("defined as HRESULT_CODE(E_PROXY_CONNECTIONABORTED) = 0x4D4 (ERROR_CONNECTION_ABORTED)")
    .advice(&GATEWAY_SESSION),
    // Win32 values MS-TSGU methods also return (full form = HRESULT_FROM_WIN32).
    Code::new(0x8007_0005, "ERROR_ACCESS_DENIED", "MS-TSGU: the gateway refused the call (access denied).")
        .note("a plain Win32 value in MS-TSGU return tables")
        .advice(&GATEWAY_CAP)
        .findings(&["gateway.cap_denied"]),
    Code::new(0x8007_0057, "ERROR_INVALID_PARAMETER", "MS-TSGU: a call to the gateway had an invalid parameter.")
        .note("a plain Win32 value in MS-TSGU return tables")
        .advice(&GATEWAY_PROTOCOL),
    Code::new(
        0x8007_00A0,
        "ERROR_BAD_ARGUMENTS",
        "MS-TSGU: the target closed the gateway's connection to it unexpectedly.",
    )
    .note("a plain Win32 value in MS-TSGU return tables")
    .advice(&GATEWAY_TARGET),
    Code::new(
        0x8007_03E3,
        "ERROR_OPERATION_ABORTED",
        "MS-TSGU: the receive pipe was ended after the connection timer ran out.",
    )
    .note("a plain Win32 value in MS-TSGU return tables")
    .advice(&GATEWAY_SESSION),
    Code::new(0x8007_04CA, "ERROR_GRACEFUL_DISCONNECT", "MS-TSGU: the client closed the channel; a normal end.")
        .note("a plain Win32 value in MS-TSGU return tables"),
    Code::new(
        0x8007_04E3,
        "ERROR_ONLY_IF_CONNECTED",
        "MS-TSGU: the operation needs a connected channel and there is none.",
    )
    .note("a plain Win32 value in MS-TSGU return tables")
    .advice(&GATEWAY_SESSION),
];

/// `HRESULT_CODE(hr)`: the low 16 bits.
pub fn hresult_code(hr: u32) -> u32 {
    hr & 0xFFFF
}
