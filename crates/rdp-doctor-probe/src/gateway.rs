//! The RD Gateway probe, without credentials: DNS → TCP → TLS (the same recording verifier as the target's
//! TLS, offering only ALPN `http/1.1`) → one request per transport, each on its own connection:
//! `RDG_OUT_DATA` (MS-TSGU 2.2.3.1.2), the same with a WebSocket upgrade (RFC 6455), and `RPC_IN_DATA`
//! (MS-RPCH 2.1.2.1). Every response head and a bounded part of its body become evidence; nothing here
//! judges. No credentials are sent, so nothing can lock an account.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdp_doctor_core::evidence::{
    GatewayEvidence, GatewayHttpOutcome, GatewayHttpProbe, GatewayRequestKind, GatewayResponse, GatewayUdpOutcome,
    GatewayUdpProbe, TlsEvidence,
};
use rdp_doctor_proto::gateway_http::{self, Framing, GatewayRequest, MAX_BODY_PREFIX};
use rdp_doctor_proto::hex::hex_prefix;
use rdp_doctor_proto::http::{self, MAX_HEAD_LEN};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::{dns, elapsed_ms, tcp, tls};

/// The default gateway port.
pub const DEFAULT_PORT: u16 = 443;
/// How long a streaming (200) answer may take to send its first body byte (the legacy OUT channel's seed);
/// FreeRDP blocks on those bytes before it opens the IN channel.
pub const SEED_BUDGET: Duration = Duration::from_secs(2);

/// Probes the gateway `host:port`. Never fails: everything the gateway (or what answers for it) does is
/// evidence. Bounded by about DNS + TCP + TLS + head deadlines (`timeout` each) plus [`SEED_BUDGET`].
pub async fn probe(host: &str, port: u16, udp_port: u16, timeout: Duration) -> (GatewayEvidence, Vec<String>) {
    let mut limitations = Vec::new();
    let mut ev = GatewayEvidence {
        host: host.to_owned(),
        port,
        dns: None,
        tcp: None,
        tls: None,
        alpn: None,
        requests: Vec::new(),
        seed_budget_ms: crate::tcp::millis(SEED_BUDGET),
        udp: None,
        tunnel: None,
    };
    let addrs = match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => {
            let d = dns::resolve(host, timeout, false).await;
            let a = d.os.addresses.clone();
            ev.dns = Some(d);
            a
        }
    };
    if addrs.is_empty() {
        return (ev, limitations);
    }
    let (tcp, stream) = tcp::connect_any(&addrs, port, timeout).await;
    let addr = tcp.connected().map(|a| a.addr);
    ev.tcp = Some(tcp);
    let (Some(stream), Some(addr)) = (stream, addr) else { return (ev, limitations) };
    let name = host.trim_start_matches('[').trim_end_matches(']').to_owned();

    let first = exchange(Some(stream), addr, &name, port, GatewayRequestKind::RdgOut, timeout);
    let ws = exchange(None, addr, &name, port, GatewayRequestKind::RdgWebsocket, timeout);
    let rpc = exchange(None, addr, &name, port, GatewayRequestKind::RpcInData, timeout);
    let udp = udp_probe(SocketAddr::new(addr.ip(), udp_port), timeout);
    let ((tls, alpn, limitation, out), (_, _, _, ws), (_, _, _, rpc), udp) = tokio::join!(first, ws, rpc, udp);
    ev.udp = Some(udp);
    ev.tls = tls;
    ev.alpn = alpn;
    limitations.extend(limitation);
    if ev.tls.as_ref().is_some_and(|t| t.outcome == rdp_doctor_core::evidence::TlsOutcome::Established) {
        ev.requests = vec![out, ws, rpc];
    }
    (ev, limitations)
}

type Exchange = (Option<TlsEvidence>, Option<String>, Option<String>, GatewayHttpProbe);

/// One connection (the given one, or a new one to `addr`), TLS, one request, its response.
async fn exchange(
    stream: Option<tokio::net::TcpStream>,
    addr: SocketAddr,
    name: &str,
    port: u16,
    kind: GatewayRequestKind,
    timeout: Duration,
) -> Exchange {
    let request = build_request(kind, name, port);
    let request_line = String::from_utf8_lossy(&request).lines().next().unwrap_or_default().to_owned();
    let not_connected = |detail: String| GatewayHttpProbe {
        kind,
        request_line: request_line.clone(),
        outcome: GatewayHttpOutcome::NotConnected { detail },
        duration_ms: 0.0,
    };
    let stream = match stream {
        Some(s) => s,
        None => match tcp::connect_one(addr, timeout).await {
            (_, Some(s)) => s,
            (attempt, None) => {
                let detail = attempt.detail.unwrap_or_else(|| format!("{:?}", attempt.outcome));
                return (None, None, None, not_connected(format!("TCP connect to {addr} failed: {detail}")));
            }
        },
    };
    let (tls_ev, limitation, tls_stream) = tls::handshake_alpn(stream, name, timeout, &[b"http/1.1"]).await;
    let Some(mut s) = tls_stream else {
        let detail = format!("TLS handshake failed: {:?}", tls_ev.outcome);
        return (Some(tls_ev), None, limitation, not_connected(detail));
    };
    let alpn = s.get_ref().1.alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned());
    let start = Instant::now();
    let ws_key = match kind {
        GatewayRequestKind::RdgWebsocket => request_key(&request),
        _ => None,
    };
    let outcome = match tokio::time::timeout(timeout, s.write_all(&request)).await {
        Ok(Ok(())) => read_response(&mut s, timeout, ws_key.as_deref()).await,
        Ok(Err(e)) => GatewayHttpOutcome::NotConnected { detail: format!("sending the request failed: {e}") },
        Err(_) => GatewayHttpOutcome::TimedOut { received: 0 },
    };
    let duration_ms = elapsed_ms(start);
    let _ = tokio::time::timeout(Duration::from_millis(200), s.shutdown()).await;
    (Some(tls_ev), alpn, limitation, GatewayHttpProbe { kind, request_line, outcome, duration_ms })
}

/// The Host header for the gateway `name:port` (the port only when it is not 443).
pub(crate) fn host_header(name: &str, port: u16) -> String {
    match (name.parse::<IpAddr>(), port) {
        (Ok(IpAddr::V6(v6)), 443) => format!("[{v6}]"),
        (Ok(IpAddr::V6(v6)), p) => format!("[{v6}]:{p}"),
        (_, 443) => name.to_owned(),
        (_, p) => format!("{name}:{p}"),
    }
}

/// The request for `kind`, with fresh identifiers.
fn build_request(kind: GatewayRequestKind, name: &str, port: u16) -> Vec<u8> {
    let host = host_header(name, port);
    let (method, path, key) = match kind {
        GatewayRequestKind::RdgOut => ("RDG_OUT_DATA", gateway_http::RDG_PATH.to_owned(), None),
        GatewayRequestKind::RdgWebsocket => {
            ("RDG_OUT_DATA", gateway_http::RDG_PATH.to_owned(), Some(gateway_http::websocket_key(nonce())))
        }
        // MS-RPCH 2.2.2: the query names the RPC server and its port (3388 for RD Gateway, MS-TSGU 2.1.1).
        GatewayRequestKind::RpcInData => ("RPC_IN_DATA", format!("{}?localhost:3388", gateway_http::RPC_PATH), None),
    };
    GatewayRequest {
        method: method.to_owned(),
        path,
        host,
        connection_id: gateway_http::guid_braced(nonce()),
        websocket_key: key,
        authorization: None,
        chunked: false,
    }
    .encode()
}

/// The Sec-WebSocket-Key inside a request we built.
fn request_key(request: &[u8]) -> Option<String> {
    let head = http::decode_request(request).ok().flatten()?;
    http::Head::header(&head, "sec-websocket-key").map(str::to_owned)
}

/// 16 unpredictable-enough bytes for connection IDs and WebSocket keys (not secrets: RFC 6455 only asks
/// that the key not repeat).
pub(crate) fn nonce() -> [u8; 16] {
    use sha1::Digest as _;
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = sha1::Sha1::new();
    let t = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    h.update(t.to_le_bytes());
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    let d = h.finalize();
    let mut out = [0u8; 16];
    for (o, b) in out.iter_mut().zip(d.iter()) {
        *o = *b;
    }
    out
}

/// Reads a response head (at most [`MAX_HEAD_LEN`] bytes, within `timeout`) and a bounded part of the body.
async fn read_response<S>(s: &mut S, timeout: Duration, ws_key: Option<&str>) -> GatewayHttpOutcome
where
    S: AsyncRead + Unpin,
{
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let head = loop {
        match http::decode_response(&buf) {
            Ok(Some(h)) => break h,
            Ok(None) => {}
            Err(e) => return GatewayHttpOutcome::NotHttp { error: e.to_string(), hex: hex_prefix(&buf, 64) },
        }
        let room = MAX_HEAD_LEN.saturating_sub(buf.len()).clamp(1, chunk.len());
        match tokio::time::timeout_at(deadline, s.read(chunk.get_mut(..room).unwrap_or_default())).await {
            Ok(Ok(0)) => return GatewayHttpOutcome::Closed { received: buf.len() },
            Ok(Ok(n)) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return GatewayHttpOutcome::Closed { received: buf.len() };
            }
            Ok(Err(_)) => return GatewayHttpOutcome::Reset { received: buf.len() },
            Err(_) => return GatewayHttpOutcome::TimedOut { received: buf.len() },
        }
    };
    let mut body: Vec<u8> = buf.get(head.head_len..).unwrap_or_default().to_vec();
    let head_done = Instant::now();
    let facts0 = gateway_http::facts(&head, &[]);
    let mut first_body_byte_ms = (!body.is_empty()).then_some(0.0);
    // How much body to wait for, and for how long.
    let (want, budget) = match (&facts0.framing, head.status) {
        (_, 101) => (0, Duration::ZERO),
        (Framing::ContentLength(n), _) => (usize::try_from(*n).unwrap_or(usize::MAX).min(MAX_BODY_PREFIX), timeout),
        // A streaming channel: the first bytes (the seed) are what matters.
        (_, 200) => (1, SEED_BUDGET),
        _ => (MAX_BODY_PREFIX, SEED_BUDGET.min(timeout)),
    };
    let body_deadline = tokio::time::Instant::now() + budget;
    while body.len() < want {
        match tokio::time::timeout_at(body_deadline, s.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                if first_body_byte_ms.is_none() {
                    first_body_byte_ms = Some(elapsed_ms(head_done));
                }
                body.extend_from_slice(chunk.get(..n).unwrap_or_default());
            }
            _ => break,
        }
    }
    body.truncate(MAX_BODY_PREFIX);
    let f = gateway_http::facts(&head, &body);
    let (framing, content_length) = match &f.framing {
        Framing::ContentLength(n) => ("content-length".to_owned(), Some(*n)),
        Framing::Chunked => ("chunked".to_owned(), None),
        Framing::CloseDelimited => ("close-delimited".to_owned(), None),
        Framing::Invalid(v) => (format!("invalid Content-Length {v:?}"), None),
    };
    GatewayHttpOutcome::Response(Box::new(GatewayResponse {
        version: format!("HTTP/1.{}", f.version_minor),
        status: f.status,
        reason: f.reason,
        framing,
        content_length,
        connection: f.connection,
        upgrade: f.upgrade,
        server: f.server,
        content_type: f.content_type,
        auth_schemes: f.auth_schemes,
        proxy_auth_schemes: f.proxy_auth_schemes,
        proxy_headers: f.proxy_headers,
        websocket_accept: f.websocket_accept,
        websocket_accept_expected: ws_key.map(gateway_http::websocket_accept),
        cookie_names: f.cookie_names,
        html_title: f.html_title,
        head_lines: f.head_lines,
        body_read: body.len(),
        first_body_byte_ms,
    }))
}

/// The default UDP port of the gateway's DTLS transport (RD Gateway Manager > Transport Settings).
pub const DEFAULT_UDP_PORT: u16 = 3391;

/// Sends a DTLS ClientHello to `addr` (once more after half the deadline of silence) and reads the first
/// answer. Never sends anything but ClientHellos.
pub async fn udp_probe(addr: SocketAddr, timeout: Duration) -> GatewayUdpProbe {
    use rdp_doctor_proto::dtls::{DtlsAnswer, decode_answer, encode_client_hello};
    let start = Instant::now();
    let mut probe =
        GatewayUdpProbe { addr, outcome: GatewayUdpOutcome::Silent, sent: 0, duration_ms: 0.0, response_hex: None };
    let local: SocketAddr = if addr.is_ipv6() {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    };
    let sock = match tokio::net::UdpSocket::bind(local).await {
        Ok(s) => s,
        Err(e) => {
            probe.outcome = GatewayUdpOutcome::NotDtls { error: format!("local UDP socket: {e}") };
            return probe;
        }
    };
    if let Err(e) = sock.connect(addr).await {
        probe.outcome = GatewayUdpOutcome::NotDtls { error: format!("local UDP connect: {e}") };
        return probe;
    }
    let mut random = [0u8; 32];
    random[..16].copy_from_slice(&nonce());
    random[16..].copy_from_slice(&nonce());
    let hello = encode_client_hello(random);
    let mut buf = vec![0u8; 2048];
    for _ in 0..2 {
        if sock.send(&hello).await.is_err() {
            break;
        }
        probe.sent += 1;
        match tokio::time::timeout(timeout / 2, sock.recv(&mut buf)).await {
            Ok(Ok(n)) => {
                let got = buf.get(..n).unwrap_or_default();
                probe.response_hex = Some(hex_prefix(got, 48));
                probe.outcome = match decode_answer(got) {
                    Ok(DtlsAnswer::HelloVerifyRequest { server_version, .. }) => {
                        GatewayUdpOutcome::HelloVerifyRequest { version: server_version }
                    }
                    Ok(DtlsAnswer::ServerHello { server_version }) => {
                        GatewayUdpOutcome::ServerHello { version: server_version }
                    }
                    Ok(DtlsAnswer::Alert { description, .. }) => GatewayUdpOutcome::Alert { description },
                    Ok(DtlsAnswer::Other { content_type, .. }) => GatewayUdpOutcome::OtherDtls { content_type },
                    Err(e) => GatewayUdpOutcome::NotDtls { error: e.to_string() },
                };
                break;
            }
            Ok(Err(e)) if crate::udp::is_port_unreachable(&e) => {
                probe.outcome = GatewayUdpOutcome::Refused;
                break;
            }
            Ok(Err(e)) => {
                probe.outcome = GatewayUdpOutcome::NotDtls { error: format!("receive failed: {e}") };
                break;
            }
            Err(_) => {}
        }
    }
    probe.duration_ms = elapsed_ms(start);
    probe
}

/// Splits `GW[:PORT]` (or `[v6]:PORT`) into host and port (443 by default).
pub fn parse_gateway(s: &str) -> Result<(String, u16), crate::TargetError> {
    let t = crate::parse_target(s, DEFAULT_PORT)?;
    Ok((t.host, t.port))
}
