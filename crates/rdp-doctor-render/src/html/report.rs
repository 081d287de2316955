//! The sections of a report page: verdict banner, layer chain, ladders, certificates, findings, what to
//! do, layer details, clients, limitations, and anything newer the report holds.

use rdp_doctor_core::capture_report::{CaptureReport, ConnectionReport};
use rdp_doctor_core::cert::CertInfo;
use rdp_doctor_core::evidence::TrustVerdict;
use rdp_doctor_core::{Finding, LayerName, LayerStatus, Report, Severity};

use super::svg;
use crate::escape::Html;
use crate::{extra, fmt, ladder, todo};

/// Fields of a `Report` these sections show; any other is rendered generically.
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

/// Fields of a `CaptureReport` the capture page shows.
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

/// Connections drawn in full on a capture page; the rest are rows of the table.
pub const MAX_DRAWN: usize = 100;

/// A whole check report.
pub fn whole(h: &mut Html, r: &Report) {
    h.el("p", &[("class", "tool")], &format!("rdp-doctor {} — Remote Desktop diagnosis", r.tool.version));
    let what = if r.evidence.host.is_some() && r.evidence.tcp.is_none() { "Host report" } else { "Check" };
    h.raw("<h1>").text(&format!("{what} of {}", fmt::target(r))).raw("</h1>");
    if let Some(sf) = &r.source_file {
        h.el(
            "p",
            &[("class", "muted")],
            &format!(
                "Target and settings from {} ({}, {} line endings, {} setting(s))",
                sf.path, sf.encoding, sf.line_ending, sf.settings
            ),
        );
    }
    banner(h, r, &fmt::verdict_sentence(r), Some(r.evidence.observed_at_unix), "Time of the check");
    chain(h, r);
    let ladders = ladder::live(r);
    if !ladders.is_empty() {
        h.raw("<section id=\"ladder\"><h2>The connection, message by message</h2>");
        for l in &ladders {
            ladder_box(h, l);
        }
        h.raw("</section>");
    }
    certificates(h, r);
    findings(h, &r.findings, true);
    what_to_do(h, &todo::remedies(&r.findings));
    layer_details(h, r);
    clients(h, r);
    limitations(h, &r.limitations, "Limitations", "h2");
    extras(h, r);
}

/// The verdict banner: the sentence, the verdict ID, severity, first failing layer, when.
fn banner(h: &mut Html, r: &Report, sentence: &str, when: Option<i64>, when_label: &str) {
    let class = fmt::verdict_class(&r.verdict, r.max_severity);
    h.open("section", &[("class", &format!("banner {class}")), ("id", "verdict")]);
    h.el("p", &[("class", "sentence")], sentence);
    h.raw("<dl>");
    h.raw("<div><dt>Verdict</dt><dd><code>").text(&r.verdict).raw("</code></dd></div>");
    h.raw("<div><dt>Severity</dt><dd>").text(&severity_word(&r.verdict, r.max_severity)).raw("</dd></div>");
    h.raw("<div><dt>First failing layer</dt><dd>")
        .text(r.first_failing_layer.map_or("none", LayerName::label))
        .raw("</dd></div>");
    if let Some(t) = when {
        h.raw("<div><dt>").text(when_label).raw("</dt><dd>").text(&fmt::date_time(t)).raw("</dd></div>");
    }
    if r.duration_ms > 0.0 {
        h.raw("<div><dt>Took</dt><dd>").text(&fmt::ms(r.duration_ms)).raw("</dd></div>");
    }
    h.raw("</dl>");
    if let Some(view) = &r.client_view {
        for (who, what) in [("Windows client", &view.mstsc), ("FreeRDP", &view.freerdp)] {
            if let Some(w) = what {
                h.raw("<p><b>").text(who).raw(":</b> ").text(w).raw("</p>");
            }
        }
    }
    h.raw("</section>");
}

fn severity_word(verdict: &str, s: Option<Severity>) -> String {
    match (s, verdict) {
        (Some(Severity::Fail), _) => "FAIL".to_owned(),
        (Some(Severity::Warn), _) => "WARN".to_owned(),
        (_, "ok") => "OK".to_owned(),
        _ => "INCOMPLETE (nothing failed, not everything was judged)".to_owned(),
    }
}

/// The layer chain: each layer's status and time; the RD Gateway's own steps under it.
fn chain(h: &mut Html, r: &Report) {
    if r.layers.is_empty() {
        return;
    }
    h.raw("<section id=\"chain\"><h2>Layers</h2><ol class=\"chain\">");
    for l in &r.layers {
        h.open("li", &[("class", fmt::status_class(l.status)), ("title", &l.summary)]);
        h.el("span", &[("class", "ln")], l.name.label());
        h.el("span", &[("class", "ls")], fmt::status_word(l.status));
        h.el("span", &[("class", "lt")], &l.duration_ms.map(fmt::ms).unwrap_or_default());
        h.close("li");
    }
    h.raw("</ol>");
    if let Some(g) = r.layers.iter().find(|l| l.name == LayerName::Gateway) {
        h.raw("<h3>RD Gateway steps</h3><ol class=\"chain sub\">");
        for d in &g.details {
            h.open("li", &[("class", fmt::status_class(g.status))]);
            h.el("span", &[("class", "ln")], &d.label);
            h.el("span", &[("class", "lt")], &d.value);
            h.close("li");
        }
        h.raw("</ol>");
    }
    h.raw("</section>");
}

fn ladder_box(h: &mut Html, l: &ladder::Ladder) {
    h.raw("<div class=\"ladder-wrap\">");
    h.el("h3", &[], &l.title);
    h.el("p", &[("class", "muted")], &l.time_note);
    svg::ladder(h, l);
    for n in &l.notes {
        h.el("p", &[("class", "muted")], n);
    }
    h.raw("<details class=\"ladder-text\"><summary>The same as text</summary><pre>");
    h.text(&ladder::text(l));
    h.raw("</pre></details></div>");
}

/// The certificates a report saw: the target's TLS chain, the gateway's, a Standard RDP Security X.509.
fn certificates(h: &mut Html, r: &Report) {
    let ev = &r.evidence;
    let mut panels: Vec<(&str, &[CertInfo], &str, Option<&TrustVerdict>)> = Vec::new();
    if let Some(t) = ev.tls.as_ref().filter(|t| !t.chain.is_empty()) {
        panels.push(("The server's certificate", &t.chain, &t.server_name, t.trust.as_ref()));
    }
    if let Some(t) = ev.gateway.as_ref().and_then(|g| g.tls.as_ref()).filter(|t| !t.chain.is_empty()) {
        panels.push(("The RD Gateway's certificate", &t.chain, &t.server_name, t.trust.as_ref()));
    }
    if let Some(rdp_doctor_core::evidence::RdpSecurityOutcome::Response {
        certificate: Some(rdp_doctor_core::evidence::ServerCertEvidence::X509 { chain, .. }),
        ..
    }) = ev.rdp_security.as_ref().map(|s| &s.outcome)
        && !chain.is_empty()
    {
        panels.push(("The Standard RDP Security certificate", chain, "", None));
    }
    let stored = ev.host.as_ref().and_then(|h| h.certificate.as_ref()).and_then(|c| c.found.as_ref());
    if let Some(c) = stored {
        panels.push((
            "The listener's certificate (from the server's registry)",
            std::slice::from_ref(&c.info),
            "",
            None,
        ));
    }
    if panels.is_empty() {
        return;
    }
    h.raw("<section id=\"certificate\"><h2>Certificate</h2>");
    for (title, chain, name, trust) in panels {
        cert_panel(h, title, chain, name, trust, ev.observed_at_unix);
    }
    h.raw("</section>");
}

fn row(h: &mut Html, k: &str, v: &str) {
    h.raw("<tr>").el("th", &[], k).el("td", &[], v).raw("</tr>");
}

fn code_row(h: &mut Html, k: &str, v: &str) {
    h.raw("<tr>").el("th", &[], k).raw("<td><code>").text(v).raw("</code></td></tr>");
}

fn cert_panel(h: &mut Html, title: &str, chain: &[CertInfo], name: &str, trust: Option<&TrustVerdict>, now: i64) {
    h.raw("<div class=\"cert\">");
    h.el("h3", &[], title);
    if chain.len() > 1 {
        h.raw("<p>Chain as sent, leaf first:</p><ol>");
        for c in chain {
            h.raw("<li>").text(if c.parse_error.is_some() { "(unparsable)" } else { &c.subject });
            h.raw(" <span class=\"muted\">issued by ").text(&c.issuer).raw("</span></li>");
        }
        h.raw("</ol>");
    }
    let Some(leaf) = chain.first() else { return };
    if let Some(e) = &leaf.parse_error {
        h.el("p", &[], &format!("The certificate could not be parsed: {e}"));
        h.raw("</div>");
        return;
    }
    let state = if now > leaf.not_after_unix {
        format!("expired {} day(s) before the time of observation", (now - leaf.not_after_unix) / 86_400)
    } else if now < leaf.not_before_unix {
        "not yet valid at the time of observation".to_owned()
    } else {
        format!("{} day(s) left at the time of observation", leaf.days_left(now))
    };
    h.raw("<table class=\"kv\">");
    row(h, "Subject", &leaf.subject);
    row(h, "Issuer", &leaf.issuer);
    h.raw("<tr><th>Valid</th><td>");
    svg::validity_bar(h, leaf.not_before_unix, leaf.not_after_unix, now);
    h.raw("<div class=\"vbar-dates\"><span>").text(&leaf.not_before).raw("</span><span>");
    h.text(&leaf.not_after).raw("</span></div>").text(&state).raw("</td></tr>");
    let mut names: Vec<String> = leaf.dns_names.iter().map(|n| format!("DNS:{n}")).collect();
    names.extend(leaf.ip_addresses.iter().map(|a| format!("IP:{a}")));
    row(h, "Names (subjectAltName)", &if names.is_empty() { "none".to_owned() } else { names.join(", ") });
    if !leaf.common_names.is_empty() {
        row(h, "Common name", &leaf.common_names.join(", "));
    }
    if name.is_empty() {
        row(h, "Name match", "not judged: the name the client used is not known");
    } else {
        let m = leaf.matches_name(name);
        row(h, "Name match", &format!("{} for {name} ({})", if m.matched { "yes" } else { "no" }, m.detail));
    }
    row(h, "Key", &format!("{} {} bits, signed {}", leaf.key_type, leaf.key_bits, leaf.signature_algorithm));
    row(
        h,
        "Extended key usage",
        &if leaf.ekus.is_empty() { "none (any usage)".to_owned() } else { leaf.ekus.join(", ") },
    );
    row(h, "Self-signed", if leaf.self_signed { "yes" } else { "no" });
    if let Some(t) = trust {
        let v = if t.trusted {
            format!("trusted ({})", t.verifier)
        } else {
            format!("not trusted: {} ({})", t.error.as_deref().unwrap_or("?"), t.verifier)
        };
        row(h, "Trust", &v);
    }
    code_row(h, "Serial", &leaf.serial);
    code_row(h, "SHA-1 thumbprint", &leaf.sha1_thumbprint);
    code_row(h, "SHA-256", &leaf.sha256);
    h.raw("</table></div>");
}

/// Findings with their evidence; each names its remedies, which are written once under "What to do".
pub fn findings(h: &mut Html, all: &[Finding], heading: bool) {
    if all.is_empty() {
        return;
    }
    if heading {
        h.raw("<section id=\"findings\">").el("h2", &[], &format!("Findings ({})", all.len()));
    }
    for f in all {
        let sev = f.severity.as_str();
        h.open("article", &[("class", &format!("finding {sev}"))]);
        h.raw("<h3><span class=\"badge\">").text(sev).raw("</span> ").text(f.title).raw("</h3>");
        h.el("div", &[("class", "id")], &format!("{} · layer {}", f.id, f.layer));
        h.el("p", &[], &f.summary);
        if !f.evidence.is_empty() {
            h.raw("<ul class=\"ev\">");
            for e in &f.evidence {
                h.el("li", &[], e);
            }
            h.raw("</ul>");
        }
        h.raw("<p><b>Why it matters:</b> ").text(f.explanation).raw("</p>");
        if f.severity >= Severity::Warn && !f.remedies.is_empty() {
            h.raw("<p><b>Fix:</b> ");
            for (i, rem) in f.remedies.iter().enumerate() {
                if i > 0 {
                    h.raw(" · ");
                }
                h.open("a", &[("href", &format!("#r-{}", rem.id))]).text(rem.title).close("a");
            }
            h.raw("</p>");
        }
        h.raw("</article>");
    }
    if heading {
        h.raw("</section>");
    }
}

/// Every remedy once, in order: who, where, what it changes, before, steps (one copyable block each),
/// undo, risk, and a plain warning when it weakens security.
pub fn what_to_do(h: &mut Html, list: &[todo::Todo<'_>]) {
    if list.is_empty() {
        return;
    }
    h.raw("<section id=\"todo\"><h2>What to do</h2><ol class=\"todo\">");
    for t in list {
        let r = t.remedy;
        h.open("li", &[("id", &format!("r-{}", r.id))]);
        h.el("b", &[], r.title);
        h.el(
            "div",
            &[("class", "meta")],
            &format!(
                "{} · {} · {} · {} · for {}",
                r.audience.label(),
                r.platform,
                r.impact.as_str(),
                r.id,
                t.serves.join(", ")
            ),
        );
        for p in r.preconditions {
            h.raw("<p><b>Before:</b> ").text(p).raw("</p>");
        }
        h.raw("<ol class=\"steps\">");
        for s in r.steps {
            h.raw("<li><pre><code>").text(s).raw("</code></pre></li>");
        }
        h.raw("</ol>");
        if let Some(u) = r.undo {
            h.raw("<p><b>Undo:</b> ").text(u).raw("</p>");
        }
        if let Some(x) = r.risk {
            h.raw("<p class=\"risk\"><b>Risk:</b> ").text(x).raw("</p>");
        }
        if let Some(n) = r.security_note {
            h.raw("<p class=\"security\">Security: ").text(n).raw("</p>");
        }
        h.raw("</li>");
    }
    h.raw("</ol></section>");
}

/// Every layer's summary and details (folded unless it failed or warned).
fn layer_details(h: &mut Html, r: &Report) {
    if r.layers.is_empty() {
        return;
    }
    h.raw("<section id=\"layers\"><h2>Layer details</h2>");
    for l in &r.layers {
        h.raw(if matches!(l.status, LayerStatus::Fail | LayerStatus::Warn) { "<details open>" } else { "<details>" });
        h.raw("<summary>").text(l.name.label()).raw(" — ");
        h.open("span", &[("class", &format!("badge {}", fmt::status_class(l.status)))])
            .text(fmt::status_word(l.status))
            .close("span");
        h.raw(" ").text(&l.summary).raw("</summary>");
        if !l.details.is_empty() {
            h.raw("<table class=\"kv\">");
            for d in &l.details {
                row(h, &d.label, &d.value);
            }
            h.raw("</table>");
        }
        h.raw("</details>");
    }
    h.raw("</section>");
}

fn clients(h: &mut Html, r: &Report) {
    if r.clients.is_empty() {
        return;
    }
    h.raw("<section id=\"clients\"><h2>Clients</h2><table><tr><th>Client</th><th>Verdict</th><th>Why</th></tr>");
    for c in &r.clients {
        let class = match c.verdict {
            "ok" => "ok",
            "fails" => "fail",
            _ => "skip",
        };
        h.raw("<tr>").el("td", &[], c.client);
        h.raw("<td>").open("span", &[("class", &format!("badge {class}"))]).text(c.verdict).raw("</span></td>");
        h.el("td", &[], &c.reason).raw("</tr>");
    }
    h.raw("</table></section>");
}

fn limitations(h: &mut Html, all: &[String], title: &str, level: &'static str) {
    if all.is_empty() {
        return;
    }
    h.raw("<section class=\"limitations\">").el(level, &[], title).raw("<ul>");
    for l in all {
        h.el("li", &[], l);
    }
    h.raw("</ul></section>");
}

fn extras(h: &mut Html, r: &Report) {
    let Ok(v) = serde_json::to_value(r) else { return };
    extra_section(h, &v, KNOWN);
}

fn extra_section(h: &mut Html, v: &serde_json::Value, known: &[&str]) {
    let fields = extra::unknown_fields(v, known);
    if fields.is_empty() {
        return;
    }
    h.raw("<section class=\"extra\"><h2>More in this report</h2>");
    for (k, v) in fields {
        h.el("h3", &[], &extra::label(k));
        extra::html(h, v, 0);
    }
    h.raw("</section>");
}

/// A capture: the file, the connections table, each connection drawn, remedies once.
pub fn capture(h: &mut Html, r: &CaptureReport) {
    h.el("p", &[("class", "tool")], &format!("rdp-doctor {} — Remote Desktop diagnosis", r.tool.version));
    h.raw("<h1>").text(&format!("Capture {}", r.file.path)).raw("</h1>");
    let class = fmt::verdict_class(&r.verdict, r.max_severity);
    h.open("section", &[("class", &format!("banner {class}")), ("id", "verdict")]);
    h.el("p", &[("class", "sentence")], &fmt::capture_sentence(r));
    h.raw("<dl><div><dt>Verdict</dt><dd><code>").text(&r.verdict).raw("</code></dd></div>");
    h.raw("<div><dt>Severity</dt><dd>").text(&severity_word(&r.verdict, r.max_severity)).raw("</dd></div>");
    if let Some(t) = r.file.first_packet_unix {
        h.raw("<div><dt>First packet</dt><dd>").text(&fmt::date_time(t as i64)).raw("</dd></div>");
    }
    let s = &r.summary;
    h.raw("<div><dt>Connections</dt><dd>")
        .fmt(format_args!("{} failing, {} warning, {} ok, {} incomplete", s.failing, s.warning, s.ok, s.incomplete))
        .raw("</dd></div></dl>");
    h.el(
        "p",
        &[("class", "muted")],
        &format!(
            "{}, {} packets, {} bytes, {:.1} s; {} RDP-related connection(s) of {} flow(s)",
            r.file.format, r.file.packets, r.file.bytes, r.file.duration_s, s.connections, s.flows
        ),
    );
    h.raw("</section>");
    file_level(h, r);
    if !r.connections.is_empty() {
        connections_table(h, r);
    }
    for c in r.connections.iter().take(MAX_DRAWN) {
        connection(h, c);
    }
    if r.connections.len() > MAX_DRAWN {
        h.el(
            "p",
            &[("class", "muted")],
            &format!(
                "{} more connection(s) are in the table above only (see the JSON report).",
                r.connections.len() - MAX_DRAWN
            ),
        );
    }
    what_to_do(
        h,
        &todo::remedies(r.patterns.iter().chain(r.connections.iter().flat_map(|c| c.report.findings.iter()))),
    );
    limitations(h, &r.limitations, "Limitations of this capture", "h2");
    if let Ok(v) = serde_json::to_value(r) {
        extra_section(h, &v, KNOWN_CAPTURE);
    }
}

/// What the file shows as a whole, before the connections: patterns, causal chains, TLS not examined.
fn file_level(h: &mut Html, r: &CaptureReport) {
    if !r.patterns.is_empty() {
        h.raw("<section id=\"patterns\">").el("h2", &[], "Patterns across the file");
        if let Some(d) = &r.dominant_pattern {
            h.el("p", &[("class", "sentence")], &format!("Dominant pattern: {d}"));
        }
        findings(h, &r.patterns, false);
        h.raw("</section>");
    }
    if !r.chains.is_empty() {
        h.raw("<section id=\"chains\">").el("h2", &[], "Causal chains").raw("<ul>");
        for ch in &r.chains {
            h.el("li", &[], &format!("{} {}: {}", ch.client, ch.verdict, ch.summary));
        }
        h.raw("</ul></section>");
    }
    if !r.not_examined.is_empty() {
        h.raw("<section id=\"not-examined\">")
            .el("h2", &[], "Not examined (TLS that may be an RD Gateway)")
            .raw("<ul>");
        for n in &r.not_examined {
            h.raw("<li>")
                .text(&format!("{} → {}: {} — examine with ", n.client, n.server, n.why))
                .raw("<code>")
                .text(&n.command)
                .raw("</code></li>");
        }
        h.raw("</ul></section>");
    }
}

fn connections_table(h: &mut Html, r: &CaptureReport) {
    h.raw("<section id=\"connections\"><h2>Connections</h2><div class=\"scroll\"><table>");
    h.raw("<tr><th>#</th><th>Client → server</th><th>Kind</th><th>Verdict</th><th>Ended</th></tr>");
    for (i, c) in r.connections.iter().enumerate() {
        let class = fmt::verdict_class(&c.report.verdict, c.report.max_severity);
        h.open("tr", &[("class", class)]);
        h.raw("<td>");
        if i < MAX_DRAWN {
            h.open("a", &[("href", &format!("#c-{}", c.id))]).fmt(format_args!("{}", c.id)).close("a");
        } else {
            h.fmt(format_args!("{}", c.id));
        }
        h.raw("</td>").el("td", &[], &format!("{} → {}", c.client, c.server)).el("td", &[], c.kind.label());
        h.raw("<td><span class=\"badge\">").text(&c.report.verdict).raw("</span>");
        if let Some(by) = c.chain.as_ref().and_then(|ch| ch.caused_by) {
            h.text(&format!(" consequence of #{by}"));
        }
        if let Some(p) = c.pattern {
            h.text(&format!(" part of {p}"));
        }
        h.raw("</td>").el("td", &[], &c.outcome);
        h.raw("</tr>");
    }
    h.raw("</table></div>");
    if !r.summary.omitted.is_empty() {
        let parts: Vec<String> = r.summary.omitted.iter().map(|(v, n)| format!("{v} ×{n}")).collect();
        h.el("p", &[("class", "muted")], &format!("Not listed (beyond --max-listed): {}", parts.join(", ")));
    }
    h.raw("</section>");
}

fn connection(h: &mut Html, c: &ConnectionReport) {
    let r = &c.report;
    h.open("section", &[("id", &format!("c-{}", c.id)), ("class", "conn")]);
    h.el("h2", &[], &format!("#{} {} → {} ({})", c.id, c.client, c.server, c.kind.label()));
    let sentence = format!("{} — the connection ended: {}.", fmt::verdict_sentence(r).trim_end_matches('.'), c.outcome);
    banner(h, r, &sentence, None, "");
    chain(h, r);
    if let Some(l) = ladder::capture(r) {
        ladder_box(h, &l);
    }
    certificates(h, r);
    findings(h, &r.findings, false);
    layer_details(h, r);
    limitations(h, &r.limitations, "Limitations", "h3");
    h.raw("</section>");
}
