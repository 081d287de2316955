//! Evidence: what was observed, layer by layer, with timings. Facts only: no judgement lives here.
//!
//! Every type serialises into the report's `evidence` object (part of the JSON contract).

use serde::Serialize;
use std::net::{IpAddr, SocketAddr};

use crate::cert::CertInfo;

pub mod client;
pub mod gateway;
pub mod host;
pub use gateway::*;
pub use host::HostEvidence;
pub mod kerberos;
pub use kerberos::*;
pub mod mechanism;
pub use mechanism::*;

/// Everything one diagnosis observed.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub target: Target,
    /// Unix time (seconds) at which the observation was made; rules judge certificate validity against it.
    pub observed_at_unix: i64,
    pub dns: Option<DnsEvidence>,
    pub tcp: Option<TcpEvidence>,
    pub x224: Option<X224Evidence>,
    pub tls: Option<TlsEvidence>,
    /// Each security protocol offered alone on its own connection (MS-RDPBCGR 2.2.1.1.1).
    pub security_matrix: Option<Vec<ProtocolProbe>>,
    /// The first CredSSP round trip on a HYBRID connection (MS-CSSP), without credentials.
    pub credssp: Option<CredsspEvidence>,
    /// TLS versions and cipher suites the server accepts (`--deep`).
    pub tls_scan: Option<TlsScan>,
    /// Standard RDP Security: the server's GCC security data from the MCS Connect Response.
    pub rdp_security: Option<RdpSecurityEvidence>,
    /// A series of TCP handshakes on the RDP port: round trips, losses, the server's MSS.
    pub net: Option<NetQuality>,
    /// Retries of the TLS handshake with smaller segments after a stall (path-MTU black hole test).
    pub mtu: Option<MtuProbe>,
    /// The Remote Desktop WebSocket listeners (TCP 3387 and 3392), when asked for.
    pub websocket_ports: Option<Vec<WsPortEvidence>>,
    /// The RDP-UDP listener (MS-RDPEUDP SYN → SYN+ACK on the RDP port number).
    pub udp: Option<UdpEvidence>,
    /// The RD Gateway in front of the target (`--gateway`), probed without credentials.
    pub gateway: Option<GatewayEvidence>,
    /// The credentialed connection sequence (`--user`), on its own connection.
    pub session: Option<SessionEvidence>,
    /// Kerberos messages seen in a capture around this connection (absent for live checks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kerberos: Option<KerberosEvidence>,
    /// What the tool could not see, said plainly.
    pub limitations: Vec<String>,
    /// What a capture showed beyond the layers (absent for live checks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture: Option<crate::capture::CaptureEvidence>,
    /// What the RDP server's own configuration and logs say (`rdp-doctor host`, `check --host`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<HostEvidence>,
    /// What the user's own PC recorded about its attempts and its client settings (`rdp-doctor last`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<client::ClientEvidence>,
}

impl Evidence {
    /// Empty evidence for a target observed at `observed_at_unix`.
    pub fn new(target: Target, observed_at_unix: i64) -> Self {
        Self {
            target,
            observed_at_unix,
            dns: None,
            tcp: None,
            x224: None,
            tls: None,
            security_matrix: None,
            credssp: None,
            tls_scan: None,
            rdp_security: None,
            net: None,
            mtu: None,
            websocket_ports: None,
            udp: None,
            gateway: None,
            session: None,
            kerberos: None,
            limitations: Vec::new(),
            capture: None,
            host: None,
            client: None,
        }
    }
}

/// What the user asked to check.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Target {
    /// The text the user typed (`host`, `host:port`, `[v6]:port`).
    pub input: String,
    /// The host part: a DNS name or an IP literal.
    pub host: String,
    pub port: u16,
    /// Set when `host` is an IP literal (no DNS lookup is made).
    pub ip: Option<IpAddr>,
}

/// Name resolution, by the OS resolver (what mstsc uses) and by a direct DNS query.
#[derive(Debug, Clone, Serialize)]
pub struct DnsEvidence {
    pub os: ResolverResult,
    /// `None` when the direct query was not made.
    pub direct: Option<ResolverResult>,
}

/// One resolver's answer.
#[derive(Debug, Clone, Serialize)]
pub struct ResolverResult {
    /// Which resolver: "os (getaddrinfo)" or "dns (nameservers …)".
    pub resolver: String,
    pub addresses: Vec<IpAddr>,
    /// The resolver's error, verbatim.
    pub error: Option<String>,
    pub duration_ms: f64,
}

/// TCP connection attempts, in the order made; the first success ends the series.
#[derive(Debug, Clone, Serialize)]
pub struct TcpEvidence {
    pub attempts: Vec<TcpAttempt>,
    /// The per-attempt deadline.
    pub timeout_ms: u64,
}

impl TcpEvidence {
    /// The address that accepted, if any.
    pub fn connected(&self) -> Option<&TcpAttempt> {
        self.attempts.iter().find(|a| a.outcome == TcpOutcome::Connected)
    }
}

/// One connect attempt.
#[derive(Debug, Clone, Serialize)]
pub struct TcpAttempt {
    pub addr: SocketAddr,
    pub outcome: TcpOutcome,
    pub duration_ms: f64,
    /// The OS error text for failures.
    pub detail: Option<String>,
}

/// How a connect attempt ended.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TcpOutcome {
    Connected,
    /// RST in answer to the SYN: nothing listens, or a firewall rejects.
    Refused,
    /// No answer before the deadline: a firewall drops the packets (or the host is down).
    TimedOut,
    /// ICMP unreachable (host/network), or no route.
    Unreachable,
    /// Any other local error.
    Error,
}

/// The X.224 Connection Request / Confirm exchange.
#[derive(Debug, Clone, Serialize)]
pub struct X224Evidence {
    /// `requestedProtocols` sent in RDP_NEG_REQ.
    pub requested_protocols: u32,
    pub requested_names: Vec<String>,
    pub cookie_sent: bool,
    pub request_hex: String,
    /// The bytes received (up to a bound), hex.
    pub response_hex: String,
    pub outcome: X224Outcome,
    pub duration_ms: f64,
    pub timeout_ms: u64,
}

/// What came back for the Connection Request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum X224Outcome {
    /// A Connection Confirm arrived.
    Confirm { negotiation: NegotiationResult, anomalies: Vec<String> },
    /// The server closed the connection (FIN) after `received` bytes.
    Closed { received: usize },
    /// The server reset the connection.
    Reset { received: usize },
    /// Nothing complete arrived before the deadline.
    NoResponse { received: usize },
    /// The bytes are not TPKT: something else listens on the port.
    NotRdp { guess: String },
    /// TPKT, but not a usable Connection Confirm.
    Malformed { error: String },
    /// A local I/O error while sending or receiving.
    IoError { error: String },
}

/// The negotiation part of a Connection Confirm.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NegotiationResult {
    /// RDP_NEG_RSP.
    Selected { protocol: u32, protocol_names: Vec<String>, flags: u8, flag_names: Vec<String> },
    /// RDP_NEG_FAILURE.
    Failure { code: u32, name: String },
    /// A confirm without negotiation data: the server uses Standard RDP Security.
    Legacy,
    /// A negotiation type the spec does not define for a confirm.
    Unknown { neg_type: u8, value: u32 },
}

/// The TLS handshake on the RDP connection.
#[derive(Debug, Clone, Serialize)]
pub struct TlsEvidence {
    /// The TLS implementation used for the probe.
    pub stack: String,
    pub outcome: TlsOutcome,
    /// The name certificate matching is judged against (what the user typed).
    pub server_name: String,
    /// e.g. "TLS 1.3".
    pub version: Option<String>,
    pub cipher_suite: Option<String>,
    pub duration_ms: f64,
    pub timeout_ms: u64,
    /// The chain as the server sent it, leaf first.
    pub chain: Vec<CertInfo>,
    /// The OS trust store's verdict on the chain and name.
    pub trust: Option<TrustVerdict>,
    /// When the handshake above was made with the legacy stack: what the modern stack (TLS 1.2/1.3) saw.
    pub modern_attempt: Option<TlsOutcome>,
}

impl TlsEvidence {
    /// Evidence for a handshake about to start: nothing observed yet (outcome `TimedOut` until the driver
    /// records what happened).
    pub fn pending(stack: &str, server_name: &str, timeout_ms: u64) -> Self {
        Self {
            stack: stack.to_owned(),
            outcome: TlsOutcome::TimedOut,
            server_name: server_name.to_owned(),
            version: None,
            cipher_suite: None,
            duration_ms: 0.0,
            timeout_ms,
            chain: vec![],
            trust: None,
            modern_attempt: None,
        }
    }
}

/// How the handshake ended.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TlsOutcome {
    Established,
    /// The server sent a TLS alert.
    AlertReceived {
        description: u8,
        name: String,
    },
    /// The server closed the connection during the handshake.
    Closed,
    /// The server reset the connection during the handshake.
    Reset,
    /// The handshake did not finish before the deadline.
    TimedOut,
    /// The peer broke the protocol, or the handshake failed locally (the error is quoted).
    Failed {
        error: String,
    },
}

/// The trust verdict of the platform verifier.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TrustVerdict {
    /// Which verifier judged (e.g. "rustls-platform-verifier (OS trust store)").
    pub verifier: String,
    pub trusted: bool,
    /// The verifier's reason when not trusted.
    pub error: Option<String>,
}

/// One protocol offered alone in RDP_NEG_REQ on its own connection (or selected on the main connection:
/// [`ProtocolProbe::from_main_offer`]).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProtocolProbe {
    /// The single protocol value offered (0 = PROTOCOL_RDP).
    pub protocol: u32,
    pub name: String,
    /// True only when the server's RDP_NEG_RSP selects exactly this protocol (a legacy confirm counts for
    /// PROTOCOL_RDP only).
    pub accepted: bool,
    /// What happened, from the same X.224 exchange the main probe uses.
    pub outcome: ProbeOutcome,
    pub duration_ms: f64,
    /// Set when the row is the main connection's answer instead of a connection of its own: the
    /// requestedProtocols the main connection offered (this protocol among them), from which the server
    /// selected exactly this protocol, so it accepts it. Only acceptances are taken from there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_main_offer: Option<u32>,
}

/// The result of one matrix probe.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbeOutcome {
    /// The X.224 exchange happened: its outcome.
    Exchange { outcome: X224Outcome },
    /// TCP to the same address failed for this probe.
    Connect { detail: String },
}

/// The first CredSSP round trip: our TSRequest with an NTLM NEGOTIATE, the server's answer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CredsspEvidence {
    /// The version we announced.
    pub client_version: u32,
    pub outcome: CredsspOutcome,
    /// The server's TSRequest version, when it answered with a TSRequest.
    pub server_version: Option<u32>,
    /// errorCode from the server's TSRequest (NTSTATUS / SEC_E).
    pub error_code: Option<u32>,
    pub ntlm: Option<NtlmInfo>,
    /// Local clock (Unix ms) when the request was sent and when the answer arrived.
    pub sent_unix_ms: i64,
    pub received_unix_ms: i64,
    pub duration_ms: f64,
    /// The answer's first bytes, hex (it is inside TLS, so only we see it).
    pub response_hex: String,
    /// The security mechanisms offered, chosen and authenticated with (SPNEGO or raw tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mechanisms: Option<MechanismEvidence>,
}

impl CredsspEvidence {
    /// The client proposed NTLM (its first token was NTLM), so an answer without an NTLM CHALLENGE means
    /// something. Without mechanism evidence: the live probe's NTLM NEGOTIATE.
    pub fn proposed_ntlm(&self) -> bool {
        self.mechanisms.as_ref().is_none_or(|m| m.proposed.as_deref() == Some("NTLM"))
    }
}

/// How the CredSSP round trip ended.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CredsspOutcome {
    /// A TSRequest carrying an NTLM CHALLENGE.
    Challenge,
    /// A TSRequest without an NTLM CHALLENGE (an error code, or another mechanism such as Kerberos-only).
    OtherTsRequest,
    /// Something that is not a TSRequest.
    NotCredssp {
        error: String,
    },
    Closed,
    Reset,
    TimedOut,
    Failed {
        error: String,
    },
}

/// What an NTLM CHALLENGE reveals (MS-NLMP 2.2.1.2, 2.2.2.1).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NtlmInfo {
    pub target_name: Option<String>,
    pub nb_computer_name: Option<String>,
    pub nb_domain_name: Option<String>,
    pub dns_computer_name: Option<String>,
    pub dns_domain_name: Option<String>,
    pub dns_tree_name: Option<String>,
    /// "major.minor.build", from the VERSION structure.
    pub os_version: Option<String>,
    pub os_build: Option<u16>,
    /// The server's clock from MsvAvTimestamp, Unix ms.
    pub server_time_unix_ms: Option<i64>,
}

/// TLS version and cipher-suite enumeration, each attempt on its own TCP + X.224 connection.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TlsScan {
    pub versions: Vec<TlsVersionResult>,
    /// Connections made for the scan.
    pub connections: usize,
    pub duration_ms: u64,
}

/// One protocol version.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TlsVersionResult {
    /// e.g. 0x0303.
    pub version: u16,
    pub name: String,
    pub accepted: bool,
    /// What ended the probe when not accepted (alert name, "answered with TLS 1.2", "closed", …).
    pub refusal: Option<String>,
    /// Accepted suites: first the one the server picked when offered all of them, then the others in the
    /// offered (IANA) order.
    pub suites: Vec<TlsSuite>,
    /// True when the suite loop stopped at its bound before the server refused.
    pub truncated: bool,
}

/// One accepted cipher suite.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TlsSuite {
    pub id: u16,
    pub name: String,
    /// Why it is weak, if it is.
    pub weakness: Option<String>,
}

/// The MCS Connect Initial / Response exchange on a Standard RDP Security connection (MS-RDPBCGR 2.2.1.3-4).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RdpSecurityEvidence {
    pub outcome: RdpSecurityOutcome,
    pub duration_ms: f64,
    pub response_hex: String,
}

/// What the server's Connect Response says.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RdpSecurityOutcome {
    Response {
        encryption_method: u32,
        method_names: Vec<String>,
        encryption_level: u32,
        level_name: String,
        server_random_len: usize,
        certificate: Option<ServerCertEvidence>,
    },
    Failed {
        error: String,
    },
    Closed,
    TimedOut,
}

/// The server certificate of Standard RDP Security (MS-RDPBCGR 2.2.1.4.3.1).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ServerCertEvidence {
    /// A proprietary certificate: an RSA key signed with the well-known Terminal Services key.
    Proprietary {
        rsa_bits: u32,
        temporary: bool,
    },
    /// An X.509 chain as sent.
    X509 {
        chain: Vec<CertInfo>,
        temporary: bool,
    },
    Unparsed {
        version: u32,
        reason: String,
    },
}

/// TCP handshake samples on the RDP port.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NetQuality {
    pub addr: std::net::SocketAddr,
    pub samples: Vec<NetSample>,
    pub timeout_ms: u64,
}

/// One TCP handshake.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NetSample {
    pub outcome: TcpOutcome,
    /// SYN to established, milliseconds (for failures: until the failure).
    pub connect_ms: f64,
    /// The maximum segment size in use after the handshake (TCP_MAXSEG).
    pub mss: Option<u32>,
}

/// TLS handshake retries with a clamped MSS after the first handshake stalled.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MtuProbe {
    /// (MSS set on the socket, how the handshake ended).
    pub attempts: Vec<MtuAttempt>,
}

/// One retry.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MtuAttempt {
    pub mss: u32,
    pub outcome: TlsOutcome,
    pub duration_ms: f64,
}

/// One Remote Desktop WebSocket listener.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WsPortEvidence {
    pub port: u16,
    /// Whether the listener is the TLS one (3392).
    pub tls: bool,
    pub tcp: TcpOutcome,
    /// The first line of the answer to a WebSocket upgrade request (`HTTP/1.1 101 …`).
    pub status_line: Option<String>,
    pub duration_ms: f64,
}

/// The RDP-UDP probe: SYNs only, never the final ACK.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UdpEvidence {
    pub addr: std::net::SocketAddr,
    pub attempts: Vec<UdpAttempt>,
}

/// One SYN datagram and what came back.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UdpAttempt {
    /// Datagram size sent (1232, or 1132 for the small-path retry).
    pub size: usize,
    pub outcome: UdpProbeOutcome,
    pub duration_ms: f64,
}

/// How one SYN ended.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UdpProbeOutcome {
    /// A SYN+ACK acknowledging our ISN.
    SynAck { version: Option<String>, upstream_mtu: u16, downstream_mtu: u16 },
    /// Something else came back (described).
    Other { description: String },
    /// ICMP port unreachable: nothing listens on UDP.
    PortUnreachable,
    /// No answer before the deadline.
    Silence,
    /// A local error.
    Error { error: String },
}

/// The credentialed connection sequence (MS-RDPBCGR 1.3.1.1), driven with IronRDP's connector on its own
/// connection: exactly one authentication attempt. Everything the server said on the way is kept raw.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SessionEvidence {
    /// The account as given (`DOMAIN\user`, `user@domain` or `user`). The password is never recorded.
    pub account: String,
    /// `requestedProtocols` of this connection's RDP_NEG_REQ.
    pub requested_protocols: u32,
    /// What the server selected, when it answered with RDP_NEG_RSP.
    pub selected_protocol: Option<u32>,
    /// Each sub-step in order, with its time.
    pub steps: Vec<SessionStep>,
    /// How the run ended.
    pub outcome: SessionOutcome,
    /// The phase the run was in when it ended (`x224`, `tls`, `credssp`, `early_user_authorization`,
    /// `mcs_connect`, `channel_connection`, `client_info`, `licensing`, `capabilities`, `finalization`,
    /// `active`).
    pub phase: String,
    /// `errorCode` of a server TSRequest during authentication (NTSTATUS or SEC_E, MS-CSSP 2.2.1).
    pub credssp_error: Option<u32>,
    /// True when the server closed or reset the connection right after our credentials (the
    /// NTLM AUTHENTICATE) without sending an errorCode.
    pub credssp_closed_after_credentials: bool,
    /// The Early User Authorization Result (MS-RDPBCGR 2.2.10.2), raw; only with PROTOCOL_HYBRID_EX.
    pub early_user_auth: Option<u32>,
    /// The raw `errorInfo` of every Set Error Info PDU (MS-RDPBCGR 2.2.5.1.1), in order.
    pub error_infos: Vec<u32>,
    /// A licensing ERROR_ALERT other than "valid client": `dwErrorCode`, `dwStateTransition`.
    pub license_error: Option<(u32, u32)>,
    /// `infoType` of each Save Session Info PDU (logon notifications, MS-RDPBCGR 2.2.10.1).
    pub logon_infos: Vec<u32>,
    /// Logon Errors Info: `errorNotificationType`, `errorNotificationData` (MS-RDPBCGR 2.2.10.1.1.4.1.1),
    /// raw: the last one received. Every one, in order, is in `logon_errors`.
    pub logon_error: Option<(u32, u32)>,
    /// Every Logon Errors Info received, in order (at most 8), raw. Read with
    /// `rdp_doctor_codes::logon::read_logon_error`: only some are failures (a successful logon commonly
    /// sends LOGON_MSG_SESSION_CONTINUE with its session ID).
    pub logon_errors: Vec<(u32, u32)>,
    /// The session ID the server named in a logon notification or auto-reconnect cookie.
    pub session_id: Option<u32>,
    /// The reason of an MCS Disconnect Provider Ultimatum from the server.
    pub ultimatum: Option<u8>,
    /// Milliseconds from the start of this connection to the first graphics update.
    pub first_update_ms: Option<f64>,
    /// IronRDP's error, verbatim, when it stopped the sequence.
    pub connector_error: Option<String>,
    pub duration_ms: f64,
    /// The deadline of each step.
    pub timeout_ms: u64,
}

/// One sub-step of the connection sequence.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SessionStep {
    /// e.g. `x224`, `tls`, `credssp`, `mcs_connect`, `licensing`, `set_error_info`, `closed`.
    pub name: String,
    /// When the step ended, milliseconds from the start of the connection.
    pub at_ms: f64,
    pub duration_ms: f64,
    /// What was sent or seen, in words and numbers.
    pub detail: String,
}

/// How the credentialed run ended.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SessionOutcome {
    /// The first graphics update arrived: the session is up.
    FirstUpdate,
    /// The server's logon notification (Save Session Info INFOTYPE_LOGON, _LONG or _PLAINNOTIFY, MS-RDPBCGR
    /// 3.3.5.10.1: "the user has logged on") arrived, but no graphics update was read (a session drawn over
    /// the graphics pipeline's dynamic virtual channel, which is not decoded, or the end of what was
    /// decrypted).
    LoggedOn,
    /// The connection sequence completed, but no graphics update came before the deadline.
    ConnectedNoUpdate,
    /// The server closed the connection (FIN).
    Closed,
    /// The server reset the connection.
    Reset,
    /// The server went silent: a step did not finish before its deadline.
    TimedOut,
    /// rdp-doctor stopped: the server had already given its verdict, or the client side failed.
    Stopped { reason: String },
    /// Credentials were given but the run could not start because an earlier layer failed.
    NotReached { reason: String },
    /// Credentials were given but this server's security cannot be driven (e.g. Standard RDP Security).
    Unsupported { reason: String },
}
