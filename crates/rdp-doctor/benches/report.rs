//! The HTML of a 1,000-host scan: its size, and how fast headless Chromium opens it (a bench, not a test:
//! timings are measured here, never asserted in tests).
//!
//! The fleet: IronRDP's acceptor in process behind 900 loopback addresses (127.60.x.y:3389, three servers
//! of 300: TLS with an expired certificate; NLA with a self-signed one for localhost, listed with that TLS
//! name; NLA with a certificate for another name) and 100 refused ports (127.61.x.y:3389). One real
//! `rdp-doctor scan --format html` writes the page (and the JSONL beside it, whose verdicts are counted);
//! Chromium (fresh profile, headless) then opens the page five times. Prints the page size, the scan's wall
//! time, each load (navigation to the load event, wall clock and the page's own navigation timing), and one
//! sort of the 1,000-row table; exits 1 when the page reaches 5 MB or the median load 2 s.
//!
//!     bench/report.sh
// It drives Linux lab servers (rdp-doctor-lab): on other targets the bench is empty (checked, never run).
#![cfg_attr(not(unix), no_main)]
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::process::Command;
use std::time::Instant;

use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};

const MAX_BYTES: u64 = 5 * 1024 * 1024;
const MAX_LOAD_MS: f64 = 2000.0;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let addr = |net: u8, i: usize| SocketAddr::from(([127, net, (i / 250) as u8, (i % 250 + 1) as u8], 3389));
    let pw = || "Bench-pw-1".to_owned();
    let kinds = [
        (CertSpec::ExpiredYesterday, Security::Tls),
        (CertSpec::Valid, Security::HybridEx { username: "u".into(), password: pw() }),
        (CertSpec::OtherName("rds9.corp.example".into()), Security::Hybrid { username: "u".into(), password: pw() }),
    ];
    let mut servers = Vec::new();
    let mut targets = Vec::new();
    for (k, (cert, security)) in kinds.into_iter().enumerate() {
        let addrs: Vec<SocketAddr> = (k * 300..(k + 1) * 300).map(|i| addr(60, i)).collect();
        let s = TestServer::start_many(TestServerConfig { bind: addrs[0], cert, security }, &addrs[1..]).unwrap();
        // The valid certificate names localhost: its hosts are listed with that TLS name.
        let name = if k == 1 { ",localhost" } else { "" };
        targets.extend(addrs.iter().map(|a| format!("{a}{name}")));
        servers.push(s);
    }
    targets.extend((0..100).map(|i| addr(61, i).to_string()));
    let list = dir.path().join("fleet.txt");
    std::fs::write(&list, targets.join("\n")).unwrap();
    let page = dir.path().join("fleet.html");
    let jsonl = dir.path().join("fleet.jsonl");
    let start = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_rdp-doctor"))
        .args(["scan", "--iL", list.to_str().unwrap(), "--format", "html", "-o", page.to_str().unwrap()])
        .args(["--jsonl", jsonl.to_str().unwrap(), "--fail-on", "never", "--progress", "never", "--no-summary"])
        .status()
        .unwrap();
    let scan_s = start.elapsed().as_secs_f64();
    assert!(status.success(), "scan failed: {status}");
    drop(servers);
    let bytes = std::fs::metadata(&page).unwrap().len();
    let rows = std::fs::read_to_string(&jsonl).unwrap();
    let mut verdicts = std::collections::BTreeMap::<String, usize>::new();
    for line in rows.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        *verdicts.entry(v["verdict"].as_str().unwrap_or("?").to_owned()).or_default() += 1;
    }
    let hosts: usize = verdicts.values().sum();
    println!("scan of {hosts} hosts: {scan_s:.1} s; verdicts {verdicts:?}");
    println!("HTML page {:.2} MB ({bytes} bytes)", bytes as f64 / 1048576.0);

    let mut b = rdp_doctor_lab::Browser::start().unwrap();
    b.viewport(1280, 900, false).unwrap();
    let mut loads = Vec::new();
    for i in 0..5 {
        let load = b.open(&page).unwrap();
        assert!(load.errors.is_empty(), "{:?}", load.errors);
        let nav = b
            .eval("(() => { const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime; })()")
            .unwrap()
            .as_f64()
            .unwrap_or(f64::NAN);
        let wall = load.load.as_secs_f64() * 1000.0;
        println!("load {}: {wall:.0} ms to the load event (page navigation timing {nav:.0} ms)", i + 1);
        loads.push(wall);
    }
    let rows = b.eval("document.querySelectorAll('table.hosts tbody tr').length").unwrap();
    let sort = b
        .eval("(() => { const t = performance.now(); document.querySelectorAll('table.hosts th button')[6].click(); return performance.now() - t; })()")
        .unwrap();
    println!("table: {rows} rows; one sort by certificate days: {:.0} ms", sort.as_f64().unwrap_or(f64::NAN));
    loads.sort_by(f64::total_cmp);
    let median = loads[loads.len() / 2];
    println!(
        "median load {median:.0} ms (min {:.0}, max {:.0}); limits: page < 5 MB, median load < 2 s",
        loads[0],
        loads[loads.len() - 1]
    );
    if bytes >= MAX_BYTES || median >= MAX_LOAD_MS {
        println!("FAILED: over a limit");
        std::process::exit(1);
    }
}
