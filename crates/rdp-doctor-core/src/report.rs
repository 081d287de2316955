//! The report: the one structure every renderer prints (text, JSON, later Markdown/HTML/Prometheus).
//!
//! JSON contract (`schema_version` 1): `schema_version`, `tool`, `target`, `verdict` (the top finding's ID,
//! or `ok`), `max_severity`, `first_failing_layer`, `duration_ms`, `layers[]` (`name`, `status`,
//! `duration_ms`, `summary`, `details[]`), `findings[]` (`id`, `severity`, `layer`, `title`, `summary`,
//! `evidence[]`, `explanation`, `remedies[]`), `limitations[]`, the raw `evidence`, and `source_file` when
//! the target came from an .rdp file. Fields are only ever added within a schema version.

use serde::Serialize;

use crate::evidence::{Evidence, NegotiationResult, Target, TcpOutcome, TlsOutcome, X224Outcome};
use crate::finding::{Finding, Severity};
use crate::rules::{self, LAYER_ORDER};

/// Version of the JSON contract.
pub const SCHEMA_VERSION: u32 = 1;

/// The layers, in probe order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerName {
    /// The user's PC: its Remote Desktop client's log and settings (`rdp-doctor last`).
    Client,
    /// The RD Gateway in front of the target (only with `--gateway`).
    Gateway,
    Dns,
    Tcp,
    X224,
    Tls,
    Credssp,
    /// The credentialed connection sequence (`--user`).
    Session,
    /// The RDP server's own configuration and logs (`rdp-doctor host`, `check --host`).
    Host,
}

impl LayerName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Gateway => "gateway",
            Self::Dns => "dns",
            Self::Tcp => "tcp",
            Self::X224 => "x224",
            Self::Tls => "tls",
            Self::Credssp => "credssp",
            Self::Session => "session",
            Self::Host => "host",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Client => "Client PC",
            Self::Gateway => "RD Gateway",
            Self::Dns => "DNS",
            Self::Tcp => "TCP",
            Self::X224 => "X.224",
            Self::Tls => "TLS",
            Self::Credssp => "CredSSP",
            Self::Session => "Session",
            Self::Host => "Host",
        }
    }
}

/// How far a layer got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerStatus {
    Ok,
    Warn,
    Fail,
    /// Not applicable for this target (an IP literal needs no DNS; Standard RDP Security has no TLS).
    Skipped,
    /// An earlier layer stopped the run.
    NotReached,
}

impl LayerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warn => "warn",
            Self::Fail => "fail",
            Self::Skipped => "skipped",
            Self::NotReached => "not_reached",
        }
    }
}

/// A labelled fact shown under a layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detail {
    pub label: String,
    pub value: String,
}

/// One layer of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layer {
    pub name: LayerName,
    pub status: LayerStatus,
    pub duration_ms: Option<f64>,
    pub summary: String,
    pub details: Vec<Detail>,
}

/// Tool identification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
}

/// The diagnosis of one target.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: ToolInfo,
    pub target: Target,
    /// The most severe finding's ID (warn or fail), `ok`, or `incomplete` when the run stopped before the
    /// last layer without a finding that explains it.
    pub verdict: String,
    pub max_severity: Option<Severity>,
    pub first_failing_layer: Option<LayerName>,
    pub duration_ms: f64,
    pub layers: Vec<Layer>,
    pub findings: Vec<Finding>,
    /// Which common clients would fail against this server, and why.
    pub clients: Vec<crate::rules::compat::ClientCompat>,
    /// What the Windows client (mstsc) and FreeRDP would have reported for the credentialed run.
    pub client_view: Option<crate::rules::session::ClientView>,
    pub limitations: Vec<String>,
    pub evidence: Evidence,
    /// The .rdp file the target was read from (`check FILE.rdp`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_file: Option<SourceFile>,
    /// Where this report sits in a fleet scan (`scan`); absent for `check`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan: Option<ScanContext>,
    /// The host judged against a policy (`scan --policy`); its mismatches are also `policy.*` findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<crate::policy::PolicyResult>,
}

/// A report's place in a fleet scan: which target of which list, and the host's facts in one flat record
/// (what the CSV, the summary, a policy and `diff` read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ScanContext {
    /// The target's identity across runs: lower-case `host:port`, plus ` via GW:PORT` through a gateway.
    pub key: String,
    /// Where the target came from: `argument 2`, `hosts.txt:14`, `rds1.rdp`.
    pub source: String,
    /// The list's free label for this target.
    pub tag: Option<String>,
    pub facts: crate::facts::HostFacts,
}

/// An .rdp file as read: where, in which encoding, how big. Its findings have layer `rdpfile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceFile {
    pub path: String,
    /// `utf-16le-bom`, `utf-16le`, `utf-16be-bom`, `utf-8-bom`, `utf-8` or `windows-1252`.
    pub encoding: String,
    /// `crlf`, `lf`, `cr`, `mixed` or `none` (a single line).
    pub line_ending: String,
    pub bytes: usize,
    pub lines: usize,
    pub settings: usize,
}

impl Report {
    /// Adds findings from outside the layer rules (the lint of an .rdp file) and recomputes the order,
    /// `max_severity` and `verdict`. Layer statuses only cover the network layers and do not change.
    pub fn add_findings(&mut self, extra: Vec<Finding>) {
        self.findings.extend(extra);
        rules::sort(&mut self.findings);
        self.max_severity = self.findings.iter().map(|f| f.severity).max();
        self.verdict = verdict(&self.findings, &self.layers);
    }

    /// Exit status: 0 when no finding is at or above `fail_on` (`None`: never fail), 1 otherwise.
    pub fn exit_code(&self, fail_on: Option<Severity>) -> i32 {
        match (fail_on, self.max_severity) {
            (Some(threshold), Some(max)) if max >= threshold => 1,
            _ => 0,
        }
    }
}

fn detail(label: &str, value: impl Into<String>) -> Detail {
    Detail { label: label.to_owned(), value: value.into() }
}

fn fmt_ms(v: f64) -> String {
    if v < 10.0 { format!("{v:.2} ms") } else { format!("{v:.0} ms") }
}

fn dns_layer(ev: &Evidence) -> (Option<f64>, String, Vec<Detail>, bool) {
    let Some(dns) = &ev.dns else {
        return if ev.target.ip.is_some() {
            (None, format!("{} is an IP address: no lookup", ev.target.host), vec![], true)
        } else {
            (None, "not reached".to_owned(), vec![], false)
        };
    };
    let mut details = Vec::new();
    for r in std::iter::once(&dns.os).chain(dns.direct.iter()) {
        let v = match &r.error {
            Some(e) => format!("error: {e} ({})", fmt_ms(r.duration_ms)),
            None => format!(
                "{} ({})",
                r.addresses.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                fmt_ms(r.duration_ms)
            ),
        };
        details.push(detail(&r.resolver, v));
    }
    let summary = if dns.os.addresses.is_empty() {
        format!("{} does not resolve", ev.target.host)
    } else {
        format!("{} resolves to {} address(es)", ev.target.host, dns.os.addresses.len())
    };
    (Some(dns.os.duration_ms), summary, details, false)
}

fn tcp_layer(ev: &Evidence) -> (Option<f64>, String, Vec<Detail>) {
    let Some(tcp) = &ev.tcp else { return (None, "not reached".to_owned(), vec![]) };
    let details: Vec<Detail> = tcp
        .attempts
        .iter()
        .map(|a| {
            let outcome = match a.outcome {
                TcpOutcome::Connected => "connected",
                TcpOutcome::Refused => "refused",
                TcpOutcome::TimedOut => "timed out",
                TcpOutcome::Unreachable => "unreachable",
                TcpOutcome::Error => "error",
            };
            let extra = a.detail.as_ref().map(|d| format!(", {d}")).unwrap_or_default();
            detail(&a.addr.to_string(), format!("{outcome} ({}{extra})", fmt_ms(a.duration_ms)))
        })
        .collect();
    let mut details = details;
    if let (Some(st), Some(net)) = (crate::rules::net::stats(ev), &ev.net) {
        let mss = net.samples.iter().filter_map(|x| x.mss).min().map(|m| format!(", MSS {m}")).unwrap_or_default();
        details.push(detail(
            "quality",
            format!(
                "{} handshakes: {} failed, {} retransmitted; min {:.1} / median {:.1} / p95 {:.1} ms, jitter {:.1} ms{mss}",
                st.sent, st.failed, st.retransmitted, st.min, st.median, st.p95, st.jitter
            ),
        ));
    }
    if let Some(m) = &ev.mtu {
        for a in &m.attempts {
            details
                .push(detail(&format!("TLS with MSS {}", a.mss), format!("{:?} ({:.0} ms)", a.outcome, a.duration_ms)));
        }
    }
    let total: f64 = tcp.attempts.iter().map(|a| a.duration_ms).sum();
    let summary = match tcp.connected() {
        Some(a) => format!("connected to {} in {}", a.addr, fmt_ms(a.duration_ms)),
        None => format!("no connection to port {} ({} attempt(s))", ev.target.port, tcp.attempts.len()),
    };
    (Some(total), summary, details)
}

fn x224_layer(ev: &Evidence) -> (Option<f64>, String, Vec<Detail>) {
    let Some(x) = &ev.x224 else { return (None, "not reached".to_owned(), vec![]) };
    let mut details = vec![detail("requested", x.requested_names.join(" | "))];
    let summary = match &x.outcome {
        X224Outcome::Confirm { negotiation, .. } => match negotiation {
            NegotiationResult::Selected { protocol_names, flag_names, flags, .. } => {
                details.push(detail("selected", protocol_names.join(" | ")));
                if !flag_names.is_empty() {
                    details.push(detail("server flags", flag_names.join(", ")));
                }
                details.push(detail("logon modes", crate::rules::authmode::modes_line(ev, *flags)));
                format!("RDP_NEG_RSP: server selected {}", protocol_names.join(" | "))
            }
            NegotiationResult::Failure { name, code } => {
                details.push(detail("failure", format!("{name} (0x{code:08x})")));
                format!("RDP_NEG_FAILURE: {name}")
            }
            NegotiationResult::Legacy => "Connection Confirm without negotiation (Standard RDP Security)".to_owned(),
            NegotiationResult::Unknown { neg_type, .. } => format!("unknown negotiation type 0x{neg_type:02x}"),
        },
        X224Outcome::Closed { .. } => "server closed the connection".to_owned(),
        X224Outcome::Reset { .. } => "server reset the connection".to_owned(),
        X224Outcome::NoResponse { .. } => format!("no answer within {} ms", x.timeout_ms),
        X224Outcome::NotRdp { guess } => format!("not RDP: {guess}"),
        X224Outcome::Malformed { error } => format!("malformed answer: {error}"),
        X224Outcome::IoError { error } => format!("I/O error: {error}"),
    };
    if !x.response_hex.is_empty() {
        details.push(detail("response", x.response_hex.clone()));
    }
    if let Some(r) = &ev.rdp_security {
        let v = match &r.outcome {
            crate::evidence::RdpSecurityOutcome::Response { method_names, level_name, certificate, .. } => {
                let cert = match certificate {
                    Some(crate::evidence::ServerCertEvidence::Proprietary { rsa_bits, .. }) => {
                        format!("proprietary certificate, {rsa_bits}-bit RSA")
                    }
                    Some(crate::evidence::ServerCertEvidence::X509 { chain, .. }) => {
                        format!("X.509 chain of {} ({})", chain.len(), chain.first().map_or("", |c| c.subject.as_str()))
                    }
                    Some(crate::evidence::ServerCertEvidence::Unparsed { reason, .. }) => {
                        format!("certificate: {reason}")
                    }
                    None => "no certificate".to_owned(),
                };
                format!("{}, {level_name}, {cert}", method_names.join(" | "))
            }
            other => format!("{other:?}"),
        };
        details.push(detail("RDP security data", v));
    }
    if let Some(m) = &ev.security_matrix {
        for p in m {
            let line = crate::rules::security::probe_line(p);
            let value = line.split_once(": ").map_or(line.as_str(), |(_, v)| v).to_owned();
            let label = if p.from_main_offer.is_some() { p.name.clone() } else { format!("{} alone", p.name) };
            details.push(detail(&label, value));
        }
    }
    (Some(x.duration_ms), summary, details)
}

fn tls_layer(ev: &Evidence) -> (Option<f64>, String, Vec<Detail>, bool) {
    let Some(tls) = &ev.tls else {
        let skipped = matches!(
            ev.x224.as_ref().map(|x| &x.outcome),
            Some(X224Outcome::Confirm {
                negotiation: NegotiationResult::Selected { protocol: 0, .. } | NegotiationResult::Legacy,
                ..
            })
        );
        let why = if skipped { "Standard RDP Security selected: no TLS" } else { "not reached" };
        return (None, why.to_owned(), vec![], skipped);
    };
    let mut details = vec![detail("stack", tls.stack.clone())];
    if let Some(v) = &tls.version {
        details.push(detail("version", v.clone()));
    }
    if let Some(c) = &tls.cipher_suite {
        details.push(detail("cipher suite", c.clone()));
    }
    for (i, c) in tls.chain.iter().enumerate() {
        let role = if i == 0 { "certificate".to_owned() } else { format!("chain #{i}") };
        if let Some(e) = &c.parse_error {
            details.push(detail(&role, e.clone()));
            continue;
        }
        details.push(detail(&role, c.subject.clone()));
        if i == 0 {
            details.push(detail("issuer", c.issuer.clone()));
            let now = ev.observed_at_unix;
            let state = if now > c.not_after_unix {
                format!("expired {} day(s) ago", (now - c.not_after_unix) / 86_400)
            } else if now < c.not_before_unix {
                "not valid yet".to_owned()
            } else {
                format!("{} days left", c.days_left(now))
            };
            details.push(detail("valid", format!("{} → {} ({state})", c.not_before, c.not_after)));
            let mut names: Vec<String> = c.dns_names.iter().map(|n| format!("DNS:{n}")).collect();
            names.extend(c.ip_addresses.iter().map(|a| format!("IP:{a}")));
            details.push(detail(
                "names",
                if names.is_empty() { "(no subjectAltName)".to_owned() } else { names.join(", ") },
            ));
            if tls.server_name.is_empty() {
                details.push(detail("name match", "not judged: the name the client used is unknown"));
            } else {
                let m = c.matches_name(&tls.server_name);
                details.push(detail("name match", format!("{} ({})", if m.matched { "yes" } else { "no" }, m.detail)));
            }
            details.push(detail("key", format!("{} {} bits, {}", c.key_type, c.key_bits, c.signature_algorithm)));
            details.push(detail(
                "EKU",
                if c.ekus.is_empty() { "(none: any usage)".to_owned() } else { c.ekus.join(", ") },
            ));
            details.push(detail("self-signed", if c.self_signed { "yes" } else { "no" }));
            details.push(detail("serial", c.serial.clone()));
            details.push(detail("SHA-1 thumbprint", c.sha1_thumbprint.clone()));
            details.push(detail("SHA-256", c.sha256.clone()));
        }
    }
    if let Some(m) = &tls.modern_attempt {
        details.push(detail("TLS 1.2/1.3 attempt", format!("{m:?} (then the legacy stack connected)")));
    }
    if let Some(scan) = &ev.tls_scan {
        for v in &scan.versions {
            let value = if v.accepted {
                let weak = v.suites.iter().filter(|s| s.weakness.is_some()).count();
                let names: Vec<&str> = v.suites.iter().map(|s| s.name.as_str()).collect();
                format!(
                    "accepted, {} suite(s){}{}: {}",
                    v.suites.len(),
                    if weak > 0 { format!(", {weak} weak") } else { String::new() },
                    if v.truncated { " (list cut at the scan bound)" } else { "" },
                    names.join(", ")
                )
            } else {
                format!("refused ({})", v.refusal.as_deref().unwrap_or("?"))
            };
            details.push(detail(&v.name, value));
        }
        details.push(detail("scan", format!("{} connections in {} ms", scan.connections, scan.duration_ms)));
    }
    if let Some(t) = &tls.trust {
        let v = if t.trusted {
            "trusted".to_owned()
        } else {
            format!("not trusted: {}", t.error.as_deref().unwrap_or("?"))
        };
        details.push(detail("OS trust", v));
    }
    let summary = match &tls.outcome {
        TlsOutcome::Established => format!(
            "{} {} established",
            tls.version.as_deref().unwrap_or("TLS"),
            tls.cipher_suite.as_deref().unwrap_or("")
        )
        .replace("  ", " "),
        TlsOutcome::AlertReceived { name, .. } => format!("server sent TLS alert {name}"),
        TlsOutcome::Closed => "server closed the connection during the handshake".to_owned(),
        TlsOutcome::Reset => "server reset the connection during the handshake".to_owned(),
        TlsOutcome::TimedOut => format!("handshake not finished within {} ms", tls.timeout_ms),
        TlsOutcome::Failed { error } => format!("handshake failed: {error}"),
    };
    (Some(tls.duration_ms), summary, details, false)
}

fn credssp_layer(ev: &Evidence) -> (Option<f64>, String, Vec<Detail>, bool) {
    let Some(c) = &ev.credssp else {
        // Not applicable when the server selected a protocol without CredSSP; not reached when an earlier
        // layer stopped the run.
        let selected = match ev.x224.as_ref().map(|x| &x.outcome) {
            Some(X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol, .. }, .. }) => {
                Some(*protocol)
            }
            Some(X224Outcome::Confirm { negotiation: NegotiationResult::Legacy, .. }) => Some(0),
            _ => None,
        };
        let tls_failed = ev.tls.as_ref().is_some_and(|t| t.outcome != TlsOutcome::Established);
        return match selected {
            Some(p) if p & 0x0a == 0 && !tls_failed => {
                (None, "not applicable: the server did not select CredSSP".to_owned(), vec![], true)
            }
            Some(p) if p & 0x0a != 0 && !tls_failed && ev.tls.is_some() => {
                (None, "not probed".to_owned(), vec![], true)
            }
            _ => (None, "not reached".to_owned(), vec![], false),
        };
    };
    let mut details = Vec::new();
    if let Some(s) = &ev.session {
        let with = if let Some(code) = s.credssp_error {
            Some(format!("refused: errorCode 0x{code:08X}"))
        } else if s.credssp_closed_after_credentials {
            Some("refused: the server closed the connection after the NTLM AUTHENTICATE".to_owned())
        } else if let Some(a) = s.early_user_auth {
            Some(if a == 0 {
                "accepted (AUTHZ_SUCCESS)".to_owned()
            } else {
                format!("authorization denied (0x{a:08X})")
            })
        } else {
            s.steps
                .iter()
                .any(|st| st.name == "credssp" && st.detail.starts_with("NTLM authentication accepted"))
                .then(|| "accepted".to_owned())
        };
        if let Some(w) = with {
            details.push(detail(&format!("logon as {}", s.account), w));
        }
    }
    if let Some(v) = c.server_version {
        details.push(detail("server CredSSP version", v.to_string()));
    }
    if let Some(code) = c.error_code {
        details.push(detail("errorCode", format!("0x{code:08X}")));
    }
    if let Some(n) = &c.ntlm {
        for (label, v) in [
            ("NetBIOS computer", &n.nb_computer_name),
            ("NetBIOS domain", &n.nb_domain_name),
            ("DNS computer", &n.dns_computer_name),
            ("DNS domain", &n.dns_domain_name),
            ("DNS tree", &n.dns_tree_name),
        ] {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                details.push(detail(label, v.clone()));
            }
        }
        if let Some(v) = &n.os_version {
            let name = crate::windows::release_name_of(v).map(|r| format!(" ({r})")).unwrap_or_default();
            details.push(detail("OS version", format!("{v}{name}")));
        }
        if let Some(t) = n.server_time_unix_ms {
            let mid = c.sent_unix_ms + (c.received_unix_ms - c.sent_unix_ms) / 2;
            details
                .push(detail("server clock", format!("{:+.3} s relative to this machine", (t - mid) as f64 / 1000.0)));
        }
    }
    if let Some(m) = &c.mechanisms {
        if m.spnego {
            details.push(detail("SPNEGO offered", m.offered.join(", ")));
        }
        if let Some(ch) = &m.chosen {
            details.push(detail("mechanism chosen", ch.clone()));
        }
    }
    let authenticated = c.mechanisms.as_ref().and_then(|m| m.authenticated.as_ref());
    let summary = match &c.outcome {
        _ if authenticated.is_some() => {
            let via = if c.mechanisms.as_ref().is_some_and(|m| m.spnego) { " (SPNEGO)" } else { "" };
            format!("authenticated with {}{via}", authenticated.map(String::as_str).unwrap_or_default())
        }
        crate::evidence::CredsspOutcome::Challenge => format!(
            "TSRequest version {} with an NTLM CHALLENGE",
            c.server_version.map_or_else(|| "?".to_owned(), |v| v.to_string())
        ),
        crate::evidence::CredsspOutcome::OtherTsRequest => "TSRequest without an NTLM CHALLENGE".to_owned(),
        crate::evidence::CredsspOutcome::NotCredssp { error } => format!("not a TSRequest: {error}"),
        crate::evidence::CredsspOutcome::Closed => "server closed the connection".to_owned(),
        crate::evidence::CredsspOutcome::Reset => "server reset the connection".to_owned(),
        crate::evidence::CredsspOutcome::TimedOut => "no answer before the deadline".to_owned(),
        crate::evidence::CredsspOutcome::Failed { error } => format!("failed: {error}"),
    };
    (Some(c.duration_ms), summary, details, false)
}

/// The gateway layer: how far the probe got and each request's answer.
fn gateway_layer(g: &crate::evidence::GatewayEvidence) -> (Option<f64>, String, Vec<Detail>, bool) {
    use crate::evidence::GatewayHttpOutcome as O;
    let mut details = Vec::new();
    if let Some(a) = g.tcp.as_ref().and_then(|t| t.connected()) {
        details.push(detail("tcp", format!("connected to {} in {}", a.addr, fmt_ms(a.duration_ms))));
    }
    if let Some(t) = &g.tls {
        let v = match (&t.outcome, &t.version) {
            (TlsOutcome::Established, Some(v)) => {
                format!(
                    "{v}, {}, ALPN {}",
                    t.cipher_suite.as_deref().unwrap_or("?"),
                    g.alpn.as_deref().unwrap_or("none")
                )
            }
            (o, _) => format!("{o:?}"),
        };
        details.push(detail("tls", v));
        if let Some(leaf) = t.chain.first() {
            details.push(detail("certificate", format!("{} (issuer {})", leaf.subject, leaf.issuer)));
        }
    }
    for p in &g.requests {
        let v = match &p.outcome {
            O::Response(r) => format!(
                "{} {} {} ({}{})",
                r.version,
                r.status,
                r.reason,
                r.framing,
                r.server.as_deref().map(|s| format!(", Server: {s}")).unwrap_or_default()
            ),
            O::Closed { received } => format!("closed after {received} bytes"),
            O::Reset { received } => format!("reset after {received} bytes"),
            O::TimedOut { received } => format!("no answer in time ({received} bytes)"),
            O::NotHttp { error, .. } => format!("not HTTP: {error}"),
            O::NotConnected { detail } => detail.clone(),
        };
        details.push(detail(p.kind.label(), v));
    }
    if let Some(t) = &g.tunnel {
        details.push(detail("tunnel account", t.account.clone()));
        if let Some(tr) = &t.transport {
            details.push(detail("tunnel transport", tr.clone()));
        }
        for s in &t.steps {
            let mut v = format!("{} at +{}", s.detail, fmt_ms(s.at_ms));
            if let Some(hr) = s.hresult {
                v.push_str(&format!(", result 0x{hr:08X}"));
            }
            details.push(detail(&s.name, v));
        }
    }
    let reached = g.tcp.is_some() || g.dns.is_some();
    let tunnel = g.tunnel.as_ref().map(|t| {
        use crate::evidence::GatewayTunnelOutcome as T;
        let what = match &t.outcome {
            T::ChannelCreated => format!(
                "channel to {}:{} created{}",
                t.target,
                t.target_port,
                t.transport.as_deref().map(|tr| format!(" ({tr} transport)")).unwrap_or_default()
            ),
            T::CredentialsRejected { .. } => "credentials refused (401)".to_owned(),
            T::Refused { step, hresult } => format!("{step} refused with 0x{hresult:08X}"),
            T::NotRun { .. } => "tunnel not attempted".to_owned(),
            T::Local { .. } => "tunnel not checked (local NTLM failure)".to_owned(),
            T::NoNtlmChallenge { .. } | T::HttpStatus { .. } | T::Ended { .. } | T::Malformed { .. } => {
                "tunnel setup failed".to_owned()
            }
        };
        format!("; with credentials: {what}")
    });
    let summary = match (&g.tls, g.requests.first().map(|p| &p.outcome)) {
        (_, Some(O::Response(r))) => {
            format!("{}:{} answers RDG_OUT_DATA with {} {}", g.host, g.port, r.status, r.reason)
        }
        (Some(t), _) if t.outcome != TlsOutcome::Established => format!("{}:{}: TLS {:?}", g.host, g.port, t.outcome),
        (Some(_), Some(_)) => format!("{}:{}: no HTTP answer", g.host, g.port),
        _ => format!("{}:{} not reached", g.host, g.port),
    } + tunnel.as_deref().unwrap_or_default();
    let ms = g.requests.first().map(|p| p.duration_ms);
    (ms, summary, details, reached)
}

fn session_layer(ev: &Evidence) -> (Option<f64>, String, Vec<Detail>, bool, bool) {
    use crate::evidence::SessionOutcome as O;
    let Some(s) = &ev.session else {
        return (None, "not run: no credentials (--user runs the connection sequence)".to_owned(), vec![], false, true);
    };
    let mut details = vec![detail("account", s.account.clone())];
    if let Some(p) = s.selected_protocol {
        details.push(detail("selected", rdp_doctor_proto::nego::SecurityProtocol(p).names().join(" | ")));
    }
    for st in &s.steps {
        details.push(detail(&st.name, format!("{} (at {}, +{})", st.detail, fmt_ms(st.at_ms), fmt_ms(st.duration_ms))));
    }
    if let Some(e) = &s.connector_error {
        details.push(detail("IronRDP", e.clone()));
    }
    let at = &s.phase;
    let summary = match &s.outcome {
        O::FirstUpdate => format!("first screen update after {}", fmt_ms(s.first_update_ms.unwrap_or(0.0))),
        O::LoggedOn => "the server notified the logon".to_owned(),
        O::ConnectedNoUpdate => "connection sequence complete, no screen update".to_owned(),
        O::Closed => format!("the server closed the connection ({at})"),
        O::Reset => format!("the server reset the connection ({at})"),
        O::TimedOut => format!("no answer before the deadline ({at})"),
        O::Stopped { reason } => format!("stopped ({at}): {reason}"),
        O::NotReached { reason } => format!("not run: {reason}"),
        O::Unsupported { reason } => format!("not run: {reason}"),
    };
    let reached = !matches!(s.outcome, O::NotReached { .. } | O::Unsupported { .. });
    let skipped = matches!(s.outcome, O::Unsupported { .. });
    (Some(s.duration_ms).filter(|_| reached), summary, details, reached, skipped)
}

/// A credentialed run that did not reach the first screen update failed, even when the finding that
/// explains it belongs to an earlier layer (a CredSSP refusal).
fn session_status(ev: &Evidence, status: LayerStatus) -> LayerStatus {
    use crate::evidence::SessionOutcome as O;
    match ev.session.as_ref().map(|s| &s.outcome) {
        Some(O::FirstUpdate | O::LoggedOn | O::NotReached { .. } | O::Unsupported { .. }) | None => status,
        Some(_) if status == LayerStatus::Ok => LayerStatus::Fail,
        Some(_) => status,
    }
}

pub(crate) fn status_for(layer: LayerName, findings: &[Finding], reached: bool, skipped: bool) -> LayerStatus {
    if skipped {
        return LayerStatus::Skipped;
    }
    if !reached {
        return LayerStatus::NotReached;
    }
    match findings.iter().filter(|f| f.layer == layer.as_str()).map(|f| f.severity).max() {
        Some(Severity::Fail) => LayerStatus::Fail,
        Some(Severity::Warn) => LayerStatus::Warn,
        _ => LayerStatus::Ok,
    }
}

/// Layer statuses of a capture's connection. One that is not RDP over TCP skips the layers it does not
/// have (RDP-UDP has no TCP, X.224, TLS or CredSSP layer of its own; a TLS-first or RD Gateway HTTP
/// connection has no X.224 or CredSSP). CredSSP inside TLS is encrypted in a capture: the layer shows what
/// the record turns and the connection's end say, and its status follows the capture findings about it.
fn capture_layers(ev: &Evidence, findings: &[Finding], layers: &mut [Layer]) {
    use crate::capture::ConnectionKind;
    use crate::capture::UdpOutcome;
    let Some(cap) = ev.capture.as_ref() else { return };
    let kind = cap.kind;
    // An RDP-UDP connection is judged only when its handshake (or its failure) is in the capture.
    let udp_judged = cap.rdp_udp.as_ref().is_some_and(|u| {
        matches!(u.outcome, UdpOutcome::Established | UdpOutcome::NoAnswer | UdpOutcome::PortUnreachable)
    });
    let na: &[LayerName] = match kind {
        ConnectionKind::Rdp => &[],
        ConnectionKind::RdpUdp if !udp_judged => &[],
        ConnectionKind::RdpUdp => &[LayerName::Tcp, LayerName::X224, LayerName::Tls, LayerName::Credssp],
        ConnectionKind::GatewayHttp => &[LayerName::X224, LayerName::Tls, LayerName::Credssp],
        ConnectionKind::Tls | ConnectionKind::GatewayTls | ConnectionKind::KdcProxy => {
            &[LayerName::X224, LayerName::Credssp]
        }
        ConnectionKind::Kerberos => &[LayerName::Tcp, LayerName::X224, LayerName::Tls],
    };
    for l in layers.iter_mut() {
        // A KDC exchange is authentication: the CredSSP layer carries its Kerberos findings.
        if kind == ConnectionKind::Kerberos && l.name == LayerName::Credssp {
            let k = ev.kerberos.as_ref();
            let n = k.map_or(0, |k| k.messages.len());
            let errors = k.map_or(0, |k| k.messages.iter().filter(|m| m.error_code.is_some()).count());
            l.summary = format!("Kerberos with the KDC: {n} message(s), {errors} KRB-ERROR(s)");
            l.status = match findings.iter().filter(|f| f.layer == "credssp").map(|f| f.severity).max() {
                Some(Severity::Fail) => LayerStatus::Fail,
                Some(Severity::Warn) => LayerStatus::Warn,
                _ => LayerStatus::Ok,
            };
            continue;
        }
        if l.status == LayerStatus::NotReached && na.contains(&l.name) {
            l.status = LayerStatus::Skipped;
            l.summary = format!("not applicable to this {} connection", kind.label());
        }
        if l.name == LayerName::Credssp && l.status == LayerStatus::Skipped && cap.encrypted.is_some() {
            let selected = match ev.x224.as_ref().map(|x| &x.outcome) {
                Some(X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol, .. }, .. }) => {
                    Some(*protocol)
                }
                _ => None,
            };
            let decrypted = cap.decryption.as_ref().is_some_and(|d| d.decrypted);
            l.summary = match selected {
                Some(p) if p & 0x0a == 0 => format!(
                    "not used: the server selected {} (no NLA)",
                    rdp_doctor_proto::nego::SecurityProtocol(p).names().join(" | ")
                ),
                _ if decrypted => "decrypted, but no CredSSP message was read".to_owned(),
                _ => {
                    "encrypted inside TLS: judged only from record sizes, turns and who ended the connection".to_owned()
                }
            };
            let worst = findings.iter().filter(|f| f.layer == LayerName::Credssp.as_str()).map(|f| f.severity).max();
            l.status = match worst {
                Some(Severity::Fail) => LayerStatus::Fail,
                Some(Severity::Warn) => LayerStatus::Warn,
                _ => LayerStatus::Skipped,
            };
        }
    }
}

/// Builds the report from the evidence: runs the rules, derives layer statuses and the verdict.
pub fn build(evidence: Evidence, duration_ms: f64) -> Report {
    let findings = rules::evaluate(&evidence);
    let (dns_ms, dns_sum, dns_det, dns_skip) = dns_layer(&evidence);
    let (tcp_ms, tcp_sum, tcp_det) = tcp_layer(&evidence);
    let (x_ms, x_sum, x_det) = x224_layer(&evidence);
    let (tls_ms, tls_sum, tls_det, tls_skip) = tls_layer(&evidence);
    let (c_ms, c_sum, c_det, c_skip) = credssp_layer(&evidence);
    let (s_ms, s_sum, s_det, s_reached, s_skip) = session_layer(&evidence);
    let layers = vec![
        Layer {
            name: LayerName::Dns,
            status: status_for(LayerName::Dns, &findings, evidence.dns.is_some(), dns_skip),
            duration_ms: dns_ms,
            summary: dns_sum,
            details: dns_det,
        },
        Layer {
            name: LayerName::Tcp,
            status: status_for(LayerName::Tcp, &findings, evidence.tcp.is_some(), false),
            duration_ms: tcp_ms,
            summary: tcp_sum,
            details: tcp_det,
        },
        Layer {
            name: LayerName::X224,
            status: status_for(LayerName::X224, &findings, evidence.x224.is_some(), false),
            duration_ms: x_ms,
            summary: x_sum,
            details: x_det,
        },
        Layer {
            name: LayerName::Tls,
            status: status_for(LayerName::Tls, &findings, evidence.tls.is_some(), tls_skip),
            duration_ms: tls_ms,
            summary: tls_sum,
            details: tls_det,
        },
        Layer {
            name: LayerName::Credssp,
            status: status_for(LayerName::Credssp, &findings, evidence.credssp.is_some(), c_skip),
            duration_ms: c_ms,
            summary: c_sum,
            details: c_det,
        },
    ];
    let mut layers = layers;
    // The session layer is there when the credentialed run was asked for (`--user`): reports without
    // credentials, and capture reports, keep the five network layers.
    if evidence.session.is_some() {
        layers.push(Layer {
            name: LayerName::Session,
            status: session_status(&evidence, status_for(LayerName::Session, &findings, s_reached, s_skip)),
            duration_ms: s_ms,
            summary: s_sum,
            details: s_det,
        });
    }
    capture_layers(&evidence, &findings, &mut layers);
    if let Some(g) = &evidence.gateway {
        // The direct path is not taken through a gateway, and was not probed.
        for l in &mut layers {
            l.status = LayerStatus::Skipped;
            l.summary = "not probed: the target is reached through the RD Gateway".to_owned();
        }
        let (ms, summary, details, reached) = gateway_layer(g);
        layers.insert(
            0,
            Layer {
                name: LayerName::Gateway,
                status: status_for(LayerName::Gateway, &findings, reached, false),
                duration_ms: ms,
                summary,
                details,
            },
        );
    }
    if let Some(h) = &evidence.host {
        layers.push(crate::host_report::layer(h, &findings));
    }
    if let Some(c) = &evidence.client {
        layers.insert(0, crate::client_report::layer(c, &findings));
    }
    debug_assert!(layers.len() <= LAYER_ORDER.len());
    let first_failing_layer = layers.iter().find(|l| l.status == LayerStatus::Fail).map(|l| l.name);
    let max_severity = findings.iter().map(|f| f.severity).max();
    // A capture that saw TLS established but not the certificate (TLS 1.3 encrypts it) has not judged the
    // TLS layer: no "ok" on what was not seen.
    // A resumed session sends no certificate at all: the client checked it when the session began.
    let cert_unseen = evidence.capture.as_ref().is_some_and(|c| !c.tls_resumed)
        && evidence.tls.as_ref().is_some_and(|t| t.outcome == TlsOutcome::Established && t.chain.is_empty());
    let verdict = match verdict(&findings, &layers) {
        v if v == "ok" && cert_unseen => "incomplete".to_owned(),
        v => v,
    };
    let mut limitations = evidence.limitations.clone();
    let tls_ok = matches!(evidence.tls.as_ref().map(|t| &t.outcome), Some(TlsOutcome::Established));
    let session_ran = evidence.session.as_ref().is_some_and(|s| {
        !matches!(
            s.outcome,
            crate::evidence::SessionOutcome::NotReached { .. } | crate::evidence::SessionOutcome::Unsupported { .. }
        )
    });
    // A gateway or KDC proxy connection carries no RDP of its own: its limitation says what was read.
    let relay = evidence.capture.as_ref().is_some_and(|c| {
        matches!(
            c.kind,
            crate::capture::ConnectionKind::GatewayTls
                | crate::capture::ConnectionKind::KdcProxy
                | crate::capture::ConnectionKind::GatewayHttp
        )
    });
    if tls_ok && !session_ran && !relay {
        let upto = if evidence.credssp.is_some() { "the first CredSSP message" } else { "the TLS handshake" };
        let hint =
            if evidence.capture.is_none() { " Run with --user to drive the whole connection sequence." } else { "" };
        limitations.push(format!(
            "Checked up to {upto}, without credentials. Authentication, licensing and the session itself were \
             not exercised; the server may still refuse a logon after this point (for example with ERRINFO 0x7).\
             {hint}"
        ));
    }
    // These describe the live credentialed check; a capture's session evidence is what its client did.
    if let Some(s) = evidence.session.as_ref().filter(|_| session_ran && evidence.capture.is_none()) {
        let nla = s.selected_protocol.is_some_and(|p| p & 0x0a != 0);
        if nla {
            limitations.push(
                "The credentialed check authenticates with NTLM only: Kerberos was not tried (it needs a reachable \
                 KDC and the server's SPN), so a server or policy that refuses NTLM fails here although Kerberos \
                 clients in the domain may succeed."
                    .to_owned(),
            );
        }
        limitations.push(format!(
            "Exactly one authentication attempt was made, as {}; nothing after the first screen update (the \
             desktop's contents, applications) was checked.",
            s.account
        ));
    }
    if let Some(crate::evidence::SessionOutcome::Unsupported { reason }) = evidence.session.as_ref().map(|s| &s.outcome)
    {
        limitations.push(format!("The credentialed check did not run: {reason}."));
    }
    if let Some(h) = &evidence.host {
        limitations.extend(h.limitations.iter().cloned());
    }
    if let Some(c) = &evidence.client {
        limitations.extend(c.limitations.iter().cloned());
    }
    if tls_skip {
        limitations.push(
            "Standard RDP Security is encrypted with RC4 after the MCS exchange; this check stops at negotiation."
                .to_owned(),
        );
    }
    Report {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo { name: "rdp-doctor", version: env!("CARGO_PKG_VERSION") },
        target: evidence.target.clone(),
        verdict,
        max_severity,
        first_failing_layer,
        duration_ms,
        layers,
        findings,
        clients: crate::rules::compat::clients(&evidence),
        client_view: evidence.session.as_ref().and_then(crate::rules::session::client_view),
        limitations,
        evidence,
        source_file: None,
        scan: None,
        policy: None,
    }
}

/// The most severe warn/fail finding's ID; `ok` only when the last applicable layer was really reached:
/// never report success on a run that stopped early without a finding to say why.
pub(crate) fn verdict(findings: &[Finding], layers: &[Layer]) -> String {
    let complete = layers.iter().all(|l| l.status != LayerStatus::NotReached);
    match findings.iter().find(|f| f.severity >= Severity::Warn) {
        Some(f) => f.id.to_owned(),
        None if complete => "ok".to_owned(),
        None => "incomplete".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::*;
    use crate::rules::testkit::base;

    #[test]
    fn refused_port_fails_at_tcp() {
        let mut ev = base();
        ev.tcp = Some(TcpEvidence {
            attempts: vec![TcpAttempt {
                addr: "127.0.0.1:3389".parse().unwrap_or_else(|_| unreachable!()),
                outcome: TcpOutcome::Refused,
                duration_ms: 0.2,
                detail: Some("Connection refused (os error 111)".into()),
            }],
            timeout_ms: 3000,
        });
        let r = build(ev, 1.0);
        assert_eq!(r.verdict, "tcp.refused");
        assert_eq!(r.first_failing_layer, Some(LayerName::Tcp));
        let statuses: Vec<_> = r.layers.iter().map(|l| l.status).collect();
        assert_eq!(
            statuses,
            [
                LayerStatus::Skipped,
                LayerStatus::Fail,
                LayerStatus::NotReached,
                LayerStatus::NotReached,
                LayerStatus::NotReached
            ]
        );
        assert_eq!(r.exit_code(Some(Severity::Warn)), 1);
        assert_eq!(r.exit_code(None), 0);
        let json = serde_json::to_value(&r).unwrap_or_default();
        assert_eq!(json["schema_version"], 1);
        assert_eq!(json["findings"][0]["id"], "tcp.refused");
        assert_eq!(json["layers"][1]["status"], "fail");
        assert!(json["findings"][0]["remedies"][0]["steps"].is_array());
    }

    #[test]
    fn added_findings_set_the_verdict_but_not_the_layers() {
        let mut r = build(base(), 0.0);
        let info = Finding::new(&crate::catalogue::rdpfile::RDPFILE_UNKNOWN_SETTING, "unknown", vec![]);
        r.add_findings(vec![info]);
        assert_eq!(r.verdict, "incomplete", "an info finding does not make a verdict");
        let warn = Finding::new(&crate::catalogue::rdpfile::RDPFILE_SAVED_PASSWORD, "saved password", vec![]);
        r.add_findings(vec![warn]);
        assert_eq!(r.verdict, "rdpfile.saved_password");
        assert_eq!(r.max_severity, Some(Severity::Warn));
        assert_eq!(r.findings[0].id, "rdpfile.saved_password", "most severe first");
        assert_eq!(r.first_failing_layer, None);
        // The network layers stay not reached; the credentialed run was not asked for.
        assert!(
            r.layers
                .iter()
                .skip(1)
                .filter(|l| l.name != LayerName::Session)
                .all(|l| l.status == LayerStatus::NotReached)
        );
        let json = serde_json::to_value(&r).unwrap_or_default();
        assert!(json.get("source_file").is_none(), "absent unless the target came from a file");
        assert_eq!(json["findings"][0]["layer"], "rdpfile");
    }

    #[test]
    fn capture_tls13_without_certificate_is_not_ok() {
        let mut ev = base();
        ev.tcp = Some(TcpEvidence {
            attempts: vec![TcpAttempt {
                addr: "127.0.0.1:3389".parse().unwrap_or_else(|_| unreachable!()),
                outcome: TcpOutcome::Connected,
                duration_ms: 0.1,
                detail: None,
            }],
            timeout_ms: 0,
        });
        ev.x224 = Some(X224Evidence {
            requested_protocols: 1,
            requested_names: vec!["PROTOCOL_SSL".into()],
            cookie_sent: false,
            request_hex: String::new(),
            response_hex: String::new(),
            outcome: X224Outcome::Confirm {
                negotiation: NegotiationResult::Selected {
                    protocol: 1,
                    protocol_names: vec!["PROTOCOL_SSL".into()],
                    flags: 0,
                    flag_names: vec![],
                },
                anomalies: vec![],
            },
            duration_ms: 1.0,
            timeout_ms: 0,
        });
        ev.tls = Some(TlsEvidence {
            stack: "capture".into(),
            outcome: TlsOutcome::Established,
            server_name: String::new(),
            version: Some("TLS 1.3".into()),
            cipher_suite: None,
            duration_ms: 1.0,
            timeout_ms: 0,
            chain: vec![],
            trust: None,
            modern_attempt: None,
        });
        // Live: a TLS layer without a recorded chain is still judged as reached.
        assert_eq!(build(ev.clone(), 1.0).verdict, "ok");
        // From a capture the certificate was not seen: not "ok".
        let rdp = crate::capture::ConnectionKind::Rdp;
        ev.capture = Some(capture_section(rdp));
        assert_eq!(build(ev, 1.0).verdict, "incomplete");
    }

    #[test]
    fn rdp_udp_skips_the_tcp_layers_only_when_judged() {
        let mut ev = base();
        let mut cap = capture_section(crate::capture::ConnectionKind::RdpUdp);
        cap.rdp_udp = None;
        ev.capture = Some(cap.clone());
        assert_eq!(build(ev.clone(), 1.0).verdict, "incomplete", "mid-stream RDP-UDP cannot be judged");
        cap.rdp_udp = Some(crate::capture::RdpUdpEvidence {
            outcome: crate::capture::UdpOutcome::Established,
            syns: 1,
            syn_acks: 1,
            answered_after_ms: Some(1.0),
            syn_span_ms: 0.0,
            watched_after_last_syn_ms: 1.0,
            client_version: None,
            server_version: None,
            mtu: None,
            correlation_id: false,
            datagram_len: 1232,
            client_datagrams: 1,
            server_datagrams: 1,
        });
        ev.capture = Some(cap);
        let r = build(ev, 1.0);
        assert_eq!(r.verdict, "ok");
        assert!(r.layers.iter().skip(1).all(|l| l.status == LayerStatus::Skipped), "{:?}", r.layers);
    }

    fn capture_section(kind: crate::capture::ConnectionKind) -> crate::capture::CaptureEvidence {
        use crate::capture::*;
        let addr = |s: &str| s.parse().unwrap_or_else(|_| unreachable!());
        let mut c = CaptureEvidence::empty(kind, "tcp", addr("127.0.0.1:50000"), addr("127.0.0.1:3389"), 0.0);
        c.duration_ms = 1.0;
        c.last_phase = Phase::Session;
        c.end.at_ms = 1.0;
        c.end.phase = Phase::Session;
        c
    }

    #[test]
    fn empty_evidence_is_never_ok_silently() {
        // No TCP evidence at all and no finding: the verdict must not be "ok".
        let r = build(base(), 0.0);
        assert_eq!(r.verdict, "incomplete");
        assert!(r.layers.iter().skip(1).all(|l| l.status == LayerStatus::NotReached));
        // Without --user there is no session layer.
        assert_eq!(r.layers.len(), 5);
    }

    /// A run over PROTOCOL_SSL that the server ended with ERRINFO 0x7 during the Client Info exchange.
    fn session(outcome: SessionOutcome) -> SessionEvidence {
        let mut s = crate::rules::testkit::session(1);
        s.account = "alice".into();
        s.steps = vec![];
        s.outcome = outcome;
        s.phase = "client_info".into();
        s.error_infos = vec![7];
        s.duration_ms = 12.0;
        s
    }

    #[test]
    fn session_layer_and_client_view() {
        let mut ev = base();
        ev.session = Some(session(SessionOutcome::Closed));
        let r = build(ev, 1.0);
        assert_eq!(r.verdict, "server.denied_connection");
        assert_eq!(r.first_failing_layer, Some(LayerName::Session));
        let view = r.client_view.clone().unwrap_or_else(|| unreachable!());
        assert!(view.mstsc.unwrap_or_default().contains("error code 0x904 with extended error code 0x7"));
        let json = serde_json::to_value(&r).unwrap_or_default();
        assert_eq!(json["layers"][5]["name"], "session");
        assert_eq!(json["layers"][5]["status"], "fail");
        assert!(json["limitations"].as_array().is_some_and(|l| {
            l.iter().any(|x| x.as_str().is_some_and(|x| x.contains("Exactly one authentication attempt")))
        }));
    }

    #[test]
    fn session_not_reached_is_not_reached() {
        let mut ev = base();
        let mut s = session(SessionOutcome::NotReached { reason: "no TCP connection".into() });
        s.error_infos.clear();
        ev.session = Some(s);
        let r = build(ev, 1.0);
        assert_eq!(r.layers[5].status, LayerStatus::NotReached);
        assert_eq!(r.layers[5].summary, "not run: no TCP connection");
        assert_eq!(r.client_view, None);
        assert_eq!(r.verdict, "incomplete");
    }
}
