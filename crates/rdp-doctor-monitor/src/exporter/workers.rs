//! Probe workers: a few threads, each with its own single-threaded runtime and a `LocalSet`, on which the
//! probes run.
//!
//! The probe's future is not `Send` (IronRDP's connector, used by the credentialed run, holds trait objects
//! that are not `Sync`), while the HTTP server's handlers must be; so a handler hands its probe over a
//! channel and awaits the answer. Everything that bounds a probe travels with it (its slot, its per-target
//! place, the in-flight gauge's guard), so a client that goes away early does not free a slot while its
//! probe still runs. Many probes share one worker thread: they are network-bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::config::Config;
use crate::probe::{self, ProbeRun, Refused};

/// Anything that must live as long as the probe (slot permit, guards), dropped when it ends.
pub type Hold = Box<dyn Send + 'static>;

/// One probe to run.
pub struct Job {
    pub config: Arc<Config>,
    pub module: String,
    pub target: rdp_doctor_core::evidence::Target,
    pub hostname: Option<String>,
    /// When the request arrived, and the probe's whole deadline from then.
    pub started: Instant,
    pub budget: Duration,
    pub hold: Hold,
}

/// A job and where its answer goes.
struct Envelope {
    job: Job,
    reply: oneshot::Sender<Result<ProbeRun, Refused>>,
}

/// Why a probe could not be handed to a worker (a worker thread is gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the probe worker is not running")]
pub struct WorkerGone;

/// The pool.
pub struct Workers {
    senders: Vec<mpsc::UnboundedSender<Envelope>>,
    next: AtomicUsize,
}

impl Workers {
    /// Starts `n` worker threads (at least one).
    pub fn start(n: usize, log: fn(&str)) -> Self {
        let mut senders = Vec::new();
        for i in 0..n.max(1) {
            let (tx, rx) = mpsc::unbounded_channel::<Envelope>();
            let spawned = std::thread::Builder::new().name(format!("rdp-probe-{i}")).spawn(move || worker(rx, log));
            match spawned {
                Ok(_) => senders.push(tx),
                Err(e) => log(&format!("cannot start probe worker {i}: {e}")),
            }
        }
        Self { senders, next: AtomicUsize::new(0) }
    }

    /// Hands `job` to the next worker and waits for its answer.
    pub async fn run(&self, job: Job) -> Result<Result<ProbeRun, Refused>, WorkerGone> {
        let (reply, rx) = oneshot::channel();
        let n = self.senders.len();
        if n == 0 {
            return Err(WorkerGone);
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let sender = self.senders.get(i).ok_or(WorkerGone)?;
        sender.send(Envelope { job, reply }).map_err(|_| WorkerGone)?;
        rx.await.map_err(|_| WorkerGone)
    }
}

fn worker(mut rx: mpsc::UnboundedReceiver<Envelope>, log: fn(&str)) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            log(&format!("probe worker cannot start its runtime: {e}"));
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        while let Some(Envelope { job, reply }) = rx.recv().await {
            tokio::task::spawn_local(async move {
                let Job { config, module, target, hostname, started, budget, hold } = job;
                let result = match config.modules.get(&module) {
                    Some(m) => probe::run(target, m, hostname.as_deref(), started, budget).await,
                    None => Err(Refused::BadTarget(target.input, format!("module {module} vanished"))),
                };
                drop(hold);
                let _ = reply.send(result);
            });
        }
    });
}
