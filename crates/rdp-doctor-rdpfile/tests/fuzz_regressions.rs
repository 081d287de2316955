//! Inputs the `rdpfile` fuzz target found (fuzz/fuzz_targets/rdpfile.rs), kept so `cargo test` holds them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use rdp_doctor_rdpfile::RdpFile;
use rdp_doctor_rdpfile::decode::{Encoding, encode};

/// Every setting, as the fuzz target's assertion compares them.
fn setting_names(f: &RdpFile) -> Vec<String> {
    f.settings().map(|(_, s)| format!("{s:?}")).collect()
}

/// Written and read again, a file keeps every setting (the fuzz target's round-trip assertion).
fn round_trip(name: &str) {
    let bytes = std::fs::read(format!("{}/tests/data/fuzz/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    // The fuzz target's first byte chooses the mode; 0 (these inputs) means the rest is the file as is.
    let file = RdpFile::parse(&bytes[1..]);
    let written = file.to_bytes().unwrap();
    let again = RdpFile::parse(&written);
    assert_eq!(again.encoding, file.encoding, "{name}: the encoding is recognised again");
    assert_eq!(again.to_text(), file.to_text(), "{name}: every line reads back as itself");
    assert_eq!(setting_names(&again), setting_names(&file), "{name}: settings changed in a write/read round trip");
}

/// Found by the fuzz campaign of 2026-12-07 (two inputs): an 8-bit file with a line of UTF-8 text and NUL
/// bytes at exactly the "pasted UTF-16" threshold (a third NULs) counted in bytes: read as UTF-8 ("å" two
/// bytes) the line kept its NULs and was malformed; written back as Windows-1252 ("å" one byte) it crossed
/// the threshold, lost its NULs and became a setting. The threshold now counts characters.
#[test]
fn nul_bytes_in_a_line_are_judged_the_same_after_a_round_trip() {
    round_trip("roundtrip-1.bin");
    round_trip("roundtrip-2.bin");
}

/// Found by the fuzz campaign of 2026-12-07, second session: a NUL, a UTF-8 BOM (EF BB BF) and then UTF-16-like
/// text (a NUL before each character). The line is a pasted UTF-16 fragment, whose NULs were dropped but
/// whose UTF-8 BOM was kept as U+FEFF at the head of the file's text: the name "\u{FEFF} address" was a
/// setting. Written back as UTF-8 that U+FEFF became the file's BOM, was read as one and dropped, and the
/// line " address:s:…" became a padded name (1 setting -> 0). A fragment now loses every BOM.
#[test]
fn a_utf8_bom_inside_a_pasted_utf16_fragment_is_dropped() {
    round_trip("roundtrip-3.bin");
    let bytes = std::fs::read(format!("{}/tests/data/fuzz/roundtrip-3.bin", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let file = RdpFile::parse(&bytes[1..]);
    assert!(!file.lines.iter().any(|l| l.text.contains('\u{FEFF}')), "{:?}", file.lines);
    assert_eq!(file.settings().count(), 0, "{:?}", file.lines);
}

/// Found by the fuzz campaign of 2026-12-07, second session: a UTF-16LE file without a BOM whose sixth line
/// starts like an 8-bit `name:t:` line, so the reader takes the rest as 8-bit text (NULs and all). Written
/// back as UTF-16LE without a BOM, those NUL characters become 00 00 pairs and the bytes no longer look like
/// UTF-16LE: read again as 8-bit text, every line changed (4 settings -> 5). Writing a file "in its own
/// encoding" now refuses what would not be read back in it, rather than write a different file.
#[test]
fn a_bomless_utf16_file_that_would_not_be_recognised_is_not_written() {
    let bytes = std::fs::read(format!("{}/tests/data/fuzz/roundtrip-4.bin", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let file = RdpFile::parse(&bytes[1..]);
    assert_eq!(file.encoding, Encoding::Utf16Le);
    assert_eq!(file.settings().count(), 4, "{:?}", file.lines);
    let err = file.to_bytes().unwrap_err();
    assert_eq!(
        err.to_string(),
        "written as UTF-16LE without BOM, this text would be read back as UTF-8 (no BOM)",
        "{err:?}"
    );
    // The same text with mstsc's BOM is unambiguous, and keeps every setting.
    let with_bom = RdpFile::parse(&encode(&file.to_text(), Encoding::Utf16LeBom).unwrap());
    assert_eq!(with_bom.encoding, Encoding::Utf16LeBom);
    assert_eq!(setting_names(&with_bom), setting_names(&file));
}

/// What a BOM-less file's writer still writes: plain files in every BOM-less encoding come back as they were.
#[test]
fn bomless_files_are_written_back_in_their_encoding() {
    for (text, enc) in [
        ("full address:s:rds1.corp.example\r\nusername:s:Jos\u{e9}\r\n", Encoding::Utf16Le),
        ("full address:s:rds1.corp.example\r\nusername:s:Jos\u{e9}\r\n", Encoding::Utf8),
        ("full address:s:rds1.corp.example\r\nusername:s:Jos\u{e9}\r\n", Encoding::Windows1252),
    ] {
        let file = RdpFile::parse(&encode(text, enc).unwrap());
        assert_eq!(file.encoding, enc);
        let again = RdpFile::parse(&file.to_bytes().unwrap());
        assert_eq!((again.encoding, again.to_text()), (enc, text.to_owned()));
    }
}

/// Found by the fuzz campaign of 2026-12-07, second session (with the two fixes above): a Windows-1252 file
/// (more lines of Windows-1252 than of UTF-8), some of whose lines were valid UTF-8 holding the text "ï»¿".
/// Written back in Windows-1252, "ï»¿" is the bytes EF BB BF, valid UTF-8 again: read back, those lines said
/// U+FEFF instead, and one line with NUL characters, now counted shorter, crossed the "pasted UTF-16"
/// threshold and became a setting (58 -> 59). Line-by-line detection cannot tell such text apart, so writing
/// back refuses it and names the first line that would change.
#[test]
fn a_windows_1252_line_whose_bytes_read_as_utf8_is_not_written() {
    let bytes = std::fs::read(format!("{}/tests/data/fuzz/roundtrip-5.bin", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let file = RdpFile::parse(&bytes[1..]);
    assert_eq!(file.encoding, Encoding::Windows1252);
    assert_eq!(file.settings().count(), 58);
    let err = file.to_bytes().unwrap_err();
    let first = file.lines.iter().find(|l| l.text.contains("ï»¿")).unwrap().number;
    assert_eq!(
        err.to_string(),
        format!("written as Windows-1252 (ANSI), line {first} would be read back as other text")
    );
    // What the refusal protects against, shown with the plain encoder: the same text, read back, differs.
    let again = RdpFile::parse(&encode(&file.to_text(), Encoding::Windows1252).unwrap());
    assert_eq!(again.settings().count(), 59);
}
