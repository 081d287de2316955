//! Finding external programs and running short helper commands with a time
//! bound.

use std::ffi::OsStr;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::LabError;

/// Program name → Debian 12 package that provides it.
const PACKAGES: &[(&str, &str)] = &[
    ("xrdp", "xrdp"),
    ("freerdp-shadow-cli", "freerdp2-shadow-x11"),
    ("xfreerdp", "freerdp2-x11"),
    ("Xvfb", "xvfb"),
    ("ip", "iproute2"),
    ("iptables", "iptables"),
    ("iptables-legacy", "iptables"),
    ("unshare", "util-linux"),
    ("mount", "mount"),
    ("openssl", "openssl"),
    ("nmap", "nmap"),
    ("tshark", "tshark"),
];

/// Directories searched in addition to `$PATH`. Several tools live in
/// `/usr/sbin` (`xrdp`, `ip`, `iptables`), which is not on a normal user's
/// `$PATH`.
const EXTRA_DIRS: &[&str] = &["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/// The Debian package that provides `tool`, if the lab knows it.
pub fn package_for(tool: &str) -> &'static str {
    PACKAGES.iter().find(|(t, _)| *t == tool).map_or("(unknown package)", |(_, p)| p)
}

/// Locates `tool` on `$PATH` or in the sbin directories and returns its
/// absolute path, or [`LabError::MissingTool`] naming the Debian package to
/// install.
pub fn require(tool: &str) -> Result<PathBuf, LabError> {
    find_tool(tool).ok_or_else(|| LabError::MissingTool { tool: tool.to_owned(), package: package_for(tool) })
}

fn find_tool(tool: &str) -> Option<PathBuf> {
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path_var)
        .chain(EXTRA_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(tool))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Fails with [`LabError::NotRoot`] unless the effective uid is 0.
///
/// Network namespaces, veth pairs and iptables need CAP_NET_ADMIN; xrdp
/// needs to read `/etc/xrdp/key.pem` and `/etc/xrdp/rsakeys.ini`, which are
/// not world-readable.
pub fn require_root(what: &'static str) -> Result<(), LabError> {
    if rustix::process::geteuid().is_root() { Ok(()) } else { Err(LabError::NotRoot { what }) }
}

/// Runs a short helper command to completion, killing it after `limit`.
///
/// Output goes to an anonymous temporary file rather than a pipe, so there
/// is no pipe to drain and no reader thread: we simply poll `try_wait`.
/// Returns the combined stdout/stderr on success.
pub(crate) fn run_bounded<I, S>(program: &Path, args: I, limit: Duration) -> Result<String, LabError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let command_line = std::iter::once(program.display().to_string())
        .chain(args.iter().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = tempfile::tempfile().map_err(|e| LabError::io("creating temp file", e))?;
    let out_clone = |f: &std::fs::File| f.try_clone().map_err(|e| LabError::io("duplicating temp file handle", e));
    let mut child = Command::new(program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out_clone(&out)?))
        .stderr(Stdio::from(out_clone(&out)?))
        .spawn()
        .map_err(|e| LabError::io(format!("spawning `{command_line}`"), e))?;

    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(LabError::io(format!("waiting for `{command_line}`"), e)),
        }
    };

    let mut output = String::new();
    let _ = out.seek(SeekFrom::Start(0));
    let _ = out.read_to_string(&mut output);
    match status {
        Some(s) if s.success() => Ok(output),
        Some(s) => Err(LabError::Command { command: command_line, status: s.to_string(), output: tail(&output, 2000) }),
        None => Err(LabError::Command {
            command: command_line,
            status: format!("timed out after {limit:?}, killed"),
            output: tail(&output, 2000),
        }),
    }
}

/// The last `max` bytes of `s`, cut at a character boundary.
pub(crate) fn tail(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    format!("[...]{}", s.get(start..).unwrap_or_default())
}
