//! Finding external programs and running short helper commands with a time
//! bound.
//!
//! [`TOOLS`] is the one list of every external program the test suite and
//! the benches run, with the Debian 12 package that ships it. [`require`]
//! refuses a program that is not listed (so a new tool cannot slip in
//! unlisted), error messages name the package from the list, and
//! `tests/tools.rs` checks with `dpkg -S` that each program really belongs to
//! its package and that `scripts/test.sh` installs that package — a tool one
//! machine got by hand fails the suite everywhere.

use std::ffi::OsStr;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::LabError;

/// An external program the suite or a bench runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tool {
    /// The program's file name, as looked up on `$PATH` and the sbin directories.
    pub name: &'static str,
    /// The Debian 12 package that ships it (what `dpkg -S` names); `scripts/test.sh` installs it.
    pub package: &'static str,
    /// What the suite uses it for.
    pub used_for: &'static str,
}

const fn tool(name: &'static str, package: &'static str, used_for: &'static str) -> Tool {
    Tool { name, package, used_for }
}

/// Every external program the test suite and the benches run. Keep in step with `scripts/test.sh`
/// (`tests/tools.rs` fails otherwise).
pub const TOOLS: &[Tool] = &[
    tool("xrdp", "xrdp", "the lab's real RDP server (8 variants)"),
    tool("freerdp-shadow-cli", "freerdp2-shadow-x11", "FreeRDP's shadow server (NLA, TLS)"),
    tool("xfreerdp", "freerdp2-x11", "the reference client (+auth-only, gateway, .rdp files)"),
    tool("Xvfb", "xvfb", "the X display of the shadow server and xfreerdp"),
    tool("ip", "iproute2", "network namespaces and veth pairs"),
    tool("iptables", "iptables", "DROP/REJECT rules inside the lab's namespaces"),
    tool("iptables-legacy", "iptables", "fallback when the nft backend refuses a rule"),
    tool("unshare", "util-linux", "a private mount namespace for xrdp's run directory"),
    tool("mount", "mount", "bind-mounting xrdp's run directory"),
    tool("openssl", "openssl", "a DTLS 1.2 server for the gateway UDP probe"),
    tool("nmap", "nmap", "the benches' anchor (rdp-enum-encryption)"),
    tool("tshark", "tshark", "cross-checks of the capture reader"),
    tool("dumpcap", "wireshark-common", "capturing lab runs for the capture tests"),
    tool("editcap", "wireshark-common", "injecting TLS secrets into a capture (DSB)"),
    tool("krb5kdc", "krb5-kdc", "the Kerberos lab's real MIT KDC"),
    tool("kdb5_util", "krb5-kdc", "creating the Kerberos lab's realm database"),
    tool("kadmin.local", "krb5-admin-server", "adding the Kerberos lab's principals"),
    tool("kinit", "krb5-user", "the Kerberos lab's reference client (AS exchange)"),
    tool("kvno", "krb5-user", "the Kerberos lab's reference client (TGS exchange)"),
    tool("timeout", "coreutils", "bounding every external client's run"),
    tool("sh", "dash", "the lab's process tests"),
    tool("dpkg", "dpkg", "checking this table (tests/tools.rs)"),
    tool("time", "time", "peak memory in bench/capture.sh (GNU time)"),
    tool("prometheus", "prometheus", "scraping the exporter (rdp-doctor serve) and federating it"),
    tool("promtool", "prometheus", "checking and unit-testing contrib/prometheus/rdp-alerts.yml"),
    tool("icinga2", "icinga2-bin", "validating contrib/icinga2/rdp.conf (icinga2 daemon -C)"),
    tool("cmark-gfm", "cmark-gfm", "rendering the Markdown reports as GitHub does (untrusted text stays text)"),
    tool(
        "chromium",
        "chromium",
        "opening the HTML reports headless (console, network, DOM, screenshots) and the report bench",
    ),
    tool("evtx_dump.py", "python3-evtx", "a second evtx reader for the client log fixtures' evtx form"),
    tool("hivexregedit", "libwin-hivex-perl", "faulty variants of real registry hives for the host tests"),
    tool("xz", "xz-utils", "unpacking the real hives of the host tests"),
    tool(
        "python3",
        "python3-minimal",
        "scan tests: reports against docs/report.schema.json (python3-jsonschema), CSV via the csv module",
    ),
    tool("wine64", "wine64", "running rdp-doctor.exe and Wine's reg.exe (wine.rs)"),
    tool("wineserver64", "wine64", "stopping a private Wine prefix's server (wine.rs)"),
    tool("x86_64-w64-mingw32-gcc", "gcc-mingw-w64-x86-64-win32", "the shim DLL of the Wine harness (wine.rs)"),
];

/// Debian's own program directories, searched before `$PATH`: the table names Debian packages, so a copy
/// that shadows one on `$PATH` (a pyenv shim for `python3`, a hand-built tool in `/usr/local`) is not the
/// one run. Several tools live in `/usr/sbin` (`xrdp`, `ip`, `iptables`), which is not on a normal user's
/// `$PATH`. Debian's `wine64` keeps its loader in `/usr/lib/wine` (the `wine` wrapper on `$PATH` wants wine32).
const SYSTEM_DIRS: &[&str] = &["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/lib/wine"];
/// Searched after `$PATH`.
const EXTRA_DIRS: &[&str] = &["/usr/local/sbin", "/usr/local/bin"];

/// The listed tool called `name`.
pub fn tool_named(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|t| t.name == name)
}

/// The Debian package that provides `tool`, or `(not in the lab's tool table)`.
pub fn package_for(tool: &str) -> &'static str {
    tool_named(tool).map_or("(not in the lab's tool table)", |t| t.package)
}

/// Locates `tool` in Debian's program directories, on `$PATH` or in `/usr/local` and returns its
/// absolute path; [`LabError::MissingTool`] names the Debian package to
/// install; [`LabError::UnlistedTool`] when `tool` is not in [`TOOLS`].
pub fn require(tool: &str) -> Result<PathBuf, LabError> {
    let Some(listed) = tool_named(tool) else { return Err(LabError::UnlistedTool { tool: tool.to_owned() }) };
    find_tool(tool).ok_or_else(|| LabError::MissingTool { tool: tool.to_owned(), package: listed.package })
}

/// Where `tool` is on `$PATH` or in the sbin directories, listed or not.
pub fn find_tool(tool: &str) -> Option<PathBuf> {
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    SYSTEM_DIRS
        .iter()
        .map(PathBuf::from)
        .chain(std::env::split_paths(&path_var))
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
