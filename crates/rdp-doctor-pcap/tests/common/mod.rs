//! Test helpers: a deterministic text snapshot of a capture report, pcap/pcapng writers, and a TCP flow
//! builder for synthetic captures of faults no public capture shows.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_arguments
)]

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use rdp_doctor_core::capture_report::CaptureReport;

pub mod tls;

pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel)
}

/// Everything a reviewer checks, in a stable order and without analysis timings.
pub fn snapshot(r: &CaptureReport) -> String {
    let mut o = String::new();
    let f = &r.file;
    let links: Vec<String> = f.link_types.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
    let _ =
        writeln!(o, "format: {}; {} packets; {} interface(s); {}", f.format, f.packets, f.interfaces, links.join(", "));
    let _ = writeln!(o, "verdict: {} ({:?})", r.verdict, r.max_severity);
    let s = &r.summary;
    let _ = writeln!(
        o,
        "summary: {} connection(s) of {} flow(s): {} failing, {} warning, {} ok, {} incomplete; {} packet(s) skipped",
        s.connections, s.flows, s.failing, s.warning, s.ok, s.incomplete, s.packets_skipped
    );
    for l in &r.limitations {
        let _ = writeln!(o, "file limitation: {l}");
    }
    if let Some(d) = &r.dominant_pattern {
        let _ = writeln!(o, "dominant pattern: {d}");
    }
    for f in &r.patterns {
        let _ = writeln!(o, "pattern {} ({}): {}", f.id, f.severity.as_str(), f.summary);
        for e in &f.evidence {
            let _ = writeln!(o, "  - {e}");
        }
    }
    for ch in &r.chains {
        let _ = writeln!(o, "chain {} ({}): {}", ch.client, ch.verdict, ch.summary);
    }
    for n in &r.not_examined {
        let _ = writeln!(o, "not examined: {} -> {}: {} [{}]", n.client, n.server, n.why, n.command);
    }
    for c in &r.connections {
        let rep = &c.report;
        let _ = writeln!(
            o,
            "\n#{} {} {:?} {} -> {} at +{:.3} ms for {:.3} ms",
            c.id, c.transport, c.kind, c.client, c.server, c.start_ms, c.duration_ms
        );
        let _ = writeln!(o, "  verdict: {} ({:?}); ended: {}", rep.verdict, rep.max_severity, c.outcome);
        if let Some(ch) = &c.chain {
            let _ = writeln!(o, "  chain: root #{}, caused by {:?}: {}", ch.root, ch.caused_by, ch.how);
        }
        if let Some(p) = c.pattern {
            let _ = writeln!(o, "  part of: {p}");
        }
        let layers: Vec<String> =
            rep.layers.iter().map(|l| format!("{} {} ({})", l.name.as_str(), l.status.as_str(), l.summary)).collect();
        for l in layers {
            let _ = writeln!(o, "  layer: {l}");
        }
        if let Some(cap) = &rep.evidence.capture {
            for (name, st) in [("client", &cap.client_stats), ("server", &cap.server_stats)] {
                let _ = writeln!(
                    o,
                    "  {name}: {} pkts, {} bytes, {} data segs, {} retrans, {} dup frames, {} ooo, {} gaps ({} B, {} acked), {} zero-win, syn {} fin {} rst {}, mss {:?}",
                    st.packets,
                    st.bytes,
                    st.data_segments,
                    st.retransmissions,
                    st.duplicates,
                    st.out_of_order,
                    st.gaps,
                    st.gap_bytes,
                    st.gap_bytes_acked,
                    st.zero_windows,
                    st.syns,
                    st.fins,
                    st.rsts,
                    st.mss
                );
            }
            for p in &cap.phases {
                let _ = writeln!(
                    o,
                    "  +{:>10.3} ms {} {:?}: {}",
                    p.at_ms,
                    if p.from == rdp_doctor_core::capture::Side::Client { "C" } else { "S" },
                    p.phase,
                    p.what
                );
            }
            if let Some(u) = &cap.rdp_udp {
                let _ = writeln!(
                    o,
                    "  rdp-udp: {:?}, {} SYN, {} SYN+ACK, client {:?}, server {:?}",
                    u.outcome, u.syns, u.syn_acks, u.client_version, u.server_version
                );
            }
            for x in &cap.http {
                let _ = writeln!(
                    o,
                    "  http: {} {} {} -> {:?}",
                    x.method,
                    x.path,
                    x.request_version,
                    x.response.as_ref().map(|r| (r.status, r.framing.clone()))
                );
            }
        }
        if let Some(t) = &rep.evidence.tls {
            let _ = writeln!(
                o,
                "  tls: {:?}; {:?} {:?}; sni {:?}; chain {}",
                t.outcome,
                t.version,
                t.cipher_suite,
                t.server_name,
                t.chain.len()
            );
            for c in &t.chain {
                let _ = writeln!(
                    o,
                    "    cert: {} / issuer {} / {} → {} / self-signed {}",
                    c.subject, c.issuer, c.not_before, c.not_after, c.self_signed
                );
            }
        }
        for f in &rep.findings {
            let _ = writeln!(o, "  finding {} ({}): {}", f.id, f.severity.as_str(), f.summary);
            for e in &f.evidence {
                let _ = writeln!(o, "    - {e}");
            }
        }
        for l in &rep.limitations {
            let _ = writeln!(o, "  limitation: {l}");
        }
    }
    o
}

/// Compares with (or, with UPDATE_SNAPSHOTS=1, writes) `tests/data/expected/<name>.txt`.
pub fn check_snapshot(name: &str, got: &str) {
    let path = data("expected").join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing snapshot {}: run with UPDATE_SNAPSHOTS=1", path.display()));
    if want != got {
        let diff: Vec<String> = want
            .lines()
            .zip(got.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(10)
            .map(|(i, (a, b))| format!("line {}:\n  want: {a}\n  got:  {b}", i + 1))
            .collect();
        panic!(
            "snapshot {name} differs ({} vs {} lines):\n{}",
            want.lines().count(),
            got.lines().count(),
            diff.join("\n")
        );
    }
}

// ---------------------------------------------------------------- capture writers

/// A classic pcap file.
pub struct Pcap {
    pub buf: Vec<u8>,
    be: bool,
    nano: bool,
}

impl Pcap {
    pub fn new(linktype: u32, be: bool, nano: bool) -> Self {
        let magic: u32 = if nano { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let mut p = Self { buf: Vec::new(), be, nano };
        p.u32(magic);
        p.u16(2);
        p.u16(4);
        p.u32(0);
        p.u32(0);
        p.u32(262_144);
        p.u32(linktype);
        p
    }
    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&if self.be { v.to_be_bytes() } else { v.to_le_bytes() });
    }
    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&if self.be { v.to_be_bytes() } else { v.to_le_bytes() });
    }
    /// `ts_ns`: nanoseconds since the epoch.
    pub fn packet(&mut self, ts_ns: i64, frame: &[u8]) {
        self.packet_cut(ts_ns, frame, frame.len());
    }
    pub fn packet_cut(&mut self, ts_ns: i64, frame: &[u8], caplen: usize) {
        let sec = (ts_ns / 1_000_000_000) as u32;
        let frac = (ts_ns % 1_000_000_000) as u32;
        self.u32(sec);
        self.u32(if self.nano { frac } else { frac / 1000 });
        self.u32(caplen as u32);
        self.u32(frame.len() as u32);
        self.buf.extend_from_slice(&frame[..caplen]);
    }
}

/// A little-endian pcapng file with any number of interfaces.
pub struct PcapNg {
    pub buf: Vec<u8>,
}

impl PcapNg {
    pub fn new() -> Self {
        let mut p = Self { buf: Vec::new() };
        let mut body = Vec::new();
        body.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        p.block(0x0a0d_0d0a, &body);
        p
    }
    fn block(&mut self, ty: u32, body: &[u8]) {
        let mut body = body.to_vec();
        while !body.len().is_multiple_of(4) {
            body.push(0);
        }
        let len = (body.len() + 12) as u32;
        self.buf.extend_from_slice(&ty.to_le_bytes());
        self.buf.extend_from_slice(&len.to_le_bytes());
        self.buf.extend_from_slice(&body);
        self.buf.extend_from_slice(&len.to_le_bytes());
    }
    /// A Decryption Secrets Block (pcapng §4.7) of `secrets_type` (0x544c534b: NSS key log).
    pub fn secrets(&mut self, secrets_type: u32, data: &[u8]) {
        let mut body = Vec::new();
        body.extend_from_slice(&secrets_type.to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        self.block(0x0000_000a, &body);
    }
    /// An interface with the given link type and if_tsresol (6 = µs, 9 = ns).
    pub fn interface(&mut self, linktype: u16, tsresol: u8) {
        let mut body = Vec::new();
        body.extend_from_slice(&linktype.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&262_144u32.to_le_bytes());
        // option if_tsresol (9), length 1, padded
        body.extend_from_slice(&9u16.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&[tsresol, 0, 0, 0]);
        body.extend_from_slice(&[0, 0, 0, 0]);
        self.block(1, &body);
    }
    pub fn packet(&mut self, iface: u32, ts_units: u64, frame: &[u8]) {
        let mut body = Vec::new();
        body.extend_from_slice(&iface.to_le_bytes());
        body.extend_from_slice(&((ts_units >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ts_units as u32).to_le_bytes());
        body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        body.extend_from_slice(frame);
        self.block(6, &body);
    }
}

// ---------------------------------------------------------------- packets

/// Link layers for synthetic frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Ethernet,
    Vlan,
    Sll,
    Sll2,
    Raw,
    NullLe,
    NullBe,
}

impl Link {
    pub fn linktype(self) -> u32 {
        match self {
            Self::Ethernet | Self::Vlan => 1,
            Self::Sll => 113,
            Self::Sll2 => 276,
            Self::Raw => 101,
            Self::NullLe | Self::NullBe => 0,
        }
    }

    pub fn wrap(self, ip: &[u8]) -> Vec<u8> {
        let v6 = ip.first().is_some_and(|b| b >> 4 == 6);
        let et: [u8; 2] = if v6 { [0x86, 0xdd] } else { [0x08, 0x00] };
        let mut f = Vec::new();
        match self {
            Self::Ethernet => {
                f.extend_from_slice(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
                f.extend_from_slice(&et);
            }
            Self::Vlan => {
                f.extend_from_slice(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x81, 0x00, 0x00, 0x2a]);
                f.extend_from_slice(&et);
            }
            Self::Sll => {
                f.extend_from_slice(&[0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
                f.extend_from_slice(&et);
            }
            Self::Sll2 => {
                f.extend_from_slice(&et);
                f.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
            }
            Self::Raw => {}
            Self::NullLe => f.extend_from_slice(&(if v6 { 30u32 } else { 2u32 }).to_le_bytes()),
            Self::NullBe => f.extend_from_slice(&(if v6 { 30u32 } else { 2u32 }).to_be_bytes()),
        }
        f.extend_from_slice(ip);
        f
    }
}

fn checksum_free_ipv4(src: [u8; 4], dst: [u8; 4], id: u16, proto: u8, frag: u16, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(&frag.to_be_bytes());
    h.extend_from_slice(&[64, proto, 0, 0]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    h.extend_from_slice(payload);
    h
}

/// An IPv4 or IPv6 packet around `l4` (protocol `proto`).
pub fn ip(src: IpAddr, dst: IpAddr, id: u16, proto: u8, l4: &[u8]) -> Vec<u8> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => checksum_free_ipv4(s.octets(), d.octets(), id, proto, 0x4000, l4),
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let mut h = vec![0x60, 0, 0, 0];
            h.extend_from_slice(&(l4.len() as u16).to_be_bytes());
            h.extend_from_slice(&[proto, 64]);
            h.extend_from_slice(&s.octets());
            h.extend_from_slice(&d.octets());
            h.extend_from_slice(l4);
            h
        }
        _ => panic!("mixed address families"),
    }
}

/// IPv4 fragments of `l4`, `size` payload bytes each (a multiple of 8), in order.
pub fn ipv4_fragments(src: [u8; 4], dst: [u8; 4], id: u16, proto: u8, l4: &[u8], size: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < l4.len() {
        let end = (off + size).min(l4.len());
        let more = end < l4.len();
        let frag = ((off / 8) as u16) | if more { 0x2000 } else { 0 };
        out.push(checksum_free_ipv4(src, dst, id, proto, frag, &l4[off..end]));
        off = end;
    }
    out
}

pub fn tcp_header(
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    window: u16,
    mss: Option<u16>,
    payload: &[u8],
) -> Vec<u8> {
    let opt_len = if mss.is_some() { 4 } else { 0 };
    let doff = ((20 + opt_len) / 4) as u8;
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.push(doff << 4);
    t.push(flags);
    t.extend_from_slice(&window.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]);
    if let Some(m) = mss {
        t.extend_from_slice(&[2, 4]);
        t.extend_from_slice(&m.to_be_bytes());
    }
    t.extend_from_slice(payload);
    t
}

pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((payload.len() + 8) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// A TCP connection written packet by packet, with sequence numbers kept right.
pub struct Flow {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub link: Link,
    pub ts: i64,
    cseq: u32,
    sseq: u32,
    id: u16,
    pub frames: Vec<(i64, Vec<u8>)>,
}

impl Flow {
    pub fn new(client: &str, server: &str, link: Link) -> Self {
        Self {
            client: client.parse().unwrap(),
            server: server.parse().unwrap(),
            link,
            ts: 1_763_700_000_000_000_000,
            cseq: 1000,
            sseq: 5000,
            id: 1,
            frames: Vec::new(),
        }
    }
    pub fn wait_ms(&mut self, ms: f64) -> &mut Self {
        self.ts += (ms * 1e6) as i64;
        self
    }
    fn emit(&mut self, from_client: bool, flags: u8, payload: &[u8], mss: Option<u16>, window: u16) {
        let (src, dst, seq, ack) = if from_client {
            (self.client, self.server, self.cseq, self.sseq)
        } else {
            (self.server, self.client, self.sseq, self.cseq)
        };
        let t = tcp_header(
            src.port(),
            dst.port(),
            seq,
            if flags & ACK != 0 { ack } else { 0 },
            flags,
            window,
            mss,
            payload,
        );
        self.id = self.id.wrapping_add(1);
        let frame = self.link.wrap(&ip(src.ip(), dst.ip(), self.id, 6, &t));
        self.frames.push((self.ts, frame));
        let adv = payload.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
        if from_client {
            self.cseq = self.cseq.wrapping_add(adv);
        } else {
            self.sseq = self.sseq.wrapping_add(adv);
        }
        self.ts += 100_000;
    }
    pub fn handshake(&mut self) -> &mut Self {
        self.emit(true, SYN, b"", Some(1460), 64240);
        self.emit(false, SYN | ACK, b"", Some(1460), 64240);
        self.emit(true, ACK, b"", None, 64240);
        self
    }
    pub fn syn(&mut self) -> &mut Self {
        self.emit(true, SYN, b"", Some(1460), 64240);
        self
    }
    pub fn client(&mut self, data: &[u8]) -> &mut Self {
        self.emit(true, PSH | ACK, data, None, 64240);
        self
    }
    pub fn server(&mut self, data: &[u8]) -> &mut Self {
        self.emit(false, PSH | ACK, data, None, 64240);
        self
    }
    pub fn client_flags(&mut self, flags: u8) -> &mut Self {
        self.emit(true, flags, b"", None, 64240);
        self
    }
    pub fn server_flags(&mut self, flags: u8) -> &mut Self {
        self.emit(false, flags, b"", None, 64240);
        self
    }
    pub fn server_window(&mut self, window: u16) -> &mut Self {
        self.emit(false, ACK, b"", None, window);
        self
    }
    /// A server segment that is sent but "lost" (not written), advancing the sequence number.
    pub fn server_lost(&mut self, len: usize) -> &mut Self {
        self.sseq = self.sseq.wrapping_add(len as u32);
        self
    }
    /// The server sends `data` at sequence `back` bytes before its current next sequence number.
    pub fn server_resend(&mut self, back: usize, data: &[u8]) -> &mut Self {
        let saved = self.sseq;
        self.sseq = self.sseq.wrapping_sub(back as u32);
        let t = tcp_header(self.server.port(), self.client.port(), self.sseq, self.cseq, PSH | ACK, 64240, None, data);
        self.id = self.id.wrapping_add(1);
        let frame = self.link.wrap(&ip(self.server.ip(), self.client.ip(), self.id, 6, &t));
        self.frames.push((self.ts, frame));
        self.ts += 100_000;
        self.sseq = saved;
        self
    }
    /// The client sends `data` again at sequence `back` bytes before its next sequence number.
    pub fn client_resend(&mut self, back: usize, data: &[u8]) -> &mut Self {
        let seq = self.cseq.wrapping_sub(back as u32);
        let t = tcp_header(self.client.port(), self.server.port(), seq, self.sseq, PSH | ACK, 64240, None, data);
        self.id = self.id.wrapping_add(1);
        let frame = self.link.wrap(&ip(self.client.ip(), self.server.ip(), self.id, 6, &t));
        self.frames.push((self.ts, frame));
        self.ts += 100_000;
        self
    }
    pub fn pcap(&self) -> Vec<u8> {
        let mut p = Pcap::new(self.link.linktype(), false, false);
        for (ts, f) in &self.frames {
            p.packet(*ts, f);
        }
        p.buf
    }
}

/// Runs the analyser over bytes.
pub fn analyse_bytes(bytes: &[u8], ports: &[u16]) -> CaptureReport {
    let opts = rdp_doctor_pcap::Options { ports: ports.to_vec(), ..Default::default() };
    rdp_doctor_pcap::analyse(bytes, "synthetic.pcap", &opts).unwrap()
}

pub fn ids(r: &CaptureReport) -> Vec<Vec<&'static str>> {
    r.connections.iter().map(|c| c.report.findings.iter().map(|f| f.id).collect()).collect()
}

// ---------------------------------------------------------------- RDP bytes

/// X.224 Connection Request with RDP_NEG_REQ (SSL|HYBRID|HYBRID_EX).
pub const CR: &[u8] = &[3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 0x0b, 0, 0, 0];
/// X.224 Connection Confirm with RDP_NEG_RSP selecting HYBRID.
pub const CC_HYBRID: &[u8] = &[3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, 2, 0, 0, 0];

/// A TLS 1.2 ClientHello record (SNI "rds.example.test", one cipher suite).
pub fn client_hello() -> Vec<u8> {
    let sni = b"rds.example.test";
    let mut ext = Vec::new();
    ext.extend_from_slice(&[0, 0]);
    ext.extend_from_slice(&((sni.len() + 5) as u16).to_be_bytes());
    ext.extend_from_slice(&((sni.len() + 3) as u16).to_be_bytes());
    ext.push(0);
    ext.extend_from_slice(&(sni.len() as u16).to_be_bytes());
    ext.extend_from_slice(sni);
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0x11; 32]);
    body.push(0);
    body.extend_from_slice(&[0, 2, 0xc0, 0x30, 1, 0]);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    record(22, &handshake(1, &body))
}

pub fn handshake(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut h = vec![ty, 0, (body.len() >> 8) as u8, body.len() as u8];
    h.extend_from_slice(body);
    h
}

pub fn record(ct: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![ct, 3, 3, (body.len() >> 8) as u8, body.len() as u8];
    r.extend_from_slice(body);
    r
}
