//! RDP negotiation structures carried in the X.224 Connection Request and Confirm.
//!
//! MS-RDPBCGR 2.2.1.1.1 RDP_NEG_REQ, 2.2.1.2.1 RDP_NEG_RSP, 2.2.1.2.2 RDP_NEG_FAILURE.
//! All three share the layout `type (1) | flags (1) | length (2, LE) = 8 | value (4, LE)`.
//!
//! The value types ([`SecurityProtocol`], [`ResponseFlags`], [`FailureCode`]) and their spec names are
//! defined once, in `rdp_doctor_codes::nego`, and re-exported here; this module decodes the structures.

pub use rdp_doctor_codes::nego::{FailureCode, ResponseFlags, SecurityProtocol};

/// Size of an RDP_NEG_REQ / RDP_NEG_RSP / RDP_NEG_FAILURE structure.
pub const NEG_STRUCT_LEN: usize = 8;

/// MS-RDPBCGR 2.2.1.1.1: the `type` byte of the negotiation structures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NegType(pub u8);

impl NegType {
    /// TYPE_RDP_NEG_REQ
    pub const TYPE_RDP_NEG_REQ: Self = Self(0x01);
    /// TYPE_RDP_NEG_RSP
    pub const TYPE_RDP_NEG_RSP: Self = Self(0x02);
    /// TYPE_RDP_NEG_FAILURE
    pub const TYPE_RDP_NEG_FAILURE: Self = Self(0x03);
}

/// A decoded negotiation structure of a Connection Confirm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Negotiation {
    /// RDP_NEG_RSP: the server selected a protocol.
    Response { flags: ResponseFlags, selected: SecurityProtocol },
    /// RDP_NEG_FAILURE: the server refused every protocol the client offered.
    Failure { flags: u8, code: FailureCode },
    /// A type byte the spec does not define in a Confirm (kept as evidence).
    Unknown { neg_type: NegType, flags: u8, value: u32 },
}

/// A problem with an 8-byte negotiation structure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegError {
    #[error("negotiation structure needs 8 bytes, only {available} present")]
    Truncated { available: usize },
    #[error("negotiation structure length field is {length}, expected 8")]
    BadLength { length: u16 },
}

/// Decodes an RDP_NEG_RSP / RDP_NEG_FAILURE from exactly the bytes after the X.224 fixed part.
pub fn decode_negotiation(buf: &[u8]) -> Result<Negotiation, NegError> {
    let [ty, flags, l0, l1, v0, v1, v2, v3] = match buf.get(..NEG_STRUCT_LEN) {
        Some(&[a, b, c, d, e, f, g, h]) => [a, b, c, d, e, f, g, h],
        _ => return Err(NegError::Truncated { available: buf.len() }),
    };
    let length = u16::from_le_bytes([l0, l1]);
    if usize::from(length) != NEG_STRUCT_LEN {
        return Err(NegError::BadLength { length });
    }
    let value = u32::from_le_bytes([v0, v1, v2, v3]);
    Ok(match NegType(ty) {
        NegType::TYPE_RDP_NEG_RSP => {
            Negotiation::Response { flags: ResponseFlags(flags), selected: SecurityProtocol(value) }
        }
        NegType::TYPE_RDP_NEG_FAILURE => Negotiation::Failure { flags, code: FailureCode(value) },
        other => Negotiation::Unknown { neg_type: other, flags, value },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_response() {
        // type RSP, flags EXTENDED_CLIENT_DATA|DYNVC_GFX|RESERVED, length 8, selected HYBRID
        let b = [0x02, 0x07, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00];
        assert_eq!(
            decode_negotiation(&b),
            Ok(Negotiation::Response { flags: ResponseFlags(7), selected: SecurityProtocol::PROTOCOL_HYBRID })
        );
    }

    #[test]
    fn decodes_failure() {
        // type FAILURE, flags 0, length 8, code HYBRID_REQUIRED_BY_SERVER
        let b = [0x03, 0x00, 0x08, 0x00, 0x05, 0x00, 0x00, 0x00];
        assert_eq!(
            decode_negotiation(&b),
            Ok(Negotiation::Failure { flags: 0, code: FailureCode::HYBRID_REQUIRED_BY_SERVER })
        );
    }

    #[test]
    fn truncate_by_one() {
        let b = [0x02, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00];
        assert_eq!(decode_negotiation(&b[..7]), Err(NegError::Truncated { available: 7 }));
    }

    #[test]
    fn bad_length_kept_as_error() {
        let b = [0x02, 0x00, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00];
        assert_eq!(decode_negotiation(&b), Err(NegError::BadLength { length: 9 }));
    }
}
