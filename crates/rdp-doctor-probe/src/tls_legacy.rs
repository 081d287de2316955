//! The legacy TLS path: OpenSSL with `@SECLEVEL=0`, TLS 1.0 to 1.2 and every suite, for servers rustls
//! cannot talk to (Windows Server 2008 R2 / 2012 era hosts with TLS 1.0 only, or only CBC/RSA suites), so
//! the certificate and CredSSP checks still work there.

use std::pin::Pin;
use std::time::{Duration, Instant};

use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode, SslVersion};
use rdp_doctor_core::cert::CertInfo;
use rdp_doctor_core::evidence::{TlsEvidence, TlsOutcome};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::elapsed_ms;
use crate::tcp::millis;

/// The established legacy TLS stream.
pub type LegacyStream<S> = tokio_openssl::SslStream<S>;

const STACK: &str = "OpenSSL (legacy: TLS 1.0-1.2, @SECLEVEL=0)";

fn connector() -> Result<SslConnector, openssl::error::ErrorStack> {
    let mut b = SslConnector::builder(SslMethod::tls_client())?;
    b.set_min_proto_version(Some(SslVersion::TLS1))?;
    b.set_max_proto_version(Some(SslVersion::TLS1_2))?;
    b.set_cipher_list("ALL:@SECLEVEL=0")?;
    b.set_verify(SslVerifyMode::NONE);
    Ok(b.build())
}

/// Handshakes over `stream` with OpenSSL; `modern` is what the rustls attempt saw.
pub async fn handshake<S>(
    stream: S,
    name: &str,
    timeout: Duration,
    modern: TlsOutcome,
) -> (TlsEvidence, Option<LegacyStream<S>>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut ev = TlsEvidence { modern_attempt: Some(modern), ..TlsEvidence::pending(STACK, name, millis(timeout)) };
    let ssl = connector().and_then(|c| {
        let mut cfg = c.configure()?;
        cfg.set_verify_hostname(false);
        cfg.set_use_server_name_indication(name.parse::<std::net::IpAddr>().is_err());
        cfg.into_ssl(name)
    });
    let mut tls = match ssl.and_then(|ssl| tokio_openssl::SslStream::new(ssl, stream)) {
        Ok(s) => s,
        Err(e) => {
            ev.outcome = TlsOutcome::Failed { error: format!("local OpenSSL configuration: {e}") };
            return (ev, None);
        }
    };
    let start = Instant::now();
    let result = tokio::time::timeout(timeout, Pin::new(&mut tls).connect()).await;
    ev.duration_ms = elapsed_ms(start);
    match result {
        Ok(Ok(())) => {
            let ssl = tls.ssl();
            ev.version = Some(
                match ssl.version_str() {
                    "TLSv1" => "TLS 1.0",
                    "TLSv1.1" => "TLS 1.1",
                    "TLSv1.2" => "TLS 1.2",
                    "TLSv1.3" => "TLS 1.3",
                    other => other,
                }
                .to_owned(),
            );
            ev.cipher_suite = ssl.current_cipher().map(|c| c.standard_name().unwrap_or(c.name()).to_owned());
            let mut ders: Vec<Vec<u8>> = Vec::new();
            if let Some(chain) = ssl.peer_cert_chain() {
                ders.extend(chain.iter().filter_map(|c| c.to_der().ok()));
            } else if let Some(c) = ssl.peer_certificate() {
                ders.extend(c.to_der().ok());
            }
            ev.trust = Some(crate::tls::trust_verdict(&ders, name));
            ev.chain = ders.iter().map(|d| CertInfo::from_der(d)).collect();
            ev.outcome = TlsOutcome::Established;
            (ev, Some(tls))
        }
        Ok(Err(e)) => {
            ev.outcome = match e.io_error().map(std::io::Error::kind) {
                Some(std::io::ErrorKind::ConnectionReset) => TlsOutcome::Reset,
                Some(std::io::ErrorKind::UnexpectedEof) => TlsOutcome::Closed,
                _ => TlsOutcome::Failed { error: e.to_string() },
            };
            (ev, None)
        }
        Err(_) => (ev, None),
    }
}
