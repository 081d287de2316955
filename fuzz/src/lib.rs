//! Helpers shared by the structure-aware fuzz targets: capture writers (pcap, pcapng with a Decryption
//! Secrets Block), a TCP flow that keeps sequence numbers right, a TLS 1.2 AES-128-GCM record sealer (so
//! fuzzed plaintext reaches the decrypted-capture reader behind a valid AEAD tag), and a registry hive
//! builder around fuzzed values.
//!
//! These build inputs only; every judgement stays in the crates under test.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use arbitrary::Arbitrary;
use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hmac;

// ---------------------------------------------------------------- capture files

/// A classic pcap file (little or big endian, micro- or nanoseconds).
pub struct Pcap {
    pub buf: Vec<u8>,
    be: bool,
    nano: bool,
}

impl Pcap {
    pub fn new(linktype: u32, be: bool, nano: bool) -> Self {
        let mut p = Self { buf: Vec::new(), be, nano };
        p.u32(if nano { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
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
    pub fn packet(&mut self, ts_ns: i64, frame: &[u8]) {
        self.u32((ts_ns / 1_000_000_000) as u32);
        let frac = (ts_ns % 1_000_000_000) as u32;
        self.u32(if self.nano { frac } else { frac / 1000 });
        self.u32(frame.len() as u32);
        self.u32(frame.len() as u32);
        self.buf.extend_from_slice(frame);
    }
}

/// A little-endian pcapng file with one interface (nanosecond resolution).
pub struct PcapNg {
    pub buf: Vec<u8>,
}

impl PcapNg {
    pub fn new(linktype: u16) -> Self {
        let mut p = Self { buf: Vec::new() };
        let mut shb = Vec::new();
        shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
        shb.extend_from_slice(&[1, 0, 0, 0]);
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        p.block(0x0a0d_0d0a, &shb);
        let mut idb = Vec::new();
        idb.extend_from_slice(&linktype.to_le_bytes());
        idb.extend_from_slice(&[0, 0]);
        idb.extend_from_slice(&262_144u32.to_le_bytes());
        idb.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
        p.block(1, &idb);
        p
    }
    fn block(&mut self, ty: u32, body: &[u8]) {
        let pad = (4 - body.len() % 4) % 4;
        let len = (body.len() + pad + 12) as u32;
        self.buf.extend_from_slice(&ty.to_le_bytes());
        self.buf.extend_from_slice(&len.to_le_bytes());
        self.buf.extend_from_slice(body);
        self.buf.extend(std::iter::repeat_n(0, pad));
        self.buf.extend_from_slice(&len.to_le_bytes());
    }
    /// A Decryption Secrets Block (pcapng §4.7) holding an NSS key log.
    pub fn secrets(&mut self, keylog: &[u8]) {
        let mut body = Vec::new();
        body.extend_from_slice(&0x544c_534bu32.to_le_bytes());
        body.extend_from_slice(&(keylog.len() as u32).to_le_bytes());
        body.extend_from_slice(keylog);
        self.block(0x0000_000a, &body);
    }
    pub fn packet(&mut self, ts_ns: i64, frame: &[u8]) {
        let ts = ts_ns as u64;
        let mut body = Vec::new();
        body.extend_from_slice(&0u32.to_le_bytes());
        body.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ts as u32).to_le_bytes());
        body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        body.extend_from_slice(frame);
        self.block(6, &body);
    }
}

/// The container a structure-aware capture is written in.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Format {
    Pcap,
    PcapBigEndian,
    PcapNano,
    PcapNg,
}

/// Link layers the reader supports.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Link {
    Ethernet,
    Vlan,
    Sll,
    Sll2,
    Raw,
    Null,
}

impl Link {
    pub fn linktype(self) -> u32 {
        match self {
            Self::Ethernet | Self::Vlan => 1,
            Self::Sll => 113,
            Self::Sll2 => 276,
            Self::Raw => 101,
            Self::Null => 0,
        }
    }

    pub fn wrap(self, ip: &[u8]) -> Vec<u8> {
        let v6 = ip.first().is_some_and(|b| b >> 4 == 6);
        let et: [u8; 2] = if v6 { [0x86, 0xdd] } else { [0x08, 0x00] };
        let mut f = Vec::with_capacity(ip.len() + 24);
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
            Self::Null => f.extend_from_slice(&(if v6 { 30u32 } else { 2u32 }).to_le_bytes()),
        }
        f.extend_from_slice(ip);
        f
    }
}

/// Writes frames into the chosen container.
pub fn write_capture(format: Format, link: Link, frames: &[(i64, Vec<u8>)], keylog: Option<&[u8]>) -> Vec<u8> {
    match format {
        Format::PcapNg => {
            let mut p = PcapNg::new(link.linktype() as u16);
            if let Some(k) = keylog {
                p.secrets(k);
            }
            for (ts, f) in frames {
                p.packet(*ts, f);
            }
            p.buf
        }
        other => {
            let mut p =
                Pcap::new(link.linktype(), matches!(other, Format::PcapBigEndian), matches!(other, Format::PcapNano));
            for (ts, f) in frames {
                p.packet(*ts, f);
            }
            p.buf
        }
    }
}

/// An IPv4 (don't fragment, checksum left zero) or IPv6 packet around `l4`.
pub fn ip(src: IpAddr, dst: IpAddr, id: u16, proto: u8, l4: &[u8]) -> Vec<u8> {
    match (src, dst) {
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let mut h = vec![0x60, 0, 0, 0];
            h.extend_from_slice(&(l4.len() as u16).to_be_bytes());
            h.extend_from_slice(&[proto, 64]);
            h.extend_from_slice(&s.octets());
            h.extend_from_slice(&d.octets());
            h.extend_from_slice(l4);
            h
        }
        (s, d) => {
            let v4 = |a: IpAddr| match a {
                IpAddr::V4(x) => x.octets(),
                IpAddr::V6(_) => [127, 0, 0, 1],
            };
            ipv4(v4(s), v4(d), id, proto, 0x4000, l4)
        }
    }
}

/// An IPv4 packet with the given fragment field (flags and offset in 8-byte units).
pub fn ipv4(src: [u8; 4], dst: [u8; 4], id: u16, proto: u8, frag: u16, payload: &[u8]) -> Vec<u8> {
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

pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::with_capacity(payload.len() + 8);
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

/// A TCP connection written packet by packet, sequence numbers kept right.
pub struct Flow {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub link: Link,
    pub ts: i64,
    pub cseq: u32,
    pub sseq: u32,
    id: u16,
    pub frames: Vec<(i64, Vec<u8>)>,
}

impl Flow {
    pub fn new(v6: bool, server_port: u16, link: Link) -> Self {
        let (c, s): (IpAddr, IpAddr) = if v6 {
            (
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1)),
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2)),
            )
        } else {
            (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)))
        };
        Self {
            client: SocketAddr::new(c, 50_000),
            server: SocketAddr::new(s, server_port),
            link,
            ts: 1_763_700_000_000_000_000,
            cseq: 1000,
            sseq: 5000,
            id: 1,
            frames: Vec::new(),
        }
    }

    pub fn wait_ms(&mut self, ms: u32) {
        self.ts += i64::from(ms) * 1_000_000;
    }

    /// One segment; `seq_back` sends it that many bytes before the side's next sequence number (a
    /// retransmission or overlap) without advancing it.
    pub fn segment(&mut self, from_client: bool, flags: u8, payload: &[u8], window: u16, seq_back: u32) {
        let (src, dst, next, ack) = if from_client {
            (self.client, self.server, self.cseq, self.sseq)
        } else {
            (self.server, self.client, self.sseq, self.cseq)
        };
        let seq = next.wrapping_sub(seq_back);
        let mut t = Vec::with_capacity(payload.len() + 24);
        t.extend_from_slice(&src.port().to_be_bytes());
        t.extend_from_slice(&dst.port().to_be_bytes());
        t.extend_from_slice(&seq.to_be_bytes());
        t.extend_from_slice(&(if flags & ACK != 0 { ack } else { 0 }).to_be_bytes());
        if flags & SYN != 0 {
            t.push(6 << 4);
            t.push(flags);
            t.extend_from_slice(&window.to_be_bytes());
            t.extend_from_slice(&[0, 0, 0, 0, 2, 4, 0x05, 0xb4]);
        } else {
            t.push(5 << 4);
            t.push(flags);
            t.extend_from_slice(&window.to_be_bytes());
            t.extend_from_slice(&[0, 0, 0, 0]);
        }
        t.extend_from_slice(payload);
        self.id = self.id.wrapping_add(1);
        let frame = self.link.wrap(&ip(src.ip(), dst.ip(), self.id, 6, &t));
        self.frames.push((self.ts, frame));
        if seq_back == 0 {
            let adv = payload.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
            if from_client {
                self.cseq = self.cseq.wrapping_add(adv);
            } else {
                self.sseq = self.sseq.wrapping_add(adv);
            }
        }
        self.ts += 100_000;
    }

    pub fn handshake(&mut self) {
        self.segment(true, SYN, b"", 64240, 0);
        self.segment(false, SYN | ACK, b"", 64240, 0);
        self.segment(true, ACK, b"", 64240, 0);
    }

    pub fn client(&mut self, data: &[u8]) {
        for part in data.chunks(1400) {
            self.segment(true, PSH | ACK, part, 64240, 0);
        }
    }

    pub fn server(&mut self, data: &[u8]) {
        for part in data.chunks(1400) {
            self.segment(false, PSH | ACK, part, 64240, 0);
        }
    }

    /// A UDP datagram between the two hosts (`to_server`: from the client's address).
    pub fn datagram(&mut self, to_server: bool, sport: u16, dport: u16, payload: &[u8]) {
        let (src, dst) =
            if to_server { (self.client.ip(), self.server.ip()) } else { (self.server.ip(), self.client.ip()) };
        self.id = self.id.wrapping_add(1);
        let frame = self.link.wrap(&ip(src, dst, self.id, 17, &udp(sport, dport, payload)));
        self.frames.push((self.ts, frame));
        self.ts += 100_000;
    }
}

// ---------------------------------------------------------------- RDP and TLS bytes

/// X.224 Connection Request with RDP_NEG_REQ (SSL|HYBRID|HYBRID_EX).
pub const CR: &[u8] = &[3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 0x0b, 0, 0, 0];

/// X.224 Connection Confirm with RDP_NEG_RSP selecting `protocol`.
pub fn cc(protocol: u8) -> Vec<u8> {
    vec![3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, protocol, 0, 0, 0]
}

pub fn handshake(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut h = vec![ty, (body.len() >> 16) as u8, (body.len() >> 8) as u8, body.len() as u8];
    h.extend_from_slice(body);
    h
}

pub fn record(ct: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![ct, 3, 3, (body.len() >> 8) as u8, body.len() as u8];
    r.extend_from_slice(body);
    r
}

/// A TLS 1.2 ClientHello record with `random`, SNI "rds.example.test" and one suite.
pub fn client_hello(random: &[u8; 32], suite: u16) -> Vec<u8> {
    let sni = b"rds.example.test";
    let mut ext = vec![0, 0];
    ext.extend_from_slice(&((sni.len() + 5) as u16).to_be_bytes());
    ext.extend_from_slice(&((sni.len() + 3) as u16).to_be_bytes());
    ext.push(0);
    ext.extend_from_slice(&(sni.len() as u16).to_be_bytes());
    ext.extend_from_slice(sni);
    let mut body = vec![3, 3];
    body.extend_from_slice(random);
    body.push(0);
    body.extend_from_slice(&[0, 2]);
    body.extend_from_slice(&suite.to_be_bytes());
    body.extend_from_slice(&[1, 0]);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    record(22, &handshake(1, &body))
}

/// A TLS 1.2 ServerHello record choosing `suite`.
pub fn server_hello(random: &[u8; 32], suite: u16) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(random);
    body.push(0);
    body.extend_from_slice(&suite.to_be_bytes());
    body.push(0);
    record(22, &handshake(2, &body))
}

/// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256.
pub const SUITE_GCM: u16 = 0xc02f;
pub const CLIENT_RANDOM: [u8; 32] = [0x11; 32];
pub const SERVER_RANDOM: [u8; 32] = [0x22; 32];
pub const MASTER_SECRET: [u8; 48] = [0x33; 48];

/// The NSS key log line for [`CLIENT_RANDOM`] and [`MASTER_SECRET`].
pub fn keylog_line() -> String {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    format!("CLIENT_RANDOM {} {}\n", hex(&CLIENT_RANDOM), hex(&MASTER_SECRET))
}

/// TLS 1.2 AES-128-GCM record protection of one direction (RFC 5288), for building captures.
pub struct Sealer {
    key: LessSafeKey,
    salt: [u8; 4],
    seq: u64,
}

fn prf_sha256(secret: &[u8], label_seed: &[u8], len: usize) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut out = Vec::with_capacity(len + 32);
    let mut a = hmac::sign(&key, label_seed).as_ref().to_vec();
    while out.len() < len {
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(&a);
        ctx.update(label_seed);
        out.extend_from_slice(ctx.sign().as_ref());
        a = hmac::sign(&key, &a).as_ref().to_vec();
    }
    out.truncate(len);
    out
}

impl Sealer {
    /// The (client, server) sealers of the fixed session above.
    pub fn pair() -> Option<(Self, Self)> {
        let mut seed = b"key expansion".to_vec();
        seed.extend_from_slice(&SERVER_RANDOM);
        seed.extend_from_slice(&CLIENT_RANDOM);
        let kb = prf_sha256(&MASTER_SECRET, &seed, 40);
        let mk = |k: &[u8], iv: &[u8]| -> Option<Self> {
            Some(Self {
                key: LessSafeKey::new(UnboundKey::new(&AES_128_GCM, k).ok()?),
                salt: iv.try_into().ok()?,
                seq: 0,
            })
        };
        Some((mk(kb.get(0..16)?, kb.get(32..36)?)?, mk(kb.get(16..32)?, kb.get(36..40)?)?))
    }

    /// One protected record of content type `ct` (plaintext at most 16 KiB).
    pub fn seal(&mut self, ct: u8, plain: &[u8]) -> Vec<u8> {
        let plain = plain.get(..plain.len().min(16_384)).unwrap_or_default();
        let explicit = self.seq.to_be_bytes();
        let mut nonce = [0u8; 12];
        nonce[..4].copy_from_slice(&self.salt);
        nonce[4..].copy_from_slice(&explicit);
        let mut aad = [0u8; 13];
        aad[..8].copy_from_slice(&explicit);
        aad[8] = ct;
        aad[9] = 3;
        aad[10] = 3;
        aad[11..].copy_from_slice(&(plain.len() as u16).to_be_bytes());
        let mut body = plain.to_vec();
        if self.key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut body).is_err() {
            return record(ct, &[]);
        }
        self.seq += 1;
        let mut out = explicit.to_vec();
        out.extend_from_slice(&body);
        record(ct, &out)
    }
}

// ---------------------------------------------------------------- host side

/// A directory of this process for targets whose entry point takes a path (hives, event logs): under
/// `RDP_DOCTOR_FUZZ_SCRATCH` (`run.sh` sets it to a directory it removes afterwards), else in `/dev/shm`
/// when it exists (no disk writes per execution), else the temporary directory.
pub fn scratch_dir() -> std::path::PathBuf {
    let base = match std::env::var_os("RDP_DOCTOR_FUZZ_SCRATCH") {
        Some(d) => std::path::PathBuf::from(d),
        None if std::path::Path::new("/dev/shm").is_dir() => "/dev/shm".into(),
        None => std::env::temp_dir(),
    };
    let d = base.join(format!("rdp-doctor-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&d);
    d
}

/// The report `rdp-doctor host` builds from host evidence: the host rules, the layer, the JSON.
pub fn host_report(h: rdp_doctor_core::evidence::HostEvidence) -> rdp_doctor_core::report::Report {
    use rdp_doctor_core::evidence::{Evidence, Target};
    let name = h.computer_name.clone().unwrap_or_else(|| "host".to_owned());
    let mut ev = Evidence::new(Target { input: name.clone(), host: name, port: 3389, ip: None }, h.collected_at_unix);
    ev.host = Some(h);
    rdp_doctor_core::host_report::build(ev, 0.0)
}
