//! A tolerant reader of the MCS connection PDUs of Standard RDP Security, which travel in clear text (MS-RDPBCGR 2.2.1.3 and
//! 2.2.1.4; ITU-T T.125 §11.1–11.2 Connect-Initial / Connect-Response, BER-encoded).
//!
//! ```text
//! TPKT (4) | X.224 Data TPDU: LI 2, DT 0xF0, EOT 0x80 (3) | BER [APPLICATION 101|102] length | …
//! Connect-Response: result ENUMERATED | calledConnectId | domainParameters | userData
//! ```
//! Only the PDU type and the Connect-Response `result` are decoded: enough to place a captured connection's
//! phase and to name a refused conference even where the full decoder (IronRDP's, in the parent module)
//! rejects the PDU.

use crate::tpkt::{self, TPKT_HEADER_LEN, TpktError};
use crate::x224::TpduCode;

/// T.125 Result (§7, "Result ::= ENUMERATED").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct McsResult(pub u8);

impl McsResult {
    pub const RT_SUCCESSFUL: Self = Self(0);

    const NAMES: [&'static str; 16] = [
        "rt-successful",
        "rt-domain-merging",
        "rt-domain-not-hierarchical",
        "rt-no-such-channel",
        "rt-no-such-domain",
        "rt-no-such-user",
        "rt-not-admitted",
        "rt-other-user-id",
        "rt-parameters-unacceptable",
        "rt-token-not-available",
        "rt-token-not-possessed",
        "rt-too-many-channels",
        "rt-too-many-tokens",
        "rt-too-many-users",
        "rt-unspecified-failure",
        "rt-user-rejected",
    ];

    pub fn name(self) -> String {
        Self::NAMES.get(usize::from(self.0)).map_or_else(|| format!("result {}", self.0), |n| (*n).to_owned())
    }
}

/// A decoded MCS connect PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McsConnect {
    /// Connect-Initial ([APPLICATION 101]) with the length of its BER contents.
    Initial { length: usize },
    /// Connect-Response ([APPLICATION 102]).
    Response { result: McsResult },
}

/// Why the bytes are not an MCS connect PDU.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectPduError {
    #[error("not TPKT: {0}")]
    Tpkt(#[from] TpktError),
    #[error("expected an X.224 Data TPDU, received a {}", .0.name())]
    NotData(TpduCode),
    #[error("not an MCS Connect-Initial/Response (BER tag {0:02x} {1:02x})")]
    NotConnect(u8, u8),
    #[error("malformed MCS connect PDU")]
    Malformed,
}

/// Decodes the MCS connect PDU in the TPKT packet at the start of `buf`. `Ok(None)`: more bytes needed.
pub fn decode_connect_pdu(buf: &[u8]) -> Result<Option<(McsConnect, usize)>, ConnectPduError> {
    let Some(total) = tpkt::frame_len(buf)? else { return Ok(None) };
    let packet = buf.get(TPKT_HEADER_LEN..total).unwrap_or_default();
    match packet {
        [2, 0xf0, _, rest @ ..] => {
            let (a, b) = match rest {
                [a, b, ..] => (*a, *b),
                _ => return Err(ConnectPduError::Malformed),
            };
            if a != 0x7f || !(b == 0x65 || b == 0x66) {
                return Err(ConnectPduError::NotConnect(a, b));
            }
            let (length, used) = ber_length(rest.get(2..).unwrap_or_default()).ok_or(ConnectPduError::Malformed)?;
            let contents = rest.get(2 + used..).unwrap_or_default();
            let pdu = if b == 0x65 {
                McsConnect::Initial { length }
            } else {
                match contents {
                    [0x0a, 1, r, ..] => McsConnect::Response { result: McsResult(*r) },
                    _ => return Err(ConnectPduError::Malformed),
                }
            };
            Ok(Some((pdu, total)))
        }
        [_, code, ..] => Err(ConnectPduError::NotData(TpduCode(*code))),
        _ => Err(ConnectPduError::Malformed),
    }
}

/// BER definite length: value and bytes used.
fn ber_length(b: &[u8]) -> Option<(usize, usize)> {
    let first = *b.first()?;
    if first < 0x80 {
        return Some((usize::from(first), 1));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let bytes = b.get(1..=n)?;
    Some((bytes.iter().fold(0usize, |acc, x| acc << 8 | usize::from(*x)), 1 + n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::parse_hex;

    /// TPKT len 20 | X.224 DT | [APPLICATION 102] len 0x82 00 0a | result ENUMERATED 0 | calledConnectId
    /// INTEGER 0 | (truncated domain parameters, padding)
    const RESPONSE_OK: &str = "03 00 00 14 02 f0 80 7f 66 82 00 0a 0a 01 00 02 01 00 30 00";

    #[test]
    fn decodes_response() {
        let b = parse_hex(RESPONSE_OK).unwrap_or_default();
        assert_eq!(decode_connect_pdu(&b), Ok(Some((McsConnect::Response { result: McsResult::RT_SUCCESSFUL }, 20))));
        assert_eq!(McsResult(14).name(), "rt-unspecified-failure");
    }

    #[test]
    fn truncate_by_one_needs_more() {
        let b = parse_hex(RESPONSE_OK).unwrap_or_default();
        for n in 0..b.len() {
            assert_eq!(decode_connect_pdu(&b[..n]), Ok(None), "cut at {n}");
        }
    }

    #[test]
    fn disconnect_request_is_named() {
        let b = parse_hex("03 00 00 0b 06 80 00 00 00 00 00").unwrap_or_default();
        assert_eq!(decode_connect_pdu(&b), Err(ConnectPduError::NotData(TpduCode(0x80))));
    }
}
