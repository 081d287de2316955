//! contrib/prometheus as shipped: `promtool check config` on the scrape configuration, `promtool check
//! rules` on the alerting rules and `promtool test rules` on their unit tests (Debian's prometheus package).
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contrib/prometheus")
}

/// Runs promtool in `cwd` (bounded by `timeout`); its success and output.
fn promtool_in(cwd: &Path, args: &[&str]) -> (bool, String) {
    let bin = rdp_doctor_lab::require("promtool").unwrap();
    let out = Command::new("timeout").arg("60").arg(bin).args(args).current_dir(cwd).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn promtool(args: &[&str]) -> String {
    let (ok, text) = promtool_in(&dir(), args);
    assert!(ok, "promtool {args:?} failed:\n{text}");
    text
}

#[test]
fn the_alerting_rules_pass_promtool_check_and_their_unit_tests() {
    let checked = promtool(&["check", "rules", "rdp-alerts.yml"]);
    assert!(checked.contains("SUCCESS: 5 rules found"), "{checked}");
    let tested = promtool(&["test", "rules", "rdp-alerts.test.yml"]);
    assert!(tested.contains("SUCCESS"), "{tested}");
}

#[test]
fn the_scrape_configuration_passes_promtool_check() {
    let checked = promtool(&["check", "config", "prometheus.yml"]);
    assert!(checked.contains("is valid prometheus config file syntax"), "{checked}");
}

/// The unit tests can fail: a wrong expectation is reported (so the passing run above means something).
#[test]
fn a_wrong_expectation_fails_the_unit_tests() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(dir().join("rdp-alerts.yml"), tmp.path().join("rdp-alerts.yml")).unwrap();
    let tests = std::fs::read_to_string(dir().join("rdp-alerts.test.yml")).unwrap();
    assert!(tests.contains("instance: rds2}"));
    std::fs::write(tmp.path().join("t.yml"), tests.replace("instance: rds2}", "instance: rds3}")).unwrap();
    let (ok, text) = promtool_in(tmp.path(), &["test", "rules", "t.yml"]);
    assert!(!ok, "{text}");
    assert!(text.contains("FAILED"), "{text}");
}
