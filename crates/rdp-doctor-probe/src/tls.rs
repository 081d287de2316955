//! The TLS handshake on the RDP connection (MS-RDPBCGR 5.4.5.1), with rustls.
//!
//! A recording certificate verifier keeps the whole chain and asks the OS trust store for its verdict,
//! then accepts, so a bad certificate is evidence instead of a dead end and the handshake runs to the end.
//! Handshake signatures are still verified with the real algorithms.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdp_doctor_core::cert::CertInfo;
use rdp_doctor_core::evidence::{TlsEvidence, TlsOutcome, TrustVerdict};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::elapsed_ms;
use crate::tcp::millis;

const STACK: &str = "rustls 0.23 (TLS 1.2/1.3)";
const VERIFIER: &str = "OS trust store (rustls-platform-verifier)";

#[derive(Debug, Default)]
struct Recorded {
    chain: Vec<Vec<u8>>,
    trust: Option<TrustVerdict>,
}

/// The OS trust store's verifier, built once per process: building one loads and parses the whole system
/// store on its first use (milliseconds of CPU), which a fleet scan would otherwise pay per handshake. A
/// long-running process therefore sees trust-store changes only after a restart.
fn platform_verifier() -> Result<Arc<rustls_platform_verifier::Verifier>, String> {
    static PLATFORM: std::sync::OnceLock<Result<Arc<rustls_platform_verifier::Verifier>, String>> =
        std::sync::OnceLock::new();
    PLATFORM
        .get_or_init(|| {
            rustls_platform_verifier::Verifier::new(Arc::new(rustls::crypto::ring::default_provider()))
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
}

#[derive(Debug)]
struct RecordingVerifier {
    platform: Option<Arc<rustls_platform_verifier::Verifier>>,
    platform_error: Option<String>,
    provider: Arc<CryptoProvider>,
    record: Arc<Mutex<Recorded>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let trust = match &self.platform {
            Some(p) => match p.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
                Ok(_) => TrustVerdict { verifier: VERIFIER.to_owned(), trusted: true, error: None },
                Err(e) => {
                    TrustVerdict { verifier: VERIFIER.to_owned(), trusted: false, error: Some(describe_rustls(&e)) }
                }
            },
            None => TrustVerdict {
                verifier: VERIFIER.to_owned(),
                trusted: false,
                error: Some(format!(
                    "no trust store available: {}",
                    self.platform_error.as_deref().unwrap_or("unknown")
                )),
            },
        };
        if let Ok(mut r) = self.record.lock() {
            r.chain = std::iter::once(end_entity).chain(intermediates).map(|c| c.as_ref().to_vec()).collect();
            r.trust = Some(trust);
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// The OS trust store's verdict on a chain (leaf first) for `name`, outside a handshake (used for chains
/// the legacy stack received).
pub fn trust_verdict(chain: &[Vec<u8>], name: &str) -> TrustVerdict {
    let verdict = |trusted: bool, error: Option<String>| TrustVerdict { verifier: VERIFIER.to_owned(), trusted, error };
    let verifier = match platform_verifier() {
        Ok(v) => v,
        Err(e) => return verdict(false, Some(format!("no trust store available: {e}"))),
    };
    let Some((leaf, rest)) = chain.split_first() else { return verdict(false, Some("no certificate".to_owned())) };
    let Ok(server_name) = ServerName::try_from(name.to_owned()) else {
        return verdict(false, Some(format!("{name} is not a name TLS can verify")));
    };
    let leaf = CertificateDer::from(leaf.clone());
    let rest: Vec<CertificateDer<'static>> = rest.iter().map(|c| CertificateDer::from(c.clone())).collect();
    match verifier.verify_server_cert(&leaf, &rest, &server_name, &[], UnixTime::now()) {
        Ok(_) => verdict(true, None),
        Err(e) => verdict(false, Some(describe_rustls(&e))),
    }
}

/// A rustls error in words a human reads (certificate errors by their meaning).
fn describe_rustls(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::Expired | C::ExpiredContext { .. } => "certificate expired".to_owned(),
            C::NotValidYet | C::NotValidYetContext { .. } => "certificate not valid yet".to_owned(),
            C::UnknownIssuer => {
                "issuer not in the trust store (self-signed or private CA, or a missing intermediate)".to_owned()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => "certificate not valid for this name".to_owned(),
            C::Revoked => "certificate revoked".to_owned(),
            C::BadSignature => "bad signature in the chain".to_owned(),
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
                "certificate not valid for server authentication".to_owned()
            }
            other => format!("invalid certificate ({other:?})"),
        },
        other => other.to_string(),
    }
}

/// The outcome of a failed handshake, from the I/O error tokio-rustls returns.
fn failure_outcome(e: &std::io::Error) -> TlsOutcome {
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return match inner {
            rustls::Error::AlertReceived(desc) => {
                let code = u8::from(*desc);
                TlsOutcome::AlertReceived {
                    description: code,
                    name: rdp_doctor_proto::tls::AlertDescription(code)
                        .name()
                        .map_or_else(|| format!("{desc:?}"), str::to_owned),
                }
            }
            other => TlsOutcome::Failed { error: describe_rustls(other) },
        };
    }
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => TlsOutcome::Closed,
        std::io::ErrorKind::ConnectionReset
        | std::io::ErrorKind::ConnectionAborted
        | std::io::ErrorKind::BrokenPipe => TlsOutcome::Reset,
        _ => TlsOutcome::Failed { error: e.to_string() },
    }
}

/// The established TLS stream, for the steps that follow (CredSSP).
pub type TlsStream<S> = tokio_rustls::client::TlsStream<S>;

/// Runs a TLS handshake over `stream` (already past the X.224 exchange), judging certificates against
/// `name`. Returns the evidence, a limitation when the OS trust store could not be consulted, and the
/// stream when the handshake completed.
pub async fn handshake<S>(
    stream: S,
    name: &str,
    timeout: Duration,
) -> (TlsEvidence, Option<String>, Option<TlsStream<S>>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    handshake_alpn(stream, name, timeout, &[]).await
}

/// [`handshake`] offering these ALPN protocols (the RD Gateway probe offers only `http/1.1`).
pub async fn handshake_alpn<S>(
    stream: S,
    name: &str,
    timeout: Duration,
    alpn: &[&[u8]],
) -> (TlsEvidence, Option<String>, Option<TlsStream<S>>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (platform, platform_error) = match platform_verifier() {
        Ok(v) => (Some(v), None),
        Err(e) => (None, Some(e)),
    };
    let limitation = platform_error
        .as_ref()
        .map(|e| format!("The OS trust store could not be loaded ({e}); certificate trust was not judged."));
    let record = Arc::new(Mutex::new(Recorded::default()));
    let verifier =
        Arc::new(RecordingVerifier { platform, platform_error, provider: provider.clone(), record: record.clone() });
    let mut ev = TlsEvidence::pending(STACK, name, millis(timeout));
    let mut config = match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|b| b.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth())
    {
        Ok(mut c) => {
            c.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
            c
        }
        Err(e) => {
            ev.outcome = TlsOutcome::Failed { error: format!("local TLS configuration: {e}") };
            return (ev, limitation, None);
        }
    };
    // Like browsers and curl: with SSLKEYLOGFILE set, the TLS secrets are appended to that file (NSS key
    // log format) so a capture of this check can be decrypted (`rdp-doctor capture FILE --keylog FILE`).
    // rustls' KeyLogFile does nothing when the variable is unset.
    config.key_log = Arc::new(rustls::KeyLogFile::new());
    // A name rustls cannot use for SNI (e.g. with an underscore) is replaced for the handshake only;
    // certificate matching still uses `name`.
    let server_name = ServerName::try_from(name.to_owned()).unwrap_or_else(|_| {
        ServerName::try_from("invalid.invalid").unwrap_or(ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()))
    });
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let start = Instant::now();
    let result = tokio::time::timeout(timeout, connector.connect(server_name, stream)).await;
    ev.duration_ms = elapsed_ms(start);
    let stream = match result {
        Ok(Ok(tls)) => {
            let (_, conn) = tls.get_ref();
            ev.version = conn.protocol_version().map(|v| rdp_doctor_proto::tls::version_name(u16::from(v)));
            ev.cipher_suite = conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite()));
            ev.outcome = TlsOutcome::Established;
            Some(tls)
        }
        Ok(Err(e)) => {
            ev.outcome = failure_outcome(&e);
            None
        }
        Err(_) => {
            ev.outcome = TlsOutcome::TimedOut;
            None
        }
    };
    if let Ok(r) = record.lock() {
        ev.chain = r.chain.iter().map(|der| CertInfo::from_der(der)).collect();
        ev.trust = r.trust.clone();
    }
    (ev, limitation, stream)
}
