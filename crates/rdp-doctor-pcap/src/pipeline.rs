//! The reader thread: reads the file and its pcap/pcapng framing ([`crate::reader`]) on its own thread and
//! hands the packets to the analyser in batches over a bounded channel, so the read system calls, the
//! record framing and the copy out of the page cache run on the other core while the analyser follows the
//! connections. No mmap (the crate forbids unsafe code).
//!
//! A legacy pcap file (the format of tcpdump's and most appliances' large captures) is read straight into
//! the batches and its records framed in place ([`crate::legacy`]): no second copy out of `pcap-parser`'s
//! buffer, only a record cut by the end of one read moves to the start of the next batch. pcapng goes
//! through [`reader::read_capture_with_secrets`].
//!
//! A batch is one buffer holding the packets' bytes back to back and the list of what they are (packets and
//! Decryption Secrets Blocks, in file order). Memory is bounded by ([`AHEAD`] + 2) batches of about
//! [`BATCH_BYTES`] (a batch also ends after its first record when that one record is larger); spent
//! batches are sent back and reused rather than reallocated.

use std::cell::RefCell;
use std::io::Read;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use crate::error::CaptureError;
use crate::legacy::{self, LegacyFormat};
use crate::reader::{self, FileInfo, Packet};

/// Bytes of packet data per batch.
pub const BATCH_BYTES: usize = 1 << 20;
/// Records per batch at most.
pub const BATCH_ITEMS: usize = 8192;
/// Batches read ahead at most.
pub const AHEAD: usize = 4;
/// Room past [`BATCH_BYTES`] in a batch's buffer.
const SLACK: usize = 128 << 10;

#[derive(Debug, Clone, Copy)]
enum Item {
    Packet { ts_ns: i64, linktype: i32, start: usize, end: usize, orig_len: u32 },
    Secrets { kind: u32, start: usize, end: usize },
}

#[derive(Debug, Default)]
struct Batch {
    data: Vec<u8>,
    items: Vec<Item>,
}

impl Batch {
    fn full(&self) -> bool {
        self.data.len() >= BATCH_BYTES || self.items.len() >= BATCH_ITEMS
    }

    fn add(&mut self, bytes: &[u8]) -> (usize, usize) {
        let start = self.data.len();
        self.data.extend_from_slice(bytes);
        (start, self.data.len())
    }
}

enum Msg {
    Batch(Batch),
    End(Result<FileInfo, CaptureError>),
}

/// The reader thread's end: fills batches, sends each full one and takes spent ones back.
struct Filler {
    batch: Batch,
    tx: SyncSender<Msg>,
    spare: Receiver<Batch>,
    /// The analyser is gone: the rest is read and dropped.
    closed: bool,
}

impl Filler {
    fn send_if_full(&mut self) {
        if !self.batch.full() {
            return;
        }
        let mut next = self.spare.try_recv().unwrap_or_else(|_| Batch {
            data: Vec::with_capacity(BATCH_BYTES + SLACK),
            items: Vec::with_capacity(BATCH_ITEMS),
        });
        next.data.clear();
        let full = std::mem::replace(&mut self.batch, next);
        if !self.closed && self.tx.send(Msg::Batch(full)).is_err() {
            self.closed = true;
        }
    }

    fn packet(&mut self, p: Packet<'_>) {
        let (start, end) = self.batch.add(p.data);
        self.batch.items.push(Item::Packet { ts_ns: p.ts_ns, linktype: p.linktype, start, end, orig_len: p.orig_len });
        self.send_if_full();
    }

    fn secrets(&mut self, kind: u32, data: &[u8]) {
        let (start, end) = self.batch.add(data);
        self.batch.items.push(Item::Secrets { kind, start, end });
        self.send_if_full();
    }
}

/// A spent batch back from the analyser, or a new one; its buffer at least `len` bytes long.
fn batch_of(spare: &Receiver<Batch>, len: usize) -> Batch {
    let mut b = spare.try_recv().unwrap_or_default();
    b.items.clear();
    if b.data.len() < len {
        b.data.resize(len, 0);
    }
    b
}

/// The legacy pcap fast path (after the File Header): fills each batch's buffer with `read()` and frames the
/// Packet Records where they lie. Damage ends the reading as in [`reader::read_capture_with_secrets`], with
/// the same statements: a record cut by the end of the file, a record claiming more than
/// [`reader::MAX_BUFFER`].
fn read_legacy<R: Read>(mut input: R, format: LegacyFormat, tx: &SyncSender<Msg>, spare: &Receiver<Batch>) -> FileInfo {
    let mut info = FileInfo::default();
    info.format = format.describe();
    info.interfaces = 1;
    info.bytes_read = legacy::FILE_HEADER_LEN as u64;
    let mut batch = batch_of(spare, BATCH_BYTES + SLACK);
    // batch.data[..filled] holds file bytes; the records before `pos` are framed.
    let mut filled = 0;
    let mut eof = false;
    let mut read_failed = false;
    loop {
        while filled < batch.data.len() && !eof {
            match input.read(batch.data.get_mut(filled..).unwrap_or_default()) {
                Ok(0) => eof = true,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    info.problems.push(format!(
                        "read error at byte {}: {e}; the rest of the file was not read",
                        info.bytes_read
                    ));
                    // What was read before the error is still framed; a cut record is not called truncated.
                    eof = true;
                    read_failed = true;
                }
            }
        }
        let mut pos = 0;
        // The whole length of the record at `pos` when it is not all in the buffer yet.
        let mut need = 0;
        let mut malformed = false;
        while let Some(r) = batch.data.get(pos..filled).and_then(|b| format.record(b)) {
            let len = legacy::RECORD_HEADER_LEN + r.caplen as usize;
            // Malformed even when the file ends sooner: a cut record keeps its true length, and no capture
            // has records of 64 MiB (pcap-parser's path calls it cut when the file ends within 64 MiB).
            if len > reader::MAX_BUFFER {
                info.problems.push(reader::oversized_record(info.bytes_read));
                malformed = true;
                break;
            }
            if pos + len > filled {
                need = len;
                break;
            }
            let start = pos + legacy::RECORD_HEADER_LEN;
            batch.items.push(Item::Packet {
                ts_ns: r.ts_ns,
                linktype: format.linktype,
                start,
                end: pos + len,
                orig_len: r.orig_len,
            });
            info.count_packet(r.ts_ns, format.linktype);
            info.bytes_read += len as u64;
            pos += len;
        }
        let tail = filled - pos;
        if malformed || eof {
            if !malformed && !read_failed && tail > 0 {
                info.problems.push(reader::cut_record(info.bytes_read));
            }
            if !batch.items.is_empty() {
                let _ = tx.send(Msg::Batch(batch));
            }
            break;
        }
        // The cut record moves to the next batch, whose buffer holds it whole.
        let mut next = batch_of(spare, (BATCH_BYTES + SLACK).max(need));
        if let (Some(to), Some(from)) = (next.data.get_mut(..tail), batch.data.get(pos..filled)) {
            to.copy_from_slice(from);
        }
        filled = tail;
        let full = std::mem::replace(&mut batch, next);
        if !full.items.is_empty() && tx.send(Msg::Batch(full)).is_err() {
            // The analyser is gone: nothing reads what follows.
            break;
        }
    }
    info.flush_run();
    info
}

/// Reads the capture from `input` on a reader thread and calls `on_packet` and `on_secrets` on this thread,
/// in file order, exactly as [`reader::read_capture_with_secrets`] would. Falls back to reading on this
/// thread when no thread can be started.
pub fn read_capture_threaded<R, F, G>(
    input: R,
    path: &str,
    mut on_packet: F,
    mut on_secrets: G,
) -> Result<FileInfo, CaptureError>
where
    R: Read + Send,
    F: FnMut(Packet<'_>),
    G: FnMut(u32, &[u8]),
{
    let input = Mutex::new(Some(input));
    let started = std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<Msg>(AHEAD);
        let (recycle, spare) = sync_channel::<Batch>(AHEAD + 2);
        let input = &input;
        let spawned = std::thread::Builder::new().name("capture-reader".to_owned()).spawn_scoped(scope, move || {
            let Some(mut input) = input.lock().ok().and_then(|mut i| i.take()) else { return };
            let head = match reader::read_up_to(&mut input, legacy::FILE_HEADER_LEN) {
                Ok(h) => h,
                Err(source) => {
                    let _ = tx.send(Msg::End(Err(CaptureError::Io { path: path.to_owned(), source })));
                    return;
                }
            };
            if let Some(format) = LegacyFormat::from_file_header(&head) {
                let info = read_legacy(input, format, &tx, &spare);
                let _ = tx.send(Msg::End(Ok(info)));
                return;
            }
            let input = std::io::Cursor::new(head).chain(input);
            let filler = RefCell::new(Filler { batch: Batch::default(), tx: tx.clone(), spare, closed: false });
            let result = reader::read_capture_with_secrets(
                input,
                path,
                |p| filler.borrow_mut().packet(p),
                |kind, data| filler.borrow_mut().secrets(kind, data),
            );
            let mut f = filler.into_inner();
            if !f.closed && !f.batch.items.is_empty() {
                let _ = tx.send(Msg::Batch(std::mem::take(&mut f.batch)));
            }
            let _ = tx.send(Msg::End(result));
        });
        if spawned.is_err() {
            return None;
        }
        let mut end = None;
        for msg in rx {
            match msg {
                Msg::Batch(mut b) => {
                    for item in &b.items {
                        match *item {
                            Item::Packet { ts_ns, linktype, start, end, orig_len } => on_packet(Packet {
                                ts_ns,
                                linktype,
                                data: b.data.get(start..end).unwrap_or_default(),
                                orig_len,
                            }),
                            Item::Secrets { kind, start, end } => {
                                on_secrets(kind, b.data.get(start..end).unwrap_or_default())
                            }
                        }
                    }
                    b.items.clear();
                    // A batch grown for one very large record is not kept at that size. The others keep
                    // their length: the legacy path reads into it without zeroing it again.
                    if b.data.len() > 2 * BATCH_BYTES {
                        b.data = Vec::new();
                    }
                    let _ = recycle.try_send(b);
                }
                Msg::End(r) => end = Some(r),
            }
        }
        // The reader thread ends with its result; without one it stopped early (it cannot panic: the
        // workspace denies it), which is said as an I/O error.
        Some(end.unwrap_or_else(|| {
            Err(CaptureError::Io {
                path: path.to_owned(),
                source: std::io::Error::other("the capture's reader thread stopped"),
            })
        }))
    });
    match started {
        Some(r) => r,
        None => match input.into_inner().ok().flatten() {
            Some(input) => reader::read_capture_with_secrets(input, path, on_packet, on_secrets),
            None => Err(CaptureError::Io {
                path: path.to_owned(),
                source: std::io::Error::other("cannot start the capture's reader thread"),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    /// A legacy pcap (Ethernet) with `n` records of growing size; the last one larger than a batch.
    fn capture(n: usize) -> Vec<u8> {
        capture_as(n, 0xa1b2_c3d4, false)
    }

    /// As [`capture`], with this magic number, in this byte order.
    fn capture_as(n: usize, magic: u32, big_endian: bool) -> Vec<u8> {
        let put =
            |f: &mut Vec<u8>, v: u32| f.extend_from_slice(&if big_endian { v.to_be_bytes() } else { v.to_le_bytes() });
        let mut f = Vec::new();
        put(&mut f, magic);
        f.extend_from_slice(if big_endian { &[0, 2, 0, 4] } else { &[2, 0, 4, 0] });
        for v in [0u32, 0, 4 * BATCH_BYTES as u32, 1] {
            put(&mut f, v);
        }
        for i in 0..n {
            let len = if i + 1 == n { BATCH_BYTES + 77 } else { 60 + i % 1400 };
            for v in [i as u32, (i * 7) as u32, len as u32, len as u32 + 3] {
                put(&mut f, v);
            }
            f.extend((0..len).map(|j| (i * 31 + j) as u8));
        }
        f
    }

    type Seen = (Vec<(i64, i32, u32, Vec<u8>)>, u64, u64, Vec<String>, Option<i64>, Option<i64>);

    /// Everything both readers hand on: each packet, and the file's counts and statements.
    fn both(file: &[u8]) -> (Seen, Seen) {
        let mut inline = Vec::new();
        let a = reader::read_capture(file, "x", |p| inline.push((p.ts_ns, p.linktype, p.orig_len, p.data.to_vec())))
            .unwrap();
        let mut threaded = Vec::new();
        let b = read_capture_threaded(
            file,
            "x",
            |p| threaded.push((p.ts_ns, p.linktype, p.orig_len, p.data.to_vec())),
            |_, _| {},
        )
        .unwrap();
        assert_eq!((&a.format, a.interfaces, &a.link_types), (&b.format, b.interfaces, &b.link_types));
        (
            (inline, a.packets, a.bytes_read, a.problems, a.first_ts_ns, a.last_ts_ns),
            (threaded, b.packets, b.bytes_read, b.problems, b.first_ts_ns, b.last_ts_ns),
        )
    }

    /// The legacy fast path frames what `pcap-parser` frames: both byte orders, both resolutions, a record
    /// larger than a batch, a record cut by the end of the file at every kind of place, a record claiming
    /// more than the largest buffer.
    #[test]
    fn the_legacy_fast_path_reads_what_pcap_parser_reads() {
        for (magic, be) in [(0xa1b2_c3d4, false), (0xa1b2_3c4d, false), (0xa1b2_c3d4, true), (0xa1b2_3c4d, true)] {
            let file = capture_as(3_000, magic, be);
            let (a, b) = both(&file);
            assert_eq!(a.0.len(), 3_000);
            assert!(a == b, "magic {magic:x} big-endian {be}");
            // Cut inside the last (large) record, inside a record header, right after the file header.
            for cut in [file.len() - 1000, file.len() - BATCH_BYTES - 90, 30] {
                let (a, b) = both(&file[..cut]);
                assert_eq!(a.3.len(), 1, "{:?}", a.3);
                assert!(a == b, "cut at {cut}: {:?} / {:?}", a.3, b.3);
            }
        }
        // A record claiming 1 GiB after two good ones: malformed. The one difference from pcap-parser's path,
        // which says "truncated" when the file ends within 64 MiB after the claim (it would read that far).
        let mut file = capture(3);
        file.truncate(file.len() - (BATCH_BYTES + 77 + 16));
        for v in [9u32, 0, 1 << 30, 1 << 30] {
            file.extend_from_slice(&v.to_le_bytes());
        }
        file.resize(file.len() + 3 * BATCH_BYTES, 0);
        let (a, b) = both(&file);
        assert_eq!((a.0.len(), a.1, a.2), (b.0.len(), b.1, b.2));
        assert!(a.0 == b.0);
        assert_eq!(a.3.len(), 1);
        assert!(a.3[0].starts_with("the file is truncated: it ends inside a record at byte 177"), "{:?}", a.3);
        assert_eq!(b.3, ["malformed record at byte 177: it claims more than 64 MiB"]);
    }

    #[test]
    fn threaded_reading_delivers_what_reading_in_line_does() {
        let file = capture(20_000);
        let mut inline = Vec::new();
        let a = reader::read_capture(&file[..], "x", |p| inline.push((p.ts_ns, p.data.to_vec()))).unwrap();
        let mut threaded = Vec::new();
        let b =
            read_capture_threaded(&file[..], "x", |p| threaded.push((p.ts_ns, p.data.to_vec())), |_, _| {}).unwrap();
        assert_eq!(inline.len(), 20_000);
        assert!(inline == threaded);
        assert_eq!((a.packets, a.bytes_read, a.problems), (b.packets, b.bytes_read, b.problems));
    }

    #[test]
    fn errors_and_damage_are_handed_on() {
        assert!(matches!(
            read_capture_threaded(&b"hello world"[..], "x", |_| {}, |_, _| {}),
            Err(CaptureError::NotACapture { .. })
        ));
        let mut file = capture(10);
        file.truncate(file.len() - 100);
        let mut n = 0;
        let info = read_capture_threaded(&file[..], "x", |_| n += 1, |_, _| {}).unwrap();
        assert_eq!(n, 9);
        assert_eq!(info.problems.len(), 1, "{:?}", info.problems);
    }
}
