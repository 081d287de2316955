//! The end-of-scan summary, folded one report at a time with bounded memory: counts by verdict and
//! severity, the most common findings with some of the hosts they hit, certificates expiring within 30
//! days (soonest first), hosts without NLA, hosts with TLS 1.0/1.1 only, unreachable hosts, and the
//! policy's tally. Every list keeps at most [`MAX_LISTED`] entries and counts the rest, so a scan of a
//! million hosts holds the same summary as one of a thousand. A plain serialisable model: renderers
//! (text here in the binary, HTML later) only format it.

use std::collections::BTreeMap;

use rdp_doctor_core::{Report, Severity};
use serde::Serialize;

/// Most entries kept in each host list of the summary.
pub const MAX_LISTED: usize = 50;
/// Example hosts kept per finding.
pub const MAX_EXAMPLES: usize = 5;
/// Certificates expiring within this many days are listed.
pub const EXPIRY_DAYS: i64 = 30;

/// A host list: the first [`MAX_LISTED`] keys and how many there are in all.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct HostList {
    pub count: usize,
    pub hosts: Vec<String>,
}

impl HostList {
    fn add(&mut self, key: &str) {
        self.count += 1;
        if self.hosts.len() < MAX_LISTED {
            self.hosts.push(key.to_owned());
        }
    }
}

/// One finding ID across the fleet.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FindingCount {
    pub id: String,
    pub severity: Severity,
    pub title: String,
    /// Hosts whose report has it.
    pub hosts: usize,
    pub examples: Vec<String>,
}

/// A certificate that expires within [`EXPIRY_DAYS`] days (or has expired).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Expiring {
    pub host: String,
    pub not_after: String,
    pub not_after_unix: i64,
    pub days_left: i64,
    pub subject: String,
}

/// How the hosts fared against `--policy`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PolicyTally {
    pub name: String,
    pub passed: usize,
    pub failed: HostList,
    /// Hosts where a field could not be judged (not reached, no TLS enumeration) and nothing failed.
    pub unverified: HostList,
}

/// The summary of one scan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanSummary {
    /// Reports folded in.
    pub hosts: usize,
    /// Hosts per verdict (`ok`, `incomplete`, or the top finding's ID), most common first when rendered.
    pub by_verdict: BTreeMap<String, usize>,
    /// Hosts per worst severity (`fail`, `warn`, `info`, `none`).
    pub by_severity: BTreeMap<String, usize>,
    /// Every warn/fail finding ID seen, with its host count (render the top ones).
    pub findings: Vec<FindingCount>,
    /// Soonest first; at most [`MAX_LISTED`] kept, `expiring_count` in all.
    pub expiring: Vec<Expiring>,
    pub expiring_count: usize,
    pub without_nla: HostList,
    pub legacy_tls_only: HostList,
    pub unreachable: HostList,
    pub host_deadline: HostList,
    pub policy: Option<PolicyTally>,
    /// Wall time of the scan and targets per second (set by the caller at the end).
    pub duration_s: f64,
    pub rate_per_s: f64,
}

impl ScanSummary {
    /// Folds one report in.
    pub fn add(&mut self, r: &Report) {
        self.hosts += 1;
        *self.by_verdict.entry(r.verdict.clone()).or_default() += 1;
        let sev = r.max_severity.map_or("none", Severity::as_str);
        *self.by_severity.entry(sev.to_owned()).or_default() += 1;
        let key = r.scan.as_ref().map_or_else(|| r.target.input.clone(), |s| s.key.clone());
        let mut seen: Vec<&str> = Vec::new();
        let mut cut_off = false;
        for f in r.findings.iter().filter(|f| f.severity >= Severity::Warn) {
            if seen.contains(&f.id) {
                continue;
            }
            seen.push(f.id);
            match self.findings.iter_mut().find(|c| c.id == f.id) {
                Some(c) => {
                    c.hosts += 1;
                    if c.examples.len() < MAX_EXAMPLES {
                        c.examples.push(key.clone());
                    }
                }
                None => self.findings.push(FindingCount {
                    id: f.id.to_owned(),
                    severity: f.severity,
                    title: f.title.to_owned(),
                    hosts: 1,
                    examples: vec![key.clone()],
                }),
            }
            if f.id == rdp_doctor_core::catalogue::SCAN_HOST_DEADLINE.id {
                self.host_deadline.add(&key);
                cut_off = true;
            }
        }
        let Some(facts) = r.scan.as_ref().map(|s| &s.facts) else { return };
        // A check cut off by the host deadline saw nothing: not evidence that the host is unreachable.
        if !facts.reached && r.evidence.gateway.is_none() && !cut_off {
            self.unreachable.add(&key);
        }
        if facts.nla == Some(rdp_doctor_core::facts::Nla::NotOffered) {
            self.without_nla.add(&key);
        }
        if facts.legacy_tls_only() {
            self.legacy_tls_only.add(&key);
        }
        if let Some(c) = facts.cert.as_ref().filter(|c| c.days_left <= EXPIRY_DAYS) {
            self.expiring_count += 1;
            let e = Expiring {
                host: key.clone(),
                not_after: c.not_after.clone(),
                not_after_unix: c.not_after_unix,
                days_left: c.days_left,
                subject: c.subject.clone(),
            };
            let at = self.expiring.partition_point(|x| (x.not_after_unix, &x.host) <= (e.not_after_unix, &e.host));
            if at < MAX_LISTED {
                self.expiring.insert(at, e);
                self.expiring.truncate(MAX_LISTED);
            }
        }
        if let (Some(p), Some(tally)) = (&r.policy, self.policy.as_mut()) {
            match p.status {
                rdp_doctor_core::policy::PolicyStatus::Pass => tally.passed += 1,
                rdp_doctor_core::policy::PolicyStatus::Fail => tally.failed.add(&key),
                rdp_doctor_core::policy::PolicyStatus::Unverified => tally.unverified.add(&key),
            }
        }
    }

    /// Findings by host count, most common first (ties by ID).
    pub fn top_findings(&self) -> Vec<&FindingCount> {
        let mut v: Vec<&FindingCount> = self.findings.iter().collect();
        v.sort_by(|a, b| b.hosts.cmp(&a.hosts).then_with(|| a.id.cmp(&b.id)));
        v
    }

    /// Verdicts by host count, most common first.
    pub fn verdicts(&self) -> Vec<(&str, usize)> {
        let mut v: Vec<(&str, usize)> = self.by_verdict.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        v
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use rdp_doctor_core::evidence::{Evidence, Target};
    use rdp_doctor_core::facts::{CertFacts, HostFacts};
    use rdp_doctor_core::report::ScanContext;

    fn report(key: &str, facts: HostFacts, deadline: bool) -> Report {
        let t = Target { input: key.into(), host: "h".into(), port: 3389, ip: None };
        let mut r = rdp_doctor_core::report::build(Evidence::new(t, 0), 1.0);
        if deadline {
            let f = rdp_doctor_core::Finding::new(&rdp_doctor_core::catalogue::SCAN_HOST_DEADLINE, "cut", vec![]);
            r.add_findings(vec![f]);
        }
        r.scan = Some(ScanContext { key: key.into(), source: String::new(), tag: None, facts });
        r
    }

    fn facts(reached: bool, days_left: Option<i64>) -> HostFacts {
        let mut f = HostFacts::from_evidence(&Evidence::new(
            Target { input: String::new(), host: String::new(), port: 1, ip: None },
            0,
        ));
        f.reached = reached;
        f.cert = days_left.map(|d| CertFacts {
            subject: "CN=x".into(),
            issuer: "CN=x".into(),
            not_after: format!("day {d}"),
            not_after_unix: d * 86_400,
            days_left: d,
            self_signed: true,
            trusted: Some(false),
            name: "x".into(),
            name_matches: true,
            key_type: "EC".into(),
            key_bits: 256,
            sha1_thumbprint: String::new(),
        });
        f
    }

    #[test]
    fn lists_are_bounded_sorted_and_honest() {
        let mut s = ScanSummary::default();
        for i in 0..60 {
            s.add(&report(&format!("down{i}:3389"), facts(false, None), false));
        }
        s.add(&report("cut:3389", facts(false, None), true));
        for (i, d) in [20, -3, 400, 5].iter().enumerate() {
            s.add(&report(&format!("up{i}:3389"), facts(true, Some(*d)), false));
        }
        assert_eq!(s.hosts, 65);
        assert_eq!((s.unreachable.count, s.unreachable.hosts.len()), (60, MAX_LISTED));
        assert!(!s.unreachable.hosts.contains(&"cut:3389".to_owned()), "a cut-off check is not an unreachable host");
        assert_eq!(s.host_deadline.hosts, ["cut:3389"]);
        let expiring: Vec<i64> = s.expiring.iter().map(|e| e.days_left).collect();
        assert_eq!(expiring, [-3, 5, 20], "soonest first; 400 days is not listed");
        assert_eq!(s.expiring_count, 3);
        assert_eq!(s.top_findings()[0].id, "scan.host_deadline");
    }
}
