//! The Remote Desktop WebSocket listeners (TCP 3387 plain, 3392 over TLS), probed when asked: TCP reach and
//! the answer to a WebSocket upgrade request. Used by Azure Virtual Desktop / Windows 365 style clients.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rdp_doctor_core::evidence::{TcpOutcome, WsPortEvidence};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::elapsed_ms;

/// The WebSocket listener ports and whether each speaks TLS.
pub const PORTS: [(u16, bool); 2] = [(3387, false), (3392, true)];

/// A fixed, valid Sec-WebSocket-Key (RFC 6455 §4.1: 16 bytes, base64); the probe never upgrades further.
const KEY: &str = "cmRwLWRvY3Rvci1wcm9iZQ==";

async fn upgrade<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S, host: &str, timeout: Duration) -> Option<String> {
    let req = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tokio::time::timeout(timeout, async {
        s.write_all(req.as_bytes()).await.ok()?;
        let mut buf = vec![0u8; 2048];
        let n = s.read(&mut buf).await.ok()?;
        let text = String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned();
        text.lines().next().map(str::to_owned)
    })
    .await
    .ok()
    .flatten()
}

/// Probes both listeners on `ip`.
pub async fn probe(ip: std::net::IpAddr, host: &str, timeout: Duration) -> Vec<WsPortEvidence> {
    let mut out = Vec::new();
    for (port, tls) in PORTS {
        let start = Instant::now();
        let (attempt, stream) = crate::tcp::connect_one(SocketAddr::new(ip, port), timeout).await;
        let mut ev = WsPortEvidence { port, tls, tcp: attempt.outcome, status_line: None, duration_ms: 0.0 };
        if let Some(mut stream) = stream {
            ev.status_line = if tls {
                let (_, _, s) = crate::tls::handshake(stream, host, timeout).await;
                match s {
                    Some(mut s) => upgrade(&mut s, host, timeout).await,
                    None => Some("(TLS handshake failed)".to_owned()),
                }
            } else {
                upgrade(&mut stream, host, timeout).await
            };
        }
        ev.duration_ms = elapsed_ms(start);
        debug_assert!(ev.tcp != TcpOutcome::Connected || ev.duration_ms >= 0.0);
        out.push(ev);
    }
    out
}
