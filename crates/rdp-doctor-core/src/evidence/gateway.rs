//! What the RD Gateway in front of the target showed (MS-TSGU HTTP transport, RFC 6455 WebSocket upgrade,
//! MS-RPCH RPC over HTTP), probed without credentials, and with `--user` the tunnel to the target through it.
//! Facts only; the rules in `rules/gateway.rs` and `rules/gateway_tunnel.rs` judge.

use serde::Serialize;

use super::{DnsEvidence, TcpEvidence, TlsEvidence, X224Evidence};

/// The gateway probe: name resolution, TCP, TLS, then one request per transport on its own connection.
#[derive(Debug, Clone, Serialize)]
pub struct GatewayEvidence {
    /// The gateway as the user gave it (`gw`, `gw:8443`).
    pub host: String,
    pub port: u16,
    /// `None` for an IP literal.
    pub dns: Option<DnsEvidence>,
    pub tcp: Option<TcpEvidence>,
    /// The TLS handshake of the first request's connection; its certificate is judged like the target's.
    pub tls: Option<TlsEvidence>,
    /// The ALPN protocol the gateway chose (we offer only `http/1.1`).
    pub alpn: Option<String>,
    /// One entry per request, in the order [`GatewayRequestKind`] lists them.
    pub requests: Vec<GatewayHttpProbe>,
    /// How long the probe waits for the first body byte of a streaming (200) answer.
    pub seed_budget_ms: u64,
    /// The UDP transport (DTLS on UDP 3391 by default): a ClientHello and what answered.
    pub udp: Option<GatewayUdpProbe>,
    /// With credentials (`--user`): NTLM over HTTP and the MS-TSGU tunnel to the target.
    pub tunnel: Option<GatewayTunnelEvidence>,
}

/// The credentialed tunnel (MS-TSGU 3.3.5.1 HTTP transport, two channels): NTLM on `RDG_OUT_DATA` and
/// `RDG_IN_DATA`, then HANDSHAKE, TUNNEL_CREATE, TUNNEL_AUTH and CHANNEL_CREATE to the target, each answer's
/// HRESULT, and the X.224 exchange with the target through the channel.
#[derive(Debug, Clone, Serialize)]
pub struct GatewayTunnelEvidence {
    /// The account given with `--user` (what is being diagnosed; the password is never recorded).
    pub account: String,
    /// The resource named in CHANNEL_CREATE and its port.
    pub target: String,
    pub target_port: u16,
    /// The transport the gateway accepted: `WebSocket` (MS-TSGU 2.2.5.3.2, one connection) or `HTTP` (the
    /// two-channel RDG_IN_DATA / RDG_OUT_DATA transport); `None` before the OUT channel's answer.
    pub transport: Option<String>,
    /// Every step in order, with its time.
    pub steps: Vec<GatewayTunnelStep>,
    pub outcome: GatewayTunnelOutcome,
    /// From HTTP_TUNNEL_RESPONSE / HTTP_TUNNEL_AUTH_RESPONSE / HTTP_CHANNEL_RESPONSE when present.
    pub tunnel_id: Option<u32>,
    pub idle_timeout_minutes: Option<u32>,
    pub channel_id: Option<u32>,
    /// The gateway's UDP port offered in the channel response (the UDP transport), if any.
    pub udp_port: Option<u16>,
    /// SERVICE_MESSAGE / consent texts the gateway sent (bounded).
    pub messages: Vec<String>,
    /// The X.224 Connection Request / Confirm with the target, carried in DATA packets.
    pub x224: Option<X224Evidence>,
    pub duration_ms: f64,
    /// The per-step deadline.
    pub timeout_ms: u64,
}

/// One step of the tunnel.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GatewayTunnelStep {
    /// `OUT NTLM NEGOTIATE`, `HTTP_HANDSHAKE_REQUEST`, `HTTP_CHANNEL_RESPONSE`, …
    pub name: String,
    /// Milliseconds since the tunnel run started, when the step ended.
    pub at_ms: f64,
    pub duration_ms: f64,
    /// The HTTP status answered to this step's request.
    pub http_status: Option<u16>,
    /// The HRESULT of an MS-TSGU response.
    pub hresult: Option<u32>,
    /// The packet's bytes (MS-TSGU packets only; never NTLM messages), hex, bounded.
    pub hex: Option<String>,
    pub detail: String,
}

/// How the tunnel run ended.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GatewayTunnelOutcome {
    /// CHANNEL_RESPONSE with S_OK: the gateway connected to the target.
    ChannelCreated,
    /// 401 again after the NTLM AUTHENTICATE message: the gateway refused the credentials.
    CredentialsRejected { channel: String },
    /// The NTLM NEGOTIATE was answered without an NTLM challenge (401 with these schemes, or another status).
    NoNtlmChallenge { channel: String, status: u16, schemes: Vec<String> },
    /// An HTTP status other than the one the step needs (200 after authentication).
    HttpStatus { channel: String, status: u16, reason: String },
    /// An MS-TSGU response with a failure HRESULT (or CLOSE_CHANNEL) at `step`.
    Refused { step: String, hresult: u32 },
    /// The connection was closed, reset or timed out at `step`.
    Ended { step: String, how: String },
    /// Bytes that are not what the step expects.
    Malformed { step: String, error: String },
    /// rdp-doctor's own NTLM client failed (no message was sent for it).
    Local { error: String },
    /// Not attempted: credentials are sent only when the credential-free probe shows the gateway asks for
    /// HTTP authentication with NTLM.
    NotRun { reason: String },
}

/// One DTLS ClientHello to the gateway's UDP port (MS-TSGU 2.1.1.2), resent once on silence.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GatewayUdpProbe {
    pub addr: std::net::SocketAddr,
    pub outcome: GatewayUdpOutcome,
    /// ClientHellos sent (1 or 2).
    pub sent: u32,
    pub duration_ms: f64,
    /// The first bytes of the answer, hex.
    pub response_hex: Option<String>,
}

/// What answered the ClientHello.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GatewayUdpOutcome {
    /// A DTLS server: HelloVerifyRequest.
    HelloVerifyRequest { version: u16 },
    /// A DTLS server: ServerHello.
    ServerHello { version: u16 },
    /// A DTLS alert.
    Alert { description: u8 },
    /// Another DTLS record.
    OtherDtls { content_type: u8 },
    /// A datagram that is not DTLS.
    NotDtls { error: String },
    /// ICMP port unreachable: the host is there, nothing listens on the port.
    Refused,
    /// No answer to any ClientHello before the deadline: filtered, or not listening and ICMP is blocked.
    Silent,
}

/// Which request.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum GatewayRequestKind {
    /// `RDG_OUT_DATA /remoteDesktopGateway/` (MS-TSGU 2.2.3.1.2), the HTTP transport.
    RdgOut,
    /// The same with `Connection: Upgrade` / `Upgrade: websocket` (MS-TSGU 1.3.2.1.1).
    RdgWebsocket,
    /// `RPC_IN_DATA /rpc/rpcproxy.dll` (MS-RPCH 2.1.2.1), the legacy RPC-over-HTTP transport.
    RpcInData,
}

impl GatewayRequestKind {
    /// Words for evidence lines.
    pub fn label(self) -> &'static str {
        match self {
            Self::RdgOut => "RDG_OUT_DATA (HTTP transport)",
            Self::RdgWebsocket => "RDG_OUT_DATA with WebSocket upgrade",
            Self::RpcInData => "RPC_IN_DATA (RPC over HTTP)",
        }
    }
}

/// One request and what came back.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GatewayHttpProbe {
    pub kind: GatewayRequestKind,
    /// The request line sent (no credentials are ever sent).
    pub request_line: String,
    pub outcome: GatewayHttpOutcome,
    /// Request sent to response head complete (or to the end of the attempt).
    pub duration_ms: f64,
}

/// How a request ended.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GatewayHttpOutcome {
    /// A complete response head.
    Response(Box<GatewayResponse>),
    /// The peer closed before a complete head, after `received` bytes.
    Closed { received: usize },
    /// The peer reset the connection.
    Reset { received: usize },
    /// No complete head before the deadline.
    TimedOut { received: usize },
    /// The bytes are not an HTTP response.
    NotHttp { error: String, hex: String },
    /// This request's own connection or TLS handshake failed.
    NotConnected { detail: String },
}

/// A response head and what followed it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GatewayResponse {
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub version: String,
    pub status: u16,
    pub reason: String,
    /// `content-length`, `chunked`, `close-delimited` (neither header) or `invalid`.
    pub framing: String,
    pub content_length: Option<u64>,
    /// Tokens of the Connection header, lower case.
    pub connection: Vec<String>,
    pub upgrade: Option<String>,
    pub server: Option<String>,
    pub content_type: Option<String>,
    /// WWW-Authenticate schemes, in order.
    pub auth_schemes: Vec<String>,
    /// Proxy-Authenticate schemes.
    pub proxy_auth_schemes: Vec<String>,
    /// Headers only proxies add (`name: value`).
    pub proxy_headers: Vec<String>,
    /// Sec-WebSocket-Accept as received, and the value RFC 6455 requires for our key.
    pub websocket_accept: Option<String>,
    pub websocket_accept_expected: Option<String>,
    /// Names of cookies set (values are never kept).
    pub cookie_names: Vec<String>,
    /// The title of an HTML body (an error page from a middlebox).
    pub html_title: Option<String>,
    /// The head as received, secret values redacted.
    pub head_lines: Vec<String>,
    /// Body bytes read (bounded).
    pub body_read: usize,
    /// For a body without a length: milliseconds from the head to its first byte, if one came in the budget.
    pub first_body_byte_ms: Option<f64>,
}
