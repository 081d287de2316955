//! Running Windows programs under Wine (issue 16): the harness of every Windows test.
//!
//! Debian's `wine64` 8.0 runs a Rust `x86_64-pc-windows-gnu` program once one gap is filled: Rust's
//! standard library asks `bcryptprimitives.dll` for `ProcessPrng` (Windows 10+), which Wine 8.0 does not
//! ship. [`Wine`] compiles a shim with the mingw C compiler (`SHIM_SOURCE`: `ProcessPrng` calls
//! `BCryptGenRandom`, which Wine has) and installs it in the prefix's `system32`, where Windows keeps the
//! real one. The shim lives only in the test prefix: nothing of it is in the shipped `.exe`, and a build
//! directory never holds it.
//!
//! # Use
//!
//! ```no_run
//! use std::time::Duration;
//! use rdp_doctor_lab::wine::{self, Wine};
//!
//! // Skips loudly on a developer machine without Wine; fails in CI (CI=true), which installs it.
//! let Some(wine) = wine::wine_or_skip("my test") else { return };
//! let prefix = wine.shared_prefix().unwrap(); // created once, reused by every test and test binary
//! let exe = wine::build_windows_exe("rdp-doctor", "rdp-doctor").unwrap(); // cargo build --target …-windows-gnu
//! let out = prefix
//!     .command(&exe)
//!     .args(["explain", "0x904", "0x7", "--json"])
//!     .env("NO_COLOR", "1")
//!     .stdin(b"")
//!     .timeout(Duration::from_secs(60))
//!     .run()
//!     .unwrap();
//! assert_eq!(out.code, Some(0), "{}", out.describe());
//!
//! // Windows state for a collector under test (issues 17, 23): a private prefix per scenario, so parallel
//! // tests do not see each other's registry.
//! let p = wine.private_prefix("rdp-tcp-nla-off").unwrap();
//! p.reg_add(r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp", "UserAuthentication",
//!     wine::RegValue::Dword(0)).unwrap();
//! p.add_certificate("Root", &std::fs::read("/path/to/ca.der").unwrap()).unwrap();
//! let arg = p.windows_path(std::path::Path::new("/tmp/x.rdp")); // Z:\tmp\x.rdp
//! ```
//!
//! * **Prefixes.** [`Wine::shared_prefix`] lives in the cargo target directory (`<target>/wine/prefix`, or
//!   `$RDP_DOCTOR_WINEPREFIX`), is created once (`wineboot --init`, about 20 s) under a file lock and then
//!   reused by every test binary and later runs, while the Wine version and the shim stay the same. Do not
//!   write registry state there that another test could read; use [`Wine::private_prefix`] (a fresh
//!   prefix in a lab temp directory, removed with its wineserver on drop) for that.
//! * **Running.** [`WinePrefix::command`] runs a Windows program with `WINEDEBUG=-all`, an empty `DISPLAY`
//!   (no window ever opens), stdin from bytes (or empty), stdout and stderr captured apart into files
//!   (no pipe to drain), and a deadline after which the program is killed by its PID; [`WineOutput`] says
//!   which. The exit code is the Windows process's (`ExitProcess`). [`WineCommand::run_on_terminal`] runs
//!   it on a pseudo-terminal instead, which gives it a console (Wine's Unix console backend), and types
//!   each [`Step`]'s bytes once its text is on the screen: the console-only paths (the password prompt).
//! * **Registry and certificates.** [`WinePrefix::reg_add`] runs Wine's own `reg.exe add … /f`;
//!   [`WinePrefix::add_certificate`] writes a certificate into a system store's registry key in the format
//!   crypt32 reads (`HKLM\Software\Microsoft\SystemCertificates\<store>\Certificates\<SHA-1>`, value `Blob`).
//! * **Paths.** Wine maps `Z:` to `/`: [`WinePrefix::windows_path`] turns a Linux path into the path a
//!   Windows program is given; [`WinePrefix::drive_c`] is where `C:\` lives, for drive-letter paths.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::LabError;
use crate::tools::{require, run_bounded};

mod terminal;
pub use terminal::Step;

/// The Rust target triple of the Windows build.
pub const WINDOWS_TARGET: &str = "x86_64-pc-windows-gnu";

/// The shim DLL's source: `ProcessPrng` (what Rust's std calls for randomness on Windows 10+) forwarded to
/// `BCryptGenRandom` with the system RNG. Built with `x86_64-w64-mingw32-gcc -shared … -lbcrypt`.
const SHIM_SOURCE: &str = r#"/* rdp-doctor-lab: Wine 8.0 has no bcryptprimitives.dll; Rust's std needs ProcessPrng from it. */
#include <windows.h>
#include <bcrypt.h>
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    return BCryptGenRandom(NULL, data, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0;
}
"#;

/// A helper that opens a file without sharing it and keeps it open for the given seconds.
const HOLD_SOURCE: &str = r#"/* rdp-doctor-lab: holds a file open with share mode 0 (a "file in use" on Windows). */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
int wmain(int argc, wchar_t **argv) {
    if (argc < 3) return 2;
    HANDLE h = CreateFileW(argv[1], GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) { printf("error %lu\n", GetLastError()); fflush(stdout); return 1; }
    printf("locked\n");
    fflush(stdout);
    Sleep((DWORD)_wtoi(argv[2]) * 1000);
    CloseHandle(h);
    return 0;
}
"#;

/// The shim's file name: the DLL Windows 10 ships in `system32`.
const SHIM_DLL: &str = "bcryptprimitives.dll";

/// How long creating a prefix (`wineboot --init`) may take.
const PREFIX_TIMEOUT: Duration = Duration::from_secs(180);

/// Wine on this machine: `wine64` and `wineserver64`, and the shim DLL built for it.
#[derive(Debug)]
pub struct Wine {
    wine64: PathBuf,
    wineserver: PathBuf,
    version: String,
    /// The directory holding the shim DLL and the shared prefix.
    root: PathBuf,
    shim: PathBuf,
    shared: OnceLock<Result<WinePrefix, String>>,
}

/// A Wine prefix (a `C:` drive and a registry) with the shim installed.
#[derive(Debug)]
pub struct WinePrefix {
    path: PathBuf,
    wine64: PathBuf,
    wineserver: PathBuf,
    /// A private prefix's directory, removed on drop (after its wineserver is stopped).
    temp: Option<tempfile::TempDir>,
}

/// What a Windows program did.
#[derive(Debug, Clone)]
pub struct WineOutput {
    /// The exit code (`None` when it was killed at the deadline or by a signal).
    pub code: Option<i32>,
    /// Everything it wrote to stdout.
    pub stdout: Vec<u8>,
    /// Everything it wrote to stderr (Wine's own messages included).
    pub stderr: Vec<u8>,
    /// Killed at the deadline.
    pub timed_out: bool,
    /// Wall time of the run, Wine's start-up included.
    pub elapsed: Duration,
    /// The command line, for messages.
    pub command: String,
}

/// A registry value for [`WinePrefix::reg_add`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegValue {
    /// `REG_DWORD`.
    Dword(u32),
    /// `REG_SZ`.
    String(String),
    /// `REG_EXPAND_SZ`.
    ExpandString(String),
    /// `REG_MULTI_SZ`.
    MultiString(Vec<String>),
    /// `REG_BINARY`.
    Binary(Vec<u8>),
}

static WINE: OnceLock<Result<Wine, LabError>> = OnceLock::new();

/// Wine, found once per process: `wine64` and `wineserver64` (Debian's `wine64` package), with the shim
/// DLL compiled (Debian's mingw-w64 C compiler). [`LabError::MissingTool`] names the missing package.
pub fn wine() -> Result<&'static Wine, LabError> {
    match WINE.get_or_init(Wine::find) {
        Ok(w) => Ok(w),
        Err(e) => Err(clone_error(e)),
    }
}

/// [`wine`], or `None` with a loud message when Wine or the mingw compiler is missing on a developer
/// machine. In CI (`CI` set) a missing prerequisite fails the test instead: CI installs it
/// (scripts/test.sh), so a skip there would hide a broken install.
#[allow(clippy::panic)]
pub fn wine_or_skip(test: &str) -> Option<&'static Wine> {
    match wine() {
        Ok(w) => Some(w),
        Err(e) if e.is_missing_prerequisite() && std::env::var_os("CI").is_none() => {
            eprintln!(
                "\n\n*** SKIPPED {test}: Wine is not usable here: {e}\n*** run scripts/test.sh (it installs wine64 \
                 and gcc-mingw-w64-x86-64); CI runs this test\n"
            );
            None
        }
        Err(e) => panic!("{test}: Wine is not usable: {e}"),
    }
}

impl Wine {
    fn find() -> Result<Self, LabError> {
        let wine64 = require("wine64")?;
        let wineserver = require("wineserver64")?;
        let gcc = require("x86_64-w64-mingw32-gcc")?;
        let version = run_bounded(&wine64, ["--version"], Duration::from_secs(30))?.trim().to_owned();
        let root = match std::env::var_os("RDP_DOCTOR_WINEPREFIX") {
            Some(p) => PathBuf::from(p).with_extension("lab"),
            None => target_dir()?.join("wine"),
        };
        std::fs::create_dir_all(&root).map_err(|e| LabError::io(format!("creating {}", root.display()), e))?;
        let shim = build_shim(&gcc, &root)?;
        Ok(Self { wine64, wineserver, version, root, shim, shared: OnceLock::new() })
    }

    /// `wine64 --version`, e.g. `wine-8.0 (Debian 8.0~repack-4)`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The prefix every test shares: created once (under a file lock, so parallel test binaries wait for
    /// one another), reused while the Wine version and the shim stay the same.
    pub fn shared_prefix(&self) -> Result<&WinePrefix, LabError> {
        let r = self.shared.get_or_init(|| {
            let path =
                std::env::var_os("RDP_DOCTOR_WINEPREFIX").map_or_else(|| self.root.join("prefix"), PathBuf::from);
            self.open_shared(&path).map_err(|e| e.to_string())
        });
        match r {
            Ok(p) => Ok(p),
            Err(e) => Err(LabError::StartFailed {
                server: "wine prefix".to_owned(),
                reason: e.clone(),
                log_tail: String::new(),
            }),
        }
    }

    fn open_shared(&self, path: &Path) -> Result<WinePrefix, LabError> {
        let lock_path = self.root.join("prefix.lock");
        let lock =
            File::create(&lock_path).map_err(|e| LabError::io(format!("creating {}", lock_path.display()), e))?;
        lock.lock().map_err(|e| LabError::io("locking the shared Wine prefix", e))?;
        let stamp = format!("{}\n{}\n", self.version, hex(&<sha1::Sha1 as sha1::Digest>::digest(SHIM_SOURCE)));
        let stamp_path = path.join("rdp-doctor-lab.ready");
        let prefix = WinePrefix {
            path: path.to_path_buf(),
            wine64: self.wine64.clone(),
            wineserver: self.wineserver.clone(),
            temp: None,
        };
        if std::fs::read_to_string(&stamp_path).ok().as_deref() != Some(stamp.as_str()) {
            if path.exists() {
                std::fs::remove_dir_all(path)
                    .map_err(|e| LabError::io(format!("removing the outdated prefix {}", path.display()), e))?;
            }
            prefix.init(&self.shim)?;
            std::fs::write(&stamp_path, stamp).map_err(|e| LabError::io("marking the Wine prefix ready", e))?;
        }
        drop(lock);
        Ok(prefix)
    }

    /// A fresh prefix of its own (about 20 s to create), for a test that seeds Windows state (registry,
    /// certificate stores, files under `C:`). Dropping it stops its wineserver and removes it.
    pub fn private_prefix(&self, name: &str) -> Result<WinePrefix, LabError> {
        let dir = crate::lab_tempdir(&format!("wine-{name}"))?;
        let prefix = WinePrefix {
            path: dir.path().join("prefix"),
            wine64: self.wine64.clone(),
            wineserver: self.wineserver.clone(),
            temp: Some(dir),
        };
        prefix.init(&self.shim)?;
        Ok(prefix)
    }
}

impl WinePrefix {
    /// Creates the prefix (`wineboot --init`, without Mono and Gecko, which would ask to be downloaded) and
    /// installs the shim in `system32`.
    fn init(&self, shim: &Path) -> Result<(), LabError> {
        let out = self
            .command_raw("wineboot")
            .args(["--init"])
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .timeout(PREFIX_TIMEOUT)
            .run()?;
        if out.code != Some(0) {
            return Err(LabError::StartFailed {
                server: "wine prefix".to_owned(),
                reason: format!("`wineboot --init` in {} failed", self.path.display()),
                log_tail: out.describe(),
            });
        }
        let system32 = self.drive_c().join("windows/system32");
        std::fs::copy(shim, system32.join(SHIM_DLL))
            .map_err(|e| LabError::io(format!("installing the {SHIM_DLL} shim in {}", system32.display()), e))?;
        Ok(())
    }

    /// The prefix directory (`WINEPREFIX`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where `C:\` is.
    pub fn drive_c(&self) -> PathBuf {
        self.path.join("drive_c")
    }

    /// The path a Windows program sees for the Linux path `p` (Wine maps `Z:` to `/`): `Z:\tmp\a b.rdp`.
    /// A path under [`WinePrefix::drive_c`] becomes a `C:\` path.
    pub fn windows_path(&self, p: &Path) -> String {
        let c = self.drive_c();
        let (drive, rest) = match p.strip_prefix(&c) {
            Ok(rest) => ("C:", rest.to_string_lossy().into_owned()),
            Err(_) => ("Z:", p.to_string_lossy().trim_start_matches('/').to_owned()),
        };
        format!("{drive}\\{}", rest.replace('/', "\\"))
    }

    /// A Windows program to run in this prefix: a path to an `.exe`, or the name of one of Wine's own
    /// programs (`reg`, `cmd`, `wineboot`).
    pub fn command(&self, exe: impl AsRef<OsStr>) -> WineCommand<'_> {
        self.command_raw(exe)
    }

    fn command_raw(&self, exe: impl AsRef<OsStr>) -> WineCommand<'_> {
        WineCommand {
            prefix: self,
            exe: exe.as_ref().to_owned(),
            args: Vec::new(),
            env: Vec::new(),
            stdin: Vec::new(),
            timeout: Duration::from_secs(120),
        }
    }

    /// `reg add KEY /v NAME /t TYPE /d DATA /f` with Wine's `reg.exe`. `key` is a full key path with its
    /// hive (`HKLM\SOFTWARE\…`, `HKCU\…`).
    pub fn reg_add(&self, key: &str, name: &str, value: RegValue) -> Result<(), LabError> {
        let (kind, data) = match value {
            RegValue::Dword(v) => ("REG_DWORD", v.to_string()),
            RegValue::String(s) => ("REG_SZ", s),
            RegValue::ExpandString(s) => ("REG_EXPAND_SZ", s),
            RegValue::MultiString(v) => ("REG_MULTI_SZ", v.join("\\0")),
            RegValue::Binary(b) => ("REG_BINARY", hex(&b)),
        };
        let out = self
            .command_raw("reg")
            .args(["add", key, "/v", name, "/t", kind, "/d", &data, "/f"])
            .timeout(Duration::from_secs(60))
            .run()?;
        if out.code == Some(0) {
            Ok(())
        } else {
            Err(LabError::Command {
                command: out.command.clone(),
                status: format!("{:?}", out.code),
                output: out.describe(),
            })
        }
    }

    /// Holds `path` open the way a program that does not share its file does (`CreateFileW` with share mode
    /// 0), so other programs get `ERROR_SHARING_VIOLATION`, until the returned child is dropped (at most
    /// `limit`). The helper is built with the mingw C compiler next to the shim.
    pub fn hold_file_exclusively(&self, path: &Path, limit: Duration) -> Result<WineChild, LabError> {
        let wine = wine()?;
        let exe =
            build_c_program(&require("x86_64-w64-mingw32-gcc")?, &wine.root, "hold-file", HOLD_SOURCE, &["-municode"])?;
        let secs = limit.as_secs().max(1).to_string();
        let mut child = self.command(&exe).args([OsString::from(self.windows_path(path)), secs.into()]).spawn()?;
        child.wait_for_stdout("locked", Duration::from_secs(60))?;
        Ok(child)
    }

    /// Adds the first certificate of a PEM file (or a DER file) to the machine's system store `store`.
    pub fn add_certificate_file(&self, store: &str, path: &Path) -> Result<(), LabError> {
        let bytes = std::fs::read(path).map_err(|e| LabError::io(format!("reading {}", path.display()), e))?;
        let der = match std::str::from_utf8(&bytes).ok().and_then(|t| t.split_once("-----BEGIN CERTIFICATE-----")) {
            Some((_, rest)) => {
                let body = rest.split("-----END CERTIFICATE-----").next().unwrap_or_default();
                let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64)
                    .map_err(|e| LabError::InvalidInput(format!("{}: bad PEM: {e}", path.display())))?
            }
            None => bytes,
        };
        self.add_certificate(store, &der)
    }

    /// Adds a DER certificate to the machine's system store `store` (`Root`, `CA`, `My`, `Remote Desktop`),
    /// as `certutil -addstore` would: the registry key crypt32 reads, named by the certificate's SHA-1
    /// thumbprint, value `Blob` holding the serialized `CERT_CERT_PROP_ID` (32) element.
    pub fn add_certificate(&self, store: &str, der: &[u8]) -> Result<(), LabError> {
        let thumbprint = hex(&<sha1::Sha1 as sha1::Digest>::digest(der));
        let mut blob = Vec::with_capacity(der.len() + 12);
        blob.extend_from_slice(&32u32.to_le_bytes()); // CERT_CERT_PROP_ID
        blob.extend_from_slice(&1u32.to_le_bytes()); // reserved, always 1
        let len =
            u32::try_from(der.len()).map_err(|_| LabError::InvalidInput("certificate larger than 4 GiB".into()))?;
        blob.extend_from_slice(&len.to_le_bytes());
        blob.extend_from_slice(der);
        let key = format!(r"HKLM\Software\Microsoft\SystemCertificates\{store}\Certificates\{thumbprint}");
        self.reg_add(&key, "Blob", RegValue::Binary(blob))
    }
}

impl Drop for WinePrefix {
    /// A private prefix: stop its wineserver (and with it any program still running in this prefix, all of
    /// them ours) before its directory is removed. The shared prefix's wineserver exits by itself a few
    /// seconds after its last program.
    fn drop(&mut self) {
        if self.temp.is_some() {
            let _ = Command::new(&self.wineserver)
                .arg("-k")
                .env("WINEPREFIX", &self.path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// One run of a Windows program: built by [`WinePrefix::command`].
#[derive(Debug)]
pub struct WineCommand<'a> {
    prefix: &'a WinePrefix,
    exe: OsString,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    stdin: Vec<u8>,
    timeout: Duration,
}

impl WineCommand<'_> {
    /// Adds arguments (passed to the Windows program as its command line, quoted by Wine).
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable (Windows programs see the Unix environment).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// What the program reads on stdin (default: nothing, end of file at once).
    pub fn stdin(mut self, bytes: &[u8]) -> Self {
        bytes.clone_into(&mut self.stdin);
        self
    }

    /// The deadline after which the program is killed (default 120 s).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = limit;
        self
    }

    /// Runs it to completion or the deadline. `Err` only when it could not be started.
    pub fn run(self) -> Result<WineOutput, LabError> {
        let timeout = self.timeout;
        let mut c = self.spawn()?;
        let deadline = c.start + timeout;
        let (code, timed_out) = loop {
            match c.child.try_wait() {
                Ok(Some(status)) => break (status.code(), false),
                Ok(None) if Instant::now() >= deadline => {
                    let _ = c.child.kill(); // SIGKILL to this child's PID: the Windows process itself
                    let _ = c.child.wait();
                    break (None, true);
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(LabError::io(format!("waiting for `wine64 {}`", c.command), e)),
            }
        };
        let elapsed = c.start.elapsed();
        let read = |f: &mut File| {
            let mut v = Vec::new();
            let _ = f.seek(SeekFrom::Start(0));
            let _ = f.read_to_end(&mut v);
            v
        };
        let (stdout, stderr) = (read(&mut c.stdout), read(&mut c.stderr));
        Ok(WineOutput { code, stdout, stderr, timed_out, elapsed, command: std::mem::take(&mut c.command) })
    }

    /// Starts it in the background (the deadline does not apply): the returned [`WineChild`] kills it by
    /// PID when dropped.
    pub fn spawn(self) -> Result<WineChild, LabError> {
        let command = std::iter::once(self.exe.to_string_lossy().into_owned())
            .chain(self.args.iter().map(|a| a.to_string_lossy().into_owned()))
            .collect::<Vec<_>>()
            .join(" ");
        let temp =
            |what: &str| tempfile::tempfile().map_err(|e| LabError::io(format!("creating a file for {what}"), e));
        let mut stdin = temp("stdin")?;
        stdin.write_all(&self.stdin).map_err(|e| LabError::io("writing stdin", e))?;
        stdin.seek(SeekFrom::Start(0)).map_err(|e| LabError::io("rewinding stdin", e))?;
        let stdout = temp("stdout")?;
        let stderr = temp("stderr")?;
        let dup = |f: &File| f.try_clone().map_err(|e| LabError::io("duplicating a file handle", e));
        let start = Instant::now();
        let mut cmd = Command::new(&self.prefix.wine64);
        cmd.arg(&self.exe)
            .args(&self.args)
            .env("WINEPREFIX", &self.prefix.path)
            .env("WINEDEBUG", "-all")
            .env("DISPLAY", "")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::from(stdin))
            .stdout(Stdio::from(dup(&stdout)?))
            .stderr(Stdio::from(dup(&stderr)?));
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().map_err(|e| LabError::io(format!("starting `wine64 {command}`"), e))?;
        Ok(WineChild { child, stdout, stderr, command, start })
    }
}

/// A Windows program running in the background ([`WineCommand::spawn`]); killed by its PID on drop.
#[derive(Debug)]
pub struct WineChild {
    child: std::process::Child,
    stdout: File,
    stderr: File,
    command: String,
    start: Instant,
}

impl WineChild {
    /// Waits (at most `limit`) until its stdout contains `text`; `Err` with its output otherwise.
    pub fn wait_for_stdout(&mut self, text: &str, limit: Duration) -> Result<(), LabError> {
        let deadline = Instant::now() + limit;
        loop {
            let mut out = String::new();
            let _ = self.stdout.seek(SeekFrom::Start(0));
            let _ = self.stdout.read_to_string(&mut out);
            if out.contains(text) {
                return Ok(());
            }
            let exited = matches!(self.child.try_wait(), Ok(Some(_)));
            if exited || Instant::now() >= deadline {
                let mut err = String::new();
                let _ = self.stderr.seek(SeekFrom::Start(0));
                let _ = self.stderr.read_to_string(&mut err);
                let why = if exited { "exited" } else { "timed out" };
                return Err(LabError::StartFailed {
                    server: format!("wine64 {}", self.command),
                    reason: format!("{why} before printing {text:?}"),
                    log_tail: format!("{out}\n{err}"),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for WineChild {
    fn drop(&mut self) {
        let _ = self.child.kill(); // by PID: the Windows process itself
        let _ = self.child.wait();
    }
}

impl WineOutput {
    /// stdout as text (lossy).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stderr as text (lossy).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// The command, its exit and the tails of its output, for assertion messages.
    pub fn describe(&self) -> String {
        let how = if self.timed_out { "killed at the deadline".to_owned() } else { format!("exit {:?}", self.code) };
        format!(
            "wine64 {} ({how}, {:.1} s)\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command,
            self.elapsed.as_secs_f64(),
            crate::tools::tail(&self.stdout_text(), 3000),
            crate::tools::tail(&self.stderr_text(), 3000)
        )
    }
}

/// Builds the Windows binary `bin` of workspace package `package` (debug profile, `--locked`) with cargo,
/// into the same target directory as the running test, once per process, and returns the `.exe`'s path.
/// Needs `rustup target add x86_64-pc-windows-gnu` (scripts/test.sh does it) and the mingw linker that
/// `.cargo/config.toml` names.
pub fn build_windows_exe(package: &str, bin: &str) -> Result<PathBuf, LabError> {
    static BUILT: OnceLock<std::sync::Mutex<Vec<(String, PathBuf)>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let key = format!("{package}/{bin}");
    if let Some((_, p)) = built.iter().find(|(k, _)| *k == key) {
        return Ok(p.clone());
    }
    let target = target_dir()?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(&cargo)
        .current_dir(&workspace)
        .args(["build", "--locked", "--target", WINDOWS_TARGET, "-p", package, "--bin", bin, "--target-dir"])
        .arg(&target)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| LabError::io("running cargo build for the Windows target", e))?;
    if !out.status.success() {
        return Err(LabError::Command {
            command: format!("cargo build --locked --target {WINDOWS_TARGET} -p {package} --bin {bin}"),
            status: out.status.to_string(),
            output: crate::tools::tail(&String::from_utf8_lossy(&out.stderr), 4000),
        });
    }
    let exe = target.join(WINDOWS_TARGET).join("debug").join(format!("{bin}.exe"));
    built.push((key, exe.clone()));
    Ok(exe)
}

/// The cargo target directory of the running test: `$CARGO_TARGET_DIR`, else the nearest ancestor of the
/// test executable holding cargo's `CACHEDIR.TAG`.
pub fn target_dir() -> Result<PathBuf, LabError> {
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR") {
        let d = PathBuf::from(d);
        return Ok(if d.is_relative() { Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(d) } else { d });
    }
    let exe = std::env::current_exe().map_err(|e| LabError::io("locating the test executable", e))?;
    exe.ancestors()
        .find(|d| d.join("CACHEDIR.TAG").is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| LabError::InvalidInput(format!("no cargo target directory above {}", exe.display())))
}

/// Compiles the shim DLL into `root` (once per source text); prefixes get a copy named [`SHIM_DLL`].
fn build_shim(gcc: &Path, root: &Path) -> Result<PathBuf, LabError> {
    build_c_program(gcc, root, "bcryptprimitives", SHIM_SOURCE, &["-shared", "-lbcrypt"])
}

/// Compiles a small Windows C program `name` (`.exe`, or `.dll` with `-shared`) into `root`, once per
/// source text: the output's name carries a hash of the source, so parallel test binaries never race on a
/// half-written file (each writes a temporary and renames it).
fn build_c_program(gcc: &Path, root: &Path, name: &str, source: &str, flags: &[&str]) -> Result<PathBuf, LabError> {
    let digest = hex(&<sha1::Sha1 as sha1::Digest>::digest(source.as_bytes()));
    let ext = if flags.contains(&"-shared") { "dll" } else { "exe" };
    let out = root.join(format!("{name}-{}.{ext}", digest.get(..12).unwrap_or(&digest)));
    if out.is_file() {
        return Ok(out);
    }
    let tag = format!("{}-{:?}", std::process::id(), std::thread::current().id()).replace(['(', ')'], "");
    let src = root.join(format!("{name}.{tag}.c"));
    let tmp = root.join(format!("{name}.{tag}.{ext}"));
    std::fs::write(&src, source).map_err(|e| LabError::io(format!("writing {}", src.display()), e))?;
    let mut args: Vec<OsString> = vec!["-O2".into(), "-o".into(), tmp.clone().into(), src.clone().into()];
    // Libraries after the source, flags before: `-lbcrypt` must follow the object that needs it.
    for f in flags {
        if f.starts_with("-l") { args.push(f.into()) } else { args.insert(0, f.into()) }
    }
    let built = run_bounded(gcc, args, Duration::from_secs(120));
    let _ = std::fs::remove_file(&src);
    built?;
    std::fs::rename(&tmp, &out).map_err(|e| LabError::io(format!("placing {}", out.display()), e))?;
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn clone_error(e: &LabError) -> LabError {
    match e {
        LabError::MissingTool { tool, package } => LabError::MissingTool { tool: tool.clone(), package },
        LabError::UnlistedTool { tool } => LabError::UnlistedTool { tool: tool.clone() },
        LabError::NotRoot { what } => LabError::NotRoot { what },
        other => {
            LabError::StartFailed { server: "wine".to_owned(), reason: other.to_string(), log_tail: String::new() }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_drive_letters() {
        let p = WinePrefix { path: "/t/prefix".into(), wine64: "w".into(), wineserver: "s".into(), temp: None };
        assert_eq!(p.windows_path(Path::new("/tmp/a b/ü.rdp")), r"Z:\tmp\a b\ü.rdp");
        assert_eq!(p.windows_path(Path::new("/t/prefix/drive_c/x/y.pcap")), r"C:\x\y.pcap");
    }

    #[test]
    fn thumbprint_is_upper_hex_sha1() {
        assert_eq!(hex(&<sha1::Sha1 as sha1::Digest>::digest(b"abc")), "A9993E364706816ABA3E25717850C26C9CD0D89D");
    }
}
