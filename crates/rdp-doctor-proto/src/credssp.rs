//! CredSSP TSRequest (MS-CSSP 2.2.1), DER-encoded.
//!
//! ```text
//! TSRequest ::= SEQUENCE {
//!     version     [0] INTEGER,
//!     negoTokens  [1] NegoData OPTIONAL,      -- SEQUENCE OF SEQUENCE { negoToken [0] OCTET STRING }
//!     authInfo    [2] OCTET STRING OPTIONAL,
//!     pubKeyAuth  [3] OCTET STRING OPTIONAL,
//!     errorCode   [4] INTEGER OPTIONAL,       -- version 3+
//!     clientNonce [5] OCTET STRING OPTIONAL   -- version 5+
//! }
//! ```
//! The decoder is tolerant about unknown context tags (kept as anomalies) and bounded by
//! [`MAX_TS_REQUEST_LEN`].

use crate::der::{self, DerError};

/// The largest TSRequest accepted (a Kerberos ticket inside SPNEGO stays well below this).
pub const MAX_TS_REQUEST_LEN: usize = 64 * 1024;
/// The CredSSP version rdp-doctor announces (the highest MS-CSSP defines).
pub const CLIENT_VERSION: u32 = 6;

/// A decoded TSRequest. Encrypted fields are kept only as sizes: they are opaque without the session key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TsRequest {
    pub version: u32,
    pub nego_tokens: Vec<Vec<u8>>,
    pub auth_info_len: Option<usize>,
    pub pub_key_auth_len: Option<usize>,
    /// NTSTATUS or SEC_E value the peer reports (MS-CSSP 3.1.5: version 3 and later).
    pub error_code: Option<u32>,
    pub client_nonce_len: Option<usize>,
    /// Context tags MS-CSSP does not define.
    pub unknown_fields: Vec<u8>,
}

/// Why bytes are not a TSRequest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredsspError {
    #[error("not a TSRequest: {0}")]
    Der(#[from] DerError),
    #[error("not a TSRequest: expected a SEQUENCE (0x30), found 0x{0:02x}")]
    NotSequence(u8),
    #[error("TSRequest of {0} bytes exceeds the {MAX_TS_REQUEST_LEN}-byte bound")]
    TooLong(usize),
    #[error("TSRequest without the mandatory version field")]
    MissingVersion,
}

/// Encodes a TSRequest with `version` and one negoToken (MS-CSSP 3.1.5.1, first client message).
pub fn encode_nego(version: u32, token: &[u8]) -> Vec<u8> {
    let mut octets = Vec::new();
    der::write_tlv(&mut octets, 0x04, token);
    let mut tagged = Vec::new();
    der::write_tlv(&mut tagged, 0xa0, &octets);
    let mut item = Vec::new();
    der::write_tlv(&mut item, 0x30, &tagged);
    let mut nego_data = Vec::new();
    der::write_tlv(&mut nego_data, 0x30, &item);
    let mut ver = Vec::new();
    der::write_integer(&mut ver, version);
    let mut body = Vec::new();
    der::write_tlv(&mut body, 0xa0, &ver);
    der::write_tlv(&mut body, 0xa1, &nego_data);
    let mut out = Vec::new();
    der::write_tlv(&mut out, 0x30, &body);
    out
}

/// Decodes a TSRequest at the start of `buf`. `Ok(None)`: more bytes needed.
pub fn decode(buf: &[u8]) -> Result<Option<(TsRequest, usize)>, CredsspError> {
    if let Some(&first) = buf.first()
        && first != 0x30
    {
        return Err(CredsspError::NotSequence(first));
    }
    // Check the announced size before waiting for it.
    if let [_, l, rest @ ..] = buf
        && *l > 0x80
    {
        let n = usize::from(l & 0x7f);
        if let Some(bytes) = rest.get(..n) {
            let len = bytes.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b));
            if len > MAX_TS_REQUEST_LEN {
                return Err(CredsspError::TooLong(len));
            }
        }
    }
    let Some(outer) = der::read_tlv(buf)? else { return Ok(None) };
    let mut req = TsRequest::default();
    let mut have_version = false;
    for field in der::children(outer.value)? {
        let inner = der::read_complete(field.value)?;
        match field.tag {
            0xa0 => {
                req.version = der::integer_u32(&inner)?;
                have_version = true;
            }
            0xa1 => {
                for item in der::children(inner.value)? {
                    for tok in der::children(item.value)? {
                        if tok.tag == 0xa0 {
                            let octets = der::read_complete(tok.value)?;
                            req.nego_tokens.push(octets.value.to_vec());
                        }
                    }
                }
            }
            0xa2 => req.auth_info_len = Some(inner.value.len()),
            0xa3 => req.pub_key_auth_len = Some(inner.value.len()),
            0xa4 => req.error_code = Some(der::integer_u32(&inner)?),
            0xa5 => req.client_nonce_len = Some(inner.value.len()),
            other => req.unknown_fields.push(other),
        }
    }
    if !have_version {
        return Err(CredsspError::MissingVersion);
    }
    Ok(Some((req, outer.len)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::parse_hex;

    #[test]
    fn encodes_first_client_message() {
        let bytes = encode_nego(6, &[0xde, 0xad]);
        // SEQUENCE(17) { [0](3) INTEGER 6 ; [1](10) SEQUENCE(8) { SEQUENCE(6) { [0](4) OCTET STRING(2) de ad } } }
        let expected = parse_hex("30 11 a0 03 02 01 06 a1 0a 30 08 30 06 a0 04 04 02 de ad").unwrap_or_default();
        assert_eq!(bytes, expected);
        let (req, used) = decode(&bytes).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(used, bytes.len());
        assert_eq!(req.version, 6);
        assert_eq!(req.nego_tokens, vec![vec![0xde, 0xad]]);
    }

    #[test]
    fn decodes_error_code() {
        // SEQUENCE(13) { [0](3) INTEGER 6 ; [4](6) INTEGER(4) c0 00 00 6d = STATUS_LOGON_FAILURE }
        let b = parse_hex("30 0d a0 03 02 01 06 a4 06 02 04 c0 00 00 6d").unwrap_or_default();
        let (req, used) = decode(&b).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(used, 15);
        assert_eq!(req.error_code, Some(0xC000_006D));
        assert!(req.nego_tokens.is_empty());
    }

    /// Cross-check with the field's implementation (sspi, through IronRDP): each side reads the other.
    #[test]
    fn interoperates_with_sspi() {
        use ironrdp_connector::sspi::credssp::TsRequest as Sspi;
        let ours = encode_nego(6, b"NTLMSSP\0\x01\0\0\0");
        let theirs = Sspi::from_buffer(&ours).unwrap_or_else(|_| unreachable!());
        assert_eq!(theirs.version, 6);
        assert_eq!(theirs.nego_tokens.as_deref(), Some(&b"NTLMSSP\0\x01\0\0\0"[..]));
        let sspi_req = Sspi { version: 3, nego_tokens: Some(vec![1, 2, 3]), ..Sspi::default() };
        let mut buf = Vec::new();
        sspi_req.encode_ts_request(&mut buf).unwrap_or_else(|_| unreachable!());
        let (back, _) = decode(&buf).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(back.version, 3);
        assert_eq!(back.nego_tokens, vec![vec![1, 2, 3]]);
    }

    #[test]
    fn truncate_by_one_needs_more() {
        let bytes = encode_nego(6, b"NTLMSSP\0");
        for n in 0..bytes.len() {
            assert_eq!(decode(&bytes[..n]), Ok(None), "cut at {n}");
        }
    }

    #[test]
    fn rejects_non_sequence_and_huge() {
        assert_eq!(decode(&[0x15, 3, 3]), Err(CredsspError::NotSequence(0x15)));
        assert_eq!(decode(&[0x30, 0x83, 0x10, 0x00, 0x00]), Err(CredsspError::TooLong(0x100000)));
        // version missing
        assert_eq!(decode(&[0x30, 0x00]), Err(CredsspError::MissingVersion));
    }
}
