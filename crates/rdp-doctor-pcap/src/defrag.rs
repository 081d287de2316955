//! IPv4 fragment reassembly (RFC 791 §3.2), bounded: at most [`MAX_PENDING`] datagrams in progress, each
//! at most 64 KiB, dropped when older than [`TIMEOUT_NS`] of capture time. What could not be reassembled
//! is counted, never guessed.

use std::net::IpAddr;

use crate::hash::FxHashMap;

pub const MAX_PENDING: usize = 1024;
pub const MAX_DATAGRAM: u32 = 65_535;
pub const TIMEOUT_NS: i64 = 30_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    id: u16,
    proto: u8,
}

#[derive(Debug)]
struct Pending {
    buf: Vec<u8>,
    /// Byte ranges received, unsorted.
    have: Vec<(u32, u32)>,
    total: Option<u32>,
    first_ts: i64,
}

/// Counts for the report.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefragStats {
    pub fragments: u64,
    pub reassembled: u64,
    /// Datagrams given up (timeout, bound, or fragments missing at the end).
    pub incomplete: u64,
}

#[derive(Debug, Default)]
pub struct Defrag {
    pending: FxHashMap<Key, Pending>,
    pub stats: DefragStats,
}

impl Defrag {
    /// Adds a fragment; returns the whole IP payload when this fragment completes it.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        id: u16,
        proto: u8,
        ts: i64,
        offset: u32,
        more: bool,
        payload: &[u8],
        declared_len: usize,
    ) -> Option<Vec<u8>> {
        self.stats.fragments += 1;
        let end = offset.saturating_add(u32::try_from(payload.len()).unwrap_or(u32::MAX));
        if end > MAX_DATAGRAM {
            return None;
        }
        if self.pending.len() >= MAX_PENDING {
            self.expire(ts);
            if self.pending.len() >= MAX_PENDING {
                return None;
            }
        }
        let key = Key { src, dst, id, proto };
        let p = self.pending.entry(key).or_insert_with(|| Pending {
            buf: Vec::new(),
            have: Vec::new(),
            total: None,
            first_ts: ts,
        });
        if p.buf.len() < end as usize {
            p.buf.resize(end as usize, 0);
        }
        if let Some(dst) = p.buf.get_mut(offset as usize..end as usize) {
            dst.copy_from_slice(payload);
        }
        // A fragment cut by the capture's snap length leaves a hole that never fills.
        if payload.len() == declared_len && p.have.len() < 256 {
            p.have.push((offset, end));
        }
        if !more {
            p.total = Some(offset.saturating_add(u32::try_from(declared_len).unwrap_or(u32::MAX)));
        }
        let total = p.total?;
        if covered(&mut p.have) < total {
            return None;
        }
        let mut done = self.pending.remove(&key)?;
        done.buf.truncate(total as usize);
        self.stats.reassembled += 1;
        Some(done.buf)
    }

    /// Drops datagrams older than the timeout.
    pub fn expire(&mut self, now: i64) {
        let before = self.pending.len();
        self.pending.retain(|_, p| now.saturating_sub(p.first_ts) < TIMEOUT_NS);
        self.stats.incomplete += (before - self.pending.len()) as u64;
    }

    /// At the end of the capture: everything still pending is incomplete.
    pub fn finish(&mut self) {
        self.stats.incomplete += self.pending.len() as u64;
        self.pending.clear();
    }
}

/// Length of the prefix [0, n) covered by the ranges.
fn covered(have: &mut [(u32, u32)]) -> u32 {
    have.sort_unstable();
    let mut upto = 0;
    for (s, e) in have.iter() {
        if *s > upto {
            break;
        }
        upto = upto.max(*e);
    }
    upto
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reassembles_out_of_order() {
        let mut d = Defrag::default();
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        assert_eq!(d.add(a, b, 7, 6, 0, 8, false, &[2; 4], 4), None);
        assert_eq!(d.add(a, b, 7, 6, 1, 0, true, &[1; 8], 8), Some([[1u8; 8].as_slice(), &[2; 4]].concat()));
        assert_eq!(d.stats.reassembled, 1);
    }

    #[test]
    fn truncated_fragment_never_completes() {
        let mut d = Defrag::default();
        let a: IpAddr = [10, 0, 0, 1].into();
        assert_eq!(d.add(a, a, 1, 6, 0, 0, true, &[1; 4], 8), None);
        assert_eq!(d.add(a, a, 1, 6, 0, 8, false, &[2; 4], 4), None);
        d.finish();
        assert_eq!(d.stats.incomplete, 1);
    }
}
