//! Reports people look at: a self-contained HTML page (inline CSS and SVG: verdict banner, layer chain,
//! ladder diagrams, certificate panel, findings, what to do) and Markdown for tickets, for a check, a
//! capture and a scan. Pure functions of the reports: nothing here decides what failed, reads a clock or
//! does I/O. Untrusted text stays text: see [`escape`].

pub mod escape;
pub mod extra;
pub mod fmt;
pub mod html;
pub mod ladder;
pub mod markdown;
pub mod todo;

pub use html::ScanMeta;
