//! Never "fail" on a success, never "ok" on a failure (issue 15), on captures made here from real peers:
//! the credentialed `check` (rdp-doctor's own client, rustls, which writes its TLS secrets to
//! SSLKEYLOGFILE) against IronRDP's acceptor (`rdp-doctor-testserver`, in process), captured by dumpcap on
//! loopback and read back by `capture --keylog`. A right password that reached the first screen must read
//! without a warning or failure about the connection, live and from the file; each way the server says no
//! (NLA refusal, Early User Authorization Result denied, Set Error Info after the Client Info) must read as
//! that refusal from the file too. Without NLA the capture does not read the logon (the Client Info holds the
//! password and is not read): a working TLS-only logon reads no failure, and no `session.ok` either.
//!
//! Needs root (dumpcap) and the packages scripts/test.sh installs (dumpcap comes with tshark).
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command as Cmd;
use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};
use serde_json::Value;

const USER: &str = "alice";
const PASSWORD: &str = "correct horse";
/// How long each capture runs (dumpcap stops itself).
const CAPTURE_SECS: u64 = 5;

/// Warnings that are true of a connection that worked (the test server's certificate is issued by a CA
/// no system trusts): said, but never a claim that the connection failed.
const ADVICE_ON_A_WORKING_SESSION: &[&str] = &["cert.self_signed", "cert.name_mismatch", "cert.untrusted"];

struct Dumpcap {
    child: Child,
    file: PathBuf,
}

impl Dumpcap {
    /// Starts capturing `filter` on loopback and waits until the capture is live.
    fn start(dir: &Path, name: &str, filter: &str) -> Self {
        let file = dir.join(format!("{name}.pcapng"));
        let dumpcap = rdp_doctor_lab::require("dumpcap").unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new(dumpcap)
            .args(["-q", "-i", "lo", "-f", filter, "-a", &format!("duration:{CAPTURE_SECS}"), "-w"])
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dumpcap (package tshark) must be installed");
        let start = Instant::now();
        while std::fs::metadata(&file).map_or(0, |m| m.len()) < 64 {
            assert!(start.elapsed() < Duration::from_secs(10), "dumpcap did not start capturing");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        Self { child, file }
    }

    /// Waits for dumpcap to stop by itself (bounded), then returns the file.
    fn finish(mut self) -> PathBuf {
        let deadline = Instant::now() + Duration::from_secs(CAPTURE_SECS + 10);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.file.clone()
    }
}

impl Drop for Dumpcap {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn json(cmd: &mut Cmd) -> Value {
    let out = cmd.timeout(Duration::from_secs(60)).output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

fn ids(findings: &Value) -> Vec<(String, String)> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["severity"].as_str().unwrap().to_owned(), f["id"].as_str().unwrap().to_owned()))
        .collect()
}

/// The warn and fail findings that are not advice on a working session.
fn failures(findings: &Value) -> Vec<String> {
    ids(findings)
        .into_iter()
        .filter(|(s, id)| (s == "warn" || s == "fail") && !ADVICE_ON_A_WORKING_SESSION.contains(&id.as_str()))
        .map(|(s, id)| format!("{s} {id}"))
        .collect()
}

/// The credentialed check of a test server with `security`, captured with its key log: (live report,
/// the capture's connection that sent the credentials, the whole capture report).
fn captured(name: &str, security: Security, password: &str) -> (Value, Value, Value) {
    rdp_doctor_lab::require_root("capturing with dumpcap").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(TestServerConfig::loopback(CertSpec::Valid, security)).unwrap();
    let addr = srv.addr();
    let port = addr.port().to_string();
    let cap = Dumpcap::start(dir.path(), name, &format!("tcp port {port}"));
    let keys = dir.path().join(format!("{name}.keys"));
    // The password goes by the environment, never argv.
    let live = json(
        Cmd::cargo_bin("rdp-doctor")
            .unwrap()
            .env("SSLKEYLOGFILE", &keys)
            .env("RDP_DOCTOR_PASSWORD", password)
            .args(["check", &addr.to_string(), "--json", "--timeout", "3s", "--no-matrix", "--samples", "0"])
            .args(["--no-udp", "--user", USER]),
    );
    let file = cap.finish();
    assert_eq!(srv.logon_attempts(), 1, "{name}: one credentialed attempt");
    let report = json(Cmd::cargo_bin("rdp-doctor").unwrap().arg("capture").arg(&file).args([
        "--json",
        "--port",
        &port,
        "--keylog",
        &keys.display().to_string(),
    ]));
    if std::env::var_os("SUCCESS_LAB_DUMP").is_some() {
        eprintln!("{name}: {report:#}");
    }
    // The credentialed connection: the one that names the account (NLA), or, without NLA (the Client Info
    // is not read: it holds the password), the last one (the credential-free chain's connection comes first).
    let conns = report["connections"].as_array().unwrap();
    let conn = conns
        .iter()
        .find(|c| c["report"]["evidence"]["session"]["account"] == USER)
        .or_else(|| {
            conns.iter().max_by(|a, b| a["start_ms"].as_f64().unwrap().total_cmp(&b["start_ms"].as_f64().unwrap()))
        })
        .cloned()
        .unwrap_or_else(|| panic!("{name}: no connection: {report}"));
    for v in [&live, &report] {
        assert!(!v.to_string().contains(password), "{name}: the password leaked");
    }
    (live, conn, report)
}

/// A session that drew its first screen, live and in the file: no warning or failure about it, and the
/// file as a whole not a failure either.
/// `session_seen`: whether the capture can see the logon (with NLA the server's answer to the credentials is
/// read; without NLA the logon is inside the Client Info, which is not read because it holds the password).
fn assert_worked(name: &str, live: &Value, conn: &Value, report: &Value, session_seen: bool) {
    assert_eq!(live["evidence"]["session"]["outcome"]["kind"], "first_update", "{name}: live {}", live["findings"]);
    let r = &conn["report"];
    assert!(failures(&r["findings"]).is_empty(), "{name}: a success reads {:?}", failures(&r["findings"]));
    assert_ne!(report["max_severity"], "fail", "{name}: {}", report["verdict"]);
    if session_seen {
        let s = &r["evidence"]["session"];
        assert_eq!(s["outcome"]["kind"], "first_update", "{name}: {s}");
        assert!(ids(&r["findings"]).iter().any(|(_, id)| id == "session.ok"), "{name}: {:?}", ids(&r["findings"]));
    } else {
        // Decrypted, past the MCS exchange, and not judged beyond what it shows.
        assert_eq!(r["evidence"]["capture"]["decryption"]["mcs_result"], "rt-successful", "{name}");
        assert!(r["evidence"]["session"].is_null(), "{name}");
    }
}

/// A refusal, live and in the file: the same verdict, at least a warning, never ok.
fn assert_refused(name: &str, live: &Value, conn: &Value, verdict: &str) {
    assert_eq!(live["verdict"], verdict, "{name}: live {}", live["findings"]);
    let r = &conn["report"];
    assert_eq!(r["verdict"], verdict, "{name}: {:?}", ids(&r["findings"]));
    assert!(matches!(r["max_severity"].as_str(), Some("warn" | "fail")), "{name}: {}", r["max_severity"]);
}

fn hybrid() -> Security {
    Security::Hybrid { username: USER.into(), password: PASSWORD.into() }
}

fn hybrid_ex() -> Security {
    Security::HybridEx { username: USER.into(), password: PASSWORD.into() }
}

#[test]
fn nla_logon_that_reached_the_first_screen_reads_ok() {
    let (live, conn, report) = captured("ironrdp-hybrid-right", hybrid(), PASSWORD);
    assert_worked("hybrid", &live, &conn, &report, true);
}

#[test]
fn hybrid_ex_logon_that_reached_the_first_screen_reads_ok() {
    let (live, conn, report) = captured("ironrdp-hybrid-ex-right", hybrid_ex(), PASSWORD);
    assert_worked("hybrid_ex", &live, &conn, &report, true);
    // The Early User Authorization Result said yes: evidence, not a warning.
    assert_eq!(
        conn["report"]["evidence"]["session"]["early_user_auth"],
        live["evidence"]["session"]["early_user_auth"]
    );
}

#[test]
fn tls_logon_that_reached_the_first_screen_reads_ok() {
    let security = Security::TlsLogon { username: USER.into(), password: PASSWORD.into(), errinfo: 7 };
    let (live, conn, report) = captured("ironrdp-tls-right", security, PASSWORD);
    assert_worked("tls", &live, &conn, &report, false);
}

#[test]
fn nla_wrong_password_reads_refused() {
    let (live, conn, _) = captured("ironrdp-hybrid-wrong", hybrid(), "not the password");
    assert_refused("hybrid wrong", &live, &conn, "credssp.logon_failure");
}

#[test]
fn early_authorization_denied_reads_refused() {
    let security = Security::HybridExDenied { username: USER.into(), password: PASSWORD.into() };
    let (live, conn, _) = captured("ironrdp-hybrid-ex-denied", security, PASSWORD);
    let verdict = live["verdict"].as_str().unwrap().to_owned();
    assert!(verdict.starts_with("authz."), "live {verdict}");
    assert_refused("hybrid_ex denied", &live, &conn, &verdict);
}

#[test]
fn server_denied_after_client_info_reads_refused() {
    let security = Security::TlsLogon { username: USER.into(), password: PASSWORD.into(), errinfo: 7 };
    let (live, conn, _) = captured("ironrdp-tls-denied", security, "not the password");
    let verdict = live["verdict"].as_str().unwrap().to_owned();
    assert_ne!(verdict, "ok");
    assert_refused("tls denied", &live, &conn, &verdict);
}
