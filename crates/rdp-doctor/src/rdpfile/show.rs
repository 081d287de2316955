//! Text output of the rdpfile commands: pure functions returning strings.

use std::fmt::Write as _;

use rdp_doctor_core::Severity;
use rdp_doctor_rdpfile::clean::{Dropped, Kept};
use rdp_doctor_rdpfile::report::LintReport;
use rdp_doctor_rdpfile::settings;
use rdp_doctor_rdpfile::write::Entry;

use crate::render::text::{BOLD, DIM, GREEN, findings_section, paint, severity_style};

/// `rdpfile lint`: the file, the verdict, the findings; with `verbose` also every setting.
pub fn lint(r: &LintReport, verbose: bool) -> String {
    let mut o = String::new();
    let f = &r.file;
    let _ = writeln!(o, "{} {} — rdpfile lint {}", paint(BOLD, r.tool.name), r.tool.version, f.path);
    let _ = writeln!(
        o,
        "  {} {}, {} line endings, {} line(s), {} setting(s), {} bytes",
        paint(DIM, "file:"),
        f.encoding,
        f.line_ending,
        f.lines,
        f.settings,
        f.bytes
    );
    if verbose {
        let _ = writeln!(o);
        for s in &r.settings {
            let mut notes = Vec::new();
            if !s.known {
                notes.push("unknown");
            }
            if !s.effective {
                notes.push("not used: given again later");
            }
            let notes = if notes.is_empty() { String::new() } else { paint(DIM, &format!("  ({})", notes.join(", "))) };
            let t = serde_json::to_value(s.tag).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            let _ = writeln!(o, "  {:>5}  {}:{t}:{}{notes}", s.line, s.name, s.value);
        }
    }
    let _ = writeln!(o);
    let style = match r.max_severity {
        Some(s) if s >= Severity::Warn => severity_style(s),
        _ => GREEN,
    };
    let headline = r
        .findings
        .iter()
        .find(|x| x.id == r.verdict)
        .map_or_else(|| " — no problem found".to_owned(), |x| format!(" — {}", x.summary));
    let _ = writeln!(o, "{} {}{headline}", paint(BOLD, "Verdict:"), paint(style, &r.verdict));
    findings_section(&mut o, &r.findings, verbose);
    o
}

/// `rdpfile clean`: where it wrote, what it kept and dropped.
pub fn clean(input: &str, output: &str, backup: Option<&str>, kept: &[Kept], dropped: &[Dropped]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Wrote {output} (UTF-16LE with BOM, CRLF): kept {} setting(s) of {input}, dropped {} line(s).",
        kept.len(),
        dropped.len()
    );
    if let Some(b) = backup {
        let _ = writeln!(o, "The original is kept as {b}.");
    }
    let _ = writeln!(o, "\n{}", paint(BOLD, "Kept"));
    for k in kept {
        let note = k.note.as_ref().map(|n| paint(DIM, &format!("  ({n})"))).unwrap_or_default();
        let _ = writeln!(o, "  line {:<5} {}{note}", k.line, k.setting);
    }
    if !dropped.is_empty() {
        let _ = writeln!(o, "\n{}", paint(BOLD, "Dropped"));
        for d in dropped {
            let _ = writeln!(o, "  line {:<5} {}  {}", d.line, d.text, paint(DIM, &format!("— {}", d.reason)));
        }
    }
    o
}

/// `rdpfile new`: where it wrote and what.
pub fn new(output: &str, entries: &[Entry]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Wrote {output} (UTF-16LE with BOM, CRLF):");
    for e in entries {
        let _ = writeln!(o, "  {}", e.shown());
    }
    o
}

/// `rdpfile explain` without a name: every setting with its type and source.
pub fn settings_list() -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", paint(BOLD, "Known .rdp settings (rdp-doctor rdpfile explain NAME for one)"));
    for d in settings::all() {
        let _ = writeln!(o, "  {:<42} {}  {}", d.name, d.ty.letter(), paint(DIM, d.source.citation()));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdp_doctor_rdpfile::RdpFile;

    #[test]
    fn lint_text_names_file_verdict_and_lines() {
        let file = RdpFile::parse(b"full address:s:h\ngatewayusagemethod:i:1\n");
        let text = lint(&LintReport::new("t.rdp", &file), false);
        assert!(text.contains("rdpfile lint t.rdp"), "{text}");
        assert!(text.contains("file:"), "{text}");
        assert!(text.contains("rdpfile.gateway_without_host"), "{text}");
        assert!(text.contains("line 2: `gatewayusagemethod:i:1`"), "{text}");
        assert!(text.contains("gatewayhostname:s:gw.corp.example"), "the remedy's steps are shown: {text}");
    }
}
