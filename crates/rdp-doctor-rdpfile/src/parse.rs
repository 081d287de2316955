//! Lines → settings. Every line of an .rdp file is `name:type:value`: the name up to the first colon, a
//! one-letter type (`s` text, `i` integer, `b` binary as hex digits), and the value after the second colon
//! (which may itself contain colons, as in `full address:s:host:3390`). Blank lines are allowed.
//!
//! Parsing never fails: lines that are not settings are kept as [`LineKind::Malformed`] with the reason,
//! so the linter can report them and the writer can reproduce the file byte for byte.

use std::collections::HashMap;
use std::fmt;

use rdp_doctor_core::report::SourceFile;
use serde::Serialize;

use crate::decode::{self, Anomaly, EncodeError, Encoding, Ending};
use crate::settings;

/// Lines longer than this are reported: no documented setting needs as much (rdpsign signatures and
/// gateway access tokens stay well below).
pub const MAX_LINE_CHARS: usize = 32 * 1024;

/// Longest value or line quoted in evidence.
const PREVIEW_CHARS: usize = 96;

/// The type letter of a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TypeTag {
    /// `s`: text.
    #[serde(rename = "s")]
    S,
    /// `i`: a decimal integer.
    #[serde(rename = "i")]
    I,
    /// `b`: binary, as hexadecimal digits.
    #[serde(rename = "b")]
    B,
}

impl TypeTag {
    pub fn letter(self) -> char {
        match self {
            Self::S => 's',
            Self::I => 'i',
            Self::B => 'b',
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::S => "text (s)",
            Self::I => "integer (i)",
            Self::B => "binary (b)",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "s" => Some(Self::S),
            "i" => Some(Self::I),
            "b" => Some(Self::B),
            _ => None,
        }
    }
}

/// One `name:type:value` line.
#[derive(Clone, PartialEq, Eq)]
pub struct Setting {
    /// The name as written.
    pub name: String,
    /// The name in lower case, as looked up in the settings table.
    pub key: String,
    pub tag: TypeTag,
    /// The value as written (may contain colons; never trimmed).
    pub value: String,
}

/// Whether a setting with this name and type holds a credential that must never be shown.
pub fn is_secret(key: &str, tag: TypeTag) -> bool {
    tag == TypeTag::B || key.contains("password") || key.contains("token")
}

impl Setting {
    /// A password blob, a clear-text password or an access token: never printed.
    pub fn is_secret(&self) -> bool {
        is_secret(&self.key, self.tag)
    }

    /// The value as it may be shown: redacted for secrets, shortened when long, controls escaped.
    pub fn shown_value(&self) -> String {
        if self.is_secret() {
            if self.value.is_empty() {
                return String::new();
            }
            return format!("<redacted, {} characters>", self.value.chars().count());
        }
        preview(&self.value)
    }

    /// `name:t:value` as it may be shown.
    pub fn shown(&self) -> String {
        format!("{}:{}:{}", preview(&self.name), self.tag.letter(), self.shown_value())
    }
}

impl fmt::Debug for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Setting")
            .field("name", &self.name)
            .field("tag", &self.tag)
            .field("value", &self.shown_value())
            .finish()
    }
}

/// Why a line is not a setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed {
    /// No colon at all.
    NoSeparator,
    /// `name:type` without a second colon.
    NoValue,
    /// Nothing before the first colon.
    EmptyName,
    /// Spaces or tabs before or after the name.
    PaddedName,
    /// The type is not `s`, `i` or `b` (as written, shortened).
    BadType(String),
}

impl Malformed {
    pub fn describe(&self) -> String {
        match self {
            Self::NoSeparator => "no `:` separating name, type and value".to_owned(),
            Self::NoValue => "only `name:type`: the second `:` and the value are missing".to_owned(),
            Self::EmptyName => "nothing before the first `:`".to_owned(),
            Self::PaddedName => "spaces around the name (FreeRDP 2.11 ignores such lines, observed)".to_owned(),
            Self::BadType(t) => format!("type `{}` is not s, i or b (type letters are lower case)", preview(t)),
        }
    }
}

/// What a line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    Blank,
    Setting(Setting),
    Malformed(Malformed),
}

/// One line of the file, as decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based.
    pub number: usize,
    /// The decoded text without its terminator (may hold a secret: print [`Line::preview`] instead).
    pub text: String,
    pub ending: Ending,
    pub kind: LineKind,
}

impl Line {
    /// The line as it may be shown: secrets redacted, shortened, control characters escaped.
    pub fn preview(&self) -> String {
        match &self.kind {
            LineKind::Setting(s) => s.shown(),
            _ => {
                let lower = self.text.to_lowercase();
                if lower.contains("password") || lower.contains("token") {
                    let name = self.text.split(':').next().unwrap_or_default();
                    format!("{}:<redacted>", preview(name))
                } else {
                    preview(&self.text)
                }
            }
        }
    }

    /// NUL and other control characters (tab allowed), and stray byte-order marks, in the line.
    pub fn control_characters(&self) -> usize {
        self.text.chars().filter(|&c| (c.is_control() && c != '\t') || c == '\u{FEFF}').count()
    }

    pub fn setting(&self) -> Option<&Setting> {
        match &self.kind {
            LineKind::Setting(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Debug for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Line")
            .field("number", &self.number)
            .field("text", &self.preview())
            .field("kind", &self.kind)
            .finish()
    }
}

/// Shortens text for evidence and escapes control characters.
pub fn preview(s: &str) -> String {
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n == PREVIEW_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() || c == '\u{FEFF}' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses one line's text.
pub fn parse_line(text: &str) -> LineKind {
    if text.trim().is_empty() {
        return LineKind::Blank;
    }
    let Some((name, rest)) = text.split_once(':') else { return LineKind::Malformed(Malformed::NoSeparator) };
    let Some((tag, value)) = rest.split_once(':') else { return LineKind::Malformed(Malformed::NoValue) };
    if name.trim().is_empty() {
        return LineKind::Malformed(Malformed::EmptyName);
    }
    if name.trim() != name {
        return LineKind::Malformed(Malformed::PaddedName);
    }
    let Some(tag) = TypeTag::parse(tag) else { return LineKind::Malformed(Malformed::BadType(tag.to_owned())) };
    LineKind::Setting(Setting { name: name.to_owned(), key: name.to_lowercase(), tag, value: value.to_owned() })
}

/// How the file's lines end, overall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineEndings {
    Crlf,
    Lf,
    Cr,
    Mixed,
    /// One line without a terminator, or no lines.
    None,
}

impl LineEndings {
    pub fn id(self) -> &'static str {
        match self {
            Self::Crlf => "crlf",
            Self::Lf => "lf",
            Self::Cr => "cr",
            Self::Mixed => "mixed",
            Self::None => "none",
        }
    }
}

/// A parsed .rdp file.
#[derive(Debug, Clone)]
pub struct RdpFile {
    pub encoding: Encoding,
    /// The size of the input.
    pub bytes: usize,
    pub lines: Vec<Line>,
    /// Encoding anomalies, by line.
    pub anomalies: Vec<Anomaly>,
}

impl RdpFile {
    /// Decodes and parses an .rdp file. Never fails and never panics, whatever the bytes.
    pub fn parse(bytes: &[u8]) -> Self {
        let decoded = decode::decode(bytes);
        let lines = decoded
            .lines
            .into_iter()
            .enumerate()
            .map(|(i, raw)| {
                let kind = parse_line(&raw.text);
                Line { number: i + 1, text: raw.text, ending: raw.ending, kind }
            })
            .collect();
        Self { encoding: decoded.encoding, bytes: bytes.len(), lines, anomalies: decoded.anomalies }
    }

    /// Every setting with its line number, in file order.
    pub fn settings(&self) -> impl Iterator<Item = (usize, &Setting)> {
        self.lines.iter().filter_map(|l| l.setting().map(|s| (l.number, s)))
    }

    /// The occurrence of `key` a client uses: the last line with that name (FreeRDP 2.11 uses the last,
    /// observed; mstsc's choice is not documented), preferring lines with the documented type.
    pub fn effective(&self, key: &str) -> Option<(usize, &Setting)> {
        let candidates: Vec<_> = self.settings().filter(|(_, s)| s.key == key).collect();
        pick_effective(key, &candidates)
    }

    /// For every name, the line a client uses (see [`RdpFile::effective`]), in one pass.
    pub fn effective_lines(&self) -> HashMap<&str, usize> {
        let mut groups: HashMap<&str, Vec<(usize, &Setting)>> = HashMap::new();
        for (n, s) in self.settings() {
            groups.entry(s.key.as_str()).or_default().push((n, s));
        }
        groups.into_iter().filter_map(|(k, occ)| pick_effective(k, &occ).map(|(n, _)| (k, n))).collect()
    }

    /// The effective value of an integer setting, when it parses.
    pub fn int(&self, key: &str) -> Option<i64> {
        self.effective(key).filter(|(_, s)| s.tag == TypeTag::I).and_then(|(_, s)| parse_int(&s.value))
    }

    /// The effective value of a text setting, trimmed; `None` when absent or empty.
    pub fn text(&self, key: &str) -> Option<(usize, &str)> {
        self.effective(key)
            .filter(|(_, s)| s.tag == TypeTag::S)
            .map(|(n, s)| (n, s.value.trim()))
            .filter(|(_, v)| !v.is_empty())
    }

    /// How lines end, overall.
    pub fn line_endings(&self) -> LineEndings {
        let mut seen = self.lines.iter().map(|l| l.ending).filter(|e| *e != Ending::None);
        let Some(first) = seen.next() else { return LineEndings::None };
        if seen.any(|e| e != first) {
            return LineEndings::Mixed;
        }
        match first {
            Ending::CrLf => LineEndings::Crlf,
            Ending::Lf => LineEndings::Lf,
            Ending::Cr => LineEndings::Cr,
            Ending::None => LineEndings::None,
        }
    }

    /// The text of the file as decoded, with its original line endings.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for l in &self.lines {
            out.push_str(&l.text);
            out.push_str(l.ending.as_str());
        }
        out
    }

    /// The file written back in its own encoding, such that it reads back as this file: an error when the
    /// text cannot be written in it ([`EncodeError::Unrepresentable`]), when the bytes would be read in
    /// another encoding ([`EncodeError::NotRecognised`]: only an encoding without a BOM is ever guessed), or
    /// when a line would read back as other text ([`EncodeError::Ambiguous`]).
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let bytes = decode::encode(&self.to_text(), self.encoding)?;
        let back = decode::decode(&bytes);
        if back.encoding != self.encoding {
            return Err(EncodeError::NotRecognised { encoding: self.encoding.label(), read_as: back.encoding.label() });
        }
        let differs = |(l, b): &(&Line, &decode::RawLine)| l.text != b.text || l.ending != b.ending;
        if let Some((l, _)) = self.lines.iter().zip(&back.lines).find(differs) {
            return Err(EncodeError::Ambiguous { encoding: self.encoding.label(), line: l.number });
        }
        if back.lines.len() != self.lines.len() {
            let line = self.lines.len().min(back.lines.len()) + 1;
            return Err(EncodeError::Ambiguous { encoding: self.encoding.label(), line });
        }
        Ok(bytes)
    }

    /// The description of this file used in reports.
    pub fn source_file(&self, path: &str) -> SourceFile {
        SourceFile {
            path: path.to_owned(),
            encoding: self.encoding.id().to_owned(),
            line_ending: self.line_endings().id().to_owned(),
            bytes: self.bytes,
            lines: self.lines.len(),
            settings: self.settings().count(),
        }
    }
}

/// Of the lines naming `key` (in file order), the one a client uses: the last, preferring lines with the
/// documented type.
pub fn pick_effective<'a>(key: &str, occurrences: &[(usize, &'a Setting)]) -> Option<(usize, &'a Setting)> {
    match settings::lookup(key).map(|d| d.ty) {
        Some(tag) => occurrences.iter().rev().find(|(_, s)| s.tag == tag).or(occurrences.last()).copied(),
        None => occurrences.last().copied(),
    }
}

/// An `i` value: an optionally signed decimal integer (surrounding spaces tolerated).
pub fn parse_int(v: &str) -> Option<i64> {
    let t = v.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// A `b` value: an even number of hexadecimal digits.
pub fn is_hex(v: &str) -> bool {
    v.len().is_multiple_of(2) && v.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(text: &str) -> Setting {
        match parse_line(text) {
            LineKind::Setting(s) => s,
            other => unreachable!("{text:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn settings_and_values_with_colons() {
        let s = setting("full address:s:rds1.corp.example:3390");
        assert_eq!((s.key.as_str(), s.tag, s.value.as_str()), ("full address", TypeTag::S, "rds1.corp.example:3390"));
        let s = setting("Screen Mode ID:i:2");
        assert_eq!((s.name.as_str(), s.key.as_str()), ("Screen Mode ID", "screen mode id"));
        assert_eq!(setting("alternate shell:s:").value, "");
    }

    #[test]
    fn malformed_lines() {
        assert_eq!(parse_line(""), LineKind::Blank);
        assert_eq!(parse_line("  \t"), LineKind::Blank);
        assert_eq!(parse_line("# comment"), LineKind::Malformed(Malformed::NoSeparator));
        assert_eq!(parse_line("full address:s"), LineKind::Malformed(Malformed::NoValue));
        assert_eq!(parse_line(":s:x"), LineKind::Malformed(Malformed::EmptyName));
        assert_eq!(parse_line(" full address:s:h"), LineKind::Malformed(Malformed::PaddedName));
        assert_eq!(parse_line("full address :s:h"), LineKind::Malformed(Malformed::PaddedName));
        assert_eq!(parse_line("full address:S:h"), LineKind::Malformed(Malformed::BadType("S".into())));
        assert_eq!(parse_line("full address: s :h"), LineKind::Malformed(Malformed::BadType(" s ".into())));
    }

    #[test]
    fn secrets_are_never_shown() {
        let s = setting("password 51:b:01000000D08C9DDF0115D1118C7A00C04FC297EB");
        assert!(!format!("{s:?}").contains("D08C"));
        assert!(!s.shown().contains("D08C"));
        assert_eq!(s.shown(), "password 51:b:<redacted, 40 characters>");
        let s = setting("password:s:hunter2");
        assert!(!format!("{s:?}{}", s.shown()).contains("hunter2"));
        let line = Line {
            number: 1,
            text: "password 51:x:0100beef".into(),
            ending: Ending::None,
            kind: parse_line("password 51:x:0100beef"),
        };
        assert_eq!(line.preview(), "password 51:<redacted>");
        assert!(!format!("{line:?}").contains("beef"));
    }

    #[test]
    fn effective_prefers_last_line_of_documented_type() {
        let f = RdpFile::parse(b"full address:s:a\nfull address:s:b\nfull address:i:3\nscreen mode id:i:1\n");
        assert_eq!(f.effective("full address").map(|(n, s)| (n, s.value.as_str())), Some((2, "b")));
        assert_eq!(f.int("screen mode id"), Some(1));
        assert_eq!(f.text("full address"), Some((2, "b")));
    }

    #[test]
    fn integers_and_hex() {
        assert_eq!(parse_int("32"), Some(32));
        assert_eq!(parse_int(" -1 "), Some(-1));
        assert_eq!(parse_int("+1"), None);
        assert_eq!(parse_int("0x10"), None);
        assert_eq!(parse_int("99999999999999999999"), None);
        assert!(is_hex("01aF") && !is_hex("0") && !is_hex("zz"));
    }

    #[test]
    fn preview_escapes_and_shortens() {
        assert_eq!(preview("a\0b"), "a\\u{0}b");
        assert_eq!(preview(&"x".repeat(200)).chars().count(), PREVIEW_CHARS + 1);
    }
}
