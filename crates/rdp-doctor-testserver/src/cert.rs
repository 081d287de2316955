//! Self-signed certificate generation for the test server.
//!
//! With Enhanced RDP Security (MS-RDPBCGR 5.4.5) the server authenticates
//! itself with the certificate of the TLS handshake. A Windows host presents,
//! unless configured otherwise, a self-signed certificate whose subject CN is
//! the machine name and whose extended key usage is serverAuth
//! (1.3.6.1.5.5.7.3.1). The certificates generated here imitate that shape so
//! the diagnosis code sees the same kind of leaf it meets in the field, with
//! a validity window chosen by [`CertSpec`].

use rcgen::{CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
use time::{Duration, OffsetDateTime};

use crate::{CertSpec, TestServerError};

/// The default names put in the certificate (unless [`CertSpec::OtherName`]).
pub(crate) const DEFAULT_DNS_NAME: &str = "localhost";
/// The default IP subject alternative name.
pub(crate) const DEFAULT_IP: &str = "127.0.0.1";

/// A generated leaf certificate and the material the server needs from it.
pub(crate) struct GeneratedCert {
    /// DER encoding of the X.509 certificate (what the TLS handshake presents).
    pub(crate) cert_der: Vec<u8>,
    /// PKCS#8 DER encoding of the private key.
    pub(crate) key_pkcs8_der: Vec<u8>,
    /// Contents of the certificate's `subjectPublicKey` BIT STRING.
    ///
    /// CredSSP binds the authentication to the TLS channel by having both
    /// sides encrypt/hash exactly these bytes (MS-CSSP 3.1.5 "pubKeyAuth"),
    /// so the acceptor needs them for HYBRID / HYBRID_EX.
    pub(crate) public_key: Vec<u8>,
}

/// Generates a fresh key pair and a self-signed certificate according to `spec`.
///
/// The key is ECDSA P-256 with SHA-256 (rcgen's default): the `ring` backend
/// this workspace uses cannot generate RSA keys. Clients accept ECDSA leaf
/// certificates for RDP over TLS 1.2 and 1.3, and CredSSP only hashes the raw
/// public key bytes, so the key type does not affect the handshake.
pub(crate) fn generate(spec: &CertSpec) -> Result<GeneratedCert, TestServerError> {
    let now = OffsetDateTime::now_utc();
    let day = Duration::days(1);

    let (names, common_name) = match spec {
        CertSpec::OtherName(name) => (vec![name.clone()], name.clone()),
        CertSpec::ExpiredYesterday | CertSpec::Valid | CertSpec::NotYetValid => {
            (vec![DEFAULT_DNS_NAME.to_owned(), DEFAULT_IP.to_owned()], DEFAULT_DNS_NAME.to_owned())
        }
        CertSpec::Subject { common_name, .. } => {
            (vec![DEFAULT_DNS_NAME.to_owned(), DEFAULT_IP.to_owned()], common_name.clone())
        }
    };

    // `CertificateParams::new` turns strings that parse as IP addresses into
    // iPAddress SANs and everything else into dNSName SANs.
    let mut params = CertificateParams::new(names).map_err(TestServerError::Certificate)?;

    let (not_before, not_after) = match spec {
        // Expired exactly one day ago, after a year of validity.
        CertSpec::ExpiredYesterday => (now - day * 366, now - day),
        // Becomes valid tomorrow.
        CertSpec::NotYetValid => (now + day, now + day * 366),
        // Started yesterday (tolerates small clock skew), valid for a year.
        CertSpec::Valid | CertSpec::OtherName(_) | CertSpec::Subject { .. } => (now - day, now + day * 365),
    };
    params.not_before = not_before;
    params.not_after = not_after;

    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    if let CertSpec::Subject { organization, .. } = spec {
        dn.push(DnType::OrganizationName, organization.clone());
    }
    params.distinguished_name = dn;
    params.is_ca = IsCa::NoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];

    let key_pair = KeyPair::generate().map_err(TestServerError::Certificate)?;
    let cert = params.self_signed(&key_pair).map_err(TestServerError::Certificate)?;

    Ok(GeneratedCert {
        cert_der: cert.der().to_vec(),
        key_pkcs8_der: key_pair.serialize_der(),
        public_key: key_pair.public_key_raw().to_vec(),
    })
}
