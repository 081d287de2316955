//! Property tests: no panic on any bytes; valid lines survive parse → write → parse in every encoding;
//! `clean` always produces a file that lints without warnings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use proptest::prelude::*;
use rdp_doctor_core::Severity;
use rdp_doctor_rdpfile::decode::encode;
use rdp_doctor_rdpfile::{Encoding, RdpFile, TypeTag, check, clean, lint, report, settings};

/// Any bytes, sometimes behind a byte-order mark.
fn any_file() -> impl Strategy<Value = Vec<u8>> {
    let prefix =
        prop_oneof![Just(vec![]), Just(vec![0xFF, 0xFE]), Just(vec![0xFE, 0xFF]), Just(vec![0xEF, 0xBB, 0xBF]),];
    (prefix, proptest::collection::vec(any::<u8>(), 0..2048)).prop_map(|(mut p, b)| {
        p.extend(b);
        p
    })
}

/// Text-ish bytes: settings-like lines with odd characters, in random encodings.
fn texty_file() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        "[a-z ]{1,20}:[sibSx]:[ -~\u{e0}-\u{ff}\u{4e2d}\0\t]{0,30}",
        "[ -~]{0,40}",
        Just("full address:s:127.0.0.1:3390".to_owned()),
        Just("gatewayusagemethod:i:1".to_owned()),
        Just("password 51:b:0100FF".to_owned()),
    ];
    let ending = prop_oneof![Just("\r\n"), Just("\n"), Just("\r")];
    (proptest::collection::vec((line, ending), 0..30), 0..6usize).prop_map(|(lines, enc)| {
        let text: String = lines.iter().map(|(l, e)| format!("{l}{e}")).collect();
        let enc = Encoding::ALL[enc];
        encode(&text, enc).unwrap_or_else(|_| text.into_bytes())
    })
}

fn exercise(bytes: &[u8]) {
    let file = RdpFile::parse(bytes);
    let findings = lint(&file);
    for f in &findings {
        assert!(f.id.starts_with("rdpfile."), "{}", f.id);
        assert!(rdp_doctor_core::catalogue::by_id(f.id).is_some(), "{} is not in the catalogue", f.id);
    }
    let _ = report::LintReport::new("x.rdp", &file);
    let _ = check::plan(&file, 3389);
    let _ = file.to_bytes();
    if let Ok(c) = clean::clean(&file) {
        let back = RdpFile::parse(&c.to_bytes());
        let warnings: Vec<_> = lint(&back).into_iter().filter(|f| f.severity >= Severity::Warn).collect();
        assert!(warnings.is_empty(), "clean output has warnings: {warnings:#?}\nclean text: {:?}", c.text());
        assert_eq!(back.encoding, Encoding::Utf16LeBom);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn no_panic_on_any_bytes(bytes in any_file()) {
        exercise(&bytes);
    }

    #[test]
    fn no_panic_on_texty_files(bytes in texty_file()) {
        exercise(&bytes);
    }
}

/// A valid setting line: a name, a type, and a value without line breaks or control characters.
fn valid_setting(value_chars: &'static str) -> impl Strategy<Value = (String, TypeTag, String)> {
    let name = prop_oneof![
        "[a-z][a-z0-9 ]{0,18}[a-z0-9]",
        proptest::sample::select(settings::all().iter().map(|d| d.name).collect::<Vec<_>>()).prop_map(str::to_owned),
    ];
    let tag = prop_oneof![Just(TypeTag::S), Just(TypeTag::I), Just(TypeTag::B)];
    (name, tag, value_chars)
}

fn letter(t: TypeTag) -> char {
    match t {
        TypeTag::S => 's',
        TypeTag::I => 'i',
        TypeTag::B => 'b',
    }
}

/// Values per encoding. 8-bit values avoid bytes 0x80-0xBF so a Windows-1252 file can never be valid
/// UTF-8 by accident (the ambiguity `rdpfile.ambiguous_encoding` reports); BOM-less UTF-16 holds ASCII,
/// which is what its detection relies on.
fn value_chars(enc: Encoding) -> &'static str {
    match enc {
        Encoding::Utf16LeBom | Encoding::Utf16BeBom | Encoding::Utf8Bom | Encoding::Utf8 => {
            "[ -~\u{c0}-\u{ff}\u{4e2d}\u{1f600}]{0,24}"
        }
        Encoding::Utf16Le => "[ -~]{0,24}",
        Encoding::Windows1252 => "[ -~\u{c0}-\u{ff}]{0,24}",
    }
}

fn round_trip(enc: Encoding, lines: &[(String, TypeTag, String)], crlf: bool) {
    let eol = if crlf { "\r\n" } else { "\n" };
    let text: String = lines.iter().map(|(n, t, v)| format!("{n}:{}:{v}{eol}", letter(*t))).collect();
    let bytes = encode(&text, enc).unwrap();
    let file = RdpFile::parse(&bytes);
    let got: Vec<(String, TypeTag, String)> =
        file.settings().map(|(_, s)| (s.name.clone(), s.tag, s.value.clone())).collect();
    assert_eq!(got, lines, "every valid line is read back ({enc:?})");
    if lines.iter().any(|(n, _, v)| !n.is_ascii() || !v.is_ascii())
        || matches!(enc, Encoding::Utf16LeBom | Encoding::Utf16BeBom | Encoding::Utf8Bom)
    {
        assert_eq!(file.encoding, enc, "the encoding is recognised");
    }
    let again = RdpFile::parse(&file.to_bytes().unwrap());
    assert_eq!(again.encoding, file.encoding, "writing keeps the encoding");
    assert_eq!(again.to_text(), file.to_text(), "writing keeps every line and line ending");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn utf16le_bom_round_trip(lines in proptest::collection::vec(valid_setting(value_chars(Encoding::Utf16LeBom)), 0..20), crlf: bool) {
        round_trip(Encoding::Utf16LeBom, &lines, crlf);
    }

    #[test]
    fn utf16le_round_trip(lines in proptest::collection::vec(valid_setting(value_chars(Encoding::Utf16Le)), 1..20), crlf: bool) {
        round_trip(Encoding::Utf16Le, &lines, crlf);
    }

    #[test]
    fn utf16be_round_trip(lines in proptest::collection::vec(valid_setting(value_chars(Encoding::Utf16BeBom)), 0..20), crlf: bool) {
        round_trip(Encoding::Utf16BeBom, &lines, crlf);
    }

    #[test]
    fn utf8_bom_round_trip(lines in proptest::collection::vec(valid_setting(value_chars(Encoding::Utf8Bom)), 0..20), crlf: bool) {
        round_trip(Encoding::Utf8Bom, &lines, crlf);
    }

    #[test]
    fn utf8_round_trip(lines in proptest::collection::vec(valid_setting(value_chars(Encoding::Utf8)), 0..20), crlf: bool) {
        round_trip(Encoding::Utf8, &lines, crlf);
    }

    #[test]
    fn windows1252_round_trip(lines in proptest::collection::vec(valid_setting(value_chars(Encoding::Windows1252)), 0..20), crlf: bool) {
        round_trip(Encoding::Windows1252, &lines, crlf);
    }
}
