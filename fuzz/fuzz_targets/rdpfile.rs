//! `.rdp` files: encoding detection and decoding (UTF-16LE/BE with and without BOM, UTF-8, Windows-1252),
//! line parsing, the linter, `clean`, the check plan and the writer. The first byte chooses whether the rest
//! is taken as the file's bytes or as text encoded first (so every decoder sees valid text too).
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_rdpfile::{Encoding, RdpFile, clean, decode, lint};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let encoded;
    let bytes = match mode % 5 {
        0 => rest,
        m => {
            let text = String::from_utf8_lossy(rest);
            let enc = [Encoding::Utf16LeBom, Encoding::Utf8Bom, Encoding::Windows1252, Encoding::Utf16BeBom]
                [usize::from(m - 1)];
            match decode::encode(&text, enc) {
                Ok(b) => {
                    encoded = b;
                    &encoded
                }
                Err(_) => return,
            }
        }
    };
    let file = RdpFile::parse(bytes);
    // No `{:?}` of the results (derived Debug, ~7 % of each execution): the linter and `clean` are what runs.
    std::hint::black_box(lint(&file));
    let _ = rdp_doctor_rdpfile::check::plan(&file, 3389);
    let _ = std::hint::black_box(clean::clean(&file));
    let _ = file.to_text();
    // `to_bytes` refuses text that would not read back as itself (NotRecognised, Ambiguous); what it does
    // write must keep every setting.
    if let Ok(again) = file.to_bytes() {
        let reread = RdpFile::parse(&again);
        assert_eq!(reread.settings().count(), file.settings().count(), "settings lost in a write/read round trip");
    }
});
