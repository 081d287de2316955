//! RD Gateway over HTTP: the requests a probe sends (MS-TSGU 2.2.3 `RDG_OUT_DATA`, RFC 6455 upgrade,
//! MS-RPCH 2.1.2.1 `RPC_IN_DATA`) and the facts read from a response head (framing, proxy traces,
//! authentication schemes, WebSocket accept, an HTML page from a middlebox).
//!
//! Head parsing itself is [`crate::http`] (httparse); this module only reads its result. Facts only: the
//! verdicts (re-framed, stripped, rejected…) are made by the rules in `rdp-doctor-core`.

use base64::Engine as _;
use sha1::Digest as _;

use crate::http::{BodyFraming, Head, ResponseHead};

/// MS-TSGU 2.1.2: the HTTP transport's URL path.
pub const RDG_PATH: &str = "/remoteDesktopGateway/";
/// MS-RPCH 2.1.2.1: the RPC-over-HTTP proxy path (the legacy transport mstsc falls back to).
pub const RPC_PATH: &str = "/rpc/rpcproxy.dll";
/// RFC 6455 4.2.2: the GUID appended to Sec-WebSocket-Key.
const WS_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// Longest body prefix kept from one response.
pub const MAX_BODY_PREFIX: usize = 1024;

/// Headers that only a proxy, load balancer or CDN adds (the gateway itself sends none of them).
pub const PROXY_HEADERS: &[&str] = &[
    "via",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-cache",
    "x-cache-lookup",
    "x-squid-error",
    "proxy-connection",
    "proxy-authenticate",
    "x-azure-ref",
    "x-amz-cf-id",
    "cf-ray",
    "x-bluecoat-via",
    "x-iinfo",
];

/// One request to the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayRequest {
    /// `RDG_OUT_DATA`, `RPC_IN_DATA`, …
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The Host header (name, with `:port` when not 443).
    pub host: String,
    /// `{GUID}` with braces (MS-TSGU 2.2.3.2.1).
    pub connection_id: String,
    /// Set for the WebSocket variant: the base64 Sec-WebSocket-Key.
    pub websocket_key: Option<String>,
    /// An `Authorization` value (`NTLM <base64>`); `None` for the credential-free probe.
    pub authorization: Option<Authorization>,
    /// `Transfer-Encoding: chunked` instead of `Content-Length: 0`: the streaming IN channel (MS-TSGU
    /// 3.3.5.1; FreeRDP sends this second RDG_IN_DATA head once the channel is authenticated).
    pub chunked: bool,
}

/// The value of an `Authorization` header. It carries NTLM messages (the AUTHENTICATE message holds the
/// NTLMv2 response, which can be attacked offline), so its `Debug` is `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorization(pub String);

impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Authorization {
    /// `SCHEME <base64 token>`.
    pub fn new(scheme: &str, token: &[u8]) -> Self {
        Self(format!("{scheme} {}", base64::engine::general_purpose::STANDARD.encode(token)))
    }
}

/// The token of a `WWW-Authenticate: SCHEME <base64>` challenge (the NTLM CHALLENGE message of MS-NLMP
/// 2.2.1.2 for `NTLM`), decoded; `None` when the scheme is offered without a token or the token is not
/// base64. Bounded by the head's own size limit.
pub fn auth_challenge(head: &ResponseHead, scheme: &str) -> Option<Vec<u8>> {
    head.headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("www-authenticate"))
        .flat_map(|h| h.value.split(','))
        .filter_map(|part| {
            let mut words = part.split_whitespace();
            let first = words.next()?;
            first.eq_ignore_ascii_case(scheme).then(|| words.next()).flatten()
        })
        .find_map(|token| base64::engine::general_purpose::STANDARD.decode(token.trim()).ok())
}

impl GatewayRequest {
    /// The request head, as mstsc/FreeRDP shape it (MS-TSGU 4.2.1): no credentials, `Content-Length: 0`.
    pub fn encode(&self) -> Vec<u8> {
        let mut s = format!("{} {} HTTP/1.1\r\n", self.method, self.path);
        s.push_str(&format!("Host: {}\r\n", self.host));
        s.push_str("Accept: */*\r\nCache-Control: no-cache\r\nPragma: no-cache\r\n");
        s.push_str("User-Agent: MS-RDGateway/1.0\r\n");
        if self.method.starts_with("RDG_") {
            s.push_str(&format!("RDG-Connection-Id: {}\r\n", self.connection_id));
            s.push_str(&format!("RDG-Correlation-Id: {}\r\n", self.connection_id));
        }
        match &self.websocket_key {
            Some(key) => {
                s.push_str("Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
                s.push_str(&format!("Sec-WebSocket-Key: {key}\r\n"));
            }
            None => s.push_str("Connection: Keep-Alive\r\n"),
        }
        if let Some(a) = &self.authorization {
            s.push_str(&format!("Authorization: {}\r\n", a.0));
        }
        s.push_str(if self.chunked { "Transfer-Encoding: chunked\r\n\r\n" } else { "Content-Length: 0\r\n\r\n" });
        s.into_bytes()
    }
}

/// `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` from 16 bytes (version-4 bits set).
pub fn guid_braced(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02X}")).collect();
    let part = |r: std::ops::Range<usize>| h.get(r).unwrap_or_default().to_owned();
    format!("{{{}-{}-{}-{}-{}}}", part(0..8), part(8..12), part(12..16), part(16..20), part(20..32))
}

/// A Sec-WebSocket-Key from 16 bytes (RFC 6455 4.1).
pub fn websocket_key(nonce: [u8; 16]) -> String {
    base64::engine::general_purpose::STANDARD.encode(nonce)
}

/// The Sec-WebSocket-Accept a server must answer for `key` (RFC 6455 4.2.2).
pub fn websocket_accept(key: &str) -> String {
    let mut h = sha1::Sha1::new();
    h.update(key.trim().as_bytes());
    h.update(WS_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

/// How the response's body is delimited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framing {
    ContentLength(u64),
    Chunked,
    /// Neither header: the body runs to the connection's close (HTTP/1.0 style).
    CloseDelimited,
    /// A Content-Length that is not a number.
    Invalid(String),
}

/// What one response head (and the first bytes of its body) shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseFacts {
    /// 0 = HTTP/1.0, 1 = HTTP/1.1.
    pub version_minor: u8,
    pub status: u16,
    pub reason: String,
    pub framing: Framing,
    /// Tokens of the Connection header, lower case.
    pub connection: Vec<String>,
    pub upgrade: Option<String>,
    pub server: Option<String>,
    pub content_type: Option<String>,
    /// Schemes offered in WWW-Authenticate (Negotiate, NTLM, Basic, PAA…), in order.
    pub auth_schemes: Vec<String>,
    /// Schemes in Proxy-Authenticate.
    pub proxy_auth_schemes: Vec<String>,
    /// Headers from [`PROXY_HEADERS`] (`name: value`).
    pub proxy_headers: Vec<String>,
    pub websocket_accept: Option<String>,
    /// The names of the cookies set (values are not kept: they may be session tokens).
    pub cookie_names: Vec<String>,
    /// The `<title>` of an HTML body, or "(no title)" when the body is HTML without one.
    pub html_title: Option<String>,
    /// The head as received, one line per header, secret values redacted.
    pub head_lines: Vec<String>,
}

/// Reads the facts from a parsed head and up to [`MAX_BODY_PREFIX`] bytes of its body.
pub fn facts(head: &ResponseHead, body_prefix: &[u8]) -> ResponseFacts {
    let framing = match head.framing() {
        Ok(BodyFraming::ContentLength(n)) => Framing::ContentLength(n),
        Ok(BodyFraming::Chunked) => Framing::Chunked,
        Ok(BodyFraming::None) => Framing::CloseDelimited,
        Err(_) => Framing::Invalid(head.header("content-length").unwrap_or_default().to_owned()),
    };
    let all = |name: &str| -> Vec<&str> {
        head.headers.iter().filter(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str()).collect()
    };
    let mut head_lines = vec![format!("HTTP/1.{} {} {}", head.version, head.status, head.reason)];
    head_lines.extend(head.headers.iter().map(|h| {
        if h.is_secret() {
            let name_only = h.value.split('=').next().filter(|_| h.value.contains('=')).unwrap_or("");
            format!("{}: {}=<redacted>", h.name, name_only.trim())
        } else {
            format!("{}: {}", h.name, h.value)
        }
    }));
    ResponseFacts {
        version_minor: head.version,
        status: head.status,
        reason: head.reason.clone(),
        framing,
        connection: all("connection")
            .iter()
            .flat_map(|v| v.split(','))
            .map(|t| t.trim().to_ascii_lowercase())
            .filter(|t| !t.is_empty())
            .collect(),
        upgrade: head.header("upgrade").map(str::to_owned),
        server: head.header("server").map(str::to_owned),
        content_type: head.header("content-type").map(str::to_owned),
        auth_schemes: all("www-authenticate").iter().flat_map(|v| schemes(v)).collect(),
        proxy_auth_schemes: all("proxy-authenticate").iter().flat_map(|v| schemes(v)).collect(),
        proxy_headers: head
            .headers
            .iter()
            .filter(|h| PROXY_HEADERS.iter().any(|p| h.name.eq_ignore_ascii_case(p)))
            .map(|h| format!("{}: {}", h.name, h.value))
            .collect(),
        websocket_accept: head.header("sec-websocket-accept").map(|v| v.trim().to_owned()),
        cookie_names: all("set-cookie")
            .iter()
            .filter_map(|v| v.split('=').next().filter(|_| v.contains('=')))
            .map(|n| n.trim().to_owned())
            .collect(),
        html_title: html_title(body_prefix.get(..body_prefix.len().min(MAX_BODY_PREFIX)).unwrap_or_default()),
        head_lines,
    }
}

/// The auth schemes of one WWW-Authenticate value: challenges are separated by commas, and a part whose
/// first word holds `=` is a parameter of the previous challenge (RFC 9110 11.6.1).
fn schemes(value: &str) -> Vec<String> {
    value
        .split(',')
        .filter_map(|part| part.split_whitespace().next())
        .filter(|w| !w.contains('=') && !w.contains('"'))
        .map(str::to_owned)
        .collect()
}

/// An HTML page's title, if the body is HTML.
fn html_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body).to_ascii_lowercase();
    let start = text.trim_start();
    if !(start.starts_with("<!doctype html") || start.starts_with("<html") || text.contains("<title>")) {
        return None;
    }
    let raw = String::from_utf8_lossy(body);
    let title = text
        .find("<title>")
        .and_then(|i| {
            let from = i + "<title>".len();
            let len = text.get(from..)?.find("</title>")?;
            raw.get(from..from + len)
        })
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().take(120).collect());
    Some(title.unwrap_or_else(|| "(no title)".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::decode_response;

    fn parse(raw: &[u8]) -> ResponseFacts {
        let head = decode_response(raw).ok().flatten().unwrap_or_else(|| unreachable!());
        facts(&head, &raw[head.head_len..])
    }

    #[test]
    fn rfc6455_sample_accept() {
        // RFC 6455 1.3's example key and accept value.
        assert_eq!(websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn request_has_the_required_headers() {
        let r = GatewayRequest {
            method: "RDG_OUT_DATA".into(),
            path: RDG_PATH.into(),
            host: "gw.example.test".into(),
            connection_id: guid_braced([7; 16]),
            websocket_key: None,
            authorization: None,
            chunked: false,
        };
        let text = String::from_utf8(r.encode()).unwrap_or_default();
        assert!(text.starts_with("RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nHost: gw.example.test\r\n"));
        assert!(text.contains("RDG-Connection-Id: {07070707-0707-4707-8707-070707070707}\r\n"));
        assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
        assert!(!text.contains("Authorization"));
        let head = crate::http::decode_request(text.as_bytes()).ok().flatten();
        assert!(head.is_some_and(|h| h.is_gateway()));
        // The authenticated IN channel's streaming head: NTLM token, chunked body; Debug never shows the token.
        let r = GatewayRequest {
            method: "RDG_IN_DATA".into(),
            authorization: Some(Authorization::new("NTLM", b"TlRMTVNTUAAB")),
            chunked: true,
            ..r
        };
        let text = String::from_utf8(r.encode()).unwrap_or_default();
        assert!(text.contains("Authorization: NTLM VGxSTVRWTlRVQUFC\r\n"), "{text}");
        assert!(text.ends_with("Transfer-Encoding: chunked\r\n\r\n"));
        assert!(!format!("{r:?}").contains("VGxS"));
    }

    #[test]
    fn ntlm_challenge_token() {
        let head = crate::http::decode_response(
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM TlRMTVNTUAACAAAA\r\n\
              Content-Length: 0\r\n\r\n",
        )
        .ok()
        .flatten()
        .unwrap_or_else(|| unreachable!());
        assert_eq!(auth_challenge(&head, "ntlm").as_deref(), Some(&b"NTLMSSP\0\x02\0\0\0"[..]));
        assert_eq!(auth_challenge(&head, "Negotiate"), None);
        assert_eq!(auth_challenge(&head, "Basic"), None);
    }

    #[test]
    fn gateway_401_schemes_and_cookie_names_only() {
        let f = parse(
            b"HTTP/1.1 401 Unauthorized\r\nServer: Microsoft-HTTPAPI/2.0\r\nWWW-Authenticate: Negotiate\r\n\
              WWW-Authenticate: NTLM\r\nWWW-Authenticate: Basic realm=\"gw\", charset=\"UTF-8\"\r\n\
              Set-Cookie: ARRAffinity=secretvalue; Path=/\r\nContent-Length: 0\r\n\r\n",
        );
        assert_eq!(f.auth_schemes, ["Negotiate", "NTLM", "Basic"]);
        assert_eq!(f.cookie_names, ["ARRAffinity"]);
        assert!(!f.head_lines.join("\n").contains("secretvalue"));
        assert_eq!(f.framing, Framing::ContentLength(0));
        assert!(f.proxy_headers.is_empty());
    }

    #[test]
    fn proxy_page_is_seen() {
        let f = parse(
            b"HTTP/1.0 502 Bad Gateway\r\nVia: 1.1 squid\r\nContent-Type: text/html\r\n\r\n\
              <html><head><title>502 Bad\n Gateway</title></head></html>",
        );
        assert_eq!((f.version_minor, f.status), (0, 502));
        assert_eq!(f.framing, Framing::CloseDelimited);
        assert_eq!(f.proxy_headers, ["Via: 1.1 squid"]);
        assert_eq!(f.html_title.as_deref(), Some("502 Bad Gateway"));
    }

    #[test]
    fn guid_is_braced_v4() {
        let g = guid_braced([0xFF; 16]);
        assert_eq!(g, "{FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF}");
    }
}
