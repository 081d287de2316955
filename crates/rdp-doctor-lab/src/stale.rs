//! Cleaning up after a test process that died without running Drop
//! (SIGKILL, abort, CI timeout).
//!
//! Servers run in their own process groups, so they survive the death of
//! the test binary. (`PR_SET_PDEATHSIG` is no alternative: it fires when the
//! *thread* that spawned the child exits, and test harnesses use a thread
//! per test; a server started in a helper thread would die with it.)
//!
//! Instead every lab tempdir records its owner (`owner`: the test
//! process's PID) and every process started in it (`pids`: one
//! `<pid> <start time>` line each, the start time being field 22 of
//! `/proc/<pid>/stat`). The first lab server started by a process looks at
//! other `rdp-doctor-lab-*` directories in the temp dir: if the owner is
//! gone, it SIGKILLs every recorded process whose PID *and* start time
//! still match (so a recycled PID is never hit), and removes the directory.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::sync::Once;

use rustix::process::{Pid, Signal};

/// Directory name prefix of every lab tempdir.
pub(crate) const DIR_PREFIX: &str = "rdp-doctor-lab-";
const OWNER_FILE: &str = "owner";
const PIDS_FILE: &str = "pids";

static SWEEP: Once = Once::new();

/// Marks `dir` as owned by this process; sweeps stale directories once.
pub(crate) fn claim(dir: &Path) {
    SWEEP.call_once(sweep);
    let _ = std::fs::write(dir.join(OWNER_FILE), std::process::id().to_string());
}

/// Records a process started for the lab server living in `dir`.
pub(crate) fn record(dir: &Path, pid: u32) {
    let Some(start) = start_time(pid) else { return };
    if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(dir.join(PIDS_FILE)) {
        let _ = writeln!(f, "{pid} {start}");
    }
}

/// Field 22 (`starttime`) of `/proc/<pid>/stat`. The command name (field
/// 2) may contain spaces, so we count from the closing parenthesis.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = stat.get(stat.rfind(')')? + 1..)?;
    // after_comm starts with field 3 (state); starttime is field 22.
    after_comm.split_whitespace().nth(19)?.parse().ok()
}

fn sweep() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(DIR_PREFIX) {
            continue;
        }
        let dir = entry.path();
        // No owner file yet: another process may be creating it right now.
        let Some(owner) = std::fs::read_to_string(dir.join(OWNER_FILE)).ok().and_then(|s| s.trim().parse::<u32>().ok())
        else {
            continue;
        };
        if owner == std::process::id() || Path::new(&format!("/proc/{owner}")).exists() {
            continue;
        }
        let pids = std::fs::read_to_string(dir.join(PIDS_FILE)).unwrap_or_default();
        for line in pids.lines() {
            let mut it = line.split_whitespace().map(str::parse::<u64>);
            let (Some(Ok(pid)), Some(Ok(start))) = (it.next(), it.next()) else {
                continue;
            };
            let Ok(pid) = u32::try_from(pid) else {
                continue;
            };
            if start_time(pid) == Some(start)
                && let Some(p) = i32::try_from(pid).ok().and_then(Pid::from_raw)
            {
                let _ = rustix::process::kill_process_group(p, Signal::KILL);
                let _ = rustix::process::kill_process(p, Signal::KILL);
                eprintln!("rdp-doctor-lab: killed pid {pid} left over by dead test process {owner}");
            }
        }
        if std::fs::remove_dir_all(&dir).is_ok() {
            eprintln!("rdp-doctor-lab: removed stale {}", dir.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_time_of_self_is_stable() {
        let me = std::process::id();
        let a = start_time(me);
        assert!(a.is_some());
        assert_eq!(a, start_time(me));
    }
}
