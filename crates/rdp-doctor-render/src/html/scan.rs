//! The fleet page of a scan: verdict counts, the certificate expiry timeline, the findings across hosts
//! with their remedies once, and a table of every host (sortable by a small inline script; readable in
//! the order written without it: worst first, then by host).

use rdp_doctor_core::evidence::{NegotiationResult, X224Outcome};
use rdp_doctor_core::{Report, Severity};

use super::{page, report, svg};
use crate::escape::Html;
use crate::{fmt, todo};

/// What the page says about the scan as a whole (the reports say the rest).
#[derive(Debug, Clone, Default)]
pub struct ScanMeta {
    /// What was scanned, in words ("hosts.txt, 10.0.0.0/24").
    pub name: String,
    /// When the scan started (Unix seconds).
    pub started_unix: Option<i64>,
    pub duration_s: Option<f64>,
    /// Said about the whole scan (targets skipped, hosts not listed).
    pub limitations: Vec<String>,
}

/// The sort script: turns each header of `table.hosts` into a button sorting by that column (`data-v`
/// holds a cell's sort key, `data-num` marks numeric columns). Nothing else runs.
const SORT_JS: &str = "for(const t of document.querySelectorAll('table.hosts')){const hs=t.tHead.rows[0].cells;\
for(let i=0;i<hs.length;i++){const th=hs[i],b=document.createElement('button');b.textContent=th.textContent;\
th.textContent='';th.appendChild(b);b.addEventListener('click',()=>{const tb=t.tBodies[0],num='num'in th.dataset,\
up=th.getAttribute('aria-sort')!=='ascending';for(const o of hs)o.removeAttribute('aria-sort');\
th.setAttribute('aria-sort',up?'ascending':'descending');const key=r=>{const c=r.cells[i];return c.dataset.v??c.textContent};\
const rows=Array.from(tb.rows).sort((x,y)=>{const a=key(x),c=key(y);\
return (num?Number(a)-Number(c):a.localeCompare(c))*(up?1:-1)});for(const r of rows)tb.appendChild(r)})}}";

fn severity_rank(s: Option<Severity>) -> u8 {
    match s {
        Some(Severity::Fail) => 3,
        Some(Severity::Warn) => 2,
        Some(Severity::Info) => 1,
        None => 0,
    }
}

/// The host as the scan names it (`host:port`, ` via GW` through a gateway), with its list tag.
fn host_key(r: &Report) -> String {
    match &r.scan {
        Some(s) => match &s.tag {
            Some(t) => format!("{} [{t}]", s.key),
            None => s.key.clone(),
        },
        None => fmt::target(r),
    }
}

/// A scan's report slimmed to what the fleet pages show (verdict, findings' summaries and remedies, the
/// negotiation, the TLS version and leaf certificate, the scan context), so thousands can be held until
/// the page is written.
pub fn for_fleet(mut r: Report) -> Report {
    let ev = &mut r.evidence;
    ev.dns = None;
    ev.tcp = None;
    ev.security_matrix = None;
    ev.credssp = None;
    ev.tls_scan = None;
    ev.rdp_security = None;
    ev.net = None;
    ev.mtu = None;
    ev.websocket_ports = None;
    ev.udp = None;
    ev.gateway = None;
    ev.session = None;
    ev.kerberos = None;
    ev.capture = None;
    ev.host = None;
    ev.limitations = Vec::new();
    if let Some(x) = ev.x224.as_mut() {
        x.request_hex = String::new();
        x.response_hex = String::new();
    }
    if let Some(t) = ev.tls.as_mut() {
        t.chain.truncate(1);
    }
    for l in &mut r.layers {
        l.details = Vec::new();
    }
    for f in &mut r.findings {
        f.evidence = Vec::new();
    }
    r.clients = Vec::new();
    r.limitations = Vec::new();
    r
}

fn selected(r: &Report) -> String {
    match r.evidence.x224.as_ref().map(|x| &x.outcome) {
        Some(X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol_names, .. }, .. }) => {
            protocol_names.join(" | ").replace("PROTOCOL_", "")
        }
        Some(X224Outcome::Confirm { negotiation: NegotiationResult::Failure { name, .. }, .. }) => name.clone(),
        Some(X224Outcome::Confirm { negotiation: NegotiationResult::Legacy, .. }) => "RDP (legacy)".to_owned(),
        Some(_) => "no answer".to_owned(),
        None => "—".to_owned(),
    }
}

/// The HTML page of a scan's reports.
pub fn scan(reports: &[Report], meta: &ScanMeta) -> String {
    let title = format!(
        "rdp-doctor: scan of {} host(s){}",
        reports.len(),
        if meta.name.is_empty() { String::new() } else { format!(" — {}", meta.name) }
    );
    page(&title, Some(SORT_JS), |h| body(h, reports, meta))
}

fn body(h: &mut Html, reports: &[Report], meta: &ScanMeta) {
    let mut order: Vec<&Report> = reports.iter().collect();
    order.sort_by(|a, b| {
        severity_rank(b.max_severity).cmp(&severity_rank(a.max_severity)).then_with(|| host_key(a).cmp(&host_key(b)))
    });
    let now = meta.started_unix.or_else(|| reports.iter().map(|r| r.evidence.observed_at_unix).min()).unwrap_or(0);
    h.el("p", &[("class", "tool")], &format!("rdp-doctor {} — Remote Desktop fleet scan", env!("CARGO_PKG_VERSION")));
    h.raw("<h1>").text(&format!("Scan of {} host(s)", reports.len())).raw("</h1>");
    let failing = reports.iter().filter(|r| r.max_severity == Some(Severity::Fail)).count();
    let warning = reports.iter().filter(|r| r.max_severity == Some(Severity::Warn)).count();
    let ok = reports.iter().filter(|r| r.verdict == "ok").count();
    let class = if failing > 0 {
        "fail"
    } else if warning > 0 {
        "warn"
    } else {
        "ok"
    };
    h.open("section", &[("class", &format!("banner {class}")), ("id", "verdict")]);
    h.el(
        "p",
        &[("class", "sentence")],
        &format!(
            "{failing} host(s) failing, {warning} with warnings, {ok} ok, {} not fully judged.",
            reports.len() - failing - warning - ok
        ),
    );
    h.raw("<dl>");
    if !meta.name.is_empty() {
        h.raw("<div><dt>Targets</dt><dd>").text(&meta.name).raw("</dd></div>");
    }
    if let Some(t) = meta.started_unix {
        h.raw("<div><dt>Started</dt><dd>").text(&fmt::date_time(t)).raw("</dd></div>");
    }
    if let Some(d) = meta.duration_s {
        h.raw("<div><dt>Took</dt><dd>").fmt(format_args!("{d:.1} s")).raw("</dd></div>");
    }
    h.raw("</dl></section>");

    // Verdict counts, most common first.
    let mut verdicts: Vec<(&str, usize, Option<Severity>)> = Vec::new();
    for r in reports {
        match verdicts.iter_mut().find(|(v, _, _)| *v == r.verdict) {
            Some(v) => v.1 += 1,
            None => verdicts.push((&r.verdict, 1, r.max_severity)),
        }
    }
    verdicts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    h.raw("<section id=\"verdicts\"><h2>Verdicts</h2><ul class=\"counts\">");
    for (v, n, s) in &verdicts {
        h.open("li", &[("class", fmt::verdict_class(v, *s))]).fmt(format_args!("{n}")).raw(" ");
        h.open("span", &[("class", "badge")]).text(v).raw("</span></li>");
    }
    h.raw("</ul></section>");

    let certs: Vec<svg::Expiry<'_>> = Vec::new();
    let keys: Vec<String> = order.iter().map(|r| host_key(r)).collect();
    let mut certs = certs;
    for (r, key) in order.iter().zip(&keys) {
        if let Some(leaf) = r.evidence.tls.as_ref().and_then(|t| t.chain.first()).filter(|c| c.parse_error.is_none()) {
            certs.push(svg::Expiry {
                host: key,
                not_after: leaf.not_after_unix,
                days_left: leaf.days_left(r.evidence.observed_at_unix),
            });
        }
    }
    if !certs.is_empty() {
        h.raw("<section id=\"expiry\"><h2>Certificate expiry</h2>");
        let expired = certs.iter().filter(|c| c.days_left < 0).count();
        let soon = certs.iter().filter(|c| (0..=30).contains(&c.days_left)).count();
        h.el(
            "p",
            &[],
            &format!("{} certificate(s) seen: {expired} expired, {soon} expiring within 30 days.", certs.len()),
        );
        svg::expiry_timeline(h, &certs, now);
        h.raw("</section>");
    }

    findings_across(h, &order, &keys);
    hosts_table(h, &order, &keys);
    let all = order.iter().flat_map(|r| r.findings.iter());
    report::what_to_do(h, &todo::remedies(all));
    if !meta.limitations.is_empty() {
        h.raw("<section class=\"limitations\"><h2>Limitations</h2><ul>");
        for l in &meta.limitations {
            h.el("li", &[], l);
        }
        h.raw("</ul></section>");
    }
}

/// Each warn/fail finding ID once: how many hosts, which ones (the first ten).
fn findings_across(h: &mut Html, order: &[&Report], keys: &[String]) {
    let mut rows: Vec<(&rdp_doctor_core::Finding, Vec<&str>)> = Vec::new();
    for (r, key) in order.iter().zip(keys) {
        for f in r.findings.iter().filter(|f| f.severity >= Severity::Warn) {
            match rows.iter_mut().find(|(x, _)| x.id == f.id) {
                Some((_, hosts)) if hosts.last() != Some(&key.as_str()) => hosts.push(key),
                Some(_) => {}
                None => rows.push((f, vec![key])),
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    rows.sort_by(|a, b| b.0.severity.cmp(&a.0.severity).then(b.1.len().cmp(&a.1.len())).then(a.0.id.cmp(b.0.id)));
    h.raw("<section id=\"findings\"><h2>Findings across the fleet</h2><div class=\"scroll\"><table>");
    h.raw("<tr><th>Finding</th><th>Severity</th><th>Hosts</th><th>Examples</th></tr>");
    for (f, hosts) in rows {
        h.raw("<tr><td><code>").text(f.id).raw("</code><br>").text(f.title).raw("</td>");
        h.raw("<td><span class=\"badge ")
            .text(f.severity.as_str())
            .raw("\">")
            .text(f.severity.as_str())
            .raw("</span></td>");
        h.open("td", &[("class", "n")]).fmt(format_args!("{}", hosts.len())).raw("</td><td>");
        let shown: Vec<&str> = hosts.iter().take(10).copied().collect();
        h.text(&shown.join(", "));
        if hosts.len() > 10 {
            h.fmt(format_args!(" … and {} more", hosts.len() - 10));
        }
        h.raw("</td></tr>");
    }
    h.raw("</table></div></section>");
}

/// One row per host; the failing and warning hosts' findings folded under their row.
fn hosts_table(h: &mut Html, order: &[&Report], keys: &[String]) {
    h.raw("<section id=\"hosts\"><h2>Hosts</h2><div class=\"scroll\"><table class=\"hosts\"><thead><tr>");
    h.raw("<th>Host</th><th data-num>Severity</th><th>Verdict</th><th>First failing layer</th><th>Security</th>");
    h.raw("<th>TLS</th><th data-num>Certificate days left</th><th data-num>Findings</th></tr></thead><tbody>");
    for (r, key) in order.iter().zip(keys) {
        let class = fmt::verdict_class(&r.verdict, r.max_severity);
        h.open("tr", &[("class", class)]);
        h.raw("<td>").text(key);
        let problems: Vec<&rdp_doctor_core::Finding> =
            r.findings.iter().filter(|f| f.severity >= Severity::Warn).collect();
        if !problems.is_empty() {
            h.raw("<details><summary>findings</summary><ul>");
            for f in problems {
                h.raw("<li><code>").text(f.id).raw("</code> ").text(&f.summary).raw("</li>");
            }
            h.raw("</ul></details>");
        }
        h.raw("</td>");
        let rank = severity_rank(r.max_severity).to_string();
        h.open("td", &[("data-v", &rank)])
            .raw("<span class=\"badge\">")
            .text(r.max_severity.map_or("none", Severity::as_str))
            .raw("</span></td>");
        h.raw("<td><code>").text(&r.verdict).raw("</code></td>");
        h.el("td", &[], r.first_failing_layer.map_or("—", |l| l.label()));
        h.el("td", &[], &selected(r));
        h.el("td", &[], r.evidence.tls.as_ref().and_then(|t| t.version.as_deref()).unwrap_or("—"));
        match r.evidence.tls.as_ref().and_then(|t| t.chain.first()).filter(|c| c.parse_error.is_none()) {
            Some(c) => {
                let d = c.days_left(r.evidence.observed_at_unix);
                h.open("td", &[("class", "n"), ("data-v", &d.to_string())]).fmt(format_args!("{d}")).raw("</td>");
            }
            None => {
                h.raw("<td class=\"n\" data-v=\"999999\">—</td>");
            }
        }
        let n = r.findings.iter().filter(|f| f.severity >= Severity::Warn).count();
        h.open("td", &[("class", "n")]).fmt(format_args!("{n}")).raw("</td></tr>");
    }
    h.raw("</tbody></table></div></section>");
}
