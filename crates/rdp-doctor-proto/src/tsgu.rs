//! RD Gateway HTTP-transport packets (MS-TSGU 2.2.10): the binary messages that travel inside the
//! `RDG_OUT_DATA` / `RDG_IN_DATA` channels (or one WebSocket) once HTTP authentication is done.
//!
//! Every packet starts with `HTTP_PACKET_HEADER` (2.2.10.9): `packetType u16`, `reserved u16`,
//! `packetLength u32` — the length includes the 8-byte header. All integers are little-endian; strings
//! are `cbLen u16` followed by UTF-16LE bytes including the terminating NUL. The setup exchange is
//! HANDSHAKE → TUNNEL_CREATE → TUNNEL_AUTH → CHANNEL_CREATE, each answered by a response carrying an
//! HRESULT (`E_PROXY_*`, named by `rdp-doctor-codes`).
//!
//! Decoders bound every length by the packet's own `packetLength`, which is itself bounded by
//! [`MAX_PACKET_LEN`]; a short buffer is "need more" (`Ok(None)`), a packet too short for its fields is an
//! error naming the field.

/// `HTTP_PACKET_HEADER` size.
pub const HEADER_LEN: usize = 8;
/// Largest packet accepted: a DATA packet carries at most 65535 bytes (cbDataLen u16) plus its headers.
pub const MAX_PACKET_LEN: u32 = 65_535 + 10;

/// MS-TSGU 2.2.5.3.3 packet types.
pub mod packet_type {
    pub const HANDSHAKE_REQUEST: u16 = 0x01;
    pub const HANDSHAKE_RESPONSE: u16 = 0x02;
    pub const EXTENDED_AUTH_MSG: u16 = 0x03;
    pub const TUNNEL_CREATE: u16 = 0x04;
    pub const TUNNEL_RESPONSE: u16 = 0x05;
    pub const TUNNEL_AUTH: u16 = 0x06;
    pub const TUNNEL_AUTH_RESPONSE: u16 = 0x07;
    pub const CHANNEL_CREATE: u16 = 0x08;
    pub const CHANNEL_RESPONSE: u16 = 0x09;
    pub const DATA: u16 = 0x0A;
    pub const SERVICE_MESSAGE: u16 = 0x0B;
    pub const REAUTH_MESSAGE: u16 = 0x0C;
    pub const KEEPALIVE: u16 = 0x0D;
    pub const CLOSE_CHANNEL: u16 = 0x10;
    pub const CLOSE_CHANNEL_RESPONSE: u16 = 0x11;
}

/// MS-TSGU 2.2.5.3.2 extended authentication (HANDSHAKE extendedAuth).
pub mod extended_auth {
    pub const NONE: u16 = 0x0;
    pub const SC: u16 = 0x1;
    pub const PAA: u16 = 0x2;
    pub const SSPI_NTLM: u16 = 0x4;
}

/// MS-TSGU 2.2.5.3.4 capability flags (TUNNEL_CREATE capsFlags, TUNNEL_RESPONSE caps).
pub mod caps {
    pub const QUAR_SOH: u32 = 0x01;
    pub const IDLE_TIMEOUT: u32 = 0x02;
    pub const MESSAGING_CONSENT_SIGN: u32 = 0x04;
    pub const MESSAGING_SERVICE_MSG: u32 = 0x08;
    pub const REAUTH: u32 = 0x10;
    pub const UDP_TRANSPORT: u32 = 0x20;
}

/// Optional-field flags of the responses (MS-TSGU 2.2.5.3.5-2.2.5.3.9).
pub mod fields {
    pub const TUNNEL_CREATE_PAA_COOKIE: u16 = 0x1;
    pub const TUNNEL_CREATE_REAUTH: u16 = 0x2;
    pub const TUNNEL_RESPONSE_TUNNEL_ID: u16 = 0x1;
    pub const TUNNEL_RESPONSE_CAPS: u16 = 0x2;
    pub const TUNNEL_RESPONSE_SOH_REQ: u16 = 0x4;
    pub const TUNNEL_RESPONSE_CONSENT_MSG: u16 = 0x10;
    pub const TUNNEL_AUTH_SOH: u16 = 0x1;
    pub const TUNNEL_AUTH_RESPONSE_REDIR_FLAGS: u16 = 0x1;
    pub const TUNNEL_AUTH_RESPONSE_IDLE_TIMEOUT: u16 = 0x2;
    pub const TUNNEL_AUTH_RESPONSE_SOH_RESPONSE: u16 = 0x4;
    pub const CHANNEL_RESPONSE_CHANNELID: u16 = 0x1;
    pub const CHANNEL_RESPONSE_AUTHNCOOKIE: u16 = 0x2;
    pub const CHANNEL_RESPONSE_UDPPORT: u16 = 0x4;
}

/// What is wrong with a packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TsguError {
    #[error("packetLength {0} is outside 8..={MAX_PACKET_LEN}")]
    BadLength(u32),
    #[error("packet type {packet_type:#06x} ({length} bytes) ends inside {field}")]
    Short { packet_type: u16, length: u32, field: &'static str },
    #[error("string {field} has an odd byte count {len}")]
    OddString { field: &'static str, len: usize },
}

/// MS-TSGU 2.2.10.9 `HTTP_PACKET_HEADER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketHeader {
    pub packet_type: u16,
    pub reserved: u16,
    pub length: u32,
}

/// 2.2.10.10 `HTTP_HANDSHAKE_REQUEST_PACKET` (client → gateway).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeRequest {
    pub ver_major: u8,
    pub ver_minor: u8,
    pub client_version: u16,
    pub extended_auth: u16,
}

impl Default for HandshakeRequest {
    /// Version 1.0, client version 0, no extended authentication (what mstsc and FreeRDP send with HTTP auth).
    fn default() -> Self {
        Self { ver_major: 1, ver_minor: 0, client_version: 0, extended_auth: extended_auth::NONE }
    }
}

/// 2.2.10.11 `HTTP_HANDSHAKE_RESPONSE_PACKET`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeResponse {
    /// HRESULT.
    pub error_code: u32,
    pub ver_major: u8,
    pub ver_minor: u8,
    pub server_version: u16,
    pub extended_auth: u16,
}

/// 2.2.10.18 `HTTP_TUNNEL_PACKET`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelCreate {
    pub caps_flags: u32,
    pub fields_present: u16,
    pub reserved: u16,
    /// Present with `TUNNEL_CREATE_REAUTH`.
    pub reauth_tunnel_context: Option<u64>,
    /// Present with `TUNNEL_CREATE_PAA_COOKIE` (an HTTP_BYTE_BLOB).
    pub paa_cookie: Option<Vec<u8>>,
}

/// 2.2.10.20 `HTTP_TUNNEL_RESPONSE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelResponse {
    pub server_version: u16,
    /// HRESULT.
    pub status_code: u32,
    pub fields_present: u16,
    pub reserved: u16,
    pub tunnel_id: Option<u32>,
    pub caps: Option<u32>,
    /// SOH_REQ: 20-byte nonce and the server certificate string.
    pub soh_request: Option<([u8; 20], String)>,
    pub consent_message: Option<String>,
}

/// 2.2.10.14 `HTTP_TUNNEL_AUTH_PACKET`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelAuth {
    pub fields_present: u16,
    pub client_name: String,
    /// Present with `TUNNEL_AUTH_SOH`.
    pub statement_of_health: Option<Vec<u8>>,
}

/// 2.2.10.16 `HTTP_TUNNEL_AUTH_RESPONSE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelAuthResponse {
    /// HRESULT.
    pub error_code: u32,
    pub fields_present: u16,
    pub reserved: u16,
    pub redir_flags: Option<u32>,
    /// Minutes.
    pub idle_timeout: Option<u32>,
    pub soh_response: Option<Vec<u8>>,
}

/// 2.2.10.2 `HTTP_CHANNEL_PACKET`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelCreate {
    pub port: u16,
    /// 3 = RDP (the only value defined).
    pub protocol: u16,
    pub resources: Vec<String>,
    pub alt_resources: Vec<String>,
}

/// 2.2.10.4 `HTTP_CHANNEL_RESPONSE` (optional fields in this order: channelId, udpPort, authnCookie).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelResponse {
    /// HRESULT.
    pub error_code: u32,
    pub fields_present: u16,
    pub reserved: u16,
    pub channel_id: Option<u32>,
    pub udp_port: Option<u16>,
    pub authn_cookie: Option<Vec<u8>>,
}

/// A decoded packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    HandshakeRequest(HandshakeRequest),
    HandshakeResponse(HandshakeResponse),
    TunnelCreate(TunnelCreate),
    TunnelResponse(TunnelResponse),
    TunnelAuth(TunnelAuth),
    TunnelAuthResponse(TunnelAuthResponse),
    ChannelCreate(ChannelCreate),
    ChannelResponse(ChannelResponse),
    /// 2.2.10.6 `HTTP_DATA_PACKET`.
    Data(Vec<u8>),
    /// 2.2.10.8 `HTTP_KEEPALIVE_PACKET`: header only.
    Keepalive,
    /// 2.2.10.3 `HTTP_CLOSE_PACKET` (CLOSE_CHANNEL and its response): statusCode.
    Close {
        packet_type: u16,
        status_code: u32,
    },
    /// Any other type (extended auth, service message, reauth…): kept as bytes.
    Other {
        packet_type: u16,
        body: Vec<u8>,
    },
}

impl Packet {
    /// The packet type this value encodes as.
    pub fn packet_type(&self) -> u16 {
        use packet_type as t;
        match self {
            Self::HandshakeRequest(_) => t::HANDSHAKE_REQUEST,
            Self::HandshakeResponse(_) => t::HANDSHAKE_RESPONSE,
            Self::TunnelCreate(_) => t::TUNNEL_CREATE,
            Self::TunnelResponse(_) => t::TUNNEL_RESPONSE,
            Self::TunnelAuth(_) => t::TUNNEL_AUTH,
            Self::TunnelAuthResponse(_) => t::TUNNEL_AUTH_RESPONSE,
            Self::ChannelCreate(_) => t::CHANNEL_CREATE,
            Self::ChannelResponse(_) => t::CHANNEL_RESPONSE,
            Self::Data(_) => t::DATA,
            Self::Keepalive => t::KEEPALIVE,
            Self::Close { packet_type, .. } | Self::Other { packet_type, .. } => *packet_type,
        }
    }

    /// The HRESULT a response carries (0 = S_OK), if this is a response.
    pub fn hresult(&self) -> Option<u32> {
        match self {
            Self::HandshakeResponse(p) => Some(p.error_code),
            Self::TunnelResponse(p) => Some(p.status_code),
            Self::TunnelAuthResponse(p) => Some(p.error_code),
            Self::ChannelResponse(p) => Some(p.error_code),
            Self::Close { status_code, .. } => Some(*status_code),
            _ => None,
        }
    }

    /// The packet with its header. Lengths that do not fit the wire fields are truncated to the field's
    /// maximum (callers build packets from bounded data).
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(32);
        match self {
            Self::HandshakeRequest(p) => {
                b.extend_from_slice(&[p.ver_major, p.ver_minor]);
                put16(&mut b, p.client_version);
                put16(&mut b, p.extended_auth);
            }
            Self::HandshakeResponse(p) => {
                put32(&mut b, p.error_code);
                b.extend_from_slice(&[p.ver_major, p.ver_minor]);
                put16(&mut b, p.server_version);
                put16(&mut b, p.extended_auth);
            }
            Self::TunnelCreate(p) => {
                put32(&mut b, p.caps_flags);
                put16(&mut b, p.fields_present);
                put16(&mut b, p.reserved);
                if let Some(c) = p.reauth_tunnel_context {
                    b.extend_from_slice(&c.to_le_bytes());
                }
                if let Some(c) = &p.paa_cookie {
                    put_blob(&mut b, c);
                }
            }
            Self::TunnelResponse(p) => {
                put16(&mut b, p.server_version);
                put32(&mut b, p.status_code);
                put16(&mut b, p.fields_present);
                put16(&mut b, p.reserved);
                if let Some(v) = p.tunnel_id {
                    put32(&mut b, v);
                }
                if let Some(v) = p.caps {
                    put32(&mut b, v);
                }
                if let Some((nonce, cert)) = &p.soh_request {
                    b.extend_from_slice(nonce);
                    put_string(&mut b, cert);
                }
                if let Some(m) = &p.consent_message {
                    put_string(&mut b, m);
                }
            }
            Self::TunnelAuth(p) => {
                put16(&mut b, p.fields_present);
                put_string(&mut b, &p.client_name);
                if let Some(s) = &p.statement_of_health {
                    put_blob(&mut b, s);
                }
            }
            Self::TunnelAuthResponse(p) => {
                put32(&mut b, p.error_code);
                put16(&mut b, p.fields_present);
                put16(&mut b, p.reserved);
                if let Some(v) = p.redir_flags {
                    put32(&mut b, v);
                }
                if let Some(v) = p.idle_timeout {
                    put32(&mut b, v);
                }
                if let Some(s) = &p.soh_response {
                    put_blob(&mut b, s);
                }
            }
            Self::ChannelCreate(p) => {
                let n = p.resources.len().min(255);
                let alt = p.alt_resources.len().min(255);
                b.extend_from_slice(&[n as u8, alt as u8]);
                put16(&mut b, p.port);
                put16(&mut b, p.protocol);
                for r in p.resources.iter().take(n).chain(p.alt_resources.iter().take(alt)) {
                    put_string(&mut b, r);
                }
            }
            Self::ChannelResponse(p) => {
                put32(&mut b, p.error_code);
                put16(&mut b, p.fields_present);
                put16(&mut b, p.reserved);
                if let Some(v) = p.channel_id {
                    put32(&mut b, v);
                }
                if let Some(v) = p.udp_port {
                    put16(&mut b, v);
                }
                if let Some(c) = &p.authn_cookie {
                    put_blob(&mut b, c);
                }
            }
            Self::Data(d) => put_blob(&mut b, d),
            Self::Keepalive => {}
            Self::Close { status_code, .. } => put32(&mut b, *status_code),
            Self::Other { body, .. } => b.extend_from_slice(body),
        }
        let mut out = Vec::with_capacity(HEADER_LEN + b.len());
        put16(&mut out, self.packet_type());
        put16(&mut out, 0);
        put32(&mut out, u32::try_from(HEADER_LEN + b.len()).unwrap_or(u32::MAX));
        out.extend_from_slice(&b);
        out
    }
}

fn put16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}

fn put32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}

/// `cbLen u16` + bytes, at most 65535 bytes.
fn put_blob(b: &mut Vec<u8>, data: &[u8]) {
    let data = data.get(..data.len().min(usize::from(u16::MAX))).unwrap_or_default();
    put16(b, data.len() as u16);
    b.extend_from_slice(data);
}

/// `cbLen u16` + UTF-16LE with the terminating NUL.
fn put_string(b: &mut Vec<u8>, s: &str) {
    let bytes: Vec<u8> = s.encode_utf16().chain(std::iter::once(0)).flat_map(u16::to_le_bytes).collect();
    put_blob(b, &bytes);
}

/// Reads the 8-byte header; `Ok(None)` when fewer than 8 bytes are there.
pub fn decode_header(buf: &[u8]) -> Result<Option<PacketHeader>, TsguError> {
    let Some(h) = buf.get(..HEADER_LEN) else { return Ok(None) };
    let le16 = |i: usize| u16::from_le_bytes([h.get(i).copied().unwrap_or(0), h.get(i + 1).copied().unwrap_or(0)]);
    let length = u32::from_le_bytes([
        h.get(4).copied().unwrap_or(0),
        h.get(5).copied().unwrap_or(0),
        h.get(6).copied().unwrap_or(0),
        h.get(7).copied().unwrap_or(0),
    ]);
    if !(HEADER_LEN as u32..=MAX_PACKET_LEN).contains(&length) {
        return Err(TsguError::BadLength(length));
    }
    Ok(Some(PacketHeader { packet_type: le16(0), reserved: le16(2), length }))
}

/// A bounded little-endian reader over one packet's body.
struct Body<'a> {
    buf: &'a [u8],
    packet_type: u16,
    length: u32,
}

impl<'a> Body<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], TsguError> {
        let short = TsguError::Short { packet_type: self.packet_type, length: self.length, field };
        let head = self.buf.get(..n).ok_or(short)?;
        self.buf = self.buf.get(n..).unwrap_or_default();
        Ok(head)
    }
    fn u8(&mut self, field: &'static str) -> Result<u8, TsguError> {
        Ok(self.take(1, field)?.first().copied().unwrap_or(0))
    }
    fn u16(&mut self, field: &'static str) -> Result<u16, TsguError> {
        let b = self.take(2, field)?;
        Ok(u16::from_le_bytes([b.first().copied().unwrap_or(0), b.get(1).copied().unwrap_or(0)]))
    }
    fn u32(&mut self, field: &'static str) -> Result<u32, TsguError> {
        let lo = u32::from(self.u16(field)?);
        let hi = u32::from(self.u16(field)?);
        Ok(lo | hi << 16)
    }
    fn u64(&mut self, field: &'static str) -> Result<u64, TsguError> {
        let lo = u64::from(self.u32(field)?);
        let hi = u64::from(self.u32(field)?);
        Ok(lo | hi << 32)
    }
    fn blob(&mut self, field: &'static str) -> Result<Vec<u8>, TsguError> {
        let n = self.u16(field)?;
        Ok(self.take(usize::from(n), field)?.to_vec())
    }
    fn string(&mut self, field: &'static str) -> Result<String, TsguError> {
        let bytes = self.blob(field)?;
        if bytes.len() % 2 != 0 {
            return Err(TsguError::OddString { field, len: bytes.len() });
        }
        let units: Vec<u16> =
            bytes.chunks_exact(2).map(|c| u16::from_le_bytes(<[u8; 2]>::try_from(c).unwrap_or([0, 0]))).collect();
        let end = units.iter().position(|u| *u == 0).unwrap_or(units.len());
        Ok(String::from_utf16_lossy(units.get(..end).unwrap_or_default()))
    }
    fn opt<T>(
        &mut self,
        present: u16,
        flag: u16,
        f: impl FnOnce(&mut Self) -> Result<T, TsguError>,
    ) -> Result<Option<T>, TsguError> {
        if present & flag != 0 { f(self).map(Some) } else { Ok(None) }
    }
}

/// Decodes one packet at the start of `buf`: `Ok(None)` until the whole packet (per `packetLength`) is
/// there, else the packet and the bytes it used. Trailing bytes inside the declared length are ignored, as
/// the gateway and FreeRDP do.
pub fn decode(buf: &[u8]) -> Result<Option<(Packet, usize)>, TsguError> {
    let Some(h) = decode_header(buf)? else { return Ok(None) };
    let total = h.length as usize;
    let Some(body) = buf.get(HEADER_LEN..total) else { return Ok(None) };
    let mut r = Body { buf: body, packet_type: h.packet_type, length: h.length };
    use packet_type as t;
    let p = match h.packet_type {
        t::HANDSHAKE_REQUEST => Packet::HandshakeRequest(HandshakeRequest {
            ver_major: r.u8("verMajor")?,
            ver_minor: r.u8("verMinor")?,
            client_version: r.u16("clientVersion")?,
            extended_auth: r.u16("extendedAuth")?,
        }),
        t::HANDSHAKE_RESPONSE => Packet::HandshakeResponse(HandshakeResponse {
            error_code: r.u32("errorCode")?,
            ver_major: r.u8("verMajor")?,
            ver_minor: r.u8("verMinor")?,
            server_version: r.u16("serverVersion")?,
            extended_auth: r.u16("extendedAuth")?,
        }),
        t::TUNNEL_CREATE => {
            let caps_flags = r.u32("capsFlags")?;
            let fp = r.u16("fieldsPresent")?;
            let reserved = r.u16("reserved")?;
            let reauth = r.opt(fp, fields::TUNNEL_CREATE_REAUTH, |r| r.u64("reauthTunnelContext"))?;
            let cookie = r.opt(fp, fields::TUNNEL_CREATE_PAA_COOKIE, |r| r.blob("PAACookie"))?;
            Packet::TunnelCreate(TunnelCreate {
                caps_flags,
                fields_present: fp,
                reserved,
                reauth_tunnel_context: reauth,
                paa_cookie: cookie,
            })
        }
        t::TUNNEL_RESPONSE => {
            let server_version = r.u16("serverVersion")?;
            let status_code = r.u32("statusCode")?;
            let fp = r.u16("fieldsPresent")?;
            let reserved = r.u16("reserved")?;
            let tunnel_id = r.opt(fp, fields::TUNNEL_RESPONSE_TUNNEL_ID, |r| r.u32("tunnelId"))?;
            let caps = r.opt(fp, fields::TUNNEL_RESPONSE_CAPS, |r| r.u32("capsFlags"))?;
            let soh_request = r.opt(fp, fields::TUNNEL_RESPONSE_SOH_REQ, |r| {
                let mut nonce = [0u8; 20];
                nonce.copy_from_slice(r.take(20, "nonce")?);
                Ok((nonce, r.string("serverCert")?))
            })?;
            let consent_message = r.opt(fp, fields::TUNNEL_RESPONSE_CONSENT_MSG, |r| r.string("consentMsg"))?;
            Packet::TunnelResponse(TunnelResponse {
                server_version,
                status_code,
                fields_present: fp,
                reserved,
                tunnel_id,
                caps,
                soh_request,
                consent_message,
            })
        }
        t::TUNNEL_AUTH => {
            let fp = r.u16("fieldsPresent")?;
            let client_name = r.string("clientName")?;
            let statement_of_health = r.opt(fp, fields::TUNNEL_AUTH_SOH, |r| r.blob("statementOfHealth"))?;
            Packet::TunnelAuth(TunnelAuth { fields_present: fp, client_name, statement_of_health })
        }
        t::TUNNEL_AUTH_RESPONSE => {
            let error_code = r.u32("errorCode")?;
            let fp = r.u16("fieldsPresent")?;
            let reserved = r.u16("reserved")?;
            let redir_flags = r.opt(fp, fields::TUNNEL_AUTH_RESPONSE_REDIR_FLAGS, |r| r.u32("redirFlags"))?;
            let idle_timeout = r.opt(fp, fields::TUNNEL_AUTH_RESPONSE_IDLE_TIMEOUT, |r| r.u32("idleTimeout"))?;
            let soh_response = r.opt(fp, fields::TUNNEL_AUTH_RESPONSE_SOH_RESPONSE, |r| r.blob("SoHResponse"))?;
            Packet::TunnelAuthResponse(TunnelAuthResponse {
                error_code,
                fields_present: fp,
                reserved,
                redir_flags,
                idle_timeout,
                soh_response,
            })
        }
        t::CHANNEL_CREATE => {
            let n = r.u8("numResources")?;
            let alt = r.u8("numAltResources")?;
            let port = r.u16("port")?;
            let protocol = r.u16("protocol")?;
            let mut resources = Vec::with_capacity(usize::from(n));
            for _ in 0..n {
                resources.push(r.string("resourceName")?);
            }
            let mut alt_resources = Vec::with_capacity(usize::from(alt));
            for _ in 0..alt {
                alt_resources.push(r.string("altResourceName")?);
            }
            Packet::ChannelCreate(ChannelCreate { port, protocol, resources, alt_resources })
        }
        t::CHANNEL_RESPONSE => {
            let error_code = r.u32("errorCode")?;
            let fp = r.u16("fieldsPresent")?;
            let reserved = r.u16("reserved")?;
            let channel_id = r.opt(fp, fields::CHANNEL_RESPONSE_CHANNELID, |r| r.u32("channelId"))?;
            let udp_port = r.opt(fp, fields::CHANNEL_RESPONSE_UDPPORT, |r| r.u16("udpPort"))?;
            let authn_cookie = r.opt(fp, fields::CHANNEL_RESPONSE_AUTHNCOOKIE, |r| r.blob("authnCookie"))?;
            Packet::ChannelResponse(ChannelResponse {
                error_code,
                fields_present: fp,
                reserved,
                channel_id,
                udp_port,
                authn_cookie,
            })
        }
        t::DATA => Packet::Data(r.blob("data")?),
        t::KEEPALIVE => Packet::Keepalive,
        t::CLOSE_CHANNEL | t::CLOSE_CHANNEL_RESPONSE => {
            Packet::Close { packet_type: h.packet_type, status_code: r.u32("statusCode")? }
        }
        other => Packet::Other { packet_type: other, body: body.to_vec() },
    };
    Ok(Some((p, total)))
}

/// The name of an HRESULT from a response (`S_OK`, `E_PROXY_RAP_ACCESSDENIED`, …), from the knowledge
/// base's gateway family; `None` for values it does not know.
pub fn hresult_name(value: u32) -> Option<&'static str> {
    if value == 0 {
        return Some("S_OK");
    }
    rdp_doctor_codes::family(rdp_doctor_codes::Kind::Gateway).lookup(value).and_then(|m| m.code()).map(|c| c.name)
}

#[cfg(test)]
#[path = "tsgu_tests.rs"]
mod tests;
