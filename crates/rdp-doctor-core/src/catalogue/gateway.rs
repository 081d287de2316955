//! Findings about the RD Gateway path (MS-TSGU): reaching the gateway, its HTTP and WebSocket transports,
//! the RPC-over-HTTP fallback, and the proxies and load balancers in front that break them. The gateway's
//! certificate is judged by the same `cert.*` rules as the target's (layer `gateway`). Facts that capture
//! analysis also sees (no framing, HTTP/1.0, a proxy in the path, 407, 403/404/410, a rejected method, a
//! refused upgrade) use its findings in `capture.rs`: one ID per meaning. With credentials the tunnel to the
//! target is checked: a final 401 is `gateway.access_denied` (capture.rs), an MS-TSGU HRESULT leads to the
//! finding its code links to in `rdp-doctor-codes` (`gateway.rap_denied`, …) or `gateway.tunnel_refused`.

use super::def;
use crate::finding::{FindingDef, Severity};

def!(
    GATEWAY_UNREACHABLE,
    "gateway.unreachable",
    Fail,
    "gateway",
    "The RD Gateway cannot be reached",
    "The gateway's name did not resolve, or no TCP connection to its HTTPS port could be made. Every connection through the gateway fails before it starts (mstsc: \"Remote Desktop can't find the computer\" or a gateway-unavailable message).",
    ["gateway.transport_settings", "network.check_route", "client.proxy_bypass"]
);
def!(
    GATEWAY_TLS_FAILED,
    "gateway.tls_failed",
    Fail,
    "gateway",
    "The TLS handshake with the RD Gateway failed",
    "TCP reached the gateway but TLS did not complete: an alert, a reset, a close or a stall. The gateway may have no usable certificate bound (E_PROXY_NOCERTAVAILABLE), or something in front of it (a TLS-inspecting proxy, a load balancer) ends the handshake.",
    ["gateway.certificate", "client.proxy_bypass"]
);
def!(
    GATEWAY_TLS_INSPECTION,
    "gateway.tls_inspection",
    Warn,
    "gateway",
    "A TLS-inspection product re-signs the gateway's certificate",
    "The certificate presented for the gateway was issued by a known TLS-inspection (SSL-decrypting) product, not by the gateway's CA. The Windows client rejects such a certificate unless the inspection CA is trusted, and even then inspection breaks the channel binding of the gateway's NTLM/Kerberos authentication when Extended Protection is on.",
    ["client.proxy_bypass", "gateway.certificate"]
);
def!(
    GATEWAY_HTTP_NO_RESPONSE,
    "gateway.http_no_response",
    Fail,
    "gateway",
    "The gateway did not answer the RDG_OUT_DATA request",
    "TLS worked, but the HTTP request that opens the gateway's OUT channel got no HTTP answer: the connection was closed or reset, or nothing came before the deadline. A Windows RD Gateway closes the connection on a request it does not like; a proxy or firewall that does not pass the custom method does the same. mstsc then tries RPC over HTTP; FreeRDP logs \"RD Gateway HTTP transport broken\".",
    ["gateway.fix_proxy_framing", "gateway.transport_settings"]
);
def!(
    GATEWAY_NOT_HTTP,
    "gateway.not_http",
    Fail,
    "gateway",
    "The gateway port answered with something that is not HTTP",
    "The bytes that came back inside TLS are not an HTTP response: the port belongs to another service, or a middlebox answers for it.",
    ["gateway.transport_settings"]
);
def!(
    GATEWAY_PROXY_ERROR,
    "gateway.proxy_error",
    Fail,
    "gateway",
    "A proxy or load balancer answered with an error page",
    "The request was answered with a 5xx status (or an unexpected status) and an HTML page, typically a reverse proxy or load balancer that cannot reach the gateway behind it (502 Bad Gateway, 503, 504). The Remote Desktop client shows a generic gateway error.",
    ["gateway.fix_proxy_framing", "gateway.transport_settings"]
);
def!(
    GATEWAY_UNEXPECTED_STATUS,
    "gateway.unexpected_status",
    Warn,
    "gateway",
    "The gateway answered with an unexpected HTTP status",
    "Without credentials a Windows RD Gateway answers RDG_OUT_DATA with 401 and its authentication schemes. Another status means something else answers, or the gateway is set up unusually (pluggable authentication answers 200).",
    ["gateway.fix_proxy_framing", "gateway.transport_settings"]
);
def!(
    GATEWAY_AUTH_SCHEMES,
    "gateway.auth_schemes",
    Info,
    "gateway",
    "The gateway's HTTP authentication schemes",
    "The gateway answered the unauthenticated request with 401 and lists the schemes it accepts (Negotiate, NTLM, Basic, and custom ones such as PAA or SMARTCARD). The client needs one of them; Negotiate/NTLM run over the same keep-alive connection.",
    ["gateway.transport_settings"]
);
def!(
    GATEWAY_CHUNKED_REFRAMED,
    "gateway.chunked_reframed",
    Warn,
    "gateway",
    "A proxy re-frames the gateway's response as chunked",
    "The response came with Transfer-Encoding: chunked. A Windows RD Gateway never chunks its responses (its OUT channel is close-delimited, its 401 has a Content-Length); a reverse proxy (nginx by default for keep-alive clients) re-framed it. FreeRDP before 2.3 and some other clients fail on a chunked OUT channel.",
    ["gateway.fix_proxy_framing"]
);
def!(
    GATEWAY_WEBSOCKET_BLOCKED,
    "gateway.websocket_blocked",
    Warn,
    "gateway",
    "Something in front of the gateway rejects the WebSocket upgrade",
    "The same request with Connection: Upgrade / Upgrade: websocket was answered with an error (or the connection ended) while the plain request reached the gateway: a proxy, load balancer or firewall refuses upgrades. Clients that try WebSocket first fail here; FreeRDP 2.11 stops (\"Unexpected NTLM challenge HTTP status\") without retrying the legacy transport.",
    ["gateway.fix_proxy_framing"]
);
def!(
    GATEWAY_WEBSOCKET_BAD_ACCEPT,
    "gateway.websocket_bad_accept",
    Fail,
    "gateway",
    "The WebSocket answer has a wrong Sec-WebSocket-Accept",
    "The gateway path answered 101 Switching Protocols, but Sec-WebSocket-Accept is missing or does not match the key (RFC 6455 4.2.2). Clients must refuse such an upgrade; FreeRDP reconnects without WebSocket.",
    ["gateway.fix_proxy_framing"]
);
def!(
    GATEWAY_SEED_DELAYED,
    "gateway.seed_delayed",
    Warn,
    "gateway",
    "The OUT channel's first bytes are held back (a buffering proxy)",
    "The gateway's 200 answer on the OUT channel starts a stream: a few seed bytes follow at once (MS-TSGU: \"so that a reverse proxy starts passing data\"). None arrived within the budget: a proxy buffers the response until it ends, and the client waits forever (FreeRDP blocks reading the seed).",
    ["gateway.fix_proxy_framing"]
);
def!(
    GATEWAY_RPC_OVER_HTTP,
    "gateway.rpc_over_http",
    Info,
    "gateway",
    "Whether RPC over HTTP (the legacy transport) is offered",
    "RPC_IN_DATA to /rpc/rpcproxy.dll tells whether the gateway still offers the RPC-over-HTTP transport (MS-TSGU over MS-RPCH) that mstsc falls back to when the HTTP transport is refused. 401 means offered, 403/404 means not.",
    ["gateway.transport_settings"]
);
def!(
    GATEWAY_UDP_REACHABLE,
    "gateway.udp_reachable",
    Info,
    "gateway",
    "The gateway's UDP transport answers",
    "A DTLS ClientHello to the gateway's UDP port (3391 by default) was answered by a DTLS server: the path is open both ways for small datagrams and the RD Gateway's UDP listener is up. Whether sessions use it still depends on the gateway offering UDP in its CHANNEL_RESPONSE, which needs credentials.",
    ["gateway.transport_settings"]
);
def!(
    GATEWAY_UDP_UNREACHABLE,
    "gateway.udp_unreachable",
    Info,
    "gateway",
    "The gateway's UDP transport does not answer",
    "No DTLS answer came from the gateway's UDP port: it is closed (ICMP port unreachable), filtered, or UDP transport is off on the gateway. Connections still work over HTTPS alone, without the smoother UDP transport; if the gateway has UDP transport enabled, a firewall or load balancer in front blocks UDP 3391.",
    ["gateway.transport_settings"]
);

def!(
    GATEWAY_TUNNEL_OK,
    "gateway.tunnel_ok",
    Info,
    "gateway",
    "The tunnel to the target through the RD Gateway works",
    "The gateway accepted the client's authentication on its HTTP channel(s) (NTLM or Kerberos through Negotiate; with --user, rdp-doctor's NTLM on RDG_OUT_DATA and RDG_IN_DATA; in a decrypted capture, the client's own), answered the MS-TSGU handshake, created and authorized the tunnel, and opened the channel to the target (MS-TSGU 3.3.5.1, 3.7.5): its connection and resource authorization policies admit this user to this computer, and the gateway reached the computer. The evidence names the channel ID, each step's time and what the target answered through the channel.",
    ["gateway.policies"]
);
def!(
    GATEWAY_TUNNEL_NO_RDP,
    "gateway.tunnel_no_rdp",
    Fail,
    "gateway",
    "The gateway opened the channel, but the target did not answer RDP through it",
    "The gateway created the channel to the target (so the policies admit the user and the gateway reached a TCP listener), but the X.224 Connection Request sent through it got no Connection Confirm: the connection was closed, nothing came, or the bytes are not RDP. The port may belong to another service, or the target's RDP service refuses connections from the gateway.",
    ["gateway.reach_target", "server.check_rdp_service_health"]
);
def!(
    GATEWAY_RAP_DENIED,
    "gateway.rap_denied",
    Fail,
    "gateway",
    "The gateway's resource authorization policy (RD RAP) does not allow this computer",
    "The gateway answered with E_PROXY_RAP_ACCESSDENIED (0x800759DA): the user passed the connection policy, but no resource authorization policy lets this user reach this computer under the name the client used. RAPs match names literally: the FQDN, the short name and the IP address are different entries.",
    ["gateway.rap_allow_target", "gateway.policies"]
);
def!(
    GATEWAY_CAP_DENIED,
    "gateway.cap_denied",
    Fail,
    "gateway",
    "The gateway's connection authorization policy (RD CAP) does not admit this user",
    "The gateway answered with E_PROXY_NAP_ACCESSDENIED (0x800759DB) or another connection-policy refusal (quarantine, pluggable-authentication access denied): the credentials were accepted by HTTP authentication, but no enabled connection authorization policy admits the user (their group, the client computer's group, or the required authentication method).",
    ["gateway.cap_allow_user", "gateway.policies"]
);
def!(
    GATEWAY_TARGET_UNREACHABLE,
    "gateway.target_unreachable",
    Fail,
    "gateway",
    "The gateway cannot connect to the target computer",
    "The gateway answered the channel request with E_PROXY_TS_CONNECTFAILED (0x800759DD): the policies allow the connection, but the gateway could not open TCP to the target under any of its names. The gateway's DNS does not resolve the name, a firewall between gateway and target blocks the port, or the target's RDP service is down. The client's own network is not involved.",
    ["gateway.reach_target", "server.check_rdp_service_health"]
);
def!(
    GATEWAY_INTERNAL_ERROR,
    "gateway.internal_error",
    Fail,
    "gateway",
    "The gateway reported an internal error",
    "The gateway answered with E_PROXY_INTERNALERROR (0x800759D8): an unexpected failure on the gateway while creating the tunnel or the channel. The gateway's operational log names the cause (often its NPS/policy service or a resource shortage).",
    ["gateway.service_health", "gateway.policies"]
);
def!(
    GATEWAY_MAX_CONNECTIONS,
    "gateway.max_connections",
    Fail,
    "gateway",
    "The gateway has reached its connection limit",
    "The gateway answered with E_PROXY_MAXCONNECTIONSREACHED (0x800759E6): it admits no more connections. Every user gets this until connections end or the limit is raised.",
    ["gateway.connection_limit"]
);
def!(
    GATEWAY_AUTH_METHOD_REFUSED,
    "gateway.auth_method_refused",
    Fail,
    "gateway",
    "The gateway requires another authentication method",
    "The gateway answered with E_PROXY_UNSUPPORTED_AUTHENTICATION_METHOD, E_PROXY_COOKIE_BADPACKET or E_PROXY_CAPABILITYMISMATCH: it is set up for pluggable authentication (a web-SSO cookie, PAA), a smart card, or a capability the client did not offer, and refuses a tunnel created with HTTP NTLM alone.",
    ["gateway.policies", "client.update_client"]
);
def!(
    GATEWAY_TUNNEL_FAILED,
    "gateway.tunnel_failed",
    Fail,
    "gateway",
    "The tunnel through the gateway could not be set up",
    "The credentialed setup of the tunnel stopped without a gateway result code: the gateway (or what is in front of it) closed or reset a channel, did not answer in time, answered with an unexpected HTTP status, offered no NTLM challenge, or sent bytes that are not MS-TSGU. The evidence names the step. A load balancer that sends the second (IN) channel to another gateway node (no affinity) and a proxy that buffers the channels look like this.",
    ["gateway.fix_proxy_framing", "gateway.transport_settings"]
);

/// This file's findings.
pub(super) static DEFS: &[FindingDef] = &[
    GATEWAY_UNREACHABLE,
    GATEWAY_TLS_FAILED,
    GATEWAY_TLS_INSPECTION,
    GATEWAY_HTTP_NO_RESPONSE,
    GATEWAY_NOT_HTTP,
    GATEWAY_PROXY_ERROR,
    GATEWAY_UNEXPECTED_STATUS,
    GATEWAY_AUTH_SCHEMES,
    GATEWAY_CHUNKED_REFRAMED,
    GATEWAY_WEBSOCKET_BLOCKED,
    GATEWAY_WEBSOCKET_BAD_ACCEPT,
    GATEWAY_SEED_DELAYED,
    GATEWAY_RPC_OVER_HTTP,
    GATEWAY_UDP_REACHABLE,
    GATEWAY_UDP_UNREACHABLE,
    GATEWAY_TUNNEL_OK,
    GATEWAY_TUNNEL_NO_RDP,
    GATEWAY_RAP_DENIED,
    GATEWAY_CAP_DENIED,
    GATEWAY_TARGET_UNREACHABLE,
    GATEWAY_INTERNAL_ERROR,
    GATEWAY_MAX_CONNECTIONS,
    GATEWAY_AUTH_METHOD_REFUSED,
    GATEWAY_TUNNEL_FAILED,
];
