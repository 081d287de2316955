//! TCP connect to each address in turn; the first success wins, every outcome is kept.

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rdp_doctor_core::evidence::{TcpAttempt, TcpEvidence, TcpOutcome};
use tokio::net::TcpStream;

use crate::elapsed_ms;

/// At most this many addresses are tried, so a name with a hundred records cannot stretch the run.
pub const MAX_ADDRESSES: usize = 8;

/// Classifies a connect error the way the finding rules need it.
pub fn classify(err: &std::io::Error) -> TcpOutcome {
    match err.kind() {
        ErrorKind::ConnectionRefused => TcpOutcome::Refused,
        ErrorKind::TimedOut => TcpOutcome::TimedOut,
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable | ErrorKind::AddrNotAvailable => {
            TcpOutcome::Unreachable
        }
        _ => TcpOutcome::Error,
    }
}

/// One attempt, bounded by `timeout`.
pub async fn connect_one(addr: SocketAddr, timeout: Duration) -> (TcpAttempt, Option<TcpStream>) {
    let start = Instant::now();
    let result = tokio::time::timeout(timeout, TcpStream::connect(addr)).await;
    let duration_ms = elapsed_ms(start);
    match result {
        Ok(Ok(stream)) => {
            let _ = stream.set_nodelay(true);
            (TcpAttempt { addr, outcome: TcpOutcome::Connected, duration_ms, detail: None }, Some(stream))
        }
        Ok(Err(e)) => (TcpAttempt { addr, outcome: classify(&e), duration_ms, detail: Some(e.to_string()) }, None),
        Err(_) => (TcpAttempt { addr, outcome: TcpOutcome::TimedOut, duration_ms, detail: None }, None),
    }
}

/// Whether this platform lets us clamp and read a connection's maximum segment size (`TCP_MAXSEG`). Linux
/// does; Windows does not let a program set it (the stack derives the MSS from the interface MTU) and our
/// socket library does not read it there, so on Windows the MTU retry and the MSS of the quality series are
/// stated limitations ([`MSS_LIMITATION`]).
pub const MSS_OPTIONS: bool = cfg!(not(windows));

/// What a report says where [`MSS_OPTIONS`] is false.
pub const MSS_LIMITATION: &str = "The TCP maximum segment size is neither set nor read on Windows (TCP_MAXSEG): \
     a stalled TLS handshake is not retried with a clamped MSS, so an MTU black hole is not told apart from a \
     hung server, and a clamped MSS on the path (net.mss_clamped) is not judged; run the check from Linux for these";

/// Connects with the TCP maximum segment size clamped to `mss` (TCP_MAXSEG set before the SYN), to test
/// whether large segments are lost on the path (an MTU black hole).
#[cfg(not(windows))]
pub async fn connect_with_mss(addr: SocketAddr, mss: u32, timeout: Duration) -> std::io::Result<TcpStream> {
    let domain = socket2::Domain::for_address(addr);
    let socket = socket2::Socket::new(domain, socket2::Type::STREAM, Some(socket2::Protocol::TCP))?;
    socket.set_tcp_mss(mss)?;
    socket.set_nonblocking(true)?;
    let std_stream: std::net::TcpStream = socket.into();
    let tcp = tokio::net::TcpSocket::from_std_stream(std_stream);
    match tokio::time::timeout(timeout, tcp.connect(addr)).await {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(ErrorKind::TimedOut, "connect timed out")),
    }
}

/// Windows: `TCP_MAXSEG` cannot be set ([`MSS_OPTIONS`]).
#[cfg(windows)]
pub async fn connect_with_mss(_addr: SocketAddr, _mss: u32, _timeout: Duration) -> std::io::Result<TcpStream> {
    Err(std::io::Error::new(ErrorKind::Unsupported, "TCP_MAXSEG cannot be set on Windows"))
}

/// The MSS the connection uses after the handshake.
#[cfg(not(windows))]
pub fn mss_of(stream: &TcpStream) -> Option<u32> {
    socket2::SockRef::from(stream).tcp_mss().ok()
}

/// Windows: not read ([`MSS_OPTIONS`]).
#[cfg(windows)]
pub fn mss_of(_stream: &TcpStream) -> Option<u32> {
    None
}

/// Tries `addrs` in order (at most [`MAX_ADDRESSES`]) and stops at the first that accepts.
pub async fn connect_any(addrs: &[IpAddr], port: u16, timeout: Duration) -> (TcpEvidence, Option<TcpStream>) {
    let mut attempts = Vec::new();
    for ip in addrs.iter().take(MAX_ADDRESSES) {
        let (attempt, stream) = connect_one(SocketAddr::new(*ip, port), timeout).await;
        attempts.push(attempt);
        if stream.is_some() {
            return (TcpEvidence { attempts, timeout_ms: millis(timeout) }, stream);
        }
    }
    (TcpEvidence { attempts, timeout_ms: millis(timeout) }, None)
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[tokio::test]
    async fn refused_on_closed_loopback_port() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let (ev, s) = connect_any(&["127.0.0.1".parse().unwrap()], port, Duration::from_secs(2)).await;
        assert!(s.is_none());
        assert_eq!(ev.attempts[0].outcome, TcpOutcome::Refused);
    }

    #[tokio::test]
    async fn first_success_wins() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let (ev, s) =
            connect_any(&["127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap()], port, Duration::from_secs(2))
                .await;
        assert!(s.is_some());
        assert_eq!(ev.attempts.len(), 1);
    }
}
