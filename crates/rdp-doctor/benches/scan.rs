//! Fleet speed and memory: `rdp-doctor scan` over 10,000 targets on this machine, side by side with nmap.
//!
//! The fleet: IronRDP's acceptor in process on 6,000 loopback addresses (127.50.x.y:3389, three servers of
//! 2,000 addresses: NLA with a valid certificate, TLS with an expired one, NLA with a certificate for
//! another name), the lab's xrdp (expired certificate, RDP Security only) and FreeRDP's shadow server
//! (NLA), refused ports on 127.51.x.y, and hosts in network namespaces whose firewall drops every TCP
//! packet. Runs, each a separate `rdp-doctor scan` process under GNU time (peak RSS, CPU):
//!
//! 1. the reachable-and-negotiated part alone (default depth), with how its time splits;
//! 2. the refused ports alone, the filtered hosts alone;
//! 3. the whole mixed fleet (10,000) and a quarter of it: peak RSS must not grow with the targets;
//! 4. nmap `-p 3389 --script rdp-enum-encryption,ssl-cert` over 500 reachable targets and our scan of the
//!    same 500, with the ratio.
//!
//! `bench/scan.sh [TARGETS]` (default 10000). Needs root (namespaces, xrdp's keys) and the lab packages.
//! Traffic stays on loopback and in the bench's own namespaces.
// It drives Linux lab servers (rdp-doctor-lab): on other targets the bench is empty (checked, never run).
#![cfg_attr(not(unix), no_main)]
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rdp_doctor_lab::{Firewall, ShadowVariant, XrdpVariant};
use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};

struct Run {
    name: String,
    targets: usize,
    wall: Duration,
    cpu_s: f64,
    peak_rss_mb: f64,
    jsonl: PathBuf,
}

impl Run {
    fn rate(&self) -> f64 {
        self.targets as f64 / self.wall.as_secs_f64()
    }
}

/// Runs `rdp-doctor scan` on `list` under GNU time; returns wall time, CPU and peak RSS.
fn scan(name: &str, dir: &Path, list: &[String], extra: &[&str]) -> Run {
    let file = dir.join(format!("{name}.txt"));
    std::fs::write(&file, list.join("\n")).unwrap();
    let jsonl = dir.join(format!("{name}.jsonl"));
    let time = rdp_doctor_lab::require("time").unwrap();
    let stats = dir.join(format!("{name}.time"));
    let start = Instant::now();
    let status = Command::new(time)
        .arg("-v")
        .arg("-o")
        .arg(&stats)
        .arg(env!("CARGO_BIN_EXE_rdp-doctor"))
        .args(["scan", "-iL", file.to_str().unwrap(), "-o", jsonl.to_str().unwrap()])
        .args(["--fail-on", "never", "--progress", "never", "--no-summary"])
        .args(extra)
        .status()
        .unwrap();
    let wall = start.elapsed();
    assert!(status.success(), "{name}: scan failed");
    let text = std::fs::read_to_string(&stats).unwrap();
    let field = |label: &str| -> f64 {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().parse::<f64>().unwrap_or(0.0)))
            .unwrap_or(0.0)
    };
    let cpu_s = field("User time (seconds):") + field("System time (seconds):");
    let peak_rss_mb = field("Maximum resident set size (kbytes):") / 1024.0;
    let lines = std::fs::read_to_string(&jsonl).unwrap().lines().count();
    assert_eq!(lines, list.len(), "{name}: one line per target");
    Run { name: name.to_owned(), targets: list.len(), wall, cpu_s, peak_rss_mb, jsonl }
}

fn print_run(r: &Run) {
    println!(
        "{:<44} {:>6} targets {:>8.2} s {:>8.0} targets/s  CPU {:>6.2} s ({:.2} ms/target)  peak RSS {:>6.1} MB",
        r.name,
        r.targets,
        r.wall.as_secs_f64(),
        r.rate(),
        r.cpu_s,
        r.cpu_s * 1000.0 / r.targets as f64,
        r.peak_rss_mb
    );
}

/// Mean time per layer and per matrix probe in a run's reports, and the verdicts.
fn split(jsonl: &Path) {
    let mut layers: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    let mut verdicts: BTreeMap<String, usize> = BTreeMap::new();
    let (mut total, mut matrix, mut n) = (0.0, 0.0, 0usize);
    for line in std::fs::read_to_string(jsonl).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        n += 1;
        total += v["duration_ms"].as_f64().unwrap_or(0.0);
        *verdicts.entry(v["verdict"].as_str().unwrap_or("?").to_owned()).or_default() += 1;
        for l in v["layers"].as_array().into_iter().flatten() {
            if let Some(ms) = l["duration_ms"].as_f64() {
                let e = layers.entry(l["name"].as_str().unwrap_or("?").to_owned()).or_default();
                e.0 += ms;
                e.1 += 1;
            }
        }
        let probes = v["evidence"]["security_matrix"].as_array().cloned().unwrap_or_default();
        // Three waves of two: each wave lasts as long as its slower probe.
        let ms: Vec<f64> = probes.iter().map(|p| p["duration_ms"].as_f64().unwrap_or(0.0)).collect();
        matrix += ms.chunks(2).map(|w| w.iter().copied().fold(0.0, f64::max)).sum::<f64>();
    }
    let n = n.max(1) as f64;
    print!("    per target (mean wall): whole check {:.1} ms;", total / n);
    for (name, (sum, count)) in &layers {
        print!(" {name} {:.2} ms", sum / (*count).max(1) as f64);
    }
    println!("; matrix (3 waves of 2, beside the chain) ~{:.1} ms", matrix / n);
    println!("    verdicts: {verdicts:?}");
}

/// CPU seconds this process (the in-process IronRDP servers) has used so far, from /proc/self/stat.
fn own_cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, a)| a);
    let f: Vec<f64> = after.split_whitespace().map(|x| x.parse().unwrap_or(0.0)).collect();
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the command name; USER_HZ is 100.
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

fn main() {
    let wanted: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10_000);
    rdp_doctor_lab::require_root("the scan bench (namespaces, xrdp)").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let reachable = wanted * 6 / 10;
    let per_server = reachable.div_ceil(3);
    let addr = |net: u8, i: usize, port: u16| -> SocketAddr {
        SocketAddr::from(([127, net, (i / 250) as u8, (i % 250 + 1) as u8], port))
    };
    println!("Building the fleet: {reachable} addresses for IronRDP's acceptor (3 servers), lab servers, namespaces …");
    let setup = Instant::now();
    let pw = || "Bench-pw-1".to_owned();
    let configs = [
        (CertSpec::Valid, Security::HybridEx { username: "u".into(), password: pw() }),
        (CertSpec::ExpiredYesterday, Security::Tls),
        (CertSpec::OtherName("other.example".into()), Security::Hybrid { username: "u".into(), password: pw() }),
    ];
    let mut servers = Vec::new();
    let mut reachable_targets = Vec::new();
    for (k, (cert, security)) in configs.into_iter().enumerate() {
        let binds: Vec<SocketAddr> = (0..per_server).map(|i| addr(50, k * per_server + i, 3389)).collect();
        let (first, rest) = binds.split_first().unwrap();
        let s = TestServer::start_many(TestServerConfig { bind: *first, cert, security }, rest).unwrap();
        reachable_targets.push(s.addr().to_string());
        reachable_targets.extend(s.extra_addrs().iter().map(ToString::to_string));
        servers.push(s);
    }
    reachable_targets.truncate(reachable);
    let xrdp_expired = rdp_doctor_lab::xrdp(XrdpVariant::ExpiredCert).unwrap();
    let xrdp_rdp = rdp_doctor_lab::xrdp(XrdpVariant::RdpSecurityOnly).unwrap();
    let shadow =
        rdp_doctor_lab::shadow(ShadowVariant::Nla { user: "alice".into(), password: "S3cret-pw".into() }).unwrap();
    let lab_targets: Vec<String> =
        [xrdp_expired.addr, xrdp_rdp.addr, shadow.addr].iter().map(ToString::to_string).collect();
    let drop_hosts: Vec<_> = (0..16).map(|_| rdp_doctor_lab::netns_host(Firewall::Drop).unwrap()).collect();
    let mut filtered_targets = Vec::new();
    for h in &drop_hosts {
        // Every TCP port of the namespace address is dropped, not only 3389.
        h.iptables(&["-I", "INPUT", "-p", "tcp", "-j", "DROP"]).unwrap();
        for port in [3389u16, 3390, 3391, 3392, 3393, 3394, 3395, 3396] {
            filtered_targets.push(SocketAddr::new(h.addr.ip(), port).to_string());
        }
    }
    let refused = wanted.saturating_sub(reachable_targets.len() + lab_targets.len() + filtered_targets.len());
    let refused_targets: Vec<String> = (0..refused).map(|i| addr(51, i, 3389).to_string()).collect();
    println!(
        "fleet ready in {:.1} s: {} IronRDP, {} lab (xrdp expired, xrdp RDP-only, shadow NLA), {} refused, {} filtered (DROP, 16 namespaces x 8 ports)\n",
        setup.elapsed().as_secs_f64(),
        reachable_targets.len(),
        lab_targets.len(),
        refused_targets.len(),
        filtered_targets.len()
    );

    let path = dir.path();
    let filtered_args = ["--timeout", "1s"];
    let mut negotiated = reachable_targets.clone();
    negotiated.extend(lab_targets.iter().cloned());
    let before = own_cpu_s();
    let r1 = scan("reachable and negotiated (default depth)", path, &negotiated, &[]);
    let servers_cpu = own_cpu_s() - before;
    print_run(&r1);
    split(&r1.jsonl);
    println!(
        "    CPU: the scan {:.2} s ({:.2} ms/target), the in-process IronRDP servers {:.2} s ({:.2} ms/target), on {} cores",
        r1.cpu_s,
        r1.cpu_s * 1000.0 / r1.targets as f64,
        servers_cpu,
        servers_cpu * 1000.0 / r1.targets as f64,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    // The same part with more checks in flight: the default depth is bound by round trips, not CPU.
    let r1b = scan("reachable and negotiated, --concurrency 1024", path, &negotiated, &["--concurrency", "1024"]);
    print_run(&r1b);
    let r2 = scan("refused ports", path, &refused_targets, &[]);
    print_run(&r2);
    let r3 = scan("filtered (DROP), --timeout 1s", path, &filtered_targets, &filtered_args);
    print_run(&r3);

    // Mixed, interleaved as a real list would be.
    let mut mixed: Vec<String> = Vec::with_capacity(wanted);
    let lists = [&reachable_targets, &refused_targets, &filtered_targets, &lab_targets];
    let longest = lists.iter().map(|l| l.len()).max().unwrap_or(0);
    for i in 0..longest {
        for l in lists {
            if let Some(t) = l.get(i) {
                mixed.push(t.clone());
            }
        }
    }
    let quarter: Vec<String> = mixed.iter().step_by(4).cloned().collect();
    let r4 = scan("mixed fleet, a quarter", path, &quarter, &filtered_args);
    print_run(&r4);
    let r5 = scan("mixed fleet, all", path, &mixed, &filtered_args);
    print_run(&r5);
    println!(
        "    memory: peak RSS {:.1} MB for {} targets, {:.1} MB for {} ({:+.1} MB for {}x the targets)",
        r4.peak_rss_mb,
        r4.targets,
        r5.peak_rss_mb,
        r5.targets,
        r5.peak_rss_mb - r4.peak_rss_mb,
        r5.targets / r4.targets.max(1)
    );

    // nmap over 500 reachable targets, and our scan of the same 500.
    let subset: Vec<String> =
        reachable_targets.iter().step_by((reachable_targets.len() / 500).max(1)).take(500).cloned().collect();
    let ours = scan("rdp-doctor scan, 500 IronRDP targets", path, &subset, &[]);
    print_run(&ours);
    if let Ok(nmap) = rdp_doctor_lab::require("nmap") {
        let file = path.join("nmap.txt");
        let hosts: Vec<String> = subset.iter().map(|t| t.rsplit_once(':').unwrap().0.to_owned()).collect();
        std::fs::write(&file, hosts.join("\n")).unwrap();
        let start = Instant::now();
        let out = Command::new(nmap)
            .args(["-n", "-Pn", "-p", "3389", "--script", "rdp-enum-encryption,ssl-cert", "-oN", "-", "-iL"])
            .arg(&file)
            .output()
            .unwrap();
        let wall = start.elapsed();
        let text = String::from_utf8_lossy(&out.stdout);
        let found = text.matches("rdp-enum-encryption:").count();
        println!(
            "{:<44} {:>6} targets {:>8.2} s {:>8.0} targets/s  ({found} hosts with rdp-enum-encryption output)",
            "nmap -p 3389 --script rdp-enum-encryption,ssl-cert",
            subset.len(),
            wall.as_secs_f64(),
            subset.len() as f64 / wall.as_secs_f64()
        );
        println!("    ratio nmap / rdp-doctor on the same 500: {:.1}x", wall.as_secs_f64() / ours.wall.as_secs_f64());
    }
    let attempts: usize = servers.iter().map(TestServer::logon_attempts).sum();
    println!("\nlogon attempts seen by the IronRDP servers: {attempts} (a scan sends no credentials)");
    drop(drop_hosts);
}
