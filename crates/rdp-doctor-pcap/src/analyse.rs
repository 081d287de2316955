//! The driver: packets → flows → connections → evidence → the same rules and report builder as `check`.
//!
//! Memory is bounded by the connections active at a time: connections idle for [`IDLE_NS`] (or closed
//! for [`CLOSED_NS`]) of capture time are finished, reported and dropped; the list of reported
//! connections is bounded by [`Options::max_listed`] (the rest are counted by verdict).

use std::collections::BTreeMap;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};

use rdp_doctor_core::capture::{ConnectionKind, IcmpEvent, Side};
use rdp_doctor_core::capture_report::{CaptureFile, CaptureReport, CaptureSummary};

use crate::certs::CertCache;
use crate::conn::{Relevance, TcpConn};
use crate::defrag::Defrag;
use crate::error::CaptureError;
use crate::evidence::{self, Ctx, ms};
use crate::hash::FxHashMap;
use crate::kerberos::{self, KrbLog};
use crate::keylog::{self, KeyLog, SharedKeys};
use crate::link::{self, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, Skip};
use crate::listing::Reporter;
use crate::reader::{self, Packet};
use crate::udp::UdpConn;

/// An open connection silent this long (capture time) is finished.
pub const IDLE_NS: i64 = 300_000_000_000;
/// A closed connection is finished this long after its last packet.
pub const CLOSED_NS: i64 = 5_000_000_000;
/// How often (capture time) idle connections are swept.
pub const SWEEP_NS: i64 = 10_000_000_000;

/// TCP and UDP ports RDP uses: 3389 (RDP, RDP-UDP), 3391 (RD Gateway UDP).
pub const RDP_TCP_PORTS: [u16; 1] = [3389];
pub const RDP_UDP_PORTS: [u16; 2] = [3389, 3391];

/// What to analyse and how much to list.
#[derive(Debug, Clone)]
pub struct Options {
    /// More TCP/UDP server ports to treat as RDP-related (RDP on another port, an RD Gateway on 443).
    pub ports: Vec<u16>,
    /// Connections listed in the report; more are analysed and counted by verdict.
    pub max_listed: usize,
    /// TLS secrets read from an NSS key log file (`--keylog`); the capture's own Decryption Secrets Blocks
    /// are added to them.
    pub keylog: Option<KeyLog>,
}

impl Default for Options {
    fn default() -> Self {
        Self { ports: Vec::new(), max_listed: 1000, keylog: None }
    }
}

/// A flow's two endpoints as integers, lower endpoint first (cheap to hash and compare).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    lo: u128,
    hi: u128,
    ports: u32,
}

fn ip_bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)) | 0xffff_0000_0000,
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn key(a: SocketAddr, b: SocketAddr) -> Key {
    let (ea, eb) = ((ip_bits(a.ip()), a.port()), (ip_bits(b.ip()), b.port()));
    let (lo, hi) = if ea <= eb { (ea, eb) } else { (eb, ea) };
    Key { lo: lo.0, hi: hi.0, ports: u32::from(lo.1) << 16 | u32::from(hi.1) }
}

struct Analyzer<'o> {
    opts: &'o Options,
    tcp: FxHashMap<Key, TcpConn>,
    udp: FxHashMap<Key, UdpConn>,
    /// UDP flows that are not RDP (so they are not re-examined), with their last packet time.
    udp_ignored: FxHashMap<Key, i64>,
    defrag: Defrag,
    certs: CertCache,
    next_id: u64,
    flows: u64,
    first_ns: Option<i64>,
    last_ns: i64,
    last_sweep: i64,
    skipped: BTreeMap<&'static str, u64>,
    unsupported_links: BTreeMap<i32, u64>,
    /// Finished connections are judged and listed on the reporter thread.
    reporter: Reporter,
    keys: SharedKeys,
    krb: KrbLog,
    /// Flows on port 88 (counted as flows; their messages go to `krb`), with their last packet time.
    krb_flows: FxHashMap<Key, i64>,
    /// The file's name, for the commands the report suggests.
    path: String,
    not_examined: Vec<rdp_doctor_core::capture_report::NotExamined>,
    not_examined_more: u64,
    /// Every TCP flow, per source (scan pattern).
    tally: crate::tally::FlowTally,
}

/// TLS connections listed as "not examined" at most.
pub const MAX_NOT_EXAMINED: usize = 32;

impl Analyzer<'_> {
    fn rdp_tcp(&self, port: u16) -> bool {
        RDP_TCP_PORTS.contains(&port) || self.opts.ports.contains(&port)
    }

    fn rdp_udp(&self, port: u16) -> bool {
        RDP_UDP_PORTS.contains(&port) || self.opts.ports.contains(&port)
    }

    fn ctx(&self) -> Ctx {
        Ctx { capture_start_ns: self.first_ns.unwrap_or(0), capture_end_ns: self.last_ns }
    }

    fn packet(&mut self, p: Packet<'_>) {
        let ts = p.ts_ns;
        self.first_ns.get_or_insert(ts);
        self.last_ns = self.last_ns.max(ts);
        let ip = match link::decode_ip(p.linktype, p.data) {
            Ok(ip) => ip,
            Err(Skip::UnsupportedLink) => {
                *self.unsupported_links.entry(p.linktype).or_default() += 1;
                return;
            }
            Err(Skip::NotIp) => {
                *self.skipped.entry("not IP (ARP, other protocols)").or_default() += 1;
                return;
            }
            Err(Skip::Malformed) => {
                *self.skipped.entry("malformed or truncated link/IP header").or_default() += 1;
                return;
            }
        };
        if let Some((offset, more)) = ip.fragment {
            let declared = ip.payload_len;
            if let Some(whole) =
                self.defrag.add(ip.src, ip.dst, ip.id, ip.proto, ts, offset, more, ip.payload, declared)
            {
                let len = whole.len();
                self.transport(ts, ip.src, ip.dst, ip.id, ip.proto, &whole, len);
            }
        } else if let Some(t) = &ip.tcp {
            let t = link::tcp_from(t, ip.payload_len);
            self.tcp_packet(ts, SocketAddr::new(ip.src, t.src_port), SocketAddr::new(ip.dst, t.dst_port), ip.id, &t);
        } else {
            self.transport(ts, ip.src, ip.dst, ip.id, ip.proto, ip.payload, ip.payload_len);
        }
        if ts.saturating_sub(self.last_sweep) >= SWEEP_NS {
            self.sweep(ts);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn transport(&mut self, ts: i64, src: IpAddr, dst: IpAddr, id: u16, proto: u8, payload: &[u8], len: usize) {
        match proto {
            PROTO_TCP => match link::decode_tcp(payload, len) {
                Some(t) => {
                    self.tcp_packet(ts, SocketAddr::new(src, t.src_port), SocketAddr::new(dst, t.dst_port), id, &t)
                }
                None => *self.skipped.entry("truncated TCP header").or_default() += 1,
            },
            PROTO_UDP => match link::decode_udp(payload) {
                Some(u) => {
                    self.udp_packet(ts, SocketAddr::new(src, u.src_port), SocketAddr::new(dst, u.dst_port), u.payload)
                }
                None => *self.skipped.entry("truncated UDP header").or_default() += 1,
            },
            PROTO_ICMP | PROTO_ICMPV6 => {
                if let Some(i) = link::decode_icmp(payload, proto == PROTO_ICMPV6) {
                    self.icmp(ts, src, &i);
                }
            }
            _ => {}
        }
    }

    /// Milliseconds from the first packet.
    fn rel_ms(&self, ts: i64) -> f64 {
        ms(ts - self.first_ns.unwrap_or(ts))
    }

    fn krb_flow(&mut self, ts: i64, src: SocketAddr, dst: SocketAddr) {
        if self.krb_flows.insert(key(src, dst), ts).is_none() {
            self.flows += 1;
        }
    }

    fn tcp_packet(&mut self, ts: i64, src: SocketAddr, dst: SocketAddr, id: u16, t: &link::Tcp<'_>) {
        if kerberos::is_kerberos(src, dst) {
            self.krb_flow(ts, src, dst);
            let at = self.rel_ms(ts);
            self.krb.tcp(at, src, dst, t);
            return;
        }
        let k = key(src, dst);
        let mut restart = false;
        if let Some(c) = self.tcp.get_mut(&k) {
            // A new SYN on a closed (or reset) connection's addresses starts a new connection.
            restart = t.syn && !t.ack_flag && c.closed_ns.is_some() && c.c.isn.is_some_and(|isn| isn != t.seq);
            if !restart {
                let side = if src == c.client { Side::Client } else { Side::Server };
                c.packet(ts, side, id, t);
                return;
            }
        }
        if restart && let Some(old) = self.tcp.remove(&k) {
            self.finish_tcp(old);
        }
        let (client, server) = if t.syn && !t.ack_flag {
            (src, dst)
        } else if t.syn {
            (dst, src)
        } else if self.rdp_tcp(dst.port()) {
            (src, dst)
        } else if self.rdp_tcp(src.port()) || src.port() < dst.port() {
            (dst, src)
        } else {
            (src, dst)
        };
        self.next_id += 1;
        self.flows += 1;
        let rdp = self.rdp_tcp(server.port());
        let mut c = TcpConn::new(self.next_id, client, server, ts, rdp, !t.syn);
        c.keys = Some(self.keys.clone());
        if let Some(d) = c.dissector.as_mut() {
            d.set_keys(Some(self.keys.clone()));
        }
        c.packet(ts, if src == client { Side::Client } else { Side::Server }, id, t);
        self.tcp.insert(k, c);
    }

    fn udp_packet(&mut self, ts: i64, src: SocketAddr, dst: SocketAddr, payload: &[u8]) {
        if kerberos::is_kerberos(src, dst) {
            self.krb_flow(ts, src, dst);
            let at = self.rel_ms(ts);
            self.krb.udp(at, src, dst, payload);
            return;
        }
        let k = key(src, dst);
        if let Some(c) = self.udp.get_mut(&k) {
            let side = if src == c.client { Side::Client } else { Side::Server };
            c.datagram(ts, side, payload);
            return;
        }
        if let Some(last) = self.udp_ignored.get_mut(&k) {
            *last = ts;
            return;
        }
        self.flows += 1;
        let syn = rdp_doctor_proto::rdpeudp::looks_like_client_syn(payload);
        let (client, server) = if syn || self.rdp_udp(dst.port()) {
            (src, dst)
        } else if self.rdp_udp(src.port()) {
            (dst, src)
        } else {
            self.udp_ignored.insert(k, ts);
            return;
        };
        self.next_id += 1;
        let mut c = UdpConn::new(self.next_id, client, server, ts);
        c.datagram(ts, if src == client { Side::Client } else { Side::Server }, payload);
        self.udp.insert(k, c);
    }

    fn icmp(&mut self, ts: i64, from: IpAddr, i: &link::Icmp) {
        let Some((osrc, odst, proto, sport, dport)) = i.about else { return };
        let (a, b) = (SocketAddr::new(osrc, sport), SocketAddr::new(odst, dport));
        let k = key(a, b);
        let what = link::icmp_text(i);
        let port_unreachable = matches!((i.v6, i.icmp_type, i.code), (false, 3, 3) | (true, 1, 4));
        let make = |start: i64, client: SocketAddr| IcmpEvent {
            at_ms: ms(ts - start),
            from,
            about: if a == client { Side::Client } else { Side::Server },
            what: what.clone(),
            mtu: i.mtu,
            port_unreachable,
        };
        if proto == PROTO_TCP
            && let Some(c) = self.tcp.get_mut(&k)
            && c.icmp.len() < 16
        {
            c.icmp.push(make(c.start_ns, c.client));
        } else if proto == PROTO_UDP
            && let Some(c) = self.udp.get_mut(&k)
            && c.icmp.len() < 16
        {
            c.icmp.push(make(c.start_ns, c.client));
        }
    }

    fn sweep(&mut self, now: i64) {
        self.last_sweep = now;
        let stale = |last: i64, closed: bool| now.saturating_sub(last) >= if closed { CLOSED_NS } else { IDLE_NS };
        let done: Vec<Key> =
            self.tcp.iter().filter(|(_, c)| stale(c.last_ns, c.closed_ns.is_some())).map(|(k, _)| *k).collect();
        for k in done {
            if let Some(c) = self.tcp.remove(&k) {
                self.finish_tcp(c);
            }
        }
        let done: Vec<Key> = self.udp.iter().filter(|(_, c)| stale(c.last_ns, false)).map(|(k, _)| *k).collect();
        for k in done {
            if let Some(c) = self.udp.remove(&k) {
                let ctx = self.ctx();
                let (ev, line) = c.evidence(&ctx);
                self.reporter.add((c.id, ev, line));
            }
        }
        self.udp_ignored.retain(|_, last| now.saturating_sub(*last) < IDLE_NS);
        self.krb_flows.retain(|_, last| now.saturating_sub(*last) < IDLE_NS);
        self.defrag.expire(now);
    }

    fn finish_tcp(&mut self, mut c: TcpConn) {
        let base = self.first_ns.unwrap_or(c.start_ns);
        let rdp_port = self.rdp_tcp(c.server.port()) || c.server.port() == 3391;
        self.tally.record(&c, ms(c.start_ns - base), ms(c.last_ns - base), rdp_port);
        if c.relevance != Relevance::Related {
            return;
        }
        if c.tentative {
            // Listed only when its plaintext shows an RD Gateway or a KDC proxy; else, when its names suggest
            // a gateway it could not be read as, named as not examined.
            let kind = c.dissector.as_deref().map(|d| d.kind);
            if !matches!(kind, Some(ConnectionKind::GatewayTls | ConnectionKind::KdcProxy)) {
                c.finish();
                if let Some(mut n) = crate::unexamined::entry(&c, &self.path) {
                    n.start_ms = ms(c.start_ns - self.ctx().capture_start_ns);
                    if self.not_examined.len() < MAX_NOT_EXAMINED {
                        self.not_examined.push(n);
                    } else {
                        self.not_examined_more += 1;
                    }
                }
                return;
            }
        }
        let ctx = self.ctx();
        let (mut ev, line) = evidence::tcp(&mut c, &ctx, &mut self.certs);
        // The client's Kerberos exchanges from a minute before this connection to its end: the tickets it
        // asked for (TERMSRV/<name>) and what the KDC answered.
        let (from, to) = (ms(c.start_ns - ctx.capture_start_ns) - 60_000.0, ms(c.last_ns - ctx.capture_start_ns));
        if let Some(k) = self.krb.around(c.client.ip(), from, to) {
            let e = ev.kerberos.get_or_insert_with(Default::default);
            e.truncated |= k.truncated;
            e.messages.extend(k.messages);
            e.messages.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
        }
        kerberos::name_the_account(&mut ev);
        self.reporter.add((c.id, ev, line));
    }

    fn finish(mut self, info: &reader::FileInfo, path: &str) -> CaptureReport {
        let mut tcp: Vec<TcpConn> = self.tcp.drain().map(|(_, c)| c).collect();
        tcp.sort_by_key(|c| c.id);
        for c in tcp {
            self.finish_tcp(c);
        }
        let mut udp: Vec<UdpConn> = self.udp.drain().map(|(_, c)| c).collect();
        udp.sort_by_key(|c| c.id);
        let ctx = self.ctx();
        for c in udp {
            let (ev, line) = c.evidence(&ctx);
            self.reporter.add((c.id, ev, line));
        }
        for (client, kdc, k) in self.krb.unattached() {
            self.next_id += 1;
            let (ev, line) = evidence::kerberos(client, kdc, k);
            self.reporter.add((self.next_id, ev, line));
        }
        let listing = self.reporter.finish();
        self.defrag.finish();
        let mut limitations = info.problems.clone();
        for (lt, n) in &self.unsupported_links {
            limitations
                .push(format!("{n} packet(s) of unsupported link type {} were skipped", link::linktype::name(*lt)));
        }
        for (why, n) in &self.skipped {
            limitations.push(format!("{n} packet(s) skipped: {why}"));
        }
        if self.krb.undecodable > 0 {
            limitations.push(format!(
                "{} datagram(s) or record(s) on port 88 did not decode as Kerberos messages",
                self.krb.undecodable
            ));
        }
        if self.krb.dropped > 0 {
            limitations
                .push(format!("{} Kerberos message(s) beyond the per-client bound were not kept", self.krb.dropped));
        }
        if self.defrag.stats.incomplete > 0 {
            limitations.push(format!(
                "{} fragmented IP datagram(s) could not be reassembled (fragments missing from the capture)",
                self.defrag.stats.incomplete
            ));
        }
        let first = info.first_ts_ns;
        let file = CaptureFile {
            path: path.to_owned(),
            format: info.format.clone(),
            bytes: info.bytes_read,
            packets: info.packets,
            link_types: info.link_types.iter().map(|(lt, n)| (link::linktype::name(*lt), *n)).collect(),
            interfaces: info.interfaces,
            first_packet_unix: first.map(|f| f as f64 / 1e9),
            duration_s: match (first, info.last_ts_ns) {
                (Some(a), Some(b)) => (b - a) as f64 / 1e9,
                _ => 0.0,
            },
        };
        let mut connections = listing.notable;
        connections.extend(listing.others);
        let summary = CaptureSummary {
            flows: self.flows,
            packets_skipped: self.skipped.values().sum::<u64>() + self.unsupported_links.values().sum::<u64>(),
            omitted: listing.omitted,
            ..CaptureSummary::default()
        };
        if connections.is_empty() && summary.omitted.is_empty() {
            limitations.push(format!(
                "No RDP-related connection in {} packet(s) and {} flow(s): nothing on TCP 3389, UDP 3389/3391, no X.224, RD Gateway HTTP or RDP-UDP content. Use --port to name another port.",
                info.packets, self.flows
            ));
        }
        if self.not_examined_more > 0 {
            limitations.push(format!(
                "{} more TLS connection(s) whose names suggest an RD Gateway were not examined",
                self.not_examined_more
            ));
        }
        if listing.digests_dropped > 0 || self.tally.dropped > 0 {
            limitations.push(format!(
                "The patterns across the file count the first {} connections and {} sources; {} connection(s) and {} flow(s) beyond that were not counted",
                crate::tally::MAX_DIGESTS,
                crate::tally::MAX_SOURCES,
                listing.digests_dropped,
                self.tally.dropped
            ));
        }
        let mut report = CaptureReport::new(file, connections, summary, limitations);
        report.not_examined = self.not_examined;
        let patterns = rdp_doctor_core::rules::patterns::patterns(&listing.digests, &self.tally.sources());
        let chains = rdp_doctor_core::capture_chains::link(&mut report.connections);
        report.add_file_level(patterns, chains);
        report
    }
}

/// Analyses a capture read from `input` (read and framed on a reader thread, [`crate::pipeline`]); `path`
/// names it in the report.
pub fn analyse<R: Read + Send>(input: R, path: &str, opts: &Options) -> Result<CaptureReport, CaptureError> {
    let mut a = Analyzer {
        opts,
        tcp: FxHashMap::default(),
        udp: FxHashMap::default(),
        udp_ignored: FxHashMap::default(),
        defrag: Defrag::default(),
        certs: CertCache::default(),
        next_id: 0,
        flows: 0,
        first_ns: None,
        last_ns: i64::MIN,
        last_sweep: i64::MIN,
        skipped: BTreeMap::new(),
        unsupported_links: BTreeMap::new(),
        reporter: Reporter::start(opts.max_listed),
        keys: SharedKeys::default(),
        krb: KrbLog::default(),
        krb_flows: FxHashMap::default(),
        path: path.to_owned(),
        not_examined: Vec::new(),
        not_examined_more: 0,
        tally: crate::tally::FlowTally::default(),
    };
    if let Some(k) = &opts.keylog {
        a.keys = SharedKeys::new(std::cell::RefCell::new(k.clone()));
    }
    let keys = a.keys.clone();
    let info = crate::pipeline::read_capture_threaded(
        input,
        path,
        |p| {
            if a.last_sweep == i64::MIN {
                a.last_sweep = p.ts_ns;
            }
            a.packet(p);
        },
        |kind, data| {
            if kind == keylog::SECRETS_TYPE_TLS
                && let Ok(mut k) = keys.try_borrow_mut()
            {
                k.add_text(data, "the capture's Decryption Secrets Block");
            }
        },
    )?;
    Ok(a.finish(&info, path))
}

/// Analyses the capture file at `path`.
pub fn analyse_file(path: &std::path::Path, opts: &Options) -> Result<CaptureReport, CaptureError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| CaptureError::Io { path: name.clone(), source })?;
    analyse(file, &name, opts)
}

#[allow(dead_code)]
fn kind_label(k: ConnectionKind) -> &'static str {
    k.label()
}
