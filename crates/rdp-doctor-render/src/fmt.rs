//! Small formatting helpers shared by every renderer: durations, dates, the verdict in one sentence.

use rdp_doctor_core::capture_report::CaptureReport;
use rdp_doctor_core::{LayerStatus, Report, Severity};

/// `0.23 ms`, `18 ms`, `4.1 s`.
pub fn ms(v: f64) -> String {
    if !v.is_finite() {
        "?".to_owned()
    } else if v < 10.0 {
        format!("{v:.2} ms")
    } else if v < 10_000.0 {
        format!("{v:.0} ms")
    } else {
        format!("{:.1} s", v / 1000.0)
    }
}

/// RFC 3339 (UTC) of a Unix time, or `@N` when it is out of range.
pub fn date_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| format!("@{unix}"))
}

/// `2026-12-06` of a Unix time.
pub fn date(unix: i64) -> String {
    let s = date_time(unix);
    s.get(..10).map_or(s.clone(), str::to_owned)
}

/// What the report was about: `host:port`, or the .rdp file that names none.
pub fn target(r: &Report) -> String {
    if r.target.host.is_empty() {
        r.target.input.clone()
    } else if r.target.host.contains(':') && !r.target.host.starts_with('[') {
        format!("[{}]:{}", r.target.host, r.target.port)
    } else {
        format!("{}:{}", r.target.host, r.target.port)
    }
}

/// The verdict in one sentence: the top finding's summary, or what `ok` / `incomplete` mean here.
pub fn verdict_sentence(r: &Report) -> String {
    match r.findings.iter().find(|f| f.id == r.verdict) {
        Some(f) => f.summary.clone(),
        None if r.verdict == "ok" && r.evidence.capture.is_some() => {
            "No problem found in what the capture shows.".to_owned()
        }
        None if r.verdict == "ok" => "No problem found in the layers checked.".to_owned(),
        None if r.evidence.capture.is_some() => {
            "Not enough in the capture to judge every layer (see the limitations).".to_owned()
        }
        None => "The check stopped before the last layer without a finding that explains why (see the limitations)."
            .to_owned(),
    }
}

/// The capture's verdict in one sentence, from the pattern across the file that is its verdict, or from its
/// worst connection.
pub fn capture_sentence(r: &CaptureReport) -> String {
    if let Some(p) = r.patterns.iter().find(|p| p.id == r.verdict) {
        return format!("{} (a pattern across the file)", p.summary);
    }
    let top = r.connections.first().filter(|c| c.report.verdict == r.verdict);
    match top.and_then(|c| c.report.findings.iter().find(|f| f.id == r.verdict).map(|f| (c, f))) {
        Some((c, f)) => format!("{} (connection #{})", f.summary, c.id),
        None => match r.verdict.as_str() {
            "no_rdp_traffic" => "No RDP-related connection in this capture.".to_owned(),
            "ok" => "No problem found in what the capture shows.".to_owned(),
            _ => "Some connections could not be judged from the capture (see the limitations).".to_owned(),
        },
    }
}

/// `fail`, `warn`, `ok` (info or nothing): the class and word of a severity.
pub fn severity_class(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::Fail) => "fail",
        Some(Severity::Warn) => "warn",
        _ => "ok",
    }
}

/// The class of a verdict: `ok`, `incomplete` (nothing failed, not everything judged), or its severity.
pub fn verdict_class(verdict: &str, max: Option<Severity>) -> &'static str {
    match (verdict, max) {
        (_, Some(Severity::Fail)) => "fail",
        (_, Some(Severity::Warn)) => "warn",
        ("ok", _) => "ok",
        _ => "skip",
    }
}

/// The class of a layer status.
pub fn status_class(s: LayerStatus) -> &'static str {
    match s {
        LayerStatus::Ok => "ok",
        LayerStatus::Warn => "warn",
        LayerStatus::Fail => "fail",
        LayerStatus::Skipped | LayerStatus::NotReached => "skip",
    }
}

/// `not reached` for people.
pub fn status_word(s: LayerStatus) -> &'static str {
    match s {
        LayerStatus::NotReached => "not reached",
        other => other.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_dates() {
        assert_eq!(ms(0.234), "0.23 ms");
        assert_eq!(ms(18.4), "18 ms");
        assert_eq!(ms(4146.0), "4146 ms");
        assert_eq!(ms(12_345.0), "12.3 s");
        assert_eq!(ms(f64::NAN), "?");
        assert_eq!(date_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(date(1_796_000_000), "2026-11-30");
        assert_eq!(date_time(i64::MAX), format!("@{}", i64::MAX));
    }
}
