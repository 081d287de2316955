//! The quality series: N TCP handshakes on the RDP port, one after the other, each timed; the MSS the
//! server grants is read after each (a clamped MSS shows a VPN or tunnel). Nothing is sent: each
//! connection is closed right after the handshake.

use std::net::SocketAddr;
use std::time::Duration;

use rdp_doctor_core::evidence::{NetQuality, NetSample};

use crate::tcp::{connect_one, millis, mss_of};

/// Default number of samples (cheap: about 100 ms with the pacing below).
pub const DEFAULT_SAMPLES: usize = 2;
/// Samples with `--net`.
pub const NET_SAMPLES: usize = 20;
/// Gap between samples, and before the first. Small servers accept slowly and listen with a tiny backlog
/// (xrdp: 2): back-to-back handshakes overflow it and the server drops SYNs, which would look exactly like
/// packet loss. Pacing keeps the series measuring the path, not our own burst.
pub const PACING: Duration = Duration::from_millis(50);
/// Upper bound on samples.
pub const MAX_SAMPLES: usize = 100;

/// Runs `samples` handshakes against `addr`.
pub async fn series(addr: SocketAddr, samples: usize, timeout: Duration) -> NetQuality {
    let mut out = Vec::with_capacity(samples.min(MAX_SAMPLES));
    for _ in 0..samples.min(MAX_SAMPLES) {
        tokio::time::sleep(PACING).await;
        let (attempt, stream) = connect_one(addr, timeout).await;
        out.push(NetSample {
            outcome: attempt.outcome,
            connect_ms: attempt.duration_ms,
            mss: stream.as_ref().and_then(mss_of),
        });
        drop(stream);
    }
    NetQuality { addr, samples: out, timeout_ms: millis(timeout) }
}
