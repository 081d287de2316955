//! TCP per direction: in-order delivery of the byte stream to the dissectors while they need it, and
//! accounting of what the network did to it (RFC 9293 sequence space): retransmissions, holes filled
//! late (loss) or early (reordering), holes never filled (capture loss when the receiver acknowledged
//! them), duplicated frames (a capture artefact), zero windows, FIN/RST, the MSS option.
//!
//! Memory per direction is bounded: at most [`MAX_HOLES`] holes are tracked and at most
//! [`MAX_REORDER_BYTES`] are held back for the dissectors; beyond that the stream is declared to have a
//! gap, which the dissectors turn into a stated limitation.

use rdp_doctor_core::capture::DirectionStats;

use crate::link::Tcp;

pub const MAX_HOLES: usize = 64;
pub const MAX_REORDER_BYTES: usize = 256 * 1024;
/// A hole filled within this time after the highest segment arrived was reordering, later it was a
/// retransmission (as tshark: the connection's handshake round trip when known, else 3 ms).
pub const REORDER_NS: i64 = 3_000_000;
/// Frames identical to the previous one within this time are capture duplicates even without an IP ID.
pub const DUPLICATE_NS: i64 = 50_000;

/// `a` is before `b` in sequence space.
#[inline]
pub fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

#[inline]
fn seq_le(a: u32, b: u32) -> bool {
    a == b || seq_lt(a, b)
}

/// What the stream delivers to a dissector.
#[derive(Debug, PartialEq, Eq)]
pub enum Chunk<'a> {
    Data(&'a [u8]),
    /// Bytes missing from the capture at this point of the stream.
    Gap(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sig {
    id: u16,
    seq: u32,
    ack: u32,
    len: u32,
    flags: u8,
    window: u16,
    ts: i64,
}

#[derive(Debug, Clone, Copy)]
struct Hole {
    start: u32,
    end: u32,
    /// Duplicate ACKs for the hole's start: two or more make the fill a fast retransmission.
    dup_acks: u32,
}

/// One direction of a TCP connection (the data this side sends).
#[derive(Debug, Default)]
pub struct TcpDir {
    pub stats: DirectionStats,
    pub isn: Option<u32>,
    /// Next byte expected by the dissector.
    next: Option<u32>,
    /// Highest sequence number seen (end of the highest segment).
    high: Option<u32>,
    /// Where this direction's observation started (ISN+1, or the first segment's sequence number).
    origin: Option<u32>,
    holes: Vec<Hole>,
    /// Lost holes: bytes never tracked because the hole list was full.
    untracked_gap_bytes: u64,
    reorder: Vec<(u32, Vec<u8>)>,
    reorder_bytes: usize,
    last: Option<Sig>,
    retry_seq: u32,
    retry_count: u32,
    /// Highest acknowledgement the peer sent for this direction.
    pub acked: Option<u32>,
    pub first_fin_ns: Option<i64>,
    pub first_rst_ns: Option<i64>,
    pub first_syn_ns: Option<i64>,
    pub first_data_ns: Option<i64>,
    pub last_data_ns: Option<i64>,
    /// When the highest segment arrived.
    high_ns: i64,
    /// The connection's handshake round trip, once known.
    pub rtt_ns: Option<i64>,
}

impl TcpDir {
    /// Accounts one segment sent by this side. When `dissect` is set, in-order payload is handed to
    /// `deliver`. Returns `false` for a duplicated frame (ignored).
    pub fn segment(
        &mut self,
        ts: i64,
        ip_id: u16,
        t: &Tcp<'_>,
        dissect: bool,
        deliver: &mut dyn FnMut(Chunk<'_>),
    ) -> bool {
        let flags = u8::from(t.syn) | u8::from(t.fin) << 1 | u8::from(t.rst) << 2 | u8::from(t.ack_flag) << 3;
        let sig = Sig { id: ip_id, seq: t.seq, ack: t.ack, len: t.len, flags, window: t.window, ts };
        self.stats.packets += 1;
        if let Some(l) = self.last
            && l.id == sig.id
            && l.seq == sig.seq
            && l.ack == sig.ack
            && l.len == sig.len
            && l.flags == sig.flags
            && l.window == sig.window
            && (ip_id != 0 || ts.saturating_sub(l.ts) < DUPLICATE_NS)
        {
            self.stats.duplicates += 1;
            return false;
        }
        self.last = Some(sig);
        if t.syn {
            self.stats.syns += 1;
            self.first_syn_ns.get_or_insert(ts);
            if self.stats.mss.is_none() {
                self.stats.mss = t.mss;
            }
            if self.isn.is_none() {
                self.isn = Some(t.seq);
                let start = t.seq.wrapping_add(1);
                self.origin = Some(start);
                self.high = Some(start);
                self.next = Some(start);
            }
        }
        if t.rst {
            self.stats.rsts += 1;
            self.first_rst_ns.get_or_insert(ts);
        }
        if t.fin {
            self.stats.fins += 1;
            self.first_fin_ns.get_or_insert(ts);
        }
        if !t.syn && !t.rst && t.window == 0 {
            self.stats.zero_windows += 1;
        }
        if t.len == 0 {
            return true;
        }
        let seq = if t.syn { t.seq.wrapping_add(1) } else { t.seq };
        self.payload(ts, seq, t.len, t.payload, dissect, deliver);
        true
    }

    fn payload(&mut self, ts: i64, seq: u32, len: u32, data: &[u8], dissect: bool, deliver: &mut dyn FnMut(Chunk<'_>)) {
        self.stats.data_segments += 1;
        self.stats.largest_segment = self.stats.largest_segment.max(len);
        self.first_data_ns.get_or_insert(ts);
        self.last_data_ns = Some(ts);
        let end = seq.wrapping_add(len);
        let high = *self.high.get_or_insert(seq);
        self.origin.get_or_insert(seq);
        self.next.get_or_insert(seq);
        if seq_le(high, seq) {
            // New data, possibly after a hole.
            if seq_lt(high, seq) {
                if self.holes.len() < MAX_HOLES {
                    self.holes.push(Hole { start: high, end: seq, dup_acks: 0 });
                } else {
                    self.untracked_gap_bytes += u64::from(seq.wrapping_sub(high));
                }
            }
            self.high = Some(end);
            self.high_ns = ts;
            self.stats.bytes += u64::from(len);
        } else {
            let filled = self.fill(seq, end, ts);
            if seq_lt(high, end) {
                // Partly new.
                self.stats.bytes += u64::from(end.wrapping_sub(high));
                self.high = Some(end);
            }
            match filled {
                Some(late) if late => self.stats.retransmissions += 1,
                Some(_) => self.stats.out_of_order += 1,
                None => {
                    self.stats.retransmissions += 1;
                    if seq == self.retry_seq && self.retry_count > 0 {
                        self.retry_count += 1;
                    } else {
                        self.retry_seq = seq;
                        self.retry_count = 1;
                    }
                    if self.retry_count > self.stats.max_retries {
                        self.stats.max_retries = self.retry_count;
                        self.stats.max_retries_len = len;
                    }
                }
            }
        }
        if dissect {
            self.deliver(seq, len, data, deliver);
        }
    }

    fn reorder_ns(&self) -> i64 {
        self.rtt_ns.filter(|r| *r > 0).unwrap_or(REORDER_NS)
    }

    /// Removes the parts of holes covered by [seq, end). `Some(late)` when a hole was (partly) filled.
    fn fill(&mut self, seq: u32, end: u32, ts: i64) -> Option<bool> {
        let mut result = None;
        let mut i = 0;
        while i < self.holes.len() {
            let Some(h) = self.holes.get(i).copied() else { break };
            if seq_le(end, h.start) || seq_le(h.end, seq) {
                i += 1;
                continue;
            }
            let late = h.dup_acks >= 2 || ts.saturating_sub(self.high_ns) >= self.reorder_ns();
            result = Some(result.unwrap_or(false) || late);
            self.stats.bytes += u64::from(min_seq(end, h.end).wrapping_sub(max_seq(seq, h.start)));
            self.holes.swap_remove(i);
            if seq_lt(h.start, seq) {
                self.holes.push(Hole { start: h.start, end: seq, ..h });
            }
            if seq_lt(end, h.end) {
                self.holes.push(Hole { start: end, end: h.end, ..h });
            }
        }
        result
    }

    fn deliver(&mut self, seq: u32, len: u32, data: &[u8], deliver: &mut dyn FnMut(Chunk<'_>)) {
        let Some(next) = self.next else { return };
        let end = seq.wrapping_add(len);
        if seq_le(end, next) {
            return;
        }
        if seq_lt(next, seq) {
            // Ahead of a hole: hold it back while there is room, else give up on the hole.
            if self.reorder_bytes + data.len() <= MAX_REORDER_BYTES && data.len() == len as usize {
                self.reorder_bytes += data.len();
                self.reorder.push((seq, data.to_vec()));
                return;
            }
            deliver(Chunk::Gap(seq.wrapping_sub(next)));
            self.next = Some(seq);
        }
        self.emit(seq, len, data, deliver);
        self.drain(deliver);
    }

    /// Delivers [seq, seq+len) from `next` on; a capture cut short (snap length) becomes a gap.
    fn emit(&mut self, seq: u32, len: u32, data: &[u8], deliver: &mut dyn FnMut(Chunk<'_>)) {
        let Some(next) = self.next else { return };
        let skip = next.wrapping_sub(seq) as usize;
        if let Some(part) = data.get(skip..)
            && !part.is_empty()
        {
            deliver(Chunk::Data(part));
        }
        let captured = data.len().saturating_sub(skip);
        let wanted = (len as usize).saturating_sub(skip);
        if captured < wanted {
            deliver(Chunk::Gap(u32::try_from(wanted - captured).unwrap_or(u32::MAX)));
        }
        self.next = Some(seq.wrapping_add(len));
    }

    fn drain(&mut self, deliver: &mut dyn FnMut(Chunk<'_>)) {
        while let Some(next) = self.next {
            let pos = self.reorder.iter().position(|(s, d)| {
                let e = s.wrapping_add(u32::try_from(d.len()).unwrap_or(u32::MAX));
                seq_le(*s, next) && seq_lt(next, e) || seq_le(e, next)
            });
            let Some(pos) = pos else { return };
            let (s, d) = self.reorder.swap_remove(pos);
            self.reorder_bytes -= d.len();
            let e = s.wrapping_add(u32::try_from(d.len()).unwrap_or(u32::MAX));
            if seq_lt(next, e) {
                self.emit(s, u32::try_from(d.len()).unwrap_or(u32::MAX), &d, deliver);
            }
        }
    }

    /// Hands held-back data over at the end (after a gap), so the dissectors see what the capture has.
    pub fn flush(&mut self, deliver: &mut dyn FnMut(Chunk<'_>)) {
        self.reorder
            .sort_by(|a, b| if seq_lt(a.0, b.0) { std::cmp::Ordering::Less } else { std::cmp::Ordering::Greater });
        let held = std::mem::take(&mut self.reorder);
        self.reorder_bytes = 0;
        for (s, d) in held {
            if let Some(next) = self.next
                && seq_lt(next, s)
            {
                deliver(Chunk::Gap(s.wrapping_sub(next)));
                self.next = Some(s);
            }
            self.emit(s, u32::try_from(d.len()).unwrap_or(u32::MAX), &d, deliver);
        }
    }

    /// The peer acknowledged up to `ack`.
    pub fn acknowledged(&mut self, ack: u32) {
        for h in self.holes.iter_mut().filter(|h| h.start == ack) {
            h.dup_acks += 1;
        }
        match self.acked {
            Some(a) if !seq_lt(a, ack) => {}
            _ => self.acked = Some(ack),
        }
    }

    /// Whether the dissector's stream is behind a hole (bytes held back).
    pub fn stalled_on_hole(&self) -> bool {
        !self.reorder.is_empty()
    }

    /// Final accounting: holes never filled, acknowledged or not; bytes never acknowledged.
    pub fn finish(&mut self) {
        let acked = self.acked;
        for h in &self.holes {
            let n = u64::from(h.end.wrapping_sub(h.start));
            self.stats.gaps += 1;
            self.stats.gap_bytes += n;
            if acked.is_some_and(|a| seq_le(h.end, a)) {
                self.stats.gap_bytes_acked += n;
            }
        }
        if self.untracked_gap_bytes > 0 {
            self.stats.gaps += 1;
            self.stats.gap_bytes += self.untracked_gap_bytes;
        }
        if let (Some(a), Some(o)) = (acked, self.origin) {
            let sent = self.high.map_or(0, |h| h.wrapping_sub(o));
            let acked_n = a.wrapping_sub(o);
            if acked_n <= sent.saturating_add(1) {
                self.stats.acked_bytes = u64::from(acked_n.min(sent));
                self.stats.unacked_at_end = u64::from(sent.saturating_sub(acked_n));
            }
        }
    }
}

fn min_seq(a: u32, b: u32) -> u32 {
    if seq_lt(a, b) { a } else { b }
}

fn max_seq(a: u32, b: u32) -> u32 {
    if seq_lt(a, b) { b } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(seq: u32, data: &[u8]) -> Tcp<'_> {
        Tcp {
            src_port: 1,
            dst_port: 2,
            seq,
            ack: 0,
            syn: false,
            ack_flag: true,
            fin: false,
            rst: false,
            window: 100,
            mss: None,
            payload: data,
            len: data.len() as u32,
        }
    }

    fn run(d: &mut TcpDir, ts: i64, id: u16, t: &Tcp<'_>, out: &mut Vec<u8>, gaps: &mut u32) {
        d.segment(ts, id, t, true, &mut |c| match c {
            Chunk::Data(b) => out.extend_from_slice(b),
            Chunk::Gap(n) => *gaps += n,
        });
    }

    #[test]
    fn in_order_retransmission_and_reordering() {
        let mut d = TcpDir::default();
        let (mut out, mut gaps) = (Vec::new(), 0);
        let mut syn = seg(99, b"");
        syn.syn = true;
        run(&mut d, 0, 1, &syn, &mut out, &mut gaps);
        run(&mut d, 1, 2, &seg(100, b"abc"), &mut out, &mut gaps);
        run(&mut d, 2, 3, &seg(106, b"ghi"), &mut out, &mut gaps); // hole 103..106
        run(&mut d, 3, 4, &seg(103, b"def"), &mut out, &mut gaps); // filled within 3 ms: reordering
        run(&mut d, 10_000_000, 5, &seg(100, b"abc"), &mut out, &mut gaps); // repeat: retransmission
        assert_eq!(out, b"abcdefghi");
        assert_eq!(gaps, 0);
        assert_eq!(d.stats.out_of_order, 1);
        assert_eq!(d.stats.retransmissions, 1);
        assert_eq!(d.stats.bytes, 9);
        d.finish();
        assert_eq!(d.stats.gaps, 0);
    }

    #[test]
    fn late_fill_is_loss_and_duplicates_are_ignored() {
        let mut d = TcpDir::default();
        let (mut out, mut gaps) = (Vec::new(), 0);
        run(&mut d, 0, 1, &seg(0, b"ab"), &mut out, &mut gaps);
        run(&mut d, 0, 1, &seg(0, b"ab"), &mut out, &mut gaps); // same IP ID: captured twice
        run(&mut d, 1, 2, &seg(4, b"ef"), &mut out, &mut gaps);
        run(&mut d, 500_000_000, 3, &seg(2, b"cd"), &mut out, &mut gaps);
        assert_eq!(out, b"abcdef");
        assert_eq!(d.stats.duplicates, 1);
        assert_eq!(d.stats.retransmissions, 1, "a hole filled after 500 ms was loss");
    }

    #[test]
    fn unfilled_hole_acknowledged_is_capture_loss() {
        let mut d = TcpDir::default();
        let (mut out, mut gaps) = (Vec::new(), 0);
        run(&mut d, 0, 1, &seg(0, b"ab"), &mut out, &mut gaps);
        run(&mut d, 1, 2, &seg(10, b"kl"), &mut out, &mut gaps);
        d.acknowledged(12);
        d.flush(&mut |c| match c {
            Chunk::Data(b) => out.extend_from_slice(b),
            Chunk::Gap(n) => gaps += n,
        });
        d.finish();
        assert_eq!(out, b"abkl");
        assert_eq!(gaps, 8);
        assert_eq!((d.stats.gaps, d.stats.gap_bytes, d.stats.gap_bytes_acked), (1, 8, 8));
    }

    #[test]
    fn wraps_around_sequence_space() {
        let mut d = TcpDir::default();
        let (mut out, mut gaps) = (Vec::new(), 0);
        run(&mut d, 0, 1, &seg(u32::MAX - 1, b"abcd"), &mut out, &mut gaps);
        run(&mut d, 1, 2, &seg(2, b"ef"), &mut out, &mut gaps);
        assert_eq!(out, b"abcdef");
        assert_eq!(d.stats.retransmissions, 0);
    }

    #[test]
    fn snap_length_cut_is_a_gap() {
        let mut d = TcpDir::default();
        let (mut out, mut gaps) = (Vec::new(), 0);
        let mut t = seg(0, b"abc");
        t.len = 10;
        run(&mut d, 0, 1, &t, &mut out, &mut gaps);
        assert_eq!((out.as_slice(), gaps), (&b"abc"[..], 7));
    }
}
