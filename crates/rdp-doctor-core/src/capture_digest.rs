//! What the file-level rules see of a capture: one small digest per RDP-related connection (every one,
//! also those beyond the listing bound) and, per source address, a tally of all its TCP flows (also the
//! ones that never carried RDP: a port scan touches many ports). Facts only; `rules/patterns.rs` and
//! `capture_chains.rs` judge.

use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use crate::Severity;
use crate::capture::{ConnectionKind, EndKind, Phase, Side};
use crate::capture_report::ConnectionReport;

/// One RDP-related connection, as the patterns across the file see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionDigest {
    pub id: u64,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub kind: ConnectionKind,
    pub start_ms: f64,
    pub end_ms: f64,
    pub verdict: String,
    pub severity: Option<Severity>,
    /// IDs of its warn and fail findings.
    pub findings: Vec<&'static str>,
    /// The connection got past its security setup (session data, a logon, a gateway tunnel).
    pub setup_done: bool,
    /// The server answered the SYN (or the handshake is not in the capture).
    pub answered: bool,
    /// Payload bytes each way.
    pub client_bytes: u64,
    pub server_bytes: u64,
    /// Who ended it (FIN or RST), when it did not simply run to the end of the capture.
    pub ended_by: Option<Side>,
    /// The account the decrypted data names (NTLM AUTHENTICATE, logon notification, Kerberos ticket).
    pub account: Option<String>,
    /// The Connection Request carried an mstshash cookie (a user name; never quoted).
    pub cookie: bool,
}

impl ConnectionDigest {
    /// The digest of a connection's report.
    pub fn of(c: &ConnectionReport) -> Option<Self> {
        let r = &c.report;
        let cap = r.evidence.capture.as_ref()?;
        let setup_done = cap.last_phase >= Phase::Session
            || r.findings.iter().any(|f| matches!(f.id, "session.ok" | "gateway.tunnel_ok"));
        Some(Self {
            id: c.id,
            client: cap.client,
            server: cap.server,
            kind: cap.kind,
            start_ms: cap.start_ms,
            end_ms: cap.start_ms + cap.duration_ms,
            verdict: r.verdict.clone(),
            severity: r.max_severity,
            findings: r.findings.iter().filter(|f| f.severity >= Severity::Warn).map(|f| f.id).collect(),
            setup_done,
            answered: !cap.setup_seen || cap.server_stats.syns > 0 || cap.server_stats.bytes > 0,
            client_bytes: cap.client_stats.bytes,
            server_bytes: cap.server_stats.bytes,
            ended_by: (cap.end.how != EndKind::CaptureEnded).then_some(cap.end.by).flatten(),
            account: r.evidence.session.as_ref().map(|s| s.account.clone()).filter(|a| !a.starts_with('(')),
            cookie: cap.request.as_ref().is_some_and(|q| q.cookie),
        })
    }

    /// Whether this connection failed on authentication (a refused logon, also one inferred from the
    /// encrypted record pattern).
    pub fn auth_failed(&self) -> bool {
        self.findings.iter().any(|f| AUTH_FAILURES.contains(f))
    }
}

/// Findings that say a logon was refused: what password guessing produces.
pub const AUTH_FAILURES: [&str; 14] = [
    "credssp.ended_by_server",
    "credssp.logon_failure",
    "credssp.account_locked_out",
    "credssp.account_disabled",
    "credssp.account_restriction",
    "credssp.account_expired",
    "credssp.password_expired",
    "credssp.password_must_change",
    "credssp.auth_failed",
    "session.logon_failed",
    "authz.access_denied",
    "gateway.access_denied",
    "kerberos.preauth_failed",
    "server.denied_connection",
];

/// All TCP flows of one source address (RDP-related or not), tallied for scan detection.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SourceFlows {
    pub source: Option<IpAddr>,
    /// TCP flows started by this source.
    pub flows: u64,
    /// Distinct destination addresses and ports (counted up to a bound, see `targets_capped`).
    pub targets: u64,
    pub hosts: u64,
    pub ports: u64,
    pub targets_capped: bool,
    /// Flows whose SYN got no answer.
    pub unanswered: u64,
    /// Flows answered with a RST (closed ports).
    pub refused: u64,
    /// Flows that completed the handshake and closed without any payload.
    pub empty: u64,
    /// Flows that began without a SYN and carried nothing (FIN, NULL or Xmas probes).
    pub stealth: u64,
    /// Flows that carried payload.
    pub with_payload: u64,
    /// Whether an RDP port (TCP 3389, 3391 or one named) was among the targets.
    pub rdp_port_probed: bool,
    pub first_ms: f64,
    pub last_ms: f64,
    /// A few of the destinations, for the evidence.
    pub sample_targets: Vec<String>,
}
