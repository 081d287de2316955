//! rdp-doctor's one model: evidence → rules → findings (with remedies) → report.
//!
//! Live probes and capture readers fill the same [`Evidence`]; [`rules::evaluate`] turns it into
//! [`Finding`]s; [`report::build`] assembles the one [`Report`] every renderer prints. Nothing here does
//! I/O or reads a clock: the time of observation is part of the evidence.

pub mod capture;
pub mod capture_chains;
pub mod capture_digest;
pub mod capture_report;
pub mod catalogue;
pub mod cert;
pub mod client_report;
pub mod client_tables;
pub mod evidence;
pub mod facts;
pub mod finding;
pub mod host_report;
pub mod host_tables;
pub mod interpret;
pub mod policy;
pub mod remedies;
pub mod report;
pub mod rules;
pub mod session_codes;
pub mod windows;

pub use evidence::Evidence;
pub use finding::{Audience, Finding, Impact, Remedy, Severity};
pub use report::{Layer, LayerName, LayerStatus, Report};
