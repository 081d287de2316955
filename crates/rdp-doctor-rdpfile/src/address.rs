//! `full address` and `gatewayhostname` values: `host`, `host:port`, `[IPv6]`, `[IPv6]:port` or a bare
//! IPv6 address.

use std::fmt;
use std::net::IpAddr;

/// The default RDP port.
pub const DEFAULT_PORT: u16 = 3389;

/// A parsed address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// A DNS name or an IP literal (IPv6 without brackets).
    pub host: String,
    pub port: Option<u16>,
}

impl Address {
    /// The port, or the default RDP port.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(DEFAULT_PORT)
    }
}

impl fmt::Display for Address {
    /// The canonical written form: IPv6 always in brackets, so a port can never be mistaken for part of it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.port, self.host.contains(':')) {
            (Some(p), true) => write!(f, "[{}]:{p}", self.host),
            (Some(p), false) => write!(f, "{}:{p}", self.host),
            (None, true) => write!(f, "[{}]", self.host),
            (None, false) => f.write_str(&self.host),
        }
    }
}

/// Why an address is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("the address is empty")]
    Empty,
    #[error("`{0}` is a URL: give only the host name (and :port)")]
    Url(String),
    #[error("port `{0}` is not a number from 1 to 65535")]
    BadPort(String),
    #[error("host `{0}` contains characters a host name cannot have")]
    BadHost(String),
}

/// Parses an address value (surrounding spaces tolerated).
pub fn parse_address(value: &str) -> Result<Address, AddressError> {
    let s = value.trim();
    if s.is_empty() {
        return Err(AddressError::Empty);
    }
    if s.contains("://") {
        return Err(AddressError::Url(crate::parse::preview(s)));
    }
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(|| AddressError::BadHost(crate::parse::preview(s)))?;
        match after {
            "" => (h, None),
            p => (h, Some(p.strip_prefix(':').ok_or_else(|| AddressError::BadHost(crate::parse::preview(s)))?)),
        }
    } else if s.matches(':').count() > 1 {
        (s, None)
    } else if let Some((h, p)) = s.split_once(':') {
        (h, Some(p))
    } else {
        (s, None)
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(AddressError::BadPort(crate::parse::preview(p))),
        },
    };
    let is_ip = host.parse::<IpAddr>().is_ok();
    let valid_name = !host.is_empty()
        && host.chars().count() <= 253
        && host.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.' || c == '_');
    if !is_ip && !valid_name {
        return Err(AddressError::BadHost(crate::parse::preview(host)));
    }
    Ok(Address { host: host.to_owned(), port })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> (String, Option<u16>) {
        parse_address(s).map(|a| (a.host, a.port)).unwrap_or_default()
    }

    #[test]
    fn forms() {
        assert_eq!(ok("rds1.corp.example"), ("rds1.corp.example".into(), None));
        assert_eq!(ok(" rds1:3390 "), ("rds1".into(), Some(3390)));
        assert_eq!(ok("10.0.0.5:3389"), ("10.0.0.5".into(), Some(3389)));
        assert_eq!(ok("[2001:db8::5]:3390"), ("2001:db8::5".into(), Some(3390)));
        assert_eq!(ok("2001:db8::5"), ("2001:db8::5".into(), None));
        assert_eq!(ok("bücher.example"), ("bücher.example".into(), None));
    }

    #[test]
    fn errors() {
        assert_eq!(parse_address("  "), Err(AddressError::Empty));
        assert!(matches!(parse_address("https://gw.example/"), Err(AddressError::Url(_))));
        assert_eq!(parse_address("h:0"), Err(AddressError::BadPort("0".into())));
        assert_eq!(parse_address("h:65536"), Err(AddressError::BadPort("65536".into())));
        assert_eq!(parse_address("h:+80"), Err(AddressError::BadPort("+80".into())));
        assert_eq!(parse_address("h:"), Err(AddressError::BadPort(String::new())));
        assert!(matches!(parse_address("my host"), Err(AddressError::BadHost(_))));
        assert!(matches!(parse_address("[::1"), Err(AddressError::BadHost(_))));
    }

    #[test]
    fn display_is_canonical() {
        for s in ["h", "h:3390", "[::1]:3390", "[::1]"] {
            assert_eq!(parse_address(s).map(|a| a.to_string()).unwrap_or_default(), s);
        }
    }
}
