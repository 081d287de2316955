//! RD Gateway rules: reaching the gateway, its certificate (the same `cert.*` verdicts as the target's,
//! with layer `gateway`), and what its HTTP, WebSocket and RPC-over-HTTP answers say about the gateway and
//! the proxies in front of it (MS-TSGU 2.1.2, 3.3.5.1; RFC 6455; MS-RPCH 2.1.2.1).

use crate::catalogue::*;
use crate::evidence::{
    Evidence, GatewayEvidence, GatewayHttpOutcome, GatewayHttpProbe, GatewayRequestKind, GatewayResponse, TcpOutcome,
    TlsOutcome,
};
use crate::finding::{Finding, Severity};

/// Issuer words of TLS-inspection products (their re-signing CAs name themselves).
const INSPECTION_ISSUERS: &[&str] = &[
    "zscaler",
    "fortinet",
    "fortigate",
    "palo alto",
    "blue coat",
    "bluecoat",
    "symantec ssl visibility",
    "sophos",
    "netskope",
    "cisco umbrella",
    "check point",
    "checkpoint",
    "forcepoint",
    "websense",
    "barracuda",
    "mcafee web gateway",
    "skyhigh",
    "kaspersky",
    "eset ssl filter",
    "avast",
    "bitdefender",
    "untangle",
    "smoothwall",
    "iboss",
    "menlo security",
    "contentkeeper",
    "lightspeed",
    "securly",
];

/// `Server` values of the Windows HTTP stack the RD Gateway runs on.
fn is_windows_server_header(server: &str) -> bool {
    let s = server.to_ascii_lowercase();
    s.starts_with("microsoft-httpapi") || s.starts_with("microsoft-iis")
}

fn head_evidence(p: &GatewayHttpProbe, r: &GatewayResponse) -> Vec<String> {
    let mut e = vec![format!("{} → {}", p.request_line, r.head_lines.first().cloned().unwrap_or_default())];
    e.extend(r.head_lines.iter().skip(1).take(24).map(|l| format!("  {l}")));
    if let Some(t) = &r.html_title {
        e.push(format!("HTML body, title \"{t}\""));
    }
    e
}

fn response(g: &GatewayEvidence, kind: GatewayRequestKind) -> Option<(&GatewayHttpProbe, &GatewayResponse)> {
    g.requests.iter().find(|p| p.kind == kind).and_then(|p| match &p.outcome {
        GatewayHttpOutcome::Response(r) => Some((p, &**r)),
        _ => None,
    })
}

fn reach(g: &GatewayEvidence, out: &mut Vec<Finding>) -> bool {
    let name = format!("{}:{}", g.host, g.port);
    if let Some(d) = &g.dns
        && d.os.addresses.is_empty()
    {
        out.push(Finding::new(
            &GATEWAY_UNREACHABLE,
            format!("the RD Gateway name {} does not resolve", g.host),
            vec![format!("{}: {}", d.os.resolver, d.os.error.as_deref().unwrap_or("no addresses"))],
        ));
        return false;
    }
    let Some(tcp) = &g.tcp else { return false };
    if tcp.connected().is_none() {
        let lines = tcp
            .attempts
            .iter()
            .map(|a| {
                format!(
                    "TCP {}: {:?} after {:.0} ms {}",
                    a.addr,
                    a.outcome,
                    a.duration_ms,
                    a.detail.as_deref().unwrap_or("")
                )
            })
            .collect();
        let how = if tcp.attempts.iter().all(|a| a.outcome == TcpOutcome::TimedOut) {
            "no answer (filtered)"
        } else {
            "refused or unreachable"
        };
        out.push(Finding::new(
            &GATEWAY_UNREACHABLE,
            format!("no TCP connection to the RD Gateway {name}: {how}"),
            lines,
        ));
        return false;
    }
    true
}

fn tls(ev: &Evidence, g: &GatewayEvidence, out: &mut Vec<Finding>) -> bool {
    let Some(t) = &g.tls else { return false };
    let established = t.outcome == TlsOutcome::Established;
    if !established {
        out.push(Finding::new(
            &GATEWAY_TLS_FAILED,
            format!("the TLS handshake with the RD Gateway {}:{} failed: {:?}", g.host, g.port, t.outcome),
            vec![format!("{} to {}:{}: {:?} after {:.0} ms", t.stack, g.host, g.port, t.outcome, t.duration_ms)],
        ));
    }
    let mut certs = Vec::new();
    super::tls::certificates(ev.observed_at_unix, t, None, &mut certs);
    for mut f in certs {
        f.layer = "gateway";
        f.summary = format!("RD Gateway {}: {}", g.host, f.summary);
        // The host's certificate remedies (RDP listener, mstsc's per-server trust) do not apply to a gateway.
        f.remedies = crate::remedies::by_id("gateway.certificate").into_iter().cloned().collect();
        // Unlike the host's certificate, the gateway's offers no click-through in the Windows client
        // (shared/GATEWAY_UDP_NOTES.md §4): an untrusted or misnamed one fails the connection.
        let trusted = t.trust.as_ref().is_some_and(|v| v.trusted);
        let refused =
            matches!(f.id, "cert.name_mismatch" | "cert.untrusted") || (f.id == "cert.self_signed" && !trusted);
        if refused && f.severity < Severity::Fail {
            f.severity = Severity::Fail;
            f.evidence.push(
                "the Windows client refuses a gateway certificate it cannot verify for the gateway's name; there is no click-through"
                    .to_owned(),
            );
        }
        out.push(f);
    }
    if let Some(c) = t.chain.iter().find(|c| {
        let issuer = c.issuer.to_ascii_lowercase();
        INSPECTION_ISSUERS.iter().any(|w| issuer.contains(w))
    }) {
        out.push(Finding::new(
            &GATEWAY_TLS_INSPECTION,
            format!(
                "the gateway's certificate is issued by \"{}\", a TLS-inspection product (high confidence: the issuer names it)",
                c.issuer
            ),
            vec![format!("certificate subject \"{}\", issuer \"{}\", SHA-256 {}", c.subject, c.issuer, c.sha256)],
        ));
    }
    established
}

/// The answer to the plain `RDG_OUT_DATA`.
fn http_transport(g: &GatewayEvidence, out: &mut Vec<Finding>) {
    let Some(p) = g.requests.iter().find(|p| p.kind == GatewayRequestKind::RdgOut) else { return };
    let rpc = response(g, GatewayRequestKind::RpcInData).map(|(_, r)| r.status);
    let r = match &p.outcome {
        GatewayHttpOutcome::Response(r) => r,
        GatewayHttpOutcome::Closed { received } | GatewayHttpOutcome::Reset { received } => {
            let how = if matches!(p.outcome, GatewayHttpOutcome::Reset { .. }) { "reset" } else { "closed" };
            out.push(Finding::new(
                &GATEWAY_HTTP_NO_RESPONSE,
                format!("the gateway path {how} the connection on RDG_OUT_DATA without an HTTP answer"),
                vec![format!("{} → connection {how} after {received} bytes, {:.0} ms", p.request_line, p.duration_ms)],
            ));
            return;
        }
        GatewayHttpOutcome::TimedOut { received } => {
            out.push(Finding::new(
                &GATEWAY_HTTP_NO_RESPONSE,
                "the gateway path did not answer RDG_OUT_DATA before the deadline",
                vec![format!(
                    "{} → no complete response head in {:.0} ms ({received} bytes)",
                    p.request_line, p.duration_ms
                )],
            ));
            return;
        }
        GatewayHttpOutcome::NotHttp { error, hex } => {
            out.push(Finding::new(
                &GATEWAY_NOT_HTTP,
                "the gateway port answered RDG_OUT_DATA with bytes that are not HTTP",
                vec![format!("{} → {error}", p.request_line), format!("first bytes: {hex}")],
            ));
            return;
        }
        GatewayHttpOutcome::NotConnected { .. } => return,
    };
    let ev = head_evidence(p, r);
    match r.status {
        401 => {
            let schemes = if r.auth_schemes.is_empty() { "none listed".to_owned() } else { r.auth_schemes.join(", ") };
            out.push(Finding::new(
                &GATEWAY_AUTH_SCHEMES,
                format!("the gateway asks for authentication; schemes: {schemes}"),
                ev,
            ));
        }
        403 | 404 | 410 => {
            let (fallback, sev) = match rpc {
                Some(401) => ("RPC over HTTP is offered (401 to RPC_IN_DATA): mstsc falls back to it", Severity::Warn),
                Some(s) => (
                    if s == 403 || s == 404 || s == 410 {
                        "RPC over HTTP is not offered either: no client gets through"
                    } else {
                        "RPC over HTTP answered unexpectedly: the fallback is doubtful"
                    },
                    Severity::Fail,
                ),
                None => ("RPC over HTTP did not answer: the fallback is doubtful", Severity::Fail),
            };
            let mut f = Finding::new(
                &GATEWAY_HTTP_TRANSPORT_UNAVAILABLE,
                format!(
                    "RDG_OUT_DATA got {} {}: the HTTP transport is off or not routed; {fallback}",
                    r.status, r.reason
                ),
                ev,
            );
            f.severity = sev;
            out.push(f);
        }
        400 | 405 | 501 => out.push(Finding::new(
            &GATEWAY_METHOD_REJECTED,
            format!(
                "RDG_OUT_DATA was refused with {} {}{}",
                r.status,
                r.reason,
                r.server.as_deref().map(|s| format!(" by \"{s}\"")).unwrap_or_default()
            ),
            ev,
        )),
        407 => out.push(Finding::new(
            &GATEWAY_PROXY_AUTH_REQUIRED,
            format!(
                "a proxy answered 407 and wants {}",
                if r.proxy_auth_schemes.is_empty() {
                    "its own credentials".to_owned()
                } else {
                    r.proxy_auth_schemes.join(", ")
                }
            ),
            ev,
        )),
        500..=599 => out.push(Finding::new(
            &GATEWAY_PROXY_ERROR,
            format!(
                "RDG_OUT_DATA was answered {} {}{}",
                r.status,
                r.reason,
                r.html_title.as_deref().map(|t| format!(" with an HTML page \"{t}\"")).unwrap_or_default()
            ),
            ev,
        )),
        200 => {
            if r.first_body_byte_ms.is_none() && r.framing != "content-length" {
                out.push(Finding::new(
                    &GATEWAY_SEED_DELAYED,
                    format!("the OUT channel answered 200 but no body byte arrived within {} ms", g.seed_budget_ms),
                    ev,
                ));
            }
        }
        _ => out.push(Finding::new(
            &GATEWAY_UNEXPECTED_STATUS,
            format!("RDG_OUT_DATA was answered {} {} (a gateway answers 401 without credentials)", r.status, r.reason),
            ev,
        )),
    }
}

/// The upgrade request compared with the plain one.
fn websocket(g: &GatewayEvidence, out: &mut Vec<Finding>) {
    let Some(p) = g.requests.iter().find(|p| p.kind == GatewayRequestKind::RdgWebsocket) else { return };
    let plain = response(g, GatewayRequestKind::RdgOut).map(|(_, r)| r.status);
    match &p.outcome {
        GatewayHttpOutcome::Response(r)
            if r.status == 101
                && (r.websocket_accept.is_none() || r.websocket_accept != r.websocket_accept_expected) =>
        {
            out.push(Finding::new(
                &GATEWAY_WEBSOCKET_BAD_ACCEPT,
                "101 Switching Protocols with a missing or wrong Sec-WebSocket-Accept",
                vec![
                    format!("received: {}", r.websocket_accept.as_deref().unwrap_or("(none)")),
                    format!("expected: {}", r.websocket_accept_expected.as_deref().unwrap_or("(none)")),
                ],
            ));
        }
        GatewayHttpOutcome::Response(r) if r.status == 101 => {}
        GatewayHttpOutcome::Response(r) if Some(r.status) != plain || (200..300).contains(&r.status) => {
            let mut ev = head_evidence(p, r);
            ev.push(format!(
                "the same request without the upgrade headers got {}",
                plain.map_or_else(|| "no answer".to_owned(), |s| s.to_string())
            ));
            let (def, summary) = if (200..300).contains(&r.status) {
                (
                    &GATEWAY_WEBSOCKET_REFUSED,
                    format!("the WebSocket upgrade was answered {} {} instead of 101", r.status, r.reason),
                )
            } else {
                (
                    &GATEWAY_WEBSOCKET_BLOCKED,
                    format!(
                        "the WebSocket upgrade was refused with {} {} while the plain request reached the gateway",
                        r.status, r.reason
                    ),
                )
            };
            out.push(Finding::new(def, summary, ev));
        }
        GatewayHttpOutcome::Closed { .. } | GatewayHttpOutcome::Reset { .. } | GatewayHttpOutcome::TimedOut { .. }
            if plain.is_some() =>
        {
            out.push(Finding::new(
                &GATEWAY_WEBSOCKET_BLOCKED,
                "the connection ended on the WebSocket upgrade request while the plain request was answered",
                vec![format!("{} → {:?}", p.request_line, p.outcome)],
            ));
        }
        _ => {}
    }
}

/// What [`lacks_framing`] looks at in one response, from the live probe or a capture.
pub(super) struct ResponseFraming<'a> {
    /// The request's method (`RDG_OUT_DATA`, `RDG_IN_DATA`, `RPC_IN_DATA`, …).
    pub method: &'a str,
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub version: &'a str,
    pub status: u16,
    /// Neither Content-Length nor chunked.
    pub close_delimited: bool,
    /// The response says `Connection: close`.
    pub connection_close: bool,
}

/// The one judgement of `gateway.http_no_framing`, for the live probe and for captures: an HTTP/1.1
/// response the client cannot delimit (RFC 9112 6.3: neither Content-Length nor chunked), except
/// - the answers that have no body (1xx, 101, 204, 304),
/// - the OUT channel's 200 to `RDG_OUT_DATA`, which is close-delimited by design (MS-TSGU 3.3.5.1),
/// - a response other than 401 that says `Connection: close` (legal: its body ends with the connection).
///
/// A 401 is judged even with `Connection: close`: the NTLM/Negotiate legs must continue on the same
/// connection (MS-TSGU 3.3.5.1), so a 401 that can only end by closing it breaks authentication.
pub(super) fn lacks_framing(r: &ResponseFraming<'_>) -> bool {
    r.version == "HTTP/1.1"
        && r.close_delimited
        && r.status >= 200
        && !matches!(r.status, 204 | 304)
        && !(r.status == 200 && r.method == "RDG_OUT_DATA")
        && !(r.connection_close && r.status != 401)
}

/// Framing and proxy traces on every response.
fn forensics(g: &GatewayEvidence, out: &mut Vec<Finding>) {
    let mut http10 = Vec::new();
    let mut no_len = Vec::new();
    let mut chunked = Vec::new();
    let mut proxies = Vec::new();
    for p in &g.requests {
        let GatewayHttpOutcome::Response(r) = &p.outcome else { continue };
        let line = format!("{} → {} {} {}", p.request_line, r.version, r.status, r.reason);
        if r.version == "HTTP/1.0" {
            http10.push(line.clone());
        }
        let method = match p.kind {
            GatewayRequestKind::RdgOut | GatewayRequestKind::RdgWebsocket => "RDG_OUT_DATA",
            GatewayRequestKind::RpcInData => "RPC_IN_DATA",
        };
        if lacks_framing(&ResponseFraming {
            method,
            version: &r.version,
            status: r.status,
            close_delimited: r.framing == "close-delimited",
            connection_close: r.connection.iter().any(|t| t == "close"),
        }) {
            no_len.push(format!("{line}: no Content-Length, no Transfer-Encoding; {} body bytes", r.body_read));
        }
        if r.framing == "chunked" && p.kind != GatewayRequestKind::RpcInData {
            chunked.push(format!("{line}: Transfer-Encoding: chunked"));
        }
        for h in &r.proxy_headers {
            proxies.push(format!("{}: {h}", p.kind.label()));
        }
        if let Some(s) = r.server.as_deref().filter(|s| !is_windows_server_header(s)) {
            proxies.push(format!("{}: Server: {s} (not the Windows HTTP stack)", p.kind.label()));
        }
    }
    proxies.dedup();
    if !http10.is_empty() {
        out.push(Finding::new(&GATEWAY_HTTP_1_0, "the gateway path answers with HTTP/1.0", http10));
    }
    if !no_len.is_empty() {
        out.push(Finding::new(
            &GATEWAY_HTTP_NO_FRAMING,
            "an HTTP/1.1 response without a Content-Length header",
            no_len,
        ));
    }
    if !chunked.is_empty() {
        out.push(Finding::new(
            &GATEWAY_CHUNKED_REFRAMED,
            "the gateway's response comes chunked: a proxy re-frames it",
            chunked,
        ));
    }
    if !proxies.is_empty() {
        out.push(Finding::new(
            &GATEWAY_PROXY_IN_PATH,
            "a proxy or load balancer answers in front of the gateway",
            proxies,
        ));
    }
}

fn rpc(g: &GatewayEvidence, out: &mut Vec<Finding>) {
    let Some((p, r)) = response(g, GatewayRequestKind::RpcInData) else { return };
    let offered = match r.status {
        401 => "offered (401: authentication required)",
        403 | 404 | 410 => "not offered",
        _ => "unclear",
    };
    out.push(Finding::new(
        &GATEWAY_RPC_OVER_HTTP,
        format!("RPC over HTTP: {offered}"),
        vec![format!("{} → {} {} {}", p.request_line, r.version, r.status, r.reason)],
    ));
}

fn udp(g: &GatewayEvidence, out: &mut Vec<Finding>) {
    use crate::evidence::GatewayUdpOutcome as U;
    let Some(u) = &g.udp else { return };
    let sent = format!("{} DTLS ClientHello(s) to {} (UDP), {:.0} ms", u.sent, u.addr, u.duration_ms);
    let answer = u.response_hex.as_ref().map(|h| format!("answer: {h}"));
    let (def, summary) = match &u.outcome {
        U::HelloVerifyRequest { version } => {
            (&GATEWAY_UDP_REACHABLE, format!("UDP {} answers DTLS (HelloVerifyRequest, {version:#06x})", u.addr.port()))
        }
        U::ServerHello { version } => {
            (&GATEWAY_UDP_REACHABLE, format!("UDP {} answers DTLS (ServerHello, {version:#06x})", u.addr.port()))
        }
        U::Alert { description } => {
            (&GATEWAY_UDP_REACHABLE, format!("UDP {} answers with a DTLS alert ({description})", u.addr.port()))
        }
        U::OtherDtls { content_type } => {
            (&GATEWAY_UDP_REACHABLE, format!("UDP {} answers with a DTLS record (type {content_type})", u.addr.port()))
        }
        U::NotDtls { error } => (&GATEWAY_UDP_UNREACHABLE, format!("UDP {}: no DTLS answer ({error})", u.addr.port())),
        U::Refused => (&GATEWAY_UDP_UNREACHABLE, format!("UDP {} is closed (ICMP port unreachable)", u.addr.port())),
        U::Silent => {
            (&GATEWAY_UDP_UNREACHABLE, format!("UDP {}: no answer (filtered, or UDP transport off)", u.addr.port()))
        }
    };
    out.push(Finding::new(def, summary, std::iter::once(sent).chain(answer).collect()));
}

pub(super) fn check(ev: &Evidence, out: &mut Vec<Finding>) {
    let Some(g) = &ev.gateway else { return };
    if !reach(g, out) || !tls(ev, g, out) {
        return;
    }
    http_transport(g, out);
    websocket(g, out);
    forensics(g, out);
    rpc(g, out);
    udp(g, out);
    tunnel::check(g, out);
}

#[path = "gateway_tunnel.rs"]
pub(super) mod tunnel;

#[cfg(test)]
#[path = "gateway_tests.rs"]
mod tests;
