//! RDP-UDP reachability (MS-RDPEUDP 3.1.5.1.1): a version-2 SYN padded to 1232 bytes to UDP on the RDP
//! port number; a SYN+ACK acknowledging our ISN means the listener is up and ~1260-byte datagrams pass
//! both ways. Never the final ACK, at most three tries; after silence one smaller (1132-byte) SYN tells a
//! filtered port from a path too small for full-size datagrams.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rdp_doctor_core::evidence::{UdpAttempt, UdpEvidence, UdpProbeOutcome};
use rdp_doctor_proto::rdpeudp::{self, SYN_DATAGRAM_LEN, UdpVersion};
use tokio::net::UdpSocket;

use crate::elapsed_ms;

/// The small-path retry size (MS-RDPEUDP's smallest MTU).
pub const SMALL_DATAGRAM_LEN: usize = 1132;

fn isn() -> u32 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    nanos ^ 0x5a5a_1234
}

/// An ICMP port unreachable as the socket reports it on a connected UDP socket: `ECONNREFUSED` on Linux,
/// `WSAECONNRESET` on Windows (which reports the ICMP error as a "reset" of the datagram "connection").
pub(crate) fn is_port_unreachable(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::ConnectionRefused
        || (cfg!(windows) && e.kind() == std::io::ErrorKind::ConnectionReset)
}

async fn one(sock: &UdpSocket, size: usize, wait: Duration) -> UdpAttempt {
    let isn = isn();
    let mtu = u16::try_from(size).unwrap_or(1232);
    let syn = rdpeudp::encode_client_syn(isn, mtu, UdpVersion::RDPUDP_PROTOCOL_VERSION_2);
    let start = Instant::now();
    let outcome = match sock.send(&syn).await {
        Err(e) => UdpProbeOutcome::Error { error: e.to_string() },
        Ok(_) => {
            let mut buf = vec![0u8; 2048];
            match tokio::time::timeout(wait, sock.recv(&mut buf)).await {
                Err(_) => UdpProbeOutcome::Silence,
                Ok(Err(e)) if is_port_unreachable(&e) => UdpProbeOutcome::PortUnreachable,
                Ok(Err(e)) => UdpProbeOutcome::Error { error: e.to_string() },
                Ok(Ok(n)) => match rdpeudp::decode_syn(buf.get(..n).unwrap_or_default()) {
                    Ok(s) if s.is_syn_ack() && s.header.sn_source_ack == isn => UdpProbeOutcome::SynAck {
                        version: s.version.map(|v| v.name()),
                        upstream_mtu: s.upstream_mtu,
                        downstream_mtu: s.downstream_mtu,
                    },
                    Ok(s) => UdpProbeOutcome::Other {
                        description: format!(
                            "a SYN{} acknowledging 0x{:08x} (ours was 0x{isn:08x})",
                            if s.is_syn_ack() { "+ACK" } else { "" },
                            s.header.sn_source_ack
                        ),
                    },
                    Err(e) => {
                        UdpProbeOutcome::Other { description: format!("{n}-byte datagram that is not RDP-UDP: {e}") }
                    }
                },
            }
        }
    };
    UdpAttempt { size, outcome, duration_ms: elapsed_ms(start) }
}

/// Probes `addr` (UDP). `tries` full-size SYNs (1-3) while silent, then one small SYN after silence.
pub async fn probe(addr: SocketAddr, tries: usize, wait: Duration) -> UdpEvidence {
    let mut attempts = Vec::new();
    let bind: SocketAddr = if addr.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
    let sock = match UdpSocket::bind(bind).await {
        Ok(s) => s,
        Err(e) => {
            attempts.push(UdpAttempt {
                size: 0,
                outcome: UdpProbeOutcome::Error { error: e.to_string() },
                duration_ms: 0.0,
            });
            return UdpEvidence { addr, attempts };
        }
    };
    if let Err(e) = sock.connect(addr).await {
        attempts.push(UdpAttempt {
            size: 0,
            outcome: UdpProbeOutcome::Error { error: e.to_string() },
            duration_ms: 0.0,
        });
        return UdpEvidence { addr, attempts };
    }
    for _ in 0..tries.clamp(1, 3) {
        let a = one(&sock, SYN_DATAGRAM_LEN, wait).await;
        let silent = a.outcome == UdpProbeOutcome::Silence;
        attempts.push(a);
        if !silent {
            return UdpEvidence { addr, attempts };
        }
    }
    attempts.push(one(&sock, SMALL_DATAGRAM_LEN, wait).await);
    UdpEvidence { addr, attempts }
}
