//! Streaming pcap / pcapng reading with `pcap-parser`: a bounded buffer refilled from any `Read`, so
//! memory does not grow with the file. Both pcap byte orders and resolutions (micro/nanosecond), pcapng
//! sections with several interfaces, each with its own link type and timestamp resolution.
//!
//! Damage inside the file (a truncated last record, a malformed block) ends the reading and becomes a
//! statement in [`FileInfo::problems`]; only a file that is not a capture at all is an error.

use std::collections::BTreeMap;
use std::io::Read;

use pcap_parser::pcapng::Block;
use pcap_parser::{PcapBlockOwned, PcapError, create_reader};

use crate::error::CaptureError;

/// Read buffer size; grown up to [`MAX_BUFFER`] for a single large record.
pub const BUFFER: usize = 4 << 20;
/// The largest record accepted (a pcapng block of more than this is called malformed).
pub const MAX_BUFFER: usize = 64 << 20;

/// One captured packet.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// Nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    pub linktype: i32,
    /// The captured bytes (possibly fewer than the packet had on the wire).
    pub data: &'a [u8],
    pub orig_len: u32,
}

/// What the file looked like.
#[derive(Debug, Clone, Default)]
pub struct FileInfo {
    pub format: String,
    pub bytes_read: u64,
    pub packets: u64,
    pub interfaces: usize,
    pub link_types: BTreeMap<i32, u64>,
    pub first_ts_ns: Option<i64>,
    pub last_ts_ns: Option<i64>,
    /// Damage found in the file, in words.
    pub problems: Vec<String>,
    /// The current run of packets of one link type (counted into `link_types` when it ends).
    run: (i32, u64),
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: i32,
    /// Timestamp units per second.
    units: u64,
    offset_s: i64,
}

fn units_per_second(tsresol: u8) -> Option<u64> {
    if tsresol & 0x80 == 0 {
        (tsresol <= 19).then(|| 10u64.pow(u32::from(tsresol)))
    } else {
        let p = tsresol & 0x7f;
        (p <= 63).then(|| 1u64 << p)
    }
}

fn to_ns(ticks: u64, units: u64, offset_s: i64) -> i64 {
    let units = units.max(1);
    let ns = u128::from(ticks) * 1_000_000_000 / u128::from(units);
    i64::try_from(ns).unwrap_or(i64::MAX).saturating_add(offset_s.saturating_mul(1_000_000_000))
}

fn first_bytes(data: &[u8]) -> String {
    rdp_doctor_proto::hex::hex_prefix(data, 16)
}

/// Reads every packet of a capture, calling `on_packet` for each. `path` names the file in messages.
pub fn read_capture<R, F>(input: R, path: &str, on_packet: F) -> Result<FileInfo, CaptureError>
where
    R: Read + Send,
    F: FnMut(Packet<'_>),
{
    read_capture_with_secrets(input, path, on_packet, |_, _| {})
}

/// As [`read_capture`], also calling `on_secrets(secrets_type, data)` for each pcapng Decryption Secrets
/// Block (pcapng §4.7; 0x544c534b "TLSK" is an NSS key log).
pub fn read_capture_with_secrets<R, F, G>(
    mut input: R,
    path: &str,
    mut on_packet: F,
    mut on_secrets: G,
) -> Result<FileInfo, CaptureError>
where
    R: Read + Send,
    F: FnMut(Packet<'_>),
    G: FnMut(u32, &[u8]),
{
    let mut info = FileInfo::default();
    // Peek at the first bytes to tell "empty" and "not a capture" apart with the bytes quoted.
    // The first buffer pcap-parser reads must hold the whole file or section header.
    let head =
        read_up_to(&mut input, 64 * 1024).map_err(|source| CaptureError::Io { path: path.to_owned(), source })?;
    let got = head.len();
    let head = head.as_slice();
    if head.is_empty() {
        return Err(CaptureError::Empty { path: path.to_owned() });
    }
    let magic = head.get(..4).and_then(|m| <[u8; 4]>::try_from(m).ok()).map(u32::from_le_bytes);
    let known = matches!(magic, Some(0xa1b2_c3d4 | 0xd4c3_b2a1 | 0xa1b2_3c4d | 0x4d3c_b2a1 | 0x0a0d_0d0a));
    if !known {
        return Err(CaptureError::NotACapture { path: path.to_owned(), first_bytes: first_bytes(head) });
    }
    let needed = if magic == Some(0x0a0d_0d0a) { 28 } else { 24 };
    let chained = std::io::Cursor::new(head.to_vec()).chain(input);
    // A file that fit in the first read needs no large buffer.
    let mut capacity = if got < 64 * 1024 { (2 * got).max(4096) } else { BUFFER };
    let mut reader = match create_reader(capacity, chained) {
        Ok(r) => r,
        Err(PcapError::Incomplete(_) | PcapError::Eof | PcapError::UnexpectedEof) => {
            return Err(CaptureError::TruncatedHeader {
                path: path.to_owned(),
                what: if needed == 28 { "pcapng section" } else { "pcap file" },
                bytes: got as u64,
            });
        }
        Err(PcapError::ReadError) => {
            return Err(CaptureError::Io { path: path.to_owned(), source: std::io::Error::other("read failed") });
        }
        Err(_) => return Err(CaptureError::NotACapture { path: path.to_owned(), first_bytes: first_bytes(head) }),
    };
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut legacy: Option<(i32, bool)> = None; // linktype, nanosecond
    let mut last_ts = 0i64;
    let mut stuck = 0u32;
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                stuck = 0;
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        // (The "modified" format's magic is refused above, with the file's first bytes.)
                        info.format = crate::legacy::LegacyFormat {
                            big_endian: h.is_bigendian(),
                            nanosecond: h.is_nanosecond_precision(),
                            linktype: h.network.0,
                        }
                        .describe();
                        info.interfaces = 1;
                        legacy = Some((h.network.0, h.is_nanosecond_precision()));
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let (linktype, nano) = legacy.unwrap_or((1, false));
                        let frac = if nano { i64::from(b.ts_usec) } else { i64::from(b.ts_usec) * 1000 };
                        let ts = i64::from(b.ts_sec) * 1_000_000_000 + frac;
                        let data = b.data.get(..(b.caplen as usize).min(b.data.len())).unwrap_or_default();
                        last_ts = ts;
                        deliver(&mut info, &mut on_packet, Packet { ts_ns: ts, linktype, data, orig_len: b.origlen });
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                        if info.format.is_empty() {
                            info.format = "pcapng".to_owned();
                        }
                        interfaces.clear();
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        interfaces.push(Interface {
                            linktype: idb.linktype.0,
                            units: units_per_second(idb.if_tsresol).unwrap_or(1_000_000),
                            offset_s: idb.if_tsoffset,
                        });
                        info.interfaces += 1;
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => match interfaces.get(epb.if_id as usize) {
                        Some(ifc) => {
                            let ticks = u64::from(epb.ts_high) << 32 | u64::from(epb.ts_low);
                            let ts = to_ns(ticks, ifc.units, ifc.offset_s);
                            let data = epb.data.get(..(epb.caplen as usize).min(epb.data.len())).unwrap_or_default();
                            last_ts = ts;
                            deliver(
                                &mut info,
                                &mut on_packet,
                                Packet { ts_ns: ts, linktype: ifc.linktype, data, orig_len: epb.origlen },
                            );
                        }
                        None => note(&mut info, format!("packet for undeclared interface {} skipped", epb.if_id)),
                    },
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => match interfaces.first() {
                        Some(ifc) => {
                            let data = spb.data.get(..(spb.origlen as usize).min(spb.data.len())).unwrap_or_default();
                            deliver(
                                &mut info,
                                &mut on_packet,
                                Packet { ts_ns: last_ts, linktype: ifc.linktype, data, orig_len: spb.origlen },
                            );
                        }
                        None => note(&mut info, "simple packet block before any interface skipped".to_owned()),
                    },
                    PcapBlockOwned::NG(Block::DecryptionSecrets(dsb)) => on_secrets(dsb.secrets_type.0, dsb.data),
                    PcapBlockOwned::NG(_) => {}
                }
                info.bytes_read += offset as u64;
                // No shift here: the buffer is compacted only when refilled, so each byte is moved at most
                // once per refill instead of on every half buffer consumed.
                reader.consume_noshift(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                stuck += 1;
                if stuck > 3 || reader.refill().is_err() {
                    info.problems.push(format!(
                        "the file ends inside a record at byte {}: the last packet is cut",
                        info.bytes_read
                    ));
                    break;
                }
            }
            Err(PcapError::UnexpectedEof) => {
                info.problems.push(cut_record(info.bytes_read));
                break;
            }
            Err(PcapError::BufferTooSmall) => {
                if capacity >= MAX_BUFFER || !reader.grow(capacity * 2) {
                    info.problems.push(oversized_record(info.bytes_read));
                    break;
                }
                capacity *= 2;
                if reader.refill().is_err() {
                    break;
                }
            }
            Err(e) => {
                info.problems.push(format!(
                    "malformed data at byte {}: {}; the rest of the file was not read",
                    info.bytes_read,
                    describe(&e)
                ));
                break;
            }
        }
    }
    info.flush_run();
    Ok(info)
}

/// Reads up to `n` bytes from the start of `input` (fewer only when it ends sooner).
pub(crate) fn read_up_to<R: Read>(input: &mut R, n: usize) -> std::io::Result<Vec<u8>> {
    let mut head = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match input.read(head.get_mut(got..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    Ok(head)
}

/// The statement for a file that ends inside the record starting at byte `at`.
pub(crate) fn cut_record(at: u64) -> String {
    format!(
        "the file is truncated: it ends inside a record at byte {at} (the capture was cut or is still being written)"
    )
}

/// The statement for a record at byte `at` claiming more than [`MAX_BUFFER`].
pub(crate) fn oversized_record(at: u64) -> String {
    format!("malformed record at byte {at}: it claims more than {} MiB", MAX_BUFFER >> 20)
}

fn describe(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::NomError(_, kind) => format!("unparsable block ({kind:?})"),
        PcapError::OwnedNomError(_, kind) => format!("unparsable block ({kind:?})"),
        PcapError::ReadError => "read error".to_owned(),
        PcapError::HeaderNotRecognized => "unrecognised block header".to_owned(),
        other => format!("{other:?}"),
    }
}

fn note(info: &mut FileInfo, msg: String) {
    if info.problems.len() < 16 && !info.problems.contains(&msg) {
        info.problems.push(msg);
    }
}

fn deliver<F: FnMut(Packet<'_>)>(info: &mut FileInfo, on_packet: &mut F, p: Packet<'_>) {
    info.count_packet(p.ts_ns, p.linktype);
    on_packet(p);
}

impl FileInfo {
    /// Counts one packet delivered: the packet count, per-link-type counts, first and last timestamps.
    pub(crate) fn count_packet(&mut self, ts_ns: i64, linktype: i32) {
        self.packets += 1;
        // Per-link-type counts: the run of the current link type is counted locally and flushed on change.
        if self.run.0 == linktype {
            self.run.1 += 1;
        } else {
            self.flush_run();
            self.run = (linktype, 1);
        }
        if self.first_ts_ns.is_none() {
            self.first_ts_ns = Some(ts_ns);
        }
        self.last_ts_ns = Some(self.last_ts_ns.map_or(ts_ns, |l| l.max(ts_ns)));
    }

    /// Adds the current run of one link type to `link_types` (at a change of link type and at the end).
    pub(crate) fn flush_run(&mut self) {
        if self.run.1 > 0 {
            *self.link_types.entry(self.run.0).or_default() += self.run.1;
            self.run = (0, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolutions() {
        assert_eq!(units_per_second(6), Some(1_000_000));
        assert_eq!(units_per_second(9), Some(1_000_000_000));
        assert_eq!(units_per_second(0x80 | 10), Some(1024));
        assert_eq!(units_per_second(20), None);
        assert_eq!(to_ns(1_500_000, 1_000_000, 0), 1_500_000_000);
        assert_eq!(to_ns(u64::MAX, 1, 0), i64::MAX);
    }

    #[test]
    fn empty_and_garbage() {
        assert!(matches!(read_capture(&b""[..], "x", |_| {}), Err(CaptureError::Empty { .. })));
        assert!(matches!(read_capture(&b"hello world"[..], "x", |_| {}), Err(CaptureError::NotACapture { .. })));
        // pcap magic and nothing else
        assert!(matches!(
            read_capture(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0][..], "x", |_| {}),
            Err(CaptureError::TruncatedHeader { .. })
        ));
    }
}
