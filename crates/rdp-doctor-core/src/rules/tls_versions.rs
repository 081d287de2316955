//! TLS version and cipher-suite rules, from the `--deep` scan and from which TLS stack completed the
//! handshake (rustls for TLS 1.2/1.3, the legacy OpenSSL path for older servers).

use std::collections::BTreeSet;

use crate::catalogue::{TLS_LEGACY_ONLY, TLS_NO_FORWARD_SECRECY, TLS_NO_TLS13, TLS_ONLY_TLS13, TLS_WEAK_CIPHERS};
use crate::evidence::{Evidence, TlsOutcome};
use crate::finding::Finding;

/// What is known about the server's TLS versions.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TlsKnowledge {
    /// Versions seen accepted (0x0301…0x0304).
    pub accepted: BTreeSet<u16>,
    /// Versions seen refused.
    pub refused: BTreeSet<u16>,
    /// The modern stack (rustls: TLS 1.2/1.3 with ECDHE and AEAD suites) failed where the legacy one
    /// succeeded.
    pub modern_failed: bool,
    /// Whether the version set comes from a full scan.
    pub scanned: bool,
}

fn version_code(name: &str) -> Option<u16> {
    match name {
        "TLS 1.0" => Some(0x0301),
        "TLS 1.1" => Some(0x0302),
        "TLS 1.2" => Some(0x0303),
        "TLS 1.3" => Some(0x0304),
        _ => None,
    }
}

/// Gathers version knowledge from the scan and the main handshake.
pub fn knowledge(ev: &Evidence) -> Option<TlsKnowledge> {
    let mut k = TlsKnowledge::default();
    if let Some(scan) = &ev.tls_scan {
        k.scanned = true;
        for v in &scan.versions {
            if v.accepted {
                k.accepted.insert(v.version);
            } else if v.refusal.is_some() {
                k.refused.insert(v.version);
            }
        }
    }
    if let Some(tls) = &ev.tls
        && tls.outcome == TlsOutcome::Established
    {
        if let Some(v) = tls.version.as_deref().and_then(version_code) {
            k.accepted.insert(v);
        }
        if tls.modern_attempt.is_some() {
            k.modern_failed = true;
        }
    }
    (k.scanned || !k.accepted.is_empty()).then_some(k)
}

fn names(set: &BTreeSet<u16>) -> String {
    set.iter().map(|v| rdp_doctor_proto::tls::version_name(*v)).collect::<Vec<_>>().join(", ")
}

pub(super) fn check(ev: &Evidence, out: &mut Vec<Finding>) {
    let Some(k) = knowledge(ev) else { return };
    let legacy_only = !k.accepted.is_empty() && k.accepted.iter().all(|v| *v < 0x0303);
    if legacy_only && (k.scanned || k.modern_failed) {
        let mut e = vec![format!("accepted: {}", names(&k.accepted))];
        if !k.refused.is_empty() {
            e.push(format!("refused: {}", names(&k.refused)));
        }
        if let Some(m) = ev.tls.as_ref().and_then(|t| t.modern_attempt.as_ref()) {
            e.push(format!("a TLS 1.2/1.3 handshake (rustls) ended with {m:?}"));
        }
        out.push(Finding::new(&TLS_LEGACY_ONLY, format!("the server speaks only {}", names(&k.accepted)), e));
    }
    if k.scanned && k.accepted == BTreeSet::from([0x0304]) {
        out.push(Finding::new(
            &TLS_ONLY_TLS13,
            "the server speaks only TLS 1.3",
            vec![format!("refused: {}", names(&k.refused))],
        ));
    }
    if k.scanned && !k.accepted.is_empty() && k.refused.contains(&0x0304) {
        out.push(Finding::new(
            &TLS_NO_TLS13,
            "TLS 1.3 is not offered",
            vec![format!("accepted: {}", names(&k.accepted))],
        ));
    }
    let Some(scan) = &ev.tls_scan else { return };
    let mut broken = Vec::new();
    let mut no_pfs = Vec::new();
    for v in &scan.versions {
        for s in &v.suites {
            match s.weakness.as_deref() {
                Some(w) if w.contains("forward secrecy") => no_pfs.push(format!("{} {}", v.name, s.name)),
                Some(w) => broken.push(format!("{} {}: {w}", v.name, s.name)),
                None => {}
            }
        }
    }
    if !broken.is_empty() {
        out.push(Finding::new(&TLS_WEAK_CIPHERS, format!("{} broken suite(s) accepted", broken.len()), broken));
    }
    if !no_pfs.is_empty() {
        out.push(Finding::new(
            &TLS_NO_FORWARD_SECRECY,
            format!("{} suite(s) without forward secrecy accepted", no_pfs.len()),
            no_pfs,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::evidence::*;

    /// (version, [(suite id, weakness)])
    type Spec<'a> = [(u16, &'a [(u16, Option<&'a str>)])];

    fn scan(versions: &Spec<'_>) -> TlsScan {
        TlsScan {
            versions: [0x0301u16, 0x0302, 0x0303, 0x0304]
                .iter()
                .map(|v| {
                    let suites: Vec<TlsSuite> = versions
                        .iter()
                        .find(|(x, _)| x == v)
                        .map(|(_, s)| {
                            s.iter()
                                .map(|(id, w)| TlsSuite {
                                    id: *id,
                                    name: format!("S{id:04x}"),
                                    weakness: w.map(Into::into),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    TlsVersionResult {
                        version: *v,
                        name: rdp_doctor_proto::tls::version_name(*v),
                        accepted: !suites.is_empty(),
                        refusal: suites.is_empty().then(|| "alert protocol_version (70)".into()),
                        suites,
                        truncated: false,
                    }
                })
                .collect(),
            connections: 10,
            duration_ms: 5,
        }
    }

    fn run(s: TlsScan) -> Vec<&'static str> {
        let mut ev = base();
        ev.tls_scan = Some(s);
        ids(&crate::rules::evaluate(&ev))
    }

    #[test]
    fn legacy_only_server() {
        let f = run(scan(&[(0x0301, &[(0x000a, Some("3DES: 64-bit blocks (Sweet32)")), (0xc014, None)])]));
        assert_eq!(f, vec!["tls.legacy_only", "tls.weak_ciphers", "tls.no_tls13"]);
    }

    #[test]
    fn modern_server() {
        let f = run(scan(&[
            (0x0303, &[(0xc02f, None), (0x009c, Some("RSA key exchange: no forward secrecy"))]),
            (0x0304, &[(0x1301, None)]),
        ]));
        assert_eq!(f, vec!["tls.no_forward_secrecy"]);
    }

    #[test]
    fn tls13_only_server() {
        assert_eq!(run(scan(&[(0x0304, &[(0x1301, None)])])), vec!["tls.only_tls13"]);
    }

    #[test]
    fn legacy_handshake_without_scan() {
        let mut ev = base();
        ev.tls = Some(TlsEvidence {
            stack: "openssl".into(),
            outcome: TlsOutcome::Established,
            server_name: "127.0.0.1".into(),
            version: Some("TLS 1.0".into()),
            cipher_suite: None,
            duration_ms: 1.0,
            timeout_ms: 1000,
            chain: vec![],
            trust: None,
            modern_attempt: Some(TlsOutcome::AlertReceived { description: 70, name: "protocol_version".into() }),
        });
        assert_eq!(ids(&crate::rules::evaluate(&ev)), vec!["tls.legacy_only"]);
    }
}
