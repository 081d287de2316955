//! A DTLS 1.2 ClientHello (RFC 6347 4.1, 4.2.2; RFC 5246 7.4.1.2) and the reading of the first datagram
//! that answers it, for the RD Gateway's UDP transport reachability test (UDP 3391, MS-TSGU 2.1.1.2: the
//! client's DTLS handshake runs directly on that port). Only a ClientHello is ever sent: nothing else
//! (in particular no MS-TSGU CONNECT_PKT fragments, the CVE-2020-0609/0610 area) follows.

/// DTLS record header size (type, version, epoch, sequence number, length).
pub const RECORD_HEADER_LEN: usize = 13;
/// DTLS handshake header size (type, length, message_seq, fragment_offset, fragment_length).
pub const HANDSHAKE_HEADER_LEN: usize = 12;
/// DTLS 1.2 on the wire.
pub const DTLS_1_2: u16 = 0xFEFD;
/// DTLS 1.0 on the wire.
pub const DTLS_1_0: u16 = 0xFEFF;

/// Cipher suites offered: what Windows' SChannel DTLS accepts in practice (ECDHE with AES-GCM/CBC, RSA).
const SUITES: [u16; 8] = [0xC02B, 0xC02F, 0xC02C, 0xC030, 0xC009, 0xC013, 0x002F, 0x0035];

/// The ClientHello datagram with this client random (cookie empty, message_seq 0).
pub fn encode_client_hello(random: [u8; 32]) -> Vec<u8> {
    let mut body = Vec::with_capacity(128);
    body.extend_from_slice(&DTLS_1_2.to_be_bytes()); // client_version
    body.extend_from_slice(&random); // random
    body.push(0); // session_id length
    body.push(0); // cookie length (RFC 6347 4.2.1: empty in the first ClientHello)
    body.extend_from_slice(&((SUITES.len() * 2) as u16).to_be_bytes());
    for s in SUITES {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // compression methods: null
    let mut ext = Vec::new();
    // supported_groups (10): secp256r1, secp384r1, x25519
    ext.extend_from_slice(&[0x00, 0x0A, 0x00, 0x08, 0x00, 0x06, 0x00, 0x17, 0x00, 0x18, 0x00, 0x1D]);
    // ec_point_formats (11): uncompressed
    ext.extend_from_slice(&[0x00, 0x0B, 0x00, 0x02, 0x01, 0x00]);
    // signature_algorithms (13): rsa_pkcs1_sha256, ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha384
    ext.extend_from_slice(&[0x00, 0x0D, 0x00, 0x0A, 0x00, 0x08, 0x04, 0x01, 0x04, 0x03, 0x08, 0x04, 0x05, 0x01]);
    // renegotiation_info (0xff01): empty
    ext.extend_from_slice(&[0xFF, 0x01, 0x00, 0x01, 0x00]);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);

    let len = body.len() as u32;
    let mut hs = vec![1]; // msg_type client_hello
    hs.extend_from_slice(&len.to_be_bytes()[1..]); // length u24
    hs.extend_from_slice(&[0, 0]); // message_seq
    hs.extend_from_slice(&[0, 0, 0]); // fragment_offset
    hs.extend_from_slice(&len.to_be_bytes()[1..]); // fragment_length
    hs.extend_from_slice(&body);

    let mut rec = vec![22]; // content type handshake
    rec.extend_from_slice(&DTLS_1_0.to_be_bytes()); // record version: 1.0 for the first flight (RFC 6347 4.1)
    rec.extend_from_slice(&[0, 0]); // epoch
    rec.extend_from_slice(&[0; 6]); // sequence_number
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

/// What the first answering record is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DtlsAnswer {
    /// HelloVerifyRequest (handshake type 3): a DTLS server, asking for the cookie round trip.
    HelloVerifyRequest { server_version: u16, cookie_len: u8 },
    /// ServerHello (handshake type 2).
    ServerHello { server_version: u16 },
    /// An alert record.
    Alert { level: u8, description: u8 },
    /// Another DTLS record (content type, handshake type if a handshake).
    Other { content_type: u8, handshake_type: Option<u8> },
}

/// Why a datagram is not a DTLS answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DtlsError {
    #[error("{0} bytes: shorter than a DTLS record")]
    Short(usize),
    #[error("content type {0} is not a DTLS record type")]
    NotDtls(u8),
    #[error("record version {0:#06x} is not DTLS")]
    BadVersion(u16),
    #[error("record length {length} exceeds the {available} bytes received")]
    Truncated { length: usize, available: usize },
}

/// Reads the first record of a datagram.
pub fn decode_answer(buf: &[u8]) -> Result<DtlsAnswer, DtlsError> {
    let h = buf.get(..RECORD_HEADER_LEN).ok_or(DtlsError::Short(buf.len()))?;
    let at = |i: usize| h.get(i).copied().unwrap_or(0);
    let content_type = at(0);
    if !(20..=25).contains(&content_type) {
        return Err(DtlsError::NotDtls(content_type));
    }
    let version = u16::from_be_bytes([at(1), at(2)]);
    if version >> 8 != 0xFE {
        return Err(DtlsError::BadVersion(version));
    }
    let length = usize::from(u16::from_be_bytes([at(11), at(12)]));
    let body = buf
        .get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + length)
        .ok_or(DtlsError::Truncated { length, available: buf.len().saturating_sub(RECORD_HEADER_LEN) })?;
    let b = |i: usize| body.get(i).copied();
    Ok(match content_type {
        21 => match (b(0), b(1)) {
            (Some(level), Some(description)) => DtlsAnswer::Alert { level, description },
            _ => DtlsAnswer::Other { content_type, handshake_type: None },
        },
        22 => {
            let ht = b(0);
            let v = |i: usize| b(i).zip(b(i + 1)).map(|(x, y)| u16::from_be_bytes([x, y]));
            match (ht, v(HANDSHAKE_HEADER_LEN)) {
                (Some(3), Some(server_version)) => DtlsAnswer::HelloVerifyRequest {
                    server_version,
                    cookie_len: b(HANDSHAKE_HEADER_LEN + 2).unwrap_or(0),
                },
                (Some(2), Some(server_version)) => DtlsAnswer::ServerHello { server_version },
                _ => DtlsAnswer::Other { content_type, handshake_type: ht },
            }
        }
        _ => DtlsAnswer::Other { content_type, handshake_type: None },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::parse_hex;

    /// A HelloVerifyRequest as OpenSSL's DTLS server sends it.
    const HELLO_VERIFY: &str = concat!(
        "16",               // content type handshake
        "feff",             // record version DTLS 1.0
        "0000",             // epoch
        "000000000000",     // sequence number
        "0017",             // length 23
        "03",               // hello_verify_request
        "00000b",           // length 11
        "0000",             // message_seq
        "000000",           // fragment_offset
        "00000b",           // fragment_length
        "feff",             // server_version
        "08",               // cookie length
        "0102030405060708", // cookie
    );

    #[test]
    fn hello_verify_request_fixture() {
        let b = parse_hex(HELLO_VERIFY).unwrap_or_default();
        assert_eq!(decode_answer(&b), Ok(DtlsAnswer::HelloVerifyRequest { server_version: 0xFEFF, cookie_len: 8 }));
        for n in 0..b.len() {
            assert!(decode_answer(&b[..n]).is_err(), "cut at {n}");
        }
    }

    #[test]
    fn client_hello_is_one_complete_record() {
        let ch = encode_client_hello([7; 32]);
        assert_eq!(ch[0], 22);
        let rec_len = usize::from(u16::from_be_bytes([ch[11], ch[12]]));
        assert_eq!(ch.len(), RECORD_HEADER_LEN + rec_len);
        assert_eq!(decode_answer(&ch), Ok(DtlsAnswer::Other { content_type: 22, handshake_type: Some(1) }));
        // The handshake length and fragment length agree: one unfragmented message.
        assert_eq!(ch[14..17], ch[22..25]);
        assert!(ch.len() < 200, "fits any path MTU");
    }

    #[test]
    fn alert_and_garbage() {
        let alert = parse_hex("15fefd000000000000000000020228").unwrap_or_default();
        assert_eq!(decode_answer(&alert), Ok(DtlsAnswer::Alert { level: 2, description: 40 }));
        assert_eq!(decode_answer(b"HTTP/1.1 400 Bad Request\r\n"), Err(DtlsError::NotDtls(b'H')));
    }
}
