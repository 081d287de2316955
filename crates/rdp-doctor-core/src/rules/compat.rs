//! Client compatibility: which common clients would fail against this server, and why. Derived from the
//! same evidence as the findings; each row says what it rests on, and "unknown" when the evidence does not
//! decide (run `--deep` for the full version scan).

use serde::Serialize;

use super::tls_versions::{TlsKnowledge, knowledge};
use crate::evidence::Evidence;

/// One client's expected outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientCompat {
    pub client: &'static str,
    /// "ok", "fails" or "unknown".
    pub verdict: &'static str,
    pub reason: String,
}

fn row(client: &'static str, verdict: &'static str, reason: impl Into<String>) -> ClientCompat {
    ClientCompat { client, verdict, reason: reason.into() }
}

fn any(k: &TlsKnowledge, versions: &[u16]) -> bool {
    versions.iter().any(|v| k.accepted.contains(v))
}

fn all_refused(k: &TlsKnowledge, versions: &[u16]) -> bool {
    versions.iter().all(|v| k.refused.contains(v))
}

/// The compatibility table; empty when TLS was never reached.
pub fn clients(ev: &Evidence) -> Vec<ClientCompat> {
    let mut rows = Vec::new();
    let nla_only = ev.security_matrix.as_ref().is_some_and(|m| {
        let acc = |p: u32| m.iter().any(|x| x.protocol == p && x.accepted);
        (acc(2) || acc(8)) && !acc(1) && !acc(0)
    });
    let Some(k) = knowledge(ev) else { return rows };
    let leaf = ev.tls.as_ref().and_then(|t| t.chain.first());

    rows.push(if any(&k, &[0x0301, 0x0302, 0x0303, 0x0304]) {
        row("mstsc / Windows App on Windows 11", "ok", "a TLS version it speaks (1.0-1.3) is accepted")
    } else {
        row("mstsc / Windows App on Windows 11", "unknown", "no TLS version confirmed")
    });
    rows.push(if any(&k, &[0x0301, 0x0302, 0x0303]) {
        row("mstsc on Windows 10", "ok", "TLS 1.0-1.2 accepted")
    } else if k.scanned && all_refused(&k, &[0x0301, 0x0302, 0x0303]) {
        row(
            "mstsc on Windows 10",
            "fails",
            "Windows 10's TLS stack has no TLS 1.3 for RDP and the server refuses 1.0-1.2",
        )
    } else {
        row("mstsc on Windows 10", "unknown", "only TLS 1.3 confirmed; run --deep to test TLS 1.0-1.2")
    });
    rows.push(if k.accepted.contains(&0x0301) {
        row("mstsc on Windows 7 without updates", "ok", "TLS 1.0 accepted (without KB3080079 it speaks nothing newer)")
    } else if k.scanned && k.refused.contains(&0x0301) {
        row(
            "mstsc on Windows 7 without updates",
            "fails",
            "it speaks only TLS 1.0 for RDP, which the server refuses (KB3080079 adds 1.1/1.2)",
        )
    } else {
        row("mstsc on Windows 7 without updates", "unknown", "TLS 1.0 not tested; run --deep")
    });
    let weak_key = leaf.is_some_and(|c| c.key_type == "RSA" && c.key_bits > 0 && c.key_bits < 2048);
    let sha1 = leaf.is_some_and(|c| !c.self_signed && c.signature_algorithm.to_ascii_lowercase().contains("sha1"));
    rows.push(if !any(&k, &[0x0303, 0x0304]) && (k.scanned || k.modern_failed) {
        row(
            "FreeRDP 2/3 with OpenSSL 3 (default security level)",
            "fails",
            "OpenSSL 3 refuses TLS 1.0/1.1 at its default security level",
        )
    } else if weak_key {
        row(
            "FreeRDP 2/3 with OpenSSL 3 (default security level)",
            "fails",
            "the certificate's RSA key is below 2048 bits (refused at security level 2)",
        )
    } else if sha1 {
        row(
            "FreeRDP 2/3 with OpenSSL 3 (default security level)",
            "fails",
            "the certificate is signed with SHA-1 (refused at security level 2)",
        )
    } else if any(&k, &[0x0303, 0x0304]) {
        row("FreeRDP 2/3 with OpenSSL 3 (default security level)", "ok", "TLS 1.2/1.3 accepted")
    } else {
        row("FreeRDP 2/3 with OpenSSL 3 (default security level)", "unknown", "TLS 1.2/1.3 not confirmed")
    });
    rows.push(if k.modern_failed {
        row(
            "IronRDP and other rustls-based clients",
            "fails",
            "a TLS 1.2/1.3 handshake with ECDHE and AEAD suites (rustls) failed",
        )
    } else if any(&k, &[0x0303, 0x0304]) && ev.tls.as_ref().is_some_and(|t| t.modern_attempt.is_none()) {
        row("IronRDP and other rustls-based clients", "ok", "rustls completed the handshake")
    } else {
        row("IronRDP and other rustls-based clients", "unknown", "no rustls handshake completed")
    });
    if nla_only {
        rows.push(row(
            "clients without NLA (FreeRDP /sec:tls, old thin clients, RDP security only)",
            "fails",
            "the server accepts only CredSSP (HYBRID/HYBRID_EX)",
        ));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::*;
    use crate::rules::testkit::base;

    fn tls(version: &str, modern_failed: bool) -> TlsEvidence {
        TlsEvidence {
            stack: "x".into(),
            outcome: TlsOutcome::Established,
            server_name: "h".into(),
            version: Some(version.into()),
            cipher_suite: None,
            duration_ms: 1.0,
            timeout_ms: 1,
            chain: vec![],
            trust: None,
            modern_attempt: modern_failed
                .then(|| TlsOutcome::AlertReceived { description: 70, name: "protocol_version".into() }),
        }
    }

    fn verdict<'a>(rows: &'a [ClientCompat], client: &str) -> &'a str {
        rows.iter().find(|r| r.client.starts_with(client)).map_or("missing", |r| r.verdict)
    }

    #[test]
    fn tls10_only_server() {
        let mut ev = base();
        ev.tls = Some(tls("TLS 1.0", true));
        let rows = clients(&ev);
        assert_eq!(verdict(&rows, "FreeRDP"), "fails");
        assert_eq!(verdict(&rows, "IronRDP"), "fails");
        assert_eq!(verdict(&rows, "mstsc on Windows 7"), "ok");
        assert_eq!(verdict(&rows, "mstsc on Windows 10"), "ok");
    }

    #[test]
    fn modern_server_without_scan() {
        let mut ev = base();
        ev.tls = Some(tls("TLS 1.3", false));
        let rows = clients(&ev);
        assert_eq!(verdict(&rows, "IronRDP"), "ok");
        assert_eq!(verdict(&rows, "FreeRDP"), "ok");
        assert_eq!(verdict(&rows, "mstsc on Windows 10"), "unknown", "TLS 1.2 not confirmed without --deep");
        assert_eq!(verdict(&rows, "mstsc on Windows 7"), "unknown");
    }

    #[test]
    fn no_tls_no_table() {
        assert!(clients(&base()).is_empty());
    }
}
