//! X.509 certificate facts (RFC 5280) and host name matching (RFC 6125), from DER bytes.
//!
//! Expired, self-signed and odd certificates parse fine: they are the evidence we are after. A certificate
//! that does not parse at all is described by its size and the parser's error.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use x509_parser::prelude::*;

/// MS-RDPBCGR / Windows: the "Remote Desktop Authentication" EKU (szOID_RDP_AUTHENTICATION... 1.3.6.1.4.1.311.54.1.2).
pub const OID_EKU_RDP_AUTH: &str = "1.3.6.1.4.1.311.54.1.2";
/// RFC 5280 id-kp-serverAuth.
pub const OID_EKU_SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";

/// What a certificate says, in plain values.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// Serial number, hex with colons.
    pub serial: String,
    pub not_before_unix: i64,
    pub not_after_unix: i64,
    /// RFC 3339 renderings of the two validity bounds.
    pub not_before: String,
    pub not_after: String,
    /// Subject and issuer are equal and the signature verifies with the certificate's own key.
    pub self_signed: bool,
    /// "RSA", "EC", "DSA", or the algorithm OID.
    pub key_type: String,
    pub key_bits: usize,
    /// Signature algorithm name (e.g. "sha256WithRSAEncryption").
    pub signature_algorithm: String,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
    /// The subject's common names.
    pub common_names: Vec<String>,
    /// Extended key usages by name ("serverAuth", "rdpAuthentication", or OID). Empty when there is no EKU
    /// extension (any usage allowed).
    pub ekus: Vec<String>,
    pub is_ca: bool,
    /// SHA-256 of the DER, hex (what `certutil` and browsers show as the fingerprint).
    pub sha256: String,
    /// SHA-1 thumbprint, hex uppercase: what Windows uses in `SSLCertificateSHA1Hash` and the cert store.
    pub sha1_thumbprint: String,
    /// Set when parsing failed; the other fields are then empty.
    pub parse_error: Option<String>,
}

/// How a host name matched (or did not) the certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameMatch {
    pub matched: bool,
    /// Which entry matched ("SAN DNS:*.corp.example"), or what was compared.
    pub detail: String,
}

fn hex(bytes: &[u8], sep: &str, upper: bool) -> String {
    bytes.iter().map(|b| if upper { format!("{b:02X}") } else { format!("{b:02x}") }).collect::<Vec<_>>().join(sep)
}

fn rfc3339(unix: i64) -> String {
    ::time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&::time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| format!("@{unix}"))
}

fn eku_name(oid: &str) -> String {
    match oid {
        OID_EKU_SERVER_AUTH => "serverAuth".to_owned(),
        OID_EKU_RDP_AUTH => "rdpAuthentication".to_owned(),
        "1.3.6.1.5.5.7.3.2" => "clientAuth".to_owned(),
        "2.5.29.37.0" => "anyExtendedKeyUsage".to_owned(),
        other => other.to_owned(),
    }
}

fn signature_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "ed25519",
        other => return other.to_owned(),
    }
    .to_owned()
}

impl CertInfo {
    /// Describes a DER certificate. Never fails: an unparsable certificate yields `parse_error`.
    pub fn from_der(der: &[u8]) -> Self {
        let sha256 = hex(&Sha256::digest(der), "", false);
        let sha1_thumbprint = hex(&sha1::Sha1::digest(der), "", true);
        match X509Certificate::from_der(der) {
            Ok((_, cert)) => Self::from_parsed(&cert, sha256, sha1_thumbprint),
            Err(e) => Self {
                subject: String::new(),
                issuer: String::new(),
                serial: String::new(),
                not_before_unix: 0,
                not_after_unix: 0,
                not_before: String::new(),
                not_after: String::new(),
                self_signed: false,
                key_type: String::new(),
                key_bits: 0,
                signature_algorithm: String::new(),
                dns_names: Vec::new(),
                ip_addresses: Vec::new(),
                common_names: Vec::new(),
                ekus: Vec::new(),
                is_ca: false,
                sha256,
                sha1_thumbprint,
                parse_error: Some(format!("{} bytes of DER that do not parse as X.509: {e}", der.len())),
            },
        }
    }

    fn from_parsed(cert: &X509Certificate<'_>, sha256: String, sha1_thumbprint: String) -> Self {
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(n) => dns_names.push((*n).to_owned()),
                    GeneralName::IPAddress(b) => {
                        if let Ok(v4) = <[u8; 4]>::try_from(*b) {
                            ip_addresses.push(IpAddr::from(v4));
                        } else if let Ok(v6) = <[u8; 16]>::try_from(*b) {
                            ip_addresses.push(IpAddr::from(v6));
                        }
                    }
                    _ => {}
                }
            }
        }
        let common_names =
            cert.subject().iter_common_name().filter_map(|cn| cn.as_str().ok()).map(str::to_owned).collect();
        let mut ekus = Vec::new();
        if let Ok(Some(eku)) = cert.extended_key_usage() {
            let e = &eku.value;
            for (set, name) in [
                (e.any, "anyExtendedKeyUsage"),
                (e.server_auth, "serverAuth"),
                (e.client_auth, "clientAuth"),
                (e.code_signing, "codeSigning"),
                (e.email_protection, "emailProtection"),
                (e.time_stamping, "timeStamping"),
                (e.ocsp_signing, "OCSPSigning"),
            ] {
                if set {
                    ekus.push(name.to_owned());
                }
            }
            ekus.extend(e.other.iter().map(|oid| eku_name(&oid.to_id_string())));
        }
        let (key_type, key_bits) = match cert.public_key().parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(k)) => ("RSA".to_owned(), k.key_size()),
            Ok(x509_parser::public_key::PublicKey::EC(k)) => ("EC".to_owned(), k.key_size()),
            Ok(x509_parser::public_key::PublicKey::DSA(k)) => ("DSA".to_owned(), k.len() * 8),
            _ => (cert.public_key().algorithm.algorithm.to_id_string(), 0),
        };
        let subject = cert.subject().to_string();
        let issuer = cert.issuer().to_string();
        let self_signed = subject == issuer && cert.verify_signature(None).is_ok();
        let not_before_unix = cert.validity().not_before.timestamp();
        let not_after_unix = cert.validity().not_after.timestamp();
        Self {
            subject,
            issuer,
            serial: hex(cert.raw_serial(), ":", false),
            not_before_unix,
            not_after_unix,
            not_before: rfc3339(not_before_unix),
            not_after: rfc3339(not_after_unix),
            self_signed,
            key_type,
            key_bits,
            signature_algorithm: signature_name(&cert.signature_algorithm.algorithm.to_id_string()),
            dns_names,
            ip_addresses,
            common_names,
            ekus,
            is_ca: cert.is_ca(),
            sha256,
            sha1_thumbprint,
            parse_error: None,
        }
    }

    /// Whole days until `notAfter` from `now` (negative once expired; floor division).
    pub fn days_left(&self, now_unix: i64) -> i64 {
        (self.not_after_unix - now_unix).div_euclid(86_400)
    }

    /// Whether the certificate is fit for RDP server authentication by EKU: no EKU extension, or one of
    /// serverAuth, Remote Desktop Authentication, anyExtendedKeyUsage.
    pub fn eku_allows_rdp(&self) -> bool {
        self.ekus.is_empty()
            || self.ekus.iter().any(|e| e == "serverAuth" || e == "rdpAuthentication" || e == "anyExtendedKeyUsage")
    }

    /// RFC 6125 matching of `host` against the SANs (DNS and IP), falling back to the subject CN only when
    /// the certificate has no DNS SAN (as Windows' client does). Wildcards match one left-most label.
    pub fn matches_name(&self, host: &str) -> NameMatch {
        let host = host.trim_end_matches('.');
        if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            if let Some(found) = self.ip_addresses.iter().find(|a| **a == ip) {
                return NameMatch { matched: true, detail: format!("SAN IP:{found}") };
            }
            if let Some(cn) = self.common_names.iter().find(|cn| cn.parse::<IpAddr>().ok() == Some(ip)) {
                return NameMatch { matched: true, detail: format!("subject CN={cn}") };
            }
            return NameMatch { matched: false, detail: format!("{ip} is not among {}", self.names_summary()) };
        }
        for pattern in &self.dns_names {
            if dns_name_matches(pattern, host) {
                return NameMatch { matched: true, detail: format!("SAN DNS:{pattern}") };
            }
        }
        if self.dns_names.is_empty() {
            for cn in &self.common_names {
                if dns_name_matches(cn, host) {
                    return NameMatch { matched: true, detail: format!("subject CN={cn} (no DNS SAN)") };
                }
            }
        }
        NameMatch { matched: false, detail: format!("{host} is not among {}", self.names_summary()) }
    }

    /// The names the certificate is valid for, for messages.
    pub fn names_summary(&self) -> String {
        let mut names: Vec<String> = self.dns_names.iter().map(|n| format!("DNS:{n}")).collect();
        names.extend(self.ip_addresses.iter().map(|a| format!("IP:{a}")));
        if names.is_empty() {
            names.extend(self.common_names.iter().map(|c| format!("CN={c}")));
        }
        if names.is_empty() {
            "no names at all".to_owned()
        } else {
            format!("the certificate's names ({})", names.join(", "))
        }
    }
}

/// Case-insensitive DNS name comparison with a single left-most `*` label (RFC 6125 §6.4.3).
pub fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(rest) => match host.split_once('.') {
            Some((label, host_rest)) => !label.is_empty() && host_rest == rest && rest.contains('.'),
            None => false,
        },
        None => pattern == host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_rules() {
        assert!(dns_name_matches("*.corp.example", "rds1.corp.example"));
        assert!(dns_name_matches("RDS1.corp.example", "rds1.CORP.example"));
        assert!(!dns_name_matches("*.corp.example", "a.b.corp.example"));
        assert!(!dns_name_matches("*.corp.example", "corp.example"));
        assert!(!dns_name_matches("*.example", "host.example"), "wildcard over a single-label suffix");
        assert!(!dns_name_matches("rds1.corp.example", "rds2.corp.example"));
    }

    fn generated(names: &[&str], days_valid: (i64, i64)) -> CertInfo {
        let mut params = rcgen::CertificateParams::new(names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
            .unwrap_or_else(|_| unreachable!());
        let now = ::time::OffsetDateTime::now_utc();
        params.not_before = now + ::time::Duration::days(days_valid.0);
        params.not_after = now + ::time::Duration::days(days_valid.1);
        params.distinguished_name.push(rcgen::DnType::CommonName, "rdp-test");
        let key = rcgen::KeyPair::generate().unwrap_or_else(|_| unreachable!());
        let cert = params.self_signed(&key).unwrap_or_else(|_| unreachable!());
        CertInfo::from_der(cert.der())
    }

    #[test]
    fn describes_expired_self_signed_certificate() {
        let info = generated(&["localhost", "127.0.0.1"], (-30, -1));
        assert_eq!(info.parse_error, None);
        assert!(info.self_signed);
        assert_eq!(info.dns_names, vec!["localhost".to_owned()]);
        assert_eq!(info.ip_addresses, vec!["127.0.0.1".parse::<IpAddr>().unwrap_or_else(|_| unreachable!())]);
        assert_eq!(info.common_names, vec!["rdp-test".to_owned()]);
        let now = ::time::OffsetDateTime::now_utc().unix_timestamp();
        assert!(info.days_left(now) < 0);
        assert_eq!(info.key_type, "EC");
        assert_eq!(info.signature_algorithm, "ecdsa-with-SHA256");
        assert_eq!(info.sha1_thumbprint.len(), 40);
    }

    #[test]
    fn name_matching_uses_sans() {
        let info = generated(&["rds.corp.example", "10.1.2.3"], (-1, 100));
        assert!(info.matches_name("RDS.corp.example.").matched);
        assert!(info.matches_name("10.1.2.3").matched);
        let miss = info.matches_name("other.corp.example");
        assert!(!miss.matched);
        assert!(miss.detail.contains("DNS:rds.corp.example"), "{}", miss.detail);
        // The CN is not consulted when a DNS SAN exists.
        assert!(!info.matches_name("rdp-test").matched);
    }

    #[test]
    fn garbage_is_described_not_fatal() {
        let info = CertInfo::from_der(&[0x30, 0x03, 0x01, 0x01]);
        assert!(info.parse_error.is_some());
        assert_eq!(info.sha256.len(), 64);
    }
}
