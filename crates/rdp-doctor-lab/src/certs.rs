//! Test certificates generated with rcgen.
//!
//! rcgen (with its default `ring` backend) generates ECDSA P-256 keys. xrdp
//! 0.9.21 loads them fine with OpenSSL 3 and completes TLS with them (checked
//! with `xfreerdp /sec:tls` and with rustls in the tests), so we do not need
//! RSA keys for our purposes.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rcgen::{CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
use time::{Duration, OffsetDateTime};

use crate::LabError;

/// Paths of a PEM certificate and its PEM private key.
#[derive(Debug, Clone)]
pub(crate) struct CertFiles {
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

/// Writes a self-signed server certificate for `name` (CN and DNS SAN)
/// valid from `not_before` to `not_after` into `dir/cert.pem` and
/// `dir/key.pem` (mode 0600).
pub(crate) fn write_self_signed(
    dir: &Path,
    name: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Result<CertFiles, LabError> {
    let cert_err = |e: rcgen::Error| LabError::Cert(e.to_string());
    let mut params = CertificateParams::new(vec![name.to_owned()]).map_err(cert_err)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.not_before = not_before;
    params.not_after = not_after;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().map_err(cert_err)?;
    let cert = params.self_signed(&key).map_err(cert_err)?;

    let files = CertFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
    write_file(&files.cert, cert.pem().as_bytes(), 0o644)?;
    write_file(&files.key, key.serialize_pem().as_bytes(), 0o600)?;
    Ok(files)
}

/// A certificate for `localhost` whose validity ended yesterday (it was
/// issued 30 days ago).
pub(crate) fn expired_localhost(dir: &Path) -> Result<CertFiles, LabError> {
    let now = OffsetDateTime::now_utc();
    write_self_signed(dir, "localhost", now - Duration::days(30), now - Duration::days(1))
}

/// A currently valid certificate for `name` only, valid for a year (so it is not "expiring soon").
pub(crate) fn valid_for(dir: &Path, name: &str) -> Result<CertFiles, LabError> {
    let now = OffsetDateTime::now_utc();
    write_self_signed(dir, name, now - Duration::days(1), now + Duration::days(365))
}

pub(crate) fn write_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), LabError> {
    let ctx = || format!("writing {}", path.display());
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .map_err(|e| LabError::io(ctx(), e))?;
    f.write_all(contents).map_err(|e| LabError::io(ctx(), e))
}
