//! Renderers: pure functions from the one [`Report`] to text. Printing happens only in [`emit`].

pub mod capture;
pub mod json;
pub mod text;

use rdp_doctor_core::Report;
use rdp_doctor_core::capture_report::CaptureReport;

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

/// Prints a capture report as asked and returns the exit code for `--fail-on` (as `check`).
pub fn emit_capture(report: &CaptureReport, out: &OutputArgs) -> u8 {
    if out.json {
        let stdout = std::io::stdout();
        let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
        if let Err(e) = capture::write_json(report, &mut w).and_then(|()| std::io::Write::flush(&mut w)) {
            eprintln!("rdp-doctor: cannot write the report: {e}");
            return 2;
        }
    } else {
        anstream::print!("{}", capture::text(report, out.verbose));
    }
    u8::try_from(report.exit_code(out.fail_on.threshold())).unwrap_or(2)
}
