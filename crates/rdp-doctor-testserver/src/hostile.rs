//! Hostile TLS peers for the fleet tests (issue 21). SCRIPTED: real servers do not misbehave on demand.
//! Each speaks real RDP up to the point of its fault: X.224 Connection Confirm selecting HYBRID, a real TLS
//! handshake (rustls, TLS 1.3 when the client offers it), then
//!
//! - [`TlsFault::ResetInCredssp`]: a reset right after the client's first TSRequest (the CredSSP step);
//! - [`TlsFault::KeyUpdateForever`]: instead of a TSRequest, TLS 1.3 KeyUpdate messages with
//!   `update_requested` (RFC 8446 4.6.3), one every few milliseconds, forever: the post-handshake
//!   renegotiation of TLS 1.3, which the client must answer and which never carries a byte of data.
//!
//! The caller owns the listener and the runtime; [`HostileTls::serve`] serves one accepted connection.

use std::time::Duration;

use rdp_doctor_proto::{credssp, tpkt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{CertSpec, TestServerError};

/// X.224 Connection Confirm with RDP_NEG_RSP selecting PROTOCOL_HYBRID (MS-RDPBCGR 2.2.1.2.1).
const CONFIRM_HYBRID: [u8; 19] = [3, 0, 0, 19, 14, 0xd0, 0, 0, 0, 0, 0, 2, 1, 8, 0, 2, 0, 0, 0];
/// How long a peer keeps misbehaving before it gives up (the client must have left long before).
const MAX_LIFETIME: Duration = Duration::from_secs(30);

/// What the peer does after the TLS handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFault {
    ResetInCredssp,
    KeyUpdateForever,
}

/// A TLS acceptor with a valid self-signed certificate, shared by any number of hostile connections.
#[derive(Clone)]
pub struct HostileTls {
    acceptor: tokio_rustls::TlsAcceptor,
}

impl std::fmt::Debug for HostileTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostileTls").finish_non_exhaustive()
    }
}

impl HostileTls {
    pub fn new() -> Result<Self, TestServerError> {
        let generated = crate::cert::generate(&CertSpec::Valid)?;
        Ok(Self { acceptor: crate::tls_acceptor(&generated)? })
    }

    /// Serves one accepted connection with `fault`; ends when the client leaves or after 30 s.
    pub async fn serve(&self, stream: tokio::net::TcpStream, fault: TlsFault) {
        let _ = tokio::time::timeout(MAX_LIFETIME, self.run(stream, fault)).await;
    }

    async fn run(&self, mut stream: tokio::net::TcpStream, fault: TlsFault) -> std::io::Result<()> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
            match tpkt::frame_len(&buf) {
                Ok(Some(_)) => break,
                Ok(None) if buf.len() < 1024 => {}
                _ => return Ok(()),
            }
        }
        stream.write_all(&CONFIRM_HYBRID).await?;
        let mut tls = self.acceptor.accept(stream).await?;
        match fault {
            TlsFault::ResetInCredssp => {
                let mut req = Vec::new();
                loop {
                    let n = tls.read(&mut chunk).await?;
                    if n == 0 {
                        return Ok(());
                    }
                    req.extend_from_slice(chunk.get(..n).unwrap_or_default());
                    match credssp::decode(&req) {
                        Ok(Some(_)) => break,
                        Ok(None) if req.len() < 8192 => {}
                        _ => break,
                    }
                }
                // A zero linger makes the close a reset (the deprecation is about non-zero lingers).
                #[allow(deprecated)]
                tls.get_ref().0.set_linger(Some(Duration::ZERO))?;
                Ok(())
            }
            TlsFault::KeyUpdateForever => loop {
                // Only TLS 1.3 has KeyUpdate; a TLS 1.2 client gets silence instead.
                if tls.get_mut().1.refresh_traffic_keys().is_ok() {
                    tls.flush().await?;
                }
                // Drain what the client sends (its own KeyUpdates, its TSRequest) so neither side blocks.
                match tokio::time::timeout(Duration::from_millis(5), tls.read(&mut chunk)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => return Ok(()),
                    _ => {}
                }
            },
        }
    }
}
