//! `rdp-doctor diff OLD.jsonl NEW.jsonl`: what changed between two scans, host by host. Hosts are matched
//! by their `scan.key` (lower-case `host:port`, plus the gateway); findings by their stable ID. For each
//! host present in both: findings new, resolved, unchanged, and changed in severity; then the hosts that
//! appeared and those gone. Reads only `scan.key`, `target.input`, `verdict`, `max_severity` and
//! `findings[].id/severity/title` of each line, so runs of different releases of schema 1 compare.

use std::collections::BTreeMap;
use std::io::BufRead;

use serde::{Deserialize, Serialize};

/// One host of one run, as far as the diff needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostRecord {
    pub key: String,
    pub verdict: String,
    pub max_severity: Option<String>,
    /// Finding ID → (severity, title).
    pub findings: BTreeMap<String, (String, String)>,
}

/// A finding of a host in the diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRef {
    pub id: String,
    pub severity: String,
    pub title: String,
}

/// A finding whose severity changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeverityChange {
    pub id: String,
    pub old: String,
    pub new: String,
    pub title: String,
}

/// A host present in both runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostDiff {
    pub key: String,
    pub old_verdict: String,
    pub new_verdict: String,
    pub new: Vec<FindingRef>,
    pub resolved: Vec<FindingRef>,
    pub changed: Vec<SeverityChange>,
    pub unchanged: Vec<String>,
}

impl HostDiff {
    pub fn differs(&self) -> bool {
        !self.new.is_empty()
            || !self.resolved.is_empty()
            || !self.changed.is_empty()
            || self.old_verdict != self.new_verdict
    }
}

/// A host in one run only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostOnly {
    pub key: String,
    pub verdict: String,
    pub max_severity: Option<String>,
}

/// Two runs compared.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunDiff {
    pub old_hosts: usize,
    pub new_hosts: usize,
    /// Hosts in both runs whose findings or verdict differ, by key.
    pub changed: Vec<HostDiff>,
    /// Hosts in both runs with the same findings, severities and verdict.
    pub unchanged_hosts: usize,
    pub appeared: Vec<HostOnly>,
    pub gone: Vec<HostOnly>,
    pub totals: Totals,
}

/// Finding counts over all hosts in both runs.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Totals {
    pub new: usize,
    pub resolved: usize,
    pub changed: usize,
    pub unchanged: usize,
}

impl RunDiff {
    pub fn same(&self) -> bool {
        self.changed.is_empty() && self.appeared.is_empty() && self.gone.is_empty()
    }
}

/// A line that is not a report.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("line {line}: not a report ({reason})")]
    Line { line: usize, reason: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// What reading a run found besides its hosts.
#[derive(Debug, Default)]
pub struct ReadNotes {
    /// The last line had no newline and did not parse: a scan stopped while writing it.
    pub cut_off_last_line: bool,
    /// Hosts named twice (a resumed run repeats none; a concatenation might): the last line wins.
    pub repeated: usize,
}

#[derive(Deserialize)]
struct Line {
    target: Option<LineTarget>,
    scan: Option<LineScan>,
    verdict: String,
    max_severity: Option<String>,
    #[serde(default)]
    findings: Vec<LineFinding>,
}
#[derive(Deserialize)]
struct LineTarget {
    input: String,
}
#[derive(Deserialize)]
struct LineScan {
    key: String,
}
#[derive(Deserialize)]
struct LineFinding {
    id: String,
    severity: String,
    #[serde(default)]
    title: String,
}

/// Reads one run's JSONL. Blank lines are skipped; a line that is not a report is an error, except a
/// cut-off last line (no newline), which is noted.
pub fn read_run(reader: impl BufRead) -> Result<(BTreeMap<String, HostRecord>, ReadNotes), ReadError> {
    let mut hosts = BTreeMap::new();
    let mut notes = ReadNotes::default();
    let mut reader = reader;
    let mut buf = Vec::new();
    let mut n = 0;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        n += 1;
        let complete = buf.last() == Some(&b'\n');
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line: Line = match serde_json::from_slice(&buf) {
            Ok(l) => l,
            Err(_) if !complete => {
                notes.cut_off_last_line = true;
                break;
            }
            Err(e) => return Err(ReadError::Line { line: n, reason: e.to_string() }),
        };
        let key = match (line.scan, line.target) {
            (Some(s), _) => s.key,
            (None, Some(t)) => t.input.to_ascii_lowercase(),
            (None, None) => return Err(ReadError::Line { line: n, reason: "no scan.key or target".to_owned() }),
        };
        let findings = line.findings.into_iter().map(|f| (f.id, (f.severity, f.title))).collect();
        let rec = HostRecord { key: key.clone(), verdict: line.verdict, max_severity: line.max_severity, findings };
        if hosts.insert(key, rec).is_some() {
            notes.repeated += 1;
        }
    }
    Ok((hosts, notes))
}

/// Compares two runs.
pub fn diff(old: &BTreeMap<String, HostRecord>, new: &BTreeMap<String, HostRecord>) -> RunDiff {
    let mut d = RunDiff { old_hosts: old.len(), new_hosts: new.len(), ..RunDiff::default() };
    let only = |r: &HostRecord| HostOnly {
        key: r.key.clone(),
        verdict: r.verdict.clone(),
        max_severity: r.max_severity.clone(),
    };
    for (key, o) in old {
        let Some(n) = new.get(key) else {
            d.gone.push(only(o));
            continue;
        };
        let mut h = HostDiff {
            key: key.clone(),
            old_verdict: o.verdict.clone(),
            new_verdict: n.verdict.clone(),
            new: vec![],
            resolved: vec![],
            changed: vec![],
            unchanged: vec![],
        };
        for (id, (sev, title)) in &n.findings {
            match o.findings.get(id) {
                None => h.new.push(FindingRef { id: id.clone(), severity: sev.clone(), title: title.clone() }),
                Some((old_sev, _)) if old_sev != sev => h.changed.push(SeverityChange {
                    id: id.clone(),
                    old: old_sev.clone(),
                    new: sev.clone(),
                    title: title.clone(),
                }),
                Some(_) => h.unchanged.push(id.clone()),
            }
        }
        for (id, (sev, title)) in &o.findings {
            if !n.findings.contains_key(id) {
                h.resolved.push(FindingRef { id: id.clone(), severity: sev.clone(), title: title.clone() });
            }
        }
        d.totals.new += h.new.len();
        d.totals.resolved += h.resolved.len();
        d.totals.changed += h.changed.len();
        d.totals.unchanged += h.unchanged.len();
        if h.differs() {
            d.changed.push(h);
        } else {
            d.unchanged_hosts += 1;
        }
    }
    d.appeared = new.iter().filter(|(k, _)| !old.contains_key(*k)).map(|(_, r)| only(r)).collect();
    d
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn line(key: &str, verdict: &str, findings: &[(&str, &str)]) -> String {
        let f: Vec<String> = findings
            .iter()
            .map(|(id, s)| format!("{{\"id\":\"{id}\",\"severity\":\"{s}\",\"title\":\"t\"}}"))
            .collect();
        format!(
            "{{\"scan\":{{\"key\":\"{key}\"}},\"verdict\":\"{verdict}\",\"max_severity\":null,\"findings\":[{}]}}\n",
            f.join(",")
        )
    }

    #[test]
    fn per_host_and_per_finding() {
        let old = [
            line("a:3389", "cert.expired", &[("cert.expired", "fail"), ("nla.not_offered", "warn")]),
            line("b:3389", "ok", &[("nla.required", "info")]),
            line("gone:3389", "tcp.refused", &[("tcp.refused", "fail")]),
            line("same:3389", "ok", &[]),
        ]
        .concat();
        let new = [
            line("a:3389", "nla.not_offered", &[("nla.not_offered", "fail"), ("tls.no_tls13", "info")]),
            line("b:3389", "ok", &[("nla.required", "info")]),
            line("new:3389", "ok", &[]),
            line("same:3389", "ok", &[]),
        ]
        .concat();
        let (o, _) = read_run(old.as_bytes()).unwrap();
        let (n, _) = read_run(new.as_bytes()).unwrap();
        let d = diff(&o, &n);
        assert!(!d.same());
        assert_eq!(d.changed.len(), 1);
        let a = &d.changed[0];
        assert_eq!(a.key, "a:3389");
        assert_eq!(a.new.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), ["tls.no_tls13"]);
        assert_eq!(a.resolved.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), ["cert.expired"]);
        assert_eq!((a.changed[0].old.as_str(), a.changed[0].new.as_str()), ("warn", "fail"));
        assert_eq!(d.unchanged_hosts, 2);
        assert_eq!(d.appeared[0].key, "new:3389");
        assert_eq!(d.gone[0].key, "gone:3389");
        assert_eq!(d.totals, Totals { new: 1, resolved: 1, changed: 1, unchanged: 1 });
        assert!(diff(&o, &o).same());
    }

    #[test]
    fn a_cut_off_last_line_is_noted_and_garbage_is_an_error() {
        let text = format!("{}{{\"scan\":{{\"key\":\"b", line("a:1", "ok", &[]));
        let (hosts, notes) = read_run(text.as_bytes()).unwrap();
        assert_eq!(hosts.len(), 1);
        assert!(notes.cut_off_last_line);
        let err = read_run(format!("{}not json\n", line("a:1", "ok", &[])).as_bytes()).unwrap_err();
        assert!(err.to_string().starts_with("line 2:"), "{err}");
    }
}
