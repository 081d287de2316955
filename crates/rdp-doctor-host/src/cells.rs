//! A path-following reader of regf hive cells: it opens a hive by checking its base block and hive-bin
//! headers, then reads only the cells on the paths asked for (key nodes, subkey lists, value lists, values,
//! big data). Reading a few dozen keys of an 80 MB SOFTWARE hive touches a few hundred cells, where a full
//! parse indexes millions; memory is the file's bytes only.
//!
//! Layout ("Windows registry file format specification", Maxim Suhanov; libyal's libregf documentation):
//! the base block (4096 bytes: `regf`, sequence numbers at 4/8, minor version at 24, root cell offset at 36,
//! hive bins size at 40); hive bins (`hbin`, their offset at 4 and size at 8); cells (an i32 size, negative
//! when allocated, then the data), at offsets relative to the end of the base block. Key node `nk`: flags at
//! 2 (0x20 = ASCII name), parent at 16, subkey count at 20, subkey list at 28, value count at 36, value list
//! at 40, name length at 72, name at 76. Subkey lists `lf`/`lh` (offset, hash pairs), `li` (offsets), `ri`
//! (offsets of lists). Value `vk`: name length at 2, data size at 4 (bit 31 = data in the offset field),
//! data offset at 8, type at 12, flags at 16 (0x1 = ASCII name), name at 20. Big data `db` (hive minor
//! version > 3, data over 16344 bytes): segment count at 2, segment list at 4.
//!
//! Every offset and count is checked; a bad reference is `None` (and counted by the caller), never a panic.

/// The base block's size.
pub const BASE_BLOCK: usize = 4096;
/// At most this many subkeys or values are listed from one key, and lists nested in an `ri` list.
const MAX_ITEMS: usize = 100_000;
/// At most this many bytes of one value's data are read (larger values are cut).
const MAX_VALUE_BYTES: usize = 16 * 1024 * 1024;
/// Data larger than this is stored in big-data segments (hive minor version > 3).
const BIG_DATA_THRESHOLD: usize = 16_344;

fn le16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at.checked_add(2)?).and_then(|s| <[u8; 2]>::try_from(s).ok()).map(u16::from_le_bytes)
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?).and_then(|s| <[u8; 4]>::try_from(s).ok()).map(u32::from_le_bytes)
}

/// Why a hive could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// Shorter than the base block plus the bins it declares.
    Truncated { have: usize, need: usize },
    /// A hive bin or the root key is not where the base block says.
    Damaged(String),
}

/// A cell on the path is damaged (a bad offset, signature or size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damaged;

/// How a walk over a subkey list ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// Every entry visited.
    Done,
    /// The callback asked to stop (found), or the bound was reached.
    Stopped,
    Damaged,
}

/// A key node, as far as the reader needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyNode<'a> {
    pub offset: u32,
    pub flags: u16,
    pub subkey_count: u32,
    pub subkey_list: u32,
    pub value_count: u32,
    pub value_list: u32,
    name: &'a [u8],
}

impl KeyNode<'_> {
    /// The key's name.
    pub fn name(&self) -> String {
        decode_name(self.name, self.flags & 0x20 != 0)
    }

    fn name_is(&self, want: &str) -> bool {
        names_equal(self.name, self.flags & 0x20 != 0, want)
    }
}

/// A value: its name, registry type and data (bounded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub name: String,
    pub data_type: u32,
    pub data: Vec<u8>,
}

fn decode_name(b: &[u8], ascii: bool) -> String {
    if ascii {
        // "Compressed" names are Latin-1.
        b.iter().map(|&c| char::from(c)).collect()
    } else {
        let units: Vec<u16> = b.as_chunks::<2>().0.iter().map(|c| u16::from_le_bytes(*c)).collect();
        String::from_utf16_lossy(&units)
    }
}

/// Case-insensitive comparison, as Windows compares key and value names.
fn names_equal(b: &[u8], ascii: bool, want: &str) -> bool {
    if ascii && want.is_ascii() {
        return b.len() == want.len() && b.eq_ignore_ascii_case(want.as_bytes());
    }
    let have = decode_name(b, ascii);
    have.len() == want.len() && have.eq_ignore_ascii_case(want) || have.to_lowercase() == want.to_lowercase()
}

/// An opened hive: the file's bytes, checked at the base-block and hive-bin level.
pub struct Cells {
    bytes: Vec<u8>,
    /// End of the hive bins in `bytes`.
    end: usize,
    root: u32,
    minor: u32,
}

impl Cells {
    /// Checks the base block and walks the hive-bin headers (not the cells).
    pub fn open(bytes: Vec<u8>) -> Result<Self, OpenError> {
        let bins = le32(&bytes, 40).unwrap_or(0) as usize;
        let need = BASE_BLOCK.saturating_add(bins);
        if bytes.len() < need || bytes.len() < BASE_BLOCK {
            return Err(OpenError::Truncated { have: bytes.len(), need });
        }
        let mut at = 0usize;
        let mut count = 0usize;
        while at < bins {
            let head = bytes.get(BASE_BLOCK + at..).unwrap_or_default();
            if head.get(..4) != Some(b"hbin".as_slice()) || le32(head, 4).map(|o| o as usize) != Some(at) {
                return Err(OpenError::Damaged(format!("no valid hive bin at offset {at:#x}")));
            }
            let size = le32(head, 8).unwrap_or(0) as usize;
            if size < 4096 || !size.is_multiple_of(4096) || at + size > bins {
                return Err(OpenError::Damaged(format!("the hive bin at {at:#x} has an invalid size {size}")));
            }
            at += size;
            count += 1;
        }
        if count == 0 {
            return Err(OpenError::Damaged("the hive has no hive bins".to_owned()));
        }
        let cells =
            Self { root: le32(&bytes, 36).unwrap_or(u32::MAX), minor: le32(&bytes, 24).unwrap_or(0), end: need, bytes };
        match cells.key(cells.root) {
            Some(k) if k.flags & 0x4 != 0 => Ok(cells),
            Some(_) => Err(OpenError::Damaged("the root cell is not marked as the hive's root key".to_owned())),
            None => Err(OpenError::Damaged(format!("no key node at the root offset {:#x}", cells.root))),
        }
    }

    /// The data of the allocated cell at `off` (without its size field).
    fn cell(&self, off: u32) -> Option<&[u8]> {
        if off == u32::MAX {
            return None;
        }
        let at = BASE_BLOCK.checked_add(off as usize)?;
        let size = i32::from_le_bytes(self.bytes.get(at..at.checked_add(4)?)?.try_into().ok()?);
        if size >= 0 {
            return None;
        }
        let len = usize::try_from(size.unsigned_abs()).ok()?;
        let end = at.checked_add(len)?;
        if len < 4 || end > self.end {
            return None;
        }
        self.bytes.get(at + 4..end)
    }

    /// The key node at `off`.
    pub fn key(&self, off: u32) -> Option<KeyNode<'_>> {
        let c = self.cell(off)?;
        if c.get(..2) != Some(b"nk".as_slice()) {
            return None;
        }
        let len = usize::from(le16(c, 72)?);
        Some(KeyNode {
            offset: off,
            flags: le16(c, 2)?,
            subkey_count: le32(c, 20)?,
            subkey_list: le32(c, 28)?,
            value_count: le32(c, 36)?,
            value_list: le32(c, 40)?,
            name: c.get(76..76 + len)?,
        })
    }

    /// The root key.
    pub fn root(&self) -> Option<KeyNode<'_>> {
        self.key(self.root)
    }

    /// The key at `path` (backslash-separated, relative to the root; case-insensitive).
    pub fn open_key(&self, path: &str) -> Option<KeyNode<'_>> {
        let mut k = self.root()?;
        for part in path.split('\\').filter(|p| !p.is_empty()) {
            k = self.find_subkey(&k, part)?;
        }
        Some(k)
    }

    /// Calls `f` with each subkey offset of `k` until it returns `true`; `false` when a list is damaged.
    fn each_subkey(&self, k: &KeyNode<'_>, f: &mut dyn FnMut(u32) -> bool) -> bool {
        if k.subkey_count == 0 {
            return true;
        }
        self.each_in_list(k.subkey_list, 0, &mut 0, f) != Walk::Damaged
    }

    fn each_in_list(&self, list: u32, depth: u8, seen: &mut usize, f: &mut dyn FnMut(u32) -> bool) -> Walk {
        let Some(c) = self.cell(list) else { return Walk::Damaged };
        let Some(n) = le16(c, 2).map(usize::from) else { return Walk::Damaged };
        let (step, nested) = match c.get(..2) {
            Some(b"lf" | b"lh") => (8, false),
            Some(b"li") => (4, false),
            Some(b"ri") if depth == 0 => (4, true),
            _ => return Walk::Damaged,
        };
        for i in 0..n {
            *seen += 1;
            if *seen > MAX_ITEMS {
                return Walk::Stopped;
            }
            let Some(off) = le32(c, 4 + i * step) else { return Walk::Damaged };
            if nested {
                match self.each_in_list(off, depth + 1, seen, f) {
                    Walk::Done => {}
                    other => return other,
                }
            } else if f(off) {
                return Walk::Stopped;
            }
        }
        Walk::Done
    }

    /// The subkey of `k` named `name`.
    pub fn find_subkey(&self, k: &KeyNode<'_>, name: &str) -> Option<KeyNode<'_>> {
        let mut found = None;
        self.each_subkey(k, &mut |off| {
            found = self.key(off).filter(|c| c.name_is(name));
            found.is_some()
        });
        found
    }

    /// The subkeys of `k`; `Err` with what could be read when a list or key is damaged.
    pub fn subkeys(&self, k: &KeyNode<'_>) -> Result<Vec<KeyNode<'_>>, Vec<KeyNode<'_>>> {
        let mut out = Vec::new();
        let mut bad = false;
        let ok = self.each_subkey(k, &mut |off| {
            match self.key(off) {
                Some(c) => out.push(c),
                None => bad = true,
            }
            false
        });
        if ok && !bad { Ok(out) } else { Err(out) }
    }

    /// The value offsets of `k`.
    fn value_offsets(&self, k: &KeyNode<'_>) -> Option<Vec<u32>> {
        if k.value_count == 0 {
            return Some(Vec::new());
        }
        let c = self.cell(k.value_list)?;
        let n = (k.value_count as usize).min(MAX_ITEMS);
        (0..n).map(|i| le32(c, i * 4)).collect()
    }

    /// The value at `off` with its data; `None` when damaged.
    fn value_at(&self, off: u32, with_data: bool) -> Option<Value> {
        let c = self.cell(off)?;
        if c.get(..2) != Some(b"vk".as_slice()) {
            return None;
        }
        let name_len = usize::from(le16(c, 2)?);
        let raw_size = le32(c, 4)?;
        let name = decode_name(c.get(20..20 + name_len)?, le16(c, 16)? & 0x1 != 0);
        let data_type = le32(c, 12)?;
        let data = if !with_data {
            Vec::new()
        } else if raw_size & 0x8000_0000 != 0 {
            // Resident: up to 4 bytes in the offset field itself.
            let n = ((raw_size & 0x7FFF_FFFF) as usize).min(4);
            c.get(8..8 + n)?.to_vec()
        } else {
            self.data(le32(c, 8)?, raw_size as usize)?
        };
        Some(Value { name, data_type, data })
    }

    fn data(&self, off: u32, size: usize) -> Option<Vec<u8>> {
        let size = size.min(MAX_VALUE_BYTES);
        if size == 0 {
            return Some(Vec::new());
        }
        let c = self.cell(off)?;
        if self.minor > 3 && size > BIG_DATA_THRESHOLD && c.get(..2) == Some(b"db".as_slice()) {
            let segments = usize::from(le16(c, 2)?);
            let list = self.cell(le32(c, 4)?)?;
            let mut out = Vec::with_capacity(size);
            for i in 0..segments {
                let seg = self.cell(le32(list, i * 4)?)?;
                let take = (size - out.len()).min(seg.len()).min(BIG_DATA_THRESHOLD);
                out.extend_from_slice(seg.get(..take)?);
                if out.len() >= size {
                    break;
                }
            }
            return Some(out);
        }
        c.get(..size).map(<[u8]>::to_vec)
    }

    /// The values of `k` (name, type, data); `Err` with what could be read when some are damaged.
    pub fn values(&self, k: &KeyNode<'_>) -> Result<Vec<Value>, Vec<Value>> {
        let Some(offs) = self.value_offsets(k) else { return Err(Vec::new()) };
        let mut out = Vec::with_capacity(offs.len());
        let mut bad = false;
        for off in offs {
            match self.value_at(off, true) {
                Some(v) => out.push(v),
                None => bad = true,
            }
        }
        if bad { Err(out) } else { Ok(out) }
    }

    /// The value of `k` named `name` (`""` = the default value); `Err` when the list or value is damaged.
    pub fn value(&self, k: &KeyNode<'_>, name: &str) -> Result<Option<Value>, Damaged> {
        let Some(offs) = self.value_offsets(k) else { return Err(Damaged) };
        for off in offs {
            let Some(head) = self.value_at(off, false) else { continue };
            if head.name.eq_ignore_ascii_case(name) || head.name.to_lowercase() == name.to_lowercase() {
                return self.value_at(off, true).map(Some).ok_or(Damaged);
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_refused_without_panic() {
        assert!(Cells::open(Vec::new()).is_err());
        let mut b = vec![0u8; 8192];
        b[..4].copy_from_slice(b"regf");
        b[40..44].copy_from_slice(&4096u32.to_le_bytes());
        assert!(matches!(Cells::open(b.clone()), Err(OpenError::Damaged(_))));
        b[4096..4100].copy_from_slice(b"hbin");
        b[4104..4108].copy_from_slice(&4096u32.to_le_bytes());
        assert!(matches!(Cells::open(b), Err(OpenError::Damaged(_))), "no root key");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_after_a_valid_bin_header(tail in proptest::collection::vec(proptest::num::u8::ANY, 0..4064), root in 0u32..4096) {
            let mut b = vec![0u8; 4096];
            b[..4].copy_from_slice(b"regf");
            b[36..40].copy_from_slice(&root.to_le_bytes());
            b[40..44].copy_from_slice(&4096u32.to_le_bytes());
            b.extend_from_slice(b"hbin");
            b.extend_from_slice(&0u32.to_le_bytes());
            b.extend_from_slice(&4096u32.to_le_bytes());
            b.extend_from_slice(&[0u8; 20]);
            b.extend_from_slice(&tail);
            b.resize(8192, 0);
            if let Ok(c) = Cells::open(b)
                && let Some(r) = c.root()
            {
                let _ = c.subkeys(&r);
                let _ = c.values(&r);
                let _ = c.value(&r, "");
                let _ = c.open_key("a\\b");
            }
        }
    }
}
