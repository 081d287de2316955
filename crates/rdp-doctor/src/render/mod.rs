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

/// Text for a terminal keeps its colours (anstream strips them for pipes and NO_COLOR); in a file, never.
fn text_out(text: &str, out: &ReportArgs, inputs: &[&Path]) -> anyhow::Result<()> {
    match &out.output {
        None => {
            let r = anstream::stdout().write_all(text.as_bytes());
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
