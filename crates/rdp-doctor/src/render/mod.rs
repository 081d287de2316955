//! Renderers: pure functions from the one [`Report`] to text. Printing happens only in [`emit`].

pub mod json;
pub mod text;

use rdp_doctor_core::Report;

use crate::cli::OutputArgs;

/// Prints the report as asked and returns the exit code for `--fail-on`.
pub fn emit(report: &Report, out: &OutputArgs) -> u8 {
    if out.json {
        println!("{}", json::render(report));
    } else {
        anstream::print!("{}", text::render(report, out.verbose));
    }
    u8::try_from(report.exit_code(out.fail_on.threshold())).unwrap_or(2)
}
