//! The MCS Connect Initial / Response exchange on a Standard RDP Security connection, to read the
//! server's security data (MS-RDPBCGR 2.2.1.4.3). Nothing is encrypted yet at this point.

use std::time::{Duration, Instant};

use rdp_doctor_core::evidence::{RdpSecurityEvidence, RdpSecurityOutcome};
use rdp_doctor_proto::hex::hex_prefix;
use rdp_doctor_proto::mcs;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::elapsed_ms;

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
                Ok(Some((sec, _))) => return Ok(rdp_doctor_core::interpret::rdp_security_outcome(sec)),
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
