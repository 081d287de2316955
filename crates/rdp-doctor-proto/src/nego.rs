//! RDP negotiation structures carried in the X.224 Connection Request and Confirm.
//!
//! MS-RDPBCGR 2.2.1.1.1 RDP_NEG_REQ, 2.2.1.2.1 RDP_NEG_RSP, 2.2.1.2.2 RDP_NEG_FAILURE.
//! All three share the layout `type (1) | flags (1) | length (2, LE) = 8 | value (4, LE)`.

use std::fmt;

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

/// MS-RDPBCGR 2.2.1.1.1 `requestedProtocols` / 2.2.1.2.1 `selectedProtocol`.
///
/// A bit set, except that the value 0 (PROTOCOL_RDP) means Standard RDP Security.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SecurityProtocol(pub u32);

impl SecurityProtocol {
    /// PROTOCOL_RDP: Standard RDP Security (RC4, no server authentication).
    pub const PROTOCOL_RDP: Self = Self(0x0000_0000);
    /// PROTOCOL_SSL: TLS 1.0, 1.1 or 1.2 (MS-RDPBCGR 5.4.5.1).
    pub const PROTOCOL_SSL: Self = Self(0x0000_0001);
    /// PROTOCOL_HYBRID: CredSSP (NLA) over TLS.
    pub const PROTOCOL_HYBRID: Self = Self(0x0000_0002);
    /// PROTOCOL_RDSTLS: RDSTLS, used with server redirection.
    pub const PROTOCOL_RDSTLS: Self = Self(0x0000_0004);
    /// PROTOCOL_HYBRID_EX: CredSSP with the Early User Authorization Result PDU.
    pub const PROTOCOL_HYBRID_EX: Self = Self(0x0000_0008);
    /// PROTOCOL_RDSAAD: RDS AAD authentication (Entra ID).
    pub const PROTOCOL_RDSAAD: Self = Self(0x0000_0010);

    const NAMED: [(u32, &'static str); 5] = [
        (0x01, "PROTOCOL_SSL"),
        (0x02, "PROTOCOL_HYBRID"),
        (0x04, "PROTOCOL_RDSTLS"),
        (0x08, "PROTOCOL_HYBRID_EX"),
        (0x10, "PROTOCOL_RDSAAD"),
    ];

    /// The default set rdp-doctor asks for, as mstsc does with NLA enabled.
    pub const DEFAULT_REQUEST: Self = Self(0x0000_000b);

    /// Whether all bits of `other` are set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether a TLS handshake follows the Connection Confirm when the server selects this value.
    /// MS-RDPBCGR 5.4.5: every External Security Protocol except RDSAAD-only starts with TLS;
    /// RDSAAD also starts with TLS (MS-RDPBCGR 5.4.5.4).
    pub fn starts_tls(self) -> bool {
        self.0 != 0
    }

    /// Spec names of the set bits, `PROTOCOL_RDP` for zero, unknown bits in hex.
    pub fn names(self) -> Vec<String> {
        if self.0 == 0 {
            return vec!["PROTOCOL_RDP".to_owned()];
        }
        let mut out = Vec::new();
        let mut known = 0u32;
        for (bit, name) in Self::NAMED {
            known |= bit;
            if self.0 & bit != 0 {
                out.push(name.to_owned());
            }
        }
        if self.0 & !known != 0 {
            out.push(format!("0x{:08x}", self.0 & !known));
        }
        out
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(" | "))
    }
}

/// MS-RDPBCGR 2.2.1.2.1 RDP_NEG_RSP `flags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ResponseFlags(pub u8);

impl ResponseFlags {
    pub const EXTENDED_CLIENT_DATA_SUPPORTED: Self = Self(0x01);
    pub const DYNVC_GFX_PROTOCOL_SUPPORTED: Self = Self(0x02);
    pub const NEGRSP_FLAG_RESERVED: Self = Self(0x04);
    pub const RESTRICTED_ADMIN_MODE_SUPPORTED: Self = Self(0x08);
    pub const REDIRECTED_AUTHENTICATION_MODE_SUPPORTED: Self = Self(0x10);

    const NAMED: [(u8, &'static str); 5] = [
        (0x01, "EXTENDED_CLIENT_DATA_SUPPORTED"),
        (0x02, "DYNVC_GFX_PROTOCOL_SUPPORTED"),
        (0x04, "NEGRSP_FLAG_RESERVED"),
        (0x08, "RESTRICTED_ADMIN_MODE_SUPPORTED"),
        (0x10, "REDIRECTED_AUTHENTICATION_MODE_SUPPORTED"),
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

/// MS-RDPBCGR 2.2.1.2.2 RDP_NEG_FAILURE `failureCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FailureCode(pub u32);

impl FailureCode {
    /// The server requires TLS (or CredSSP) but the client did not offer it.
    pub const SSL_REQUIRED_BY_SERVER: Self = Self(0x0000_0001);
    /// The server only speaks Standard RDP Security.
    pub const SSL_NOT_ALLOWED_BY_SERVER: Self = Self(0x0000_0002);
    /// The server has no certificate it can use for TLS.
    pub const SSL_CERT_NOT_ON_SERVER: Self = Self(0x0000_0003);
    /// The request's flags contradict each other.
    pub const INCONSISTENT_FLAGS: Self = Self(0x0000_0004);
    /// The server requires CredSSP (NLA) but the client did not offer it.
    pub const HYBRID_REQUIRED_BY_SERVER: Self = Self(0x0000_0005);
    /// The server requires TLS with Early User Authorization (HYBRID_EX).
    pub const SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER: Self = Self(0x0000_0006);

    const NAMED: [(u32, &'static str); 6] = [
        (1, "SSL_REQUIRED_BY_SERVER"),
        (2, "SSL_NOT_ALLOWED_BY_SERVER"),
        (3, "SSL_CERT_NOT_ON_SERVER"),
        (4, "INCONSISTENT_FLAGS"),
        (5, "HYBRID_REQUIRED_BY_SERVER"),
        (6, "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER"),
    ];

    /// The spec name, if the code is known.
    pub fn name(self) -> Option<&'static str> {
        Self::NAMED.iter().find(|(v, _)| *v == self.0).map(|(_, n)| *n)
    }

    /// The spec name, or the value in hex.
    pub fn display_name(self) -> String {
        self.name().map_or_else(|| format!("0x{:08x}", self.0), str::to_owned)
    }

    /// The finding suffix: the spec name in snake case, or `unknown` for values the spec does not name.
    pub fn snake_name(self) -> String {
        self.name().map_or_else(|| "unknown".to_owned(), str::to_ascii_lowercase)
    }
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
    fn protocol_names() {
        assert_eq!(SecurityProtocol(0).to_string(), "PROTOCOL_RDP");
        assert_eq!(SecurityProtocol(0x0b).to_string(), "PROTOCOL_SSL | PROTOCOL_HYBRID | PROTOCOL_HYBRID_EX");
        assert_eq!(SecurityProtocol(0x101).to_string(), "PROTOCOL_SSL | 0x00000100");
    }

    #[test]
    fn failure_code_names() {
        assert_eq!(FailureCode::HYBRID_REQUIRED_BY_SERVER.snake_name(), "hybrid_required_by_server");
        assert_eq!(FailureCode(0x77).display_name(), "0x00000077");
        assert_eq!(FailureCode(0x77).snake_name(), "unknown");
    }

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
