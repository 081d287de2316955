//! MCS Connect Initial / Connect Response with GCC Conference Create (MS-RDPBCGR 2.2.1.3, 2.2.1.4), for
//! servers that use Standard RDP Security: the server's security data (encryption method and level, and
//! its certificate) is only visible here.
//!
//! Encoding and decoding of the MCS/GCC structures use IronRDP's PDU codecs; this module adds the parts
//! IronRDP keeps opaque: the server certificate (MS-RDPBCGR 2.2.1.4.3.1).

mod connect;

pub use connect::{ConnectPduError, McsConnect, McsResult, decode_connect_pdu};

use ironrdp_pdu::gcc;

/// Why the Connect Response is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum McsError {
    #[error("cannot encode the MCS Connect Initial: {0}")]
    Encode(String),
    #[error("not a usable MCS Connect Response: {0}")]
    Decode(String),
    #[error("MCS Connect Response of {0} bytes exceeds the bound")]
    TooLong(usize),
}

/// The largest Connect Response accepted (a proprietary certificate makes it a few hundred bytes; an X.509
/// chain a few KiB).
pub const MAX_RESPONSE_LEN: usize = 32 * 1024;

/// MS-RDPBCGR 2.2.1.4.3 encryptionMethod flags.
pub fn encryption_method_names(v: u32) -> Vec<String> {
    let mut out = Vec::new();
    for (bit, name) in [
        (0x01, "40BIT_ENCRYPTION_FLAG"),
        (0x02, "128BIT_ENCRYPTION_FLAG"),
        (0x08, "56BIT_ENCRYPTION_FLAG"),
        (0x10, "FIPS_ENCRYPTION_FLAG"),
    ] {
        if v & bit != 0 {
            out.push(name.to_owned());
        }
    }
    if v == 0 {
        out.push("ENCRYPTION_METHOD_NONE".to_owned());
    }
    out
}

/// MS-RDPBCGR 2.2.1.4.3 encryptionLevel.
pub fn encryption_level_name(v: u32) -> String {
    match v {
        0 => "ENCRYPTION_LEVEL_NONE".to_owned(),
        1 => "ENCRYPTION_LEVEL_LOW".to_owned(),
        2 => "ENCRYPTION_LEVEL_CLIENT_COMPATIBLE".to_owned(),
        3 => "ENCRYPTION_LEVEL_HIGH".to_owned(),
        4 => "ENCRYPTION_LEVEL_FIPS".to_owned(),
        other => format!("0x{other:08x}"),
    }
}

/// Encodes TPKT + X.224 Data + MCS Connect Initial offering every Standard RDP Security method
/// (40/56/128-bit and FIPS), as an old mstsc would.
pub fn encode_connect_initial(selected_protocol: u32) -> Result<Vec<u8>, McsError> {
    use gcc::*;
    let blocks = ClientGccBlocks {
        core: ClientCoreData {
            version: RdpVersion::V5_PLUS,
            desktop_width: 1024,
            desktop_height: 768,
            color_depth: ColorDepth::Bpp8,
            sec_access_sequence: SecureAccessSequence::Del,
            keyboard_layout: 0x409,
            client_build: 2600,
            client_name: "rdp-doctor".to_owned(),
            keyboard_type: KeyboardType::IBM_ENHANCED,
            keyboard_subtype: 0,
            keyboard_functional_keys_count: 12,
            ime_file_name: String::new(),
            optional_data: ClientCoreOptionalData {
                post_beta2_color_depth: Some(ColorDepth::Bpp8),
                client_product_id: Some(1),
                serial_number: Some(0),
                high_color_depth: Some(HighColorDepth::Bpp24),
                supported_color_depths: Some(SupportedColorDepths::BPP24 | SupportedColorDepths::BPP16),
                early_capability_flags: Some(ClientEarlyCapabilityFlags::SUPPORT_ERR_INFO_PDU),
                dig_product_id: Some(String::new()),
                connection_type: Some(ConnectionType::NotUsed),
                server_selected_protocol: Some(ironrdp_pdu::nego::SecurityProtocol::from_bits_retain(
                    selected_protocol,
                )),
                desktop_physical_width: None,
                desktop_physical_height: None,
                desktop_orientation: None,
                desktop_scale_factor: None,
                device_scale_factor: None,
            },
        },
        security: ClientSecurityData { encryption_methods: EncryptionMethod::all(), ext_encryption_methods: 0 },
        network: Some(ClientNetworkData { channels: vec![] }),
        cluster: None,
        monitor: None,
        message_channel: None,
        multi_transport_channel: None,
        monitor_extended: None,
    };
    let ci = ironrdp_pdu::mcs::ConnectInitial::with_gcc_blocks(blocks).map_err(|e| McsError::Encode(e.to_string()))?;
    let payload = ironrdp_core::encode_vec(&ci).map_err(|e| McsError::Encode(e.to_string()))?;
    let pdu = ironrdp_pdu::x224::X224Data { data: std::borrow::Cow::Owned(payload) };
    ironrdp_core::encode_vec(&ironrdp_pdu::x224::X224(pdu)).map_err(|e| McsError::Encode(e.to_string()))
}

/// The server's security data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSecurity {
    pub encryption_method: u32,
    pub encryption_level: u32,
    pub server_random_len: usize,
    pub certificate: Option<ServerCertificate>,
}

/// MS-RDPBCGR 2.2.1.4.3.1 SERVER_CERTIFICATE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerCertificate {
    /// CERT_CHAIN_VERSION_1: a proprietary certificate with an RSA key (2.2.1.4.3.1.1).
    Proprietary { rsa_bits: u32, temporary: bool },
    /// CERT_CHAIN_VERSION_2: an X.509 chain, as sent.
    X509 { certs: Vec<Vec<u8>>, temporary: bool },
    /// Anything else, described.
    Unparsed { version: u32, len: usize, reason: &'static str },
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).and_then(|s| <[u8; 4]>::try_from(s).ok()).map(u32::from_le_bytes)
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).and_then(|s| <[u8; 2]>::try_from(s).ok()).map(u16::from_le_bytes)
}

/// Decodes the serverCertificate field.
pub fn decode_server_certificate(b: &[u8]) -> ServerCertificate {
    let Some(version) = u32_at(b, 0) else {
        return ServerCertificate::Unparsed { version: 0, len: b.len(), reason: "shorter than dwVersion" };
    };
    let temporary = version & 0x8000_0000 != 0;
    match version & 0x7fff_ffff {
        1 => {
            // dwVersion, dwSigAlgId, dwKeyAlgId, wPublicKeyBlobType, wPublicKeyBlobLen, then RSA_PUBLIC_KEY:
            // magic "RSA1", keylen, bitlen, datalen, pubExp, modulus.
            let blob_len = u16_at(b, 14).map_or(0, usize::from);
            match (b.get(16..20), u32_at(b, 24)) {
                (Some(b"RSA1"), Some(bits)) if blob_len >= 20 => {
                    ServerCertificate::Proprietary { rsa_bits: bits, temporary }
                }
                _ => ServerCertificate::Unparsed {
                    version,
                    len: b.len(),
                    reason: "proprietary certificate without an RSA1 key blob",
                },
            }
        }
        2 => {
            let Some(n) = u32_at(b, 4) else {
                return ServerCertificate::Unparsed { version, len: b.len(), reason: "no NumCertBlobs" };
            };
            let mut certs = Vec::new();
            let mut at = 8usize;
            for _ in 0..n.min(16) {
                let Some(len) = u32_at(b, at).and_then(|l| usize::try_from(l).ok()) else { break };
                let Some(cert) = b.get(at + 4..(at + 4).saturating_add(len)) else {
                    return ServerCertificate::Unparsed {
                        version,
                        len: b.len(),
                        reason: "certificate blob runs past the end",
                    };
                };
                certs.push(cert.to_vec());
                at += 4 + len;
            }
            ServerCertificate::X509 { certs, temporary }
        }
        _ => ServerCertificate::Unparsed { version, len: b.len(), reason: "unknown certificate chain version" },
    }
}

/// Decodes TPKT + X.224 Data + MCS Connect Response; `Ok(None)` when more bytes are needed.
pub fn decode_connect_response(buf: &[u8]) -> Result<Option<(ServerSecurity, usize)>, McsError> {
    let Some(total) = crate::tpkt::frame_len(buf).map_err(|e| McsError::Decode(e.to_string()))? else {
        if let Ok(Some(h)) = crate::tpkt::decode_header(buf)
            && usize::from(h.length) > MAX_RESPONSE_LEN
        {
            return Err(McsError::TooLong(usize::from(h.length)));
        }
        return Ok(None);
    };
    let packet = buf.get(..total).unwrap_or_default();
    let data = ironrdp_core::decode::<ironrdp_pdu::x224::X224<ironrdp_pdu::x224::X224Data<'_>>>(packet)
        .map_err(|e| McsError::Decode(e.to_string()))?;
    let resp = ironrdp_core::decode::<ironrdp_pdu::mcs::ConnectResponse>(data.0.data.as_ref())
        .map_err(|e| McsError::Decode(e.to_string()))?;
    let sec = resp.conference_create_response.into_gcc_blocks().security;
    let certificate = (!sec.server_cert.is_empty()).then(|| decode_server_certificate(&sec.server_cert));
    Ok(Some((
        ServerSecurity {
            encryption_method: sec.encryption_method.bits(),
            encryption_level: sec.encryption_level as u32,
            server_random_len: sec.server_random.map_or(0, |r| r.len()),
            certificate,
        },
        total,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_initial_is_framed() {
        let b = encode_connect_initial(0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&b[..2], &[3, 0], "TPKT");
        assert_eq!(crate::tpkt::frame_len(&b), Ok(Some(b.len())));
        assert_eq!(&b[4..7], &[2, 0xf0, 0x80], "X.224 Data TPDU");
        assert_eq!(&b[7..9], &[0x7f, 0x65], "BER application tag 101: Connect-Initial");
    }

    #[test]
    fn proprietary_certificate() {
        // dwVersion 1, sig alg 1, key alg 1, blob type 6, blob len 92, "RSA1", keylen 72, bitlen 512, …
        let mut c = vec![1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 6, 0, 92, 0];
        c.extend_from_slice(b"RSA1");
        c.extend_from_slice(&72u32.to_le_bytes());
        c.extend_from_slice(&512u32.to_le_bytes());
        c.extend_from_slice(&63u32.to_le_bytes());
        assert_eq!(decode_server_certificate(&c), ServerCertificate::Proprietary { rsa_bits: 512, temporary: false });
        assert!(matches!(decode_server_certificate(&c[..10]), ServerCertificate::Unparsed { .. }));
    }

    #[test]
    fn x509_chain() {
        // dwVersion 0x80000002 (temporary, X.509), 2 blobs: [aa bb], [cc]
        let c = [2, 0, 0, 0x80, 2, 0, 0, 0, 2, 0, 0, 0, 0xaa, 0xbb, 1, 0, 0, 0, 0xcc];
        assert_eq!(
            decode_server_certificate(&c),
            ServerCertificate::X509 { certs: vec![vec![0xaa, 0xbb], vec![0xcc]], temporary: true }
        );
        assert!(matches!(decode_server_certificate(&c[..13]), ServerCertificate::Unparsed { .. }));
    }

    #[test]
    fn names() {
        assert_eq!(
            encryption_method_names(0x0b),
            ["40BIT_ENCRYPTION_FLAG", "128BIT_ENCRYPTION_FLAG", "56BIT_ENCRYPTION_FLAG"]
        );
        assert_eq!(encryption_level_name(2), "ENCRYPTION_LEVEL_CLIENT_COMPATIBLE");
    }
}
