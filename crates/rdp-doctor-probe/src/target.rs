//! Parsing what the user typed: `host`, `host:port`, `[v6]`, `[v6]:port`, bare IPv6.

use rdp_doctor_core::evidence::Target;
use std::net::IpAddr;

/// The default RDP port.
pub const DEFAULT_PORT: u16 = 3389;

/// Why a target string is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("empty target")]
    Empty,
    #[error("invalid port {0:?}: expected a number from 1 to 65535")]
    BadPort(String),
    #[error("invalid host {0:?}")]
    BadHost(String),
}

/// Parses `input` into a target, using `default_port` when none is given.
pub fn parse_target(input: &str, default_port: u16) -> Result<Target, TargetError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(TargetError::Empty);
    }
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(|| TargetError::BadHost(s.to_owned()))?;
        match after {
            "" => (h.to_owned(), None),
            p => (h.to_owned(), Some(p.strip_prefix(':').ok_or_else(|| TargetError::BadHost(s.to_owned()))?)),
        }
    } else if s.matches(':').count() > 1 {
        (s.to_owned(), None) // bare IPv6
    } else if let Some((h, p)) = s.split_once(':') {
        (h.to_owned(), Some(p))
    } else {
        (s.to_owned(), None)
    };
    let port = match port {
        None => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => return Err(TargetError::BadPort(p.to_owned())),
        },
    };
    let ip = host.parse::<IpAddr>().ok();
    let valid_name = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|l| !l.is_empty() || host.ends_with('.'))
        && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
    if ip.is_none() && !valid_name {
        return Err(TargetError::BadHost(host));
    }
    Ok(Target { input: s.to_owned(), host, port, ip })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<(String, u16, bool), TargetError> {
        parse_target(s, DEFAULT_PORT).map(|t| (t.host, t.port, t.ip.is_some()))
    }

    #[test]
    fn forms() {
        assert_eq!(p("rds1.corp.example"), Ok(("rds1.corp.example".into(), 3389, false)));
        assert_eq!(p("rds1:3390"), Ok(("rds1".into(), 3390, false)));
        assert_eq!(p("127.0.0.1:13389"), Ok(("127.0.0.1".into(), 13389, true)));
        assert_eq!(p("[::1]:3390"), Ok(("::1".into(), 3390, true)));
        assert_eq!(p("[::1]"), Ok(("::1".into(), 3389, true)));
        assert_eq!(p("fe80::1"), Ok(("fe80::1".into(), 3389, true)));
    }

    #[test]
    fn errors() {
        assert_eq!(p(""), Err(TargetError::Empty));
        assert_eq!(p("host:0"), Err(TargetError::BadPort("0".into())));
        assert_eq!(p("host:99999"), Err(TargetError::BadPort("99999".into())));
        assert_eq!(p("host:abc"), Err(TargetError::BadPort("abc".into())));
        assert!(matches!(p("bad host"), Err(TargetError::BadHost(_))));
        assert!(matches!(p("[::1"), Err(TargetError::BadHost(_))));
    }
}
