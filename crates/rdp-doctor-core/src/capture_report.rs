//! The report of a capture: one [`Report`] per RDP-related connection (built by the same rules and
//! `report::build` as a live check), ordered failing first, plus what the file itself showed.
//!
//! JSON contract (`schema_version` 1, `kind` = `"capture"`): `file`, `verdict`, `max_severity`,
//! `summary`, `connections[]` (`id`, `transport`, `kind`, `client`, `server`, `start_ms`, `duration_ms`,
//! `outcome`, `report`), `limitations[]`. Fields are only ever added within a schema version.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::capture::ConnectionKind;
use crate::finding::Severity;
use crate::report::{Report, SCHEMA_VERSION, ToolInfo};

/// What the capture file was.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CaptureFile {
    pub path: String,
    /// "pcap" (with byte order and time resolution) or "pcapng".
    pub format: String,
    pub bytes: u64,
    pub packets: u64,
    /// Link types by name, with the number of packets of each.
    pub link_types: BTreeMap<String, u64>,
    pub interfaces: usize,
    /// Unix time of the first packet.
    pub first_packet_unix: Option<f64>,
    pub duration_s: f64,
}

/// Counts over the whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CaptureSummary {
    /// RDP-related connections found.
    pub connections: usize,
    pub failing: usize,
    pub warning: usize,
    pub ok: usize,
    pub incomplete: usize,
    /// TCP/UDP flows seen in all.
    pub flows: u64,
    /// Packets that were not IP, TCP or UDP, or could not be decoded.
    pub packets_skipped: u64,
    /// Connections analysed but not listed (beyond the listing bound), by verdict.
    pub omitted: BTreeMap<String, u64>,
}

/// One connection of the capture.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionReport {
    /// Order of the connection's first packet in the capture, from 1.
    pub id: u64,
    pub transport: &'static str,
    pub kind: ConnectionKind,
    pub client: String,
    pub server: String,
    pub start_ms: f64,
    pub duration_ms: f64,
    /// How the connection ended, in one line.
    pub outcome: String,
    pub report: Report,
    /// Its place in a causal chain of its client's connections (`capture_chains.rs`), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<crate::capture_chains::ChainRole>,
    /// The pattern across the file this connection is part of (`pattern.scan`, …), when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<&'static str>,
}

/// The diagnosis of a capture file.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureReport {
    pub schema_version: u32,
    pub kind: &'static str,
    pub tool: ToolInfo,
    pub file: CaptureFile,
    /// The worst connection's verdict; `ok` when every connection is fine; `incomplete` when none fails
    /// but some could not be judged; `no_rdp_traffic` when the file has no RDP-related connection.
    pub verdict: String,
    pub max_severity: Option<Severity>,
    pub summary: CaptureSummary,
    pub connections: Vec<ConnectionReport>,
    pub limitations: Vec<String>,
    /// TLS connections that may be an RD Gateway (port 443, a server name that suggests one) but were not
    /// examined: no secrets to read them and their port not named. Each says the command that would.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_examined: Vec<NotExamined>,
    /// Patterns across the file (password guessing, scanning, health probes, a flood of pending
    /// connections), each a finding with counts, sources, targets and rates; most connections first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patterns: Vec<crate::Finding>,
    /// The pattern that dominates the file, in one line (`pattern.password_guessing: …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dominant_pattern: Option<String>,
    /// Causal chains per client: the earliest failure that explains later ones, with its consequences.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chains: Vec<crate::capture_chains::CausalChain>,
}

/// A TLS connection that looks like an RD Gateway but was not examined.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotExamined {
    pub client: String,
    pub server: String,
    pub start_ms: f64,
    /// The ClientHello's server_name, when sent.
    pub sni: Option<String>,
    /// Why it looks like a gateway (the name that suggests it).
    pub why: String,
    /// The command that examines it.
    pub command: String,
}

impl CaptureReport {
    /// Assembles the report: orders connections failing first (then by start), derives the verdict.
    pub fn new(
        file: CaptureFile,
        mut connections: Vec<ConnectionReport>,
        mut summary: CaptureSummary,
        limitations: Vec<String>,
    ) -> Self {
        connections.sort_by(|a, b| {
            b.report
                .max_severity
                .filter(|s| *s >= Severity::Warn)
                .cmp(&a.report.max_severity.filter(|s| *s >= Severity::Warn))
                .then(a.start_ms.total_cmp(&b.start_ms))
                .then(a.id.cmp(&b.id))
        });
        summary.failing = connections.iter().filter(|c| c.report.max_severity == Some(Severity::Fail)).count();
        summary.warning = connections.iter().filter(|c| c.report.max_severity == Some(Severity::Warn)).count();
        summary.ok = connections.iter().filter(|c| c.report.verdict == "ok").count();
        summary.incomplete = connections
            .iter()
            .filter(|c| c.report.verdict == "incomplete" && c.report.max_severity < Some(Severity::Warn))
            .count();
        summary.connections = connections.len() + summary.omitted.values().map(|v| *v as usize).sum::<usize>();
        let max_severity = connections.iter().filter_map(|c| c.report.max_severity).max();
        let verdict = match connections.first() {
            None => "no_rdp_traffic".to_owned(),
            Some(c) if c.report.max_severity >= Some(Severity::Warn) => c.report.verdict.clone(),
            Some(_) if summary.incomplete > 0 => "incomplete".to_owned(),
            Some(_) => "ok".to_owned(),
        };
        Self {
            schema_version: SCHEMA_VERSION,
            kind: "capture",
            tool: ToolInfo { name: "rdp-doctor", version: env!("CARGO_PKG_VERSION") },
            file,
            verdict,
            max_severity,
            summary,
            connections,
            limitations,
            not_examined: Vec::new(),
            patterns: Vec::new(),
            dominant_pattern: None,
            chains: Vec::new(),
        }
    }

    /// Adds what the file shows as a whole: the patterns across it and the causal chains per client. A chain
    /// is listed together, root first, where its first member stood; the file's verdict is then the chain's
    /// root, or the dominant pattern when it is at least as severe.
    pub fn add_file_level(
        &mut self,
        patterns: Vec<crate::rules::patterns::Pattern>,
        chains: Vec<crate::capture_chains::CausalChain>,
    ) {
        // A connection from a pattern's source is part of it (a scanner's probe, a guessing attempt).
        for c in &mut self.connections {
            let ip = c.report.evidence.capture.as_ref().map(|k| k.client.ip());
            c.pattern = patterns.iter().find(|p| ip.is_some_and(|ip| p.sources.contains(&ip))).map(|p| p.finding.id);
        }
        if !chains.is_empty() {
            // Each chain where its first member stood, root first.
            let all = std::mem::take(&mut self.connections);
            let root_of = |c: &ConnectionReport| c.chain.as_ref().map(|r| r.root);
            let mut placed: Vec<u64> = Vec::new();
            let mut order: Vec<ConnectionReport> = Vec::with_capacity(all.len());
            let mut members: Vec<ConnectionReport> = Vec::new();
            let mut singles: Vec<(usize, ConnectionReport)> = Vec::new();
            let mut slots: Vec<Option<u64>> = Vec::new();
            for c in all {
                match root_of(&c) {
                    Some(root) => {
                        if !placed.contains(&root) {
                            placed.push(root);
                            slots.push(Some(root));
                        }
                        members.push(c);
                    }
                    None => {
                        singles.push((slots.len(), c));
                        slots.push(None);
                    }
                }
            }
            let mut singles = singles.into_iter().map(|(_, c)| c);
            for slot in slots {
                match slot {
                    None => order.extend(singles.next()),
                    Some(root) => {
                        let mut chain: Vec<ConnectionReport> = Vec::new();
                        let mut rest = Vec::new();
                        for c in std::mem::take(&mut members) {
                            if root_of(&c) == Some(root) { chain.push(c) } else { rest.push(c) }
                        }
                        members = rest;
                        chain.sort_by(|a, b| {
                            (a.id != root).cmp(&(b.id != root)).then(a.start_ms.total_cmp(&b.start_ms))
                        });
                        order.extend(chain);
                    }
                }
            }
            self.connections = order;
        }
        let top = self.connections.first().map(|c| (c.report.max_severity, c.report.verdict.clone(), c.pattern));
        if let Some((sev, verdict, _)) = &top
            && *sev >= Some(Severity::Warn)
        {
            self.verdict = verdict.clone();
        }
        // The dominant pattern is the verdict when it is at least as severe as the worst connection, or when
        // that connection is part of it (a scanner's probe is not a user's failure).
        if let Some(p) = patterns.first().filter(|p| p.finding.severity >= Severity::Warn)
            && (Some(p.finding.severity) >= top.as_ref().and_then(|t| t.0)
                || top.as_ref().is_some_and(|t| t.2 == Some(p.finding.id)))
        {
            self.verdict = p.finding.id.to_owned();
        }
        self.max_severity = self.max_severity.max(patterns.iter().map(|p| p.finding.severity).max());
        self.dominant_pattern = crate::rules::patterns::dominant(&patterns);
        self.patterns = patterns.into_iter().map(|p| p.finding).collect();
        self.chains = chains;
    }

    /// Exit status, as `check`: 1 when any connection has a finding at or above `fail_on`.
    pub fn exit_code(&self, fail_on: Option<Severity>) -> i32 {
        let pattern = fail_on.is_some_and(|f| self.patterns.iter().any(|p| p.severity >= f));
        self.connections.iter().map(|c| c.report.exit_code(fail_on)).max().unwrap_or(0).max(i32::from(pattern))
    }
}
