//! `rdp-doctor capture FILE` end to end: text and JSON, exit codes as `check`, damaged and unrelated files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::cargo_bin("rdp-doctor").unwrap();
    c.timeout(Duration::from_secs(60)).env("NO_COLOR", "1");
    c
}

fn data(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rdp-doctor-pcap/tests/data").join(rel).display().to_string()
}

#[test]
fn text_lists_failing_connections_first() {
    let out = bin().args(["capture", &data("zeek/rdp-proprietary-encryption.pcap")]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Verdict: nego.ssl_not_allowed_by_server"), "{text}");
    let first = text.find("\n#1 WARN").unwrap();
    let second = text.find("\n#2 ").unwrap();
    // The retry with Standard RDP Security follows from the TLS refusal: a causal chain, root first.
    assert!(text.contains("#1 nego.ssl_not_allowed_by_server → #2 sec.rdp_proprietary_certificate"), "{text}");
    assert!(text.contains("chain: consequence of #1:"), "{text}");
    assert!(first < second, "the failing connection comes first:\n{text}");
    assert!(text.contains("What to do"), "{text}");
}

#[test]
fn json_and_exit_codes_follow_check() {
    let f = data("nDPI/tcp_scan.pcapng");
    let out = bin().args(["capture", &f, "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["kind"], "capture");
    // A port scan (FIN/NULL/Xmas probes and a refused 3389): the pattern is the file's verdict, the refused
    // connection part of it.
    assert_eq!(v["verdict"], "pattern.scan");
    assert_eq!(v["patterns"][0]["id"], "pattern.scan");
    assert_eq!(v["connections"][0]["report"]["verdict"], "tcp.refused");
    assert_eq!(v["connections"][0]["pattern"], "pattern.scan");
    // Named .pcapng, but a classic pcap inside: the format is read from the bytes.
    assert_eq!(v["file"]["format"], "pcap (little-endian, microsecond timestamps)");
    assert_eq!(bin().args(["capture", &f, "--fail-on", "never"]).output().unwrap().status.code(), Some(0));
    // A healthy negotiation: exit 0.
    assert_eq!(bin().args(["capture", &data("arkime/socks5-rdp.pcap")]).output().unwrap().status.code(), Some(0));
    // Weak Standard RDP Security is a warning: exit 1 by default, 0 with --fail-on fail.
    let rdp003 = data("suricata-verify/RDP-003.pcap");
    assert_eq!(bin().args(["capture", &rdp003]).output().unwrap().status.code(), Some(1));
    assert_eq!(bin().args(["capture", &rdp003, "--fail-on", "fail"]).output().unwrap().status.code(), Some(0));
}

#[test]
fn port_option_brings_in_tls_on_another_port() {
    let f = data("zeek/tls-1.2-handshake-failure.pcap");
    let out = bin().args(["capture", &f]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no RDP-related connection"));
    let out = bin().args(["capture", &f, "--port", "443", "--json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "tls.alert");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn unreadable_files_exit_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    let garbage = dir.path().join("garbage.pcap");
    std::fs::write(&garbage, b"this is not a capture at all").unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &std::fs::read(data("nDPI/rdp.pcap")).unwrap()[..10]).unwrap();
    for (file, want) in [
        (empty.display().to_string(), "is empty (0 bytes): not a capture"),
        (garbage.display().to_string(), "is not a pcap or pcapng file (first bytes: 74 68 69 73"),
        (cut.display().to_string(), "is truncated: it ends inside the pcap file header"),
        (dir.path().join("missing.pcap").display().to_string(), "does not exist"),
        (dir.path().display().to_string(), "is a directory, not a file"),
    ] {
        let out = bin().args(["capture", &file]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{file}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{file}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn truncated_capture_is_analysed_up_to_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.pcap");
    let bytes = std::fs::read(data("nDPI/rdp.pcap")).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    let out = bin().args(["capture", &cut.display().to_string(), "--json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let lims: Vec<String> =
        v["limitations"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_owned()).collect();
    assert!(lims.iter().any(|l| l.contains("truncated")), "{lims:?}");
    assert_eq!(v["connections"].as_array().unwrap().len(), 1);
}

/// `--keylog`: the decrypted answer is shown and the secrets are never printed; a file without secrets
/// is refused with a clear message (exit 2), a wrong one is a stated limitation.
#[test]
fn keylog_decrypts_and_never_prints_secrets() {
    let cap = data("keylog/shadow-nla.pcapng");
    let keys = data("keylog/shadow-nla.keys");
    let out = bin().args(["capture", &cap, "--port", "20766", "--keylog", &keys, "-v"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Decrypt yes"), "{text}");
    assert!(text.contains("server TSRequest version 6: NTLM CHALLENGE"), "{text}");
    let json = bin().args(["capture", &cap, "--port", "20766", "--keylog", &keys, "--json"]).output().unwrap();
    let all = [text.as_bytes(), &json.stdout].concat();
    let all = String::from_utf8_lossy(&all);
    for line in std::fs::read_to_string(&keys).unwrap().lines() {
        let secret = line.split(' ').nth(2).unwrap();
        assert!(!all.contains(secret), "a secret was printed");
    }

    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.keys");
    std::fs::write(&empty, "# nothing\n").unwrap();
    let out = bin().args(["capture", &cap, "--keylog", &empty.display().to_string()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("contains no TLS secrets"));

    let other = dir.path().join("other.keys");
    std::fs::write(&other, format!("CLIENT_RANDOM {} {}\n", "11".repeat(32), "22".repeat(48))).unwrap();
    let out =
        bin().args(["capture", &cap, "--port", "20766", "--keylog", &other.display().to_string()]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Decrypt no          not decrypted: no secret for this client random"), "{text}");
}
