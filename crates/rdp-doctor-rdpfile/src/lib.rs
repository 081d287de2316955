//! Sans-IO reader, linter and writer for Remote Desktop `.rdp` files.
//!
//! - [`decode`]: bytes → lines, detecting UTF-16LE/BE (with or without BOM), UTF-8 (with or without BOM) and
//!   Windows-1252, line by line for 8-bit files, with anomalies (truncation, mixed encodings) per line.
//! - [`parse`]: lines → `name:type:value` settings ([`RdpFile`]), keeping malformed lines and their reason.
//! - [`settings`]: the typed table of documented settings, the one source for lint, clean and explain.
//! - [`lint`]: findings (IDs `rdpfile.*` from `rdp_doctor_core::catalogue`) with line numbers.
//!
//! Nothing here touches files, sockets, clocks or stdout; secrets (`password 51:b:`, `password:s:`,
//! tokens) are redacted in every `Debug` and evidence string.

pub mod address;
pub mod check;
pub mod clean;
pub mod cp1252;
pub mod decode;
pub mod lint;
pub mod parse;
pub mod report;
pub mod settings;
pub mod write;

pub use decode::Encoding;
pub use lint::lint;
pub use parse::{Line, LineKind, RdpFile, Setting, TypeTag};
