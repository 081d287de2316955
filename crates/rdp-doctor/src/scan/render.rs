//! Text renderers for `scan` and `diff`: pure functions of the summary, the policies and the diff model.

use std::fmt::Write as _;

use rdp_doctor_core::Severity;
use rdp_doctor_core::policy::Policy;
use rdp_doctor_scan::Malformed;
use rdp_doctor_scan::diff::RunDiff;
use rdp_doctor_scan::summary::{HostList, ScanSummary};

use crate::render::text::{BOLD, DIM, GREEN, RED, YELLOW, paint, severity_style};

/// Findings listed in the summary.
const TOP_FINDINGS: usize = 10;
/// Hosts shown per list in the text summary (the JSON summary keeps more).
const SHOWN: usize = 10;

fn hosts_line(list: &HostList) -> String {
    let shown: Vec<&str> = list.hosts.iter().take(SHOWN).map(String::as_str).collect();
    let more = list.count.saturating_sub(shown.len());
    if more > 0 { format!("{} … and {more} more", shown.join(", ")) } else { shown.join(", ") }
}

/// The end-of-scan summary.
pub fn summary(s: &ScanSummary, malformed: &[Malformed], duplicates: usize, excluded: usize, resumed: usize) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "\n{}", paint(BOLD, "Scan summary"));
    let _ = writeln!(o, "  {} hosts in {:.1} s ({:.0} hosts/s)", s.hosts, s.duration_s, s.rate_per_s);
    let mut notes = Vec::new();
    if resumed > 0 {
        notes.push(format!("{resumed} already done by the stopped run (not counted here)"));
    }
    if duplicates > 0 {
        notes.push(format!("{duplicates} duplicates merged"));
    }
    if excluded > 0 {
        notes.push(format!("{excluded} excluded"));
    }
    if !malformed.is_empty() {
        notes.push(format!("{} malformed lines skipped", malformed.len()));
    }
    if !notes.is_empty() {
        let _ = writeln!(o, "  {}", paint(DIM, &notes.join("; ")));
    }
    let sev = |k: &str| s.by_severity.get(k).copied().unwrap_or(0);
    let _ = writeln!(
        o,
        "  {} fail, {} warn, {} info only, {} clean",
        paint(RED, &sev("fail").to_string()),
        paint(YELLOW, &sev("warn").to_string()),
        sev("info"),
        paint(GREEN, &sev("none").to_string())
    );
    let _ = writeln!(o, "\n{}", paint(BOLD, "By verdict"));
    for (v, n) in s.verdicts() {
        let _ = writeln!(o, "  {n:>7}  {v}");
    }
    let top = s.top_findings();
    if !top.is_empty() {
        let _ = writeln!(o, "\n{}", paint(BOLD, "Most common findings"));
        for f in top.iter().take(TOP_FINDINGS) {
            let _ = writeln!(
                o,
                "  {:>7}  {} {}  {}",
                f.hosts,
                paint(severity_style(f.severity), f.severity.as_str()),
                f.id,
                paint(DIM, &format!("e.g. {}", f.examples.join(", ")))
            );
        }
    }
    if s.expiring_count > 0 {
        let _ = writeln!(o, "\n{} ({})", paint(BOLD, "Certificates expiring within 30 days"), s.expiring_count);
        for e in s.expiring.iter().take(SHOWN * 2) {
            let when = if e.days_left < 0 { paint(RED, "expired") } else { format!("{} days", e.days_left) };
            let _ = writeln!(o, "  {}  {when:>9}  {}  {}", e.not_after, e.host, paint(DIM, &e.subject));
        }
        if s.expiring_count > SHOWN * 2 {
            let _ = writeln!(o, "  … and {} more", s.expiring_count - SHOWN * 2);
        }
    }
    for (title, list) in [
        ("Hosts without NLA", &s.without_nla),
        ("Hosts with TLS 1.0/1.1 only", &s.legacy_tls_only),
        ("Unreachable hosts", &s.unreachable),
        ("Hosts stopped by the host deadline", &s.host_deadline),
    ] {
        if list.count > 0 {
            let _ = writeln!(o, "\n{} ({})\n  {}", paint(BOLD, title), list.count, hosts_line(list));
        }
    }
    if let Some(p) = &s.policy {
        let _ = writeln!(
            o,
            "\n{} {}: {} passed, {} failed, {} unverified",
            paint(BOLD, "Policy"),
            p.name,
            paint(GREEN, &p.passed.to_string()),
            paint(RED, &p.failed.count.to_string()),
            p.unverified.count
        );
        if p.failed.count > 0 {
            let _ = writeln!(o, "  failed: {}", hosts_line(&p.failed));
        }
        if p.unverified.count > 0 {
            let _ = writeln!(o, "  unverified: {}", hosts_line(&p.unverified));
        }
    }
    o
}

/// `--list-policies`.
pub fn policies() -> String {
    let mut o = String::new();
    for (name, text) in rdp_doctor_core::policy::BUILTIN {
        let _ = writeln!(o, "# ── built-in policy {name} (scan --policy {name}) ──\n{text}");
    }
    o
}

/// What `--make-policy` wrote.
pub fn made_policy(p: &Policy, file: &std::path::Path, report: &rdp_doctor_core::Report) -> String {
    format!(
        "Wrote policy {:?} to {} from {} (verdict {}):\n\n{}",
        p.name,
        file.display(),
        report.target.input,
        report.verdict,
        p.to_toml()
    )
}

fn sev_word(s: &str) -> String {
    match s {
        "fail" => paint(severity_style(Severity::Fail), s),
        "warn" => paint(severity_style(Severity::Warn), s),
        other => paint(severity_style(Severity::Info), other),
    }
}

/// `diff` as text.
pub fn diff(d: &RunDiff) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}: {} hosts before, {} after; {} changed, {} unchanged, {} appeared, {} gone",
        paint(BOLD, "Diff"),
        d.old_hosts,
        d.new_hosts,
        d.changed.len(),
        d.unchanged_hosts,
        d.appeared.len(),
        d.gone.len()
    );
    let _ = writeln!(
        o,
        "Findings: {} new, {} resolved, {} changed severity, {} unchanged",
        d.totals.new, d.totals.resolved, d.totals.changed, d.totals.unchanged
    );
    for h in &d.changed {
        let verdict = if h.old_verdict == h.new_verdict {
            h.new_verdict.clone()
        } else {
            format!("{} → {}", h.old_verdict, h.new_verdict)
        };
        let _ = writeln!(o, "\n{}  {}", paint(BOLD, &h.key), verdict);
        for f in &h.new {
            let _ = writeln!(o, "  + {} {}  {}", sev_word(&f.severity), f.id, paint(DIM, &f.title));
        }
        for f in &h.resolved {
            let _ = writeln!(o, "  - {} {}  {}", sev_word(&f.severity), f.id, paint(DIM, &f.title));
        }
        for c in &h.changed {
            let _ = writeln!(o, "  ~ {} {} → {}", c.id, sev_word(&c.old), sev_word(&c.new));
        }
    }
    if !d.appeared.is_empty() {
        let _ = writeln!(o, "\n{}", paint(BOLD, "Appeared"));
        for h in &d.appeared {
            let _ = writeln!(o, "  + {}  {}", h.key, h.verdict);
        }
    }
    if !d.gone.is_empty() {
        let _ = writeln!(o, "\n{}", paint(BOLD, "Gone"));
        for h in &d.gone {
            let _ = writeln!(o, "  - {}  {}", h.key, h.verdict);
        }
    }
    if d.same() {
        let _ = writeln!(o, "\nNo differences.");
    }
    o
}
