//! Security negotiation in the X.224 Connection Request and Confirm: the open wire types and their
//! tables, the one place their names are defined (`rdp_doctor_proto::nego` decodes the structures and
//! re-exports these types).
//!
//! MS-RDPBCGR 2.2.1.1.1 RDP_NEG_REQ (`requestedProtocols`), 2.2.1.2.1 RDP_NEG_RSP (`flags`,
//! `selectedProtocol`), 2.2.1.2.2 RDP_NEG_FAILURE (`failureCode`).

use std::fmt;

use crate::{Code, Family, Kind, Shape, Status};

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

    /// The spec name, if the code is known.
    pub fn name(self) -> Option<&'static str> {
        NEG_FAILURE.code(self.0).map(|c| c.name)
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

    /// The default set rdp-doctor asks for, as mstsc does with NLA enabled.
    pub const DEFAULT_REQUEST: Self = Self(0x0000_000b);

    /// Whether all bits of `other` are set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether a TLS handshake follows the Connection Confirm when the server selects this value.
    /// MS-RDPBCGR 5.4.5: every External Security Protocol starts with TLS (RDSAAD too, 5.4.5.4).
    pub fn starts_tls(self) -> bool {
        self.0 != 0
    }

    /// Spec names of the set bits, `PROTOCOL_RDP` for zero, unknown bits in hex.
    pub fn names(self) -> Vec<String> {
        if self.0 == 0 {
            return vec![PROTOCOL_CODES.first().map_or("PROTOCOL_RDP", |c| c.name).to_owned()];
        }
        bit_names(self.0, PROTOCOL_CODES, 8)
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

    /// Spec names of the set flags, unknown bits in hex.
    pub fn names(self) -> Vec<String> {
        bit_names(u32::from(self.0), FLAG_CODES, 2)
    }
}

/// Names of the documented single-bit codes set in `value`, then the unknown rest in hex.
fn bit_names(value: u32, codes: &[Code], hex_width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut known = 0u32;
    for c in codes.iter().filter(|c| c.status == Status::Documented && c.value.count_ones() == 1) {
        known |= c.value;
        if value & c.value != 0 {
            out.push(c.name.to_owned());
        }
    }
    if value & !known != 0 {
        out.push(format!("0x{:0hex_width$x}", value & !known));
    }
    out
}

const SPEC_NEG: &str = "MS-RDPBCGR 2.2.1.2.2 RDP_NEG_FAILURE: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/1b3920e7-0116-4345-bc45-f2c4ad012761";

/// RDP_NEG_FAILURE failure codes.
pub static NEG_FAILURE: Family = Family {
    kind: Kind::NegFailure,
    id: "neg-failure",
    title: "RDP_NEG_FAILURE code",
    seen_as: "rdp-doctor check (finding nego.*), packet captures (X.224 Connection Confirm), FreeRDP logs",
    about: "The server's answer to the client's security negotiation when it accepts none of the security protocols offered: the failureCode of an RDP_NEG_FAILURE structure in the X.224 Connection Confirm. The connection ends right after TCP, before TLS.",
    not_to_confuse: "",
    sources: &[SPEC_NEG, "FreeRDP libfreerdp/core/nego.c; IronRDP crates/ironrdp-pdu/src/nego.rs"],
    shape: Shape::Exact,
    freerdp_class: None,
    codes: FAILURE_CODES,
    groups: &[],
};

static FAILURE_CODES: &[Code] = &[
    Code::new(
        0x1,
        "SSL_REQUIRED_BY_SERVER",
        "The server requires TLS-based security and the client offered only Standard RDP Security (or, when only CredSSP was offered, the server supports TLS without CredSSP).",
    )
    .findings(&["nego.ssl_required_by_server"]),
    Code::new(0x2, "SSL_NOT_ALLOWED_BY_SERVER", "The server only accepts Standard RDP Security; it refuses TLS.")
        .findings(&["nego.ssl_not_allowed_by_server"]),
    Code::new(0x3, "SSL_CERT_NOT_ON_SERVER", "The server has no valid certificate to do TLS with.")
        .findings(&["nego.ssl_cert_not_on_server"])
        .see(&[(Kind::Freerdp, 0x8)]),
    Code::new(
        0x4,
        "INCONSISTENT_FLAGS",
        "The protocols requested contradict the one already in use (possible only in the Direct Approach).",
    )
    .findings(&["nego.inconsistent_flags"]),
    Code::new(0x5, "HYBRID_REQUIRED_BY_SERVER", "The server requires Network Level Authentication (CredSSP) and the client did not offer it.")
        .findings(&["nego.hybrid_required_by_server"])
        .see(&[(Kind::Freerdp, 0x1E)]),
    Code::new(
        0x6,
        "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER",
        "The server requires TLS with user authentication (CredSSP with early user authorization) and the client did not offer it.",
    )
    .findings(&["nego.ssl_with_user_auth_required_by_server"]),
];

/// Security protocols (requestedProtocols / selectedProtocol).
pub static NEG_PROTOCOL: Family = Family {
    kind: Kind::NegProtocol,
    id: "neg-protocol",
    title: "RDP_NEG security protocol",
    seen_as: "rdp-doctor check (X.224 layer), packet captures, FreeRDP logs (requestedProtocols / selectedProtocol)",
    about: "The security protocols a client offers in RDP_NEG_REQ (a bit set) and the one the server picks in RDP_NEG_RSP. 0 means Standard RDP Security; every other value starts TLS right after the X.224 exchange.",
    not_to_confuse: "",
    sources: &[
        "MS-RDPBCGR 2.2.1.1.1 RDP_NEG_REQ: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/902b090b-9cb3-4efc-92bf-ee13373371e3",
        "MS-RDPBCGR 2.2.1.2.1 RDP_NEG_RSP: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/b2975bdc-6d56-49ee-9c57-f2ff3a0b6817",
    ],
    shape: Shape::Bits,
    freerdp_class: None,
    codes: PROTOCOL_CODES,
    groups: &[],
};

static PROTOCOL_CODES: &[Code] = &[
    Code::new(0x0, "PROTOCOL_RDP", "Standard RDP Security: RC4 encryption and no server authentication.")
        .findings(&["nego.rdp_security_selected"]),
    Code::new(0x1, "PROTOCOL_SSL", "TLS (1.0, 1.1 or 1.2; 1.3 where both sides support it)."),
    Code::new(0x2, "PROTOCOL_HYBRID", "CredSSP over TLS: Network Level Authentication (NLA)."),
    Code::new(
        0x4,
        "PROTOCOL_RDSTLS",
        "RDSTLS: TLS with a redirection cookie, used when a broker redirects the client.",
    ),
    Code::new(0x8, "PROTOCOL_HYBRID_EX", "CredSSP over TLS followed by the Early User Authorization Result PDU."),
    Code::new(0x10, "PROTOCOL_RDSAAD", "RDS AAD authentication: sign-in with Microsoft Entra ID (Azure AD)."),
    Code::new(
        0x8000_0000,
        "PROTOCOL_FAILED_NEGO",
        "FreeRDP's internal marker that negotiation failed; never on the wire.",
    )
    .status(Status::Implementation, "FreeRDP libfreerdp/core/nego.h"),
];

/// RDP_NEG_RSP flags.
pub static NEG_RSP_FLAGS: Family = Family {
    kind: Kind::NegRspFlags,
    id: "neg-flags",
    title: "RDP_NEG_RSP flags",
    seen_as: "rdp-doctor check -v (X.224 layer details), packet captures",
    about: "Flags the server sets in RDP_NEG_RSP to announce optional features. A bit set; they never cause a failure on their own.",
    not_to_confuse: "",
    sources: &["MS-RDPBCGR 2.2.1.2.1 RDP_NEG_RSP"],
    shape: Shape::Bits,
    freerdp_class: None,
    codes: FLAG_CODES,
    groups: &[],
};

static FLAG_CODES: &[Code] = &[
    Code::new(
        0x01,
        "EXTENDED_CLIENT_DATA_SUPPORTED",
        "The server accepts the extended client data blocks of the GCC Conference Create Request.",
    ),
    Code::new(
        0x02,
        "DYNVC_GFX_PROTOCOL_SUPPORTED",
        "The server supports the graphics pipeline extension (MS-RDPEGFX).",
    ),
    Code::new(0x04, "NEGRSP_FLAG_RESERVED", "Unused; to be ignored."),
    Code::new(
        0x08,
        "RESTRICTED_ADMIN_MODE_SUPPORTED",
        "The server accepts Restricted Admin mode (CredSSP without sending the user's credentials).",
    ),
    Code::new(
        0x10,
        "REDIRECTED_AUTHENTICATION_MODE_SUPPORTED",
        "The server supports Remote Credential Guard (redirected authentication).",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_names() {
        assert_eq!(SecurityProtocol(0).to_string(), "PROTOCOL_RDP");
        assert_eq!(SecurityProtocol(0x0b).to_string(), "PROTOCOL_SSL | PROTOCOL_HYBRID | PROTOCOL_HYBRID_EX");
        assert_eq!(SecurityProtocol(0x101).to_string(), "PROTOCOL_SSL | 0x00000100");
        // FreeRDP's internal marker is not a wire bit: printed as unknown, not named.
        assert_eq!(SecurityProtocol(0x8000_0001).to_string(), "PROTOCOL_SSL | 0x80000000");
    }

    #[test]
    fn flag_names() {
        assert_eq!(ResponseFlags(0x1f).names().len(), 5);
        assert_eq!(ResponseFlags(0x41).names(), ["EXTENDED_CLIENT_DATA_SUPPORTED", "0x40"]);
    }

    #[test]
    fn failure_code_names() {
        assert_eq!(FailureCode::HYBRID_REQUIRED_BY_SERVER.snake_name(), "hybrid_required_by_server");
        assert_eq!(FailureCode(0x77).display_name(), "0x00000077");
        assert_eq!(FailureCode(0x77).snake_name(), "unknown");
    }

    #[test]
    fn constants_agree_with_the_tables() {
        for (k, v) in [
            (FailureCode::SSL_REQUIRED_BY_SERVER, "SSL_REQUIRED_BY_SERVER"),
            (FailureCode::SSL_NOT_ALLOWED_BY_SERVER, "SSL_NOT_ALLOWED_BY_SERVER"),
            (FailureCode::SSL_CERT_NOT_ON_SERVER, "SSL_CERT_NOT_ON_SERVER"),
            (FailureCode::INCONSISTENT_FLAGS, "INCONSISTENT_FLAGS"),
            (FailureCode::HYBRID_REQUIRED_BY_SERVER, "HYBRID_REQUIRED_BY_SERVER"),
            (FailureCode::SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER, "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER"),
        ] {
            assert_eq!(k.name(), Some(v));
        }
        for (k, v) in [
            (SecurityProtocol::PROTOCOL_SSL, "PROTOCOL_SSL"),
            (SecurityProtocol::PROTOCOL_HYBRID, "PROTOCOL_HYBRID"),
            (SecurityProtocol::PROTOCOL_RDSTLS, "PROTOCOL_RDSTLS"),
            (SecurityProtocol::PROTOCOL_HYBRID_EX, "PROTOCOL_HYBRID_EX"),
            (SecurityProtocol::PROTOCOL_RDSAAD, "PROTOCOL_RDSAAD"),
        ] {
            assert_eq!(k.names(), [v]);
        }
        for (k, v) in [
            (ResponseFlags::EXTENDED_CLIENT_DATA_SUPPORTED, "EXTENDED_CLIENT_DATA_SUPPORTED"),
            (ResponseFlags::DYNVC_GFX_PROTOCOL_SUPPORTED, "DYNVC_GFX_PROTOCOL_SUPPORTED"),
            (ResponseFlags::NEGRSP_FLAG_RESERVED, "NEGRSP_FLAG_RESERVED"),
            (ResponseFlags::RESTRICTED_ADMIN_MODE_SUPPORTED, "RESTRICTED_ADMIN_MODE_SUPPORTED"),
            (ResponseFlags::REDIRECTED_AUTHENTICATION_MODE_SUPPORTED, "REDIRECTED_AUTHENTICATION_MODE_SUPPORTED"),
        ] {
            assert_eq!(k.names(), [v]);
        }
    }
}
