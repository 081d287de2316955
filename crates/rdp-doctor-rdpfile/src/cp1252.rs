//! Windows-1252 ("ANSI" on Western European Windows), the code page Notepad used for "ANSI" files.
//!
//! Bytes 0x00-0x7F are ASCII and 0xA0-0xFF are ISO-8859-1 (the same code points as Unicode U+00A0-U+00FF).
//! 0x80-0x9F carry typographic characters; five of them (0x81, 0x8D, 0x8F, 0x90, 0x9D) are undefined,
//! and Windows' own conversion (MultiByteToWideChar) maps those to the C1 controls U+0081 etc., as here.
//! Table: the Unicode Consortium's mapping file `VENDORS/MICSFT/WINDOWS/CP1252.TXT`.

/// U+0080..U+009F replacements for bytes 0x80..0x9F; `None` marks the five undefined bytes.
const HIGH: [Option<char>; 32] = [
    Some('\u{20AC}'), // 0x80 EURO SIGN
    None,             // 0x81
    Some('\u{201A}'), // 0x82 SINGLE LOW-9 QUOTATION MARK
    Some('\u{0192}'), // 0x83 LATIN SMALL LETTER F WITH HOOK
    Some('\u{201E}'), // 0x84 DOUBLE LOW-9 QUOTATION MARK
    Some('\u{2026}'), // 0x85 HORIZONTAL ELLIPSIS
    Some('\u{2020}'), // 0x86 DAGGER
    Some('\u{2021}'), // 0x87 DOUBLE DAGGER
    Some('\u{02C6}'), // 0x88 MODIFIER LETTER CIRCUMFLEX ACCENT
    Some('\u{2030}'), // 0x89 PER MILLE SIGN
    Some('\u{0160}'), // 0x8A LATIN CAPITAL LETTER S WITH CARON
    Some('\u{2039}'), // 0x8B SINGLE LEFT-POINTING ANGLE QUOTATION MARK
    Some('\u{0152}'), // 0x8C LATIN CAPITAL LIGATURE OE
    None,             // 0x8D
    Some('\u{017D}'), // 0x8E LATIN CAPITAL LETTER Z WITH CARON
    None,             // 0x8F
    None,             // 0x90
    Some('\u{2018}'), // 0x91 LEFT SINGLE QUOTATION MARK
    Some('\u{2019}'), // 0x92 RIGHT SINGLE QUOTATION MARK
    Some('\u{201C}'), // 0x93 LEFT DOUBLE QUOTATION MARK
    Some('\u{201D}'), // 0x94 RIGHT DOUBLE QUOTATION MARK
    Some('\u{2022}'), // 0x95 BULLET
    Some('\u{2013}'), // 0x96 EN DASH
    Some('\u{2014}'), // 0x97 EM DASH
    Some('\u{02DC}'), // 0x98 SMALL TILDE
    Some('\u{2122}'), // 0x99 TRADE MARK SIGN
    Some('\u{0161}'), // 0x9A LATIN SMALL LETTER S WITH CARON
    Some('\u{203A}'), // 0x9B SINGLE RIGHT-POINTING ANGLE QUOTATION MARK
    Some('\u{0153}'), // 0x9C LATIN SMALL LIGATURE OE
    None,             // 0x9D
    Some('\u{017E}'), // 0x9E LATIN SMALL LETTER Z WITH CARON
    Some('\u{0178}'), // 0x9F LATIN CAPITAL LETTER Y WITH DIAERESIS
];

/// Decodes one byte. The second value is `false` for the five bytes Windows-1252 leaves undefined.
pub fn decode_byte(b: u8) -> (char, bool) {
    match b {
        0x80..=0x9F => match HIGH.get(usize::from(b - 0x80)).copied().flatten() {
            Some(c) => (c, true),
            None => (char::from(b), false),
        },
        _ => (char::from(b), true),
    }
}

/// Encodes one character, or `None` when Windows-1252 cannot represent it.
pub fn encode_char(c: char) -> Option<u8> {
    let cp = u32::from(c);
    if cp < 0x80 || (0xA0..=0xFF).contains(&cp) {
        return u8::try_from(cp).ok();
    }
    if let Some(i) = HIGH.iter().position(|h| *h == Some(c)) {
        return u8::try_from(0x80 + i).ok();
    }
    // The undefined bytes round-trip through their C1 control, as Windows does.
    match cp {
        0x81 | 0x8D | 0x8F | 0x90 | 0x9D => u8::try_from(cp).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips() {
        for b in 0..=255u8 {
            let (c, _) = decode_byte(b);
            assert_eq!(encode_char(c), Some(b), "byte {b:#04x}");
        }
    }

    #[test]
    fn known_points() {
        assert_eq!(decode_byte(0x80), ('€', true));
        assert_eq!(decode_byte(0xFC), ('ü', true));
        assert_eq!(decode_byte(0x9F), ('Ÿ', true));
        assert_eq!(decode_byte(0x81), ('\u{81}', false));
        assert_eq!(encode_char('ж'), None);
    }
}
