//! Renderers: pure functions from the one [`Report`] to text, JSON, Markdown or HTML (the last two in
//! `rdp-doctor-render`). Printing happens only in [`emit`] and [`emit_capture`], through `crate::output`.

pub mod capture;
pub mod json;
pub mod text;

use std::io::Write as _;
use std::path::Path;

use rdp_doctor_core::Report;
use rdp_doctor_core::capture_report::CaptureReport;

use crate::cli::{Format, ReportArgs};

/// Text a terminal shows as text: report values may carry escape sequences (a certificate subject that
/// clears the screen or sets a hyperlink), control, bidi or zero-width characters. Our own colour
/// sequences (`ESC [ digits ; … m`) stay; every other hidden character is shown as `\u{…}`.
pub fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\u{1b}' {
            let rest = text.get(i + 1..).unwrap_or_default();
            let sgr = rest.strip_prefix('[').and_then(|r| {
                let end = r.find(|x: char| !(x.is_ascii_digit() || x == ';'))?;
                (r.get(end..end + 1) == Some("m")).then_some(end + 2)
            });
            if let Some(len) = sgr {
                out.push(c);
                for _ in 0..len {
                    if let Some((_, x)) = chars.next() {
                        out.push(x);
                    }
                }
                continue;
            }
        }
        if rdp_doctor_render::escape::is_hidden(c) {
            out.push_str(&format!("\\u{{{:X}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Text for a terminal keeps its colours (anstream strips them for pipes and NO_COLOR); in a file, never.
fn text_out(text: &str, out: &ReportArgs, inputs: &[&Path]) -> anyhow::Result<()> {
    let text = &terminal_safe(text);
    match &out.output {
        None => {
            let r = anstream::stdout().write_all(crate::term::fit(text).as_bytes());
            match r {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(anyhow::Error::new(e)),
                _ => Ok(()),
            }
        }
        Some(path) => {
            let plain = anstream::adapter::strip_str(text).to_string();
            crate::output::write(Some(path), inputs, |w| w.write_all(plain.as_bytes()))
        }
    }
}

/// Writes the report as asked and returns the exit code for `--fail-on`.
pub fn emit(report: &Report, out: &ReportArgs, inputs: &[&Path]) -> anyhow::Result<u8> {
    let dest = out.output.as_deref();
    match out.format() {
        Format::Text => text_out(&text::render(report, out.verbose), out, inputs)?,
        Format::Json => crate::output::write(dest, inputs, |w| writeln!(w, "{}", json::render(report)))?,
        Format::Markdown => {
            let md = rdp_doctor_render::markdown::check(report);
            crate::output::write(dest, inputs, |w| w.write_all(md.as_bytes()))?;
        }
        Format::Html => {
            let html = rdp_doctor_render::html::check(report);
            crate::output::write(dest, inputs, |w| w.write_all(html.as_bytes()))?;
        }
    }
    Ok(u8::try_from(report.exit_code(out.fail_on.threshold())).unwrap_or(2))
}

/// Writes a capture report as asked and returns the exit code for `--fail-on` (as `check`).
pub fn emit_capture(report: &CaptureReport, out: &ReportArgs, inputs: &[&Path]) -> anyhow::Result<u8> {
    let dest = out.output.as_deref();
    match out.format() {
        Format::Text => text_out(&capture::text(report, out.verbose), out, inputs)?,
        // Written as it is produced: a capture report can list thousands of connections.
        Format::Json => crate::output::write(dest, inputs, |w| capture::write_json(report, w))?,
        Format::Markdown => {
            let md = rdp_doctor_render::markdown::capture(report);
            crate::output::write(dest, inputs, |w| w.write_all(md.as_bytes()))?;
        }
        Format::Html => {
            let html = rdp_doctor_render::html::capture(report);
            crate::output::write(dest, inputs, |w| w.write_all(html.as_bytes()))?;
        }
    }
    Ok(u8::try_from(report.exit_code(out.fail_on.threshold())).unwrap_or(2))
}

#[cfg(test)]
mod tests {
    use super::terminal_safe;

    #[test]
    fn terminal_text_keeps_colours_and_shows_everything_else() {
        let ours = format!("{}red{}", anstyle::AnsiColor::Red.on_default().render(), anstyle::Reset.render());
        assert_eq!(terminal_safe(&ours), ours);
        assert_eq!(terminal_safe("a\u{1b}]8;;http://x\u{7}b"), "a\\u{1B}]8;;http://x\\u{7}b");
        assert_eq!(terminal_safe("\u{1b}[2J"), "\\u{1B}[2J", "not a colour: clear screen");
        assert_eq!(terminal_safe("x\u{202E}y\tz\n"), "x\\u{202E}y\tz\n");
    }
}
