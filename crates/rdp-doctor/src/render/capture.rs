//! Rendering of a capture report: a summary of the file, then every RDP-related connection (failing ones
//! first) with its layers, timeline, findings and limitations; remedies once per finding at the end.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use rdp_doctor_core::capture::Side;
use rdp_doctor_core::capture_report::{CaptureReport, ConnectionReport};
use rdp_doctor_core::{LayerStatus, Severity};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const RED: Style = AnsiColor::Red.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const GREEN: Style = AnsiColor::Green.on_default().bold();
const CYAN: Style = AnsiColor::Cyan.on_default();

fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

fn severity_style(s: Option<Severity>) -> Style {
    match s {
        Some(Severity::Fail) => RED,
        Some(Severity::Warn) => YELLOW,
        _ => GREEN,
    }
}

fn status_style(s: LayerStatus) -> Style {
    match s {
        LayerStatus::Ok => GREEN,
        LayerStatus::Warn => YELLOW,
        LayerStatus::Fail => RED,
        LayerStatus::Skipped | LayerStatus::NotReached => DIM,
    }
}

fn fmt_ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2} ms")
    } else if v < 10_000.0 {
        format!("{v:.0} ms")
    } else {
        format!("{:.1} s", v / 1000.0)
    }
}

/// Pretty JSON (schema_version 1, kind "capture"), written as it is produced: a capture report can list
/// thousands of connections.
pub fn write_json(report: &CaptureReport, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(std::io::Error::other)?;
    writeln!(out)
}

fn label(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::Fail) => "FAIL",
        Some(Severity::Warn) => "WARN",
        _ => "    ",
    }
}

fn connection(o: &mut String, c: &ConnectionReport, verbose: bool) {
    let r = &c.report;
    let kind = r.evidence.capture.as_ref().map_or("", |k| k.kind.label());
    let _ = writeln!(
        o,
        "\n{} {} {} → {}  {}  {}",
        paint(BOLD, &format!("#{}", c.id)),
        paint(severity_style(r.max_severity), label(r.max_severity)),
        c.client,
        c.server,
        paint(DIM, kind),
        paint(DIM, &format!("at +{}, lasting {}", fmt_ms(c.start_ms), fmt_ms(c.duration_ms)))
    );
    let headline = r.findings.iter().find(|f| f.id == r.verdict).map(|f| f.summary.clone()).unwrap_or_else(|| match r
        .verdict
        .as_str()
    {
        "ok" => "no problem found in what the capture shows".to_owned(),
        _ => "not enough in the capture to judge every layer (see limitations)".to_owned(),
    });
    let _ = writeln!(
        o,
        "    {} {} — {headline}",
        paint(BOLD, "verdict:"),
        paint(severity_style(r.max_severity), &r.verdict)
    );
    let _ = writeln!(o, "    {} {}", paint(DIM, "ended:"), c.outcome);
    if let Some(ch) = &c.chain {
        let role = match ch.caused_by {
            None => format!("root of a causal chain: {}", ch.how),
            Some(by) => format!("consequence of #{by}: {}", ch.how),
        };
        let _ = writeln!(o, "    {} {role}", paint(BOLD, "chain:"));
    }
    if let Some(p) = c.pattern {
        let _ = writeln!(o, "    {} {p} (see the patterns above)", paint(DIM, "part of:"));
    }
    for layer in &r.layers {
        if layer.name.as_str() == "dns" {
            continue;
        }
        let _ = writeln!(
            o,
            "    {:<7} {} {}",
            layer.name.label(),
            paint(status_style(layer.status), &format!("{:<11}", layer.status.as_str())),
            layer.summary
        );
        let show = verbose || matches!(layer.status, LayerStatus::Fail | LayerStatus::Warn);
        if show {
            for d in &layer.details {
                let _ = writeln!(o, "              {} {}", paint(DIM, &format!("{}:", d.label)), d.value);
            }
        }
    }
    if let Some(d) = r.evidence.capture.as_ref().and_then(|c| c.decryption.as_ref()) {
        decryption(o, d);
    }
    if let Some(cap) = &r.evidence.capture {
        let failing = r.max_severity >= Some(Severity::Warn);
        if (verbose || failing) && !cap.phases.is_empty() {
            let _ = writeln!(o, "    {}", paint(DIM, "timeline:"));
            for p in &cap.phases {
                let who = if p.from == Side::Client { "C→S" } else { "S→C" };
                let _ = writeln!(o, "      {:>10}  {who}  {}", format!("+{}", fmt_ms(p.at_ms)), p.what);
            }
            if cap.timeline_truncated {
                let _ = writeln!(o, "      {}", paint(DIM, "… (timeline cut)"));
            }
        }
    }
    let shown: Vec<_> = r.findings.iter().filter(|f| verbose || f.severity >= Severity::Warn).collect();
    for f in shown {
        let sev = paint(severity_style(Some(f.severity)), &format!("{:<4}", f.severity.as_str().to_uppercase()));
        let _ = writeln!(o, "    {sev} {}  {}", paint(BOLD, f.id), f.summary);
        for e in &f.evidence {
            let _ = writeln!(o, "         {} {e}", paint(DIM, "•"));
        }
    }
    if verbose || r.max_severity < Some(Severity::Warn) {
        for l in &r.limitations {
            let _ = writeln!(o, "    {} {l}", paint(DIM, "limitation:"));
        }
    }
}

/// What decryption with the given TLS secrets showed, or why it did not happen: always said plainly.
fn decryption(o: &mut String, d: &rdp_doctor_core::capture::DecryptionEvidence) {
    if !d.decrypted {
        let why = d.not_decrypted.as_deref().unwrap_or("not decrypted");
        let _ = writeln!(o, "    {:<7} {} {why}", "Decrypt", paint(DIM, &format!("{:<11}", "no")));
        return;
    }
    let _ = writeln!(
        o,
        "    {:<7} {:<11} {} client and {} server TLS records, secrets from {}",
        "Decrypt",
        "yes",
        d.client_records,
        d.server_records,
        d.sources.join(", ")
    );
    let mut lines: Vec<String> = d.credssp.clone();
    if let Some(v) = d.early_user_auth {
        lines.push(format!("Early User Authorization Result 0x{v:08X}"));
    }
    if let Some(m) = &d.mcs_result {
        lines.push(format!("MCS Connect-Response {m}"));
    }
    for e in &d.error_info {
        let name = rdp_doctor_codes::family(rdp_doctor_codes::Kind::Errinfo).code(*e).map_or("unknown", |c| c.name);
        lines.push(format!("Set Error Info {name} (0x{e:X})"));
    }
    if let Some((code, state)) = d.licensing_error {
        lines.push(format!("licensing error alert 0x{code:08X} (state 0x{state:08X})"));
    }
    if let Some(m) = &d.mcs_disconnect {
        lines.push(format!("MCS Disconnect Provider Ultimatum {m}"));
    }
    lines.extend(d.gateway.iter().map(|g| format!("MS-TSGU {g}")));
    lines.extend(d.alerts.iter().map(|a| format!("TLS alert {a}")));
    if let Some(why) = &d.not_decrypted {
        lines.push(why.clone());
    }
    for l in lines {
        let _ = writeln!(o, "              {l}");
    }
}

/// Renders the capture report for a terminal.
pub fn text(r: &CaptureReport, verbose: bool) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} {} — capture {}", paint(BOLD, r.tool.name), r.tool.version, r.file.path);
    let links: Vec<String> = r.file.link_types.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
    let _ = writeln!(
        o,
        "  {}, {} packets, {} bytes, {:.1} s{}{}",
        r.file.format,
        r.file.packets,
        r.file.bytes,
        r.file.duration_s,
        if links.is_empty() { String::new() } else { format!(", {}", links.join(", ")) },
        if r.file.interfaces > 1 { format!(", {} interfaces", r.file.interfaces) } else { String::new() }
    );
    let s = &r.summary;
    let _ = writeln!(
        o,
        "  {} RDP-related connection(s) of {} flow(s): {} failing, {} warning, {} ok, {} incomplete",
        s.connections, s.flows, s.failing, s.warning, s.ok, s.incomplete
    );
    let top = r.connections.first();
    let pattern_headline = r.patterns.iter().find(|p| p.id == r.verdict).map(|p| format!(" — {}", p.summary));
    let headline = pattern_headline
        .or_else(|| {
            top.filter(|c| c.report.verdict == r.verdict).and_then(|c| {
                c.report.findings.iter().find(|f| f.id == r.verdict).map(|f| format!(" — {} (#{})", f.summary, c.id))
            })
        })
        .unwrap_or_else(|| match r.verdict.as_str() {
            "no_rdp_traffic" => " — no RDP-related connection in this capture".to_owned(),
            "ok" => " — no problem found in what the capture shows".to_owned(),
            _ => " — some connections could not be judged from the capture".to_owned(),
        });
    let _ =
        writeln!(o, "\n{} {}{headline}", paint(BOLD, "Verdict:"), paint(severity_style(r.max_severity), &r.verdict));
    if let Some(d) = &r.dominant_pattern {
        let _ = writeln!(o, "{} {d}", paint(BOLD, "Dominant pattern:"));
    }
    if !r.patterns.is_empty() {
        let _ = writeln!(o, "\n{}", paint(BOLD, "Patterns across the file"));
        for f in &r.patterns {
            let sev = paint(severity_style(Some(f.severity)), &format!("{:<4}", f.severity.as_str().to_uppercase()));
            let _ = writeln!(o, "  {sev} {}  {}", paint(BOLD, f.id), f.summary);
            for e in &f.evidence {
                let _ = writeln!(o, "       {} {e}", paint(DIM, "•"));
            }
        }
    }
    if !r.chains.is_empty() {
        let _ = writeln!(o, "\n{}", paint(BOLD, "Causal chains (per client, earliest failure first)"));
        for ch in &r.chains {
            let _ = writeln!(o, "  {} {}: {}", ch.client, paint(BOLD, &ch.verdict), ch.summary);
        }
    }
    for c in &r.connections {
        connection(&mut o, c, verbose);
    }
    if !r.not_examined.is_empty() {
        let _ = writeln!(o, "\n{}", paint(BOLD, "Not examined (TLS that may be an RD Gateway)"));
        for n in &r.not_examined {
            let _ =
                writeln!(o, "  {} → {}  {}", n.client, n.server, paint(DIM, &format!("at +{}", fmt_ms(n.start_ms))));
            let _ = writeln!(o, "    {} {}", paint(DIM, "why:"), n.why);
            let _ = writeln!(o, "    {} {}", paint(CYAN, "examine:"), n.command);
        }
    }
    if !s.omitted.is_empty() {
        let parts: Vec<String> = s.omitted.iter().map(|(v, n)| format!("{v} ×{n}")).collect();
        let _ =
            writeln!(o, "\n  {} more connection(s) not listed: {}", s.omitted.values().sum::<u64>(), parts.join(", "));
    }
    // Remedies once per finding, in the order the findings first appear.
    let mut seen = BTreeSet::new();
    let mut remedies = String::new();
    for f in r
        .patterns
        .iter()
        .chain(r.connections.iter().flat_map(|c| c.report.findings.iter()))
        .filter(|f| f.severity >= Severity::Warn)
    {
        if !seen.insert(f.id) {
            continue;
        }
        let _ = writeln!(remedies, "\n  {}  {}", paint(BOLD, f.id), f.title);
        let _ = writeln!(remedies, "     {} {}", paint(DIM, "why:"), f.explanation);
        for rem in &f.remedies {
            let _ = writeln!(
                remedies,
                "     {} {} {}",
                paint(CYAN, "fix"),
                paint(DIM, &format!("[{} · {}]", rem.audience.label(), rem.platform)),
                rem.title
            );
            if verbose {
                for step in rem.steps {
                    let _ = writeln!(remedies, "         {step}");
                }
                if let Some(u) = rem.undo {
                    let _ = writeln!(remedies, "         {} {u}", paint(DIM, "undo:"));
                }
                if let Some(n) = rem.security_note {
                    let _ = writeln!(remedies, "         {} {n}", paint(YELLOW, "security:"));
                }
            }
        }
    }
    if !remedies.is_empty() {
        let _ = writeln!(
            o,
            "\n{}{}",
            paint(BOLD, "What to do"),
            if verbose { "" } else { " (steps with -v, or in --json)" }
        );
        o.push_str(&remedies);
    }
    if !r.limitations.is_empty() {
        let _ = writeln!(o, "\n{}", paint(BOLD, "Limitations of this capture"));
        for l in &r.limitations {
            let _ = writeln!(o, "  - {l}");
        }
    }
    o
}
