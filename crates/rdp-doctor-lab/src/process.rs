//! Child processes with captured logs, bounded readiness waits and bounded,
//! PID-based shutdown; plus the loopback port allocator.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, RandomState};
use std::io::{Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};

use crate::LabError;

/// How a process is asked to go away.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StopMode {
    /// SIGKILL straight away: for processes that keep no state worth a
    /// clean shutdown (xrdp in `--nodaemon` mode writes no pid file and its
    /// SIGTERM handler sleeps a full second before exiting).
    Kill,
    /// SIGTERM, then SIGKILL if it is still there after the grace period:
    /// for Xvfb, which removes its `/tmp/.X<n>-lock` and socket on SIGTERM.
    Term(Duration),
}

/// After SIGKILL the kernel reaps quickly; if a process is stuck in
/// uninterruptible sleep we give up rather than hang the test.
const KILL_WAIT: Duration = Duration::from_secs(3);

/// One child process, spawned in its own process group, stdout and stderr
/// appended to a log file. Dropping it stops it (see [`Proc::stop`]).
#[derive(Debug)]
pub(crate) struct Proc {
    pub(crate) label: String,
    child: Child,
    pub(crate) log: PathBuf,
    stop_mode: StopMode,
    /// Set once `wait`/`try_wait` has collected the exit status. After
    /// that the PID may be reused, so we must never signal it again.
    reaped: Option<ExitStatus>,
}

impl Proc {
    /// Spawns `cmd` with stdin from /dev/null and stdout+stderr appended to
    /// `log`.
    ///
    /// `process_group(0)` puts the child in a new process group whose id is
    /// its PID, so [`Proc::stop`] can signal the whole group (this also
    /// covers the `unshare` wrapper used for xrdp and anything a server
    /// forks) without ever matching processes by name. It also keeps a
    /// Ctrl-C in the terminal from hitting the servers before our Drop does.
    pub(crate) fn spawn(
        label: impl Into<String>,
        cmd: Command,
        log: PathBuf,
        stop_mode: StopMode,
    ) -> Result<Self, LabError> {
        Self::spawn_split(label, cmd, log, None, stop_mode)
    }

    /// Like [`Proc::spawn`], but stdout goes to its own file when `stdout`
    /// is given (Xvfb writes its display number there, see `shadow.rs`).
    pub(crate) fn spawn_split(
        label: impl Into<String>,
        mut cmd: Command,
        log: PathBuf,
        stdout: Option<&Path>,
        stop_mode: StopMode,
    ) -> Result<Self, LabError> {
        let label = label.into();
        let file = open_log(&log)?;
        let out = match stdout {
            Some(path) => open_log(path)?,
            None => file.try_clone().map_err(|e| LabError::io("duplicating log file handle", e))?,
        };
        cmd.stdin(Stdio::null()).stdout(Stdio::from(out)).stderr(Stdio::from(file)).process_group(0);
        let child = cmd.spawn().map_err(|e| LabError::io(format!("spawning {label} ({cmd:?})"), e))?;
        if let Some(dir) = log.parent() {
            crate::stale::record(dir, child.id());
        }
        Ok(Self { label, child, log, stop_mode, reaped: None })
    }

    /// The exit status if the process has already exited (reaping it).
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        if self.reaped.is_none()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            self.reaped = Some(status);
        }
        self.reaped
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the process by PID / process group id, bounded in time.
    pub(crate) fn stop(&mut self) {
        if self.exited().is_some() {
            return;
        }
        match self.stop_mode {
            StopMode::Kill => self.signal_group(Signal::KILL),
            StopMode::Term(grace) => {
                self.signal_group(Signal::TERM);
                if self.wait_until(Instant::now() + grace) {
                    return;
                }
                self.signal_group(Signal::KILL);
            }
        }
        if !self.wait_until(Instant::now() + KILL_WAIT) {
            eprintln!(
                "rdp-doctor-lab: {} (pid {}) still running {KILL_WAIT:?} after SIGKILL; giving up",
                self.label,
                self.pid()
            );
        }
    }

    /// Signals the process group led by our child. Only called while the
    /// child is not yet reaped, so the group id cannot have been recycled.
    fn signal_group(&self, sig: Signal) {
        let Ok(raw) = i32::try_from(self.child.id()) else {
            return;
        };
        if let Some(pid) = Pid::from_raw(raw)
            && rustix::process::kill_process_group(pid, sig).is_err()
        {
            // Group already gone: fall back to the process itself.
            let _ = rustix::process::kill_process(pid, sig);
        }
    }

    fn wait_until(&mut self, deadline: Instant) -> bool {
        loop {
            if self.exited().is_some() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

fn open_log(path: &Path) -> Result<File, LabError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| LabError::io(format!("opening log file {}", path.display()), e))
}

/// The last `max` bytes of a log file (lossy UTF-8); empty if unreadable.
pub(crate) fn file_tail(path: &Path, max: u64) -> String {
    let Ok(mut f) = File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(max)));
    let mut buf = Vec::new();
    let _ = f.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Tails of all logs of `procs`, each under a header naming the process.
pub(crate) fn logs_tail(procs: &[Proc]) -> String {
    procs
        .iter()
        .map(|p| format!("== {} (pid {}) {} ==\n{}", p.label, p.pid(), p.log.display(), file_tail(&p.log, 3000)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Why a readiness wait failed.
pub(crate) enum NotReady {
    /// A process exited; the label and status say which and how.
    Exited(String),
    TimedOut,
}

/// Waits until `addr` accepts a TCP connection while every process in
/// `procs` is still running. Bounded by `limit`.
pub(crate) fn wait_for_port(procs: &mut [Proc], addr: SocketAddr, limit: Duration) -> Result<(), NotReady> {
    let deadline = Instant::now() + limit;
    loop {
        for p in procs.iter_mut() {
            if let Some(status) = p.exited() {
                return Err(NotReady::Exited(format!("{} exited early with {status}", p.label)));
            }
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            // The port answers; make sure it is *our* process that answers,
            // not one that grabbed the port while ours failed to bind.
            std::thread::sleep(Duration::from_millis(20));
            for p in procs.iter_mut() {
                if let Some(status) = p.exited() {
                    return Err(NotReady::Exited(format!("{} exited early with {status}", p.label)));
                }
            }
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(NotReady::TimedOut);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Ports handed out by this process; never handed out twice.
static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

/// Lowest port we pick from. The upper bound is the start of the kernel's
/// ephemeral range, so the port cannot be taken as the *source* port of some
/// unrelated outgoing connection between our check and the server's bind.
const PORT_FLOOR: u16 = 15000;

/// A loopback TCP port that nothing listens on right now and that this
/// process has not handed out before.
///
/// Ports are picked at random below the ephemeral range (see
/// [`PORT_FLOOR`]) and checked by binding; a process-wide set keeps
/// parallel tests in one binary from getting the same port. Another
/// process could still take it before the server binds; server start-up
/// retries with a new port when the server exits early for that reason.
pub(crate) fn free_loopback_port() -> Result<u16, LabError> {
    let ceiling = ephemeral_low().clamp(PORT_FLOOR + 1000, 32768);
    let span = u64::from(ceiling - PORT_FLOOR);
    let mut used = HANDED_OUT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let state = RandomState::new();
    for attempt in 0u64..500 {
        let r = state.hash_one((attempt, std::process::id(), Instant::now()));
        let offset = u16::try_from(r % span).unwrap_or(0);
        let port = PORT_FLOOR + offset;
        if used.contains(&port) {
            continue;
        }
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            used.insert(port);
            return Ok(port);
        }
    }
    // Very busy machine: fall back to an ephemeral port from the kernel.
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| LabError::io("binding 127.0.0.1:0 to find a free port", e))?;
    let port = listener.local_addr().map_err(|e| LabError::io("reading local address", e))?.port();
    used.insert(port);
    Ok(port)
}

fn ephemeral_low() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(32768)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    }

    #[test]
    fn early_exit_is_reported_with_log() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        let log = dir.path().join("boom.log");
        let p = Proc::spawn("boom", sh("echo boom-on-stdout; echo boom-on-stderr >&2; exit 3"), log, StopMode::Kill);
        let mut procs = vec![p.ok()].into_iter().flatten().collect::<Vec<_>>();
        assert_eq!(procs.len(), 1);
        let addr = SocketAddr::from(([127, 0, 0, 1], 1));
        let result = wait_for_port(&mut procs, addr, Duration::from_secs(5));
        assert!(matches!(result, Err(NotReady::Exited(ref r)) if r.contains("boom exited early")));
        let tail = logs_tail(&procs);
        assert!(tail.contains("boom-on-stdout") && tail.contains("boom-on-stderr"), "{tail}");
    }

    #[test]
    fn stop_is_bounded_and_kills_the_whole_group() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        // The shell ignores SIGTERM and has a child; SIGKILL to the group
        // must take both down shortly after the grace period.
        let script = "trap '' TERM; sleep 30 & echo $! > child.pid; wait";
        let mut cmd = sh(script);
        cmd.current_dir(dir.path());
        let p = Proc::spawn("stubborn", cmd, dir.path().join("s.log"), StopMode::Term(Duration::from_millis(200)));
        let Ok(mut p) = p else { return };
        let pid_file = dir.path().join("child.pid");
        let deadline = Instant::now() + Duration::from_secs(5);
        while !std::fs::read_to_string(&pid_file).is_ok_and(|s| s.ends_with('\n')) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let child = std::fs::read_to_string(&pid_file).unwrap_or_default().trim().to_owned();
        assert!(!child.is_empty());
        let t = Instant::now();
        p.stop();
        assert!(t.elapsed() < Duration::from_secs(2), "stop took {:?}", t.elapsed());
        assert!(p.exited().is_some());
        // The orphaned `sleep` is reaped by init; give it a moment.
        let deadline = Instant::now() + Duration::from_secs(2);
        let alive = || {
            std::fs::read_to_string(format!("/proc/{child}/stat"))
                .is_ok_and(|s| s.split_whitespace().nth(2).is_none_or(|st| st != "Z"))
        };
        while alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!alive(), "grandchild {child} survived");
    }

    #[test]
    fn ports_are_not_handed_out_twice() {
        let mut seen = BTreeSet::new();
        for _ in 0..50 {
            let port = free_loopback_port().ok();
            assert!(port.is_some_and(|p| seen.insert(p)), "{port:?}");
        }
    }
}
