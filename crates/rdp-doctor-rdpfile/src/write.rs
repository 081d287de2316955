//! Writing .rdp files as mstsc does: UTF-16LE with the BOM FF FE, CRLF after every line, lower-case
//! names. Used by `clean` and `new`.

use std::fmt;

use serde::Serialize;

use crate::address::{AddressError, parse_address};
use crate::parse::{TypeTag, is_secret, preview};

/// One setting to write.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub tag: TypeTag,
    pub value: String,
}

impl Entry {
    pub fn text(name: &'static str, value: impl Into<String>) -> Self {
        Self { name, tag: TypeTag::S, value: value.into() }
    }

    pub fn int(name: &'static str, value: i64) -> Self {
        Self { name, tag: TypeTag::I, value: value.to_string() }
    }

    /// `name:t:value` as it may be shown (never a secret in practice; redacted if one were).
    pub fn shown(&self) -> String {
        let v = if is_secret(self.name, self.tag) { "<redacted>".to_owned() } else { preview(&self.value) };
        format!("{}:{}:{v}", self.name, self.tag.letter())
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())
    }
}

/// The text of a file: one `name:t:value` line per entry, each ended by CRLF.
pub fn render(entries: &[Entry]) -> String {
    entries.iter().map(|e| format!("{}:{}:{}\r\n", e.name, e.tag.letter(), e.value)).collect()
}

/// Text as mstsc writes files: UTF-16LE with BOM.
pub fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + text.len() * 2);
    out.extend_from_slice(&[0xFF, 0xFE]);
    text.encode_utf16().for_each(|u| out.extend_from_slice(&u.to_le_bytes()));
    out
}

/// Why `new` cannot make a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NewError {
    #[error("invalid host: {0}")]
    Host(AddressError),
    #[error("invalid gateway: {0}")]
    Gateway(AddressError),
    #[error("the user name contains a control character or a line break")]
    User,
}

/// The settings of a minimal file for `host` (`host[:port]`), optionally through an RD Gateway and with a
/// user name. Nothing else is set: the client's defaults apply.
pub fn new_file(host: &str, gateway: Option<&str>, user: Option<&str>) -> Result<Vec<Entry>, NewError> {
    let addr = parse_address(host).map_err(NewError::Host)?;
    let mut entries = vec![Entry::text("full address", addr.to_string())];
    if let Some(u) = user.map(str::trim).filter(|u| !u.is_empty()) {
        if u.chars().any(char::is_control) {
            return Err(NewError::User);
        }
        entries.push(Entry::text("username", u));
    }
    if let Some(gw) = gateway {
        let gw = parse_address(gw).map_err(NewError::Gateway)?;
        entries.push(Entry::text("gatewayhostname", gw.to_string()));
        // Always through the gateway, with the settings in this file (not an administrator's profile).
        entries.push(Entry::int("gatewayusagemethod", 1));
        entries.push(Entry::int("gatewayprofileusagemethod", 1));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RdpFile;

    #[test]
    fn new_files_are_minimal_and_lint_clean() {
        let e = new_file("rds1.corp.example:3390", Some("gw.corp.example"), Some("CORP\\alice")).unwrap_or_default();
        assert_eq!(
            render(&e),
            "full address:s:rds1.corp.example:3390\r\nusername:s:CORP\\alice\r\ngatewayhostname:s:gw.corp.example\r\ngatewayusagemethod:i:1\r\ngatewayprofileusagemethod:i:1\r\n"
        );
        let file = RdpFile::parse(&utf16le_with_bom(&render(&e)));
        assert_eq!(file.encoding, crate::Encoding::Utf16LeBom);
        assert_eq!(file.line_endings(), crate::parse::LineEndings::Crlf);
        assert!(crate::lint(&file).is_empty(), "{:?}", crate::lint(&file));
        assert_eq!(render(&new_file("::1", None, None).unwrap_or_default()), "full address:s:[::1]\r\n");
    }

    #[test]
    fn new_rejects_bad_input() {
        assert!(matches!(new_file("bad host", None, None), Err(NewError::Host(_))));
        assert!(matches!(new_file("h", Some("https://gw/"), None), Err(NewError::Gateway(_))));
        assert_eq!(new_file("h", None, Some("a\nfull address:s:evil")), Err(NewError::User));
    }

    #[test]
    fn bytes_start_with_the_bom() {
        assert_eq!(utf16le_with_bom("a"), [0xFF, 0xFE, b'a', 0]);
    }
}
