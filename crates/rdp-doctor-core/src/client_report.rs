//! The report of `rdp-doctor last`: the same [`Report`] as a check, with a first layer, `client` (the
//! user's PC: the attempts its Remote Desktop client logged, the one diagnosed, the settings read), before
//! the layers of the check of the same server (`last`), or alone (`last --no-check`).

use crate::evidence::Evidence;
use crate::evidence::client::ClientEvidence;
use crate::finding::Finding;
use crate::report::{Detail, Layer, LayerName, LayerStatus, Report, SCHEMA_VERSION, ToolInfo, status_for, verdict};
use crate::rules;
use crate::rules::client::attempt_line;

fn detail(label: &str, value: impl Into<String>) -> Detail {
    Detail { label: label.to_owned(), value: value.into() }
}

/// The client layer: the attempts in the window, what was read, and its status from the client findings.
pub fn layer(c: &ClientEvidence, findings: &[Finding]) -> Layer {
    let mut details = Vec::new();
    let from = if c.inputs.is_empty() { c.collection.clone() } else { c.inputs.join(", ") };
    details.push(detail(
        "log",
        format!(
            "{from}: {} record(s), {} of the Remote Desktop client{}{}",
            c.records_read,
            c.client_records,
            if c.damaged > 0 { format!(", {} damaged", c.damaged) } else { String::new() },
            c.read_error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
        ),
    ));
    if !c.other_channels.is_empty() {
        let other: Vec<String> = c.other_channels.iter().map(|(ch, n)| format!("{ch} ({n})")).collect();
        details.push(detail("other records", other.join(", ")));
    }
    for a in &c.attempts {
        let mark = if Some(a.number) == c.selected { "attempt (diagnosed)" } else { "attempt" };
        details.push(detail(mark, attempt_line(a)));
    }
    if let Some(f) = &c.rdp_file {
        details.push(detail(".rdp file", f.path.clone().map_or_else(|| f.how.clone(), |p| format!("{p} ({})", f.how))));
    }
    for s in &c.settings {
        details.push(detail(&s.name, format!("{} ({})", s.text, s.path)));
    }
    if let Some(r) = &c.remembered {
        if let Some(h) = &r.cert_hash {
            details.push(detail("accepted certificate", format!("{} for {} ({})", h, r.host, r.path)));
        }
        if let Some(u) = &r.username_hint {
            details.push(detail("UsernameHint", format!("{u} ({})", r.path)));
        }
    }
    if let Some(d) = &c.default_rdp {
        details.push(detail("Default.rdp", d.clone()));
    }
    if let Some(p) = &c.winhttp_proxy {
        details.push(detail("WinHTTP proxy", p.proxy.clone().unwrap_or_else(|| "direct".to_owned())));
    }
    for a in &c.vpn_adapters {
        let mtu = a.mtu.map_or_else(|| "driver default".to_owned(), |m| m.to_string());
        details.push(detail("VPN adapter", format!("{} (MTU {mtu})", a.description)));
    }
    let summary = match c.selected_attempt() {
        Some(a) => format!("{} attempt(s) in the log; #{} {}", c.attempts.len(), a.number, a.outcome.as_str()),
        None => format!("{} attempt(s) in the log", c.attempts.len()),
    };
    Layer {
        name: LayerName::Client,
        status: status_for(LayerName::Client, findings, true, false),
        duration_ms: None,
        summary,
        details,
    }
}

/// The report of `last --no-check`: the client layer alone.
pub fn build(evidence: Evidence, duration_ms: f64) -> Report {
    let findings = rules::evaluate(&evidence);
    let mut layers = Vec::new();
    let mut limitations = evidence.limitations.clone();
    if let Some(c) = &evidence.client {
        layers.push(layer(c, &findings));
        limitations.extend(c.limitations.iter().cloned());
    }
    let verdict = verdict(&findings, &layers);
    let first_failing_layer = layers.iter().find(|l| l.status == LayerStatus::Fail).map(|l| l.name);
    Report {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo { name: "rdp-doctor", version: env!("CARGO_PKG_VERSION") },
        target: evidence.target.clone(),
        verdict,
        max_severity: findings.iter().map(|f| f.severity).max(),
        first_failing_layer,
        duration_ms,
        layers,
        findings,
        clients: Vec::new(),
        client_view: None,
        limitations,
        evidence,
        source_file: None,
        scan: None,
        policy: None,
    }
}
