//! The X.224 Connection Request / Confirm exchange (MS-RDPBCGR 1.3.1.1, step "Connection Initiation").

use std::time::{Duration, Instant};

use rdp_doctor_core::evidence::{X224Evidence, X224Outcome};
use rdp_doctor_proto::hex::hex_prefix;
use rdp_doctor_proto::nego::SecurityProtocol;
use rdp_doctor_proto::x224::{ConnectionRequestParams, encode_connection_request};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::elapsed_ms;
use crate::tcp::millis;

/// The most we read while waiting for a Connection Confirm (a confirm is 11 or 19 bytes).
pub const MAX_CONFIRM_BYTES: usize = 4096;
/// How many received bytes are quoted in evidence.
const QUOTE: usize = 64;

/// Interprets what has been received so far (shared with the capture reader). `None`: need more bytes.
fn interpret(buf: &[u8]) -> Option<X224Outcome> {
    rdp_doctor_core::interpret::x224_outcome(buf)
}

/// Sends the Connection Request and reads the answer, bounded by `timeout` and [`MAX_CONFIRM_BYTES`].
pub async fn exchange<S>(
    stream: &mut S,
    requested: SecurityProtocol,
    cookie: Option<String>,
    timeout: Duration,
) -> X224Evidence
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let cookie_sent = cookie.is_some();
    let params = ConnectionRequestParams { requested, cookie };
    let start = Instant::now();
    let mut ev = X224Evidence {
        requested_protocols: requested.0,
        requested_names: requested.names(),
        cookie_sent,
        request_hex: String::new(),
        response_hex: String::new(),
        outcome: X224Outcome::NoResponse { received: 0 },
        duration_ms: 0.0,
        timeout_ms: millis(timeout),
    };
    let request = match encode_connection_request(&params) {
        Ok(r) => r,
        Err(e) => {
            ev.outcome = X224Outcome::IoError { error: e.to_string() };
            return ev;
        }
    };
    // The cookie carries a user name: quote the request only when there is none.
    ev.request_hex =
        if cookie_sent { "(contains the mstshash cookie; not quoted)".to_owned() } else { hex_prefix(&request, QUOTE) };
    let mut buf = Vec::with_capacity(64);
    let outcome = tokio::time::timeout(timeout, async {
        if let Err(e) = stream.write_all(&request).await {
            return classify_io(&e, 0);
        }
        let _ = stream.flush().await;
        let mut chunk = [0u8; 1024];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) => {
                    return match interpret(&buf) {
                        Some(o) => o,
                        None if buf.is_empty() => X224Outcome::Closed { received: 0 },
                        None => X224Outcome::Closed { received: buf.len() },
                    };
                }
                Ok(n) => {
                    buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
                    if let Some(o) = interpret(&buf) {
                        return o;
                    }
                    if buf.len() >= MAX_CONFIRM_BYTES {
                        return X224Outcome::Malformed {
                            error: format!("{} bytes received without a complete Connection Confirm", buf.len()),
                        };
                    }
                }
                Err(e) => return classify_io(&e, buf.len()),
            }
        }
    })
    .await;
    ev.duration_ms = elapsed_ms(start);
    ev.outcome = outcome.unwrap_or(X224Outcome::NoResponse { received: buf.len() });
    ev.response_hex = hex_prefix(&buf, QUOTE);
    ev
}

fn classify_io(e: &std::io::Error, received: usize) -> X224Outcome {
    match e.kind() {
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => X224Outcome::Reset { received },
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::BrokenPipe => X224Outcome::Closed { received },
        _ => X224Outcome::IoError { error: e.to_string() },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use rdp_doctor_core::evidence::NegotiationResult;
    use tokio::io::duplex;

    /// Scripted peer: reads the request, answers `reply`, then closes (or stays silent if `hold`).
    async fn scripted(reply: &'static [u8], hold: bool) -> X224Evidence {
        let (mut client, mut server) = duplex(8192);
        let peer = tokio::spawn(async move {
            let mut b = [0u8; 64];
            let _ = server.read(&mut b).await;
            server.write_all(reply).await.unwrap();
            if hold {
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        });
        let ev = exchange(&mut client, SecurityProtocol::DEFAULT_REQUEST, None, Duration::from_millis(300)).await;
        peer.abort();
        ev
    }

    #[tokio::test]
    async fn confirm_with_failure() {
        let ev = scripted(&[3, 0, 0, 19, 14, 0xd0, 0, 0, 0, 0, 0, 3, 0, 8, 0, 5, 0, 0, 0], false).await;
        assert_eq!(
            ev.outcome,
            X224Outcome::Confirm {
                negotiation: NegotiationResult::Failure { code: 5, name: "HYBRID_REQUIRED_BY_SERVER".into() },
                anomalies: vec![]
            }
        );
        assert!(ev.request_hex.starts_with("03 00 00 13 0e e0"));
    }

    #[tokio::test]
    async fn confirm_arriving_in_pieces_and_then_silence() {
        // Partial TPKT then silence: no response within the deadline, bytes kept.
        let ev = scripted(&[3, 0, 0, 19, 14], true).await;
        assert_eq!(ev.outcome, X224Outcome::NoResponse { received: 5 });
        assert_eq!(ev.response_hex, "03 00 00 13 0e");
    }

    #[tokio::test]
    async fn http_server_is_not_rdp() {
        let ev = scripted(b"HTTP/1.1 400 Bad Request\r\n\r\n", false).await;
        assert!(matches!(ev.outcome, X224Outcome::NotRdp { ref guess } if guess.contains("HTTP")), "{:?}", ev.outcome);
    }

    #[tokio::test]
    async fn immediate_close() {
        let ev = scripted(b"", false).await;
        assert_eq!(ev.outcome, X224Outcome::Closed { received: 0 });
    }

    #[tokio::test]
    async fn endless_tpkt_garbage_is_bounded() {
        // A hostile peer announcing a huge TPKT and streaming bytes: we stop at the byte bound or deadline.
        let (mut client, mut server) = duplex(1 << 16);
        let peer = tokio::spawn(async move {
            let mut b = [0u8; 64];
            let _ = server.read(&mut b).await;
            let _ = server.write_all(&[3, 0, 0xff, 0xff]).await;
            loop {
                if server.write_all(&[0u8; 512]).await.is_err() {
                    break;
                }
            }
        });
        let ev = exchange(&mut client, SecurityProtocol::DEFAULT_REQUEST, None, Duration::from_millis(500)).await;
        peer.abort();
        assert!(
            matches!(ev.outcome, X224Outcome::Malformed { .. } | X224Outcome::NoResponse { .. }),
            "{:?}",
            ev.outcome
        );
    }

    #[tokio::test]
    async fn cookie_is_not_quoted() {
        let (mut client, mut server) = duplex(8192);
        let peer = tokio::spawn(async move {
            let mut b = [0u8; 128];
            let n = server.read(&mut b).await.unwrap();
            assert!(String::from_utf8_lossy(&b[..n]).contains("mstshash=alice"));
        });
        let ev =
            exchange(&mut client, SecurityProtocol::DEFAULT_REQUEST, Some("alice".into()), Duration::from_millis(200))
                .await;
        peer.await.unwrap();
        assert!(!ev.request_hex.contains("61 6c 69 63 65"));
        assert!(ev.cookie_sent);
    }
}
