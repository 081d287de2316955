//! The MCS Connect Initial / Response exchange on a Standard RDP Security connection, to read the
//! server's security data (MS-RDPBCGR 2.2.1.4.3). Nothing is encrypted yet at this point.

use std::time::{Duration, Instant};

use rdp_doctor_core::cert::CertInfo;
use rdp_doctor_core::evidence::{RdpSecurityEvidence, RdpSecurityOutcome, ServerCertEvidence};
use rdp_doctor_proto::hex::hex_prefix;
use rdp_doctor_proto::mcs::{self, ServerCertificate};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::elapsed_ms;

fn certificate(c: ServerCertificate) -> ServerCertEvidence {
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

/// Sends the Connect Initial and reads the Connect Response, bounded by `timeout` and
/// [`mcs::MAX_RESPONSE_LEN`].
pub async fn exchange<S>(stream: &mut S, selected_protocol: u32, timeout: Duration) -> RdpSecurityEvidence
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let start = Instant::now();
    let mut buf = Vec::new();
    let request = match mcs::encode_connect_initial(selected_protocol) {
        Ok(r) => r,
        Err(e) => {
            return RdpSecurityEvidence {
                outcome: RdpSecurityOutcome::Failed { error: e.to_string() },
                duration_ms: 0.0,
                response_hex: String::new(),
            };
        }
    };
    let result = tokio::time::timeout(timeout, async {
        stream.write_all(&request).await?;
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok::<RdpSecurityOutcome, std::io::Error>(RdpSecurityOutcome::Closed);
            }
            buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
            match mcs::decode_connect_response(&buf) {
                Ok(Some((sec, _))) => {
                    return Ok(RdpSecurityOutcome::Response {
                        encryption_method: sec.encryption_method,
                        method_names: mcs::encryption_method_names(sec.encryption_method),
                        encryption_level: sec.encryption_level,
                        level_name: mcs::encryption_level_name(sec.encryption_level),
                        server_random_len: sec.server_random_len,
                        certificate: sec.certificate.map(certificate),
                    });
                }
                Ok(None) if buf.len() < mcs::MAX_RESPONSE_LEN => {}
                Ok(None) => return Ok(RdpSecurityOutcome::Failed { error: "oversized answer".to_owned() }),
                Err(e) => return Ok(RdpSecurityOutcome::Failed { error: e.to_string() }),
            }
        }
    })
    .await;
    let outcome = match result {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => RdpSecurityOutcome::Failed { error: e.to_string() },
        Err(_) => RdpSecurityOutcome::TimedOut,
    };
    RdpSecurityEvidence { outcome, duration_ms: elapsed_ms(start), response_hex: hex_prefix(&buf, 48) }
}
