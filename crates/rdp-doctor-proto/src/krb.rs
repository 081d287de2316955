//! Kerberos V5 messages as they cross the wire in clear (RFC 4120 section 5): the KDC exchanges (AS and TGS
//! requests and replies on port 88), the KRB-ERROR a KDC or a server returns, and the AP-REQ/KRB-ERROR
//! tokens that CredSSP carries inside SPNEGO (RFC 4178, GSS-API framing RFC 1964 section 1.1 and RFC 4121
//! section 4.1). Only what a diagnosis needs is read: message type, realm, client and service names, and of
//! a KRB-ERROR its error-code, e-text, the server's time and the extended NTSTATUS a Windows KDC adds
//! (MS-KILE 2.2.1 KERB-EXT-ERROR). Tickets and encrypted parts are skipped, never decrypted.
//!
//! Sans-IO and bounded: every length is checked by the DER reader; no input panics.

use crate::der::{self, DerError, Tlv};

/// The largest Kerberos message accepted over TCP (RFC 4120 7.2.2 leaves it open; a ticket with a large PAC
/// stays far below this).
pub const MAX_TCP_MESSAGE: usize = 256 * 1024;

/// RFC 4120 5.10 application tags of the messages read here.
pub mod msg {
    pub const AS_REQ: u8 = 10;
    pub const AS_REP: u8 = 11;
    pub const TGS_REQ: u8 = 12;
    pub const TGS_REP: u8 = 13;
    pub const AP_REQ: u8 = 14;
    pub const AP_REP: u8 = 15;
    pub const KRB_ERROR: u8 = 30;
    /// KERB-TGT-REQUEST / KERB-TGT-REPLY of Kerberos user-to-user (draft-ietf-cat-user2user-03 4), which
    /// Windows CredSSP sends inside SPNEGO before the AP-REQ.
    pub const TGT_REQ: u8 = 16;
    pub const TGT_REP: u8 = 17;
}

/// The name of a message type.
pub fn msg_name(t: u8) -> &'static str {
    match t {
        msg::AS_REQ => "AS-REQ",
        msg::AS_REP => "AS-REP",
        msg::TGS_REQ => "TGS-REQ",
        msg::TGS_REP => "TGS-REP",
        msg::AP_REQ => "AP-REQ",
        msg::AP_REP => "AP-REP",
        msg::KRB_ERROR => "KRB-ERROR",
        msg::TGT_REQ => "TGT-REQ",
        msg::TGT_REP => "TGT-REP",
        _ => "Kerberos message",
    }
}

/// Why bytes are not a Kerberos message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KrbError {
    #[error("not a Kerberos message (tag 0x{0:02x})")]
    NotKerberos(u8),
    #[error("Kerberos message truncated or malformed: {0}")]
    Der(#[from] DerError),
    #[error("Kerberos TCP record of {0} bytes exceeds the bound")]
    TooLong(usize),
}

/// A KRB-ERROR (RFC 4120 5.9.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorInfo {
    /// error-code (RFC 4120 7.5.9).
    pub code: u32,
    /// e-text, when the KDC wrote one.
    pub e_text: Option<String>,
    /// stime: the KDC's (or server's) clock, GeneralizedTime text (`20261121120302Z`).
    pub stime: Option<String>,
    /// ctime: the client's clock as the client sent it, when echoed.
    pub ctime: Option<String>,
    /// The NTSTATUS a Windows KDC puts in e-data (KERB-EXT-ERROR, MS-KILE 2.2.1).
    pub ntstatus: Option<u32>,
    /// padata-type values of a METHOD-DATA e-data (the pre-authentication methods the KDC offers).
    pub padata_types: Vec<u32>,
}

/// One Kerberos message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// RFC 4120 application tag (see [`msg`]).
    pub msg_type: u8,
    /// The realm of the request body, the reply's crealm or the error's realm.
    pub realm: Option<String>,
    /// The client principal (`alice`), when the message names it.
    pub cname: Option<String>,
    /// The service principal (`krbtgt/REALM`, `TERMSRV/host.example`), when the message names it.
    pub sname: Option<String>,
    /// Present for KRB-ERROR.
    pub error: Option<ErrorInfo>,
}

impl Message {
    pub fn name(&self) -> &'static str {
        msg_name(self.msg_type)
    }
}

/// Decodes one message that starts at the beginning of `buf` (a UDP datagram, or a TCP record's body).
pub fn decode(buf: &[u8]) -> Result<Message, KrbError> {
    let first = buf.first().copied().unwrap_or(0);
    // [APPLICATION n] constructed: 0x60 | n for n < 31.
    let t = first & 0x1f;
    if first & 0xe0 != 0x60 || ![10, 11, 12, 13, 14, 15, 16, 17, 30].contains(&t) {
        return Err(KrbError::NotKerberos(first));
    }
    let outer = der::read_complete(buf)?;
    let seq = der::read_complete(outer.value)?;
    if seq.tag != 0x30 {
        return Err(KrbError::Der(DerError::UnexpectedTag { expected: 0x30, found: seq.tag }));
    }
    let fields = der::children(seq.value)?;
    let mut m = Message { msg_type: t, ..Message::default() };
    match t {
        msg::AS_REQ | msg::TGS_REQ => {
            // KDC-REQ: req-body [4] KDC-REQ-BODY.
            if let Some(body) = field(&fields, 4) {
                let b = der::read_complete(body.value)?;
                let parts = der::children(b.value)?;
                m.cname = field(&parts, 1).and_then(|f| principal(f).ok());
                m.realm = field(&parts, 2).and_then(|f| string(f).ok());
                m.sname = field(&parts, 3).and_then(|f| principal(f).ok());
            }
        }
        msg::AS_REP | msg::TGS_REP => {
            // KDC-REP: crealm [3], cname [4], ticket [5] (Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0],
            // realm [1], sname [2], enc-part [3] }: the service name is in clear).
            m.realm = field(&fields, 3).and_then(|f| string(f).ok());
            m.cname = field(&fields, 4).and_then(|f| principal(f).ok());
            m.sname = field(&fields, 5).and_then(|f| ticket_sname(f).ok());
        }
        msg::TGT_REQ => {
            // KERB-TGT-REQUEST: pvno [0], msg-type [1], server-name [2] OPTIONAL, realm [3] OPTIONAL.
            m.sname = field(&fields, 2).and_then(|f| principal(f).ok());
            m.realm = field(&fields, 3).and_then(|f| string(f).ok());
        }
        msg::TGT_REP => {
            // KERB-TGT-REPLY: pvno [0], msg-type [1], ticket [2]: the server's TGT (its sname is krbtgt/REALM).
            m.sname = field(&fields, 2).and_then(|f| ticket_sname(f).ok());
        }
        msg::KRB_ERROR => {
            let mut e = ErrorInfo {
                code: match field(&fields, 6) {
                    Some(f) => der::integer_u32(&der::read_complete(f.value)?)?,
                    None => return Err(KrbError::Der(DerError::Truncated)),
                },
                ..ErrorInfo::default()
            };
            e.ctime = field(&fields, 2).and_then(|f| string(f).ok());
            e.stime = field(&fields, 4).and_then(|f| string(f).ok());
            m.cname = field(&fields, 8).and_then(|f| principal(f).ok());
            m.realm = field(&fields, 9).and_then(|f| string(f).ok());
            m.sname = field(&fields, 10).and_then(|f| principal(f).ok());
            e.e_text = field(&fields, 11).and_then(|f| string(f).ok()).filter(|s| !s.is_empty());
            if let Some(data) = field(&fields, 12).and_then(|f| der::read_complete(f.value).ok()) {
                read_e_data(data.value, &mut e);
            }
            m.error = Some(e);
        }
        _ => {}
    }
    Ok(m)
}

/// The length of the Kerberos TCP record at the start of `buf` (RFC 4120 7.2.2: a 4-byte big-endian length,
/// high bit reserved): `Ok(Some(body_len))` when the prefix is there, `Ok(None)` when more bytes are needed.
pub fn tcp_record_len(buf: &[u8]) -> Result<Option<usize>, KrbError> {
    let Some(&[b0, b1, b2, b3]) = buf.get(..4) else { return Ok(None) };
    let len = u32::from_be_bytes([b0 & 0x7f, b1, b2, b3]);
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if len > MAX_TCP_MESSAGE {
        return Err(KrbError::TooLong(len));
    }
    Ok(Some(len))
}

/// The Kerberos message of an MS-KKDCP KDC-PROXY-MESSAGE (2.2.2), the body a KDC proxy (an RD Gateway with
/// `rdgiskdcproxy`, `/KdcProxy`) exchanges over HTTPS: `SEQUENCE { kerb-message [0] OCTET STRING,
/// target-domain [1] OPTIONAL, dclocator-hint [2] OPTIONAL }`, where kerb-message carries the message with
/// its TCP length prefix (RFC 4120 7.2.2).
pub fn decode_kdc_proxy_message(body: &[u8]) -> Result<Message, KrbError> {
    let seq = der::read_complete(body)?;
    if seq.tag != 0x30 {
        return Err(KrbError::NotKerberos(seq.tag));
    }
    let fields = der::children(seq.value)?;
    let Some(f) = field(&fields, 0) else { return Err(KrbError::Der(DerError::Truncated)) };
    let octets = der::read_complete(f.value)?;
    let Some(len) = tcp_record_len(octets.value)? else { return Err(KrbError::Der(DerError::Truncated)) };
    let msg = octets.value.get(4..4 + len).ok_or(KrbError::Der(DerError::Truncated))?;
    decode(msg)
}

/// The Kerberos message inside a GSS-API token as CredSSP carries it (SPNEGO NegTokenInit/NegTokenResp,
/// or a bare krb5 InitialContextToken): the AP-REQ a client sends, or the KRB-ERROR a server answers.
/// Searches for the krb5 token IDs (RFC 4121 4.1: 01 00 AP-REQ, 02 00 AP-REP, 03 00 KRB-ERROR) after a
/// Kerberos mechanism OID and decodes what follows.
pub fn find_in_gss_token(token: &[u8]) -> Option<Message> {
    // The DER encodings of the mechanism OIDs 1.2.840.113554.1.2.2 (krb5), 1.2.840.48018.1.2.2 (the
    // Microsoft alias) and 1.2.840.113554.1.2.2.3 (user-to-user); an InitialContextToken writes the OID,
    // then the 2-byte token ID, then the message.
    const KRB5: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
    const MS_KRB5: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];
    const KRB5_U2U: &[u8] = &[0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x03];
    for oid in [KRB5, MS_KRB5, KRB5_U2U] {
        let mut from = 0;
        while let Some(at) = token.get(from..).and_then(|t| t.windows(oid.len()).position(|w| w == oid)) {
            let after = from + at + oid.len();
            if let Some(&[0x01..=0x03, 0x00] | &[0x04, 0x00 | 0x01]) = token.get(after..after + 2)
                && let Some(m) = token.get(after + 2..).and_then(|rest| decode(rest).ok())
            {
                return Some(m);
            }
            from = after;
        }
    }
    None
}

/// A context-tagged field `[n]` of a SEQUENCE.
fn field<'a>(fields: &[Tlv<'a>], n: u8) -> Option<Tlv<'a>> {
    fields.iter().copied().find(|f| f.tag == 0xa0 | n)
}

/// KerberosString / Realm / KerberosTime inside an explicit tag: GeneralString or GeneralizedTime bytes.
fn string(f: Tlv<'_>) -> Result<String, DerError> {
    let inner = der::read_complete(f.value)?;
    Ok(inner.value.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { char::from(b) } else { '?' }).collect())
}

/// PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString }, joined
/// with `/` (`TERMSRV/host.example`).
fn principal(f: Tlv<'_>) -> Result<String, DerError> {
    let seq = der::read_complete(f.value)?;
    let parts = der::children(seq.value)?;
    let Some(names) = field(&parts, 1) else { return Ok(String::new()) };
    let list = der::read_complete(names.value)?;
    let mut out = Vec::new();
    for s in der::children(list.value)?.iter().take(8) {
        out.push(s.value.iter().map(|&b| if b.is_ascii_graphic() { char::from(b) } else { '?' }).collect::<String>());
    }
    Ok(out.join("/"))
}

/// The sname of a Ticket inside its explicit tag.
fn ticket_sname(f: Tlv<'_>) -> Result<String, DerError> {
    let app = der::read_complete(f.value)?;
    let seq = der::read_complete(app.value)?;
    let parts = der::children(seq.value)?;
    field(&parts, 2).map_or(Ok(String::new()), principal)
}

/// e-data: METHOD-DATA (SEQUENCE OF PA-DATA, RFC 4120 5.2.7) with the offered pre-authentication types,
/// and, from a Windows KDC, the NTSTATUS of a KERB-EXT-ERROR (MS-KILE 2.2.1) — either in a
/// KERB-ERROR-DATA (data-type 3) or in a 12-byte PA-DATA of type 3 as Windows writes it.
fn read_e_data(bytes: &[u8], e: &mut ErrorInfo) {
    let Ok(outer) = der::read_complete(bytes) else { return };
    let Ok(items) = der::children(outer.value) else { return };
    let ext = |v: &[u8]| -> Option<u32> {
        let s = u32::from_le_bytes(v.get(..4)?.try_into().ok()?);
        (v.len() == 12 && s & 0xC000_0000 == 0xC000_0000).then_some(s)
    };
    // KERB-ERROR-DATA ::= SEQUENCE { data-type [1] INTEGER, data-value [2] OCTET STRING OPTIONAL }
    if field(&items, 1).is_some() && items.iter().all(|i| i.tag & 0xe0 == 0xa0) {
        let ty =
            field(&items, 1).and_then(|f| der::read_complete(f.value).ok()).and_then(|t| der::integer_u32(&t).ok());
        let val = field(&items, 2).and_then(|f| der::read_complete(f.value).ok());
        if ty == Some(3)
            && let Some(v) = val
        {
            e.ntstatus = ext(v.value);
        }
        return;
    }
    for pa in items.iter().take(32) {
        let Ok(parts) = der::children(pa.value) else { continue };
        let ty =
            field(&parts, 1).and_then(|f| der::read_complete(f.value).ok()).and_then(|t| der::integer_u32(&t).ok());
        let Some(ty) = ty else { continue };
        e.padata_types.push(ty);
        if ty == 3
            && e.ntstatus.is_none()
            && let Some(v) = field(&parts, 2).and_then(|f| der::read_complete(f.value).ok())
        {
            e.ntstatus = ext(v.value);
        }
    }
}

#[cfg(test)]
#[path = "krb_tests.rs"]
mod tests;
