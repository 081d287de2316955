//! Live probes: DNS → TCP → X.224 → TLS against one target, each step with its own deadline.
//!
//! The drivers do the I/O and time it; every byte they receive is interpreted by the sans-IO codecs in
//! `rdp-doctor-proto`, and everything observed lands in `rdp_doctor_core::Evidence`. Judging it is the
//! rule engine's job, not ours. The X.224 and TLS steps take any `AsyncRead + AsyncWrite` stream, which is
//! the seam fault tests use.

pub mod credssp;
pub mod dns;
pub mod gate;
pub mod gateway;
mod gateway_ntlm;
pub mod gateway_tunnel;
pub mod matrix;
pub mod mcs;
pub mod quality;
pub mod session;
pub mod target;
pub mod tcp;
pub mod tls;
#[cfg(feature = "legacy-tls")]
pub mod tls_legacy;
pub mod tlsscan;
pub mod udp;
pub mod websocket;
pub mod x224;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdp_doctor_core::Evidence;
use rdp_doctor_core::evidence::{NegotiationResult, SessionEvidence, X224Outcome};
use rdp_doctor_proto::nego::SecurityProtocol;

pub use target::{TargetError, parse_target};

/// What to probe and how patiently.
#[derive(Clone)]
pub struct CheckOptions {
    /// The deadline of each layer (each TCP attempt, the X.224 exchange, the TLS handshake, DNS).
    pub timeout: Duration,
    /// `requestedProtocols` for RDP_NEG_REQ.
    pub requested: SecurityProtocol,
    /// The `mstshash` cookie; sent only when given.
    pub cookie: Option<String>,
    /// Also ask the DNS servers directly (hickory) besides the OS resolver.
    pub direct_dns: bool,
    /// The name certificates are matched against (defaults to the target host).
    pub tls_name: Option<String>,
    /// Probe each security protocol alone on its own connection (in parallel with the main chain).
    pub matrix: bool,
    /// Enumerate TLS versions and cipher suites (many connections, in parallel).
    pub deep: bool,
    /// TCP handshakes in the quality series (0 turns it off).
    pub samples: usize,
    /// Also probe the Remote Desktop WebSocket listeners (TCP 3387 and 3392).
    pub websocket_ports: bool,
    /// RDP-UDP SYNs while silent (0 turns the UDP probe off; at most 3).
    pub udp_tries: usize,
    /// Reach the target through this RD Gateway (host, port): the gateway is probed instead of the direct
    /// path, which a gateway user does not take.
    pub gateway: Option<(String, u16)>,
    /// The gateway's UDP (DTLS) port for the reachability test.
    pub gateway_udp_port: u16,
    /// Credentials for the credentialed check: the whole connection sequence on its own connection, with
    /// exactly one authentication attempt. `None`: no credentials are ever sent.
    pub credentials: Option<session::Credentials>,
    /// At most this many of our connections wait for the server at once, the main one included (the
    /// per-host bound of [`gate`]; 1 runs the side probes one after another).
    pub parallel: usize,
}

impl std::fmt::Debug for CheckOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckOptions")
            .field("timeout", &self.timeout)
            .field("requested", &self.requested)
            .field("cookie", &self.cookie.as_ref().map(|_| "<redacted>"))
            .field("direct_dns", &self.direct_dns)
            .field("tls_name", &self.tls_name)
            .field("matrix", &self.matrix)
            .field("deep", &self.deep)
            .field("samples", &self.samples)
            .field("websocket_ports", &self.websocket_ports)
            .field("udp_tries", &self.udp_tries)
            .field("gateway", &self.gateway)
            .field("gateway_udp_port", &self.gateway_udp_port)
            .field("credentials", &self.credentials)
            .field("parallel", &self.parallel)
            .finish()
    }
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            requested: SecurityProtocol::DEFAULT_REQUEST,
            cookie: None,
            direct_dns: true,
            tls_name: None,
            matrix: true,
            deep: false,
            samples: quality::DEFAULT_SAMPLES,
            websocket_ports: false,
            udp_tries: 1,
            gateway: None,
            gateway_udp_port: gateway::DEFAULT_UDP_PORT,
            credentials: None,
            parallel: gate::PER_HOST,
        }
    }
}

/// Milliseconds since `start`, as f64.
pub(crate) fn elapsed_ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// Runs the layer chain against `target` and returns what was observed. Never fails: every outcome of
/// the peer is evidence. The whole run is bounded by roughly `timeout` × (layers + addresses tried), plus
/// the credentialed run's budget when credentials are given.
pub async fn check(target: rdp_doctor_core::evidence::Target, opts: &CheckOptions) -> Evidence {
    let mut ev = check_layers(target, opts).await;
    match (&opts.credentials, &mut ev.gateway) {
        // Through a gateway the credentials go to the gateway's tunnel, not to a direct connection.
        (Some(creds), Some(g)) => {
            let tunnel = gateway_tunneled(g, &ev.target, creds, opts).await;
            if let rdp_doctor_core::evidence::GatewayTunnelOutcome::NotRun { reason } = &tunnel.outcome {
                ev.limitations.push(format!("The tunnel through the gateway was not attempted: {reason}"));
            }
            if let rdp_doctor_core::evidence::GatewayTunnelOutcome::Local { error } = &tunnel.outcome {
                ev.limitations.push(format!("rdp-doctor's NTLM client failed, nothing was judged: {error}"));
            }
            g.tunnel = Some(tunnel);
        }
        (Some(creds), None) => ev.session = Some(credentialed(&ev, creds, opts).await),
        (None, _) => {}
    }
    ev
}

/// The credential-free chain only, whatever `opts.credentials` holds: what `check` does without `--user`.
/// Never sends credentials, and its future is `Send`, so fleet scans (`rdp-doctor-scan`) and servers can
/// run it on a multi-threaded runtime (the credentialed run drives IronRDP's connector, which is not).
pub async fn check_without_credentials(target: rdp_doctor_core::evidence::Target, opts: &CheckOptions) -> Evidence {
    check_layers(target, opts).await
}

/// The tunnel through the gateway, when the credential-free probe shows the gateway asks for HTTP
/// authentication with NTLM; otherwise a record of why not (credentials are then never sent).
async fn gateway_tunneled(
    g: &rdp_doctor_core::evidence::GatewayEvidence,
    target: &rdp_doctor_core::evidence::Target,
    creds: &session::Credentials,
    opts: &CheckOptions,
) -> rdp_doctor_core::evidence::GatewayTunnelEvidence {
    use rdp_doctor_core::evidence::{GatewayHttpOutcome, GatewayRequestKind};
    let addr = g.tcp.as_ref().and_then(|t| t.connected()).map(|a| a.addr);
    let t = gateway_tunnel::TunnelTarget {
        gateway: addr.unwrap_or_else(|| std::net::SocketAddr::from(([0, 0, 0, 0], g.port))),
        gateway_name: g.host.trim_start_matches('[').trim_end_matches(']').to_owned(),
        gateway_port: g.port,
        host: target.host.clone(),
        port: target.port,
        requested: opts.requested,
        cookie: opts.cookie.clone(),
    };
    let out = g.requests.iter().find(|p| p.kind == GatewayRequestKind::RdgOut).map(|p| &p.outcome);
    let reason = match (addr, out) {
        (None, _) => Some("no TCP connection to the gateway".to_owned()),
        (_, None) => Some("the gateway's TLS handshake failed".to_owned()),
        (_, Some(GatewayHttpOutcome::Response(r))) if r.status == 401 => {
            if r.auth_schemes.iter().any(|s| s.eq_ignore_ascii_case("ntlm")) {
                None
            } else {
                Some(format!(
                    "the gateway does not offer NTLM (it offers {}); the tunnel check authenticates with NTLM only",
                    if r.auth_schemes.is_empty() { "no scheme".to_owned() } else { r.auth_schemes.join(", ") }
                ))
            }
        }
        (_, Some(GatewayHttpOutcome::Response(r))) => Some(format!(
            "RDG_OUT_DATA was answered {} {}, not 401 with NTLM, so no credentials were sent",
            r.status, r.reason
        )),
        (_, Some(_)) => Some("RDG_OUT_DATA got no HTTP answer, so no credentials were sent".to_owned()),
    };
    match reason {
        Some(reason) => gateway_tunnel::not_run(&creds.user, &t, reason),
        None => gateway_tunnel::run(&t, creds, opts.timeout).await,
    }
}

/// The credentialed run, when the credential-free chain shows the server can be reached with TLS or
/// CredSSP; otherwise a record of why it was not run (credentials are then never sent).
async fn credentialed(ev: &Evidence, creds: &session::Credentials, opts: &CheckOptions) -> SessionEvidence {
    use rdp_doctor_core::evidence::{SessionOutcome, TlsOutcome};
    let requested = opts.requested.0;
    let not = |outcome| session::not_run(&creds.user, requested, outcome);
    let reached = |reason: &str| SessionOutcome::NotReached { reason: reason.to_owned() };
    let Some(addr) = ev.tcp.as_ref().and_then(|t| t.connected()).map(|a| a.addr) else {
        return not(reached("no TCP connection to the server"));
    };
    let selected = match ev.x224.as_ref().map(|x| &x.outcome) {
        Some(X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol, .. }, .. }) => *protocol,
        Some(X224Outcome::Confirm { negotiation: NegotiationResult::Legacy, .. }) => 0,
        _ => return not(reached("the X.224 negotiation did not select a security protocol")),
    };
    if selected & session::DRIVABLE == 0 {
        return not(SessionOutcome::Unsupported {
            reason: format!(
                "the server selected {}; the connection sequence is driven only over TLS or CredSSP (IronRDP has no \
                 RC4 Standard RDP Security), so the credentials were not sent",
                SecurityProtocol(selected).names().join(" | ")
            ),
        });
    }
    let Some(tls) = ev.tls.as_ref().filter(|t| t.outcome == TlsOutcome::Established) else {
        return not(reached("the TLS handshake failed"));
    };
    let name = opts.tls_name.clone().unwrap_or_else(|| ev.target.host.clone());
    session::run(addr, &name, creds, requested, opts.cookie.as_deref(), opts.timeout, tls.modern_attempt.is_some())
        .await
}

async fn check_layers(target: rdp_doctor_core::evidence::Target, opts: &CheckOptions) -> Evidence {
    let now =
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let mut ev = Evidence::new(target.clone(), now);

    if let Some((gw, port)) = &opts.gateway {
        let (g, limitations) = gateway::probe(gw, *port, opts.gateway_udp_port, opts.timeout).await;
        ev.gateway = Some(g);
        ev.limitations.extend(limitations);
        ev.limitations.push(if opts.credentials.is_some() {
            format!(
                "{} is reached through the RD Gateway {gw}:{port}; the direct path to it was not probed. The tunnel \
                 was checked over the HTTP transport (two channels) with NTLM; the WebSocket and RPC-over-HTTP \
                 transports, Negotiate/Kerberos, smart-card and pluggable authentication were not tried through it, \
                 and the RDP connection beyond the X.224 negotiation was not run through the tunnel.",
                target.host
            )
        } else {
            format!(
                "{} is reached through the RD Gateway {gw}:{port}; the direct path to it was not probed, and the \
                 tunnel to it (MS-TSGU handshake, tunnel and channel) needs credentials (--user).",
                target.host
            )
        });
        return ev;
    }

    let addrs = match target.ip {
        Some(ip) => vec![ip],
        None => {
            let dns = dns::resolve(&target.host, opts.timeout, opts.direct_dns).await;
            let addrs = dns.os.addresses.clone();
            ev.dns = Some(dns);
            addrs
        }
    };
    if addrs.is_empty() {
        return ev;
    }

    let (tcp, stream) = tcp::connect_any(&addrs, target.port, opts.timeout).await;
    let connected = tcp.connected().map(|a| a.addr);
    // The main connection's handshake is the quality series' first sample.
    let main_sample = tcp.connected().map(|a| quality::sample(a, stream.as_ref()));
    ev.tcp = Some(tcp);
    let Some(first_ip) = addrs.first().copied() else { return ev };
    let (Some(stream), Some(addr), Some(main_sample)) = (stream, connected, main_sample) else {
        // The WebSocket listeners are other ports: worth probing even when 3389 is closed.
        if opts.websocket_ports {
            ev.websocket_ports = Some(websocket::probe(first_ip, &target.host, opts.timeout).await);
        }
        return ev;
    };

    // Everything that does not depend on the main chain runs beside it on its own connections, all within
    // one per-host bound (`gate`): the main connection holds the first permit until its X.224 answer. The
    // matrix's handshakes are quality samples too; only samples beyond those get connections of their own.
    let gate = gate::HostGate::new(opts.parallel);
    let main_permit = gate.enter().await;
    let samples = opts.samples.min(quality::MAX_SAMPLES);
    let dedicated = samples.saturating_sub(quality::reused(opts.matrix));
    let sni = opts.tls_name.clone().unwrap_or_else(|| target.host.clone());
    // --deep's scan is the long pole (dozens of connections, loops that depend on earlier answers): it asks
    // the gate first, so the matrix's independent connections fill the gaps instead of delaying it.
    let scan = async {
        if opts.deep {
            Some(tlsscan::scan(addr, opts.requested, Some(&sni), opts.timeout, opts.timeout * 4, &gate).await)
        } else {
            None
        }
    };
    // The main connection's X.224 answer, for the matrix (which does not probe again what it shows).
    let (main_answer, main_watch) = tokio::sync::watch::channel(None);
    let main_tcp_ms = ev.tcp.as_ref().and_then(|t| t.connected()).map_or(0.0, |a| a.duration_ms);
    let matrix = async {
        if opts.matrix {
            Some(matrix::probe_all(addr, opts.timeout, &gate, Some((opts.requested, main_watch))).await)
        } else {
            None
        }
    };
    let udp = async {
        if opts.udp_tries > 0 {
            // A short wait per SYN: a listener answers in one round trip.
            let wait = opts.timeout.min(Duration::from_millis(1000));
            Some(udp::probe(addr, opts.udp_tries, wait).await)
        } else {
            None
        }
    };
    let net =
        async { if dedicated > 0 { Some(quality::series(addr, dedicated, opts.timeout, &gate).await) } else { None } };
    let main = main_chain(&mut ev, stream, addr, opts, &gate, main_permit, (main_answer, main_tcp_ms));
    let ((), scan, matrix, udp, net) = tokio::join!(main, scan, matrix, udp, net);
    ev.udp = udp;
    let mut series = vec![main_sample];
    if let Some((matrix, rdp_security, matrix_samples)) = matrix {
        series.extend(matrix_samples);
        ev.security_matrix = Some(matrix);
        if ev.rdp_security.is_none() {
            ev.rdp_security = rdp_security;
        }
    }
    if samples > 0 {
        series.extend(net.into_iter().flat_map(|n| n.samples));
        series.truncate(samples);
        ev.net = Some(rdp_doctor_core::evidence::NetQuality {
            addr,
            samples: series,
            timeout_ms: tcp::millis(opts.timeout),
        });
        if !tcp::MSS_OPTIONS && !ev.limitations.iter().any(|l| l == tcp::MSS_LIMITATION) {
            ev.limitations.push(tcp::MSS_LIMITATION.to_owned());
        }
    }
    ev.tls_scan = scan;
    ev
}

/// X.224 → TLS → CredSSP on the main connection; `permit` (of `gate`) is given back once the server answered
/// the X.224 request, and the answer is sent to the matrix (`answer`, with the TCP handshake's time).
async fn main_chain(
    ev: &mut Evidence,
    mut stream: tokio::net::TcpStream,
    addr: std::net::SocketAddr,
    opts: &CheckOptions,
    gate: &gate::HostGate,
    permit: Option<tokio::sync::SemaphorePermit<'_>>,
    answer: (tokio::sync::watch::Sender<Option<matrix::MainAnswer>>, f64),
) {
    let x = x224::exchange(&mut stream, opts.requested, opts.cookie.clone(), opts.timeout).await;
    drop(permit);
    let _ = answer.0.send(Some(matrix::MainAnswer {
        offered: opts.requested,
        duration_ms: answer.1 + x.duration_ms,
        outcome: x.outcome.clone(),
    }));
    let selected = match &x.outcome {
        X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol, .. }, .. } => {
            Some(SecurityProtocol(*protocol))
        }
        _ => None,
    };
    let legacy = matches!(&x.outcome, X224Outcome::Confirm { negotiation: NegotiationResult::Legacy, .. });
    ev.x224 = Some(x);
    if legacy || selected.is_some_and(|p| p.0 == 0) {
        // Standard RDP Security: the server's security data comes in the MCS Connect Response.
        ev.rdp_security = Some(mcs::exchange(&mut stream, 0, opts.timeout).await);
        return;
    }
    let Some(selected) = selected.filter(|p| p.starts_tls()) else { return };

    let name = opts.tls_name.clone().unwrap_or_else(|| ev.target.host.clone());
    let (tls, limitation, tls_stream) = tls::handshake(stream, &name, opts.timeout).await;
    let stalled = tls.outcome == rdp_doctor_core::evidence::TlsOutcome::TimedOut;
    ev.tls = Some(tls);
    if stalled && tcp::MSS_OPTIONS {
        // The small X.224 exchange worked but the server's large TLS flight never arrived: retry with
        // smaller segments to tell an MTU black hole from a hung server.
        ev.mtu = Some(mtu_probe(addr, &name, opts, gate).await);
    } else if stalled && !ev.limitations.iter().any(|l| l == tcp::MSS_LIMITATION) {
        ev.limitations.push(tcp::MSS_LIMITATION.to_owned());
    }
    ev.limitations.extend(limitation);
    let nla = selected.0 & (SecurityProtocol::PROTOCOL_HYBRID.0 | SecurityProtocol::PROTOCOL_HYBRID_EX.0) != 0;
    match tls_stream {
        Some(mut tls_stream) => {
            if nla {
                ev.credssp = Some(credssp::probe(&mut tls_stream, opts.timeout).await);
            }
            // Say goodbye politely; the server would otherwise wait for the next CredSSP message.
            let _ =
                tokio::time::timeout(Duration::from_millis(200), tokio::io::AsyncWriteExt::shutdown(&mut tls_stream))
                    .await;
        }
        #[cfg(feature = "legacy-tls")]
        None => legacy_chain(ev, addr, &name, nla, opts, gate).await,
        #[cfg(not(feature = "legacy-tls"))]
        None => {
            let _ = (addr, gate);
        }
    }
}

/// Retries X.224 + TLS with the MSS clamped to 1200 and then 536 bytes, stopping at the first success.
async fn mtu_probe(
    addr: std::net::SocketAddr,
    name: &str,
    opts: &CheckOptions,
    gate: &gate::HostGate,
) -> rdp_doctor_core::evidence::MtuProbe {
    use rdp_doctor_core::evidence::{MtuAttempt, MtuProbe, TlsOutcome};
    let mut attempts = Vec::new();
    for mss in [1200u32, 536] {
        let permit = gate.enter().await;
        let Ok(mut stream) = tcp::connect_with_mss(addr, mss, opts.timeout).await else {
            attempts.push(MtuAttempt {
                mss,
                outcome: TlsOutcome::Failed { error: "TCP connect failed".to_owned() },
                duration_ms: 0.0,
            });
            continue;
        };
        let x = x224::exchange(&mut stream, opts.requested, opts.cookie.clone(), opts.timeout).await;
        drop(permit);
        if !matches!(&x.outcome, X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol, .. }, .. } if *protocol != 0)
        {
            attempts.push(MtuAttempt {
                mss,
                outcome: TlsOutcome::Failed { error: "X.224 did not select TLS".to_owned() },
                duration_ms: 0.0,
            });
            continue;
        }
        let (t, _, s) = tls::handshake(stream, name, opts.timeout).await;
        let ok = t.outcome == TlsOutcome::Established;
        attempts.push(MtuAttempt { mss, outcome: t.outcome, duration_ms: t.duration_ms });
        drop(s);
        if ok {
            break;
        }
    }
    MtuProbe { attempts }
}

/// When rustls could not finish the handshake (an alert, a reset, a protocol error, not a timeout), try
/// again on a new connection with OpenSSL's legacy settings, so old servers still get their certificate
/// and CredSSP checked. The rustls outcome is kept in `modern_attempt`.
#[cfg(feature = "legacy-tls")]
async fn legacy_chain(
    ev: &mut Evidence,
    addr: std::net::SocketAddr,
    name: &str,
    nla: bool,
    opts: &CheckOptions,
    gate: &gate::HostGate,
) {
    use rdp_doctor_core::evidence::TlsOutcome;
    let Some(modern) = ev.tls.as_ref().map(|t| t.outcome.clone()) else { return };
    if matches!(modern, TlsOutcome::Established | TlsOutcome::TimedOut) {
        return;
    }
    let permit = gate.enter().await;
    let (_, stream) = tcp::connect_one(addr, opts.timeout).await;
    let Some(mut stream) = stream else { return };
    let x = x224::exchange(&mut stream, opts.requested, opts.cookie.clone(), opts.timeout).await;
    drop(permit);
    if !matches!(&x.outcome, X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol, .. }, .. } if *protocol != 0)
    {
        return;
    }
    let (legacy, stream) = tls_legacy::handshake(stream, name, opts.timeout, modern).await;
    let Some(mut stream) = stream else {
        ev.limitations.push(format!(
            "A second handshake with OpenSSL's legacy settings (TLS 1.0-1.2, all suites) failed too: {:?}",
            legacy.outcome
        ));
        return;
    };
    ev.tls = Some(legacy);
    if nla {
        ev.credssp = Some(credssp::probe(&mut stream, opts.timeout).await);
    }
    let _ = tokio::time::timeout(Duration::from_millis(200), tokio::io::AsyncWriteExt::shutdown(&mut stream)).await;
}

/// `check_without_credentials` must stay `Send` (checked at compile time).
#[allow(dead_code)]
fn credential_free_check_is_send(t: rdp_doctor_core::evidence::Target, o: &CheckOptions) {
    fn send<T: Send>(_: T) {}
    send(check_without_credentials(t, o));
}
