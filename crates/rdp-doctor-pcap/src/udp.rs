//! RDP-UDP connections (MS-RDPEUDP 3.1.5.1): the SYN / SYN+ACK handshake, decoded with the proto codec,
//! and the ICMP answers that refuse it. The TLS/DTLS carried in the data datagrams is not decoded.

use std::net::SocketAddr;

use rdp_doctor_core::capture::{
    CaptureEvidence, ConnectionEnd, ConnectionKind, DirectionStats, EndKind, IcmpEvent, Phase, PhaseEvent,
    RdpUdpEvidence, Side, UdpOutcome,
};
use rdp_doctor_core::evidence::Evidence;
use rdp_doctor_proto::rdpeudp::{self, Syn};

use crate::evidence::{Ctx, ms, target};

/// Timeline entries kept.
const MAX_TIMELINE: usize = 16;

#[derive(Debug)]
pub struct UdpConn {
    pub id: u64,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub start_ns: i64,
    pub last_ns: i64,
    pub icmp: Vec<IcmpEvent>,
    syns: u32,
    syn_acks: u32,
    first_syn_ns: Option<i64>,
    last_syn_ns: Option<i64>,
    syn_ack_ns: Option<i64>,
    client_syn: Option<Syn>,
    server_syn: Option<Syn>,
    client_stats: DirectionStats,
    server_stats: DirectionStats,
    timeline: Vec<PhaseEvent>,
}

impl UdpConn {
    pub fn new(id: u64, client: SocketAddr, server: SocketAddr, ts: i64) -> Self {
        Self {
            id,
            client,
            server,
            start_ns: ts,
            last_ns: ts,
            icmp: Vec::new(),
            syns: 0,
            syn_acks: 0,
            first_syn_ns: None,
            last_syn_ns: None,
            syn_ack_ns: None,
            client_syn: None,
            server_syn: None,
            client_stats: DirectionStats::default(),
            server_stats: DirectionStats::default(),
            timeline: Vec::new(),
        }
    }

    fn event(&mut self, ts: i64, from: Side, what: String) {
        if self.timeline.len() < MAX_TIMELINE {
            self.timeline.push(PhaseEvent { at_ms: ms(ts - self.start_ns), from, phase: Phase::Handshake, what });
        }
    }

    pub fn datagram(&mut self, ts: i64, side: Side, payload: &[u8]) {
        self.last_ns = self.last_ns.max(ts);
        let stats = match side {
            Side::Client => &mut self.client_stats,
            Side::Server => &mut self.server_stats,
        };
        stats.packets += 1;
        stats.bytes += payload.len() as u64;
        let Ok(syn) = rdpeudp::decode_syn(payload) else { return };
        match side {
            Side::Client if !syn.is_syn_ack() => {
                self.syns += 1;
                self.first_syn_ns.get_or_insert(ts);
                self.last_syn_ns = Some(ts);
                let v = syn.version.map(|v| v.name()).unwrap_or_else(|| "no SYNEX".to_owned());
                self.event(
                    ts,
                    side,
                    format!("RDP-UDP SYN ({}; {v}; {} bytes)", syn.header.flags.names().join("|"), syn.datagram_len),
                );
                if self.client_syn.is_none() {
                    self.client_syn = Some(syn);
                }
            }
            Side::Server if syn.is_syn_ack() => {
                let matches =
                    self.client_syn.as_ref().is_none_or(|c| c.initial_sequence_number == syn.header.sn_source_ack);
                if matches {
                    self.syn_acks += 1;
                    self.syn_ack_ns.get_or_insert(ts);
                    let v = syn.version.map(|v| v.name()).unwrap_or_else(|| "no SYNEX".to_owned());
                    self.event(ts, side, format!("RDP-UDP SYN+ACK ({}; {v})", syn.header.flags.names().join("|")));
                    if self.server_syn.is_none() {
                        self.server_syn = Some(syn);
                    }
                } else {
                    self.event(ts, side, "RDP-UDP SYN+ACK for another SYN (snSourceAck does not match)".to_owned());
                }
            }
            _ => {}
        }
    }

    pub fn evidence(&self, ctx: &Ctx) -> (Evidence, String) {
        let mut ev = Evidence::new(target(self.client, self.server), self.start_ns.div_euclid(1_000_000_000));
        let unreachable = self.icmp.iter().any(|i| i.port_unreachable && i.about == Side::Client);
        let watched = self.last_syn_ns.map_or(0, |l| ctx.capture_end_ns - l);
        let outcome = if self.syn_acks > 0 {
            UdpOutcome::Established
        } else if unreachable && self.syns > 0 {
            UdpOutcome::PortUnreachable
        } else if self.syns == 0 {
            UdpOutcome::MidStream
        } else if watched >= crate::evidence::SYN_NO_ANSWER_NS || self.syns >= 2 {
            UdpOutcome::NoAnswer
        } else {
            UdpOutcome::CaptureEnded
        };
        let mut limits = vec![
            "RDP-UDP carries TLS or DTLS and then the session inside its datagrams; only the SYN / SYN+ACK handshake is decoded."
                .to_owned(),
        ];
        let line = match outcome {
            UdpOutcome::Established => "RDP-UDP handshake completed".to_owned(),
            UdpOutcome::NoAnswer => format!("RDP-UDP: {} SYN(s), no answer", self.syns),
            UdpOutcome::PortUnreachable => "RDP-UDP: refused with ICMP port unreachable".to_owned(),
            UdpOutcome::CaptureEnded => {
                limits.push(
                    "The capture ends right after the RDP-UDP SYN: whether the server answers is not in it.".to_owned(),
                );
                "RDP-UDP: capture ends after the SYN".to_owned()
            }
            UdpOutcome::MidStream => {
                limits.push(
                    "The RDP-UDP connection was already set up when the capture started: nothing to judge.".to_owned(),
                );
                "RDP-UDP datagrams of an established connection".to_owned()
            }
        };
        let c = self.client_syn.as_ref();
        let udp = RdpUdpEvidence {
            outcome,
            syns: self.syns,
            syn_acks: self.syn_acks,
            answered_after_ms: match (self.first_syn_ns, self.syn_ack_ns) {
                (Some(a), Some(b)) => Some(ms(b - a)),
                _ => None,
            },
            syn_span_ms: match (self.first_syn_ns, self.last_syn_ns) {
                (Some(a), Some(b)) => ms(b - a),
                _ => 0.0,
            },
            watched_after_last_syn_ms: ms(watched),
            client_version: c.and_then(|s| s.version).map(|v| v.name()),
            server_version: self.server_syn.as_ref().and_then(|s| s.version).map(|v| v.name()),
            mtu: c.map(|s| (s.upstream_mtu, s.downstream_mtu)),
            correlation_id: c.is_some_and(|s| s.correlation_id.is_some()),
            datagram_len: c.map_or(0, |s| s.datagram_len),
            client_datagrams: self.client_stats.packets,
            server_datagrams: self.server_stats.packets,
        };
        ev.capture = Some(CaptureEvidence {
            kind: ConnectionKind::RdpUdp,
            transport: "udp",
            client: self.client,
            server: self.server,
            start_ms: ms(self.start_ns - ctx.capture_start_ns),
            duration_ms: ms(self.last_ns - self.start_ns),
            setup_seen: self.syns > 0,
            client_stats: self.client_stats.clone(),
            server_stats: self.server_stats.clone(),
            icmp: self.icmp.clone(),
            phases: self.timeline.clone(),
            timeline_truncated: false,
            request: None,
            client_hello: None,
            client_alert: None,
            encrypted: None,
            last_phase: if outcome == UdpOutcome::Established { Phase::Session } else { Phase::Handshake },
            end: ConnectionEnd {
                how: EndKind::CaptureEnded,
                by: None,
                at_ms: ms(self.last_ns - self.start_ns),
                phase: Phase::Handshake,
                after: String::new(),
            },
            stalls: Vec::new(),
            rdp_udp: Some(udp),
            http: Vec::new(),
            anomalies: Vec::new(),
            decryption: None,
            tls_resumed: false,
        });
        ev.limitations = limits;
        (ev, line)
    }
}
