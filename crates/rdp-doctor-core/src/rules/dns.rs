//! DNS rules: the OS resolver decides whether a client can connect; a direct query tells whether DNS
//! itself knows the name.

use super::ms;
use crate::catalogue::{DNS_DIRECT_QUERY_FAILED, DNS_RESOLUTION_FAILED, DNS_RESOLVERS_DISAGREE};
use crate::evidence::{Evidence, ResolverResult};
use crate::finding::Finding;

fn describe(r: &ResolverResult) -> String {
    match &r.error {
        Some(e) => format!("{}: error \"{e}\" after {}", r.resolver, ms(r.duration_ms)),
        None => {
            let addrs: Vec<String> = r.addresses.iter().map(ToString::to_string).collect();
            format!("{}: {} in {}", r.resolver, addrs.join(", "), ms(r.duration_ms))
        }
    }
}

pub(super) fn check(ev: &Evidence, out: &mut Vec<Finding>) {
    let Some(dns) = &ev.dns else { return };
    let host = &ev.target.host;
    if dns.os.addresses.is_empty() {
        let mut evidence = vec![describe(&dns.os)];
        evidence.extend(dns.direct.iter().map(describe));
        out.push(Finding::new(&DNS_RESOLUTION_FAILED, format!("{host} does not resolve to any address"), evidence));
        return;
    }
    let Some(direct) = &dns.direct else { return };
    if direct.addresses.is_empty() {
        out.push(Finding::new(
            &DNS_DIRECT_QUERY_FAILED,
            format!("{host} resolves through the OS but not by a direct DNS query"),
            vec![describe(&dns.os), describe(direct)],
        ));
        return;
    }
    let mut os: Vec<_> = dns.os.addresses.clone();
    let mut dq: Vec<_> = direct.addresses.clone();
    os.sort_unstable();
    os.dedup();
    dq.sort_unstable();
    dq.dedup();
    if os != dq && !os.iter().any(|a| dq.contains(a)) {
        out.push(Finding::new(
            &DNS_RESOLVERS_DISAGREE,
            format!("{host}: the OS resolver and DNS give different addresses"),
            vec![describe(&dns.os), describe(direct)],
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::evidence::*;

    fn result(name: &str, addrs: &[&str], error: Option<&str>) -> ResolverResult {
        ResolverResult {
            resolver: name.into(),
            addresses: addrs.iter().filter_map(|a| a.parse().ok()).collect(),
            error: error.map(Into::into),
            duration_ms: 3.0,
        }
    }

    fn run(os: ResolverResult, direct: Option<ResolverResult>) -> Vec<&'static str> {
        let mut ev = base();
        ev.target.host = "rds.corp.example".into();
        ev.dns = Some(DnsEvidence { os, direct });
        ids(&crate::rules::evaluate(&ev))
    }

    #[test]
    fn os_failure_is_fatal() {
        let f = run(result("os", &[], Some("Name or service not known")), None);
        assert_eq!(f, vec!["dns.resolution_failed"]);
    }

    #[test]
    fn direct_failure_is_info() {
        let f = run(result("os", &["10.0.0.5"], None), Some(result("dns", &[], Some("no record found"))));
        assert_eq!(f, vec!["dns.direct_query_failed"]);
    }

    #[test]
    fn disjoint_answers_disagree() {
        let f = run(result("os", &["10.0.0.5"], None), Some(result("dns", &["10.0.0.9"], None)));
        assert_eq!(f, vec!["dns.resolvers_disagree"]);
        let f = run(result("os", &["10.0.0.5", "10.0.0.9"], None), Some(result("dns", &["10.0.0.9"], None)));
        assert!(f.is_empty(), "overlapping answers are fine (round robin)");
    }
}
