//! The worker pool: every target runs the same probe as `check`, under four bounds.
//!
//! - **Concurrency**: at most `concurrency` hosts are being checked at once.
//! - **Rate**: targets start at most `max_rate / connections_per_target` per second, so new connections
//!   across the scan stay near `max_rate` per second (a check opens a known number of them: see
//!   [`connections_per_target`]).
//! - **One check at a time per host**: the targets of one host (its ports) run one after the other on one
//!   worker; a single check opens at most three connections at once (the main one and two of the
//!   security-layer matrix; the quality series runs alone after them), so no host sees more.
//! - **Host deadline**: each target's check is cut at `host_timeout`; its report then says so
//!   (`scan.host_deadline`) and the worker moves on. Each layer has its own deadline (`--timeout`) too.
//!
//! Results are handed to the caller as they finish, not held.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdp_doctor_core::Report;
use rdp_doctor_core::evidence::Evidence;
use rdp_doctor_core::report::ScanContext;
use rdp_doctor_probe::CheckOptions;
use rdp_doctor_proto::nego::SecurityProtocol;
use tokio::sync::{Mutex, Semaphore, mpsc};

use crate::targets::TargetSpec;

/// Default number of hosts checked at once.
pub const DEFAULT_CONCURRENCY: usize = 256;
/// Default deadline of one target's whole check.
pub const DEFAULT_HOST_TIMEOUT: Duration = Duration::from_secs(60);

/// Judges one report in place (a policy adds its result and findings).
pub type Judge = Arc<dyn Fn(&mut Report) + Send + Sync>;

/// How to run the fleet.
#[derive(Clone)]
pub struct ScanOptions {
    /// What each check does (the same options as `check`; credentials are always `None`).
    pub check: CheckOptions,
    pub concurrency: usize,
    /// New connections per second across the scan; `None`: no limit.
    pub max_rate: Option<f64>,
    pub host_timeout: Duration,
    /// Judges each host against a policy and adds its findings (`--policy`).
    pub judge: Option<Judge>,
}

impl std::fmt::Debug for ScanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanOptions")
            .field("check", &self.check)
            .field("concurrency", &self.concurrency)
            .field("max_rate", &self.max_rate)
            .field("host_timeout", &self.host_timeout)
            .field("judge", &self.judge.is_some())
            .finish()
    }
}

/// One finished target: its report and the report's JSON line (without the newline).
#[derive(Debug)]
pub struct ScanResult {
    pub report: Report,
    pub line: String,
}

/// How many connections one check opens with these options (for pacing): the main one, the six of the
/// security-layer matrix, the TLS enumeration's (about 24), the gateway probe's four, the quality series'
/// samples beyond those the main connection and the matrix supply.
pub fn connections_per_target(o: &CheckOptions) -> usize {
    if o.gateway.is_some() {
        return 4;
    }
    1 + if o.matrix { 6 } else { 0 }
        + if o.deep { 24 } else { 0 }
        + o.samples
            .min(rdp_doctor_probe::quality::MAX_SAMPLES)
            .saturating_sub(rdp_doctor_probe::quality::reused(o.matrix))
        + usize::from(o.websocket_ports) * 2
}

/// Spaces target starts `period` apart, across all workers.
struct Pacer {
    next: Mutex<tokio::time::Instant>,
    period: Duration,
}

impl Pacer {
    async fn wait(&self) {
        let at = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let at = (*next).max(now);
            *next = at + self.period;
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

/// Checks every target and calls `on_result` for each as it finishes (in completion order). Returns when
/// all are done, or soon after `on_result` returns `false` (the output is gone: stop).
pub async fn run(targets: Vec<TargetSpec>, opts: &ScanOptions, mut on_result: impl FnMut(ScanResult) -> bool) {
    let groups = group_by_host(targets);
    let workers = opts.concurrency.max(1);
    let (tx, mut rx) = mpsc::channel::<ScanResult>(workers);
    let pacer = opts.max_rate.filter(|r| *r > 0.0).map(|rate| {
        let per_target = connections_per_target(&opts.check) as f64;
        Arc::new(Pacer {
            next: Mutex::new(tokio::time::Instant::now()),
            period: Duration::from_secs_f64((per_target / rate).min(3600.0)),
        })
    });
    let semaphore = Arc::new(Semaphore::new(workers));
    let producer = {
        let opts = opts.clone();
        tokio::spawn(async move {
            let mut tasks = tokio::task::JoinSet::new();
            for group in groups {
                if tx.is_closed() {
                    break;
                }
                let Ok(permit) = semaphore.clone().acquire_owned().await else { break };
                let (tx, opts, pacer) = (tx.clone(), opts.clone(), pacer.clone());
                tasks.spawn(async move {
                    for spec in group {
                        if let Some(p) = &pacer {
                            p.wait().await;
                        }
                        let result = check_one(&spec, &opts).await;
                        if tx.send(result).await.is_err() {
                            break;
                        }
                    }
                    drop(permit);
                });
                // Reap finished workers so the set does not grow with the fleet.
                while tasks.try_join_next().is_some() {}
            }
            while tasks.join_next().await.is_some() {}
        })
    };
    while let Some(result) = rx.recv().await {
        if !on_result(result) {
            break;
        }
    }
    drop(rx);
    let _ = producer.await;
}

/// The targets grouped by host, in order of first appearance.
fn group_by_host(targets: Vec<TargetSpec>) -> Vec<Vec<TargetSpec>> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<Vec<TargetSpec>> = Vec::new();
    for t in targets {
        let key = t.host_key();
        match index.get(&key).and_then(|&i| groups.get_mut(i)) {
            Some(g) => g.push(t),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![t]);
            }
        }
    }
    groups
}

/// The check options for one target: the scan's, with the target's own name, gateway and protocols.
pub fn options_for(spec: &TargetSpec, base: &CheckOptions) -> CheckOptions {
    let mut o = base.clone();
    o.credentials = None;
    if spec.tls_name.is_some() {
        o.tls_name = spec.tls_name.clone();
    }
    if spec.gateway.is_some() {
        o.gateway = spec.gateway.clone();
    }
    if spec.tls_only {
        o.requested = SecurityProtocol::PROTOCOL_SSL;
    }
    o
}

/// Checks one target within the host deadline and returns its report with the scan section.
pub async fn check_one(spec: &TargetSpec, opts: &ScanOptions) -> ScanResult {
    let o = options_for(spec, &opts.check);
    let target = match rdp_doctor_probe::parse_target(&spec.input(), spec.port) {
        Ok(t) => t,
        // Targets were parsed when the list was read; this cannot fail, but never panic on it.
        Err(_) => rdp_doctor_core::evidence::Target {
            input: spec.input(),
            host: spec.host.clone(),
            port: spec.port,
            ip: spec.host.parse().ok(),
        },
    };
    let start = Instant::now();
    let mut report =
        match tokio::time::timeout(opts.host_timeout, rdp_doctor_probe::check_without_credentials(target.clone(), &o))
            .await
        {
            Ok(evidence) => rdp_doctor_core::report::build(evidence, start.elapsed().as_secs_f64() * 1000.0),
            Err(_) => deadline_report(target, start, opts.host_timeout),
        };
    report.scan = Some(ScanContext {
        key: spec.key(),
        source: spec.source.clone(),
        tag: spec.tag.clone(),
        facts: rdp_doctor_core::facts::HostFacts::from_evidence(&report.evidence),
    });
    if let Some(judge) = &opts.judge {
        judge(&mut report);
    }
    let line = serde_json::to_string(&report).unwrap_or_else(|e| {
        format!("{{\"schema_version\":1,\"error\":\"cannot serialise the report of {}: {e}\"}}", spec.key())
    });
    ScanResult { report, line }
}

/// The report of a check the host deadline cut off: nothing observed is kept (the probe's evidence is
/// built as it goes and was dropped with it), and the finding says where to look.
fn deadline_report(target: rdp_doctor_core::evidence::Target, start: Instant, limit: Duration) -> Report {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let mut ev = Evidence::new(target.clone(), now);
    let secs = limit.as_secs_f64();
    ev.limitations.push(format!(
        "The check of {} was stopped by the host deadline (--host-timeout {secs}s); what it had observed until \
         then is not in this report. Run `rdp-doctor check {} -v` alone to see which layer stalls.",
        target.input, target.input
    ));
    let elapsed = start.elapsed().as_secs_f64() * 1000.0;
    let mut report = rdp_doctor_core::report::build(ev, elapsed);
    report.add_findings(vec![rdp_doctor_core::Finding::new(
        &rdp_doctor_core::catalogue::SCAN_HOST_DEADLINE,
        format!("The check of {} did not finish within the host deadline of {secs} s.", target.input),
        vec![format!("stopped after {elapsed:.0} ms (--host-timeout {secs}s)")],
    )]);
    report
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn spec(host: &str, port: u16) -> TargetSpec {
        TargetSpec {
            host: host.into(),
            port,
            tls_name: None,
            tag: None,
            gateway: None,
            tls_only: false,
            source: String::new(),
        }
    }

    #[test]
    fn a_hosts_ports_share_one_worker() {
        let g = group_by_host(vec![spec("a", 1), spec("b", 1), spec("A", 2), spec("c", 1), spec("a", 3)]);
        let ports: Vec<Vec<u16>> = g.iter().map(|g| g.iter().map(|t| t.port).collect()).collect();
        assert_eq!(ports, [vec![1, 2, 3], vec![1], vec![1]]);
    }

    #[test]
    fn connection_budget() {
        let mut o = CheckOptions { samples: 0, udp_tries: 0, ..CheckOptions::default() };
        assert_eq!(connections_per_target(&o), 7);
        o.matrix = false;
        assert_eq!(connections_per_target(&o), 1);
    }

    #[test]
    fn per_target_options_never_carry_credentials() {
        let mut s = spec("h", 3389);
        s.tls_only = true;
        s.tls_name = Some("n.example".into());
        let o = options_for(&s, &CheckOptions::default());
        assert!(o.credentials.is_none());
        assert_eq!(o.requested, SecurityProtocol::PROTOCOL_SSL);
        assert_eq!(o.tls_name.as_deref(), Some("n.example"));
    }
}
