//! Hand-built TLS ClientHellos for version and cipher-suite enumeration (RFC 5246 §7.4.1.2, RFC 8446
//! §4.1.2), and reading the server's first answer (ServerHello or alert) with tls-parser.
//!
//! A probe offers one protocol version and a list of suites; the server's ServerHello names the suite it
//! picked, or an alert says it accepts none of them. Randomness is the caller's: this module does no I/O.

use tls_parser::TlsCipherSuite;

/// TLS 1.3 cipher suites (RFC 8446 B.4).
pub const TLS13_SUITES: [u16; 5] = [0x1301, 0x1302, 0x1303, 0x1304, 0x1305];
/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746).
const RENEGOTIATION_SCSV: u16 = 0x00ff;
/// The largest ServerHello record we wait for.
pub const MAX_ANSWER_LEN: usize = 32 * 1024;

/// What to offer.
#[derive(Debug, Clone)]
pub struct HelloParams<'a> {
    /// 0x0301 (TLS 1.0) … 0x0304 (TLS 1.3).
    pub version: u16,
    pub suites: &'a [u16],
    pub random: [u8; 32],
    /// An X25519 public value for TLS 1.3's key_share (any 32 bytes make the server answer).
    pub key_share: [u8; 32],
    /// Server Name Indication, only for DNS names.
    pub sni: Option<&'a str>,
}

fn ext(out: &mut Vec<u8>, ty: u16, body: &[u8]) {
    out.extend_from_slice(&ty.to_be_bytes());
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
}

fn u16_list(items: &[u16], len_bytes: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(items.len() * 2 + len_bytes);
    let n = items.len() * 2;
    if len_bytes == 1 {
        b.push(n as u8);
    } else {
        b.extend_from_slice(&(n as u16).to_be_bytes());
    }
    for i in items {
        b.extend_from_slice(&i.to_be_bytes());
    }
    b
}

/// Encodes a ClientHello in one TLS record.
pub fn encode_client_hello(p: &HelloParams<'_>) -> Vec<u8> {
    let tls13 = p.version >= 0x0304;
    let mut exts = Vec::new();
    if let Some(name) = p.sni.filter(|n| n.parse::<std::net::IpAddr>().is_err() && !n.is_empty()) {
        let mut sn = vec![0u8];
        sn.extend_from_slice(&(name.len() as u16).to_be_bytes());
        sn.extend_from_slice(name.as_bytes());
        let mut body = (sn.len() as u16).to_be_bytes().to_vec();
        body.extend_from_slice(&sn);
        ext(&mut exts, 0, &body);
    }
    // supported_groups: x25519, secp256r1, secp384r1, secp521r1
    ext(&mut exts, 10, &u16_list(&[0x001d, 0x0017, 0x0018, 0x0019], 2));
    // ec_point_formats: uncompressed
    ext(&mut exts, 11, &[1, 0]);
    if p.version >= 0x0303 {
        // signature_algorithms: ECDSA and RSA-PSS/PKCS#1 with SHA-2, then SHA-1 for old servers
        let algs = [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201, 0x0203];
        ext(&mut exts, 13, &u16_list(&algs, 2));
    }
    if tls13 {
        ext(&mut exts, 43, &u16_list(&[0x0304], 1));
        let mut ks = Vec::new();
        ks.extend_from_slice(&0x001du16.to_be_bytes());
        ks.extend_from_slice(&32u16.to_be_bytes());
        ks.extend_from_slice(&p.key_share);
        let mut body = (ks.len() as u16).to_be_bytes().to_vec();
        body.extend_from_slice(&ks);
        ext(&mut exts, 51, &body);
    } else {
        // renegotiation_info (empty)
        ext(&mut exts, 0xff01, &[0]);
    }
    let mut suites: Vec<u16> = p.suites.to_vec();
    if !tls13 {
        suites.push(RENEGOTIATION_SCSV);
    }
    let mut body = Vec::new();
    body.extend_from_slice(&p.version.min(0x0303).to_be_bytes());
    body.extend_from_slice(&p.random);
    body.push(0); // session_id
    body.extend_from_slice(&u16_list(&suites, 2));
    body.extend_from_slice(&[1, 0]); // compression: null
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    let mut hs = vec![1u8];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut rec = vec![22u8, 3, 1];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

/// The server's first answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerAnswer {
    /// ServerHello (or a TLS 1.3 HelloRetryRequest): the negotiated version and suite.
    Hello {
        version: u16,
        cipher: u16,
        retry_request: bool,
    },
    Alert {
        level: u8,
        description: u8,
    },
}

/// Why the answer is not TLS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("not a TLS record: {0}")]
    NotTls(#[from] crate::tls::RecordError),
    #[error("TLS record that is neither a ServerHello nor an alert")]
    Unexpected,
    #[error("the server's first TLS record does not parse")]
    Malformed,
}

/// Reads the server's first answer; `Ok(None)` when more bytes are needed. The ServerHello is read by the
/// one handshake decoder the capture reader uses too ([`crate::tls::handshake`]).
pub fn decode_server_answer(buf: &[u8]) -> Result<Option<ServerAnswer>, AnswerError> {
    use crate::tls::handshake::{HandshakeMessage, decode_handshake_message};
    let Some(header) = crate::tls::decode_record_header(buf)? else { return Ok(None) };
    let Some(body) = buf.get(crate::tls::RECORD_HEADER_LEN..crate::tls::RECORD_HEADER_LEN + usize::from(header.length))
    else {
        return Ok(None);
    };
    match (header.content_type.0, body) {
        // Alert (RFC 5246 §7.2): level, description.
        (21, &[level, description]) => Ok(Some(ServerAnswer::Alert { level, description })),
        (21, _) => Err(AnswerError::Malformed),
        (22, _) => match decode_handshake_message(body) {
            Ok(Some((HandshakeMessage::ServerHello(sh), _))) => Ok(Some(ServerAnswer::Hello {
                version: sh.version,
                cipher: sh.cipher_suite,
                retry_request: sh.hello_retry_request,
            })),
            Ok(Some(_)) => Err(AnswerError::Unexpected),
            // A ServerHello longer than its record (split across records) is not expected here.
            Ok(None) | Err(_) => Err(AnswerError::Malformed),
        },
        _ => Err(AnswerError::Unexpected),
    }
}

/// Every cipher suite tls-parser knows for TLS ≤ 1.2 (IANA registry), sorted; signalling values excluded.
pub fn legacy_suites() -> Vec<u16> {
    let mut v: Vec<u16> = tls_parser::CIPHERS
        .keys()
        .copied()
        .filter(|id| (*id >> 8) != 0x13 && *id != RENEGOTIATION_SCSV && *id != 0x5600 && *id != 0)
        .collect();
    v.sort_unstable();
    v
}

/// The IANA name of a suite.
pub fn suite_name(id: u16) -> String {
    TlsCipherSuite::from_id(id).map_or_else(|| format!("0x{id:04x}"), |s| s.name.to_owned())
}

/// Why a suite is weak, if it is: broken ciphers, no forward secrecy, CBC with SHA-1 MAC.
pub fn weakness(id: u16) -> Option<&'static str> {
    use tls_parser::{TlsCipherEnc as E, TlsCipherKx as K, TlsCipherMac as M};
    let s = TlsCipherSuite::from_id(id)?;
    match (s.enc, s.kx, s.mac) {
        (E::Null, _, _) => Some("no encryption"),
        (E::Rc4, _, _) => Some("RC4 is broken (RFC 7465)"),
        (E::Des | E::Rc2 | E::Idea, _, _) => Some("obsolete 56/64-bit-block cipher"),
        (E::TripleDes, _, _) => Some("3DES: 64-bit blocks (Sweet32)"),
        _ if s.enc_size > 0 && s.enc_size < 128 => Some("export-grade key size"),
        (_, K::Null, _) => Some("anonymous key exchange (no server authentication)"),
        (_, _, M::HmacMd5) => Some("MD5 MAC"),
        (_, K::Rsa, _) => Some("RSA key exchange: no forward secrecy"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tls_parser::{TlsMessage, TlsMessageHandshake};

    fn hello(version: u16) -> Vec<u8> {
        encode_client_hello(&HelloParams {
            version,
            suites: &[0xc02f, 0x002f],
            random: [7; 32],
            key_share: [9; 32],
            sni: Some("rds1.corp.example"),
        })
    }

    #[test]
    fn client_hello_parses_with_tls_parser() {
        for v in [0x0301, 0x0302, 0x0303, 0x0304] {
            let b = hello(v);
            assert_eq!(&b[..3], &[22, 3, 1], "record header");
            let (rest, plain) = tls_parser::parse_tls_plaintext(&b).unwrap_or_else(|e| panic!("{e:?}"));
            assert!(rest.is_empty());
            let Some(TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch))) = plain.msg.first() else {
                panic!("not a ClientHello")
            };
            assert_eq!(ch.version.0, v.min(0x0303));
            assert!(ch.ciphers.iter().any(|c| c.0 == 0xc02f));
        }
    }

    #[test]
    fn decodes_alert_and_hello() {
        // alert record: fatal protocol_version
        assert_eq!(
            decode_server_answer(&[21, 3, 1, 0, 2, 2, 70]),
            Ok(Some(ServerAnswer::Alert { level: 2, description: 70 }))
        );
        // ServerHello TLS 1.2, random 0x01*32, empty session id, cipher 0xc02f, no compression, no extensions
        let mut sh = vec![2, 0, 0, 38, 3, 3];
        sh.extend_from_slice(&[1; 32]);
        sh.extend_from_slice(&[0, 0xc0, 0x2f, 0]);
        let mut rec = vec![22, 3, 3, 0, sh.len() as u8];
        rec.extend_from_slice(&sh);
        assert_eq!(
            decode_server_answer(&rec),
            Ok(Some(ServerAnswer::Hello { version: 0x0303, cipher: 0xc02f, retry_request: false }))
        );
        for n in 0..rec.len() {
            assert_eq!(decode_server_answer(&rec[..n]), Ok(None), "cut at {n}");
        }
    }

    #[test]
    fn suites_and_weakness() {
        let all = legacy_suites();
        assert!(all.len() > 100, "{}", all.len());
        assert!(all.contains(&0x002f) && !all.contains(&0x1301) && !all.contains(&0x00ff));
        assert_eq!(suite_name(0xc02f), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assert_eq!(weakness(0xc02f), None);
        assert!(weakness(0x0005).is_some_and(|w| w.contains("RC4")));
        assert!(weakness(0x000a).is_some_and(|w| w.contains("3DES")));
        assert!(weakness(0x002f).is_some_and(|w| w.contains("forward secrecy")));
    }
}
