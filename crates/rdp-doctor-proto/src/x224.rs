//! X.224 Class 0 Connection Request / Connection Confirm (ITU-T X.224 §13.3/13.4 as profiled by
//! MS-RDPBCGR 2.2.1.1 and 2.2.1.2).
//!
//! The request is encoded with IronRDP's PDU codec (the field's implementation). The confirm is decoded
//! here, tolerantly: a diagnosis tool must describe a malformed or unexpected answer instead of rejecting
//! it, so each oddity becomes an [`Anomaly`] or a [`ConfirmError`] naming what was expected and found.
//!
//! ```text
//! Connection Confirm: TPKT (4) | LI (1) | CC 0xD0 (1) | DST-REF (2) | SRC-REF (2) | class (1) | [RDP_NEG_RSP/FAILURE (8)]
//! ```

mod request;

pub use request::*;

use crate::nego::{self, NegError, Negotiation, SecurityProtocol};
use crate::tpkt::{self, TPKT_HEADER_LEN, TpktError, TpktHeader};

/// Size of the X.224 fixed part after the TPKT header (LI, code, DST-REF, SRC-REF, class).
pub const X224_FIXED_LEN: usize = 7;

/// ITU-T X.224 §13 TPDU codes (upper nibble of the second header byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TpduCode(pub u8);

impl TpduCode {
    pub const CONNECTION_REQUEST: Self = Self(0xe0);
    pub const CONNECTION_CONFIRM: Self = Self(0xd0);
    pub const DISCONNECT_REQUEST: Self = Self(0x80);
    pub const DATA: Self = Self(0xf0);
    pub const ERROR: Self = Self(0x70);

    /// Spec name of the TPDU, or hex.
    pub fn name(self) -> String {
        match self.0 & 0xf0 {
            0xe0 => "Connection Request (CR)".to_owned(),
            0xd0 => "Connection Confirm (CC)".to_owned(),
            0x80 => "Disconnect Request (DR)".to_owned(),
            0xf0 => "Data (DT)".to_owned(),
            0x70 => "TPDU Error (ER)".to_owned(),
            _ => format!("unknown TPDU 0x{:02x}", self.0),
        }
    }
}

/// What the client asks for in its Connection Request.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionRequestParams {
    /// `requestedProtocols` of the RDP_NEG_REQ.
    pub requested: SecurityProtocol,
    /// The `Cookie: mstshash=` value; `None` sends no cookie (mstsc sends one only when it knows a user).
    pub cookie: Option<String>,
}

impl std::fmt::Debug for ConnectionRequestParams {
    /// The cookie is a user name: redacted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionRequestParams")
            .field("requested", &self.requested)
            .field("cookie", &self.cookie.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Failure to encode a request (only possible with an absurd cookie).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot encode X.224 Connection Request: {0}")]
pub struct EncodeError(String);

/// Encodes TPKT + X.224 CR + optional cookie + RDP_NEG_REQ (MS-RDPBCGR 2.2.1.1).
pub fn encode_connection_request(params: &ConnectionRequestParams) -> Result<Vec<u8>, EncodeError> {
    use ironrdp_pdu::nego as inego;
    if let Some(cookie) = &params.cookie
        && (cookie.contains(['\r', '\n']) || cookie.len() > 200)
    {
        return Err(EncodeError("the cookie must be a single line of at most 200 bytes".to_owned()));
    }
    let request = inego::ConnectionRequest {
        nego_data: params.cookie.clone().map(inego::NegoRequestData::cookie),
        flags: inego::RequestFlags::empty(),
        protocol: inego::SecurityProtocol::from_bits_retain(params.requested.0),
        correlation_info: None,
    };
    ironrdp_core::encode_vec(&ironrdp_pdu::x224::X224(request)).map_err(|e| EncodeError(e.to_string()))
}

/// Something unusual in a confirm that did not stop decoding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anomaly {
    /// The TPKT reserved byte is not zero.
    TpktReservedNonZero(u8),
    /// The X.224 length indicator does not match the TPKT length.
    LengthIndicatorMismatch { length_indicator: u8, expected: usize },
    /// The credit (lower nibble of the CC code) is not zero.
    NonZeroCredit(u8),
    /// Bytes after the negotiation structure inside the TPKT packet.
    TrailingBytes(usize),
    /// The X.224 variable part is there but too short for a negotiation structure.
    ShortVariablePart(usize),
}

impl std::fmt::Display for Anomaly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TpktReservedNonZero(v) => write!(f, "TPKT reserved byte is 0x{v:02x}, expected 0"),
            Self::LengthIndicatorMismatch { length_indicator, expected } => {
                write!(f, "X.224 length indicator is {length_indicator}, the TPKT length implies {expected}")
            }
            Self::NonZeroCredit(v) => write!(f, "X.224 credit nibble is {v}, expected 0"),
            Self::TrailingBytes(n) => write!(f, "{n} unexpected bytes after the negotiation structure"),
            Self::ShortVariablePart(n) => write!(f, "{n}-byte variable part is too short for RDP_NEG_RSP"),
        }
    }
}

/// A decoded Connection Confirm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionConfirm {
    pub tpkt: TpktHeader,
    pub length_indicator: u8,
    pub dst_ref: u16,
    pub src_ref: u16,
    pub class_option: u8,
    /// `None`: a legacy confirm without negotiation data (a pre-RDP 5.2 server or one ignoring RDP_NEG_REQ;
    /// MS-RDPBCGR 3.3.5.3.1 says the server then uses Standard RDP Security).
    pub negotiation: Option<Negotiation>,
    pub anomalies: Vec<Anomaly>,
}

/// Why the bytes are not a usable Connection Confirm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmError {
    #[error("not TPKT: {0}")]
    Tpkt(#[from] TpktError),
    #[error("TPKT packet of {length} bytes is too short for an X.224 header")]
    TooShort { length: usize },
    #[error("expected an X.224 Connection Confirm (0xd0), received a {}", .code.name())]
    UnexpectedTpdu { code: TpduCode },
    #[error("malformed negotiation structure: {0}")]
    Negotiation(#[from] NegError),
}

/// The X.224 fixed part that Connection Request and Confirm share (ITU-T X.224 §13.3/13.4), read once
/// for both decoders, with the oddities that do not stop decoding.
pub(crate) struct FixedPart<'a> {
    pub(crate) tpkt: TpktHeader,
    pub(crate) length_indicator: u8,
    pub(crate) dst_ref: u16,
    pub(crate) src_ref: u16,
    pub(crate) class_option: u8,
    /// The bytes after the fixed part, up to the end of the TPKT packet.
    pub(crate) variable: &'a [u8],
    /// Bytes used (the TPKT length).
    pub(crate) total: usize,
    /// TPKT reserved byte, when not zero.
    pub(crate) reserved_nonzero: Option<u8>,
    /// Credit nibble, when not zero.
    pub(crate) credit: Option<u8>,
    /// (length indicator, expected), when they differ.
    pub(crate) li_mismatch: Option<(u8, usize)>,
}

/// Why the fixed part cannot be read.
pub(crate) enum FixedError {
    Tpkt(TpktError),
    TooShort { length: usize },
    UnexpectedTpdu { code: TpduCode },
}

/// Reads TPKT + the X.224 fixed part of a TPDU of kind `expected`; `Ok(None)` when more bytes are needed.
pub(crate) fn decode_fixed(buf: &[u8], expected: TpduCode) -> Result<Option<FixedPart<'_>>, FixedError> {
    let Some(total) = tpkt::frame_len(buf).map_err(FixedError::Tpkt)? else {
        return Ok(None);
    };
    let Some(tpkt) = tpkt::decode_header(buf).map_err(FixedError::Tpkt)? else {
        return Ok(None);
    };
    let packet = buf.get(TPKT_HEADER_LEN..total).unwrap_or_default();
    let (li, code, d0, d1, s0, s1, class) = match packet {
        [li, code, d0, d1, s0, s1, class, ..] => (*li, *code, *d0, *d1, *s0, *s1, *class),
        [_, code, ..] if code & 0xf0 != expected.0 => return Err(FixedError::UnexpectedTpdu { code: TpduCode(*code) }),
        _ => return Err(FixedError::TooShort { length: total }),
    };
    if code & 0xf0 != expected.0 {
        return Err(FixedError::UnexpectedTpdu { code: TpduCode(code) });
    }
    let expected_li = packet.len() - 1;
    Ok(Some(FixedPart {
        tpkt,
        length_indicator: li,
        dst_ref: u16::from_be_bytes([d0, d1]),
        src_ref: u16::from_be_bytes([s0, s1]),
        class_option: class,
        variable: packet.get(X224_FIXED_LEN..).unwrap_or_default(),
        total,
        reserved_nonzero: (tpkt.reserved != 0).then_some(tpkt.reserved),
        credit: (code & 0x0f != 0).then_some(code & 0x0f),
        li_mismatch: (usize::from(li) != expected_li).then_some((li, expected_li)),
    }))
}

/// Decodes a Connection Confirm at the start of `buf`.
///
/// `Ok(None)`: more bytes are needed. On success, also returns the number of bytes used.
pub fn decode_connection_confirm(buf: &[u8]) -> Result<Option<(ConnectionConfirm, usize)>, ConfirmError> {
    let fixed = match decode_fixed(buf, TpduCode::CONNECTION_CONFIRM) {
        Ok(Some(f)) => f,
        Ok(None) => return Ok(None),
        Err(FixedError::Tpkt(e)) => return Err(ConfirmError::Tpkt(e)),
        Err(FixedError::TooShort { length }) => return Err(ConfirmError::TooShort { length }),
        Err(FixedError::UnexpectedTpdu { code }) => return Err(ConfirmError::UnexpectedTpdu { code }),
    };
    let mut anomalies = Vec::new();
    anomalies.extend(fixed.reserved_nonzero.map(Anomaly::TpktReservedNonZero));
    anomalies.extend(fixed.credit.map(Anomaly::NonZeroCredit));
    anomalies.extend(
        fixed
            .li_mismatch
            .map(|(length_indicator, expected)| Anomaly::LengthIndicatorMismatch { length_indicator, expected }),
    );
    let variable = fixed.variable;
    let negotiation = match variable.len() {
        0 => None,
        n if n < nego::NEG_STRUCT_LEN => {
            anomalies.push(Anomaly::ShortVariablePart(n));
            None
        }
        n => {
            if n > nego::NEG_STRUCT_LEN {
                anomalies.push(Anomaly::TrailingBytes(n - nego::NEG_STRUCT_LEN));
            }
            Some(nego::decode_negotiation(variable)?)
        }
    };
    let confirm = ConnectionConfirm {
        tpkt: fixed.tpkt,
        length_indicator: fixed.length_indicator,
        dst_ref: fixed.dst_ref,
        src_ref: fixed.src_ref,
        class_option: fixed.class_option,
        negotiation,
        anomalies,
    };
    Ok(Some((confirm, fixed.total)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::parse_hex;
    use crate::nego::{FailureCode, ResponseFlags};

    /// TPKT(len 19) | LI 14 | CC | dst 0 | src 0x1234 | class 0 | RDP_NEG_RSP flags 0x1f, selected HYBRID
    const CONFIRM_HYBRID: &str = "03 00 00 13 0e d0 00 00 12 34 00 02 1f 08 00 02 00 00 00";
    /// TPKT(len 19) | LI 14 | CC | dst 0 | src 0 | class 0 | RDP_NEG_FAILURE SSL_NOT_ALLOWED_BY_SERVER
    const CONFIRM_FAILURE: &str = "03 00 00 13 0e d0 00 00 00 00 00 03 00 08 00 02 00 00 00";
    /// TPKT(len 11) | LI 6 | CC | dst 0 | src 0 | class 0 — no negotiation data
    const CONFIRM_LEGACY: &str = "03 00 00 0b 06 d0 00 00 00 00 00";

    fn fixture(s: &str) -> Vec<u8> {
        parse_hex(s).unwrap_or_default()
    }

    #[test]
    fn encodes_default_request_like_mstsc() {
        let bytes = encode_connection_request(&ConnectionRequestParams {
            requested: SecurityProtocol::DEFAULT_REQUEST,
            cookie: None,
        });
        // TPKT len 19 | LI 14 | CR | dst 0 | src 0 | class 0 | RDP_NEG_REQ flags 0 len 8 protocols 0x0b
        assert_eq!(bytes, Ok(fixture("03 00 00 13 0e e0 00 00 00 00 00 01 00 08 00 0b 00 00 00")));
    }

    #[test]
    fn encodes_cookie() {
        let bytes = encode_connection_request(&ConnectionRequestParams {
            requested: SecurityProtocol::PROTOCOL_SSL,
            cookie: Some("bob".to_owned()),
        })
        .unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("Cookie: mstshash=bob\r\n"), "{text}");
        assert_eq!(bytes.len(), 19 + "Cookie: mstshash=bob\r\n".len());
    }

    #[test]
    fn rejects_multiline_cookie() {
        let r = encode_connection_request(&ConnectionRequestParams {
            requested: SecurityProtocol::PROTOCOL_SSL,
            cookie: Some("a\r\nb".to_owned()),
        });
        assert!(r.is_err());
    }

    #[test]
    fn decodes_response() {
        let b = fixture(CONFIRM_HYBRID);
        let (cc, used) = decode_connection_confirm(&b).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(used, 19);
        assert_eq!(cc.src_ref, 0x1234);
        assert_eq!(
            cc.negotiation,
            Some(Negotiation::Response { flags: ResponseFlags(0x1f), selected: SecurityProtocol::PROTOCOL_HYBRID })
        );
        assert!(cc.anomalies.is_empty());
    }

    #[test]
    fn decodes_failure() {
        let b = fixture(CONFIRM_FAILURE);
        let (cc, _) = decode_connection_confirm(&b).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(
            cc.negotiation,
            Some(Negotiation::Failure { flags: 0, code: FailureCode::SSL_NOT_ALLOWED_BY_SERVER })
        );
    }

    #[test]
    fn decodes_legacy_confirm() {
        let b = fixture(CONFIRM_LEGACY);
        let (cc, used) = decode_connection_confirm(&b).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(used, 11);
        assert_eq!(cc.negotiation, None);
        assert!(cc.anomalies.is_empty());
    }

    #[test]
    fn truncate_by_one_needs_more() {
        for fx in [CONFIRM_HYBRID, CONFIRM_FAILURE, CONFIRM_LEGACY] {
            let b = fixture(fx);
            for n in 0..b.len() {
                assert_eq!(decode_connection_confirm(&b[..n]), Ok(None), "{fx} cut at {n}");
            }
        }
    }

    #[test]
    fn disconnect_request_is_named() {
        // TPKT len 11 | LI 6 | DR 0x80 | dst | src | reason 0
        let b = fixture("03 00 00 0b 06 80 00 00 00 00 00");
        let err = decode_connection_confirm(&b);
        assert_eq!(err, Err(ConfirmError::UnexpectedTpdu { code: TpduCode(0x80) }));
        assert!(err.map(|_| ()).unwrap_err().to_string().contains("Disconnect Request"));
    }

    #[test]
    fn anomalies_are_recorded() {
        // reserved byte 1, LI says 20, trailing 2 bytes after RDP_NEG_RSP
        let b = fixture("03 01 00 15 14 d0 00 00 00 00 00 02 00 08 00 01 00 00 00 aa bb");
        let (cc, _) = decode_connection_confirm(&b).ok().flatten().unwrap_or_else(|| unreachable!());
        assert!(cc.anomalies.contains(&Anomaly::TpktReservedNonZero(1)));
        assert!(cc.anomalies.contains(&Anomaly::TrailingBytes(2)));
        assert!(cc.anomalies.contains(&Anomaly::LengthIndicatorMismatch { length_indicator: 20, expected: 16 }));
    }

    #[test]
    fn http_is_not_tpkt() {
        assert!(matches!(decode_connection_confirm(b"HTTP/1.1 400"), Err(ConfirmError::Tpkt(_))));
    }

    /// Cross-check against IronRDP's encoder: what the field's codec writes, we read the same way.
    #[test]
    fn reads_what_ironrdp_writes() {
        use ironrdp_pdu::nego as inego;
        let cc = inego::ConnectionConfirm::Response {
            flags: inego::ResponseFlags::from_bits_retain(0x0b),
            protocol: inego::SecurityProtocol::HYBRID_EX,
        };
        let bytes = ironrdp_core::encode_vec(&ironrdp_pdu::x224::X224(cc)).unwrap_or_default();
        let (ours, _) = decode_connection_confirm(&bytes).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(
            ours.negotiation,
            Some(Negotiation::Response { flags: ResponseFlags(0x0b), selected: SecurityProtocol::PROTOCOL_HYBRID_EX })
        );
        let fail = inego::ConnectionConfirm::Failure { code: inego::FailureCode::HYBRID_REQUIRED_BY_SERVER };
        let bytes = ironrdp_core::encode_vec(&ironrdp_pdu::x224::X224(fail)).unwrap_or_default();
        let (ours, _) = decode_connection_confirm(&bytes).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(
            ours.negotiation,
            Some(Negotiation::Failure { flags: 0, code: FailureCode::HYBRID_REQUIRED_BY_SERVER })
        );
    }
}
