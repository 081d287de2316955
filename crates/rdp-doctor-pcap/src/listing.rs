//! The reports of finished connections: each connection's evidence is judged by the rules and built into
//! its report ([`report::build`]), counted by verdict and digested for the file-level patterns, and kept
//! while the bounded lists have room ([`crate::Options::max_listed`]).
//!
//! This runs on a reporter thread beside the analyser ([`Reporter`]): the analyser hands the finished
//! connections' evidence over a bounded channel in the order they finished, [`CHUNK`] at a time (one wake-up
//! of the thread per chunk, not per connection), so the lists and counts are the same as if it were done in
//! line, and memory stays bounded by ([`QUEUE`] + 1) × [`CHUNK`] connections in flight.

use std::collections::BTreeMap;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use rdp_doctor_core::capture_digest::ConnectionDigest;
use rdp_doctor_core::capture_report::ConnectionReport;
use rdp_doctor_core::evidence::Evidence;
use rdp_doctor_core::{Severity, report};

/// Finished connections handed over at a time.
pub const CHUNK: usize = 64;
/// Chunks waiting for the reporter thread at most.
pub const QUEUE: usize = 4;

/// A finished connection: its id, evidence and one-line outcome.
pub type Finished = (u64, Evidence, String);

/// The kept reports, the counts of the others and the digests of all.
#[derive(Debug, Default)]
pub struct Listing {
    max_listed: usize,
    pub notable: Vec<ConnectionReport>,
    pub others: Vec<ConnectionReport>,
    pub omitted: BTreeMap<String, u64>,
    pub digests: Vec<ConnectionDigest>,
    pub digests_dropped: u64,
}

impl Listing {
    pub fn new(max_listed: usize) -> Self {
        Self { max_listed, ..Self::default() }
    }

    /// Runs the rules over one finished connection and keeps (a bounded number of) the reports.
    pub fn add(&mut self, (id, ev, outcome): Finished) {
        let Some(cap) = ev.capture.as_ref() else { return };
        let (kind, transport, client, server, start_ms, duration_ms) =
            (cap.kind, cap.transport, cap.client.to_string(), cap.server.to_string(), cap.start_ms, cap.duration_ms);
        let report = report::build(ev, duration_ms);
        let notable = report.max_severity >= Some(Severity::Warn);
        let cr = ConnectionReport {
            id,
            transport,
            kind,
            client,
            server,
            start_ms,
            duration_ms,
            outcome,
            report,
            chain: None,
            pattern: None,
        };
        if let Some(d) = ConnectionDigest::of(&cr) {
            if self.digests.len() < crate::tally::MAX_DIGESTS {
                self.digests.push(d);
            } else {
                self.digests_dropped += 1;
            }
        }
        let (list, cap_n) =
            if notable { (&mut self.notable, self.max_listed) } else { (&mut self.others, self.max_listed / 4 + 1) };
        if list.len() >= cap_n {
            *self.omitted.entry(cr.report.verdict.clone()).or_default() += 1;
            return;
        }
        list.push(cr);
    }
}

/// The reporter thread, or the listing itself when no thread could be started.
pub struct Reporter {
    tx: Option<SyncSender<Vec<Finished>>>,
    pending: Vec<Finished>,
    thread: Option<JoinHandle<Listing>>,
    inline: Option<Listing>,
}

impl Reporter {
    pub fn start(max_listed: usize) -> Self {
        let (tx, rx) = sync_channel::<Vec<Finished>>(QUEUE);
        let spawned = std::thread::Builder::new().name("capture-reporter".to_owned()).spawn(move || {
            let mut listing = Listing::new(max_listed);
            for chunk in rx {
                for f in chunk {
                    listing.add(f);
                }
            }
            listing
        });
        match spawned {
            Ok(thread) => Self { tx: Some(tx), pending: Vec::with_capacity(CHUNK), thread: Some(thread), inline: None },
            Err(_) => Self { tx: None, pending: Vec::new(), thread: None, inline: Some(Listing::new(max_listed)) },
        }
    }

    /// Hands a finished connection over (blocks while [`QUEUE`] chunks are waiting).
    pub fn add(&mut self, f: Finished) {
        if let Some(l) = self.inline.as_mut() {
            l.add(f);
            return;
        }
        self.pending.push(f);
        if self.pending.len() >= CHUNK {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK));
        if let Some(tx) = &self.tx
            && let Err(back) = tx.send(chunk)
        {
            // The thread is gone (it can only have panicked): finish in line; `finish` re-raises its panic.
            let l = self.inline.get_or_insert_with(Listing::default);
            for f in back.0 {
                l.add(f);
            }
        }
    }

    /// Waits for the reporter thread to judge what it was given, and returns the listing.
    pub fn finish(mut self) -> Listing {
        self.flush();
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            match t.join() {
                Ok(l) => return l,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        self.inline.take().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reporter_thread_and_inline_listing_agree() {
        let ev = |i: u64| {
            let client: std::net::SocketAddr = ([10, 0, 0, 1], 1000 + i as u16).into();
            let server: std::net::SocketAddr = ([10, 0, 0, 2], 3389).into();
            let mut e = Evidence::new(crate::evidence::target(client, server), 0);
            e.capture = Some(rdp_doctor_core::capture::CaptureEvidence::empty(
                rdp_doctor_core::capture::ConnectionKind::Rdp,
                "tcp",
                client,
                server,
                i as f64,
            ));
            (i, e, format!("line {i}"))
        };
        let mut r = Reporter::start(4);
        let mut inline = Listing::new(4);
        for i in 0..20 {
            r.add(ev(i));
            inline.add(ev(i));
        }
        let l = r.finish();
        let ids = |v: &[ConnectionReport]| v.iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(&l.notable), ids(&inline.notable));
        assert_eq!(ids(&l.others), ids(&inline.others));
        assert_eq!(l.omitted, inline.omitted);
        assert_eq!(l.digests.len(), 20);
        assert_eq!(l.notable.len() + l.others.len() + l.omitted.values().sum::<u64>() as usize, 20);
    }
}
