//! X.224 / negotiation rules (MS-RDPBCGR 2.2.1.2 and 3.3.5.3.1).

use super::ms;
use crate::catalogue::*;
use crate::evidence::{Evidence, NegotiationResult, X224Evidence, X224Outcome};
use crate::finding::{Finding, FindingDef};
use rdp_doctor_proto::nego::{FailureCode, SecurityProtocol};

fn failure_def(code: FailureCode) -> &'static FindingDef {
    match code {
        FailureCode::SSL_REQUIRED_BY_SERVER => &NEGO_SSL_REQUIRED_BY_SERVER,
        FailureCode::SSL_NOT_ALLOWED_BY_SERVER => &NEGO_SSL_NOT_ALLOWED_BY_SERVER,
        FailureCode::SSL_CERT_NOT_ON_SERVER => &NEGO_SSL_CERT_NOT_ON_SERVER,
        FailureCode::INCONSISTENT_FLAGS => &NEGO_INCONSISTENT_FLAGS,
        FailureCode::HYBRID_REQUIRED_BY_SERVER => &NEGO_HYBRID_REQUIRED_BY_SERVER,
        FailureCode::SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER => &NEGO_SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER,
        _ => &NEGO_UNKNOWN,
    }
}

fn base_lines(x: &X224Evidence, legacy_client: bool) -> Vec<String> {
    if legacy_client {
        return vec!["the client's X.224 Connection Request carried no RDP_NEG_REQ (a pre-RDP 5.2 client)".to_owned()];
    }
    let mut v = vec![format!(
        "sent X.224 Connection Request with RDP_NEG_REQ requestedProtocols=0x{:08x} ({}){}",
        x.requested_protocols,
        x.requested_names.join(" | "),
        if x.cookie_sent { " and an mstshash cookie" } else { "" }
    )];
    if !x.response_hex.is_empty() {
        v.push(format!("received: {}", x.response_hex));
    }
    v
}

pub(super) fn check(ev: &Evidence, out: &mut Vec<Finding>) {
    let Some(x) = &ev.x224 else { return };
    // A capture can show a client that sent no RDP_NEG_REQ: a legacy confirm is then the expected answer.
    let legacy_client = ev.capture.as_ref().and_then(|c| c.request.as_ref()).is_some_and(|r| !r.rdp_neg_req);
    let mut lines = base_lines(x, legacy_client);
    let after = ms(x.duration_ms);
    match &x.outcome {
        X224Outcome::Confirm { negotiation, anomalies } => {
            if !anomalies.is_empty() {
                let mut l = lines.clone();
                l.extend(anomalies.iter().cloned());
                out.push(Finding::new(&X224_ANOMALY, "the Connection Confirm has unusual fields", l));
            }
            match negotiation {
                NegotiationResult::Selected { protocol, protocol_names, .. } => {
                    let requested = SecurityProtocol(x.requested_protocols);
                    let sel = SecurityProtocol(*protocol);
                    let unrequested =
                        if sel.0 == 0 { false } else { !requested.contains(sel) || sel.0.count_ones() != 1 };
                    if sel.0 == 0 && requested.0 != 0 {
                        lines.push("RDP_NEG_RSP selectedProtocol=0x00000000 (PROTOCOL_RDP)".to_owned());
                        out.push(Finding::new(
                            &NEGO_RDP_SECURITY_SELECTED,
                            "the server chose Standard RDP Security (no TLS) although TLS was offered",
                            lines,
                        ));
                    } else if unrequested {
                        lines.push(format!(
                            "RDP_NEG_RSP selectedProtocol=0x{protocol:08x} ({})",
                            protocol_names.join(" | ")
                        ));
                        out.push(Finding::new(
                            &NEGO_UNREQUESTED_PROTOCOL,
                            format!("the server selected {} which was not offered", protocol_names.join(" | ")),
                            lines,
                        ));
                    }
                }
                NegotiationResult::Failure { code, name } => {
                    lines.push(format!("RDP_NEG_FAILURE failureCode=0x{code:08x} ({name}) after {after}"));
                    let def = failure_def(FailureCode(*code));
                    out.push(Finding::new(def, format!("the server refused negotiation: {name}"), lines));
                }
                NegotiationResult::Legacy if legacy_client => {}
                NegotiationResult::Legacy => {
                    lines.push("Connection Confirm without RDP_NEG_RSP".to_owned());
                    out.push(Finding::new(
                        &X224_LEGACY_CONFIRM,
                        "the server ignored RDP_NEG_REQ and will use Standard RDP Security",
                        lines,
                    ));
                }
                NegotiationResult::Unknown { neg_type, value } => {
                    lines.push(format!("negotiation structure of type 0x{neg_type:02x} with value 0x{value:08x}"));
                    out.push(Finding::new(
                        &X224_MALFORMED,
                        "the Connection Confirm carries an unknown negotiation type",
                        lines,
                    ));
                }
            }
        }
        X224Outcome::Closed { received } => {
            lines.push(format!("the server closed the connection (FIN) after {after}, having sent {received} bytes"));
            out.push(Finding::new(&X224_CLOSED, "the server hung up on the RDP connection request", lines));
        }
        X224Outcome::Reset { received } => {
            lines.push(format!("the server reset the connection (RST) after {after}, having sent {received} bytes"));
            out.push(Finding::new(
                &X224_CLOSED,
                "the server reset the connection on the RDP connection request",
                lines,
            ));
        }
        X224Outcome::NoResponse { received } => {
            lines.push(format!(
                "no complete answer within the {} ms deadline ({received} bytes received)",
                x.timeout_ms
            ));
            out.push(Finding::new(
                &X224_NO_RESPONSE,
                "the server accepted TCP but did not answer the RDP connection request",
                lines,
            ));
        }
        X224Outcome::NotRdp { guess } => {
            lines.push(format!("the answer looks like {guess}"));
            out.push(Finding::new(
                &X224_NOT_RDP,
                format!("port {} is answered by {guess}, not RDP", ev.target.port),
                lines,
            ));
        }
        X224Outcome::Malformed { error } => {
            lines.push(error.clone());
            out.push(Finding::new(
                &X224_MALFORMED,
                format!("the server's answer is not a usable Connection Confirm: {error}"),
                lines,
            ));
        }
        X224Outcome::IoError { error } => {
            lines.push(format!("I/O error after {after}: {error}"));
            out.push(Finding::new(&X224_CLOSED, "the connection broke during the RDP connection request", lines));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::evidence::*;

    fn run(outcome: X224Outcome) -> Vec<crate::Finding> {
        let mut ev = base();
        ev.x224 = Some(X224Evidence {
            requested_protocols: 0x0b,
            requested_names: vec!["PROTOCOL_SSL".into(), "PROTOCOL_HYBRID".into(), "PROTOCOL_HYBRID_EX".into()],
            cookie_sent: false,
            request_hex: String::new(),
            response_hex: "03 00 00 13".into(),
            outcome,
            duration_ms: 2.0,
            timeout_ms: 3000,
        });
        crate::rules::evaluate(&ev)
    }

    fn failure(code: u32) -> X224Outcome {
        X224Outcome::Confirm {
            negotiation: NegotiationResult::Failure {
                code,
                name: rdp_doctor_proto::nego::FailureCode(code).display_name(),
            },
            anomalies: vec![],
        }
    }

    #[test]
    fn every_failure_code_has_its_finding() {
        for (code, id) in [
            (1, "nego.ssl_required_by_server"),
            (2, "nego.ssl_not_allowed_by_server"),
            (3, "nego.ssl_cert_not_on_server"),
            (4, "nego.inconsistent_flags"),
            (5, "nego.hybrid_required_by_server"),
            (6, "nego.ssl_with_user_auth_required_by_server"),
            (0x99, "nego.unknown"),
        ] {
            let f = run(failure(code));
            assert_eq!(ids(&f), vec![id]);
            assert!(f[0].evidence.iter().any(|e| e.contains("RDP_NEG_FAILURE")), "{:?}", f[0].evidence);
        }
    }

    #[test]
    fn selected_requested_protocol_is_clean() {
        let ok = X224Outcome::Confirm {
            negotiation: NegotiationResult::Selected {
                protocol: 2,
                protocol_names: vec!["PROTOCOL_HYBRID".into()],
                flags: 0,
                flag_names: vec![],
            },
            anomalies: vec![],
        };
        assert!(run(ok).is_empty());
        let odd = X224Outcome::Confirm {
            negotiation: NegotiationResult::Selected {
                protocol: 4,
                protocol_names: vec!["PROTOCOL_RDSTLS".into()],
                flags: 0,
                flag_names: vec![],
            },
            anomalies: vec![],
        };
        assert_eq!(ids(&run(odd)), vec!["nego.unrequested_protocol"]);
        let rdp = X224Outcome::Confirm {
            negotiation: NegotiationResult::Selected {
                protocol: 0,
                protocol_names: vec!["PROTOCOL_RDP".into()],
                flags: 0,
                flag_names: vec![],
            },
            anomalies: vec![],
        };
        assert_eq!(ids(&run(rdp)), vec!["nego.rdp_security_selected"]);
    }

    #[test]
    fn transport_outcomes() {
        assert_eq!(ids(&run(X224Outcome::Closed { received: 0 })), vec!["x224.closed"]);
        assert_eq!(ids(&run(X224Outcome::Reset { received: 0 })), vec!["x224.closed"]);
        assert_eq!(ids(&run(X224Outcome::NoResponse { received: 0 })), vec!["x224.no_response"]);
        assert_eq!(ids(&run(X224Outcome::NotRdp { guess: "an SSH server".into() })), vec!["x224.not_rdp"]);
        assert_eq!(ids(&run(X224Outcome::Malformed { error: "x".into() })), vec!["x224.malformed"]);
        let legacy = X224Outcome::Confirm { negotiation: NegotiationResult::Legacy, anomalies: vec![] };
        assert_eq!(ids(&run(legacy)), vec!["x224.legacy_confirm"]);
    }
}
