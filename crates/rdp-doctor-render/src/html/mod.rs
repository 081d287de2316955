//! Self-contained HTML: one file, inline CSS and SVG, no fonts, scripts or images from anywhere (the
//! page's Content-Security-Policy forbids every load, and allows only its own style block and, on the scan
//! page, its own sort script, by hash). Readable with JavaScript off, printable on A4 and Letter, light and
//! dark, and usable on a phone.

mod css;
mod report;
mod scan;
mod svg;

pub use scan::{ScanMeta, for_fleet, scan};

use rdp_doctor_core::Report;
use rdp_doctor_core::capture_report::CaptureReport;

use crate::escape::Html;
use crate::fmt;

/// `sha256-…` of an inline block, as a Content-Security-Policy names it (CSP 3, hash-source).
fn csp_hash(s: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(s.as_bytes())))
}

/// The page around a body: doctype, language, viewport, colour schemes, the policy, the style sheet.
fn page(title: &str, script: Option<&'static str>, body: impl FnOnce(&mut Html)) -> String {
    let mut h = Html::with_capacity(64 * 1024);
    h.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    h.raw("<meta name=\"color-scheme\" content=\"light dark\">");
    h.raw("<meta name=\"referrer\" content=\"no-referrer\">");
    // Nothing may load from anywhere; only this page's own style block (and sort script) may apply.
    let policy = format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; font-src 'none'; connect-src 'none'; \
         base-uri 'none'; form-action 'none'",
        csp_hash(css::CSS),
        script.map_or_else(|| "'none'".to_owned(), csp_hash)
    );
    h.open("meta", &[("http-equiv", "Content-Security-Policy"), ("content", &policy)]);
    h.open("title", &[]).text_max(title, 200).close("title");
    h.raw("<style>").raw(css::CSS).raw("</style></head><body>\n");
    body(&mut h);
    h.raw("\n<footer>");
    h.fmt(format_args!(
        "rdp-doctor {} · report schema_version {} · the JSON report (--format json) holds every observation this page \
         is drawn from.",
        env!("CARGO_PKG_VERSION"),
        rdp_doctor_core::report::SCHEMA_VERSION
    ));
    h.raw("</footer>\n");
    if let Some(code) = script {
        h.raw("<script>").raw(code).raw("</script>\n");
    }
    h.raw("</body></html>\n");
    h.finish()
}

/// The HTML report of one check (`check`, `demo`, `check FILE.rdp`, `host`).
pub fn check(r: &Report) -> String {
    let title = format!("rdp-doctor: {} — {}", fmt::target(r), r.verdict);
    page(&title, None, |h| report::whole(h, r))
}

/// The HTML report of a capture: the file, then each connection (failing first), remedies once.
pub fn capture(r: &CaptureReport) -> String {
    let title = format!("rdp-doctor: capture {} — {}", r.file.path, r.verdict);
    page(&title, None, |h| report::capture(h, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_only_the_page_own_blocks() {
        // The policy is an attribute value: its quotes are written as entities, which the browser decodes.
        let page = page("t", Some("let x = 1;"), |h| {
            h.raw("<p>x</p>");
        })
        .replace("&#39;", "'");
        // echo -n 'let x = 1;' | openssl dgst -sha256 -binary | base64
        assert!(page.contains("script-src 'sha256-qtc3jf64UXA5J6U02kfQ0Cvn9Uz4wXUaN3NNUVgR2v4='"), "{page}");
        assert!(page.contains(&csp_hash(css::CSS)));
        assert!(page.contains("default-src 'none'"));
        let no_script = page_without_script().replace("&#39;", "'");
        assert!(no_script.contains("script-src 'none'") && !no_script.contains("<script"));
    }

    fn page_without_script() -> String {
        page("t", None, |_| {})
    }
}
