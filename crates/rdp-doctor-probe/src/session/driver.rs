//! The step loop: TCP, X.224, TLS, CredSSP, then the connector's phases until the first graphics update,
//! with every server frame inspected raw on the way.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ironrdp_connector::{ClientConnector, ClientConnectorState, Sequence as _, State as _};
use ironrdp_core::WriteBuf;
use ironrdp_pdu::nego;
use rdp_doctor_core::evidence::{SessionOutcome, TlsOutcome};
use rdp_doctor_proto::nego::SecurityProtocol;
use rdp_doctor_proto::server_pdu::{self, ServerPdu};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::framing::{Conn, Read, Splitter, rdp_frame};
use super::nla::{self, NlaStop, describe};
use super::{Credentials, Run, config, outcome_of};

/// At most this many frames are read before the first graphics update (a server cannot keep us busy).
const MAX_FRAMES: usize = 4096;
/// How long to keep watching after the server's verdict, for the Set Error Info / ultimatum / close that
/// usually follow it.
const LINGER: Duration = Duration::from_secs(3);
/// MCS Disconnect Provider Ultimatum, rn-user-requested: how a client says goodbye (T.125).
const GOODBYE: [u8; 9] = [0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x21, 0x80];

/// The phase of the connection sequence (MS-RDPBCGR 1.3.1.1) a connector state belongs to.
fn phase_of(state: &ClientConnectorState) -> &'static str {
    use ClientConnectorState as S;
    match state {
        S::ConnectionInitiationSendRequest | S::ConnectionInitiationWaitConfirm { .. } => "x224",
        S::EnhancedSecurityUpgrade { .. } => "tls",
        S::Credssp { .. } => "credssp",
        S::BasicSettingsExchangeSendInitial { .. } | S::BasicSettingsExchangeWaitResponse { .. } => "mcs_connect",
        S::ChannelConnection { .. } => "channel_connection",
        // Connect-time auto-detection is optional; until the server answers the Client Info PDU (with
        // auto-detect or licensing PDUs) the run counts as being at the Client Info.
        S::SecureSettingsExchange { .. } | S::ConnectTimeAutoDetection { .. } => "client_info",
        S::LicensingExchange { .. } => "licensing",
        S::MultitransportBootstrapping { .. } | S::MultitransportPending { .. } => "multitransport",
        S::CapabilitiesExchange { .. } => "capabilities",
        S::ConnectionFinalization { .. } => "finalization",
        S::Connected { .. } => "active",
        _ => "other",
    }
}

fn phase_detail(phase: &str) -> &'static str {
    match phase {
        "mcs_connect" => "MCS Connect Initial sent, Connect Response received (GCC basic settings)",
        "channel_connection" => "MCS Erect Domain, Attach User and Channel Joins",
        "client_info" => "the server answered the Client Info PDU",
        "licensing" => "licensing exchange finished",
        "multitransport" => "multitransport offer declined (TCP only)",
        "capabilities" => "Demand Active received, Confirm Active sent",
        "finalization" => "Synchronize, Control and Font PDUs exchanged",
        _ => "",
    }
}

/// Drives the whole run; the outcome and every fact land in `r`.
pub(super) async fn drive(
    r: &mut Run,
    addr: SocketAddr,
    server_name: &str,
    creds: &Credentials,
    requested: u32,
    cookie: Option<&str>,
    legacy_tls: bool,
) {
    let began = r.now();
    let (attempt, stream) = crate::tcp::connect_one(addr, r.timeout).await;
    let Some(stream) = stream else {
        let detail = attempt.detail.unwrap_or_default();
        r.event("tcp", began, format!("connect to {addr}: {:?} {detail}", attempt.outcome));
        r.ev.outcome = SessionOutcome::Stopped { reason: format!("TCP connection to {addr} failed") };
        return;
    };
    r.event("tcp", began, format!("connected to {addr}"));
    let local = stream.local_addr().unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)));
    let mut connector = ClientConnector::new(config::build(creds, requested, cookie), local);
    match negotiate_and_secure(r, &mut connector, stream, server_name, legacy_tls).await {
        Some((Secured::Modern(s), key)) => after_tls(r, &mut connector, Conn::new(*s), server_name, key).await,
        #[cfg(feature = "legacy-tls")]
        Some((Secured::Legacy(s), key)) => after_tls(r, &mut connector, Conn::new(s), server_name, key).await,
        None => {}
    }
    config::scrub(&mut connector.config);
}

enum Secured {
    Modern(Box<crate::tls::TlsStream<TcpStream>>),
    #[cfg(feature = "legacy-tls")]
    Legacy(crate::tls_legacy::LegacyStream<TcpStream>),
}

fn enter(r: &mut Run, phase: &'static str) {
    r.phase = phase;
    r.ev.phase = phase.to_owned();
}

/// X.224 through the connector, then TLS with the stack the main check chose. Returns the TLS stream and
/// the server's public key (for CredSSP's pubKeyAuth).
async fn negotiate_and_secure(
    r: &mut Run,
    connector: &mut ClientConnector,
    tcp: TcpStream,
    server_name: &str,
    legacy_tls: bool,
) -> Option<(Secured, Vec<u8>)> {
    enter(r, "x224");
    let began = r.now();
    let mut conn = Conn::new(tcp);
    let mut buf = WriteBuf::new();
    let drivable = r.ev.requested_protocols & config::DRIVABLE;
    let protocols = nego::SecurityProtocol::from_bits_truncate(drivable);
    let written = match connector.initiate_with_security_protocol(protocols, &mut buf) {
        Ok(w) => w,
        Err(e) => {
            r.stop_local(format!("IronRDP cannot request protocols 0x{drivable:08x}: {e}"));
            return None;
        }
    };
    if let Some(n) = written.size()
        && let Err(e) = conn.write(buf.filled().get(..n).unwrap_or_default(), r.timeout).await
    {
        r.stop_local(format!("sending the X.224 Connection Request: {e}"));
        return None;
    }
    let frame = match conn.read(rdp_frame, r.timeout).await {
        Read::Frame(f) => f,
        other => {
            r.event("x224", began, format!("no Connection Confirm: {}", describe(&other)));
            r.ev.outcome = outcome_of(&other);
            return None;
        }
    };
    buf.clear();
    if let Err(e) = connector.step(&frame, None, &mut buf) {
        r.event("x224", began, format!("Connection Confirm: {e}"));
        r.stop_local(format!("negotiation: {e}"));
        return None;
    }
    let selected = match &connector.state {
        ClientConnectorState::EnhancedSecurityUpgrade { selected_protocol } => *selected_protocol,
        _ => nego::SecurityProtocol::empty(),
    };
    r.ev.selected_protocol = Some(selected.bits());
    let names = SecurityProtocol(selected.bits()).names().join(" | ");
    r.step_done("x224", began, format!("RDP_NEG_RSP: the server selected {names}"));
    if selected.is_empty() || !connector.should_perform_security_upgrade() {
        r.ev.outcome = SessionOutcome::Unsupported {
            reason: format!("the server selected {names}; IronRDP drives only TLS and CredSSP connections"),
        };
        return None;
    }
    if conn.pending() > 0 {
        r.stop_local("the server sent data behind its Connection Confirm, before TLS".to_owned());
        return None;
    }
    enter(r, "tls");
    let began = r.now();
    let (tcp, _) = conn.into_inner();
    let (secured, key, detail, failure) = tls_handshake(tcp, server_name, r.timeout, legacy_tls).await;
    let (Some(secured), Some(key)) = (secured, key) else {
        r.event("tls", began, detail);
        r.ev.outcome = failure.unwrap_or(SessionOutcome::Stopped {
            reason: "the server's certificate has no readable public key for CredSSP".to_owned(),
        });
        return None;
    };
    r.step_done("tls", began, detail);
    connector.mark_security_upgrade_as_done();
    Some((secured, key))
}

/// The TLS handshake: the stream, the leaf's subjectPublicKey, a description, and the outcome on failure.
async fn tls_handshake(
    tcp: TcpStream,
    name: &str,
    timeout: Duration,
    legacy: bool,
) -> (Option<Secured>, Option<Vec<u8>>, String, Option<SessionOutcome>) {
    let describe_ev = |ev: &rdp_doctor_core::evidence::TlsEvidence| match &ev.outcome {
        TlsOutcome::Established => format!(
            "{} {} ({})",
            ev.version.as_deref().unwrap_or("TLS"),
            ev.cipher_suite.as_deref().unwrap_or(""),
            ev.stack
        ),
        other => format!("handshake failed: {other:?} ({})", ev.stack),
    };
    let failure = |o: &TlsOutcome| match o {
        TlsOutcome::Closed => SessionOutcome::Closed,
        TlsOutcome::Reset => SessionOutcome::Reset,
        TlsOutcome::TimedOut => SessionOutcome::TimedOut,
        other => SessionOutcome::Stopped { reason: format!("TLS handshake: {other:?}") },
    };
    #[cfg(feature = "legacy-tls")]
    if legacy {
        let (ev, stream) = crate::tls_legacy::handshake(tcp, name, timeout, TlsOutcome::TimedOut).await;
        let key = stream
            .as_ref()
            .and_then(|s| s.ssl().peer_certificate())
            .and_then(|c| c.to_der().ok())
            .and_then(|d| public_key(&d));
        return (stream.map(Secured::Legacy), key, describe_ev(&ev), Some(failure(&ev.outcome)));
    }
    let _ = legacy;
    let (ev, _, stream) = crate::tls::handshake(tcp, name, timeout).await;
    let key = stream
        .as_ref()
        .and_then(|s| s.get_ref().1.peer_certificates().and_then(|c| c.first()).and_then(|c| public_key(c)));
    (stream.map(|s| Secured::Modern(Box::new(s))), key, describe_ev(&ev), Some(failure(&ev.outcome)))
}

/// `subjectPublicKey` of a certificate: what CredSSP's pubKeyAuth binds to (MS-CSSP 3.1.5).
fn public_key(der: &[u8]) -> Option<Vec<u8>> {
    use x509_parser::prelude::{FromDer as _, X509Certificate};
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some(cert.public_key().subject_public_key.data.to_vec())
}

/// What a frame means for the loop.
enum Seen {
    /// The server's verdict (a non-zero ERRINFO, an ultimatum, an X.224 disconnect): stop feeding.
    Verdict,
    /// Kept as evidence; not for the connector.
    Noted,
    /// Hand it to the connector.
    Feed,
    /// A graphics update.
    Graphics,
}

/// Reads a frame raw and records what the diagnosis needs.
fn inspect(r: &mut Run, frame: &[u8]) -> Seen {
    let now = r.now();
    match server_pdu::decode(frame) {
        Ok(ServerPdu::SetErrorInfo { error_info }) => {
            r.ev.error_infos.push(error_info);
            r.event("set_error_info", now, format!("Set Error Info PDU, errorInfo 0x{error_info:08X}"));
            if error_info == 0 { Seen::Noted } else { Seen::Verdict }
        }
        Ok(ServerPdu::DisconnectProviderUltimatum { reason }) => {
            r.ev.ultimatum = Some(reason);
            let name = server_pdu::ultimatum_reason_name(reason);
            r.event("ultimatum", now, format!("MCS Disconnect Provider Ultimatum, reason {reason} ({name})"));
            Seen::Verdict
        }
        Ok(ServerPdu::OtherX224 { code }) => {
            r.event("x224_disconnect", now, format!("X.224 TPDU 0x{code:02x} (not data): the server disconnects"));
            Seen::Verdict
        }
        Ok(ServerPdu::License { error: Some((code, transition)), .. }) => {
            if code != server_pdu::STATUS_VALID_CLIENT {
                r.ev.license_error = Some((code, transition));
                r.event(
                    "license_error",
                    now,
                    format!("licensing ERROR_ALERT: dwErrorCode 0x{code:08X}, dwStateTransition 0x{transition:08X}"),
                );
            }
            Seen::Feed
        }
        Ok(ServerPdu::SaveSessionInfo(info)) => {
            r.ev.logon_infos.push(info.info_type);
            let mut detail = format!("Save Session Info PDU, {}", server_pdu::info_type_name(info.info_type));
            if let Some(id) = info.session_id {
                r.ev.session_id = Some(id);
                detail.push_str(&format!(", session {id}"));
            }
            if let Some((kind, data)) = info.logon_error {
                r.ev.logon_error = Some((kind, data));
                if r.ev.logon_errors.len() < 8 {
                    r.ev.logon_errors.push((kind, data));
                }
                let reading = rdp_doctor_codes::logon::read_logon_error(kind, data);
                detail.push_str(&format!(
                    ", Logon Errors Info {} (0x{kind:08X}), {}",
                    reading.type_name(),
                    reading.data_text()
                ));
            }
            r.event("save_session_info", now, detail);
            Seen::Noted
        }
        Ok(ServerPdu::Update { fast_path, codes })
            if codes.iter().any(|c| server_pdu::is_graphics_update(fast_path, *c)) =>
        {
            Seen::Graphics
        }
        _ => Seen::Feed,
    }
}

/// A short description of a frame, for evidence.
fn frame_kind(frame: &[u8]) -> String {
    match server_pdu::decode(frame) {
        Ok(ServerPdu::Update { fast_path, codes }) => {
            format!("{} update {codes:?}", if fast_path { "fast-path" } else { "slow-path" })
        }
        Ok(ServerPdu::Share { pdu_type, pdu_type2 }) => match pdu_type2 {
            Some(t2) => format!("data PDU type2 {t2}"),
            None => format!("share PDU type {pdu_type}"),
        },
        Ok(other) => format!("{other:?}"),
        Err(e) => format!("unreadable ({e})"),
    }
}

/// After the server's verdict: watch for what follows (Set Error Info, ultimatum, close) for a short while.
async fn linger<S>(r: &mut Run, conn: &mut Conn<S>, rdp: bool, why: &str)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let began = r.now();
    let until = Instant::now() + LINGER.min(r.timeout);
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let split: Splitter = if rdp { rdp_frame } else { any_bytes };
        let read = if left.is_zero() { Read::TimedOut } else { conn.read(split, left).await };
        match read {
            Read::Frame(f) => {
                if rdp {
                    let _ = inspect(r, &f);
                }
            }
            Read::TimedOut => {
                r.ev.outcome = SessionOutcome::Stopped {
                    reason: format!("{why}; the server kept the connection open and rdp-doctor closed it"),
                };
                let _ = conn.write(&GOODBYE, Duration::from_millis(200)).await;
                conn.shutdown().await;
                return;
            }
            other => {
                let name = if matches!(other, Read::Reset) { "reset" } else { "closed" };
                r.event(name, began, describe(&other));
                r.ev.outcome = outcome_of(&other);
                return;
            }
        }
    }
}

/// Any bytes at all, as one frame (what follows a CredSSP refusal need not be RDP).
fn any_bytes(buf: &[u8]) -> Result<Option<usize>, String> {
    Ok((!buf.is_empty()).then_some(buf.len()))
}

/// CredSSP, then the connector's phases, then the wait for the first graphics update.
async fn after_tls<S>(r: &mut Run, connector: &mut ClientConnector, mut conn: Conn<S>, name: &str, key: Vec<u8>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let nla = if let ClientConnectorState::Credssp { selected_protocol } = &connector.state {
        Some(*selected_protocol)
    } else {
        None
    };
    if let Some(selected) = nla {
        enter(r, "credssp");
        match nla::run(r, &mut conn, connector, selected, name, key).await {
            Ok(()) => connector.mark_credssp_as_done(),
            Err(NlaStop::Verdict) => return linger(r, &mut conn, false, "the server refused the logon").await,
            Err(NlaStop::Ended) => return,
        }
    }
    if !sequence(r, connector, &mut conn).await {
        return;
    }
    active(r, &mut conn, nla.is_none()).await;
}

/// The connector's phases from the MCS connect to finalization. False when the run ended on the way.
async fn sequence<S>(r: &mut Run, connector: &mut ClientConnector, conn: &mut Conn<S>) -> bool
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = WriteBuf::new();
    let mut phase_began = r.now();
    let mut frames = 0usize;
    let mut ignored = 0usize;
    loop {
        let phase = phase_of(&connector.state);
        if phase != r.phase {
            let detail = phase_detail(r.phase);
            if !detail.is_empty() {
                r.step_done(r.phase, phase_began, detail.to_owned());
            }
            enter(r, phase);
            phase_began = r.now();
        }
        if let ClientConnectorState::Redirected { redirection } = &connector.state {
            let session = redirection.session_id;
            r.event(
                "redirected",
                phase_began,
                format!("Server Redirection PDU (Connection Broker), session {session}"),
            );
            r.stop_local(
                "the server redirects the client to another host (Connection Broker); rdp-doctor does not follow \
                 redirections: check the target server directly"
                    .to_owned(),
            );
            return false;
        }
        if matches!(connector.state, ClientConnectorState::Connected { .. }) {
            if ignored > 0 {
                r.event(
                    "ignored",
                    phase_began,
                    format!("{ignored} frame(s) the connector did not expect were skipped"),
                );
            }
            return true;
        }
        buf.clear();
        let state_name = connector.state.name();
        let written = if connector.should_perform_multitransport() {
            connector.skip_multitransport(&mut buf)
        } else if connector.next_pdu_hint().is_none() {
            connector.step_no_input(&mut buf)
        } else {
            let read = conn.read(rdp_frame, r.timeout).await;
            let Read::Frame(frame) = read else {
                let name = match read {
                    Read::Reset => "reset",
                    Read::TimedOut => "timeout",
                    _ => "closed",
                };
                r.event(name, phase_began, format!("{} while in {state_name}", describe(&read)));
                r.ev.outcome = outcome_of(&read);
                return false;
            };
            frames += 1;
            if frames > MAX_FRAMES {
                r.stop_local(format!("more than {MAX_FRAMES} frames before the session started"));
                return false;
            }
            match inspect(r, &frame) {
                Seen::Verdict => {
                    linger(r, conn, true, "the server ended the connection").await;
                    return false;
                }
                Seen::Noted => continue,
                Seen::Feed | Seen::Graphics => {}
            }
            let matched = connector.next_pdu_hint().is_some_and(|h| matches!(h.find_size(&frame), Ok(Some((true, _)))));
            if !matched {
                ignored += 1;
                continue;
            }
            connector.step(&frame, None, &mut buf)
        };
        match written {
            Ok(w) => {
                if let Some(n) = w.size()
                    && let Err(e) = conn.write(buf.filled().get(..n).unwrap_or_default(), r.timeout).await
                {
                    r.stop_local(format!("sending in {state_name}: {e}"));
                    return false;
                }
                if state_name == "SecureSettingsExchange" {
                    r.event(
                        "client_info_sent",
                        phase_began,
                        "Client Info PDU sent: account, domain and password, INFO_AUTOLOGON, INFO_LOGONERRORS"
                            .to_owned(),
                    );
                }
            }
            Err(e) => {
                r.stop_local(format!("IronRDP in {state_name}: {e}"));
                linger(r, conn, true, "IronRDP stopped the connection sequence").await;
                if let SessionOutcome::Stopped { .. } = r.ev.outcome {
                    r.ev.outcome = SessionOutcome::Stopped { reason: format!("IronRDP in {state_name}: {e}") };
                }
                return false;
            }
        }
    }
}

/// The session is up: wait for the first graphics update; without NLA also for the logon notification.
async fn active<S>(r: &mut Run, conn: &mut Conn<S>, logon_in_session: bool)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let began = r.now();
    let mut until = Instant::now() + r.timeout;
    let mut frames = 0usize;
    let mut kinds: Vec<String> = Vec::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let read = if left.is_zero() { Read::TimedOut } else { conn.read(rdp_frame, left).await };
        match read {
            Read::Frame(f) => {
                frames += 1;
                if kinds.len() < 16 {
                    kinds.push(frame_kind(&f));
                }
                match inspect(r, &f) {
                    Seen::Verdict => return linger(r, conn, true, "the server ended the session").await,
                    Seen::Graphics if r.ev.first_update_ms.is_none() => {
                        r.ev.first_update_ms = Some(r.now());
                        r.ev.outcome = SessionOutcome::FirstUpdate;
                        r.event("first_update", began, format!("first graphics update after {frames} frame(s)"));
                        if !logon_in_session {
                            break;
                        }
                        // Without NLA the logon happens now, inside the session: give it a full deadline.
                        until = Instant::now() + r.timeout;
                    }
                    _ => {}
                }
                if logon_in_session && r.ev.first_update_ms.is_some() && !r.ev.logon_infos.is_empty() {
                    break;
                }
            }
            Read::TimedOut => {
                if r.ev.first_update_ms.is_none() {
                    let seen = if frames == 0 {
                        "no frame at all".to_owned()
                    } else {
                        format!("{frames} frame(s): {}", kinds.join(", "))
                    };
                    r.event(
                        "timeout",
                        began,
                        format!("no graphics update within {} ms ({seen})", r.timeout.as_millis()),
                    );
                    r.ev.outcome = SessionOutcome::ConnectedNoUpdate;
                } else if logon_in_session && r.ev.logon_infos.is_empty() {
                    r.event(
                        "logon_wait",
                        began,
                        format!(
                            "no logon notification (Save Session Info) within {} ms of the first update",
                            r.timeout.as_millis()
                        ),
                    );
                }
                break;
            }
            other => {
                let name = if matches!(other, Read::Reset) { "reset" } else { "closed" };
                r.event(name, began, describe(&other));
                r.ev.outcome = outcome_of(&other);
                return;
            }
        }
    }
    let _ = conn.write(&GOODBYE, Duration::from_millis(200)).await;
    conn.shutdown().await;
}
