//! Renderers: pure functions from the one [`Report`] to text. Printing happens only in [`emit`].

pub mod json;
pub mod text;

use rdp_doctor_core::Report;

use crate::cli::OutputArgs;

/// Prints the report as asked and returns the exit code for `--fail-on`. A closed pipe (`| head`) drops
/// the rest of the output instead of panicking.
pub fn emit(report: &Report, out: &OutputArgs) -> u8 {
    use std::io::Write as _;
    let _ = if out.json {
        writeln!(std::io::stdout().lock(), "{}", json::render(report))
    } else {
        anstream::stdout().write_all(text::render(report, out.verbose).as_bytes())
    };
    u8::try_from(report.exit_code(out.fail_on.threshold())).unwrap_or(2)
}
