//! MS-RDPEUDP connection setup: the SYN and SYN+ACK datagrams (MS-RDPEUDP 3.1.5.1.1 and 3.1.5.1.3).
//!
//! All fields are big-endian (network order). Only what a diagnosis needs is decoded: the FEC header,
//! the SYN data, the correlation ID and the SYNEX version. Data datagrams (v1 and RDPEUDP2) are not
//! decoded: they carry TLS/DTLS.
//!
//! ```text
//! RDPUDP_FEC_HEADER (8):       snSourceAck u32 | uReceiveWindowSize u16 | uFlags u16
//! RDPUDP_SYNDATA_PAYLOAD (8):  snInitialSequenceNumber u32 | uUpStreamMtu u16 | uDownStreamMtu u16
//! [RDPUDP_CORRELATION_ID_PAYLOAD (32)]  when RDPUDP_FLAG_CORRELATION_ID
//! [RDPUDP_SYNDATAEX_PAYLOAD (4, +32 cookieHash in a version-3 client SYN)]  when RDPUDP_FLAG_SYNEX
//! zero padding up to the MTU
//! ```

/// MS-RDPEUDP 2.2.2.1 `uFlags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RdpUdpFlags(pub u16);

impl RdpUdpFlags {
    pub const SYN: u16 = 0x0001;
    pub const FIN: u16 = 0x0002;
    pub const ACK: u16 = 0x0004;
    pub const DATA: u16 = 0x0008;
    pub const FEC: u16 = 0x0010;
    pub const CN: u16 = 0x0020;
    pub const CWR: u16 = 0x0040;
    pub const SACK_OPTION: u16 = 0x0080;
    pub const ACK_OF_ACKS: u16 = 0x0100;
    pub const SYNLOSSY: u16 = 0x0200;
    pub const ACKDELAYED: u16 = 0x0400;
    pub const CORRELATION_ID: u16 = 0x0800;
    pub const SYNEX: u16 = 0x1000;

    const NAMED: [(u16, &'static str); 13] = [
        (0x0001, "SYN"),
        (0x0002, "FIN"),
        (0x0004, "ACK"),
        (0x0008, "DATA"),
        (0x0010, "FEC"),
        (0x0020, "CN"),
        (0x0040, "CWR"),
        (0x0080, "SACK_OPTION"),
        (0x0100, "ACK_OF_ACKS"),
        (0x0200, "SYNLOSSY"),
        (0x0400, "ACKDELAYED"),
        (0x0800, "CORRELATION_ID"),
        (0x1000, "SYNEX"),
    ];

    pub fn has(self, bit: u16) -> bool {
        self.0 & bit == bit
    }

    /// Spec names (without the `RDPUDP_FLAG_` prefix) of the set flags, unknown bits in hex.
    pub fn names(self) -> Vec<String> {
        let mut out = Vec::new();
        let mut known = 0u16;
        for (bit, name) in Self::NAMED {
            known |= bit;
            if self.0 & bit != 0 {
                out.push(name.to_owned());
            }
        }
        if self.0 & !known != 0 {
            out.push(format!("0x{:04x}", self.0 & !known));
        }
        out
    }
}

/// MS-RDPEUDP 2.2.2.9 `uUdpVer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UdpVersion(pub u16);

impl UdpVersion {
    pub const RDPUDP_PROTOCOL_VERSION_1: Self = Self(0x0001);
    pub const RDPUDP_PROTOCOL_VERSION_2: Self = Self(0x0002);
    /// Version 3: the connection switches to MS-RDPEUDP2 after the handshake.
    pub const RDPUDP_PROTOCOL_VERSION_3: Self = Self(0x0101);

    pub fn name(self) -> String {
        match self.0 {
            0x0001 => "RDPUDP_PROTOCOL_VERSION_1".to_owned(),
            0x0002 => "RDPUDP_PROTOCOL_VERSION_2".to_owned(),
            0x0101 => "RDPUDP_PROTOCOL_VERSION_3 (RDPEUDP2)".to_owned(),
            v => format!("version 0x{v:04x}"),
        }
    }
}

/// RDPUDP_FEC_HEADER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FecHeader {
    pub sn_source_ack: u32,
    pub receive_window_size: u16,
    pub flags: RdpUdpFlags,
}

/// Size of RDPUDP_FEC_HEADER + RDPUDP_SYNDATA_PAYLOAD.
pub const SYN_MIN_LEN: usize = 16;

/// A SYN or SYN+ACK datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syn {
    pub header: FecHeader,
    pub initial_sequence_number: u32,
    pub upstream_mtu: u16,
    pub downstream_mtu: u16,
    pub correlation_id: Option<[u8; 16]>,
    /// `uUdpVer` of RDPUDP_SYNDATAEX_PAYLOAD.
    pub version: Option<UdpVersion>,
    /// Whether a version-3 client SYN carried the 32-byte cookieHash.
    pub cookie_hash: bool,
    /// The datagram's length (SYNs are padded to the MTU).
    pub datagram_len: usize,
}

impl Syn {
    /// SYN+ACK: the server's answer (MS-RDPEUDP 3.1.5.1.3).
    pub fn is_syn_ack(&self) -> bool {
        self.header.flags.has(RdpUdpFlags::ACK)
    }
}

/// Why a datagram is not a SYN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SynError {
    #[error("{0}-byte datagram is shorter than the 16-byte SYN header")]
    Truncated(usize),
    #[error("RDPUDP_FLAG_SYN is not set (uFlags 0x{0:04x})")]
    NotSyn(u16),
    #[error("a client SYN must carry snSourceAck 0xffffffff, found 0x{0:08x}")]
    BadSourceAck(u32),
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

/// Decodes the RDPUDP_FEC_HEADER at the start of a datagram.
pub fn decode_fec_header(buf: &[u8]) -> Option<FecHeader> {
    Some(FecHeader {
        sn_source_ack: be32(buf, 0)?,
        receive_window_size: be16(buf, 4)?,
        flags: RdpUdpFlags(be16(buf, 6)?),
    })
}

/// Decodes a SYN (client) or SYN+ACK (server) datagram.
pub fn decode_syn(buf: &[u8]) -> Result<Syn, SynError> {
    let (Some(header), Some(isn), Some(up), Some(down)) =
        (decode_fec_header(buf), be32(buf, 8), be16(buf, 12), be16(buf, 14))
    else {
        return Err(SynError::Truncated(buf.len()));
    };
    if !header.flags.has(RdpUdpFlags::SYN) {
        return Err(SynError::NotSyn(header.flags.0));
    }
    let syn_ack = header.flags.has(RdpUdpFlags::ACK);
    if !syn_ack && header.sn_source_ack != u32::MAX {
        return Err(SynError::BadSourceAck(header.sn_source_ack));
    }
    let mut at = SYN_MIN_LEN;
    let mut correlation_id = None;
    if header.flags.has(RdpUdpFlags::CORRELATION_ID)
        && let Some(id) = buf.get(at..at + 16)
    {
        let mut c = [0u8; 16];
        c.copy_from_slice(id);
        correlation_id = Some(c);
        at += 32;
    }
    let mut version = None;
    let mut cookie_hash = false;
    if header.flags.has(RdpUdpFlags::SYNEX)
        && let (Some(_flags), Some(v)) = (be16(buf, at), be16(buf, at + 2))
    {
        version = Some(UdpVersion(v));
        cookie_hash = !syn_ack && v == UdpVersion::RDPUDP_PROTOCOL_VERSION_3.0 && buf.len() >= at + 4 + 32;
    }
    Ok(Syn {
        header,
        initial_sequence_number: isn,
        upstream_mtu: up,
        downstream_mtu: down,
        correlation_id,
        version,
        cookie_hash,
        datagram_len: buf.len(),
    })
}

/// The datagram size of an RDP-UDP SYN: 1232 = 1280 (IPv6 minimum MTU) − 40 − 8 (MS-RDPEUDP 3.1.5.1.1).
pub const SYN_DATAGRAM_LEN: usize = 1232;

/// Encodes a client SYN (MS-RDPEUDP 3.1.5.1.1): snSourceAck −1, window 64, RDPUDP_FLAG_SYN, the ISN, both
/// MTUs set to `mtu`, a SYNDATAEX payload announcing `version` (1 or 2: no cookie hash), zero-padded to
/// `mtu` bytes. Big-endian throughout.
pub fn encode_client_syn(isn: u32, mtu: u16, version: UdpVersion) -> Vec<u8> {
    let mut b = Vec::with_capacity(usize::from(mtu));
    b.extend_from_slice(&u32::MAX.to_be_bytes());
    b.extend_from_slice(&64u16.to_be_bytes());
    b.extend_from_slice(&(RdpUdpFlags::SYN | RdpUdpFlags::SYNEX).to_be_bytes());
    b.extend_from_slice(&isn.to_be_bytes());
    b.extend_from_slice(&mtu.to_be_bytes());
    b.extend_from_slice(&mtu.to_be_bytes());
    b.extend_from_slice(&0x0001u16.to_be_bytes()); // RDPUDP_VERSION_INFO_VALID
    b.extend_from_slice(&version.0.to_be_bytes());
    b.resize(usize::from(mtu).max(b.len()), 0);
    b
}

/// Encodes a server SYN+ACK (MS-RDPEUDP 3.1.5.1.3) acknowledging `client_isn` (scripted test peers).
pub fn encode_syn_ack(client_isn: u32, server_isn: u32, mtu: u16, version: UdpVersion) -> Vec<u8> {
    let mut b = encode_client_syn(server_isn, mtu, version);
    if let Some(ack) = b.get_mut(0..4) {
        ack.copy_from_slice(&client_isn.to_be_bytes());
    }
    if let Some(flags) = b.get_mut(6..8) {
        flags.copy_from_slice(&(RdpUdpFlags::SYN | RdpUdpFlags::ACK | RdpUdpFlags::SYNEX).to_be_bytes());
    }
    b
}

/// Whether a datagram looks like an RDP-UDP client SYN (used to recognise RDP-UDP on any port).
pub fn looks_like_client_syn(buf: &[u8]) -> bool {
    decode_syn(buf).is_ok_and(|s| !s.is_syn_ack() && (1000..=1500).contains(&s.upstream_mtu))
}

#[cfg(test)]
mod encode_tests {
    use super::*;

    #[test]
    fn client_syn_round_trips() {
        let b = encode_client_syn(0x98ae_ca6a, 1232, UdpVersion::RDPUDP_PROTOCOL_VERSION_2);
        assert_eq!(b.len(), SYN_DATAGRAM_LEN);
        // snSourceAck ff ff ff ff | window 00 40 | flags 10 01 (SYNEX | SYN) | ISN | MTU 04 d0 04 d0
        assert_eq!(&b[..16], &[0xff, 0xff, 0xff, 0xff, 0, 0x40, 0x10, 0x01, 0x98, 0xae, 0xca, 0x6a, 4, 0xd0, 4, 0xd0]);
        let syn = decode_syn(&b).unwrap_or_else(|e| panic!("{e}"));
        assert!(!syn.is_syn_ack());
        assert_eq!(syn.version, Some(UdpVersion::RDPUDP_PROTOCOL_VERSION_2));
        assert!(looks_like_client_syn(&b));
        let ack = decode_syn(&encode_syn_ack(0x98ae_ca6a, 7, 1232, UdpVersion::RDPUDP_PROTOCOL_VERSION_2))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(ack.is_syn_ack());
        assert_eq!(ack.header.sn_source_ack, 0x98ae_ca6a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::parse_hex;

    fn fx(s: &str) -> Vec<u8> {
        parse_hex(s).unwrap_or_default()
    }

    /// Client SYN (first 52 bytes of frame 1 of Zeek's rdpeudp-handshake-fail.pcap; the rest is zero
    /// padding): snSourceAck ffffffff | window 0x0040 | flags SYN|CORRELATION_ID|SYNEX | ISN ee4071dc |
    /// MTU 1232/1232 | correlation id (16) + 16 reserved | SYNEX flags 0x0001 version 0x0002
    const CLIENT_SYN: &str = "ff ff ff ff 00 40 18 01 ee 40 71 dc 04 d0 04 d0 \
        f8 53 03 60 ca 7f 42 41 a6 73 74 e5 20 1a 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 \
        00 01 00 02";
    /// Server SYN+ACK (Zeek's rdpeudp2-handshake-success.pcap frame 2): snSourceAck = client ISN
    /// a7eb5da4 | window 0x0040 | flags SYN|ACK|SYNEX | ISN 0547d72b | MTU 1232/1232 | SYNEX 0x0001 0x0101
    const SYN_ACK: &str = "a7 eb 5d a4 00 40 10 05 05 47 d7 2b 04 d0 04 d0 00 01 01 01";

    #[test]
    fn decodes_client_syn() {
        let s = decode_syn(&fx(CLIENT_SYN)).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(!s.is_syn_ack());
        assert_eq!(s.initial_sequence_number, 0xee40_71dc);
        assert_eq!((s.upstream_mtu, s.downstream_mtu), (1232, 1232));
        assert_eq!(s.correlation_id.map(|c| c[0]), Some(0xf8));
        assert_eq!(s.version, Some(UdpVersion::RDPUDP_PROTOCOL_VERSION_2));
        assert_eq!(s.header.flags.names(), vec!["SYN", "CORRELATION_ID", "SYNEX"]);
        assert!(looks_like_client_syn(&fx(CLIENT_SYN)));
    }

    #[test]
    fn decodes_syn_ack() {
        let s = decode_syn(&fx(SYN_ACK)).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(s.is_syn_ack());
        assert_eq!(s.header.sn_source_ack, 0xa7eb_5da4);
        assert_eq!(s.version, Some(UdpVersion::RDPUDP_PROTOCOL_VERSION_3));
        assert!(!looks_like_client_syn(&fx(SYN_ACK)));
    }

    #[test]
    fn truncate_by_one() {
        let b = fx(CLIENT_SYN);
        assert_eq!(decode_syn(&b[..15]), Err(SynError::Truncated(15)));
        // Cut inside the optional parts: still a SYN, with what could be read.
        assert!(decode_syn(&b[..16]).is_ok_and(|s| s.correlation_id.is_none() && s.version.is_none()));
        assert!(decode_syn(&b[..b.len() - 1]).is_ok_and(|s| s.version.is_none()));
    }

    #[test]
    fn data_is_not_syn() {
        // RDPEUDP v1 ACK|DATA datagram header
        let b = fx("0f 94 ea 0b 04 00 00 0c 00 00 00 00 0b 12 7f 16");
        assert_eq!(decode_syn(&b), Err(SynError::NotSyn(0x000c)));
        assert!(!looks_like_client_syn(&b));
    }
}
