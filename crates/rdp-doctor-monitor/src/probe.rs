//! One probe for the exporter: the target admitted by the module's allowlist, then the probe run the way
//! `rdp-doctor check` runs it (`rdp_doctor_probe::check`, then `rdp_doctor_core::report::build`), under a
//! deadline.
//!
//! When the module lists networks, a name target is resolved here first (with the probe's own resolver
//! code), every address it resolves to is checked, and the probe is pinned to those addresses, tried in
//! order as `check` tries them: the probe never looks the name up again, so DNS cannot move it outside
//! the allowlist between the check and the connection. The DNS evidence of that lookup becomes the
//! report's, as if the probe had made it.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdp_doctor_core::Report;
use rdp_doctor_core::evidence::{Evidence, Target};

use crate::allow::NotAllowed;
use crate::config::Module;
use crate::metrics::ProbeContext;

/// Why a probe request is refused before anything is sent to the target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The `target` parameter does not parse (HTTP 400).
    #[error("invalid target {0:?}: {1}")]
    BadTarget(String, String),
    /// The `hostname` parameter is not a host name (HTTP 400).
    #[error("invalid hostname {0:?}: expected a DNS name or an IP address")]
    BadHostname(String),
    /// Outside the module's allowlist (HTTP 403).
    #[error("not allowed: {0}")]
    NotAllowed(#[from] NotAllowed),
    /// A gateway module can only check names against patterns: the gateway resolves them (HTTP 403).
    #[error(
        "not allowed: module {0} reaches targets through an RD Gateway, which resolves names itself; list host-name patterns in allowed_targets to allow {1}"
    )]
    GatewayNeedsNames(String, String),
}

impl Refused {
    /// Whether the refusal is the allowlist's (403) rather than a malformed request (400).
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::NotAllowed(_) | Self::GatewayNeedsNames(..))
    }
}

/// A finished probe: the report and what the renderer needs besides.
#[derive(Debug, Clone)]
pub struct ProbeRun {
    pub report: Report,
    pub context: ProbeContext,
}

/// Parses `target` (`HOST`, `HOST:PORT`, `[V6]:PORT`; port 3389 by default) and checks it against the
/// module's allowlist without any I/O.
pub fn admit(target: &str, module: &Module) -> Result<Target, Refused> {
    let t = rdp_doctor_probe::parse_target(target, rdp_doctor_probe::target::DEFAULT_PORT)
        .map_err(|e| Refused::BadTarget(target.to_owned(), e.to_string()))?;
    module.allowed.check_target(&t.host, t.ip)?;
    if module.gateway.is_some() && t.ip.is_none() && module.allowed.names.is_empty() {
        return Err(Refused::GatewayNeedsNames(module.name.clone(), t.host));
    }
    Ok(t)
}

/// Checks the `hostname` parameter (the name the certificate is matched against, as blackbox's).
pub fn check_hostname(hostname: &str) -> Result<(), Refused> {
    if crate::config::valid_name(hostname) { Ok(()) } else { Err(Refused::BadHostname(hostname.to_owned())) }
}

fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Runs the probe of an admitted `target`, which must end `budget` after `started` (when the request
/// arrived). Each step's deadline comes from the whole budget, not from what is left of it after waiting
/// for a slot: a probe that cannot finish in time says so (`deadline_exceeded`) rather than reporting a
/// shortened step's timeout as the server's fault. Refuses (403) a name that resolves outside the module's
/// networks, before any packet goes to it.
pub async fn run(
    target: Target,
    module: &Module,
    hostname: Option<&str>,
    started: Instant,
    budget: Duration,
) -> Result<ProbeRun, Refused> {
    let start = Instant::now();
    let deadline = started + budget;
    let layer = module.layer_timeout_for(budget);
    let opts = module.check_options(layer, hostname);
    let observed = now_unix();

    let pin = module.gateway.is_none() && target.ip.is_none() && module.allowed.checks_addresses();
    let mut dns = None;
    // The addresses the probe may use: the literal, the checked lookup's, or none given (the probe resolves).
    let mut addrs: Vec<Option<std::net::IpAddr>> = vec![target.ip];
    if pin {
        let d = rdp_doctor_probe::dns::resolve(&target.host, layer, module.direct_dns).await;
        module.allowed.check_resolved(&target.host, &d.os.addresses)?;
        addrs = d.os.addresses.iter().take(rdp_doctor_probe::tcp::MAX_ADDRESSES).map(|a| Some(*a)).collect();
        dns = Some(d);
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    let (mut ev, deadline_exceeded) = if addrs.is_empty() {
        (Evidence::new(target.clone(), observed), false)
    } else {
        match tokio::time::timeout(remaining, pinned(&target, &addrs, &opts)).await {
            Ok(ev) => (ev, false),
            Err(_) => {
                let mut ev = Evidence::new(target.clone(), observed);
                ev.limitations.push(format!(
                    "The probe did not finish within its deadline of {} ms (the scrape timeout less a margin, capped \
                     by the module's timeout of {} ms; each step had {} ms), so nothing it saw is reported; raise \
                     scrape_timeout or lower the module's layer_timeout",
                    budget.as_millis(),
                    module.timeout.as_millis(),
                    layer.as_millis()
                ));
                (ev, true)
            }
        }
    };
    ev.target = target;
    if dns.is_some() {
        ev.dns = dns;
    }
    let report = rdp_doctor_core::report::build(ev, start.elapsed().as_secs_f64() * 1000.0);
    let context =
        ProbeContext { deadline: Some(budget), deadline_exceeded, cert_warning_days: Some(module.cert_warning_days) };
    Ok(ProbeRun { report, context })
}

/// The probe the way `check` runs it, pinned to checked addresses: each address in turn (as `check`'s own
/// TCP step tries every address, first success wins) until one accepts, with the failed attempts kept in
/// the TCP evidence so the rules see them (`tcp.some_addresses_failed`). `[None]`: the probe resolves the
/// name itself (no network filter to keep it to).
async fn pinned(
    target: &Target,
    addrs: &[Option<std::net::IpAddr>],
    opts: &rdp_doctor_probe::CheckOptions,
) -> Evidence {
    let mut failed = Vec::new();
    let mut last = None;
    for ip in addrs {
        let mut t = target.clone();
        t.ip = *ip;
        let mut ev = rdp_doctor_probe::check(t, opts).await;
        let connected = ev.tcp.as_ref().is_some_and(|t| t.connected().is_some());
        if let Some(tcp) = ev.tcp.as_mut() {
            let tried = std::mem::take(&mut tcp.attempts);
            tcp.attempts = failed.iter().cloned().chain(tried).collect();
            if !connected {
                failed.clone_from(&tcp.attempts);
            }
        }
        if connected {
            return ev;
        }
        last = Some(ev);
    }
    last.unwrap_or_else(|| Evidence::new(target.clone(), now_unix()))
}

/// The deadline of a probe: the scrape timeout Prometheus announces less `margin`, capped by the module's
/// timeout; the module's timeout alone when no header came. A margin larger than half the scrape timeout
/// is cut to half, so a short scrape timeout still leaves time to probe.
pub fn deadline(scrape_timeout: Option<Duration>, margin: Duration, module: &Module) -> Duration {
    match scrape_timeout {
        Some(t) => t.saturating_sub(margin.min(t / 2)).min(module.timeout),
        None => module.timeout,
    }
}

/// Reads the `X-Prometheus-Scrape-Timeout-Seconds` header value (seconds, possibly fractional).
pub fn parse_scrape_timeout(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs > 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::allow::AllowList;

    fn module(entries: &[&str]) -> Module {
        let entries: Vec<String> = entries.iter().map(|s| (*s).to_owned()).collect();
        Module::with_allowlist("m", AllowList::parse(&entries).unwrap())
    }

    #[test]
    fn admission_happens_without_io() {
        let m = module(&["127.0.0.0/8", "*.lab.example"]);
        assert_eq!(admit("127.0.0.1:3390", &m).unwrap().port, 3390);
        assert_eq!(admit("rdp.lab.example", &m).unwrap().port, 3389);
        assert!(admit("192.0.2.1", &m).unwrap_err().is_forbidden());
        assert!(admit("rdp.other.example", &m).unwrap_err().is_forbidden());
        let bad = admit("host:99999", &m).unwrap_err();
        assert!(!bad.is_forbidden(), "{bad}");
        assert!(check_hostname("rdp.lab.example").is_ok());
        assert!(check_hostname("a b").is_err());
    }

    #[test]
    fn gateway_modules_allow_names_by_pattern_only() {
        let mut m = module(&["10.0.0.0/8"]);
        m.gateway = Some(("gw.example".to_owned(), 443));
        assert!(matches!(admit("rdp1.example", &m), Err(Refused::GatewayNeedsNames(..))));
        assert!(admit("10.1.1.1", &m).is_ok());
    }

    #[test]
    fn deadline_is_the_scrape_timeout_less_the_margin_capped_by_the_module() {
        let m = module(&["::1"]);
        let half = Duration::from_millis(500);
        assert_eq!(deadline(Some(Duration::from_secs(10)), half, &m), Duration::from_millis(9500));
        assert_eq!(deadline(Some(Duration::from_secs(60)), half, &m), m.timeout);
        assert_eq!(deadline(None, half, &m), m.timeout);
        assert_eq!(deadline(Some(Duration::from_millis(600)), half, &m), Duration::from_millis(300));
        assert_eq!(parse_scrape_timeout("9.5"), Some(Duration::from_millis(9500)));
        assert_eq!(parse_scrape_timeout("-1"), None);
        assert_eq!(parse_scrape_timeout("NaN"), None);
    }

    #[tokio::test]
    async fn a_name_resolving_outside_the_networks_is_refused_before_any_packet() {
        // localhost resolves to loopback; the module allows only 192.0.2.0/24.
        let m = module(&["192.0.2.0/24"]);
        let t = admit("localhost:9", &m).unwrap();
        let r = run(t, &m, None, Instant::now(), Duration::from_secs(5)).await.unwrap_err();
        assert!(matches!(r, Refused::NotAllowed(NotAllowed::ResolvesOutside(..))), "{r}");
    }
}
