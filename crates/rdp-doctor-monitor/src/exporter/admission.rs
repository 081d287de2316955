//! Bounding the probes: at most `max_probes_per_target` of one target at once, at most
//! `max_pending_probes` waiting for a slot, at most `max_concurrent_probes` running. A request beyond a
//! bound is answered 503 at once instead of queueing without end, so a burst costs a bounded amount of
//! memory; a probe waits for a slot no longer than half its deadline (the caller passes that instant).
//! Every bound is released by a guard's `Drop`, so a request that ends any way (answer, client gone,
//! deadline) gives its place back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::Limits;

/// Why a probe was not let in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Busy {
    #[error("{0} probes of this target are already running (limits.max_probes_per_target)")]
    Target(usize),
    #[error("{0} probes are already waiting for a free slot (limits.max_pending_probes)")]
    Pending(usize),
    #[error("no probe slot became free within half the probe's deadline (limits.max_concurrent_probes = {0})")]
    NoSlot(usize),
}

/// The shared counters.
#[derive(Debug)]
pub struct Admission {
    slots: Arc<Semaphore>,
    limits: Mutex<Limits>,
    per_target: Arc<Mutex<HashMap<String, usize>>>,
    pending: Mutex<usize>,
}

/// Held while a probe of one target is waiting or running.
#[derive(Debug)]
pub struct TargetGuard {
    map: Arc<Mutex<HashMap<String, usize>>>,
    key: String,
}

impl Drop for TargetGuard {
    fn drop(&mut self) {
        if let Ok(mut map) = self.map.lock()
            && let Some(n) = map.get_mut(&self.key)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

struct PendingGuard<'a>(&'a Admission);

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut p) = self.0.pending.lock() {
            *p = p.saturating_sub(1);
        }
    }
}

impl Admission {
    pub fn new(limits: Limits) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limits.max_concurrent_probes)),
            limits: Mutex::new(limits),
            per_target: Arc::new(Mutex::new(HashMap::new())),
            pending: Mutex::new(0),
        }
    }

    fn limits(&self) -> Limits {
        self.limits.lock().map_or(
            Limits {
                max_concurrent_probes: crate::config::DEFAULT_MAX_CONCURRENT,
                max_pending_probes: crate::config::DEFAULT_MAX_PENDING,
                max_probes_per_target: crate::config::DEFAULT_MAX_PER_TARGET,
            },
            |l| *l,
        )
    }

    /// Applies new limits (on reload). More slots are added at once; fewer are taken out of circulation as
    /// running probes finish.
    pub fn set_limits(&self, new: Limits) {
        let old = self.limits();
        if let Ok(mut l) = self.limits.lock() {
            *l = new;
        }
        if new.max_concurrent_probes > old.max_concurrent_probes {
            self.slots.add_permits(new.max_concurrent_probes - old.max_concurrent_probes);
        } else if new.max_concurrent_probes < old.max_concurrent_probes {
            let fewer = u32::try_from(old.max_concurrent_probes - new.max_concurrent_probes).unwrap_or(u32::MAX);
            let slots = Arc::clone(&self.slots);
            tokio::spawn(async move {
                if let Ok(p) = slots.acquire_many_owned(fewer).await {
                    p.forget();
                }
            });
        }
    }

    /// Registers a probe of `key` (host and port), or refuses it when that target has enough in flight.
    pub fn enter_target(&self, key: &str) -> Result<TargetGuard, Busy> {
        let max = self.limits().max_probes_per_target;
        let mut map = self.per_target.lock().map_err(|_| Busy::Target(max))?;
        let n = map.entry(key.to_owned()).or_insert(0);
        if *n >= max {
            if *n == 0 {
                map.remove(key);
            }
            return Err(Busy::Target(max));
        }
        *n += 1;
        Ok(TargetGuard { map: Arc::clone(&self.per_target), key: key.to_owned() })
    }

    /// Waits for a probe slot until `deadline`; refuses at once when too many are waiting already.
    /// `on_wait` is called with +1 / -1 as the request starts and stops waiting (for the pending gauge).
    pub async fn slot(&self, deadline: Instant, on_wait: impl Fn(i64)) -> Result<OwnedSemaphorePermit, Busy> {
        if let Ok(p) = Arc::clone(&self.slots).try_acquire_owned() {
            return Ok(p);
        }
        let limits = self.limits();
        {
            let mut p = self.pending.lock().map_err(|_| Busy::Pending(limits.max_pending_probes))?;
            if *p >= limits.max_pending_probes {
                return Err(Busy::Pending(limits.max_pending_probes));
            }
            *p += 1;
        }
        let _pending = PendingGuard(self);
        on_wait(1);
        let got = tokio::time::timeout_at(deadline.into(), Arc::clone(&self.slots).acquire_owned()).await;
        on_wait(-1);
        match got {
            Ok(Ok(p)) => Ok(p),
            _ => Err(Busy::NoSlot(limits.max_concurrent_probes)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::Duration;

    fn limits(c: usize, p: usize, t: usize) -> Limits {
        Limits { max_concurrent_probes: c, max_pending_probes: p, max_probes_per_target: t }
    }

    #[test]
    fn per_target_bound_and_release() {
        let a = Admission::new(limits(4, 4, 2));
        let g1 = a.enter_target("h:3389").unwrap();
        let _g2 = a.enter_target("h:3389").unwrap();
        assert_eq!(a.enter_target("h:3389").unwrap_err(), Busy::Target(2));
        assert!(a.enter_target("other:3389").is_ok());
        drop(g1);
        assert!(a.enter_target("h:3389").is_ok());
    }

    #[tokio::test]
    async fn waiting_is_bounded_in_number_and_time() {
        let a = Admission::new(limits(1, 1, 8));
        let far = Instant::now() + Duration::from_secs(30);
        let held = a.slot(far, |_| {}).await.unwrap();
        // One may wait; the next is turned away at once.
        let soon = Instant::now() + Duration::from_millis(200);
        let waiting = a.slot(soon, |_| {});
        let refused = async {
            tokio::task::yield_now().await;
            a.slot(far, |_| {}).await
        };
        let (w, r) = tokio::join!(waiting, refused);
        assert_eq!(r.unwrap_err(), Busy::Pending(1));
        assert_eq!(w.unwrap_err(), Busy::NoSlot(1), "the wait ends at the deadline");
        drop(held);
        assert!(a.slot(far, |_| {}).await.is_ok());
    }

    #[tokio::test]
    async fn limits_change_on_reload() {
        let a = Admission::new(limits(1, 0, 1));
        let _p = a.slot(Instant::now() + Duration::from_secs(5), |_| {}).await.unwrap();
        a.set_limits(limits(2, 0, 1));
        assert!(a.slot(Instant::now() + Duration::from_secs(5), |_| {}).await.is_ok());
    }
}
