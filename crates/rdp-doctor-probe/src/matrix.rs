//! The security-layer matrix: each protocol offered alone on its own connection, in parallel within the
//! per-host bound ([`crate::gate`]).
//!
//! A protocol counts as accepted only when the server's RDP_NEG_RSP selects exactly it (unlike nmap's
//! rdp-enum-encryption, which reports "SUCCESS" for protocols the server merely did not refuse).

use std::net::SocketAddr;
use std::time::Duration;

use rdp_doctor_core::evidence::{
    NegotiationResult, NetSample, ProbeOutcome, ProtocolProbe, RdpSecurityEvidence, X224Outcome,
};
use rdp_doctor_proto::nego::SecurityProtocol;

use crate::gate::HostGate;

/// The protocols probed, in report order.
pub const PROTOCOLS: [SecurityProtocol; 6] = [
    SecurityProtocol::PROTOCOL_RDP,
    SecurityProtocol::PROTOCOL_SSL,
    SecurityProtocol::PROTOCOL_HYBRID,
    SecurityProtocol::PROTOCOL_HYBRID_EX,
    SecurityProtocol::PROTOCOL_RDSTLS,
    SecurityProtocol::PROTOCOL_RDSAAD,
];

/// Whether an X.224 outcome means `offered` was accepted.
pub fn accepted(offered: SecurityProtocol, outcome: &X224Outcome) -> bool {
    match outcome {
        X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol, .. }, .. } => {
            *protocol == offered.0
        }
        X224Outcome::Confirm { negotiation: NegotiationResult::Legacy, .. } => offered.0 == 0,
        _ => false,
    }
}

async fn probe_one(
    addr: SocketAddr,
    protocol: SecurityProtocol,
    timeout: Duration,
    gate: &HostGate,
) -> (ProtocolProbe, Option<RdpSecurityEvidence>, NetSample) {
    let name = protocol.names().join(" | ");
    let permit = gate.enter().await;
    let (attempt, stream) = crate::tcp::connect_one(addr, timeout).await;
    let sample = crate::quality::sample(&attempt, stream.as_ref());
    let Some(mut stream) = stream else {
        let probe = ProtocolProbe {
            protocol: protocol.0,
            name,
            accepted: false,
            outcome: ProbeOutcome::Connect {
                detail: format!(
                    "{:?}{}",
                    attempt.outcome,
                    attempt.detail.map(|d| format!(": {d}")).unwrap_or_default()
                ),
            },
            duration_ms: attempt.duration_ms,
        };
        return (probe, None, sample);
    };
    let x = crate::x224::exchange(&mut stream, protocol, None, timeout).await;
    drop(permit);
    let accepted = accepted(protocol, &x.outcome);
    // Standard RDP Security accepted: read the server's security data on the same connection.
    let rdp_security =
        if accepted && protocol.0 == 0 { Some(crate::mcs::exchange(&mut stream, 0, timeout).await) } else { None };
    let probe = ProtocolProbe {
        protocol: protocol.0,
        name,
        accepted,
        outcome: ProbeOutcome::Exchange { outcome: x.outcome },
        duration_ms: attempt.duration_ms + x.duration_ms,
    };
    (probe, rdp_security, sample)
}

/// Probes every protocol in [`PROTOCOLS`] against `addr` concurrently, each connection holding a permit of
/// `gate` (small servers listen with a tiny backlog: xrdp loses SYNs to a burst beyond three connections,
/// retransmitted a second later); also returns the server's Standard RDP Security data when PROTOCOL_RDP
/// was accepted, and each connection's TCP handshake as a quality sample (in [`PROTOCOLS`] order).
pub async fn probe_all(
    addr: SocketAddr,
    timeout: Duration,
    gate: &HostGate,
) -> (Vec<ProtocolProbe>, Option<RdpSecurityEvidence>, Vec<NetSample>) {
    let [p0, p1, p2, p3, p4, p5] = PROTOCOLS;
    let p = |protocol| probe_one(addr, protocol, timeout, gate);
    let (a, b, c, d, e, f) = tokio::join!(p(p0), p(p1), p(p2), p(p3), p(p4), p(p5));
    let rdp_security = a.1.clone();
    (vec![a.0, b.0, c.0, d.0, e.0, f.0], rdp_security, vec![a.2, b.2, c.2, d.2, e.2, f.2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selected(p: u32) -> X224Outcome {
        X224Outcome::Confirm {
            negotiation: NegotiationResult::Selected {
                protocol: p,
                protocol_names: vec![],
                flags: 0,
                flag_names: vec![],
            },
            anomalies: vec![],
        }
    }

    #[test]
    fn only_an_exact_selection_counts() {
        assert!(accepted(SecurityProtocol::PROTOCOL_SSL, &selected(1)));
        assert!(!accepted(SecurityProtocol::PROTOCOL_HYBRID_EX, &selected(2)), "server picked HYBRID, not HYBRID_EX");
        assert!(accepted(SecurityProtocol::PROTOCOL_RDP, &selected(0)));
        let legacy = X224Outcome::Confirm { negotiation: NegotiationResult::Legacy, anomalies: vec![] };
        assert!(accepted(SecurityProtocol::PROTOCOL_RDP, &legacy));
        assert!(!accepted(SecurityProtocol::PROTOCOL_SSL, &legacy));
        assert!(!accepted(SecurityProtocol::PROTOCOL_SSL, &X224Outcome::Closed { received: 0 }));
    }
}
