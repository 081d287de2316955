//! The credentialed tunnel through an RD Gateway (`check HOST --gateway GW --user USER`), over the HTTP
//! transport with two channels (MS-TSGU 3.3.5.1; shared/GATEWAY_UDP_NOTES.md §1.2):
//!
//! 1. OUT channel: TLS, `RDG_OUT_DATA` with `Authorization: NTLM <NEGOTIATE>` and the WebSocket upgrade
//!    headers (as mstsc and FreeRDP send it), 401 with the CHALLENGE, `RDG_OUT_DATA` with the AUTHENTICATE.
//!    `101 Switching Protocols` with a valid `Sec-WebSocket-Accept` selects the WebSocket transport
//!    (MS-TSGU 2.2.5.3.2): every packet both ways is one binary frame on this connection (client frames
//!    masked, RFC 6455 5.3) and step 2 is skipped. `200` (close-delimited) selects the HTTP transport: the
//!    seed bytes follow (10, as FreeRDP and IronRDP skip them).
//! 2. IN channel, on a second connection to the same address with the same `RDG-Connection-Id`: the same
//!    NTLM legs with `RDG_IN_DATA`, 200, then the streaming `RDG_IN_DATA` head with
//!    `Transfer-Encoding: chunked`; every client packet is one chunk.
//! 3. MS-TSGU 2.2.10: HANDSHAKE_REQUEST, TUNNEL_CREATE, TUNNEL_AUTH, CHANNEL_CREATE (to the target and its
//!    port), each answer read from the OUT channel with its HRESULT.
//! 4. The X.224 Connection Request to the target in DATA packets (the same [`crate::x224::exchange`] as the
//!    direct path), then CLOSE_CHANNEL.
//!
//! The NTLM legs run once per channel, as every gateway client does (NTLM is bound to the connection); the
//! IN channel is only opened after the OUT channel accepted the credentials, so a wrong password fails
//! exactly once. Every read has the per-step deadline, the whole run a budget; heads are bounded by
//! [`MAX_HEAD_LEN`], bodies of 401 answers by [`MAX_BODY`], packets by [`tsgu::MAX_PACKET_LEN`].

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rdp_doctor_core::evidence::{GatewayTunnelEvidence, GatewayTunnelOutcome as O, GatewayTunnelStep};
use rdp_doctor_proto::gateway_http::{self, Authorization, Framing, GatewayRequest};
use rdp_doctor_proto::hex::hex_prefix;
use rdp_doctor_proto::http::{self, Head as _, MAX_HEAD_LEN, ResponseHead};
use rdp_doctor_proto::nego::SecurityProtocol;
use rdp_doctor_proto::tsgu::{self, Packet};
use rdp_doctor_proto::websocket;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::gateway_ntlm::NtlmClient;
use crate::session::Credentials;
use crate::{elapsed_ms, tcp, tls};

/// Largest body of a 401 read (and discarded) to keep the connection for the next NTLM leg.
pub const MAX_BODY: u64 = 64 * 1024;
/// Seed bytes after the OUT channel's 200 (MS-TSGU 3.3.5.1: "random entity body of limited size"; Windows
/// sends 10 and FreeRDP and IronRDP skip exactly 10).
pub const SEED_LEN: usize = 10;
/// TUNNEL_CREATE capabilities: QUAR_SOH | MESSAGING_CONSENT_SIGN | MESSAGING_SERVICE_MSG, what FreeRDP sends.
pub const CAPS: u32 = tsgu::caps::QUAR_SOH | tsgu::caps::MESSAGING_CONSENT_SIGN | tsgu::caps::MESSAGING_SERVICE_MSG;
/// The client name in TUNNEL_AUTH (MS-TSGU 2.2.10.14; shown in the gateway's logs).
pub const CLIENT_NAME: &str = "rdp-doctor";
/// How much longer than one step's deadline the whole run may take.
const BUDGET_STEPS: u32 = 16;
/// Bytes of a packet quoted in evidence.
const QUOTE: usize = 48;
/// Service messages kept, and their length.
const MAX_MESSAGES: usize = 4;

/// Where the tunnel goes.
#[derive(Debug, Clone)]
pub struct TunnelTarget {
    /// The gateway's address (the one the credential-free probe reached) and name (SNI, Host).
    pub gateway: SocketAddr,
    pub gateway_name: String,
    pub gateway_port: u16,
    /// The resource for CHANNEL_CREATE, as the user named it, and its port.
    pub host: String,
    pub port: u16,
    /// For the X.224 Connection Request through the tunnel.
    pub requested: SecurityProtocol,
    pub cookie: Option<String>,
}

/// A record of a run that was not attempted.
pub fn not_run(account: &str, target: &TunnelTarget, reason: String) -> GatewayTunnelEvidence {
    let mut r = Run::new(account, target, Duration::ZERO);
    r.ev.outcome = O::NotRun { reason };
    r.ev
}

/// Runs the tunnel to `target` with `creds`. Never fails: what the gateway does is evidence.
pub async fn run(target: &TunnelTarget, creds: &Credentials, timeout: Duration) -> GatewayTunnelEvidence {
    let mut r = Run::new(&creds.user, target, timeout);
    let budget = timeout.saturating_mul(BUDGET_STEPS);
    r.ev.outcome = match tokio::time::timeout(budget, drive(&mut r, target, creds)).await {
        Ok(Ok(())) => O::ChannelCreated,
        Ok(Err(o)) => o,
        Err(_) => O::Ended {
            step: r.step.to_owned(),
            how: format!("stopped: the whole run exceeded its budget of {} ms", budget.as_millis()),
        },
    };
    r.ev.duration_ms = elapsed_ms(r.start);
    r.ev
}

/// The evidence being recorded and the run's clock.
struct Run {
    ev: GatewayTunnelEvidence,
    start: Instant,
    timeout: Duration,
    /// The step in progress (for an overall timeout).
    step: &'static str,
}

impl Run {
    fn new(account: &str, target: &TunnelTarget, timeout: Duration) -> Self {
        Self {
            ev: GatewayTunnelEvidence {
                account: account.to_owned(),
                target: target.host.clone(),
                target_port: target.port,
                transport: None,
                steps: Vec::new(),
                outcome: O::NotRun { reason: String::new() },
                tunnel_id: None,
                idle_timeout_minutes: None,
                channel_id: None,
                udp_port: None,
                messages: Vec::new(),
                x224: None,
                duration_ms: 0.0,
                timeout_ms: crate::tcp::millis(timeout),
            },
            start: Instant::now(),
            timeout,
            step: "start",
        }
    }

    fn now(&self) -> f64 {
        elapsed_ms(self.start)
    }

    fn record(
        &mut self,
        name: &str,
        began: f64,
        status: Option<u16>,
        hresult: Option<u32>,
        hex: Option<String>,
        detail: String,
    ) {
        let at = self.now();
        self.ev.steps.push(GatewayTunnelStep {
            name: name.to_owned(),
            at_ms: at,
            duration_ms: (at - began).max(0.0),
            http_status: status,
            hresult,
            hex,
            detail,
        });
    }
}

/// One HTTP channel: its TLS stream and the bytes read but not used yet.
struct Channel {
    name: &'static str,
    s: TlsStream<TcpStream>,
    buf: Vec<u8>,
    /// WebSocket transport: the unframed payload bytes not yet decoded as packets, and the next masking key.
    ws: Option<(Vec<u8>, u32)>,
}

impl Channel {
    /// The next MS-TSGU packet from the server's WebSocket frames (unmasked, RFC 6455 5.1): binary and
    /// continuation frames carry the packets, a close frame ends the tunnel, ping and pong are skipped.
    async fn ws_packet(&mut self, step: &str, timeout: Duration) -> Result<(Packet, Vec<u8>), O> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let payload = self.ws.as_mut().map(|(p, _)| p).ok_or_else(|| ended(step, "no WebSocket"))?;
            match tsgu::decode(payload) {
                Ok(Some((Packet::Keepalive, used))) => {
                    payload.drain(..used.min(payload.len()));
                    continue;
                }
                Ok(Some((p, used))) => {
                    let raw: Vec<u8> = payload.drain(..used.min(payload.len())).collect();
                    return Ok((p, raw));
                }
                Ok(None) => {}
                Err(e) => {
                    return Err(O::Malformed {
                        step: step.to_owned(),
                        error: format!("{e}; bytes {}", hex_prefix(payload, 32)),
                    });
                }
            }
            if payload.len() > tsgu::MAX_PACKET_LEN as usize {
                return Err(O::Malformed { step: step.to_owned(), error: "a packet beyond the bound".to_owned() });
            }
            match websocket::decode(&self.buf) {
                Ok(Some((f, used))) => {
                    self.buf.drain(..used.min(self.buf.len()));
                    match f.opcode {
                        websocket::opcode::BINARY | websocket::opcode::CONTINUATION => {
                            if let Some((p, _)) = self.ws.as_mut() {
                                p.extend_from_slice(&f.payload);
                            }
                        }
                        websocket::opcode::CLOSE => return Err(ended(step, "closed (WebSocket close frame)")),
                        _ => {}
                    }
                }
                Ok(None) => self.fill(step, deadline, websocket::MAX_FRAME + 14).await?,
                Err(e) => return Err(O::Malformed { step: step.to_owned(), error: e.to_string() }),
            }
        }
    }
}

/// How a read ended without the bytes wanted.
fn ended(step: &str, how: &str) -> O {
    O::Ended { step: step.to_owned(), how: how.to_owned() }
}

impl Channel {
    /// Reads more bytes (at most `max` in the buffer) before `deadline`.
    async fn fill(&mut self, step: &str, deadline: tokio::time::Instant, max: usize) -> Result<(), O> {
        if self.buf.len() >= max {
            return Err(O::Malformed {
                step: step.to_owned(),
                error: format!("more than {max} bytes without a complete message"),
            });
        }
        let mut chunk = [0u8; 4096];
        let room = (max - self.buf.len()).min(chunk.len());
        match tokio::time::timeout_at(deadline, self.s.read(chunk.get_mut(..room).unwrap_or_default())).await {
            Ok(Ok(0)) => Err(ended(step, "closed")),
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
                Ok(())
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(ended(step, "closed")),
            Ok(Err(e)) => Err(ended(step, &format!("reset ({e})"))),
            Err(_) => Err(ended(step, "timed out (no answer before the deadline)")),
        }
    }

    async fn send(&mut self, step: &str, bytes: &[u8], timeout: Duration) -> Result<(), O> {
        match tokio::time::timeout(timeout, async {
            self.s.write_all(bytes).await?;
            self.s.flush().await
        })
        .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ended(step, &format!("broken while sending ({e})"))),
            Err(_) => Err(ended(step, "timed out while sending")),
        }
    }

    /// A response head; its body is left in the buffer.
    async fn head(&mut self, step: &str, timeout: Duration) -> Result<ResponseHead, O> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match http::decode_response(&self.buf) {
                Ok(Some(h)) => {
                    self.buf.drain(..h.head_len.min(self.buf.len()));
                    return Ok(h);
                }
                Ok(None) => self.fill(step, deadline, MAX_HEAD_LEN).await?,
                Err(e) => {
                    return Err(O::Malformed {
                        step: step.to_owned(),
                        error: format!("{e}; first bytes {}", hex_prefix(&self.buf, 32)),
                    });
                }
            }
        }
    }

    /// Reads and drops the body of a non-streaming answer (Content-Length or chunked, bounded).
    async fn skip_body(&mut self, step: &str, head: &ResponseHead, timeout: Duration) -> Result<(), O> {
        let deadline = tokio::time::Instant::now() + timeout;
        let limit = usize::try_from(MAX_BODY).unwrap_or(usize::MAX);
        match gateway_http::facts(head, &[]).framing {
            Framing::ContentLength(n) if n > MAX_BODY => {
                Err(O::Malformed { step: step.to_owned(), error: format!("a {n}-byte body (limit {MAX_BODY})") })
            }
            Framing::ContentLength(n) => {
                let n = usize::try_from(n).unwrap_or(limit);
                while self.buf.len() < n {
                    self.fill(step, deadline, limit).await?;
                }
                self.buf.drain(..n);
                Ok(())
            }
            Framing::Chunked => loop {
                match http::decode_chunk(&self.buf) {
                    Ok(Some((data, used))) => {
                        self.buf.drain(..used.min(self.buf.len()));
                        if data.is_empty() {
                            return Ok(());
                        }
                    }
                    Ok(None) => self.fill(step, deadline, http::MAX_CHUNK_LEN + 64).await?,
                    Err(e) => return Err(O::Malformed { step: step.to_owned(), error: e.to_string() }),
                }
            },
            Framing::CloseDelimited | Framing::Invalid(_) => Err(O::Malformed {
                step: step.to_owned(),
                error: "the answer has neither Content-Length nor chunked framing, so the connection cannot carry \
                        the next NTLM message (NTLM is bound to the connection)"
                    .to_owned(),
            }),
        }
    }

    /// Sends one MS-TSGU packet: a chunk on the HTTP transport's IN channel, a masked binary frame on the
    /// WebSocket transport.
    async fn send_packet(&mut self, step: &str, packet: &[u8], timeout: Duration) -> Result<(), O> {
        let bytes = match self.ws.as_mut() {
            Some((_, key)) => {
                *key = key.wrapping_mul(0x9E37_79B9).wrapping_add(0x7F4A_7C15);
                websocket::encode(websocket::opcode::BINARY, packet, Some(key.to_be_bytes()))
            }
            None => http::encode_chunk(packet),
        };
        self.send(step, &bytes, timeout).await
    }

    /// The next MS-TSGU packet on this (OUT) channel; keepalives are skipped.
    async fn packet(&mut self, step: &str, timeout: Duration) -> Result<(Packet, Vec<u8>), O> {
        if self.ws.is_some() {
            return self.ws_packet(step, timeout).await;
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tsgu::decode(&self.buf) {
                Ok(Some((Packet::Keepalive, used))) => {
                    self.buf.drain(..used.min(self.buf.len()));
                }
                Ok(Some((p, used))) => {
                    let raw: Vec<u8> = self.buf.drain(..used.min(self.buf.len())).collect();
                    return Ok((p, raw));
                }
                Ok(None) => self.fill(step, deadline, tsgu::MAX_PACKET_LEN as usize + 4096).await?,
                Err(e) => {
                    return Err(O::Malformed {
                        step: step.to_owned(),
                        error: format!("{e}; bytes {}", hex_prefix(&self.buf, 32)),
                    });
                }
            }
        }
    }
}

async fn connect(r: &mut Run, t: &TunnelTarget, name: &'static str) -> Result<Channel, O> {
    let began = r.now();
    let step = if name == "OUT" { "OUT connect" } else { "IN connect" };
    let (attempt, stream) = tcp::connect_one(t.gateway, r.timeout).await;
    let Some(stream) = stream else {
        let how = attempt.detail.unwrap_or_else(|| format!("{:?}", attempt.outcome));
        return Err(ended(step, &format!("no TCP connection to {}: {how}", t.gateway)));
    };
    let (tls_ev, _, s) = tls::handshake_alpn(stream, &t.gateway_name, r.timeout, &[b"http/1.1"]).await;
    let Some(s) = s else { return Err(ended(step, &format!("TLS handshake failed: {:?}", tls_ev.outcome))) };
    r.record(
        step,
        began,
        None,
        None,
        None,
        format!("TCP and TLS to {} ({})", t.gateway, tls_ev.version.as_deref().unwrap_or("?")),
    );
    Ok(Channel { name, s, buf: Vec::new(), ws: None })
}

/// The request head for `method` on this channel.
fn request(
    t: &TunnelTarget,
    method: &str,
    connection_id: &str,
    auth: Option<Authorization>,
    chunked: bool,
    websocket_key: Option<&str>,
) -> Vec<u8> {
    GatewayRequest {
        method: method.to_owned(),
        path: gateway_http::RDG_PATH.to_owned(),
        host: crate::gateway::host_header(&t.gateway_name, t.gateway_port),
        connection_id: connection_id.to_owned(),
        websocket_key: websocket_key.map(str::to_owned),
        authorization: auth,
        chunked,
    }
    .encode()
}

/// NTLM over HTTP on one channel: NEGOTIATE → 401 + CHALLENGE → AUTHENTICATE → 200. Returns the final head.
async fn authenticate(
    r: &mut Run,
    t: &TunnelTarget,
    ch: &mut Channel,
    method: &'static str,
    connection_id: &str,
    creds: &Credentials,
    websocket_key: Option<&str>,
) -> Result<ResponseHead, O> {
    let mut ntlm = NtlmClient::new(creds).map_err(|error| O::Local { error })?;
    let negotiate = ntlm.step(None).map_err(|error| O::Local { error })?;
    let step = if ch.name == "OUT" { "OUT NTLM NEGOTIATE" } else { "IN NTLM NEGOTIATE" };
    r.step = step;
    let began = r.now();
    let req = request(t, method, connection_id, Some(Authorization::new("NTLM", &negotiate)), false, websocket_key);
    ch.send(step, &req, r.timeout).await?;
    let head = ch.head(step, r.timeout).await?;
    let facts = gateway_http::facts(&head, &[]);
    let challenge = gateway_http::auth_challenge(&head, "NTLM");
    r.record(
        step,
        began,
        Some(head.status),
        None,
        None,
        format!(
            "{method} with an NTLM NEGOTIATE ({} bytes) → {} {}{}",
            negotiate.len(),
            head.status,
            head.reason,
            challenge.as_ref().map(|c| format!(", NTLM CHALLENGE ({} bytes)", c.len())).unwrap_or_default()
        ),
    );
    let Some(challenge) = challenge.filter(|_| head.status == 401) else {
        return Err(O::NoNtlmChallenge {
            channel: method.to_owned(),
            status: head.status,
            schemes: facts.auth_schemes,
        });
    };
    ch.skip_body(step, &head, r.timeout).await?;
    let authenticate = ntlm.step(Some(&challenge)).map_err(|error| O::Local { error })?;
    let step = if ch.name == "OUT" { "OUT NTLM AUTHENTICATE" } else { "IN NTLM AUTHENTICATE" };
    r.step = step;
    let began = r.now();
    let req = request(t, method, connection_id, Some(Authorization::new("NTLM", &authenticate)), false, websocket_key);
    drop(authenticate);
    ch.send(step, &req, r.timeout).await?;
    let head = ch.head(step, r.timeout).await?;
    let framing = gateway_http::facts(&head, &[]).framing;
    r.record(
        step,
        began,
        Some(head.status),
        None,
        None,
        format!("{method} with the NTLM AUTHENTICATE → {} {} ({})", head.status, head.reason, framing_words(&framing)),
    );
    match head.status {
        200 => Ok(head),
        101 if websocket_key.is_some() => Ok(head),
        401 => Err(O::CredentialsRejected { channel: method.to_owned() }),
        s => Err(O::HttpStatus { channel: method.to_owned(), status: s, reason: head.reason.clone() }),
    }
}

/// Sends one packet as a chunk on the IN channel and records it.
async fn send_packet(r: &mut Run, ch: &mut Channel, name: &'static str, p: &Packet) -> Result<(), O> {
    r.step = name;
    let began = r.now();
    let bytes = p.encode();
    ch.send_packet(name, &bytes, r.timeout).await?;
    r.record(name, began, None, None, Some(hex_prefix(&bytes, QUOTE)), format!("{} bytes", bytes.len()));
    Ok(())
}

/// The answer to a request: the next packet that is not a service message, recorded.
async fn answer(r: &mut Run, out: &mut Channel, name: &'static str) -> Result<Packet, O> {
    r.step = name;
    let began = r.now();
    loop {
        let (p, raw) = out.packet(name, r.timeout).await?;
        if let Packet::Other { packet_type: tsgu::packet_type::SERVICE_MESSAGE, body } = &p {
            if r.ev.messages.len() < MAX_MESSAGES {
                r.ev.messages.push(String::from_utf8_lossy(&utf16_text(body)).chars().take(200).collect());
            }
            continue;
        }
        let hr = p.hresult();
        let what = tsgu_name(p.packet_type());
        r.record(name, began, None, hr, Some(hex_prefix(&raw, QUOTE)), format!("{what}, {} bytes", raw.len()));
        if let Packet::Close { status_code, .. } = p {
            return Err(O::Refused { step: format!("{what} (instead of {name})"), hresult: status_code });
        }
        return Ok(p);
    }
}

/// A service message body (cbLen u16 + UTF-16LE) as UTF-8 bytes.
fn utf16_text(body: &[u8]) -> Vec<u8> {
    let units: Vec<u16> = body
        .get(2..)
        .unwrap_or_default()
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c.first().copied().unwrap_or(0), c.get(1).copied().unwrap_or(0)]))
        .take_while(|u| *u != 0)
        .collect();
    String::from_utf16_lossy(&units).into_bytes()
}

/// The spec name of a packet type.
fn tsgu_name(t: u16) -> String {
    use tsgu::packet_type as p;
    match t {
        p::HANDSHAKE_RESPONSE => "HTTP_HANDSHAKE_RESPONSE".into(),
        p::TUNNEL_RESPONSE => "HTTP_TUNNEL_RESPONSE".into(),
        p::TUNNEL_AUTH_RESPONSE => "HTTP_TUNNEL_AUTH_RESPONSE".into(),
        p::CHANNEL_RESPONSE => "HTTP_CHANNEL_RESPONSE".into(),
        p::DATA => "HTTP_DATA_PACKET".into(),
        p::CLOSE_CHANNEL => "HTTP_CLOSE_CHANNEL".into(),
        p::CLOSE_CHANNEL_RESPONSE => "HTTP_CLOSE_CHANNEL_RESPONSE".into(),
        other => format!("packet type 0x{other:04X}"),
    }
}

/// A response's framing in words.
fn framing_words(f: &Framing) -> String {
    match f {
        Framing::ContentLength(n) => format!("Content-Length {n}"),
        Framing::Chunked => "chunked".to_owned(),
        Framing::CloseDelimited => "no length: the body runs to the close".to_owned(),
        Framing::Invalid(v) => format!("invalid Content-Length {v:?}"),
    }
}

fn unexpected(name: &str, p: &Packet) -> O {
    O::Malformed { step: name.to_owned(), error: format!("expected {name}, got {}", tsgu_name(p.packet_type())) }
}

/// A failure HRESULT stops the run (S_OK, and at TUNNEL_AUTH E_PROXY_QUARANTINE_ACCESSDENIED, which MS-TSGU
/// 3.7.5.2.7 lets the session continue with, do not).
fn check_hr(name: &str, hr: u32, allowed: &[u32]) -> Result<(), O> {
    if hr == 0 || allowed.contains(&hr) { Ok(()) } else { Err(O::Refused { step: name.to_owned(), hresult: hr }) }
}

/// Where client packets go: the IN channel of the HTTP transport, or the one WebSocket connection.
fn tx<'a>(inn: &'a mut Option<Channel>, out: &'a mut Channel) -> &'a mut Channel {
    match inn {
        Some(c) => c,
        None => out,
    }
}

async fn drive(r: &mut Run, t: &TunnelTarget, creds: &Credentials) -> Result<(), O> {
    let connection_id = gateway_http::guid_braced(crate::gateway::nonce());
    // OUT channel.
    r.step = "OUT connect";
    let mut out = connect(r, t, "OUT").await?;
    let key = gateway_http::websocket_key(crate::gateway::nonce());
    let head = authenticate(r, t, &mut out, "RDG_OUT_DATA", &connection_id, creds, Some(&key)).await?;
    let mut inn: Option<Channel> = None;
    if head.status == 101 {
        // WebSocket transport (MS-TSGU 2.2.5.3.2): one connection, packets in binary frames.
        r.step = "OUT WebSocket";
        let began = r.now();
        let expected = gateway_http::websocket_accept(&key);
        let got = head.header("sec-websocket-accept").map(str::trim).unwrap_or_default().to_owned();
        if got != expected {
            return Err(O::Malformed {
                step: "OUT WebSocket".to_owned(),
                error: format!("Sec-WebSocket-Accept {got:?}, expected {expected:?} (RFC 6455 4.2.2)"),
            });
        }
        let n = crate::gateway::nonce();
        out.ws = Some((Vec::new(), u32::from_be_bytes([n[0], n[1], n[2], n[3]])));
        r.ev.transport = Some("WebSocket".to_owned());
        r.record(
            "OUT WebSocket",
            began,
            Some(101),
            None,
            None,
            "101 Switching Protocols with a valid Sec-WebSocket-Accept: MS-TSGU packets in WebSocket binary frames on this one connection".to_owned(),
        );
    } else {
        r.ev.transport = Some("HTTP".to_owned());
        r.step = "OUT seed";
        let began = r.now();
        let deadline = tokio::time::Instant::now() + r.timeout;
        while out.buf.len() < SEED_LEN {
            out.fill("OUT seed", deadline, SEED_LEN.max(4096)).await?;
        }
        let seed: Vec<u8> = out.buf.drain(..SEED_LEN).collect();
        r.record(
            "OUT seed",
            began,
            None,
            None,
            Some(hex_prefix(&seed, QUOTE)),
            format!("{SEED_LEN} seed bytes skipped"),
        );
        // IN channel, same address, same connection ID.
        r.step = "IN connect";
        let mut ch = connect(r, t, "IN").await?;
        let head = authenticate(r, t, &mut ch, "RDG_IN_DATA", &connection_id, creds, None).await?;
        if let Ok(http::BodyFraming::ContentLength(n)) = head.framing() {
            let n = usize::try_from(n.min(MAX_BODY)).unwrap_or(0).min(ch.buf.len());
            ch.buf.drain(..n);
        }
        r.step = "IN stream";
        let began = r.now();
        ch.send("IN stream", &request(t, "RDG_IN_DATA", &connection_id, None, true, None), r.timeout).await?;
        r.record("IN stream", began, None, None, None, "RDG_IN_DATA head with Transfer-Encoding: chunked".to_owned());
        inn = Some(ch);
    }

    // MS-TSGU 3.7.5: handshake, tunnel, tunnel authorization, channel.
    send_packet(
        r,
        tx(&mut inn, &mut out),
        "HTTP_HANDSHAKE_REQUEST",
        &Packet::HandshakeRequest(tsgu::HandshakeRequest::default()),
    )
    .await?;
    match answer(r, &mut out, "HTTP_HANDSHAKE_RESPONSE").await? {
        Packet::HandshakeResponse(h) => check_hr("HTTP_HANDSHAKE_RESPONSE", h.error_code, &[])?,
        p => return Err(unexpected("HTTP_HANDSHAKE_RESPONSE", &p)),
    }
    let create = tsgu::TunnelCreate {
        caps_flags: CAPS,
        fields_present: 0,
        reserved: 0,
        reauth_tunnel_context: None,
        paa_cookie: None,
    };
    send_packet(r, tx(&mut inn, &mut out), "HTTP_TUNNEL_PACKET", &Packet::TunnelCreate(create)).await?;
    match answer(r, &mut out, "HTTP_TUNNEL_RESPONSE").await? {
        Packet::TunnelResponse(p) => {
            r.ev.tunnel_id = p.tunnel_id;
            if let Some(m) = p.consent_message {
                r.ev.messages.push(m.chars().take(200).collect());
            }
            check_hr("HTTP_TUNNEL_RESPONSE", p.status_code, &[])?;
        }
        p => return Err(unexpected("HTTP_TUNNEL_RESPONSE", &p)),
    }
    let auth = tsgu::TunnelAuth { fields_present: 0, client_name: CLIENT_NAME.to_owned(), statement_of_health: None };
    send_packet(r, tx(&mut inn, &mut out), "HTTP_TUNNEL_AUTH_PACKET", &Packet::TunnelAuth(auth)).await?;
    match answer(r, &mut out, "HTTP_TUNNEL_AUTH_RESPONSE").await? {
        Packet::TunnelAuthResponse(p) => {
            r.ev.idle_timeout_minutes = p.idle_timeout;
            check_hr("HTTP_TUNNEL_AUTH_RESPONSE", p.error_code, &[0x8007_59ED])?;
        }
        p => return Err(unexpected("HTTP_TUNNEL_AUTH_RESPONSE", &p)),
    }
    let channel =
        tsgu::ChannelCreate { port: t.port, protocol: 3, resources: vec![t.host.clone()], alt_resources: vec![] };
    send_packet(r, tx(&mut inn, &mut out), "HTTP_CHANNEL_PACKET", &Packet::ChannelCreate(channel)).await?;
    match answer(r, &mut out, "HTTP_CHANNEL_RESPONSE").await? {
        Packet::ChannelResponse(p) => {
            r.ev.channel_id = p.channel_id;
            r.ev.udp_port = p.udp_port;
            check_hr("HTTP_CHANNEL_RESPONSE", p.error_code, &[])?;
        }
        p => return Err(unexpected("HTTP_CHANNEL_RESPONSE", &p)),
    }

    // The target's X.224 answer through the channel, then a polite close.
    r.step = "X.224 through the tunnel";
    let began = r.now();
    let x224 = x224_through(&mut inn, &mut out, t, r.timeout).await;
    let answer = match &x224.outcome {
        rdp_doctor_core::evidence::X224Outcome::Confirm { .. } => "a Connection Confirm".to_owned(),
        other => format!("{other:?}"),
    };
    r.record(
        "X.224 through the tunnel",
        began,
        None,
        None,
        None,
        format!("Connection Request in DATA packets → {answer}"),
    );
    r.ev.x224 = Some(x224);
    r.step = "HTTP_CLOSE_CHANNEL";
    let began = r.now();
    let close = Packet::Close { packet_type: tsgu::packet_type::CLOSE_CHANNEL, status_code: 0 };
    if tx(&mut inn, &mut out).send_packet("HTTP_CLOSE_CHANNEL", &close.encode(), r.timeout).await.is_ok() {
        let wait = r.timeout.min(Duration::from_secs(1));
        let detail = match out.packet("HTTP_CLOSE_CHANNEL_RESPONSE", wait).await {
            Ok((p, _)) => format!("answered with {}", tsgu_name(p.packet_type())),
            Err(_) => "no answer within 1 s".to_owned(),
        };
        r.record("HTTP_CLOSE_CHANNEL", began, None, None, None, detail);
    }
    if let Some(ch) = inn.as_mut() {
        let _ = tokio::time::timeout(Duration::from_millis(200), ch.s.shutdown()).await;
    }
    let _ = tokio::time::timeout(Duration::from_millis(200), out.s.shutdown()).await;
    Ok(())
}

/// Runs [`crate::x224::exchange`] on one end of an in-memory pipe while the other end is carried in DATA
/// packets: sent with [`tx`] (chunks on the IN channel, or frames on the WebSocket connection), read from
/// `out`. A CLOSE_CHANNEL from the gateway or a broken channel closes the pipe, which the exchange reports
/// as a close.
async fn x224_through(
    inn: &mut Option<Channel>,
    out: &mut Channel,
    t: &TunnelTarget,
    timeout: Duration,
) -> rdp_doctor_core::evidence::X224Evidence {
    let (mut near, mut far) = tokio::io::duplex(16 * 1024);
    let exchange = crate::x224::exchange(&mut near, t.requested, t.cookie.clone(), timeout);
    let pump = async {
        let mut buf = vec![0u8; 8192];
        loop {
            // The select ends (dropping the read on `out`) before the answer is sent, so both transports,
            // where client packets and answers may share one connection, use the same loop.
            let got = tokio::select! {
                n = far.read(&mut buf) => Err(n),
                p = out.packet("DATA", timeout.saturating_mul(2)) => Ok(p),
            };
            match got {
                Err(Ok(n)) if n > 0 => {
                    let data = Packet::Data(buf.get(..n).unwrap_or_default().to_vec()).encode();
                    if tx(inn, out).send_packet("DATA", &data, timeout).await.is_err() {
                        break;
                    }
                }
                Err(_) => break,
                Ok(Ok((Packet::Data(d), _))) => {
                    if far.write_all(&d).await.is_err() {
                        break;
                    }
                }
                Ok(Ok((Packet::Other { .. }, _))) => {}
                Ok(_) => break,
            }
        }
        let _ = far.shutdown().await;
        std::future::pending::<()>().await;
    };
    tokio::pin!(exchange);
    tokio::select! {
        x = &mut exchange => x,
        () = pump => unreachable_pending(),
    }
}

/// The pump never finishes (it ends in `pending`); this only satisfies the type.
fn unreachable_pending() -> rdp_doctor_core::evidence::X224Evidence {
    rdp_doctor_core::evidence::X224Evidence {
        requested_protocols: 0,
        requested_names: vec![],
        cookie_sent: false,
        request_hex: String::new(),
        response_hex: String::new(),
        outcome: rdp_doctor_core::evidence::X224Outcome::IoError { error: "tunnel pump ended".to_owned() },
        duration_ms: 0.0,
        timeout_ms: 0,
    }
}
