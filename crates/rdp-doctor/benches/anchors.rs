//! Speed against the anchors: a full `rdp-doctor check` against a loopback xrdp, side by side with
//! `xfreerdp +auth-only` (FreeRDP's own connect up to authentication) and nmap's `rdp-enum-encryption`
//! script, each run N times; prints min/median/p90 wall time and the ratio anchor ÷ rdp-doctor.
//!
//! Run with `bench/run.sh` (or `cargo bench -p rdp-doctor --bench anchors -- [N]`). Needs root and the
//! packages `scripts/test.sh` installs. Traffic goes to 127.0.0.1 only.
// It drives Linux lab servers (rdp-doctor-lab): on other targets the bench is empty (checked, never run).
#![cfg_attr(not(unix), no_main)]
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rdp_doctor_lab::{ShadowVariant, XrdpVariant};

struct Stats {
    name: &'static str,
    runs: Vec<Duration>,
    failures: usize,
}

impl Stats {
    fn pct(&self, p: f64) -> Duration {
        let mut v = self.runs.clone();
        v.sort();
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v[i.min(v.len() - 1)]
    }
}

fn time_runs(name: &'static str, n: usize, mut make: impl FnMut() -> Command) -> Stats {
    let mut runs = Vec::with_capacity(n);
    let mut failures = 0;
    for _ in 0..n {
        let mut cmd = make();
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        let start = Instant::now();
        let status = cmd.status().unwrap_or_else(|e| panic!("cannot run {name}: {e}"));
        runs.push(start.elapsed());
        if !status.success() {
            failures += 1;
        }
    }
    Stats { name, runs, failures }
}

fn ms(d: Duration) -> String {
    format!("{:8.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(20);
    let server = rdp_doctor_lab::xrdp(XrdpVariant::Default).expect("start xrdp");
    // xfreerdp needs an X display even with +auth-only: borrow the shadow server's Xvfb.
    let display = rdp_doctor_lab::shadow(ShadowVariant::Tls).expect("start Xvfb (via the shadow server)");
    let target = server.addr.to_string();
    let port = server.addr.port().to_string();
    let bin = env!("CARGO_BIN_EXE_rdp-doctor");
    println!("target: xrdp (default certificate) on {target}; {n} runs each\n");

    let ours = time_runs("rdp-doctor check (DNS→TCP→X.224→TLS+cert)", n, || {
        let mut c = Command::new(bin);
        c.args(["check", &target, "--json", "--fail-on", "never"]);
        c
    });
    let chain = time_runs("rdp-doctor check, chain only (no matrix/series/UDP)", n, || {
        let mut c = Command::new(bin);
        c.args(["check", &target, "--json", "--fail-on", "never", "--samples", "0", "--no-matrix", "--no-udp"]);
        c
    });
    let deep = time_runs("rdp-doctor check --deep (+ TLS versions/suites)", n, || {
        let mut c = Command::new(bin);
        c.args(["check", &target, "--json", "--fail-on", "never", "--deep"]);
        c
    });
    let mut stats = vec![ours, chain, deep];
    if rdp_doctor_lab::require("xfreerdp").is_ok() {
        let disp = format!(":{}", display.display.unwrap_or(0));
        stats.push(time_runs("xfreerdp +auth-only /sec:tls", n, || {
            let mut c = Command::new("xfreerdp");
            c.env("DISPLAY", &disp).env("HOME", display.dir()).args([
                &format!("/v:{target}"),
                "/u:bench",
                "/p:bench",
                "/cert:ignore",
                "/sec:tls",
                "+auth-only",
            ]);
            c
        }));
    }
    if rdp_doctor_lab::require("nmap").is_ok() {
        stats.push(time_runs("nmap --script rdp-enum-encryption", n, || {
            let mut c = Command::new("nmap");
            c.args(["-Pn", "-n", "-p", &port, "--script", "rdp-enum-encryption", "127.0.0.1"]);
            c
        }));
    }
    let base = stats[0].pct(0.5);
    println!("{:<44} {:>11} {:>11} {:>11} {:>9} {:>8}", "tool", "min", "median", "p90", "failed", "ratio");
    for s in &stats {
        let ratio = s.pct(0.5).as_secs_f64() / base.as_secs_f64();
        println!(
            "{:<44} {} {} {} {:>9} {:>7.1}x",
            s.name,
            ms(s.pct(0.0)),
            ms(s.pct(0.5)),
            ms(s.pct(0.9)),
            format!("{}/{}", s.failures, s.runs.len()),
            ratio
        );
    }
    println!("\nratio = the tool's median ÷ rdp-doctor check's median (higher means rdp-doctor is faster).");
    println!(
        "check includes the security matrix (five or six connections, whose handshakes are also the quality samples)"
    );
    println!("and the UDP probe; the layer chain alone (--samples 0 --no-matrix --no-udp) is the 'chain only' row.");
    println!("xrdp forks for every connection and queues at most 3 (listen backlog 2), which is what --deep's TLS");
    println!("scan (one connection per accepted suite) pays for there.");
    println!("xfreerdp /sec:tls +auth-only connects through TCP, X.224 and TLS and stops before the session.");
}
