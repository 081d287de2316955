//! Bytes → lines of text: detects the encoding an .rdp file is in and decodes it tolerantly.
//!
//! mstsc writes UTF-16LE with the byte-order mark FF FE and CRLF line endings; people edit files into
//! UTF-8 (with or without the BOM EF BB BF) or the ANSI code page (Windows-1252 here). Detection order:
//! a BOM decides; without one, NUL bytes in odd positions mean UTF-16LE; valid UTF-8 means UTF-8; anything
//! else is Windows-1252. 8-bit files are decoded line by line, so a file whose lines mix UTF-8 and ANSI is
//! recovered and reported. Nothing here fails: odd bytes become anomalies with their line number.

use std::collections::HashSet;

use serde::Serialize;

use crate::cp1252;

/// The encodings an .rdp file is found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Encoding {
    /// UTF-16 little-endian with the BOM FF FE: what mstsc writes.
    #[serde(rename = "utf-16le-bom")]
    Utf16LeBom,
    /// UTF-16 little-endian without a BOM.
    #[serde(rename = "utf-16le")]
    Utf16Le,
    /// UTF-16 big-endian with the BOM FE FF.
    #[serde(rename = "utf-16be-bom")]
    Utf16BeBom,
    /// UTF-8 with the BOM EF BB BF.
    #[serde(rename = "utf-8-bom")]
    Utf8Bom,
    /// UTF-8 without a BOM (pure ASCII files land here too).
    #[serde(rename = "utf-8")]
    Utf8,
    /// Windows-1252 ("ANSI").
    #[serde(rename = "windows-1252")]
    Windows1252,
}

impl Encoding {
    /// The stable identifier used in JSON.
    pub fn id(self) -> &'static str {
        match self {
            Self::Utf16LeBom => "utf-16le-bom",
            Self::Utf16Le => "utf-16le",
            Self::Utf16BeBom => "utf-16be-bom",
            Self::Utf8Bom => "utf-8-bom",
            Self::Utf8 => "utf-8",
            Self::Windows1252 => "windows-1252",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Utf16LeBom => "UTF-16LE with BOM",
            Self::Utf16Le => "UTF-16LE without BOM",
            Self::Utf16BeBom => "UTF-16BE with BOM",
            Self::Utf8Bom => "UTF-8 with BOM",
            Self::Utf8 => "UTF-8 (no BOM)",
            Self::Windows1252 => "Windows-1252 (ANSI)",
        }
    }

    /// Every encoding, for tests and round trips.
    pub const ALL: [Encoding; 6] =
        [Self::Utf16LeBom, Self::Utf16Le, Self::Utf16BeBom, Self::Utf8Bom, Self::Utf8, Self::Windows1252];
}

/// How one line ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    CrLf,
    Lf,
    Cr,
    /// The last line, without a terminator.
    None,
}

impl Ending {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CrLf => "\r\n",
            Self::Lf => "\n",
            Self::Cr => "\r",
            Self::None => "",
        }
    }
}

/// One decoded line, without its terminator.
#[derive(Clone, PartialEq, Eq)]
pub struct RawLine {
    pub text: String,
    pub ending: Ending,
}

/// What was odd about the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// An odd number of bytes in a UTF-16 file: the last byte was dropped.
    TruncatedUtf16,
    /// Bytes that are not valid in the encoding (unpaired surrogates, undefined Windows-1252 bytes).
    InvalidSequence,
    /// A line in another encoding than the file's.
    MixedEncoding,
}

/// An encoding anomaly on one line (1-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    pub line: usize,
    pub detail: String,
}

/// The decoded file.
#[derive(Clone)]
pub struct Decoded {
    pub encoding: Encoding,
    pub lines: Vec<RawLine>,
    pub anomalies: Vec<Anomaly>,
}

/// Counts lines while characters are appended, the same way [`split_lines`] splits them.
#[derive(Default)]
struct LineCounter {
    breaks: usize,
    prev_cr: bool,
}

impl LineCounter {
    fn feed(&mut self, c: char) {
        match c {
            '\r' => {
                self.breaks += 1;
                self.prev_cr = true;
            }
            '\n' => {
                if !self.prev_cr {
                    self.breaks += 1;
                }
                self.prev_cr = false;
            }
            _ => self.prev_cr = false,
        }
    }

    /// The 1-based number of the line being appended to.
    fn line(&self) -> usize {
        self.breaks + 1
    }
}

impl Out {
    /// The number of the last line that exists: a final terminator does not start another one.
    fn last_line(&self) -> usize {
        if self.text.ends_with(['\r', '\n']) { self.counter.breaks.max(1) } else { self.counter.line() }
    }
}

/// Text being decoded, with the line counter kept in step.
#[derive(Default)]
struct Out {
    text: String,
    counter: LineCounter,
    anomalies: Vec<Anomaly>,
    /// (kind, line) pairs already recorded: one anomaly of a kind per line, found in constant time.
    seen: HashSet<(AnomalyKind, usize)>,
}

impl Out {
    fn push(&mut self, c: char) {
        self.text.push(c);
        self.counter.feed(c);
    }

    fn anomaly(&mut self, kind: AnomalyKind, line: usize, detail: impl Into<String>) {
        // One anomaly of a kind per line is enough evidence.
        if self.seen.insert((kind, line)) {
            self.anomalies.push(Anomaly { kind, line, detail: detail.into() });
        }
    }
}

/// Decodes an .rdp file of any encoding. Never fails.
pub fn decode(bytes: &[u8]) -> Decoded {
    let mut out = Out::default();
    let encoding = if let Some(body) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        decode_utf16(body, true, &mut out);
        Encoding::Utf16LeBom
    } else if let Some(body) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        decode_utf16(body, false, &mut out);
        Encoding::Utf16BeBom
    } else if let Some(body) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        let stats = decode_8bit(body, &mut out);
        for line in stats.ansi_lines {
            out.anomaly(
                AnomalyKind::MixedEncoding,
                line,
                "not UTF-8 although the file starts with a UTF-8 BOM: read as Windows-1252",
            );
        }
        Encoding::Utf8Bom
    } else if looks_utf16le(bytes) {
        decode_utf16(bytes, true, &mut out);
        Encoding::Utf16Le
    } else {
        let stats = decode_8bit(bytes, &mut out);
        match (stats.utf8_lines.is_empty(), stats.ansi_lines.is_empty()) {
            (_, true) => Encoding::Utf8,
            (true, false) => Encoding::Windows1252,
            (false, false) if stats.utf8_lines.len() >= stats.ansi_lines.len() => {
                for line in stats.ansi_lines {
                    out.anomaly(AnomalyKind::MixedEncoding, line, "Windows-1252 (ANSI) text in a UTF-8 file");
                }
                Encoding::Utf8
            }
            (false, false) => {
                for line in stats.utf8_lines {
                    out.anomaly(AnomalyKind::MixedEncoding, line, "UTF-8 text in a Windows-1252 (ANSI) file");
                }
                Encoding::Windows1252
            }
        }
    };
    let mut anomalies = out.anomalies;
    anomalies.sort_by_key(|a| a.line);
    Decoded { encoding, lines: split_lines(&out.text), anomalies }
}

/// UTF-16LE without a BOM: ASCII text has a NUL in every odd position.
fn looks_utf16le(bytes: &[u8]) -> bool {
    let sample = bytes.get(..bytes.len().min(512)).unwrap_or(bytes);
    if sample.len() < 4 {
        return false;
    }
    let pairs = sample.len() / 2;
    let (mut odd_nul, mut even_nul) = (0usize, 0usize);
    for pair in sample.chunks_exact(2) {
        if let [lo, hi] = pair {
            even_nul += usize::from(*lo == 0);
            odd_nul += usize::from(*hi == 0);
        }
    }
    odd_nul * 10 >= pairs * 8 && even_nul * 10 < pairs
}

/// At a line start inside a UTF-16LE file: do the next bytes read as an 8-bit `name:t:` setting line?
/// That is text appended by a tool writing UTF-8 or ANSI; real UTF-16 text has a NUL after each ASCII
/// letter, so it never matches.
fn looks_like_8bit_setting(bytes: &[u8]) -> bool {
    let window = bytes.get(..bytes.len().min(64)).unwrap_or(bytes);
    let Some(colon) = window.iter().position(|&b| b == b':') else { return false };
    let (name, rest) = window.split_at(colon);
    let name_ok = name.first().is_some_and(u8::is_ascii_alphabetic)
        && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b' ' || *b == b'+');
    name_ok && matches!(rest, [b':', b's' | b'i' | b'b', b':', ..])
}

fn decode_utf16(body: &[u8], little_endian: bool, out: &mut Out) {
    let mut units = Vec::with_capacity(body.len() / 2);
    let mut i = 0;
    let mut at_line_start = true;
    let mut switched_at = None;
    while let Some(pair) = body.get(i..i + 2) {
        if at_line_start && little_endian && looks_like_8bit_setting(body.get(i..).unwrap_or_default()) {
            switched_at = Some(i);
            break;
        }
        let unit = match pair {
            [a, b] if little_endian => u16::from_le_bytes([*a, *b]),
            [a, b] => u16::from_be_bytes([*a, *b]),
            _ => break,
        };
        units.push(unit);
        at_line_start = unit == 0x0A || unit == 0x0D;
        i += 2;
    }
    for r in char::decode_utf16(units.iter().copied()) {
        match r {
            Ok(c) => out.push(c),
            Err(e) => {
                let line = out.counter.line();
                out.anomaly(
                    AnomalyKind::InvalidSequence,
                    line,
                    format!("unpaired UTF-16 surrogate 0x{:04X}", e.unpaired_surrogate()),
                );
                out.push(char::REPLACEMENT_CHARACTER);
            }
        }
    }
    match switched_at {
        Some(at) => {
            let first = out.counter.line();
            let rest = body.get(at..).unwrap_or_default();
            decode_8bit(rest, out);
            let last = out.last_line();
            for line in first..=last {
                out.anomaly(
                    AnomalyKind::MixedEncoding,
                    line,
                    format!("8-bit text (UTF-8 or ANSI) from line {first} on in a UTF-16 file"),
                );
            }
        }
        None if body.len() % 2 == 1 => {
            let line = out.last_line();
            out.anomaly(
                AnomalyKind::TruncatedUtf16,
                line,
                format!("{} bytes of UTF-16 text: an odd count, the last byte is half a character", body.len()),
            );
        }
        None => {}
    }
}

/// Lines of an 8-bit decode that were not plain ASCII, by how they decoded.
struct EightBitStats {
    utf8_lines: Vec<usize>,
    ansi_lines: Vec<usize>,
}

/// Decodes 8-bit text line by line: each line as UTF-8 when valid, else Windows-1252. A line made mostly
/// of NUL bytes is UTF-16 text pasted into the file: its NULs and byte-order marks (FF FE, FE FF, EF BB BF)
/// are dropped.
fn decode_8bit(bytes: &[u8], out: &mut Out) -> EightBitStats {
    let mut stats = EightBitStats { utf8_lines: Vec::new(), ansi_lines: Vec::new() };
    let mut start = 0;
    while start < bytes.len() {
        let rest = bytes.get(start..).unwrap_or_default();
        let content_len = rest.iter().position(|&b| b == b'\n' || b == b'\r').unwrap_or(rest.len());
        let content = rest.get(..content_len).unwrap_or_default();
        let break_len = match rest.get(content_len..) {
            Some([b'\r', b'\n', ..]) => 2,
            Some([_, ..]) => 1,
            _ => 0,
        };
        let line = out.counter.line();
        let nuls = content.iter().filter(|&&b| b == 0).count();
        // Measured in characters, not bytes (a UTF-8 line's "å" is two bytes, Windows-1252's one), so the
        // same text written back in the file's encoding is judged the same when read again.
        let chars = std::str::from_utf8(content).map_or(content.len(), |s| s.chars().count());
        let utf16_fragment = nuls > 0 && nuls * 3 >= chars;
        let cleaned: Vec<u8>;
        let content = if utf16_fragment {
            out.anomaly(
                AnomalyKind::MixedEncoding,
                line,
                "UTF-16 text (NUL bytes between characters) in an 8-bit file",
            );
            cleaned = content.iter().copied().filter(|&b| b != 0 && b != 0xFF && b != 0xFE).collect();
            &cleaned[..]
        } else {
            content
        };
        match std::str::from_utf8(content) {
            Ok(s) => {
                if !s.is_ascii() {
                    stats.utf8_lines.push(line);
                }
                // A pasted fragment loses its byte-order marks whichever encoding they were in: the UTF-16 ones
                // went with the bytes FF/FE above, a UTF-8 one (EF BB BF between the NULs) is dropped here. Kept,
                // it would lead the file's text, and written back in the file's own encoding it would become
                // the file's BOM, read again as one and gone: the line would not be judged the same.
                s.chars().filter(|&c| !(utf16_fragment && c == '\u{FEFF}')).for_each(|c| out.push(c));
            }
            Err(_) => {
                stats.ansi_lines.push(line);
                for &b in content {
                    let (c, defined) = cp1252::decode_byte(b);
                    if !defined {
                        out.anomaly(
                            AnomalyKind::InvalidSequence,
                            line,
                            format!("byte 0x{b:02X} is undefined in Windows-1252"),
                        );
                    }
                    out.push(c);
                }
            }
        }
        for &b in rest.get(content_len..content_len + break_len).unwrap_or_default() {
            out.push(char::from(b));
        }
        start += content_len + break_len;
    }
    stats
}

/// Splits text into lines at CRLF, LF or a bare CR. A final terminator does not start another line.
pub fn split_lines(text: &str) -> Vec<RawLine> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let ending = match c {
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                Ending::CrLf
            }
            '\r' => Ending::Cr,
            '\n' => Ending::Lf,
            _ => {
                current.push(c);
                continue;
            }
        };
        lines.push(RawLine { text: std::mem::take(&mut current), ending });
    }
    if !current.is_empty() {
        lines.push(RawLine { text: current, ending: Ending::None });
    }
    lines
}

/// Why text cannot be written in an encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("{encoding} cannot represent the character U+{code:04X}")]
    Unrepresentable { encoding: &'static str, code: u32 },
    /// Without a BOM the encoding is recognised from the bytes alone ([`decode`]): UTF-16LE text with NUL
    /// characters, or with many characters beyond Latin-1, no longer looks like UTF-16LE; Windows-1252 text
    /// that is valid UTF-8 reads as UTF-8.
    #[error("written as {encoding}, this text would be read back as {read_as}")]
    NotRecognised { encoding: &'static str, read_as: &'static str },
    /// Recognised, but a line would not read back as itself: an 8-bit file's lines are each read as UTF-8
    /// when valid, so a line written in Windows-1252 whose bytes are also valid UTF-8 ("ï»¿" is EF BB BF)
    /// reads as other text; NUL characters written out can make a line look like pasted UTF-16.
    #[error("written as {encoding}, line {line} would be read back as other text")]
    Ambiguous { encoding: &'static str, line: usize },
}

/// Encodes text in `encoding`, with its BOM where it has one.
pub fn encode(text: &str, encoding: Encoding) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(text.len() * 2 + 3);
    match encoding {
        Encoding::Utf16LeBom | Encoding::Utf16Le => {
            if encoding == Encoding::Utf16LeBom {
                out.extend_from_slice(&[0xFF, 0xFE]);
            }
            text.encode_utf16().for_each(|u| out.extend_from_slice(&u.to_le_bytes()));
        }
        Encoding::Utf16BeBom => {
            out.extend_from_slice(&[0xFE, 0xFF]);
            text.encode_utf16().for_each(|u| out.extend_from_slice(&u.to_be_bytes()));
        }
        Encoding::Utf8Bom | Encoding::Utf8 => {
            if encoding == Encoding::Utf8Bom {
                out.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
            }
            out.extend_from_slice(text.as_bytes());
        }
        Encoding::Windows1252 => {
            for c in text.chars() {
                let b = cp1252::encode_char(c)
                    .ok_or(EncodeError::Unrepresentable { encoding: "Windows-1252", code: u32::from(c) })?;
                out.push(b);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(d: &Decoded) -> Vec<&str> {
        d.lines.iter().map(|l| l.text.as_str()).collect()
    }

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn utf16le_with_bom_as_mstsc_writes_it() {
        // FF FE = BOM, then "a:s:1\r\n" as 16-bit little-endian units.
        let bytes = [0xFF, 0xFE, b'a', 0, b':', 0, b's', 0, b':', 0, b'1', 0, b'\r', 0, b'\n', 0];
        let d = decode(&bytes);
        assert_eq!(d.encoding, Encoding::Utf16LeBom);
        assert_eq!(texts(&d), ["a:s:1"]);
        assert_eq!(d.lines[0].ending, Ending::CrLf);
        assert!(d.anomalies.is_empty());
    }

    #[test]
    fn truncate_by_one_utf16() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(utf16le("a:s:1\r\nb:i:2\r\n"));
        bytes.pop();
        let d = decode(&bytes);
        assert_eq!(d.encoding, Encoding::Utf16LeBom);
        assert_eq!(texts(&d), ["a:s:1", "b:i:2"], "the dangling half of the last LF is dropped");
        assert_eq!(d.anomalies.len(), 1);
        assert_eq!(d.anomalies[0].kind, AnomalyKind::TruncatedUtf16);
        assert_eq!(d.anomalies[0].line, 2);
    }

    #[test]
    fn utf16le_without_bom_and_big_endian() {
        let d = decode(&utf16le("full address:s:h\r\n"));
        assert_eq!(d.encoding, Encoding::Utf16Le);
        assert_eq!(texts(&d), ["full address:s:h"]);
        let mut be = vec![0xFE, 0xFF];
        be.extend("x:i:1\n".encode_utf16().flat_map(u16::to_be_bytes));
        let d = decode(&be);
        assert_eq!(d.encoding, Encoding::Utf16BeBom);
        assert_eq!(texts(&d), ["x:i:1"]);
    }

    #[test]
    fn unpaired_surrogate_is_an_anomaly() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(utf16le("a:s:1\r\nb:s:"));
        bytes.extend([0x00, 0xD8]); // U+D800, a high surrogate with no low one after it
        let d = decode(&bytes);
        assert_eq!(texts(&d), ["a:s:1", "b:s:\u{FFFD}"]);
        assert_eq!(d.anomalies[0].kind, AnomalyKind::InvalidSequence);
        assert_eq!(d.anomalies[0].line, 2);
    }

    #[test]
    fn utf8_appended_to_utf16_is_mixed() {
        // `echo username:s:bob >> file.rdp` from a shell writing UTF-8 after mstsc's UTF-16.
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(utf16le("full address:s:h\r\n"));
        bytes.extend(b"username:s:bob\n");
        let d = decode(&bytes);
        assert_eq!(d.encoding, Encoding::Utf16LeBom);
        assert_eq!(texts(&d), ["full address:s:h", "username:s:bob"]);
        assert_eq!(d.anomalies.len(), 1, "{:?}", d.anomalies);
        assert_eq!((d.anomalies[0].kind, d.anomalies[0].line), (AnomalyKind::MixedEncoding, 2));
    }

    #[test]
    fn utf16_pasted_into_utf8_is_mixed() {
        let mut bytes = b"full address:s:h\n".to_vec();
        bytes.extend(utf16le("username:s:bob"));
        let d = decode(&bytes);
        assert_eq!(d.encoding, Encoding::Utf8);
        assert_eq!(texts(&d), ["full address:s:h", "username:s:bob"]);
        assert_eq!(d.anomalies[0].kind, AnomalyKind::MixedEncoding);
    }

    #[test]
    fn eight_bit_detection() {
        let d = decode(b"username:s:J\xc3\xbcrgen\r\n");
        assert_eq!((d.encoding, texts(&d)), (Encoding::Utf8, vec!["username:s:Jürgen"]));
        let d = decode(b"username:s:J\xfcrgen\r\n");
        assert_eq!((d.encoding, texts(&d)), (Encoding::Windows1252, vec!["username:s:Jürgen"]));
        let d = decode(b"\xef\xbb\xbfa:s:1\n");
        assert_eq!((d.encoding, texts(&d)), (Encoding::Utf8Bom, vec!["a:s:1"]));
        // One UTF-8 line and one ANSI line: UTF-8 wins the tie, the ANSI line is flagged.
        let d = decode(b"a:s:J\xc3\xbcrgen\nb:s:J\xfcrgen\n");
        assert_eq!(d.encoding, Encoding::Utf8);
        assert_eq!(texts(&d), ["a:s:Jürgen", "b:s:Jürgen"]);
        assert_eq!((d.anomalies[0].kind, d.anomalies[0].line), (AnomalyKind::MixedEncoding, 2));
    }

    #[test]
    fn line_endings() {
        let d = decode(b"a\r\nb\nc\rd");
        assert_eq!(texts(&d), ["a", "b", "c", "d"]);
        let endings: Vec<_> = d.lines.iter().map(|l| l.ending).collect();
        assert_eq!(endings, [Ending::CrLf, Ending::Lf, Ending::Cr, Ending::None]);
        assert!(decode(b"").lines.is_empty());
        assert_eq!(texts(&decode(b"\n\n")), ["", ""]);
    }

    #[test]
    fn encode_round_trips() {
        let text = "username:s:Jürgen\r\n";
        for enc in Encoding::ALL {
            let bytes = encode(text, enc).unwrap_or_default();
            let d = decode(&bytes);
            assert_eq!(d.encoding, enc, "{enc:?}");
            assert_eq!(texts(&d), ["username:s:Jürgen"], "{enc:?}");
        }
        assert!(encode("ж", Encoding::Windows1252).is_err());
    }
}
