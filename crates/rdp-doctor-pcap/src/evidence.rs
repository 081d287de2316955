//! From what a connection showed to the one evidence model: the layer evidence a live check would have
//! recorded (TCP, X.224, TLS with the certificate chain) plus the capture section, and the limitations
//! that say what the capture could not show.

use rdp_doctor_core::capture::{CaptureEvidence, ConnectionEnd, ConnectionKind, EndKind, Phase, Side};
use rdp_doctor_core::evidence::{
    Evidence, RdpSecurityEvidence, RdpSecurityOutcome, Target, TcpAttempt, TcpEvidence, TcpOutcome, TlsEvidence,
    TlsOutcome, X224Evidence, X224Outcome,
};
use rdp_doctor_proto::tls::handshake::cipher_suite_name;
use rdp_doctor_proto::tls::version_name;

use crate::certs::CertCache;
use crate::conn::TcpConn;

/// Without an answer for this long while the capture went on, a server is judged silent.
pub const NO_ANSWER_NS: i64 = 5_000_000_000;
/// A SYN without answer while the capture went on this long is judged unanswered.
pub const SYN_NO_ANSWER_NS: i64 = 1_000_000_000;
/// The name of the "stack" that observed a TLS handshake.
pub const PASSIVE: &str = "none: observed passively in a capture";

/// The capture as a whole, for relative times.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    pub capture_start_ns: i64,
    pub capture_end_ns: i64,
}

pub fn ms(ns: i64) -> f64 {
    ns as f64 / 1e6
}

fn fmt_ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2} ms")
    } else if v < 10_000.0 {
        format!("{v:.0} ms")
    } else {
        format!("{:.1} s", v / 1000.0)
    }
}

pub fn target(client: std::net::SocketAddr, server: std::net::SocketAddr) -> Target {
    Target {
        input: format!("{client} → {server}"),
        host: server.ip().to_string(),
        port: server.port(),
        ip: Some(server.ip()),
    }
}

/// Evidence of one RDP-related TCP connection, and a one-line outcome.
pub fn tcp(conn: &mut TcpConn, ctx: &Ctx, certs: &mut CertCache) -> (Evidence, String) {
    conn.finish();
    let start = conn.start_ns;
    let mut ev = Evidence::new(target(conn.client, conn.server), start.div_euclid(1_000_000_000));
    let mut limits: Vec<String> = Vec::new();
    let end_kind = conn.end;
    let phase = conn.phase();

    ev.tcp = tcp_layer(conn, ctx, &mut limits);
    if let Some(d) = conn.dissector.as_deref() {
        ev.x224 = x224_layer(conn, d, ctx, &mut limits);
        ev.tls = tls_layer(conn, d, ctx, certs, &mut limits);
        ev.rdp_security = rdp_security(conn, d);
        let decrypted = d.decrypt.as_ref().is_some_and(|x| x.plain.ev.decrypted);
        if let Some(x) = &d.decrypt {
            ev.credssp = credssp_from_plaintext(x, start);
            if !x.plain.krb.is_empty() {
                let via = format!("CredSSP (decrypted) {} → {}", conn.client, conn.server);
                let messages = x
                    .plain
                    .krb
                    .iter()
                    .map(|(ts, side, m)| {
                        let from = if *side == Side::Server { "server" } else { "client" };
                        crate::kerberos::observation(ms(ts - ctx.capture_start_ns), via.clone(), from, m)
                    })
                    .collect();
                ev.kerberos = Some(rdp_doctor_core::evidence::KerberosEvidence { messages, truncated: false });
            }
            if !d.kdc_proxy.is_empty() {
                let via = format!("KDC proxy (MS-KKDCP, decrypted) {} → {}", conn.client, conn.server);
                let e = ev.kerberos.get_or_insert_with(Default::default);
                for (ts, side, m) in &d.kdc_proxy {
                    // The proxy relays the KDC's answer verbatim.
                    let from = if *side == Side::Server { "KDC" } else { "client" };
                    e.messages.push(crate::kerberos::observation(ms(ts - ctx.capture_start_ns), via.clone(), from, m));
                }
            }
            if let Some(why) = &x.problem {
                limits.push(format!("TLS {why}."));
            }
            if x.http_mode && d.http.is_some() {
                limits.push(
                    "RD Gateway connection (decrypted): the HTTP heads and the gateway's MS-TSGU answers are read; the client's tunnel packets and the RDP connection inside the tunnel are not decoded."
                        .to_owned(),
                );
            }
        }
        if d.tls.as_ref().is_some_and(|t| t.established_ns.is_some()) && !decrypted {
            limits.push(
                "Everything after the TLS handshake is encrypted: CredSSP (NLA), licensing and the session are judged only from record sizes, turns and who closed the connection."
                    .to_owned(),
            );
        }
        if d.kind == ConnectionKind::GatewayHttp {
            limits.push(
                "RD Gateway connection: only the HTTP heads are read; the MS-TSGU packets and the RDP connection inside the tunnel are not decoded."
                    .to_owned(),
            );
        }
        limits.extend(d.anomalies.iter().cloned());
    }
    let lost = conn.c.stats.gap_bytes_acked + conn.s.stats.gap_bytes_acked;
    if lost > 0 {
        limits.push(format!(
            "The capture missed {lost} bytes that the receiver acknowledged: packets dropped by the capturing host, not by the network."
        ));
    }
    // What the evidence keeps of the connection is moved out of it (it is dropped after this), not copied.
    let (phases, anomalies, http) = match conn.dissector.as_deref_mut() {
        Some(d) => (
            timeline(d, ev.tls.as_ref()),
            std::mem::take(&mut d.anomalies),
            d.http.as_mut().map(|h| std::mem::take(&mut h.exchanges)).unwrap_or_default(),
        ),
        None => Default::default(),
    };
    let d = conn.dissector.as_deref();
    let end = match end_kind {
        Some((how, by, ts, phase)) => ConnectionEnd {
            how,
            by: Some(by),
            at_ms: ms(ts - start),
            phase,
            after: conn.last_meaningful.as_ref().map(|(s, w)| format!("the {}'s {w}", s.label())).unwrap_or_default(),
        },
        None => ConnectionEnd {
            how: EndKind::CaptureEnded,
            by: None,
            at_ms: ms(conn.last_ns - start),
            phase,
            after: conn.last_meaningful.as_ref().map(|(s, w)| format!("the {}'s {w}", s.label())).unwrap_or_default(),
        },
    };
    let outcome = outcome_line(&end);
    if let Some(x) = conn.dissector.as_deref().and_then(|d| d.decrypt.as_ref()) {
        ev.session = session_from_plaintext(x, &ev, &end, start);
    }
    ev.capture = Some(CaptureEvidence {
        kind: d.map_or(ConnectionKind::Rdp, |d| d.kind),
        transport: "tcp",
        client: conn.client,
        server: conn.server,
        start_ms: ms(start - ctx.capture_start_ns),
        duration_ms: ms(conn.last_ns - start),
        setup_seen: conn.c.first_syn_ns.is_some(),
        client_stats: conn.c.stats.clone(),
        server_stats: conn.s.stats.clone(),
        icmp: std::mem::take(&mut conn.icmp),
        phases,
        timeline_truncated: d.is_some_and(|d| d.timeline_truncated),
        request: d.and_then(|d| d.request.as_ref().map(|r| r.0.clone())),
        client_hello: d.and_then(|d| d.client_hello_evidence()),
        client_alert: d.and_then(|d| d.client_alert.clone()),
        encrypted: d
            .filter(|d| d.encrypted.client_records + d.encrypted.server_records > 0)
            .map(|d| d.encrypted.clone()),
        last_phase: phase,
        end,
        stalls: std::mem::take(&mut conn.stalls),
        rdp_udp: None,
        http,
        anomalies,
        tls_resumed: d.and_then(|d| d.tls.as_ref()).is_some_and(|t| match (&t.client_hello, &t.server_hello) {
            (Some(ch), Some(sh)) => sh.resumes(ch),
            _ => false,
        }),
        decryption: d.and_then(|d| {
            let x = d.decrypt.as_ref()?;
            let keys = conn.keys.as_ref()?.try_borrow().ok()?;
            let mut e = x.evidence(&keys);
            if let Some(t) = &d.tunnel {
                e.gateway = t.lines.clone();
                e.gateway_refusal = t.refusal.map(|(n, c)| (n.to_owned(), c));
            }
            Some(e)
        }),
    });
    ev.limitations = limits;
    (ev, outcome)
}

/// The server's own verdict read from the decrypted streams, as the same session evidence the live
/// credentialed check (`check --user`) records, so one set of rules judges both: a CredSSP errorCode, a
/// close right after the NTLM AUTHENTICATE, the Early User Authorization Result, Set Error Info, a
/// licensing error or an ultimatum. `None` when the plaintext holds no such verdict (nothing to judge, or
/// not decrypted): the capture rules then read what the record turns show.
fn session_from_plaintext(
    x: &crate::tlsdec::TlsDecrypt,
    ev: &Evidence,
    end: &ConnectionEnd,
    start_ns: i64,
) -> Option<rdp_doctor_core::evidence::SessionEvidence> {
    use rdp_doctor_core::evidence::{SessionEvidence, SessionOutcome, SessionStep};
    let p = &x.plain;
    if !p.ev.decrypted {
        return None;
    }
    let server_closed = end.by == Some(Side::Server) && end.how != EndKind::CaptureEnded;
    // A TLS alert from the server right after the AUTHENTICATE ends NLA as its FIN does.
    let server_alerted = p.server_alert_after_auth && !server_closed;
    let server_ended = server_closed || server_alerted;
    let closed_after_credentials =
        p.auth_sent_ns.is_some() && !p.server_after_auth && !p.ev.credentials_sent && server_ended;
    // A logoff by the user (with the ultimatum that follows it) is an ordinary end, as the session rules read it.
    use rdp_doctor_core::rules::session::is_user_end;
    let user_end = p.ev.error_info.iter().any(|&c| is_user_end(c));
    let errinfo = p.ev.error_info.iter().any(|&c| c != 0 && !is_user_end(c));
    let verdict = p.ev.credssp_error.is_some()
        || closed_after_credentials
        || p.ev.early_user_auth.is_some_and(|v| v != 0)
        || errinfo
        || p.ev.licensing_error.is_some()
        || p.logon_errors.iter().any(|&(t, d)| rdp_doctor_codes::logon::read_logon_error(t, d).class.is_failure())
        || (p.ultimatum.is_some() && !user_end);
    // A session that drew its first screen after an authenticated logon (NLA credentials, or the server's
    // logon notification) is the live check's `session.ok`.
    let up = p.first_update_ns.is_some() && (p.ev.credentials_sent || !p.logon_infos.is_empty());
    // The server's logon notification says the user has logged on (MS-RDPBCGR 3.3.5.10.1), also when the
    // screen is drawn over the graphics pipeline, which is not decoded.
    let logged_on = p.logon_infos.iter().any(|t| *t <= 2);
    if !verdict && !up && !logged_on {
        return None;
    }
    let outcome = match (end.how, end.by) {
        _ if up && !verdict => SessionOutcome::FirstUpdate,
        _ if logged_on && !verdict => SessionOutcome::LoggedOn,
        _ if server_alerted && closed_after_credentials => SessionOutcome::Closed,
        (EndKind::Rst, Some(Side::Server)) => SessionOutcome::Reset,
        (EndKind::Fin, Some(Side::Server)) => SessionOutcome::Closed,
        (EndKind::CaptureEnded, _) => SessionOutcome::Stopped { reason: "the capture ends here".to_owned() },
        _ => SessionOutcome::Stopped { reason: "the client closed the connection".to_owned() },
    };
    let phase = match p.steps.last().map(|s| s.1) {
        _ if p.ev.credssp_error.is_some() || closed_after_credentials => "credssp",
        _ if (up || logged_on) && !verdict => "active",
        Some(name @ ("early_user_authorization" | "mcs_connect" | "licensing")) => name,
        Some("set_error_info" | "ultimatum") if p.ev.licensing_error.is_some() => "licensing",
        Some(_) if p.ev.credentials_sent || p.ev.mcs_result.is_some() => "the session setup",
        _ => "credssp",
    };
    let mut steps = Vec::new();
    let mut last = start_ns;
    for (ts, name, detail) in &p.steps {
        steps.push(SessionStep {
            name: (*name).to_owned(),
            at_ms: ms(ts - start_ns),
            duration_ms: ms(ts - last).max(0.0),
            detail: detail.clone(),
        });
        last = *ts;
    }
    if server_ended {
        let detail = if server_alerted {
            "the server ended TLS with an alert (the client's FIN came first in the capture)".to_owned()
        } else {
            let how = if end.how == EndKind::Rst { "reset (RST)" } else { "closed (FIN)" };
            format!("the server {how} the connection")
        };
        steps.push(SessionStep {
            name: "closed".to_owned(),
            at_ms: end.at_ms,
            duration_ms: (end.at_ms - ms(last - start_ns)).max(0.0),
            detail,
        });
    }
    let requested = ev.x224.as_ref().map_or(0, |x| x.requested_protocols);
    let selected = match ev.x224.as_ref().map(|x| &x.outcome) {
        Some(X224Outcome::Confirm {
            negotiation: rdp_doctor_core::evidence::NegotiationResult::Selected { protocol, .. },
            ..
        }) => Some(*protocol),
        _ => None,
    };
    Some(SessionEvidence {
        account: p.account.clone().unwrap_or_else(|| "(the account is not in the decrypted data)".to_owned()),
        requested_protocols: requested,
        selected_protocol: selected,
        steps,
        outcome,
        phase: phase.to_owned(),
        credssp_error: p.ev.credssp_error,
        credssp_closed_after_credentials: closed_after_credentials,
        early_user_auth: p.ev.early_user_auth,
        error_infos: p.ev.error_info.clone(),
        license_error: p.ev.licensing_error,
        logon_infos: p.logon_infos.clone(),
        logon_error: p.logon_errors.last().copied(),
        logon_errors: p.logon_errors.clone(),
        session_id: p.session_id,
        ultimatum: p.ultimatum,
        first_update_ms: p.first_update_ns.map(|t| ms(t - start_ns)),
        connector_error: None,
        duration_ms: end.at_ms,
        timeout_ms: 0,
    })
}

/// The server's first decrypted TSRequest as the same CredSSP evidence the live check records, so the same
/// rules judge it (errorCode → `credssp.server_error`, NTLM CHALLENGE → `ntlm.host_info`, clock skew).
fn credssp_from_plaintext(
    x: &crate::tlsdec::TlsDecrypt,
    start_ns: i64,
) -> Option<rdp_doctor_core::evidence::CredsspEvidence> {
    use rdp_doctor_core::evidence::{CredsspEvidence, CredsspOutcome};
    let s = x.plain.first_server.as_ref()?;
    let sent = x.plain.first_client_ns.unwrap_or(s.at_ns);
    Some(CredsspEvidence {
        client_version: x.plain.client_version.unwrap_or(0),
        outcome: if s.ntlm.is_some() { CredsspOutcome::Challenge } else { CredsspOutcome::OtherTsRequest },
        server_version: Some(s.version),
        error_code: s.error_code.or(x.plain.ev.credssp_error),
        ntlm: s.ntlm.clone(),
        sent_unix_ms: sent.div_euclid(1_000_000),
        received_unix_ms: s.at_ns.div_euclid(1_000_000),
        duration_ms: ms(s.at_ns - sent),
        response_hex: format!("(decrypted from the capture, +{})", fmt_ms(ms(s.at_ns - start_ns))),
        mechanisms: Some(x.plain.mechs.ev.clone()).filter(|m| !m.tokens.is_empty()),
    })
}

/// The dissector's timeline, with the leaf certificate's subject named on its Certificate entry.
fn timeline(d: &mut crate::dissect::Dissector, tls: Option<&TlsEvidence>) -> Vec<rdp_doctor_core::capture::PhaseEvent> {
    let mut t = std::mem::take(&mut d.timeline);
    if let Some(leaf) = tls.and_then(|t| t.chain.first())
        && let Some(e) = t.iter_mut().find(|e| e.from == Side::Server && e.what.starts_with("TLS Certificate:"))
    {
        let subject = if leaf.parse_error.is_some() { "unparsable" } else { leaf.subject.as_str() };
        e.what = format!("{}, leaf {subject}", e.what);
    }
    t
}

pub fn outcome_line(end: &ConnectionEnd) -> String {
    match (end.how, end.by) {
        (EndKind::CaptureEnded, _) => format!("still open when the capture ends, in the {}", end.phase.label()),
        (how, by) => format!(
            "{} by the {} at +{}, in the {}",
            if how == EndKind::Rst { "reset (RST)" } else { "closed (FIN)" },
            by.map_or("?", Side::label),
            fmt_ms(end.at_ms),
            end.phase.label()
        ),
    }
}

fn tcp_layer(conn: &TcpConn, ctx: &Ctx, limits: &mut Vec<String>) -> Option<TcpEvidence> {
    let addr = conn.server;
    let attempt = |outcome, duration_ms, detail: Option<String>| TcpAttempt { addr, outcome, duration_ms, detail };
    let repeats = || {
        let (c, s) = (conn.c.stats.syns, conn.s.stats.syns);
        (c > 1 || s > 1).then(|| format!("SYN sent {c} time(s), SYN-ACK {s} time(s)"))
    };
    let (a, timeout_ms) = match (conn.c.first_syn_ns, conn.syn_ack_ns) {
        (Some(syn), Some(sa)) => (attempt(TcpOutcome::Connected, ms(sa - syn).max(0.0), repeats()), 0),
        (Some(syn), None) => {
            let icmp = conn.icmp.iter().find(|i| i.about == Side::Client && i.mtu.is_none());
            if let Some(rst) = conn.s.first_rst_ns.filter(|_| conn.s.stats.data_segments == 0) {
                (attempt(TcpOutcome::Refused, ms(rst - syn), repeats()), 0)
            } else if let Some(i) = icmp {
                let detail = format!("{} from {}", i.what, i.from);
                (attempt(TcpOutcome::Unreachable, i.at_ms - ms(syn - conn.start_ns), Some(detail)), 0)
            } else {
                let watched = ctx.capture_end_ns - syn;
                let last_syn_gap = ctx.capture_end_ns - conn.c.first_syn_ns.unwrap_or(syn);
                if watched >= SYN_NO_ANSWER_NS || conn.c.stats.syns >= 2 {
                    let detail = format!(
                        "{} SYN(s), no answer; the capture went on for {} after the first",
                        conn.c.stats.syns,
                        fmt_ms(ms(last_syn_gap))
                    );
                    (
                        attempt(TcpOutcome::TimedOut, ms(watched), Some(detail)),
                        u64::try_from(watched / 1_000_000).unwrap_or(0),
                    )
                } else {
                    limits.push(format!(
                        "The capture ends {} after the client's SYN: whether the server answers is not in it.",
                        fmt_ms(ms(watched))
                    ));
                    return None;
                }
            }
        }
        (None, sa) => {
            limits.push(if sa.is_some() {
                "The client's SYN is not in the capture (it started during the TCP handshake).".to_owned()
            } else {
                "The connection was already open when the capture started: its setup is not in the capture, so it cannot be judged."
                    .to_owned()
            });
            (attempt(TcpOutcome::Connected, 0.0, Some("already open when the capture started".to_owned())), 0)
        }
    };
    Some(TcpEvidence { attempts: vec![a], timeout_ms })
}

fn x224_layer(
    conn: &TcpConn,
    d: &crate::dissect::Dissector,
    ctx: &Ctx,
    limits: &mut Vec<String>,
) -> Option<X224Evidence> {
    let (req, req_ts) = match &d.request {
        Some((r, ts)) => (r, *ts),
        None => {
            if d.confirm.is_some() {
                limits.push(
                    "The server's X.224 answer is in the capture, but no valid Connection Request from the client: the negotiation cannot be judged."
                        .to_owned(),
                );
            }
            return None;
        }
    };
    let received = conn.s.stats.bytes as usize;
    let (outcome, duration, timeout) = match &d.confirm {
        Some((o, ts)) => (o.clone(), ms(ts - req_ts), 0),
        None => match conn.end {
            Some((how, Side::Server, ts, _)) => {
                let o = if how == EndKind::Rst {
                    X224Outcome::Reset { received }
                } else {
                    X224Outcome::Closed { received }
                };
                (o, ms(ts - req_ts), 0)
            }
            Some((_, Side::Client, ts, _)) => {
                let waited = ts - req_ts;
                (X224Outcome::NoResponse { received }, ms(waited), u64::try_from(waited / 1_000_000).unwrap_or(0))
            }
            None => {
                let waited = ctx.capture_end_ns - req_ts;
                if waited >= NO_ANSWER_NS {
                    (X224Outcome::NoResponse { received }, ms(waited), u64::try_from(waited / 1_000_000).unwrap_or(0))
                } else {
                    limits.push(format!(
                        "The capture ends {} after the client's X.224 Connection Request: the server's answer is not in it.",
                        fmt_ms(ms(waited))
                    ));
                    return None;
                }
            }
        },
    };
    Some(X224Evidence {
        requested_protocols: req.requested_protocols,
        requested_names: req.requested_names.clone(),
        cookie_sent: req.cookie,
        request_hex: d.request_hex.clone(),
        response_hex: d.response_hex.clone(),
        outcome,
        duration_ms: duration,
        timeout_ms: timeout,
    })
}

/// Standard RDP Security: the server's MCS Connect Response, read as the live probe reads it.
fn rdp_security(conn: &TcpConn, d: &crate::dissect::Dissector) -> Option<RdpSecurityEvidence> {
    let since = d.mcs_initial_ns?;
    match &d.rdp_security {
        Some((outcome, ts, hex)) => Some(RdpSecurityEvidence {
            outcome: outcome.clone(),
            duration_ms: ms(ts - since),
            response_hex: hex.clone(),
        }),
        None => match conn.end {
            Some((_, Side::Server, ts, Phase::Mcs)) => Some(RdpSecurityEvidence {
                outcome: RdpSecurityOutcome::Closed,
                duration_ms: ms(ts - since),
                response_hex: String::new(),
            }),
            _ => None,
        },
    }
}

fn tls_layer(
    conn: &TcpConn,
    d: &crate::dissect::Dissector,
    ctx: &Ctx,
    certs: &mut CertCache,
    limits: &mut Vec<String>,
) -> Option<TlsEvidence> {
    let t = d.tls.as_ref()?;
    let hello_ns = t.client_hello_ns;
    if hello_ns.is_none() && t.server_hello.is_none() && !t.server.is_failed() {
        return None;
    }
    let start = hello_ns.unwrap_or(conn.start_ns);
    let last_tls = t.last_ns.map_or(start, |(ts, _)| ts);
    let (outcome, until) = if let Some((a, ts)) = t.server_alert {
        (
            TlsOutcome::AlertReceived {
                description: a.description.0,
                name: a.description.name().map_or_else(|| format!("alert {}", a.description.0), str::to_owned),
            },
            ts,
        )
    } else if let Some(ts) = t.established_ns {
        (TlsOutcome::Established, ts)
    } else if let Some((a, ts)) = t.client_alert {
        (TlsOutcome::Failed { error: format!("the client sent TLS alert {}", a.description.display_name()) }, ts)
    } else if t.server.is_failed() {
        let why = d.anomalies.iter().find(|a| a.contains("server's TLS stream")).cloned().unwrap_or_default();
        (TlsOutcome::Failed { error: why }, last_tls)
    } else {
        match conn.end.filter(|e| e.3 == Phase::Tls) {
            Some((how, Side::Server, ts, _)) => {
                (if how == EndKind::Rst { TlsOutcome::Reset } else { TlsOutcome::Closed }, ts)
            }
            Some((how, Side::Client, ts, _)) => (
                TlsOutcome::Failed {
                    error: format!(
                        "the client {} the connection during the handshake",
                        if how == EndKind::Rst { "reset" } else { "closed" }
                    ),
                },
                ts,
            ),
            None => {
                let waited = ctx.capture_end_ns - last_tls;
                let awaiting_server = t.last_ns.is_some_and(|(_, s)| s == Side::Client);
                if awaiting_server && waited >= NO_ANSWER_NS {
                    let mut e = tls_evidence(t, TlsOutcome::TimedOut, ms(waited), certs);
                    e.timeout_ms = u64::try_from(waited / 1_000_000).unwrap_or(0);
                    return Some(e);
                }
                limits.push(format!(
                    "The capture ends during the TLS handshake ({} after its last message): its outcome is not in it.",
                    fmt_ms(ms(waited))
                ));
                return None;
            }
        }
    };
    let e = tls_evidence(t, outcome, ms(until - start).max(0.0), certs);
    let psk = t.server_hello.is_some_and(|s| s.psk);
    if e.chain.is_empty() && psk && e.outcome == TlsOutcome::Established {
        limits.push(
            "The TLS 1.3 session was resumed with a pre-shared key: no certificate is sent; the client checked it when the session began, so it is not judged here."
                .to_owned(),
        );
    } else if e.chain.is_empty() && t.server_hello.is_some_and(|s| s.version >= 0x0304) {
        limits
            .push("TLS 1.3 encrypts the server's certificate: it is not in the capture and was not judged.".to_owned());
    } else if e.chain.is_empty() && e.outcome == TlsOutcome::Established {
        let resumed = match (&t.client_hello, &t.server_hello) {
            (Some(ch), Some(sh)) => sh.resumes(ch),
            _ => false,
        };
        limits.push(if resumed {
            "The TLS session was resumed (the server echoed the client's session ID): a resumed handshake carries no certificate; the client checked it when the session began, so it is not judged here.".to_owned()
        } else {
            "The server sent no certificate in the clear: it was not judged.".to_owned()
        });
    }
    if !e.chain.is_empty() {
        limits.push(
            "Certificate trust was not judged: a capture shows the chain the server sent, not the verdict of the client's trust store."
                .to_owned(),
        );
        if e.server_name.is_empty() {
            limits.push(
                "The client sent no SNI: the name it connected to is not in the capture, so the certificate's name was not judged."
                    .to_owned(),
            );
        }
    }
    Some(e)
}

fn tls_evidence(
    t: &crate::dissect::TlsSeen,
    outcome: TlsOutcome,
    duration_ms: f64,
    certs: &mut CertCache,
) -> TlsEvidence {
    TlsEvidence {
        stack: PASSIVE.to_owned(),
        outcome,
        server_name: t.client_hello.as_ref().and_then(|c| c.server_name.clone()).unwrap_or_default(),
        version: t.server_hello.map(|s| version_name(s.version)),
        cipher_suite: t.server_hello.map(|s| cipher_suite_name(s.cipher_suite)),
        duration_ms,
        timeout_ms: 0,
        chain: t.chain.iter().map(|der| certs.describe(der)).collect(),
        trust: None,
        modern_attempt: None,
    }
}

/// A client's Kerberos exchanges with one KDC that no RDP connection of the capture shows, as their own
/// report entry: the KDC is the target, the messages are the evidence.
pub fn kerberos(
    client: std::net::SocketAddr,
    kdc: std::net::SocketAddr,
    k: rdp_doctor_core::evidence::KerberosEvidence,
) -> (Evidence, String) {
    let first = k.messages.first().map_or(0.0, |m| m.at_ms);
    let last = k.messages.last().map_or(first, |m| m.at_ms);
    let mut ev = Evidence::new(target(client, kdc), 0);
    let errors = k.messages.iter().filter(|m| m.error_code.is_some()).count();
    let line = format!("{} Kerberos message(s) with the KDC, {errors} KRB-ERROR(s)", k.messages.len());
    let transport = if k.messages.iter().any(|m| m.via.starts_with("TCP")) { "tcp" } else { "udp" };
    ev.limitations.push(
        "Kerberos traffic to the KDC (port 88) without an RDP connection of the same client in the capture: what \
         the KDC answered is shown, not which RDP connection it was for."
            .to_owned(),
    );
    let mut cap = CaptureEvidence::empty(ConnectionKind::Kerberos, transport, client, kdc, first);
    cap.duration_ms = last - first;
    cap.end.at_ms = last - first;
    ev.capture = Some(cap);
    ev.kerberos = Some(k);
    (ev, line)
}
