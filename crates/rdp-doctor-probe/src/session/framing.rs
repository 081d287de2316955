//! Our own framing loop over the connection: every frame the server sends passes through here, so the
//! raw bytes can be read (Set Error Info, ultimatum) before IronRDP's connector sees them. IronRDP's own
//! framed reader silently drops frames its current state does not expect; this one hands every frame back.
//!
//! Reads are bounded: a frame is at most 64 KiB (TPKT) or the TSRequest bound, and each read has a deadline.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How to find the end of the next frame in the buffered bytes: `Ok(Some(len))`, `Ok(None)` for "need
/// more", or a description of bytes that cannot be framed.
pub(crate) type Splitter = fn(&[u8]) -> Result<Option<usize>, String>;

/// TPKT or fast-path output (MS-RDPBCGR 2.2.9.1.2).
pub(crate) fn rdp_frame(buf: &[u8]) -> Result<Option<usize>, String> {
    rdp_doctor_proto::server_pdu::frame_len(buf).map_err(|e| e.to_string())
}

/// A DER-encoded TSRequest (MS-CSSP 2.2.1): a SEQUENCE whose declared length is checked against the bound
/// before waiting for it.
pub(crate) fn ts_request_frame(buf: &[u8]) -> Result<Option<usize>, String> {
    let (tag, first) = match buf {
        [t, l, ..] => (*t, *l),
        _ => return Ok(None),
    };
    if tag != 0x30 {
        return Err(format!("expected a TSRequest (DER SEQUENCE 0x30), found 0x{tag:02x}"));
    }
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 {
            return Err(format!("TSRequest length field of {n} bytes"));
        }
        let Some(bytes) = buf.get(2..2 + n) else { return Ok(None) };
        (bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b)), 2 + n)
    };
    let total = header + len;
    if total > rdp_doctor_proto::credssp::MAX_TS_REQUEST_LEN {
        return Err(format!("a {total}-byte TSRequest exceeds the bound"));
    }
    Ok((buf.len() >= total).then_some(total))
}

/// The Early User Authorization Result PDU: exactly 4 bytes (MS-RDPBCGR 2.2.10.2).
pub(crate) fn four_bytes(buf: &[u8]) -> Result<Option<usize>, String> {
    Ok((buf.len() >= 4).then_some(4))
}

/// What one read produced.
#[derive(Debug)]
pub(crate) enum Read {
    Frame(Vec<u8>),
    /// The server closed the connection (FIN), with this many bytes of an unfinished frame pending.
    Closed(usize),
    Reset,
    TimedOut,
    /// Bytes that cannot be framed, or a local I/O error.
    Broken(String),
}

pub(crate) struct Conn<S> {
    pub(crate) stream: S,
    buf: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    pub(crate) fn new(stream: S) -> Self {
        Self { stream, buf: Vec::new() }
    }

    /// Bytes read but not yet framed.
    pub(crate) fn pending(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn into_inner(self) -> (S, Vec<u8>) {
        (self.stream, self.buf)
    }

    /// Reads until `split` finds a complete frame, or the deadline passes.
    pub(crate) async fn read(&mut self, split: Splitter, timeout: Duration) -> Read {
        let buf = &mut self.buf;
        let stream = &mut self.stream;
        let result = tokio::time::timeout(timeout, async {
            let mut chunk = vec![0u8; 16 * 1024];
            loop {
                match split(buf) {
                    Ok(Some(n)) => {
                        let rest = buf.split_off(n.min(buf.len()));
                        return Read::Frame(std::mem::replace(buf, rest));
                    }
                    Ok(None) => {}
                    Err(e) => return Read::Broken(e),
                }
                match stream.read(&mut chunk).await {
                    Ok(0) => return Read::Closed(buf.len()),
                    Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
                    Err(e) => {
                        return match e.kind() {
                            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => Read::Reset,
                            std::io::ErrorKind::UnexpectedEof => Read::Closed(buf.len()),
                            _ => Read::Broken(e.to_string()),
                        };
                    }
                }
            }
        })
        .await;
        result.unwrap_or(Read::TimedOut)
    }

    /// Writes everything, bounded by `timeout`.
    pub(crate) async fn write(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), String> {
        match tokio::time::timeout(timeout, async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        })
        .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("write not finished within {} ms", timeout.as_millis())),
        }
    }

    /// Closes our side politely, bounded.
    pub(crate) async fn shutdown(&mut self) {
        let _ = tokio::time::timeout(Duration::from_millis(200), self.stream.shutdown()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitters() {
        assert_eq!(four_bytes(&[1, 2, 3]), Ok(None));
        assert_eq!(four_bytes(&[1, 2, 3, 4, 5]), Ok(Some(4)));
        assert_eq!(ts_request_frame(&[0x30, 0x03, 1, 2]), Ok(None));
        assert_eq!(ts_request_frame(&[0x30, 0x02, 1, 2, 9]), Ok(Some(4)));
        assert_eq!(ts_request_frame(&[0x30, 0x82, 0x01]), Ok(None));
        assert!(ts_request_frame(&[0x30, 0x83, 0xff, 0xff, 0xff]).is_err());
        assert!(ts_request_frame(&[0x03, 0x00]).is_err());
        assert_eq!(rdp_frame(&[3, 0, 0, 9, 2, 0xf0, 0x80, 0x21, 0x80]), Ok(Some(9)));
        assert!(rdp_frame(&[0x17, 3, 3]).is_err());
    }

    #[tokio::test]
    async fn frames_are_split_and_eof_reported() {
        let (mut a, b) = tokio::io::duplex(64);
        let mut conn = Conn::new(b);
        a.write_all(&[3, 0, 0, 5, 9, 3, 0]).await.unwrap_or_default();
        drop(a);
        match conn.read(rdp_frame, Duration::from_secs(1)).await {
            Read::Frame(f) => assert_eq!(f, vec![3, 0, 0, 5, 9]),
            other => unreachable!("{other:?}"),
        }
        assert!(matches!(conn.read(rdp_frame, Duration::from_secs(1)).await, Read::Closed(2)));
    }
}
