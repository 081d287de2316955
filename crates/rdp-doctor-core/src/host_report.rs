//! The report of `rdp-doctor host`: the same [`Report`] as a client check, with one layer, `host`, whose
//! details list what was read (hives, settings with their source, certificate, firewall, event logs).
//! `check --host` adds the same layer after the network layers.

use crate::evidence::Evidence;
use crate::evidence::host::HostEvidence;
use crate::finding::Finding;
use crate::report::{Detail, Layer, LayerName, Report, SCHEMA_VERSION, ToolInfo, status_for, verdict};
use crate::rules;

fn detail(label: &str, value: impl Into<String>) -> Detail {
    Detail { label: label.to_owned(), value: value.into() }
}

/// The host layer: what was read, and its status from the host findings.
pub fn layer(h: &HostEvidence, findings: &[Finding]) -> Layer {
    let mut details = Vec::new();
    if let Some(n) = &h.computer_name {
        details.push(detail("computer", n.clone()));
    }
    if let Some(os) = &h.os {
        details.push(detail("os", os.clone()));
    }
    for f in &h.hives {
        let state = match (&f.error, f.dirty, f.logs_applied.is_empty()) {
            (Some(e), _, _) => format!("not read: {e}"),
            (None, true, true) => "dirty: transaction logs not applied (recent changes may be missing)".to_owned(),
            (None, true, false) => format!("dirty: {} applied", f.logs_applied.join(", ")),
            (None, false, _) => "clean".to_owned(),
        };
        let cs = f.control_set.map(|c| format!(", ControlSet{c:03}")).unwrap_or_default();
        details.push(detail(&format!("{} hive", f.role), format!("{} ({} bytes, {state}{cs})", f.path, f.bytes)));
    }
    for s in &h.settings {
        details.push(detail(&s.name, rules::host::setting_line(h, s)));
    }
    if let Some(c) = &h.certificate {
        let v = match &c.found {
            Some(cert) => format!(
                "{} ({}, {}): {} until {}{}",
                cert.thumbprint,
                c.selection,
                cert.store,
                cert.info.subject,
                cert.info.not_after,
                if cert.key.is_some() { ", private key referenced" } else { ", no private key" }
            ),
            None => format!("none found ({})", c.selection),
        };
        details.push(detail("certificate", v));
        if let Some(k) = &c.key_file {
            let exists = match k.exists {
                Some(true) => "present",
                Some(false) => "missing",
                None => "not checked",
            };
            details.push(detail(
                "key file",
                format!("{} in {}: {exists}", k.expected_name.as_deref().unwrap_or("?"), k.directory),
            ));
        }
    }
    if let Some(s) = h.service.as_ref().filter(|s| s.state.is_some()) {
        let v = format!(
            "{}{}{}",
            s.state.as_deref().unwrap_or_default(),
            s.pid.map(|p| format!(", PID {p}")).unwrap_or_default(),
            s.state_source.as_deref().map(|f| format!(" ({f})")).unwrap_or_default()
        );
        details.push(detail("TermService", v));
    }
    if let Some(l) = &h.listener {
        let v = match (&l.process, l.pid) {
            (Some(p), pid) => format!(
                "{p}{}{}{}{}",
                pid.map(|p| format!(" (PID {p})")).unwrap_or_default(),
                if l.addresses.is_empty() { String::new() } else { format!(" on {}", l.addresses.join(", ")) },
                if l.services.is_empty() { String::new() } else { format!(", hosting {}", l.services.join(", ")) },
                if l.source.is_empty() { String::new() } else { format!(" ({})", l.source) }
            ),
            (None, _) => {
                format!("nothing{}", if l.source.is_empty() { String::new() } else { format!(" ({})", l.source) })
            }
        };
        details.push(detail(&format!("listening on TCP {}", l.port), v));
    }
    if let Some(n) = h.sessions_in_use {
        let names = if h.sessions.is_empty() { String::new() } else { format!(": {}", h.sessions.join(", ")) };
        details.push(detail("sessions on the listener", format!("{n}{names}")));
    }
    if let Some(fw) = &h.firewall {
        for p in &fw.profiles {
            details.push(detail(&format!("firewall {}", p.name), if p.enabled { "on" } else { "off" }));
        }
        details.push(detail("firewall rules", format!("{} read, {} cover inbound TCP", fw.rules_read, fw.rules.len())));
    }
    if let Some(e) = &h.events {
        for f in &e.files {
            let v = format!(
                "{} records read, {} of interest{}{}",
                f.records_read,
                f.records_of_interest,
                if f.records_damaged > 0 { format!(", {} damaged", f.records_damaged) } else { String::new() },
                f.error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
            );
            details.push(detail(f.channel.as_deref().unwrap_or(&f.path), v));
        }
    }
    let read_something = h.hives.iter().any(|f| f.error.is_none())
        || h.events.as_ref().is_some_and(|e| e.files.iter().any(|f| f.records_read > 0))
        || h.collection == "live";
    let summary = format!(
        "{} via {}: {} setting(s), {} event(s) of interest",
        h.computer_name.as_deref().unwrap_or("host"),
        h.collection,
        h.settings.len(),
        h.events.as_ref().map_or(0, |e| e.records.len())
    );
    Layer {
        name: LayerName::Host,
        status: status_for(LayerName::Host, findings, read_something, false),
        duration_ms: None,
        summary,
        details,
    }
}

/// The report of `rdp-doctor host`: the host layer alone.
pub fn build(evidence: Evidence, duration_ms: f64) -> Report {
    let findings = rules::evaluate(&evidence);
    let mut layers = Vec::new();
    let mut limitations = evidence.limitations.clone();
    if let Some(h) = &evidence.host {
        layers.push(layer(h, &findings));
        limitations.extend(h.limitations.iter().cloned());
    }
    let verdict = verdict(&findings, &layers);
    let first_failing_layer = layers.iter().find(|l| l.status == crate::report::LayerStatus::Fail).map(|l| l.name);
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
