//! Standard RDP Security rules: the server's GCC security data (MS-RDPBCGR 2.2.1.4.3) and certificate.

use crate::catalogue::{SEC_RDP_PROPRIETARY_CERTIFICATE, SEC_RDP_WEAK_ENCRYPTION};
use crate::evidence::{Evidence, RdpSecurityOutcome, ServerCertEvidence};
use crate::finding::Finding;

pub(super) fn check(ev: &Evidence, out: &mut Vec<Finding>) {
    let Some(r) = &ev.rdp_security else { return };
    let RdpSecurityOutcome::Response {
        encryption_method, method_names, encryption_level, level_name, certificate, ..
    } = &r.outcome
    else {
        return;
    };
    let line = format!(
        "MCS Connect Response: encryptionMethod 0x{encryption_method:08x} ({}), encryptionLevel {encryption_level} ({level_name})",
        method_names.join(" | ")
    );
    let strong = encryption_method & 0x12 != 0; // 128-bit or FIPS
    if *encryption_level <= 1 || !strong {
        let why = match (*encryption_level, strong) {
            (0, _) => "no encryption at all",
            (1, _) => "only client-to-server traffic is encrypted",
            _ => "only 40/56-bit RC4",
        };
        out.push(Finding::new(
            &SEC_RDP_WEAK_ENCRYPTION,
            format!("Standard RDP Security with {why}"),
            vec![line.clone()],
        ));
    }
    if let Some(ServerCertEvidence::Proprietary { rsa_bits, temporary }) = certificate {
        let mut e = vec![
            line,
            format!(
                "server certificate: proprietary (CERT_CHAIN_VERSION_1), {rsa_bits}-bit RSA key{}",
                if *temporary { ", temporary" } else { "" }
            ),
        ];
        if *rsa_bits < 1024 {
            e.push(format!("a {rsa_bits}-bit RSA key can be factored with modest resources"));
        }
        out.push(Finding::new(
            &SEC_RDP_PROPRIETARY_CERTIFICATE,
            "the server's identity cannot be verified under Standard RDP Security",
            e,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::evidence::*;

    fn run(method: u32, level: u32, cert: Option<ServerCertEvidence>) -> Vec<&'static str> {
        let mut ev = base();
        ev.rdp_security = Some(RdpSecurityEvidence {
            outcome: RdpSecurityOutcome::Response {
                encryption_method: method,
                method_names: vec![],
                encryption_level: level,
                level_name: String::new(),
                server_random_len: 32,
                certificate: cert,
            },
            duration_ms: 1.0,
            response_hex: String::new(),
        });
        ids(&crate::rules::evaluate(&ev))
    }

    #[test]
    fn strong_rdp_security_still_unauthenticated() {
        let cert = ServerCertEvidence::Proprietary { rsa_bits: 2048, temporary: false };
        assert_eq!(run(2, 3, Some(cert)), vec!["sec.rdp_proprietary_certificate"]);
    }

    #[test]
    fn weak_encryption() {
        assert_eq!(run(1, 2, None), vec!["sec.rdp_weak_encryption"]);
        assert_eq!(run(2, 1, None), vec!["sec.rdp_weak_encryption"]);
        assert_eq!(run(0, 0, None), vec!["sec.rdp_weak_encryption"]);
        assert!(run(0x10, 4, None).is_empty(), "FIPS is strong");
    }
}
