//! Human output: layers with timings, the verdict, findings with evidence and remedies, limitations.
//! Styles are ANSI; `anstream` strips them when the output is not a terminal or NO_COLOR is set.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use rdp_doctor_core::{Finding, LayerStatus, Remedy, Report, Severity};

pub(crate) const BOLD: Style = Style::new().bold();
pub(crate) const DIM: Style = Style::new().dimmed();
pub(crate) const RED: Style = AnsiColor::Red.on_default().bold();
pub(crate) const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
pub(crate) const GREEN: Style = AnsiColor::Green.on_default().bold();
pub(crate) const CYAN: Style = AnsiColor::Cyan.on_default();

pub(crate) fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

fn status_style(s: LayerStatus) -> Style {
    match s {
        LayerStatus::Ok => GREEN,
        LayerStatus::Warn => YELLOW,
        LayerStatus::Fail => RED,
        LayerStatus::Skipped | LayerStatus::NotReached => DIM,
    }
}

pub(crate) fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Fail => RED,
        Severity::Warn => YELLOW,
        Severity::Info => CYAN,
    }
}

fn fmt_ms(v: f64) -> String {
    if v < 10.0 { format!("{v:.2} ms") } else { format!("{v:.0} ms") }
}

/// Writes one remedy: title with audience and platform, preconditions, steps, undo, risk and security note.
/// Shared by the check report and `explain`.
pub(crate) fn write_remedy(o: &mut String, rem: &Remedy, indent: usize) {
    let pad = " ".repeat(indent);
    let _ = writeln!(
        o,
        "{pad}{} {} {}  {}",
        paint(CYAN, "fix"),
        paint(DIM, &format!("[{} · {}]", rem.audience.label(), rem.platform)),
        rem.title,
        paint(DIM, rem.id)
    );
    for p in rem.preconditions {
        let _ = writeln!(o, "{pad}    {} {p}", paint(DIM, "before:"));
    }
    for step in rem.steps {
        let _ = writeln!(o, "{pad}    {step}");
    }
    if let Some(u) = rem.undo {
        let _ = writeln!(o, "{pad}    {} {u}", paint(DIM, "undo:"));
    }
    if let Some(r) = rem.risk {
        let _ = writeln!(o, "{pad}    {} {r}", paint(DIM, "risk:"));
    }
    if let Some(n) = rem.security_note {
        let _ = writeln!(o, "{pad}    {} {n}", paint(YELLOW, "security:"));
    }
}

/// Renders the report for a terminal: one screen for the person in a hurry, or every detail with `verbose`.
pub fn render(r: &Report, verbose: bool) -> String {
    if verbose { full(r) } else { brief(r) }
}

/// The default view: the verdict in one sentence, the layer table, one line per finding, then what to do —
/// each remedy once, in order, the first one's steps in full, the others by title and ID.
fn brief(r: &Report) -> String {
    let mut o = String::new();
    let verb = if r.layers.len() == 1 && r.layers.iter().all(|l| l.name == rdp_doctor_core::LayerName::Host) {
        "host"
    } else if r.layers.first().is_some_and(|l| l.name == rdp_doctor_core::LayerName::Client) {
        "last"
    } else {
        "check"
    };
    let what = rdp_doctor_render::fmt::target(r);
    let _ = writeln!(o, "{} {} — {verb} {what}", paint(BOLD, r.tool.name), r.tool.version);
    if let Some(sf) = &r.source_file {
        let _ = writeln!(o, "  {} {} ({})", paint(DIM, "target and settings from"), sf.path, sf.encoding);
    }
    let verdict_style = r.max_severity.map_or(GREEN, |s| if s == Severity::Info { GREEN } else { severity_style(s) });
    let sentence = rdp_doctor_render::fmt::verdict_sentence(r);
    let where_ = r.first_failing_layer.map(|l| format!(" (first failing layer: {})", l.label())).unwrap_or_default();
    let _ = writeln!(o, "\n{} {} — {sentence}{where_}", paint(BOLD, "Verdict:"), paint(verdict_style, &r.verdict));
    if let Some(view) = &r.client_view {
        if let Some(m) = &view.mstsc {
            let _ = writeln!(o, "{} {m}", paint(BOLD, "Windows client:"));
        }
        if let Some(f) = &view.freerdp {
            let _ = writeln!(o, "{} {f}", paint(BOLD, "FreeRDP:"));
        }
    }
    let _ = writeln!(o);
    for layer in &r.layers {
        let status = rdp_doctor_render::fmt::status_word(layer.status);
        let time = layer.duration_ms.map(fmt_ms).unwrap_or_default();
        let _ = writeln!(
            o,
            "  {:<10} {} {}  {}",
            layer.name.label(),
            paint(status_style(layer.status), &format!("{status:<11}")),
            layer.summary,
            paint(DIM, &time)
        );
    }
    // `last`: the attempts of the client's log, newest first, with their codes.
    if let Some(client) = r.layers.first().filter(|l| l.name == rdp_doctor_core::LayerName::Client) {
        let attempts: Vec<_> = client.details.iter().filter(|d| d.label.starts_with("attempt")).collect();
        if !attempts.is_empty() {
            let _ = writeln!(o, "\n{}", paint(BOLD, "Attempts in the client's log (newest first)"));
            for d in attempts {
                let mark = if d.label.contains("diagnosed") { paint(BOLD, " (diagnosed)") } else { String::new() };
                let _ = writeln!(o, "  {}{mark}", d.value);
            }
        }
    }
    let shown: Vec<&Finding> = r.findings.iter().filter(|f| f.severity >= Severity::Warn).collect();
    if !shown.is_empty() {
        let _ = writeln!(o, "\n{}", paint(BOLD, "Findings"));
        let width = shown.iter().map(|f| f.id.len()).max().unwrap_or(0);
        for f in &shown {
            let sev = paint(severity_style(f.severity), &format!("{:<4}", f.severity.as_str().to_uppercase()));
            let _ = writeln!(o, "  {sev} {}  {}", paint(BOLD, &format!("{:<width$}", f.id)), f.summary);
        }
    }
    let info = r.findings.len() - shown.len();
    if info > 0 {
        let _ = writeln!(o, "  {}", paint(DIM, &format!("+ {info} info finding(s): -v")));
    }
    let todo = rdp_doctor_render::todo::remedies(&r.findings);
    if let Some((first, rest)) = todo.split_first() {
        let _ = writeln!(o, "\n{}", paint(BOLD, "What to do"));
        let rem = first.remedy;
        let _ = writeln!(
            o,
            "  1. {}  {}  {}",
            paint(BOLD, rem.title),
            paint(DIM, &format!("[{} · {}]", rem.audience.label(), rem.platform)),
            paint(DIM, rem.id)
        );
        for p in rem.preconditions {
            let _ = writeln!(o, "       {} {p}", paint(DIM, "before:"));
        }
        for step in rem.steps {
            let _ = writeln!(o, "       {step}");
        }
        if let Some(u) = rem.undo {
            let _ = writeln!(o, "       {} {u}", paint(DIM, "undo:"));
        }
        if let Some(x) = rem.risk {
            let _ = writeln!(o, "       {} {x}", paint(DIM, "risk:"));
        }
        if let Some(n) = rem.security_note {
            let _ = writeln!(o, "       {} {n}", paint(YELLOW, "security:"));
        }
        for (i, t) in rest.iter().enumerate() {
            let _ = writeln!(o, "  {}. {}  {}", i + 2, t.remedy.title, paint(DIM, t.remedy.id));
        }
        if !rest.is_empty() {
            let _ = writeln!(o, "  {}", paint(DIM, "Steps of the others: rdp-doctor explain ID, or -v."));
        }
    }
    // What was not checked stays in view, briefly: the first two, and how many more -v shows.
    if !r.limitations.is_empty() {
        let _ = writeln!(o, "\n{}", paint(BOLD, "Limitations"));
        for l in r.limitations.iter().take(2) {
            let _ = writeln!(o, "  - {l}");
        }
        if r.limitations.len() > 2 {
            let _ = writeln!(o, "  {}", paint(DIM, &format!("+ {} more: -v", r.limitations.len() - 2)));
        }
    }
    let _ = writeln!(o, "\n{}", paint(DIM, &format!("Total time {}", fmt_ms(r.duration_ms))));
    o
}

/// The whole report: every layer detail, every finding with its evidence and remedies, the clients and
/// the limitations (`-v`).
fn full(r: &Report) -> String {
    let verbose = true;
    let mut o = String::new();
    let what = if r.target.host.is_empty() {
        r.target.input.clone() // an .rdp file that names no server
    } else {
        format!("{}:{}", r.target.host, r.target.port)
    };
    // `rdp-doctor host` reports have the host layer alone.
    let verb = if r.layers.len() == 1 && r.layers.iter().all(|l| l.name == rdp_doctor_core::LayerName::Host) {
        "host"
    } else if r.layers.first().is_some_and(|l| l.name == rdp_doctor_core::LayerName::Client) {
        "last"
    } else {
        "check"
    };
    let _ = writeln!(o, "{} {} — {verb} {what}", paint(BOLD, r.tool.name), r.tool.version);
    if let Some(sf) = &r.source_file {
        let _ = writeln!(
            o,
            "  {} {} ({}, {} line endings, {} setting(s))",
            paint(DIM, "target and settings from"),
            sf.path,
            sf.encoding,
            sf.line_ending,
            sf.settings
        );
    }
    let _ = writeln!(o);
    for layer in &r.layers {
        let status = layer.status.as_str();
        let time = layer.duration_ms.map(fmt_ms).unwrap_or_default();
        let _ = writeln!(
            o,
            "  {:<6} {} {}  {}",
            layer.name.label(),
            paint(status_style(layer.status), &format!("{status:<11}")),
            layer.summary,
            paint(DIM, &time)
        );
        let show_details = verbose
            || matches!(layer.status, LayerStatus::Fail | LayerStatus::Warn)
            || matches!(layer.name.as_str(), "tls" | "session");
        if show_details {
            for d in &layer.details {
                let _ = writeln!(o, "           {} {}", paint(DIM, &format!("{}:", d.label)), d.value);
            }
        }
    }
    let _ = writeln!(o);
    let verdict_style = r.max_severity.map_or(GREEN, |s| if s == Severity::Info { GREEN } else { severity_style(s) });
    let where_ = r.first_failing_layer.map(|l| format!(" (first failing layer: {})", l.label())).unwrap_or_default();
    let headline =
        r.findings.iter().find(|f| f.id == r.verdict).map(|f| format!(" — {}", f.summary)).unwrap_or_else(|| {
            match r.verdict.as_str() {
                "ok" => " — no problem found in the layers checked".to_owned(),
                _ => " — the run stopped before the last layer".to_owned(),
            }
        });
    let _ = writeln!(o, "{} {}{headline}{where_}", paint(BOLD, "Verdict:"), paint(verdict_style, &r.verdict));
    if let Some(view) = &r.client_view {
        if let Some(m) = &view.mstsc {
            let _ = writeln!(o, "{} {m}", paint(BOLD, "Windows client:"));
        }
        if let Some(f) = &view.freerdp {
            let _ = writeln!(o, "{} {f}", paint(BOLD, "FreeRDP:"));
        }
    }
    let _ = writeln!(o, "{}", paint(DIM, &format!("Total time {}", fmt_ms(r.duration_ms))));

    findings_section(&mut o, &r.findings, verbose);
    if !r.clients.is_empty() {
        let _ = writeln!(o, "\n{}", paint(BOLD, "Clients"));
        for c in &r.clients {
            let style = match c.verdict {
                "ok" => GREEN,
                "fails" => RED,
                _ => DIM,
            };
            let _ =
                writeln!(o, "  {} {}  {}", paint(style, &format!("{:<8}", c.verdict)), c.client, paint(DIM, &c.reason));
        }
    }
    if !r.limitations.is_empty() {
        let _ = writeln!(o, "\n{}", paint(BOLD, "Limitations"));
        for l in &r.limitations {
            let _ = writeln!(o, "  - {l}");
        }
    }
    o
}

/// The findings with evidence and remedies (info findings only with `verbose`), as `check` prints them;
/// shared with `rdpfile lint`.
pub fn findings_section(o: &mut String, findings: &[Finding], verbose: bool) {
    let shown: Vec<_> = findings.iter().filter(|f| verbose || f.severity >= Severity::Warn).collect();
    let hidden = findings.len() - shown.len();
    if !shown.is_empty() {
        let _ = writeln!(o, "\n{}", paint(BOLD, &format!("Findings ({})", findings.len())));
    }
    for f in shown {
        let sev = paint(severity_style(f.severity), &format!("{:<4}", f.severity.as_str().to_uppercase()));
        let _ = writeln!(o, "\n  {sev} {}  {}", paint(BOLD, f.id), f.title);
        let _ = writeln!(o, "       {}", f.summary);
        for e in &f.evidence {
            let _ = writeln!(o, "       {} {e}", paint(DIM, "•"));
        }
        let _ = writeln!(o, "       {} {}", paint(DIM, "why:"), f.explanation);
        for rem in &f.remedies {
            write_remedy(o, rem, 7);
        }
    }
    if hidden > 0 {
        let _ = writeln!(o, "\n  {}", paint(DIM, &format!("{hidden} info finding(s) not shown: use -v")));
    }
}
