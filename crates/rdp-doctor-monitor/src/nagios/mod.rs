//! The Nagios/Icinga plugin mode (`rdp-doctor nagios`): Monitoring Plugins conventions.
//!
//! Exit status 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. A failure of the network or the server (refused,
//! filtered, expired certificate, negotiation failure, no answer in time) is CRITICAL; UNKNOWN is kept for
//! the plugin's own failure (bad arguments, a broken threshold). The first line is
//! `RDP STATUS - what | perfdata`, details follow on the next lines. [`render`] is a pure function of the
//! report and the thresholds; [`run`] does the probing.

pub mod range;

use std::time::{Duration, Instant};

use rdp_doctor_core::evidence::{NegotiationResult, TlsOutcome, X224Outcome};
use rdp_doctor_core::{Finding, LayerStatus, Report, Severity};
use rdp_doctor_probe::CheckOptions;

pub use range::{Range, RangeError};

/// Plugin states, ordered by severity except UNKNOWN (which only the plugin's own failure yields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Warning => "WARNING",
            Self::Critical => "CRITICAL",
            Self::Unknown => "UNKNOWN",
        }
    }

    /// The process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// What the plugin judges against.
#[derive(Debug, Clone, Default)]
pub struct Thresholds {
    /// `-w`: on the whole check's time in seconds.
    pub warning: Option<Range>,
    /// `-c`: on the whole check's time in seconds.
    pub critical: Option<Range>,
    /// `--cert-days WARN,CRIT`: days left on the server certificate; replaces `cert.expiring_soon`.
    pub cert_days: Option<(i64, i64)>,
    /// Finding IDs that do not count for the status (still listed with `-v`).
    pub ignore: Vec<String>,
}

/// How to probe.
#[derive(Debug, Clone)]
pub struct PluginOptions {
    /// `-t`: the whole check's deadline.
    pub timeout: Duration,
    pub thresholds: Thresholds,
    /// `-v` given (once or more): every layer and every finding in the details.
    pub verbose: u8,
    pub check: CheckOptions,
}

/// Parses `--cert-days WARN,CRIT` (warning days ≥ critical days).
pub fn parse_cert_days(s: &str) -> Result<(i64, i64), String> {
    let (w, c) = s.split_once(',').ok_or_else(|| format!("--cert-days {s:?}: expected WARN,CRIT such as 14,7"))?;
    let w: i64 = w.trim().parse().map_err(|_| format!("--cert-days: {w:?} is not a number of days"))?;
    let c: i64 = c.trim().parse().map_err(|_| format!("--cert-days: {c:?} is not a number of days"))?;
    if w < c {
        return Err(format!("--cert-days {s}: the warning threshold ({w}) must be at least the critical one ({c})"));
    }
    Ok((w, c))
}

/// The step deadline for a check that must end within `total`: at most 5 s, at most a quarter of it.
pub fn layer_timeout(total: Duration) -> Duration {
    Duration::from_secs(5).min(total / 4).max(Duration::from_millis(50))
}

/// Probes `target` (already parsed) and renders the plugin output. Returns the status and the text.
pub async fn run(target: rdp_doctor_core::evidence::Target, opts: &PluginOptions) -> (Status, String) {
    let start = Instant::now();
    let what = format!("{}:{}", target.host, target.port);
    match tokio::time::timeout(opts.timeout, rdp_doctor_probe::check(target, &opts.check)).await {
        Ok(evidence) => {
            let report = rdp_doctor_core::report::build(evidence, start.elapsed().as_secs_f64() * 1000.0);
            render(&report, &opts.thresholds, opts.verbose)
        }
        Err(_) => {
            let text = format!(
                "RDP CRITICAL - {what}: no verdict within the plugin timeout of {} s (each step had {} ms) | \
                 'time'={:.6}s;{};{};0;\n",
                opts.timeout.as_secs_f64(),
                opts.check.timeout.as_millis(),
                start.elapsed().as_secs_f64(),
                range_text(opts.thresholds.warning.as_ref()),
                range_text(opts.thresholds.critical.as_ref()),
            );
            (Status::Critical, text)
        }
    }
}

/// The UNKNOWN answer for the plugin's own failure.
pub fn unknown(message: &str) -> String {
    format!("RDP UNKNOWN - {}\n", clean(message.lines().next().unwrap_or("internal error")))
}

fn range_text(r: Option<&Range>) -> String {
    r.map(ToString::to_string).unwrap_or_default()
}

/// `|` separates performance data: never in the text.
fn clean(s: &str) -> String {
    s.replace('|', "/").replace('\n', " ")
}

fn layer_label(layer: &str) -> &str {
    match layer {
        "dns" => "DNS",
        "tcp" => "TCP",
        "x224" => "X.224",
        "tls" => "TLS",
        "credssp" => "CredSSP",
        "session" => "Session",
        "gateway" => "RD Gateway",
        other => other,
    }
}

fn finding_status(f: &Finding) -> Status {
    match f.severity {
        Severity::Fail => Status::Critical,
        Severity::Warn => Status::Warning,
        Severity::Info => Status::Ok,
    }
}

/// One problem with its state, for the first line and the details.
struct Problem {
    status: Status,
    text: String,
}

/// Renders the plugin output for `report`.
pub fn render(report: &Report, th: &Thresholds, verbose: u8) -> (Status, String) {
    let ev = &report.evidence;
    let counted = |f: &&Finding| {
        let ignored = th.ignore.iter().any(|i| i == f.id);
        let replaced = th.cert_days.is_some() && f.id == "cert.expiring_soon";
        !ignored && !replaced
    };
    let mut problems: Vec<Problem> = report
        .findings
        .iter()
        .filter(counted)
        .filter(|f| f.severity >= Severity::Warn)
        .map(|f| Problem {
            status: finding_status(f),
            text: format!("{}: {} ({})", layer_label(f.layer), f.summary, f.id),
        })
        .collect();
    if report.verdict == "incomplete" {
        let stopped = report.layers.iter().find(|l| l.status == LayerStatus::NotReached).map_or("", |l| l.name.label());
        problems.push(Problem {
            status: Status::Critical,
            text: format!("the check stopped before {stopped} without a finding that explains why"),
        });
    }
    let seconds = report.duration_ms / 1000.0;
    if let Some(c) = th.critical.as_ref().filter(|c| c.alerts(seconds)) {
        problems.push(Problem {
            status: Status::Critical,
            text: format!("the check took {seconds:.3} s, outside the critical range {c}"),
        });
    } else if let Some(w) = th.warning.as_ref().filter(|w| w.alerts(seconds)) {
        problems.push(Problem {
            status: Status::Warning,
            text: format!("the check took {seconds:.3} s, outside the warning range {w}"),
        });
    }
    let tls = ev.tls.as_ref().or_else(|| ev.gateway.as_ref().and_then(|g| g.tls.as_ref()));
    let leaf = tls.and_then(|t| t.chain.first()).filter(|c| c.parse_error.is_none());
    let days = leaf.map(|c| c.days_left(ev.observed_at_unix));
    if let (Some((warn, crit)), Some(days)) = (th.cert_days, days) {
        // An expired certificate is already a critical finding; the thresholds speak for the days before.
        if days >= 0 && days < crit {
            problems.push(Problem {
                status: Status::Critical,
                text: format!("TLS: the certificate expires in {days} day(s), below the critical {crit} (cert-days)"),
            });
        } else if days >= 0 && days < warn {
            problems.push(Problem {
                status: Status::Warning,
                text: format!("TLS: the certificate expires in {days} day(s), below the warning {warn} (cert-days)"),
            });
        }
    }
    // Most severe first; stable, so the report's own order (by severity and layer) stays within a state.
    problems.sort_by_key(|p| std::cmp::Reverse(p.status));
    let status = problems.first().map_or(Status::Ok, |p| p.status);

    let headline = match problems.first() {
        Some(p) if problems.len() > 1 => format!("{} (+{} more)", p.text, problems.len() - 1),
        Some(p) => p.text.clone(),
        None => ok_line(report, days),
    };
    let mut perf = vec![format!(
        "'time'={seconds:.6}s;{};{};0;",
        range_text(th.warning.as_ref()),
        range_text(th.critical.as_ref())
    )];
    for l in &report.layers {
        if let Some(ms) = l.duration_ms {
            perf.push(format!("'{}'={:.6}s;;;0;", l.name.as_str(), ms / 1000.0));
        }
    }
    if let Some(days) = days {
        let (w, c) = th.cert_days.map_or((String::new(), String::new()), |(w, c)| (format!("{w}:"), format!("{c}:")));
        perf.push(format!("'cert_days'={days};{w};{c};;"));
    }
    let mut out = format!("RDP {} - {} | {}\n", status.as_str(), clean(&headline), perf.join(" "));
    for p in problems.iter().skip(1) {
        out.push_str(&format!("[{}] {}\n", p.status.as_str(), clean(&p.text)));
    }
    if verbose > 0 {
        for l in &report.layers {
            out.push_str(&format!("{}: {} - {}\n", l.name.label(), l.status.as_str(), clean(&l.summary)));
        }
        for f in report.findings.iter().filter(|f| f.severity == Severity::Info || !counted(f)) {
            let note = if counted(&f) { "" } else { ", not counted" };
            out.push_str(&format!(
                "[{}{note}] {}: {} ({})\n",
                f.severity.as_str(),
                layer_label(f.layer),
                clean(&f.summary),
                f.id
            ));
        }
        for l in &report.limitations {
            out.push_str(&format!("limitation: {}\n", clean(l)));
        }
    }
    (status, out)
}

/// What went right, for the OK line.
fn ok_line(report: &Report, days: Option<i64>) -> String {
    let ev = &report.evidence;
    let mut parts = vec![format!("{}:{}", report.target.host, report.target.port)];
    if let Some(x) = &ev.x224 {
        match &x.outcome {
            X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol_names, .. }, .. } => {
                parts.push(format!("{} selected", protocol_names.join("+")));
            }
            X224Outcome::Confirm { negotiation: NegotiationResult::Legacy, .. } => {
                parts.push("Standard RDP Security".to_owned());
            }
            _ => {}
        }
    }
    if let Some(t) = ev.tls.as_ref().filter(|t| t.outcome == TlsOutcome::Established) {
        parts.push(t.version.clone().unwrap_or_else(|| "TLS".to_owned()));
    }
    if let Some(d) = days {
        parts.push(format!("certificate valid for {d} more day(s)"));
    }
    parts.push(format!("in {:.3} s", report.duration_ms / 1000.0));
    parts.join(", ")
}
