//! The progress bar on standard error: done/total, rate, ETA and counts by outcome. Hidden when standard
//! error is not a terminal (unless `--progress always`), so logs and CI output stay clean.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rdp_doctor_core::{Report, Severity};

use super::Progress;

pub struct Bar {
    bar: ProgressBar,
    ok: AtomicU64,
    warn: AtomicU64,
    fail: AtomicU64,
    incomplete: AtomicU64,
}

impl Bar {
    pub fn new(total: u64, mode: Progress) -> Self {
        let show = match mode {
            Progress::Always => true,
            Progress::Never => false,
            Progress::Auto => std::io::stderr().is_terminal(),
        };
        let target = if show { ProgressDrawTarget::stderr_with_hz(4) } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(Some(total), target);
        if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} ETA {eta} {msg}") {
            bar.set_style(style);
        }
        Self {
            bar,
            ok: AtomicU64::new(0),
            warn: AtomicU64::new(0),
            fail: AtomicU64::new(0),
            incomplete: AtomicU64::new(0),
        }
    }

    pub fn add(&self, r: &Report) {
        let counter = match (r.max_severity, r.verdict.as_str()) {
            (Some(Severity::Fail), _) => &self.fail,
            (Some(Severity::Warn), _) => &self.warn,
            (_, "incomplete") => &self.incomplete,
            _ => &self.ok,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        self.bar.set_message(format!(
            "ok {} warn {} fail {} incomplete {}",
            n(&self.ok),
            n(&self.warn),
            n(&self.fail),
            n(&self.incomplete)
        ));
        self.bar.inc(1);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
