//! The credentialed run: the server's own verdict, in order of precedence — a CredSSP status, the Early
//! User Authorization Result, a Set Error Info code, a licensing error, logon errors, an ultimatum or a
//! bare close — or the session starting. Also what the Windows client and FreeRDP would have shown.

use serde::Serialize;

use crate::catalogue::*;
use crate::evidence::{Evidence, SessionEvidence, SessionOutcome};
use crate::finding::{Finding, FindingDef};
use crate::session_codes as codes;
use rdp_doctor_codes::logon::{LogonData, LogonErrorReading, read_logon_error};

/// What other clients would have reported for this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientView {
    /// The Windows client (mstsc): its error dialog, when known.
    pub mstsc: Option<String>,
    /// FreeRDP's error for the same case.
    pub freerdp: Option<String>,
}

fn phase_label(phase: &str) -> &str {
    match phase {
        "tcp" => "the TCP connection",
        "x224" => "the X.224 negotiation",
        "tls" => "the TLS handshake",
        "credssp" => "CredSSP authentication",
        "early_user_authorization" => "the Early User Authorization",
        "mcs_connect" => "the MCS connect (basic settings exchange)",
        "channel_connection" => "the MCS channel connection",
        "client_info" => "the Client Info exchange (credentials)",
        "licensing" => "licensing",
        "multitransport" => "the multitransport offer",
        "capabilities" => "the capability exchange",
        "finalization" => "connection finalization",
        "active" => "the session",
        other => other,
    }
}

fn hex(v: u32) -> String {
    format!("0x{v:08X}")
}

/// A table's meaning inside a sentence: first letter lowercased, no closing period.
fn clause(meaning: &str) -> String {
    let m = meaning.trim_end_matches('.');
    let mut chars = m.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

fn named_status(v: u32) -> String {
    match codes::ntstatus(v) {
        Some(c) => format!("{} ({}): {}", c.name, hex(v), clause(c.meaning)),
        None => format!("status {}", hex(v)),
    }
}

fn named_errinfo(v: u32) -> String {
    match codes::errinfo(v) {
        Some(c) => format!("{} ({}): {}", c.name, hex(v), clause(c.meaning)),
        None if (0x1000..=0x7FFF).contains(&v) => format!("ERRINFO {} (a protocol error code)", hex(v)),
        None => format!("ERRINFO {} (not a documented code)", hex(v)),
    }
}

/// Every Logon Errors Info the server sent, read with both numbers together (MS-RDPBCGR 2.2.10.1.1.4.1.1).
fn logon_readings(s: &SessionEvidence) -> Vec<LogonErrorReading> {
    let raw: Vec<(u32, u32)> =
        if s.logon_errors.is_empty() { s.logon_error.into_iter().collect() } else { s.logon_errors.clone() };
    raw.into_iter().map(|(t, d)| read_logon_error(t, d)).collect()
}

/// What a Logon Errors Info says, in one clause.
fn logon_summary(r: &LogonErrorReading) -> String {
    let data = match r.data {
        LogonData::Code(c) => format!("; {} ({}): {}", c.name, hex(c.value), clause(c.meaning)),
        _ => String::new(),
    };
    match r.type_code {
        Some(c) if !r.ntstatus => format!("{} ({}): {}", c.name, hex(r.error_type), clause(c.meaning)),
        _ => format!("{}{data}", named_status(r.error_type)),
    }
}

/// One evidence line per Logon Errors Info: both numbers, named, and how the rules read them.
fn logon_line(r: &LogonErrorReading) -> String {
    format!(
        "Logon Errors Info: ErrorNotificationType {} = {}, ErrorNotificationData {} = {} ({})",
        hex(r.error_type),
        r.type_name(),
        hex(r.error_data),
        r.data_text(),
        if r.class.is_failure() { "a failure" } else { r.class.as_str() }
    )
}

/// The first non-zero ERRINFO the server sent.
fn errinfo_of(s: &SessionEvidence) -> Option<u32> {
    s.error_infos.iter().copied().find(|c| *c != 0 && !is_user_end(*c))
}

/// ERRINFO codes of a session ended at the user's request (MS-RDPBCGR 2.2.5.1.1): ERRINFO_RPC_INITIATED_
/// DISCONNECT_BY_USER (0xB) and ERRINFO_LOGOFF_BY_USER (0xC). Ordinary ends, not the server's verdict (a
/// decrypted capture of a normal logoff shows them, with the ultimatum that follows).
pub fn is_user_end(code: u32) -> bool {
    matches!(code, 0xB | 0xC)
}

/// What mstsc and FreeRDP would have reported for this run, when the evidence says.
pub fn client_view(s: &SessionEvidence) -> Option<ClientView> {
    if let Some(code) = s.credssp_error {
        let mstsc = codes::mstsc_for_status(code).map(|(disc, name)| {
            format!("mstsc reports the logon failure as error code 0x{disc:X} ({name}; paired with the status by name)")
        });
        return Some(ClientView { mstsc, freerdp: Some(codes::freerdp_for_status(code).to_owned()) });
    }
    if s.credssp_closed_after_credentials {
        return Some(ClientView {
            mstsc: None,
            freerdp: Some("ERRCONNECT_CONNECT_TRANSPORT_FAILED (FreeRDP sees only the closed connection)".to_owned()),
        });
    }
    if let Some(code) = s.early_user_auth.filter(|c| *c != 0) {
        return Some(ClientView { mstsc: None, freerdp: codes::freerdp_for_authz(code).map(str::to_owned) });
    }
    if let Some(e) = errinfo_of(s) {
        let ext = codes::extended_name(e).map(|n| format!(" ({n})")).unwrap_or_default();
        let mstsc = format!(
            "mstsc shows this as error code 0x904 with extended error code 0x{e:X}{ext}: 0x904 is {} (the server \
             closed the connection), the extended code is the server's ERRINFO",
            codes::socket_closed_name()
        );
        let freerdp = match codes::errinfo(e) {
            Some(c) => format!("{} ({})", c.name, hex(e)),
            None => format!("ERRINFO_UNKNOWN ({})", hex(e)),
        };
        return Some(ClientView { mstsc: Some(mstsc), freerdp: Some(freerdp) });
    }
    None
}

/// The finding for this run, its summary and the facts particular to it.
fn verdict(s: &SessionEvidence, nla: bool, mech: Option<&str>) -> Option<(&'static FindingDef, String, Vec<String>)> {
    let who = &s.account;
    let at = phase_label(&s.phase);
    let def = |id: &str| by_id(id);
    if let Some(code) = s.credssp_error {
        let d = def(codes::ntstatus_finding(code))?;
        let e = vec![format!("TSRequest.errorCode {} = {}", hex(code), named_status(code))];
        return Some((d, format!("the server refused the logon of {who}: {}", named_status(code)), e));
    }
    if s.credssp_closed_after_credentials {
        let e = vec![
            "the server sent no NTSTATUS: it closed the connection right after the NTLM AUTHENTICATE (the message \
             that proves the password), before its pubKeyAuth"
                .to_owned(),
            "a wrong user name or password is the usual reason for a close at exactly this point (FreeRDP servers \
             close this way on a wrong password)"
                .to_owned(),
        ];
        return Some((
            &CREDSSP_LOGON_FAILURE,
            format!("the server did not accept the credentials of {who}: it closed the connection right after them"),
            e,
        ));
    }
    if let Some(code) = s.early_user_auth.filter(|c| *c != 0) {
        let name = if code == 5 { "AUTHZ_ACCESS_DENIED" } else { "an unknown authzResult" };
        return Some((
            &AUTHZ_ACCESS_DENIED,
            format!("{who} authenticated, but the server's Early User Authorization Result is {name} ({})", hex(code)),
            vec![format!("Early User Authorization Result PDU: authzResult {}", hex(code))],
        ));
    }
    if let Some(code) = errinfo_of(s) {
        let d = def(codes::errinfo_finding(code))?;
        let mut e: Vec<String> =
            s.error_infos.iter().map(|c| format!("Set Error Info PDU: errorInfo {}", named_errinfo(*c))).collect();
        if let Some(r) = s.ultimatum {
            e.push(format!(
                "then an MCS Disconnect Provider Ultimatum, reason {r} ({})",
                rdp_doctor_proto::server_pdu::ultimatum_reason_name(r)
            ));
        }
        let summary = match codes::errinfo(code) {
            Some(c) => format!("the server sent {} ({}) during {at}: {}", c.name, hex(code), clause(c.meaning)),
            None => format!("the server sent {} during {at}", named_errinfo(code)),
        };
        return Some((d, summary, e));
    }
    if let Some((code, transition)) = s.license_error {
        let d = def(codes::license_error_finding(code))?;
        let e = vec![format!(
            "licensing ERROR_ALERT: dwErrorCode {} ({}), dwStateTransition {}",
            hex(code),
            codes::license_error(code),
            hex(transition)
        )];
        return Some((d, format!("licensing failed: {}", codes::license_error(code)), e));
    }
    if let Some(r) = logon_readings(s).into_iter().find(|r| r.class.is_failure()) {
        let e = logon_readings(s).iter().map(logon_line).collect();
        return Some((&SESSION_LOGON_FAILED, format!("the logon of {who} failed: {}", logon_summary(&r)), e));
    }
    if let Some(r) = s.ultimatum.filter(|_| !s.error_infos.iter().any(|c| is_user_end(*c))) {
        let name = rdp_doctor_proto::server_pdu::ultimatum_reason_name(r);
        return Some((
            &SERVER_DISCONNECTED,
            format!("the server sent an MCS Disconnect Provider Ultimatum ({name}) during {at}"),
            vec![format!("MCS Disconnect Provider Ultimatum, reason {r} ({name}), no Set Error Info PDU")],
        ));
    }
    match &s.outcome {
        SessionOutcome::FirstUpdate => {
            let ms = s.first_update_ms.unwrap_or(0.0);
            if nla || !s.logon_infos.is_empty() {
                let how = match mech {
                    Some(m) if nla => format!("authenticated with CredSSP: {m}"),
                    _ if nla => "authenticated with CredSSP".to_owned(),
                    _ => "the server confirmed the logon".to_owned(),
                };
                Some((&SESSION_OK, format!("{who} logged on ({how}); first screen update after {ms:.0} ms"), vec![]))
            } else {
                Some((
                    &SESSION_LOGON_UNCONFIRMED,
                    format!(
                        "the session started (first screen update after {ms:.0} ms) but the server never confirmed the logon of {who}"
                    ),
                    vec![format!(
                        "no Save Session Info (logon notification) within {} ms of the first update",
                        s.timeout_ms
                    )],
                ))
            }
        }
        SessionOutcome::LoggedOn => {
            let notes: Vec<&str> = s
                .logon_infos
                .iter()
                .filter(|t| **t <= 2)
                .filter_map(|t| rdp_doctor_codes::logon::INFO_TYPE.code(*t).map(|c| c.name))
                .collect();
            let session = s.session_id.map(|id| format!(", session {id}")).unwrap_or_default();
            let mech = mech.map(|m| format!(", authenticated with CredSSP: {m}")).unwrap_or_default();
            Some((
                &SESSION_OK,
                format!("{who} logged on (the server's logon notification {}{session}{mech})", notes.join(", ")),
                vec![
                    "no screen update was read: a session drawn over the graphics pipeline (a dynamic virtual channel) is not decoded"
                        .to_owned(),
                ],
            ))
        }
        SessionOutcome::ConnectedNoUpdate => Some((
            &SESSION_NO_UPDATE,
            format!(
                "the connection sequence completed for {who}, but no screen update came within {} ms",
                s.timeout_ms
            ),
            vec![],
        )),
        SessionOutcome::Closed | SessionOutcome::Reset => {
            let how = if s.outcome == SessionOutcome::Reset { "reset" } else { "closed" };
            Some((
                &SERVER_DISCONNECTED,
                format!("the server {how} the connection during {at} without saying why"),
                vec![format!("no Set Error Info PDU, no ultimatum: the TCP connection was {how}")],
            ))
        }
        SessionOutcome::TimedOut => Some((
            &SESSION_FAILED,
            format!("the server stopped answering during {at}"),
            vec![format!("no answer within {} ms", s.timeout_ms)],
        )),
        SessionOutcome::Stopped { reason } => {
            Some((&SESSION_FAILED, format!("the connection sequence stopped during {at}: {reason}"), vec![]))
        }
        SessionOutcome::NotReached { .. } | SessionOutcome::Unsupported { .. } => None,
    }
}

pub(super) fn check(ev: &Evidence, out: &mut Vec<Finding>) {
    let Some(s) = &ev.session else { return };
    let nla = s.selected_protocol.is_some_and(|p| p & 0x0a != 0);
    let mech = ev.credssp.as_ref().and_then(|c| c.mechanisms.as_ref()).and_then(|m| m.authenticated.as_deref());
    let Some((def, summary, specific)) = verdict(s, nla, mech) else { return };
    let protocol = s
        .selected_protocol
        .map(|p| rdp_doctor_proto::nego::SecurityProtocol(p).names().join(" | "))
        .unwrap_or_else(|| "?".to_owned());
    let mut evidence =
        vec![format!("one authentication attempt as {} over {protocol}, {:.0} ms in all", s.account, s.duration_ms)];
    evidence.extend(specific);
    let last: Vec<String> = s
        .steps
        .iter()
        .rev()
        .take(4)
        .rev()
        .map(|st| format!("{} at {:.1} ms (+{:.1} ms): {}", st.name, st.at_ms, st.duration_ms, st.detail))
        .collect();
    evidence.extend(last);
    if let Some(e) = &s.connector_error {
        evidence.push(format!("IronRDP: {e}"));
    }
    if let Some(v) = client_view(s) {
        evidence.extend(v.mstsc.map(|m| format!("Windows client: {m}")));
        evidence.extend(v.freerdp.map(|f| format!("FreeRDP: {f}")));
    }
    out.push(Finding::new(def, summary, evidence));
    // Logon notifications that are not failures, reported as what they are.
    let notices: Vec<LogonErrorReading> = logon_readings(s).into_iter().filter(|r| !r.class.is_failure()).collect();
    if let Some(first) = notices.first()
        && def.id != SESSION_LOGON_FAILED.id
    {
        let mut e: Vec<String> = notices.iter().map(logon_line).collect();
        if let Some(id) = s.session_id {
            e.push(format!("session ID {id} (from the logon notification)"));
        }
        let more = if notices.len() > 1 { format!(" (and {} more)", notices.len() - 1) } else { String::new() };
        out.push(Finding::new(
            &SESSION_LOGON_NOTICE,
            format!("the server reported {}{more}: not a failure", logon_summary(first)),
            e,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::evidence::*;

    fn run(s: SessionEvidence) -> Vec<crate::Finding> {
        let mut ev = base();
        // By name: an IP address adds the Kerberos fallback reading to NTLM refusals (rules/kerberos.rs).
        ev.target.host = "rds1.corp.example".into();
        ev.session = Some(s);
        crate::rules::evaluate(&ev)
    }

    #[test]
    fn a_logoff_by_the_user_is_not_the_servers_verdict() {
        let mut s = session(1);
        s.outcome = SessionOutcome::FirstUpdate;
        s.first_update_ms = Some(40.0);
        s.logon_infos = vec![0];
        s.error_infos = vec![0xC];
        s.ultimatum = Some(3);
        assert_eq!(ids(&run(s.clone())), vec!["session.ok"]);
        s.error_infos = vec![0xC, 0x7];
        assert!(ids(&run(s)).contains(&"server.denied_connection"));
    }

    #[test]
    fn ntstatus_codes_map_to_findings() {
        for (code, id) in [
            (0xC000_006D, "credssp.logon_failure"),
            (0xC000_0071, "credssp.password_expired"),
            (0xC000_0224, "credssp.password_must_change"),
            (0xC000_006E, "credssp.account_restriction"),
            (0xC000_0072, "credssp.account_disabled"),
            (0xC000_0234, "credssp.account_locked_out"),
            (0x8009_0324, "credssp.time_skew"),
            (0xC000_0001, "credssp.auth_failed"),
        ] {
            let mut s = session(2);
            s.credssp_error = Some(code);
            let f = run(s);
            assert_eq!(ids(&f), vec![id], "0x{code:08X}");
            assert!(f[0].evidence.iter().any(|e| e.contains(&format!("0x{code:08X}"))), "{:?}", f[0].evidence);
        }
    }

    #[test]
    fn logon_failure_names_the_mstsc_and_freerdp_codes() {
        let mut s = session(2);
        s.credssp_error = Some(0xC000_006D);
        let f = run(s);
        assert_eq!(
            f[0].summary,
            "the server refused the logon of CORP\\alice: STATUS_LOGON_FAILURE (0xC000006D): the logon failed: \
             unknown user name or bad password"
        );
        assert!(f[0].evidence.iter().any(|e| e.contains("error code 0x807 (SSL_ERR_LOGON_FAILURE;")));
        assert!(f[0].evidence.iter().any(|e| e == "FreeRDP: ERRCONNECT_LOGON_FAILURE"));
        assert_eq!(f[0].layer, "credssp");
    }

    #[test]
    fn close_after_authenticate_is_a_logon_failure_without_status() {
        let mut s = session(2);
        s.credssp_closed_after_credentials = true;
        let f = run(s);
        assert_eq!(ids(&f), vec!["credssp.logon_failure"]);
        assert!(f[0].summary.contains("closed the connection right after"));
    }

    #[test]
    fn errinfo_7_is_the_0x904_0x7_case() {
        let mut s = session(1);
        s.phase = "client_info".into();
        s.error_infos = vec![7];
        s.ultimatum = Some(1);
        let f = run(s.clone());
        assert_eq!(ids(&f), vec!["server.denied_connection"]);
        assert_eq!(f[0].layer, "session");
        assert!(f[0].summary.contains("ERRINFO_SERVER_DENIED_CONNECTION (0x00000007)"), "{}", f[0].summary);
        let view = super::client_view(&s).unwrap_or_else(|| unreachable!());
        assert!(
            view.mstsc
                .unwrap_or_default()
                .starts_with("mstsc shows this as error code 0x904 with extended error code 0x7")
        );
        assert!(f[0].evidence.iter().any(|e| e.contains("rn-provider-initiated")));
    }

    #[test]
    fn errinfo_codes_map() {
        for (code, id) in [
            (9, "server.insufficient_privileges"),
            (10, "server.fresh_credentials_required"),
            (0x101, "license.no_license_server"),
            (0x10A, "license.no_remote_connections"),
            (3, "server.disconnected"),
            (0x7777, "server.disconnected"),
        ] {
            let mut s = session(1);
            s.error_infos = vec![0, code];
            assert_eq!(ids(&run(s)), vec![id], "0x{code:x}");
        }
    }

    #[test]
    fn authorization_denied() {
        let mut s = session(8);
        s.early_user_auth = Some(5);
        let f = run(s);
        assert_eq!(ids(&f), vec!["authz.access_denied"]);
        assert!(f[0].evidence.iter().any(|e| e == "FreeRDP: ERRCONNECT_ACCESS_DENIED"));
    }

    #[test]
    fn session_started() {
        let mut s = session(8);
        s.outcome = SessionOutcome::FirstUpdate;
        s.first_update_ms = Some(120.0);
        s.early_user_auth = Some(0);
        assert_eq!(ids(&run(s)), vec!["session.ok"]);
        // Without NLA the first update alone does not prove the logon.
        let mut s = session(1);
        s.outcome = SessionOutcome::FirstUpdate;
        assert_eq!(ids(&run(s.clone())), vec!["session.logon_unconfirmed"]);
        s.logon_infos = vec![3];
        assert_eq!(ids(&run(s)), vec!["session.ok"]);
    }

    #[test]
    fn other_endings() {
        let mut s = session(1);
        s.outcome = SessionOutcome::ConnectedNoUpdate;
        assert_eq!(ids(&run(s.clone())), vec!["session.no_update"]);
        s.outcome = SessionOutcome::Closed;
        s.phase = "licensing".into();
        let f = run(s.clone());
        assert_eq!(ids(&f), vec!["server.disconnected"]);
        assert!(f[0].summary.contains("during licensing without saying why"));
        s.ultimatum = Some(1);
        assert_eq!(ids(&run(s.clone())), vec!["server.disconnected"]);
        s.ultimatum = None;
        s.outcome = SessionOutcome::TimedOut;
        assert_eq!(ids(&run(s.clone())), vec!["session.failed"]);
        s.logon_errors = vec![(0xC000_006D, 0)];
        assert_eq!(ids(&run(s.clone())), vec!["session.logon_failed"]);
        s.logon_errors.clear();
        s.license_error = Some((2, 2));
        assert_eq!(ids(&run(s.clone())), vec!["license.no_license"]);
        s.license_error = None;
        s.outcome = SessionOutcome::NotReached { reason: "tcp".into() };
        assert!(run(s).is_empty());
    }

    /// Issue 15: successful Remote Credential Guard, Restricted Admin and FreeRDP NLA logons carry
    /// LOGON_MSG_SESSION_CONTINUE (0xFFFFFFFE) with the session ID; it was read as a failed logon.
    #[test]
    fn session_continue_is_not_a_failed_logon() {
        let mut s = session(8);
        s.early_user_auth = Some(0);
        s.outcome = SessionOutcome::FirstUpdate;
        s.first_update_ms = Some(300.0);
        s.logon_infos = vec![3, 1];
        s.logon_errors = vec![(0xFFFF_FFFE, 2)];
        s.session_id = Some(2);
        let f = run(s);
        assert_eq!(ids(&f), vec!["session.logon_notice", "session.ok"]);
        let n = &f[0];
        assert!(n.summary.contains("LOGON_MSG_SESSION_CONTINUE (0xFFFFFFFE)"), "{}", n.summary);
        assert!(n.evidence.iter().any(|e| e.contains("ErrorNotificationData 0x00000002 = session 2 (continues)")));
    }

    #[test]
    fn prompts_are_notices_and_refusals_are_failures() {
        for (t, failed) in [(0xFFFF_FFFC, false), (0xFFFF_FFFB, false), (0xFFFF_FFFA, true), (0xFFFF_FFFF, true)] {
            let mut s = session(8);
            s.outcome = SessionOutcome::ConnectedNoUpdate;
            s.logon_errors = vec![(t, 1)];
            let f = run(s);
            assert_eq!(ids(&f).contains(&"session.logon_failed"), failed, "{t:#x}");
            assert_eq!(ids(&f).contains(&"session.logon_notice"), !failed, "{t:#x}");
        }
        let mut s = session(1);
        s.logon_errors = vec![(0xFFFF_FFFE, 1), (0xC000_006D, 0)];
        let f = run(s);
        assert_eq!(ids(&f), vec!["session.logon_failed"]);
        assert!(f[0].summary.contains("STATUS_LOGON_FAILURE (0xC000006D)"), "{}", f[0].summary);
        assert!(f[0].summary.contains("LOGON_FAILED_BAD_PASSWORD (0x00000000)"), "{}", f[0].summary);
        assert_eq!(f[0].evidence.iter().filter(|e| e.starts_with("Logon Errors Info")).count(), 2);
    }
}
