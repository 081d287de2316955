//! Hand-built files for each lint, with the findings they must produce.

use rdp_doctor_core::{Finding, Severity};

use super::lint;
use crate::RdpFile;
use crate::decode::{Encoding, encode};

fn lint_bytes(bytes: &[u8]) -> Vec<Finding> {
    lint(&RdpFile::parse(bytes))
}

fn lint_text(text: &str) -> Vec<Finding> {
    lint_bytes(text.as_bytes())
}

fn ids(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.id).collect()
}

fn find<'a>(f: &'a [Finding], id: &str) -> &'a Finding {
    f.iter().find(|x| x.id == id).unwrap_or_else(|| unreachable!("no {id} in {:?}", ids(f)))
}

/// A file as mstsc saves it (Windows 11, direct connection, user name remembered): UTF-16LE with BOM, CRLF.
pub(crate) const MSTSC_SAVED: &[u8] = include_bytes!("../../tests/data/mstsc-saved.rdp");

fn utf16le_bom(text: &str) -> Vec<u8> {
    encode(text, Encoding::Utf16LeBom).unwrap_or_default()
}

/// A file as mstsc saves it (Windows 11, direct connection, user name remembered; abridged).

#[test]
fn an_mstsc_saved_file_has_no_warnings() {
    let f = lint_bytes(MSTSC_SAVED);
    assert!(f.iter().all(|x| x.severity == Severity::Info), "{:?}", ids(&f));
    // What it does say: the meaning of its authentication level, and the preset user name.
    assert_eq!(ids(&f), ["rdpfile.authentication_level", "rdpfile.no_credential_prompt"]);
    assert_eq!(
        find(&f, "rdpfile.authentication_level").evidence[0],
        "line 34: `authentication level:i:2`: if server authentication fails, warn and let the user choose"
    );
    assert!(f.iter().all(|x| x.layer == "rdpfile" && !x.remedies.is_empty()));
}

#[test]
fn encodings() {
    let body = "full address:s:h\r\n";
    assert!(lint_text(body).is_empty(), "plain ASCII UTF-8 is fine");
    assert!(lint_bytes(&utf16le_bom(body)).is_empty());
    assert_eq!(ids(&lint_bytes(&encode(body, Encoding::Utf16Le).unwrap_or_default())), ["rdpfile.utf16_without_bom"]);
    assert_eq!(ids(&lint_bytes(&encode(body, Encoding::Utf16BeBom).unwrap_or_default())), ["rdpfile.utf16_big_endian"]);
    let f = lint_bytes(&encode(body, Encoding::Utf8Bom).unwrap_or_default());
    assert_eq!(ids(&f), ["rdpfile.utf8_bom"]);
    assert!(f[0].evidence[0].starts_with("line 1: EF BB BF precedes `full address:s:h`"), "{}", f[0].evidence[0]);
    // Windows-1252 "Jürgen": ü is 0xFC.
    let f = lint_bytes(b"full address:s:h\r\nusername:s:J\xfcrgen\r\n");
    assert_eq!(ids(&f), ["rdpfile.ambiguous_encoding"]);
    assert_eq!(f[0].evidence[0], "line 2: `username:s:Jürgen` read as Windows-1252 (ANSI)");
    // The same name in UTF-8 with a BOM is unambiguous for the encoding (FreeRDP still trips on the BOM).
    let f = lint_bytes(&encode("username:s:Jürgen\r\nfull address:s:h\r\n", Encoding::Utf8Bom).unwrap_or_default());
    assert_eq!(ids(&f), ["rdpfile.utf8_bom"]);
}

#[test]
fn truncated_utf16() {
    let mut bytes = utf16le_bom("full address:s:h\r\nusername:s:bob\r\n");
    bytes.truncate(bytes.len() - 3); // cut inside the final CR LF
    let f = lint_bytes(&bytes);
    assert_eq!(ids(&f), ["rdpfile.truncated_utf16"]);
    assert!(f[0].evidence[0].starts_with("line 2: "), "{}", f[0].evidence[0]);
}

#[test]
fn mixed_encodings() {
    let mut bytes = utf16le_bom("full address:s:h\r\n");
    bytes.extend(b"gatewayhostname:s:gw\r\n");
    let f = lint_bytes(&bytes);
    assert_eq!(ids(&f), ["rdpfile.mixed_encoding"]);
    assert!(f[0].evidence[0].starts_with("line 2: 8-bit text"), "{}", f[0].evidence[0]);
    // The appended setting is still recovered.
    let file = RdpFile::parse(&bytes);
    assert_eq!(file.text("gatewayhostname"), Some((2, "gw")));
}

#[test]
fn nul_bytes_and_long_lines() {
    let f = lint_bytes(b"full address:s:h\r\nusername:s:b\0b\r\n");
    assert_eq!(ids(&f), ["rdpfile.control_characters"]);
    assert_eq!(f[0].evidence[0], "line 2: 1 control character(s) in `username:s:b\\u{0}b`");
    let long = format!("full address:s:h\r\nalternate shell:s:{}\r\n", "x".repeat(1 << 20));
    let f = lint_text(&long);
    assert_eq!(ids(&f), ["rdpfile.line_too_long"]);
    assert!(f[0].evidence[0].len() < 300, "evidence is shortened");
}

#[test]
fn malformed_lines_with_numbers() {
    let f = lint_text("full address:s:h\n# comment\nscreen mode id:I:2\n full address:s:x\nusername:s\n");
    assert_eq!(ids(&f), ["rdpfile.malformed_line"]);
    let e = &find(&f, "rdpfile.malformed_line").evidence;
    assert_eq!(e.len(), 4);
    assert!(e[0].starts_with("line 2: `# comment`: no `:`"), "{e:?}");
    assert!(e[1].starts_with("line 3: `screen mode id:I:2`: type `I` is not s, i or b"), "{e:?}");
    assert!(e[2].starts_with("line 4: ` full address:s:x`: spaces around the name"), "{e:?}");
    assert!(e[3].starts_with("line 5: `username:s`: only `name:type`"), "{e:?}");
}

#[test]
fn names_types_and_values() {
    let f = lint_text(
        "full address:s:h\nfull adress:s:h2\nmy custom thing:s:1\nScreen Mode ID:i:2\nscreen mode id:s:2\ndesktopwidth:i:wide\nsession bpp:i:12\npassword 51:b:XYZ\n",
    );
    assert_eq!(
        ids(&f),
        [
            "rdpfile.duplicate_setting",
            "rdpfile.invalid_value",
            "rdpfile.possible_typo",
            "rdpfile.saved_password",
            "rdpfile.value_out_of_range",
            "rdpfile.wrong_type",
            "rdpfile.nonstandard_name",
            "rdpfile.unknown_setting",
        ],
        "{f:#?}"
    );
    assert_eq!(
        find(&f, "rdpfile.possible_typo").evidence[0],
        "line 2: `full adress` is not a known setting; did you mean `full address`?"
    );
    assert_eq!(
        find(&f, "rdpfile.wrong_type").evidence[0],
        "line 5: `screen mode id:s:2`: `screen mode id` is integer (i), not text (s)"
    );
    assert_eq!(
        find(&f, "rdpfile.value_out_of_range").evidence[0],
        "line 7: `session bpp:i:12`: 12 is not one of 8, 15, 16, 24, 32 (allowed: 8 = 8 bits per pixel; 15 = 15 bits per pixel; 16 = 16 bits per pixel; 24 = 24 bits per pixel; 32 = 32 bits per pixel)"
    );
    let invalid = &find(&f, "rdpfile.invalid_value").evidence;
    assert_eq!(invalid[0], "line 6: `desktopwidth:i:wide`: `wide` is not a decimal integer");
    assert_eq!(invalid[1], "line 8: `password 51:b:<redacted, 3 characters>`: the value is not valid binary (b)");
    // `Screen Mode ID` and `screen mode id` are the same setting written twice, once with the wrong type:
    // the line with the documented type is the one that counts.
    assert!(
        find(&f, "rdpfile.duplicate_setting").evidence[0]
            .contains("line 4 is the last with the documented type, integer (i)")
    );
}

#[test]
fn duplicates_say_which_line_wins() {
    let f = lint_text("full address:s:a\nusername:s:bob\nfull address:s:b\nusername:s:bob\n");
    assert_eq!(ids(&f), ["rdpfile.duplicate_setting", "rdpfile.duplicate_identical"]);
    assert_eq!(
        find(&f, "rdpfile.duplicate_setting").evidence[0],
        "line 1: `full address` on lines 1: `full address:s:a`, 3: `full address:s:b`; FreeRDP 2.11 uses line 3, the last (observed); mstsc's choice is not documented"
    );
    assert_eq!(find(&f, "rdpfile.duplicate_identical").evidence[0], "line 2: `username` on lines 2, 4, same value");
}

#[test]
fn address_contradictions() {
    assert_eq!(ids(&lint_text("username:s:bob\n")), ["rdpfile.missing_full_address"]);
    assert_eq!(ids(&lint_text("full address:s:  \n")), ["rdpfile.missing_full_address"]);
    for bad in ["h:0", "h:70000", "h:rdp", "https://h/", "two words"] {
        let f = lint_text(&format!("full address:s:{bad}\n"));
        assert_eq!(ids(&f), ["rdpfile.bad_full_address"], "{bad}");
    }
    let f = lint_text("full address:s:h:3390\nserver port:i:3389\n");
    assert_eq!(ids(&f), ["rdpfile.port_conflict"]);
    assert_eq!(
        f[0].evidence[0],
        "line 2: `server port:i:3389`, while line 1 `full address` names port 3390 applies; FreeRDP 2.11 connects to 3389 (observed)"
    );
    assert!(lint_text("full address:s:h\nserver port:i:3389\n").is_empty(), "the same port twice is no conflict");
}

#[test]
fn gateway_contradictions() {
    let f = lint_text("full address:s:h\ngatewayusagemethod:i:1\ngatewayhostname:s:\n");
    assert_eq!(ids(&f), ["rdpfile.gateway_without_host"]);
    assert_eq!(f[0].severity, Severity::Fail);
    assert_eq!(
        f[0].evidence[0],
        "line 2: `gatewayusagemethod:i:1` but no gateway is named (line 3: `gatewayhostname:s:`)"
    );
    let f = lint_text("full address:s:h\ngatewayusagemethod:i:0\ngatewayhostname:s:gw.example\n");
    assert_eq!(ids(&f), ["rdpfile.gateway_host_unused"]);
    let f =
        lint_text("full address:s:h\ngatewayusagemethod:i:1\ngatewayhostname:s:gw\ngatewayprofileusagemethod:i:0\n");
    assert_eq!(ids(&f), ["rdpfile.gateway_profile_default"]);
    let f = lint_text(
        "full address:s:h\ngatewayusagemethod:i:1\ngatewayhostname:s:https://gw.example/\ngatewayprofileusagemethod:i:1\n",
    );
    assert_eq!(ids(&f), ["rdpfile.invalid_value"]);
    assert!(
        lint_text(
            "full address:s:h\ngatewayusagemethod:i:1\ngatewayhostname:s:gw:443\ngatewayprofileusagemethod:i:1\n"
        )
        .is_empty()
    );
}

#[test]
fn credssp_and_server_authentication() {
    let f =
        lint_text("full address:s:h\nenablecredsspsupport:i:0\nkdcproxyname:s:kdc.example\ntargetisaadjoined:i:1\n");
    assert_eq!(ids(&f), ["rdpfile.credssp_disabled", "rdpfile.credssp_disabled_conflict"]);
    assert_eq!(find(&f, "rdpfile.credssp_disabled_conflict").evidence.len(), 2);
    assert!(lint_text("full address:s:h\nenablecredsspsupport:i:1\nkdcproxyname:s:kdc.example\n").is_empty());
    let f = lint_text("full address:s:h\nauthentication level:i:0\n");
    assert_eq!(ids(&f), ["rdpfile.server_auth_disabled"]);
    let f = lint_text("full address:s:h\nauthentication level:i:1\n");
    assert_eq!(f[0].evidence[0], "line 2: `authentication level:i:1`: if server authentication fails, do not connect");
    assert_eq!(ids(&lint_text("full address:s:h\nauthentication level:i:7\n")), ["rdpfile.value_out_of_range"]);
}

#[test]
fn display_contradictions() {
    for (extra, expect) in [
        ("selectedmonitors:s:0,1\n", "requires `use multimon:i:1`; `use multimon` not set"),
        ("use multimon:i:0\nsinglemoninwindowedmode:i:1\n", "requires `use multimon:i:1`; line 2: `use multimon:i:0`"),
        ("use multimon:i:1\nspan monitors:i:1\n", "two different modes"),
        (
            "desktop size id:i:2\ndesktopwidth:i:1920\n",
            "`desktop size id:i:2` (1024 x 768) but line 3: `desktopwidth:i:1920`",
        ),
        ("smart sizing:i:1\ndynamic resolution:i:1\n", "scale the picture"),
    ] {
        let f = lint_text(&format!("full address:s:h\n{extra}"));
        assert_eq!(ids(&f), ["rdpfile.display_conflict"], "{extra}");
        assert!(f[0].evidence[0].contains(expect), "{extra}: {}", f[0].evidence[0]);
    }
    assert!(lint_text("full address:s:h\nuse multimon:i:1\nselectedmonitors:s:0,1\n").is_empty());
    assert!(lint_text("full address:s:h\ndesktop size id:i:2\ndesktopwidth:i:1024\ndesktopheight:i:768\n").is_empty());
    let f = lint_text("full address:s:h\nnetworkautodetect:i:1\nbandwidthautodetect:i:0\n");
    assert_eq!(ids(&f), ["rdpfile.autodetect_conflict"]);
}

#[test]
fn passwords_are_findings_and_never_printed() {
    let blob = "01000000D08C9DDF0115D1118C7A00C04FC297EB0100000052A9E191EA8E2A4B";
    let f = lint_text(&format!(
        "full address:s:h\nusername:s:bob\nprompt for credentials:i:0\npassword 51:b:{blob}\npassword:s:hunter2\n"
    ));
    assert_eq!(ids(&f), ["rdpfile.cleartext_password", "rdpfile.saved_password", "rdpfile.no_credential_prompt"]);
    assert_eq!(
        find(&f, "rdpfile.saved_password").evidence[0],
        "line 4: `password 51:b:<redacted, 64 characters>` (DPAPI-encrypted; never shown)"
    );
    let all = format!("{f:?}{}", serde_json::to_string(&f).unwrap_or_default());
    assert!(!all.contains("D08C9DDF") && !all.contains("hunter2"), "a secret leaked: {all}");
}

#[test]
fn empty_and_garbage_files() {
    assert_eq!(ids(&lint_bytes(b"")), ["rdpfile.empty"]);
    let f = lint_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    assert!(ids(&f).contains(&"rdpfile.empty"), "{:?}", ids(&f));
    assert!(!ids(&f).contains(&"rdpfile.missing_full_address"), "one finding says it: the file is empty");
}

#[test]
fn many_occurrences_are_capped() {
    let text: String = (0..100).map(|i| format!("junk line {i}\n")).collect();
    let f = lint_text(&format!("full address:s:h\n{text}"));
    let m = find(&f, "rdpfile.malformed_line");
    assert_eq!(m.evidence.len(), super::MAX_EVIDENCE + 1);
    assert_eq!(m.evidence.last().map(String::as_str), Some("… and 75 more"));
    assert_eq!(m.summary, "Lines that are not `name:type:value`: 100 occurrences, the first on line 2");
}

/// Regression: per-line work must stay constant (anomaly de-duplication and "which line counts" were
/// once quadratic; 16 MiB of random bytes took minutes). No timing assertion: a quadratic pass here
/// makes the suite crawl visibly.
#[test]
fn large_corrupt_files_stay_linear() {
    // 50,000 distinct settings, each with 0x81 (undefined in Windows-1252) in its name.
    let mut bytes = Vec::new();
    for i in 0..50_000 {
        bytes.extend_from_slice(format!("k{i} ").as_bytes());
        bytes.push(0x81);
        bytes.extend_from_slice(format!(":i:{i}\n").as_bytes());
    }
    let file = RdpFile::parse(&bytes);
    assert_eq!(file.lines.len(), 50_000);
    let f = lint(&file);
    let invalid = find(&f, "rdpfile.invalid_encoding");
    assert!(invalid.summary.ends_with("50000 occurrences, the first on line 1"), "{}", invalid.summary);
    let report = crate::report::LintReport::new("big.rdp", &file);
    assert_eq!(report.settings.len(), 50_000);
    assert!(report.settings.iter().all(|s| s.effective));
}
