//! Speed of `rdp-doctor capture` against `tshark -r FILE -Y rdp -q` on a large capture.
//!
//! Builds the capture first (not committed; in a temporary directory): the RDP connections of the real
//! test captures (IPv4, TCP and UDP to port 3389) copied thousands of times with rewritten client/server
//! addresses and ports, 128 copies interleaved at a time, written as Ethernet frames. Then runs both tools
//! on it and prints wall time, throughput, peak memory (GNU time's maximum resident set size) and the
//! ratio; a second, four times smaller file shows that memory does not grow with the file.
//!
//!     bench/capture.sh [SIZE_MB]      (default 1100)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// One packet of a template connection: time from the connection's start, the IP packet, and whether the
/// client sent it.
struct Pkt {
    dt_ns: i64,
    ip: Vec<u8>,
    from_client: bool,
    l4_offset: usize,
}

/// A packet as read: time, IP packet, sent by the client, offset of the transport header.
type Raw = (i64, Vec<u8>, bool, usize);

fn templates() -> Vec<Vec<Pkt>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rdp-doctor-pcap/tests/data");
    let files = [
        "wireshark-samplecaptures/RDP-002.pcap",
        "suricata-verify/RDP-003.pcap",
        "zeek/rdp-to-ssl.pcap",
        "zeek/rdp-proprietary-encryption.pcap",
        "zeek/rdp-x509.pcap",
        "zeek/rdp-no-cookie-mstshash.pcap",
        "nDPI/rdp.pcap",
        "nDPI/rdp3.pcap",
        "nDPI/rdp_over_tls.pcap",
        "zeek/rdpeudp-handshake-fail.pcap",
        "zeek/rdpeudp2-handshake-success.pcap",
    ];
    let mut out = Vec::new();
    for f in files {
        let file = std::fs::File::open(dir.join(f)).unwrap();
        let mut conns: std::collections::BTreeMap<(u16, [u8; 4]), Vec<Raw>> = Default::default();
        rdp_doctor_pcap::reader::read_capture(file, f, |p| {
            let ip = match p.linktype {
                1 if p.data.len() > 14 && p.data[12..14] == [8, 0] => &p.data[14..],
                0 if p.data.len() > 4 && p.data[0] == 2 => &p.data[4..],
                _ => return,
            };
            if ip.len() < 28 || ip[0] >> 4 != 4 || !(ip[9] == 6 || ip[9] == 17) {
                return;
            }
            let ihl = usize::from(ip[0] & 15) * 4;
            if ip.len() < ihl + 4 {
                return;
            }
            let sport = u16::from_be_bytes([ip[ihl], ip[ihl + 1]]);
            let dport = u16::from_be_bytes([ip[ihl + 2], ip[ihl + 3]]);
            let (from_client, cport, client_ip) = match (sport, dport) {
                (_, 3389) => (true, sport, [ip[12], ip[13], ip[14], ip[15]]),
                (3389, _) => (false, dport, [ip[16], ip[17], ip[18], ip[19]]),
                _ => return,
            };
            conns.entry((cport, client_ip)).or_default().push((p.ts_ns, ip.to_vec(), from_client, ihl));
        })
        .unwrap();
        for (_, pkts) in conns {
            let t0 = pkts[0].0;
            out.push(
                pkts.into_iter()
                    .map(|(ts, ip, from_client, l4_offset)| Pkt { dt_ns: ts - t0, ip, from_client, l4_offset })
                    .collect(),
            );
        }
    }
    out
}

fn write_u32(w: &mut impl Write, v: u32) {
    w.write_all(&v.to_le_bytes()).unwrap();
}

/// Writes about `size_mb` MB; returns (bytes, connections, packets).
fn build(path: &Path, size_mb: u64, templates: &[Vec<Pkt>]) -> (u64, u64, u64) {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    write_u32(&mut w, 0xa1b2_c3d4);
    w.write_all(&[2, 0, 4, 0]).unwrap();
    for v in [0u32, 0, 65_535, 1] {
        write_u32(&mut w, v);
    }
    let target = size_mb * 1_000_000;
    let (mut written, mut copies, mut packets) = (24u64, 0u64, 0u64);
    let mut batch_start: i64 = 1_700_000_000_000_000_000;
    let mut batch: Vec<(i64, Vec<u8>)> = Vec::new();
    while written < target {
        batch.clear();
        for j in 0..128u64 {
            let k = copies;
            copies += 1;
            let t = &templates[(k as usize) % templates.len()];
            let start = batch_start + (j as i64) * 37_000_000;
            let client = [10, (k >> 16) as u8, (k >> 8) as u8, k as u8];
            let server = [172, 16, (k % 16) as u8, 1];
            let cport = 1024 + (k % 60_000) as u16;
            for p in t {
                let mut ip = p.ip.clone();
                let (src, dst) = if p.from_client { (client, server) } else { (server, client) };
                ip[12..16].copy_from_slice(&src);
                ip[16..20].copy_from_slice(&dst);
                let at = p.l4_offset + if p.from_client { 0 } else { 2 };
                ip[at..at + 2].copy_from_slice(&cport.to_be_bytes());
                let mut frame = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0];
                frame.extend_from_slice(&ip);
                batch.push((start + p.dt_ns, frame));
            }
        }
        batch.sort_by_key(|(ts, _)| *ts);
        for (ts, frame) in &batch {
            write_u32(&mut w, (*ts / 1_000_000_000) as u32);
            write_u32(&mut w, ((*ts % 1_000_000_000) / 1000) as u32);
            write_u32(&mut w, frame.len() as u32);
            write_u32(&mut w, frame.len() as u32);
            w.write_all(frame).unwrap();
            written += 16 + frame.len() as u64;
            packets += 1;
        }
        batch_start = batch.last().map_or(batch_start, |(ts, _)| *ts) + 1_000_000;
    }
    w.flush().unwrap();
    (written, copies, packets)
}

/// Runs a command under GNU time; returns (seconds, peak RSS in MB).
fn measure(cmd: &[&str]) -> (f64, f64) {
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .args(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?} under /usr/bin/time: {e}"));
    let secs = start.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr);
    let kb: f64 = err.lines().last().and_then(|l| l.trim().parse().ok()).unwrap_or(0.0);
    (secs, kb / 1024.0)
}

fn main() {
    let size_mb: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1100);
    let tmp = tempfile::tempdir().unwrap();
    let templates = templates();
    println!("{} template connections from the test captures", templates.len());
    let bin = env!("CARGO_BIN_EXE_rdp-doctor");
    let mut results = Vec::new();
    for mb in [size_mb / 4, size_mb] {
        let path = tmp.path().join(format!("bench-{mb}.pcap"));
        let t = Instant::now();
        let (bytes, conns, packets) = build(&path, mb, &templates);
        println!(
            "\nbuilt {} ({:.0} MB, {conns} connections, {packets} packets) in {:.1} s",
            path.display(),
            bytes as f64 / 1e6,
            t.elapsed().as_secs_f64()
        );
        // Warm the page cache so both tools read from memory.
        let _ = std::fs::read(&path).map(|b| b.len());
        let p = path.display().to_string();
        let (rd_s, rd_mb) = measure(&[bin, "capture", &p, "--json", "--fail-on", "never"]);
        let mbs = bytes as f64 / 1e6 / rd_s;
        println!("rdp-doctor capture: {rd_s:>8.2} s  {mbs:>7.0} MB/s  peak {rd_mb:>6.1} MB");
        results.push((bytes, rd_s, rd_mb));
        if mb == size_mb {
            let (ts_s, ts_mb) = measure(&["tshark", "-r", &p, "-Y", "rdp", "-q"]);
            println!(
                "tshark -Y rdp -q:   {ts_s:>8.2} s  {:>7.0} MB/s  peak {ts_mb:>6.1} MB",
                bytes as f64 / 1e6 / ts_s
            );
            println!("ratio tshark ÷ rdp-doctor: {:.1}×", ts_s / rd_s);
        }
        if let Some(keep) = std::env::var_os("BENCH_KEEP") {
            let _ = std::fs::copy(&path, &keep);
        }
        let _ = std::fs::remove_file(&path);
    }
    if let [(b1, _, m1), (b2, _, m2)] = results.as_slice() {
        println!("\npeak memory: {m1:.1} MB for {:.0} MB, {m2:.1} MB for {:.0} MB", *b1 as f64 / 1e6, *b2 as f64 / 1e6);
    }
}
