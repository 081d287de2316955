//! Which targets a module may probe: networks (CIDR) and host-name patterns.
//!
//! The two kinds are independent filters, each applied when the list has entries of that kind:
//! - **names**: a target given by name must match one pattern (checked before anything is sent);
//! - **networks**: a target given as an address must lie in one network, and every address a name
//!   resolves to must lie in one too (checked after the lookup, before any packet goes to the target).
//!
//! So `[10.1.0.0/16, "*.corp.example"]` admits `rdp1.corp.example` only while it resolves into 10.1/16,
//! `[10.1.0.0/16]` admits any name that resolves there, and `["*.corp.example"]` trusts DNS for those
//! names (and refuses address targets). Patterns: an exact name, `*` standing for any characters within
//! one label (`rdp-*.corp.example`), or a leading dot for a domain and everything below it
//! (`.corp.example`). Names compare case-insensitively, a trailing dot ignored.

use std::fmt;
use std::net::IpAddr;

/// A network in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Net {
    /// `10.0.0.0/8`, `::1/128`, or a bare address (a /32 or /128).
    pub fn parse(s: &str) -> Option<Self> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().trim_start_matches('[').trim_end_matches(']').parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Self { addr, prefix })
    }

    /// Whether `ip` lies in this network. An IPv4-mapped IPv6 address counts as its IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if a.get(..full) != b.get(..full) {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    match (a.get(full), b.get(full)) {
        (Some(x), Some(y)) => x & mask == y & mask,
        _ => false,
    }
}

impl fmt::Display for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A host-name pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePattern(String);

impl NamePattern {
    fn parse(s: &str) -> Option<Self> {
        let p = s.trim().trim_end_matches('.').to_ascii_lowercase();
        let ok = !p.is_empty()
            && p.len() <= 253
            && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '*'))
            && p.trim_start_matches('.').split('.').all(|l| !l.is_empty());
        ok.then_some(Self(p))
    }

    /// Whether `host` matches.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if let Some(domain) = self.0.strip_prefix('.') {
            return host == domain || host.strip_suffix(domain).is_some_and(|h| h.ends_with('.'));
        }
        let pl: Vec<&str> = self.0.split('.').collect();
        let hl: Vec<&str> = host.split('.').collect();
        pl.len() == hl.len() && pl.iter().zip(&hl).all(|(p, h)| glob(p.as_bytes(), h.as_bytes()))
    }
}

/// `*` matches any run of bytes (the caller splits at dots, so never across labels). Iterative, linear in
/// practice: the usual backtrack-to-last-star algorithm.
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(c) if Some(c) == s.get(si) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|c| *c == b'*'))
}

impl fmt::Display for NamePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A module's `allowed_targets`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    pub nets: Vec<Net>,
    pub names: Vec<NamePattern>,
}

/// Why a target is refused (the HTTP answer is 403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAllowed {
    #[error("{0} is an address outside the module's allowed networks ({1})")]
    AddressOutside(IpAddr, String),
    #[error("{0} is an address and the module allows host names only ({1})")]
    AddressesNotAllowed(IpAddr, String),
    #[error("{0} matches none of the module's host-name patterns ({1})")]
    NameNotMatched(String, String),
    #[error("{0} resolves to {1}, outside the module's allowed networks ({2})")]
    ResolvesOutside(String, IpAddr, String),
}

impl AllowList {
    /// Parses the entries; each is a CIDR (or a bare address) or a host-name pattern.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut out = Self::default();
        for e in entries {
            if let Some(n) = Net::parse(e) {
                out.nets.push(n);
            } else if e.contains('/') || e.contains(':') || e.parse::<IpAddr>().is_ok() {
                return Err(format!("allowed_targets: {e:?} is not a valid network (CIDR)"));
            } else if let Some(p) = NamePattern::parse(e) {
                out.names.push(p);
            } else {
                return Err(format!("allowed_targets: {e:?} is neither a network (CIDR) nor a host-name pattern"));
            }
        }
        Ok(out)
    }

    /// Whether every address is admitted (a `/0` network and no name filter).
    pub fn allows_everything(&self) -> bool {
        self.nets.iter().any(|n| n.prefix == 0)
    }

    fn nets_text(&self) -> String {
        if self.nets.is_empty() { "none".to_owned() } else { join(&self.nets) }
    }

    fn names_text(&self) -> String {
        if self.names.is_empty() { "none".to_owned() } else { join(&self.names) }
    }

    /// The check made before anything is sent: an address target against the networks, a name against the
    /// patterns.
    pub fn check_target(&self, host: &str, ip: Option<IpAddr>) -> Result<(), NotAllowed> {
        match ip {
            Some(ip) if self.nets.is_empty() => Err(NotAllowed::AddressesNotAllowed(ip, self.names_text())),
            Some(ip) if !self.nets.iter().any(|n| n.contains(ip)) => {
                Err(NotAllowed::AddressOutside(ip, self.nets_text()))
            }
            Some(_) => Ok(()),
            None if !self.names.is_empty() && !self.names.iter().any(|p| p.matches(host)) => {
                Err(NotAllowed::NameNotMatched(host.to_owned(), self.names_text()))
            }
            None => Ok(()),
        }
    }

    /// Whether a name target must be resolved by the exporter first (there is a network filter).
    pub fn checks_addresses(&self) -> bool {
        !self.nets.is_empty()
    }

    /// The check after the lookup: every address `host` resolved to lies in a network.
    pub fn check_resolved(&self, host: &str, addrs: &[IpAddr]) -> Result<(), NotAllowed> {
        if self.nets.is_empty() {
            return Ok(());
        }
        match addrs.iter().find(|a| !self.nets.iter().any(|n| n.contains(**a))) {
            Some(a) => Err(NotAllowed::ResolvesOutside(host.to_owned(), *a, self.nets_text())),
            None => Ok(()),
        }
    }
}

fn join<T: fmt::Display>(v: &[T]) -> String {
    v.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "networks: {}; names: {}", self.nets_text(), self.names_text())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn list(e: &[&str]) -> AllowList {
        AllowList::parse(&e.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks() {
        let n = Net::parse("10.1.0.0/16").unwrap();
        assert!(n.contains(ip("10.1.255.3")));
        assert!(!n.contains(ip("10.2.0.1")));
        assert!(n.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped counts as IPv4");
        assert!(Net::parse("127.0.0.1").unwrap().contains(ip("127.0.0.1")));
        assert!(!Net::parse("127.0.0.1").unwrap().contains(ip("127.0.0.2")));
        assert!(Net::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(!Net::parse("fd00::/8").unwrap().contains(ip("10.0.0.1")));
        assert!(Net::parse("10.0.0.0/12").unwrap().contains(ip("10.15.0.1")));
        assert!(!Net::parse("10.0.0.0/12").unwrap().contains(ip("10.16.0.1")));
        assert!(Net::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(Net::parse("10.0.0.0/33").is_none());
        assert!(AllowList::parse(&["10.0.0.0/33".to_owned()]).is_err());
        assert!(AllowList::parse(&["bad name!".to_owned()]).is_err());
    }

    #[test]
    fn patterns() {
        let p = |s: &str| NamePattern::parse(s).unwrap();
        assert!(p("*.corp.example").matches("RDP1.corp.example."));
        assert!(!p("*.corp.example").matches("a.b.corp.example"));
        assert!(!p("*.corp.example").matches("corp.example"));
        assert!(p("rdp-*.corp.example").matches("rdp-07.corp.example"));
        assert!(!p("rdp-*.corp.example").matches("web-07.corp.example"));
        assert!(p(".corp.example").matches("a.b.corp.example"));
        assert!(p(".corp.example").matches("corp.example"));
        assert!(!p(".corp.example").matches("evilcorp.example"));
        assert!(p("localhost").matches("LOCALHOST"));
        assert!(!p("localhost").matches("localhost.evil"));
    }

    #[test]
    fn names_and_networks_are_both_applied() {
        let both = list(&["10.1.0.0/16", "*.corp.example"]);
        assert!(both.check_target("rdp1.corp.example", None).is_ok());
        assert!(matches!(both.check_target("rdp1.evil.example", None), Err(NotAllowed::NameNotMatched(..))));
        assert!(both.check_resolved("rdp1.corp.example", &[ip("10.1.0.5")]).is_ok());
        let outside = both.check_resolved("rdp1.corp.example", &[ip("10.1.0.5"), ip("169.254.169.254")]);
        assert_eq!(
            outside,
            Err(NotAllowed::ResolvesOutside("rdp1.corp.example".into(), ip("169.254.169.254"), "10.1.0.0/16".into()))
        );
        assert!(both.check_target("10.1.2.3", Some(ip("10.1.2.3"))).is_ok());
        assert!(matches!(both.check_target("10.9.2.3", Some(ip("10.9.2.3"))), Err(NotAllowed::AddressOutside(..))));
    }

    #[test]
    fn networks_only_admit_any_name_that_resolves_inside() {
        let nets = list(&["127.0.0.0/8"]);
        assert!(nets.check_target("anything.example", None).is_ok());
        assert!(nets.checks_addresses());
        assert!(nets.check_resolved("localhost", &[ip("127.0.0.1")]).is_ok());
        assert!(nets.check_resolved("x", &[ip("192.0.2.1")]).is_err());
    }

    #[test]
    fn names_only_refuse_addresses_and_trust_dns() {
        let names = list(&["*.corp.example"]);
        assert!(matches!(
            names.check_target("10.0.0.1", Some(ip("10.0.0.1"))),
            Err(NotAllowed::AddressesNotAllowed(..))
        ));
        assert!(!names.checks_addresses());
        assert!(names.check_resolved("a.corp.example", &[ip("192.0.2.1")]).is_ok());
    }

    proptest! {
        #[test]
        fn glob_never_panics_and_star_matches_all(p in "[a-z*]{0,12}", s in "[a-z]{0,12}") {
            let _ = glob(p.as_bytes(), s.as_bytes());
            prop_assert!(glob(b"*", s.as_bytes()));
            prop_assert!(glob(s.as_bytes(), s.as_bytes()));
        }

        #[test]
        fn net_parse_never_panics(s in ".{0,40}") {
            let _ = Net::parse(&s);
        }
    }
}
