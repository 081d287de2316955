//! The credentialed tunnel through the RD Gateway (`check HOST --gateway GW --user USER`): NTLM over the two
//! HTTP channels (MS-TSGU 3.3.5.1), then HANDSHAKE, TUNNEL_CREATE, TUNNEL_AUTH and CHANNEL_CREATE (MS-TSGU
//! 3.7.5), then the X.224 exchange with the target through the channel. One finding says how far it got:
//! the tunnel works (`gateway.tunnel_ok`), the credentials were refused (`gateway.access_denied`, the
//! finding captures give a final 401), the gateway's HRESULT (the finding its code links to in
//! `rdp-doctor-codes`, else `gateway.tunnel_refused`), or a protocol failure (`gateway.tunnel_failed`).

use crate::catalogue::*;
use crate::evidence::{GatewayEvidence, GatewayTunnelEvidence, GatewayTunnelOutcome as O, X224Outcome};
use crate::finding::{Finding, FindingDef};

/// The finding an MS-TSGU result leads to (full HRESULT or its low 16 bits): the one its code links to
/// (`gateway.rap_denied`, `gateway.cap_denied`, `gateway.target_unreachable`, …), else
/// `gateway.tunnel_refused`. Shared by the live tunnel and decrypted captures.
pub(crate) fn finding_for_hresult(value: u32) -> &'static FindingDef {
    rdp_doctor_codes::family(rdp_doctor_codes::Kind::Gateway)
        .lookup(value)
        .and_then(|m| m.code())
        .and_then(|c| c.findings.iter().find_map(|id| by_id(id).filter(|d| d.layer == "gateway")))
        .unwrap_or(&GATEWAY_TUNNEL_REFUSED)
}

/// The code's name, or its value in hex.
fn hresult_name(value: u32) -> String {
    if value == 0 {
        return "S_OK".to_owned();
    }
    rdp_doctor_codes::family(rdp_doctor_codes::Kind::Gateway)
        .lookup(value)
        .and_then(|m| m.code())
        .map_or_else(|| format!("0x{value:08X}"), |c| c.name.to_owned())
}

/// Every step as an evidence line, then the packets' bytes.
fn steps(t: &GatewayTunnelEvidence) -> Vec<String> {
    let mut e = vec![format!("account {} (NTLM over HTTP), target {}:{}", t.account, t.target, t.target_port)];
    for s in &t.steps {
        let mut line = format!("+{:.0} ms {} ({:.0} ms)", s.at_ms, s.name, s.duration_ms);
        if let Some(st) = s.http_status {
            line.push_str(&format!(" HTTP {st}"));
        }
        if let Some(hr) = s.hresult {
            line.push_str(&format!(" result {} (0x{hr:08X})", hresult_name(hr)));
        }
        if !s.detail.is_empty() {
            line.push_str(&format!(": {}", s.detail));
        }
        e.push(line);
        if let Some(h) = &s.hex {
            e.push(format!("  bytes {h}"));
        }
    }
    e.extend(t.messages.iter().map(|m| format!("gateway message: {m}")));
    e
}

/// An X.224 answer in words.
fn negotiation_words(n: &crate::evidence::NegotiationResult) -> String {
    use crate::evidence::NegotiationResult as N;
    match n {
        N::Selected { protocol_names, .. } => format!("selected {}", protocol_names.join(" | ")),
        N::Failure { code, name } => format!("RDP_NEG_FAILURE {name} ({code})"),
        N::Legacy => "a Connection Confirm without negotiation (Standard RDP Security)".to_owned(),
        N::Unknown { neg_type, value } => format!("negotiation type {neg_type} value 0x{value:X}"),
    }
}

pub(super) fn check(g: &GatewayEvidence, out: &mut Vec<Finding>) {
    let Some(t) = &g.tunnel else { return };
    let target = format!("{}:{}", t.target, t.target_port);
    let mut ev = steps(t);
    match &t.outcome {
        O::ChannelCreated => {
            let channel = t.channel_id.map_or_else(|| "no channel ID".to_owned(), |c| format!("channel ID {c}"));
            let (x224, answered) = match t.x224.as_ref().map(|x| (&x.outcome, x)) {
                Some((X224Outcome::Confirm { negotiation, .. }, x)) => {
                    ev.push(format!(
                        "X.224 through the tunnel: request {} → answer {} ({:.0} ms)",
                        x.request_hex, x.response_hex, x.duration_ms
                    ));
                    (
                        format!("; {target} answered the X.224 request through it: {}", negotiation_words(negotiation)),
                        true,
                    )
                }
                Some((o, x)) => {
                    ev.push(format!("X.224 through the tunnel: {o:?} after {:.0} ms", x.duration_ms));
                    (format!("; {target} did not answer the X.224 request through it ({o:?})"), false)
                }
                None => (String::new(), true),
            };
            let summary = format!(
                "the gateway opened the tunnel to {target} for {} in {:.0} ms ({channel}){x224}",
                t.account, t.duration_ms
            );
            let def = if answered { &GATEWAY_TUNNEL_OK } else { &GATEWAY_TUNNEL_NO_RDP };
            out.push(Finding::new(def, summary, ev));
        }
        O::CredentialsRejected { channel } => out.push(Finding::new(
            &GATEWAY_ACCESS_DENIED,
            format!(
                "the gateway answered 401 again after the NTLM AUTHENTICATE on the {channel} channel: it refused the \
                 credentials of {}",
                t.account
            ),
            ev,
        )),
        O::Refused { step, hresult } => {
            let def = finding_for_hresult(*hresult);
            ev.push(format!(
                "{step} result {}",
                crate::rules::capture::code_line(rdp_doctor_codes::Kind::Gateway, *hresult)
            ));
            out.push(Finding::new(
                def,
                format!("the gateway answered {step} with {} (0x{hresult:08X})", hresult_name(*hresult)),
                ev,
            ));
        }
        O::NoNtlmChallenge { channel, status, schemes } => out.push(Finding::new(
            &GATEWAY_TUNNEL_FAILED,
            format!(
                "the gateway answered the NTLM NEGOTIATE on the {channel} channel with {status} and no NTLM challenge \
                 (schemes: {})",
                if schemes.is_empty() { "none".to_owned() } else { schemes.join(", ") }
            ),
            ev,
        )),
        O::HttpStatus { channel, status, reason } => out.push(Finding::new(
            &GATEWAY_TUNNEL_FAILED,
            format!("the authenticated {channel} channel was answered {status} {reason} instead of 200"),
            ev,
        )),
        O::Ended { step, how } => out.push(Finding::new(
            &GATEWAY_TUNNEL_FAILED,
            format!("the tunnel setup stopped at {step}: the connection was {how}"),
            ev,
        )),
        O::Malformed { step, error } => {
            out.push(Finding::new(&GATEWAY_TUNNEL_FAILED, format!("the tunnel setup stopped at {step}: {error}"), ev))
        }
        // Our own failures and a run that did not start are limitations, not findings about the gateway.
        O::Local { .. } | O::NotRun { .. } => {}
    }
}

#[cfg(test)]
#[path = "gateway_tunnel_tests.rs"]
mod tests;
