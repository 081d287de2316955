//! `--shard i/N`: a stable split of one target list across N machines. The hash is of the host (FNV-1a,
//! 64 bit, over its lower-case name or address), so every port of one host lands on the same shard and two
//! machines never probe one host at the same time; the same list gives the same split on every machine
//! and every run.

/// One shard of N, 1-based as typed (`2/5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Parses `i/N` with 1 ≤ i ≤ N.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (i, n) = s.split_once('/').ok_or_else(|| format!("invalid shard {s:?}: expected i/N, e.g. 2/5"))?;
        let index: u32 = i.trim().parse().map_err(|_| format!("invalid shard index {i:?}"))?;
        let count: u32 = n.trim().parse().map_err(|_| format!("invalid shard count {n:?}"))?;
        if count == 0 || index == 0 || index > count {
            return Err(format!("invalid shard {s:?}: the index runs from 1 to the count"));
        }
        Ok(Self { index, count })
    }

    /// Whether a host belongs to this shard.
    pub fn holds(&self, host_key: &str) -> bool {
        fnv1a(host_key.as_bytes()) % u64::from(self.count) == u64::from(self.index - 1)
    }
}

/// FNV-1a, 64 bit: stable across platforms, releases and runs (unlike std's randomly keyed hasher).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_host_in_exactly_one_shard_and_stable() {
        let shards: Vec<Shard> = (1..=3).map(|i| Shard::parse(&format!("{i}/3")).unwrap()).collect();
        let mut sizes = [0usize; 3];
        for n in 0..3000 {
            let host = format!("10.0.{}.{}", n / 256, n % 256);
            let holders: Vec<usize> = (0..3).filter(|&i| shards.get(i).is_some_and(|s| s.holds(&host))).collect();
            assert_eq!(holders.len(), 1, "{host}");
            if let Some(size) = holders.first().and_then(|&i| sizes.get_mut(i)) {
                *size += 1;
            }
        }
        assert!(sizes.iter().all(|&s| s > 900), "uneven split {sizes:?}");
        // Pinned values: the split must not change between releases.
        assert_eq!(fnv1a(b"rds1.corp.example"), 0x1810_3c80_cc7e_edcf);
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    }

    #[test]
    fn parse() {
        assert_eq!(Shard::parse("2/5"), Ok(Shard { index: 2, count: 5 }));
        for bad in ["0/5", "6/5", "1/0", "x/2", "3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }
}
