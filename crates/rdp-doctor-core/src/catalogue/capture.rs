//! Findings only a capture can show: stalls during setup, ICMP path-MTU reports, zero windows, who gave up
//! at which phase, RD Gateway HTTP framing, and the RDP-UDP handshake. (Loss, MTU black holes and a reset
//! on the ClientHello are the network and TLS areas' findings, judged from the capture's evidence too.)

use super::def;
use crate::finding::{FindingDef, Severity};

def!(
    NET_STALL,
    "net.stall",
    Warn,
    "tcp",
    "The connection setup stalled",
    "During connection setup one side waited seconds for the other. Each silence is either loss (the packet was sent again after a timeout) or a slow peer. A setup that stalls past the client's timeout fails with error 0x204 or 0x108; a shorter stall makes every logon slow.",
    ["network.vpn_quality", "server.check_rdp_service_health"]
);
def!(
    NET_PATH_MTU,
    "net.path_mtu",
    Info,
    "tcp",
    "A router reports a smaller path MTU (ICMP fragmentation needed)",
    "A router on the path answered full-size packets with ICMP 'fragmentation needed' (IPv4) or 'packet too big' (IPv6) and named its MTU: the path is a tunnel or VPN. Path-MTU discovery works while these messages get through; where a firewall drops them, large packets vanish instead (net.mtu_blackhole).",
    ["network.fix_mtu"]
);
def!(
    NET_ZERO_WINDOW,
    "net.zero_window",
    Info,
    "tcp",
    "A receiver stopped reading (TCP zero window)",
    "A host advertised a zero receive window: its application did not read the data fast enough. On the client this is a busy or slow machine; on the server an overloaded session host.",
    ["server.check_rdp_service_health"]
);
def!(
    TLS_CLIENT_ALERT,
    "tls.client_alert",
    Fail,
    "tls",
    "The client refused the server's TLS handshake",
    "The client aborted the handshake with a TLS alert of its own: it did not accept what the server offered. 'unknown_ca', 'bad_certificate' and 'certificate_expired' mean the client rejected the certificate; 'protocol_version' and 'handshake_failure' mean no common version or cipher suite.",
    ["client.trust_server_certificate", "server.renew_rdp_certificate", "server.enable_tls12"]
);
def!(
    TLS_CLIENT_ABORT,
    "tls.client_abort",
    Warn,
    "tls",
    "The client closed the connection right after the TLS handshake",
    "The TLS handshake completed, then the client hung up without sending anything: it rejected the server after looking at the certificate (a user declining the certificate warning, or a client configured to refuse untrusted certificates), or it was a scanner collecting certificates.",
    ["client.trust_server_certificate", "server.renew_rdp_certificate"]
);
def!(
    CREDSSP_ENDED_BY_SERVER,
    "credssp.ended_by_server",
    Fail,
    "credssp",
    "The server ended the connection during Network Level Authentication",
    "After the TLS handshake the client and server run CredSSP (NLA) inside TLS. The server ended the connection in that phase, after the client had sent its authentication message. The messages are encrypted, so the reason is not visible; by far the most common one is a refused logon: wrong user name or password, an expired or locked account, or a user without the right to log on through Remote Desktop.",
    ["client.check_credentials", "server.grant_rdp_logon_right"]
);
def!(
    CREDSSP_ENDED_BY_CLIENT,
    "credssp.ended_by_client",
    Warn,
    "credssp",
    "The client gave up during Network Level Authentication",
    "The client ended the connection in the CredSSP phase before sending its credentials. The messages are encrypted; typically the user declined a certificate or identity warning that the client shows at this point, or the client could not obtain credentials (smart card, Kerberos ticket).",
    ["client.trust_server_certificate", "client.check_credentials"]
);
def!(
    GATEWAY_HTTP_NO_FRAMING,
    "gateway.http_no_framing",
    Warn,
    "gateway",
    "An RD Gateway HTTP response has no length and is not chunked",
    "An HTTP/1.1 response other than the RD Gateway's own OUT-channel answer has neither Content-Length nor chunked transfer encoding, on a connection that stays open. The client cannot tell where the body ends and waits; FreeRDP and older mstsc builds hang or misread the next response. A reverse proxy re-framing the gateway's traffic is the usual cause.",
    ["gateway.fix_proxy_framing"]
);
def!(
    GATEWAY_HTTP_1_0,
    "gateway.http_1_0",
    Warn,
    "gateway",
    "An HTTP/1.0 hop in front of the RD Gateway",
    "The RD Gateway speaks HTTP/1.1 (MS-TSGU 2.1.2). An HTTP/1.0 message means a proxy on the path downgraded the exchange: custom methods, keep-alive (needed for NTLM) and the long-lived channels break.",
    ["gateway.fix_proxy_framing", "client.proxy_bypass"]
);
def!(
    GATEWAY_PROXY_IN_PATH,
    "gateway.proxy_in_path",
    Info,
    "gateway",
    "An HTTP proxy sits between the client and the RD Gateway",
    "Headers such as Via, X-Forwarded-For or Proxy-* show a proxy or load balancer relaying the gateway traffic. That works when it passes the RDG_* methods, websocket upgrades and long-lived bodies unchanged, and keeps a client on one gateway node.",
    ["gateway.fix_proxy_framing"]
);
def!(
    GATEWAY_PROXY_AUTH_REQUIRED,
    "gateway.proxy_auth_required",
    Fail,
    "gateway",
    "A proxy demands authentication (HTTP 407) before the RD Gateway",
    "An HTTP proxy on the path answered 407 Proxy Authentication Required. mstsc cannot authenticate to most proxies for gateway traffic, so the connection fails before it reaches the gateway.",
    ["client.proxy_bypass"]
);
def!(
    GATEWAY_HTTP_TRANSPORT_UNAVAILABLE,
    "gateway.http_transport_unavailable",
    Warn,
    "gateway",
    "The RD Gateway HTTP transport is not available at this URL",
    "The gateway (or a proxy in front of it) answered 403, 404 or 410 to the RD Gateway request: the HTTP transport is disabled or the path /remoteDesktopGateway/ is not routed. mstsc then falls back to RPC over HTTP, which is slower and often blocked too.",
    ["gateway.transport_settings"]
);
def!(
    GATEWAY_METHOD_REJECTED,
    "gateway.method_rejected",
    Fail,
    "gateway",
    "A proxy or web server rejected the RD Gateway request method",
    "RD Gateway uses the custom methods RDG_OUT_DATA and RDG_IN_DATA. An answer of 400, 405 or 501 comes from something that does not allow them: a reverse proxy, web application firewall or load balancer in front of the gateway.",
    ["gateway.fix_proxy_framing"]
);
def!(
    GATEWAY_ACCESS_DENIED,
    "gateway.access_denied",
    Fail,
    "gateway",
    "The RD Gateway refused the credentials (final HTTP 401)",
    "The last answer on the gateway connection was HTTP 401: the authentication legs ended without success. The reason phrase is quoted as the gateway sent it (\"401 Unauthorized\", or IIS's more specific ones such as \"401 User Account Restricted\", which says the account is not allowed this authentication: an NTLM logon refused for a Protected Users member or by an NTLM restriction). The user's password, account, or membership in the gateway's connection authorization policy (RD CAP) is wrong, or the account may not use the scheme the client fell back to.",
    ["client.check_credentials", "gateway.policies", "server.kerberos_protected_users"]
);
def!(
    GATEWAY_KDC_PROXY_FAILED,
    "gateway.kdc_proxy_failed",
    Fail,
    "gateway",
    "The gateway's KDC proxy did not relay Kerberos",
    "The client sent its Kerberos request to the RD Gateway's KDC proxy (MS-KKDCP, POST /KdcProxy) and the answer was an HTTP error (the status and reason phrase are quoted as sent; 503 Service Unavailable when the proxy cannot reach a domain controller or its service is stopped). Without a ticket through the gateway, the client falls back to NTLM, which the gateway or the account may refuse: later connections of the same client then fail for that reason.",
    ["gateway.service_health", "client.use_kerberos_name"]
);
def!(
    GATEWAY_WEBSOCKET_REFUSED,
    "gateway.websocket_refused",
    Info,
    "gateway",
    "The websocket upgrade was not accepted",
    "The client asked to upgrade the gateway connection to a websocket and got a normal answer instead. The client falls back to the two-connection (legacy) transport, which needs load-balancer affinity between its IN and OUT channels.",
    ["gateway.fix_proxy_framing"]
);
def!(
    MCS_CONNECT_FAILED,
    "mcs.connect_failed",
    Fail,
    "mcs",
    "The server refused the MCS connection",
    "In Standard RDP Security the MCS Connect-Response travels in clear text. A result other than rt-successful means the server refused the client's conference request: usually licensing, a connection limit, or a client setting the server does not accept.",
    ["server.check_rdp_service_health", "client.update_client"]
);

/// This file's findings.
pub(super) static DEFS: &[FindingDef] = &[
    NET_STALL,
    NET_PATH_MTU,
    NET_ZERO_WINDOW,
    TLS_CLIENT_ALERT,
    TLS_CLIENT_ABORT,
    CREDSSP_ENDED_BY_SERVER,
    CREDSSP_ENDED_BY_CLIENT,
    GATEWAY_HTTP_NO_FRAMING,
    GATEWAY_HTTP_1_0,
    GATEWAY_PROXY_IN_PATH,
    GATEWAY_PROXY_AUTH_REQUIRED,
    GATEWAY_HTTP_TRANSPORT_UNAVAILABLE,
    GATEWAY_METHOD_REJECTED,
    GATEWAY_ACCESS_DENIED,
    GATEWAY_KDC_PROXY_FAILED,
    GATEWAY_WEBSOCKET_REFUSED,
    MCS_CONNECT_FAILED,
];
