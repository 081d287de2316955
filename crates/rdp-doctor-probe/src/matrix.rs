//! The security-layer matrix: each protocol offered alone on its own connection, in parallel within the
//! per-host bound ([`crate::gate`]). The protocol the server selects on the main connection is not probed
//! again: the main answer shows it accepted (a selection is an acceptance; refusals are only ever taken
//! from a protocol offered alone). So the protocols the main connection cannot answer (those it does not
//! offer) go first, and the others wait for its answer: through a 50 ms link against xrdp, the default
//! check's connections then fit in two X.224 round trips of three at once instead of three.
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

/// The main connection's X.224 answer, handed to the matrix as soon as it comes.
#[derive(Debug, Clone)]
pub struct MainAnswer {
    /// The requestedProtocols the main connection offered.
    pub offered: SecurityProtocol,
    /// Its TCP handshake and X.224 exchange.
    pub duration_ms: f64,
    pub outcome: X224Outcome,
}

/// Where the matrix waits for [`MainAnswer`] (`None` until the main connection has its answer).
pub type MainWatch = tokio::sync::watch::Receiver<Option<MainAnswer>>;

/// Whether the main connection's answer can decide `protocol`'s row: it offered the protocol (a non-zero
/// value; PROTOCOL_RDP is 0 and is only ever probed alone).
fn main_may_answer(protocol: SecurityProtocol, offered: SecurityProtocol) -> bool {
    protocol.0 != 0 && offered.0 & protocol.0 == protocol.0
}

/// The main connection's answer for `protocol`, when it waits for one and the server selected exactly it.
async fn from_main(
    protocol: SecurityProtocol,
    offered: SecurityProtocol,
    main: Option<MainWatch>,
) -> Option<ProtocolProbe> {
    let mut main = main.filter(|_| main_may_answer(protocol, offered))?;
    let answer = main.wait_for(Option::is_some).await.ok()?.clone()?;
    accepted(protocol, &answer.outcome).then(|| ProtocolProbe {
        protocol: protocol.0,
        name: protocol.names().join(" | "),
        accepted: true,
        outcome: ProbeOutcome::Exchange { outcome: answer.outcome },
        duration_ms: answer.duration_ms,
        from_main_offer: Some(answer.offered.0),
    })
}

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
    main: Option<(SecurityProtocol, MainWatch)>,
) -> (ProtocolProbe, Option<RdpSecurityEvidence>, Option<NetSample>) {
    if let Some((offered, main)) = main
        && let Some(row) = from_main(protocol, offered, Some(main)).await
    {
        return (row, None, None);
    }
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
            from_main_offer: None,
        };
        return (probe, None, Some(sample));
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
        from_main_offer: None,
    };
    (probe, rdp_security, Some(sample))
}

/// Probes every protocol in [`PROTOCOLS`] against `addr` concurrently, each connection holding a permit of
/// `gate` (small servers listen with a tiny backlog: xrdp loses SYNs to a burst beyond three connections,
/// retransmitted a second later); also returns the server's Standard RDP Security data when PROTOCOL_RDP
/// was accepted, and each connection's TCP handshake as a quality sample (in [`PROTOCOLS`] order; none for
/// a row taken from the main connection). With `main` (what the main connection offers, and where its
/// answer will be), the protocols it offers wait for its answer and are not probed again when the server
/// selected one of them there.
pub async fn probe_all(
    addr: SocketAddr,
    timeout: Duration,
    gate: &HostGate,
    main: Option<(SecurityProtocol, MainWatch)>,
) -> (Vec<ProtocolProbe>, Option<RdpSecurityEvidence>, Vec<NetSample>) {
    let [p0, p1, p2, p3, p4, p5] = PROTOCOLS;
    // Those the main connection may answer wait for it, so the others ask the gate first (it serves in the
    // order asked).
    let p = |protocol| probe_one(addr, protocol, timeout, gate, main.clone());
    let (a, b, c, d, e, f) = tokio::join!(p(p0), p(p1), p(p2), p(p3), p(p4), p(p5));
    let rdp_security = a.1.clone();
    let samples = [a.2, b.2, c.2, d.2, e.2, f.2].into_iter().flatten().collect();
    (vec![a.0, b.0, c.0, d.0, e.0, f.0], rdp_security, samples)
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

    /// A row comes from the main connection only for a protocol it offered and the server selected exactly;
    /// everything else (another selection, a refusal, PROTOCOL_RDP, no answer at all) is probed alone.
    #[tokio::test]
    async fn only_a_selection_on_the_main_connection_stands_for_a_row() {
        let offered = SecurityProtocol::DEFAULT_REQUEST;
        let answer = |outcome| MainAnswer { offered, duration_ms: 12.5, outcome };
        let watch = |a: Option<MainAnswer>| tokio::sync::watch::channel(a).1;
        let ssl = SecurityProtocol::PROTOCOL_SSL;
        let row = from_main(ssl, offered, Some(watch(Some(answer(selected(1)))))).await.unwrap();
        assert!(row.accepted && row.protocol == 1 && row.from_main_offer == Some(0x0b) && row.duration_ms == 12.5);
        assert!(line(&row).contains("on the main connection, selected from"), "{row:?}");
        // The server selected SSL: HYBRID is not shown accepted or refused by that, so it is probed alone.
        assert!(
            from_main(SecurityProtocol::PROTOCOL_HYBRID, offered, Some(watch(Some(answer(selected(1))))))
                .await
                .is_none()
        );
        // Not offered on the main connection, or PROTOCOL_RDP: never taken from there.
        assert!(
            from_main(SecurityProtocol::PROTOCOL_RDSTLS, offered, Some(watch(Some(answer(selected(4))))))
                .await
                .is_none()
        );
        let legacy = X224Outcome::Confirm { negotiation: NegotiationResult::Legacy, anomalies: vec![] };
        assert!(
            from_main(SecurityProtocol::PROTOCOL_RDP, SecurityProtocol(0), Some(watch(Some(answer(legacy)))))
                .await
                .is_none()
        );
        // A refusal or no connection at all on the main connection: probed alone.
        let closed = X224Outcome::Closed { received: 0 };
        assert!(from_main(ssl, offered, Some(watch(Some(answer(closed))))).await.is_none());
        // The main chain ended without an answer (its sender gone): probed alone, without waiting forever.
        let (tx, rx) = tokio::sync::watch::channel(None);
        drop(tx);
        assert!(from_main(ssl, offered, Some(rx)).await.is_none());
        assert!(from_main(ssl, offered, None).await.is_none());
    }

    fn line(p: &ProtocolProbe) -> String {
        rdp_doctor_core::rules::security::probe_line(p)
    }
}
