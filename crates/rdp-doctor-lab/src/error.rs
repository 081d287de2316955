//! The lab's error type.
//!
//! Every variant carries enough text to explain a CI failure without
//! re-running it: which tool or Debian package is missing, which command
//! failed with what output, and for a server that did not come up, the tail
//! of its captured stdout/stderr.

use std::io;

/// Why the lab could not provide what a test asked for.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A program the lab needs is not installed.
    #[error(
        "required tool `{tool}` not found (install the Debian package `{package}`, \
         or run scripts/test.sh which installs everything the suite needs)"
    )]
    MissingTool {
        /// Program name, e.g. `xrdp`.
        tool: String,
        /// Debian 12 package that provides it.
        package: &'static str,
    },

    /// A test asked for a program that is not in the lab's tool table (`tools::TOOLS`), so nothing
    /// guarantees `scripts/test.sh` installs it.
    #[error(
        "tool `{tool}` is not in the lab's tool table (crates/rdp-doctor-lab/src/tools.rs TOOLS): add it with \
         the Debian package that ships it, and add that package to scripts/test.sh"
    )]
    UnlistedTool {
        /// Program name.
        tool: String,
    },

    /// The operation needs root (CAP_NET_ADMIN / CAP_SYS_ADMIN).
    #[error("{what} requires root (effective uid 0); run the test suite as root")]
    NotRoot {
        /// What was attempted.
        what: &'static str,
    },

    /// A local I/O operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What the lab was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// Generating a test certificate failed.
    #[error("generating test certificate: {0}")]
    Cert(String),

    /// A helper command (`ip`, `iptables`, ...) failed or timed out.
    #[error("command `{command}` failed ({status}):\n{output}")]
    Command {
        /// The command line.
        command: String,
        /// Exit status or "timed out after ...".
        status: String,
        /// Its combined stdout/stderr (tail).
        output: String,
    },

    /// The caller passed something the lab cannot use (e.g. a `:` in a
    /// SAM user name).
    #[error("invalid lab input: {0}")]
    InvalidInput(String),

    /// A server process did not become ready.
    #[error("{server} did not start: {reason}\n--- log tail ---\n{log_tail}")]
    StartFailed {
        /// Server name, e.g. `xrdp-expired-cert`.
        server: String,
        /// What went wrong (exited with status, timed out, ...).
        reason: String,
        /// Tail of the captured stdout/stderr of its processes.
        log_tail: String,
    },
}

impl LabError {
    /// `true` when the failure is about the machine (missing package, not
    /// root) rather than about a server misbehaving. Callers that really
    /// want to skip on an unprepared developer machine can test this; CI
    /// should never skip.
    pub fn is_missing_prerequisite(&self) -> bool {
        matches!(self, Self::MissingTool { .. } | Self::NotRoot { .. })
    }

    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io { context: context.into(), source }
    }
}
