//! The per-host bound on parallel connections.
//!
//! `check` overlaps everything that does not depend on the main chain (the security-layer matrix, the
//! quality series, the `--deep` TLS scan) with it, but a server's own limits turn a burst of our connections
//! into what looks like packet loss: a small server listens with a tiny backlog (xrdp: 2, so Linux queues at
//! most three connections it has not accepted yet and drops the next SYN, retransmitted a second later) and
//! Windows counts connections that have not logged on against `MaxOutstandingConnections`. Every side
//! connection takes a permit of one [`HostGate`] from before its SYN until the server has answered its X.224
//! Connection Request (then the server has accepted it: it no longer waits in any queue), so at most
//! [`PER_HOST`] of our connections, the main one included, wait for the server at once. `bench/burst.sh` measures where
//! the lab's servers start losing connections to a simultaneous burst (see its output in ARCHITECTURE.md).

use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

/// Connections to one host not answered yet, the main connection included. Measured with `bench/burst.sh`
/// (4 bursts per size, load average 22 on 2 cores): xrdp (backlog 2, `fork=true`) answered every connection
/// of bursts of up to three at once, and lost 2 of 16 at four, 6 of 20 at five (each then a second late:
/// a retransmitted SYN); FreeRDP's shadow server showed no one-second step but answers X.224 one connection
/// after another (0.6 s for one alone on that loaded machine, 1.6 s for the last of eight), so more parallel
/// connections only queue there.
pub const PER_HOST: usize = 3;

/// How long a side connection that sends nothing (a quality-series handshake) keeps its permit after it is
/// closed: the server still has it in its accept queue until it gets round to accepting it.
pub const SETTLE: Duration = Duration::from_millis(5);

/// The permits of the connections to one host.
#[derive(Debug)]
pub struct HostGate {
    permits: Semaphore,
}

impl Default for HostGate {
    fn default() -> Self {
        Self::new(PER_HOST)
    }
}

impl HostGate {
    /// A gate with `permits` permits (at least one).
    pub fn new(permits: usize) -> Self {
        Self { permits: Semaphore::new(permits.max(1)) }
    }

    /// Waits for a permit (first come, first served); hold it until the server answered the connection's
    /// first request, or for [`SETTLE`] after closing a connection that sends nothing. `None` only if the
    /// gate was closed, which this crate never does.
    pub async fn enter(&self) -> Option<SemaphorePermit<'_>> {
        self.permits.acquire().await.ok()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[tokio::test]
    async fn never_more_than_the_permits_at_once() {
        let gate = HostGate::new(2);
        let open = std::sync::atomic::AtomicUsize::new(0);
        let most = std::sync::atomic::AtomicUsize::new(0);
        let one = || async {
            let _p = gate.enter().await.unwrap();
            let now = open.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            most.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
            open.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        };
        tokio::join!(one(), one(), one(), one(), one());
        assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
