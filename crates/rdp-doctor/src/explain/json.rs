//! JSON for `explain` (`schema_version` 1, documented in README.md "explain --json"). Pure: a
//! [`Subject`] in, a `String` out. Fields are only added within a schema version.

use rdp_doctor_codes::pair::PairReading;
use rdp_doctor_codes::{Advice, Code, Family, Form, Match, Reading, hex};
use rdp_doctor_core::finding::FindingDef;
use rdp_doctor_core::{Remedy, catalogue, remedies};
use serde_json::{Value, json};

use super::{Subject, advice_of, findings_of, remedies_of};

/// Version of the `explain --json` contract.
pub const SCHEMA_VERSION: u32 = 1;

/// Pretty JSON of the answer.
pub fn render(query: &[String], subject: &Subject) -> String {
    let mut v = json!({
        "schema_version": SCHEMA_VERSION,
        "query": query,
        "found": subject.found(),
    });
    let (kind, body) = match subject {
        Subject::List => ("list", list()),
        Subject::Family(f) => ("family", json!({ "family": family(f, true) })),
        Subject::Number { value, matches, hex_reading } => (
            "number",
            json!({
                "value": value,
                "hex": hex(*value),
                "matches": matches.iter().map(match_json).collect::<Vec<_>>(),
                "hex_reading": hex_reading.as_ref().map(|(h, m)| json!({
                    "value": h, "hex": hex(*h), "matches": m.iter().map(match_json).collect::<Vec<_>>()
                })),
            }),
        ),
        Subject::Pair(p) => ("pair", pair(p)),
        Subject::Names(names) => (
            "names",
            json!({ "matches": names.iter().filter_map(|(f, c)| f.lookup(c.value)).map(|m| match_json(&m)).collect::<Vec<_>>() }),
        ),
        Subject::Finding(d) => ("finding", json!({ "finding": finding(d) })),
        Subject::Remedy(r) => ("remedy", json!({ "remedy": remedy(r) })),
        Subject::Setting(d) => ("setting", json!({ "setting": d })),
        Subject::Unknown(w) => ("unknown", json!({ "word": w })),
    };
    if let (Value::Object(o), Value::Object(b)) = (&mut v, body) {
        o.insert("kind".to_owned(), json!(kind));
        o.extend(b);
    }
    serde_json::to_string_pretty(&v)
        .unwrap_or_else(|e| format!("{{\"schema_version\":1,\"error\":\"cannot serialise: {e}\"}}"))
}

fn remedy(r: &Remedy) -> Value {
    serde_json::to_value(r).unwrap_or(Value::Null)
}

fn family(f: &Family, with_codes: bool) -> Value {
    let mut v = json!({
        "id": f.id,
        "title": f.title,
        "seen_as": f.seen_as,
        "about": f.about,
        "not_to_confuse": (!f.not_to_confuse.is_empty()).then_some(f.not_to_confuse),
        "sources": f.sources,
    });
    if with_codes && let Value::Object(o) = &mut v {
        o.insert("codes".to_owned(), f.codes.iter().map(code).collect());
        o.insert(
            "groups".to_owned(),
            f.groups
                .iter()
                .map(|g| json!({"name": g.name, "first": g.first, "last": g.last, "about": g.about}))
                .collect(),
        );
    }
    v
}

fn code(c: &Code) -> Value {
    json!({
        "value": c.value,
        "hex": hex(c.value),
        "name": c.name,
        "meaning": c.meaning,
        "status": c.status.as_str(),
        "note": (!c.note.is_empty()).then_some(c.note),
        "findings": c.findings,
        "see": c.see.iter().filter_map(|(k, v)| {
            let f = rdp_doctor_codes::family(*k);
            f.code(*v).map(|x| json!({"family": f.id, "value": x.value, "hex": hex(x.value), "name": x.name}))
        }).collect::<Vec<_>>(),
    })
}

fn advice(a: Option<&Advice>, findings: &[&str]) -> Value {
    json!({
        "causes": a.map(|a| a.causes).unwrap_or_default(),
        "checks": a.map(|a| a.checks).unwrap_or_default(),
        "note": a.map(|a| a.note).filter(|n| !n.is_empty()),
        "remedies": remedies_of(a, findings).into_iter().map(remedy).collect::<Vec<_>>(),
    })
}

fn match_json(m: &Match) -> Value {
    let (reading, codes, form) = match &m.reading {
        Reading::Code { code: c, form } => ("code", vec![code(c)], *form),
        Reading::Bits { codes } => ("bits", codes.iter().map(|c| code(c)).collect(), Form::Exact),
        Reading::Group { form, .. } => ("range", Vec::new(), *form),
    };
    let group = match &m.reading {
        Reading::Group { group, .. } => {
            Some(json!({"name": group.name, "first": group.first, "last": group.last, "about": group.about}))
        }
        _ => None,
    };
    let form = match form {
        Form::Exact => json!("exact"),
        Form::Low16 => json!("hresult_low16"),
        Form::FreerdpComposite { class } => json!(format!("freerdp_class_{class}")),
    };
    let findings = findings_of(m);
    let errinfo = (m.family.kind == rdp_doctor_codes::Kind::Extended)
        .then(|| m.code().and_then(|c| rdp_doctor_codes::extended::errinfo_counterpart(c.value)))
        .flatten()
        .filter(|c| c.value != 0)
        .map(code);
    json!({
        "family": family(m.family, false),
        "value": m.value,
        "hex": hex(m.value),
        "reading": reading,
        "form": form,
        "codes": codes,
        "range": group,
        "server_errinfo": errinfo,
        "misreadings": m.code().map(|c| rdp_doctor_codes::pair::misreadings(m.family.kind, c.value).collect::<Vec<_>>()).unwrap_or_default(),
        "advice": advice(advice_of(m), &findings),
    })
}

fn pair(p: &PairReading) -> Value {
    let disc = p.disconnect.and_then(|c| rdp_doctor_codes::disconnect::FAMILY.lookup(c.value));
    let findings: Vec<&str> = if p.server_reason.is_some() {
        Vec::new()
    } else {
        p.disconnect.map(|d| d.findings.to_vec()).unwrap_or_default()
    };
    json!({
        "code": { "value": p.code, "hex": hex(p.code), "match": disc.as_ref().map(match_json) },
        "extended": { "value": p.extended, "hex": hex(p.extended), "match": p.extended_match.as_ref().map(match_json) },
        "server_reason": p.server_reason.map(code),
        "together": p.together,
        "misreadings": p.misreadings,
        "advice": advice(p.advice, &findings),
    })
}

fn finding(d: &FindingDef) -> Value {
    json!({
        "id": d.id,
        "severity": d.severity,
        "layer": d.layer,
        "title": d.title,
        "explanation": d.explanation,
        "codes": rdp_doctor_codes::codes_for_finding(d.id).iter().map(|(f, c)| json!({
            "family": f.id, "value": c.value, "hex": hex(c.value), "name": c.name
        })).collect::<Vec<_>>(),
        "remedies": d.remedies.iter().filter_map(|id| remedies::by_id(id)).map(remedy).collect::<Vec<_>>(),
    })
}

fn list() -> Value {
    json!({
        "families": rdp_doctor_codes::families().iter().map(|f| family(f, false)).collect::<Vec<_>>(),
        "findings": catalogue::all().map(|d| json!({
            "id": d.id, "severity": d.severity, "layer": d.layer, "title": d.title
        })).collect::<Vec<_>>(),
        "remedies": remedies::all().map(|r| json!({
            "id": r.id, "audience": r.audience, "impact": r.impact, "title": r.title
        })).collect::<Vec<_>>(),
    })
}
