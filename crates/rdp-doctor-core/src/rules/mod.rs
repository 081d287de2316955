//! Rules: one unit per layer, each a pure function of the evidence, with its tests beside it.

pub mod authmode;
mod capture;
pub mod client;
pub mod compat;
mod credssp;
mod dns;
mod gateway;
pub mod host;
pub mod host_join;
pub mod host_rights;
pub mod kerberos;
pub mod net;
mod observed;
pub mod patterns;
mod rdp_security;
pub mod security;
pub mod session;
mod tcp;
mod tls;
pub mod tls_versions;
mod x224;

use crate::evidence::Evidence;
use crate::finding::{Finding, Severity};

/// Layer order, for sorting and for "first failing layer".
pub const LAYER_ORDER: [&str; 9] = ["client", "gateway", "dns", "tcp", "x224", "tls", "credssp", "session", "host"];

fn layer_rank(layer: &str) -> usize {
    LAYER_ORDER.iter().position(|l| *l == layer).unwrap_or(LAYER_ORDER.len())
}

/// Runs every rule over the evidence. Findings come back in a stable order: most severe first, then
/// layer order, then ID.
pub fn evaluate(evidence: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    gateway::check(evidence, &mut out);
    dns::check(evidence, &mut out);
    tcp::check(evidence, &mut out);
    net::check(evidence, &mut out);
    x224::check(evidence, &mut out);
    security::check(evidence, &mut out);
    rdp_security::check(evidence, &mut out);
    tls::check(evidence, &mut out);
    tls_versions::check(evidence, &mut out);
    credssp::check(evidence, &mut out);
    kerberos::check(evidence, &mut out);
    capture::check(evidence, &mut out);
    session::check(evidence, &mut out);
    authmode::check(evidence, &mut out);
    host::check(evidence, &mut out);
    client::check(evidence, &mut out);
    host_join::link(&mut out);
    client::link(evidence, &mut out);
    observed::check(evidence, &mut out);
    sort(&mut out);
    out
}

/// The stable finding order: most severe first, then layer order (findings of other areas, such as
/// `rdpfile`, after the network layers), then ID.
pub(crate) fn sort(findings: &mut [Finding]) {
    // With both sides (`check --host`), a host finding that explains a client failure ranks with it, ahead
    // of it: the verdict names the root cause.
    let rank: Vec<(&'static str, Severity, bool)> = findings
        .iter()
        .map(|f| (f.id, host_join::effective_severity(f, findings), host_join::is_cause(f, findings)))
        .collect();
    let key =
        |f: &Finding| rank.iter().find(|(id, _, _)| *id == f.id).map_or((f.severity, false), |(_, s, c)| (*s, *c));
    findings.sort_by(|a, b| {
        let (sa, ca) = key(a);
        let (sb, cb) = key(b);
        sb.cmp(&sa)
            .then(cb.cmp(&ca))
            .then(layer_rank(a.layer).cmp(&layer_rank(b.layer)))
            .then(host_rank(a.id).cmp(&host_rank(b.id)))
            .then(a.id.cmp(b.id))
    });
}

/// Host findings keep their catalogue order (root causes first); others rank equal here.
fn host_rank(id: &str) -> usize {
    crate::catalogue::HOST_DEFS.iter().position(|d| d.id == id).unwrap_or(0)
}

/// Milliseconds for evidence lines.
pub(crate) fn ms(v: f64) -> String {
    if v < 10.0 { format!("{v:.2} ms") } else { format!("{v:.0} ms") }
}

#[cfg(test)]
pub(crate) mod testkit {
    use crate::evidence::*;

    /// Evidence for 127.0.0.1:3389 observed at a fixed instant (2026-11-21T00:00:00Z).
    pub fn base() -> Evidence {
        Evidence::new(
            Target { input: "127.0.0.1".into(), host: "127.0.0.1".into(), port: 3389, ip: "127.0.0.1".parse().ok() },
            NOW,
        )
    }

    pub const NOW: i64 = 1_795_305_600;

    /// A credentialed run that ended with the server closing during CredSSP, nothing else said; tests set
    /// the fields they are about.
    pub fn session(selected: u32) -> SessionEvidence {
        SessionEvidence {
            account: "CORP\\alice".into(),
            requested_protocols: 0x0b,
            selected_protocol: Some(selected),
            steps: vec![SessionStep { name: "tls".into(), at_ms: 3.0, duration_ms: 2.0, detail: "TLS 1.3".into() }],
            outcome: SessionOutcome::Closed,
            phase: "credssp".into(),
            credssp_error: None,
            credssp_closed_after_credentials: false,
            early_user_auth: None,
            error_infos: vec![],
            license_error: None,
            logon_infos: vec![],
            logon_error: None,
            logon_errors: Vec::new(),
            session_id: None,
            ultimatum: None,
            first_update_ms: None,
            connector_error: None,
            duration_ms: 10.0,
            timeout_ms: 5000,
        }
    }

    pub fn ids(findings: &[crate::Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.id).collect()
    }
}
