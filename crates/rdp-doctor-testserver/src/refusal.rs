//! How the test server says no, the way Windows does, and the first screen update when it says yes.
//!
//! - A Set Error Info PDU (MS-RDPBCGR 2.2.5.1.1) with any 32-bit `errorInfo`, followed by an MCS Disconnect
//!   Provider Ultimatum and the close (MS-RDPBCGR: after sending it the server MUST disconnect). IronRDP's
//!   acceptor can only send ERRINFO 9 (`encode_access_denied`), and drops it when its step fails; this module
//!   builds the PDU by hand so any code can be sent, including codes IronRDP's client does not know.
//! - A connection-setup handler that refuses authorization, so a HYBRID_EX client gets the Early User
//!   Authorization Result AUTHZ_ACCESS_DENIED (MS-RDPBCGR 2.2.10.2).
//! - One fast-path bitmap update (MS-RDPBCGR 2.2.9.1.2.1.2), so a client sees its first graphics update.

use ironrdp_acceptor::ReceivedCredentials;
use ironrdp_acceptor::{ConnectionSetupHandler, ConnectorError, ConnectorErrorExt as _, ConnectorResult};

/// The MCS user channel (initiator) and I/O channel IDs IronRDP's acceptor assigns.
const USER_CHANNEL_ID: u16 = 1002;
const IO_CHANNEL_ID: u16 = 1003;

/// TPKT + X.224 Data + MCS Send Data Indication on the I/O channel + Share Control/Data headers +
/// `errorInfo`.
pub fn set_error_info_pdu(error_info: u32) -> Vec<u8> {
    // Share Control Header (6) + Share Data Header (12) + errorInfo (4).
    const SHARE_LEN: u16 = 22;
    let mut share = Vec::with_capacity(usize::from(SHARE_LEN));
    share.extend_from_slice(&SHARE_LEN.to_le_bytes()); // totalLength
    share.extend_from_slice(&0x0017u16.to_le_bytes()); // pduType: PDUTYPE_DATAPDU | TS_PROTOCOL_VERSION
    share.extend_from_slice(&USER_CHANNEL_ID.to_le_bytes()); // pduSource
    share.extend_from_slice(&0x0001_03eau32.to_le_bytes()); // shareId
    share.push(0); // pad1
    share.push(1); // streamId: STREAM_LOW
    share.extend_from_slice(&4u16.to_le_bytes()); // uncompressedLength (as IronRDP writes it: the payload)
    share.push(47); // pduType2: PDUTYPE2_SET_ERROR_INFO_PDU
    share.push(0); // generalCompressedType
    share.extend_from_slice(&0u16.to_le_bytes()); // generalCompressedLength
    share.extend_from_slice(&error_info.to_le_bytes()); // errorInfo
    let mut mcs = vec![0x68]; // DomainMCSPDU SendDataIndication (26 << 2)
    mcs.extend_from_slice(&(USER_CHANNEL_ID - 1001).to_be_bytes()); // initiator, PER: offset from 1001
    mcs.extend_from_slice(&IO_CHANNEL_ID.to_be_bytes()); // channelId
    mcs.push(0x70); // dataPriority high, segmentation begin | end
    mcs.push(SHARE_LEN as u8); // PER length (< 128: one byte)
    mcs.extend_from_slice(&share);
    let total = 4 + 3 + mcs.len();
    let mut pdu = vec![0x03, 0x00];
    pdu.extend_from_slice(&(total as u16).to_be_bytes()); // TPKT
    pdu.extend_from_slice(&[0x02, 0xf0, 0x80]); // X.224 Data TPDU, EOT
    pdu.extend_from_slice(&mcs);
    pdu
}

/// MCS Disconnect Provider Ultimatum, reason rn-provider-initiated (1): what a server sends before closing.
pub const DISCONNECT_PROVIDER_ULTIMATUM: [u8; 9] = [0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x20, 0x80];

/// A fast-path output PDU with one 4×1 uncompressed 32-bpp bitmap rectangle.
pub fn first_bitmap_update() -> Vec<u8> {
    use ironrdp_core::encode_vec;
    use ironrdp_pdu::bitmap::{BitmapData, BitmapUpdateData, Compression};
    use ironrdp_pdu::fast_path::{EncryptionFlags, FastPathHeader, FastPathUpdatePdu, Fragmentation, UpdateCode};
    use ironrdp_pdu::geometry::InclusiveRectangle;
    let pixels = [0x80u8; 16];
    let bitmap = BitmapUpdateData {
        rectangles: vec![BitmapData {
            rectangle: InclusiveRectangle { left: 0, top: 0, right: 3, bottom: 0 },
            width: 4,
            height: 1,
            bits_per_pixel: 32,
            compression_flags: Compression::empty(),
            compressed_data_header: None,
            bitmap_data: &pixels,
        }],
    };
    let Ok(data) = encode_vec(&bitmap) else { return Vec::new() };
    let update = FastPathUpdatePdu {
        fragmentation: Fragmentation::Single,
        update_code: UpdateCode::Bitmap,
        compression_flags: None,
        compression_type: None,
        data: &data,
    };
    let Ok(update) = encode_vec(&update) else { return Vec::new() };
    let Ok(mut out) = encode_vec(&FastPathHeader::new(EncryptionFlags::empty(), update.len())) else {
        return Vec::new();
    };
    out.extend_from_slice(&update);
    out
}

/// Refuses every user after a successful CredSSP: the acceptor then answers a HYBRID_EX client with
/// AUTHZ_ACCESS_DENIED (as Windows does for a user without the "Allow log on through Remote Desktop
/// Services" right).
pub(crate) struct DenyAuthorization;

#[async_trait::async_trait(?Send)]
impl ConnectionSetupHandler for DenyAuthorization {
    async fn handle_credentials(&mut self, _credentials: Option<ReceivedCredentials>) -> ConnectorResult<()> {
        Err(ConnectorError::general("the test server denies authorization to every user"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironrdp_core::encode_vec;
    use ironrdp_pdu::mcs::SendDataIndication;
    use ironrdp_pdu::rdp::headers::{
        CompressionFlags, ShareControlHeader, ShareControlPdu, ShareDataHeader, ShareDataPdu, StreamPriority,
    };
    use ironrdp_pdu::rdp::server_error_info::{ErrorInfo, ProtocolIndependentCode, ServerSetErrorInfoPdu};
    use ironrdp_pdu::x224::X224;

    /// Cross-check: the hand-built PDU equals IronRDP's own encoding of ERRINFO_SERVER_DENIED_CONNECTION.
    #[test]
    fn set_error_info_matches_ironrdp_encoding() {
        let share = ShareControlHeader {
            share_control_pdu: ShareControlPdu::Data(ShareDataHeader {
                share_data_pdu: ShareDataPdu::ServerSetErrorInfo(ServerSetErrorInfoPdu(
                    ErrorInfo::ProtocolIndependentCode(ProtocolIndependentCode::ServerDeniedConnection),
                )),
                stream_priority: StreamPriority::Low,
                compression_flags: CompressionFlags::empty(),
                compression_type: ironrdp_pdu::rdp::client_info::CompressionType::K8,
            }),
            pdu_source: USER_CHANNEL_ID,
            share_id: 0x0001_03ea,
        };
        let user_data = encode_vec(&share).unwrap_or_default();
        let sdi = SendDataIndication {
            initiator_id: USER_CHANNEL_ID,
            channel_id: IO_CHANNEL_ID,
            user_data: std::borrow::Cow::Owned(user_data),
        };
        let ironrdp = encode_vec(&X224(sdi)).unwrap_or_default();
        assert_eq!(set_error_info_pdu(7), ironrdp);
    }

    #[test]
    fn bitmap_update_is_a_fast_path_bitmap() {
        let pdu = first_bitmap_update();
        assert_eq!(pdu.first(), Some(&0x00)); // fast-path action, no encryption
        assert_eq!(usize::from(pdu.get(1).copied().unwrap_or(0)), pdu.len());
        assert_eq!(pdu.get(2).map(|h| h & 0x0f), Some(1)); // updateCode FASTPATH_UPDATETYPE_BITMAP
    }
}
