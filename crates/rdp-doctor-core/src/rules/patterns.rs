//! Patterns across a capture file, each a finding with counts, sources, targets and rates: password
//! guessing (refused logons per source and per account), scanning (one source to many ports or hosts,
//! unanswered SYNs, probes without a SYN), health probes (connect-and-close without payload) and a flood of
//! pending connections (what fills a Windows server's MaxOutstandingConnections). Thresholds are named
//! constants; below them nothing is said.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use crate::capture::Side;
use crate::capture_digest::{ConnectionDigest, SourceFlows};
use crate::catalogue::*;
use crate::finding::Finding;

/// Refused logons from one source before it is called guessing.
pub const GUESSING_MIN: usize = 10;
/// Distinct targets (address and port) of one source before it is called a scan.
pub const SCAN_MIN_TARGETS: u64 = 20;
/// Share of a scanner's flows that went no further than the handshake.
pub const SCAN_MIN_SHARE: f64 = 0.8;
/// Probes without a SYN (FIN, NULL, Xmas) that alone make a scan.
pub const SCAN_MIN_STEALTH: u64 = 2;
/// Connect-and-close connections of one source to one server before they are called health probes.
pub const PROBES_MIN: usize = 5;
/// Connections pending at once to one server before they are called a flood.
pub const FLOOD_MIN: usize = 20;
/// Lines of evidence per finding.
const MAX_LINES: usize = 12;

fn span_text(first: f64, last: f64) -> String {
    let s = (last - first).max(0.0) / 1000.0;
    if s >= 120.0 { format!("{:.1} min", s / 60.0) } else { format!("{s:.1} s") }
}

/// Per minute over the span (at least one second).
fn rate(n: usize, first: f64, last: f64) -> f64 {
    n as f64 / ((last - first).max(1000.0) / 60_000.0)
}

/// A pattern: its finding, the source addresses it is about and how many connections it covers.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub finding: Finding,
    pub sources: Vec<IpAddr>,
    pub connections: usize,
}

/// Every pattern the file shows, most severe and then most connections first.
pub fn patterns(conns: &[ConnectionDigest], sources: &[SourceFlows]) -> Vec<Pattern> {
    let mut out: Vec<Pattern> = Vec::new();
    out.extend(guessing(conns));
    out.extend(scans(sources));
    out.extend(health_probes(conns));
    out.extend(floods(conns));
    out.sort_by(|a, b| b.finding.severity.cmp(&a.finding.severity).then(b.connections.cmp(&a.connections)));
    out
}

/// Password guessing: refused logons grouped by source, and by account where the data names it.
fn guessing(conns: &[ConnectionDigest]) -> Vec<Pattern> {
    let mut by_source: BTreeMap<IpAddr, Vec<&ConnectionDigest>> = BTreeMap::new();
    for c in conns.iter().filter(|c| c.auth_failed()) {
        by_source.entry(c.client.ip()).or_default().push(c);
    }
    let guessing: Vec<(IpAddr, Vec<&ConnectionDigest>)> =
        by_source.into_iter().filter(|(_, v)| v.len() >= GUESSING_MIN).collect();
    // Spraying: one account refused from several sources, together past the threshold.
    let mut by_account: BTreeMap<&str, Vec<&ConnectionDigest>> = BTreeMap::new();
    for c in conns.iter().filter(|c| c.auth_failed()) {
        if let Some(a) = c.account.as_deref() {
            by_account.entry(a).or_default().push(c);
        }
    }
    let sprayed: Vec<(&str, Vec<&ConnectionDigest>)> = by_account
        .into_iter()
        .filter(|(_, v)| {
            v.len() >= GUESSING_MIN
                && v.iter().map(|c| c.client.ip()).collect::<std::collections::BTreeSet<_>>().len() > 1
        })
        .collect();
    if guessing.is_empty() && sprayed.is_empty() {
        return vec![];
    }
    let total: usize = guessing.iter().map(|(_, v)| v.len()).sum();
    let mut lines = Vec::new();
    for (src, v) in guessing.iter().take(MAX_LINES) {
        let first = v.iter().map(|c| c.start_ms).fold(f64::MAX, f64::min);
        let last = v.iter().map(|c| c.start_ms).fold(f64::MIN, f64::max);
        let mut targets: Vec<String> = v.iter().map(|c| c.server.to_string()).collect();
        targets.sort();
        targets.dedup();
        let verdicts = counts(v.iter().map(|c| c.verdict.as_str()));
        let succeeded = conns.iter().filter(|c| c.client.ip() == *src && c.setup_done && !c.auth_failed()).count();
        let cookies = v.iter().filter(|c| c.cookie).count();
        let mut accounts = counts(v.iter().filter_map(|c| c.account.as_deref()));
        accounts.truncate(5);
        let mut l = format!(
            "{src}: {} refused logons to {} between +{} and +{} ({}, {:.1}/min); {}",
            v.len(),
            targets.join(", "),
            crate::rules::ms(first),
            crate::rules::ms(last),
            span_text(first, last),
            rate(v.len(), first, last),
            verdicts.iter().map(|(k, n)| format!("{k} ×{n}")).collect::<Vec<_>>().join(", ")
        );
        if !accounts.is_empty() {
            l.push_str(&format!(
                "; accounts: {}",
                accounts.iter().map(|(k, n)| format!("{k} ×{n}")).collect::<Vec<_>>().join(", ")
            ));
        } else if cookies > 0 {
            l.push_str(&format!("; accounts not visible (encrypted); {cookies} requests carried an mstshash cookie (a user name, not quoted)"));
        }
        if succeeded > 0 {
            l.push_str(&format!(
                "; {succeeded} connection(s) from it got past the logon: check whether a guessed password worked"
            ));
        }
        lines.push(l);
    }
    for (account, v) in sprayed.iter().take(4) {
        let mut srcs: Vec<String> = v.iter().map(|c| c.client.ip().to_string()).collect();
        srcs.sort();
        srcs.dedup();
        lines.push(format!(
            "account {account}: {} refused logons from {} sources ({})",
            v.len(),
            srcs.len(),
            srcs.join(", ")
        ));
    }
    let summary = match guessing.first() {
        Some((src, v)) if guessing.len() == 1 => {
            let first = v.iter().map(|c| c.start_ms).fold(f64::MAX, f64::min);
            let last = v.iter().map(|c| c.start_ms).fold(f64::MIN, f64::max);
            format!(
                "password guessing: {} refused logons from {src} in {} ({:.1}/min)",
                v.len(),
                span_text(first, last),
                rate(v.len(), first, last)
            )
        }
        Some(_) => format!("password guessing: {total} refused logons from {} sources", guessing.len()),
        None => format!("password spraying: {} account(s) refused from several sources", sprayed.len()),
    };
    let mut srcs: Vec<IpAddr> = guessing.iter().map(|(s, _)| *s).collect();
    srcs.extend(sprayed.iter().flat_map(|(_, v)| v.iter().map(|c| c.client.ip())));
    srcs.sort();
    srcs.dedup();
    vec![Pattern {
        finding: Finding::new(&PATTERN_PASSWORD_GUESSING, summary, lines),
        sources: srcs,
        connections: total.max(1),
    }]
}

/// Values with their counts, most frequent first.
fn counts<'a>(it: impl Iterator<Item = &'a str>) -> Vec<(&'a str, usize)> {
    let mut m: BTreeMap<&str, usize> = BTreeMap::new();
    for k in it {
        *m.entry(k).or_default() += 1;
    }
    let mut v: Vec<(&str, usize)> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v
}

/// Scanning: sources whose flows went no further than the handshake, to many targets, or without SYNs.
fn scans(sources: &[SourceFlows]) -> Vec<Pattern> {
    let scanners: Vec<&SourceFlows> = sources
        .iter()
        .filter(|s| {
            let probing = s.unanswered + s.refused + s.empty + s.stealth;
            let share = if s.flows == 0 { 0.0 } else { probing as f64 / s.flows as f64 };
            (s.targets >= SCAN_MIN_TARGETS && share >= SCAN_MIN_SHARE) || s.stealth >= SCAN_MIN_STEALTH
        })
        .collect();
    if scanners.is_empty() {
        return vec![];
    }
    let flows: u64 = scanners.iter().map(|s| s.flows).sum();
    let lines: Vec<String> = scanners
        .iter()
        .take(MAX_LINES)
        .map(|s| {
            format!(
                "{}: {} flows to {}{} target(s) ({} port(s) on {} host(s)) in {}: {} unanswered SYN(s), {} refused (RST), {} closed without data, {} probe(s) without a SYN, {} with payload{}; e.g. {}",
                s.source.map_or_else(|| "?".to_owned(), |a| a.to_string()),
                s.flows,
                if s.targets_capped { "at least " } else { "" },
                s.targets,
                s.ports,
                s.hosts,
                span_text(s.first_ms, s.last_ms),
                s.unanswered,
                s.refused,
                s.empty,
                s.stealth,
                s.with_payload,
                if s.rdp_port_probed { "; RDP ports among them" } else { "" },
                s.sample_targets.join(", ")
            )
        })
        .collect();
    let summary = match scanners.as_slice() {
        [s] => format!(
            "port scan: {} probed {}{} port(s) on {} host(s) in {}",
            s.source.map_or_else(|| "?".to_owned(), |a| a.to_string()),
            if s.targets_capped { "at least " } else { "" },
            s.ports,
            s.hosts,
            span_text(s.first_ms, s.last_ms)
        ),
        _ => format!("port scans from {} sources", scanners.len()),
    };
    vec![Pattern {
        finding: Finding::new(&PATTERN_SCAN, summary, lines),
        sources: scanners.iter().filter_map(|s| s.source).collect(),
        connections: usize::try_from(flows).unwrap_or(usize::MAX),
    }]
}

/// Health probes: the handshake done, nothing sent either way, closed by the client, again and again.
fn health_probes(conns: &[ConnectionDigest]) -> Vec<Pattern> {
    let mut groups: BTreeMap<(IpAddr, SocketAddr), Vec<&ConnectionDigest>> = BTreeMap::new();
    for c in conns {
        if c.answered && c.client_bytes == 0 && c.server_bytes == 0 && c.ended_by == Some(Side::Client) {
            groups.entry((c.client.ip(), c.server)).or_default().push(c);
        }
    }
    let probes: Vec<((IpAddr, SocketAddr), Vec<&ConnectionDigest>)> =
        groups.into_iter().filter(|(_, v)| v.len() >= PROBES_MIN).collect();
    if probes.is_empty() {
        return vec![];
    }
    let total: usize = probes.iter().map(|(_, v)| v.len()).sum();
    let lines: Vec<String> = probes
        .iter()
        .take(MAX_LINES)
        .map(|((src, dst), v)| {
            let mut starts: Vec<f64> = v.iter().map(|c| c.start_ms).collect();
            starts.sort_by(f64::total_cmp);
            let mut gaps: Vec<f64> = starts.iter().zip(starts.iter().skip(1)).map(|(a, b)| b - a).collect();
            gaps.sort_by(f64::total_cmp);
            let median = gaps.get(gaps.len() / 2).copied().unwrap_or(0.0);
            format!(
                "{src} → {dst}: {} connect-and-close connections, one every {} (median), over {}",
                v.len(),
                span_text(0.0, median),
                span_text(starts.first().copied().unwrap_or(0.0), starts.last().copied().unwrap_or(0.0))
            )
        })
        .collect();
    let summary = format!(
        "health probes: {total} connect-and-close connections from {} source(s): checks of the port, not failed connections",
        probes.iter().map(|((s, _), _)| *s).collect::<std::collections::BTreeSet<_>>().len()
    );
    let mut srcs: Vec<IpAddr> = probes.iter().map(|((s, _), _)| *s).collect();
    srcs.dedup();
    vec![Pattern { finding: Finding::new(&PATTERN_HEALTH_PROBES, summary, lines), sources: srcs, connections: total }]
}

/// A flood of pending connections: the most connections to one server open at once without having
/// finished their setup.
fn floods(conns: &[ConnectionDigest]) -> Vec<Pattern> {
    let mut by_server: BTreeMap<SocketAddr, Vec<&ConnectionDigest>> = BTreeMap::new();
    for c in conns.iter().filter(|c| !c.setup_done && c.answered) {
        by_server.entry(c.server).or_default().push(c);
    }
    let mut found = Vec::new();
    for (server, v) in by_server {
        if v.len() < FLOOD_MIN {
            continue;
        }
        // Sweep: +1 at each start, -1 at each end; ends before starts at the same instant.
        let mut events: Vec<(f64, i32)> = v.iter().flat_map(|c| [(c.start_ms, 1), (c.end_ms, -1)]).collect();
        events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let (mut now, mut peak, mut at) = (0i64, 0i64, 0.0);
        for (t, d) in events {
            now += i64::from(d);
            if now > peak {
                peak = now;
                at = t;
            }
        }
        let peak = usize::try_from(peak).unwrap_or(0);
        if peak < FLOOD_MIN {
            continue;
        }
        let open_then: Vec<&&ConnectionDigest> = v.iter().filter(|c| c.start_ms <= at && c.end_ms >= at).collect();
        let mut by_src: BTreeMap<IpAddr, usize> = BTreeMap::new();
        for c in &open_then {
            *by_src.entry(c.client.ip()).or_default() += 1;
        }
        let mut top: Vec<(IpAddr, usize)> = by_src.into_iter().collect();
        top.sort_by_key(|t| std::cmp::Reverse(t.1));
        let lines = vec![
            format!(
                "{server}: {peak} connections pending at once at +{} ({} that never finished their setup in all)",
                crate::rules::ms(at),
                v.len()
            ),
            format!(
                "pending at the peak, by source: {}",
                top.iter().take(8).map(|(s, n)| format!("{s} ×{n}")).collect::<Vec<_>>().join(", ")
            ),
            "a Windows server accepts a limited number of connections that have not finished their security setup (MaxOutstandingConnections); beyond it new connections are refused until pending ones time out".to_owned(),
        ];
        found.push(Pattern {
            finding: Finding::new(
                &PATTERN_PENDING_FLOOD,
                format!("{peak} connections to {server} pending at once: enough to fill the server's outstanding-connection limit"),
                lines,
            ),
            sources: top.iter().map(|(s, _)| *s).collect(),
            connections: v.len(),
        });
    }
    found
}

/// The file-level headline: the first pattern (most severe, most connections), in one line.
pub fn dominant(patterns: &[Pattern]) -> Option<String> {
    patterns.first().map(|p| format!("{}: {}", p.finding.id, p.finding.summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::ConnectionKind;

    fn conn(id: u64, client: &str, at: f64, verdict: &'static str) -> ConnectionDigest {
        ConnectionDigest {
            id,
            client: client.parse().unwrap_or_else(|_| unreachable!()),
            server: "10.0.0.9:3389".parse().unwrap_or_else(|_| unreachable!()),
            kind: ConnectionKind::Rdp,
            start_ms: at,
            end_ms: at + 1200.0,
            verdict: verdict.to_owned(),
            severity: None,
            findings: if verdict == "ok" { vec![] } else { vec![verdict] },
            setup_done: verdict == "ok",
            answered: true,
            client_bytes: 1200,
            server_bytes: 1500,
            ended_by: Some(Side::Client),
            account: None,
            cookie: true,
        }
    }

    #[test]
    fn guessing_needs_many_refusals_from_one_source() {
        let few: Vec<_> =
            (0..9).map(|i| conn(i, "91.238.181.21:40000", i as f64 * 1000.0, "credssp.ended_by_server")).collect();
        assert!(patterns(&few, &[]).is_empty());
        let mut many: Vec<_> =
            (0..120).map(|i| conn(i, "91.238.181.21:40000", i as f64 * 500.0, "credssp.ended_by_server")).collect();
        many.push(conn(200, "10.1.1.1:50000", 0.0, "ok"));
        let f = patterns(&many, &[]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].finding.id, "pattern.password_guessing");
        assert!(
            f[0].finding.summary.starts_with("password guessing: 120 refused logons from 91.238.181.21"),
            "{}",
            f[0].finding.summary
        );
        assert!(
            f[0].finding.evidence[0].contains("120 requests carried an mstshash cookie"),
            "{:?}",
            f[0].finding.evidence
        );
        // Those connections overlap: at most 3 at once, no flood.
        assert!(!f.iter().any(|p| p.finding.id == "pattern.pending_flood"));
    }

    #[test]
    fn spraying_is_one_account_refused_from_several_sources() {
        let refused = |i: u64, src: &str| {
            let mut c = conn(i, src, i as f64 * 1000.0, "credssp.logon_failure");
            c.account = Some("LAB\\bob".to_owned());
            c
        };
        // 12 refusals of one account from 3 sources, 4 each: no source guesses alone; together a spray.
        let spray: Vec<_> = (0..12).map(|i| refused(i, &format!("198.51.100.{}:5000", i % 3))).collect();
        let f = patterns(&spray, &[]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].finding.summary, "password spraying: 1 account(s) refused from several sources");
        assert!(f[0].finding.evidence[0].starts_with("account LAB\\bob: 12 refused logons from 3 sources"));
        assert_eq!(f[0].sources.len(), 3);
        // The same 12 from one source: guessing, not a spray (one source is not several).
        let one: Vec<_> = (0..12).map(|i| refused(i, "198.51.100.7:5000")).collect();
        let f = patterns(&one, &[]);
        assert!(f[0].finding.summary.starts_with("password guessing: 12 refused logons"), "{}", f[0].finding.summary);
        assert!(f[0].finding.evidence.iter().all(|l| !l.starts_with("account ")), "{:?}", f[0].finding.evidence);
        assert!(f[0].finding.evidence[0].contains("accounts: LAB\\bob ×12"), "{:?}", f[0].finding.evidence);
    }

    #[test]
    fn a_flood_is_many_pending_at_once() {
        let v: Vec<_> = (0..40)
            .map(|i| {
                let mut c = conn(i, &format!("203.0.113.{}:4000", i % 4), i as f64 * 10.0, "credssp.ended_by_server");
                c.end_ms = 30_000.0;
                c
            })
            .collect();
        let f = patterns(&v, &[]);
        let flood = &f.iter().find(|p| p.finding.id == "pattern.pending_flood").unwrap().finding;
        assert!(flood.summary.starts_with("40 connections to 10.0.0.9:3389 pending at once"), "{}", flood.summary);
    }

    #[test]
    fn health_probes_are_connect_and_close() {
        let v: Vec<_> = (0..6)
            .map(|i| {
                let mut c = conn(i, "10.0.0.2:40000", i as f64 * 5000.0, "incomplete");
                c.findings.clear();
                c.client_bytes = 0;
                c.server_bytes = 0;
                c
            })
            .collect();
        let f = patterns(&v, &[]);
        assert_eq!(f[0].finding.id, "pattern.health_probes");
        assert!(f[0].finding.evidence[0].contains("one every 5.0 s"), "{:?}", f[0].finding.evidence);
        assert_eq!(dominant(&f).unwrap(), format!("pattern.health_probes: {}", f[0].finding.summary));
    }

    #[test]
    fn scans_from_the_flow_tally() {
        let s = SourceFlows {
            source: "172.16.0.8".parse().ok(),
            flows: 1994,
            targets: 1000,
            hosts: 1,
            ports: 1000,
            unanswered: 1990,
            with_payload: 0,
            rdp_port_probed: true,
            last_ms: 22_900.0,
            ..SourceFlows::default()
        };
        let f = patterns(&[], std::slice::from_ref(&s));
        assert_eq!(f[0].finding.id, "pattern.scan");
        assert_eq!(f[0].finding.summary, "port scan: 172.16.0.8 probed 1000 port(s) on 1 host(s) in 22.9 s");
        let mut quiet = s;
        quiet.targets = 3;
        quiet.ports = 3;
        assert!(patterns(&[], &[quiet.clone()]).is_empty());
        quiet.stealth = 2;
        assert_eq!(patterns(&[], &[quiet])[0].finding.id, "pattern.scan");
    }
}
