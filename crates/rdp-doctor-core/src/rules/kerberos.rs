//! Kerberos rules (RFC 4120 7.5.9 error codes, MS-KILE): each failing KRB-ERROR becomes the finding the
//! code table links it to, with the message as evidence; and the "NTLM fallback refused" pattern, where
//! Kerberos was not possible (no TERMSRV/ principal for the name, or a connection by IP address) and the
//! server then refused NTLM.

use crate::catalogue::*;
use crate::evidence::{CredsspOutcome, Evidence, KrbObservation};
use crate::finding::{Finding, FindingDef};
use rdp_doctor_codes::Kind;

/// KRB-ERROR codes that are steps of a normal exchange, not failures: KDC_ERR_PREAUTH_REQUIRED (25),
/// KRB_ERR_RESPONSE_TOO_BIG (52, retry over TCP), KDC_ERR_MORE_PREAUTH_DATA_REQUIRED (91).
const NORMAL: [u32; 4] = [0, 25, 52, 91];

/// Server CredSSP errorCodes that refuse NTLM itself rather than the password: STATUS_ACCOUNT_RESTRICTION
/// (0xC000006E, what a Protected Users member gets for NTLM), STATUS_NOT_SUPPORTED (0xC00000BB) and
/// STATUS_NTLM_BLOCKED (0xC0000418, MS-ERREF 2.3.1: "NTLM was blocked").
const NTLM_REFUSALS: [u32; 3] = [0xC000_006E, 0xC000_00BB, 0xC000_0418];

fn code_name(code: u32) -> String {
    rdp_doctor_codes::family(Kind::Kerberos).code(code).map_or_else(|| format!("error {code}"), |c| c.name.to_owned())
}

fn status_name(v: u32) -> String {
    [Kind::Ntstatus, Kind::Sspi]
        .into_iter()
        .find_map(|k| rdp_doctor_codes::family(k).code(v))
        .map_or_else(|| format!("0x{v:08X}"), |c| format!("0x{v:08X} {}", c.name))
}

/// One evidence line for a message.
pub fn line(o: &KrbObservation) -> String {
    let mut s = format!("+{:.0} ms {} {} ({})", o.at_ms, o.from, o.message, o.via);
    if let Some(c) = o.error_code {
        s.push_str(&format!(": {c} (0x{c:X}) {}", code_name(c)));
    }
    match (&o.client, &o.realm) {
        (Some(c), Some(r)) => s.push_str(&format!(", client {c}@{r}")),
        (Some(c), None) => s.push_str(&format!(", client {c}")),
        (None, Some(r)) => s.push_str(&format!(", realm {r}")),
        _ => {}
    }
    if let Some(sv) = &o.service {
        s.push_str(&format!(", service {sv}"));
    }
    if let Some(t) = &o.e_text {
        s.push_str(&format!(", e-text \"{t}\""));
    }
    if let Some(n) = o.ntstatus {
        s.push_str(&format!(", Windows status {}", status_name(n)));
    }
    if let Some(t) = &o.peer_time {
        s.push_str(&format!(", {} clock {t}", if o.from == "KDC" { "KDC" } else { "peer" }));
    }
    s
}

fn is_termsrv(service: Option<&str>) -> bool {
    service.is_some_and(|s| s.len() > 8 && s.get(..8).is_some_and(|p| p.eq_ignore_ascii_case("TERMSRV/")))
}

/// The finding for a failing code.
fn def_for(o: &KrbObservation, code: u32) -> &'static FindingDef {
    // A missing krbtgt/ principal is a cross-realm (trust) problem, not a missing TERMSRV/ SPN.
    if code == 7 && !is_termsrv(o.service.as_deref()) {
        return &KERBEROS_ERROR;
    }
    rdp_doctor_codes::family(Kind::Kerberos)
        .code(code)
        .and_then(|c| c.findings.first())
        .and_then(|id| by_id(id))
        .unwrap_or(&KERBEROS_ERROR)
}

/// A later ticket for the same client and the same service (an AS-REP or TGS-REP naming both) shows the
/// failure was followed by a success.
fn later_success<'a>(msgs: &'a [KrbObservation], i: usize, o: &KrbObservation) -> Option<&'a KrbObservation> {
    msgs.iter().skip(i + 1).find(|m| {
        matches!(m.message.as_str(), "AS-REP" | "TGS-REP")
            && (o.client.is_none() || m.client == o.client)
            && m.service.is_some()
            && m.service.as_deref().map(str::to_ascii_lowercase) == o.service.as_deref().map(str::to_ascii_lowercase)
    })
}

pub(super) fn check(ev: &Evidence, out: &mut Vec<Finding>) {
    let msgs = ev.kerberos.as_ref().map(|k| k.messages.as_slice()).unwrap_or_default();
    // One finding per ID, its messages gathered.
    let mut found: Vec<(&'static FindingDef, String, Vec<String>)> = Vec::new();
    for (i, o) in msgs.iter().enumerate() {
        let Some(code) = o.error_code.filter(|c| !NORMAL.contains(c)) else { continue };
        let mut def = def_for(o, code);
        let who = o.client.clone().or_else(|| o.service.clone()).unwrap_or_else(|| "the client".to_owned());
        let mut summary = match o.ntstatus {
            Some(n) => format!("{} answered {} for {who} ({})", o.from, code_name(code), status_name(n)),
            None => format!("{} answered {} for {who}", o.from, code_name(code)),
        };
        let mut lines = vec![line(o)];
        // A missing TERMSRV/ SPN only matters when no ticket followed; a retyped password that worked is
        // no longer the problem.
        if let Some(ok) = later_success(msgs, i, o) {
            lines.push(format!("then: {}", line(ok)));
            if def.id != KERBEROS_SERVER_UNKNOWN.id {
                def = &KERBEROS_ERROR;
                summary = format!("{summary}; a later {} shows a retry succeeded", ok.message);
            }
        }
        match found.iter_mut().find(|(d, _, _)| d.id == def.id) {
            Some((_, _, l)) if l.len() < 8 => l.extend(lines),
            Some(_) => {}
            None => found.push((def, summary, lines)),
        }
    }
    for (def, summary, lines) in found {
        out.push(Finding::new(def, summary, lines));
    }
    ntlm_fallback_refused(ev, msgs, out);
}

/// Kerberos was impossible for this name and the server refused NTLM.
fn ntlm_fallback_refused(ev: &Evidence, msgs: &[KrbObservation], out: &mut Vec<Finding>) {
    let mut why: Vec<String> = msgs
        .iter()
        .filter(|o| o.error_code == Some(7) && is_termsrv(o.service.as_deref()))
        .take(2)
        .map(|o| format!("no Kerberos ticket: {}", line(o)))
        .collect();
    // Live: a name that is an IP address has no TERMSRV/ principal, so Windows clients use NTLM.
    if ev.capture.is_none() && ev.target.host.parse::<std::net::IpAddr>().is_ok() {
        why.push(format!(
            "the server was addressed by its IP address ({}): Windows clients cannot get a Kerberos ticket for an address and use NTLM",
            ev.target.host
        ));
    }
    if why.is_empty() {
        return;
    }
    let mut refusal = Vec::new();
    if let Some(code) = ev.session.as_ref().and_then(|s| s.credssp_error).filter(|c| NTLM_REFUSALS.contains(c)) {
        refusal.push(format!("the server answered the NTLM logon with TSRequest.errorCode {}", status_name(code)));
    }
    if let Some(c) = &ev.credssp
        && c.outcome == CredsspOutcome::OtherTsRequest
        && c.ntlm.is_none()
        && c.proposed_ntlm()
    {
        match c.error_code {
            Some(code) if NTLM_REFUSALS.contains(&code) => refusal.push(format!(
                "the server answered an NTLM NEGOTIATE with errorCode {} instead of a CHALLENGE",
                status_name(code)
            )),
            None => refusal
                .push("the server answered an NTLM NEGOTIATE without an NTLM CHALLENGE (NTLM not offered)".to_owned()),
            Some(_) => {}
        }
    }
    if refusal.is_empty() {
        return;
    }
    why.extend(refusal);
    out.push(Finding::new(
        &KERBEROS_NTLM_FALLBACK_REFUSED,
        "Kerberos could not be used for this name, and the server refused the NTLM fallback",
        why,
    ));
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::evidence::*;

    fn err(code: u32, client: Option<&str>, service: &str) -> KrbObservation {
        KrbObservation {
            at_ms: 12.0,
            via: "UDP 10.0.0.5:50000 → 10.0.0.1:88".into(),
            from: "KDC".into(),
            message: "KRB-ERROR".into(),
            realm: Some("CORP.EXAMPLE".into()),
            client: client.map(str::to_owned),
            service: Some(service.into()),
            error_code: Some(code),
            peer_time: Some("20261121120000Z".into()),
            ..KrbObservation::default()
        }
    }

    fn rep(kind: &str, client: &str) -> KrbObservation {
        KrbObservation {
            message: kind.into(),
            from: "KDC".into(),
            client: Some(client.into()),
            error_code: None,
            ..err(0, None, "krbtgt/CORP.EXAMPLE")
        }
    }

    fn run(msgs: Vec<KrbObservation>, f: impl FnOnce(&mut Evidence)) -> Vec<crate::Finding> {
        let mut ev = base();
        ev.kerberos = Some(KerberosEvidence { messages: msgs, truncated: false });
        f(&mut ev);
        crate::rules::evaluate(&ev)
    }

    #[test]
    fn codes_become_their_findings() {
        for (code, id) in [
            (24, "kerberos.preauth_failed"),
            (6, "kerberos.client_unknown"),
            (18, "kerberos.client_revoked"),
            (23, "kerberos.password_expired"),
            (37, "kerberos.clock_skew"),
            (12, "kerberos.policy"),
            (14, "kerberos.etype_unsupported"),
            (41, "kerberos.ticket_rejected"),
            (60, "kerberos.error"),
            (99, "kerberos.error"),
        ] {
            let f = run(vec![err(code, Some("alice"), "krbtgt/CORP.EXAMPLE")], |_| {});
            assert_eq!(ids(&f), vec![id], "code {code}");
            assert!(f[0].evidence[0].contains("client alice@CORP.EXAMPLE"), "{:?}", f[0].evidence);
        }
    }

    #[test]
    fn normal_steps_are_not_findings() {
        let f = run(vec![err(25, Some("alice"), "krbtgt/CORP.EXAMPLE"), rep("AS-REP", "alice")], |_| {});
        assert!(ids(&f).is_empty(), "{:?}", ids(&f));
    }

    #[test]
    fn windows_status_and_retries() {
        let mut e = err(18, Some("bob"), "krbtgt/CORP.EXAMPLE");
        e.ntstatus = Some(0xC000_0072);
        let f = run(vec![e], |_| {});
        assert!(f[0].summary.contains("STATUS_ACCOUNT_DISABLED"), "{}", f[0].summary);
        // A wrong password retyped correctly: reported, but not as the failure.
        let f = run(vec![err(24, Some("alice"), "krbtgt/CORP.EXAMPLE"), rep("AS-REP", "alice")], |_| {});
        assert_eq!(ids(&f), vec!["kerberos.error"]);
        assert!(f[0].summary.contains("retry succeeded"), "{}", f[0].summary);
    }

    #[test]
    fn missing_spn_then_ntlm_refused_is_the_fallback_pattern() {
        let spn = || err(7, None, "TERMSRV/10.0.0.9");
        let f = run(vec![spn()], |_| {});
        assert_eq!(ids(&f), vec!["kerberos.server_unknown"]);
        // krbtgt/ of another realm is a trust problem, not a missing SPN.
        assert_eq!(ids(&run(vec![err(7, None, "krbtgt/OTHER.EXAMPLE")], |_| {})), vec!["kerberos.error"]);
        let f = run(vec![spn()], |ev| {
            ev.capture = None;
            ev.credssp = Some(CredsspEvidence {
                client_version: 6,
                outcome: CredsspOutcome::OtherTsRequest,
                server_version: Some(6),
                error_code: Some(0xC000_006E),
                ntlm: None,
                sent_unix_ms: 0,
                received_unix_ms: 0,
                duration_ms: 1.0,
                response_hex: String::new(),
                mechanisms: None,
            });
        });
        let got = ids(&f);
        assert!(got.contains(&"kerberos.ntlm_fallback_refused"), "{got:?}");
        let fb = f.iter().find(|x| x.id == "kerberos.ntlm_fallback_refused").map(|x| x.evidence.join(" | "));
        assert!(fb.as_deref().is_some_and(|e| e.contains("STATUS_ACCOUNT_RESTRICTION")), "{fb:?}");
    }

    #[test]
    fn live_by_ip_address_with_ntlm_refused() {
        let mut ev = base();
        let mut s = session(2);
        s.credssp_error = Some(0xC000_006E);
        ev.session = Some(s);
        let got = ids(&crate::rules::evaluate(&ev));
        assert!(got.contains(&"kerberos.ntlm_fallback_refused"), "{got:?}");
        assert!(got.contains(&"credssp.account_restriction"), "{got:?}");
        // By name, the same refusal is not this pattern.
        ev.target.host = "rds1.corp.example".into();
        assert!(!ids(&crate::rules::evaluate(&ev)).contains(&"kerberos.ntlm_fallback_refused"));
    }
}
