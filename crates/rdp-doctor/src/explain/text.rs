//! Human text for `explain`. Pure: a [`Subject`] in, a `String` out. Prose is wrapped at [`WIDTH`];
//! commands and steps are never wrapped, so they can be copied whole.

use std::fmt::Write as _;

use rdp_doctor_codes::pair::PairReading;
use rdp_doctor_codes::{Advice, Code, Family, Form, Kind, Match, Reading, Status, hex};
use rdp_doctor_core::finding::FindingDef;
use rdp_doctor_core::{Remedy, catalogue, remedies};

use super::{Subject, advice_of, findings_of, remedies_of};
use crate::render::text::{BOLD, CYAN, DIM, YELLOW, paint, severity_style, write_remedy};

/// Column at which prose wraps.
pub const WIDTH: usize = 100;

/// Renders a subject for a terminal.
pub fn render(subject: &Subject) -> String {
    let mut o = String::new();
    match subject {
        Subject::List => list(&mut o),
        Subject::Family(f) => family_table(&mut o, f),
        Subject::Number { value, matches, hex_reading } => number(&mut o, *value, matches, hex_reading.as_ref()),
        Subject::Pair(p) => pair(&mut o, p),
        Subject::Names(names) => {
            for (i, (f, c)) in names.iter().enumerate() {
                if i > 0 {
                    let _ = writeln!(o);
                }
                if let Some(m) = f.lookup(c.value) {
                    match_block(&mut o, &m, Detail::Full);
                }
            }
        }
        Subject::Finding(d) => finding(&mut o, d),
        Subject::Remedy(r) => remedy(&mut o, r),
        Subject::Setting(d) => {
            let _ = writeln!(o, "{} .rdp file setting", paint(BOLD, d.name));
            o.push_str(&d.describe());
            let _ = writeln!(o, "\n{}", paint(DIM, "Check a file with: rdp-doctor rdpfile lint FILE.rdp"));
        }
        Subject::Unknown(word) => {
            let hint = rdp_doctor_rdpfile::settings::closest(word)
                .map(|d| format!(" Did you mean the .rdp setting `{}`?", d.name))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "{word:?} is not a known code name, finding ID, remedy ID, code family or .rdp setting.{hint} `rdp-doctor explain --list` lists codes, findings and remedies; `rdp-doctor rdpfile explain` lists the .rdp settings."
            );
        }
    }
    o
}

/// Wraps prose at [`WIDTH`], every line indented by `indent` spaces.
pub fn wrap(text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent + line.chars().count() + 1 + word.chars().count() > WIDTH {
            let _ = writeln!(out, "{pad}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{pad}{line}");
    }
    out
}

fn heading(o: &mut String, text: &str) {
    let _ = writeln!(o, "\n{}", paint(BOLD, text));
}

fn value_label(value: u32) -> String {
    format!("{} ({value})", hex(value))
}

fn status_line(c: &Code) -> Option<String> {
    match c.status {
        Status::Documented if c.note.is_empty() => None,
        Status::Documented => Some(format!("Note: {}.", c.note)),
        Status::Implementation => Some(if c.note.is_empty() {
            "Defined by FreeRDP, not by a Microsoft document.".to_owned()
        } else {
            format!("Defined by FreeRDP, not by a Microsoft document: {}.", c.note)
        }),
        Status::Unverified => Some(format!("Unverified: {}; treat the meaning as a lead, not a fact.", c.note)),
    }
}

fn form_line(m: &Match, form: Form, code_value: u32) -> Option<String> {
    match form {
        Form::Exact => None,
        Form::Low16 => Some(format!(
            "{} is the low 16 bits (HRESULT_CODE) of the HRESULT {}; both forms mean the same.",
            hex(m.value),
            hex(code_value)
        )),
        Form::FreerdpComposite { class } => Some(format!(
            "{} is FreeRDP's combined code: class {class} ({}) and code {}.",
            hex(m.value),
            if class == 1 { "ERRINFO" } else { "ERRCONNECT" },
            hex(m.value & 0xFFFF)
        )),
    }
}

/// How much of a reading to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// Everything: where it is seen, what the family is, causes, checks and remedies in full.
    Full,
    /// The code, its most likely cause and its remedies' IDs (one of several readings).
    Summary,
    /// The code and what the number is, no advice (one half of the dialog pair).
    Bare,
}

/// One reading of a number.
fn match_block(o: &mut String, m: &Match, detail: Detail) {
    let full = detail == Detail::Full;
    let _ = writeln!(o, "{} {}", paint(BOLD, &value_label(m.value)), paint(DIM, &format!("— {}", m.family.title)));
    match &m.reading {
        Reading::Code { code, form } => {
            let _ = writeln!(o, "  {}", paint(CYAN, code.name));
            o.push_str(&wrap(code.meaning, 2));
            if let Some(l) = form_line(m, *form, code.value) {
                o.push_str(&wrap(&l, 2));
            }
            if let Some(l) = status_line(code) {
                o.push_str(&wrap(&l, 2));
            }
            if m.family.kind == Kind::Extended
                && let Some(e) = rdp_doctor_codes::extended::errinfo_counterpart(code.value).filter(|_| code.value != 0)
            {
                o.push_str(&wrap(
                    &format!(
                        "Same value as the server's {} (Set Error Info PDU, MS-RDPBCGR 2.2.5.1.1). {}",
                        e.name, e.meaning
                    ),
                    2,
                ));
            }
            see_also(o, code);
        }
        Reading::Bits { codes } => {
            let _ = writeln!(o, "  {}", paint(CYAN, &codes.iter().map(|c| c.name).collect::<Vec<_>>().join(" | ")));
            for c in codes {
                o.push_str(&wrap(&format!("{} ({}): {}", c.name, hex(c.value), c.meaning), 2));
            }
        }
        Reading::Group { group, form } => {
            let _ = writeln!(
                o,
                "  {}",
                paint(CYAN, &format!("{} range {}-{}", group.name, hex(group.first), hex(group.last)))
            );
            o.push_str(&wrap(&format!("No code of its own in this range. {}", group.about), 2));
            if let Some(l) = form_line(m, *form, m.value & 0xFFFF) {
                o.push_str(&wrap(&l, 2));
            }
        }
    }
    if full {
        o.push_str(&wrap(&format!("Seen as: {}.", m.family.seen_as), 2));
    }
    if detail != Detail::Summary {
        o.push_str(&wrap(&format!("This number: {}", m.family.about), 2));
    }
    let findings = if detail == Detail::Bare { Vec::new() } else { findings_of(m) };
    if !findings.is_empty() {
        o.push_str(&wrap(&format!("rdp-doctor check reports this as: {}.", findings.join(", ")), 2));
    }
    for s in m.family.sources.iter().take(if full { usize::MAX } else { 1 }) {
        o.push_str(&wrap(&format!("Source: {s}"), 2));
    }
    if detail == Detail::Bare {
        return;
    }
    if let Some(code) = m.code() {
        for text in rdp_doctor_codes::pair::misreadings(m.family.kind, code.value) {
            o.push_str(&wrap(&format!("Not to be confused: {text}"), 2));
        }
    }
    let advice = advice_of(m);
    if full {
        if !m.family.not_to_confuse.is_empty() {
            o.push_str(&wrap(&format!("Not to be confused: {}", m.family.not_to_confuse), 2));
        }
        advice_sections(o, advice, &findings);
    } else {
        let rems = remedies_of(advice, &findings);
        if let Some(first) = advice.and_then(|a| a.causes.first()) {
            o.push_str(&wrap(&format!("Most likely: {first}"), 2));
        }
        if !rems.is_empty() {
            let _ = writeln!(
                o,
                "  {} {}",
                paint(DIM, "remedies:"),
                rems.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
            );
        }
    }
}

fn see_also(o: &mut String, code: &Code) {
    let others: Vec<String> = code
        .see
        .iter()
        .filter_map(|(k, v)| rdp_doctor_codes::family(*k).code(*v).map(|c| (rdp_doctor_codes::family(*k), c)))
        .map(|(f, c)| format!("{} ({} {})", c.name, f.id, hex(c.value)))
        .collect();
    if !others.is_empty() {
        o.push_str(&wrap(&format!("The same condition elsewhere: {}.", others.join(", ")), 2));
    }
}

/// Causes, checks and remedies in full.
fn advice_sections(o: &mut String, advice: Option<&Advice>, findings: &[&str]) {
    if let Some(a) = advice {
        if !a.causes.is_empty() {
            heading(o, "Likely causes, most likely first");
            for (i, c) in a.causes.iter().enumerate() {
                let item = wrap(c, 5);
                let _ = write!(o, "  {}.{}", i + 1, item.get(4..).unwrap_or_default());
            }
            if !a.note.is_empty() {
                o.push_str(&wrap(&format!("({})", a.note), 2));
            }
        }
        if !a.checks.is_empty() {
            heading(o, "Check next");
            for c in a.checks {
                let _ = writeln!(o, "  - {c}");
            }
        }
    }
    let rems = remedies_of(advice, findings);
    if !rems.is_empty() {
        heading(o, "What to do");
        for r in rems {
            write_remedy(o, r, 2);
        }
    } else if advice.is_none() && findings.is_empty() {
        let _ =
            writeln!(o, "\n  {}", paint(DIM, "Nothing to fix: this code reports a normal end or carries no fault."));
    }
}

fn number(o: &mut String, value: u32, matches: &[Match], hex_reading: Option<&(u32, Vec<Match>)>) {
    match matches {
        [] => {
            let _ = writeln!(o, "{} is not a known code in any family.", value_label(value));
            if let Some((h, m)) = hex_reading {
                let _ = writeln!(o, "Read as hexadecimal, {} is:\n", hex(*h));
                for x in m {
                    match_block(o, x, Detail::Summary);
                }
                let _ = writeln!(o, "\n`rdp-doctor explain {}` explains it in full.", hex(*h));
            } else {
                let ids: Vec<&str> = rdp_doctor_codes::families().iter().map(|f| f.id).collect();
                o.push_str(&wrap(&format!("Families searched: {}.", ids.join(", ")), 0));
            }
        }
        [one] => match_block(o, one, Detail::Full),
        many => {
            o.push_str(&wrap(
                &format!(
                    "{} is a code in {} families. Most likely first; `--kind {}` (or another family) shows one in full.",
                    value_label(value),
                    many.len(),
                    many.first().map_or("", |m| m.family.id)
                ),
                0,
            ));
            for m in many {
                let _ = writeln!(o);
                match_block(o, m, Detail::Summary);
            }
        }
    }
}

fn pair(o: &mut String, p: &PairReading) {
    let _ =
        writeln!(o, "{}", paint(BOLD, &format!("Error code {}, extended error code {}", hex(p.code), hex(p.extended))));
    let disc = &rdp_doctor_codes::disconnect::FAMILY;
    let _ = writeln!(o);
    let _ = write!(o, "{} ", paint(BOLD, "Error code"));
    match p.disconnect.and_then(|c| disc.lookup(c.value)) {
        Some(m) => match_block(o, &m, Detail::Bare),
        None => {
            let _ = writeln!(o, "{} is not a documented client disconnect reason.", value_label(p.code));
        }
    }
    let _ = writeln!(o);
    let _ = write!(o, "{} ", paint(BOLD, "Extended error code"));
    match &p.extended_match {
        Some(m) => match_block(o, m, Detail::Bare),
        None => {
            let _ = writeln!(o, "{} is not a documented extended disconnect reason.", value_label(p.extended));
        }
    }
    heading(o, "What the two mean together");
    for (i, t) in p.together.iter().enumerate() {
        if i > 0 {
            let _ = writeln!(o);
        }
        o.push_str(&wrap(t, 2));
    }
    let mut confusions: Vec<&str> = p.misreadings.clone();
    confusions.push(disc.not_to_confuse);
    confusions.push(rdp_doctor_codes::extended::FAMILY.not_to_confuse);
    heading(o, "Not to be confused");
    for c in confusions {
        let item = wrap(c, 4);
        let _ = write!(o, "  -{}", item.get(3..).unwrap_or_default());
    }
    let findings: Vec<&str> = p.disconnect.map(|d| d.findings.to_vec()).unwrap_or_default();
    let findings = if p.server_reason.is_some() { Vec::new() } else { findings };
    advice_sections(o, p.advice, &findings);
}

/// Which command reports a finding: .rdp lint findings, Kerberos facts (read from captures; only the NTLM
/// fallback pattern is also live), the rest from `check` (and `capture`, which shares its rules).
fn reported_by(id: &str) -> &'static str {
    if id.starts_with("rdpfile.") {
        "rdp-doctor rdpfile lint and check FILE.rdp"
    } else if id.starts_with("kerberos.") && id != "kerberos.ntlm_fallback_refused" {
        "rdp-doctor capture"
    } else {
        "rdp-doctor check"
    }
}

fn finding(o: &mut String, d: &FindingDef) {
    let _ = writeln!(o, "{}  {}", paint(BOLD, d.id), d.title);
    let _ = writeln!(
        o,
        "  {} {}",
        paint(severity_style(d.severity), d.severity.as_str()),
        paint(DIM, &format!("· layer {} · a finding of {}", d.layer, reported_by(d.id)))
    );
    o.push_str(&wrap(d.explanation, 2));
    let codes = rdp_doctor_codes::codes_for_finding(d.id);
    if !codes.is_empty() {
        let list: Vec<String> = codes.iter().map(|(f, c)| format!("{} ({} {})", c.name, f.id, hex(c.value))).collect();
        o.push_str(&wrap(&format!("Codes that report the same condition: {}.", list.join(", ")), 2));
    }
    heading(o, "What to do");
    for r in d.remedies.iter().filter_map(|id| remedies::by_id(id)) {
        write_remedy(o, r, 2);
    }
}

fn remedy(o: &mut String, r: &Remedy) {
    let _ = writeln!(o, "{}  {}", paint(BOLD, r.id), paint(DIM, &format!("impact: {}", r.impact.as_str())));
    write_remedy(o, r, 0);
    let findings: Vec<&str> = catalogue::all().filter(|d| d.remedies.contains(&r.id)).map(|d| d.id).collect();
    if !findings.is_empty() {
        o.push_str(&wrap(&format!("Remedy for the findings: {}.", findings.join(", ")), 0));
    }
    let codes = rdp_doctor_codes::families()
        .iter()
        .flat_map(|f| f.codes.iter().map(move |c| (*f, c)))
        .filter(|(_, c)| c.advice.is_some_and(|a| a.remedies.contains(&r.id)))
        .count();
    if codes > 0 {
        o.push_str(&wrap(&format!("Also advised for {codes} codes (see docs/codes.md)."), 0));
    }
}

fn list(o: &mut String) {
    let _ = writeln!(
        o,
        "{}",
        paint(BOLD, "Code families (rdp-doctor explain NUMBER [--kind FAMILY], or FAMILY for the table)")
    );
    for f in rdp_doctor_codes::families() {
        let _ = writeln!(o, "  {:<13} {} {}", f.id, f.title, paint(DIM, &format!("({} codes)", f.codes.len())));
    }
    let _ = writeln!(o, "\n{}", paint(BOLD, "Findings of rdp-doctor check (rdp-doctor explain ID)"));
    for d in catalogue::all() {
        let _ = writeln!(
            o,
            "  {:<44} {} {}",
            d.id,
            paint(severity_style(d.severity), &format!("{:<4}", d.severity.as_str())),
            d.title
        );
    }
    let _ = writeln!(o, "\n{}", paint(BOLD, "Remedies (rdp-doctor explain ID)"));
    for r in remedies::all() {
        let _ = writeln!(o, "  {:<36} {} {}", r.id, paint(DIM, &format!("[{}]", r.audience.label())), r.title);
    }
}

fn family_table(o: &mut String, f: &Family) {
    let _ = writeln!(o, "{}  {}", paint(BOLD, f.title), paint(DIM, &format!("--kind {}", f.id)));
    o.push_str(&wrap(f.about, 2));
    o.push_str(&wrap(&format!("Seen as: {}.", f.seen_as), 2));
    let _ = writeln!(o);
    for c in f.codes {
        let mark = match c.status {
            Status::Documented => " ".to_owned(),
            Status::Implementation => paint(YELLOW, "i"),
            Status::Unverified => paint(YELLOW, "?"),
        };
        let _ = writeln!(o, "  {mark} {:<12} {:<44} {}", hex(c.value), c.name, c.meaning);
    }
    for g in f.groups {
        let _ = writeln!(o, "    {:<12} {:<44} {}", format!("{}-{}", hex(g.first), hex(g.last)), g.name, g.about);
    }
    let _ = writeln!(o, "\n  {}", paint(DIM, "i = defined by an implementation (FreeRDP), ? = unverified"));
    for s in f.sources {
        o.push_str(&wrap(&format!("Source: {s}"), 2));
    }
}
