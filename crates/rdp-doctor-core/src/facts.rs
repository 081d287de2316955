//! The facts of one host in a fleet, read from its evidence in one place: what `scan` writes to CSV, what
//! its summary counts, and what a policy (`policy.rs`) judges. Facts only; no judgement.

use serde::{Deserialize, Serialize};

use crate::evidence::{Evidence, NegotiationResult, TlsOutcome, X224Outcome};

/// PROTOCOL_SSL, PROTOCOL_HYBRID, PROTOCOL_HYBRID_EX (MS-RDPBCGR 2.2.1.1.1).
const SSL: u32 = 0x1;
const NLA_BITS: u32 = 0x2 | 0x8;

/// Whether a host insists on Network Level Authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nla {
    /// Only HYBRID / HYBRID_EX are accepted.
    Required,
    /// NLA is accepted, and so is a protocol without it.
    Offered,
    /// Neither HYBRID nor HYBRID_EX is accepted.
    NotOffered,
}

impl Nla {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::Offered => "offered",
            Self::NotOffered => "not_offered",
        }
    }
}

/// The leaf certificate, as far as a fleet report needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertFacts {
    pub subject: String,
    pub issuer: String,
    /// RFC 3339.
    pub not_after: String,
    pub not_after_unix: i64,
    /// Whole days from the observation to notAfter (negative once expired).
    pub days_left: i64,
    pub self_signed: bool,
    /// The OS trust store's verdict on the chain; `None` when it was not asked.
    pub trusted: Option<bool>,
    /// The name the certificate was matched against, and whether it matched.
    pub name: String,
    pub name_matches: bool,
    pub key_type: String,
    pub key_bits: usize,
    pub sha1_thumbprint: String,
}

/// What one check established about a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFacts {
    /// The address TCP connected to.
    pub address: Option<String>,
    /// TCP connected.
    pub reached: bool,
    /// The protocol the server selected for our full offer.
    pub selected_protocol: Option<u32>,
    /// Protocols accepted when offered alone (the security-layer matrix); `None` without a matrix.
    pub accepted_protocols: Option<Vec<u32>>,
    pub nla: Option<Nla>,
    /// PROTOCOL_RDP (Standard RDP Security) accepted; `None` when not known.
    pub rdp_security: Option<bool>,
    /// TLS versions known to be accepted ("TLS 1.2"), lowest first.
    pub tls_versions: Vec<String>,
    /// Every version was tried (`--deep`); otherwise only the negotiated one is known.
    pub tls_versions_enumerated: bool,
    pub cert: Option<CertFacts>,
    pub ntlm_computer: Option<String>,
    pub ntlm_domain: Option<String>,
    /// "major.minor.build" from the NTLM VERSION structure.
    pub os_version: Option<String>,
    pub os_build: Option<u16>,
}

/// The version number of a "TLS 1.2"-style name, for ordering (`SSL 3.0` < `TLS 1.0` < … < `TLS 1.3`).
pub fn tls_version_rank(name: &str) -> Option<u8> {
    match name.trim() {
        "SSL 3.0" | "SSLv3" | "3.0" => Some(0),
        "TLS 1.0" | "1.0" => Some(1),
        "TLS 1.1" | "1.1" => Some(2),
        "TLS 1.2" | "1.2" => Some(3),
        "TLS 1.3" | "1.3" => Some(4),
        _ => None,
    }
}

impl HostFacts {
    /// Reads the facts from one check's evidence.
    pub fn from_evidence(ev: &Evidence) -> Self {
        let connected = ev.tcp.as_ref().and_then(|t| t.connected());
        let selected_protocol = match ev.x224.as_ref().map(|x| &x.outcome) {
            Some(X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol, .. }, .. }) => {
                Some(*protocol)
            }
            Some(X224Outcome::Confirm { negotiation: NegotiationResult::Legacy, .. }) => Some(0),
            _ => None,
        };
        // The matrix only counts when at least one probe got an X.224 answer.
        let accepted_protocols = ev
            .security_matrix
            .as_ref()
            .filter(|m| m.iter().any(answered))
            .map(|m| m.iter().filter(|p| p.accepted).map(|p| p.protocol).collect::<Vec<u32>>());
        let (nla, rdp_security) = match &accepted_protocols {
            Some(acc) if !acc.is_empty() => {
                let with = acc.iter().any(|p| p & NLA_BITS != 0);
                let without = acc.iter().any(|p| p & NLA_BITS == 0);
                let nla = match (with, without) {
                    (true, false) => Nla::Required,
                    (true, true) => Nla::Offered,
                    _ => Nla::NotOffered,
                };
                (Some(nla), Some(acc.contains(&0)))
            }
            _ => (None, None),
        };
        let mut tls_versions: Vec<String> = Vec::new();
        let mut enumerated = false;
        if let Some(scan) = &ev.tls_scan {
            enumerated = true;
            tls_versions.extend(scan.versions.iter().filter(|v| v.accepted).map(|v| v.name.clone()));
        }
        if let Some(v) =
            ev.tls.as_ref().filter(|t| t.outcome == TlsOutcome::Established).and_then(|t| t.version.clone())
            && !tls_versions.contains(&v)
        {
            tls_versions.push(v);
        }
        tls_versions.sort_by_key(|v| tls_version_rank(v));
        let cert = ev.tls.as_ref().and_then(|t| {
            let leaf = t.chain.first().filter(|c| c.parse_error.is_none())?;
            Some(CertFacts {
                subject: leaf.subject.clone(),
                issuer: leaf.issuer.clone(),
                not_after: leaf.not_after.clone(),
                not_after_unix: leaf.not_after_unix,
                days_left: leaf.days_left(ev.observed_at_unix),
                self_signed: leaf.self_signed,
                trusted: t.trust.as_ref().map(|v| v.trusted),
                name: t.server_name.clone(),
                name_matches: leaf.matches_name(&t.server_name).matched,
                key_type: leaf.key_type.clone(),
                key_bits: leaf.key_bits,
                sha1_thumbprint: leaf.sha1_thumbprint.clone(),
            })
        });
        let ntlm = ev.credssp.as_ref().and_then(|c| c.ntlm.as_ref());
        Self {
            address: connected.map(|a| a.addr.ip().to_string()),
            reached: connected.is_some(),
            selected_protocol,
            accepted_protocols,
            nla,
            rdp_security,
            tls_versions,
            tls_versions_enumerated: enumerated,
            cert,
            ntlm_computer: ntlm.and_then(|n| n.dns_computer_name.clone().or_else(|| n.nb_computer_name.clone())),
            ntlm_domain: ntlm.and_then(|n| n.dns_domain_name.clone().or_else(|| n.nb_domain_name.clone())),
            os_version: ntlm.and_then(|n| n.os_version.clone()),
            os_build: ntlm.and_then(|n| n.os_build),
        }
    }

    /// Whether TLS 1.0/1.1 are the only versions seen (with a full enumeration, or a negotiated legacy
    /// version: a server that could do better would have).
    pub fn legacy_tls_only(&self) -> bool {
        !self.tls_versions.is_empty() && self.tls_versions.iter().all(|v| tls_version_rank(v).is_some_and(|r| r <= 2))
    }

    /// The selected protocol by name (`PROTOCOL_HYBRID`).
    pub fn selected_name(&self) -> Option<String> {
        self.selected_protocol.map(|p| rdp_doctor_proto::nego::SecurityProtocol(p).names().join("|"))
    }

    /// TLS without NLA is accepted (PROTOCOL_SSL alone).
    pub fn accepts_tls_without_nla(&self) -> Option<bool> {
        self.accepted_protocols.as_ref().map(|a| a.contains(&SSL))
    }
}

fn answered(p: &crate::evidence::ProtocolProbe) -> bool {
    matches!(&p.outcome, crate::evidence::ProbeOutcome::Exchange { outcome: X224Outcome::Confirm { .. } })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::evidence::{ProbeOutcome, ProtocolProbe, Target};

    fn probe(protocol: u32, accepted: bool) -> ProtocolProbe {
        let negotiation = if accepted {
            NegotiationResult::Selected { protocol, protocol_names: vec![], flags: 0, flag_names: vec![] }
        } else {
            NegotiationResult::Failure { code: 5, name: "HYBRID_REQUIRED_BY_SERVER".into() }
        };
        ProtocolProbe {
            protocol,
            name: String::new(),
            accepted,
            outcome: ProbeOutcome::Exchange { outcome: X224Outcome::Confirm { negotiation, anomalies: vec![] } },
            duration_ms: 1.0,
            from_main_offer: None,
        }
    }

    fn ev(matrix: Vec<ProtocolProbe>) -> Evidence {
        let mut e = Evidence::new(Target { input: "h".into(), host: "h".into(), port: 3389, ip: None }, 0);
        e.security_matrix = Some(matrix);
        e
    }

    #[test]
    fn nla_from_the_matrix() {
        let only_nla = ev(vec![probe(0, false), probe(1, false), probe(2, true), probe(8, true)]);
        let f = HostFacts::from_evidence(&only_nla);
        assert_eq!(f.nla, Some(Nla::Required));
        assert_eq!(f.rdp_security, Some(false));
        let everything = ev(vec![probe(0, true), probe(1, true), probe(2, true), probe(8, false)]);
        let f = HostFacts::from_evidence(&everything);
        assert_eq!((f.nla, f.rdp_security, f.accepts_tls_without_nla()), (Some(Nla::Offered), Some(true), Some(true)));
        let tls_only = ev(vec![probe(0, false), probe(1, true), probe(2, false), probe(8, false)]);
        assert_eq!(HostFacts::from_evidence(&tls_only).nla, Some(Nla::NotOffered));
    }

    #[test]
    fn unanswered_matrix_is_unknown_not_a_verdict() {
        let mut e = ev(vec![]);
        e.security_matrix = Some(vec![ProtocolProbe {
            protocol: 2,
            name: String::new(),
            accepted: false,
            outcome: ProbeOutcome::Connect { detail: "refused".into() },
            duration_ms: 0.0,
            from_main_offer: None,
        }]);
        let f = HostFacts::from_evidence(&e);
        assert_eq!((f.nla, f.rdp_security, f.accepted_protocols), (None, None, None));
        assert!(!f.reached);
    }

    #[test]
    fn legacy_only() {
        let mut f = HostFacts::from_evidence(&ev(vec![]));
        f.tls_versions = vec!["TLS 1.0".into(), "TLS 1.1".into()];
        assert!(f.legacy_tls_only());
        f.tls_versions.push("TLS 1.2".into());
        assert!(!f.legacy_tls_only());
        f.tls_versions.clear();
        assert!(!f.legacy_tls_only());
    }
}
