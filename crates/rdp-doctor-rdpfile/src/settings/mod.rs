//! The typed table of .rdp settings: name, type, allowed values or range, default, meaning and source.
//! It is the single source for `lint` (unknown names, types, ranges), `clean` (what is valid to keep) and
//! `explain`.
//!
//! Sources, per entry ([`Source`]):
//! - Microsoft Learn, "Supported RDP properties" (<https://learn.microsoft.com/azure/virtual-desktop/rdp-properties>;
//!   the Remote Desktop Services client documentation links the same list from
//!   <https://learn.microsoft.com/windows-server/remote/remote-desktop-services/clients/rdp-files>).
//! - Settings mstsc writes when it saves a connection (Save As) that the current list omits.
//! - Names FreeRDP 2.11 reads (found in libfreerdp-client2.so.2.11.7, Debian 12), which also says
//!   whether FreeRDP honours a documented setting ([`SettingDef::freerdp`]).
//! - `signscope`/`signature`, written by rdpsign.exe (Microsoft Learn, "rdpsign").
//!
//! The Microsoft values and defaults were written from that documentation as the author knew it and were
//! not re-fetched when the table was made; re-check an entry against the live page before relying on a
//! fine point of it.

mod table;

use serde::Serialize;

use crate::parse::{self, TypeTag};

/// What values a setting accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Allowed {
    /// Any value of the type.
    Any,
    /// One of these integers, each with its meaning.
    Values { values: &'static [(i64, &'static str)] },
    /// An integer from `min` to `max` inclusive.
    Range { min: i64, max: i64 },
}

/// Where an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Microsoft Learn, "Supported RDP properties".
    MsRdpProperties,
    /// Written by mstsc.exe when it saves a connection; not in Microsoft's current list.
    MstscSaved,
    /// Read by FreeRDP 2.11; not in Microsoft's list.
    FreeRdp,
    /// Written by rdpsign.exe when it signs a file.
    Rdpsign,
}

impl Source {
    pub fn citation(self) -> &'static str {
        match self {
            Self::MsRdpProperties => {
                "Microsoft Learn, \"Supported RDP properties\" (learn.microsoft.com/azure/virtual-desktop/rdp-properties)"
            }
            Self::MstscSaved => {
                "written by mstsc.exe when it saves a connection; not in Microsoft's current property list"
            }
            Self::FreeRdp => "read by FreeRDP 2.11 (libfreerdp-client 2.11.7); not in Microsoft's property list",
            Self::Rdpsign => "written by rdpsign.exe when it signs the file (Microsoft Learn, \"rdpsign\")",
        }
    }
}

/// One documented setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SettingDef {
    /// The name as mstsc writes it (lower case).
    pub name: &'static str,
    #[serde(rename = "type")]
    pub ty: TypeTag,
    pub allowed: Allowed,
    /// The documented default, as it would be written after the type; `None` when not documented.
    pub default: Option<&'static str>,
    pub meaning: &'static str,
    pub source: Source,
    /// FreeRDP 2.11 reads this name.
    pub freerdp: bool,
}

/// How a value fares against its definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueCheck {
    Ok,
    /// The value does not parse as the type (the reason).
    Invalid(String),
    /// Parses, but is not an allowed value (the reason).
    OutOfRange(String),
}

impl SettingDef {
    /// Checks a value written with this definition's type.
    pub fn check(&self, value: &str) -> ValueCheck {
        match self.ty {
            TypeTag::S => ValueCheck::Ok,
            TypeTag::B if parse::is_hex(value) => ValueCheck::Ok,
            TypeTag::B => ValueCheck::Invalid("not an even number of hexadecimal digits".to_owned()),
            TypeTag::I => {
                let Some(v) = parse::parse_int(value) else {
                    return ValueCheck::Invalid(format!("`{}` is not a decimal integer", parse::preview(value)));
                };
                match self.allowed {
                    Allowed::Any => ValueCheck::Ok,
                    Allowed::Range { min, max } if (min..=max).contains(&v) => ValueCheck::Ok,
                    Allowed::Range { min, max } => ValueCheck::OutOfRange(format!("{v} is outside {min}-{max}")),
                    Allowed::Values { values } if values.iter().any(|(n, _)| *n == v) => ValueCheck::Ok,
                    Allowed::Values { values } => ValueCheck::OutOfRange(format!(
                        "{v} is not one of {}",
                        values.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>().join(", ")
                    )),
                }
            }
        }
    }

    /// The documented meaning of an integer value.
    pub fn value_meaning(&self, v: i64) -> Option<&'static str> {
        match self.allowed {
            Allowed::Values { values } => values.iter().find(|(n, _)| *n == v).map(|(_, m)| *m),
            _ => None,
        }
    }

    /// The allowed values, for people.
    pub fn allowed_text(&self) -> String {
        match (self.ty, self.allowed) {
            (_, Allowed::Values { values }) => {
                values.iter().map(|(n, m)| format!("{n} = {m}")).collect::<Vec<_>>().join("; ")
            }
            (_, Allowed::Range { min, max }) => format!("{min} to {max}"),
            (TypeTag::S, Allowed::Any) => "any text".to_owned(),
            (TypeTag::I, Allowed::Any) => "any integer".to_owned(),
            (TypeTag::B, Allowed::Any) => "hexadecimal digits".to_owned(),
        }
    }

    /// Everything about the setting, for `explain`.
    pub fn describe(&self) -> String {
        let default = self
            .default
            .map_or_else(|| "not documented".to_owned(), |d| format!("{}:{}:{d}", self.name, self.ty.letter()));
        format!(
            "{name}:{t}:<value>\n  type:     {ty}\n  allowed:  {allowed}\n  default:  {default}\n  meaning:  {meaning}\n  source:   {source}\n  FreeRDP:  {freerdp}\n",
            name = self.name,
            t = self.ty.letter(),
            ty = self.ty.label(),
            allowed = self.allowed_text(),
            meaning = self.meaning,
            source = self.source.citation(),
            freerdp = if self.freerdp { "reads it (2.11)" } else { "does not read it (2.11)" },
        )
    }
}

/// Every known setting, grouped as in Microsoft's list.
pub fn all() -> &'static [SettingDef] {
    table::TABLE
}

/// Looks a setting up by name, ignoring case and surrounding spaces.
pub fn lookup(name: &str) -> Option<&'static SettingDef> {
    let key = name.trim().to_lowercase();
    table::TABLE.iter().find(|d| d.name == key)
}

/// The known setting an unknown name is most likely a misspelling of: at most two edits away (one for
/// short names), and not itself known.
///
/// The linter asks this for every unknown line of a file anyone can craft, so it is bounded: names whose
/// length differs by more than the limit are skipped (the length difference is a lower bound on the edit
/// distance), and the distance stops as soon as every cell of a row exceeds the limit.
pub fn closest(name: &str) -> Option<&'static SettingDef> {
    let key: Vec<char> = name.trim().to_lowercase().chars().collect();
    let len = key.len();
    if !(4..=64).contains(&len) || lookup(&key.iter().collect::<String>()).is_some() {
        return None;
    }
    let limit = if len < 8 { 1 } else { 2 };
    let mut best: Option<(usize, &'static SettingDef)> = None;
    for d in table::TABLE {
        let other = d.name.chars().count();
        if other.abs_diff(len) > limit {
            continue;
        }
        if let Some(dist) = edit_distance_within(&key, d.name, limit)
            && best.is_none_or(|(b, _)| dist < b)
        {
            best = Some((dist, d));
        }
    }
    best.map(|(_, d)| d)
}

/// Levenshtein distance between two short strings when it is at most `limit`; `None` when it is larger
/// (found early: a row whose smallest cell exceeds the limit can only grow).
fn edit_distance_within(a: &[char], b: &str, limit: usize) -> Option<usize> {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = Vec::with_capacity(b.len() + 1);
    for (i, ca) in a.iter().enumerate() {
        cur.clear();
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(usize::MAX).saturating_add(usize::from(ca != cb));
            let del = prev.get(j + 1).copied().unwrap_or(usize::MAX).saturating_add(1);
            let ins = cur.get(j).copied().unwrap_or(usize::MAX).saturating_add(1);
            cur.push(sub.min(del).min(ins));
        }
        if cur.iter().min().is_some_and(|m| *m > limit) {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().filter(|d| *d <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lower_case_and_parse_as_names() {
        let mut names: Vec<_> = all().iter().map(|d| d.name).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n, "duplicate setting name");
        for d in all() {
            assert_eq!(d.name, d.name.to_lowercase());
            assert!(!d.name.contains(':') && d.name.trim() == d.name, "{}", d.name);
            assert!(!d.meaning.is_empty(), "{}", d.name);
        }
    }

    #[test]
    fn defaults_are_valid_values() {
        for d in all() {
            if let Some(v) = d.default {
                assert_eq!(d.check(v), ValueCheck::Ok, "{} default {v}", d.name);
            }
            if let Allowed::Values { .. } | Allowed::Range { .. } = d.allowed {
                assert_eq!(d.ty, TypeTag::I, "{}: only integers have value rules", d.name);
            }
        }
    }

    #[test]
    fn lookup_and_checks() {
        let d = lookup("Screen Mode ID").unwrap_or_else(|| unreachable!());
        assert_eq!(d.ty, TypeTag::I);
        assert_eq!(d.check("2"), ValueCheck::Ok);
        assert!(matches!(d.check("3"), ValueCheck::OutOfRange(_)));
        assert!(matches!(d.check("two"), ValueCheck::Invalid(_)));
        assert_eq!(d.value_meaning(1), Some("the session appears in a window"));
        let w = lookup("desktopwidth").unwrap_or_else(|| unreachable!());
        assert!(matches!(w.check("100"), ValueCheck::OutOfRange(_)));
        assert_eq!(w.check("1920"), ValueCheck::Ok);
        assert!(lookup("no such thing").is_none());
    }

    #[test]
    fn typos_find_their_setting() {
        assert_eq!(closest("full adress").map(|d| d.name), Some("full address"));
        assert_eq!(closest("gatewayhostnme").map(|d| d.name), Some("gatewayhostname"));
        assert_eq!(closest("fulladdress").map(|d| d.name), Some("full address"));
        assert_eq!(closest("full address"), None, "known names are not typos");
        assert_eq!(closest("completely unrelated"), None);
        let kitten: Vec<char> = "kitten".chars().collect();
        assert_eq!(edit_distance_within(&kitten, "sitting", 3), Some(3));
        assert_eq!(edit_distance_within(&kitten, "sitting", 2), None);
        assert_eq!(edit_distance_within(&kitten, "kitten", 0), Some(0));
    }

    /// The bounded search (length filter, early exit) finds what the full distance against every known
    /// name finds. It replaced that full search, which cost ~5 ms per fuzz input of a few KB.
    #[test]
    fn typo_search_matches_an_unbounded_search() {
        fn full(a: &str, b: &str) -> usize {
            let b: Vec<char> = b.chars().collect();
            let mut prev: Vec<usize> = (0..=b.len()).collect();
            for (i, ca) in a.chars().enumerate() {
                let mut cur = vec![i + 1];
                for (j, cb) in b.iter().enumerate() {
                    let v = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
                    cur.push(v);
                }
                prev = cur;
            }
            prev[b.len()]
        }
        let names = [
            "full adress",
            "gatewayhostnme",
            "audiomod",
            "screen mode idd",
            "prompt for credentialz",
            "kdcproxyname",
            "xyzw",
            "alternate shel",
            "use multimon",
            "remoteapplicationnam",
        ];
        for n in names {
            let key = n.to_lowercase();
            let len = key.chars().count();
            let limit = if len < 8 { 1 } else { 2 };
            let expected = if lookup(&key).is_some() || !(4..=64).contains(&len) {
                None
            } else {
                table::TABLE
                    .iter()
                    .map(|d| (full(&key, d.name), d))
                    .filter(|(dist, _)| *dist <= limit)
                    .min_by_key(|(dist, _)| *dist)
                    .map(|(_, d)| d.name)
            };
            assert_eq!(closest(n).map(|d| d.name), expected, "{n}");
        }
    }

    #[test]
    fn describe_names_the_source() {
        let text = lookup("gatewayusagemethod").map(SettingDef::describe).unwrap_or_default();
        assert!(text.contains("Supported RDP properties"), "{text}");
        assert!(text.contains("1 = always use an RD Gateway server"), "{text}");
    }
}
