//! HTTP/1.x message heads as RD Gateway uses them (MS-TSGU 2.1.2 HTTP transport, MS-RPCH 2.1.2 RPC over
//! HTTP), parsed with `httparse` into owned values with the framing facts a diagnosis needs: version,
//! status, Content-Length, chunked, Connection, Upgrade, and the headers proxies add.
//!
//! Credentials never leave this module in `Debug` output: `Authorization`, `Proxy-Authorization` and
//! `Cookie`/`Set-Cookie` values are redacted.

/// Longest head parsed; longer heads are reported as such.
pub const MAX_HEAD_LEN: usize = 16 * 1024;
/// Most headers kept from one head.
pub const MAX_HEADERS: usize = 64;

/// RD Gateway and RPC-over-HTTP request methods.
pub const RDG_METHODS: [&str; 4] = ["RDG_OUT_DATA", "RDG_IN_DATA", "RPC_IN_DATA", "RPC_OUT_DATA"];

/// One header line.
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: String,
}

impl Header {
    /// Headers whose values are credentials or session identifiers.
    pub fn is_secret(&self) -> bool {
        ["authorization", "proxy-authorization", "cookie", "set-cookie"]
            .contains(&self.name.to_ascii_lowercase().as_str())
    }
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_secret() {
            write!(f, "{}: <redacted>", self.name)
        } else {
            write!(f, "{}: {}", self.name, self.value)
        }
    }
}

/// A request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    pub path: String,
    /// Minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub version: u8,
    pub headers: Vec<Header>,
    /// Bytes of the head, including the blank line.
    pub head_len: usize,
}

/// A response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub version: u8,
    pub status: u16,
    pub reason: String,
    pub headers: Vec<Header>,
    pub head_len: usize,
}

/// How a message body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    ContentLength(u64),
    Chunked,
    /// Neither: the body runs until the connection closes (responses), or there is none (requests).
    None,
}

/// Why a head cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("not HTTP: {0}")]
    Parse(String),
    #[error("HTTP head longer than {MAX_HEAD_LEN} bytes")]
    TooLong,
    #[error("invalid Content-Length {0:?}")]
    BadContentLength(String),
    #[error("bad chunk: {0}")]
    BadChunk(&'static str),
}

/// Common accessors of both heads.
pub trait Head {
    fn headers(&self) -> &[Header];

    /// The first header with this name (case-insensitive).
    fn header(&self, name: &str) -> Option<&str> {
        self.headers().iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
    }

    /// Whether a comma-separated header contains this token (case-insensitive).
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers()
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .flat_map(|h| h.value.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// Body framing from Transfer-Encoding and Content-Length (chunked wins, RFC 9112 §6.3).
    fn framing(&self) -> Result<BodyFraming, HttpError> {
        if self.has_token("transfer-encoding", "chunked") {
            return Ok(BodyFraming::Chunked);
        }
        match self.header("content-length") {
            Some(v) => {
                v.trim().parse().map(BodyFraming::ContentLength).map_err(|_| HttpError::BadContentLength(v.to_owned()))
            }
            None => Ok(BodyFraming::None),
        }
    }
}

impl Head for RequestHead {
    fn headers(&self) -> &[Header] {
        &self.headers
    }
}

impl Head for ResponseHead {
    fn headers(&self) -> &[Header] {
        &self.headers
    }
}

impl RequestHead {
    /// Whether the method is one of the RD Gateway / RPC-over-HTTP verbs.
    pub fn is_gateway(&self) -> bool {
        RDG_METHODS.contains(&self.method.as_str()) || self.path.to_ascii_lowercase().contains("/remotedesktopgateway")
    }
}

fn owned(headers: &[httparse::Header<'_>]) -> Vec<Header> {
    headers
        .iter()
        .take(MAX_HEADERS)
        .map(|h| Header { name: h.name.to_owned(), value: String::from_utf8_lossy(h.value).into_owned() })
        .collect()
}

/// Parses a request head at the start of `buf`; `Ok(None)` when it is not complete yet.
pub fn decode_request(buf: &[u8]) -> Result<Option<RequestHead>, HttpError> {
    let mut storage = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut storage);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(head_len)) => Ok(Some(RequestHead {
            method: req.method.unwrap_or_default().to_owned(),
            path: req.path.unwrap_or_default().to_owned(),
            version: req.version.unwrap_or(1),
            headers: owned(req.headers),
            head_len,
        })),
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD_LEN => Err(HttpError::TooLong),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(HttpError::Parse(e.to_string())),
    }
}

/// Parses a response head at the start of `buf`; `Ok(None)` when it is not complete yet.
pub fn decode_response(buf: &[u8]) -> Result<Option<ResponseHead>, HttpError> {
    let mut storage = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut storage);
    match resp.parse(buf) {
        Ok(httparse::Status::Complete(head_len)) => Ok(Some(ResponseHead {
            version: resp.version.unwrap_or(1),
            status: resp.code.unwrap_or_default(),
            reason: resp.reason.unwrap_or_default().to_owned(),
            headers: owned(resp.headers),
            head_len,
        })),
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD_LEN => Err(HttpError::TooLong),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(HttpError::Parse(e.to_string())),
    }
}

/// Whether bytes start like an HTTP request with one of the RD Gateway verbs (cheap, for recognition).
pub fn starts_like_gateway_request(buf: &[u8]) -> bool {
    RDG_METHODS.iter().any(|m| buf.starts_with(m.as_bytes()) && buf.get(m.len()) == Some(&b' '))
}

/// Largest chunk accepted by [`decode_chunk`]: an MS-TSGU DATA packet is at most 64 KiB plus its header,
/// and clients send one packet per chunk.
pub const MAX_CHUNK_LEN: usize = 128 * 1024;
/// Longest chunk-size line (size, extensions) or trailer section read.
const MAX_CHUNK_LINE: usize = 1024;

/// One chunk of a `Transfer-Encoding: chunked` body (RFC 9112 7.1): `size-in-hex CRLF data CRLF`. The
/// client side of the RD Gateway IN channel sends every packet this way (MS-TSGU 3.3.5.1, FreeRDP rdg.c).
pub fn encode_chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// Decodes the chunk at the start of `buf`: `Ok(None)` until it is complete, else the range of its data
/// in `buf` and the bytes it used. The last chunk (size 0, then trailers) gives an empty range. Chunk
/// extensions are ignored; sizes above [`MAX_CHUNK_LEN`] are an error.
pub fn decode_chunk(buf: &[u8]) -> Result<Option<(std::ops::Range<usize>, usize)>, HttpError> {
    let Some(eol) = buf.windows(2).position(|w| w == b"\r\n") else {
        return if buf.len() > MAX_CHUNK_LINE {
            Err(HttpError::BadChunk("chunk-size line too long"))
        } else {
            Ok(None)
        };
    };
    if eol > MAX_CHUNK_LINE {
        return Err(HttpError::BadChunk("chunk-size line too long"));
    }
    let line = buf.get(..eol).unwrap_or_default();
    let size_text = line.split(|b| *b == b';').next().unwrap_or_default();
    let size_text = std::str::from_utf8(size_text).map_err(|_| HttpError::BadChunk("chunk size is not text"))?;
    let size = usize::from_str_radix(size_text.trim(), 16).map_err(|_| HttpError::BadChunk("chunk size is not hex"))?;
    if size > MAX_CHUNK_LEN {
        return Err(HttpError::BadChunk("chunk larger than the limit"));
    }
    let start = eol + 2;
    if size == 0 {
        // Trailer section: header lines, then an empty line.
        let rest = buf.get(start..).unwrap_or_default();
        if rest.starts_with(b"\r\n") {
            return Ok(Some((start..start, start + 2)));
        }
        return match rest.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(i) => Ok(Some((start..start, start + i + 4))),
            None if rest.len() > MAX_CHUNK_LINE => Err(HttpError::BadChunk("trailer section too long")),
            None => Ok(None),
        };
    }
    let end = start + size;
    match buf.get(end..end + 2) {
        None => Ok(None),
        Some(b"\r\n") => Ok(Some((start..end, end + 2))),
        Some(_) => Err(HttpError::BadChunk("chunk data not followed by CRLF")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_round_trip_and_need_more() {
        // "5" CRLF "hello" CRLF, then the last chunk "0" CRLF CRLF.
        let mut wire = encode_chunk(b"hello");
        assert_eq!(wire, b"5\r\nhello\r\n");
        wire.extend_from_slice(b"0\r\n\r\n");
        assert_eq!(decode_chunk(&wire), Ok(Some((3..8, 10))));
        assert_eq!(decode_chunk(&wire[10..]), Ok(Some((3..3, 5))));
        for n in 0..10 {
            assert_eq!(decode_chunk(&wire[..n]), Ok(None), "cut at {n}");
        }
        // Extensions are ignored; trailers end with an empty line.
        assert_eq!(decode_chunk(b"2;name=v\r\nab\r\n"), Ok(Some((10..12, 14))));
        assert_eq!(decode_chunk(b"0\r\nX-T: 1\r\n\r\n"), Ok(Some((3..3, 13))));
        assert!(decode_chunk(b"zz\r\n").is_err());
        assert!(decode_chunk(b"2\r\nabXY").is_err());
        assert!(decode_chunk(b"fffffff\r\n").is_err());
        assert!(decode_chunk(&[b'1'; 2000]).is_err());
    }

    const OUT: &[u8] = b"RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nHost: gw.example.test\r\n\
        Authorization: Negotiate c2VjcmV0\r\nRDG-Connection-Id: {1}\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn parses_gateway_request() {
        let r = decode_request(OUT).ok().flatten().unwrap_or_else(|| unreachable!());
        assert!(r.is_gateway());
        assert_eq!(r.version, 1);
        assert_eq!(r.head_len, OUT.len());
        assert_eq!(r.framing(), Ok(BodyFraming::ContentLength(0)));
        assert!(!format!("{r:?}").contains("c2VjcmV0"), "credentials must not reach Debug");
        assert!(starts_like_gateway_request(OUT));
    }

    #[test]
    fn parses_response_framing() {
        let r = decode_response(b"HTTP/1.0 200 OK\r\nVia: 1.1 proxy\r\nTransfer-Encoding: gzip, chunked\r\n\r\nab")
            .ok()
            .flatten()
            .unwrap_or_else(|| unreachable!());
        assert_eq!((r.version, r.status), (0, 200));
        assert_eq!(r.framing(), Ok(BodyFraming::Chunked));
        assert_eq!(r.header("via"), Some("1.1 proxy"));
        let r = decode_response(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: x\r\n\r\n").ok().flatten();
        assert_eq!(r.map(|r| r.framing()), Some(Err(HttpError::BadContentLength("x".into()))));
    }

    #[test]
    fn truncate_by_one_needs_more() {
        for n in 0..OUT.len() {
            assert_eq!(decode_request(&OUT[..n]), Ok(None), "cut at {n}");
        }
        assert!(decode_response(b"\x03\x00\x00\x13").is_err());
    }
}
