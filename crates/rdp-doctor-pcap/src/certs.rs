//! Certificates seen in a capture are described once: many connections to one server present the same
//! chain, and describing one (parsing and checking a self-signature) costs far more than reading its
//! packets. Bounded: the cache is emptied when it reaches [`MAX_ENTRIES`].

use std::hash::{Hash, Hasher};

use rdp_doctor_core::cert::CertInfo;

use crate::hash::{FxHashMap, FxHasher};

pub const MAX_ENTRIES: usize = 512;

#[derive(Debug, Default)]
pub struct CertCache {
    map: FxHashMap<u64, Vec<(Vec<u8>, CertInfo)>>,
    entries: usize,
}

impl CertCache {
    /// `CertInfo::from_der`, remembered.
    pub fn describe(&mut self, der: &[u8]) -> CertInfo {
        let mut h = FxHasher::default();
        der.hash(&mut h);
        let key = h.finish();
        if let Some(hit) = self.map.get(&key).and_then(|v| v.iter().find(|(d, _)| d == der)) {
            return hit.1.clone();
        }
        let info = CertInfo::from_der(der);
        if self.entries >= MAX_ENTRIES {
            self.map.clear();
            self.entries = 0;
        }
        self.map.entry(key).or_default().push((der.to_vec(), info.clone()));
        self.entries += 1;
        info
    }
}
