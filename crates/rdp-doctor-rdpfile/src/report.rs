//! The report of `rdpfile lint`: the file, its settings (secrets redacted) and the findings, with the
//! same verdict and exit-code rules as `check`.
//!
//! JSON contract (`schema_version` 1, fields only ever added): `schema_version`, `tool`, `kind`
//! (`rdpfile_lint`), `file` (`path`, `encoding`, `line_ending`, `bytes`, `lines`, `settings`), `verdict`
//! (the most severe warn/fail finding's ID, or `ok`), `max_severity`, `findings[]` (as in `check`), and
//! `settings[]` (`line`, `name`, `type`, `value`, `known`, `effective`).

use rdp_doctor_core::report::{SCHEMA_VERSION, SourceFile, ToolInfo};
use rdp_doctor_core::{Finding, Severity};
use serde::Serialize;

use crate::parse::{self, TypeTag};
use crate::{RdpFile, lint, settings};

/// One setting line as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingView {
    pub line: usize,
    pub name: String,
    #[serde(rename = "type")]
    pub tag: TypeTag,
    /// Redacted for passwords and tokens, shortened when long.
    pub value: String,
    /// In the settings table.
    pub known: bool,
    /// The line a client uses when the name appears more than once.
    pub effective: bool,
}

/// The lint of one file.
#[derive(Debug, Clone, Serialize)]
pub struct LintReport {
    pub schema_version: u32,
    pub tool: ToolInfo,
    pub kind: &'static str,
    pub file: SourceFile,
    pub verdict: String,
    pub max_severity: Option<Severity>,
    pub findings: Vec<Finding>,
    pub settings: Vec<SettingView>,
}

impl LintReport {
    /// Lints `file`, read from `path`.
    pub fn new(path: &str, file: &RdpFile) -> Self {
        let findings = lint(file);
        let max_severity = findings.iter().map(|f| f.severity).max();
        let verdict =
            findings.iter().find(|f| f.severity >= Severity::Warn).map_or_else(|| "ok".to_owned(), |f| f.id.to_owned());
        let effective = file.effective_lines();
        let settings = file
            .settings()
            .map(|(line, s)| SettingView {
                line,
                name: parse::preview(&s.name),
                tag: s.tag,
                value: s.shown_value(),
                known: settings::lookup(&s.key).is_some(),
                effective: effective.get(s.key.as_str()) == Some(&line),
            })
            .collect();
        Self {
            schema_version: SCHEMA_VERSION,
            tool: ToolInfo { name: "rdp-doctor", version: env!("CARGO_PKG_VERSION") },
            kind: "rdpfile_lint",
            file: file.source_file(path),
            verdict,
            max_severity,
            findings,
            settings,
        }
    }

    /// 0 when no finding is at or above `fail_on` (`None`: never fail), 1 otherwise; as `check`.
    pub fn exit_code(&self, fail_on: Option<Severity>) -> i32 {
        match (fail_on, self.max_severity) {
            (Some(threshold), Some(max)) if max >= threshold => 1,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_redacts_and_judges() {
        let file = RdpFile::parse(b"full address:s:h\nfull address:s:h2\npassword 51:b:0100CAFE\n");
        let r = LintReport::new("x.rdp", &file);
        assert_eq!(r.verdict, "rdpfile.duplicate_setting");
        assert_eq!(r.exit_code(Some(Severity::Warn)), 1);
        assert_eq!(r.exit_code(Some(Severity::Fail)), 0);
        assert_eq!(r.exit_code(None), 0);
        let json = serde_json::to_value(&r).unwrap_or_default();
        assert_eq!(json["kind"], "rdpfile_lint");
        assert_eq!(json["file"]["encoding"], "utf-8");
        assert_eq!(json["file"]["settings"], 3);
        assert_eq!(json["settings"][0]["effective"], false);
        assert_eq!(json["settings"][1]["effective"], true);
        assert_eq!(json["settings"][2]["type"], "b");
        assert!(!json.to_string().contains("CAFE"));
        let ok = LintReport::new("y.rdp", &RdpFile::parse(b"full address:s:h\r\n"));
        assert_eq!((ok.verdict.as_str(), ok.exit_code(Some(Severity::Info))), ("ok", 0));
    }
}
