//! The first CredSSP round trip without credentials (MS-CSSP 3.1.5): a TSRequest carrying an NTLM
//! NEGOTIATE; the server's TSRequest tells its CredSSP version, and its NTLM CHALLENGE tells names, OS
//! version and clock. No AUTHENTICATE is ever sent.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdp_doctor_core::evidence::{CredsspEvidence, CredsspOutcome};
use rdp_doctor_proto::hex::hex_prefix;
use rdp_doctor_proto::{credssp, ntlm};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::elapsed_ms;

pub(crate) fn unix_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Sends TSRequest{version 6, NTLM NEGOTIATE} and reads the answer, bounded by `timeout` and
/// [`credssp::MAX_TS_REQUEST_LEN`].
pub async fn probe<S>(stream: &mut S, timeout: Duration) -> CredsspEvidence
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let request = credssp::encode_nego(credssp::CLIENT_VERSION, &ntlm::encode_negotiate());
    let mut ev = CredsspEvidence {
        client_version: credssp::CLIENT_VERSION,
        outcome: CredsspOutcome::TimedOut,
        server_version: None,
        error_code: None,
        ntlm: None,
        sent_unix_ms: unix_ms(),
        received_unix_ms: 0,
        duration_ms: 0.0,
        response_hex: String::new(),
        mechanisms: None,
    };
    let start = Instant::now();
    let mut buf = Vec::new();
    let result = tokio::time::timeout(timeout, async {
        stream.write_all(&request).await?;
        stream.flush().await?;
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok::<Option<Result<credssp::TsRequest, String>>, std::io::Error>(None);
            }
            buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
            match credssp::decode(&buf) {
                Ok(Some((req, _))) => return Ok(Some(Ok(req))),
                Ok(None) if buf.len() < credssp::MAX_TS_REQUEST_LEN => {}
                Ok(None) => return Ok(Some(Err("answer exceeds the TSRequest size bound".to_owned()))),
                Err(e) => return Ok(Some(Err(e.to_string()))),
            }
        }
    })
    .await;
    ev.received_unix_ms = unix_ms();
    ev.duration_ms = elapsed_ms(start);
    ev.response_hex = hex_prefix(&buf, 48);
    ev.outcome = match result {
        Err(_) => CredsspOutcome::TimedOut,
        Ok(Err(e)) => match e.kind() {
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => CredsspOutcome::Reset,
            std::io::ErrorKind::UnexpectedEof => CredsspOutcome::Closed,
            _ => CredsspOutcome::Failed { error: e.to_string() },
        },
        Ok(Ok(None)) => CredsspOutcome::Closed,
        Ok(Ok(Some(Err(error)))) => CredsspOutcome::NotCredssp { error },
        Ok(Ok(Some(Ok(req)))) => {
            ev.server_version = Some(req.version);
            ev.error_code = req.error_code;
            // What was offered (NTLM, raw) and what the server answered with, read as a capture reads it.
            let mut mechs = rdp_doctor_core::evidence::MechanismReader::default();
            mechs.client(&ntlm::encode_negotiate());
            for t in &req.nego_tokens {
                mechs.server(t);
            }
            ev.mechanisms = Some(mechs.ev);
            let challenge = req
                .nego_tokens
                .iter()
                .filter_map(|t| rdp_doctor_core::interpret::find_ntlm(t))
                .find_map(|m| ntlm::decode_challenge(m).ok());
            match challenge {
                Some(c) => {
                    ev.ntlm = Some(rdp_doctor_core::interpret::ntlm_info(&c));
                    CredsspOutcome::Challenge
                }
                None => CredsspOutcome::OtherTsRequest,
            }
        }
    };
    ev
}
