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
        }
    }

    /// Exit status, as `check`: 1 when any connection has a finding at or above `fail_on`.
    pub fn exit_code(&self, fail_on: Option<Severity>) -> i32 {
        self.connections.iter().map(|c| c.report.exit_code(fail_on)).max().unwrap_or(0)
    }
}
