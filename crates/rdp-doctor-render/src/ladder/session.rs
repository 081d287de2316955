//! Ladders from recorded steps: the credentialed run (`session.steps`) and the RD Gateway (its probe's
//! requests and, with credentials, the tunnel's steps).

use rdp_doctor_core::Report;
use rdp_doctor_core::evidence::{GatewayEvidence, GatewayHttpOutcome, SessionEvidence, SessionOutcome, TlsOutcome};

use super::{Builder, Ladder, Lane, Mark, Row, Style};
use crate::fmt::ms;

/// What the client sent to start a step the driver records when the server's answer ends it.
fn request_of(step: &str) -> Option<&'static str> {
    Some(match step {
        "tcp" => "TCP SYN",
        "x224" => "X.224 Connection Request",
        "tls" => "TLS ClientHello",
        "credssp" => "CredSSP TSRequest (NTLM)",
        "mcs_connect" => "MCS Connect Initial",
        "channel_connection" => "MCS Erect Domain, Attach User, Channel Joins",
        "client_info" => "Client Info PDU",
        "capabilities" => "Confirm Active PDU",
        "finalization" => "Synchronize, Control, Font List",
        _ => return None,
    })
}

/// The credentialed run: one arrow per recorded step (the client's request where the step has one, the
/// server's answer at the step's end).
pub fn session(r: &Report, s: &SessionEvidence) -> Option<Ladder> {
    if s.steps.is_empty() {
        return None;
    }
    let mut b = Builder::default();
    let (c, sv) = (Lane::Client, Lane::Server);
    for st in &s.steps {
        let layer = match st.name.as_str() {
            "tcp" => "tcp",
            "x224" => "x224",
            "tls" => "tls",
            "credssp" | "early_user_authorization" => "credssp",
            _ => "session",
        };
        if let Some(req) = request_of(&st.name).filter(|_| st.duration_ms > 0.0) {
            b.msg(layer, Some((st.at_ms - st.duration_ms).max(0.0)), c, sv, req.to_owned(), Style::Normal);
        }
        let style = match st.name.as_str() {
            "set_error_info" | "ultimatum" | "x224_disconnect" => Style::Alert,
            "closed" => Style::Close,
            "reset" => Style::Reset,
            _ if st.detail.contains("errorCode") => Style::Alert,
            _ => Style::Normal,
        };
        b.msg(layer, Some(st.at_ms), sv, c, format!("{}: {}", st.name, st.detail), style);
    }
    match &s.outcome {
        SessionOutcome::TimedOut => b.push(
            "session",
            Row::NoAnswer {
                at_ms: None,
                from: c,
                to: sv,
                label: format!("no answer within {} ms ({})", s.timeout_ms, s.phase),
                mark: Mark::None,
            },
        ),
        SessionOutcome::Stopped { reason } => {
            b.push("session", Row::Note { at_ms: None, lane: Some(c), label: format!("rdp-doctor stopped: {reason}") })
        }
        _ => {}
    }
    b.highlight(r);
    Some(Ladder {
        title: format!("The credentialed run as {}", s.account),
        lanes: vec![(c, "rdp-doctor".to_owned()), (sv, crate::fmt::target(r))],
        rows: b.rows,
        time_note: "Times: since this connection started, as recorded by the run.".to_owned(),
        notes: vec!["Exactly one logon attempt; the password is never recorded.".to_owned()],
    })
}

/// The RD Gateway: TCP and TLS to it, one request per transport (each on its own connection, shown with
/// its own duration), then the tunnel's steps to the target when credentials were given.
pub fn gateway(r: &Report, g: &GatewayEvidence) -> Ladder {
    let mut b = Builder::default();
    let (c, gw, sv) = (Lane::Client, Lane::Gateway, Lane::Server);
    let mut t = 0.0;
    if let Some(tcp) = &g.tcp {
        for a in &tcp.attempts {
            b.msg("gateway", Some(t), c, gw, format!("TCP SYN to {}", a.addr), Style::Normal);
            t += a.duration_ms;
            if a.outcome == rdp_doctor_core::evidence::TcpOutcome::Connected {
                b.msg("gateway", Some(t), gw, c, "TCP SYN-ACK".to_owned(), Style::Normal);
            } else {
                b.push(
                    "gateway",
                    Row::NoAnswer {
                        at_ms: Some(t),
                        from: c,
                        to: gw,
                        label: format!("{:?}", a.outcome),
                        mark: Mark::None,
                    },
                );
            }
        }
    }
    if let Some(tls) = &g.tls {
        b.msg("gateway", Some(t), c, gw, "TLS ClientHello (ALPN http/1.1)".to_owned(), Style::Normal);
        t += tls.duration_ms;
        let (label, style) = match &tls.outcome {
            TlsOutcome::Established => (
                format!(
                    "TLS ServerHello {}, Certificate {}",
                    tls.version.as_deref().unwrap_or("?"),
                    tls.chain.first().map_or("(none)", |c| c.subject.as_str())
                ),
                Style::Normal,
            ),
            other => (super::live::tls_outcome_words(other), Style::Alert),
        };
        b.msg("gateway", Some(t), gw, c, label, style);
    }
    for p in &g.requests {
        b.msg("gateway", None, c, gw, p.request_line.clone(), Style::Normal);
        let took = format!(" ({})", ms(p.duration_ms));
        let (label, style) = match &p.outcome {
            GatewayHttpOutcome::Response(resp) => {
                let schemes = if resp.auth_schemes.is_empty() {
                    String::new()
                } else {
                    format!(", offers {}", resp.auth_schemes.join(", "))
                };
                let style = if resp.status >= 500 { Style::Alert } else { Style::Normal };
                (format!("{} {} {}{schemes}{took}", resp.version, resp.status, resp.reason), style)
            }
            GatewayHttpOutcome::Closed { received } => {
                (format!("TCP FIN after {received} byte(s){took}"), Style::Close)
            }
            GatewayHttpOutcome::Reset { received } => (format!("TCP RST after {received} byte(s){took}"), Style::Reset),
            GatewayHttpOutcome::TimedOut { received } => {
                (format!("no complete answer ({received} byte(s)){took}"), Style::Alert)
            }
            GatewayHttpOutcome::NotHttp { error, .. } => (format!("not HTTP: {error}"), Style::Alert),
            GatewayHttpOutcome::NotConnected { detail } => (detail.clone(), Style::Alert),
        };
        b.msg("gateway", None, gw, c, label, style);
    }
    if let Some(tunnel) = &g.tunnel {
        b.push(
            "gateway",
            Row::Note { at_ms: None, lane: None, label: format!("with credentials, as {}:", tunnel.account) },
        );
        for st in &tunnel.steps {
            let failing = st.hresult.is_some_and(|h| h != 0) || st.http_status.is_some_and(|s| s >= 400 && s != 401);
            let style = if failing { Style::Alert } else { Style::Normal };
            let at = Some(st.at_ms);
            if st.name.starts_with("X.224") {
                b.msg(
                    "gateway",
                    Some((st.at_ms - st.duration_ms).max(0.0)),
                    c,
                    sv,
                    "X.224 Connection Request (through the tunnel)".to_owned(),
                    Style::Normal,
                );
                b.msg("gateway", at, sv, c, st.detail.clone(), style);
            } else if let Some((req, answer)) = st.detail.split_once(" → ") {
                b.msg(
                    "gateway",
                    Some((st.at_ms - st.duration_ms).max(0.0)),
                    c,
                    gw,
                    format!("{}: {req}", st.name),
                    Style::Normal,
                );
                b.msg("gateway", at, gw, c, answer.to_owned(), style);
            } else if sent_by_client(&st.name) {
                b.msg("gateway", at, c, gw, format!("{}: {}", st.name, st.detail), style);
            } else {
                let hr = st.hresult.map(hresult_words).unwrap_or_default();
                b.msg("gateway", at, gw, c, format!("{}: {}{hr}", st.name, st.detail), style);
            }
            if st.name == "HTTP_CHANNEL_RESPONSE" && !failing {
                b.msg(
                    "gateway",
                    at,
                    gw,
                    sv,
                    format!("the gateway connects to {}:{}", tunnel.target, tunnel.target_port),
                    Style::Normal,
                );
            }
        }
    }
    b.highlight(r);
    let mut lanes = vec![(c, "rdp-doctor".to_owned()), (gw, format!("RD Gateway {}:{}", g.host, g.port))];
    if g.tunnel.is_some() {
        lanes.push((sv, crate::fmt::target(r)));
    }
    Ladder {
        title: "Through the RD Gateway".to_owned(),
        lanes,
        rows: b.rows,
        time_note: "Times: TCP and TLS in order from the first SYN; each request runs on its own connection and \
                    shows its own duration; the tunnel's steps are timed from its start."
            .to_owned(),
        notes: Vec::new(),
    }
}

/// Whether a tunnel step recorded by the gateway probe is the client's (its connections, the streaming
/// `RDG_IN_DATA` head, and the MS-TSGU packets it sends: HTTP_HANDSHAKE_REQUEST, HTTP_TUNNEL_PACKET,
/// HTTP_TUNNEL_AUTH_PACKET, HTTP_CHANNEL_PACKET, HTTP_CLOSE_CHANNEL; MS-TSGU 2.2.10). The gateway's answers
/// are recorded under the name of the response expected (`..._RESPONSE`) or as `OUT seed`.
fn sent_by_client(step: &str) -> bool {
    step.ends_with("_REQUEST")
        || step.ends_with("_PACKET")
        || step.ends_with("connect")
        || step == "IN stream"
        || step == "HTTP_CLOSE_CHANNEL"
}

/// `, HRESULT 0x800759DA E_PROXY_RAP_ACCESSDENIED` (the name when the code table knows the value).
fn hresult_words(hr: u32) -> String {
    match rdp_doctor_codes::gateway::FAMILY.code(hr).filter(|_| hr != 0) {
        Some(code) => format!(", HRESULT 0x{hr:08X} {}", code.name),
        None => format!(", HRESULT 0x{hr:08X}"),
    }
}

#[cfg(test)]
mod tests {
    use super::{hresult_words, sent_by_client};

    #[test]
    fn tunnel_steps_go_the_way_they_were_sent() {
        for client in ["OUT connect", "IN connect", "IN stream", "HTTP_HANDSHAKE_REQUEST", "HTTP_TUNNEL_PACKET"] {
            assert!(sent_by_client(client), "{client}");
        }
        for client in ["HTTP_TUNNEL_AUTH_PACKET", "HTTP_CHANNEL_PACKET", "HTTP_CLOSE_CHANNEL"] {
            assert!(sent_by_client(client), "{client}");
        }
        for gateway in ["HTTP_HANDSHAKE_RESPONSE", "HTTP_TUNNEL_RESPONSE", "HTTP_CHANNEL_RESPONSE", "OUT seed"] {
            assert!(!sent_by_client(gateway), "{gateway}");
        }
        assert_eq!(hresult_words(0x8007_59DA), ", HRESULT 0x800759DA E_PROXY_RAP_ACCESSDENIED");
        assert_eq!(hresult_words(0), ", HRESULT 0x00000000");
    }
}
