//! `check --user`: the password never appears in any output (text, JSON, stderr, every verbosity, with
//! RUST_LOG), it is never accepted from argv, exactly one authentication attempt is made, and the help
//! says so. Against IronRDP's acceptor in process (loopback).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Duration;

use assert_cmd::Command;
use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};
use serde_json::Value;

/// Distinctive enough that finding it anywhere means it leaked.
const SECRET: &str = "Pw-7f3a9c-Leak-Canary";

fn bin() -> Command {
    let mut c = Command::cargo_bin("rdp-doctor").unwrap();
    c.timeout(Duration::from_secs(60)).env("NO_COLOR", "1").env_remove("RDP_DOCTOR_PASSWORD");
    c
}

/// Every form the password could take in output: as is, and as hex of its UTF-8 and UTF-16LE bytes (upper
/// and lower case, with and without separators), the way a hex dump would show it.
fn forms(secret: &str) -> Vec<String> {
    let utf8: Vec<u8> = secret.bytes().collect();
    let utf16: Vec<u8> = secret.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut out = vec![secret.to_owned()];
    for bytes in [utf8, utf16] {
        for sep in ["", " ", ":"] {
            let lower: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
            out.push(lower.join(sep));
            out.push(lower.join(sep).to_uppercase());
        }
    }
    out
}

fn assert_no_leak(what: &str, out: &std::process::Output) {
    let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    for form in forms(SECRET) {
        assert!(!text.contains(&form), "{what}: the password leaked as {form:?}:\n{text}");
    }
}

fn server(security: Security) -> TestServer {
    TestServer::start(TestServerConfig::loopback(CertSpec::Valid, security)).unwrap()
}

#[test]
fn password_never_appears_in_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    let servers = [
        // Right password over NLA (the session starts), wrong password (STATUS_LOGON_FAILURE), HYBRID_EX
        // refusal, and the Client Info path (the password travels in the Client Info PDU), refused with 7.
        ("nla-right", Security::Hybrid { username: "alice".into(), password: SECRET.into() }),
        ("nla-wrong", Security::Hybrid { username: "alice".into(), password: "something else".into() }),
        ("hybrid-ex-denied", Security::HybridExDenied { username: "alice".into(), password: SECRET.into() }),
        ("client-info-refused", Security::TlsLogon { username: "alice".into(), password: "other".into(), errinfo: 7 }),
        ("client-info-right", Security::TlsLogon { username: "alice".into(), password: SECRET.into(), errinfo: 7 }),
    ];
    let outputs: [&[&str]; 4] = [&[], &["-v"], &["--json"], &["-v", "--json"]];
    for (name, security) in servers {
        let srv = server(security);
        let addr = srv.addr().to_string();
        for (i, extra) in outputs.iter().enumerate() {
            let mut cmd = bin();
            cmd.args(["check", &addr, "--user", "alice", "--no-matrix", "--timeout", "2s"])
                .args(*extra)
                .env("RUST_LOG", "trace")
                .env("RUST_BACKTRACE", "full");
            // Alternate the two non-interactive sources.
            if i % 2 == 0 {
                cmd.env("RDP_DOCTOR_PASSWORD", SECRET);
            } else {
                cmd.arg("--password-file").arg(&file);
            }
            let out = cmd.output().unwrap();
            assert!(matches!(out.status.code(), Some(0 | 1)), "{name} {extra:?}: {out:?}");
            assert_no_leak(&format!("{name} {extra:?}"), &out);
            if extra.contains(&"--json") {
                let v: Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(v["evidence"]["session"]["account"], "alice", "{name}");
            }
        }
        // Four runs, each with exactly one authentication attempt.
        assert_eq!(srv.logon_attempts(), 4, "{name}");
    }
}

#[test]
fn json_report_names_the_verdict_and_what_mstsc_shows() {
    let srv = server(Security::TlsLogon { username: "alice".into(), password: "right".into(), errinfo: 7 });
    let out = bin()
        .args(["check", &srv.addr().to_string(), "--user", "alice", "--json", "--no-matrix"])
        .env("RDP_DOCTOR_PASSWORD", SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "server.denied_connection");
    let mstsc = v["client_view"]["mstsc"].as_str().unwrap();
    assert!(mstsc.starts_with("mstsc shows this as error code 0x904 with extended error code 0x7"), "{mstsc}");
    let steps: Vec<&str> =
        v["evidence"]["session"]["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    for want in ["tcp", "x224", "tls", "mcs_connect", "channel_connection", "set_error_info", "ultimatum"] {
        assert!(steps.contains(&want), "{want} missing from {steps:?}");
    }
    assert_eq!(srv.logon_attempts(), 1);
    // The text report says it too.
    let out = bin()
        .args(["check", &srv.addr().to_string(), "--user", "alice", "--no-matrix"])
        .env("RDP_DOCTOR_PASSWORD", SECRET)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Verdict: server.denied_connection"), "{text}");
    assert!(
        text.contains("Windows client: mstsc shows this as error code 0x904 with extended error code 0x7"),
        "{text}"
    );
}

#[test]
fn password_is_refused_on_the_command_line_without_echoing_it() {
    for args in [vec!["--password", SECRET], vec![&*format!("--password={SECRET}")]] {
        let out = bin().args(["check", "127.0.0.1", "--user", "alice"]).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert_no_leak("argv", &out);
        assert!(String::from_utf8_lossy(&out.stderr).contains("--password is not accepted"));
    }
}

#[test]
fn help_states_the_single_attempt() {
    let out = bin().args(["check", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Exactly ONE authentication attempt"), "{help}");
    assert!(help.contains("RDP_DOCTOR_PASSWORD") && help.contains("--password-file"), "{help}");
}

#[test]
fn missing_password_file_is_a_tool_error() {
    let out = bin()
        .args(["check", "127.0.0.1", "--user", "alice", "--password-file", "/nonexistent/rdp-doctor-pw"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The detector itself: it must catch the password in plain text and in a UTF-16LE hex dump.
#[test]
#[cfg(unix)] // builds an exit status the Unix way
fn leak_detector_catches_plain_and_hex_forms() {
    use std::os::unix::process::ExitStatusExt as _;
    let utf16_hex: String =
        SECRET.encode_utf16().flat_map(u16::to_le_bytes).map(|b| format!("{b:02x} ")).collect::<String>();
    for leaked in [format!("password={SECRET}"), format!("response: {}", utf16_hex.trim_end())] {
        let out = std::process::Output {
            status: std::process::ExitStatus::from_raw(0),
            stdout: leaked.into_bytes(),
            stderr: Vec::new(),
        };
        assert!(std::panic::catch_unwind(|| assert_no_leak("self-test", &out)).is_err());
    }
}
