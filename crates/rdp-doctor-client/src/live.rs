//! Live collection on the user's own Windows PC, with no elevation: the client's log through `wevtutil qe`
//! (any user can read the Remote Desktop client's Operational log; its output is the XML the
//! `--events FILE` path reads, so both take one parser), the registry through rdp-doctor-host's live reader
//! (HKLM read-only, and the user's HKCU), and the user's folders for .rdp files. The child process has a
//! deadline and its output is bounded; it is stopped through its own handle.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rdp_doctor_core::client_tables::OPERATIONAL;

use crate::source::{self, LogRead};

/// `wevtutil` is given this long.
pub const WEVTUTIL_DEADLINE: Duration = Duration::from_secs(30);
/// At most this much of its output is read.
const MAX_OUTPUT: u64 = 64 * 1024 * 1024;

/// The arguments of the query: the channel's records of the last `window_s` seconds, as XML.
pub fn wevtutil_args(window_s: i64) -> Vec<String> {
    let ms = window_s.max(1).saturating_mul(1000);
    vec![
        "qe".to_owned(),
        OPERATIONAL.to_owned(),
        "/f:xml".to_owned(),
        format!("/q:*[System[TimeCreated[timediff(@SystemTime) <= {ms}]]]"),
    ]
}

/// Reads the client's log of the last `window_s` seconds.
pub fn read_log(window_s: i64) -> Result<(String, LogRead), String> {
    let args = wevtutil_args(window_s);
    let shown = format!("wevtutil {}", args.join(" "));
    let mut child = Command::new("wevtutil")
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run wevtutil: {e}"))?;
    let stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(s) = stdout {
            let _ = s.take(MAX_OUTPUT).read_to_end(&mut out);
        }
        out
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Some(st),
            Ok(None) if start.elapsed() > WEVTUTIL_DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("{shown}: {e}")),
        }
    };
    let out = reader.join().unwrap_or_default();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = (&mut e).take(4096).read_to_string(&mut err);
    }
    match status {
        None => Err(format!("{shown}: no answer within {} s", WEVTUTIL_DEADLINE.as_secs())),
        Some(st) if !st.success() => Err(format!("{shown} failed ({st}): {}", err.trim())),
        Some(_) => Ok((shown, source::from_xml_bytes(&out, "wevtutil"))),
    }
}

/// The user's folders where .rdp files usually are: Documents, Desktop, Downloads.
pub fn rdp_dirs() -> Vec<PathBuf> {
    let Some(home) = std::env::var_os("USERPROFILE").map(PathBuf::from) else { return Vec::new() };
    ["Documents", "Desktop", "Downloads"].iter().map(|d| home.join(d)).filter(|p| p.is_dir()).collect()
}

/// The hidden Default.rdp mstsc keeps in Documents (used when it starts without a file).
pub fn default_rdp() -> Option<PathBuf> {
    let p = PathBuf::from(std::env::var_os("USERPROFILE")?).join("Documents").join("Default.rdp");
    p.is_file().then_some(p)
}
