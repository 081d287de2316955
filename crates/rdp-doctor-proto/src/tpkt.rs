//! TPKT framing (RFC 1006 §6, used by MS-RDPBCGR 2.2.1.1 and onwards).
//!
//! ```text
//! version (1) = 3 | reserved (1) | length (2, big-endian, includes this 4-byte header)
//! ```

/// Size of the TPKT header.
pub const TPKT_HEADER_LEN: usize = 4;
/// The only TPKT version RDP uses.
pub const TPKT_VERSION: u8 = 3;

/// A decoded TPKT header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TpktHeader {
    /// Total packet length including the header.
    pub length: u16,
    /// The reserved byte; anything but zero is an anomaly worth reporting.
    pub reserved: u8,
}

/// Why bytes are not a TPKT header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TpktError {
    #[error("expected TPKT version 3, found first byte 0x{found:02x}")]
    BadVersion { found: u8 },
    #[error("TPKT length {length} is shorter than the 4-byte header")]
    LengthTooShort { length: u16 },
}

/// Reads a TPKT header. `Ok(None)` means fewer than four bytes are available.
pub fn decode_header(buf: &[u8]) -> Result<Option<TpktHeader>, TpktError> {
    let (version, reserved, hi, lo) = match buf {
        [v, r, h, l, ..] => (*v, *r, *h, *l),
        [first, ..] if *first != TPKT_VERSION => return Err(TpktError::BadVersion { found: *first }),
        _ => return Ok(None),
    };
    if version != TPKT_VERSION {
        return Err(TpktError::BadVersion { found: version });
    }
    let length = u16::from_be_bytes([hi, lo]);
    if usize::from(length) < TPKT_HEADER_LEN {
        return Err(TpktError::LengthTooShort { length });
    }
    Ok(Some(TpktHeader { length, reserved }))
}

/// Length of the complete TPKT packet at the start of `buf`, or `Ok(None)` when more bytes are needed.
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, TpktError> {
    match decode_header(buf)? {
        Some(h) if buf.len() >= usize::from(h.length) => Ok(Some(usize::from(h.length))),
        _ => Ok(None),
    }
}

/// Writes a TPKT header for a payload of `payload_len` bytes. `None` if the total exceeds 65535.
pub fn encode_header(payload_len: usize) -> Option<[u8; 4]> {
    let total = u16::try_from(payload_len.checked_add(TPKT_HEADER_LEN)?).ok()?;
    let [hi, lo] = total.to_be_bytes();
    Some([TPKT_VERSION, 0, hi, lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_header() {
        // version 3, reserved 0, length 0x0013 = 19
        assert_eq!(decode_header(&[3, 0, 0, 0x13]), Ok(Some(TpktHeader { length: 19, reserved: 0 })));
    }

    #[test]
    fn truncated_header_needs_more() {
        for n in 0..4 {
            assert_eq!(decode_header(&[3, 0, 0, 0x13][..n]), Ok(None), "prefix {n}");
        }
    }

    #[test]
    fn bad_version_seen_on_first_byte() {
        assert_eq!(decode_header(b"H"), Err(TpktError::BadVersion { found: b'H' }));
        assert_eq!(decode_header(b"HTTP/1.1"), Err(TpktError::BadVersion { found: b'H' }));
    }

    #[test]
    fn short_length_rejected() {
        assert_eq!(decode_header(&[3, 0, 0, 3]), Err(TpktError::LengthTooShort { length: 3 }));
    }

    #[test]
    fn frame_needs_whole_packet() {
        let pkt = [3, 0, 0, 6, 0xaa, 0xbb];
        assert_eq!(frame_len(&pkt), Ok(Some(6)));
        assert_eq!(frame_len(&pkt[..5]), Ok(None));
    }

    #[test]
    fn encodes_header() {
        assert_eq!(encode_header(15), Some([3, 0, 0, 19]));
        assert_eq!(encode_header(70_000), None);
    }
}
