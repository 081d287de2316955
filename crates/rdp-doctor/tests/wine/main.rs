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
fn outline(v: &Value) -> (String, String, Vec<String>, Vec<String>) {
    let layers = v["layers"].as_array().unwrap().iter().map(|l| format!("{}={}", l["name"], l["status"])).collect();
    let mut ids: Vec<String> =
        v["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    (v["verdict"].to_string(), v["first_failing_layer"].to_string(), layers, ids)
}

/// `check --json` by both builds against `addr`: same exit code, verdict, layers and finding IDs. Returns
/// the Windows and the Linux report.
fn same_check(prefix: &WinePrefix, exe: &Path, what: &str, args: &[&str], env: &[(&str, &str)]) -> (Value, Value) {
    let linux = linux_run(args, env);
    let win = exe_run(prefix, exe, args, env);
    assert_eq!(win.code, linux.status.code(), "{what}: {}", win.describe());
    let want: Value = serde_json::from_slice(&linux.stdout).unwrap();
    let got: Value = serde_json::from_slice(&win.stdout).unwrap_or_else(|e| panic!("{what}: {e}: {}", win.describe()));
    assert_eq!(outline(&got), outline(&want), "{what}: the Windows build judged differently\n{}", win.describe());
    for (_, secret) in env {
        assert!(!win.stdout_text().contains(secret) && !win.stderr_text().contains(secret), "{what}: leaked");
    }
    (got, want)
}

mod check;
mod console;
mod files;
mod trust;
