//! The decrypted byte streams of an RDP connection, read by the same decoders as the live check: CredSSP
//! TSRequests (MS-CSSP 2.2.1), the Early User Authorization Result (MS-RDPBCGR 2.2.10.2), then TPKT-framed
//! MCS: the Connect-Response, Send Data Indications carrying the Set Error Info PDU (2.2.5.1.1) and
//! licensing error alerts (MS-RDPELE 2.2.2.7.1), and the Disconnect Provider Ultimatum (T.125).
//!
//! Privacy: the client's stream carries user names (NTLM AUTHENTICATE), and in Standard-TLS connections the
//! password itself (Client Info PDU). Only the server's stream is decoded beyond framing; of the client's
//! TSRequests only their shape (version, whether credentials were sent) and the account the NTLM
//! AUTHENTICATE names (`DOMAIN\user`, as the live check reports the account it used) are recorded — never
//! its responses, the encrypted credentials (authInfo) or anything after CredSSP.

use rdp_doctor_core::capture::{DecryptionEvidence, Side};
use rdp_doctor_core::evidence::{MechanismReader, NtlmInfo};
use rdp_doctor_core::interpret;
use rdp_doctor_proto::server_pdu::{self, ServerPdu};
use rdp_doctor_proto::{credssp, krb, mcs, ntlm};

/// Bytes held per direction while waiting for a complete PDU.
pub const MAX_PLAIN_BUFFER: usize = 64 * 1024;

/// The first server TSRequest, for the CredSSP evidence the live check builds.
#[derive(Debug, Clone)]
pub struct ServerTsRequest {
    pub version: u32,
    pub error_code: Option<u32>,
    pub ntlm: Option<NtlmInfo>,
    pub at_ns: i64,
}

#[derive(Debug, Default)]
pub struct Plain {
    cbuf: Vec<u8>,
    sbuf: Vec<u8>,
    /// HYBRID_EX was selected: the server sends a 4-byte Early User Authorization Result after CredSSP.
    pub hybrid_ex: bool,
    credssp_over: bool,
    client_stopped: bool,
    server_stopped: bool,
    pub client_version: Option<u32>,
    pub first_client_ns: Option<i64>,
    pub first_server: Option<ServerTsRequest>,
    /// When the client sent its NTLM AUTHENTICATE (the TSRequest with pubKeyAuth and no authInfo).
    pub auth_sent_ns: Option<i64>,
    /// The account the client's NTLM AUTHENTICATE names.
    pub account: Option<String>,
    /// A server TSRequest came after the client's AUTHENTICATE (the server answered it).
    pub server_after_auth: bool,
    /// The server sent a TLS alert (decrypted) after the client's AUTHENTICATE, before any answer: it ended
    /// NLA there, whoever's FIN the capture shows first (the client closes as soon as it reads the alert, and
    /// on a loaded machine its FIN can precede the server's).
    pub server_alert_after_auth: bool,
    /// The reason of a Disconnect Provider Ultimatum (T.125), raw.
    pub ultimatum: Option<u8>,
    /// Save Session Info `infoType`s (logon notifications, MS-RDPBCGR 2.2.10.1).
    pub logon_infos: Vec<u32>,
    /// Every Logon Errors Info (errorNotificationType, errorNotificationData), in order (at most 8).
    pub logon_errors: Vec<(u32, u32)>,
    /// The session ID a logon notification or auto-reconnect cookie named.
    pub session_id: Option<u32>,
    /// The first graphics update (the session is up).
    pub first_update_ns: Option<i64>,
    /// Kerberos messages inside the SPNEGO tokens of the TSRequests (a client's AP-REQ, a server's
    /// KRB-ERROR or AP-REP), with their time and sender.
    pub krb: Vec<(i64, Side, krb::Message)>,
    /// What was read, in order, with its capture time: (time, step name, detail).
    pub steps: Vec<(i64, &'static str, String)>,
    pub ev: DecryptionEvidence,
    /// The security mechanisms of the CredSSP tokens, read as the live probe reads them.
    pub mechs: MechanismReader,
}

/// Steps recorded per connection.
const MAX_STEPS: usize = 32;

fn u32le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl Plain {
    pub fn new(nla: bool, hybrid_ex: bool) -> Self {
        Self { hybrid_ex, credssp_over: !nla, ..Self::default() }
    }

    /// Feeds decrypted application data of one side.
    pub fn feed(&mut self, side: Side, ts: i64, data: &[u8]) {
        let stopped = match side {
            Side::Client => self.client_stopped,
            Side::Server => self.server_stopped,
        };
        if stopped {
            return;
        }
        let buf = match side {
            Side::Client => &mut self.cbuf,
            Side::Server => &mut self.sbuf,
        };
        if buf.len() + data.len() > MAX_PLAIN_BUFFER {
            buf.clear();
            match side {
                Side::Client => self.client_stopped = true,
                Side::Server => self.server_stopped = true,
            }
            return;
        }
        buf.extend_from_slice(data);
        match side {
            Side::Client => self.client(ts),
            Side::Server => self.server(ts),
        }
    }

    fn client(&mut self, ts: i64) {
        while !self.cbuf.is_empty() && !self.client_stopped {
            if self.cbuf.first() == Some(&0x30) {
                match credssp::decode(&self.cbuf) {
                    Ok(Some((req, used))) => {
                        self.first_client_ns.get_or_insert(ts);
                        self.kerberos(ts, Side::Client, &req.nego_tokens);
                        let tokens: Vec<String> = req.nego_tokens.iter().map(|t| self.mechs.client(t)).collect();
                        self.client_version.get_or_insert(req.version);
                        let what = if req.auth_info_len.is_some() {
                            self.ev.credentials_sent = true;
                            self.credssp_over = true;
                            "credentials (authInfo)"
                        } else if req.pub_key_auth_len.is_some() {
                            self.auth_sent_ns.get_or_insert(ts);
                            if self.account.is_none() {
                                self.account = req
                                    .nego_tokens
                                    .iter()
                                    .filter_map(|t| interpret::find_ntlm(t))
                                    .find_map(|m| ntlm::decode_authenticate_account(m).ok())
                                    .map(|a| a.display());
                            }
                            "authentication token and pubKeyAuth"
                        } else {
                            "authentication token"
                        };
                        let mut line = format!("client TSRequest version {}: {what}", req.version);
                        if !tokens.is_empty() {
                            line.push_str(&format!(" ({})", tokens.join("; ")));
                        }
                        self.step(ts, "credssp", line.clone());
                        self.note(line);
                        self.cbuf.drain(..used.min(self.cbuf.len()));
                    }
                    Ok(None) => return,
                    Err(_) => self.client_stopped = true,
                }
            } else {
                // TPKT / fast-path: the client's session data is not decoded (it carries credentials).
                self.client_stopped = true;
                self.cbuf = Vec::new();
            }
        }
    }

    fn kerberos(&mut self, ts: i64, side: Side, tokens: &[Vec<u8>]) {
        for m in tokens.iter().filter_map(|t| krb::find_in_gss_token(t)) {
            if self.krb.len() < 8 {
                self.krb.push((ts, side, m));
            }
        }
    }

    fn step(&mut self, ts: i64, name: &'static str, detail: String) {
        if self.steps.len() < MAX_STEPS {
            self.steps.push((ts, name, detail));
        }
    }

    fn note(&mut self, line: String) {
        if self.ev.credssp.len() < 16 {
            self.ev.credssp.push(line);
        }
    }

    fn server(&mut self, ts: i64) {
        while !self.sbuf.is_empty() && !self.server_stopped {
            let first = self.sbuf.first().copied().unwrap_or(0);
            if first == 0x30 && !self.credssp_over {
                match credssp::decode(&self.sbuf) {
                    Ok(Some((req, used))) => {
                        self.kerberos(ts, Side::Server, &req.nego_tokens);
                        let tokens: Vec<String> = req.nego_tokens.iter().map(|t| self.mechs.server(t)).collect();
                        if req.pub_key_auth_len.is_some() {
                            self.mechs.server_pub_key_auth();
                        }
                        let ntlm = req
                            .nego_tokens
                            .iter()
                            .filter_map(|t| interpret::find_ntlm(t))
                            .find_map(|m| ntlm::decode_challenge(m).ok())
                            .map(|c| interpret::ntlm_info(&c));
                        let mut what = format!("server TSRequest version {}", req.version);
                        if ntlm.is_some() {
                            what.push_str(": NTLM CHALLENGE");
                        } else if !req.nego_tokens.is_empty() {
                            what.push_str(&format!(": authentication token ({})", tokens.join("; ")));
                        }
                        if req.pub_key_auth_len.is_some() {
                            what.push_str(", pubKeyAuth");
                        }
                        if let Some(code) = req.error_code {
                            what.push_str(&format!(", errorCode 0x{code:08X}"));
                            self.ev.credssp_error.get_or_insert(code);
                        }
                        if self.auth_sent_ns.is_some() {
                            self.server_after_auth = true;
                        }
                        self.step(ts, "credssp", what.clone());
                        self.note(what);
                        if self.first_server.is_none() {
                            self.first_server = Some(ServerTsRequest {
                                version: req.version,
                                error_code: req.error_code,
                                ntlm,
                                at_ns: ts,
                            });
                        } else if let (Some(f), Some(code)) = (self.first_server.as_mut(), req.error_code) {
                            f.error_code.get_or_insert(code);
                        }
                        self.sbuf.drain(..used.min(self.sbuf.len()));
                    }
                    Ok(None) => return,
                    Err(_) => self.server_stopped = true,
                }
                continue;
            }
            if self.hybrid_ex && self.ev.credentials_sent && self.ev.early_user_auth.is_none() && first != 3 {
                let Some(v) = u32le(&self.sbuf, 0) else { return };
                self.ev.early_user_auth = Some(v);
                self.step(ts, "early_user_authorization", format!("Early User Authorization Result 0x{v:08X}"));
                self.sbuf.drain(..4);
                continue;
            }
            // TPKT or fast-path frames, split and read by the live check's decoder (`server_pdu`).
            match server_pdu::frame_len(&self.sbuf) {
                Ok(None) => return,
                Err(_) => {
                    self.server_stopped = true;
                    return;
                }
                Ok(Some(len)) => {
                    let frame: Vec<u8> = self.sbuf.drain(..len).collect();
                    if first == 3 {
                        self.credssp_over = true;
                    }
                    self.frame(ts, &frame);
                }
            }
        }
    }

    /// One server frame after the security exchange: the MCS Connect-Response (BER, read by the MCS codec),
    /// then what `server_pdu` reads for the live credentialed check: Set Error Info, the ultimatum,
    /// licensing errors, Save Session Info (logon notifications and errors) and graphics updates.
    fn frame(&mut self, ts: i64, frame: &[u8]) {
        // TPKT header (4) + X.224 Data TPDU (02 f0 80) + 0x7f 0x66: the Connect-Response.
        if frame.get(4..8) == Some(&[0x02, 0xf0, 0x80, 0x7f][..]) {
            if let Ok(Some((mcs::McsConnect::Response { result }, _))) = mcs::decode_connect_pdu(frame) {
                self.ev.mcs_result = Some(result.name().to_owned());
                self.step(ts, "mcs_connect", format!("MCS Connect Response: {}", result.name()));
            }
            return;
        }
        match server_pdu::decode(frame) {
            Ok(ServerPdu::SetErrorInfo { error_info }) if self.ev.error_info.len() < 8 => {
                self.ev.error_info.push(error_info);
                self.step(ts, "set_error_info", format!("Set Error Info PDU errorInfo 0x{error_info:08X}"));
            }
            Ok(ServerPdu::DisconnectProviderUltimatum { reason }) => {
                let name = server_pdu::ultimatum_reason_name(reason);
                self.ev.mcs_disconnect = Some(format!("{name} ({reason})"));
                self.ultimatum = Some(reason);
                self.step(ts, "ultimatum", format!("MCS Disconnect Provider Ultimatum {name} ({reason})"));
            }
            // ERROR_ALERT with STATUS_VALID_CLIENT (7) is the normal end of licensing.
            Ok(ServerPdu::License { error: Some((code, st)), .. }) if code != 7 => {
                self.ev.licensing_error = Some((code, st));
                self.step(ts, "licensing", format!("licensing ERROR_ALERT dwErrorCode 0x{code:08X}"));
            }
            Ok(ServerPdu::SaveSessionInfo(info)) => {
                if self.logon_infos.len() < 8 {
                    self.logon_infos.push(info.info_type);
                }
                if info.session_id.is_some() {
                    self.session_id = info.session_id;
                }
                let mut detail = format!("Save Session Info: {}", server_pdu::info_type_name(info.info_type));
                if let Some(id) = info.session_id {
                    detail.push_str(&format!(", session {id}"));
                }
                if let Some((t, d)) = info.logon_error {
                    let r = rdp_doctor_codes::logon::read_logon_error(t, d);
                    detail.push_str(&format!(", Logon Errors Info {} (0x{t:08X}), {}", r.type_name(), r.data_text()));
                    if self.logon_errors.len() < 8 {
                        self.logon_errors.push((t, d));
                    }
                }
                self.step(ts, "logon", detail);
            }
            Ok(ServerPdu::Update { fast_path, codes })
                if self.first_update_ns.is_none()
                    && codes.iter().any(|c| server_pdu::is_graphics_update(fast_path, *c)) =>
            {
                self.first_update_ns = Some(ts);
                self.step(ts, "first_update", "first graphics update".to_owned());
            }
            _ => {}
        }
    }
}

/// The name of a decrypted alert.
pub fn alert_line(side: Side, body: &[u8]) -> String {
    match body {
        [level, desc] => format!(
            "{}: {} ({})",
            side.label(),
            rdp_doctor_proto::tls::AlertDescription(*desc).display_name(),
            if *level == 2 { "fatal" } else { "warning" }
        ),
        _ => format!("{}: malformed alert of {} bytes", side.label(), body.len()),
    }
}
