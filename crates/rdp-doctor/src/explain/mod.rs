//! `rdp-doctor explain`: what a code, a pair of dialog codes, a finding or a remedy means and what to do.
//!
//! The knowledge comes from the tables (`rdp_doctor_codes` for codes, `rdp_doctor_core::catalogue` and
//! `remedies` for findings and remedies); this module resolves the query into a [`Subject`] and the
//! renderers (`text`, `json`, `markdown`) turn it into a string. Printing happens only in [`run`].

mod host_md;
pub mod json;
pub mod markdown;
pub mod text;

use anyhow::bail;
use rdp_doctor_codes::pair::{self, PairReading};
use rdp_doctor_codes::{Code, Family, Kind, Match};
use rdp_doctor_core::finding::FindingDef;
use rdp_doctor_core::{Remedy, catalogue, remedies};
use rdp_doctor_rdpfile::settings::{self, SettingDef};

use crate::cli::ExplainArgs;

/// What a query resolved to.
#[derive(Debug)]
pub enum Subject {
    /// `--list`.
    List,
    /// A family name: its whole table.
    Family(&'static Family),
    /// One number, read in every family it belongs to (most likely first).
    Number {
        value: u32,
        matches: Vec<Match>,
        hex_reading: Option<(u32, Vec<Match>)>,
    },
    /// The two numbers of the Windows dialog.
    Pair(PairReading),
    /// Code names (the same name can exist in two families).
    Names(Vec<(&'static Family, &'static Code)>),
    Finding(&'static FindingDef),
    Remedy(&'static Remedy),
    /// An .rdp file setting (`gatewayusagemethod`, `full address`), from the rdpfile settings table.
    Setting(&'static SettingDef),
    /// Nothing known by that name.
    Unknown(String),
}

impl Subject {
    /// Whether the query was explained (exit 0) or not (exit 1).
    pub fn found(&self) -> bool {
        match self {
            Self::Number { matches, .. } => !matches.is_empty(),
            Self::Unknown(_) => false,
            _ => true,
        }
    }
}

/// Splits what the user typed into tokens: `0x904 0x7`, `"0x904, 0x7"`, `0x904/0x7`.
fn tokens(query: &[String]) -> Vec<String> {
    query
        .iter()
        .flat_map(|q| q.split(|c: char| c.is_whitespace() || c == ',' || c == '/'))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Resolves a query. `Err` only for queries that cannot be answered as asked (exit 2).
pub fn resolve(query: &[String], kind: Option<Kind>) -> anyhow::Result<Subject> {
    // .rdp setting names may hold spaces (`explain full address`, `explain "screen mode id"`).
    if let Some(d) = settings::lookup(&query.join(" ")) {
        return Ok(Subject::Setting(d));
    }
    let toks = tokens(query);
    let numbers: Vec<Option<u32>> = toks.iter().map(|t| rdp_doctor_codes::parse_number(t).ok()).collect();
    // A word that is a name wins over any number next to it ("ERRCONNECT_… [0x0002000D]" as FreeRDP logs it).
    if let Some(word) = toks.iter().zip(&numbers).find(|(_, n)| n.is_none()).map(|(t, _)| t.as_str()) {
        return Ok(resolve_word(word));
    }
    match numbers.as_slice() {
        [Some(v)] => Ok(number(*v, kind, toks.first().map(String::as_str).unwrap_or_default())),
        [Some(code), Some(ext)] => {
            if kind.is_some() {
                bail!(
                    "--kind applies to one number; two numbers are read as the dialog's error code and extended error code"
                )
            }
            Ok(Subject::Pair(pair::read_pair(*code, *ext)))
        }
        [] => bail!("nothing to explain: give a code, two codes, a finding ID or --list"),
        _ => bail!("give one number, or the two numbers of the dialog (error code, extended error code)"),
    }
}

fn number(value: u32, kind: Option<Kind>, typed: &str) -> Subject {
    let matches = rdp_doctor_codes::explain_number(value, kind);
    // "80090302" typed without 0x is read as decimal; when that finds nothing, say what the hex reading is.
    let hex_reading = if matches.is_empty() && !typed.is_empty() && typed.chars().all(|c| c.is_ascii_digit()) {
        u32::from_str_radix(typed, 16)
            .ok()
            .map(|h| (h, rdp_doctor_codes::explain_number(h, kind)))
            .filter(|(_, m)| !m.is_empty())
    } else {
        None
    };
    Subject::Number { value, matches, hex_reading }
}

fn resolve_word(word: &str) -> Subject {
    if let Some(d) = catalogue::by_id(word) {
        return Subject::Finding(d);
    }
    if let Some(r) = remedies::by_id(word) {
        return Subject::Remedy(r);
    }
    if let Some(f) = rdp_doctor_codes::family_by_id(word) {
        return Subject::Family(f);
    }
    let names = rdp_doctor_codes::by_name(word);
    if names.is_empty() { Subject::Unknown(word.to_owned()) } else { Subject::Names(names) }
}

/// The answer to `explain` as text to print and the exit code.
pub fn answer(args: &ExplainArgs) -> anyhow::Result<(String, u8)> {
    if let Some(doc) = &args.markdown {
        return Ok((markdown::render(doc)?, 0));
    }
    let subject = if args.list { Subject::List } else { resolve(&args.query, args.kind)? };
    let out = if args.json { json::render(&args.query, &subject) } else { text::render(&subject) };
    Ok((out, if subject.found() { 0 } else { 1 }))
}

/// Prints the answer: the only place `explain` writes to stdout. A closed pipe (`| head`) is not an
/// error worth a panic: the rest of the output is dropped.
pub fn run(args: &ExplainArgs) -> anyhow::Result<u8> {
    use std::io::Write as _;
    let (out, code) = answer(args)?;
    let _ = if args.markdown.is_some() {
        write!(std::io::stdout().lock(), "{out}")
    } else if args.json {
        writeln!(std::io::stdout().lock(), "{out}")
    } else {
        crate::term::print(&out);
        Ok(())
    };
    Ok(code)
}

/// The remedies of some advice and findings, in order, without duplicates.
pub fn remedies_of(advice: Option<&rdp_doctor_codes::Advice>, findings: &[&str]) -> Vec<&'static Remedy> {
    let ids = advice
        .into_iter()
        .flat_map(|a| a.remedies.iter().copied())
        .chain(findings.iter().filter_map(|f| catalogue::by_id(f)).flat_map(|d| d.remedies.iter().copied()));
    let mut out: Vec<&'static Remedy> = Vec::new();
    for r in ids.filter_map(remedies::by_id) {
        if !out.iter().any(|o| o.id == r.id) {
            out.push(r);
        }
    }
    out
}

/// Where the advice for a match comes from: the code's own, its group's, or, for an extended code, the
/// server's ERRINFO code with the same value.
pub fn advice_of(m: &Match) -> Option<&'static rdp_doctor_codes::Advice> {
    use rdp_doctor_codes::Reading;
    match &m.reading {
        Reading::Code { code, .. } => code.advice.or_else(|| {
            (m.family.kind == Kind::Extended)
                .then(|| rdp_doctor_codes::extended::errinfo_counterpart(code.value).and_then(|c| c.advice))
                .flatten()
        }),
        Reading::Group { group, .. } => group.advice,
        Reading::Bits { .. } => None,
    }
}

/// Findings linked from a match's codes.
pub fn findings_of(m: &Match) -> Vec<&'static str> {
    use rdp_doctor_codes::Reading;
    match &m.reading {
        Reading::Code { code, .. } => code.findings.to_vec(),
        Reading::Bits { codes } => codes.iter().flat_map(|c| c.findings.iter().copied()).collect(),
        Reading::Group { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn resolves_every_kind_of_query() {
        assert!(matches!(resolve(&q(&["0x904", "0x7"]), None).unwrap(), Subject::Pair(_)));
        assert!(matches!(resolve(&q(&["0x904 0x7"]), None).unwrap(), Subject::Pair(_)));
        assert!(matches!(resolve(&q(&["0x904/0x7"]), None).unwrap(), Subject::Pair(_)));
        assert!(matches!(resolve(&q(&["cert.expired"]), None).unwrap(), Subject::Finding(_)));
        assert!(matches!(resolve(&q(&["server.renew_rdp_certificate"]), None).unwrap(), Subject::Remedy(_)));
        assert!(matches!(resolve(&q(&["errinfo"]), None).unwrap(), Subject::Family(_)));
        assert!(matches!(
            resolve(&q(&["ERRCONNECT_CONNECT_TRANSPORT_FAILED", "[0x0002000D]"]), None).unwrap(),
            Subject::Names(_)
        ));
        assert!(matches!(resolve(&q(&["gatewayusagemethod"]), None).unwrap(), Subject::Setting(_)));
        assert!(matches!(resolve(&q(&["full", "address"]), None).unwrap(), Subject::Setting(_)));
        assert!(matches!(resolve(&q(&["Screen Mode ID"]), None).unwrap(), Subject::Setting(_)));
        assert!(matches!(resolve(&q(&["gatewayusagemethd"]), None).unwrap(), Subject::Unknown(_)));
        assert!(resolve(&q(&["1", "2", "3"]), None).is_err());
        assert!(resolve(&q(&["0x904", "0x7"]), Some(Kind::Errinfo)).is_err());
        assert!(resolve(&q(&[]), None).is_err());
    }

    #[test]
    fn decimal_that_is_really_hex_gets_a_hint() {
        match resolve(&q(&["80090302"]), None).unwrap() {
            Subject::Number { matches, hex_reading: Some((h, m)), .. } => {
                assert!(matches.is_empty());
                assert_eq!(h, 0x8009_0302);
                assert_eq!(m[0].code().unwrap().name, "SEC_E_UNSUPPORTED_FUNCTION");
            }
            other => panic!("{other:?}"),
        }
    }

    /// Every code of every family is explained: its own value, read in its own family, renders its name
    /// in text and JSON; the same for every finding and remedy.
    #[test]
    fn every_code_finding_and_remedy_is_explained() {
        let mut n = 0;
        for f in rdp_doctor_codes::families() {
            for c in f.codes {
                let s = resolve(&[rdp_doctor_codes::hex(c.value)], Some(f.kind)).unwrap();
                assert!(s.found(), "{} {}", f.id, c.name);
                let t = text::render(&s);
                assert!(t.contains(c.name), "{}: {} missing from\n{t}", f.id, c.name);
                assert!(json::render(&[], &s).contains(c.name), "{} json", c.name);
                // Descriptive placeholders such as "(undocumented 0x708)" are not names one types.
                if !c.name.contains(' ') {
                    let by_name = resolve(&[c.name.to_owned()], None).unwrap();
                    assert!(text::render(&by_name).contains(c.name), "{} by name", c.name);
                }
                n += 1;
            }
        }
        assert!(n > 300, "{n}");
        for d in catalogue::all() {
            let t = text::render(&resolve(&[d.id.to_owned()], None).unwrap());
            assert!(t.contains(d.title), "{}", d.id);
            for r in d.remedies {
                assert!(t.contains(r), "{} does not show remedy {r}", d.id);
            }
        }
        for r in remedies::all() {
            let t = text::render(&resolve(&[r.id.to_owned()], None).unwrap());
            assert!(t.contains(r.title), "{}", r.id);
        }
    }

    #[test]
    fn unknown_numbers_get_a_clear_answer() {
        let s = resolve(&["0x12345678".to_owned()], None).unwrap();
        assert!(!s.found());
        assert!(text::render(&s).contains("not a known code in any family"));
        assert!(json::render(&[], &s).contains("\"found\": false"));
    }

    proptest! {
        /// Any u32, alone, with a family, or as a dialog pair, explains without panicking, in text and JSON.
        #[test]
        fn any_number_is_safe(a in any::<u32>(), b in any::<u32>(), k in 0usize..13) {
            let kind = rdp_doctor_codes::families().get(k).map(|f| f.kind);
            let one = resolve(&[a.to_string()], kind).unwrap();
            let _ = text::render(&one);
            let _ = json::render(&[], &one);
            let two = resolve(&[format!("{a:#x}"), b.to_string()], None).unwrap();
            let t = text::render(&two);
            prop_assert!(t.contains("What the two mean together"));
            let _ = json::render(&[], &two);
        }

        #[test]
        fn any_words_are_safe(words in proptest::collection::vec("\\PC{0,12}", 0..4)) {
            if let Ok(s) = resolve(&words, None) {
                let _ = text::render(&s);
                let _ = json::render(&words, &s);
            }
        }
    }
}
