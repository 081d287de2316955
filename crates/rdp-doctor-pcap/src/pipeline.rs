//! The reader thread: reads the file and its pcap/pcapng framing ([`crate::reader`]) on its own thread and
//! hands the packets to the analyser in batches over a bounded channel, so the read system calls, the
//! record framing and the copy out of the page cache run on the other core while the analyser follows the
//! connections. No mmap (the crate forbids unsafe code).
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
use crate::reader::{self, FileInfo, Packet};

/// Bytes of packet data per batch.
pub const BATCH_BYTES: usize = 1 << 20;
/// Records per batch at most.
pub const BATCH_ITEMS: usize = 8192;
/// Batches read ahead at most.
pub const AHEAD: usize = 4;

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
        let next = self.spare.try_recv().unwrap_or_else(|_| Batch {
            data: Vec::with_capacity(BATCH_BYTES + (128 << 10)),
            items: Vec::with_capacity(BATCH_ITEMS),
        });
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
            let Some(input) = input.lock().ok().and_then(|mut i| i.take()) else { return };
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
                    b.data.clear();
                    b.items.clear();
                    // A batch grown for one very large record is not kept at that size.
                    b.data.shrink_to(2 * BATCH_BYTES);
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
        let mut f = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
        f.extend_from_slice(&[2, 0, 4, 0]);
        for v in [0u32, 0, 4 * BATCH_BYTES as u32, 1] {
            f.extend_from_slice(&v.to_le_bytes());
        }
        for i in 0..n {
            let len = if i + 1 == n { BATCH_BYTES + 77 } else { 60 + i % 1400 };
            for v in [i as u32, 0, len as u32, len as u32] {
                f.extend_from_slice(&v.to_le_bytes());
            }
            f.extend((0..len).map(|j| (i * 31 + j) as u8));
        }
        f
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
