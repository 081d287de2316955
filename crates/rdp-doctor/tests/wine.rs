//! Issue 16: `rdp-doctor.exe` (the `x86_64-pc-windows-gnu` build) under Wine gives the same answers as the
//! Linux binary: `explain`, `capture` on every capture of the repo's test data, `rdpfile lint` / `clean`
//! with the same JSON (modulo paths); `check` against the lab's real xrdp (default, expired certificate,
//! Standard RDP Security only) and FreeRDP shadow (NLA with the wrong and the right password, from
//! `RDP_DOCTOR_PASSWORD` and from `--password-file` with a drive-letter path) with the same verdict and
//! finding IDs; bad input (a missing file, a directory, a file another program holds open, a path with
//! spaces and non-ASCII letters) gives a clear error and exit 2.
//!
//! The harness is `rdp_doctor_lab::wine` (a shared prefix with the `bcryptprimitives.dll` shim, runs
//! bounded in time). Without Wine these tests skip with a loud message, except in CI, which installs it.
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

#[test]
fn explain_gives_the_same_json_and_text() {
    let Some((prefix, exe)) = windows("explain_gives_the_same_json_and_text") else { return };
    for args in [
        &["explain", "0x904", "0x7", "--json"][..],
        &["explain", "cert.expired", "--json"],
        &["explain", "0x904", "0x7"],
    ] {
        let win = exe_run(prefix, &exe, args, &[]);
        let linux = linux_run(args, &[]);
        assert_eq!(win.code, linux.status.code(), "{}", win.describe());
        assert_eq!(win.stdout_text(), String::from_utf8_lossy(&linux.stdout), "{args:?}");
    }
    // ASCII where the console cannot show arrows and dashes: nothing beyond ASCII but names and values.
    let win = exe_run(prefix, &exe, &["explain", "0x904", "0x7"], &[("RDP_DOCTOR_ASCII", "1")]);
    assert_eq!(win.code, Some(0), "{}", win.describe());
    let text = win.stdout_text();
    assert!(!text.contains(['→', '—', '…']), "{text}");
    assert!(text.contains("0x904") && text.contains("--"), "{text}");
}

#[test]
fn capture_gives_the_same_json_on_every_test_capture() {
    let Some((prefix, exe)) = windows("capture_gives_the_same_json_on_every_test_capture") else { return };
    let root = repo("crates/rdp-doctor-pcap/tests/data");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap().flatten() {
        if dir.path().is_dir() && dir.file_name() != "expected" {
            for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
                let p = f.path();
                if p.extension().is_some_and(|e| e == "pcap" || e == "pcapng") {
                    files.push(p);
                }
            }
        }
    }
    files.sort();
    assert!(files.len() >= 20, "{files:?}");
    let keys = root.join("keylog/shadow-nla.keys");
    for file in &files {
        let linux_path = file.display().to_string();
        let win_path = prefix.windows_path(file);
        let mut linux_args = vec!["capture", &linux_path, "--json"];
        let mut win_args = vec!["capture", &win_path, "--json"];
        let (keys_linux, keys_win) = (keys.display().to_string(), prefix.windows_path(&keys));
        if file.ends_with("keylog/shadow-nla.pcapng") {
            linux_args.extend(["--keylog", &keys_linux]);
            win_args.extend(["--keylog", &keys_win]);
        }
        let linux = linux_run(&linux_args, &[]);
        let win = exe_run(prefix, &exe, &win_args, &[]);
        assert_eq!(win.code, linux.status.code(), "{linux_path}: {}", win.describe());
        let want: Value = serde_json::from_slice(&linux.stdout).unwrap();
        let got = json_of(&win.stdout, &[(&win_path, &linux_path), (&keys_win, &keys_linux)]);
        assert_eq!(got, want, "{linux_path}: the Windows build's capture report differs");
    }
}

#[test]
fn rdpfile_lint_and_clean_give_the_same_json() {
    let Some((prefix, exe)) = windows("rdpfile_lint_and_clean_give_the_same_json") else { return };
    let src = repo("crates/rdp-doctor-rdpfile/tests/data/mstsc-saved.rdp");
    // A path with spaces and non-ASCII letters, given with a drive letter and backslashes.
    let dir = prefix.drive_c().join("rdp doctor tëst ünïcode");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("Sérveur d'équipe.rdp");
    std::fs::copy(&src, &file).unwrap();
    let win_path = prefix.windows_path(&file);
    assert!(win_path.starts_with(r"C:\rdp doctor tëst ünïcode\"), "{win_path}");
    let linux_path = file.display().to_string();

    let lint_l = linux_run(&["rdpfile", "lint", &linux_path, "--json"], &[]);
    let lint_w = exe_run(prefix, &exe, &["rdpfile", "lint", &win_path, "--json"], &[]);
    assert_eq!(lint_w.code, lint_l.status.code(), "{}", lint_w.describe());
    let want: Value = serde_json::from_slice(&lint_l.stdout).unwrap();
    assert_eq!(json_of(&lint_w.stdout, &[(&win_path, &linux_path)]), want);

    let (out_l, out_w) = (dir.join("clean-linux.rdp"), dir.join("clean-windows.rdp"));
    let (out_l_s, out_w_s) = (out_l.display().to_string(), prefix.windows_path(&out_w));
    let clean_l = linux_run(&["rdpfile", "clean", &linux_path, "-o", &out_l_s, "--json"], &[]);
    let clean_w = exe_run(prefix, &exe, &["rdpfile", "clean", &win_path, "-o", &out_w_s, "--json"], &[]);
    assert_eq!(clean_w.code, Some(0), "{}", clean_w.describe());
    assert_eq!(clean_l.status.code(), Some(0));
    let want: Value = serde_json::from_slice(&clean_l.stdout).unwrap();
    let got = json_of(&clean_w.stdout, &[(&win_path, &linux_path), (&out_w_s, &out_l_s)]);
    assert_eq!(got, want);
    assert_eq!(std::fs::read(&out_w).unwrap(), std::fs::read(&out_l).unwrap(), "the cleaned files differ");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_gives_a_clear_error_and_exit_2() {
    let Some((prefix, exe)) = windows("bad_input_gives_a_clear_error_and_exit_2") else { return };
    let dir = prefix.drive_c().join("bad input ñandú");
    std::fs::create_dir_all(&dir).unwrap();
    let missing = prefix.windows_path(&dir.join("nö such file.pcap"));
    let directory = prefix.windows_path(&dir);
    let held = dir.join("in use.pcapng");
    std::fs::copy(repo("crates/rdp-doctor-pcap/tests/data/nDPI/rdp.pcap"), &held).unwrap();
    let held_win = prefix.windows_path(&held);
    let garbage = dir.join("not a capture é.pcap");
    std::fs::write(&garbage, b"this is not a capture at all").unwrap();
    let garbage_win = prefix.windows_path(&garbage);

    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["capture", &missing], format!("the capture {missing} does not exist")),
        (vec!["capture", &directory], format!("the capture {directory} is a directory, not a file")),
        (vec!["capture", &garbage_win], "is not a pcap or pcapng file".to_owned()),
        (vec!["rdpfile", "lint", &missing], format!("the file {missing} does not exist")),
        (vec!["rdpfile", "lint", &directory], "is a directory, not a file".to_owned()),
        (vec!["capture", &held_win, "--keylog", &missing], format!("the key log {missing} does not exist")),
    ];
    for (args, want) in &cases {
        let out = exe_run(prefix, &exe, args, &[]);
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.describe());
        assert!(out.stderr_text().contains(want.as_str()), "{args:?}: want {want:?}\n{}", out.describe());
        assert!(!out.stderr_text().contains("panicked"), "{}", out.describe());
    }

    // A file another program holds open without sharing it: Windows' sharing violation, said in words.
    let holder = prefix.hold_file_exclusively(&held, Duration::from_secs(120)).unwrap();
    for args in [vec!["capture", held_win.as_str()], vec!["rdpfile", "lint", held_win.as_str()]] {
        let out = exe_run(prefix, &exe, &args, &[]);
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.describe());
        let err = out.stderr_text();
        assert!(err.contains(&held_win) && err.contains("another program has it open"), "{}", out.describe());
    }
    drop(holder);
    // Released: the same file reads.
    let out = exe_run(prefix, &exe, &["capture", &held_win, "--json"], &[]);
    assert!(matches!(out.code, Some(0 | 1)), "{}", out.describe());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Verdict, first failing layer, layer statuses and finding IDs of a `check --json` report.
fn outline(v: &Value) -> (String, String, Vec<String>, Vec<String>) {
    let layers = v["layers"].as_array().unwrap().iter().map(|l| format!("{}={}", l["name"], l["status"])).collect();
    let mut ids: Vec<String> =
        v["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    (v["verdict"].to_string(), v["first_failing_layer"].to_string(), layers, ids)
}

/// `check --json` by both builds against `addr`: same verdict, layers and finding IDs.
fn same_check(prefix: &WinePrefix, exe: &Path, what: &str, args: &[&str], env: &[(&str, &str)]) -> Value {
    let linux = linux_run(args, env);
    let win = exe_run(prefix, exe, args, env);
    assert_eq!(win.code, linux.status.code(), "{what}: {}", win.describe());
    let want: Value = serde_json::from_slice(&linux.stdout).unwrap();
    let got: Value = serde_json::from_slice(&win.stdout).unwrap_or_else(|e| panic!("{what}: {e}: {}", win.describe()));
    assert_eq!(outline(&got), outline(&want), "{what}: the Windows build judged differently\n{}", win.describe());
    for (_, secret) in env {
        assert!(!win.stdout_text().contains(secret) && !win.stderr_text().contains(secret), "{what}: leaked");
    }
    got
}

#[test]
fn check_against_xrdp_matches_linux() {
    let Some((prefix, exe)) = windows("check_against_xrdp_matches_linux") else { return };
    for (variant, verdict) in [
        (rdp_doctor_lab::XrdpVariant::Default, None),
        (rdp_doctor_lab::XrdpVariant::ExpiredCert, Some("\"cert.expired\"")),
        (rdp_doctor_lab::XrdpVariant::RdpSecurityOnly, None),
    ] {
        let server = rdp_doctor_lab::xrdp(variant).unwrap_or_else(|e| panic!("{variant:?}: {e}"));
        let addr = server.addr.to_string();
        // --no-udp: Wine 8 does not report an ICMP port unreachable to a connected UDP socket (Windows reports
        // WSAECONNRESET, Linux ECONNREFUSED), so under Wine the RDP-UDP probe hears silence (`udp.blocked`)
        // where both real systems see `udp.not_listening`: a difference of Wine, not of the build.
        let got = same_check(prefix, &exe, &format!("{variant:?}"), &["check", &addr, "--json", "--no-udp"], &[]);
        if let Some(v) = verdict {
            assert_eq!(got["verdict"].to_string(), v, "{variant:?}");
        }
    }
}

#[test]
fn check_against_freerdp_shadow_nla_matches_linux() {
    let Some((prefix, exe)) = windows("check_against_freerdp_shadow_nla_matches_linux") else { return };
    let password = "S3cret-pw-Wine";
    let server =
        rdp_doctor_lab::shadow(rdp_doctor_lab::ShadowVariant::Nla { user: "alice".into(), password: password.into() })
            .unwrap();
    let addr = server.addr.to_string();
    let base = ["check", addr.as_str(), "--json", "--no-udp", "--no-matrix", "--user", "alice"];
    let wrong = same_check(prefix, &exe, "wrong password", &base, &[("RDP_DOCTOR_PASSWORD", "not-the-password")]);
    assert_eq!(wrong["verdict"], "credssp.logon_failure", "{wrong:#}");
    let right = same_check(prefix, &exe, "right password", &base, &[("RDP_DOCTOR_PASSWORD", password)]);
    assert_ne!(right["first_failing_layer"], "credssp", "{right:#}");

    // The password from a file given with a drive letter (both builds read the same file).
    let dir = prefix.drive_c().join("rdp doctor pw");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pässword.txt");
    std::fs::write(&file, format!("{password}\r\n")).unwrap();
    let mut linux_args = base.to_vec();
    let linux_file = file.display().to_string();
    linux_args.extend(["--password-file", &linux_file]);
    let linux = linux_run(&linux_args, &[]);
    let mut win_args = base.to_vec();
    let win_file = prefix.windows_path(&file);
    win_args.extend(["--password-file", &win_file]);
    let win = exe_run(prefix, &exe, &win_args, &[]);
    assert_eq!(win.code, linux.status.code(), "{}", win.describe());
    let (w, l): (Value, Value) =
        (serde_json::from_slice(&win.stdout).unwrap(), serde_json::from_slice(&linux.stdout).unwrap());
    assert_eq!(outline(&w), outline(&l));
    assert_eq!(outline(&w), outline(&right), "the file's password is the right one");
    assert!(!win.stdout_text().contains(password) && !win.stderr_text().contains(password));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The Windows build asks Windows' trust store (rustls-platform-verifier → crypt32): a certificate is
/// untrusted in a plain prefix, as on Linux, and trusted once it is in the machine's Root store.
#[test]
#[ignore = "not yet run: whether Wine 8's crypt32 chain engine reads a Root certificate from the registry is unverified (issue 16 ran out of time); run with --ignored"]
fn check_asks_the_windows_trust_store() {
    let Some((shared, exe)) = windows("check_asks_the_windows_trust_store") else { return };
    let server = rdp_doctor_lab::xrdp(rdp_doctor_lab::XrdpVariant::OtherNameCert).unwrap();
    let addr = server.addr.to_string();
    let args =
        ["check", addr.as_str(), "--json", "--no-udp", "--no-matrix", "--tls-name", rdp_doctor_lab::OTHER_CERT_NAME];
    let trusted = |out: &WineOutput| -> (bool, Vec<String>) {
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.describe()));
        let t = v["evidence"]["tls"]["trust"]["trusted"].as_bool().unwrap_or_else(|| panic!("{v:#}"));
        (t, v["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect())
    };
    let (before, findings) = trusted(&exe_run(shared, &exe, &args, &[]));
    assert!(!before, "a certificate nobody installed is untrusted");
    assert!(findings.iter().any(|f| f == "cert.untrusted" || f == "cert.self_signed"), "{findings:?}");

    let private = wine::wine().unwrap().private_prefix("trust-store").unwrap();
    private.add_certificate_file("Root", server.certificate.as_deref().unwrap()).unwrap();
    let out = exe_run(&private, &exe, &args, &[]);
    let (after, findings) = trusted(&out);
    assert!(after, "in the machine's Root store the certificate is trusted: {findings:?}\n{}", out.describe());
}
