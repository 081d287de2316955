//! Issue 16: `rdp-doctor.exe` (the `x86_64-pc-windows-gnu` build) under Wine gives the same answers as the
//! Linux binary:
//!
//! * `files.rs`: `explain`, `capture` on every capture of the repo's test data, `rdpfile lint` / `clean`
//!   with the same JSON (modulo paths); bad input (a missing file, a directory, a file another program holds
//!   open, a path with spaces and non-ASCII letters) gives a clear error and exit 2.
//! * `check.rs`: `check` against the lab's real xrdp (default, expired certificate, Standard RDP Security
//!   only) and FreeRDP shadow (NLA with the wrong and the right password, from `RDP_DOCTOR_PASSWORD` and
//!   from `--password-file` with a drive-letter path); `--deep` against xrdp speaking TLS 1.0 only (the
//!   vendored OpenSSL); `--gateway` with and without `--user` through the scripted RD Gateway; `demo`. Same
//!   verdict, layers and finding IDs.
//! * `console.rs`: the password prompt in a Windows console (Wine's console on a pseudo-terminal), and
//!   without a console.
//! * `trust.rs`: the certificate verdict from Windows' trust store, and where Wine's differs from Windows'.
//!
//! The harness is `rdp_doctor_lab::wine` (a shared prefix with the `bcryptprimitives.dll` shim, runs
//! bounded in time). Without Wine these tests skip with a loud message, except in CI, which installs it.
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use rdp_doctor_lab::wine::{self, WineOutput, WinePrefix};
use serde_json::Value;

/// The Windows build and the prefix it runs in, or `None` (skip) without Wine outside CI.
fn windows(test: &str) -> Option<(&'static WinePrefix, PathBuf)> {
    let wine = wine::wine_or_skip(test)?;
    let prefix = wine.shared_prefix().unwrap_or_else(|e| panic!("{test}: {e}"));
    let exe = wine::build_windows_exe("rdp-doctor", "rdp-doctor").unwrap_or_else(|e| panic!("{test}: {e}"));
    Some((prefix, exe))
}

fn exe_run(prefix: &WinePrefix, exe: &Path, args: &[&str], env: &[(&str, &str)]) -> WineOutput {
    let mut c = prefix.command(exe).args(args).env("NO_COLOR", "1").timeout(Duration::from_secs(180));
    for (k, v) in env {
        c = c.env(k, v);
    }
    c.run().unwrap()
}

fn linux_run(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = assert_cmd::Command::cargo_bin("rdp-doctor").unwrap();
    c.timeout(Duration::from_secs(180)).env("NO_COLOR", "1").env_remove("RDP_DOCTOR_PASSWORD").args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel).canonicalize().unwrap()
}

/// JSON of a Windows run with the Windows spelling of `paths` put back to the Linux one.
fn json_of(stdout: &[u8], paths: &[(&str, &str)]) -> Value {
    let mut text = String::from_utf8(stdout.to_vec()).expect("UTF-8 output");
    for (win, linux) in paths {
        text = text.replace(&win.replace('\\', "\\\\"), linux);
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Verdict, first failing layer, layer statuses and finding IDs of a `check --json` report.
type Outline = (String, String, Vec<String>, Vec<String>);

fn outline(v: &Value) -> Outline {
    let layers = v["layers"].as_array().unwrap().iter().map(|l| format!("{}={}", l["name"], l["status"])).collect();
    let mut ids: Vec<String> =
        v["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    (v["verdict"].to_string(), v["first_failing_layer"].to_string(), layers, ids)
}

/// Findings judged from measured durations against fixed thresholds (rdp-doctor-core `rules/net.rs`: an
/// X.224 answer over 400 ms, handshakes over 150 ms, jitter, retransmitted SYNs). On a loaded test machine
/// either build crosses them on any run, so they say nothing about the build.
const TIMING_FINDINGS: &[&str] = &["x224.slow_answer", "net.high_latency", "net.jitter", "net.packet_loss"];

/// The outlines of two reports of the same server with the timing findings left out, and with them the
/// statuses of their layers, the first failing layer and the verdict where a timing finding of either
/// report could have decided them. Everything else must be equal.
fn comparable(a: &Value, b: &Value) -> (Outline, Outline) {
    let timing = |f: &Value| TIMING_FINDINGS.contains(&f["id"].as_str().unwrap_or_default());
    let layers: Vec<String> = [a, b]
        .iter()
        .flat_map(|v| v["findings"].as_array().unwrap().iter())
        .filter(|f| timing(f))
        .map(|f| f["layer"].to_string())
        .collect();
    let decided = [a, b].iter().any(|v| {
        TIMING_FINDINGS.iter().any(|t| v["verdict"] == *t) || layers.contains(&v["first_failing_layer"].to_string())
    });
    let strip = |v: &Value| {
        let (verdict, first, all, ids) = outline(v);
        let masked = || "(decided by a timing finding)".to_owned();
        let all = all.into_iter().filter(|l| !layers.iter().any(|t| l.starts_with(&format!("{t}=")))).collect();
        let ids = ids.into_iter().filter(|i| !TIMING_FINDINGS.contains(&i.as_str())).collect();
        if decided { (masked(), masked(), all, ids) } else { (verdict, first, all, ids) }
    };
    (strip(a), strip(b))
}

/// Whether the two reports differ in their timing findings (which can then change the exit code too).
fn timing_differs(a: &Value, b: &Value) -> bool {
    let of = |v: &Value| outline(v).3.into_iter().filter(|i| TIMING_FINDINGS.contains(&i.as_str())).collect::<Vec<_>>();
    of(a) != of(b)
}

/// `check --json` by both builds against `addr`: same exit code, verdict, layers and finding IDs (timing
/// findings aside, see [`comparable`]). Returns the Windows and the Linux report.
fn same_check(prefix: &WinePrefix, exe: &Path, what: &str, args: &[&str], env: &[(&str, &str)]) -> (Value, Value) {
    let linux = linux_run(args, env);
    let win = exe_run(prefix, exe, args, env);
    let want: Value = serde_json::from_slice(&linux.stdout).unwrap();
    let got: Value = serde_json::from_slice(&win.stdout).unwrap_or_else(|e| panic!("{what}: {e}: {}", win.describe()));
    if !timing_differs(&got, &want) {
        assert_eq!(win.code, linux.status.code(), "{what}: {}", win.describe());
    }
    let (g, w) = comparable(&got, &want);
    assert_eq!(g, w, "{what}: the Windows build judged differently\n{}", win.describe());
    for (_, secret) in env {
        assert!(!win.stdout_text().contains(secret) && !win.stderr_text().contains(secret), "{what}: leaked");
    }
    (got, want)
}

mod check;
mod console;
mod files;
mod trust;
