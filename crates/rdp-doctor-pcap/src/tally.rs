//! Per-source tallies of every TCP flow (RDP-related or not) for the scan pattern, and the digests of
//! every RDP-related connection (also those beyond the listing bound) for the other patterns. Bounded:
//! at most [`MAX_SOURCES`] sources with [`MAX_TARGETS`] distinct targets each, [`MAX_DIGESTS`] digests.

use std::collections::HashSet;
use std::net::IpAddr;

use rdp_doctor_core::capture_digest::SourceFlows;

use crate::conn::{Relevance, TcpConn};
use crate::hash::FxHashMap;

pub const MAX_SOURCES: usize = 4096;
pub const MAX_TARGETS: usize = 4096;
pub const MAX_DIGESTS: usize = 200_000;
const SAMPLES: usize = 5;

#[derive(Debug, Default)]
struct Acc {
    flows: SourceFlows,
    targets: HashSet<(IpAddr, u16)>,
    hosts: HashSet<IpAddr>,
    ports: HashSet<u16>,
}

#[derive(Debug, Default)]
pub struct FlowTally {
    sources: FxHashMap<IpAddr, Acc>,
    /// Flows of sources beyond the bound.
    pub dropped: u64,
}

impl FlowTally {
    /// One finished TCP flow; `start_ms` and `end_ms` from the capture's start; `rdp_port`: its server port
    /// is an RDP port.
    pub fn record(&mut self, c: &TcpConn, start_ms: f64, end_ms: f64, rdp_port: bool) {
        let src = c.client.ip();
        if !self.sources.contains_key(&src) && self.sources.len() >= MAX_SOURCES {
            self.dropped += 1;
            return;
        }
        let a = self.sources.entry(src).or_default();
        let f = &mut a.flows;
        if f.flows == 0 {
            f.source = Some(src);
            f.first_ms = start_ms;
        }
        f.flows += 1;
        f.first_ms = f.first_ms.min(start_ms);
        f.last_ms = f.last_ms.max(end_ms);
        let target = (c.server.ip(), c.server.port());
        if a.targets.len() < MAX_TARGETS {
            if a.targets.insert(target) && f.sample_targets.len() < SAMPLES {
                f.sample_targets.push(c.server.to_string());
            }
        } else if !a.targets.contains(&target) {
            f.targets_capped = true;
        }
        if a.hosts.len() < MAX_TARGETS {
            a.hosts.insert(target.0);
        }
        a.ports.insert(target.1);
        f.targets = a.targets.len() as u64;
        f.hosts = a.hosts.len() as u64;
        f.ports = a.ports.len() as u64;
        f.rdp_port_probed |= rdp_port;
        let payload = c.relevance == Relevance::Ignored || c.c.stats.bytes + c.s.stats.bytes > 0;
        if payload {
            f.with_payload += 1;
        } else if c.c.first_syn_ns.is_some() {
            if c.s.stats.syns > 0 {
                f.empty += 1;
            } else if c.s.stats.rsts > 0 {
                f.refused += 1;
            } else {
                f.unanswered += 1;
            }
        } else if c.probe_without_ack {
            f.stealth += 1;
        }
    }

    /// Every source's tally, busiest first.
    pub fn sources(self) -> Vec<SourceFlows> {
        let mut v: Vec<SourceFlows> = self.sources.into_values().map(|a| a.flows).collect();
        v.sort_by(|a, b| b.flows.cmp(&a.flows).then(a.source.cmp(&b.source)));
        v
    }
}
