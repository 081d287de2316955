//! `rdp-doctor host` end to end: a real hive, the snapshot round trip, exit codes, and bad input (exit 2
//! with a message where nothing could be read).
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::cargo_bin("rdp-doctor").unwrap();
    c.timeout(Duration::from_secs(120)).env("NO_COLOR", "1");
    c
}

/// Unpacks the real hive `NAME.xz` of rdp-doctor-host's test data into `dir`.
fn hive(name: &str, dir: &Path) -> PathBuf {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../rdp-doctor-host/tests/data/hives")
        .join(format!("{name}.xz"));
    let xz = rdp_doctor_lab::require("xz").unwrap_or_else(|e| panic!("{e}"));
    let out = std::process::Command::new(xz).arg("-dc").arg(src).output().unwrap();
    assert!(out.status.success());
    let p = dir.join(name);
    std::fs::write(&p, out.stdout).unwrap();
    p
}

#[test]
fn real_hive_text_json_and_snapshot_round_trip() {
    let d = tempfile::tempdir().unwrap();
    let h = hive("SYSTEM_2", d.path());
    let snap = d.path().join("snap.json");
    let out = bin().args(["host", "--hive"]).arg(&h).arg("--save").arg(&snap).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("— host SENSEI:3389"), "{text}");
    assert!(text.contains("Verdict: host.remote_connections_disabled"), "{text}");
    // The default view (issue 20) shows the first limitations and counts the rest; the dirty hive's is
    // among the rest here, and -v lists them all.
    assert!(text.contains("more: -v"), "{text}");
    let out = bin().args(["host", "-v", "--hive"]).arg(&h).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("is dirty"), "{text}");
    let saved: Value = serde_json::from_slice(&std::fs::read(&snap).unwrap()).unwrap();
    assert_eq!(saved["schema_version"], 1);
    assert_eq!(saved["collection"], "hive");
    // The snapshot alone gives the same report.
    let out = bin().args(["host", "--json", "--snapshot"]).arg(&snap).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "host.remote_connections_disabled");
    assert_eq!(v["layers"][0]["name"], "host");
    assert_eq!(v["evidence"]["host"]["computer_name"], "SENSEI");
    // --fail-on never: exit 0 with the same findings.
    let out = bin().args(["host", "--fail-on", "never", "--snapshot"]).arg(&snap).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn nothing_readable_exits_2_with_a_message() {
    let d = tempfile::tempdir().unwrap();
    let truncated = d.path().join("SYSTEM");
    std::fs::write(&truncated, b"regf\x01\x00\x00\x00").unwrap();
    let out = bin().args(["host", "--hive"]).arg(&truncated).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing could be read") && err.contains("truncated"), "{err}");

    let out = bin().args(["host", "--offline"]).arg(d.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a Windows system volume"));

    let other = d.path().join("v2.json");
    std::fs::write(&other, br#"{"schema_version": 2, "collection": "live"}"#).unwrap();
    let out = bin().args(["host", "--snapshot"]).arg(&other).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("schema_version 2") && err.contains("reads schema_version 1"), "{err}");

    #[cfg(not(windows))]
    {
        let out = bin().arg("host").output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("--offline DIR"));
    }
}

/// `check HOST --host SNAPSHOT`: the client sees the port refused, the host (the real SYSTEM_2 hive) has
/// remote connections turned off: the verdict is the host's cause and the client finding links to it.
#[test]
fn check_joined_with_the_host_snapshot() {
    let d = tempfile::tempdir().unwrap();
    let h = hive("SYSTEM_2", d.path());
    let snap = d.path().join("snap.json");
    let out = bin().args(["host", "--hive"]).arg(&h).arg("--save").arg(&snap).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = bin().args(["check", &format!("127.0.0.1:{port}"), "--json", "--host"]).arg(&snap).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "host.remote_connections_disabled");
    let tcp = v["findings"].as_array().unwrap().iter().find(|f| f["id"] == "tcp.refused").unwrap();
    assert_eq!(tcp["see_also"][0], "host.remote_connections_disabled");
    let layers: Vec<&str> = v["layers"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(layers.last(), Some(&"host"));
    // A directory that is a mounted volume works the same; one that is not exits 2.
    let out = bin().args(["check", &format!("127.0.0.1:{port}"), "--host"]).arg(d.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing could be read"));
}

/// `host --format text|json|markdown|html -o FILE` (issue 20): each format written whole to its file with
/// the same verdict, nothing on stdout; `-o` naming the hive or the snapshot read is refused (exit 2) and
/// leaves it untouched; no temporary file is left behind.
#[test]
fn every_format_to_a_file_never_over_an_input() {
    let d = tempfile::tempdir().unwrap();
    let h = hive("SYSTEM_2", d.path());
    let hive_bytes = std::fs::read(&h).unwrap();
    for (format, want) in [
        ("text", "Verdict: host.remote_connections_disabled"),
        ("json", "\"verdict\": \"host.remote_connections_disabled\""),
        ("markdown", "`host.remote_connections_disabled`"),
        ("html", "host.remote_connections_disabled"),
    ] {
        let path = d.path().join(format!("report.{format}"));
        let out = bin().args(["host", "--format", format, "--hive"]).arg(&h).arg("-o").arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty(), "{format}: with -o nothing goes to stdout");
        let got = std::fs::read_to_string(&path).unwrap();
        assert!(got.contains(want), "{format}: {want} missing:\n{got}");
        match format {
            "json" => {
                assert_eq!(serde_json::from_str::<Value>(&got).unwrap()["evidence"]["host"]["computer_name"], "SENSEI")
            }
            "html" => {
                assert!(got.trim_end().ends_with("</html>"), "the page is whole");
                assert!(got.contains("class=\"banner fail\"") && got.contains("<ol class=\"chain\">"), "{got}");
            }
            "markdown" => assert!(got.contains("## What to do") && !got.contains("<div"), "{got}"),
            _ => assert!(!got.contains('\u{1b}'), "no colour codes in a file"),
        }
    }
    let snap = d.path().join("snap.json");
    let out = bin().args(["host", "--hive"]).arg(&h).arg("--save").arg(&snap).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let snap_bytes = std::fs::read(&snap).unwrap();
    for (input, extra) in [(&h, "--hive"), (&snap, "--snapshot")] {
        for format in ["json", "html"] {
            let out = bin().args(["host", "--format", format, extra]).arg(input).arg("-o").arg(input).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{extra} {format}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("refusing to write the report over the input file"), "{err}");
        }
    }
    assert_eq!(std::fs::read(&h).unwrap(), hive_bytes, "the hive is untouched");
    assert_eq!(std::fs::read(&snap).unwrap(), snap_bytes, "the snapshot is untouched");
    let leftovers: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
