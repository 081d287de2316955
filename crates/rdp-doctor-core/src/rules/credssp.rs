//! CredSSP rules: the server's CredSSP version, its NTLM CHALLENGE (names, OS, clock).

use crate::catalogue::*;
use crate::evidence::{CredsspOutcome, Evidence};
use crate::finding::Finding;
use crate::windows::release_name_of;
use rdp_doctor_codes::Kind;

/// Skew thresholds, milliseconds.
pub const SKEW_INFO_MS: i64 = 30_000;
pub const SKEW_WARN_MS: i64 = 120_000;
/// Kerberos' default maximum tolerance (5 minutes).
pub const SKEW_KERBEROS_MS: i64 = 300_000;

fn human_duration(ms: i64) -> String {
    let s = ms.abs() / 1000;
    if s >= 3600 {
        format!("{}h {}min", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}min {}s", s / 60, s % 60)
    } else {
        format!("{}.{:03}s", s, ms.abs() % 1000)
    }
}

pub(super) fn check(ev: &Evidence, out: &mut Vec<Finding>) {
    let Some(c) = &ev.credssp else { return };
    let offered = match &c.mechanisms {
        Some(m) if m.spnego => format!("SPNEGO offering {}", m.offered.join(", ")),
        Some(m) => match m.tokens.first() {
            Some(t) => t.trim_start_matches("client: ").to_owned(),
            None => "an NTLM NEGOTIATE".to_owned(),
        },
        None => "an NTLM NEGOTIATE".to_owned(),
    };
    let mut base = vec![format!(
        "sent TSRequest version {} with {offered}; answer after {:.1} ms",
        c.client_version, c.duration_ms
    )];
    if !c.response_hex.is_empty() {
        base.push(format!("received: {}", c.response_hex));
    }
    match &c.outcome {
        CredsspOutcome::Challenge | CredsspOutcome::OtherTsRequest => {}
        other => {
            let what = match other {
                CredsspOutcome::NotCredssp { error } => format!("the answer is not a TSRequest: {error}"),
                CredsspOutcome::Closed => "the server closed the connection".to_owned(),
                CredsspOutcome::Reset => "the server reset the connection".to_owned(),
                CredsspOutcome::TimedOut => "no answer before the deadline".to_owned(),
                CredsspOutcome::Failed { error } => format!("error: {error}"),
                _ => String::new(),
            };
            base.push(what.clone());
            out.push(Finding::new(&CREDSSP_FAILED, format!("CredSSP broke before authentication: {what}"), base));
            return;
        }
    }
    if let Some(v) = c.server_version
        && v < 5
    {
        let mut e = base.clone();
        e.push(format!("server TSRequest version {v} (patched servers answer 5 or 6)"));
        out.push(Finding::new(&CREDSSP_OLD_VERSION, format!("the server speaks CredSSP version {v}"), e));
    }
    // A code the session evidence also carries (a decrypted capture's logon refusal) is judged once, by the
    // session rules, which name it as the credentialed check does.
    if let Some(code) = c.error_code.filter(|&code| ev.session.as_ref().and_then(|s| s.credssp_error) != Some(code)) {
        let mut e = base.clone();
        // The name and meaning come from the one code table (NTSTATUS first, then SEC_E).
        let named = [Kind::Ntstatus, Kind::Sspi]
            .into_iter()
            .find_map(|k| rdp_doctor_codes::family(k).code(code))
            .map(|c| format!(" ({}: {})", c.name, c.meaning.trim_end_matches('.')))
            .unwrap_or_default();
        e.push(format!("errorCode 0x{code:08X}{named}"));
        out.push(Finding::new(&CREDSSP_SERVER_ERROR, format!("the server answered with errorCode 0x{code:08X}"), e));
    }
    if let Some(m) = &c.mechanisms {
        mechanism(m, &base, out);
    }
    let Some(n) = &c.ntlm else {
        // Only a client that proposed NTLM expects a CHALLENGE: a SPNEGO exchange that went on with
        // Kerberos (a domain client's normal, preferred path) is not a missing one.
        if c.error_code.is_none() && c.proposed_ntlm() {
            let mut e = base;
            let mut summary = "the server's answer carries no NTLM CHALLENGE".to_owned();
            if let Some(m) = c.mechanisms.as_ref().filter(|m| m.chosen.as_deref().is_some_and(|x| x != "NTLM")) {
                let chosen = m.chosen.as_deref().unwrap_or_default();
                summary = format!("the client proposed NTLM; the server answered with {chosen} instead");
                e.extend(m.tokens.iter().cloned());
            }
            out.push(Finding::new(&CREDSSP_NO_NTLM, summary, e));
        }
        return;
    };
    let mut facts = Vec::new();
    let mut push = |label: &str, v: &Option<String>| {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            facts.push(format!("{label}: {v}"));
        }
    };
    push("NetBIOS computer name", &n.nb_computer_name);
    push("NetBIOS domain name", &n.nb_domain_name);
    push("DNS computer name", &n.dns_computer_name);
    push("DNS domain name", &n.dns_domain_name);
    push("DNS tree name", &n.dns_tree_name);
    if let Some(v) = &n.os_version {
        let name = release_name_of(v).map(|r| format!(" ({r})")).unwrap_or_default();
        facts.push(format!("OS version {v}{name}"));
    }
    if let Some(v) = c.server_version {
        facts.push(format!("CredSSP version {v}"));
    }
    let who = n
        .dns_computer_name
        .clone()
        .or_else(|| n.nb_computer_name.clone())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "(no name)".to_owned());
    out.push(Finding::new(&NTLM_HOST_INFO, format!("the server calls itself {who}"), facts));

    if let Some(server_ms) = n.server_time_unix_ms {
        // The timestamp was taken while our request was in flight: compare with the midpoint.
        let mid = c.sent_unix_ms + (c.received_unix_ms - c.sent_unix_ms) / 2;
        let skew = server_ms - mid;
        let uncertainty = (c.received_unix_ms - c.sent_unix_ms) / 2 + 1;
        let dir = if skew > 0 { "ahead of" } else { "behind" };
        let evidence = vec![
            format!("server timestamp (MsvAvTimestamp) {server_ms} ms since 1970"),
            format!("local clock at the midpoint of the round trip {mid} ms; uncertainty ±{uncertainty} ms"),
        ];
        let summary = format!("the server's clock is {} {dir} this machine's", human_duration(skew));
        let def = match skew.abs() {
            s if s >= SKEW_KERBEROS_MS => Some(&TIME_SKEW_SEVERE),
            s if s >= SKEW_WARN_MS => Some(&TIME_SKEW),
            s if s >= SKEW_INFO_MS => Some(&TIME_SKEW_MINOR),
            _ => None,
        };
        if let Some(def) = def {
            out.push(Finding::new(def, summary, evidence));
        }
    }
}

/// Which mechanism the exchange authenticated with, when the tokens show it.
fn mechanism(m: &crate::evidence::MechanismEvidence, base: &[String], out: &mut Vec<Finding>) {
    let Some(auth) = &m.authenticated else { return };
    let mut e = base.to_vec();
    if m.spnego {
        e.push(format!("SPNEGO mechTypes: {}", m.offered.join(", ")));
    }
    if let Some(c) = &m.chosen {
        e.push(format!(
            "the server chose {c}{}",
            m.neg_state.as_ref().map(|s| format!(" (negState {s})")).unwrap_or_default()
        ));
    }
    e.extend(m.tokens.iter().cloned());
    let why = match auth.as_str() {
        "Kerberos" => "the preferred mechanism of a domain client",
        "NTLM" => {
            "Kerberos was not used: no ticket for this name (an IP address, no SPN), no KDC in reach, or a client outside the domain"
        }
        _ => "an extended mechanism (NEGOEX/PKU2U: certificate or Entra ID based)",
    };
    out.push(Finding::new(&CREDSSP_MECHANISM, format!("CredSSP authenticated with {auth}: {why}"), e));
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::evidence::*;

    fn credssp(version: u32, skew_ms: i64) -> CredsspEvidence {
        CredsspEvidence {
            client_version: 6,
            outcome: CredsspOutcome::Challenge,
            server_version: Some(version),
            error_code: None,
            ntlm: Some(NtlmInfo {
                target_name: Some("CORP".into()),
                nb_computer_name: Some("RDS1".into()),
                nb_domain_name: Some("CORP".into()),
                dns_computer_name: Some("rds1.corp.example".into()),
                dns_domain_name: Some("corp.example".into()),
                dns_tree_name: None,
                os_version: Some("10.0.20348".into()),
                os_build: Some(20348),
                server_time_unix_ms: Some(1_000_000 + 10 + skew_ms),
            }),
            sent_unix_ms: 1_000_000,
            received_unix_ms: 1_000_020,
            duration_ms: 20.0,
            response_hex: String::new(),
            mechanisms: None,
        }
    }

    fn run(c: CredsspEvidence) -> Vec<crate::Finding> {
        let mut ev = base();
        ev.credssp = Some(c);
        crate::rules::evaluate(&ev)
    }

    #[test]
    fn healthy_server_gives_host_info_only() {
        let f = run(credssp(6, 0));
        assert_eq!(ids(&f), vec!["ntlm.host_info"]);
        assert!(
            f[0].evidence.iter().any(|e| e == "OS version 10.0.20348 (Windows Server 2022)"),
            "{:?}",
            f[0].evidence
        );
        assert_eq!(f[0].summary, "the server calls itself rds1.corp.example");
    }

    #[test]
    fn skew_thresholds() {
        assert_eq!(ids(&run(credssp(6, 10 * 60_000))), vec!["time.skew_kerberos", "ntlm.host_info"]);
        assert!(run(credssp(6, -10 * 60_000))[0].summary.contains("10min 0s behind"));
        assert_eq!(ids(&run(credssp(6, 3 * 60_000))), vec!["time.skew", "ntlm.host_info"]);
        assert_eq!(ids(&run(credssp(6, 61_000))), vec!["ntlm.host_info", "time.skew_minor"]);
        assert_eq!(ids(&run(credssp(6, 5_000))), vec!["ntlm.host_info"]);
    }

    #[test]
    fn old_version() {
        assert_eq!(ids(&run(credssp(3, 0))), vec!["credssp.old_version", "ntlm.host_info"]);
        assert!(!ids(&run(credssp(5, 0))).contains(&"credssp.old_version"));
    }

    #[test]
    fn broken_exchange() {
        let mut c = credssp(6, 0);
        c.outcome = CredsspOutcome::Reset;
        c.ntlm = None;
        c.server_version = None;
        assert_eq!(ids(&run(c)), vec!["credssp.failed"]);
    }

    /// The server's errorCode is named from the code tables, unknown values stay in hex.
    #[test]
    fn server_error_code_is_named() {
        let mut c = credssp(6, 0);
        c.error_code = Some(0xC000_006D);
        c.ntlm = None;
        let f = run(c.clone());
        let e = &f.iter().find(|f| f.id == "credssp.server_error").unwrap().evidence;
        assert!(e.iter().any(|l| l.starts_with("errorCode 0xC000006D (STATUS_LOGON_FAILURE:")), "{e:?}");
        c.error_code = Some(0x1234_5678);
        let f = run(c);
        let e = &f.iter().find(|f| f.id == "credssp.server_error").unwrap().evidence;
        assert!(e.iter().any(|l| l == "errorCode 0x12345678"), "{e:?}");
    }

    /// Issue 15: a SPNEGO exchange that chose Kerberos is no missing NTLM CHALLENGE; a client that proposed
    /// NTLM and got Kerberos instead is.
    #[test]
    fn kerberos_is_not_a_missing_challenge() {
        let mut c = credssp(6, 0);
        c.ntlm = None;
        c.outcome = CredsspOutcome::OtherTsRequest;
        c.mechanisms = Some(MechanismEvidence {
            spnego: true,
            offered: vec![
                "Kerberos, Microsoft OID (1.2.840.48018.1.2.2)".into(),
                "NTLM (1.3.6.1.4.1.311.2.2.10)".into(),
            ],
            proposed: Some("Kerberos".into()),
            ntlm_offered: true,
            chosen: Some("Kerberos".into()),
            neg_state: Some("accept-completed".into()),
            authenticated: Some("Kerberos".into()),
            tokens: vec![],
        });
        let f = run(c.clone());
        assert_eq!(ids(&f), vec!["credssp.mechanism"]);
        assert!(f[0].summary.starts_with("CredSSP authenticated with Kerberos"), "{}", f[0].summary);
        assert!(f[0].evidence[0].contains("SPNEGO offering"), "{:?}", f[0].evidence);
        // The live probe's raw NTLM NEGOTIATE answered without a CHALLENGE: still the finding.
        let mut m = c.mechanisms.clone().unwrap();
        m.spnego = false;
        m.proposed = Some("NTLM".into());
        m.authenticated = None;
        c.mechanisms = Some(m);
        // (127.0.0.1 is an address: the Kerberos rules add the NTLM-fallback reading.)
        let f = run(c.clone());
        assert_eq!(ids(&f), vec!["kerberos.ntlm_fallback_refused", "credssp.no_ntlm_challenge"]);
        assert!(f[1].summary.contains("answered with Kerberos instead"), "{}", f[1].summary);
        c.mechanisms = None;
        assert!(ids(&run(c)).contains(&"credssp.no_ntlm_challenge"));
    }
}
