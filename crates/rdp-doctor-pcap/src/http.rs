//! RD Gateway HTTP heads in clear text (MS-TSGU 2.1.2; MS-RPCH 2.1.2), both directions: requests and
//! responses are paired in order, bodies with a Content-Length are skipped, and parsing stops where the
//! gateway channels begin (chunked or close-delimited bodies, a websocket switch).

use rdp_doctor_core::capture::{HttpExchange, HttpResponseEvidence, Side};
use rdp_doctor_proto::http::{self, BodyFraming, Head, MAX_HEAD_LEN, RequestHead, ResponseHead};

/// Requests followed per connection.
pub const MAX_EXCHANGES: usize = 16;
/// A Content-Length body larger than this is a channel, not a message: parsing of that side stops.
pub const MAX_SKIPPED_BODY: u64 = 1 << 20;

#[derive(Debug, Default)]
struct Direction {
    buf: Vec<u8>,
    skip: u64,
    stopped: bool,
    /// The body being skipped is kept (a KDC proxy message, decrypted captures only).
    keep: Option<Vec<u8>>,
}

/// The largest KDC proxy body kept (MS-KKDCP messages carry one Kerberos message).
pub const MAX_KDC_PROXY_BODY: u64 = 64 * 1024;

/// HTTP head parser for one connection.
#[derive(Debug, Default)]
pub struct HttpDissector {
    client: Direction,
    server: Direction,
    pub exchanges: Vec<HttpExchange>,
    /// Index of the first exchange still waiting for its response.
    answered: usize,
    /// Keep the server's bytes after the answer that opens the channel (decrypted captures only):
    /// `Some(websocket)` once open.
    pub keep_tunnel: bool,
    pub opened: Option<bool>,
    /// The server's tunnel bytes kept for the MS-TSGU reader (bounded by [`MAX_TUNNEL`]).
    pub tunnel: Vec<u8>,
    /// Whole bodies of KDC proxy exchanges (`POST /KdcProxy`, MS-KKDCP), by side and time; taken by the
    /// dissector.
    pub kdc_bodies: Vec<(Side, i64, Vec<u8>)>,
    /// The exchange at this index is a KDC proxy one.
    kdc_exchanges: Vec<usize>,
}

/// Server tunnel bytes kept at most per hand-over.
pub const MAX_TUNNEL: usize = 64 * 1024;

fn version(v: u8) -> String {
    format!("HTTP/1.{v}")
}

fn framing_text(f: Result<BodyFraming, http::HttpError>) -> String {
    match f {
        Ok(BodyFraming::ContentLength(n)) => format!("Content-Length: {n}"),
        Ok(BodyFraming::Chunked) => "chunked".to_owned(),
        Ok(BodyFraming::None) => "none (close-delimited)".to_owned(),
        Err(e) => e.to_string(),
    }
}

impl HttpDissector {
    pub fn done(&self) -> bool {
        self.client.stopped && self.server.stopped
    }

    /// Feeds bytes of one side; timeline notes are appended to `notes`.
    pub fn feed(&mut self, side: Side, ts: i64, start_ns: i64, mut data: &[u8], notes: &mut Vec<(Side, String)>) {
        let at_ms = ts.saturating_sub(start_ns) as f64 / 1e6;
        loop {
            let dir = match side {
                Side::Client => &mut self.client,
                Side::Server => &mut self.server,
            };
            if dir.stopped || data.is_empty() {
                if side == Side::Server && self.keep_tunnel && self.opened.is_some() {
                    let room = MAX_TUNNEL.saturating_sub(self.tunnel.len());
                    self.tunnel.extend_from_slice(data.get(..room.min(data.len())).unwrap_or_default());
                }
                return;
            }
            if dir.skip > 0 {
                let n = usize::try_from(dir.skip).unwrap_or(usize::MAX).min(data.len());
                dir.skip -= n as u64;
                if let Some(k) = dir.keep.as_mut() {
                    k.extend_from_slice(data.get(..n).unwrap_or_default());
                }
                if dir.skip == 0
                    && let Some(body) = dir.keep.take()
                    && self.kdc_bodies.len() < MAX_EXCHANGES
                {
                    self.kdc_bodies.push((side, ts, body));
                }
                data = data.get(n..).unwrap_or_default();
                continue;
            }
            let take = (MAX_HEAD_LEN + 1).saturating_sub(dir.buf.len()).min(data.len());
            dir.buf.extend_from_slice(data.get(..take).unwrap_or_default());
            data = data.get(take..).unwrap_or_default();
            let parsed = match side {
                Side::Client => http::decode_request(&dir.buf).map(|o| o.map(Msg::Request)),
                Side::Server => http::decode_response(&dir.buf).map(|o| o.map(Msg::Response)),
            };
            match parsed {
                Ok(None) => return,
                Err(e) => {
                    dir.stopped = true;
                    notes.push((side, format!("not HTTP any more: {e}")));
                    return;
                }
                Ok(Some(msg)) => {
                    let head_len = match &msg {
                        Msg::Request(r) => r.head_len,
                        Msg::Response(r) => r.head_len,
                    };
                    // Bytes after the head that were already copied belong to the body.
                    let extra = dir.buf.split_off(head_len.min(dir.buf.len()));
                    dir.buf.clear();
                    match msg {
                        Msg::Request(r) => self.request(r, at_ms, notes),
                        Msg::Response(r) => self.response(r, at_ms, notes),
                    }
                    if !extra.is_empty() {
                        self.feed(side, ts, start_ns, &extra, notes);
                    }
                }
            }
        }
    }

    fn request(&mut self, r: RequestHead, at_ms: f64, notes: &mut Vec<(Side, String)>) {
        let framing = r.framing();
        notes.push((Side::Client, format!("HTTP {} {} {}", r.method, r.path, version(r.version))));
        match framing {
            Ok(BodyFraming::ContentLength(n)) if n <= MAX_SKIPPED_BODY => {
                self.client.skip = n;
                // MS-KKDCP: a KDC proxy request (decrypted captures only: the bodies are Kerberos).
                if self.keep_tunnel && r.path.to_ascii_lowercase().starts_with("/kdcproxy") && n <= MAX_KDC_PROXY_BODY {
                    self.client.keep = Some(Vec::new());
                    self.kdc_exchanges.push(self.exchanges.len());
                }
            }
            Ok(BodyFraming::None) => {}
            _ => self.client.stopped = true,
        }
        if self.exchanges.len() < MAX_EXCHANGES {
            self.exchanges.push(HttpExchange {
                at_ms,
                method: r.method.clone(),
                path: r.path.clone(),
                request_version: version(r.version),
                request_framing: framing_text(framing),
                websocket_upgrade: r.has_token("upgrade", "websocket"),
                response: None,
            });
        } else {
            self.client.stopped = true;
        }
    }

    fn response(&mut self, r: ResponseHead, at_ms: f64, notes: &mut Vec<(Side, String)>) {
        if r.status == 100 {
            return;
        }
        let framing = r.framing();
        notes.push((Side::Server, format!("HTTP {} {} {}", version(r.version), r.status, r.reason)));
        let method = self.exchanges.get(self.answered).map(|x| x.method.clone()).unwrap_or_default();
        let proxy_headers = r
            .headers
            .iter()
            .filter(|h| {
                let n = h.name.to_ascii_lowercase();
                n == "via" || n.starts_with("x-forwarded") || (n.starts_with("proxy-") && n != "proxy-authorization")
            })
            .map(|h| format!("{}: {}", h.name, h.value.chars().take(120).collect::<String>()))
            .collect();
        let auth_schemes = r
            .headers
            .iter()
            .filter(|h| {
                h.name.eq_ignore_ascii_case("www-authenticate") || h.name.eq_ignore_ascii_case("proxy-authenticate")
            })
            .filter_map(|h| h.value.split_whitespace().next().map(|s| s.trim_end_matches(',').to_owned()))
            .collect();
        let evidence = HttpResponseEvidence {
            at_ms,
            version: version(r.version),
            status: r.status,
            reason: r.reason.clone(),
            framing: framing_text(framing.clone()),
            connection: r.header("connection").map(str::to_owned),
            server: r.header("server").map(|s| s.chars().take(80).collect()),
            proxy_headers,
            auth_schemes,
        };
        if let Some(x) = self.exchanges.get_mut(self.answered) {
            x.response = Some(evidence);
            self.answered += 1;
        }
        // After the answer that opens a channel, the rest is gateway packets.
        let opens_channel =
            r.status == 101 || (r.status == 200 && method.starts_with("RDG_")) || method.starts_with("RPC_");
        match framing {
            _ if opens_channel => {
                self.opened = Some(r.status == 101);
                self.server.stopped = true;
                self.client.stopped = true;
            }
            Ok(BodyFraming::ContentLength(n)) if n <= MAX_SKIPPED_BODY => {
                self.server.skip = n;
                if self.kdc_exchanges.contains(&self.answered.saturating_sub(1)) && n <= MAX_KDC_PROXY_BODY {
                    self.server.keep = Some(Vec::new());
                }
            }
            _ => self.server.stopped = true,
        }
    }
}

enum Msg {
    Request(RequestHead),
    Response(ResponseHead),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_requests_and_responses_across_keep_alive() {
        let mut h = HttpDissector::default();
        let mut notes = Vec::new();
        h.feed(
            Side::Client,
            0,
            0,
            b"RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
            &mut notes,
        );
        h.feed(
            Side::Server,
            1_000_000,
            0,
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\nContent-Length: 5\r\n\r\nabcde",
            &mut notes,
        );
        h.feed(
            Side::Client,
            2_000_000,
            0,
            b"RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nAuthorization: NTLM x\r\n\r\n",
            &mut notes,
        );
        h.feed(Side::Server, 3_000_000, 0, b"HTTP/1.1 200 OK\r\nVia: 1.1 lb\r\n\r\n\xab\xcd", &mut notes);
        assert_eq!(h.exchanges.len(), 2);
        let r0 = h.exchanges[0].response.as_ref().unwrap_or_else(|| unreachable!());
        assert_eq!((r0.status, r0.auth_schemes.clone()), (401, vec!["Negotiate".to_owned(), "NTLM".to_owned()]));
        let r1 = h.exchanges[1].response.as_ref().unwrap_or_else(|| unreachable!());
        assert_eq!(r1.framing, "none (close-delimited)");
        assert_eq!(r1.proxy_headers, vec!["Via: 1.1 lb".to_owned()]);
        assert!(h.done(), "the OUT channel opened");
        assert!(!format!("{:?}", h.exchanges).contains("NTLM x"));
    }
}
