//! What FreeRDP does with .rdp files, against FreeRDP's shadow server with NLA (lab): a file written by
//! `rdpfile clean` or `rdpfile new` reaches authentication with `xfreerdp FILE /cert:ignore +auth-only`,
//! and the client behaviours the rdpfile findings quote as "observed with FreeRDP 2.11" hold (the last
//! duplicate wins, `server port` beats the port in `full address`, a UTF-8 BOM spoils the first line,
//! UTF-16 needs its BOM).
//!
//! Needs root and the Debian packages `scripts/test.sh` installs (xfreerdp, freerdp-shadow-cli, Xvfb).
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use rdp_doctor_lab::{LabServer, ShadowVariant};

const USER: &str = "alice";
const PASSWORD: &str = "S3cret-pw";

/// `xfreerdp FILE /p:PASSWORD /cert:ignore +auth-only` on the server's display; (authenticated, output).
fn xfreerdp(server: &LabServer, file: &Path) -> (bool, String) {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .args(["30", "xfreerdp"])
        .arg(file)
        .args([&format!("/p:{PASSWORD}"), "/cert:ignore", "+auth-only"])
        .env("DISPLAY", format!(":{}", server.display.unwrap()))
        .env("HOME", home.path())
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn rdp_doctor(args: &[&str], file: &Path, extra: &[&str]) {
    let out = assert_cmd::Command::cargo_bin("rdp-doctor")
        .unwrap()
        .timeout(Duration::from_secs(60))
        .args(args)
        .arg(file)
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let mut b = if bom { vec![0xFF, 0xFE] } else { vec![] };
    b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    b
}

#[test]
fn freerdp_reads_files_as_the_findings_say() {
    let server = rdp_doctor_lab::shadow(ShadowVariant::Nla { user: USER.into(), password: PASSWORD.into() })
        .unwrap_or_else(|e| panic!("cannot start the shadow server: {e}"));
    let port = server.addr.port();
    let closed = rdp_doctor_lab::closed_port().port();
    let dir = tempfile::tempdir().unwrap();

    // `clean` on a messy file: the port comes from `server port`, the user from the last duplicate, the
    // junk, the password blob and the display noise are dropped.
    let messy = dir.path().join("messy.rdp");
    fs::write(
        &messy,
        format!(
            "foo bar\nfull address:s:127.0.0.1\nserver port:i:{port}\nusername:s:mallory\npassword 51:b:0100AB\nsmart sizing:i:1\ndynamic resolution:i:1\nusername:s:{USER}\n"
        ),
    )
    .unwrap();
    let clean = dir.path().join("clean.rdp");
    rdp_doctor(&["rdpfile", "clean"], &messy, &["-o", clean.to_str().unwrap()]);
    let (ok, out) = xfreerdp(&server, &clean);
    assert!(ok, "FreeRDP must authenticate with the clean file:\n{out}\n--- server ---\n{}", server.log_tail());

    // `new` with the right and a wrong user: the file's user name is what FreeRDP sends.
    let good = dir.path().join("new.rdp");
    rdp_doctor(&["rdpfile", "new", &format!("127.0.0.1:{port}"), "--user", USER, "-o"], &good, &[]);
    let (ok, out) = xfreerdp(&server, &good);
    assert!(ok, "a new file must authenticate:\n{out}");
    let wrong = dir.path().join("wrong.rdp");
    rdp_doctor(&["rdpfile", "new", &format!("127.0.0.1:{port}"), "--user", "nobody", "-o"], &wrong, &[]);
    let (ok, _) = xfreerdp(&server, &wrong);
    assert!(!ok, "a wrong user in the file must fail: the file is really read");

    // The behaviours quoted in the findings.
    let user = format!("username:s:{USER}\r\n");
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        (
            "rdpfile.duplicate_setting: the last `full address` wins",
            format!("full address:s:127.0.0.1:{closed}\r\n{user}full address:s:127.0.0.1:{port}\r\n").into_bytes(),
            true,
        ),
        (
            "rdpfile.duplicate_setting: ... also when it is the wrong one",
            format!("full address:s:127.0.0.1:{port}\r\n{user}full address:s:127.0.0.1:{closed}\r\n").into_bytes(),
            false,
        ),
        (
            "rdpfile.port_conflict: `server port` beats the port in `full address`",
            format!("full address:s:127.0.0.1:{closed}\r\n{user}server port:i:{port}\r\n").into_bytes(),
            true,
        ),
        (
            "rdpfile.utf8_bom: the BOM spoils the first line",
            [&[0xEF, 0xBB, 0xBF][..], format!("full address:s:127.0.0.1:{port}\r\n{user}").as_bytes()].concat(),
            false,
        ),
        (
            "rdpfile.utf8_bom: ... and only the first line",
            [
                &[0xEF, 0xBB, 0xBF][..],
                format!("screen mode id:i:1\r\nfull address:s:127.0.0.1:{port}\r\n{user}").as_bytes(),
            ]
            .concat(),
            true,
        ),
        ("UTF-16LE with BOM is read", utf16le(&format!("full address:s:127.0.0.1:{port}\r\n{user}"), true), true),
        (
            "rdpfile.utf16_big_endian: not read",
            [
                &[0xFE, 0xFF][..],
                &format!("full address:s:127.0.0.1:{port}\r\n{user}")
                    .encode_utf16()
                    .flat_map(u16::to_be_bytes)
                    .collect::<Vec<u8>>(),
            ]
            .concat(),
            false,
        ),
        (
            "rdpfile.utf16_without_bom: not read",
            utf16le(&format!("full address:s:127.0.0.1:{port}\r\n{user}"), false),
            false,
        ),
        (
            "rdpfile.malformed_line: spaces around the name",
            format!(" full address:s:127.0.0.1:{port}\r\n{user}").into_bytes(),
            false,
        ),
        (
            "rdpfile.malformed_line: an upper-case type letter",
            format!("full address:S:127.0.0.1:{port}\r\n{user}").into_bytes(),
            false,
        ),
        (
            "rdpfile.nonstandard_name: names are case-insensitive",
            format!("Full Address:s:127.0.0.1:{port}\r\n{user}").into_bytes(),
            true,
        ),
        (
            "rdpfile.mixed_line_endings: a bare CR ends a line",
            format!("username:s:{USER}\rfull address:s:127.0.0.1:{port}\r").into_bytes(),
            true,
        ),
    ];
    let mut wrong = Vec::new();
    for (what, bytes, expect) in cases {
        let f = dir.path().join("case.rdp");
        fs::write(&f, &bytes).unwrap();
        let (ok, out) = xfreerdp(&server, &f);
        eprintln!("{what}: authenticated = {ok}");
        if ok != expect {
            wrong.push(format!("{what}: expected authenticated = {expect}, got {ok}\n{out}"));
        }
    }
    assert!(wrong.is_empty(), "FreeRDP behaves differently than the findings say:\n{}", wrong.join("\n"));

    // The lab's xrdp (TLS, no NLA): a clean file reaches the end of FreeRDP's +auth-only connection too.
    let xrdp =
        rdp_doctor_lab::xrdp(rdp_doctor_lab::XrdpVariant::Default).unwrap_or_else(|e| panic!("cannot start xrdp: {e}"));
    let f = dir.path().join("xrdp.rdp");
    rdp_doctor(&["rdpfile", "new", &xrdp.addr.to_string(), "--user", "nobody", "-o"], &f, &[]);
    let (ok, out) = xfreerdp(&server, &f);
    assert!(ok, "xfreerdp with a new file against xrdp:\n{out}\n--- xrdp ---\n{}", xrdp.log_tail());
}
