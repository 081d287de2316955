//! Tolerant decoder of the X.224 Connection Request (MS-RDPBCGR 2.2.1.1), for reading what a client sent
//! (captures, and a probe's own request read back).
//!
//! ```text
//! TPKT (4) | LI (1) | CR 0xE0 (1) | DST-REF (2) | SRC-REF (2) | class (1)
//!   | [routingToken "Cookie: msts=…\r\n" | cookie "Cookie: mstshash=…\r\n"]
//!   | [RDP_NEG_REQ (8)] | [RDP_NEG_CORRELATION_INFO (36)]
//! ```
//!
//! IronRDP's decoder is strict; this one describes what it finds, recording oddities as
//! [`RequestAnomaly`] values. The cookie carries a user name: it is kept for callers that need it but
//! redacted in `Debug`, and evidence built from it must say only that it was present.

use super::{FixedError, TpduCode, decode_fixed};
use crate::nego::{NEG_STRUCT_LEN, NegType, SecurityProtocol};
use crate::tpkt::{TpktError, TpktHeader};

/// MS-RDPBCGR 2.2.1.1.2 RDP_NEG_CORRELATION_INFO: type (1) = 0x06 | flags (1) | length (2) = 36 |
/// correlationId (16) | reserved (16).
pub const CORRELATION_INFO_LEN: usize = 36;
/// TYPE_RDP_CORRELATION_INFO.
pub const TYPE_RDP_CORRELATION_INFO: u8 = 0x06;
/// The longest token line accepted before the request is called malformed.
pub const MAX_TOKEN_LEN: usize = 512;

/// MS-RDPBCGR 2.2.1.1.1 RDP_NEG_REQ `flags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RequestFlags(pub u8);

impl RequestFlags {
    pub const RESTRICTED_ADMIN_MODE_REQUIRED: Self = Self(0x01);
    pub const REDIRECTED_AUTHENTICATION_MODE_REQUIRED: Self = Self(0x02);
    pub const CORRELATION_INFO_PRESENT: Self = Self(0x08);

    const NAMED: [(u8, &'static str); 3] = [
        (0x01, "RESTRICTED_ADMIN_MODE_REQUIRED"),
        (0x02, "REDIRECTED_AUTHENTICATION_MODE_REQUIRED"),
        (0x08, "CORRELATION_INFO_PRESENT"),
    ];

    /// Spec names of the set flags, unknown bits in hex.
    pub fn names(self) -> Vec<String> {
        let mut out = Vec::new();
        let mut known = 0u8;
        for (bit, name) in Self::NAMED {
            known |= bit;
            if self.0 & bit != 0 {
                out.push(name.to_owned());
            }
        }
        if self.0 & !known != 0 {
            out.push(format!("0x{:02x}", self.0 & !known));
        }
        out
    }
}

/// The text line before the negotiation request.
#[derive(Clone, PartialEq, Eq)]
pub enum RequestToken {
    /// `Cookie: mstshash=IDENTIFIER` (MS-RDPBCGR 2.2.1.1): usually the user name. Redacted in `Debug`.
    Cookie { identifier: String },
    /// Any other `Cookie:` line, e.g. a load-balancer routing token `Cookie: msts=…` (MS-RDPBCGR 3.3.5.3.1).
    RoutingToken { text: String },
}

impl std::fmt::Debug for RequestToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Cookie { .. } => f.write_str("Cookie(<redacted>)"),
            Self::RoutingToken { text } => write!(f, "RoutingToken({} bytes)", text.len()),
        }
    }
}

/// RDP_NEG_REQ (MS-RDPBCGR 2.2.1.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiationRequest {
    pub flags: RequestFlags,
    pub requested: SecurityProtocol,
}

/// Something unusual in a request that did not stop decoding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestAnomaly {
    TpktReservedNonZero(u8),
    LengthIndicatorMismatch {
        length_indicator: u8,
        expected: usize,
    },
    NonZeroCredit(u8),
    /// A `Cookie:` line without its terminating CR LF.
    UnterminatedToken(usize),
    /// The RDP_NEG_REQ length field is not 8.
    NegotiationLength(u16),
    /// A negotiation structure with a type other than RDP_NEG_REQ.
    UnexpectedNegotiationType(u8),
    /// CORRELATION_INFO_PRESENT is set but no correlation structure follows.
    MissingCorrelationInfo,
    /// Bytes left over after the structures the spec defines.
    TrailingBytes(usize),
}

impl std::fmt::Display for RequestAnomaly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TpktReservedNonZero(v) => write!(f, "TPKT reserved byte is 0x{v:02x}, expected 0"),
            Self::LengthIndicatorMismatch { length_indicator, expected } => {
                write!(f, "X.224 length indicator is {length_indicator}, the TPKT length implies {expected}")
            }
            Self::NonZeroCredit(v) => write!(f, "X.224 credit nibble is {v}, expected 0"),
            Self::UnterminatedToken(n) => write!(f, "{n}-byte Cookie line without CR LF"),
            Self::NegotiationLength(l) => write!(f, "RDP_NEG_REQ length field is {l}, expected 8"),
            Self::UnexpectedNegotiationType(t) => {
                write!(f, "negotiation structure of type 0x{t:02x} where RDP_NEG_REQ (0x01) belongs")
            }
            Self::MissingCorrelationInfo => {
                f.write_str("CORRELATION_INFO_PRESENT is set but RDP_NEG_CORRELATION_INFO is missing")
            }
            Self::TrailingBytes(n) => write!(f, "{n} unexpected bytes after the request's structures"),
        }
    }
}

/// A decoded Connection Request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRequest {
    pub tpkt: TpktHeader,
    pub length_indicator: u8,
    pub dst_ref: u16,
    pub src_ref: u16,
    pub class_option: u8,
    pub token: Option<RequestToken>,
    /// `None`: no RDP_NEG_REQ, as pre-RDP 5.2 clients send (the server then uses Standard RDP Security).
    pub negotiation: Option<NegotiationRequest>,
    /// RDP_NEG_CORRELATION_INFO `correlationId`.
    pub correlation_id: Option<[u8; 16]>,
    pub anomalies: Vec<RequestAnomaly>,
}

/// Why the bytes are not a usable Connection Request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("not TPKT: {0}")]
    Tpkt(#[from] TpktError),
    #[error("TPKT packet of {length} bytes is too short for an X.224 header")]
    TooShort { length: usize },
    #[error("expected an X.224 Connection Request (0xe0), received a {}", .code.name())]
    UnexpectedTpdu { code: TpduCode },
}

/// Decodes a Connection Request at the start of `buf`. `Ok(None)`: more bytes are needed. On success,
/// also returns the number of bytes used.
pub fn decode_connection_request(buf: &[u8]) -> Result<Option<(ConnectionRequest, usize)>, RequestError> {
    let fixed = match decode_fixed(buf, TpduCode::CONNECTION_REQUEST) {
        Ok(Some(f)) => f,
        Ok(None) => return Ok(None),
        Err(FixedError::Tpkt(e)) => return Err(RequestError::Tpkt(e)),
        Err(FixedError::TooShort { length }) => return Err(RequestError::TooShort { length }),
        Err(FixedError::UnexpectedTpdu { code }) => return Err(RequestError::UnexpectedTpdu { code }),
    };
    let mut anomalies = Vec::new();
    anomalies.extend(fixed.reserved_nonzero.map(RequestAnomaly::TpktReservedNonZero));
    anomalies.extend(fixed.credit.map(RequestAnomaly::NonZeroCredit));
    anomalies.extend(
        fixed
            .li_mismatch
            .map(|(length_indicator, expected)| RequestAnomaly::LengthIndicatorMismatch { length_indicator, expected }),
    );
    let mut rest = fixed.variable;
    let token = take_token(&mut rest, &mut anomalies);
    let negotiation = take_negotiation(&mut rest, &mut anomalies);
    let mut correlation_id = None;
    if negotiation.is_some_and(|n| n.flags.0 & RequestFlags::CORRELATION_INFO_PRESENT.0 != 0) {
        match rest {
            [TYPE_RDP_CORRELATION_INFO, _, ..] if rest.len() >= CORRELATION_INFO_LEN => {
                let mut id = [0u8; 16];
                id.copy_from_slice(rest.get(4..20).unwrap_or(&[0; 16]));
                correlation_id = Some(id);
                rest = rest.get(CORRELATION_INFO_LEN..).unwrap_or_default();
            }
            _ => anomalies.push(RequestAnomaly::MissingCorrelationInfo),
        }
    }
    if !rest.is_empty() {
        anomalies.push(RequestAnomaly::TrailingBytes(rest.len()));
    }
    let request = ConnectionRequest {
        tpkt: fixed.tpkt,
        length_indicator: fixed.length_indicator,
        dst_ref: fixed.dst_ref,
        src_ref: fixed.src_ref,
        class_option: fixed.class_option,
        token,
        negotiation,
        correlation_id,
        anomalies,
    };
    Ok(Some((request, fixed.total)))
}

/// Takes a `Cookie: …\r\n` line off the front of `rest`.
fn take_token(rest: &mut &[u8], anomalies: &mut Vec<RequestAnomaly>) -> Option<RequestToken> {
    const COOKIE: &[u8] = b"Cookie: ";
    const MSTSHASH: &[u8] = b"Cookie: mstshash=";
    if !rest.starts_with(COOKIE) {
        return None;
    }
    let window = rest.get(..rest.len().min(MAX_TOKEN_LEN)).unwrap_or_default();
    let (line, used) = match window.windows(2).position(|w| w == b"\r\n") {
        Some(end) => (window.get(..end).unwrap_or_default(), end + 2),
        None => {
            anomalies.push(RequestAnomaly::UnterminatedToken(rest.len()));
            (*rest, rest.len())
        }
    };
    let token = if line.starts_with(MSTSHASH) {
        RequestToken::Cookie {
            identifier: String::from_utf8_lossy(line.get(MSTSHASH.len()..).unwrap_or_default()).into_owned(),
        }
    } else {
        RequestToken::RoutingToken {
            text: String::from_utf8_lossy(line.get(COOKIE.len()..).unwrap_or_default()).into_owned(),
        }
    };
    *rest = rest.get(used..).unwrap_or_default();
    Some(token)
}

/// Takes an RDP_NEG_REQ off the front of `rest`, when one is there.
fn take_negotiation(rest: &mut &[u8], anomalies: &mut Vec<RequestAnomaly>) -> Option<NegotiationRequest> {
    let [ty, flags, l0, l1, v0, v1, v2, v3] = match rest.get(..NEG_STRUCT_LEN) {
        Some(&[a, b, c, d, e, f, g, h]) => [a, b, c, d, e, f, g, h],
        _ => return None,
    };
    if NegType(ty) != NegType::TYPE_RDP_NEG_REQ {
        anomalies.push(RequestAnomaly::UnexpectedNegotiationType(ty));
        return None;
    }
    let length = u16::from_le_bytes([l0, l1]);
    if usize::from(length) != NEG_STRUCT_LEN {
        anomalies.push(RequestAnomaly::NegotiationLength(length));
    }
    *rest = rest.get(NEG_STRUCT_LEN..).unwrap_or_default();
    Some(NegotiationRequest {
        flags: RequestFlags(flags),
        requested: SecurityProtocol(u32::from_le_bytes([v0, v1, v2, v3])),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::parse_hex;
    use crate::x224::{ConnectionRequestParams, encode_connection_request};

    fn fixture(s: &str) -> Vec<u8> {
        parse_hex(s).unwrap_or_default()
    }

    /// TPKT(len 19) | LI 14 | CR | dst 0 | src 0 | class 0 | RDP_NEG_REQ flags 0 len 8 protocols 0x0b
    const REQ_DEFAULT: &str = "03 00 00 13 0e e0 00 00 00 00 00 01 00 08 00 0b 00 00 00";
    /// TPKT(len 36) | LI 31 | CR | dst 0 | src 0 | class 0 | "Cookie: mstshash=A70067\r\n" — a legacy
    /// client without RDP_NEG_REQ (frame 4 of the Wireshark RDP-003 capture).
    const REQ_LEGACY: &str =
        "03 00 00 24 1f e0 00 00 00 00 00 43 6f 6f 6b 69 65 3a 20 6d 73 74 73 68 61 73 68 3d 41 37 30 30 36 37 0d 0a";
    /// TPKT(len 55) | LI 50 | CR | dst 0 | src 0 | class 0 | RDP_NEG_REQ flags CORRELATION_INFO_PRESENT
    /// len 8 protocols 0x03 | RDP_NEG_CORRELATION_INFO type 6 flags 0 len 36, id 01..10, 16 reserved zeros
    const REQ_CORRELATION: &str = "03 00 00 37 32 e0 00 00 00 00 00 01 08 08 00 03 00 00 00 \
         06 00 24 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 \
         00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00";

    #[test]
    fn decodes_default_request() {
        let b = fixture(REQ_DEFAULT);
        let (cr, used) = decode_connection_request(&b).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(used, 19);
        assert_eq!(
            cr.negotiation,
            Some(NegotiationRequest { flags: RequestFlags(0), requested: SecurityProtocol(0x0b) })
        );
        assert_eq!(cr.token, None);
        assert!(cr.anomalies.is_empty(), "{:?}", cr.anomalies);
    }

    #[test]
    fn decodes_legacy_cookie_only() {
        let b = fixture(REQ_LEGACY);
        let (cr, used) = decode_connection_request(&b).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(used, 36);
        assert_eq!(cr.negotiation, None);
        assert_eq!(cr.token, Some(RequestToken::Cookie { identifier: "A70067".into() }));
        assert!(cr.anomalies.is_empty(), "{:?}", cr.anomalies);
        // The user name never reaches Debug output.
        assert!(!format!("{cr:?}").contains("A70067"));
    }

    #[test]
    fn decodes_correlation_info() {
        let b = fixture(REQ_CORRELATION);
        let (cr, _) = decode_connection_request(&b).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(cr.negotiation.map(|n| n.flags), Some(RequestFlags::CORRELATION_INFO_PRESENT));
        assert_eq!(cr.correlation_id.map(|c| c[0]), Some(1));
        assert!(cr.anomalies.is_empty(), "{:?}", cr.anomalies);
    }

    #[test]
    fn truncate_by_one_needs_more() {
        for fx in [REQ_DEFAULT, REQ_LEGACY, REQ_CORRELATION] {
            let b = fixture(fx);
            for n in 0..b.len() {
                assert_eq!(decode_connection_request(&b[..n]), Ok(None), "{fx} cut at {n}");
            }
        }
    }

    #[test]
    fn reads_what_we_encode() {
        for (proto, cookie) in [(0x0b, None), (0x01, Some("bob")), (0, Some("x"))] {
            let bytes = encode_connection_request(&ConnectionRequestParams {
                requested: SecurityProtocol(proto),
                cookie: cookie.map(str::to_owned),
            })
            .unwrap_or_default();
            let (cr, used) = decode_connection_request(&bytes).ok().flatten().unwrap_or_else(|| unreachable!());
            assert_eq!(used, bytes.len());
            assert_eq!(cr.negotiation.map(|n| n.requested), Some(SecurityProtocol(proto)));
            assert_eq!(cr.token.is_some(), cookie.is_some());
            assert!(cr.anomalies.is_empty(), "{:?}", cr.anomalies);
        }
    }

    #[test]
    fn anomalies_are_recorded() {
        // RDP_NEG_REQ with length 9 and two trailing bytes; LI left at 14 (TPKT implies 16)
        let b = fixture("03 00 00 15 0e e0 00 00 00 00 00 01 00 09 00 01 00 00 00 aa bb");
        let (cr, _) = decode_connection_request(&b).ok().flatten().unwrap_or_else(|| unreachable!());
        assert!(cr.anomalies.contains(&RequestAnomaly::NegotiationLength(9)));
        assert!(cr.anomalies.contains(&RequestAnomaly::TrailingBytes(2)));
        assert!(cr.anomalies.contains(&RequestAnomaly::LengthIndicatorMismatch { length_indicator: 14, expected: 16 }));
        // routing token without CR LF
        let b = fixture("03 00 00 13 0e e0 00 00 00 00 00 43 6f 6f 6b 69 65 3a 20");
        let (cr, _) = decode_connection_request(&b).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(cr.token, Some(RequestToken::RoutingToken { text: String::new() }));
        assert!(cr.anomalies.contains(&RequestAnomaly::UnterminatedToken(8)));
    }

    #[test]
    fn confirm_is_not_a_request() {
        let b = fixture("03 00 00 13 0e d0 00 00 12 34 00 02 1f 08 00 02 00 00 00");
        assert_eq!(decode_connection_request(&b), Err(RequestError::UnexpectedTpdu { code: TpduCode(0xd0) }));
        assert!(matches!(decode_connection_request(b"ECODH\r\n"), Err(RequestError::Tpkt(_))));
    }
}
