//! The linter: an [`RdpFile`] → findings with line numbers (IDs `rdpfile.*`, defined in
//! `rdp_doctor_core::catalogue::rdpfile`). One finding per ID; each occurrence is one evidence line.
//!
//! - [`format`](self::format): encoding, line endings, line syntax, names, types, values and duplicates,
//!   judged against the settings table.
//! - [`rules`](self::rules): the meaning of the file as a whole: address, gateway, CredSSP, server
//!   authentication, display, and risks (saved and clear-text passwords).

mod format;
mod rules;

use rdp_doctor_core::Finding;
use rdp_doctor_core::finding::FindingDef;

use crate::RdpFile;

/// Evidence lines kept per finding; the rest are counted.
const MAX_EVIDENCE: usize = 25;

/// One occurrence of a finding.
struct Item {
    line: Option<usize>,
    text: String,
}

/// Occurrences grouped by finding, in the order first seen.
#[derive(Default)]
pub(crate) struct Collector {
    groups: Vec<(&'static FindingDef, Vec<Item>)>,
}

impl Collector {
    pub(crate) fn add(&mut self, def: &'static FindingDef, line: Option<usize>, text: impl Into<String>) {
        let item = Item { line, text: text.into() };
        match self.groups.iter_mut().find(|(d, _)| d.id == def.id) {
            Some((_, items)) => items.push(item),
            None => self.groups.push((def, vec![item])),
        }
    }

    pub(crate) fn finish(self) -> Vec<Finding> {
        let mut out: Vec<Finding> = self
            .groups
            .into_iter()
            .map(|(def, items)| {
                let total = items.len();
                let mut evidence: Vec<String> = items
                    .iter()
                    .take(MAX_EVIDENCE)
                    .map(|i| match i.line {
                        Some(n) => format!("line {n}: {}", i.text),
                        None => i.text.clone(),
                    })
                    .collect();
                let first_line = items.iter().find_map(|i| i.line);
                let summary = match (total, first_line) {
                    (1, Some(n)) => format!("{} (line {n})", def.title),
                    (1, None) => def.title.to_owned(),
                    (_, Some(n)) => format!("{}: {total} occurrences, the first on line {n}", def.title),
                    (_, None) => format!("{}: {total} occurrences", def.title),
                };
                if total > MAX_EVIDENCE {
                    evidence.push(format!("… and {} more", total - MAX_EVIDENCE));
                }
                Finding::new(def, summary, evidence)
            })
            .collect();
        out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(b.id)));
        out
    }
}

/// Lints a parsed file. Findings come most severe first, then by ID.
pub fn lint(file: &RdpFile) -> Vec<Finding> {
    let mut c = Collector::default();
    format::check(file, &mut c);
    if file.settings().next().is_some() {
        rules::check(file, &mut c);
    }
    c.finish()
}

#[cfg(test)]
pub(crate) mod tests;
