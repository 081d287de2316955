//! The password prompt of `check --user` in a Windows console: with neither `--password-file` nor
//! `RDP_DOCTOR_PASSWORD`, the Windows build asks on the console (`CONIN$`, echo off) and makes its one
//! logon attempt with what was typed. Wine gives a program a console when its standard handles are a
//! terminal (`WineCommand::run_on_terminal` runs it on a pseudo-terminal); without one there is no
//! console, and the build must say how else to give the password instead of hanging.

use rdp_doctor_lab::wine::Step;

use super::*;

#[test]
fn prompt_without_a_console_says_how_to_give_the_password() {
    let Some((prefix, exe)) = windows("prompt_without_a_console_says_how_to_give_the_password") else { return };
    // The credentials are read before any connection: the address is never contacted.
    let out = exe_run(prefix, &exe, &["check", "127.0.0.1:9", "--user", "alice", "--json"], &[]);
    assert_eq!(out.code, Some(2), "{}", out.describe());
    let err = out.stderr_text();
    assert!(err.contains("no password for --user: cannot prompt"), "{}", out.describe());
    assert!(err.contains("--password-file") && err.contains("RDP_DOCTOR_PASSWORD"), "{}", out.describe());
    assert!(out.stdout.is_empty(), "{}", out.describe());
}

#[test]
fn prompt_on_a_console_reads_the_password_without_echo() {
    let Some((prefix, exe)) = windows("prompt_on_a_console_reads_the_password_without_echo") else { return };
    let password = "Pr0mpt-pw-Wine";
    let server =
        rdp_doctor_lab::shadow(rdp_doctor_lab::ShadowVariant::Nla { user: "alice".into(), password: password.into() })
            .unwrap();
    let addr = server.addr.to_string();
    let dir = prefix.drive_c().join("rdp doctor prompt");
    std::fs::create_dir_all(&dir).unwrap();
    // The right password, then a wrong one: the report (written with -o, the terminal shows the console's
    // drawing) names the outcome of the one attempt made with what was typed.
    let mut verdicts = Vec::new();
    for (typed, name) in [(password, "right.json"), ("not-the-password", "wrong.json")] {
        let report = dir.join(name);
        let report_win = prefix.windows_path(&report);
        let args = ["check", &addr, "--json", "--no-udp", "--no-matrix", "--user", "alice", "-o", &report_win];
        let line = format!("{typed}\r");
        let out = prefix
            .command(&exe)
            .args(args)
            .env("NO_COLOR", "1")
            .timeout(Duration::from_secs(180))
            .run_on_terminal(&[Step { wait_for: "Password for alice", then_type: line.as_bytes() }])
            .unwrap();
        let screen = out.stdout_text();
        assert!(screen.contains("one logon attempt will be made"), "{}", out.describe());
        assert!(!screen.contains(typed), "the password was echoed:\n{}", out.describe());
        assert!(matches!(out.code, Some(0 | 1)), "{}", out.describe());
        let v: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        assert!(!v.to_string().contains(typed), "the password is in the report");
        verdicts.push(v);
    }
    assert_ne!(verdicts[0]["first_failing_layer"], "credssp", "the typed password is the right one: {:#}", verdicts[0]);
    assert_eq!(verdicts[1]["verdict"], "credssp.logon_failure", "{:#}", verdicts[1]);
    // The same verdicts as the Linux build given the same passwords in the environment.
    for (v, pw) in verdicts.iter().zip([password, "not-the-password"]) {
        let args = ["check", addr.as_str(), "--json", "--no-udp", "--no-matrix", "--user", "alice"];
        let linux: Value = serde_json::from_slice(&linux_run(&args, &[("RDP_DOCTOR_PASSWORD", pw)]).stdout).unwrap();
        let (w, l) = comparable(v, &linux);
        assert_eq!(w, l);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
