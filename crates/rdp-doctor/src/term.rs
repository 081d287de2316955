//! What the terminal can show. Reports are UTF-8 everywhere (files, pipes, Linux terminals, Windows
//! Terminal); a Windows console that cannot show arrows, dashes and box drawing (the legacy console with its
//! raster fonts, which has no virtual-terminal mode either) gets their ASCII spellings instead, so a report
//! never turns into `?` boxes. `RDP_DOCTOR_ASCII=1` asks for ASCII anywhere. Colours are anstream's:
//! ANSI where the console takes it, the console API in a legacy console, none with `--color never`,
//! `NO_COLOR` or a non-terminal.

use std::borrow::Cow;
use std::sync::OnceLock;

/// The environment variable that forces ASCII output.
pub const ASCII_ENV: &str = "RDP_DOCTOR_ASCII";

/// Whether text for the terminal may use characters beyond ASCII (decided once).
pub fn unicode_ok() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        if std::env::var_os(ASCII_ENV).is_some_and(|v| !v.is_empty() && v != "0") {
            return false;
        }
        console_shows_unicode()
    })
}

#[cfg(not(windows))]
fn console_shows_unicode() -> bool {
    true
}

/// A file or pipe gets UTF-8 bytes; Windows Terminal (`WT_SESSION`) and a console that accepts
/// virtual-terminal sequences (Windows 10's console and later, with TrueType fonts) show the characters;
/// the legacy console does not.
#[cfg(windows)]
fn console_shows_unicode() -> bool {
    use std::io::IsTerminal as _;
    if !std::io::stdout().is_terminal() || std::env::var_os("WT_SESSION").is_some() {
        return true;
    }
    anstyle_query::windows::enable_ansi_colors() == Some(true)
}

/// `s` as the terminal can show it: unchanged, or with arrows, dashes, ellipses, bullets and box drawing
/// spelt in ASCII.
pub fn fit(s: &str) -> Cow<'_, str> {
    if unicode_ok() { Cow::Borrowed(s) } else { to_ascii(s) }
}

/// The ASCII spelling of the typographic characters reports use; other text (names, values) is kept.
pub fn to_ascii(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '→' | '⟶' | '▶' | '►' => out.push_str("->"),
            '←' | '◀' => out.push_str("<-"),
            '↔' => out.push_str("<->"),
            '—' | '―' => out.push_str("--"),
            '–' | '‐' | '−' => out.push('-'),
            '…' => out.push_str("..."),
            '·' | '•' | '●' => out.push('*'),
            '×' => out.push('x'),
            '≥' => out.push_str(">="),
            '≤' => out.push_str("<="),
            '±' => out.push_str("+/-"),
            '“' | '”' | '„' => out.push('"'),
            '‘' | '’' | '‚' => out.push('\''),
            '✓' | '✔' => out.push_str("ok"),
            '✗' | '✘' => out.push('x'),
            '─' | '━' | '═' => out.push('-'),
            '│' | '┃' | '║' => out.push('|'),
            '\u{250C}'..='\u{254B}' | '\u{2554}'..='\u{256C}' => out.push('+'),
            other => out.push(other),
        }
    }
    Cow::Owned(out)
}

/// Prints report text to stdout (colour as `--color` decided), fitted to the terminal.
pub fn print(s: &str) {
    use std::io::Write as _;
    let _ = anstream::stdout().write_all(fit(s).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typographic_characters_degrade_and_names_stay() {
        let s = "TCP → X.224 — 3 of 4… • ┌─┐ │x│ └─┘ server jürgen-pc";
        assert_eq!(to_ascii(s), "TCP -> X.224 -- 3 of 4... * +-+ |x| +-+ server jürgen-pc");
        assert!(matches!(to_ascii("plain"), Cow::Borrowed(_)));
    }
}
