//! A Windows program on a pseudo-terminal: Wine gives a program whose standard handles are a terminal a
//! real console (its Unix console backend, `conhost --unix`, reads and draws on that terminal), so the
//! paths that need a console run as at a Windows console: `CONIN$`, `ReadConsoleW` with echo off (the
//! password prompt), `GetConsoleMode`. Without a terminal a program under Wine has no console at all.
//!
//! [`WineCommand::run_on_terminal`] runs a dialogue: wait until the screen shows a text, then type bytes;
//! everything the program drew (stdout and stderr, with the console's escape sequences) is the output's
//! `stdout`. The deadline and the kill by PID are those of [`WineCommand::run`].

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::fs::OFlags;
use rustix::pty::OpenptFlags;

use super::{WineCommand, WineOutput};
use crate::LabError;

/// One step of a terminal dialogue: when the screen (everything drawn so far) contains `wait_for` and the
/// program is reading its console, type `then_type`.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// Text to wait for on the screen (after the previous step's).
    pub wait_for: &'a str,
    /// Bytes typed then, as a keyboard would (`\r` is Enter).
    pub then_type: &'a [u8],
}

impl WineCommand<'_> {
    /// Runs the program with a pseudo-terminal as its standard input, output and error, typing each
    /// step's bytes once its text is on the screen. The screen's bytes are the output's `stdout` (its
    /// `stderr` is empty); a step whose text never shows leaves the program to the deadline.
    pub fn run_on_terminal(self, steps: &[Step<'_>]) -> Result<WineOutput, LabError> {
        let io = |what: &str, e: rustix::io::Errno| LabError::io(what.to_owned(), std::io::Error::from(e));
        let master = rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY)
            .map_err(|e| io("opening a pseudo-terminal", e))?;
        rustix::pty::grantpt(&master).map_err(|e| io("grantpt", e))?;
        rustix::pty::unlockpt(&master).map_err(|e| io("unlockpt", e))?;
        let name = rustix::pty::ptsname(&master, Vec::new()).map_err(|e| io("ptsname", e))?;
        let size = rustix::termios::Winsize { ws_row: 40, ws_col: 120, ws_xpixel: 0, ws_ypixel: 0 };
        rustix::termios::tcsetwinsize(&master, size).map_err(|e| io("setting the terminal size", e))?;
        rustix::fs::fcntl_setfl(&master, OFlags::NONBLOCK | OFlags::RDWR).map_err(|e| io("O_NONBLOCK", e))?;
        let mut master = File::from(master);
        let slave_path = OsStr::from_bytes(name.as_bytes());
        let slave = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(i32::try_from(OFlags::NOCTTY.bits()).unwrap_or_default())
            .open(slave_path)
            .map_err(|e| LabError::io(format!("opening {}", slave_path.to_string_lossy()), e))?;
        let dup = |f: &File| f.try_clone().map_err(|e| LabError::io("duplicating the terminal", e));

        let command = std::iter::once(self.exe.to_string_lossy().into_owned())
            .chain(self.args.iter().map(|a| a.to_string_lossy().into_owned()))
            .collect::<Vec<_>>()
            .join(" ");
        let mut cmd = Command::new(&self.prefix.wine64);
        cmd.arg(&self.exe)
            .args(&self.args)
            .env("WINEPREFIX", &self.prefix.path)
            .env("WINEDEBUG", "-all")
            .env("DISPLAY", "")
            .env("TERM", "xterm")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::from(dup(&slave)?))
            .stdout(Stdio::from(dup(&slave)?))
            .stderr(Stdio::from(slave));
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let start = Instant::now();
        let mut child = cmd.spawn().map_err(|e| LabError::io(format!("starting `wine64 {command}`"), e))?;
        drop(cmd); // our copies of the terminal's slave side: only the program holds it now

        let deadline = start + self.timeout;
        let mut screen = Vec::new();
        let mut next = 0; // the next step
        let mut seen_from = 0; // where the next step's text is looked for
        let mut exited_at: Option<Instant> = None;
        let mut buf = [0u8; 4096];
        let (code, timed_out) = loop {
            let mut progressed = false;
            match master.read(&mut buf) {
                Ok(0) => {}
                Ok(n) => {
                    screen.extend_from_slice(buf.get(..n).unwrap_or_default());
                    progressed = true;
                }
                // WouldBlock: nothing drawn yet; EIO: every holder of the slave side has closed it.
                Err(_) => {}
            }
            if let Some(step) = steps.get(next) {
                let tail = screen.get(seen_from..).unwrap_or_default();
                // Wine's console puts the terminal in raw mode when the program starts reading; before that
                // the Linux terminal itself would echo what is typed, which a Windows console never does.
                let reading = rustix::termios::tcgetattr(&master)
                    .is_ok_and(|t| !t.local_modes.contains(rustix::termios::LocalModes::ECHO));
                if let Some(at) = find(tail, step.wait_for.as_bytes()).filter(|_| reading) {
                    master.write_all(step.then_type).map_err(|e| LabError::io("typing on the terminal", e))?;
                    seen_from += at + step.wait_for.len();
                    next += 1;
                }
            }
            match (exited_at, child.try_wait()) {
                // Collect what is still in the terminal's buffer for a moment after the exit.
                (Some(t), _) if t.elapsed() > Duration::from_millis(300) && !progressed => {
                    break (child.try_wait().ok().flatten().and_then(|s| s.code()), false);
                }
                (None, Ok(Some(_))) => exited_at = Some(Instant::now()),
                (None, Ok(None)) if Instant::now() >= deadline => {
                    let _ = child.kill(); // by PID: the Windows process itself
                    let _ = child.wait();
                    break (None, true);
                }
                (_, Err(e)) => return Err(LabError::io(format!("waiting for `wine64 {command}`"), e)),
                _ => {}
            }
            if !progressed {
                std::thread::sleep(Duration::from_millis(10));
            }
        };
        Ok(WineOutput { code, stdout: screen, stderr: Vec::new(), timed_out, elapsed: start.elapsed(), command })
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}
