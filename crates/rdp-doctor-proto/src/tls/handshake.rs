//! TLS handshake messages seen in the clear (RFC 5246 §7.4, RFC 8446 §4): ClientHello, ServerHello and the
//! server's Certificate, decoded with `tls-parser` into plain values.
//!
//! Used wherever a handshake is observed rather than driven: captures, and a probe that records the bytes
//! it exchanged. In TLS 1.3 everything after the ServerHello is encrypted; the caller learns that from
//! [`ServerHello::version`].

use tls_parser::{TlsExtension, TlsMessage, TlsMessageHandshake};

/// Handshake header: msg_type (1) | length (3).
pub const HANDSHAKE_HEADER_LEN: usize = 4;
/// Longest handshake message decoded (a certificate chain of a few certificates fits many times over).
pub const MAX_HANDSHAKE_LEN: usize = 64 * 1024;
/// At most this many certificates of a chain are kept.
pub const MAX_CHAIN: usize = 10;

/// RFC 8446 §4 HandshakeType.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HandshakeType(pub u8);

impl HandshakeType {
    pub const HELLO_REQUEST: Self = Self(0);
    pub const CLIENT_HELLO: Self = Self(1);
    pub const SERVER_HELLO: Self = Self(2);
    pub const NEW_SESSION_TICKET: Self = Self(4);
    pub const ENCRYPTED_EXTENSIONS: Self = Self(8);
    pub const CERTIFICATE: Self = Self(11);
    pub const SERVER_KEY_EXCHANGE: Self = Self(12);
    pub const CERTIFICATE_REQUEST: Self = Self(13);
    pub const SERVER_HELLO_DONE: Self = Self(14);
    pub const CERTIFICATE_VERIFY: Self = Self(15);
    pub const CLIENT_KEY_EXCHANGE: Self = Self(16);
    pub const FINISHED: Self = Self(20);

    /// The RFC name, or the number.
    pub fn name(self) -> String {
        match self.0 {
            0 => "HelloRequest",
            1 => "ClientHello",
            2 => "ServerHello",
            4 => "NewSessionTicket",
            8 => "EncryptedExtensions",
            11 => "Certificate",
            12 => "ServerKeyExchange",
            13 => "CertificateRequest",
            14 => "ServerHelloDone",
            15 => "CertificateVerify",
            16 => "ClientKeyExchange",
            20 => "Finished",
            n => return format!("handshake type {n}"),
        }
        .to_owned()
    }
}

/// What a ClientHello offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// `legacy_version` (the highest version for TLS ≤ 1.2 clients).
    pub legacy_version: u16,
    /// The versions offered: the supported_versions extension (RFC 8446 §4.2.1) without GREASE, or
    /// `legacy_version` alone when the extension is absent.
    pub offered_versions: Vec<u16>,
    /// server_name (RFC 6066 §3), host_name type.
    pub server_name: Option<String>,
    pub alpn: Vec<String>,
    pub cipher_suites: Vec<u16>,
    /// legacy_session_id (at most 32 bytes): a client resuming a TLS ≤ 1.2 session sends its ID.
    pub session_id: Vec<u8>,
}

/// What a ServerHello selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerHello {
    pub legacy_version: u16,
    /// The negotiated version: supported_versions when present (TLS 1.3), else `legacy_version`.
    pub version: u16,
    pub cipher_suite: u16,
    /// RFC 8446 §4.1.3: a ServerHello with the special random is a HelloRetryRequest.
    pub hello_retry_request: bool,
    /// legacy_session_id_echo, its length and bytes (at most 32).
    pub session_id_len: u8,
    pub session_id: [u8; 32],
    /// The pre_shared_key extension (RFC 8446 §4.2.11): a TLS 1.3 server resuming a session.
    pub psk: bool,
}

impl ServerHello {
    /// Whether the server resumed an earlier session instead of a full handshake: it echoed the client's
    /// non-empty session ID (RFC 5246 §7.4.1.3, also for session tickets, RFC 5077 §3.4) or accepted a
    /// pre-shared key (TLS 1.3). No Certificate message follows.
    pub fn resumes(&self, client: &ClientHello) -> bool {
        let id = self.session_id.get(..usize::from(self.session_id_len)).unwrap_or_default();
        self.psk || (self.version < 0x0304 && !id.is_empty() && id == client.session_id.as_slice())
    }
}

/// A decoded handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeMessage {
    ClientHello(ClientHello),
    ServerHello(ServerHello),
    /// The server's chain as sent, leaf first (DER), at most [`MAX_CHAIN`] certificates.
    Certificate {
        chain: Vec<Vec<u8>>,
        total: usize,
    },
    /// Any other message, by type and length.
    Other {
        msg_type: HandshakeType,
        length: usize,
    },
}

impl HandshakeMessage {
    pub fn msg_type(&self) -> HandshakeType {
        match self {
            Self::ClientHello(_) => HandshakeType::CLIENT_HELLO,
            Self::ServerHello(_) => HandshakeType::SERVER_HELLO,
            Self::Certificate { .. } => HandshakeType::CERTIFICATE,
            Self::Other { msg_type, .. } => *msg_type,
        }
    }
}

/// Why bytes are not a usable handshake message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("{} of {length} bytes exceeds the {MAX_HANDSHAKE_LEN}-byte bound", .msg_type.name())]
    TooLong { msg_type: HandshakeType, length: usize },
    #[error("malformed {}", .0.name())]
    Malformed(HandshakeType),
}

/// RFC 8446 §4.1.3: SHA-256("HelloRetryRequest").
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11,
    0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// Decodes one handshake message at the start of `buf` (the concatenated bodies of handshake records).
/// `Ok(None)`: more bytes are needed. On success, also returns the number of bytes used.
pub fn decode_handshake_message(buf: &[u8]) -> Result<Option<(HandshakeMessage, usize)>, HandshakeError> {
    let [ty, l0, l1, l2] = match buf.get(..HANDSHAKE_HEADER_LEN) {
        Some(&[a, b, c, d]) => [a, b, c, d],
        _ => return Ok(None),
    };
    let msg_type = HandshakeType(ty);
    let length = usize::from(l0) << 16 | usize::from(l1) << 8 | usize::from(l2);
    if length > MAX_HANDSHAKE_LEN {
        return Err(HandshakeError::TooLong { msg_type, length });
    }
    let total = HANDSHAKE_HEADER_LEN + length;
    let Some(raw) = buf.get(..total) else { return Ok(None) };
    let msg = match msg_type {
        HandshakeType::CLIENT_HELLO | HandshakeType::SERVER_HELLO | HandshakeType::CERTIFICATE => {
            match tls_parser::parse_tls_message_handshake(raw) {
                Ok((_, TlsMessage::Handshake(m))) => convert(m).ok_or(HandshakeError::Malformed(msg_type))?,
                _ => return Err(HandshakeError::Malformed(msg_type)),
            }
        }
        _ => HandshakeMessage::Other { msg_type, length },
    };
    Ok(Some((msg, total)))
}

fn convert(m: TlsMessageHandshake<'_>) -> Option<HandshakeMessage> {
    Some(match m {
        TlsMessageHandshake::ClientHello(ch) => {
            let mut hello = ClientHello {
                legacy_version: ch.version.0,
                offered_versions: Vec::new(),
                server_name: None,
                alpn: Vec::new(),
                cipher_suites: ch.ciphers.iter().map(|c| c.0).filter(|c| !is_grease(*c)).collect(),
                session_id: ch.session_id.unwrap_or_default().iter().take(32).copied().collect(),
            };
            let exts = ch.ext.map(tls_parser::parse_tls_client_hello_extensions);
            for ext in exts.and_then(Result::ok).map(|(_, e)| e).unwrap_or_default() {
                match ext {
                    TlsExtension::SNI(names) => {
                        hello.server_name = names
                            .iter()
                            .find(|(t, _)| t.0 == 0)
                            .map(|(_, n)| String::from_utf8_lossy(n).chars().take(255).collect());
                    }
                    TlsExtension::SupportedVersions(v) => {
                        hello.offered_versions = v.iter().map(|v| v.0).filter(|v| !is_grease(*v)).collect();
                    }
                    TlsExtension::ALPN(protos) => {
                        hello.alpn = protos.iter().take(16).map(|p| String::from_utf8_lossy(p).into_owned()).collect();
                    }
                    _ => {}
                }
            }
            if hello.offered_versions.is_empty() {
                hello.offered_versions.push(hello.legacy_version);
            }
            HandshakeMessage::ClientHello(hello)
        }
        TlsMessageHandshake::ServerHello(sh) => {
            let mut version = sh.version.0;
            let mut psk = false;
            let exts = sh.ext.map(tls_parser::parse_tls_server_hello_extensions);
            for ext in exts.and_then(Result::ok).map(|(_, e)| e).unwrap_or_default() {
                match ext {
                    TlsExtension::SupportedVersions(v) => {
                        if let Some(first) = v.first() {
                            version = first.0;
                        }
                    }
                    TlsExtension::PreSharedKey(_) => psk = true,
                    _ => {}
                }
            }
            let sid = sh.session_id.unwrap_or_default();
            let mut session_id = [0u8; 32];
            let n = sid.len().min(32);
            session_id.get_mut(..n).unwrap_or_default().copy_from_slice(sid.get(..n).unwrap_or_default());
            HandshakeMessage::ServerHello(ServerHello {
                legacy_version: sh.version.0,
                version,
                cipher_suite: sh.cipher.0,
                hello_retry_request: sh.random == HRR_RANDOM,
                session_id_len: u8::try_from(n).unwrap_or(32),
                session_id,
                psk,
            })
        }
        TlsMessageHandshake::Certificate(c) => HandshakeMessage::Certificate {
            total: c.cert_chain.len(),
            chain: c.cert_chain.iter().take(MAX_CHAIN).map(|r| r.data.to_vec()).collect(),
        },
        _ => return None,
    })
}

/// A TLS 1.3 Certificate message body (RFC 8446 §4.4.2: certificate_request_context<0..255>,
/// certificate_list<0..2^24-1> of CertificateEntry { cert_data<1..2^24-1>, extensions<0..2^16-1> }), as
/// read from a decrypted handshake. Returns the chain (leaf first, at most [`MAX_CHAIN`] certificates) and
/// the number of entries; `None` when malformed. Raw public keys are not distinguished (RDP uses X.509).
pub fn decode_tls13_certificate(body: &[u8]) -> Option<(Vec<Vec<u8>>, usize)> {
    let u24 = |b: &[u8], at: usize| -> Option<usize> {
        let &[a, b, c] = b.get(at..at + 3)? else { return None };
        Some(usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c))
    };
    let ctx_len = usize::from(*body.first()?);
    let list_len = u24(body, 1 + ctx_len)?;
    let start = 1 + ctx_len + 3;
    let list = body.get(start..start + list_len)?;
    if start + list_len != body.len() {
        return None;
    }
    let (mut chain, mut total, mut at) = (Vec::new(), 0usize, 0usize);
    while at < list.len() {
        let len = u24(list, at)?;
        let cert = list.get(at + 3..at + 3 + len)?;
        if cert.is_empty() {
            return None;
        }
        let ext_at = at + 3 + len;
        let ext_len = usize::from(u16::from_be_bytes(list.get(ext_at..ext_at + 2)?.try_into().ok()?));
        list.get(ext_at + 2..ext_at + 2 + ext_len)?;
        if chain.len() < MAX_CHAIN {
            chain.push(cert.to_vec());
        }
        total += 1;
        at = ext_at + 2 + ext_len;
    }
    Some((chain, total))
}

/// The IANA name of a cipher suite, or its number in hex.
pub fn cipher_suite_name(id: u16) -> String {
    tls_parser::TlsCipherSuite::from_id(id).map_or_else(|| format!("0x{id:04x}"), |c| c.name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::parse_hex;

    fn fx(s: &str) -> Vec<u8> {
        parse_hex(s).unwrap_or_default()
    }

    /// ClientHello (type 1, length 0x37): legacy_version 0x0303 | random 32×0x11 | session_id len 0 |
    /// cipher_suites len 4: 0xc030, 0x009d | compression len 1: null | extensions len 10: server_name
    /// (type 0x0000, len 6: list len 4, host_name type 0, name len 1, "a")
    const CLIENT_HELLO: &str = "01 00 00 37 03 03 \
        11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 \
        00 00 04 c0 30 00 9d 01 00 00 0a 00 00 00 06 00 04 00 00 01 61";

    /// ServerHello (type 2, length 0x26): legacy_version 0x0303 | random 32×0x22 | session_id len 0 |
    /// cipher 0xc030 | compression 0 | no extensions
    const SERVER_HELLO: &str = "02 00 00 26 03 03 \
        22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 \
        00 c0 30 00";

    #[test]
    fn decodes_client_hello_with_sni() {
        let b = fx(CLIENT_HELLO);
        let (m, used) = decode_handshake_message(&b).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(used, b.len());
        let HandshakeMessage::ClientHello(ch) = m else { unreachable!() };
        assert_eq!(ch.legacy_version, 0x0303);
        assert_eq!(ch.offered_versions, vec![0x0303]);
        assert_eq!(ch.cipher_suites, vec![0xc030, 0x009d]);
        assert_eq!(ch.server_name.as_deref(), Some("a"));
    }

    /// A ServerHello echoing the ClientHello's session ID resumes the session (no Certificate follows).
    #[test]
    fn session_resumption() {
        let ch = |sid: &str| {
            let b = fx(&format!(
                "01 00 00 {:02x} 03 03 {} {sid} 00 02 c0 30 01 00",
                0x28 + sid.split_whitespace().count(),
                "11 ".repeat(32)
            ));
            match decode_handshake_message(&b).ok().flatten() {
                Some((HandshakeMessage::ClientHello(c), _)) => c,
                other => panic!("{other:?}"),
            }
        };
        let sh = |sid: &str| {
            let b = fx(&format!(
                "02 00 00 {:02x} 03 03 {} {sid} c0 30 00",
                0x26 + sid.split_whitespace().count() - 1,
                "22 ".repeat(32)
            ));
            match decode_handshake_message(&b).ok().flatten() {
                Some((HandshakeMessage::ServerHello(s), _)) => s,
                other => panic!("{other:?}"),
            }
        };
        let client = ch("04 aa bb cc dd");
        assert_eq!(client.session_id, [0xaa, 0xbb, 0xcc, 0xdd]);
        assert!(sh("04 aa bb cc dd").resumes(&client));
        assert!(!sh("04 01 02 03 04").resumes(&client));
        assert!(!sh("00").resumes(&ch("00")));
    }

    #[test]
    fn decodes_server_hello() {
        let b = fx(SERVER_HELLO);
        let (m, _) = decode_handshake_message(&b).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(
            m,
            HandshakeMessage::ServerHello(ServerHello {
                legacy_version: 0x0303,
                version: 0x0303,
                cipher_suite: 0xc030,
                hello_retry_request: false,
                session_id_len: 0,
                session_id: [0; 32],
                psk: false,
            })
        );
        assert_eq!(cipher_suite_name(0xc030), "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
        assert_eq!(cipher_suite_name(0xfefe), "0xfefe");
    }

    #[test]
    fn truncate_by_one_needs_more() {
        for f in [CLIENT_HELLO, SERVER_HELLO] {
            let b = fx(f);
            for n in 0..b.len() {
                assert_eq!(decode_handshake_message(&b[..n]), Ok(None), "cut at {n}");
            }
        }
    }

    #[test]
    fn bounds_and_other_types() {
        // Certificate claiming 16 MiB
        assert!(matches!(decode_handshake_message(&fx("0b ff ff ff")), Err(HandshakeError::TooLong { .. })));
        // ServerHelloDone, empty body
        assert_eq!(
            decode_handshake_message(&fx("0e 00 00 00")),
            Ok(Some((HandshakeMessage::Other { msg_type: HandshakeType::SERVER_HELLO_DONE, length: 0 }, 4)))
        );
        // A ServerHello whose body is garbage
        assert_eq!(
            decode_handshake_message(&fx("02 00 00 02 09 09")),
            Err(HandshakeError::Malformed(HandshakeType::SERVER_HELLO))
        );
    }

    /// TLS 1.3 Certificate body: context len 0 | list len 0x00000f | entry: cert len 3, cert aa bb cc,
    /// extensions len 0 | entry: cert len 2, cert dd ee, extensions len 0.
    #[test]
    fn decodes_tls13_certificate() {
        let ok = [0, 0, 0, 0x0f, 0, 0, 3, 0xaa, 0xbb, 0xcc, 0, 0, 0, 0, 2, 0xdd, 0xee, 0, 0];
        assert_eq!(decode_tls13_certificate(&ok), Some((vec![vec![0xaa, 0xbb, 0xcc], vec![0xdd, 0xee]], 2)));
        // A list length that disagrees with the body.
        let mut bad = ok;
        bad[3] = 0x0e;
        assert_eq!(decode_tls13_certificate(&bad), None);
        for n in 0..ok.len() {
            assert_eq!(decode_tls13_certificate(&ok[..n]), None, "truncated to {n}");
        }
    }
}
