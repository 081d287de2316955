//! `rdp-doctor scan`: the whole fleet in one run.
//!
//! The scheduler owns the fleet's I/O and nothing else: it reads target lists ([`targets`]), splits them
//! across machines ([`shard`]), skips what a stopped run already wrote ([`resume`]), and runs the same
//! probe as `check` (`rdp_doctor_probe::check`, then `rdp_doctor_core::report::build`) for every target
//! under a concurrency bound, a connection rate, one check at a time per host and a deadline per host
//! ([`schedule`]). Each target's result is the one `Report` `check --json` prints, with a `scan` section
//! (its key, source, tag and facts); it is handed over as soon as it is done, so the caller streams JSONL
//! ([`output`]) and folds a bounded [`summary::ScanSummary`]: memory does not grow with the number of
//! results. No credentials are ever sent.

pub mod cidr;
pub mod diff;
pub mod output;
pub mod resume;
pub mod schedule;
pub mod shard;
pub mod summary;
pub mod targets;

pub use schedule::{ScanOptions, ScanResult, run};
pub use targets::{Malformed, TargetArgs, TargetSet, TargetSpec, collect};
