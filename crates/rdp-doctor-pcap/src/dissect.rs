//! The byte-stream dissector of one TCP connection: the same proto decoders the live probe uses, driven by
//! the reassembled streams instead of a socket. It follows the connection through its phases (X.224 →
//! TLS → CredSSP/session, or X.224 → MCS for Standard RDP Security, or RD Gateway HTTP heads) and stops
//! as soon as what follows is encrypted bulk data, so long sessions cost only TCP accounting.

use rdp_doctor_core::capture::{
    AlertEvidence, ClientHelloEvidence, ConnectionKind, EncryptedRecords, Phase, PhaseEvent, RequestEvidence, Side,
};
use rdp_doctor_core::evidence::{NegotiationResult, RdpSecurityOutcome, X224Outcome};
use rdp_doctor_core::interpret;
use rdp_doctor_proto::hex::hex_prefix;
use rdp_doctor_proto::mcs::{self, McsConnect};
use rdp_doctor_proto::nego::SecurityProtocol;
use rdp_doctor_proto::tls::handshake::{ClientHello, HandshakeMessage, ServerHello, cipher_suite_name};
use rdp_doctor_proto::tls::stream::{TlsEvent, TlsStream};
use rdp_doctor_proto::tls::{Alert, version_name};
use rdp_doctor_proto::{tpkt, x224};

use crate::http::HttpDissector;
use crate::keylog::SharedKeys;
use crate::tcp::Chunk;
use crate::tlsdec::{MAX_DECRYPTED_RECORDS, TlsDecrypt};
use crate::tunnel::Tunnel;

/// Bytes kept per direction while waiting for a complete X.224 / MCS PDU (an MCS Connect Response with an
/// X.509 chain is the largest; the live probe's bound is the same).
pub const MAX_PDU_BUFFER: usize = 32 * 1024;
/// Timeline entries kept per connection.
pub const MAX_TIMELINE: usize = 48;
/// Encrypted records counted before the connection is treated as bulk data.
pub const MAX_ENCRYPTED_RECORDS: u64 = 64;
/// Quoted bytes of the X.224 exchange.
const QUOTE: usize = 64;

/// The TLS handshake as observed.
#[derive(Debug, Default)]
pub struct TlsSeen {
    pub client: TlsStream,
    pub server: TlsStream,
    pub client_hello: Option<ClientHello>,
    pub client_hello_ns: Option<i64>,
    pub server_hello: Option<ServerHello>,
    pub chain: Vec<Vec<u8>>,
    pub chain_total: usize,
    pub server_alert: Option<(Alert, i64)>,
    pub client_alert: Option<(Alert, i64)>,
    client_ccs: bool,
    server_ccs: bool,
    client_finished: bool,
    server_finished: bool,
    pub established_ns: Option<i64>,
    /// Last handshake activity and its sender.
    pub last_ns: Option<(i64, Side)>,
}

/// Dissection state of one TCP connection.
#[derive(Debug)]
pub struct Dissector {
    pub kind: ConnectionKind,
    pub phase: Phase,
    /// Nothing more to decode: the rest is encrypted bulk data (or undecodable).
    pub done: bool,
    start_ns: i64,
    pub timeline: Vec<PhaseEvent>,
    pub timeline_truncated: bool,
    cbuf: Vec<u8>,
    sbuf: Vec<u8>,
    pub request: Option<(RequestEvidence, i64)>,
    pub request_hex: String,
    pub confirm: Option<(X224Outcome, i64)>,
    pub response_hex: String,
    pub selected: Option<SecurityProtocol>,
    pub tls: Option<TlsSeen>,
    pub encrypted: EncryptedRecords,
    last_enc_side: Option<Side>,
    pub client_turns: u32,
    pub server_turns: u32,
    pub http: Option<HttpDissector>,
    pub anomalies: Vec<String>,
    pub client_alert: Option<AlertEvidence>,
    /// The capture starts after the connection's SYN: its first bytes must be the start of X.224.
    mid_stream: bool,
    /// TLS from the first byte is worth a note (the server port is RDP's, not one the user named).
    note_tls_first: bool,
    /// The client's first bytes were not a Connection Request: only the server's answer is still read.
    client_invalid: bool,
    /// Standard RDP Security: when the client's MCS Connect-Initial was seen, and the server's answer
    /// (outcome, time, bytes quoted).
    pub mcs_initial_ns: Option<i64>,
    pub rdp_security: Option<(RdpSecurityOutcome, i64, String)>,
    /// TLS secrets (`--keylog`, Decryption Secrets Blocks), shared by the capture's connections.
    keys: Option<SharedKeys>,
    /// Decryption of this connection's TLS, when secrets were given.
    pub decrypt: Option<Box<TlsDecrypt>>,
    /// A decrypted RD Gateway tunnel's MS-TSGU packets (server side).
    pub tunnel: Option<Tunnel>,
    /// Kerberos messages relayed by a KDC proxy (MS-KKDCP, decrypted): time, sender, message.
    pub kdc_proxy: Vec<(i64, Side, rdp_doctor_proto::krb::Message)>,
}

impl Dissector {
    pub fn new(kind: ConnectionKind, start_ns: i64, mid_stream: bool, note_tls_first: bool) -> Self {
        let mut d = Self {
            kind,
            phase: Phase::Handshake,
            done: false,
            start_ns,
            timeline: Vec::new(),
            timeline_truncated: false,
            cbuf: Vec::new(),
            sbuf: Vec::new(),
            request: None,
            request_hex: String::new(),
            confirm: None,
            response_hex: String::new(),
            selected: None,
            tls: None,
            encrypted: EncryptedRecords::default(),
            last_enc_side: None,
            client_turns: 0,
            server_turns: 0,
            http: None,
            anomalies: Vec::new(),
            client_alert: None,
            mid_stream,
            note_tls_first,
            client_invalid: false,
            mcs_initial_ns: None,
            rdp_security: None,
            keys: None,
            decrypt: None,
            tunnel: None,
            kdc_proxy: Vec::new(),
        };
        match kind {
            ConnectionKind::Tls | ConnectionKind::GatewayTls | ConnectionKind::KdcProxy => {
                d.phase = Phase::Tls;
                d.tls = Some(TlsSeen::default());
            }
            ConnectionKind::GatewayHttp => {
                d.phase = Phase::Http;
                d.http = Some(HttpDissector::default());
            }
            ConnectionKind::Rdp | ConnectionKind::RdpUdp | ConnectionKind::Kerberos => {}
        }
        d
    }

    /// Gives the dissector the capture's TLS secrets.
    pub fn set_keys(&mut self, keys: Option<SharedKeys>) {
        self.keys = keys;
    }

    /// Whether decryption still wants this connection's records.
    fn decrypting(&self) -> bool {
        self.decrypt.as_ref().is_some_and(|d| {
            d.problem.is_none() && d.plain.ev.client_records + d.plain.ev.server_records < MAX_DECRYPTED_RECORDS
        })
    }

    pub fn at_ms(&self, ts: i64) -> f64 {
        ts.saturating_sub(self.start_ns) as f64 / 1e6
    }

    /// Adds a timeline entry (bounded).
    pub fn event(&mut self, ts: i64, from: Side, phase: Phase, what: String) {
        if self.timeline.len() >= MAX_TIMELINE {
            self.timeline_truncated = true;
            return;
        }
        self.timeline.push(PhaseEvent { at_ms: self.at_ms(ts), from, phase, what });
    }

    /// Feeds one chunk of `side`'s byte stream.
    pub fn feed(&mut self, side: Side, ts: i64, chunk: Chunk<'_>) {
        if self.done {
            return;
        }
        let data = match chunk {
            Chunk::Data(d) => d,
            Chunk::Gap(n) => {
                if let Some(d) = self.decrypt.as_mut() {
                    d.gap(side);
                }
                self.anomalies.push(format!(
                    "{n} bytes of the {}'s stream are missing from the capture during the {}: what follows was not decoded",
                    side.label(),
                    self.phase.label()
                ));
                self.done = true;
                return;
            }
        };
        match self.phase {
            Phase::Handshake | Phase::X224 => self.x224(side, ts, data),
            Phase::Tls | Phase::Credssp | Phase::Session => self.tls_bytes(side, ts, data),
            Phase::Mcs => self.mcs(side, ts, data),
            Phase::Http => self.http_bytes(side, ts, data),
        }
    }

    fn buffer(&mut self, side: Side, data: &[u8]) -> bool {
        let buf = match side {
            Side::Client => &mut self.cbuf,
            Side::Server => &mut self.sbuf,
        };
        if buf.len() + data.len() > MAX_PDU_BUFFER {
            self.anomalies.push(format!(
                "the {} sent more than {MAX_PDU_BUFFER} bytes without a complete PDU during the {}",
                side.label(),
                self.phase.label()
            ));
            self.done = true;
            return false;
        }
        buf.extend_from_slice(data);
        true
    }

    fn x224(&mut self, side: Side, ts: i64, data: &[u8]) {
        if self.mid_stream && self.request.is_none() && self.confirm.is_none() {
            let start = match (side, data) {
                (Side::Client, [3, 0, _, _, _, code, ..]) => code & 0xf0 == 0xe0,
                (Side::Server, [3, 0, _, _, _, code, ..]) => code & 0xf0 == 0xd0,
                (Side::Client, [0x16, 3, ..]) => true,
                (Side::Client, b) => rdp_doctor_proto::http::starts_like_gateway_request(b),
                _ => false,
            };
            if !start {
                self.anomalies.push(
                    "The capture starts in the middle of this connection: its first bytes are not the start of an RDP connection, so nothing of its setup can be decoded."
                        .to_owned(),
                );
                self.done = true;
                return;
            }
            self.mid_stream = false;
        }
        self.phase = Phase::X224;
        if side == Side::Client {
            if self.request.is_some() || self.client_invalid {
                // Data after the request before the confirm: keep for the next phase.
                self.buffer(side, data);
                return;
            }
            if !self.buffer(side, data) {
                return;
            }
            self.client_first(ts);
        } else {
            if self.confirm.is_some() {
                self.buffer(side, data);
                return;
            }
            if !self.buffer(side, data) {
                return;
            }
            self.server_answer(ts);
        }
    }

    fn client_first(&mut self, ts: i64) {
        if matches!(self.cbuf.as_slice(), [0x16, 3, ..]) {
            if self.note_tls_first {
                self.anomalies.push("the client started TLS directly, without an X.224 Connection Request".to_owned());
            }
            self.kind = ConnectionKind::Tls;
            self.phase = Phase::Tls;
            self.tls = Some(TlsSeen::default());
            let bytes = std::mem::take(&mut self.cbuf);
            self.tls_bytes(Side::Client, ts, &bytes);
            return;
        }
        if rdp_doctor_proto::http::starts_like_gateway_request(&self.cbuf) {
            self.kind = ConnectionKind::GatewayHttp;
            self.phase = Phase::Http;
            self.http = Some(HttpDissector::default());
            let bytes = std::mem::take(&mut self.cbuf);
            self.http_bytes(Side::Client, ts, &bytes);
            return;
        }
        match x224::decode_connection_request(&self.cbuf) {
            Ok(Some((cr, used))) => {
                let (requested, names, flags) = match cr.negotiation {
                    Some(n) => (n.requested.0, n.requested.names(), n.flags.names()),
                    None => (0, vec!["PROTOCOL_RDP".to_owned()], vec![]),
                };
                let ev = RequestEvidence {
                    rdp_neg_req: cr.negotiation.is_some(),
                    requested_protocols: requested,
                    requested_names: names.clone(),
                    flags,
                    cookie: matches!(cr.token, Some(x224::RequestToken::Cookie { .. })),
                    routing_token: matches!(cr.token, Some(x224::RequestToken::RoutingToken { .. })),
                    correlation_id: cr.correlation_id.is_some(),
                    anomalies: cr.anomalies.iter().map(ToString::to_string).collect(),
                };
                // The cookie is a user name: the request is quoted only without one.
                self.request_hex = if ev.cookie {
                    "(contains the mstshash cookie; not quoted)".to_owned()
                } else {
                    hex_prefix(self.cbuf.get(..used).unwrap_or_default(), QUOTE)
                };
                let what = match cr.negotiation {
                    Some(_) => format!("X.224 Connection Request, RDP_NEG_REQ {}", names.join(" | ")),
                    None => "X.224 Connection Request without RDP_NEG_REQ (legacy client)".to_owned(),
                };
                self.event(ts, Side::Client, Phase::X224, what);
                self.request = Some((ev, ts));
                self.cbuf.drain(..used.min(self.cbuf.len()));
                if !self.sbuf.is_empty() && self.confirm.is_none() {
                    self.server_answer(ts);
                }
            }
            Ok(None) => {}
            Err(e) => {
                self.anomalies.push(format!(
                    "the client's first bytes are not an X.224 Connection Request ({e}): {}",
                    hex_prefix(&self.cbuf, 24)
                ));
                self.event(ts, Side::Client, Phase::X224, format!("not an X.224 Connection Request: {e}"));
                self.client_invalid = true;
                if self.confirm.is_some() {
                    self.done = true;
                }
            }
        }
    }

    fn server_answer(&mut self, ts: i64) {
        let Some(outcome) = interpret::x224_outcome(&self.sbuf) else { return };
        let used = match &outcome {
            X224Outcome::Confirm { .. } => tpkt::frame_len(&self.sbuf).ok().flatten().unwrap_or(self.sbuf.len()),
            _ => self.sbuf.len(),
        };
        self.response_hex = hex_prefix(self.sbuf.get(..used).unwrap_or_default(), QUOTE);
        let mut next = None;
        let what = match &outcome {
            X224Outcome::Confirm { negotiation, .. } => match negotiation {
                NegotiationResult::Selected { protocol, protocol_names, .. } => {
                    self.selected = Some(SecurityProtocol(*protocol));
                    next = Some(if *protocol == 0 { Phase::Mcs } else { Phase::Tls });
                    format!("X.224 Connection Confirm, RDP_NEG_RSP selected {}", protocol_names.join(" | "))
                }
                NegotiationResult::Failure { name, code } => {
                    format!("X.224 Connection Confirm, RDP_NEG_FAILURE {name} (0x{code:08x})")
                }
                NegotiationResult::Legacy => {
                    self.selected = Some(SecurityProtocol(0));
                    next = Some(Phase::Mcs);
                    "X.224 Connection Confirm without negotiation data (Standard RDP Security)".to_owned()
                }
                NegotiationResult::Unknown { neg_type, .. } => {
                    format!("X.224 Connection Confirm with unknown negotiation type 0x{neg_type:02x}")
                }
            },
            X224Outcome::NotRdp { guess } => format!("not RDP: {guess}"),
            X224Outcome::Malformed { error } => format!("malformed answer: {error}"),
            other => format!("{other:?}"),
        };
        self.event(ts, Side::Server, Phase::X224, what);
        self.confirm = Some((outcome, ts));
        if self.client_invalid {
            self.done = true;
            return;
        }
        self.sbuf.drain(..used.min(self.sbuf.len()));
        match next {
            Some(Phase::Tls) => {
                self.phase = Phase::Tls;
                self.tls = Some(TlsSeen::default());
                let (c, s) = (std::mem::take(&mut self.cbuf), std::mem::take(&mut self.sbuf));
                self.tls_bytes(Side::Client, ts, &c);
                self.tls_bytes(Side::Server, ts, &s);
            }
            Some(_) => {
                self.phase = Phase::Mcs;
                let (c, s) = (std::mem::take(&mut self.cbuf), std::mem::take(&mut self.sbuf));
                self.mcs(Side::Client, ts, &c);
                self.mcs(Side::Server, ts, &s);
            }
            None => self.done = true,
        }
    }

    fn mcs(&mut self, side: Side, ts: i64, data: &[u8]) {
        if data.is_empty() || !self.buffer(side, data) {
            return;
        }
        let buf = match side {
            Side::Client => &self.cbuf,
            Side::Server => &self.sbuf,
        };
        // The tolerant reader places the PDU (and names a refused conference); the server's security data
        // is read by the same decoder the live probe uses.
        let security = match side {
            Side::Server => match mcs::decode_connect_response(buf) {
                Ok(Some((sec, _))) => Some(interpret::rdp_security_outcome(sec)),
                Ok(None) => None,
                Err(e) => Some(RdpSecurityOutcome::Failed { error: e.to_string() }),
            },
            Side::Client => None,
        };
        let hex = hex_prefix(buf, 48);
        match mcs::decode_connect_pdu(buf) {
            Ok(Some((pdu, _))) => {
                let what = match pdu {
                    McsConnect::Initial { length } => format!("MCS Connect-Initial ({length} bytes of GCC data)"),
                    McsConnect::Response { result } => format!("MCS Connect-Response result={}", result.name()),
                };
                self.event(ts, side, Phase::Mcs, what);
                match side {
                    Side::Client => {
                        self.mcs_initial_ns.get_or_insert(ts);
                        self.cbuf.clear();
                    }
                    Side::Server => {
                        self.sbuf.clear();
                        if let Some(outcome) = security {
                            self.rdp_security = Some((outcome, ts, hex));
                        }
                        // Everything after the Connect-Response is RC4-encrypted or routine.
                        self.phase = Phase::Session;
                        self.done = true;
                    }
                }
            }
            Ok(None) => {}
            Err(e) => {
                self.event(ts, side, Phase::Mcs, format!("not an MCS connect PDU: {e}"));
                if side == Side::Server {
                    self.rdp_security = Some((RdpSecurityOutcome::Failed { error: e.to_string() }, ts, hex));
                }
                self.done = true;
            }
        }
    }

    fn tls_bytes(&mut self, side: Side, ts: i64, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let Some(tls) = self.tls.as_mut() else { return };
        let mut events = Vec::new();
        match side {
            Side::Client => tls.client.feed(data, &mut events),
            Side::Server => tls.server.feed(data, &mut events),
        }
        if self.decrypt.is_none()
            && let Some(keys) = &self.keys
            && keys.try_borrow().is_ok_and(|k| !k.is_empty())
        {
            let sel = self.selected.map_or(0, |s| s.0);
            let mut d = Box::new(TlsDecrypt::new(sel & 0x0a != 0, sel & 0x08 != 0));
            d.http_mode = self.kind == ConnectionKind::Tls;
            self.decrypt = Some(d);
        }
        for e in events {
            self.tls_event(side, ts, e);
        }
        let mut chain = None;
        let mut http = Vec::new();
        if let (Some(d), Some(keys)) = (self.decrypt.as_mut(), self.keys.as_ref())
            && let Ok(k) = keys.try_borrow()
        {
            d.feed(side, ts, data, &k);
            chain = d.chain.take();
            http = std::mem::take(&mut d.outbox);
        }
        for (side, ts, bytes) in http {
            self.decrypted_http(side, ts, &bytes);
        }
        {
            // TLS 1.3: the certificate the capture hid, read from the decrypted handshake.
            if let Some((chain, total)) = chain
                && let Some(tls) = self.tls.as_mut()
                && tls.chain.is_empty()
            {
                tls.chain = chain;
                tls.chain_total = total;
                self.event(
                    ts,
                    Side::Server,
                    Phase::Tls,
                    format!("TLS Certificate: {total} certificate(s) (decrypted)"),
                );
            }
        }
    }

    fn tls_event(&mut self, side: Side, ts: i64, e: TlsEvent) {
        let phase_before = self.phase;
        let Some(tls) = self.tls.as_mut() else { return };
        if tls.established_ns.is_none() {
            tls.last_ns = Some((ts, side));
        }
        let mut note: Option<String> = None;
        match e {
            TlsEvent::Handshake(HandshakeMessage::ClientHello(ch)) if side == Side::Client => {
                let versions: Vec<String> = ch.offered_versions.iter().map(|v| version_name(*v)).collect();
                note = Some(format!(
                    "TLS ClientHello ({}{})",
                    versions.join(", "),
                    ch.server_name.as_ref().map(|n| format!("; SNI {n}")).unwrap_or_else(|| "; no SNI".to_owned())
                ));
                tls.client_hello_ns.get_or_insert(ts);
                tls.client_hello = Some(ch);
            }
            TlsEvent::Handshake(HandshakeMessage::ServerHello(sh)) if side == Side::Server => {
                note = Some(
                    format!(
                        "TLS {} ServerHello: {} {}",
                        if sh.hello_retry_request { "HelloRetryRequest" } else { "" },
                        version_name(sh.version),
                        cipher_suite_name(sh.cipher_suite)
                    )
                    .replace("TLS  ", "TLS "),
                );
                if let Some(d) = self.decrypt.as_mut()
                    && !sh.hello_retry_request
                {
                    d.server_hello(sh.version, sh.cipher_suite);
                }
                if sh.version >= 0x0304 && !sh.hello_retry_request {
                    tls.client.set_encrypted();
                    tls.server.set_encrypted();
                }
                tls.server_hello = Some(sh);
            }
            TlsEvent::Handshake(HandshakeMessage::Certificate { chain, total }) => {
                // The leaf's subject is added when the evidence is built (certificates are described once).
                note = Some(format!("TLS Certificate: {total} certificate(s)"));
                if side == Side::Server {
                    tls.chain = chain;
                    tls.chain_total = total;
                }
            }
            TlsEvent::Handshake(m) => note = Some(format!("TLS {}", m.msg_type().name())),
            TlsEvent::Alert(a) => {
                note = Some(format!(
                    "TLS alert {} ({})",
                    a.description.display_name(),
                    if a.level == 2 { "fatal" } else { "warning" }
                ));
                match side {
                    Side::Server if tls.established_ns.is_none() => tls.server_alert = Some((a, ts)),
                    Side::Client if tls.established_ns.is_none() => tls.client_alert = Some((a, ts)),
                    _ => {}
                }
            }
            TlsEvent::ChangeCipherSpec => {
                match side {
                    Side::Client => tls.client_ccs = true,
                    Side::Server => tls.server_ccs = true,
                }
                note = Some("TLS ChangeCipherSpec".to_owned());
            }
            TlsEvent::EncryptedHandshake { length } => {
                match side {
                    Side::Client => tls.client_finished = true,
                    Side::Server => tls.server_finished = true,
                }
                note = Some(format!("TLS encrypted handshake record ({length} bytes, Finished)"));
            }
            TlsEvent::EncryptedAlert { length } => {
                if tls.established_ns.is_some() {
                    self.encrypted.encrypted_alert_from.get_or_insert(side);
                }
                note = Some(format!("TLS encrypted alert record ({length} bytes)"));
            }
            TlsEvent::ApplicationData { length } => {
                let tls13 = tls.server_hello.is_some_and(|s| s.version >= 0x0304);
                if tls.established_ns.is_none() && tls13 {
                    match side {
                        Side::Server => tls.server_finished = true,
                        Side::Client => {
                            tls.client_finished = true;
                            tls.established_ns = Some(ts);
                        }
                    }
                } else if tls.established_ns.is_some() {
                    self.record(side, ts, length);
                }
            }
            TlsEvent::Malformed(why) => {
                self.anomalies.push(format!("the {}'s TLS stream is malformed: {why}", side.label()));
                note = Some(format!("not TLS: {why}"));
                self.done = true;
            }
        }
        let Some(tls) = self.tls.as_mut() else { return };
        let tls12_done = tls.client_ccs && tls.server_ccs && tls.client_finished && tls.server_finished;
        let newly = tls.established_ns.is_none() && tls12_done;
        if newly {
            tls.established_ns = Some(ts);
        }
        let established = tls.established_ns.is_some();
        if let Some(n) = note
            && phase_before == Phase::Tls
        {
            self.event(ts, side, Phase::Tls, n);
        }
        if established && self.phase == Phase::Tls {
            self.event(ts, side, Phase::Tls, "TLS handshake complete".to_owned());
            let nla = self.selected.is_some_and(|s| s.0 & 0x0a != 0);
            self.phase = if nla { Phase::Credssp } else { Phase::Session };
        }
    }

    /// An encrypted record after the handshake: counted, and turns tracked to place CredSSP.
    fn record(&mut self, side: Side, ts: i64, length: u16) {
        let e = &mut self.encrypted;
        match side {
            Side::Client => {
                e.client_records += 1;
                e.client_bytes += u64::from(length);
            }
            Side::Server => {
                e.server_records += 1;
                e.server_bytes += u64::from(length);
            }
        }
        if e.first.len() < 12 {
            e.first.push(format!("{} {}", if side == Side::Client { "C" } else { "S" }, length));
        }
        let _ = e;
        if self.last_enc_side != Some(side) {
            self.last_enc_side = Some(side);
            match side {
                Side::Client => self.client_turns += 1,
                Side::Server => self.server_turns += 1,
            }
            let phase = self.phase;
            if phase == Phase::Credssp && self.client_turns >= 4 {
                self.phase = Phase::Session;
                self.event(
                    ts,
                    side,
                    Phase::Session,
                    "encrypted session data (CredSSP over, inferred from record turns)".to_owned(),
                );
            } else if self.timeline.len() < MAX_TIMELINE - 8 {
                self.event(ts, side, phase, format!("encrypted record(s), first {length} bytes"));
            }
        }
        let total = self.encrypted.client_records + self.encrypted.server_records;
        if (total >= MAX_ENCRYPTED_RECORDS || (self.phase == Phase::Session && self.client_turns >= 6))
            && !self.decrypting()
        {
            self.done = true;
        }
    }

    /// Decrypted application data of a TLS-first connection: an RD Gateway's HTTP exchange is read by the
    /// same HTTP reader as a clear-text one; anything else is left alone.
    fn decrypted_http(&mut self, side: Side, ts: i64, data: &[u8]) {
        if self.http.is_none() {
            let request = rdp_doctor_proto::http::starts_like_gateway_request(data)
                || data.starts_with(b"GET /")
                || data.starts_with(b"POST /");
            if side != Side::Client || !request {
                return;
            }
            let mut h = HttpDissector::default();
            h.keep_tunnel = true;
            self.http = Some(h);
            // Classified by its plaintext: the gateway's own requests, or the KDC proxy it also serves.
            if self.kind == ConnectionKind::Tls {
                let head =
                    String::from_utf8_lossy(data.get(..data.len().min(512)).unwrap_or_default()).to_ascii_lowercase();
                let first_line = head.lines().next().unwrap_or_default().to_owned();
                if first_line.contains("/kdcproxy") {
                    self.kind = ConnectionKind::KdcProxy;
                } else if rdp_doctor_proto::http::starts_like_gateway_request(data)
                    || first_line.contains("/remotedesktopgateway/")
                    || first_line.contains("/rpc/rpcproxy.dll")
                {
                    self.kind = ConnectionKind::GatewayTls;
                }
            }
        }
        let start = self.start_ns;
        let Some(h) = self.http.as_mut() else { return };
        let mut notes = Vec::new();
        h.feed(side, ts, start, data, &mut notes);
        let tunnel_bytes = std::mem::take(&mut h.tunnel);
        let websocket = h.opened;
        for (s, at, body) in std::mem::take(&mut h.kdc_bodies) {
            match rdp_doctor_proto::krb::decode_kdc_proxy_message(&body) {
                Ok(m) => {
                    notes.push((s, format!("KDC proxy {} (MS-KKDCP)", m.name())));
                    if self.kdc_proxy.len() < 16 {
                        self.kdc_proxy.push((at, s, m));
                    }
                }
                Err(e) => notes.push((s, format!("KDC proxy body not read: {e}"))),
            }
        }
        for (s, what) in notes {
            self.event(ts, s, Phase::Http, format!("{what} (decrypted)"));
        }
        if let (Some(ws), false) = (websocket, tunnel_bytes.is_empty()) {
            let t = self.tunnel.get_or_insert_with(|| Tunnel::new(ws));
            let before = t.lines.len();
            t.feed(&tunnel_bytes);
            let new: Vec<String> = t.lines.iter().skip(before).cloned().collect();
            for l in new {
                self.event(ts, Side::Server, Phase::Http, format!("MS-TSGU {l} (decrypted)"));
            }
        }
    }

    fn http_bytes(&mut self, side: Side, ts: i64, data: &[u8]) {
        let start = self.start_ns;
        let Some(h) = self.http.as_mut() else { return };
        let mut notes = Vec::new();
        h.feed(side, ts, start, data, &mut notes);
        let done = h.done();
        for (s, what) in notes {
            self.event(ts, s, Phase::Http, what);
        }
        if done {
            self.done = true;
        }
    }

    /// The client's plaintext TLS alert, for the evidence.
    pub fn finish(&mut self) {
        if let Some(tls) = &self.tls
            && let Some((a, ts)) = tls.client_alert
        {
            self.client_alert = Some(AlertEvidence {
                level: a.level,
                description: a.description.0,
                name: a.description.name().map_or_else(|| format!("alert {}", a.description.0), str::to_owned),
                at_ms: self.at_ms(ts),
            });
        }
    }

    pub fn client_hello_evidence(&self) -> Option<ClientHelloEvidence> {
        let ch = self.tls.as_ref()?.client_hello.as_ref()?;
        Some(ClientHelloEvidence {
            offered_versions: ch.offered_versions.iter().map(|v| version_name(*v)).collect(),
            server_name: ch.server_name.clone(),
            alpn: ch.alpn.clone(),
            cipher_suites: ch.cipher_suites.len(),
        })
    }
}
