//! Ladders of a live check: the main connection (TCP, X.224, TLS, CredSSP, or Standard RDP Security's MCS
//! exchange), the credentialed run and the RD Gateway.

use rdp_doctor_core::Report;
use rdp_doctor_core::evidence::{
    CredsspOutcome, Evidence, NegotiationResult, RdpSecurityOutcome, TcpOutcome, TlsOutcome, X224Outcome,
};

use super::{Builder, Ladder, Lane, Row, Style};
use crate::fmt::ms;

/// Every ladder of a live check: the main connection, then the credentialed run or the gateway.
pub fn live(r: &Report) -> Vec<Ladder> {
    let mut out = Vec::new();
    if r.evidence.capture.is_some() {
        return out;
    }
    if let Some(g) = &r.evidence.gateway {
        out.push(super::session::gateway(r, g));
        return out;
    }
    if let Some(l) = main_connection(r) {
        out.push(l);
    }
    if let Some(l) = r.evidence.session.as_ref().and_then(|s| super::session::session(r, s)) {
        out.push(l);
    }
    out
}

/// `[v6]:port` or `v4:port` of the server as connected.
fn server_label(ev: &Evidence) -> String {
    match ev.tcp.as_ref().and_then(|t| t.connected()) {
        Some(a) if a.addr.to_string() != format!("{}:{}", ev.target.host, ev.target.port) => {
            format!("{} ({})", ev.target.host, a.addr)
        }
        Some(a) => a.addr.to_string(),
        None => format!("{}:{}", ev.target.host, ev.target.port),
    }
}

/// The main connection: each step placed after the one before it, at its measured duration.
fn main_connection(r: &Report) -> Option<Ladder> {
    let ev = &r.evidence;
    let tcp = ev.tcp.as_ref()?;
    let mut b = Builder::default();
    let (c, s) = (Lane::Client, Lane::Server);
    let mut t = 0.0;
    for a in &tcp.attempts {
        let syn = if tcp.attempts.len() > 1 { format!("TCP SYN to {}", a.addr) } else { "TCP SYN".to_owned() };
        b.msg("tcp", Some(t), c, s, syn, Style::Normal);
        let end = t + a.duration_ms;
        match a.outcome {
            TcpOutcome::Connected => b.msg("tcp", Some(end), s, c, "TCP SYN-ACK".to_owned(), Style::Normal),
            TcpOutcome::Refused => {
                b.msg("tcp", Some(end), s, c, "TCP RST: connection refused".to_owned(), Style::Reset)
            }
            TcpOutcome::TimedOut => b.push(
                "tcp",
                Row::NoAnswer {
                    at_ms: Some(end),
                    from: c,
                    to: s,
                    label: format!("no answer within {}", ms(a.duration_ms)),
                    mark: super::Mark::None,
                },
            ),
            TcpOutcome::Unreachable | TcpOutcome::Error => b.push(
                "tcp",
                Row::Note {
                    at_ms: Some(end),
                    lane: Some(c),
                    label: a.detail.clone().unwrap_or_else(|| "unreachable".to_owned()),
                },
            ),
        }
        t = end;
    }
    if let Some(x) = &ev.x224 {
        let names = x.requested_names.join(" | ");
        let req = if names.is_empty() {
            "X.224 Connection Request".to_owned()
        } else {
            format!("X.224 Connection Request: {names}")
        };
        b.msg("x224", Some(t), c, s, req, Style::Normal);
        t += x.duration_ms;
        x224_answer(&mut b, &x.outcome, t, x.timeout_ms);
    }
    if let Some(m) = &ev.rdp_security {
        b.msg("x224", Some(t), c, s, "MCS Connect Initial (Standard RDP Security)".to_owned(), Style::Normal);
        t += m.duration_ms;
        let label = match &m.outcome {
            RdpSecurityOutcome::Response { method_names, level_name, .. } => {
                format!("MCS Connect Response: {}, {level_name}", method_names.join(" | "))
            }
            RdpSecurityOutcome::Failed { error } => format!("MCS Connect Response unreadable: {error}"),
            RdpSecurityOutcome::Closed => "TCP FIN: closed".to_owned(),
            RdpSecurityOutcome::TimedOut => "no MCS Connect Response".to_owned(),
        };
        let style = if matches!(m.outcome, RdpSecurityOutcome::Closed) { Style::Close } else { Style::Normal };
        b.msg("x224", Some(t), s, c, label, style);
    }
    if let Some(tls) = &ev.tls {
        if let Some(modern) = &tls.modern_attempt {
            b.push(
                "tls",
                Row::Note {
                    at_ms: None,
                    lane: None,
                    label: format!(
                        "rustls (TLS 1.2/1.3) on an earlier connection: {}; the handshake below is OpenSSL's legacy retry on a new one",
                        tls_outcome_words(modern)
                    ),
                },
            );
        }
        let sni = if tls.server_name.is_empty() { String::new() } else { format!(" (SNI {})", tls.server_name) };
        b.msg("tls", Some(t), c, s, format!("TLS ClientHello{sni}"), Style::Normal);
        t += tls.duration_ms;
        match &tls.outcome {
            TlsOutcome::Established => {
                let v = [tls.version.as_deref(), tls.cipher_suite.as_deref()].into_iter().flatten().collect::<Vec<_>>();
                b.msg("tls", Some(t), s, c, format!("TLS ServerHello: {}", v.join(", ")), Style::Normal);
                if let Some(leaf) = tls.chain.first() {
                    let state = if ev.observed_at_unix > leaf.not_after_unix {
                        ", expired".to_owned()
                    } else if ev.observed_at_unix < leaf.not_before_unix {
                        ", not yet valid".to_owned()
                    } else {
                        String::new()
                    };
                    let who = if leaf.parse_error.is_some() { "unparsable".to_owned() } else { leaf.subject.clone() };
                    b.msg(
                        "tls",
                        None,
                        s,
                        c,
                        format!("TLS Certificate: {who} ({} in chain{state})", tls.chain.len()),
                        Style::Normal,
                    );
                }
                b.msg("tls", None, c, s, "TLS Finished: handshake complete".to_owned(), Style::Normal);
            }
            other => tls_failure(&mut b, other, t, tls.timeout_ms),
        }
    }
    if let Some(cr) = &ev.credssp {
        b.msg(
            "credssp",
            Some(t),
            c,
            s,
            format!("CredSSP TSRequest v{}: NTLM NEGOTIATE", cr.client_version),
            Style::Normal,
        );
        t += cr.duration_ms;
        let v = cr.server_version.map(|v| format!(" v{v}")).unwrap_or_default();
        match &cr.outcome {
            CredsspOutcome::Challenge => {
                let who = cr
                    .ntlm
                    .as_ref()
                    .and_then(|n| {
                        [&n.nb_computer_name, &n.dns_computer_name]
                            .into_iter()
                            .flatten()
                            .find(|s| !s.is_empty())
                            .cloned()
                    })
                    .map(|n| format!(" from {n}"))
                    .unwrap_or_default();
                b.msg("credssp", Some(t), s, c, format!("CredSSP TSRequest{v}: NTLM CHALLENGE{who}"), Style::Normal);
            }
            CredsspOutcome::OtherTsRequest => {
                let code = cr.error_code.map(|e| format!(", errorCode 0x{e:08X}")).unwrap_or_default();
                b.msg(
                    "credssp",
                    Some(t),
                    s,
                    c,
                    format!("CredSSP TSRequest{v} without an NTLM CHALLENGE{code}"),
                    Style::Alert,
                );
            }
            CredsspOutcome::NotCredssp { error } => {
                b.msg("credssp", Some(t), s, c, format!("not a TSRequest: {error}"), Style::Alert);
            }
            CredsspOutcome::Closed => b.msg("credssp", Some(t), s, c, "TCP FIN: closed".to_owned(), Style::Close),
            CredsspOutcome::Reset => b.msg("credssp", Some(t), s, c, "TCP RST".to_owned(), Style::Reset),
            CredsspOutcome::TimedOut => b.push(
                "credssp",
                Row::NoAnswer {
                    at_ms: Some(t),
                    from: c,
                    to: s,
                    label: "no answer".to_owned(),
                    mark: super::Mark::None,
                },
            ),
            CredsspOutcome::Failed { error } => {
                b.push("credssp", Row::Note { at_ms: Some(t), lane: Some(c), label: format!("failed: {error}") });
            }
        }
        if ev.session.is_none() {
            b.push(
                "credssp",
                Row::Note {
                    at_ms: None,
                    lane: None,
                    label: "rdp-doctor stops here: no credentials are sent without --user".to_owned(),
                },
            );
        }
    }
    b.highlight(r);
    Some(Ladder {
        title: "The check's connection".to_owned(),
        lanes: vec![(Lane::Client, "rdp-doctor".to_owned()), (Lane::Server, server_label(ev))],
        rows: b.rows,
        time_note: "Times: each step's measured duration, placed after the step before it on this connection."
            .to_owned(),
        notes: Vec::new(),
    })
}

fn x224_answer(b: &mut Builder, o: &X224Outcome, t: f64, timeout_ms: u64) {
    let (c, s) = (Lane::Client, Lane::Server);
    let at = Some(t);
    match o {
        X224Outcome::Confirm { negotiation, .. } => {
            let (label, style) = match negotiation {
                NegotiationResult::Selected { protocol_names, .. } => {
                    (format!("X.224 Connection Confirm: selected {}", protocol_names.join(" | ")), Style::Normal)
                }
                NegotiationResult::Failure { name, code } => {
                    (format!("X.224 Connection Confirm: RDP_NEG_FAILURE {name} (0x{code:08x})"), Style::Alert)
                }
                NegotiationResult::Legacy => {
                    ("X.224 Connection Confirm without negotiation (Standard RDP Security)".to_owned(), Style::Normal)
                }
                NegotiationResult::Unknown { neg_type, .. } => {
                    (format!("X.224 Connection Confirm, negotiation type 0x{neg_type:02x}"), Style::Alert)
                }
            };
            b.msg("x224", at, s, c, label, style);
        }
        X224Outcome::Closed { received } => {
            b.msg("x224", at, s, c, format!("TCP FIN after {received} byte(s)"), Style::Close);
        }
        X224Outcome::Reset { received } => {
            b.msg("x224", at, s, c, format!("TCP RST after {received} byte(s)"), Style::Reset);
        }
        X224Outcome::NoResponse { .. } => b.push(
            "x224",
            Row::NoAnswer {
                at_ms: at,
                from: c,
                to: s,
                label: format!("no answer within {timeout_ms} ms"),
                mark: super::Mark::None,
            },
        ),
        X224Outcome::NotRdp { guess } => b.msg("x224", at, s, c, format!("not RDP: {guess}"), Style::Alert),
        X224Outcome::Malformed { error } => b.msg("x224", at, s, c, format!("malformed answer: {error}"), Style::Alert),
        X224Outcome::IoError { error } => b.push("x224", Row::Note { at_ms: at, lane: Some(c), label: error.clone() }),
    }
}

pub(super) fn tls_outcome_words(o: &TlsOutcome) -> String {
    match o {
        TlsOutcome::Established => "established".to_owned(),
        TlsOutcome::AlertReceived { name, .. } => format!("TLS alert {name}"),
        TlsOutcome::Closed => "closed".to_owned(),
        TlsOutcome::Reset => "reset".to_owned(),
        TlsOutcome::TimedOut => "timed out".to_owned(),
        TlsOutcome::Failed { error } => format!("failed: {error}"),
    }
}

fn tls_failure(b: &mut Builder, o: &TlsOutcome, t: f64, timeout_ms: u64) {
    let (c, s) = (Lane::Client, Lane::Server);
    let at = Some(t);
    match o {
        TlsOutcome::Established => {}
        TlsOutcome::AlertReceived { name, description } => {
            b.msg("tls", at, s, c, format!("TLS alert: {name} ({description})"), Style::Alert);
        }
        TlsOutcome::Closed => b.msg("tls", at, s, c, "TCP FIN during the handshake".to_owned(), Style::Close),
        TlsOutcome::Reset => b.msg("tls", at, s, c, "TCP RST during the handshake".to_owned(), Style::Reset),
        TlsOutcome::TimedOut => b.push(
            "tls",
            Row::NoAnswer {
                at_ms: at,
                from: c,
                to: s,
                label: format!("handshake not finished within {timeout_ms} ms"),
                mark: super::Mark::None,
            },
        ),
        TlsOutcome::Failed { error } => {
            b.push("tls", Row::Note { at_ms: at, lane: Some(c), label: format!("handshake failed: {error}") });
        }
    }
}
