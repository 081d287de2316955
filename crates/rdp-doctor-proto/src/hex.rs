//! Hex rendering of wire bytes for evidence lines.

use std::fmt::Write as _;

/// Space-separated lowercase hex of at most `max` bytes, with `…(+N bytes)` when cut.
pub fn hex_prefix(bytes: &[u8], max: usize) -> String {
    let shown = bytes.get(..max.min(bytes.len())).unwrap_or(bytes);
    let mut out = String::with_capacity(shown.len() * 3 + 16);
    for (i, b) in shown.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        for nibble in [b >> 4, b & 15] {
            out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('?'));
        }
    }
    if bytes.len() > shown.len() {
        let _ = write!(out, " …(+{} bytes)", bytes.len() - shown.len());
    }
    out
}

/// Parses space-separated or contiguous hex (test fixtures, CLI input). Non-hex characters other than
/// whitespace are rejected.
pub fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_cuts() {
        assert_eq!(hex_prefix(&[0x03, 0x00, 0xff], 8), "03 00 ff");
        assert_eq!(hex_prefix(&[1, 2, 3, 4], 2), "01 02 …(+2 bytes)");
        assert_eq!(hex_prefix(&[], 2), "");
    }

    #[test]
    fn parses() {
        assert_eq!(parse_hex("03 00 0a"), Some(vec![3, 0, 10]));
        assert_eq!(parse_hex("0300"), Some(vec![3, 0]));
        assert_eq!(parse_hex("030"), None);
        assert_eq!(parse_hex("zz"), None);
    }
}
