//! CIDR ranges (RFC 4632 notation for IPv4, RFC 4291 2.3 for IPv6): parsing, size, membership and the
//! host addresses of a range.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address range `network/prefix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// One address (`/32` or `/128`).
    pub fn single(ip: IpAddr) -> Self {
        Self { network: ip, prefix: if ip.is_ipv4() { 32 } else { 128 } }
    }

    fn bits(&self) -> u8 {
        if self.network.is_ipv4() { 32 } else { 128 }
    }

    /// How many addresses [`Cidr::hosts`] yields (saturating for huge IPv6 ranges).
    pub fn host_count(&self) -> u64 {
        let span = u32::from(self.bits() - self.prefix);
        let all = if span >= 64 { u64::MAX } else { 1u64 << span };
        if self.skips_ends() { all - 2 } else { all }
    }

    /// IPv4 ranges of /30 and larger skip their network and broadcast addresses, which no host has.
    fn skips_ends(&self) -> bool {
        self.network.is_ipv4() && self.prefix <= 30
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => mask4(u32::from(a), self.prefix) == u32::from(n),
            (IpAddr::V6(n), IpAddr::V6(a)) => mask6(u128::from(a), self.prefix) == u128::from(n),
            _ => false,
        }
    }

    /// The addresses, in order (at most [`Cidr::host_count`]).
    pub fn hosts(&self) -> impl Iterator<Item = IpAddr> + use<> {
        let (start, count) = match self.network {
            IpAddr::V4(n) => (u128::from(u32::from(n)), self.host_count()),
            IpAddr::V6(n) => (u128::from(n), self.host_count()),
        };
        let first = if self.skips_ends() { start + 1 } else { start };
        let v4 = self.network.is_ipv4();
        (0..count).map(move |i| {
            let a = first + u128::from(i);
            if v4 {
                IpAddr::V4(Ipv4Addr::from(u32::try_from(a).unwrap_or(u32::MAX)))
            } else {
                IpAddr::V6(Ipv6Addr::from(a))
            }
        })
    }
}

fn mask4(a: u32, prefix: u8) -> u32 {
    if prefix == 0 { 0 } else { a & (u32::MAX << (32 - u32::from(prefix.min(32)))) }
}

fn mask6(a: u128, prefix: u8) -> u128 {
    if prefix == 0 { 0 } else { a & (u128::MAX << (128 - u32::from(prefix.min(128)))) }
}

/// Parses `ADDR/LEN`, `ADDR/LEN:PORT` (IPv4) or `[V6ADDR/LEN]:PORT`; the address is masked to its
/// network. Returns the range and the port (`default_port` when none is given).
pub fn parse_cidr(s: &str, default_port: u16) -> Result<(Cidr, u16), String> {
    let s = s.trim();
    let (range, port) = if let Some(rest) = s.strip_prefix('[') {
        let (r, after) = rest.split_once(']').ok_or_else(|| "missing ']'".to_owned())?;
        match after {
            "" => (r, None),
            p => (r, Some(p.strip_prefix(':').ok_or_else(|| format!("unexpected {p:?} after ']'"))?)),
        }
    } else {
        match s.split_once('/') {
            Some((addr, len)) if !addr.contains(':') => match len.split_once(':') {
                Some((l, p)) => (s.get(..addr.len() + 1 + l.len()).unwrap_or(s), Some(p)),
                None => (s, None),
            },
            _ => (s, None),
        }
    };
    let port = match port {
        None => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => return Err(format!("invalid port {p:?}")),
        },
    };
    let (addr, len) = range.split_once('/').ok_or_else(|| format!("{range:?} is not ADDRESS/PREFIX"))?;
    let ip: IpAddr = addr.parse().map_err(|_| format!("{addr:?} is not an IP address"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix: u8 = len.parse().ok().filter(|l| *l <= max).ok_or_else(|| format!("invalid prefix length {len:?}"))?;
    let network = match ip {
        IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(mask4(u32::from(a), prefix))),
        IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(mask6(u128::from(a), prefix))),
    };
    Ok((Cidr { network, prefix }, port))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn hosts(s: &str) -> Vec<String> {
        parse_cidr(s, 3389).unwrap().0.hosts().map(|a| a.to_string()).collect()
    }

    #[test]
    fn ipv4_ranges_skip_network_and_broadcast() {
        assert_eq!(hosts("10.0.0.0/30"), ["10.0.0.1", "10.0.0.2"]);
        assert_eq!(hosts("10.0.0.7/31"), ["10.0.0.6", "10.0.0.7"]);
        assert_eq!(hosts("10.0.0.7/32"), ["10.0.0.7"]);
        assert_eq!(parse_cidr("10.1.2.3/24", 3389).unwrap().0.host_count(), 254);
        assert_eq!(parse_cidr("10.0.0.0/16", 1).unwrap().0.host_count(), 65534);
        assert_eq!(parse_cidr("0.0.0.0/0", 1).unwrap().0.host_count(), (1 << 32) - 2);
    }

    #[test]
    fn ports_and_ipv6() {
        assert_eq!(parse_cidr("10.0.0.0/24:3390", 3389).unwrap().1, 3390);
        assert_eq!(parse_cidr("10.0.0.0/24", 3389).unwrap().1, 3389);
        assert_eq!(hosts("[2001:db8::/127]:3390"), ["2001:db8::", "2001:db8::1"]);
        assert_eq!(parse_cidr("[2001:db8::/127]:3390", 1).unwrap().1, 3390);
        assert_eq!(parse_cidr("2001:db8::/64", 1).unwrap().0.host_count(), u64::MAX);
    }

    #[test]
    fn membership() {
        let (c, _) = parse_cidr("192.168.4.0/22", 1).unwrap();
        assert!(c.contains("192.168.7.255".parse().unwrap()));
        assert!(!c.contains("192.168.8.0".parse().unwrap()));
        assert!(!c.contains("::1".parse().unwrap()));
    }

    #[test]
    fn malformed() {
        for bad in
            ["10.0.0.0/33", "10.0.0/24", "10.0.0.0/x", "10.0.0.0/24:0", "10.0.0.0/24:99999", "[::1/200]", "[::1/64"]
        {
            assert!(parse_cidr(bad, 3389).is_err(), "{bad}");
        }
    }
}
