//! The Windows build's certificate verdict is Windows' own: rustls-platform-verifier asks crypt32
//! (`CertGetCertificateChain`, then `CertVerifyCertificateChainPolicy` with the SSL policy). What Wine 8.0's
//! crypt32 does with it, proved on xrdp with a certificate for `wrong.example.test` that no CA issued:
//!
//! * In a plain prefix the chain ends at an untrusted root (`CERT_E_UNTRUSTEDROOT`, rustls'
//!   `UnknownIssuer`): untrusted, with the same verdict and findings as the Linux build.
//! * With the certificate in the machine's Root store (the registry value `certutil -addstore Root` writes,
//!   `HKLM\Software\Microsoft\SystemCertificates\Root\Certificates\<SHA-1>\Blob`) crypt32 reads it: the
//!   untrusted-root error is gone, the chain ends at a trusted root. Wine then stops at revocation: the
//!   certificate names no CRL or OCSP server, so its revocation status is unknown, and Wine 8's SSL policy
//!   fails that with `CERT_E_REVOCATION_FAILURE` (0x800B010E) although rustls-platform-verifier passes
//!   `CERT_CHAIN_POLICY_IGNORE_ALL_REV_UNKNOWN_FLAGS` (Wine honours only `SECURITY_FLAG_IGNORE_REVOCATION`
//!   of the SSL parameters). Windows honours that flag and reports the chain trusted. So under Wine a
//!   certificate trusted through the Root store still reads as untrusted: a limitation of Wine, stated in
//!   ARCHITECTURE.md; the "trusted" end of this path is not observable here.

use super::*;

/// How the report words rustls' `UnknownIssuer` (`rdp-doctor-probe`'s `tls.rs`).
const UNKNOWN_ISSUER: &str = "issuer not in the trust store";

/// The OS trust verdict (`evidence.tls.trust`) and the finding IDs of a `check --json` run.
fn trust_of(v: &Value) -> (bool, String, Vec<String>) {
    let trust = &v["evidence"]["tls"]["trust"];
    let trusted = trust["trusted"].as_bool().unwrap_or_else(|| panic!("no trust verdict: {v:#}"));
    let error = trust["error"].as_str().unwrap_or_default().to_owned();
    (trusted, error, outline(v).3)
}

#[test]
fn check_asks_the_windows_trust_store() {
    let Some((shared, exe)) = windows("check_asks_the_windows_trust_store") else { return };
    let server = rdp_doctor_lab::xrdp(rdp_doctor_lab::XrdpVariant::OtherNameCert).unwrap();
    let addr = server.addr.to_string();
    let args =
        ["check", addr.as_str(), "--json", "--no-udp", "--no-matrix", "--tls-name", rdp_doctor_lab::OTHER_CERT_NAME];

    // A plain prefix: nobody installed the certificate. The Linux build judges the same.
    let (win, _) = same_check(shared, &exe, "certificate not installed", &args, &[]);
    let (trusted, error, ids) = trust_of(&win);
    assert!(!trusted, "a certificate nobody installed is untrusted: {win:#}");
    // CERT_E_UNTRUSTEDROOT, which rustls-platform-verifier reports as UnknownIssuer.
    assert!(error.contains(UNKNOWN_ISSUER), "crypt32's CERT_E_UNTRUSTEDROOT: {error}");
    assert!(ids.iter().any(|f| f == "cert.untrusted" || f == "cert.self_signed"), "{ids:?}");

    // The certificate in the machine's Root store of a prefix of its own.
    let private = wine::wine().unwrap().private_prefix("trust-store").unwrap();
    private.add_certificate_file("Root", server.certificate.as_deref().unwrap()).unwrap();
    let out = exe_run(&private, &exe, &args, &[]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.describe()));
    let (trusted, error, ids) = trust_of(&v);
    assert!(!error.contains(UNKNOWN_ISSUER), "crypt32 did not read the Root store: {error}\n{}", out.describe());
    // 0x800B010E as the signed 32-bit number Windows' error carries.
    let revocation_failure = format!("{}", 0x800B_010E_u32.cast_signed());
    assert!(
        !trusted && error.contains(&revocation_failure),
        "Wine 8 stops at the unknown revocation status (CERT_E_REVOCATION_FAILURE); if this build of Wine now \
         trusts the chain, as Windows does, update this test and ARCHITECTURE.md: trusted={trusted} \
         error={error} {ids:?}\n{}",
        out.describe()
    );
}
