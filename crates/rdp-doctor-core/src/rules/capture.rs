//! Capture rules: what the wire shows beyond the layer outcomes. Each a pure function of
//! `evidence.capture` (and the layer evidence it refines).

use super::ms;
use crate::capture::{CaptureEvidence, DirectionStats, EndKind, HttpExchange, Phase, RdpUdpEvidence, Side, UdpOutcome};
use crate::catalogue::*;
use crate::evidence::{Evidence, NegotiationResult, TlsOutcome, X224Outcome};
use crate::finding::Finding;

/// A direction losing at least this share of its data segments (and [`LOSS_MIN`]) is reported.
pub const LOSS_PERCENT: f64 = 2.0;
pub const LOSS_MIN: u64 = 3;
/// A silence during setup at least this long is a stall.
pub const STALL_MS: f64 = 2000.0;
/// Segments at least this large, retransmitted [`BLACK_HOLE_RETRIES`] times without an ACK, point to a
/// path-MTU black hole.
pub const BLACK_HOLE_SEGMENT: u32 = 1200;
pub const BLACK_HOLE_RETRIES: u32 = 3;

pub(super) fn check(ev: &Evidence, out: &mut Vec<Finding>) {
    let Some(c) = &ev.capture else { return };
    packet_loss(c, out);
    stalls(c, out);
    path_mtu(c, out);
    zero_window(c, out);
    tls_sides(ev, c, out);
    credssp(ev, c, out);
    decrypted(c, out);
    mcs(c, out);
    gateway(c, out);
    if let Some(u) = &c.rdp_udp {
        rdp_udp(c, u, out);
    }
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 * 100.0 / whole as f64 }
}

fn arrow(c: &CaptureEvidence, from: Side) -> String {
    match from {
        Side::Client => format!("client {} → server {}", c.client, c.server),
        Side::Server => format!("server {} → client {}", c.server, c.client),
    }
}

fn loss_line(c: &CaptureEvidence, side: Side, s: &DirectionStats) -> String {
    let mut l = format!(
        "{}: {} of {} data segments retransmitted ({:.1} %)",
        arrow(c, side),
        s.retransmissions,
        s.data_segments,
        pct(s.retransmissions, s.data_segments)
    );
    if s.out_of_order > 0 {
        l.push_str(&format!(", {} out of order", s.out_of_order));
    }
    if s.gaps > 0 {
        l.push_str(&format!(", {} hole(s) never filled ({} bytes)", s.gaps, s.gap_bytes));
    }
    if s.syns > 1 {
        l.push_str(&format!(", {} SYNs sent for one connection", s.syns));
    }
    l
}

fn packet_loss(c: &CaptureEvidence, out: &mut Vec<Finding>) {
    let lossy =
        |s: &DirectionStats| s.retransmissions >= LOSS_MIN && pct(s.retransmissions, s.data_segments) >= LOSS_PERCENT;
    let (cl, sl) = (lossy(&c.client_stats), lossy(&c.server_stats));
    if !cl && !sl {
        return;
    }
    let mut ev = vec![loss_line(c, Side::Client, &c.client_stats), loss_line(c, Side::Server, &c.server_stats)];
    let dups = c.client_stats.duplicates + c.server_stats.duplicates;
    if dups > 0 {
        ev.push(format!("{dups} frame(s) captured twice were not counted as retransmissions"));
    }
    let worst = if pct(c.server_stats.retransmissions, c.server_stats.data_segments)
        >= pct(c.client_stats.retransmissions, c.client_stats.data_segments)
    {
        (Side::Server, &c.server_stats)
    } else {
        (Side::Client, &c.client_stats)
    };
    let peer = if worst.0 == Side::Client { &c.server_stats } else { &c.client_stats };
    let summary = if peer.packets == 0 {
        format!(
            "the {} sent its data {} times and not one packet came back: the path or the {} is down",
            worst.0.label(),
            worst.1.data_segments,
            worst.0.other().label()
        )
    } else {
        format!(
            "{:.1} % of the {}'s data segments were sent again ({} of {})",
            pct(worst.1.retransmissions, worst.1.data_segments),
            worst.0.label(),
            worst.1.retransmissions,
            worst.1.data_segments
        )
    };
    out.push(Finding::new(&NET_PACKET_LOSS, summary, ev));
}

fn stalls(c: &CaptureEvidence, out: &mut Vec<Finding>) {
    let long: Vec<_> = c.stalls.iter().filter(|s| s.idle_ms >= STALL_MS).collect();
    let Some(longest) = long.iter().max_by(|a, b| a.idle_ms.total_cmp(&b.idle_ms)) else { return };
    let total: f64 = c.stalls.iter().map(|s| s.idle_ms).sum();
    let lines = c
        .stalls
        .iter()
        .map(|s| {
            format!(
                "at +{}: {} of silence in the {} after {}, waiting for the {}{}",
                ms(s.at_ms),
                ms(s.idle_ms),
                s.phase.label(),
                s.after,
                s.awaited.label(),
                if s.resolved { "" } else { " (no answer before the end)" }
            )
        })
        .collect();
    out.push(Finding::new(
        &NET_STALL,
        format!(
            "the {} stalled for {} waiting for the {} ({} lost to silences during setup)",
            longest.phase.label(),
            ms(longest.idle_ms),
            longest.awaited.label(),
            ms(total)
        ),
        lines,
    ));
}

fn path_mtu(c: &CaptureEvidence, out: &mut Vec<Finding>) {
    let mss: Vec<String> = [(Side::Client, &c.client_stats), (Side::Server, &c.server_stats)]
        .iter()
        .filter_map(|(side, s)| s.mss.map(|m| format!("{} MSS option: {m}", side.label())))
        .collect();
    let icmp: Vec<String> = c
        .icmp
        .iter()
        .filter(|i| i.mtu.is_some())
        .map(|i| format!("at +{}: {} from {} about the {}'s packets", ms(i.at_ms), i.what, i.from, i.about.label()))
        .collect();
    if let Some(mtu) = c.icmp.iter().find_map(|i| i.mtu) {
        let mut lines = icmp;
        lines.extend(mss.iter().cloned());
        out.push(Finding::new(&NET_PATH_MTU, format!("a router reports a path MTU of {mtu} bytes"), lines));
    }
    // Full-size segments sent again and again, never acknowledged, while smaller ones passed.
    for (side, s) in [(Side::Client, &c.client_stats), (Side::Server, &c.server_stats)] {
        if s.max_retries >= BLACK_HOLE_RETRIES && s.max_retries_len >= BLACK_HOLE_SEGMENT && s.unacked_at_end > 0 {
            let mut lines = vec![format!(
                "the {} sent a {}-byte segment {} times without an acknowledgement; {} bytes were never acknowledged{}",
                side.label(),
                s.max_retries_len,
                s.max_retries + 1,
                s.unacked_at_end,
                if s.acked_bytes > 0 {
                    format!(", while {} earlier bytes got through", s.acked_bytes)
                } else {
                    String::new()
                }
            )];
            lines.extend(mss.iter().cloned());
            out.push(Finding::new(
                &NET_MTU_BLACKHOLE,
                format!("the {}'s full-size segments are lost while smaller ones pass (MTU black hole)", side.label()),
                lines,
            ));
        }
    }
}

fn zero_window(c: &CaptureEvidence, out: &mut Vec<Finding>) {
    let mut lines = Vec::new();
    for (side, s) in [(Side::Client, &c.client_stats), (Side::Server, &c.server_stats)] {
        if s.zero_windows > 0 {
            lines.push(format!("the {} advertised a zero window {} time(s)", side.label(), s.zero_windows));
        }
    }
    if !lines.is_empty() {
        out.push(Finding::new(&NET_ZERO_WINDOW, "a receiver could not keep up and closed its TCP window", lines));
    }
}

fn tls_sides(ev: &Evidence, c: &CaptureEvidence, out: &mut Vec<Finding>) {
    let Some(tls) = &ev.tls else { return };
    if let Some(a) = &c.client_alert {
        let mut lines = vec![format!(
            "client sent a {} TLS alert {} ({}) at +{}",
            if a.level == 2 { "fatal" } else { "warning" },
            a.name,
            a.description,
            ms(a.at_ms)
        )];
        if let Some(leaf) = tls.chain.first() {
            lines.push(format!("server certificate: subject \"{}\", issuer \"{}\"", leaf.subject, leaf.issuer));
        }
        out.push(Finding::new(
            &TLS_CLIENT_ALERT,
            format!("the client aborted the TLS handshake with alert {}", a.name),
            lines,
        ));
    }
    let sent_nothing = c.encrypted.as_ref().is_none_or(|e| e.client_records == 0);
    if tls.outcome == TlsOutcome::Established
        && sent_nothing
        && matches!(c.end.how, EndKind::Fin | EndKind::Rst)
        && c.end.by == Some(Side::Client)
    {
        let mut lines = vec![format!(
            "the client sent {} at +{}, right after the TLS handshake, without any encrypted data",
            if c.end.how == EndKind::Rst { "a reset (RST)" } else { "FIN" },
            ms(c.end.at_ms)
        )];
        if let Some(leaf) = tls.chain.first() {
            lines.push(format!(
                "server certificate: subject \"{}\", issuer \"{}\"{}",
                leaf.subject,
                leaf.issuer,
                if leaf.self_signed { " (self-signed)" } else { "" }
            ));
        }
        out.push(Finding::new(&TLS_CLIENT_ABORT, "the client hung up right after the TLS handshake", lines));
    }
}

fn credssp(ev: &Evidence, c: &CaptureEvidence, out: &mut Vec<Finding>) {
    let nla = matches!(
        ev.x224.as_ref().map(|x| &x.outcome),
        Some(X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol, .. }, .. }) if protocol & 0x0a != 0
    );
    let established = ev.tls.as_ref().is_some_and(|t| t.outcome == TlsOutcome::Established);
    let Some(enc) = &c.encrypted else { return };
    // A decrypted CredSSP answer is judged by the CredSSP and session rules, not guessed from record turns.
    if ev.session.is_some()
        || c.decryption.as_ref().is_some_and(|d| d.credssp_error.is_some() || d.early_user_auth.is_some())
    {
        return;
    }
    if !nla || !established || c.last_phase != Phase::Credssp || enc.client_records == 0 {
        return;
    }
    let mut lines = vec![format!("encrypted records after the TLS handshake: {}", enc.first.join(", "))];
    lines.push(format!(
        "the connection ended by {} {} at +{}",
        c.end.by.map_or("", Side::label),
        match c.end.how {
            EndKind::Fin => "FIN",
            EndKind::Rst => "reset (RST)",
            EndKind::CaptureEnded => "the end of the capture",
        },
        ms(c.end.at_ms)
    ));
    // Decrypted, the first alert says who closed the TLS session (a client's close_notify comes before the
    // server's answering one, whoever sends the first FIN).
    let first_alert = c.decryption.as_ref().and_then(|d| d.alerts.first());
    if let Some(a) = first_alert {
        lines.push(format!("decrypted: the first TLS alert is the {a}"));
    }
    let server_ended = match first_alert {
        Some(a) => a.starts_with("server:"),
        None => {
            enc.encrypted_alert_from == Some(Side::Server)
                || (c.end.by == Some(Side::Server) && c.end.how != EndKind::CaptureEnded)
        }
    };
    if server_ended {
        if enc.encrypted_alert_from == Some(Side::Server) {
            lines.push(
                "the server sent an encrypted TLS alert (its description is not visible; usually close_notify)"
                    .to_owned(),
            );
        }
        out.push(Finding::new(
            &CREDSSP_ENDED_BY_SERVER,
            "the server ended the connection during NLA, after the client's authentication message: most likely the logon was refused",
            lines,
        ));
    } else if first_alert.is_some() || (c.end.by == Some(Side::Client) && c.end.how != EndKind::CaptureEnded) {
        out.push(Finding::new(
            &CREDSSP_ENDED_BY_CLIENT,
            "the client ended the connection during NLA before sending its credentials",
            lines,
        ));
    }
}

/// A code's name and meaning from the one code table, for evidence lines.
pub(super) fn code_line(kind: rdp_doctor_codes::Kind, value: u32) -> String {
    let fam = rdp_doctor_codes::family(kind);
    match fam.code(value).or_else(|| fam.lookup(value).and_then(|m| m.code())) {
        Some(c) => {
            let mut s = format!("{} (0x{value:08X}): {}", c.name, c.meaning);
            if let Some(a) = c.advice
                && let Some(cause) = a.causes.first()
            {
                s.push_str(&format!(" Most likely: {cause}"));
            }
            s
        }
        None => format!("0x{value:08X} (not in the {} table)", fam.title),
    }
}

/// What decrypting the capture showed beyond the session evidence: the RD Gateway's MS-TSGU refusal.
fn decrypted(c: &CaptureEvidence, out: &mut Vec<Finding>) {
    use rdp_doctor_codes::Kind;
    let Some(d) = &c.decryption else { return };
    let base = vec![format!(
        "decrypted {} client and {} server TLS records with secrets from {}",
        d.client_records,
        d.server_records,
        d.sources.join(", ")
    )];
    // The server's verdicts inside the session (CredSSP errorCode, Early User Authorization Result, Set
    // Error Info, licensing errors, ultimatum) became session evidence in the capture driver and are judged
    // by the session rules, as for the live credentialed check: one interpretation for both drivers.
    if let Some((packet, code)) = &d.gateway_refusal {
        let mut e = base;
        e.extend(d.gateway.iter().map(|l| format!("MS-TSGU {l}")));
        e.push(format!("{packet} result {}", code_line(Kind::Gateway, *code)));
        let name = rdp_doctor_codes::family(Kind::Gateway)
            .lookup(*code)
            .and_then(|m| m.code())
            .map_or_else(|| format!("0x{code:08X}"), |c| c.name.to_owned());
        // The same finding the live tunnel gives for this result (gateway.rap_denied, …): one interpretation.
        let def = super::gateway::tunnel::finding_for_hresult(*code);
        out.push(Finding::new(def, format!("the RD Gateway answered {packet} with {name}"), e));
    } else if d.gateway.iter().any(|l| l.starts_with("HTTP_CHANNEL_RESPONSE: S_OK")) {
        // The same finding the live tunnel gives when the channel to the target opens.
        let mut e = base;
        e.extend(d.gateway.iter().map(|l| format!("MS-TSGU {l}")));
        out.push(Finding::new(
            &GATEWAY_TUNNEL_OK,
            "the RD Gateway created the tunnel and the channel to the target (MS-TSGU handshake, tunnel, tunnel authorization and channel all S_OK)",
            e,
        ));
    }
}

fn mcs(c: &CaptureEvidence, out: &mut Vec<Finding>) {
    if let Some(p) = c.phases.iter().find(|p| {
        p.phase == Phase::Mcs
            && p.from == Side::Server
            && p.what.contains("result=")
            && !p.what.contains("rt-successful")
    }) {
        out.push(Finding::new(
            &MCS_CONNECT_FAILED,
            format!("the server answered the MCS Connect-Initial with {}", p.what),
            vec![format!("at +{}: server {}", ms(p.at_ms), p.what)],
        ));
    }
}

fn http_line(x: &HttpExchange) -> String {
    let req = format!("{} {} {} ({})", x.method, x.path, x.request_version, x.request_framing);
    match &x.response {
        Some(r) => format!("{req} → {} {} {} ({})", r.version, r.status, r.reason, r.framing),
        None => format!("{req} → no response"),
    }
}

fn gateway(c: &CaptureEvidence, out: &mut Vec<Finding>) {
    if c.http.is_empty() {
        return;
    }
    let responses: Vec<(&HttpExchange, &crate::capture::HttpResponseEvidence)> =
        c.http.iter().filter_map(|x| x.response.as_ref().map(|r| (x, r))).collect();
    let pick = |f: &dyn Fn(&HttpExchange, &crate::capture::HttpResponseEvidence) -> bool| -> Vec<String> {
        responses.iter().filter(|(x, r)| f(x, r)).map(|(x, _)| http_line(x)).collect()
    };
    let no_framing = pick(&|x, r| {
        super::gateway::lacks_framing(&super::gateway::ResponseFraming {
            method: &x.method,
            version: &r.version,
            status: r.status,
            close_delimited: r.framing.starts_with("none"),
            connection_close: r.connection.as_deref().is_some_and(|v| v.to_ascii_lowercase().contains("close")),
        })
    });
    if !no_framing.is_empty() {
        out.push(Finding::new(
            &GATEWAY_HTTP_NO_FRAMING,
            "a gateway response cannot be delimited: no Content-Length, not chunked",
            no_framing,
        ));
    }
    let old: Vec<String> = c
        .http
        .iter()
        .filter(|x| x.request_version == "HTTP/1.0" || x.response.as_ref().is_some_and(|r| r.version == "HTTP/1.0"))
        .map(http_line)
        .collect();
    if !old.is_empty() {
        out.push(Finding::new(&GATEWAY_HTTP_1_0, "HTTP/1.0 is used on the gateway path", old));
    }
    let proxied: Vec<String> = responses.iter().flat_map(|(_, r)| r.proxy_headers.iter().cloned()).collect();
    if !proxied.is_empty() {
        out.push(Finding::new(&GATEWAY_PROXY_IN_PATH, "a proxy relays the gateway traffic", proxied));
    }
    let p407 = pick(&|_, r| r.status == 407);
    if !p407.is_empty() {
        out.push(Finding::new(
            &GATEWAY_PROXY_AUTH_REQUIRED,
            "a proxy answered 407 Proxy Authentication Required",
            p407,
        ));
    }
    let gone = pick(&|x, r| matches!(r.status, 403 | 404 | 410) && x.method.starts_with("RDG_"));
    if !gone.is_empty() {
        out.push(Finding::new(
            &GATEWAY_HTTP_TRANSPORT_UNAVAILABLE,
            "the RD Gateway HTTP transport was refused at this URL",
            gone,
        ));
    }
    let rejected = pick(&|_, r| matches!(r.status, 400 | 405 | 501));
    if !rejected.is_empty() {
        out.push(Finding::new(&GATEWAY_METHOD_REJECTED, "the gateway request's method was rejected", rejected));
    }
    if let Some((x, r)) = responses.last()
        && r.status == 401
        && c.end.how != EndKind::CaptureEnded
    {
        let mut lines = vec![http_line(x)];
        if !r.auth_schemes.is_empty() {
            lines.push(format!("schemes offered: {}", r.auth_schemes.join(", ")));
        }
        // The reason phrase is evidence: quoted as the gateway sent it ("401 User Account Restricted").
        let phrase = if r.reason.is_empty() { String::new() } else { format!(" \"{}\"", r.reason) };
        out.push(Finding::new(
            &GATEWAY_ACCESS_DENIED,
            format!("the gateway's last answer was {}{phrase}", r.status),
            lines,
        ));
    }
    let kdc = pick(&|x, r| x.path.to_ascii_lowercase().contains("kdcproxy") && r.status >= 400);
    if let Some((_, r)) =
        responses.iter().find(|(x, r)| x.path.to_ascii_lowercase().contains("kdcproxy") && r.status >= 400)
    {
        out.push(Finding::new(
            &GATEWAY_KDC_PROXY_FAILED,
            format!(
                "the gateway's KDC proxy answered {} \"{}\": Kerberos through the gateway failed",
                r.status, r.reason
            ),
            kdc,
        ));
    }
    let ws = pick(&|x, r| x.websocket_upgrade && r.status != 101 && r.status != 401 && r.status != 407);
    if !ws.is_empty() {
        out.push(Finding::new(
            &GATEWAY_WEBSOCKET_REFUSED,
            "the websocket upgrade was answered without switching protocols",
            ws,
        ));
    }
}

fn rdp_udp(c: &CaptureEvidence, u: &RdpUdpEvidence, out: &mut Vec<Finding>) {
    let mut lines = vec![format!(
        "{} SYN(s) from {} to {} over {}{}",
        u.syns,
        c.client,
        c.server,
        ms(u.syn_span_ms),
        u.client_version.as_ref().map(|v| format!(", offering {v}")).unwrap_or_default()
    )];
    if let Some((up, down)) = u.mtu {
        lines.push(format!("MTU offered {up}/{down}, datagram of {} bytes", u.datagram_len));
    }
    match u.outcome {
        UdpOutcome::Established => {
            lines.push(format!(
                "SYN+ACK after {}{}",
                u.answered_after_ms.map(ms).unwrap_or_default(),
                u.server_version.as_ref().map(|v| format!(", server chose {v}")).unwrap_or_default()
            ));
            out.push(Finding::new(&UDP_OK, "the RDP-UDP handshake completed", lines));
        }
        UdpOutcome::NoAnswer => {
            lines.push(format!(
                "no SYN+ACK; the capture continued {} after the last SYN",
                ms(u.watched_after_last_syn_ms)
            ));
            out.push(Finding::new(&UDP_BLOCKED, "the RDP-UDP SYN was never answered", lines));
        }
        UdpOutcome::PortUnreachable => {
            for i in c.icmp.iter().filter(|i| i.port_unreachable) {
                lines.push(format!("at +{}: {} from {}", ms(i.at_ms), i.what, i.from));
            }
            out.push(Finding::new(&UDP_NOT_LISTENING, "the RDP-UDP SYN was refused with ICMP port unreachable", lines));
        }
        UdpOutcome::CaptureEnded | UdpOutcome::MidStream => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::capture::*;
    use crate::evidence::*;

    fn cap() -> CaptureEvidence {
        let addr = |s: &str| s.parse().unwrap_or_else(|_| unreachable!());
        let mut c =
            CaptureEvidence::empty(ConnectionKind::Rdp, "tcp", addr("10.0.0.1:50000"), addr("10.0.0.2:3389"), 0.0);
        c.duration_ms = 100.0;
        c.last_phase = Phase::Session;
        c.end.at_ms = 100.0;
        c.end.phase = Phase::Session;
        c
    }

    fn run(c: CaptureEvidence) -> Vec<&'static str> {
        let mut ev = base();
        ev.capture = Some(c);
        ids(&crate::rules::evaluate(&ev))
    }

    fn run_with(c: CaptureEvidence, f: impl FnOnce(&mut Evidence)) -> Vec<&'static str> {
        let mut ev = base();
        ev.capture = Some(c);
        f(&mut ev);
        ids(&crate::rules::evaluate(&ev))
    }

    fn tls(outcome: TlsOutcome) -> TlsEvidence {
        TlsEvidence {
            stack: "capture".into(),
            outcome,
            server_name: String::new(),
            version: Some("TLS 1.2".into()),
            cipher_suite: None,
            duration_ms: 1.0,
            timeout_ms: 0,
            chain: vec![],
            trust: None,
            modern_attempt: None,
        }
    }

    #[test]
    fn packet_loss_threshold() {
        let mut c = cap();
        c.server_stats = DirectionStats { packets: 120, data_segments: 100, retransmissions: 2, ..Default::default() };
        assert!(run(c.clone()).is_empty(), "2 retransmissions are below the minimum");
        c.server_stats.retransmissions = 3;
        assert_eq!(run(c.clone()), vec!["net.packet_loss"]);
        c.server_stats.data_segments = 200; // 1.5 %
        assert!(run(c.clone()).is_empty());
        c.server_stats.duplicates = 50;
        c.server_stats.retransmissions = 0;
        assert!(run(c).is_empty(), "capture duplicates are not loss");
    }

    #[test]
    fn stalls_from_two_seconds() {
        let mut c = cap();
        let stall = |idle_ms| Stall {
            at_ms: 1.0,
            idle_ms,
            awaited: Side::Server,
            phase: Phase::X224,
            after: "the client's X.224 Connection Request".into(),
            resolved: true,
        };
        c.stalls = vec![stall(1500.0)];
        assert!(run(c.clone()).is_empty());
        c.stalls.push(stall(2500.0));
        assert_eq!(run(c), vec!["net.stall"]);
    }

    #[test]
    fn path_mtu_from_icmp_or_black_hole() {
        let mut c = cap();
        c.server_stats.mss = Some(1460);
        assert!(run(c.clone()).is_empty(), "an MSS alone is no finding");
        c.icmp.push(IcmpEvent {
            at_ms: 5.0,
            from: "10.9.9.1".parse().unwrap_or_else(|_| unreachable!()),
            about: Side::Server,
            what: "ICMP fragmentation needed, next-hop MTU 1400 (3/4)".into(),
            mtu: Some(1400),
            port_unreachable: false,
        });
        assert_eq!(run(c.clone()), vec!["net.path_mtu"]);
        let mut c = cap();
        c.server_stats = DirectionStats {
            packets: 6,
            data_segments: 6,
            retransmissions: 2,
            max_retries: 3,
            max_retries_len: 1460,
            unacked_at_end: 1460,
            acked_bytes: 300,
            ..Default::default()
        };
        assert_eq!(run(c), vec!["net.mtu_blackhole"]);
    }

    #[test]
    fn zero_window_is_info() {
        let mut c = cap();
        c.client_stats.zero_windows = 2;
        assert_eq!(run(c), vec!["net.zero_window"]);
    }

    #[test]
    fn reset_after_client_hello_reads_as_the_live_check_does() {
        let mut c = cap();
        c.phases.push(PhaseEvent { at_ms: 3.0, from: Side::Client, phase: Phase::Tls, what: "TLS ClientHello".into() });
        c.end = ConnectionEnd {
            how: EndKind::Rst,
            by: Some(Side::Server),
            at_ms: 3.5,
            phase: Phase::Tls,
            after: String::new(),
        };
        // The capture records the fact the live probe would (a reset, no certificate): the same TLS rule judges.
        assert_eq!(run_with(c, |ev| ev.tls = Some(tls(TlsOutcome::Reset))), vec!["tls.server_key_unusable"]);
    }

    #[test]
    fn client_alert_and_abort() {
        let mut c = cap();
        c.client_alert = Some(AlertEvidence { level: 2, description: 48, name: "unknown_ca".into(), at_ms: 4.0 });
        let f = run_with(c, |ev| ev.tls = Some(tls(TlsOutcome::Failed { error: "client alert".into() })));
        assert_eq!(f, vec!["tls.client_alert", "tls.handshake_failed"]);
        let mut c = cap();
        c.end = ConnectionEnd {
            how: EndKind::Rst,
            by: Some(Side::Client),
            at_ms: 4.0,
            phase: Phase::Credssp,
            after: String::new(),
        };
        assert_eq!(run_with(c.clone(), |ev| ev.tls = Some(tls(TlsOutcome::Established))), vec!["tls.client_abort"]);
        // The client did send something after the handshake: not an abort.
        c.encrypted = Some(EncryptedRecords { client_records: 1, ..Default::default() });
        assert!(run_with(c, |ev| ev.tls = Some(tls(TlsOutcome::Established))).is_empty());
    }

    fn nla(ev: &mut Evidence) {
        ev.tls = Some(tls(TlsOutcome::Established));
        ev.x224 = Some(X224Evidence {
            requested_protocols: 3,
            requested_names: vec![],
            cookie_sent: false,
            request_hex: String::new(),
            response_hex: String::new(),
            outcome: X224Outcome::Confirm {
                negotiation: NegotiationResult::Selected {
                    protocol: 2,
                    protocol_names: vec!["PROTOCOL_HYBRID".into()],
                    flags: 0,
                    flag_names: vec![],
                },
                anomalies: vec![],
            },
            duration_ms: 1.0,
            timeout_ms: 0,
        });
    }

    #[test]
    fn credssp_who_ended_it() {
        let mut c = cap();
        c.last_phase = Phase::Credssp;
        c.encrypted = Some(EncryptedRecords {
            client_records: 3,
            server_records: 2,
            first: vec!["C 81".into(), "S 215".into(), "C 633".into()],
            encrypted_alert_from: Some(Side::Server),
            ..Default::default()
        });
        c.end = ConnectionEnd {
            how: EndKind::Rst,
            by: Some(Side::Client),
            at_ms: 1200.0,
            phase: Phase::Credssp,
            after: String::new(),
        };
        assert_eq!(run_with(c.clone(), nla), vec!["credssp.ended_by_server"]);
        c.encrypted = Some(EncryptedRecords { client_records: 2, server_records: 2, ..Default::default() });
        c.end.how = EndKind::Fin;
        assert_eq!(run_with(c.clone(), nla), vec!["credssp.ended_by_client"]);
        // Still open at the end of the capture: nothing to say.
        c.end = ConnectionEnd {
            how: EndKind::CaptureEnded,
            by: None,
            at_ms: 300.0,
            phase: Phase::Credssp,
            after: String::new(),
        };
        assert!(run_with(c, nla).is_empty());
    }

    #[test]
    fn rdp_udp_outcomes() {
        let udp = |outcome| RdpUdpEvidence {
            outcome,
            syns: 3,
            syn_acks: 0,
            answered_after_ms: None,
            syn_span_ms: 6000.0,
            watched_after_last_syn_ms: 2000.0,
            client_version: None,
            server_version: None,
            mtu: Some((1232, 1232)),
            correlation_id: true,
            datagram_len: 1232,
            client_datagrams: 3,
            server_datagrams: 0,
        };
        for (o, want) in [
            (UdpOutcome::NoAnswer, vec!["udp.blocked"]),
            (UdpOutcome::PortUnreachable, vec!["udp.not_listening"]),
            (UdpOutcome::Established, vec!["udp.ok"]),
            (UdpOutcome::MidStream, vec![]),
            (UdpOutcome::CaptureEnded, vec![]),
        ] {
            let mut c = cap();
            c.kind = ConnectionKind::RdpUdp;
            c.rdp_udp = Some(udp(o));
            assert_eq!(run(c), want, "{o:?}");
        }
    }

    #[test]
    fn gateway_close_delimited_out_channel_is_normal() {
        let mut c = cap();
        c.kind = ConnectionKind::GatewayHttp;
        let response = |status: u16, version: &str, framing: &str| HttpResponseEvidence {
            at_ms: 2.0,
            version: version.into(),
            status,
            reason: String::new(),
            framing: framing.into(),
            connection: None,
            server: None,
            proxy_headers: vec![],
            auth_schemes: vec![],
        };
        let exchange = |method: &str, r| HttpExchange {
            at_ms: 1.0,
            method: method.into(),
            path: "/remoteDesktopGateway/".into(),
            request_version: "HTTP/1.1".into(),
            request_framing: "Content-Length: 0".into(),
            websocket_upgrade: false,
            response: Some(r),
        };
        c.http = vec![exchange("RDG_OUT_DATA", response(200, "HTTP/1.1", "none (close-delimited)"))];
        assert!(run(c.clone()).is_empty());
        c.http = vec![exchange("RDG_IN_DATA", response(200, "HTTP/1.1", "none (close-delimited)"))];
        assert_eq!(run(c.clone()), vec!["gateway.http_no_framing"]);
        c.http = vec![exchange("RDG_OUT_DATA", response(407, "HTTP/1.0", "Content-Length: 0"))];
        assert_eq!(run(c), vec!["gateway.proxy_auth_required", "gateway.http_1_0"]);
    }
}
