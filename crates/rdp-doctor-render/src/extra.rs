//! Whatever a report holds that these renderers do not know yet (a section added by a newer rule set —
//! fields are only ever added to the JSON contract) is still shown: rendered generically from its JSON,
//! bounded in depth and length, and escaped like everything else.

use serde_json::Value;

use crate::escape::{Html, md_text};

/// Most entries shown of one array or object.
const MAX_ITEMS: usize = 100;
const MAX_DEPTH: usize = 6;

/// The top-level fields of `value` (an object) whose keys are not in `known`, in order.
pub fn unknown_fields<'a>(value: &'a Value, known: &[&str]) -> Vec<(&'a str, &'a Value)> {
    match value {
        Value::Object(map) => map
            .iter()
            .filter(|(k, v)| !known.contains(&k.as_str()) && !v.is_null())
            .map(|(k, v)| (k.as_str(), v))
            .collect(),
        _ => Vec::new(),
    }
}

/// A field name for people: `causal_chain` → `causal chain`.
pub fn label(key: &str) -> String {
    key.replace('_', " ")
}

/// A JSON value as HTML: objects as key/value tables, arrays as lists.
pub fn html(h: &mut Html, v: &Value, depth: usize) {
    if depth > MAX_DEPTH {
        h.raw("…");
        return;
    }
    match v {
        Value::Null => {
            h.raw("—");
        }
        Value::Bool(b) => {
            h.text(if *b { "yes" } else { "no" });
        }
        Value::Number(n) => {
            h.text(&n.to_string());
        }
        Value::String(s) => {
            h.text(s);
        }
        Value::Array(items) => {
            h.raw("<ul>");
            for item in items.iter().take(MAX_ITEMS) {
                h.raw("<li>");
                html(h, item, depth + 1);
                h.raw("</li>");
            }
            if items.len() > MAX_ITEMS {
                h.open("li", &[("class", "muted")]).fmt(format_args!("… {} more", items.len() - MAX_ITEMS)).close("li");
            }
            h.raw("</ul>");
        }
        Value::Object(map) => {
            h.raw("<table class=\"kv\">");
            for (k, v) in map.iter().filter(|(_, v)| !v.is_null()).take(MAX_ITEMS) {
                h.raw("<tr>").el("th", &[], &label(k)).raw("<td>");
                html(h, v, depth + 1);
                h.raw("</td></tr>");
            }
            h.raw("</table>");
        }
    }
}

/// A JSON value as Markdown list lines under `indent`.
pub fn markdown(out: &mut String, v: &Value, indent: usize, depth: usize) {
    use std::fmt::Write as _;
    let pad = "  ".repeat(indent);
    if depth > MAX_DEPTH {
        let _ = writeln!(out, "{pad}- …");
        return;
    }
    match v {
        Value::Array(items) => {
            for item in items.iter().take(MAX_ITEMS) {
                scalar_or_nested(out, &pad, None, item, indent, depth);
            }
            if items.len() > MAX_ITEMS {
                let _ = writeln!(out, "{pad}- … {} more", items.len() - MAX_ITEMS);
            }
        }
        Value::Object(map) => {
            for (k, item) in map.iter().filter(|(_, v)| !v.is_null()).take(MAX_ITEMS) {
                scalar_or_nested(out, &pad, Some(k), item, indent, depth);
            }
        }
        other => {
            let _ = writeln!(out, "{pad}- {}", scalar(other));
        }
    }
}

fn scalar_or_nested(out: &mut String, pad: &str, key: Option<&str>, v: &Value, indent: usize, depth: usize) {
    use std::fmt::Write as _;
    let key = key.map(|k| format!("**{}**: ", md_text(&label(k)))).unwrap_or_default();
    match v {
        Value::Array(_) | Value::Object(_) => {
            let _ = writeln!(out, "{pad}- {key}");
            markdown(out, v, indent + 1, depth + 1);
        }
        other => {
            let _ = writeln!(out, "{pad}- {key}{}", scalar(other));
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Bool(b) => (if *b { "yes" } else { "no" }).to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => md_text(s),
        _ => "—".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_rendered_escaped() {
        let v = serde_json::json!({"verdict": "ok", "causal_chain": [{"step": "<b>x</b>", "n": 2}], "empty": null});
        let extra = unknown_fields(&v, &["verdict"]);
        assert_eq!(extra.len(), 1);
        let mut h = Html::default();
        for (_, v) in &extra {
            html(&mut h, v, 0);
        }
        let s = h.finish();
        assert!(s.contains("&lt;b&gt;x&lt;/b&gt;") && !s.contains("<b>"), "{s}");
        let mut md = String::new();
        markdown(&mut md, extra[0].1, 0, 0);
        assert!(md.contains("**step**: \\<b\\>x\\</b\\>"), "{md}");
    }
}
