//! Network path rules: the TCP handshake series (loss, latency, jitter, MSS) and the MTU retry.

use crate::catalogue::{
    NET_HIGH_LATENCY, NET_JITTER, NET_MSS_CLAMPED, NET_MTU_BLACKHOLE, NET_PACKET_LOSS, UDP_BLOCKED, UDP_NOT_LISTENING,
    UDP_OK, UDP_SMALL_PATH, WEBSOCKET_NO_UPGRADE, WEBSOCKET_UNREACHABLE, X224_SLOW_ANSWER,
};
use crate::evidence::{Evidence, TcpOutcome, TlsOutcome};
use crate::finding::Finding;

/// A handshake this slow, when others are fast, means a SYN or SYN-ACK was retransmitted (Linux and Windows
/// retransmit the first SYN after about one second).
pub const RETRANSMIT_MS: f64 = 900.0;
/// Median handshake time that counts as high latency.
pub const HIGH_LATENCY_MS: f64 = 150.0;
/// An X.224 answer this slow (and ten times slower than TCP) is reported.
pub const SLOW_ANSWER_MS: f64 = 400.0;
/// Mean absolute difference between consecutive samples that counts as jitter.
pub const JITTER_MS: f64 = 40.0;
/// Below this MSS (IPv4 Ethernet allows 1460; timestamps leave 1448) something clamps the segment size.
pub const CLAMPED_MSS: u32 = 1380;

/// Statistics of the series.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub sent: usize,
    pub failed: usize,
    pub retransmitted: usize,
    pub min: f64,
    pub median: f64,
    pub p95: f64,
    pub jitter: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted.get(i.min(sorted.len() - 1)).copied().unwrap_or(0.0)
}

/// Computes the series' statistics (successful handshakes only for timing).
pub fn stats(ev: &Evidence) -> Option<Stats> {
    let net = ev.net.as_ref()?;
    let ok: Vec<f64> =
        net.samples.iter().filter(|s| s.outcome == TcpOutcome::Connected).map(|s| s.connect_ms).collect();
    let mut sorted = ok.clone();
    sorted.sort_by(f64::total_cmp);
    let min = sorted.first().copied().unwrap_or(0.0);
    let retransmitted = ok.iter().filter(|t| **t >= RETRANSMIT_MS && min < RETRANSMIT_MS / 3.0).count();
    let jitter = if ok.len() > 1 {
        ok.iter().zip(ok.iter().skip(1)).map(|(a, b)| (b - a).abs()).sum::<f64>() / (ok.len() - 1) as f64
    } else {
        0.0
    };
    Some(Stats {
        sent: net.samples.len(),
        failed: net.samples.len() - ok.len(),
        retransmitted,
        min,
        median: percentile(&sorted, 0.5),
        p95: percentile(&sorted, 0.95),
        jitter,
    })
}

fn websocket(ev: &Evidence, out: &mut Vec<Finding>) {
    let Some(ports) = &ev.websocket_ports else { return };
    let line = |p: &crate::evidence::WsPortEvidence| {
        format!(
            "TCP {}{}: {:?}; upgrade answer: {}",
            p.port,
            if p.tls { " (TLS)" } else { "" },
            p.tcp,
            p.status_line.as_deref().unwrap_or("none")
        )
    };
    let closed: Vec<String> = ports.iter().filter(|p| p.tcp != TcpOutcome::Connected).map(line).collect();
    if !closed.is_empty() {
        out.push(Finding::new(
            &WEBSOCKET_UNREACHABLE,
            format!("{} of {} WebSocket listeners unreachable", closed.len(), ports.len()),
            closed,
        ));
    }
    let odd: Vec<String> = ports
        .iter()
        .filter(|p| p.tcp == TcpOutcome::Connected && !p.status_line.as_deref().is_some_and(|l| l.contains(" 101")))
        .map(line)
        .collect();
    if !odd.is_empty() {
        out.push(Finding::new(&WEBSOCKET_NO_UPGRADE, "a WebSocket listener did not answer 101 to an upgrade", odd));
    }
}

fn udp(ev: &Evidence, out: &mut Vec<Finding>) {
    use crate::evidence::UdpProbeOutcome;
    let Some(u) = &ev.udp else { return };
    let lines: Vec<String> = u
        .attempts
        .iter()
        .map(|a| {
            format!("RDP-UDP SYN of {} bytes to {}: {:?} after {:.1} ms", a.size, u.addr, a.outcome, a.duration_ms)
        })
        .collect();
    let full_ok = u.attempts.iter().any(|a| a.size >= 1232 && matches!(a.outcome, UdpProbeOutcome::SynAck { .. }));
    let small_ok = u.attempts.iter().any(|a| a.size < 1232 && matches!(a.outcome, UdpProbeOutcome::SynAck { .. }));
    let refused = u.attempts.iter().any(|a| a.outcome == UdpProbeOutcome::PortUnreachable);
    let all_silent = !u.attempts.is_empty() && u.attempts.iter().all(|a| a.outcome == UdpProbeOutcome::Silence);
    if full_ok {
        out.push(Finding::new(&UDP_OK, "the RDP-UDP listener answers", lines));
    } else if small_ok {
        out.push(Finding::new(&UDP_SMALL_PATH, "only RDP-UDP datagrams smaller than 1232 bytes get through", lines));
    } else if refused {
        out.push(Finding::new(&UDP_NOT_LISTENING, "UDP on the RDP port is closed (ICMP port unreachable)", lines));
    } else if all_silent {
        out.push(Finding::new(&UDP_BLOCKED, "RDP-UDP SYNs get no answer at all", lines));
    }
}

pub(super) fn check(ev: &Evidence, out: &mut Vec<Finding>) {
    mtu(ev, out);
    websocket(ev, out);
    udp(ev, out);
    let (Some(s), Some(net)) = (stats(ev), ev.net.as_ref()) else { return };
    if s.sent == 0 {
        return;
    }
    let line = format!(
        "{} TCP handshakes to {}: {} failed, {} retransmitted; min {:.1} ms, median {:.1} ms, p95 {:.1} ms, jitter {:.1} ms",
        s.sent, net.addr, s.failed, s.retransmitted, s.min, s.median, s.p95, s.jitter
    );
    let lost = s.failed + s.retransmitted;
    if lost > 0 && s.failed < s.sent {
        let pct = 100.0 * lost as f64 / s.sent as f64;
        out.push(Finding::new(
            &NET_PACKET_LOSS,
            format!("{lost} of {} handshakes lost a packet ({pct:.0}%)", s.sent),
            vec![line.clone()],
        ));
    }
    if s.failed < s.sent && s.median >= HIGH_LATENCY_MS {
        out.push(Finding::new(
            &NET_HIGH_LATENCY,
            format!(
                "median round trip {:.0} ms: the security handshake alone takes about {:.1} s",
                s.median,
                s.median * 8.0 / 1000.0
            ),
            vec![line.clone()],
        ));
    }
    // The X.224 exchange is one round trip above TCP: far slower than the TCP handshakes means the server
    // is slow to answer, or something completes TCP near this machine and the server is far behind it.
    // The fastest of all X.224 exchanges (main and matrix) counts: our own parallel probes may slow a small
    // server down, but not every exchange.
    let main = ev.x224.as_ref().filter(|x| matches!(x.outcome, crate::evidence::X224Outcome::Confirm { .. }));
    let fastest = main
        .map(|x| x.duration_ms)
        .into_iter()
        .chain(
            ev.security_matrix
                .iter()
                .flatten()
                .filter(|p| {
                    matches!(
                        &p.outcome,
                        crate::evidence::ProbeOutcome::Exchange {
                            outcome: crate::evidence::X224Outcome::Confirm { .. }
                        }
                    )
                })
                .map(|p| p.duration_ms),
        )
        .min_by(f64::total_cmp);
    if let Some(x) = fastest
        && main.is_some()
        && s.failed < s.sent
        && x >= SLOW_ANSWER_MS
        && x >= 10.0 * s.median.max(1.0)
    {
        out.push(Finding::new(
            &X224_SLOW_ANSWER,
            format!("the first RDP answer took at least {x:.0} ms while TCP handshakes took {:.1} ms", s.median),
            vec![line.clone(), format!("fastest X.224 Connection Request → Confirm of all probes: {x:.1} ms")],
        ));
    }
    if s.sent - s.failed > 2 && s.jitter >= JITTER_MS {
        out.push(Finding::new(
            &NET_JITTER,
            format!("round trips vary by {:.0} ms on average", s.jitter),
            vec![line.clone()],
        ));
    }
    let mss = net.samples.iter().filter_map(|x| x.mss).min();
    if let Some(m) = mss.filter(|m| *m < CLAMPED_MSS) {
        out.push(Finding::new(
            &NET_MSS_CLAMPED,
            format!("the connection uses a {m}-byte maximum segment size"),
            vec![line, format!("TCP_MAXSEG after the handshake: {m} bytes (plain Ethernet: 1448-1460)")],
        ));
    }
}

fn mtu(ev: &Evidence, out: &mut Vec<Finding>) {
    let Some(m) = &ev.mtu else { return };
    let mut lines = vec![
        "the first TLS handshake stalled: the X.224 exchange completed, the server's TLS flight never arrived"
            .to_owned(),
    ];
    lines.extend(
        m.attempts
            .iter()
            .map(|a| format!("retry with TCP MSS {}: {:?} after {:.0} ms", a.mss, a.outcome, a.duration_ms)),
    );
    if let Some(ok) = m.attempts.iter().find(|a| a.outcome == TlsOutcome::Established) {
        out.push(Finding::new(
            &NET_MTU_BLACKHOLE,
            format!("full-size segments are lost on the path; with an MSS of {} bytes the handshake completes", ok.mss),
            lines,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::evidence::*;

    fn series(times: &[f64], failed: usize, mss: u32) -> NetQuality {
        let mut samples: Vec<NetSample> = times
            .iter()
            .map(|t| NetSample { outcome: TcpOutcome::Connected, connect_ms: *t, mss: Some(mss) })
            .collect();
        samples.extend((0..failed).map(|_| NetSample { outcome: TcpOutcome::TimedOut, connect_ms: 3000.0, mss: None }));
        NetQuality { addr: "127.0.0.1:3389".parse().unwrap_or_else(|_| unreachable!()), samples, timeout_ms: 3000 }
    }

    fn run(n: NetQuality) -> Vec<&'static str> {
        let mut ev = base();
        ev.net = Some(n);
        ids(&crate::rules::evaluate(&ev))
    }

    #[test]
    fn clean_lan() {
        assert!(run(series(&[0.4, 0.5, 0.4, 0.6], 0, 1448)).is_empty());
    }

    #[test]
    fn loss_by_failure_and_by_retransmission() {
        assert_eq!(run(series(&[1.0, 1.1, 1.0], 1, 1448)), vec!["net.packet_loss"]);
        assert_eq!(run(series(&[1.0, 1003.0, 1.2, 1.1], 0, 1448)), vec!["net.jitter", "net.packet_loss"]);
    }

    #[test]
    fn latency_and_clamping() {
        assert_eq!(run(series(&[210.0, 205.0, 208.0], 0, 1448)), vec!["net.high_latency"]);
        assert_eq!(run(series(&[20.0, 21.0, 20.0], 0, 1360)), vec!["net.mss_clamped"]);
    }

    fn udp_run(outcomes: &[(usize, UdpProbeOutcome)]) -> Vec<&'static str> {
        let mut ev = base();
        ev.udp = Some(UdpEvidence {
            addr: "127.0.0.1:3389".parse().unwrap_or_else(|_| unreachable!()),
            attempts: outcomes
                .iter()
                .map(|(size, o)| UdpAttempt { size: *size, outcome: o.clone(), duration_ms: 1.0 })
                .collect(),
        });
        ids(&crate::rules::evaluate(&ev))
    }

    #[test]
    fn udp_outcomes() {
        let ack = UdpProbeOutcome::SynAck { version: None, upstream_mtu: 1232, downstream_mtu: 1232 };
        assert_eq!(udp_run(&[(1232, ack.clone())]), vec!["udp.ok"]);
        assert_eq!(udp_run(&[(1232, UdpProbeOutcome::PortUnreachable)]), vec!["udp.not_listening"]);
        assert_eq!(udp_run(&[(1232, UdpProbeOutcome::Silence), (1132, UdpProbeOutcome::Silence)]), vec!["udp.blocked"]);
        assert_eq!(udp_run(&[(1232, UdpProbeOutcome::Silence), (1132, ack)]), vec!["udp.small_path"]);
    }

    #[test]
    fn websocket_ports() {
        let mut ev = base();
        ev.websocket_ports = Some(vec![
            WsPortEvidence { port: 3387, tls: false, tcp: TcpOutcome::Refused, status_line: None, duration_ms: 0.1 },
            WsPortEvidence {
                port: 3392,
                tls: true,
                tcp: TcpOutcome::Connected,
                status_line: Some("HTTP/1.1 404 Not Found".into()),
                duration_ms: 2.0,
            },
        ]);
        assert_eq!(ids(&crate::rules::evaluate(&ev)), vec!["websocket.no_upgrade", "websocket.unreachable"]);
    }

    #[test]
    fn mtu_blackhole() {
        let mut ev = base();
        ev.mtu = Some(MtuProbe {
            attempts: vec![
                MtuAttempt { mss: 1200, outcome: TlsOutcome::TimedOut, duration_ms: 3000.0 },
                MtuAttempt { mss: 536, outcome: TlsOutcome::Established, duration_ms: 4.0 },
            ],
        });
        let f = crate::rules::evaluate(&ev);
        assert_eq!(ids(&f), vec!["net.mtu_blackhole"]);
        assert!(f[0].summary.contains("536"));
    }
}
