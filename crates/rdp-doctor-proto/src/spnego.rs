//! The authentication tokens CredSSP carries in `negoTokens` (MS-CSSP 2.2.1): which security mechanism
//! each one belongs to, and, for SPNEGO (RFC 4178), the mechanism list a client offers and the mechanism
//! the server chooses.
//!
//! A token is one of:
//! - SPNEGO: the GSS-API InitialContextToken `[APPLICATION 0] { OID 1.3.6.1.5.5.2, negTokenInit }` a client
//!   starts with, or a bare `negTokenInit [0]` / `negTokenResp [1]` (RFC 4178 4.2). mstsc and Windows
//!   servers use SPNEGO inside CredSSP.
//! - A mechanism's own token: raw NTLMSSP (`NTLMSSP\0`, MS-NLMP 2.2, what FreeRDP, IronRDP and rdp-doctor's
//!   probe send), a GSS-API InitialContextToken naming a Kerberos mechanism followed by the 2-byte krb5
//!   token ID (RFC 4121 4.1; user-to-user TGT-REQ/TGT-REP 04 00 / 04 01), or a NEGOEX message
//!   (`NEGOEXTS`, MS-NEGOEX 2.2.6.1).
//!
//! Nothing is decrypted; sans-IO and bounded by the DER reader.

use crate::der::{self, DerError, Tlv};

/// A security mechanism, by its OID (RFC 4178 MechType) or its token's signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// Kerberos V5, 1.2.840.113554.1.2.2 (RFC 4121).
    Kerberos,
    /// Kerberos V5 under Microsoft's OID 1.2.840.48018.1.2.2 (MS-KILE 1.9).
    MsKerberos,
    /// Kerberos user-to-user, 1.2.840.113554.1.2.2.3 (Windows CredSSP's TGT-REQ / TGT-REP exchange).
    KerberosU2U,
    /// IAKERB, 1.3.6.1.5.2.5 (Kerberos through the server, RFC draft / MS-KILE 3.x).
    IaKerb,
    /// NTLM, 1.3.6.1.4.1.311.2.2.10 (MS-NLMP).
    Ntlm,
    /// NEGOEX, 1.3.6.1.4.1.311.2.2.30 (MS-NEGOEX): carries PKU2U and other extended mechanisms.
    NegoEx,
    /// PKU2U, 1.3.6.1.5.2.7 (peer-to-peer Kerberos with certificates: Microsoft Entra ID joined machines).
    Pku2u,
    /// SPNEGO itself, 1.3.6.1.5.5.2.
    Spnego,
    /// Any other OID, in dotted form.
    Other(String),
}

impl Mechanism {
    /// The family a user knows: "Kerberos", "NTLM", "NegoEx", "PKU2U", "SPNEGO" or the OID.
    pub fn family(&self) -> &str {
        match self {
            Self::Kerberos | Self::MsKerberos | Self::KerberosU2U | Self::IaKerb => "Kerberos",
            Self::Ntlm => "NTLM",
            Self::NegoEx => "NegoEx",
            Self::Pku2u => "PKU2U",
            Self::Spnego => "SPNEGO",
            Self::Other(oid) => oid,
        }
    }

    /// The name with its OID, as the evidence shows it.
    pub fn label(&self) -> String {
        match self {
            Self::Kerberos => "Kerberos (1.2.840.113554.1.2.2)".to_owned(),
            Self::MsKerberos => "Kerberos, Microsoft OID (1.2.840.48018.1.2.2)".to_owned(),
            Self::KerberosU2U => "Kerberos user-to-user (1.2.840.113554.1.2.2.3)".to_owned(),
            Self::IaKerb => "IAKERB (1.3.6.1.5.2.5)".to_owned(),
            Self::Ntlm => "NTLM (1.3.6.1.4.1.311.2.2.10)".to_owned(),
            Self::NegoEx => "NEGOEX (1.3.6.1.4.1.311.2.2.30)".to_owned(),
            Self::Pku2u => "PKU2U (1.3.6.1.5.2.7)".to_owned(),
            Self::Spnego => "SPNEGO (1.3.6.1.5.5.2)".to_owned(),
            Self::Other(oid) => format!("unknown mechanism {oid}"),
        }
    }

    /// The mechanism of an OID's DER contents (without tag and length).
    pub fn from_oid(oid: &[u8]) -> Self {
        match oid {
            [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02] => Self::Kerberos,
            [0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02] => Self::MsKerberos,
            [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x03] => Self::KerberosU2U,
            [0x2b, 0x06, 0x01, 0x05, 0x02, 0x05] => Self::IaKerb,
            [0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a] => Self::Ntlm,
            [0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x1e] => Self::NegoEx,
            [0x2b, 0x06, 0x01, 0x05, 0x02, 0x07] => Self::Pku2u,
            [0x2b, 0x06, 0x01, 0x05, 0x05, 0x02] => Self::Spnego,
            other => Self::Other(dotted(other)),
        }
    }

    pub fn is_kerberos(&self) -> bool {
        self.family() == "Kerberos"
    }
}

/// An OID's DER contents in dotted form (X.690 8.19), bounded.
fn dotted(oid: &[u8]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut v: u64 = 0;
    for (i, b) in oid.iter().take(64).enumerate() {
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if parts.is_empty() {
                let (a, b) = if v < 80 { (v / 40, v % 40) } else { (2, v - 80) };
                parts.push(a.to_string());
                parts.push(b.to_string());
            } else {
                parts.push(v.to_string());
            }
            v = 0;
        } else if i > 60 || v > u64::MAX >> 8 {
            break;
        }
    }
    if parts.is_empty() { "(empty OID)".to_owned() } else { parts.join(".") }
}

/// RFC 4178 4.2.2 negState.
pub fn neg_state_name(v: u32) -> &'static str {
    match v {
        0 => "accept-completed",
        1 => "accept-incomplete",
        2 => "reject",
        3 => "request-mic",
        _ => "unknown negState",
    }
}

/// What a mechanism's own token is, as far as it can be told without keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inner {
    /// An NTLM message: 1 NEGOTIATE, 2 CHALLENGE, 3 AUTHENTICATE.
    Ntlm { message_type: u32 },
    /// A Kerberos GSS token: its krb5 token ID (RFC 4121 4.1: 0x0100 AP-REQ, 0x0200 AP-REP, 0x0300
    /// KRB-ERROR; 0x0400 TGT-REQ, 0x0401 TGT-REP; 0x0404 MIC, 0x0405 wrap).
    Kerberos { token_id: u16 },
    /// A NEGOEX message (MS-NEGOEX 2.2.6.1 MESSAGE_HEADER MessageType).
    NegoEx { message_type: u32 },
    /// Some other mechanism's token.
    Other,
}

impl Inner {
    /// The message in words: "NTLM AUTHENTICATE", "Kerberos AP-REQ".
    pub fn describe(&self) -> String {
        match self {
            Self::Ntlm { message_type } => match message_type {
                1 => "NTLM NEGOTIATE".to_owned(),
                2 => "NTLM CHALLENGE".to_owned(),
                3 => "NTLM AUTHENTICATE".to_owned(),
                t => format!("NTLM message type {t}"),
            },
            Self::Kerberos { token_id } => match token_id {
                0x0100 => "Kerberos AP-REQ".to_owned(),
                0x0200 => "Kerberos AP-REP".to_owned(),
                0x0300 => "Kerberos KRB-ERROR".to_owned(),
                0x0400 => "Kerberos TGT-REQ (user-to-user)".to_owned(),
                0x0401 => "Kerberos TGT-REP (user-to-user)".to_owned(),
                0x0404 => "Kerberos MIC".to_owned(),
                0x0405 => "Kerberos wrap token".to_owned(),
                t => format!("Kerberos token 0x{t:04x}"),
            },
            Self::NegoEx { message_type } => match message_type {
                0 => "NEGOEX INITIATOR_NEGO".to_owned(),
                1 => "NEGOEX ACCEPTOR_NEGO".to_owned(),
                2 => "NEGOEX INITIATOR_META_DATA".to_owned(),
                3 => "NEGOEX ACCEPTOR_META_DATA".to_owned(),
                4 => "NEGOEX CHALLENGE".to_owned(),
                5 => "NEGOEX AP_REQUEST".to_owned(),
                6 => "NEGOEX VERIFY".to_owned(),
                7 => "NEGOEX ALERT".to_owned(),
                t => format!("NEGOEX message type {t}"),
            },
            Self::Other => "a token of that mechanism".to_owned(),
        }
    }
}

/// One negoToken, read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Token {
    /// The token is SPNEGO (negTokenInit or negTokenResp).
    pub spnego: bool,
    /// negTokenInit mechTypes: the mechanisms the client offers, most preferred first.
    pub mech_types: Vec<Mechanism>,
    /// negTokenResp negState.
    pub neg_state: Option<u32>,
    /// negTokenResp supportedMech: the mechanism the server chose.
    pub supported_mech: Option<Mechanism>,
    /// The mechanism of the token inside (mechToken / responseToken), or of the bare token.
    pub mechanism: Option<Mechanism>,
    /// What that inner token is.
    pub inner: Option<Inner>,
}

/// Why a token could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpnegoError {
    #[error("SPNEGO token malformed: {0}")]
    Der(#[from] DerError),
    #[error("not a token of a known form (first byte 0x{0:02x})")]
    Unknown(u8),
}

const NTLM_SIGNATURE: &[u8] = b"NTLMSSP\0";
const NEGOEX_SIGNATURE: &[u8] = b"NEGOEXTS";

/// Reads one negoToken.
pub fn decode(token: &[u8]) -> Result<Token, SpnegoError> {
    match token.first().copied() {
        Some(0x60) => {
            let app = der::read_complete(token)?;
            let oid = der::read_complete(app.value)?;
            if oid.tag != 0x06 {
                return Err(SpnegoError::Der(DerError::UnexpectedTag { expected: 0x06, found: oid.tag }));
            }
            let mech = Mechanism::from_oid(oid.value);
            let rest = app.value.get(oid.len..).unwrap_or_default();
            if mech == Mechanism::Spnego {
                let mut t = negotiation_token(rest)?;
                t.spnego = true;
                return Ok(t);
            }
            Ok(Token { inner: Some(inner_after_oid(&mech, rest)), mechanism: Some(mech), ..Token::default() })
        }
        Some(0xa0 | 0xa1) => negotiation_token(token).map(|mut t| {
            t.spnego = true;
            t
        }),
        Some(_) if token.starts_with(NTLM_SIGNATURE) => Ok(Token {
            mechanism: Some(Mechanism::Ntlm),
            inner: Some(Inner::Ntlm { message_type: u32le(token, 8).unwrap_or(0) }),
            ..Token::default()
        }),
        Some(_) if token.starts_with(NEGOEX_SIGNATURE) => Ok(Token {
            mechanism: Some(Mechanism::NegoEx),
            inner: Some(Inner::NegoEx { message_type: u32le(token, 8).unwrap_or(u32::MAX) }),
            ..Token::default()
        }),
        Some(b) => Err(SpnegoError::Unknown(b)),
        None => Err(SpnegoError::Unknown(0)),
    }
}

fn u32le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// What follows a mechanism OID in an InitialContextToken: the krb5 token ID for Kerberos.
fn inner_after_oid(mech: &Mechanism, rest: &[u8]) -> Inner {
    match (mech.is_kerberos(), rest) {
        (true, [hi, lo, ..]) => Inner::Kerberos { token_id: u16::from_be_bytes([*hi, *lo]) },
        _ => Inner::Other,
    }
}

/// The token a mechToken / responseToken holds.
fn inner_token(bytes: &[u8], fallback: Option<&Mechanism>) -> (Option<Mechanism>, Option<Inner>) {
    match decode(bytes) {
        Ok(t) if !t.spnego => (t.mechanism, t.inner),
        // A Kerberos reply inside a negTokenResp may be a bare token without the OID framing.
        _ => match fallback {
            Some(m) if m.is_kerberos() => match bytes {
                [hi @ 0x01..=0x04, lo, ..] => {
                    (Some(m.clone()), Some(Inner::Kerberos { token_id: u16::from_be_bytes([*hi, *lo]) }))
                }
                _ => (Some(m.clone()), Some(Inner::Other)),
            },
            Some(m) => (Some(m.clone()), Some(Inner::Other)),
            None => (None, None),
        },
    }
}

/// NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }.
fn negotiation_token(buf: &[u8]) -> Result<Token, SpnegoError> {
    let choice = der::read_complete(buf)?;
    let seq = der::read_complete(choice.value)?;
    let fields = der::children(seq.value)?;
    let field = |n: u8| fields.iter().copied().find(|f| f.tag == 0xa0 | n);
    let mut t = Token::default();
    match choice.tag {
        0xa0 => {
            // NegTokenInit: mechTypes [0] SEQUENCE OF OID, reqFlags [1], mechToken [2] OCTET STRING, mechListMIC [3].
            if let Some(list) = field(0) {
                let seq: Tlv<'_> = der::read_complete(list.value)?;
                for oid in der::children(seq.value)?.iter().filter(|o| o.tag == 0x06).take(16) {
                    t.mech_types.push(Mechanism::from_oid(oid.value));
                }
            }
            if let Some(tok) = field(2) {
                let octets = der::read_complete(tok.value)?;
                let (m, i) = inner_token(octets.value, t.mech_types.first());
                t.mechanism = m;
                t.inner = i;
            }
        }
        0xa1 => {
            // NegTokenResp: negState [0] ENUMERATED, supportedMech [1] OID, responseToken [2], mechListMIC [3].
            if let Some(st) = field(0) {
                let e = der::read_complete(st.value)?;
                t.neg_state = e.value.first().map(|b| u32::from(*b));
            }
            if let Some(m) = field(1) {
                let oid = der::read_complete(m.value)?;
                t.supported_mech = Some(Mechanism::from_oid(oid.value));
            }
            if let Some(tok) = field(2) {
                let octets = der::read_complete(tok.value)?;
                let (m, i) = inner_token(octets.value, t.supported_mech.as_ref());
                t.mechanism = m;
                t.inner = i;
            }
        }
        other => return Err(SpnegoError::Unknown(other)),
    }
    Ok(t)
}

/// Wraps `inner` as a DER TLV of `tag` (for tests and the fixtures that build tokens).
pub fn tlv(tag: u8, inner: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    der::write_tlv(&mut out, tag, inner);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS_KRB5: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];
    const KRB5: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
    const KRB5_U2U: &[u8] = &[0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x03];
    const NEGOEX: &[u8] = &[0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x1e];
    const NTLM: &[u8] = &[0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
    const SPNEGO: &[u8] = &[0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];

    /// The client's first token as mstsc sends it (the shape of the Windows capture's frame 18):
    /// InitialContextToken { SPNEGO, negTokenInit { mechTypes [MS-KRB5, KRB5, NEGOEX, NTLM], mechToken:
    /// InitialContextToken { KRB5 user-to-user, TOK_ID 04 00 (TGT-REQ), … } } }.
    fn mstsc_init() -> Vec<u8> {
        let mechs = tlv(0x30, &[MS_KRB5, KRB5, NEGOEX, NTLM].concat());
        let mut gss = KRB5_U2U.to_vec();
        gss.extend([0x04, 0x00, 0x30, 0x00]); // TOK_ID TGT-REQ, an empty KERB-TGT-REQUEST
        let mech_token = tlv(0x60, &gss);
        let init = tlv(0x30, &[tlv(0xa0, &mechs), tlv(0xa2, &tlv(0x04, &mech_token))].concat());
        tlv(0x60, &[SPNEGO, &tlv(0xa0, &init)].concat())
    }

    #[test]
    fn mstsc_offers_kerberos_first() {
        let t = decode(&mstsc_init()).unwrap();
        assert!(t.spnego);
        let fam: Vec<&str> = t.mech_types.iter().map(Mechanism::family).collect();
        assert_eq!(fam, ["Kerberos", "Kerberos", "NegoEx", "NTLM"]);
        assert_eq!(t.mechanism, Some(Mechanism::KerberosU2U));
        assert_eq!(t.inner, Some(Inner::Kerberos { token_id: 0x0400 }));
        assert_eq!(t.inner.unwrap().describe(), "Kerberos TGT-REQ (user-to-user)");
    }

    #[test]
    fn server_chooses_a_mechanism() {
        // negTokenResp { negState accept-incomplete, supportedMech MS-KRB5, responseToken: GSS KRB5 AP-REP }.
        let mut gss = KRB5.to_vec();
        gss.extend([0x02, 0x00, 0x6f, 0x00]);
        let resp = tlv(
            0x30,
            &[tlv(0xa0, &[0x0a, 0x01, 0x01]), tlv(0xa1, MS_KRB5), tlv(0xa2, &tlv(0x04, &tlv(0x60, &gss)))].concat(),
        );
        let t = decode(&tlv(0xa1, &resp)).unwrap();
        assert_eq!(t.neg_state, Some(1));
        assert_eq!(neg_state_name(1), "accept-incomplete");
        assert_eq!(t.supported_mech, Some(Mechanism::MsKerberos));
        assert_eq!(t.inner, Some(Inner::Kerberos { token_id: 0x0200 }));
        // Truncated by one: malformed, no panic.
        let bytes = tlv(0xa1, &resp);
        assert!(decode(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn raw_tokens() {
        let ntlm = crate::ntlm::encode_negotiate();
        let t = decode(&ntlm).unwrap();
        assert!(!t.spnego);
        assert_eq!((t.mechanism, t.inner), (Some(Mechanism::Ntlm), Some(Inner::Ntlm { message_type: 1 })));
        let t = decode(b"NEGOEXTS\x00\x00\x00\x00\x00\x00\x00\x00").unwrap();
        assert_eq!(t.inner, Some(Inner::NegoEx { message_type: 0 }));
        assert!(decode(&[0x42, 1, 2]).is_err());
        assert!(decode(&[]).is_err());
    }

    #[test]
    fn oids_by_name_and_dotted() {
        assert_eq!(Mechanism::from_oid(&[0x2b, 0x06, 0x01, 0x05, 0x02, 0x07]), Mechanism::Pku2u);
        assert_eq!(Mechanism::from_oid(&[0x2a, 0x03, 0x04]).family(), "1.2.3.4");
        assert_eq!(
            Mechanism::from_oid(&[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a]).label(),
            "NTLM (1.3.6.1.4.1.311.2.2.10)"
        );
        assert_eq!(dotted(&[0x81, 0x80, 0x80, 0x80, 0x00]), "2.268435376");
    }

    #[test]
    fn every_truncation_of_the_client_token_is_safe() {
        let t = mstsc_init();
        for n in 0..t.len() {
            let _ = decode(&t[..n]);
        }
    }
}
