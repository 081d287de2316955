//! Evidence only a capture can give: the flow as seen on the wire (who sent what, when, how the
//! connection ended), TCP loss accounting, ICMP errors, the client's own X.224 request and TLS
//! ClientHello, RDP-UDP and RD Gateway HTTP exchanges. Facts only; the rules in `rules/capture.rs` judge.
//!
//! Serialised under `evidence.capture` (absent for live checks).

use serde::Serialize;
use std::net::{IpAddr, SocketAddr};

/// Which side of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Client,
    Server,
}

impl Side {
    pub fn label(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Server => "server",
        }
    }

    pub fn other(self) -> Self {
        match self {
            Self::Client => Self::Server,
            Self::Server => Self::Client,
        }
    }
}

/// What a connection carries, as recognised from its bytes (or, failing that, its port).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    /// RDP over TCP (TPKT/X.224 seen, or TCP port 3389 with nothing to contradict it).
    Rdp,
    /// MS-RDPEUDP over UDP.
    RdpUdp,
    /// RD Gateway HTTP transport (RDG_IN_DATA/RDG_OUT_DATA, websocket) or RPC over HTTP, in clear text.
    GatewayHttp,
    /// TLS from the first byte on a port the user named (an RD Gateway on 443 whose HTTP is encrypted).
    Tls,
    /// An RD Gateway connection found by its decrypted plaintext (RDG_OUT_DATA, RDG_IN_DATA, its
    /// WebSocket variant, RPC over HTTP) on any port.
    GatewayTls,
    /// A KDC proxy connection (MS-KKDCP `POST /KdcProxy`, an RD Gateway's Kerberos relay) found by its
    /// decrypted plaintext.
    KdcProxy,
    /// A client's Kerberos exchanges with its KDC (port 88) that no RDP connection in the capture shows.
    Kerberos,
}

impl ConnectionKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Rdp => "RDP/TCP",
            Self::RdpUdp => "RDP-UDP",
            Self::GatewayHttp => "RD Gateway HTTP",
            Self::Tls => "TLS",
            Self::GatewayTls => "RD Gateway (TLS)",
            Self::KdcProxy => "KDC proxy (TLS)",
            Self::Kerberos => "Kerberos",
        }
    }
}

/// The phase of a connection, in protocol order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// SYN / SYN-ACK (or RDP-UDP SYN / SYN+ACK).
    Handshake,
    /// X.224 Connection Request / Confirm.
    X224,
    /// TLS handshake.
    Tls,
    /// Standard RDP Security: MCS Connect-Initial/Response in clear text, then RC4.
    Mcs,
    /// CredSSP (NLA) inside TLS: encrypted.
    Credssp,
    /// HTTP heads of an RD Gateway exchange.
    Http,
    /// After the connection setup: encrypted session data.
    Session,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Self::Handshake => "connection setup",
            Self::X224 => "X.224 negotiation",
            Self::Tls => "TLS handshake",
            Self::Mcs => "MCS connect (Standard RDP Security)",
            Self::Credssp => "CredSSP/NLA (encrypted)",
            Self::Http => "gateway HTTP",
            Self::Session => "session (encrypted)",
        }
    }
}

/// One step of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseEvent {
    /// Milliseconds since the connection's first packet.
    pub at_ms: f64,
    pub from: Side,
    pub phase: Phase,
    pub what: String,
}

/// Per-direction TCP accounting (sender's view: what this side sent).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DirectionStats {
    pub packets: u64,
    /// Payload bytes, counting each byte once.
    pub bytes: u64,
    /// Segments that carried payload.
    pub data_segments: u64,
    /// Segments whose payload had been seen already (sent again by the TCP stack).
    pub retransmissions: u64,
    /// Exact copies of the previous packet (same IP ID, sequence, flags) captured twice: a capture
    /// artefact, not network loss.
    pub duplicates: u64,
    /// Segments that arrived ahead of a hole and were held until it filled.
    pub out_of_order: u64,
    /// Holes in the byte stream that were never filled in the capture.
    pub gaps: u64,
    pub gap_bytes: u64,
    /// Of `gap_bytes`, those the receiver acknowledged: the capture missed them, the network did not.
    pub gap_bytes_acked: u64,
    /// Packets advertising a zero receive window.
    pub zero_windows: u64,
    /// SYNs (or SYN-ACKs) sent, including retransmitted ones.
    pub syns: u32,
    pub fins: u32,
    pub rsts: u32,
    /// MSS option of this side's SYN.
    pub mss: Option<u16>,
    pub largest_segment: u32,
    /// Most times one segment was sent again, and that segment's length.
    pub max_retries: u32,
    pub max_retries_len: u32,
    /// Payload bytes the peer acknowledged, and bytes sent but never acknowledged by the end (counted
    /// only when the peer acknowledged something at all).
    pub acked_bytes: u64,
    pub unacked_at_end: u64,
}

/// An ICMP error about this connection's packets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IcmpEvent {
    pub at_ms: f64,
    /// Who sent the ICMP message (a router, or the peer).
    pub from: IpAddr,
    /// About packets of this side.
    pub about: Side,
    /// e.g. "destination unreachable: port unreachable (3/3)".
    pub what: String,
    /// Next-hop MTU of "fragmentation needed" / "packet too big".
    pub mtu: Option<u32>,
    /// ICMPv4 type 3 code 3 / ICMPv6 type 1 code 4.
    pub port_unreachable: bool,
}

/// How the connection ended in the capture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionEnd {
    #[serde(rename = "kind")]
    pub how: EndKind,
    pub by: Option<Side>,
    pub at_ms: f64,
    pub phase: Phase,
    /// What had last been seen before the end, in words.
    pub after: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndKind {
    Fin,
    Rst,
    /// The capture stops while the connection is still open.
    CaptureEnded,
}

/// A silence while one side waited for the other during setup.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stall {
    pub at_ms: f64,
    pub idle_ms: f64,
    /// The side whose answer was awaited.
    pub awaited: Side,
    pub phase: Phase,
    /// What the waiting side had sent last.
    pub after: String,
    /// Whether the wait ended (the awaited side spoke) or the connection/capture ended first.
    pub resolved: bool,
}

/// The client's X.224 Connection Request as seen (never the cookie's value: it is a user name).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestEvidence {
    pub rdp_neg_req: bool,
    pub requested_protocols: u32,
    pub requested_names: Vec<String>,
    pub flags: Vec<String>,
    pub cookie: bool,
    pub routing_token: bool,
    pub correlation_id: bool,
    pub anomalies: Vec<String>,
}

/// The client's TLS ClientHello.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientHelloEvidence {
    pub offered_versions: Vec<String>,
    pub server_name: Option<String>,
    pub alpn: Vec<String>,
    pub cipher_suites: usize,
}

/// Encrypted records after the TLS handshake, per direction (first ones kept).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EncryptedRecords {
    pub client_records: u64,
    pub client_bytes: u64,
    pub server_records: u64,
    pub server_bytes: u64,
    /// Sizes of the first records in order: "C 81", "S 215", …
    pub first: Vec<String>,
    /// An encrypted alert record was seen from this side (contents not visible).
    pub encrypted_alert_from: Option<Side>,
}

/// A plaintext TLS alert the *client* sent (the server's is in `tls.outcome`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertEvidence {
    pub level: u8,
    pub description: u8,
    pub name: String,
    pub at_ms: f64,
}

/// RDP-UDP connection setup (MS-RDPEUDP 3.1.5.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RdpUdpEvidence {
    pub outcome: UdpOutcome,
    pub syns: u32,
    pub syn_acks: u32,
    /// Time from the first SYN to the SYN+ACK.
    pub answered_after_ms: Option<f64>,
    /// From the first SYN to the last SYN.
    pub syn_span_ms: f64,
    /// How long the capture went on after the last SYN.
    pub watched_after_last_syn_ms: f64,
    pub client_version: Option<String>,
    pub server_version: Option<String>,
    pub mtu: Option<(u16, u16)>,
    pub correlation_id: bool,
    pub datagram_len: usize,
    pub client_datagrams: u64,
    pub server_datagrams: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UdpOutcome {
    /// SYN answered by SYN+ACK.
    Established,
    /// SYNs without an answer while the capture kept running.
    NoAnswer,
    /// ICMP port unreachable in reply.
    PortUnreachable,
    /// The capture ends too soon after the SYN to tell.
    CaptureEnded,
    /// Datagrams of a connection set up before the capture started.
    MidStream,
}

/// One HTTP request/response pair of an RD Gateway connection (clear text only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpExchange {
    pub at_ms: f64,
    pub method: String,
    pub path: String,
    pub request_version: String,
    pub request_framing: String,
    pub websocket_upgrade: bool,
    pub response: Option<HttpResponseEvidence>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpResponseEvidence {
    pub at_ms: f64,
    pub version: String,
    pub status: u16,
    pub reason: String,
    /// "Content-Length: N", "chunked", or "none (close-delimited)".
    pub framing: String,
    pub connection: Option<String>,
    pub server: Option<String>,
    /// Headers a proxy adds (Via, X-Forwarded-*, Proxy-*), as "Name: value".
    pub proxy_headers: Vec<String>,
    /// Authentication schemes offered (WWW-Authenticate / Proxy-Authenticate), scheme names only.
    pub auth_schemes: Vec<String>,
}

/// Everything a capture adds to one connection's evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaptureEvidence {
    pub kind: ConnectionKind,
    /// "tcp" or "udp".
    pub transport: &'static str,
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// Offset of the connection's first packet from the capture's first packet.
    pub start_ms: f64,
    pub duration_ms: f64,
    /// Whether the connection's start (TCP SYN, RDP-UDP SYN) is in the capture.
    pub setup_seen: bool,
    pub client_stats: DirectionStats,
    pub server_stats: DirectionStats,
    pub icmp: Vec<IcmpEvent>,
    /// The timeline, bounded (see `timeline_truncated`).
    pub phases: Vec<PhaseEvent>,
    pub timeline_truncated: bool,
    pub request: Option<RequestEvidence>,
    pub client_hello: Option<ClientHelloEvidence>,
    pub client_alert: Option<AlertEvidence>,
    pub encrypted: Option<EncryptedRecords>,
    /// The phase the connection had reached when it ended (or the capture did).
    pub last_phase: Phase,
    pub end: ConnectionEnd,
    pub stalls: Vec<Stall>,
    pub rdp_udp: Option<RdpUdpEvidence>,
    pub http: Vec<HttpExchange>,
    /// Bytes that could not be decoded, described.
    pub anomalies: Vec<String>,
    /// TLS decryption with logged secrets; `None` when no secrets were given or the connection had no TLS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decryption: Option<DecryptionEvidence>,
    /// The TLS handshake resumed an earlier session (the server echoed the client's session ID, or
    /// accepted its pre-shared key): no certificate is sent; the client checked it when the session began.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tls_resumed: bool,
}

impl CaptureEvidence {
    /// A section with nothing observed yet: no packets counted, no timeline, open until the capture's end at
    /// `start_ms`. Drivers and tests fill in what they saw.
    pub fn empty(
        kind: ConnectionKind,
        transport: &'static str,
        client: std::net::SocketAddr,
        server: std::net::SocketAddr,
        start_ms: f64,
    ) -> Self {
        Self {
            kind,
            transport,
            client,
            server,
            start_ms,
            duration_ms: 0.0,
            setup_seen: true,
            client_stats: DirectionStats::default(),
            server_stats: DirectionStats::default(),
            icmp: Vec::new(),
            phases: Vec::new(),
            timeline_truncated: false,
            request: None,
            client_hello: None,
            client_alert: None,
            encrypted: None,
            last_phase: Phase::Handshake,
            end: ConnectionEnd {
                how: EndKind::CaptureEnded,
                by: None,
                at_ms: 0.0,
                phase: Phase::Handshake,
                after: String::new(),
            },
            stalls: Vec::new(),
            rdp_udp: None,
            http: Vec::new(),
            anomalies: Vec::new(),
            decryption: None,
            tls_resumed: false,
        }
    }
}

/// What decrypting a connection's TLS with logged secrets showed (`capture --keylog`, or the capture's own
/// Decryption Secrets Blocks).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DecryptionEvidence {
    /// Whether records were decrypted.
    pub decrypted: bool,
    /// Why not, or where it stopped ("no secret for this client random", "unsupported cipher suite …").
    pub not_decrypted: Option<String>,
    /// Where the secrets came from.
    pub sources: Vec<String>,
    pub client_records: u64,
    pub server_records: u64,
    /// Decrypted TLS alerts, "server: close_notify (warning)".
    pub alerts: Vec<String>,
    /// The CredSSP exchange as read (one line per TSRequest; no tokens, names or credentials).
    pub credssp: Vec<String>,
    /// errorCode of the server's TSRequest (MS-CSSP 2.2.1).
    pub credssp_error: Option<u32>,
    /// Whether the client sent its credentials (TSRequest.authInfo).
    pub credentials_sent: bool,
    /// MS-RDPBCGR 2.2.10.2 Early User Authorization Result.
    pub early_user_auth: Option<u32>,
    /// MS-RDPBCGR 2.2.5.1.1 Set Error Info PDU errorInfo values, in order.
    pub error_info: Vec<u32>,
    /// MS-RDPELE 2.2.2.7.1 licensing error (dwErrorCode, dwStateTransition) other than STATUS_VALID_CLIENT.
    pub licensing_error: Option<(u32, u32)>,
    /// MCS Disconnect Provider Ultimatum reason (T.125), named.
    pub mcs_disconnect: Option<String>,
    /// MCS Connect-Response result inside TLS.
    pub mcs_result: Option<String>,
    /// RD Gateway tunnel (MS-TSGU 2.2.10) responses from the server, one line each.
    pub gateway: Vec<String>,
    /// The first MS-TSGU response with a failing HRESULT: (packet, HRESULT).
    pub gateway_refusal: Option<(String, u32)>,
}
