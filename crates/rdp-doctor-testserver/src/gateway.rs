//! A scripted RD Gateway (MS-TSGU HTTP transport) for tests. Debian has no RD Gateway server, so this
//! endpoint answers the way the notes in shared/GATEWAY_UDP_NOTES.md describe a Windows gateway (and the
//! proxies in front of one) answering an unauthenticated client: TLS, then `401` with its schemes to
//! `RDG_OUT_DATA` (with or without the WebSocket upgrade headers) and to `RPC_IN_DATA`. Each
//! [`GatewayFault`] replaces the healthy answer with what a misbehaving proxy or a reconfigured gateway
//! sends. The `Tunnel*` faults add the credentialed side (`gateway_tunnel.rs`): NTLM over HTTP against one
//! test account ([`GATEWAY_USER`] / [`GATEWAY_PASSWORD`]), the two-channel HTTP transport and the MS-TSGU
//! packets, answered S_OK or with the HRESULT the fault names, and with [`ScriptedGateway::start_relay`]
//! a channel that relays to a real RDP server. It is **scripted**, not a gateway: no policies, no name
//! resolution, one account, no WebSocket transport, no RPC over HTTP beyond the 401.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rdp_doctor_proto::http::{self, Head};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

use crate::gateway_tunnel::Pairs;
pub use crate::gateway_tunnel::{GATEWAY_PASSWORD, GATEWAY_USER};
use crate::{CertSpec, TestServerError};

/// What the scripted gateway does wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayFault {
    /// None: 401 with Negotiate, NTLM and Basic and a Content-Length, from `Microsoft-HTTPAPI/2.0`.
    Healthy,
    /// The 401 comes without Content-Length (close-delimited), as a re-framing proxy sends it.
    NoContentLength,
    /// The 401 comes `Transfer-Encoding: chunked` from nginx (`Via` header set).
    Chunked,
    /// The status line says `HTTP/1.0`.
    Http10,
    /// A reverse proxy's `502 Bad Gateway` HTML page.
    Proxy502,
    /// A forward proxy wants its own credentials: `407` with `Proxy-Authenticate`.
    Proxy407,
    /// The WebSocket upgrade is refused by the proxy (`400`), the plain request reaches the gateway.
    WebsocketStripped,
    /// Custom methods are refused with `405 Method Not Allowed` by nginx.
    VerbRejected,
    /// The HTTP transport is off (`404`), RPC over HTTP still answers `401`.
    HttpDisabled,
    /// The connection is closed after the request, with no answer.
    CloseOnRequest,
    /// A gateway that needs no HTTP authentication answers `200` but a buffering proxy holds the seed.
    SeedBuffered,
    /// A healthy gateway with credentials: NTLM, then S_OK to every MS-TSGU request.
    Tunnel,
    /// HTTP_TUNNEL_RESPONSE carries this HRESULT.
    TunnelCreateRefused(u32),
    /// HTTP_TUNNEL_AUTH_RESPONSE carries this HRESULT.
    TunnelAuthRefused(u32),
    /// HTTP_CHANNEL_RESPONSE carries this HRESULT.
    ChannelRefused(u32),
    /// A healthy gateway with the WebSocket transport: NTLM on the upgrade request, `101`, then MS-TSGU in
    /// binary frames on that one connection (S_OK to every request).
    TunnelWebsocket,
    /// Hostile: after NTLM and the OUT channel's 200, the gateway never answers the MS-TSGU handshake.
    TunnelSilent,
    /// Hostile: the handshake is answered with a packet header claiming a ~4 GiB packet, then garbage.
    TunnelGarbage,
}

impl GatewayFault {
    /// Whether this gateway authenticates (NTLM) and speaks MS-TSGU after it.
    pub fn is_tunnel(self) -> bool {
        matches!(
            self,
            Self::Tunnel
                | Self::TunnelWebsocket
                | Self::TunnelCreateRefused(_)
                | Self::TunnelAuthRefused(_)
                | Self::ChannelRefused(_)
                | Self::TunnelSilent
                | Self::TunnelGarbage
        )
    }
}

/// A running scripted gateway; dropping it stops it.
pub struct ScriptedGateway {
    addr: SocketAddr,
    seen: Arc<std::sync::Mutex<Vec<String>>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for ScriptedGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedGateway").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl ScriptedGateway {
    /// Starts the scripted gateway on 127.0.0.1 (ephemeral port) with a certificate made by `cert`.
    pub fn start(fault: GatewayFault, cert: CertSpec) -> Result<Self, TestServerError> {
        Self::start_with(fault, cert, None)
    }

    /// Like [`ScriptedGateway::start`]; a channel the tunnel creates relays its DATA packets to `relay`
    /// (an RDP server), whatever resource the client named.
    pub fn start_relay(fault: GatewayFault, cert: CertSpec, relay: SocketAddr) -> Result<Self, TestServerError> {
        Self::start_with(fault, cert, Some(relay))
    }

    fn start_with(fault: GatewayFault, cert: CertSpec, relay: Option<SocketAddr>) -> Result<Self, TestServerError> {
        let generated = crate::cert::generate(&cert)?;
        let acceptor = crate::tls_acceptor(&generated)?;
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(TestServerError::Runtime)?;
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|source| TestServerError::Bind { addr: SocketAddr::from(([127, 0, 0, 1], 0)), source })?;
        let addr = std_listener.local_addr().map_err(TestServerError::Runtime)?;
        std_listener.set_nonblocking(true).map_err(TestServerError::Runtime)?;
        let listener = {
            let _g = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).map_err(TestServerError::Runtime)?
        };
        let (tx, mut rx) = oneshot::channel::<()>();
        let acceptor = Arc::new(acceptor);
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let pairs: Pairs = Arc::default();
        let thread = std::thread::Builder::new()
            .name(format!("scripted-gateway {addr}"))
            .spawn(move || {
                runtime.block_on(async move {
                    loop {
                        tokio::select! {
                            _ = &mut rx => break,
                            accepted = listener.accept() => {
                                let Ok((stream, _)) = accepted else { continue };
                                let (acceptor, log, pairs) = (acceptor.clone(), log.clone(), pairs.clone());
                                tokio::spawn(async move {
                                    let _ = tokio::time::timeout(
                                        Duration::from_secs(30),
                                        serve(stream, &acceptor, fault, &log, &pairs, relay),
                                    )
                                    .await;
                                });
                            }
                        }
                    }
                });
            })
            .map_err(TestServerError::Runtime)?;
        Ok(Self { addr, seen, shutdown: Some(tx), thread: Some(thread) })
    }

    /// The requests received so far, one line each: method, path, whether they asked for a WebSocket
    /// upgrade, and the authorization scheme used (never its token); in tunnel mode also each NTLM
    /// verdict (`NTLM AUTHENTICATE accepted` / `rejected`) and each MS-TSGU packet (`TSGU HTTP_…`).
    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ScriptedGateway {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What to send for one request.
struct Answer {
    bytes: Vec<u8>,
    /// Close the connection after sending.
    close: bool,
    /// Hold the connection open without sending more (a buffering proxy).
    hold: bool,
}

const IIS: &str = "Microsoft-HTTPAPI/2.0";
const AUTH: &str =
    "WWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\nWWW-Authenticate: Basic realm=\"gw.lab.test\"\r\n";

fn page(status: &str) -> String {
    format!(
        "<html><head><title>{status}</title></head><body><center><h1>{status}</h1></center><hr><center>nginx</center></body></html>"
    )
}

fn answer(fault: GatewayFault, head: &http::RequestHead) -> Answer {
    let plain = |bytes: String| Answer { bytes: bytes.into_bytes(), close: false, hold: false };
    let closing = |bytes: String| Answer { bytes: bytes.into_bytes(), close: true, hold: false };
    let websocket = head.has_token("upgrade", "websocket");
    let rdg = head.path.to_ascii_lowercase().starts_with("/remotedesktopgateway");
    let rpc = head.method.starts_with("RPC_");
    let body = "Unauthorized";
    let ok401 = || {
        plain(format!(
            "HTTP/1.1 401 Unauthorized\r\nServer: {IIS}\r\n{AUTH}Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ))
    };
    match fault {
        GatewayFault::Healthy => ok401(),
        GatewayFault::NoContentLength => closing(format!(
            "HTTP/1.1 401 Unauthorized\r\nServer: {IIS}\r\n{AUTH}Content-Type: text/html\r\nConnection: close\r\n\r\n{}",
            page("401 Unauthorized")
        )),
        GatewayFault::Chunked => plain(format!(
            "HTTP/1.1 401 Unauthorized\r\nServer: nginx/1.22.1\r\nVia: 1.1 gw-proxy\r\n{AUTH}Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
            body.len()
        )),
        GatewayFault::Http10 => closing(format!(
            "HTTP/1.0 401 Unauthorized\r\nServer: {IIS}\r\n{AUTH}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )),
        GatewayFault::Proxy502 => {
            let p = page("502 Bad Gateway");
            closing(format!(
                "HTTP/1.1 502 Bad Gateway\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{p}",
                p.len()
            ))
        }
        GatewayFault::Proxy407 => {
            let p = page("407 Proxy Authentication Required");
            closing(format!(
                "HTTP/1.1 407 Proxy Authentication Required\r\nServer: squid/5.7\r\nVia: 1.1 proxy.lab.test (squid/5.7)\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{p}",
                p.len()
            ))
        }
        GatewayFault::WebsocketStripped if websocket => {
            let p = page("400 Bad Request");
            closing(format!(
                "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{p}",
                p.len()
            ))
        }
        GatewayFault::WebsocketStripped => ok401(),
        GatewayFault::VerbRejected => {
            let p = page("405 Not Allowed");
            closing(format!(
                "HTTP/1.1 405 Not Allowed\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{p}",
                p.len()
            ))
        }
        GatewayFault::HttpDisabled if rdg => {
            let p = "<html><head><title>404 - File or directory not found.</title></head></html>";
            plain(format!(
                "HTTP/1.1 404 Not Found\r\nServer: Microsoft-IIS/10.0\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{p}",
                p.len()
            ))
        }
        GatewayFault::HttpDisabled => ok401(),
        GatewayFault::CloseOnRequest => Answer { bytes: vec![], close: true, hold: false },
        GatewayFault::SeedBuffered if rpc => ok401(),
        GatewayFault::Tunnel
        | GatewayFault::TunnelCreateRefused(_)
        | GatewayFault::TunnelAuthRefused(_)
        | GatewayFault::ChannelRefused(_)
        | GatewayFault::TunnelSilent
        | GatewayFault::TunnelGarbage
        | GatewayFault::TunnelWebsocket => ok401(),
        GatewayFault::SeedBuffered => Answer {
            bytes: format!("HTTP/1.1 200 OK\r\nServer: {IIS}\r\nVia: 1.1 buffering-proxy\r\n\r\n").into_bytes(),
            close: false,
            hold: true,
        },
    }
}

async fn serve(
    stream: tokio::net::TcpStream,
    acceptor: &tokio_rustls::TlsAcceptor,
    fault: GatewayFault,
    log: &std::sync::Mutex<Vec<String>>,
    pairs: &Pairs,
    relay: Option<SocketAddr>,
) -> std::io::Result<()> {
    let mut tls = acceptor.accept(stream).await?;
    if fault.is_tunnel() {
        return crate::gateway_tunnel::serve(tls, fault, log, pairs, relay).await;
    }
    let mut buf = Vec::new();
    loop {
        // One request head (bounded by the parser), then its answer; keep-alive serves the next one.
        let Some(head) = read_request(&mut tls, &mut buf).await? else { return Ok(()) };
        if let Ok(mut l) = log.lock() {
            l.push(request_line(&head));
        }
        let a = answer(fault, &head);
        tls.write_all(&a.bytes).await?;
        tls.flush().await?;
        if a.hold {
            // Send nothing more until the client leaves (the serve deadline ends it otherwise).
            let mut chunk = [0u8; 2048];
            while tls.read(&mut chunk).await? > 0 {}
            return Ok(());
        }
        if a.close {
            let _ = tls.shutdown().await;
            return Ok(());
        }
    }
}

/// Reads one request head from `s` (bounded by the HTTP parser), leaving what follows it in `buf`; `None`
/// when the client closes the connection or sends something that is not HTTP.
pub(crate) async fn read_request<S: tokio::io::AsyncRead + Unpin>(
    s: &mut S,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<http::RequestHead>> {
    let mut chunk = [0u8; 4096];
    loop {
        match http::decode_request(buf) {
            Ok(Some(h)) => {
                buf.drain(..h.head_len.min(buf.len()));
                return Ok(Some(h));
            }
            Ok(None) => {}
            Err(_) => return Ok(None),
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
}

/// The log line for a request: method, path, whether it asks for WebSocket, the Authorization scheme.
pub(crate) fn request_line(head: &http::RequestHead) -> String {
    let scheme = head.header("authorization").and_then(|a| a.split_whitespace().next()).unwrap_or("none");
    let ws = if head.has_token("upgrade", "websocket") { " websocket" } else { "" };
    format!("{} {}{ws} auth={scheme}", head.method, head.path)
}
