//! Never fail on a success: in a capture, a connection whose client went on and logged on (the session
//! rules' `session.ok`, read from the server's own logon notification or first screen), or went through an
//! RD Gateway to its target (`gateway.tunnel_ok`, the gateway's channel response S_OK), shows that nothing
//! found on the way stopped it. A self-signed certificate the client accepted, a weak suite it used, loss it
//! recovered from: each stays in the report as a note (severity info, `noted_from` keeps the catalogue's),
//! and the connection's verdict is `ok`.
//!
//! Live checks are not changed: there rdp-doctor's own client took the path, not the user's, and a
//! certificate the user's client would refuse is that client's failure.

use crate::Severity;
use crate::catalogue::{GATEWAY_TUNNEL_OK, SESSION_OK};
use crate::evidence::Evidence;
use crate::finding::Finding;

pub(super) fn check(ev: &Evidence, out: &mut [Finding]) {
    if ev.capture.is_none() || !out.iter().any(|f| f.id == SESSION_OK.id || f.id == GATEWAY_TUNNEL_OK.id) {
        return;
    }
    for f in out.iter_mut().filter(|f| f.severity >= Severity::Warn) {
        f.noted_from = Some(f.severity);
        f.severity = Severity::Info;
        f.summary.push_str(" (noted: the client went on to its session, so it did not stop this connection)");
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::Severity;
    use crate::evidence::*;

    fn logged_on() -> SessionEvidence {
        let mut s = session(8);
        s.early_user_auth = Some(0);
        s.outcome = SessionOutcome::LoggedOn;
        s.logon_infos = vec![2];
        s
    }

    #[test]
    fn a_capture_that_logged_on_has_notes_not_warnings() {
        let mut ev = base();
        ev.session = Some(logged_on());
        ev.credssp = Some(CredsspEvidence {
            client_version: 6,
            outcome: CredsspOutcome::OtherTsRequest,
            server_version: Some(2),
            error_code: None,
            ntlm: None,
            sent_unix_ms: 0,
            received_unix_ms: 0,
            duration_ms: 0.0,
            response_hex: String::new(),
            mechanisms: None,
        });
        // A live check keeps the catalogue's severity.
        let live = crate::rules::evaluate(&ev);
        assert!(live.iter().any(|f| f.id == "credssp.old_version" && f.severity == Severity::Warn));
        ev.capture = Some(crate::capture::CaptureEvidence::empty(
            crate::capture::ConnectionKind::Rdp,
            "tcp",
            "10.0.0.5:50000".parse().unwrap(),
            "10.0.0.9:3389".parse().unwrap(),
            0.0,
        ));
        let f = crate::rules::evaluate(&ev);
        let old = f.iter().find(|f| f.id == "credssp.old_version").unwrap();
        assert_eq!((old.severity, old.noted_from), (Severity::Info, Some(Severity::Warn)));
        assert!(f.iter().all(|f| f.severity == Severity::Info), "{f:?}");
    }
}
