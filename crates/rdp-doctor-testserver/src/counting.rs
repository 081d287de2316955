//! Counts authentication attempts as the server sees them, so tests can prove a client made exactly one:
//! every NTLM AUTHENTICATE message (MS-NLMP 2.2.1.3: `NTLMSSP\0` then MessageType 3) read inside CredSSP,
//! and every Client Info PDU processed on a connection without CredSSP (its credentials are the logon).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// `NTLMSSP\0` followed by MessageType 3 (little-endian u32): an NTLM AUTHENTICATE message.
const AUTHENTICATE: &[u8; 12] = b"NTLMSSP\0\x03\0\0\0";

/// A stream that scans what the client sends for NTLM AUTHENTICATE messages.
pub(crate) struct CountingStream<S> {
    inner: S,
    attempts: Arc<AtomicUsize>,
    /// The last bytes of the previous read, so a signature split across reads is still found.
    tail: Vec<u8>,
}

impl<S> CountingStream<S> {
    pub(crate) fn new(inner: S, attempts: Arc<AtomicUsize>) -> Self {
        Self { inner, attempts, tail: Vec::new() }
    }

    fn scan(&mut self, fresh: &[u8]) {
        let mut window = std::mem::take(&mut self.tail);
        window.extend_from_slice(fresh);
        let found = window.windows(AUTHENTICATE.len()).filter(|w| *w == AUTHENTICATE).count();
        self.attempts.fetch_add(found, Ordering::SeqCst);
        let keep = window.len().min(AUTHENTICATE.len() - 1);
        self.tail = window.split_off(window.len() - keep);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for CountingStream<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &result {
            let fresh = buf.filled().get(before..).unwrap_or_default().to_vec();
            self.scan(&fresh);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CountingStream<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_signatures_split_across_reads() {
        let n = Arc::new(AtomicUsize::new(0));
        let mut s = CountingStream::new((), n.clone());
        s.scan(b"xxNTLMSSP\0\x03");
        s.scan(b"\0\0\0yyNTLMSSP\0\x02\0\0\0");
        assert_eq!(n.load(Ordering::SeqCst), 1);
        s.scan(AUTHENTICATE);
        assert_eq!(n.load(Ordering::SeqCst), 2);
    }
}
