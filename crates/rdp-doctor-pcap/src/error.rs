//! The reader's own failures: the file could not be read as a capture at all. Everything a readable
//! capture shows, including damage after the first packets, is evidence in the report instead.

/// Why a file could not be analysed.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path} is empty (0 bytes): not a capture")]
    Empty { path: String },
    #[error("{path} is not a pcap or pcapng file (first bytes: {first_bytes})")]
    NotACapture { path: String, first_bytes: String },
    #[error("{path} is truncated: it ends inside the {what} header ({bytes} bytes)")]
    TruncatedHeader { path: String, what: &'static str, bytes: u64 },
}
