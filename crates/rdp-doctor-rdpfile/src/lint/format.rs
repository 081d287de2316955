//! Encoding, line endings, line syntax, and each setting against the settings table; duplicates.

use std::collections::HashMap;

use rdp_doctor_core::catalogue::rdpfile as cat;

use super::Collector;
use crate::decode::{AnomalyKind, Encoding, Ending};
use crate::parse::{self, LineEndings, LineKind, MAX_LINE_CHARS, TypeTag};
use crate::settings::{self, ValueCheck};
use crate::{RdpFile, Setting};

pub(super) fn check(file: &RdpFile, c: &mut Collector) {
    encoding(file, c);
    // Looking for the nearest known name costs an edit distance per known setting: bounded, so a
    // megabyte of garbage lines stays fast.
    let mut typo_budget = 1000usize;
    for line in &file.lines {
        let n = Some(line.number);
        let controls = line.control_characters();
        if controls > 0 {
            c.add(
                &cat::RDPFILE_CONTROL_CHARACTERS,
                n,
                format!("{controls} control character(s) in `{}`", line.preview()),
            );
        }
        let len = line.text.chars().count();
        if len > MAX_LINE_CHARS {
            c.add(&cat::RDPFILE_LINE_TOO_LONG, n, format!("{len} characters, starting `{}`", line.preview()));
        }
        match &line.kind {
            LineKind::Blank => {}
            LineKind::Malformed(m) => {
                c.add(&cat::RDPFILE_MALFORMED_LINE, n, format!("`{}`: {}", line.preview(), m.describe()))
            }
            LineKind::Setting(s) => setting(s, line.number, &mut typo_budget, c),
        }
    }
    duplicates(file, c);
    if file.settings().next().is_none() {
        let malformed = file.lines.iter().filter(|l| matches!(l.kind, LineKind::Malformed(_))).count();
        c.add(
            &cat::RDPFILE_EMPTY,
            None,
            format!(
                "{} bytes, {} line(s), {malformed} malformed, no `name:type:value` setting",
                file.bytes,
                file.lines.len()
            ),
        );
    }
}

fn encoding(file: &RdpFile, c: &mut Collector) {
    for a in &file.anomalies {
        let def = match a.kind {
            AnomalyKind::TruncatedUtf16 => &cat::RDPFILE_TRUNCATED_UTF16,
            AnomalyKind::InvalidSequence => &cat::RDPFILE_INVALID_ENCODING,
            AnomalyKind::MixedEncoding => &cat::RDPFILE_MIXED_ENCODING,
        };
        c.add(def, Some(a.line), a.detail.clone());
    }
    match file.encoding {
        Encoding::Utf16Le => c.add(
            &cat::RDPFILE_UTF16_WITHOUT_BOM,
            None,
            "UTF-16LE text (NUL after each ASCII byte) without the BOM FF FE",
        ),
        Encoding::Utf16BeBom => c.add(&cat::RDPFILE_UTF16_BIG_ENDIAN, None, "the file starts with FE FF (UTF-16BE)"),
        Encoding::Utf8Bom => {
            if let Some(first) = file.lines.first().filter(|l| l.kind != LineKind::Blank) {
                c.add(
                    &cat::RDPFILE_UTF8_BOM,
                    Some(first.number),
                    format!("EF BB BF precedes `{}`, which FreeRDP 2.11 then does not recognise", first.preview()),
                );
            }
        }
        Encoding::Utf8 | Encoding::Windows1252 => {
            for line in file.lines.iter().filter(|l| !l.text.is_ascii()) {
                c.add(
                    &cat::RDPFILE_AMBIGUOUS_ENCODING,
                    Some(line.number),
                    format!("`{}` read as {}", line.preview(), file.encoding.label()),
                );
            }
        }
        Encoding::Utf16LeBom => {}
    }
    if file.line_endings() == LineEndings::Mixed {
        let count = |e: Ending| file.lines.iter().filter(|l| l.ending == e).count();
        c.add(
            &cat::RDPFILE_MIXED_LINE_ENDINGS,
            None,
            format!(
                "CRLF on {} line(s), LF on {}, bare CR on {}",
                count(Ending::CrLf),
                count(Ending::Lf),
                count(Ending::Cr)
            ),
        );
    }
}

fn setting(s: &Setting, line: usize, typo_budget: &mut usize, c: &mut Collector) {
    let n = Some(line);
    let name = parse::preview(&s.name);
    let Some(def) = settings::lookup(&s.key) else {
        let typo = if *typo_budget > 0 {
            *typo_budget -= 1;
            settings::closest(&s.key)
        } else {
            None
        };
        match typo {
            Some(d) => c.add(
                &cat::RDPFILE_POSSIBLE_TYPO,
                n,
                format!("`{name}` is not a known setting; did you mean `{}`?", d.name),
            ),
            None => c.add(&cat::RDPFILE_UNKNOWN_SETTING, n, format!("`{name}` is not a documented setting")),
        }
        return;
    };
    if s.name != s.key {
        c.add(&cat::RDPFILE_NONSTANDARD_NAME, n, format!("`{name}` (mstsc writes `{}`)", def.name));
    }
    if s.tag != def.ty {
        c.add(
            &cat::RDPFILE_WRONG_TYPE,
            n,
            format!("`{}`: `{}` is {}, not {}", s.shown(), def.name, def.ty.label(), s.tag.label()),
        );
        return;
    }
    match def.check(&s.value) {
        ValueCheck::Ok => {}
        ValueCheck::Invalid(_) if s.is_secret() => {
            c.add(&cat::RDPFILE_INVALID_VALUE, n, format!("`{}`: the value is not valid {}", s.shown(), s.tag.label()));
        }
        ValueCheck::Invalid(why) => c.add(&cat::RDPFILE_INVALID_VALUE, n, format!("`{}`: {why}", s.shown())),
        ValueCheck::OutOfRange(why) => c.add(
            &cat::RDPFILE_VALUE_OUT_OF_RANGE,
            n,
            format!("`{}`: {why} (allowed: {})", s.shown(), def.allowed_text()),
        ),
    }
    if def.ty == TypeTag::S
        && def.name == "gatewayhostname"
        && !s.value.trim().is_empty()
        && let Err(e) = crate::address::parse_address(&s.value)
    {
        c.add(&cat::RDPFILE_INVALID_VALUE, n, format!("`{}`: not host[:port]: {e}", s.shown()));
    }
}

fn duplicates(file: &RdpFile, c: &mut Collector) {
    // Linear in the number of lines: one pass groups occurrences by name, in first-seen order.
    let mut order: Vec<&str> = Vec::new();
    let mut groups: HashMap<&str, Vec<(usize, &Setting)>> = HashMap::new();
    for (n, s) in file.settings() {
        let entry = groups.entry(&s.key).or_default();
        if entry.is_empty() {
            order.push(&s.key);
        }
        entry.push((n, s));
    }
    for key in order {
        let Some(occ) = groups.get(key) else { continue };
        let [(first_line, first), _, ..] = occ.as_slice() else { continue };
        let name = parse::preview(&first.name);
        let lines = occ.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>().join(", ");
        if occ.iter().all(|(_, s)| s.tag == first.tag && s.value == first.value) {
            c.add(
                &cat::RDPFILE_DUPLICATE_IDENTICAL,
                Some(*first_line),
                format!("`{name}` on lines {lines}, same value"),
            );
            continue;
        }
        let values = occ.iter().map(|(n, s)| format!("{n}: `{}`", s.shown())).collect::<Vec<_>>().join(", ");
        let last = occ.last().map(|(n, _)| *n);
        let used = match parse::pick_effective(key, occ) {
            Some((n, _)) if Some(n) == last => {
                format!("; FreeRDP 2.11 uses line {n}, the last (observed); mstsc's choice is not documented")
            }
            Some((n, s)) => format!(
                "; line {n} is the last with the documented type, {}, so it is the one that counts; mstsc's choice is not documented",
                s.tag.label()
            ),
            None => String::new(),
        };
        c.add(&cat::RDPFILE_DUPLICATE_SETTING, Some(*first_line), format!("`{name}` on lines {values}{used}"));
    }
}
