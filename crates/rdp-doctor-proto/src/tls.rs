//! TLS record headers and alerts (RFC 8446 §5.1 and §6, RFC 5246 §6.2.1 and §7.2).
//!
//! Enough to describe what a peer sent when a handshake fails: a record header, and an alert's level and
//! description with its RFC name.

pub mod handshake;
pub mod stream;

/// RFC 8446 §5.1 ContentType.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentType(pub u8);

impl ContentType {
    pub const CHANGE_CIPHER_SPEC: Self = Self(20);
    pub const ALERT: Self = Self(21);
    pub const HANDSHAKE: Self = Self(22);
    pub const APPLICATION_DATA: Self = Self(23);
}

/// Size of a TLS record header.
pub const RECORD_HEADER_LEN: usize = 5;
/// RFC 8446 §5.1: a record may not exceed 2^14 + 256 bytes of ciphertext.
pub const MAX_RECORD_LEN: u16 = 16_384 + 256;

/// A TLS record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    pub content_type: ContentType,
    pub version: u16,
    pub length: u16,
}

/// Why bytes are not a TLS record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("content type {0} is not a TLS record type")]
    BadContentType(u8),
    #[error("record version 0x{0:04x} is not SSL 3.0 or TLS")]
    BadVersion(u16),
    #[error("record length {0} exceeds the TLS maximum of 16640")]
    TooLong(u16),
}

/// Decodes a record header; `Ok(None)` when fewer than five bytes are available.
pub fn decode_record_header(buf: &[u8]) -> Result<Option<RecordHeader>, RecordError> {
    let [ct, v0, v1, l0, l1] = match buf.get(..RECORD_HEADER_LEN) {
        Some(&[a, b, c, d, e]) => [a, b, c, d, e],
        _ => return Ok(None),
    };
    if !(20..=24).contains(&ct) {
        return Err(RecordError::BadContentType(ct));
    }
    let version = u16::from_be_bytes([v0, v1]);
    if v0 != 3 || v1 > 4 {
        return Err(RecordError::BadVersion(version));
    }
    let length = u16::from_be_bytes([l0, l1]);
    if length > MAX_RECORD_LEN {
        return Err(RecordError::TooLong(length));
    }
    Ok(Some(RecordHeader { content_type: ContentType(ct), version, length }))
}

/// A TLS alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// 1 = warning, 2 = fatal.
    pub level: u8,
    pub description: AlertDescription,
}

/// Decodes the alert in a plaintext alert record (`buf` starts with the record header).
pub fn decode_alert_record(buf: &[u8]) -> Result<Option<Alert>, RecordError> {
    let Some(header) = decode_record_header(buf)? else {
        return Ok(None);
    };
    if header.content_type != ContentType::ALERT || header.length != 2 {
        return Ok(None);
    }
    match buf.get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + 2) {
        Some(&[level, desc]) => Ok(Some(Alert { level, description: AlertDescription(desc) })),
        _ => Ok(None),
    }
}

/// RFC 8446 §6 / RFC 5246 §7.2 AlertDescription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlertDescription(pub u8);

impl AlertDescription {
    const NAMED: [(u8, &'static str); 31] = [
        (0, "close_notify"),
        (10, "unexpected_message"),
        (20, "bad_record_mac"),
        (21, "decryption_failed"),
        (22, "record_overflow"),
        (30, "decompression_failure"),
        (40, "handshake_failure"),
        (41, "no_certificate"),
        (42, "bad_certificate"),
        (43, "unsupported_certificate"),
        (44, "certificate_revoked"),
        (45, "certificate_expired"),
        (46, "certificate_unknown"),
        (47, "illegal_parameter"),
        (48, "unknown_ca"),
        (49, "access_denied"),
        (50, "decode_error"),
        (51, "decrypt_error"),
        (70, "protocol_version"),
        (71, "insufficient_security"),
        (80, "internal_error"),
        (86, "inappropriate_fallback"),
        (90, "user_canceled"),
        (100, "no_renegotiation"),
        (109, "missing_extension"),
        (110, "unsupported_extension"),
        (112, "unrecognized_name"),
        (113, "bad_certificate_status_response"),
        (115, "unknown_psk_identity"),
        (116, "certificate_required"),
        (120, "no_application_protocol"),
    ];

    /// The RFC name, if known.
    pub fn name(self) -> Option<&'static str> {
        Self::NAMED.iter().find(|(v, _)| *v == self.0).map(|(_, n)| *n)
    }

    /// The RFC name with its number, or the number alone.
    pub fn display_name(self) -> String {
        match self.name() {
            Some(n) => format!("{n} ({})", self.0),
            None => format!("unknown alert {}", self.0),
        }
    }

    /// Finds the description whose RFC name equals `name` (as rustls prints them in CamelCase or snake).
    pub fn from_name(name: &str) -> Option<Self> {
        let flat: String = name.chars().filter(|c| *c != '_').flat_map(char::to_lowercase).collect();
        Self::NAMED.iter().find(|(_, n)| n.replace('_', "") == flat).map(|(v, _)| Self(*v))
    }
}

/// A TLS protocol version's common name.
pub fn version_name(version: u16) -> String {
    match version {
        0x0300 => "SSL 3.0".to_owned(),
        0x0301 => "TLS 1.0".to_owned(),
        0x0302 => "TLS 1.1".to_owned(),
        0x0303 => "TLS 1.2".to_owned(),
        0x0304 => "TLS 1.3".to_owned(),
        other => format!("0x{other:04x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_alert_record() {
        // alert record, TLS 1.2, length 2, fatal, handshake_failure
        let b = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];
        let alert = decode_alert_record(&b);
        assert_eq!(alert, Ok(Some(Alert { level: 2, description: AlertDescription(40) })));
        assert_eq!(AlertDescription(40).display_name(), "handshake_failure (40)");
    }

    #[test]
    fn truncate_by_one() {
        let b = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];
        assert_eq!(decode_alert_record(&b[..6]), Ok(None));
        assert_eq!(decode_record_header(&b[..4]), Ok(None));
    }

    #[test]
    fn rejects_non_tls() {
        assert_eq!(decode_record_header(b"HTTP/"), Err(RecordError::BadContentType(b'H')));
        assert_eq!(decode_record_header(&[22, 2, 0, 0, 1]), Err(RecordError::BadVersion(0x0200)));
        assert_eq!(decode_record_header(&[22, 3, 3, 0xff, 0xff]), Err(RecordError::TooLong(0xffff)));
    }

    #[test]
    fn names_from_rustls_style() {
        assert_eq!(AlertDescription::from_name("HandshakeFailure"), Some(AlertDescription(40)));
        assert_eq!(AlertDescription::from_name("protocol_version"), Some(AlertDescription(70)));
        assert_eq!(AlertDescription::from_name("Nope"), None);
        assert_eq!(version_name(0x0303), "TLS 1.2");
    }
}
