//! The scripted gateway's tunnel side (the `Tunnel*` faults of [`crate::GatewayFault`]): NTLM over HTTP
//! with sspi's NTLM server and one test account, the two-channel HTTP transport (MS-TSGU 3.3.5.1), and the
//! MS-TSGU packets (2.2.10) answered from a script: S_OK, or the HRESULT a fault names at the step it names.
//! A created channel relays DATA packets to a real RDP server when one is given (the testserver's IronRDP
//! acceptor), so the X.224 answer through the tunnel is real. Still a scripted peer: no policies, no DNS,
//! one account. The WebSocket transport (MS-TSGU 2.2.5.3.2: `101 Switching Protocols`, then the packets in
//! binary frames on the one connection) only with [`GatewayFault::TunnelWebsocket`]; otherwise an
//! authenticated upgrade request is answered 200, as a legacy-only gateway does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ironrdp_connector::sspi::{self, Sspi as _};
use rdp_doctor_proto::http::{self, Head as _};
use rdp_doctor_proto::tsgu::{self, Packet};
use rdp_doctor_proto::websocket;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_rustls::server::TlsStream;

use crate::gateway::{GatewayFault, read_request, request_line};

/// The gateway's test account: any `DOMAIN\user` with this password (sspi's NTLM server compares the
/// password; the name only enters the NTLMv2 hash).
pub const GATEWAY_USER: &str = "LAB\\alice";
/// The test account's password (a throwaway test value).
pub const GATEWAY_PASSWORD: &str = "Gw-pass-1";
/// The seed after the OUT channel's 200 (Windows Server 2019 sends `ab cd` five times, per rdpgw).
const SEED: [u8; 10] = [0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd];
/// How long an OUT channel waits for its IN channel.
const PAIR_WAIT: Duration = Duration::from_secs(10);

/// IN channels waiting for their OUT channel, by RDG-Connection-Id.
pub(crate) type Pairs = Arc<Mutex<HashMap<String, oneshot::Sender<(TlsStream<TcpStream>, Vec<u8>)>>>>;

type Log = Mutex<Vec<String>>;

fn note(log: &Log, line: String) {
    if let Ok(mut l) = log.lock() {
        l.push(line);
    }
}

const IIS: &str = "Microsoft-HTTPAPI/2.0";

/// One connection's NTLM server state.
struct NtlmServer {
    ntlm: sspi::Ntlm,
    handle: Option<sspi::AuthIdentityBuffers>,
}

impl NtlmServer {
    fn new() -> Option<Self> {
        let identity = sspi::AuthIdentity {
            username: sspi::Username::parse(GATEWAY_USER).ok()?,
            password: GATEWAY_PASSWORD.to_owned().into(),
        };
        let mut ntlm = sspi::Ntlm::new();
        let acquired = ntlm
            .acquire_credentials_handle()
            .with_credential_use(sspi::CredentialUse::Inbound)
            .with_auth_data(&identity)
            .execute(&mut ntlm)
            .ok()?;
        Some(Self { ntlm, handle: acquired.credentials_handle })
    }

    /// Accepts one client message: the CHALLENGE for a NEGOTIATE, `Ok(None)` when an AUTHENTICATE checks
    /// out, `Err` when it does not.
    fn accept(&mut self, token: Vec<u8>) -> Result<Option<Vec<u8>>, String> {
        let mut input = vec![sspi::SecurityBuffer::new(token, sspi::BufferType::Token)];
        let mut output = vec![sspi::SecurityBuffer::new(Vec::new(), sspi::BufferType::Token)];
        let result = self
            .ntlm
            .accept_security_context()
            .with_credentials_handle(&mut self.handle)
            .with_context_requirements(sspi::ServerRequestFlags::empty())
            .with_target_data_representation(sspi::DataRepresentation::Native)
            .with_input(&mut input)
            .with_output(&mut output)
            .execute(&mut self.ntlm)
            .map_err(|e| e.to_string())?
            .resolve_to_result()
            .map_err(|e| e.to_string())?;
        match result.status {
            sspi::SecurityStatus::ContinueNeeded => {
                Ok(Some(output.into_iter().next().map(|b| b.buffer).unwrap_or_default()))
            }
            sspi::SecurityStatus::CompleteNeeded | sspi::SecurityStatus::CompleteAndContinue => {
                self.ntlm.complete_auth_token(&mut []).map_err(|e| e.to_string())?;
                Ok(None)
            }
            sspi::SecurityStatus::Ok => Ok(None),
            other => Err(format!("{other:?}")),
        }
    }
}

fn response(status: &str, extra: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status}\r\nServer: {IIS}\r\n{extra}Content-Length: 0\r\n\r\n").into_bytes()
}

/// Serves one connection of a tunnel-mode gateway: 401 to unauthenticated requests (as the healthy
/// gateway), the NTLM legs, then the OUT or IN channel.
pub(crate) async fn serve(
    mut tls: TlsStream<TcpStream>,
    fault: GatewayFault,
    log: &Log,
    pairs: &Pairs,
    relay: Option<SocketAddr>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut ntlm: Option<NtlmServer> = None;
    loop {
        let Some(head) = read_request(&mut tls, &mut buf).await? else { return Ok(()) };
        note(log, request_line(&head));
        let token = head
            .header("authorization")
            .and_then(|a| a.strip_prefix("NTLM ").or_else(|| a.strip_prefix("ntlm ")))
            .and_then(|t| {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.decode(t.trim()).ok()
            });
        let Some(token) = token else {
            tls.write_all(&response(
                "401 Unauthorized",
                "WWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\nWWW-Authenticate: Basic realm=\"gw.lab.test\"\r\n",
            ))
            .await?;
            continue;
        };
        let server = match ntlm.as_mut() {
            Some(s) => s,
            None => ntlm.insert(NtlmServer::new().ok_or_else(|| std::io::Error::other("NTLM server"))?),
        };
        match server.accept(token) {
            Ok(Some(challenge)) => {
                use base64::Engine as _;
                let b64 = base64::engine::general_purpose::STANDARD.encode(challenge);
                tls.write_all(&response("401 Unauthorized", &format!("WWW-Authenticate: NTLM {b64}\r\n"))).await?;
            }
            Err(e) => {
                note(log, format!("NTLM AUTHENTICATE rejected ({e})"));
                tls.write_all(&response(
                    "401 Unauthorized",
                    "WWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\nConnection: close\r\n",
                ))
                .await?;
                let _ = tls.shutdown().await;
                return Ok(());
            }
            Ok(None) => {
                note(log, "NTLM AUTHENTICATE accepted".to_owned());
                let id = head.header("rdg-connection-id").unwrap_or_default().to_owned();
                if fault == GatewayFault::TunnelWebsocket
                    && head.has_token("upgrade", "websocket")
                    && let Some(key) = head.header("sec-websocket-key")
                {
                    let accept = rdp_doctor_proto::gateway_http::websocket_accept(key);
                    tls.write_all(
                        format!(
                            "HTTP/1.1 101 Switching Protocols\r\nServer: {IIS}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
                        )
                        .as_bytes(),
                    )
                    .await?;
                    tls.flush().await?;
                    note(log, "WebSocket 101".to_owned());
                    let (rd, wr) = tokio::io::split(tls);
                    let inn = InStream { rd: Box::new(rd), ws: true, raw: buf, packets: Vec::new() };
                    let out = Out { wr: Box::new(wr), ws: true };
                    return answer_packets(inn, out, fault, log, relay).await;
                }
                return if head.method == "RDG_IN_DATA" {
                    in_channel(tls, buf, id, log, pairs).await
                } else {
                    let mut ok = format!("HTTP/1.1 200 OK\r\nServer: {IIS}\r\n\r\n").into_bytes();
                    ok.extend_from_slice(&SEED);
                    tls.write_all(&ok).await?;
                    tls.flush().await?;
                    out_channel(tls, id, fault, log, pairs, relay).await
                };
            }
        }
    }
}

/// The IN channel: 200, the client's streaming head (chunked), then the stream goes to its OUT channel.
async fn in_channel(
    mut tls: TlsStream<TcpStream>,
    mut buf: Vec<u8>,
    id: String,
    log: &Log,
    pairs: &Pairs,
) -> std::io::Result<()> {
    tls.write_all(&response("200 OK", "")).await?;
    tls.flush().await?;
    let Some(head) = read_request(&mut tls, &mut buf).await? else { return Ok(()) };
    let chunked = head.has_token("transfer-encoding", "chunked");
    note(log, format!("{} {} stream chunked={chunked}", head.method, head.path));
    let waiting = pairs.lock().ok().and_then(|mut p| p.remove(&id));
    match waiting {
        Some(tx) => {
            let _ = tx.send((tls, buf));
        }
        None => note(log, format!("IN channel {id} has no OUT channel (event 210)")),
    }
    Ok(())
}

/// Reads MS-TSGU packets from the IN channel's chunks, or from WebSocket binary frames.
struct InStream {
    rd: Box<dyn AsyncRead + Unpin + Send>,
    ws: bool,
    raw: Vec<u8>,
    packets: Vec<u8>,
}

/// Writes MS-TSGU packets on the OUT channel as they are, or in WebSocket binary frames (unmasked: server).
struct Out {
    wr: Box<dyn AsyncWrite + Unpin + Send>,
    ws: bool,
}

impl Out {
    async fn send(&mut self, packet: &[u8]) -> std::io::Result<()> {
        if self.ws {
            self.wr.write_all(&websocket::encode(websocket::opcode::BINARY, packet, None)).await?;
        } else {
            self.wr.write_all(packet).await?;
        }
        self.wr.flush().await
    }

    async fn close(&mut self) {
        let _ = self.wr.shutdown().await;
    }
}

impl InStream {
    async fn packet(&mut self) -> Option<Packet> {
        let mut chunk = [0u8; 8192];
        loop {
            if let Ok(Some((p, used))) = tsgu::decode(&self.packets) {
                self.packets.drain(..used.min(self.packets.len()));
                return Some(p);
            }
            if self.ws {
                match websocket::decode(&self.raw) {
                    Ok(Some((f, used))) => {
                        self.raw.drain(..used.min(self.raw.len()));
                        if f.opcode == websocket::opcode::CLOSE {
                            return None;
                        }
                        if matches!(f.opcode, websocket::opcode::BINARY | websocket::opcode::CONTINUATION) {
                            self.packets.extend_from_slice(&f.payload);
                        }
                        continue;
                    }
                    Ok(None) => {}
                    Err(_) => return None,
                }
            } else {
                match http::decode_chunk(&self.raw) {
                    Ok(Some((data, used))) => {
                        let bytes = self.raw.get(data).unwrap_or_default().to_vec();
                        self.packets.extend_from_slice(&bytes);
                        self.raw.drain(..used.min(self.raw.len()));
                        continue;
                    }
                    Ok(None) => {}
                    Err(_) => return None,
                }
            }
            let n = self.rd.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            self.raw.extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
    }
}

/// The OUT channel: waits for its IN channel, then answers the client's packets on OUT.
async fn out_channel(
    out: TlsStream<TcpStream>,
    id: String,
    fault: GatewayFault,
    log: &Log,
    pairs: &Pairs,
    relay: Option<SocketAddr>,
) -> std::io::Result<()> {
    let (tx, rx) = oneshot::channel();
    if let Ok(mut p) = pairs.lock() {
        p.insert(id, tx);
    }
    let Ok(Ok((tls, raw))) = tokio::time::timeout(PAIR_WAIT, rx).await else { return Ok(()) };
    let inn = InStream { rd: Box::new(tls), ws: false, raw, packets: Vec::new() };
    answer_packets(inn, Out { wr: Box::new(out), ws: false }, fault, log, relay).await
}

/// Answers the client's MS-TSGU packets (from the IN channel or WebSocket frames) on `out`.
async fn answer_packets(
    mut inn: InStream,
    mut out: Out,
    fault: GatewayFault,
    log: &Log,
    relay: Option<SocketAddr>,
) -> std::io::Result<()> {
    let mut target: Option<TcpStream> = None;
    let refusal = |at: u16| match fault {
        GatewayFault::TunnelCreateRefused(hr) if at == tsgu::packet_type::TUNNEL_CREATE => hr,
        GatewayFault::TunnelAuthRefused(hr) if at == tsgu::packet_type::TUNNEL_AUTH => hr,
        GatewayFault::ChannelRefused(hr) if at == tsgu::packet_type::CHANNEL_CREATE => hr,
        _ => 0,
    };
    while let Some(p) = inn.packet().await {
        match fault {
            // Hostile peers: the client's deadlines and length bounds must end the run, not the peer.
            GatewayFault::TunnelSilent => {
                note(log, "TSGU request ignored (silent gateway)".to_owned());
                continue;
            }
            GatewayFault::TunnelGarbage => {
                note(log, "TSGU answered with a 4 GiB packet header".to_owned());
                // PACKET_HEADER: packetType HANDSHAKE_RESPONSE, reserved, packetLength 0xFFFFFFF0.
                let mut bytes = vec![0x02, 0x00, 0x00, 0x00, 0xf0, 0xff, 0xff, 0xff];
                bytes.extend(std::iter::repeat_n(0xa5, 4096));
                out.send(&bytes).await?;
                continue;
            }
            _ => {}
        }
        let answer = match p {
            Packet::HandshakeRequest(h) => {
                note(log, format!("TSGU HTTP_HANDSHAKE_REQUEST extendedAuth {:#x}", h.extended_auth));
                Packet::HandshakeResponse(tsgu::HandshakeResponse {
                    error_code: 0,
                    ver_major: 1,
                    ver_minor: 0,
                    server_version: 0,
                    extended_auth: 0,
                })
            }
            Packet::TunnelCreate(t) => {
                note(log, format!("TSGU HTTP_TUNNEL_PACKET caps {:#x}", t.caps_flags));
                let hr = refusal(tsgu::packet_type::TUNNEL_CREATE);
                let ok = hr == 0;
                Packet::TunnelResponse(tsgu::TunnelResponse {
                    server_version: 1,
                    status_code: hr,
                    fields_present: if ok { tsgu::fields::TUNNEL_RESPONSE_TUNNEL_ID } else { 0 },
                    reserved: 0,
                    tunnel_id: ok.then_some(1),
                    caps: None,
                    soh_request: None,
                    consent_message: None,
                })
            }
            Packet::TunnelAuth(a) => {
                note(log, format!("TSGU HTTP_TUNNEL_AUTH_PACKET client {}", a.client_name));
                Packet::TunnelAuthResponse(tsgu::TunnelAuthResponse {
                    error_code: refusal(tsgu::packet_type::TUNNEL_AUTH),
                    fields_present: 0,
                    reserved: 0,
                    redir_flags: None,
                    idle_timeout: None,
                    soh_response: None,
                })
            }
            Packet::ChannelCreate(c) => {
                note(log, format!("TSGU HTTP_CHANNEL_PACKET {}:{}", c.resources.join(","), c.port));
                let mut hr = refusal(tsgu::packet_type::CHANNEL_CREATE);
                if hr == 0
                    && let Some(addr) = relay
                {
                    match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await {
                        Ok(Ok(s)) => target = Some(s),
                        // E_PROXY_TS_CONNECTFAILED: the scripted gateway could not reach its relay target.
                        _ => hr = 0x8007_59DD,
                    }
                }
                let ok = hr == 0;
                Packet::ChannelResponse(tsgu::ChannelResponse {
                    error_code: hr,
                    fields_present: if ok { tsgu::fields::CHANNEL_RESPONSE_CHANNELID } else { 0 },
                    reserved: 0,
                    channel_id: ok.then_some(1),
                    udp_port: None,
                    authn_cookie: None,
                })
            }
            Packet::Data(d) => {
                note(log, format!("TSGU HTTP_DATA_PACKET {} bytes", d.len()));
                if let Some(t) = target.take() {
                    return relay_data(inn, out, t, d, log).await;
                }
                continue;
            }
            Packet::Close { status_code, .. } => {
                note(log, format!("TSGU HTTP_CLOSE_PACKET status {status_code:#x}"));
                let r = Packet::Close { packet_type: tsgu::packet_type::CLOSE_CHANNEL_RESPONSE, status_code: 0 };
                out.send(&r.encode()).await?;
                out.close().await;
                return Ok(());
            }
            Packet::Keepalive => continue,
            other => {
                note(log, format!("TSGU packet type {:#x}", other.packet_type()));
                continue;
            }
        };
        out.send(&answer.encode()).await?;
    }
    Ok(())
}

/// Relays DATA packets between the client's channels and the target, starting with `first`.
async fn relay_data(
    mut inn: InStream,
    mut out: Out,
    target: TcpStream,
    first: Vec<u8>,
    log: &Log,
) -> std::io::Result<()> {
    let (mut rd, mut wr) = target.into_split();
    wr.write_all(&first).await?;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            n = rd.read(&mut buf) => {
                let n = n?;
                if n == 0 {
                    let c = Packet::Close { packet_type: tsgu::packet_type::CLOSE_CHANNEL, status_code: 0 };
                    out.send(&c.encode()).await?;
                    return Ok(());
                }
                out.send(&Packet::Data(buf.get(..n).unwrap_or_default().to_vec()).encode()).await?;
            }
            p = inn.packet() => match p {
                Some(Packet::Data(d)) => wr.write_all(&d).await?,
                Some(Packet::Close { status_code, .. }) => {
                    note(log, format!("TSGU HTTP_CLOSE_PACKET status {status_code:#x}"));
                    let r = Packet::Close { packet_type: tsgu::packet_type::CLOSE_CHANNEL_RESPONSE, status_code: 0 };
                    out.send(&r.encode()).await?;
                    out.close().await;
                    return Ok(());
                }
                Some(_) => {}
                None => return Ok(()),
            },
        }
    }
}
