//! Security-layer matrix rules: what the server accepts when each protocol is offered alone.

use crate::catalogue::{NLA_NOT_OFFERED, NLA_REQUIRED, SEC_RDP_SECURITY_ALLOWED, TLS_NOT_OFFERED};
use crate::evidence::{Evidence, NegotiationResult, ProbeOutcome, ProtocolProbe, X224Outcome};
use crate::finding::Finding;

/// One line per probe: "PROTOCOL_SSL alone: accepted" / "refused with HYBRID_REQUIRED_BY_SERVER".
pub fn probe_line(p: &ProtocolProbe) -> String {
    let what = match &p.outcome {
        ProbeOutcome::Connect { detail } => format!("no connection ({detail})"),
        ProbeOutcome::Exchange { outcome } => match outcome {
            X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol_names, .. }, .. } => {
                if p.accepted {
                    "accepted".to_owned()
                } else {
                    format!("not accepted: the server selected {}", protocol_names.join(" | "))
                }
            }
            X224Outcome::Confirm { negotiation: NegotiationResult::Failure { name, .. }, .. } => {
                format!("refused with {name}")
            }
            X224Outcome::Confirm { negotiation: NegotiationResult::Legacy, .. } => {
                if p.accepted {
                    "accepted (legacy confirm)".to_owned()
                } else {
                    "legacy confirm".to_owned()
                }
            }
            X224Outcome::Confirm { negotiation: NegotiationResult::Unknown { neg_type, .. }, .. } => {
                format!("unknown negotiation type 0x{neg_type:02x}")
            }
            X224Outcome::Closed { .. } => "connection closed".to_owned(),
            X224Outcome::Reset { .. } => "connection reset".to_owned(),
            X224Outcome::NoResponse { .. } => "no answer".to_owned(),
            X224Outcome::NotRdp { guess } => format!("not RDP ({guess})"),
            X224Outcome::Malformed { error } => format!("malformed answer ({error})"),
            X224Outcome::IoError { error } => format!("I/O error ({error})"),
        },
    };
    match p.from_main_offer {
        Some(offer) => format!(
            "{}: {what} on the main connection, selected from {}",
            p.name,
            rdp_doctor_codes::nego::SecurityProtocol(offer).names().join(" | ")
        ),
        None => format!("{} alone: {what}", p.name),
    }
}

pub(super) fn check(ev: &Evidence, out: &mut Vec<Finding>) {
    let Some(matrix) = &ev.security_matrix else { return };
    let accepted = |p: u32| matrix.iter().any(|m| m.protocol == p && m.accepted);
    let answered =
        matrix.iter().any(|m| matches!(&m.outcome, ProbeOutcome::Exchange { outcome: X224Outcome::Confirm { .. } }));
    if !answered {
        return; // The server never negotiated: the X.224 rules already say why.
    }
    let lines: Vec<String> = matrix.iter().map(probe_line).collect();
    let (rdp, ssl, hybrid, hybrid_ex) = (accepted(0), accepted(1), accepted(2), accepted(8));
    let nla = hybrid || hybrid_ex;
    if nla && !ssl && !rdp {
        out.push(Finding::new(&NLA_REQUIRED, "the server accepts only CredSSP (NLA)", lines.clone()));
    }
    if !nla && (ssl || rdp) {
        out.push(Finding::new(&NLA_NOT_OFFERED, "neither HYBRID nor HYBRID_EX is accepted", lines.clone()));
    }
    if rdp {
        out.push(Finding::new(
            &SEC_RDP_SECURITY_ALLOWED,
            "the server accepts Standard RDP Security (PROTOCOL_RDP)",
            lines.clone(),
        ));
    }
    if rdp && !ssl && !nla {
        out.push(Finding::new(&TLS_NOT_OFFERED, "only Standard RDP Security is accepted", lines));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::evidence::*;

    fn probe(protocol: u32, outcome: X224Outcome) -> ProtocolProbe {
        let accepted = matches!(&outcome, X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol: p, .. }, .. } if *p == protocol);
        ProtocolProbe {
            protocol,
            name: format!("P{protocol}"),
            accepted,
            outcome: ProbeOutcome::Exchange { outcome },
            duration_ms: 1.0,
            from_main_offer: None,
        }
    }

    fn sel(p: u32) -> X224Outcome {
        X224Outcome::Confirm {
            negotiation: NegotiationResult::Selected {
                protocol: p,
                protocol_names: vec![format!("P{p}")],
                flags: 0,
                flag_names: vec![],
            },
            anomalies: vec![],
        }
    }

    fn fail(code: u32) -> X224Outcome {
        X224Outcome::Confirm {
            negotiation: NegotiationResult::Failure { code, name: format!("F{code}") },
            anomalies: vec![],
        }
    }

    fn run(rows: Vec<ProtocolProbe>) -> Vec<&'static str> {
        let mut ev = base();
        ev.security_matrix = Some(rows);
        ids(&crate::rules::evaluate(&ev))
    }

    #[test]
    fn nla_only_server() {
        let f = run(vec![probe(0, fail(5)), probe(1, fail(5)), probe(2, sel(2)), probe(8, sel(8)), probe(4, fail(5))]);
        assert_eq!(f, vec!["nla.required"]);
    }

    #[test]
    fn legacy_only_server() {
        let f = run(vec![probe(0, sel(0)), probe(1, fail(2)), probe(2, fail(2)), probe(8, fail(2))]);
        assert_eq!(f, vec!["nla.not_offered", "sec.rdp_security_allowed", "tls.not_offered"]);
    }

    #[test]
    fn negotiate_server_accepting_everything() {
        let f = run(vec![probe(0, sel(0)), probe(1, sel(1)), probe(2, sel(2)), probe(8, sel(2))]);
        assert_eq!(f, vec!["sec.rdp_security_allowed"], "HYBRID_EX answered with HYBRID does not count, HYBRID does");
    }

    #[test]
    fn selection_of_another_protocol_is_not_acceptance() {
        // A server that answers every single-protocol request by selecting SSL: only SSL is accepted.
        let f = run(vec![probe(0, sel(1)), probe(1, sel(1)), probe(2, sel(1)), probe(8, sel(1))]);
        assert_eq!(f, vec!["nla.not_offered"]);
    }
}
