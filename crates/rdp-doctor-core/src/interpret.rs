//! From decoded PDUs to evidence values: the one place where a Connection Confirm becomes an
//! [`X224Outcome`] and an MCS Connect Response becomes an [`RdpSecurityOutcome`], so the live probe and the
//! capture reader say the same thing about the same bytes.

use rdp_doctor_proto::mcs::{self, ServerCertificate, ServerSecurity};
use rdp_doctor_proto::nego::Negotiation;
use rdp_doctor_proto::x224::{ConfirmError, decode_connection_confirm};
use rdp_doctor_proto::{sniff, tpkt};

use crate::cert::CertInfo;
use crate::evidence::{NegotiationResult, RdpSecurityOutcome, ServerCertEvidence, X224Outcome};

/// The negotiation part of a confirm, as evidence.
pub fn negotiation_result(n: Option<Negotiation>) -> NegotiationResult {
    match n {
        None => NegotiationResult::Legacy,
        Some(Negotiation::Response { flags, selected }) => NegotiationResult::Selected {
            protocol: selected.0,
            protocol_names: selected.names(),
            flags: flags.0,
            flag_names: flags.names(),
        },
        Some(Negotiation::Failure { code, .. }) => {
            NegotiationResult::Failure { code: code.0, name: code.display_name() }
        }
        Some(Negotiation::Unknown { neg_type, value, .. }) => {
            NegotiationResult::Unknown { neg_type: neg_type.0, value }
        }
    }
}

/// Interprets the server's first bytes after a Connection Request. `None`: more bytes are needed.
pub fn x224_outcome(buf: &[u8]) -> Option<X224Outcome> {
    match decode_connection_confirm(buf) {
        Ok(Some((cc, _))) => Some(X224Outcome::Confirm {
            negotiation: negotiation_result(cc.negotiation),
            anomalies: cc.anomalies.iter().map(ToString::to_string).collect(),
        }),
        Ok(None) => None,
        Err(ConfirmError::Tpkt(tpkt::TpktError::BadVersion { .. })) => {
            Some(X224Outcome::NotRdp { guess: sniff::guess(buf).to_string() })
        }
        Err(e) => Some(X224Outcome::Malformed { error: e.to_string() }),
    }
}

/// The server's security data of an MCS Connect Response (MS-RDPBCGR 2.2.1.4.3), as evidence.
pub fn rdp_security_outcome(sec: ServerSecurity) -> RdpSecurityOutcome {
    RdpSecurityOutcome::Response {
        encryption_method: sec.encryption_method,
        method_names: mcs::encryption_method_names(sec.encryption_method),
        encryption_level: sec.encryption_level,
        level_name: mcs::encryption_level_name(sec.encryption_level),
        server_random_len: sec.server_random_len,
        certificate: sec.certificate.map(server_certificate),
    }
}

fn server_certificate(c: ServerCertificate) -> ServerCertEvidence {
    match c {
        ServerCertificate::Proprietary { rsa_bits, temporary } => {
            ServerCertEvidence::Proprietary { rsa_bits, temporary }
        }
        ServerCertificate::X509 { certs, temporary } => {
            // MS-RDPBCGR 2.2.1.4.3.1: the server's own certificate is the last in the chain; report leaf first.
            ServerCertEvidence::X509 { chain: certs.iter().rev().map(|d| CertInfo::from_der(d)).collect(), temporary }
        }
        ServerCertificate::Unparsed { version, reason, .. } => {
            ServerCertEvidence::Unparsed { version, reason: reason.to_owned() }
        }
    }
}

/// Finds an NTLM message inside a token (raw NTLM, or wrapped in SPNEGO).
pub fn find_ntlm(token: &[u8]) -> Option<&[u8]> {
    let at =
        token.windows(rdp_doctor_proto::ntlm::SIGNATURE.len()).position(|w| w == rdp_doctor_proto::ntlm::SIGNATURE)?;
    token.get(at..)
}

pub fn ntlm_info(c: &rdp_doctor_proto::ntlm::Challenge) -> crate::evidence::NtlmInfo {
    let ti = &c.target_info;
    crate::evidence::NtlmInfo {
        target_name: c.target_name.clone(),
        nb_computer_name: ti.nb_computer_name.clone(),
        nb_domain_name: ti.nb_domain_name.clone(),
        dns_computer_name: ti.dns_computer_name.clone(),
        dns_domain_name: ti.dns_domain_name.clone(),
        dns_tree_name: ti.dns_tree_name.clone(),
        os_version: c.version.map(|v| format!("{}.{}.{}", v.major, v.minor, v.build)),
        os_build: c.version.map(|v| v.build),
        server_time_unix_ms: ti.timestamp.map(rdp_doctor_proto::ntlm::filetime_to_unix_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirm_failure_and_not_rdp() {
        // TPKT len 19 | CC | RDP_NEG_FAILURE HYBRID_REQUIRED_BY_SERVER
        let cc = [3, 0, 0, 19, 14, 0xd0, 0, 0, 0, 0, 0, 3, 0, 8, 0, 5, 0, 0, 0];
        assert!(matches!(
            x224_outcome(&cc),
            Some(X224Outcome::Confirm { negotiation: NegotiationResult::Failure { code: 5, .. }, .. })
        ));
        assert_eq!(x224_outcome(&cc[..18]), None);
        assert!(matches!(x224_outcome(b"SSH-2.0-x\r\n"), Some(X224Outcome::NotRdp { .. })));
    }
}
