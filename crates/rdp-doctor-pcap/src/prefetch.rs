//! A reader thread: reads the file ahead in fixed chunks on its own thread and hands them to the analyser
//! over a bounded channel, so the read system calls (and the kernel's copy out of the page cache) run on the
//! other core while the analyser dissects. No mmap (the crate forbids unsafe code); memory is bounded by
//! [`CHUNK`] × ([`AHEAD`] + 2), and the buffers are recycled rather than reallocated.

use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Bytes per read.
pub const CHUNK: usize = 1 << 20;
/// Chunks read ahead at most.
pub const AHEAD: usize = 4;

/// The analyser's end: a `Read` over the chunks the reader thread sends.
pub struct Prefetch {
    chunks: Receiver<std::io::Result<Vec<u8>>>,
    recycle: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    done: bool,
    /// A read error that arrived after some bytes were copied: returned by the next `read`.
    pending: Option<std::io::Error>,
}

impl Prefetch {
    /// Starts the reader thread over `input`. The thread ends at the end of the input, at the first error
    /// (handed on to the analyser), or when the `Prefetch` is dropped.
    pub fn start<R: Read + Send + 'static>(mut input: R) -> std::io::Result<Self> {
        let (tx, chunks) = sync_channel::<std::io::Result<Vec<u8>>>(AHEAD);
        let (recycle, spare) = sync_channel::<Vec<u8>>(AHEAD + 2);
        std::thread::Builder::new().name("capture-reader".to_owned()).spawn(move || {
            loop {
                let mut buf = spare.try_recv().unwrap_or_else(|_| Vec::with_capacity(CHUNK));
                buf.resize(CHUNK, 0);
                let mut filled = 0;
                let result = loop {
                    match input.read(buf.get_mut(filled..).unwrap_or_default()) {
                        Ok(0) => break Ok(()),
                        Ok(n) => {
                            filled += n;
                            if filled == buf.len() {
                                break Ok(());
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                buf.truncate(filled);
                let end = filled < CHUNK;
                if filled > 0 && tx.send(Ok(buf)).is_err() {
                    return;
                }
                if let Err(e) = result {
                    let _ = tx.send(Err(e));
                    return;
                }
                if end {
                    return;
                }
            }
        })?;
        Ok(Self { chunks, recycle, current: Vec::new(), pos: 0, done: false, pending: None })
    }
}

impl Read for Prefetch {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        let mut written = 0;
        while written < out.len() {
            if self.pos == self.current.len() {
                if self.done {
                    break;
                }
                // Block for the next chunk only when nothing was copied yet.
                let next = if written == 0 { self.chunks.recv().ok() } else { self.chunks.try_recv().ok() };
                match next {
                    Some(Ok(chunk)) => {
                        let old = std::mem::replace(&mut self.current, chunk);
                        let _ = self.recycle.try_send(old);
                        self.pos = 0;
                    }
                    Some(Err(e)) => {
                        self.done = true;
                        if written == 0 {
                            return Err(e);
                        }
                        self.pending = Some(e);
                        break;
                    }
                    None if written == 0 => {
                        self.done = true;
                        break;
                    }
                    None => break,
                }
            }
            let avail = self.current.get(self.pos..).unwrap_or_default();
            let n = avail.len().min(out.len() - written);
            if let (Some(dst), Some(src)) = (out.get_mut(written..written + n), avail.get(..n)) {
                dst.copy_from_slice(src);
            }
            self.pos += n;
            written += n;
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn reads_everything_in_order_whatever_the_read_sizes() {
        let data: Vec<u8> = (0..(3 * CHUNK + 12345)).map(|i| (i * 7 % 251) as u8).collect();
        for step in [1usize, 4095, CHUNK - 1, CHUNK, 3 * CHUNK] {
            let mut p = Prefetch::start(std::io::Cursor::new(data.clone())).unwrap();
            let mut got = Vec::new();
            let mut buf = vec![0u8; step];
            loop {
                let n = p.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
                if step == 1 && got.len() > 100_000 {
                    // Byte by byte is slow; the rest in one go.
                    p.read_to_end(&mut got).unwrap();
                    break;
                }
            }
            assert_eq!(got.len(), data.len(), "step {step}");
            assert!(got == data, "step {step}");
        }
    }

    #[test]
    fn an_error_is_handed_on() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Err(std::io::Error::other("disk on fire"));
                }
                let n = buf.len().min(self.0);
                self.0 -= n;
                Ok(n)
            }
        }
        let mut p = Prefetch::start(Failing(CHUNK + 10)).unwrap();
        let mut out = Vec::new();
        let e = p.read_to_end(&mut out).unwrap_err();
        assert_eq!(e.to_string(), "disk on fire");
        assert_eq!(out.len(), CHUNK + 10);
    }

    #[test]
    fn an_empty_input_is_an_empty_read() {
        let mut p = Prefetch::start(std::io::Cursor::new(Vec::new())).unwrap();
        let mut out = Vec::new();
        assert_eq!(p.read_to_end(&mut out).unwrap(), 0);
    }
}
