//! Issue 14: every external program the suite and the benches run is in the lab's tool table
//! (`rdp_doctor_lab::TOOLS`), each belongs (by `dpkg -S`) to the package the table names, and
//! `scripts/test.sh` installs every one of those packages. A tool that one machine got by hand (as
//! `kadmin.local` from `krb5-admin-server` once did) therefore fails this test on every machine, including
//! the one where everything happens to be installed.
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Packages `scripts/test.sh` installs that ship no program the suite runs, and why they are there.
const NON_TOOL_PACKAGES: &[(&str, &str)] = &[
    ("libssl-dev", "OpenSSL headers for openssl-sys (the legacy TLS path)"),
    ("pkg-config", "finds OpenSSL for openssl-sys"),
    ("ca-certificates", "the system trust store the TLS verifier asks"),
    ("python3-jsonschema", "the scan tests validate JSONL reports against docs/report.schema.json with it"),
    ("gcc-mingw-w64-x86-64", "the mingw toolchain: linker of the Windows build (.cargo/config.toml), vendored OpenSSL"),
    ("perl", "Configure of the vendored OpenSSL in the Windows build"),
    ("make", "building the vendored OpenSSL in the Windows build"),
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_path_buf()
}

/// The `PACKAGES=( … )` array of `scripts/test.sh`, comments dropped.
fn test_sh_packages() -> BTreeSet<String> {
    let text = std::fs::read_to_string(workspace_root().join("scripts/test.sh")).unwrap();
    let start = text.find("PACKAGES=(").expect("scripts/test.sh has no PACKAGES=( array");
    let body = &text[start + "PACKAGES=(".len()..];
    let end = body.find(')').expect("unterminated PACKAGES array");
    body[..end]
        .lines()
        .map(|l| l.split('#').next().unwrap())
        .flat_map(str::split_whitespace)
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_listed_tool_is_installed_by_test_sh() {
    let packages = test_sh_packages();
    for t in rdp_doctor_lab::TOOLS {
        assert!(
            packages.contains(t.package),
            "`{}` ({}) comes from the Debian package `{}`, which scripts/test.sh does not install",
            t.name,
            t.used_for,
            t.package
        );
    }
    // The converse: no package in the list without a reason (a stale entry hides what is really needed).
    for p in &packages {
        let used =
            rdp_doctor_lab::TOOLS.iter().any(|t| t.package == p) || NON_TOOL_PACKAGES.iter().any(|(n, _)| n == p);
        assert!(used, "scripts/test.sh installs `{p}`, which no tool of the lab's table needs and no reason lists");
    }
}

/// The packages `dpkg -S` says own `path` (tried as found, resolved, and in its /usr-merged twin, since
/// dpkg's database records the path the package shipped).
fn dpkg_owners(path: &Path) -> Result<BTreeSet<String>, String> {
    let mut candidates = vec![path.to_path_buf()];
    if let Ok(real) = std::fs::canonicalize(path) {
        candidates.push(real);
    }
    for c in candidates.clone() {
        let s = c.display().to_string();
        if let Some(rest) = s.strip_prefix("/usr") {
            candidates.push(PathBuf::from(rest));
        } else {
            candidates.push(PathBuf::from(format!("/usr{s}")));
        }
    }
    let mut tried = Vec::new();
    for c in &candidates {
        let out = Command::new("dpkg").arg("-S").arg(c).output().map_err(|e| format!("cannot run dpkg -S: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let owners: BTreeSet<String> = text
            .lines()
            .filter(|l| !l.starts_with("diversion by"))
            .filter_map(|l| l.rsplit_once(": ").map(|(pkgs, _)| pkgs))
            .flat_map(|pkgs| pkgs.split(", "))
            .map(|p| p.split(':').next().unwrap_or(p).trim().to_owned())
            .collect();
        if out.status.success() && !owners.is_empty() {
            return Ok(owners);
        }
        tried.push(c.display().to_string());
    }
    Err(format!("no package owns any of {tried:?}"))
}

#[test]
fn every_listed_tool_belongs_to_its_package() {
    assert!(
        rdp_doctor_lab::find_tool("dpkg").is_some(),
        "dpkg not found: the suite runs on Debian 12 (see README); this check needs dpkg -S"
    );
    let mut problems = Vec::new();
    for t in rdp_doctor_lab::TOOLS {
        let Some(path) = rdp_doctor_lab::find_tool(t.name) else {
            problems.push(format!(
                "`{}` is not installed: install `{}` (scripts/test.sh does, when it is in its list)",
                t.name, t.package
            ));
            continue;
        };
        match dpkg_owners(&path) {
            Ok(owners) if owners.contains(t.package) => {}
            Ok(owners) => problems.push(format!(
                "`{}` ({}) belongs to {owners:?}, not to `{}` as the table says",
                t.name,
                path.display(),
                t.package
            )),
            Err(e) => problems.push(format!("`{}` ({}): {e}", t.name, path.display())),
        }
    }
    assert!(problems.is_empty(), "the lab's tool table is wrong on this machine:\n{}", problems.join("\n"));
}

/// Rust sources that run external programs: every crate's tests and benches, the lab and the test servers.
fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() && p.file_name().is_some_and(|n| n != "target" && n != "data") {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = workspace_root();
    let mut out = Vec::new();
    for krate in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        let k = krate.path();
        let whole = k.file_name().is_some_and(|n| n == "rdp-doctor-lab" || n == "rdp-doctor-testserver");
        for sub in ["tests", "benches", "src"] {
            if sub != "src" || whole {
                walk(&k.join(sub), &mut out);
            }
        }
    }
    walk(&root.join("fuzz"), &mut out);
    out
}

/// The string literal at the start of `s` (after whitespace), if any.
fn leading_literal(s: &str) -> Option<&str> {
    let s = s.trim_start().strip_prefix('"')?;
    s.find('"').map(|end| &s[..end])
}

/// Program names that `src` runs by a literal name: `Command::new("x")`, `require("x")`, and the program a
/// `Command::new("timeout")` runs (the first literal of its arguments that is neither a number nor a flag).
fn programs_named_in(src: &str) -> Vec<String> {
    let mut found = Vec::new();
    for pat in ["Command::new(", "require("] {
        for (i, _) in src.match_indices(pat) {
            let after = &src[i + pat.len()..];
            let Some(name) = leading_literal(after) else { continue };
            let name = name.rsplit('/').next().unwrap_or(name);
            found.push(name.to_owned());
            if name == "timeout" {
                // Its arguments: up to the end of the statement or the first builder call that is not one.
                let mut end = after.find(';').unwrap_or(after.len());
                for stop in [".env", ".std", ".current_dir", ".output", ".spawn", ".status"] {
                    end = end.min(after.find(stop).unwrap_or(end));
                }
                let statement = &after[..end];
                let wrapped =
                    statement.split('"').skip(3).step_by(2).find(|lit| {
                        !lit.is_empty() && !lit.starts_with(['-', '/', '+']) && lit.parse::<f64>().is_err()
                    });
                if let Some(w) = wrapped {
                    found.push(w.to_owned());
                }
            }
        }
    }
    found
}

#[test]
fn scanner_finds_programs_in_each_form() {
    let src = r#"
        let a = Command::new("tshark").arg("-r");
        let b = rdp_doctor_lab::require("kadmin.local").unwrap();
        let c = Command::new("timeout").args(["30", "xfreerdp", "/v:x"]).output();
        let c2 = Command::new("timeout").arg("30").arg(bin).env("DISPLAY", ":1").output();
        let d = StdCommand::new("/usr/bin/time").arg("-v");
        let e = Command::new(bin);
    "#;
    assert_eq!(programs_named_in(src), ["tshark", "timeout", "xfreerdp", "timeout", "time", "kadmin.local"]);
}

#[test]
fn every_program_the_sources_run_is_listed() {
    let mut unlisted = Vec::new();
    let mut seen = 0;
    for file in sources() {
        // This file's own scanner patterns and fixtures are not programs the suite runs (its `dpkg` is listed).
        if file.ends_with("rdp-doctor-lab/tests/tools.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for name in programs_named_in(&text) {
            seen += 1;
            // Our own binaries, and the deliberately unknown name of lab.rs's negative test.
            if name.starts_with("rdp-doctor") || name.contains("does-not-exist") || name == "cargo" {
                continue;
            }
            if rdp_doctor_lab::tool_named(&name).is_none() {
                unlisted.push(format!("{}: `{name}`", file.strip_prefix(workspace_root()).unwrap().display()));
            }
        }
    }
    assert!(seen > 20, "the scanner found only {seen} program names: it no longer matches the sources");
    assert!(
        unlisted.is_empty(),
        "programs run by the suite but missing from the lab's tool table:\n{}",
        unlisted.join("\n")
    );
}
