//! `rdp-doctor serve` as a process: graceful shutdown on SIGTERM with a probe in flight, and a burst of 200
//! concurrent probes of hanging targets (a namespace host whose iptables drops every TCP SYN) that keeps
//! the exporter's memory bounded and its health endpoint answering. Needs root (network namespaces).
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdp_doctor_lab::Firewall;

/// The exporter process; Drop kills it by PID if a test left it running.
struct Serve {
    child: Child,
    addr: SocketAddr,
    log: std::path::PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn start(dir: &Path, config: &str) -> Self {
        let path = dir.join("exporter.yml");
        std::fs::write(&path, config).unwrap();
        let log = dir.join("serve.log");
        let child = Command::new(assert_cmd::cargo::cargo_bin("rdp-doctor"))
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let addr = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(a) = text.split("listening on http://").nth(1).and_then(|r| r.split('/').next()) {
                break a.parse().unwrap();
            }
            assert!(start.elapsed() < Duration::from_secs(20), "the exporter did not start: {text}");
            std::thread::sleep(Duration::from_millis(50));
        };
        Self { child, addr, log }
    }

    fn pid(&self) -> rustix::process::Pid {
        rustix::process::Pid::from_raw(i32::try_from(self.child.id()).unwrap()).unwrap()
    }

    /// Peak resident memory (VmHWM) in KiB.
    fn peak_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

/// One GET with an optional scrape timeout; (status, body).
fn get(addr: SocketAddr, path: &str, scrape_timeout: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let extra = scrape_timeout.map(|t| format!("X-Prometheus-Scrape-Timeout-Seconds: {t}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n").unwrap();
    let mut raw = String::new();
    s.take(16 << 20).read_to_string(&mut raw).unwrap();
    let status = raw.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, raw.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default())
}

fn in_flight(addr: SocketAddr) -> f64 {
    let (_, body) = get(addr, "/metrics", None);
    body.lines()
        .find_map(|l| l.strip_prefix("rdp_doctor_exporter_probes_in_flight "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1.0)
}

#[test]
fn sigterm_lets_the_probe_in_flight_finish_then_exits() {
    let dropped = rdp_doctor_lab::netns_host(Firewall::Drop).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut serve =
        Serve::start(dir.path(), &format!("modules:\n  rdp:\n    allowed_targets: ['{}']\n", dropped.addr.ip()));
    let addr = serve.addr;
    let target = dropped.addr;
    let probe = std::thread::spawn(move || get(addr, &format!("/probe?target={target}"), Some("8")));
    let start = Instant::now();
    while in_flight(addr) < 1.0 {
        assert!(start.elapsed() < Duration::from_secs(10), "the probe never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    rustix::process::kill_process(serve.pid(), rustix::process::Signal::TERM).unwrap();
    let (status, body) = probe.join().unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("rdp_finding{id=\"tcp.filtered\",severity=\"fail\"} 1"), "{body}");
    // The process ends by itself, cleanly.
    let start = Instant::now();
    let code = loop {
        if let Some(s) = serve.child.try_wait().unwrap() {
            break s.code();
        }
        assert!(start.elapsed() < Duration::from_secs(40), "the exporter did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, Some(0));
    let log = std::fs::read_to_string(&serve.log).unwrap();
    assert!(log.contains("shutting down") && log.contains("stopped"), "{log}");
}

#[test]
fn a_burst_of_200_probes_keeps_memory_bounded_and_the_exporter_responsive() {
    let host = rdp_doctor_lab::netns_host(Firewall::Open).unwrap();
    host.iptables(&["-A", "INPUT", "-p", "tcp", "-j", "DROP"]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(
        dir.path(),
        &format!(
            "limits: {{max_concurrent_probes: 32, max_pending_probes: 256, max_probes_per_target: 2}}\n\
             modules:\n  rdp:\n    allowed_targets: ['{}']\n",
            host.addr.ip()
        ),
    );
    let before = serve.peak_kib();
    let addr = serve.addr;
    let ip = host.addr.ip();
    let clients: Vec<_> = (0..200u16)
        .map(|i| std::thread::spawn(move || get(addr, &format!("/probe?target={ip}:{}", 4000 + i), Some("3")).0))
        .collect();
    // While the burst runs: the exporter answers its health check and never runs more than its limit.
    let mut max_in_flight: f64 = 0.0;
    let mut healthy = 0;
    while !clients.iter().all(std::thread::JoinHandle::is_finished) {
        max_in_flight = max_in_flight.max(in_flight(addr));
        if get(addr, "/-/healthy", None).0 == 200 {
            healthy += 1;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let statuses: Vec<u16> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let busy = statuses.iter().filter(|s| **s == 503).count();
    assert_eq!(ok + busy, 200, "every probe is answered 200 or 503: {statuses:?}");
    assert!(ok >= 32, "at least one full wave of probes ran: {ok}");
    assert!(healthy > 0, "the health endpoint did not answer during the burst");
    assert!(max_in_flight <= 32.0, "{max_in_flight} probes ran at once, above the limit of 32");
    let after = serve.peak_kib();
    eprintln!("burst of 200: {ok} answered, {busy} turned away (503); peak RSS {before} KiB before, {after} KiB after");
    assert!(after < 128 * 1024, "peak memory {after} KiB");
    assert_eq!(in_flight(addr), 0.0, "every slot came back");
}
