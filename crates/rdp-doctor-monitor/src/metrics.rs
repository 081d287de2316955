//! The Prometheus renderer: a pure function of one [`Report`] (and the probe's deadline) to OpenMetrics
//! text, in a fresh registry per probe as blackbox_exporter does.
//!
//! Names follow blackbox_exporter where the meaning is the same (`probe_success`, `probe_duration_seconds`,
//! `probe_dns_lookup_time_seconds`, `probe_ip_protocol`, `probe_ssl_earliest_cert_expiry`,
//! `probe_ssl_last_chain_expiry_timestamp_seconds`, `probe_ssl_last_chain_info`, `probe_tls_version_info`),
//! so dashboards and alerts carry over; RDP's own facts are under `rdp_`. Unlike blackbox, the certificate
//! metrics are there for expired and untrusted certificates too: the probe records the chain as sent and
//! accepts it, so a bad certificate is a value to alert on, not a missing series.
//!
//! Nothing is judged here: values are copied from the evidence, or read from the findings the rules made.
//! Label values come from bounded sets (layer names, the finding catalogue, protocol and code names), so a
//! target's series count is bounded. Series are written in a fixed order, so the output is deterministic.

use std::net::IpAddr;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use rdp_doctor_core::evidence::{NegotiationResult, ProbeOutcome, TlsEvidence, TlsOutcome, X224Outcome};
use rdp_doctor_core::{LayerStatus, Report, Severity};

/// The content type of [`render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every layer status, in the order `rdp_layer_status` lists them.
const STATUSES: [LayerStatus; 5] =
    [LayerStatus::Ok, LayerStatus::Warn, LayerStatus::Fail, LayerStatus::Skipped, LayerStatus::NotReached];

/// What the exporter knows about a probe besides its report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProbeContext {
    /// The probe's deadline.
    pub deadline: Option<Duration>,
    /// The deadline expired before the probe finished (the report then holds what was seen before).
    pub deadline_exceeded: bool,
    /// `rdp_cert_expiring_soon` is 1 below this many days left.
    pub cert_warning_days: Option<i64>,
}

/// Whether the probe succeeded: every layer was reached or deliberately skipped, none failed, no finding
/// is `fail`, and the deadline held. Warnings (a self-signed certificate) do not make a probe fail.
pub fn probe_success(report: &Report, ctx: &ProbeContext) -> bool {
    !ctx.deadline_exceeded
        && report.max_severity != Some(Severity::Fail)
        && report.first_failing_layer.is_none()
        && report.verdict != "incomplete"
}

/// Renders the report's metrics as OpenMetrics text (ending in `# EOF`).
pub fn render(report: &Report, ctx: &ProbeContext) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(families(report, ctx)));
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
    out
}

/// Label pairs of one series.
type Labels = Vec<(String, String)>;

/// One gauge family with its series in order.
#[derive(Debug, Clone)]
struct Family {
    name: &'static str,
    help: &'static str,
    series: Vec<(Labels, f64)>,
}

/// The per-probe collector: every family, built once from the report.
#[derive(Debug, Clone)]
struct Families(Vec<Family>);

impl Collector for Families {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for f in self.0.iter().filter(|f| !f.series.is_empty()) {
            let mut metric = encoder.encode_descriptor(f.name, f.help, None, MetricType::Gauge)?;
            for (labels, value) in &f.series {
                if labels.is_empty() {
                    metric.encode_gauge(value)?;
                } else {
                    metric.encode_family(labels)?.encode_gauge(value)?;
                }
            }
        }
        Ok(())
    }
}

struct Builder(Vec<Family>);

impl Builder {
    fn family(&mut self, name: &'static str, help: &'static str, series: Vec<(Labels, f64)>) {
        self.0.push(Family { name, help, series });
    }

    fn gauge(&mut self, name: &'static str, help: &'static str, value: Option<f64>) {
        self.family(name, help, value.map(|v| (Vec::new(), v)).into_iter().collect());
    }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// The TLS evidence the certificate metrics describe: the target's, or the RD Gateway's when the target is
/// reached through one.
fn tls_of(report: &Report) -> Option<&TlsEvidence> {
    let ev = &report.evidence;
    ev.tls.as_ref().or_else(|| ev.gateway.as_ref().and_then(|g| g.tls.as_ref()))
}

/// The address the probe connected to, else the first one the name resolved to.
fn probed_ip(report: &Report) -> Option<IpAddr> {
    let ev = &report.evidence;
    let tcp = ev.tcp.as_ref().or_else(|| ev.gateway.as_ref().and_then(|g| g.tcp.as_ref()));
    tcp.and_then(|t| t.connected().map(|a| a.addr.ip()))
        .or(ev.target.ip)
        .or_else(|| ev.dns.as_ref().and_then(|d| d.os.addresses.first().copied()))
}

fn families(report: &Report, ctx: &ProbeContext) -> Families {
    let ev = &report.evidence;
    let mut b = Builder(Vec::new());
    b.gauge("probe_success", "Displays whether or not the probe was a success", Some(flag(probe_success(report, ctx))));
    b.gauge(
        "probe_duration_seconds",
        "Returns how long the probe took to complete in seconds",
        Some(report.duration_ms / 1000.0),
    );
    let dns_ms = ev.dns.as_ref().map_or(0.0, |d| d.os.duration_ms);
    b.gauge(
        "probe_dns_lookup_time_seconds",
        "Returns the time taken for probe dns lookup in seconds",
        Some(dns_ms / 1000.0),
    );
    let ip_protocol = probed_ip(report).map(|ip| if ip.is_ipv4() { 4.0 } else { 6.0 });
    b.gauge("probe_ip_protocol", "Specifies whether probe ip protocol is IP4 or IP6", ip_protocol);
    tls_families(&mut b, report, ctx);

    // RDP's own.
    b.gauge("rdp_probe_deadline_seconds", "The deadline the probe ran under", ctx.deadline.map(|d| d.as_secs_f64()));
    b.gauge(
        "rdp_probe_deadline_exceeded",
        "1 when the probe did not finish within its deadline",
        Some(flag(ctx.deadline_exceeded)),
    );
    let layer_times = report
        .layers
        .iter()
        .filter_map(|l| l.duration_ms.map(|ms| (labels(&[("layer", l.name.as_str())]), ms / 1000.0)))
        .collect();
    b.family(
        "rdp_layer_duration_seconds",
        "Time spent in each layer of the connection (DNS, TCP, X.224, TLS, CredSSP, session, RD Gateway)",
        layer_times,
    );
    let statuses = report
        .layers
        .iter()
        .flat_map(|l| {
            STATUSES
                .iter()
                .map(move |s| (labels(&[("layer", l.name.as_str()), ("status", s.as_str())]), flag(l.status == *s)))
        })
        .collect();
    b.family("rdp_layer_status", "Each layer's status, one series per state (1 for the current one)", statuses);
    let first = report.first_failing_layer.map(|l| (labels(&[("layer", l.as_str())]), 1.0));
    b.family(
        "rdp_first_failing_layer",
        "The first layer that failed (absent when none did)",
        first.into_iter().collect(),
    );
    b.family(
        "rdp_verdict",
        "The report's verdict: the most severe finding's ID, ok, or incomplete",
        vec![(labels(&[("verdict", &report.verdict)]), 1.0)],
    );
    let max = report.max_severity.map_or(0.0, |s| match s {
        Severity::Info => 1.0,
        Severity::Warn => 2.0,
        Severity::Fail => 3.0,
    });
    b.gauge("rdp_max_severity", "The most severe finding: 0 none, 1 info, 2 warn, 3 fail", Some(max));
    negotiation_families(&mut b, report);
    cert_families(&mut b, report, ctx);
    let mut seen: Vec<(&str, Severity)> = Vec::new();
    let mut findings = Vec::new();
    for f in &report.findings {
        if !seen.contains(&(f.id, f.severity)) {
            seen.push((f.id, f.severity));
            findings.push((labels(&[("id", f.id), ("severity", f.severity.as_str())]), 1.0));
        }
    }
    b.family(
        "rdp_finding",
        "A finding of this probe (IDs from the rdp-doctor catalogue: rdp-doctor explain ID)",
        findings,
    );
    Families(b.0)
}

fn negotiation_families(b: &mut Builder, report: &Report) {
    let ev = &report.evidence;
    let (selected, failure) = match ev.x224.as_ref().map(|x| &x.outcome) {
        Some(X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol_names, .. }, .. }) => {
            (Some(protocol_names.join("|")), None)
        }
        Some(X224Outcome::Confirm { negotiation: NegotiationResult::Legacy, .. }) => {
            (Some("PROTOCOL_RDP".to_owned()), None)
        }
        Some(X224Outcome::Confirm { negotiation: NegotiationResult::Failure { code, name }, .. }) => {
            (None, Some((name.clone(), f64::from(*code))))
        }
        _ => (None, None),
    };
    let selected = selected.map(|p| (vec![("protocol".to_owned(), p)], 1.0));
    b.family(
        "rdp_selected_protocol",
        "The security protocol the server selected in its RDP_NEG_RSP (MS-RDPBCGR 2.2.1.2.1)",
        selected.into_iter().collect(),
    );
    let failure = failure.map(|(name, code)| (vec![("name".to_owned(), name)], code));
    b.family(
        "rdp_negotiation_failure_code",
        "The failureCode of the server's RDP_NEG_FAILURE (MS-RDPBCGR 2.2.1.2.2)",
        failure.into_iter().collect(),
    );

    let Some(matrix) = &ev.security_matrix else { return };
    let answered =
        matrix.iter().any(|m| matches!(&m.outcome, ProbeOutcome::Exchange { outcome: X224Outcome::Confirm { .. } }));
    let accepted = matrix.iter().map(|m| (labels(&[("protocol", &m.name)]), flag(m.accepted))).collect();
    b.family("rdp_protocol_accepted", "Whether the server accepts each security protocol offered alone", accepted);
    if answered {
        let nla_required = report.findings.iter().any(|f| f.id == "nla.required");
        b.gauge(
            "rdp_nla_required",
            "1 when the server accepts only CredSSP (NLA): finding nla.required",
            Some(flag(nla_required)),
        );
        let rdp = matrix.iter().any(|m| m.protocol == 0 && m.accepted);
        b.gauge(
            "rdp_standard_security_accepted",
            "1 when the server accepts Standard RDP Security (PROTOCOL_RDP)",
            Some(flag(rdp)),
        );
    }
}

fn tls_families(b: &mut Builder, report: &Report, _ctx: &ProbeContext) {
    let Some(tls) = tls_of(report) else { return };
    let parsed: Vec<_> = tls.chain.iter().filter(|c| c.parse_error.is_none()).collect();
    let earliest = parsed.iter().map(|c| c.not_after_unix).min().map(|t| t as f64);
    b.gauge(
        "probe_ssl_earliest_cert_expiry",
        "Returns earliest SSL cert expiry in unixtime (also for expired and untrusted chains)",
        earliest,
    );
    b.gauge(
        "probe_ssl_last_chain_expiry_timestamp_seconds",
        "Returns the earliest expiry of the chain the server sent, in unixtime (also for expired and untrusted chains)",
        earliest,
    );
    if let Some(leaf) = parsed.first() {
        let serial: String = leaf.serial.chars().filter(|c| *c != ':').flat_map(char::to_lowercase).collect();
        let info = vec![
            ("fingerprint_sha256".to_owned(), leaf.sha256.clone()),
            ("subject".to_owned(), leaf.subject.clone()),
            ("issuer".to_owned(), leaf.issuer.clone()),
            ("subjectalternative".to_owned(), leaf.dns_names.join(",")),
            ("serialnumber".to_owned(), serial),
        ];
        b.family("probe_ssl_last_chain_info", "Contains SSL leaf certificate information", vec![(info, 1.0)]);
    }
    let version = tls.version.as_ref().filter(|_| tls.outcome == TlsOutcome::Established);
    let version = version.map(|v| (labels(&[("version", v)]), 1.0));
    b.family(
        "probe_tls_version_info",
        "The TLS version negotiated (absent when no handshake completed)",
        version.into_iter().collect(),
    );
}

fn cert_families(b: &mut Builder, report: &Report, ctx: &ProbeContext) {
    let Some(tls) = tls_of(report) else { return };
    let trusted = tls.trust.as_ref().map(|t| flag(t.trusted));
    b.gauge("rdp_cert_trusted", "1 when the OS trust store accepts the chain and name", trusted);
    let Some(leaf) = tls.chain.first().filter(|c| c.parse_error.is_none()) else { return };
    let days = leaf.days_left(report.evidence.observed_at_unix);
    b.gauge(
        "rdp_cert_days_left",
        "Whole days until the server certificate's notAfter (negative once expired)",
        Some(days as f64),
    );
    if let Some(warn) = ctx.cert_warning_days {
        b.gauge(
            "rdp_cert_expiring_soon",
            "1 when the certificate has fewer days left than the module's cert_warning_days",
            Some(flag(days < warn)),
        );
    }
    b.gauge("rdp_cert_self_signed", "1 when the server certificate is self-signed", Some(flag(leaf.self_signed)));
    b.gauge(
        "rdp_cert_name_match",
        "1 when the certificate carries the name connected to (RFC 6125)",
        Some(flag(leaf.matches_name(&tls.server_name).matched)),
    );
}
