//! Threshold ranges of the Monitoring Plugins development guidelines ("Threshold and ranges"):
//! `[@][start:][end]`.
//!
//! | range | alert when the value is |
//! |---|---|
//! | `10` | < 0 or > 10 |
//! | `10:` | < 10 |
//! | `~:10` | > 10 (`~` is minus infinity) |
//! | `10:20` | < 10 or > 20 |
//! | `@10:20` | ≥ 10 and ≤ 20 |
//!
//! The text is kept as given, for the performance data's warn and crit fields.

use std::fmt;

/// A parsed threshold range.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    start: f64,
    end: f64,
    /// `@`: alert inside the range instead of outside it.
    inside: bool,
    text: String,
}

/// Why a range does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid threshold range {0:?}: expected [@][start:][end], e.g. 10, 10:, ~:10, 10:20, @10:20")]
pub struct RangeError(pub String);

impl Range {
    /// Parses `[@][start:][end]`.
    pub fn parse(s: &str) -> Result<Self, RangeError> {
        let err = || RangeError(s.to_owned());
        let text = s.trim();
        let (inside, body) = match text.strip_prefix('@') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if body.is_empty() {
            return Err(err());
        }
        let num = |t: &str| t.parse::<f64>().ok().filter(|v| v.is_finite());
        let (start, end) = match body.split_once(':') {
            Some((a, b)) => {
                let start = match a {
                    "~" => f64::NEG_INFINITY,
                    "" => 0.0,
                    a => num(a).ok_or_else(err)?,
                };
                let end = if b.is_empty() { f64::INFINITY } else { num(b).ok_or_else(err)? };
                (start, end)
            }
            None => (0.0, num(body).ok_or_else(err)?),
        };
        if start > end {
            return Err(err());
        }
        Ok(Self { start, end, inside, text: text.to_owned() })
    }

    /// A range `start:` (alert below `start`), as `--cert-days` thresholds are.
    pub fn at_least(start: f64) -> Self {
        Self { start, end: f64::INFINITY, inside: false, text: format!("{start}:") }
    }

    /// Whether `value` raises an alert.
    pub fn alerts(&self, value: f64) -> bool {
        let within = self.start <= value && value <= self.end;
        if self.inside { within } else { !within }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn alerts(range: &str, v: f64) -> bool {
        Range::parse(range).unwrap().alerts(v)
    }

    #[test]
    fn the_guidelines_table() {
        assert!(alerts("10", -1.0) && alerts("10", 11.0) && !alerts("10", 0.0) && !alerts("10", 10.0));
        assert!(alerts("10:", 9.9) && !alerts("10:", 10.0) && !alerts("10:", 1e9));
        assert!(alerts("~:10", 10.1) && !alerts("~:10", -1e9) && !alerts("~:10", 10.0));
        assert!(alerts("10:20", 9.0) && alerts("10:20", 21.0) && !alerts("10:20", 15.0));
        assert!(alerts("@10:20", 10.0) && alerts("@10:20", 20.0) && !alerts("@10:20", 9.0) && !alerts("@10:20", 21.0));
        assert!(alerts("0.5", 0.6) && !alerts("0.5", 0.4));
        assert!(alerts("-5:-1", 0.0) && !alerts("-5:-1", -3.0));
    }

    #[test]
    fn malformed_ranges_are_refused() {
        for bad in ["", "@", "abc", "20:10", "1:2:3", "~", "x:5", "5:y", "inf", "NaN"] {
            assert!(Range::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Range::parse(" @1:3 ").unwrap().to_string(), "@1:3");
        assert!(Range::at_least(14.0).alerts(13.0));
        assert_eq!(Range::at_least(14.0).to_string(), "14:");
    }

    proptest! {
        #[test]
        fn parsing_never_panics(s in ".{0,20}", v in proptest::num::f64::ANY) {
            if let Ok(r) = Range::parse(&s) {
                let _ = r.alerts(v);
            }
        }
    }
}
