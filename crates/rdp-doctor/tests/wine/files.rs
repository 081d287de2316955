//! `explain`, `capture`, `rdpfile` and bad file arguments: the same JSON and the same errors as the Linux build.

use super::*;

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
