//! TLS rules: the handshake on the RDP connection and the certificate chain it presented.

use super::ms;
use crate::catalogue::*;
use crate::cert::CertInfo;
use crate::evidence::{Evidence, TlsEvidence, TlsOutcome};
use crate::finding::Finding;

/// `cert.expiring_soon` threshold.
pub const EXPIRING_SOON_DAYS: i64 = 30;

fn cert_line(c: &CertInfo) -> String {
    format!(
        "leaf certificate: subject \"{}\", issuer \"{}\", SHA-1 thumbprint {}",
        c.subject, c.issuer, c.sha1_thumbprint
    )
}

fn handshake(ev: &Evidence, tls: &TlsEvidence, out: &mut Vec<Finding>) {
    let after = ms(tls.duration_ms);
    let (def, summary, line) = match &tls.outcome {
        TlsOutcome::Established => return,
        TlsOutcome::AlertReceived { description, name } => (
            &TLS_ALERT,
            format!("the server aborted the TLS handshake with alert {name}"),
            format!("TLS alert {name} ({description}) received after {after}"),
        ),
        // No certificate arrived: the server gave up on the ClientHello itself.
        TlsOutcome::Closed if tls.chain.is_empty() => (
            &TLS_SERVER_KEY_UNUSABLE,
            "the server negotiated TLS, then closed the connection on the ClientHello without a TLS answer".to_owned(),
            format!("connection closed (FIN) after the ClientHello, {after}, no ServerHello"),
        ),
        TlsOutcome::Reset if tls.chain.is_empty() => (
            &TLS_SERVER_KEY_UNUSABLE,
            "the server negotiated TLS, then reset the connection on the ClientHello without a TLS answer".to_owned(),
            format!("connection reset (RST) after the ClientHello, {after}, no ServerHello"),
        ),
        TlsOutcome::Closed => (
            &TLS_HANDSHAKE_FAILED,
            "the server closed the connection during the TLS handshake".to_owned(),
            format!("connection closed (FIN) during the handshake after {after}"),
        ),
        TlsOutcome::Reset => (
            &TLS_HANDSHAKE_FAILED,
            "the server reset the connection during the TLS handshake".to_owned(),
            format!("connection reset (RST) during the handshake after {after}"),
        ),
        TlsOutcome::TimedOut => (
            &TLS_HANDSHAKE_FAILED,
            "the TLS handshake did not complete in time".to_owned(),
            format!("no handshake completion within the {} ms deadline", tls.timeout_ms),
        ),
        TlsOutcome::Failed { error } => (
            &TLS_HANDSHAKE_FAILED,
            format!("the TLS handshake failed: {error}"),
            format!("handshake error after {after}: {error}"),
        ),
    };
    let mut evidence = vec![format!("TLS handshake to {}:{} with {}", ev.target.host, ev.target.port, tls.stack), line];
    if let Some(leaf) = tls.chain.first() {
        evidence.push(cert_line(leaf));
    }
    out.push(Finding::new(def, summary, evidence));
}

/// The certificate verdicts for one TLS handshake, judged at `now`; `announced` is the DNS name the server
/// gave itself in NTLM, if known. Also used for the RD Gateway's certificate (`rules/gateway.rs`).
pub(super) fn certificates(now: i64, tls: &TlsEvidence, announced: Option<String>, out: &mut Vec<Finding>) {
    let Some(leaf) = tls.chain.first() else { return };
    if let Some(err) = &leaf.parse_error {
        out.push(Finding::new(&CERT_UNPARSABLE, "the server's certificate is not valid X.509", vec![err.clone()]));
        return;
    }
    let id = cert_line(leaf);
    let days = leaf.days_left(now);
    if now > leaf.not_after_unix {
        let ago = (now - leaf.not_after_unix) / 86_400;
        out.push(Finding::new(
            &CERT_EXPIRED,
            format!("the certificate expired on {} ({} ago)", leaf.not_after, plural_days(ago)),
            vec![id.clone(), format!("notAfter {} is before the time of the check", leaf.not_after)],
        ));
    } else if now < leaf.not_before_unix {
        out.push(Finding::new(
            &CERT_NOT_YET_VALID,
            format!("the certificate is valid only from {}", leaf.not_before),
            vec![id.clone(), format!("notBefore {} is after the time of the check", leaf.not_before)],
        ));
    } else if days < EXPIRING_SOON_DAYS {
        out.push(Finding::new(
            &CERT_EXPIRING_SOON,
            format!("the certificate expires on {} (in {})", leaf.not_after, plural_days(days)),
            vec![id.clone(), format!("notAfter {}", leaf.not_after)],
        ));
    }
    for (i, c) in tls.chain.iter().enumerate().skip(1) {
        if c.parse_error.is_none() && now > c.not_after_unix {
            out.push(Finding::new(
                &CERT_EXPIRED,
                format!("certificate #{i} of the chain (\"{}\") expired on {}", c.subject, c.not_after),
                vec![format!("chain certificate #{i}: subject \"{}\", notAfter {}", c.subject, c.not_after)],
            ));
        }
    }
    if leaf.self_signed {
        out.push(Finding::new(
            &CERT_SELF_SIGNED,
            "the server presents a self-signed certificate".to_owned(),
            vec![
                id.clone(),
                "subject equals issuer and the signature verifies with the certificate's own key".to_owned(),
            ],
        ));
    }
    match &tls.trust {
        Some(t) if !t.trusted && !leaf.self_signed => out.push(Finding::new(
            &CERT_UNTRUSTED,
            "this machine's trust store does not accept the certificate chain",
            vec![id.clone(), format!("{}: {}", t.verifier, t.error.as_deref().unwrap_or("not trusted"))],
        )),
        _ => {}
    }
    let m = leaf.matches_name(&tls.server_name);
    // An empty name: the name the client connected to is unknown (a capture without SNI).
    if !m.matched && !tls.server_name.is_empty() {
        let mut evidence = vec![id.clone(), m.detail];
        // The name the server gives itself in NTLM (MsvAvDnsComputerName) is usually what its
        // certificate was made for: say whether connecting by that name would match.
        let mut summary = format!("the certificate is not valid for \"{}\"", tls.server_name);
        if let Some(name) = announced {
            let am = leaf.matches_name(&name);
            if am.matched {
                evidence.push(format!(
                    "the server announces its DNS name as {name} (NTLM), which the certificate matches ({})",
                    am.detail
                ));
                summary.push_str(&format!("; connect as \"{name}\", the name the server announces, which it matches"));
            } else {
                evidence.push(format!(
                    "the server announces its DNS name as {name} (NTLM); the certificate does not match that either"
                ));
            }
        }
        out.push(Finding::new(&CERT_NAME_MISMATCH, summary, evidence));
    }
    if leaf.key_type == "RSA" && leaf.key_bits < 2048 {
        out.push(Finding::new(
            &CERT_WEAK_KEY,
            format!("the certificate has a {}-bit RSA key", leaf.key_bits),
            vec![id.clone()],
        ));
    }
    let sig = leaf.signature_algorithm.to_ascii_lowercase();
    if !leaf.self_signed && (sig.contains("md5") || sig.contains("sha1")) {
        out.push(Finding::new(
            &CERT_WEAK_SIGNATURE,
            format!("the certificate is signed with {}", leaf.signature_algorithm),
            vec![id.clone()],
        ));
    }
    if !leaf.eku_allows_rdp() {
        out.push(Finding::new(
            &CERT_WRONG_EKU,
            "the certificate's Extended Key Usage does not allow server authentication",
            vec![id, format!("EKUs: {}", leaf.ekus.join(", "))],
        ));
    }
}

fn plural_days(d: i64) -> String {
    if d == 1 { "1 day".to_owned() } else { format!("{d} days") }
}

pub(super) fn check(ev: &Evidence, out: &mut Vec<Finding>) {
    let Some(tls) = &ev.tls else { return };
    handshake(ev, tls, out);
    let announced = ev
        .credssp
        .as_ref()
        .and_then(|c| c.ntlm.as_ref())
        .and_then(|n| n.dns_computer_name.clone().filter(|s| !s.is_empty()));
    certificates(ev.observed_at_unix, tls, announced, out);
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::cert::CertInfo;
    use crate::evidence::*;

    fn cert(names: &[&str], nb: i64, na: i64, cn: &str) -> CertInfo {
        let mut c = CertInfo::from_der(&[]);
        c.parse_error = None;
        c.subject = format!("CN={cn}");
        c.issuer = c.subject.clone();
        c.common_names = vec![cn.into()];
        c.self_signed = true;
        c.key_type = "RSA".into();
        c.key_bits = 2048;
        c.signature_algorithm = "sha256WithRSAEncryption".into();
        c.not_before_unix = NOW + nb * 86_400;
        c.not_after_unix = NOW + na * 86_400;
        for n in names {
            match n.parse() {
                Ok(ip) => c.ip_addresses.push(ip),
                Err(_) => c.dns_names.push((*n).into()),
            }
        }
        c
    }

    fn run(outcome: TlsOutcome, chain: Vec<CertInfo>, trusted: bool) -> Vec<crate::Finding> {
        let mut ev = base();
        ev.tls = Some(TlsEvidence {
            stack: "rustls".into(),
            outcome,
            server_name: "127.0.0.1".into(),
            version: Some("TLS 1.3".into()),
            cipher_suite: None,
            duration_ms: 4.0,
            timeout_ms: 3000,
            chain,
            trust: Some(TrustVerdict {
                verifier: "os".into(),
                trusted,
                error: (!trusted).then(|| "UnknownIssuer".into()),
            }),
            modern_attempt: None,
        });
        crate::rules::evaluate(&ev)
    }

    #[test]
    fn expired_yesterday() {
        let f = run(TlsOutcome::Established, vec![cert(&["127.0.0.1"], -365, -1, "srv")], false);
        assert_eq!(ids(&f), vec!["cert.expired", "cert.self_signed"]);
        assert!(f[0].summary.contains("1 day ago"), "{}", f[0].summary);
    }

    #[test]
    fn boundaries() {
        assert_eq!(
            ids(&run(TlsOutcome::Established, vec![cert(&["127.0.0.1"], 1, 300, "s")], false)),
            vec!["cert.not_yet_valid", "cert.self_signed"]
        );
        assert_eq!(
            ids(&run(TlsOutcome::Established, vec![cert(&["127.0.0.1"], -1, 29, "s")], false)),
            vec!["cert.expiring_soon", "cert.self_signed"]
        );
        assert_eq!(
            ids(&run(TlsOutcome::Established, vec![cert(&["127.0.0.1"], -1, 31, "s")], false)),
            vec!["cert.self_signed"]
        );
    }

    #[test]
    fn name_mismatch_and_trust() {
        let mut c = cert(&["wrong.example.test"], -1, 300, "wrong.example.test");
        c.self_signed = false;
        c.issuer = "CN=Some CA".into();
        let f = run(TlsOutcome::Established, vec![c.clone()], false);
        assert_eq!(ids(&f), vec!["cert.name_mismatch", "cert.untrusted"]);
        assert!(f[0].evidence[1].contains("DNS:wrong.example.test"));
        assert!(
            run(TlsOutcome::Established, vec![cert(&["127.0.0.1"], -1, 300, "x")], true)
                .iter()
                .all(|f| f.id == "cert.self_signed")
        );
    }

    #[test]
    fn announced_name_is_suggested() {
        let mut ev = base();
        let mut c = cert(&["rds1.corp.example"], -1, 300, "rds1.corp.example");
        c.self_signed = false;
        ev.tls = Some(TlsEvidence {
            stack: "rustls".into(),
            outcome: TlsOutcome::Established,
            server_name: "10.0.0.5".into(),
            version: None,
            cipher_suite: None,
            duration_ms: 1.0,
            timeout_ms: 1000,
            chain: vec![c],
            trust: None,
            modern_attempt: None,
        });
        ev.credssp = Some(CredsspEvidence {
            client_version: 6,
            outcome: CredsspOutcome::Challenge,
            server_version: Some(6),
            error_code: None,
            ntlm: Some(NtlmInfo {
                target_name: None,
                nb_computer_name: None,
                nb_domain_name: None,
                dns_computer_name: Some("rds1.corp.example".into()),
                dns_domain_name: None,
                dns_tree_name: None,
                os_version: None,
                os_build: None,
                server_time_unix_ms: None,
            }),
            sent_unix_ms: 0,
            received_unix_ms: 0,
            duration_ms: 0.0,
            response_hex: String::new(),
            mechanisms: None,
        });
        let f = crate::rules::evaluate(&ev);
        let m = f.iter().find(|f| f.id == "cert.name_mismatch").unwrap_or_else(|| unreachable!());
        assert!(m.summary.contains("connect as \"rds1.corp.example\""), "{}", m.summary);
    }

    #[test]
    fn weak_key_signature_eku() {
        let mut c = cert(&["127.0.0.1"], -1, 300, "x");
        c.self_signed = false;
        c.key_bits = 1024;
        c.signature_algorithm = "sha1WithRSAEncryption".into();
        c.ekus = vec!["clientAuth".into()];
        let f = ids(&run(TlsOutcome::Established, vec![c], true));
        assert_eq!(f, vec!["cert.weak_key", "cert.weak_signature", "cert.wrong_eku"]);
    }

    #[test]
    fn handshake_failures() {
        let alert = TlsOutcome::AlertReceived { description: 70, name: "protocol_version".into() };
        assert_eq!(ids(&run(alert, vec![], true)), vec!["tls.alert"]);
        for o in [TlsOutcome::TimedOut, TlsOutcome::Failed { error: "x".into() }] {
            assert_eq!(ids(&run(o, vec![], true)), vec!["tls.handshake_failed"]);
        }
        for o in [TlsOutcome::Closed, TlsOutcome::Reset] {
            assert_eq!(ids(&run(o, vec![], true)), vec!["tls.server_key_unusable"], "no certificate seen");
        }
    }
}
