//! The ladder of one capture connection, from its timeline: every entry an arrow at its time since the
//! connection's first packet, silences as gaps, ICMP errors, and how the connection ended.

use rdp_doctor_core::Report;
use rdp_doctor_core::capture::{CaptureEvidence, ConnectionKind, EndKind, Phase, Side};

use super::{Builder, Ladder, Lane, Row, Style};
use crate::fmt::ms;

fn lane(s: Side) -> Lane {
    match s {
        Side::Client => Lane::Client,
        Side::Server => Lane::Server,
    }
}

/// The report layer a phase belongs to.
fn layer(p: Phase) -> &'static str {
    match p {
        Phase::Handshake => "tcp",
        Phase::X224 | Phase::Mcs => "x224",
        Phase::Tls => "tls",
        Phase::Credssp => "credssp",
        Phase::Http => "gateway",
        Phase::Session => "session",
    }
}

fn style_of(what: &str) -> Style {
    let lower = what.to_ascii_lowercase();
    if lower.contains("(sent again)") || lower.contains("resent") || lower.contains("retransmi") {
        Style::Retransmit
    } else if lower.contains("tcp rst") {
        Style::Reset
    } else if lower.contains("tcp fin") {
        Style::Close
    } else if lower.contains("alert")
        || lower.contains("rdp_neg_failure")
        || lower.contains("set error info")
        || lower.contains("errorcode")
        || lower.contains("ultimatum")
    {
        Style::Alert
    } else {
        Style::Normal
    }
}

/// The ladder of a capture connection (`None` for a report without capture evidence).
pub fn capture(r: &Report) -> Option<Ladder> {
    let cap = r.evidence.capture.as_ref()?;
    let mut b = Builder::default();
    let mut stalls = cap.stalls.iter().peekable();
    let mut icmp = cap.icmp.iter().peekable();
    for p in &cap.phases {
        while let Some(s) = stalls.next_if(|s| s.at_ms < p.at_ms) {
            b.push(layer(s.phase), gap(s));
        }
        while let Some(e) = icmp.next_if(|e| e.at_ms < p.at_ms) {
            b.msg(layer(cap.last_phase), Some(e.at_ms), Lane::Server, Lane::Client, icmp_label(e), Style::Alert);
        }
        let from = lane(p.from);
        b.msg(layer(p.phase), Some(p.at_ms), from, lane(p.from.other()), p.what.clone(), style_of(&p.what));
    }
    for s in stalls {
        b.push(layer(s.phase), gap(s));
    }
    for e in icmp {
        b.msg(layer(cap.last_phase), Some(e.at_ms), Lane::Server, Lane::Client, icmp_label(e), Style::Alert);
    }
    unanswered_syn(&mut b, r, cap);
    end(&mut b, cap);
    b.highlight(r);
    Some(Ladder {
        title: format!("{} {} → {}", cap.kind.label(), cap.client, cap.server),
        lanes: vec![(Lane::Client, format!("client {}", cap.client)), (Lane::Server, server_name(cap))],
        rows: b.rows,
        time_note: "Times: since the connection's first packet in the capture.".to_owned(),
        notes: notes(cap),
    })
}

fn server_name(cap: &CaptureEvidence) -> String {
    match cap.kind {
        ConnectionKind::GatewayHttp | ConnectionKind::Tls => format!("server {} (RD Gateway or TLS)", cap.server),
        _ => format!("server {}", cap.server),
    }
}

fn gap(s: &rdp_doctor_core::capture::Stall) -> Row {
    let ended = if s.resolved { "" } else { "; the connection or the capture ended first" };
    Row::Gap {
        at_ms: s.at_ms,
        idle_ms: s.idle_ms,
        label: format!("{} of silence waiting for the {} after {}{ended}", ms(s.idle_ms), s.awaited.label(), s.after),
        mark: super::Mark::None,
    }
}

fn icmp_label(e: &rdp_doctor_core::capture::IcmpEvent) -> String {
    format!("ICMP from {}: {} (about the {}'s packets)", e.from, e.what, e.about.label())
}

/// A SYN the server never answered: the report's TCP evidence says how long the capture watched.
fn unanswered_syn(b: &mut Builder, r: &Report, cap: &CaptureEvidence) {
    let answered = cap.server_stats.syns > 0 || cap.phases.iter().any(|p| p.from == Side::Server);
    let timed_out = r
        .evidence
        .tcp
        .as_ref()
        .and_then(|t| t.attempts.first())
        .filter(|a| a.outcome == rdp_doctor_core::evidence::TcpOutcome::TimedOut);
    if let (false, Some(a)) = (answered, timed_out) {
        b.push(
            "tcp",
            Row::NoAnswer {
                at_ms: Some(a.duration_ms),
                from: Lane::Client,
                to: Lane::Server,
                label: format!("no SYN-ACK while the capture went on for {}", ms(a.duration_ms)),
                mark: super::Mark::None,
            },
        );
    }
}

/// How the connection ended, when the timeline does not already show it.
fn end(b: &mut Builder, cap: &CaptureEvidence) {
    let shown = |what: &str| cap.phases.iter().any(|p| p.what.contains(what));
    match (cap.end.how, cap.end.by) {
        (EndKind::Rst, Some(by)) if !shown("TCP RST") => {
            b.msg(
                layer(cap.end.phase),
                Some(cap.end.at_ms),
                lane(by),
                lane(by.other()),
                "TCP RST".to_owned(),
                Style::Reset,
            );
        }
        (EndKind::Fin, Some(by)) if !shown("TCP FIN") => {
            b.msg(
                layer(cap.end.phase),
                Some(cap.end.at_ms),
                lane(by),
                lane(by.other()),
                "TCP FIN".to_owned(),
                Style::Close,
            );
        }
        (EndKind::CaptureEnded, _) => b.push(
            layer(cap.end.phase),
            Row::Note {
                at_ms: None,
                lane: None,
                label: format!("the capture ends with the connection still open, in the {}", cap.end.phase.label()),
            },
        ),
        _ => {}
    }
}

/// What the arrows cannot show: data sent again, holes, duplicates, a cut timeline, a setup not captured.
fn notes(cap: &CaptureEvidence) -> Vec<String> {
    let mut out = Vec::new();
    if !cap.setup_seen {
        out.push("The connection's start is not in the capture: the ladder begins mid-stream.".to_owned());
    }
    for (who, s) in [("client", &cap.client_stats), ("server", &cap.server_stats)] {
        let mut parts = Vec::new();
        if s.retransmissions > 0 {
            parts.push(format!(
                "{} of {} data segment(s) sent again (at most {} times one segment)",
                s.retransmissions, s.data_segments, s.max_retries
            ));
        }
        if s.syns > 1 {
            parts.push(format!("{} SYNs", s.syns));
        }
        if s.gaps > 0 {
            parts.push(format!(
                "{} hole(s) never filled, {} byte(s) ({} acknowledged: missed by the capture)",
                s.gaps, s.gap_bytes, s.gap_bytes_acked
            ));
        }
        if s.duplicates > 0 {
            parts.push(format!("{} duplicate(s) captured twice", s.duplicates));
        }
        if s.zero_windows > 0 {
            parts.push(format!("{} zero-window advertisement(s)", s.zero_windows));
        }
        if !parts.is_empty() {
            out.push(format!("The {who}: {}.", parts.join(", ")));
        }
    }
    if cap.timeline_truncated {
        out.push("The timeline is cut at its bound; later messages are not drawn.".to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_follow_the_words() {
        assert_eq!(style_of("TCP SYN, MSS 1460 (sent again)"), Style::Retransmit);
        assert_eq!(style_of("TCP RST"), Style::Reset);
        assert_eq!(style_of("TCP FIN"), Style::Close);
        assert_eq!(style_of("TLS Alert: handshake_failure"), Style::Alert);
        assert_eq!(style_of("X.224 Connection Confirm, RDP_NEG_FAILURE SSL_REQUIRED_BY_SERVER"), Style::Alert);
        assert_eq!(style_of("TLS ClientHello"), Style::Normal);
    }
}
