//! Offline registry hives (regf): role detection (SYSTEM, SOFTWARE, SECURITY, SAM), the current control set
//! from `Select`, dirty hives with their `.LOG1`/`.LOG2` transaction logs applied (parsed with the `regf`
//! crate; in memory only: the files are opened read-only and never written), and the [`Registry`] view.
//!
//! Keys and values are read by following their paths ([`crate::cells`]): only the cells asked for are
//! touched, so an 80 MB SOFTWARE hive is not indexed as a whole. A damaged hive is an answer, not a crash:
//! the base block and every hive-bin header are checked when the hive is opened, and a damaged cell met
//! on a path is reported in the limitations.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::cells::{Cells, KeyNode, OpenError};
use crate::registry::{RegData, Registry, split_root};

/// Hive files larger than this are refused (the largest real SOFTWARE hives are a few hundred MB).
pub const MAX_HIVE_BYTES: u64 = 1024 * 1024 * 1024;
/// At most this many values are listed per key.
pub const MAX_VALUES_PER_KEY: usize = 20_000;
/// The base block's size (MS-REGF / "Windows registry file format specification": 4096 bytes).
const BASE_BLOCK: usize = 4096;

/// Errors that make a hive unreadable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HiveError {
    #[error("not a registry hive: the file does not start with \"regf\"")]
    NotAHive,
    #[error("the hive is truncated: {0} bytes, shorter than its base block")]
    Truncated(usize),
    #[error("the hive is damaged: {0}")]
    Damaged(String),
    #[error("the hive is {0} bytes, more than the {MAX_HIVE_BYTES}-byte bound")]
    TooLarge(u64),
    #[error("the hive is truncated: {have} bytes, its base block declares {need}")]
    TruncatedBins { have: usize, need: usize },
}

/// What a hive is, from its contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    Software,
    Security,
    Sam,
    Other,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Self::System => "SYSTEM",
            Self::Software => "SOFTWARE",
            Self::Security => "SECURITY",
            Self::Sam => "SAM",
            Self::Other => "other",
        }
    }
}

/// Facts from the base block that matter before parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaseFacts {
    pub primary_sequence: u32,
    pub secondary_sequence: u32,
    pub hive_bins_size: u32,
}

impl BaseFacts {
    pub fn dirty(&self) -> bool {
        self.primary_sequence != self.secondary_sequence
    }
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).and_then(|s| <[u8; 4]>::try_from(s).ok()).map(u32::from_le_bytes)
}

/// Reads the base block's sequence numbers and size (regf base block: signature at 0, sequences at 4 and 8,
/// hive bins data size at 40).
pub fn base_facts(bytes: &[u8]) -> Result<BaseFacts, HiveError> {
    if bytes.get(..4) != Some(b"regf".as_slice()) {
        return Err(if bytes.len() < 4 { HiveError::Truncated(bytes.len()) } else { HiveError::NotAHive });
    }
    if bytes.len() < BASE_BLOCK {
        return Err(HiveError::Truncated(bytes.len()));
    }
    Ok(BaseFacts {
        primary_sequence: le32(bytes, 4).unwrap_or(0),
        secondary_sequence: le32(bytes, 8).unwrap_or(0),
        hive_bins_size: le32(bytes, 40).unwrap_or(0),
    })
}

/// A hive opened from bytes.
pub struct Hive {
    pub role: Role,
    /// Where it came from, for evidence (a file path).
    pub origin: String,
    pub bytes: u64,
    pub base: BaseFacts,
    /// Transaction logs applied (file names), when the hive was dirty.
    pub logs_applied: Vec<String>,
    /// `Select\Current` for a SYSTEM hive.
    pub control_set: Option<u32>,
    cells: Cells,
    problems: RefCell<Vec<String>>,
}

/// Applies transaction logs (new format `HvLE` entries, or the old dirty-page format) to a dirty hive's
/// bytes, in memory. Returns the names of the logs that contributed. A log that does not belong to this
/// hive or does not continue its sequence is skipped, and said so in `notes`.
pub fn apply_logs(bytes: &mut Vec<u8>, logs: &[(String, Vec<u8>)], notes: &mut Vec<String>) -> Vec<String> {
    let Ok(base) = base_facts(bytes) else { return Vec::new() };
    if !base.dirty() {
        return Vec::new();
    }
    let mut applied = Vec::new();
    let mut seq = base.secondary_sequence;
    let mut bins_size = base.hive_bins_size;
    // Logs in the order of their first sequence number.
    let mut parsed: Vec<(&str, regf::TransactionLog)> = Vec::new();
    for (name, data) in logs {
        match catch_unwind(AssertUnwindSafe(|| regf::TransactionLog::parse(std::io::Cursor::new(data.as_slice())))) {
            Ok(Ok(log)) => parsed.push((name.as_str(), log)),
            Ok(Err(e)) => notes.push(format!("transaction log {name} not used: {e}")),
            Err(_) => notes.push(format!("transaction log {name} not used: it could not be parsed")),
        }
    }
    parsed.sort_by_key(|(_, l)| l.base_block().primary_sequence);
    for (name, log) in &parsed {
        match log {
            regf::TransactionLog::New(l) => {
                let Ok(entries) = l.applicable_entries(seq) else {
                    notes.push(format!("transaction log {name} does not continue sequence {seq}: not applied"));
                    continue;
                };
                if entries.is_empty() {
                    continue;
                }
                for e in &entries {
                    bins_size = e.hive_bins_data_size;
                    let need = BASE_BLOCK.saturating_add(bins_size as usize);
                    if need as u64 > MAX_HIVE_BYTES {
                        notes.push(format!(
                            "transaction log {name}: entry {} grows the hive past the bound",
                            e.sequence_number
                        ));
                        return applied;
                    }
                    if bytes.len() < need {
                        bytes.resize(need, 0);
                    }
                    for (r, page) in e.page_references.iter().zip(&e.dirty_pages) {
                        let at = BASE_BLOCK.saturating_add(r.offset as usize);
                        if let Some(dst) = bytes.get_mut(at..at.saturating_add(page.len())) {
                            dst.copy_from_slice(page);
                        }
                    }
                    seq = e.sequence_number.wrapping_add(1);
                }
                applied.push((*name).to_owned());
            }
            regf::TransactionLog::Old(l) => {
                if l.base_block.primary_sequence != base.primary_sequence {
                    notes.push(format!("transaction log {name} is from another write: not applied"));
                    continue;
                }
                for p in &l.dirty_pages {
                    let at = BASE_BLOCK.saturating_add(p.offset as usize);
                    if let Some(dst) = bytes.get_mut(at..at.saturating_add(p.data.len())) {
                        dst.copy_from_slice(&p.data);
                    }
                }
                bins_size = l.base_block.hive_bins_data_size;
                seq = base.primary_sequence;
                applied.push((*name).to_owned());
            }
        }
    }
    if !applied.is_empty() {
        // The recovered hive is consistent: both sequence numbers equal, the new size, a fresh checksum.
        let put = |b: &mut Vec<u8>, at: usize, v: u32| {
            if let Some(d) = b.get_mut(at..at + 4) {
                d.copy_from_slice(&v.to_le_bytes());
            }
        };
        put(bytes, 4, seq);
        put(bytes, 8, seq);
        put(bytes, 40, bins_size);
        let sum = bytes.get(..508).map_or(0, |h| {
            let x = h.as_chunks::<4>().0.iter().fold(0u32, |a, c| a ^ u32::from_le_bytes(*c));
            match x {
                0xFFFF_FFFF => 0xFFFF_FFFE,
                0 => 1,
                x => x,
            }
        });
        put(bytes, 508, sum);
        bytes.truncate(BASE_BLOCK.saturating_add(bins_size as usize).max(BASE_BLOCK));
    }
    applied
}

impl Hive {
    /// Opens a hive from its bytes (already read, bounded by the caller).
    pub fn from_bytes(bytes: Vec<u8>, origin: &str, logs_applied: Vec<String>) -> Result<Self, HiveError> {
        let base = base_facts(&bytes)?;
        let len = bytes.len() as u64;
        let cells = Cells::open(bytes).map_err(|e| match e {
            OpenError::Truncated { have, need } => HiveError::TruncatedBins { have, need },
            OpenError::Damaged(m) => HiveError::Damaged(m),
        })?;
        let mut h = Self {
            role: Role::Other,
            origin: origin.to_owned(),
            bytes: len,
            base,
            logs_applied,
            control_set: None,
            cells,
            problems: RefCell::new(Vec::new()),
        };
        h.role = h.detect_role();
        if h.role == Role::System {
            h.control_set = h.raw_value("Select", "Current").and_then(|d| d.as_u32());
        }
        Ok(h)
    }

    fn detect_role(&self) -> Role {
        let has = |k: &str| self.cells.open_key(k).is_some();
        if has("Select") && (has("ControlSet001") || has("ControlSet002")) {
            Role::System
        } else if has("Microsoft") && (has("Classes") || has("Policies") || has("Microsoft\\Windows NT")) {
            Role::Software
        } else if has("Policy\\PolAdtEv") || has("Policy\\Accounts") {
            Role::Security
        } else if has("SAM\\Domains") {
            Role::Sam
        } else {
            Role::Other
        }
    }

    /// The key path inside this hive for a full `HKLM\<ROOT>\...` path, when it belongs to this hive.
    fn local_path(&self, full: &str) -> Option<String> {
        let (root, rest) = split_root(full)?;
        if !root.eq_ignore_ascii_case(self.role.name()) {
            return None;
        }
        if self.role == Role::System {
            let (first, tail) = rest.split_once('\\').unwrap_or((rest, ""));
            if first.eq_ignore_ascii_case("CurrentControlSet") {
                let cs = self.control_set?;
                return Some(if tail.is_empty() {
                    format!("ControlSet{cs:03}")
                } else {
                    format!("ControlSet{cs:03}\\{tail}")
                });
            }
        }
        Some(rest.to_owned())
    }

    /// The registry path as it is in the file (`HKLM\SYSTEM\ControlSet001\...`) for evidence.
    pub fn file_path(&self, full: &str) -> String {
        self.local_path(full).map_or_else(|| full.to_owned(), |p| format!("HKLM\\{}\\{p}", self.role.name()))
    }

    fn note(&self, msg: String) {
        let mut p = self.problems.borrow_mut();
        if p.len() < 32 && !p.contains(&msg) {
            p.push(msg);
        }
    }

    fn raw_value(&self, key: &str, name: &str) -> Option<RegData> {
        let k = self.cells.open_key(key)?;
        match self.cells.value(&k, name) {
            Ok(v) => v.map(|v| convert(v.data_type, v.data)),
            Err(_) => {
                self.note(format!("{}: {key}\\{name} could not be read: a damaged cell", self.origin));
                None
            }
        }
    }

    fn key(&self, full: &str) -> Option<(String, KeyNode<'_>)> {
        let p = self.local_path(full)?;
        let k = self.cells.open_key(&p)?;
        Some((p, k))
    }
}

/// Registry data by its type (REG_DWORD 4, REG_DWORD_BIG_ENDIAN 5, REG_QWORD 11, REG_SZ 1, REG_EXPAND_SZ 2,
/// REG_MULTI_SZ 7, REG_BINARY 3); data that does not fit its type is kept as `Other`.
fn convert(ty: u32, data: Vec<u8>) -> RegData {
    let utf16 = |b: &[u8]| {
        let units: Vec<u16> = b.as_chunks::<2>().0.iter().map(|c| u16::from_le_bytes(*c)).collect();
        String::from_utf16_lossy(&units)
    };
    match ty {
        4 if data.len() >= 4 => data
            .get(..4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(RegData::Other(4, data.clone()), |b| RegData::Dword(u32::from_le_bytes(b))),
        5 if data.len() >= 4 => data
            .get(..4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(RegData::Other(5, data.clone()), |b| RegData::Dword(u32::from_be_bytes(b))),
        11 if data.len() >= 8 => data
            .get(..8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(RegData::Other(11, data.clone()), |b| RegData::Qword(u64::from_le_bytes(b))),
        1 | 2 => RegData::Sz(utf16(&data).split('\0').next().unwrap_or_default().to_owned()),
        7 => RegData::MultiSz(utf16(&data).split('\0').filter(|s| !s.is_empty()).map(str::to_owned).collect()),
        3 => RegData::Binary(data),
        t => RegData::Other(t, data),
    }
}

impl Registry for Hive {
    fn value(&self, key: &str, name: &str) -> Option<RegData> {
        self.raw_value(&self.local_path(key)?, name)
    }

    fn subkeys(&self, key: &str) -> Vec<String> {
        let Some((p, k)) = self.key(key) else { return Vec::new() };
        match self.cells.subkeys(&k) {
            Ok(v) => v.iter().map(KeyNode::name).collect(),
            Err(partial) => {
                self.note(format!("{}: subkeys of {p} could not all be read: a damaged cell", self.origin));
                partial.iter().map(KeyNode::name).collect()
            }
        }
    }

    fn values(&self, key: &str) -> Vec<(String, RegData)> {
        let Some((p, k)) = self.key(key) else { return Vec::new() };
        let vals = self.cells.values(&k).unwrap_or_else(|partial| {
            self.note(format!("{}: values of {p} could not all be read: a damaged cell", self.origin));
            partial
        });
        vals.into_iter().take(MAX_VALUES_PER_KEY).map(|v| (v.name, convert(v.data_type, v.data))).collect()
    }

    fn has_key(&self, key: &str) -> bool {
        self.key(key).is_some()
    }

    fn origin(&self, key: &str) -> Option<String> {
        self.local_path(key).map(|_| self.origin.clone())
    }

    fn problems(&self) -> Vec<String> {
        self.problems.borrow().clone()
    }
}
