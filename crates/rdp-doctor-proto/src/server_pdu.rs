//! What the server sends after the security exchange, read tolerantly and without a session state:
//! Set Error Info (MS-RDPBCGR 2.2.5.1.1), MCS Disconnect Provider Ultimatum (T.125 / MS-RDPBCGR 2.2.2.3),
//! the licensing error message (MS-RDPBCGR 2.2.1.12.1.3), Save Session Info with logon notifications and
//! logon errors (2.2.10.1), and graphics updates (slow path 2.2.9.1.1.3, fast path 2.2.9.1.2).
//!
//! IronRDP's connector turns a Set Error Info PDU into a string and rejects codes it does not know; this
//! module reads the raw 4-byte `errorInfo` before the PDU is handed on, so every code is kept.
//!
//! Frames are TPKT (first byte 3) or fast-path output (action bits 0). The layers inside a TPKT frame:
//!
//! ```text
//! TPKT (4) | X.224 Data: LI 0x02, 0xF0, EOT 0x80 (3) | MCS DomainMCSPDU (PER):
//!   SendDataIndication: 0x68 | initiator (2) | channelId (2) | priority+segmentation (1) | length (1-2) | userData
//!   DisconnectProviderUltimatum: 0x20 | reason (3 bits over the next bit boundary)
//! userData: [basic security header (4): flags | flagsHi]   -- licensing PDUs only, with TLS/CredSSP
//!           Share Control Header: totalLength (2) | pduType (2) | pduSource (2)
//!           Share Data Header: shareId (4) | pad1 | streamId | uncompressedLength (2) | pduType2 | compType | compLen (2)
//! ```
//!
//! With Enhanced RDP Security (TLS, CredSSP) only licensing PDUs carry a security header; a share control
//! header is recognised by its `totalLength` matching the user data (or the flow-PDU marker 0x8000), which
//! a licensing header (flags 0x0080 …) does not.

/// Why a frame could not be split off or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("TPKT length {0} is shorter than the 4-byte header")]
    TpktTooShort(u16),
    #[error("fast-path length {0} is shorter than its header")]
    FastPathTooShort(usize),
    #[error("first byte 0x{0:02x} is neither TPKT (0x03) nor a fast-path output header")]
    Unknown(u8),
}

/// Length of the complete frame (TPKT or fast-path output) at the start of `buf`; `Ok(None)` when more
/// bytes are needed. Never more than 65535 (TPKT) or 32767 (fast path).
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, FrameError> {
    let Some(&first) = buf.first() else { return Ok(None) };
    let total = if first == 3 {
        let (Some(&hi), Some(&lo)) = (buf.get(2), buf.get(3)) else { return Ok(None) };
        let len = u16::from_be_bytes([hi, lo]);
        if len < 4 {
            return Err(FrameError::TpktTooShort(len));
        }
        usize::from(len)
    } else if first & 0x03 == 0 {
        // MS-RDPBCGR 2.2.9.1.2: length1, and length2 when length1's high bit is set.
        let Some(&l1) = buf.get(1) else { return Ok(None) };
        let len = if l1 & 0x80 != 0 {
            let Some(&l2) = buf.get(2) else { return Ok(None) };
            (usize::from(l1 & 0x7f) << 8) | usize::from(l2)
        } else {
            usize::from(l1)
        };
        let header = if l1 & 0x80 != 0 { 3 } else { 2 };
        if len < header {
            return Err(FrameError::FastPathTooShort(len));
        }
        len
    } else {
        return Err(FrameError::Unknown(first));
    };
    Ok((buf.len() >= total).then_some(total))
}

/// MCS Disconnect Provider Ultimatum reasons (T.125 `Reason`).
pub fn ultimatum_reason_name(reason: u8) -> &'static str {
    match reason {
        0 => "rn-domain-disconnected",
        1 => "rn-provider-initiated",
        2 => "rn-token-purged",
        3 => "rn-user-requested",
        4 => "rn-channel-purged",
        _ => "unknown reason",
    }
}

/// The MCS channel of share and licensing PDUs: MCS_GLOBAL_CHANNEL (1003), the I/O channel that Windows,
/// xrdp, FreeRDP and IronRDP servers announce in their Server Network Data (MS-RDPBCGR 2.2.1.4.4).
pub const IO_CHANNEL_ID: u16 = 1003;

/// `pduType2` of the Share Data Header (MS-RDPBCGR 2.2.8.1.1.1.2).
pub const PDUTYPE2_UPDATE: u8 = 2;
pub const PDUTYPE2_SAVE_SESSION_INFO: u8 = 38;
pub const PDUTYPE2_SET_ERROR_INFO_PDU: u8 = 47;
/// `pduType` of the Share Control Header (MS-RDPBCGR 2.2.8.1.1.1.1).
pub const PDUTYPE_DEMANDACTIVEPDU: u16 = 1;
pub const PDUTYPE_DEACTIVATEALLPDU: u16 = 6;
pub const PDUTYPE_DATAPDU: u16 = 7;
pub const PDUTYPE_SERVER_REDIR_PKT: u16 = 10;
/// Licensing `bMsgType` ERROR_ALERT (MS-RDPBCGR 2.2.1.12.1.1).
pub const LICENSE_ERROR_ALERT: u8 = 0xff;
/// Licensing `dwErrorCode` STATUS_VALID_CLIENT: with ST_NO_TRANSITION, "licensing is done, carry on".
pub const STATUS_VALID_CLIENT: u32 = 7;

/// Save Session Info `infoType` (MS-RDPBCGR 2.2.10.1.1), named by the one table in `rdp-doctor-codes`.
pub fn info_type_name(v: u32) -> &'static str {
    rdp_doctor_codes::logon::INFO_TYPE.code(v).map_or("unknown infoType", |c| c.name)
}

/// The Save Session Info PDU (MS-RDPBCGR 2.2.10.1.1), as far as a diagnosis cares. User and domain names
/// are not read (the logon notification names the account that logged on; the account is known otherwise).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaveSessionInfo {
    /// `infoType` (INFOTYPE_LOGON …, `rdp_doctor_codes::logon::INFO_TYPE`).
    pub info_type: u32,
    /// The session ID: Logon Info Version 1 or 2 `SessionId` (2.2.10.1.1.1-2), or the auto-reconnect
    /// cookie's `LogonId` (ARC_SC_PRIVATE_PACKET, 2.2.4.2) in Logon Info Extended.
    pub session_id: Option<u32>,
    /// Logon Info Extended `FieldsPresent` (2.2.10.1.1.4).
    pub fields_present: Option<u32>,
    /// Logon Errors Info (2.2.10.1.1.4.1.1): `ErrorNotificationType`, `ErrorNotificationData`, raw; read
    /// them together with `rdp_doctor_codes::logon::read_logon_error`.
    pub logon_error: Option<(u32, u32)>,
}

/// Whether a fast-path `updateCode` (MS-RDPBCGR 2.2.9.1.2.1) or slow-path `updateType` draws something:
/// orders, bitmap, palette or surface commands (synchronize and pointer updates do not).
pub fn is_graphics_update(fast_path: bool, code: u16) -> bool {
    if fast_path { matches!(code, 0 | 1 | 2 | 4) } else { matches!(code, 0..=2) }
}

/// One server frame, as far as a diagnosis cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerPdu {
    /// Set Error Info PDU: the raw `errorInfo`.
    SetErrorInfo { error_info: u32 },
    /// MCS Disconnect Provider Ultimatum.
    DisconnectProviderUltimatum { reason: u8 },
    /// A licensing PDU; for ERROR_ALERT its `dwErrorCode` and `dwStateTransition`.
    License { msg_type: u8, error: Option<(u32, u32)> },
    /// Save Session Info PDU: the logon notification, session ID and Logon Errors Info.
    SaveSessionInfo(SaveSessionInfo),
    /// Graphics or other updates: slow-path `updateType` or the fast-path `updateCode`s in the frame.
    Update { fast_path: bool, codes: Vec<u16> },
    /// Any other share control PDU (`pduType`, and `pduType2` for data PDUs).
    Share { pdu_type: u16, pdu_type2: Option<u8> },
    /// A Send Data Indication whose user data is not a share PDU or licensing PDU this module knows.
    OtherData { channel_id: u16, len: usize },
    /// Another MCS PDU (its DomainMCSPDU choice).
    OtherMcs { choice: u8 },
    /// A TPKT frame whose X.224 part is not a Data TPDU (e.g. a Disconnect Request, code 0x80).
    OtherX224 { code: u8 },
}

/// Why a frame is not readable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PduError {
    #[error("frame truncated: {0}")]
    Truncated(&'static str),
    #[error("fast-path output is encrypted (Standard RDP Security): contents not readable")]
    Encrypted,
}

/// A bounds-checked little cursor.
struct Cur<'a> {
    b: &'a [u8],
}

impl<'a> Cur<'a> {
    fn u8(&mut self, what: &'static str) -> Result<u8, PduError> {
        let (&v, rest) = self.b.split_first().ok_or(PduError::Truncated(what))?;
        self.b = rest;
        Ok(v)
    }
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], PduError> {
        if self.b.len() < n {
            return Err(PduError::Truncated(what));
        }
        let (head, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(head)
    }
    fn u16le(&mut self, what: &'static str) -> Result<u16, PduError> {
        let s = self.take(2, what)?;
        Ok(u16::from_le_bytes([s.first().copied().unwrap_or(0), s.get(1).copied().unwrap_or(0)]))
    }
    fn u16be(&mut self, what: &'static str) -> Result<u16, PduError> {
        let s = self.take(2, what)?;
        Ok(u16::from_be_bytes([s.first().copied().unwrap_or(0), s.get(1).copied().unwrap_or(0)]))
    }
    fn u32le(&mut self, what: &'static str) -> Result<u32, PduError> {
        let s = self.take(4, what)?;
        let mut a = [0u8; 4];
        a.copy_from_slice(s);
        Ok(u32::from_le_bytes(a))
    }
}

/// Reads one complete frame (as split off by [`frame_len`]).
pub fn decode(frame: &[u8]) -> Result<ServerPdu, PduError> {
    match frame.first() {
        Some(3) => decode_tpkt(frame),
        Some(_) => decode_fast_path(frame),
        None => Err(PduError::Truncated("empty frame")),
    }
}

fn decode_tpkt(frame: &[u8]) -> Result<ServerPdu, PduError> {
    let mut c = Cur { b: frame };
    c.take(4, "TPKT header")?;
    let li = c.u8("X.224 length indicator")?;
    let code = c.u8("X.224 TPDU code")?;
    if code & 0xf0 != 0xf0 {
        return Ok(ServerPdu::OtherX224 { code });
    }
    // The rest of the X.224 Data header (EOT), as long as LI says.
    c.take(usize::from(li).saturating_sub(1), "X.224 Data header")?;
    let first = c.u8("MCS PDU")?;
    let choice = first >> 2;
    match choice {
        8 => {
            // DisconnectProviderUltimatum: 3-bit reason, 2 bits here and 1 in the next byte.
            let second = c.u8("ultimatum reason")?;
            Ok(ServerPdu::DisconnectProviderUltimatum { reason: ((first & 0x03) << 1) | (second >> 7) })
        }
        26 => {
            c.u16be("initiator")?;
            let channel_id = c.u16be("channelId")?;
            c.u8("dataPriority/segmentation")?;
            let l1 = c.u8("user data length")?;
            let len = if l1 & 0x80 != 0 {
                (usize::from(l1 & 0x3f) << 8) | usize::from(c.u8("user data length")?)
            } else {
                usize::from(l1)
            };
            let data = c.take(len, "user data")?;
            decode_user_data(channel_id, data)
        }
        other => Ok(ServerPdu::OtherMcs { choice: other }),
    }
}

fn decode_user_data(channel_id: u16, data: &[u8]) -> Result<ServerPdu, PduError> {
    // Static virtual channel data (Channel PDU Header, 2.2.6.1.1: length, flags) is no share or licensing
    // PDU: its length's low byte could pass for SEC_LICENSE_PKT.
    if channel_id != IO_CHANNEL_ID {
        return Ok(ServerPdu::OtherData { channel_id, len: data.len() });
    }
    let mut c = Cur { b: data };
    let total = c.u16le("share control totalLength")?;
    if usize::from(total) == data.len() || total == 0x8000 {
        let pdu_type = c.u16le("pduType")? & 0x0f;
        if total == 0x8000 {
            return Ok(ServerPdu::Share { pdu_type, pdu_type2: None });
        }
        c.u16le("pduSource")?;
        if pdu_type != PDUTYPE_DATAPDU {
            return Ok(ServerPdu::Share { pdu_type, pdu_type2: None });
        }
        c.take(8, "share data header")?; // shareId, pad1, streamId, uncompressedLength
        let pdu_type2 = c.u8("pduType2")?;
        c.take(3, "share data header")?; // generalCompressedType, generalCompressedLength
        return match pdu_type2 {
            PDUTYPE2_SET_ERROR_INFO_PDU => Ok(ServerPdu::SetErrorInfo { error_info: c.u32le("errorInfo")? }),
            PDUTYPE2_SAVE_SESSION_INFO => decode_save_session_info(&mut c),
            PDUTYPE2_UPDATE => Ok(ServerPdu::Update { fast_path: false, codes: vec![c.u16le("updateType")?] }),
            other => Ok(ServerPdu::Share { pdu_type, pdu_type2: Some(other) }),
        };
    }
    // Basic security header with SEC_LICENSE_PKT (0x0080): a licensing PDU.
    if total & 0x0080 != 0 {
        c.u16le("flagsHi")?;
        let msg_type = c.u8("bMsgType")?;
        c.u8("flags")?;
        c.u16le("wMsgSize")?;
        let error = if msg_type == LICENSE_ERROR_ALERT {
            Some((c.u32le("dwErrorCode")?, c.u32le("dwStateTransition")?))
        } else {
            None
        };
        return Ok(ServerPdu::License { msg_type, error });
    }
    Ok(ServerPdu::OtherData { channel_id, len: data.len() })
}

/// Save Session Info (MS-RDPBCGR 2.2.10.1.1): the session ID of a logon notification (Logon Info Version 1,
/// 2.2.10.1.1.1: cbDomain, Domain[52], cbUserName, UserName[512], SessionId; Version 2, 2.2.10.1.1.2:
/// Version, Size, SessionId, …), or the fields of Logon Info Extended (2.2.10.1.1.4): the auto-reconnect
/// cookie (its LogonId) and Logon Errors Info (2.2.10.1.1.4.1.1), each behind its cbFieldData.
fn decode_save_session_info(c: &mut Cur<'_>) -> Result<ServerPdu, PduError> {
    let info_type = c.u32le("infoType")?;
    let mut info = SaveSessionInfo { info_type, ..SaveSessionInfo::default() };
    match info_type {
        0 => {
            c.take(4 + 52 + 4 + 512, "Logon Info Version 1 names")?;
            info.session_id = Some(c.u32le("SessionId")?);
        }
        1 => {
            c.take(2 + 4, "Logon Info Version 2 Version, Size")?;
            info.session_id = Some(c.u32le("SessionId")?);
        }
        3 => {
            c.u16le("Length")?;
            let present = c.u32le("FieldsPresent")?;
            info.fields_present = Some(present);
            if present & 0x1 != 0 {
                let n = c.u32le("cbFieldData")?;
                let mut arc = Cur { b: c.take(usize::try_from(n).unwrap_or(usize::MAX), "auto-reconnect field")? };
                // ARC_SC_PRIVATE_PACKET: cbLen, Version, LogonId, ArcRandomBits (never read).
                if arc.take(8, "cbLen, Version").is_ok() {
                    info.session_id = arc.u32le("LogonId").ok();
                }
            }
            if present & 0x2 != 0 {
                c.u32le("cbFieldData")?;
                info.logon_error = Some((c.u32le("ErrorNotificationType")?, c.u32le("ErrorNotificationData")?));
            }
        }
        _ => {}
    }
    Ok(ServerPdu::SaveSessionInfo(info))
}

/// Fast-path output (MS-RDPBCGR 2.2.9.1.2): the `updateCode` of each update in the frame.
fn decode_fast_path(frame: &[u8]) -> Result<ServerPdu, PduError> {
    let mut c = Cur { b: frame };
    let header = c.u8("fpOutputHeader")?;
    if header & 0x80 != 0 {
        return Err(PduError::Encrypted);
    }
    let l1 = c.u8("length1")?;
    if l1 & 0x80 != 0 {
        c.u8("length2")?;
    }
    let mut codes = Vec::new();
    while !c.b.is_empty() && codes.len() < 64 {
        let h = c.u8("updateHeader")?;
        if (h >> 6) & 0x3 == 2 {
            c.u8("compressionFlags")?;
        }
        let size = c.u16le("size")?;
        c.take(usize::from(size), "updateData")?;
        codes.push(u16::from(h & 0x0f));
    }
    Ok(ServerPdu::Update { fast_path: true, codes })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]
    use super::*;
    use crate::hex::parse_hex;

    fn hex(s: &str) -> Vec<u8> {
        parse_hex(s).unwrap_or_default()
    }

    /// Set Error Info with ERRINFO_SERVER_DENIED_CONNECTION, as IronRDP's acceptor encodes it.
    const SET_ERROR_INFO_7: &str = concat!(
        "03 00 00 24", // TPKT: version 3, length 36
        "02 f0 80",    // X.224 Data, EOT
        "68",          // MCS SendDataIndication (choice 26)
        "00 01",       // initiator 1002 - 1001
        "03 eb",       // channelId 1003 (I/O channel)
        "70",          // dataPriority high, segmentation begin|end
        "16",          // user data length 22
        "16 00",       // share control totalLength 22
        "17 00",       // pduType PDUTYPE_DATAPDU | version 1
        "ea 03",       // pduSource 1002
        "ea 03 01 00", // shareId
        "00",          // pad1
        "01",          // streamId STREAM_LOW
        "04 00",       // uncompressedLength (IronRDP: the 4-byte payload)
        "2f",          // pduType2 47 = PDUTYPE2_SET_ERROR_INFO_PDU
        "00",          // generalCompressedType
        "00 00",       // generalCompressedLength
        "07 00 00 00"  // errorInfo 7 = ERRINFO_SERVER_DENIED_CONNECTION
    );

    #[test]
    fn set_error_info_raw_code() {
        let f = hex(SET_ERROR_INFO_7);
        assert_eq!(frame_len(&f), Ok(Some(f.len())));
        assert_eq!(decode(&f), Ok(ServerPdu::SetErrorInfo { error_info: 7 }));
    }

    #[test]
    fn set_error_info_unknown_code_is_kept() {
        let mut f = hex(SET_ERROR_INFO_7);
        let n = f.len();
        f[n - 4..].copy_from_slice(&0xdead_beef_u32.to_le_bytes());
        assert_eq!(decode(&f), Ok(ServerPdu::SetErrorInfo { error_info: 0xdead_beef }));
    }

    #[test]
    fn set_error_info_truncated_by_one() {
        let f = hex(SET_ERROR_INFO_7);
        assert_eq!(frame_len(&f[..f.len() - 1]), Ok(None));
        assert!(decode(&f[..f.len() - 1]).is_err());
    }

    #[test]
    fn ultimatum() {
        // TPKT (9), X.224 Data, DisconnectProviderUltimatum with reason 3 (rn-user-requested): 0x21 0x80.
        let f = hex("03 00 00 09 02 f0 80 21 80");
        assert_eq!(decode(&f), Ok(ServerPdu::DisconnectProviderUltimatum { reason: 3 }));
        // Reason 1 (rn-provider-initiated): 0x20 0x80.
        assert_eq!(
            decode(&hex("03 00 00 09 02 f0 80 20 80")),
            Ok(ServerPdu::DisconnectProviderUltimatum { reason: 1 })
        );
        assert!(decode(&f[..8]).is_err());
        assert_eq!(ultimatum_reason_name(1), "rn-provider-initiated");
    }

    #[test]
    fn license_error_alert() {
        let f = hex(concat!(
            "03 00 00 2a 02 f0 80",    // TPKT (42), X.224 Data
            "68 00 01 03 eb 70",       // SendDataIndication on channel 1003
            "1c",                      // user data length 28
            "80 00 00 00",             // basic security header: SEC_LICENSE_PKT, flagsHi
            "ff 03 18 00",             // preamble: ERROR_ALERT, PREAMBLE_VERSION_3_0, wMsgSize 24
            "07 00 00 00",             // dwErrorCode STATUS_VALID_CLIENT
            "02 00 00 00",             // dwStateTransition ST_NO_TRANSITION
            "04 00 00 00",             // bbErrorInfo: wBlobType BB_ERROR_BLOB, wBlobLen 0
            "00 00 00 00 00 00 00 00"  // padding to the declared size
        ));
        assert_eq!(decode(&f), Ok(ServerPdu::License { msg_type: 0xff, error: Some((7, 2)) }));
        assert!(decode(&f[..f.len() - 21]).is_err());
    }

    /// A Save Session Info PDU of `user_data` bytes inside TPKT/X.224/SendDataIndication/share headers.
    fn save_session_info(body: &str) -> Vec<u8> {
        let body = hex(body);
        let user = 18 + body.len();
        let total = 13 + 2 + user;
        let mut f = vec![3, 0];
        f.extend((total as u16).to_be_bytes());
        f.extend(hex("02 f0 80 68 00 01 03 eb 70")); // X.224 Data, SendDataIndication on 1003
        f.extend([0x80 | (user >> 8) as u8, user as u8]); // user data length (2-byte form)
        f.extend((user as u16).to_le_bytes()); // share control totalLength
        f.extend(hex("17 00 ea 03")); // pduType DATAPDU, pduSource
        f.extend(hex("ea 03 01 00 00 01 00 00")); // shareId, pad1, streamId, uncompressedLength
        f.extend(hex("26 00 00 00")); // pduType2 38 = SAVE_SESSION_INFO, no compression
        f.extend(body);
        f
    }

    #[test]
    fn save_session_info_logon_errors() {
        let f = save_session_info(concat!(
            "03 00 00 00", // infoType INFOTYPE_LOGON_EXTENDED_INFO
            "12 00",       // Length 18
            "02 00 00 00", // FieldsPresent LOGON_EX_LOGONERRORS
            "08 00 00 00", // cbFieldData 8
            "fe ff ff ff", // ErrorNotificationType LOGON_MSG_SESSION_CONTINUE
            "02 00 00 00"  // ErrorNotificationData: session 2
        ));
        assert_eq!(frame_len(&f), Ok(Some(f.len())));
        let want = SaveSessionInfo {
            info_type: 3,
            session_id: None,
            fields_present: Some(2),
            logon_error: Some((0xffff_fffe, 2)),
        };
        assert_eq!(decode(&f), Ok(ServerPdu::SaveSessionInfo(want)));
        assert!(decode(&f[..f.len() - 1]).is_err());
    }

    #[test]
    fn save_session_info_auto_reconnect_cookie_and_errors() {
        let f = save_session_info(concat!(
            "03 00 00 00",                                     // INFOTYPE_LOGON_EXTENDED_INFO
            "2a 00",                                           // Length 42
            "03 00 00 00",                                     // AUTORECONNECTCOOKIE | LOGONERRORS
            "1c 00 00 00",                                     // cbFieldData 28
            "1c 00 00 00 01 00 00 00",                         // ARC_SC_PRIVATE_PACKET cbLen 28, Version 1
            "05 00 00 00",                                     // LogonId 5
            "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff", // ArcRandomBits (not read)
            "08 00 00 00",                                     // cbFieldData 8
            "6d 00 00 c0",                                     // STATUS_LOGON_FAILURE
            "00 00 00 00"                                      // LOGON_FAILED_BAD_PASSWORD
        ));
        let want = SaveSessionInfo {
            info_type: 3,
            session_id: Some(5),
            fields_present: Some(3),
            logon_error: Some((0xc000_006d, 0)),
        };
        assert_eq!(decode(&f), Ok(ServerPdu::SaveSessionInfo(want)));
        assert!(decode(&f[..f.len() - 1]).is_err());
    }

    #[test]
    fn save_session_info_logon_notifications() {
        // Logon Info Version 2: Version 1, Size 18, SessionId 3, cbDomain 0, cbUserName 0, then padding.
        let f = save_session_info(&format!(
            "01 00 00 00 01 00 12 00 00 00 03 00 00 00 00 00 00 00 00 00 00 00{}",
            " 00".repeat(558)
        ));
        let ServerPdu::SaveSessionInfo(i) = decode(&f).unwrap() else { panic!() };
        assert_eq!((i.info_type, i.session_id, i.logon_error), (1, Some(3), None));
        assert!(decode(&save_session_info("01 00 00 00 01 00 12 00 00 00 03 00 00")).is_err());
        // Logon Info Version 1: cbDomain, Domain[52], cbUserName, UserName[512], SessionId 7.
        let f = save_session_info(&format!("00 00 00 00{} 07 00 00 00", " 00".repeat(4 + 52 + 4 + 512)));
        let ServerPdu::SaveSessionInfo(i) = decode(&f).unwrap() else { panic!() };
        assert_eq!((i.info_type, i.session_id), (0, Some(7)));
        // Plain Notify: nothing to read.
        let f = save_session_info(&format!("02 00 00 00{}", " 00".repeat(576)));
        let ServerPdu::SaveSessionInfo(i) = decode(&f).unwrap() else { panic!() };
        assert_eq!((i.info_type, i.session_id), (2, None));
        assert_eq!(info_type_name(2), "INFOTYPE_LOGON_PLAINNOTIFY");
    }

    #[test]
    fn fast_path_updates() {
        // fpOutputHeader 0x00, length 12; bitmap update (code 1) of 2 bytes; synchronize (3) of 0 bytes;
        // a pointer-default update (6) of 0 bytes.
        let full = hex("00 0d 01 02 00 aa bb 03 00 00 06 00 00");
        assert_eq!(frame_len(&full), Ok(Some(13)));
        assert_eq!(frame_len(&full[..12]), Ok(None));
        assert_eq!(decode(&full), Ok(ServerPdu::Update { fast_path: true, codes: vec![1, 3, 6] }));
        assert!(decode(&full[..full.len() - 1]).is_err());
        assert!(is_graphics_update(true, 1));
        assert!(!is_graphics_update(true, 3));
        assert_eq!(decode(&hex("80 03 00")), Err(PduError::Encrypted));
    }

    #[test]
    fn frame_len_bounds() {
        assert_eq!(frame_len(&[]), Ok(None));
        assert_eq!(frame_len(&[3, 0, 0]), Ok(None));
        assert_eq!(frame_len(&[3, 0, 0, 2]), Err(FrameError::TpktTooShort(2)));
        assert_eq!(frame_len(&[0x00, 0x01]), Err(FrameError::FastPathTooShort(1)));
        assert_eq!(frame_len(&[0x00, 0x80]), Ok(None));
        assert_eq!(frame_len(&[0x01]), Err(FrameError::Unknown(1)));
    }

    /// A static virtual channel PDU whose length's low byte has bit 0x80 (here 0x98) is not licensing.
    #[test]
    fn virtual_channel_data_is_not_licensing() {
        let f = hex(concat!(
            "03 00 00 1c 02 f0 80 68 00 01 03 ec f0", // TPKT (28), X.224, SendDataIndication on 1004
            "0f",                                     // user data length 15
            "98 00 00 00",                            // Channel PDU Header length 152
            "03 00 00 00",                            // flags CHANNEL_FLAG_FIRST | CHANNEL_FLAG_LAST
            "72 44 52 49 01 00 00"                    // rdpdr header, …
        ));
        assert_eq!(decode(&f), Ok(ServerPdu::OtherData { channel_id: 1004, len: 15 }));
    }

    #[test]
    fn x224_disconnect_request_is_other() {
        // TPKT + X.224 Disconnect Request (code 0x80).
        assert_eq!(decode(&hex("03 00 00 0b 06 80 00 00 00 00 00")), Ok(ServerPdu::OtherX224 { code: 0x80 }));
    }
}
