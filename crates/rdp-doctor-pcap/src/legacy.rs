//! The legacy pcap format's two headers, sans-IO (draft-ietf-opsawg-pcap, "PCAP Capture File Format", §4
//! File Header and §5 Packet Record), for the threaded reader's fast path ([`crate::pipeline`]): records are
//! framed where `read()` put them instead of being copied out of a parser's own buffer first. Values are
//! read as `pcap-parser` reads them (the whole 32-bit LinkType field, the record's CapLen as given), so both
//! paths deliver the same packets; pcapng and everything else still goes through `pcap-parser`.

/// File Header length (§4).
pub const FILE_HEADER_LEN: usize = 24;
/// Packet Record header length (§5): Timestamp (seconds), Timestamp (micro- or nanoseconds), Captured
/// Packet Length, Original Packet Length.
pub const RECORD_HEADER_LEN: usize = 16;

/// What the File Header says about the records that follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyFormat {
    pub big_endian: bool,
    /// Magic 0xA1B23C4D: the second timestamp field counts nanoseconds (§4).
    pub nanosecond: bool,
    /// LinkType and additional information, all 32 bits (as `pcap-parser` reports it).
    pub linktype: i32,
}

/// One Packet Record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// Nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// Captured Packet Length: the bytes of packet data that follow the header.
    pub caplen: u32,
    pub orig_len: u32,
}

fn u32_at(b: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let v: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(if big_endian { u32::from_be_bytes(v) } else { u32::from_le_bytes(v) })
}

impl LegacyFormat {
    /// The File Header at the start of `head`; `None` when it is not a complete legacy pcap File Header
    /// with one of the four magic numbers (micro/nanosecond, either byte order).
    pub fn from_file_header(head: &[u8]) -> Option<Self> {
        if head.len() < FILE_HEADER_LEN {
            return None;
        }
        let (big_endian, nanosecond) = match u32_at(head, 0, false)? {
            0xa1b2_c3d4 => (false, false),
            0xa1b2_3c4d => (false, true),
            0xd4c3_b2a1 => (true, false),
            0x4d3c_b2a1 => (true, true),
            _ => return None,
        };
        let linktype = u32_at(head, 20, big_endian)?.cast_signed();
        Some(Self { big_endian, nanosecond, linktype })
    }

    /// The file's format in words, as the report gives it.
    pub fn describe(&self) -> String {
        format!(
            "pcap ({}-endian, {}second timestamps)",
            if self.big_endian { "big" } else { "little" },
            if self.nanosecond { "nano" } else { "micro" }
        )
    }

    /// The Packet Record header at the start of `b`, when its 16 bytes are there.
    pub fn record(&self, b: &[u8]) -> Option<RecordHeader> {
        let be = self.big_endian;
        let (sec, frac) = (u32_at(b, 0, be)?, u32_at(b, 4, be)?);
        let frac = if self.nanosecond { i64::from(frac) } else { i64::from(frac) * 1000 };
        Some(RecordHeader {
            ts_ns: i64::from(sec) * 1_000_000_000 + frac,
            caplen: u32_at(b, 8, be)?,
            orig_len: u32_at(b, 12, be)?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn header(magic: u32, big_endian: bool, linktype: u32) -> Vec<u8> {
        let mut h = Vec::new();
        let put =
            |h: &mut Vec<u8>, v: u32| h.extend_from_slice(&if big_endian { v.to_be_bytes() } else { v.to_le_bytes() });
        put(&mut h, magic);
        h.extend_from_slice(&if big_endian { [0, 2, 0, 4] } else { [2, 0, 4, 0] });
        for v in [0, 0, 65535, linktype] {
            put(&mut h, v);
        }
        h
    }

    #[test]
    fn the_four_magics_and_nothing_else() {
        for (magic, be, nano) in [
            (0xa1b2_c3d4, false, false),
            (0xa1b2_3c4d, false, true),
            (0xa1b2_c3d4, true, false),
            (0xa1b2_3c4d, true, true),
        ] {
            let f = LegacyFormat::from_file_header(&header(magic, be, 113)).unwrap();
            assert_eq!(f, LegacyFormat { big_endian: be, nanosecond: nano, linktype: 113 });
        }
        // The "modified" format (0xA1B2CD34, 24-byte records), pcapng and a cut header are not this path's.
        assert_eq!(LegacyFormat::from_file_header(&header(0xa1b2_cd34, false, 1)), None);
        assert_eq!(LegacyFormat::from_file_header(&[0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0]), None);
        assert_eq!(LegacyFormat::from_file_header(&header(0xa1b2_c3d4, false, 1)[..23]), None);
        // FCS bits above the link type stay in the value, as pcap-parser gives it.
        let f = LegacyFormat::from_file_header(&header(0xa1b2_c3d4, false, 0x1000_0001)).unwrap();
        assert_eq!(f.linktype, 0x1000_0001);
    }

    #[test]
    fn record_headers_in_both_orders_and_resolutions() {
        let mut le = Vec::new();
        for v in [1_700_000_000u32, 250_000, 60, 1514] {
            le.extend_from_slice(&v.to_le_bytes());
        }
        let micro = LegacyFormat { big_endian: false, nanosecond: false, linktype: 1 };
        let r = micro.record(&le).unwrap();
        assert_eq!(r, RecordHeader { ts_ns: 1_700_000_000_250_000_000, caplen: 60, orig_len: 1514 });
        let nano = LegacyFormat { nanosecond: true, ..micro };
        assert_eq!(nano.record(&le).unwrap().ts_ns, 1_700_000_000_000_250_000);
        let be: Vec<u8> = le.chunks(4).flat_map(|c| c.iter().rev().copied()).collect();
        assert_eq!(LegacyFormat { big_endian: true, ..micro }.record(&be).unwrap(), r);
        assert_eq!(micro.record(&le[..15]), None);
        assert_eq!(micro.describe(), "pcap (little-endian, microsecond timestamps)");
    }
}
