//! Markdown for tickets (GitHub and Jira flavoured: pipe tables, fenced code blocks, no HTML): the same
//! content as the HTML page minus the drawings — a compact text ladder instead of the SVG. Report values
//! go through [`md_text`] (or a code span / block no value can close), never raw.

use std::fmt::Write as _;

use rdp_doctor_core::capture_report::CaptureReport;
use rdp_doctor_core::cert::CertInfo;
use rdp_doctor_core::{Finding, LayerName, Report, Severity};

use crate::escape::{md_code, md_fence, md_line, md_text};
use crate::{extra, fmt, ladder, todo};

const KNOWN: &[&str] = &[
    "schema_version",
    "tool",
    "target",
    "verdict",
    "max_severity",
    "first_failing_layer",
    "duration_ms",
    "layers",
    "findings",
    "clients",
    "client_view",
    "limitations",
    "evidence",
    "source_file",
    "scan",
    "policy",
];
const KNOWN_CAPTURE: &[&str] = &[
    "schema_version",
    "kind",
    "tool",
    "file",
    "verdict",
    "max_severity",
    "summary",
    "connections",
    "limitations",
    "patterns",
    "dominant_pattern",
    "chains",
    "not_examined",
];

/// Connections written in full; the rest are table rows.
const MAX_WRITTEN: usize = 50;

fn sev_word(verdict: &str, s: Option<Severity>) -> &'static str {
    match (s, verdict) {
        (Some(Severity::Fail), _) => "FAIL",
        (Some(Severity::Warn), _) => "WARN",
        (_, "ok") => "OK",
        _ => "INCOMPLETE",
    }
}

/// The Markdown report of one check.
pub fn check(r: &Report) -> String {
    let mut o = String::with_capacity(16 * 1024);
    let _ = writeln!(o, "# rdp-doctor: check of {}\n", md_text(&fmt::target(r)));
    if let Some(sf) = &r.source_file {
        let _ = writeln!(o, "Target and settings from {} ({}).\n", md_code(&sf.path), md_text(&sf.encoding));
    }
    verdict(&mut o, r, &fmt::verdict_sentence(r), Some(r.evidence.observed_at_unix));
    layers(&mut o, r, "##");
    for l in ladder::live(r) {
        ladder_block(&mut o, &l, "##");
    }
    certificates(&mut o, r, "##");
    findings(&mut o, &r.findings, "##");
    what_to_do(&mut o, &todo::remedies(&r.findings));
    layer_details(&mut o, r);
    clients(&mut o, r);
    limitations(&mut o, &r.limitations, "## Limitations");
    if let Ok(v) = serde_json::to_value(r) {
        extras(&mut o, &v, KNOWN);
    }
    footer(&mut o);
    o
}

fn footer(o: &mut String) {
    let _ = writeln!(
        o,
        "\n---\nrdp-doctor {} · report schema\\_version {} · the JSON report holds every observation.",
        env!("CARGO_PKG_VERSION"),
        rdp_doctor_core::report::SCHEMA_VERSION
    );
}

fn verdict(o: &mut String, r: &Report, sentence: &str, when: Option<i64>) {
    let _ =
        writeln!(o, "> **{}** {} — {}", sev_word(&r.verdict, r.max_severity), md_code(&r.verdict), md_text(sentence));
    let mut facts = vec![format!("first failing layer: {}", r.first_failing_layer.map_or("none", LayerName::label))];
    if let Some(t) = when {
        facts.push(format!("checked {}", fmt::date_time(t)));
    }
    if r.duration_ms > 0.0 {
        facts.push(format!("took {}", fmt::ms(r.duration_ms)));
    }
    let _ = writeln!(o, ">\n> {}", md_text(&facts.join(" · ")));
    if let Some(view) = &r.client_view {
        for (who, what) in [("Windows client", &view.mstsc), ("FreeRDP", &view.freerdp)] {
            if let Some(w) = what {
                let _ = writeln!(o, ">\n> **{who}:** {}", md_text(w));
            }
        }
    }
    o.push('\n');
}

fn layers(o: &mut String, r: &Report, level: &str) {
    if r.layers.is_empty() {
        return;
    }
    let _ = writeln!(o, "{level} Layers\n\n| Layer | Status | Time | Summary |\n|---|---|---|---|");
    for l in &r.layers {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            l.name.label(),
            fmt::status_word(l.status),
            l.duration_ms.map(fmt::ms).unwrap_or_default(),
            md_text(&l.summary)
        );
    }
    o.push('\n');
}

fn ladder_block(o: &mut String, l: &ladder::Ladder, level: &str) {
    let body = ladder::text(l);
    let fence = md_fence(&body);
    let _ = writeln!(o, "{level}# {}\n\n{}\n", md_text(&l.title), md_text(&l.time_note));
    let _ = writeln!(o, "{fence}text\n{body}{fence}\n");
    for n in &l.notes {
        let _ = writeln!(o, "- {}", md_text(n));
    }
    if !l.notes.is_empty() {
        o.push('\n');
    }
}

fn certificates(o: &mut String, r: &Report, level: &str) {
    let ev = &r.evidence;
    let mut panels: Vec<(&str, &[CertInfo], &str)> = Vec::new();
    if let Some(t) = ev.tls.as_ref().filter(|t| !t.chain.is_empty()) {
        panels.push(("The server's certificate", &t.chain, &t.server_name));
    }
    if let Some(t) = ev.gateway.as_ref().and_then(|g| g.tls.as_ref()).filter(|t| !t.chain.is_empty()) {
        panels.push(("The RD Gateway's certificate", &t.chain, &t.server_name));
    }
    for (title, chain, name) in panels {
        let _ = writeln!(o, "{level} {title}\n");
        if chain.len() > 1 {
            for (i, c) in chain.iter().enumerate() {
                let _ = writeln!(o, "{}. {} issued by {}", i + 1, md_code(&c.subject), md_code(&c.issuer));
            }
            o.push('\n');
        }
        let Some(leaf) = chain.first().filter(|c| c.parse_error.is_none()) else { continue };
        let now = ev.observed_at_unix;
        let state = if now > leaf.not_after_unix {
            format!("**expired** {} day(s) before the check", (now - leaf.not_after_unix) / 86_400)
        } else if now < leaf.not_before_unix {
            "**not yet valid** at the check".to_owned()
        } else {
            format!("{} day(s) left", leaf.days_left(now))
        };
        let mut names: Vec<String> = leaf.dns_names.iter().map(|n| format!("DNS:{n}")).collect();
        names.extend(leaf.ip_addresses.iter().map(|a| format!("IP:{a}")));
        let matched = if name.is_empty() {
            "not judged (the name the client used is unknown)".to_owned()
        } else {
            let m = leaf.matches_name(name);
            md_text(&format!("{} for {name} ({})", if m.matched { "yes" } else { "no" }, m.detail))
        };
        let rows = [
            ("Subject", md_code(&leaf.subject)),
            ("Issuer", md_code(&leaf.issuer)),
            ("Valid", format!("{} → {}: {state}", md_text(&leaf.not_before), md_text(&leaf.not_after))),
            ("Names", if names.is_empty() { "none".to_owned() } else { md_code(&names.join(", ")) }),
            ("Name match", matched),
            ("Key", md_text(&format!("{} {} bits, signed {}", leaf.key_type, leaf.key_bits, leaf.signature_algorithm))),
            ("EKU", if leaf.ekus.is_empty() { "none (any usage)".to_owned() } else { md_text(&leaf.ekus.join(", ")) }),
            ("Self-signed", (if leaf.self_signed { "yes" } else { "no" }).to_owned()),
            ("SHA-1 thumbprint", md_code(&leaf.sha1_thumbprint)),
            ("SHA-256", md_code(&leaf.sha256)),
        ];
        let _ = writeln!(o, "| | |\n|---|---|");
        for (k, v) in rows {
            let _ = writeln!(o, "| {k} | {v} |");
        }
        o.push('\n');
    }
}

fn findings(o: &mut String, all: &[Finding], level: &str) {
    if all.is_empty() {
        return;
    }
    let _ = writeln!(o, "{level} Findings ({})\n", all.len());
    for f in all {
        let _ =
            writeln!(o, "{level}# {} {} — {}\n", f.severity.as_str().to_uppercase(), md_code(f.id), md_text(f.title));
        let _ = writeln!(o, "{}\n", md_text(&f.summary));
        for e in &f.evidence {
            let _ = writeln!(o, "- {}", md_code(e));
        }
        if !f.evidence.is_empty() {
            o.push('\n');
        }
        let _ = writeln!(o, "Why it matters: {}\n", md_text(f.explanation));
        if f.severity >= Severity::Warn && !f.remedies.is_empty() {
            let ids: Vec<String> = f.remedies.iter().map(|r| md_code(r.id)).collect();
            let _ = writeln!(o, "Fix: {} (under What to do)\n", ids.join(", "));
        }
    }
}

fn what_to_do(o: &mut String, list: &[todo::Todo<'_>]) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(o, "## What to do\n");
    for (i, t) in list.iter().enumerate() {
        let r = t.remedy;
        let serves: Vec<String> = t.serves.iter().map(|s| md_code(s)).collect();
        let _ = writeln!(
            o,
            "{}. **{}** — {} · {} · {} · {} · for {}",
            i + 1,
            md_text(r.title),
            md_text(r.audience.label()),
            md_text(r.platform),
            md_text(r.impact.as_str()),
            md_code(r.id),
            serves.join(", ")
        );
        for p in r.preconditions {
            let _ = writeln!(o, "   - Before: {}", md_text(p));
        }
        let body: String = r.steps.iter().map(|s| md_line(s, 4000) + "\n").collect();
        let fence = md_fence(&body);
        let _ = writeln!(o, "\n   {fence}");
        for line in body.lines() {
            let _ = writeln!(o, "   {line}");
        }
        let _ = writeln!(o, "   {fence}\n");
        if let Some(u) = r.undo {
            let _ = writeln!(o, "   - Undo: {}", md_text(u));
        }
        if let Some(x) = r.risk {
            let _ = writeln!(o, "   - Risk: {}", md_text(x));
        }
        if let Some(n) = r.security_note {
            let _ = writeln!(o, "   - **Security:** {}", md_text(n));
        }
        o.push('\n');
    }
}

fn layer_details(o: &mut String, r: &Report) {
    if r.layers.iter().all(|l| l.details.is_empty()) {
        return;
    }
    let _ = writeln!(o, "## Layer details\n");
    for l in r.layers.iter().filter(|l| !l.details.is_empty()) {
        let _ = writeln!(o, "- **{}** ({})", l.name.label(), fmt::status_word(l.status));
        for d in &l.details {
            let _ = writeln!(o, "  - {}: {}", md_text(&d.label), md_text(&d.value));
        }
    }
    o.push('\n');
}

fn clients(o: &mut String, r: &Report) {
    if r.clients.is_empty() {
        return;
    }
    let _ = writeln!(o, "## Clients\n\n| Client | Verdict | Why |\n|---|---|---|");
    for c in &r.clients {
        let _ = writeln!(o, "| {} | {} | {} |", md_text(c.client), c.verdict, md_text(&c.reason));
    }
    o.push('\n');
}

fn limitations(o: &mut String, all: &[String], heading: &str) {
    if all.is_empty() {
        return;
    }
    let _ = writeln!(o, "{heading}\n");
    for l in all {
        let _ = writeln!(o, "- {}", md_text(l));
    }
    o.push('\n');
}

fn extras(o: &mut String, v: &serde_json::Value, known: &[&str]) {
    let fields = extra::unknown_fields(v, known);
    if fields.is_empty() {
        return;
    }
    let _ = writeln!(o, "## More in this report\n");
    for (k, v) in fields {
        let _ = writeln!(o, "### {}\n", md_text(&extra::label(k)));
        extra::markdown(o, v, 0, 0);
        o.push('\n');
    }
}

/// What the file shows as a whole, before the connections: the dominant pattern and every pattern, the
/// causal chains per client, and the TLS connections not examined.
fn file_level(o: &mut String, r: &CaptureReport) {
    if let Some(d) = &r.dominant_pattern {
        let _ = writeln!(o, "Dominant pattern: {}\n", md_text(d));
    }
    if !r.patterns.is_empty() {
        let _ = writeln!(o, "## Patterns across the file\n");
        findings(o, &r.patterns, "###");
    }
    if !r.chains.is_empty() {
        let _ = writeln!(o, "## Causal chains\n");
        for ch in &r.chains {
            let _ =
                writeln!(o, "- {} {}: {}", md_text(&ch.client.to_string()), md_code(&ch.verdict), md_text(&ch.summary));
        }
        o.push('\n');
    }
    if !r.not_examined.is_empty() {
        let _ = writeln!(o, "## Not examined (TLS that may be an RD Gateway)\n");
        for n in &r.not_examined {
            let _ = writeln!(
                o,
                "- {} → {}: {} — examine with {}",
                md_text(&n.client),
                md_text(&n.server),
                md_text(&n.why),
                md_code(&n.command)
            );
        }
        o.push('\n');
    }
}

/// The Markdown report of a capture.
pub fn capture(r: &CaptureReport) -> String {
    let mut o = String::with_capacity(32 * 1024);
    let _ = writeln!(o, "# rdp-doctor: capture {}\n", md_text(&r.file.path));
    let s = &r.summary;
    let _ = writeln!(
        o,
        "> **{}** {} — {}\n>\n> {}\n",
        sev_word(&r.verdict, r.max_severity),
        md_code(&r.verdict),
        md_text(&fmt::capture_sentence(r)),
        md_text(&format!(
            "{}, {} packets, {:.1} s; {} RDP-related connection(s) of {} flow(s): {} failing, {} warning, {} ok, {} incomplete",
            r.file.format,
            r.file.packets,
            r.file.duration_s,
            s.connections,
            s.flows,
            s.failing,
            s.warning,
            s.ok,
            s.incomplete
        ))
    );
    file_level(&mut o, r);
    if !r.connections.is_empty() {
        let _ =
            writeln!(o, "## Connections\n\n| # | Client → server | Kind | Verdict | Ended |\n|---|---|---|---|---|");
        for c in &r.connections {
            let mut verdict = md_code(&c.report.verdict);
            if let Some(by) = c.chain.as_ref().and_then(|ch| ch.caused_by) {
                verdict.push_str(&format!(" (consequence of #{by})"));
            }
            if let Some(p) = c.pattern {
                verdict.push_str(&format!(" (part of {})", md_code(p)));
            }
            let _ = writeln!(
                o,
                "| {} | {} → {} | {} | {} | {} |",
                c.id,
                md_text(&c.client),
                md_text(&c.server),
                c.kind.label(),
                verdict,
                md_text(&c.outcome)
            );
        }
        o.push('\n');
    }
    for c in r.connections.iter().take(MAX_WRITTEN) {
        let cr = &c.report;
        let _ = writeln!(o, "## #{} {} → {} ({})\n", c.id, md_text(&c.client), md_text(&c.server), c.kind.label());
        let sentence =
            format!("{} — the connection ended: {}.", fmt::verdict_sentence(cr).trim_end_matches('.'), c.outcome);
        verdict(&mut o, cr, &sentence, None);
        layers(&mut o, cr, "###");
        if let Some(l) = ladder::capture(cr) {
            ladder_block(&mut o, &l, "###");
        }
        certificates(&mut o, cr, "###");
        findings(&mut o, &cr.findings, "###");
        limitations(&mut o, &cr.limitations, "### Limitations");
    }
    if r.connections.len() > MAX_WRITTEN {
        let _ = writeln!(
            o,
            "{} more connection(s) are in the table only (see the JSON report).\n",
            r.connections.len() - MAX_WRITTEN
        );
    }
    what_to_do(
        &mut o,
        &todo::remedies(r.patterns.iter().chain(r.connections.iter().flat_map(|c| c.report.findings.iter()))),
    );
    limitations(&mut o, &r.limitations, "## Limitations of this capture");
    if let Ok(v) = serde_json::to_value(r) {
        extras(&mut o, &v, KNOWN_CAPTURE);
    }
    footer(&mut o);
    o
}

/// The Markdown report of a scan: verdict counts, findings across hosts, a table of hosts, remedies once.
pub fn scan(reports: &[Report], meta: &crate::html::ScanMeta) -> String {
    let mut o = String::with_capacity(64 * 1024);
    let _ = writeln!(o, "# rdp-doctor: scan of {} host(s)\n", reports.len());
    if !meta.name.is_empty() {
        let _ = writeln!(o, "Targets: {}\n", md_text(&meta.name));
    }
    let mut verdicts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for r in reports {
        *verdicts.entry(&r.verdict).or_default() += 1;
    }
    let mut counts: Vec<(&str, usize)> = verdicts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let _ = writeln!(o, "## Verdicts\n\n| Verdict | Hosts |\n|---|---|");
    for (v, n) in counts {
        let _ = writeln!(o, "| {} | {n} |", md_code(v));
    }
    let _ = writeln!(
        o,
        "\n## Hosts\n\n| Host | Severity | Verdict | First failing layer | TLS | Certificate days left |\n|---|---|---|---|---|---|"
    );
    let mut order: Vec<&Report> = reports.iter().collect();
    order.sort_by_key(|r| (std::cmp::Reverse(r.max_severity), fmt::target(r)));
    for r in &order {
        let key = r.scan.as_ref().map_or_else(|| fmt::target(r), |s| s.key.clone());
        let cert = r.evidence.tls.as_ref().and_then(|t| t.chain.first()).filter(|c| c.parse_error.is_none());
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            md_text(&key),
            r.max_severity.map_or("none", Severity::as_str),
            md_code(&r.verdict),
            r.first_failing_layer.map_or("—", LayerName::label),
            md_text(r.evidence.tls.as_ref().and_then(|t| t.version.as_deref()).unwrap_or("—")),
            cert.map_or_else(|| "—".to_owned(), |c| c.days_left(r.evidence.observed_at_unix).to_string())
        );
    }
    o.push('\n');
    what_to_do(&mut o, &todo::remedies(order.iter().flat_map(|r| r.findings.iter())));
    limitations(&mut o, &meta.limitations, "## Limitations");
    footer(&mut o);
    o
}
