//! The quality series: N TCP handshakes on the RDP port, each timed; the MSS the server grants is read after
//! each (a clamped MSS shows a VPN or tunnel). The check's own connections supply the first samples (the main
//! connection's handshake, then the security-layer matrix's six, see [`sample`]): they are handshakes on the
//! same port and path, so opening more connections for them would only cost the server an accept each (an
//! xrdp fork, a FreeRDP shadow client set up serially in its listener thread). Only the samples beyond those
//! are dedicated connections ([`series`]): nothing is sent on them, each is closed right after the handshake.

use std::net::SocketAddr;
use std::time::Duration;

use rdp_doctor_core::evidence::{NetQuality, NetSample, TcpAttempt};
use tokio::net::TcpStream;

use crate::gate::{HostGate, SETTLE};
use crate::tcp::{connect_one, millis, mss_of};

/// Default number of samples (free: the main connection and the matrix supply them).
pub const DEFAULT_SAMPLES: usize = 2;
/// Samples with `--net`.
pub const NET_SAMPLES: usize = 20;
/// Gap between the starts of consecutive samples, so the series samples the path over a stretch of time.
/// Small servers accept slowly and listen with a tiny backlog (xrdp: 2): a burst of handshakes would
/// overflow it and the server would drop SYNs, which looks exactly like packet loss; every sample therefore
/// also takes a permit of the host's [`HostGate`], shared with the other probes' connections.
pub const PACING: Duration = Duration::from_millis(10);
/// Upper bound on samples.
pub const MAX_SAMPLES: usize = 100;

/// One sample from a handshake the check made for another probe: its outcome and time, and the MSS of its
/// stream when it connected.
pub fn sample(attempt: &TcpAttempt, stream: Option<&TcpStream>) -> NetSample {
    NetSample { outcome: attempt.outcome, connect_ms: attempt.duration_ms, mss: stream.and_then(mss_of) }
}

/// How many samples the check's other connections supply at least: the main connection, and the matrix's
/// when it runs (one fewer than its protocols: the one the server selects on the main connection is not
/// probed again; when it selects none, the series has one sample more than asked and is cut).
pub fn reused(matrix: bool) -> usize {
    1 + if matrix { crate::matrix::PROTOCOLS.len() - 1 } else { 0 }
}

/// Runs `samples` handshakes against `addr`, one at a time, starts [`PACING`] apart, each within `gate`
/// (the time waiting for a permit is not part of the sample).
pub async fn series(addr: SocketAddr, samples: usize, timeout: Duration, gate: &HostGate) -> NetQuality {
    let mut out = Vec::with_capacity(samples.min(MAX_SAMPLES));
    let mut next = tokio::time::Instant::now();
    for _ in 0..samples.min(MAX_SAMPLES) {
        tokio::time::sleep_until(next).await;
        next = tokio::time::Instant::now() + PACING;
        let permit = gate.enter().await;
        let (attempt, stream) = connect_one(addr, timeout).await;
        out.push(NetSample {
            outcome: attempt.outcome,
            connect_ms: attempt.duration_ms,
            mss: stream.as_ref().and_then(mss_of),
        });
        drop(stream);
        // The closed connection waits in the server's accept queue until the server gets to it.
        tokio::time::sleep(SETTLE).await;
        drop(permit);
    }
    NetQuality { addr, samples: out, timeout_ms: millis(timeout) }
}
