//! One view of the registry for every source: an offline hive file (`hive.rs`), the live registry
//! (Windows only), or an in-memory map in tests. Paths are full `HKLM\SYSTEM\CurrentControlSet\...` paths;
//! each source maps them to what it has (an offline SYSTEM hive maps `CurrentControlSet` to the control set
//! `Select\Current` names).

/// A registry value's data, typed as the registry stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegData {
    Dword(u32),
    Qword(u64),
    /// REG_SZ, REG_EXPAND_SZ (unexpanded).
    Sz(String),
    MultiSz(Vec<String>),
    Binary(Vec<u8>),
    /// Another type: its number and bytes.
    Other(u32, Vec<u8>),
}

impl RegData {
    /// The data as a number: a DWORD, or a REG_SZ holding a decimal number (some tools write those).
    pub fn as_u32(&self) -> Option<u32> {
        match self {
            Self::Dword(v) => Some(*v),
            Self::Qword(v) => u32::try_from(*v).ok(),
            Self::Sz(s) => s.trim().parse().ok(),
            Self::Binary(b) if b.len() == 4 => {
                b.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes)
            }
            _ => None,
        }
    }

    /// The data as text (strings, numbers in decimal, binary in upper-case hex).
    pub fn text(&self) -> String {
        match self {
            Self::Dword(v) => format!("{v} (0x{v:X})"),
            Self::Qword(v) => v.to_string(),
            Self::Sz(s) => s.clone(),
            Self::MultiSz(v) => v.join("; "),
            Self::Binary(b) | Self::Other(_, b) => hex_upper(b),
        }
    }
}

/// Upper-case hex without separators (thumbprints).
pub fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// A readable registry. Errors are answers too: a key that is absent is `None`; a key that cannot be read
/// (access denied, damaged cells) is reported through [`Registry::problems`].
pub trait Registry {
    /// The value `name` of `key`, when present and readable.
    fn value(&self, key: &str, name: &str) -> Option<RegData>;
    /// Names of the subkeys of `key` (empty when absent).
    fn subkeys(&self, key: &str) -> Vec<String>;
    /// Every value of `key` (empty when absent), bounded by the source.
    fn values(&self, key: &str) -> Vec<(String, RegData)>;
    /// Whether `key` exists.
    fn has_key(&self, key: &str) -> bool;
    /// How this source is named in evidence (`SYSTEM hive /mnt/…/config/SYSTEM`, `live registry`).
    fn origin(&self, key: &str) -> Option<String>;
    /// What went wrong while reading, for the limitations.
    fn problems(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Splits `HKLM\SYSTEM\rest` into (`SYSTEM`, `rest`). `HKEY_LOCAL_MACHINE` is accepted too.
pub fn split_root(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("HKLM\\").or_else(|| path.strip_prefix("HKEY_LOCAL_MACHINE\\"))?;
    Some(rest.split_once('\\').unwrap_or((rest, "")))
}

/// The root key a full path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    LocalMachine,
    /// The user running the tool (`HKCU`).
    CurrentUser,
}

/// Splits `HKLM\rest` or `HKCU\rest` (or their long names) into the root and the rest.
pub fn split_hkey(path: &str) -> Option<(Root, &str)> {
    for (prefix, root) in [
        ("HKLM\\", Root::LocalMachine),
        ("HKEY_LOCAL_MACHINE\\", Root::LocalMachine),
        ("HKCU\\", Root::CurrentUser),
        ("HKEY_CURRENT_USER\\", Root::CurrentUser),
    ] {
        if let Some(rest) = path.strip_prefix(prefix) {
            return Some((root, rest));
        }
    }
    None
}

/// Several registries as one: the first that has the hive answers (offline SYSTEM + SOFTWARE).
pub struct Joined<'a>(pub Vec<&'a dyn Registry>);

impl Registry for Joined<'_> {
    fn value(&self, key: &str, name: &str) -> Option<RegData> {
        self.0.iter().find_map(|r| r.value(key, name))
    }
    fn subkeys(&self, key: &str) -> Vec<String> {
        self.0.iter().map(|r| r.subkeys(key)).find(|v| !v.is_empty()).unwrap_or_default()
    }
    fn values(&self, key: &str) -> Vec<(String, RegData)> {
        self.0.iter().map(|r| r.values(key)).find(|v| !v.is_empty()).unwrap_or_default()
    }
    fn has_key(&self, key: &str) -> bool {
        self.0.iter().any(|r| r.has_key(key))
    }
    fn origin(&self, key: &str) -> Option<String> {
        self.0.iter().find_map(|r| r.origin(key))
    }
    fn problems(&self) -> Vec<String> {
        self.0.iter().flat_map(|r| r.problems()).collect()
    }
}

pub mod memory {
    //! An in-memory registry for rule and collector tests (also the client side's).
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Default)]
    pub struct MemRegistry {
        pub keys: BTreeMap<String, Vec<(String, RegData)>>,
    }

    impl MemRegistry {
        pub fn set(&mut self, key: &str, name: &str, data: RegData) -> &mut Self {
            let k = key.to_ascii_lowercase();
            let mut parts: Vec<&str> = k.split('\\').collect();
            while !parts.is_empty() {
                self.keys.entry(parts.join("\\")).or_default();
                parts.pop();
            }
            let vals = self.keys.entry(k).or_default();
            vals.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            vals.push((name.to_owned(), data));
            self
        }
    }

    impl Registry for MemRegistry {
        fn value(&self, key: &str, name: &str) -> Option<RegData> {
            self.keys
                .get(&key.to_ascii_lowercase())?
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, d)| d.clone())
        }
        fn subkeys(&self, key: &str) -> Vec<String> {
            let prefix = format!("{}\\", key.to_ascii_lowercase());
            self.keys
                .keys()
                .filter_map(|k| k.strip_prefix(&prefix))
                .filter(|rest| !rest.contains('\\'))
                .map(str::to_owned)
                .collect()
        }
        fn values(&self, key: &str) -> Vec<(String, RegData)> {
            self.keys.get(&key.to_ascii_lowercase()).cloned().unwrap_or_default()
        }
        fn has_key(&self, key: &str) -> bool {
            self.keys.contains_key(&key.to_ascii_lowercase())
        }
        fn origin(&self, _key: &str) -> Option<String> {
            Some("test registry".to_owned())
        }
    }
}
