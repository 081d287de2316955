//! One TCP connection as the capture shows it: who is client and server, the two directions' streams and
//! accounting, the dissector, how and when it ended, and silences during setup.

use std::net::SocketAddr;

use rdp_doctor_core::capture::{ConnectionKind, EndKind, IcmpEvent, Phase, Side, Stall};

use crate::dissect::Dissector;
use crate::link::Tcp;
use crate::tcp::{Chunk, TcpDir};

/// A silence at least this long during setup is recorded (the rule reports from 2 s on).
pub const SILENCE_NS: i64 = 1_000_000_000;
/// Stalls kept per connection.
pub const MAX_STALLS: usize = 8;

/// Whether the connection is RDP-related.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relevance {
    Related,
    /// Not known yet: no payload seen.
    Undecided,
    /// Not RDP: accounted no further.
    Ignored,
}

#[derive(Debug)]
pub struct TcpConn {
    pub id: u64,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub start_ns: i64,
    pub last_ns: i64,
    pub c: TcpDir,
    pub s: TcpDir,
    pub relevance: Relevance,
    pub dissector: Option<Box<Dissector>>,
    /// The capture's TLS secrets, for dissectors created later.
    pub keys: Option<crate::keylog::SharedKeys>,
    /// The connection is expected to be RDP (its server port is an RDP port).
    pub icmp: Vec<IcmpEvent>,
    pub syn_ack_ns: Option<i64>,
    /// First FIN or RST: how, by whom, when, in which phase.
    pub end: Option<(EndKind, Side, i64, Phase)>,
    pub closed_ns: Option<i64>,
    pub stalls: Vec<Stall>,
    last_packet: Option<(i64, Side)>,
    pub last_meaningful: Option<(Side, String)>,
    /// A TLS connection on another port kept only to see whether it is RDP-related: decrypted with the
    /// capture's secrets and classified by its plaintext (an RD Gateway, a KDC proxy), or, without secrets on
    /// port 443, named as "not examined" when its server name suggests a gateway. Not listed otherwise.
    pub tentative: bool,
    /// The client sent a packet with neither SYN, ACK nor RST (a FIN, NULL or Xmas scan probe: no TCP
    /// stack sends one in a real connection).
    pub probe_without_ack: bool,
    /// Payload chunks and bytes looked at while undecided, and their first bytes.
    probe_chunks: u32,
    probe_bytes: usize,
    preamble: Vec<u8>,
}

/// An undecided connection is looked at for this many payload chunks (or bytes) before it is ignored:
/// enough to find RDP behind a SOCKS or proxy handshake.
pub const PROBE_CHUNKS: u32 = 6;
pub const PROBE_BYTES: usize = 2048;

impl TcpConn {
    pub fn new(id: u64, client: SocketAddr, server: SocketAddr, ts: i64, rdp_port: bool, mid_stream: bool) -> Self {
        Self {
            id,
            client,
            server,
            start_ns: ts,
            last_ns: ts,
            c: TcpDir::default(),
            s: TcpDir::default(),
            relevance: if rdp_port { Relevance::Related } else { Relevance::Undecided },
            dissector: rdp_port
                .then(|| Box::new(Dissector::new(ConnectionKind::Rdp, ts, mid_stream, server.port() == 3389))),
            keys: None,
            icmp: Vec::new(),
            syn_ack_ns: None,
            end: None,
            closed_ns: None,
            stalls: Vec::new(),
            last_packet: None,
            last_meaningful: None,
            tentative: false,
            probe_without_ack: false,
            probe_chunks: 0,
            probe_bytes: 0,
            preamble: Vec::new(),
        }
    }

    pub fn phase(&self) -> Phase {
        self.dissector.as_ref().map_or(Phase::Handshake, |d| d.phase)
    }

    fn in_setup(&self) -> bool {
        match &self.dissector {
            None => self.relevance != Relevance::Ignored,
            Some(d) => {
                !d.done && matches!(d.phase, Phase::Handshake | Phase::X224 | Phase::Tls | Phase::Mcs | Phase::Http)
            }
        }
    }

    /// One segment from `side`.
    pub fn packet(&mut self, ts: i64, side: Side, ip_id: u16, t: &Tcp<'_>) {
        if side == Side::Client && !t.syn && !t.ack_flag && !t.rst {
            self.probe_without_ack = true;
        }
        if self.relevance == Relevance::Ignored {
            self.last_ns = self.last_ns.max(ts);
            if t.rst || t.fin {
                self.closed_ns.get_or_insert(ts);
            }
            return;
        }
        // Silences during setup (kept once the packet that ends them is known).
        let mut silence = None;
        if let Some((prev, _)) = self.last_packet
            && ts.saturating_sub(prev) >= SILENCE_NS
            && self.in_setup()
            && self.stalls.len() < MAX_STALLS
            && let Some((said_by, what)) = self.last_meaningful.clone()
        {
            silence = Some(Stall {
                at_ms: prev.saturating_sub(self.start_ns) as f64 / 1e6,
                idle_ms: ts.saturating_sub(prev) as f64 / 1e6,
                awaited: said_by.other(),
                phase: self.phase(),
                after: format!("the {}'s {what}", said_by.label()),
                resolved: true,
            });
        }
        let resent_before = self.c.stats.retransmissions + self.s.stats.retransmissions;
        self.last_packet = Some((ts, side));
        self.last_ns = self.last_ns.max(ts);
        if t.syn && t.ack_flag && side == Side::Server {
            self.syn_ack_ns.get_or_insert(ts);
        }
        // The handshake round trip (SYN to the client's ACK) sets the reordering threshold.
        if side == Side::Client
            && !t.syn
            && t.ack_flag
            && self.syn_ack_ns.is_some()
            && self.c.rtt_ns.is_none()
            && let Some(syn) = self.c.first_syn_ns
        {
            let rtt = ts.saturating_sub(syn);
            self.c.rtt_ns = Some(rtt);
            self.s.rtt_ns = Some(rtt);
        }
        if t.ack_flag {
            match side {
                Side::Client => self.s.acknowledged(t.ack),
                Side::Server => self.c.acknowledged(t.ack),
            }
        }
        let phase = self.phase();
        if (t.rst || t.fin) && self.end.is_none() {
            self.end = Some((if t.rst { EndKind::Rst } else { EndKind::Fin }, side, ts, phase));
        }
        if t.rst {
            self.closed_ns.get_or_insert(ts);
        }
        let timeline_before = self.dissector.as_ref().map_or(0, |d| d.timeline.len());
        let dissect = self.dissector.as_ref().is_some_and(|d| !d.done) || self.relevance == Relevance::Undecided;
        let mut first: Vec<u8> = Vec::new();
        let mut undecided_gap = false;
        let fresh = {
            let dissector = &mut self.dissector;
            let relevance = self.relevance;
            let dir = match side {
                Side::Client => &mut self.c,
                Side::Server => &mut self.s,
            };
            dir.segment(ts, ip_id, t, dissect, &mut |chunk| match (dissector.as_mut(), relevance) {
                (Some(d), _) => d.feed(side, ts, chunk),
                (None, Relevance::Undecided) => match chunk {
                    Chunk::Data(b) => first.extend_from_slice(b),
                    Chunk::Gap(_) => undecided_gap = true,
                },
                _ => {}
            })
        };
        if !fresh {
            return;
        }
        if let Some(st) = silence {
            // The client taking its time before new data of its own is the client's pace, not a stall
            // of the path or the server.
            let syns = if side == Side::Client { self.c.stats.syns } else { self.s.stats.syns };
            let resent =
                self.c.stats.retransmissions + self.s.stats.retransmissions > resent_before || (t.syn && syns > 1);
            if st.awaited == Side::Server || side == Side::Server || resent {
                self.stalls.push(st);
            }
        }
        self.tcp_events(ts, side, t);
        if self.relevance == Relevance::Undecided && (!first.is_empty() || undecided_gap) {
            self.decide(side, ts, &first);
        }
        if self.c.stats.fins > 0 && self.s.stats.fins > 0 {
            self.closed_ns.get_or_insert(ts);
        }
        // What was said last matters only while the setup can still stall.
        if !self.in_setup() {
            return;
        }
        let what = if t.syn {
            Some(if t.ack_flag { "SYN-ACK".to_owned() } else { "SYN".to_owned() })
        } else if t.len > 0 {
            let d = self.dissector.as_ref();
            Some(match d.and_then(|d| d.timeline.get(timeline_before..).and_then(<[_]>::last)) {
                Some(e) => e.what.clone(),
                None => format!("{}-byte segment", t.len),
            })
        } else {
            None
        };
        if let Some(w) = what {
            self.last_meaningful = Some((side, w));
        }
    }

    /// TCP control packets on the timeline: SYNs (up to three per side), the first FIN and RST of each side.
    fn tcp_events(&mut self, ts: i64, side: Side, t: &Tcp<'_>) {
        let Some(d) = self.dissector.as_mut() else { return };
        let stats = match side {
            Side::Client => &self.c.stats,
            Side::Server => &self.s.stats,
        };
        let what = if t.syn && stats.syns <= 3 {
            let name = if t.ack_flag { "SYN-ACK" } else { "SYN" };
            let again = if stats.syns > 1 { " (sent again)" } else { "" };
            Some(match t.mss {
                Some(m) => format!("TCP {name}, MSS {m}{again}"),
                None => format!("TCP {name}{again}"),
            })
        } else if t.rst && stats.rsts == 1 {
            Some("TCP RST".to_owned())
        } else if t.fin && stats.fins == 1 {
            Some("TCP FIN".to_owned())
        } else {
            None
        };
        if let Some(w) = what {
            d.event(ts, side, Phase::Handshake, w);
        }
    }

    /// Decides from the first payload chunks whether an unknown-port connection is RDP-related: X.224 (also
    /// after a SOCKS or other proxy handshake), or RD Gateway HTTP.
    fn decide(&mut self, side: Side, ts: i64, chunk: &[u8]) {
        let kind = match (side, chunk) {
            (Side::Client, [3, 0, _, _, _, code, ..]) if code & 0xf0 == 0xe0 => Some(ConnectionKind::Rdp),
            (Side::Server, [3, 0, _, _, _, code, ..]) if code & 0xf0 == 0xd0 => Some(ConnectionKind::Rdp),
            (Side::Client, b) if rdp_doctor_proto::http::starts_like_gateway_request(b) => {
                Some(ConnectionKind::GatewayHttp)
            }
            (Side::Client, [0x16, 3, ..]) if self.probe_chunks == 0 && self.tls_worth_a_look(chunk) => {
                self.tentative = true;
                Some(ConnectionKind::Tls)
            }
            _ => None,
        };
        match kind {
            Some(k) => {
                self.relevance = Relevance::Related;
                let mut d = Box::new(Dissector::new(k, self.start_ns, false, false));
                d.set_keys(self.keys.clone());
                if self.probe_bytes > 0 {
                    let proto = match self.preamble.as_slice() {
                        [5, ..] => " (a SOCKS5 proxy handshake)",
                        [4, ..] => " (a SOCKS4 proxy handshake)",
                        [b'C', b'O', b'N', b'N', ..] => " (an HTTP CONNECT proxy request)",
                        _ => "",
                    };
                    d.event(
                        self.start_ns,
                        Side::Client,
                        Phase::Handshake,
                        format!(
                            "{} bytes in {} chunk(s) before the RDP traffic{proto}",
                            self.probe_bytes, self.probe_chunks
                        ),
                    );
                }
                d.feed(side, ts, Chunk::Data(chunk));
                self.dissector = Some(d);
            }
            None => {
                self.probe_chunks += 1;
                self.probe_bytes += chunk.len();
                if self.preamble.is_empty() && side == Side::Client {
                    self.preamble = chunk.iter().take(8).copied().collect();
                }
                if self.probe_chunks >= PROBE_CHUNKS || self.probe_bytes >= PROBE_BYTES {
                    self.relevance = Relevance::Ignored;
                    // Free what an ignored connection no longer needs.
                    self.c = TcpDir::default();
                    self.s = TcpDir::default();
                    self.preamble = Vec::new();
                }
            }
        }
    }

    /// A TLS connection on a port that is not RDP's is looked at when the capture's secrets can open it (its
    /// ClientHello's random is in the key log: decrypted and classified by its plaintext on any port), or
    /// when it goes to 443, where an RD Gateway listens (its server name may suggest one).
    fn tls_worth_a_look(&self, chunk: &[u8]) -> bool {
        if self.server.port() == 443 {
            return true;
        }
        // TLS record header (5), handshake type and length (4), client_version (2), then the random (32).
        let Some(random) = chunk.get(11..43).and_then(|r| <[u8; 32]>::try_from(r).ok()) else { return false };
        self.keys.as_ref().and_then(|k| k.try_borrow().ok()).is_some_and(|k| {
            chunk.get(5) == Some(&1) && (k.master_secret(&random).is_some() || k.tls13(&random).is_some())
        })
    }

    /// The connection is still open at the end of the capture or idle: hand held-back bytes to the
    /// dissector and close the accounting.
    pub fn finish(&mut self) {
        let ts = self.last_ns;
        if let Some(d) = self.dissector.as_mut() {
            if !d.done {
                self.c.flush(&mut |chunk| d.feed(Side::Client, ts, chunk));
                self.s.flush(&mut |chunk| d.feed(Side::Server, ts, chunk));
            }
            d.finish();
        }
        self.c.finish();
        self.s.finish();
    }
}
