//! The files in contrib/ are what users copy: they must load and validate as shipped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;

fn contrib(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contrib").join(path)
}

#[test]
fn the_example_exporter_configuration_loads() {
    let text = std::fs::read_to_string(contrib("rdp-doctor-exporter.yml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("monitor.password");
    std::fs::write(&pw, "example\n").unwrap();
    // The one path that exists only on a real installation.
    let text = text.replace("/etc/rdp-doctor/monitor.password", &pw.display().to_string());
    let config = rdp_doctor_monitor::config::parse(&text, dir.path()).unwrap();
    let names: Vec<&str> = config.modules.keys().map(String::as_str).collect();
    assert_eq!(names, ["logon", "rdp", "rdp_full", "via_gateway"]);
    assert_eq!(config.modules["rdp_full"].timeout, rdp_doctor_monitor::config::DEFAULT_TIMEOUT);
    assert!(config.modules["logon"].credentials.is_some());
    assert_eq!(config.limits.max_concurrent_probes, 32);
}
