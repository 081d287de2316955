//! Test lab for rdp-doctor: real RDP servers and unreachable hosts for
//! integration tests.
//!
//! * [`xrdp`] starts xrdp 0.9.21 with a private `xrdp.ini` on a free
//!   loopback port (default certificate, expired certificate, certificate
//!   for another name, or classic RDP security without TLS).
//! * [`shadow`] starts FreeRDP's `freerdp-shadow-cli` on its own `Xvfb`
//!   display (NLA with a generated SAM file, or TLS only).
//! * [`closed_port`] is a loopback port nothing listens on.
//! * [`netns_host`] is an address in a private network namespace behind an
//!   iptables rule that drops or rejects port 3389.
//! * [`wine`] runs Windows builds (`rdp-doctor.exe`) under Wine: a shared
//!   prefix, bounded runs, registry and certificate-store seeding.
//!
//! Everything listens on 127.0.0.1 or inside our own namespace pair; nothing
//! is reachable from outside the machine. Every wait is bounded. Each server
//! is a [`LabServer`] whose Drop stops its processes by PID (never by name)
//! and removes its temporary directory; a [`NetnsHost`] deletes its
//! namespace on Drop. Drop also runs when a test panics, so nothing leaks
//! between tests; a crashed run's servers, tempdirs and namespaces are
//! swept by the next run (see `stale.rs` and `netns.rs`).
//!
//! Servers are safe to start from parallel test threads: each has its own
//! port, config directory, log files and (for the shadow server) X display.
//!
//! Requirements: Debian 12 with the packages `scripts/test.sh` installs,
//! and root (network namespaces, iptables, and xrdp's key files in
//! `/etc/xrdp` are root-only).
//!
//! Linux only: on other targets the crate is empty (the Windows build's tests run its `.exe` under Wine
//! from Linux, see [`wine`]), and the tests that use it are compiled on Linux only.
#![cfg(unix)]

mod browser;
mod certs;
mod delay;
mod error;
pub mod evtx;
mod netns;
mod probe;
mod process;
mod shadow;
mod stale;
mod tools;
pub mod wine;
mod xrdp;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use browser::{Browser, PageLoad};
pub use delay::{DelayProxy, delay_proxy};
pub use error::LabError;
pub use netns::{Firewall, NetnsHost, netns_host};
pub use probe::{X224_PROBE, x224_probe};
pub use shadow::{ShadowVariant, shadow};
pub use tools::{TOOLS, Tool, find_tool, package_for, require, require_root, tool_named};
#[doc(hidden)]
pub use xrdp::xrdp_in_private_mount_ns;
pub use xrdp::{OTHER_CERT_NAME, XrdpVariant, xrdp};

use process::Proc;

/// How long a server may take to accept TCP connections.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// A running RDP server on loopback. Dropping it stops the server.
#[derive(Debug)]
pub struct LabServer {
    /// Short name of the server and variant, e.g. `xrdp-expired-cert`.
    pub name: String,
    /// Where it listens (always 127.0.0.1).
    pub addr: SocketAddr,
    /// The X display the server shows (`Some(n)` means `DISPLAY=:n`), for
    /// the shadow server; `None` for xrdp. Clients such as `xfreerdp` need
    /// a display even with `+auth-only`, and can use this one.
    pub display: Option<u32>,
    /// The certificate file the server presents, where the lab knows it
    /// before the first connection (xrdp variants using TLS).
    pub certificate: Option<PathBuf>,
    /// Wall time from the call until the port accepted connections.
    pub startup: Duration,
    /// In stop order: the server before the X server it shows.
    procs: Vec<Proc>,
    /// Declared after `procs` so it is removed after they are stopped.
    dir: tempfile::TempDir,
}

impl LabServer {
    /// The server's private directory (config, certificates, logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The tail of every process log, for assertion messages.
    pub fn log_tail(&self) -> String {
        process::logs_tail(&self.procs)
    }

    /// PIDs of the processes belonging to this server.
    pub fn pids(&self) -> Vec<u32> {
        self.procs.iter().map(Proc::pid).collect()
    }
}

impl Drop for LabServer {
    /// Stops processes in order (SIGKILL for xrdp; SIGTERM with a bounded
    /// grace period then SIGKILL for the shadow server and Xvfb), waits for
    /// each (bounded), then `dir` is removed when the field is dropped.
    fn drop(&mut self) {
        for p in &mut self.procs {
            p.stop();
        }
    }
}

/// A private directory for one lab server or tool run.
pub(crate) fn lab_tempdir(name: &str) -> Result<tempfile::TempDir, LabError> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("{}{name}-", stale::DIR_PREFIX))
        .tempdir()
        .map_err(|e| LabError::io("creating temporary directory", e))?;
    stale::claim(dir.path());
    Ok(dir)
}

/// A 127.0.0.1 address with nothing listening on it.
///
/// The port is below the kernel's ephemeral range and was free when
/// checked (by binding it and dropping the listener); it is never handed
/// out again by this process, so no parallel test's server will take it.
/// (In the practically impossible case that not even `127.0.0.1:0` can be
/// bound, it returns port 1, `tcpmux`, which nothing on Debian serves.)
pub fn closed_port() -> SocketAddr {
    let port = process::free_loopback_port().unwrap_or(1);
    SocketAddr::from(([127, 0, 0, 1], port))
}
