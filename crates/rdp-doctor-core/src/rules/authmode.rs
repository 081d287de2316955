//! Restricted Admin and Remote Credential Guard (MS-RDPBCGR 2.2.1.1.1 RDP_NEG_REQ flags
//! RESTRICTED_ADMIN_MODE_REQUIRED 0x01 / REDIRECTED_AUTHENTICATION_MODE_REQUIRED 0x02; 2.2.1.2.1 RDP_NEG_RSP
//! flags RESTRICTED_ADMIN_MODE_SUPPORTED 0x08 / REDIRECTED_AUTHENTICATION_MODE_SUPPORTED 0x10): what the
//! client required (a capture's Connection Request), what the server announced (both drivers), and the
//! refusals the modes' preconditions explain.

use crate::catalogue::*;
use crate::evidence::{Evidence, NegotiationResult, SessionOutcome, X224Outcome};
use crate::finding::Finding;

/// RDP_NEG_RSP flags.
const RA_SUPPORTED: u8 = 0x08;
const RCG_SUPPORTED: u8 = 0x10;

/// The modes: (name, request flag name, response flag).
const MODES: [(&str, &str, u8); 2] = [
    ("Restricted Admin", "RESTRICTED_ADMIN_MODE_REQUIRED", RA_SUPPORTED),
    ("Remote Credential Guard", "REDIRECTED_AUTHENTICATION_MODE_REQUIRED", RCG_SUPPORTED),
];

/// The RDP_NEG_REQ flag names the client sent (known in captures; rdp-doctor's own probe sends none).
fn requested(ev: &Evidence) -> Vec<String> {
    ev.capture.as_ref().and_then(|c| c.request.as_ref()).map(|r| r.flags.clone()).unwrap_or_default()
}

/// The server's RDP_NEG_RSP flags.
fn response_flags(ev: &Evidence) -> Option<u8> {
    match ev.x224.as_ref().map(|x| &x.outcome) {
        Some(X224Outcome::Confirm { negotiation: NegotiationResult::Selected { flags, .. }, .. }) => Some(*flags),
        _ => None,
    }
}

/// One detail line for the X.224 layer: each mode, requested (when known) and announced.
pub fn modes_line(ev: &Evidence, flags: u8) -> String {
    let req = requested(ev);
    MODES
        .iter()
        .map(|(name, req_flag, sup)| {
            let asked = if req.iter().any(|f| f == req_flag) { "required by the client, " } else { "" };
            let has = if flags & sup != 0 { "announced by the server" } else { "not announced by the server" };
            format!("{name}: {asked}{has}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn check(ev: &Evidence, out: &mut Vec<Finding>) {
    let req = requested(ev);
    let asked: Vec<&(&str, &str, u8)> = MODES.iter().filter(|(_, f, _)| req.iter().any(|r| r == f)).collect();
    let Some(&(name, flag, sup)) = asked.first().copied() else { return };
    let names: Vec<&str> = asked.iter().map(|(n, _, _)| *n).collect();
    let mut base =
        vec![format!("RDP_NEG_REQ flags: {} (the client requires {})", req.join(" | "), names.join(" and "))];
    let Some(flags) = response_flags(ev) else { return };
    base.push(format!("RDP_NEG_RSP flags 0x{flags:02x}: {}", modes_line(ev, flags)));
    if flags & sup == 0 {
        out.push(Finding::new(
            &AUTHMODE_UNSUPPORTED,
            format!("the client requires {name} ({flag}), and the server does not announce it"),
            base,
        ));
        return;
    }
    let mech = ev.credssp.as_ref().and_then(|c| c.mechanisms.as_ref());
    let ntlm = mech.is_some_and(|m| {
        m.authenticated.as_deref() == Some("NTLM")
            || (m.authenticated.is_none() && m.chosen.as_deref().or(m.proposed.as_deref()) == Some("NTLM"))
    });
    if name == "Remote Credential Guard" && ntlm {
        let mut e = base.clone();
        e.extend(mech.map(|m| m.tokens.clone()).unwrap_or_default());
        out.push(Finding::new(
            &AUTHMODE_NEEDS_KERBEROS,
            "the client asked for Remote Credential Guard, but CredSSP went on with NTLM",
            e,
        ));
        return;
    }
    if let Some(refusal) = refusal(ev) {
        let mut e = base;
        e.push(refusal.clone());
        out.push(Finding::new(
            &AUTHMODE_REFUSED,
            format!("the server refused the {} logon: {refusal}", names.join(" / ")),
            e,
        ));
        return;
    }
    let how = if name == "Remote Credential Guard" {
        "the user's credentials stay on the client, which answers the server's Kerberos requests"
    } else {
        "no credentials are sent; the session reaches the network as the server's computer account"
    };
    out.push(Finding::new(
        &AUTHMODE_IN_USE,
        format!("{} logon, announced by the server: {how}", names.join(" and ")),
        base,
    ));
}

/// The server's refusal of the logon, from the session evidence (a decrypted capture).
fn refusal(ev: &Evidence) -> Option<String> {
    let s = ev.session.as_ref()?;
    if matches!(s.outcome, SessionOutcome::FirstUpdate | SessionOutcome::LoggedOn) {
        return None;
    }
    if let Some(code) = s.credssp_error {
        return Some(format!("CredSSP errorCode 0x{code:08X}"));
    }
    if s.credssp_closed_after_credentials {
        return Some("the server closed the connection right after the client's authentication".to_owned());
    }
    if let Some(a) = s.early_user_auth.filter(|a| *a != 0) {
        return Some(format!("Early User Authorization Result 0x{a:08X}"));
    }
    if let Some(e) = s.error_infos.iter().find(|e| **e != 0 && !crate::rules::session::is_user_end(**e)) {
        return Some(format!("Set Error Info ERRINFO 0x{e:08X}"));
    }
    s.logon_errors
        .iter()
        .map(|&(t, d)| rdp_doctor_codes::logon::read_logon_error(t, d))
        .find(|r| r.class.is_failure())
        .map(|r| format!("Logon Errors Info {} ({})", r.type_name(), r.data_text()))
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::capture::{CaptureEvidence, ConnectionKind, RequestEvidence};
    use crate::evidence::*;

    fn ev(req_flags: &[&str], rsp_flags: u8) -> Evidence {
        let mut ev = base();
        ev.x224 = Some(X224Evidence {
            requested_protocols: 0x0b,
            requested_names: vec![],
            cookie_sent: false,
            request_hex: String::new(),
            response_hex: String::new(),
            outcome: X224Outcome::Confirm {
                negotiation: NegotiationResult::Selected {
                    protocol: 8,
                    protocol_names: vec!["PROTOCOL_HYBRID_EX".into()],
                    flags: rsp_flags,
                    flag_names: vec![],
                },
                anomalies: vec![],
            },
            duration_ms: 1.0,
            timeout_ms: 1000,
        });
        let mut cap = CaptureEvidence::empty(
            ConnectionKind::Rdp,
            "tcp",
            "10.0.0.5:50000".parse().unwrap_or_else(|_| unreachable!()),
            "10.0.0.9:3389".parse().unwrap_or_else(|_| unreachable!()),
            0.0,
        );
        cap.request = Some(RequestEvidence {
            rdp_neg_req: true,
            requested_protocols: 0x0b,
            requested_names: vec![],
            flags: req_flags.iter().map(|s| (*s).to_owned()).collect(),
            cookie: false,
            routing_token: false,
            correlation_id: false,
            anomalies: vec![],
        });
        ev.capture = Some(cap);
        ev
    }

    fn ids_of(ev: &Evidence) -> Vec<&'static str> {
        let mut out = Vec::new();
        super::check(ev, &mut out);
        out.iter().map(|f| f.id).collect()
    }

    #[test]
    fn requested_and_announced() {
        assert_eq!(ids_of(&ev(&["REDIRECTED_AUTHENTICATION_MODE_REQUIRED"], 0x1f)), ["authmode.in_use"]);
        assert_eq!(ids_of(&ev(&["RESTRICTED_ADMIN_MODE_REQUIRED"], 0x1f)), ["authmode.in_use"]);
        assert!(ids_of(&ev(&[], 0x1f)).is_empty());
        assert!(super::modes_line(&ev(&[], 0x1f), 0x1f).contains("Remote Credential Guard: announced by the server"));
    }

    #[test]
    fn not_announced_is_the_documented_refusal() {
        assert_eq!(ids_of(&ev(&["REDIRECTED_AUTHENTICATION_MODE_REQUIRED"], 0x0f)), ["authmode.unsupported"]);
        assert_eq!(ids_of(&ev(&["RESTRICTED_ADMIN_MODE_REQUIRED"], 0x13)), ["authmode.unsupported"]);
    }

    #[test]
    fn remote_guard_over_ntlm_and_refused_logons() {
        let mut e = ev(&["REDIRECTED_AUTHENTICATION_MODE_REQUIRED"], 0x1f);
        e.credssp = Some(CredsspEvidence {
            client_version: 6,
            outcome: CredsspOutcome::Challenge,
            server_version: Some(6),
            error_code: None,
            ntlm: None,
            sent_unix_ms: 0,
            received_unix_ms: 0,
            duration_ms: 0.0,
            response_hex: String::new(),
            mechanisms: Some(MechanismEvidence {
                proposed: Some("NTLM".into()),
                chosen: Some("NTLM".into()),
                ..MechanismEvidence::default()
            }),
        });
        assert_eq!(ids_of(&e), ["authmode.remote_guard_needs_kerberos"]);
        let mut e = ev(&["RESTRICTED_ADMIN_MODE_REQUIRED"], 0x1f);
        let mut s = session(8);
        s.early_user_auth = Some(5);
        e.session = Some(s);
        assert_eq!(ids_of(&e), ["authmode.refused"]);
    }
}
