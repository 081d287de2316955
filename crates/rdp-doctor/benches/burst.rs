//! Where parallel connections turn into fake packet loss: opens N connections to one server at the same
//! instant (N = 1..=8, R rounds each), every one sending an X.224 Connection Request and waiting for the
//! answer, and counts the connections that took over 700 ms. Over loopback nothing is lost, so a slow
//! connection is the server's accept queue overflowing (Linux drops the SYN, or the handshake's last ACK,
//! and the client retransmits a second later): exactly what a probe's own burst would make look like loss.
//! The probe's per-host bound (`rdp_doctor_probe::gate::PER_HOST`) is chosen below the first N that shows it.
//!
//! Run with `bench/burst.sh` (or `cargo bench -p rdp-doctor --bench burst -- [ROUNDS]`). Needs root and the
//! packages `scripts/test.sh` installs. Traffic goes to 127.0.0.1 only.
// It drives Linux lab servers (rdp-doctor-lab): on other targets the bench is empty (checked, never run).
#![cfg_attr(not(unix), no_main)]
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use rdp_doctor_lab::{ShadowVariant, XrdpVariant};

/// A connection slower than this was retransmitted (Linux's first SYN / SYN-ACK retransmit is at 1 s).
const SLOW: Duration = Duration::from_millis(700);

/// One burst of `n` simultaneous connections; returns (slow connections, slowest).
fn burst(addr: SocketAddr, n: usize) -> (usize, Duration) {
    let barrier = Arc::new(Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let start = Instant::now();
                let ok = rdp_doctor_lab::x224_probe(addr, Duration::from_secs(5)).is_ok();
                (ok, start.elapsed())
            })
        })
        .collect();
    let mut slow = 0;
    let mut worst = Duration::ZERO;
    for t in threads {
        let (ok, took) = t.join().unwrap();
        if !ok || took > SLOW {
            slow += 1;
        }
        worst = worst.max(took);
    }
    (slow, worst)
}

fn measure(name: &str, addr: SocketAddr, rounds: usize) -> Option<usize> {
    println!("{name} on {addr}: {rounds} rounds per N");
    println!("{:>3} {:>14} {:>12}", "N", "slow (>700ms)", "slowest");
    let mut first_loss = None;
    for n in 1..=8 {
        let mut slow = 0;
        let mut worst = Duration::ZERO;
        for _ in 0..rounds {
            let (s, w) = burst(addr, n);
            slow += s;
            worst = worst.max(w);
            // Let the server settle (children exit, queue drains) between bursts.
            std::thread::sleep(Duration::from_millis(150));
        }
        println!("{n:>3} {:>14} {:>9.1} ms", format!("{slow}/{}", rounds * n), worst.as_secs_f64() * 1000.0);
        if slow > 0 && first_loss.is_none() {
            first_loss = Some(n);
        }
    }
    println!();
    first_loss
}

fn main() {
    let rounds: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average: {}", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    let xrdp = rdp_doctor_lab::xrdp(XrdpVariant::Default).expect("start xrdp");
    let shadow = rdp_doctor_lab::shadow(ShadowVariant::Tls).expect("start the FreeRDP shadow server");
    let x = measure("xrdp (fork=true, listen backlog 2)", xrdp.addr, rounds);
    let s = measure("FreeRDP shadow server (TLS)", shadow.addr, rounds);
    let show = |v: Option<usize>| v.map_or_else(|| "none up to 8".to_owned(), |n| format!("at {n}"));
    println!("first slow connection: xrdp {}, shadow {}", show(x), show(s));
    println!("the probe's per-host bound: {} connections at once", rdp_doctor_probe::gate::PER_HOST);
}
