//! `rdpfile lint|clean|new|explain` and `check FILE.rdp`, end to end through the binary. `check` runs
//! against IronRDP's acceptor in process (loopback only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};
use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::cargo_bin("rdp-doctor").unwrap();
    c.timeout(Duration::from_secs(60)).env("NO_COLOR", "1");
    c
}

fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut b = vec![0xFF, 0xFE];
    b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    b
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("no JSON ({e}): {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

fn ids(v: &Value) -> Vec<String> {
    v["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
}

const MSTSC_SAVED: &[u8] = include_bytes!("../../rdp-doctor-rdpfile/tests/data/mstsc-saved.rdp");

#[test]
fn lint_exit_codes_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.rdp", MSTSC_SAVED);
    let out = bin().args(["rdpfile", "lint"]).arg(&good).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Verdict: ok"));

    let bad = write(dir.path(), "bad.rdp", b"full address:s:h\ngatewayusagemethod:i:1\nfoo\n");
    let out = bin().args(["rdpfile", "lint", "--json"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["kind"], "rdpfile_lint");
    assert_eq!(v["verdict"], "rdpfile.gateway_without_host");
    assert_eq!(v["file"]["encoding"], "utf-8");
    assert_eq!(v["file"]["line_ending"], "lf");
    assert_eq!(ids(&v), ["rdpfile.gateway_without_host", "rdpfile.malformed_line"]);
    assert_eq!(v["findings"][1]["evidence"][0], "line 3: `foo`: no `:` separating name, type and value");
    assert!(!v["findings"][0]["remedies"].as_array().unwrap().is_empty());
    let out = bin().args(["rdpfile", "lint", "--fail-on", "never"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = bin().args(["rdpfile", "lint", "--fail-on", "fail"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "gateway_without_host is a fail");

    let out = bin().args(["rdpfile", "lint"]).arg(dir.path().join("missing.rdp")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn lint_reads_every_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let text = "full address:s:h\r\nusername:s:J\u{fc}rgen\r\n";
    let mut utf16be = vec![0xFE, 0xFF];
    utf16be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("utf16le-bom", utf16le_bom(text), "utf-16le-bom"),
        ("utf16le", utf16le_bom(text)[2..].to_vec(), "utf-16le"),
        ("utf16be", utf16be, "utf-16be-bom"),
        ("utf8-bom", [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(), "utf-8-bom"),
        ("cp1252", b"full address:s:h\r\nusername:s:J\xfcrgen\r\n".to_vec(), "windows-1252"),
    ];
    for (name, bytes, encoding) in cases {
        let p = write(dir.path(), &format!("{name}.rdp"), &bytes);
        let v = json(&bin().args(["rdpfile", "lint", "--json"]).arg(&p).output().unwrap());
        assert_eq!(v["file"]["encoding"], encoding, "{name}");
        assert_eq!(v["settings"][1]["value"], "Jürgen", "{name}");
        assert_eq!(v["file"]["line_ending"], "crlf", "{name}");
    }
}

#[test]
fn passwords_never_reach_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "pw.rdp",
        &utf16le_bom("full address:s:h\r\npassword 51:b:01000000D08C9DDF0115D111\r\npassword:s:hunter2\r\n"),
    );
    for args in [vec!["rdpfile", "lint"], vec!["rdpfile", "lint", "--json", "-v"], vec!["rdpfile", "lint", "-v"]] {
        let out = bin().args(&args).arg(&p).output().unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(all.contains("rdpfile.saved_password") && all.contains("rdpfile.cleartext_password"), "{all}");
        assert!(!all.contains("D08C9DDF") && !all.contains("hunter2"), "secret printed with {args:?}: {all}");
    }
    let out = bin().args(["rdpfile", "clean", "--json", "-o"]).arg(dir.path().join("c.rdp")).arg(&p).output().unwrap();
    let all = String::from_utf8_lossy(&out.stdout);
    assert!(!all.contains("D08C9DDF") && !all.contains("hunter2"), "{all}");
    let written = fs::read(dir.path().join("c.rdp")).unwrap();
    assert_eq!(written, utf16le_bom("full address:s:h\r\n"), "passwords are never copied");
}

#[test]
fn clean_writes_mstsc_format_and_lints_clean() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "messy.rdp",
        b"screen mode id:i:1\nfull address:s:rds1.corp.example\nserver port:i:3390\nfoo bar\nusername:s:alice\nusername:s:bob\nsmart sizing:i:1\n",
    );
    let before = fs::read(&input).unwrap();
    let out_path = dir.path().join("clean.rdp");
    let out = bin().args(["rdpfile", "clean"]).arg(&input).arg("-o").arg(&out_path).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Kept") && text.contains("Dropped"), "{text}");
    assert!(text.contains("line 4     foo bar  — malformed"), "{text}");
    let written = fs::read(&out_path).unwrap();
    assert_eq!(
        written,
        utf16le_bom("full address:s:rds1.corp.example:3390\r\nusername:s:bob\r\nscreen mode id:i:1\r\n")
    );
    assert_eq!(fs::read(&input).unwrap(), before, "the input is untouched");
    let out = bin().args(["rdpfile", "lint", "--fail-on", "info"]).arg(&out_path).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    // JSON lists kept and dropped lines.
    let out = bin().args(["rdpfile", "clean", "--json"]).arg(&input).arg("-o").arg(&out_path).output().unwrap();
    let v = json(&out);
    assert_eq!(v["kind"], "rdpfile_clean");
    assert_eq!(v["kept"][0]["setting"], "full address:s:rds1.corp.example:3390");
    assert_eq!(v["dropped"].as_array().unwrap().len(), 4);
}

#[test]
fn clean_never_overwrites_the_input_unless_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "a.rdp", b"full address:s:h\nfoo\n");
    let before = fs::read(&input).unwrap();
    for same in [input.clone(), dir.path().join(".").join("a.rdp")] {
        let out = bin().args(["rdpfile", "clean"]).arg(&input).arg("-o").arg(&same).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to overwrite the input"));
    }
    assert_eq!(fs::read(&input).unwrap(), before);
    assert_eq!(
        bin().args(["rdpfile", "clean"]).arg(&input).output().unwrap().status.code(),
        Some(2),
        "-o or --in-place"
    );
    let both = bin().args(["rdpfile", "clean", "--in-place", "-o", "x.rdp"]).arg(&input).output().unwrap();
    assert_eq!(both.status.code(), Some(2));

    let out = bin().args(["rdpfile", "clean", "--in-place"]).arg(&input).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(fs::read(dir.path().join("a.rdp.bak")).unwrap(), before, "the backup is the original");
    assert_eq!(fs::read(&input).unwrap(), utf16le_bom("full address:s:h\r\n"));
    let again = bin().args(["rdpfile", "clean", "--in-place"]).arg(&input).output().unwrap();
    assert_eq!(again.status.code(), Some(2), "an existing backup is never overwritten");
    assert_eq!(fs::read(dir.path().join("a.rdp.bak")).unwrap(), before);

    let noaddr = write(dir.path(), "n.rdp", b"username:s:bob\n");
    let out = bin().args(["rdpfile", "clean", "-o"]).arg(dir.path().join("n2.rdp")).arg(&noaddr).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.path().join("n2.rdp").exists());
}

#[test]
fn new_creates_minimal_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(dir.path())
        .args(["rdpfile", "new", "rds1.corp.example", "--gateway", "gw.corp.example", "--user", "CORP\\alice"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let p = dir.path().join("rds1.corp.example.rdp");
    assert_eq!(
        fs::read(&p).unwrap(),
        utf16le_bom(
            "full address:s:rds1.corp.example\r\nusername:s:CORP\\alice\r\ngatewayhostname:s:gw.corp.example\r\ngatewayusagemethod:i:1\r\ngatewayprofileusagemethod:i:1\r\n"
        )
    );
    let again = bin().current_dir(dir.path()).args(["rdpfile", "new", "rds1.corp.example"]).output().unwrap();
    assert_eq!(again.status.code(), Some(2), "never replaces a file without --force");
    let forced = bin()
        .current_dir(dir.path())
        .args(["rdpfile", "new", "rds1.corp.example", "--force", "--json"])
        .output()
        .unwrap();
    let v = json(&forced);
    assert_eq!(v["kind"], "rdpfile_new");
    assert_eq!(v["settings"][0]["value"], "rds1.corp.example");
    let stdout = bin().args(["rdpfile", "new", "[::1]:3390", "-o", "-"]).output().unwrap();
    assert_eq!(stdout.stdout, utf16le_bom("full address:s:[::1]:3390\r\n"));
    for bad in [vec!["rdpfile", "new", "bad host"], vec!["rdpfile", "new", "h", "--gateway", "https://gw/"]] {
        assert_eq!(bin().current_dir(dir.path()).args(&bad).output().unwrap().status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn explain_knows_every_setting() {
    let out = bin().args(["rdpfile", "explain", "gatewayusagemethod"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2 = use an RD Gateway server if a direct connection cannot be made"), "{text}");
    let out = bin().args(["rdpfile", "explain", "full", "address", "--json"]).output().unwrap();
    assert_eq!(json(&out)["type"], "s");
    let out = bin().args(["rdpfile", "explain", "fulladdress"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Did you mean `full address`?"));
    let list = json(&bin().args(["rdpfile", "explain", "--json"]).output().unwrap());
    assert!(list.as_array().unwrap().len() > 80);
}

fn server(cert: CertSpec, security: Security) -> TestServer {
    TestServer::start(TestServerConfig { bind: "127.0.0.1:0".parse().unwrap(), cert, security }).unwrap()
}

fn check(file: &Path, extra: &[&str]) -> (Value, Option<i32>) {
    let out = bin().args(["check", "--json", "--timeout", "5s"]).arg(file).args(extra).output().unwrap();
    (json(&out), out.status.code())
}

#[test]
fn check_file_uses_the_files_address_for_certificate_names() {
    let srv = server(CertSpec::OtherName("rds1.corp.example".into()), Security::Tls);
    let dir = tempfile::tempdir().unwrap();
    let port = srv.addr().port();
    let f = write(dir.path(), "srv.rdp", &utf16le_bom(&format!("full address:s:127.0.0.1:{port}\r\nfoo\r\n")));
    let (v, code) = check(&f, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(v["target"]["host"], "127.0.0.1");
    assert_eq!(v["target"]["port"], port);
    assert_eq!(v["target"]["input"], f.display().to_string());
    assert_eq!(v["evidence"]["tls"]["server_name"], "127.0.0.1");
    assert_eq!(v["source_file"]["encoding"], "utf-16le-bom");
    assert_eq!(v["source_file"]["settings"], 1);
    let found = ids(&v);
    assert!(found.contains(&"cert.name_mismatch".to_owned()), "{found:?}");
    assert!(found.contains(&"rdpfile.malformed_line".to_owned()), "lint findings join the report: {found:?}");
    let layers: Vec<&str> = v["layers"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert!(!layers.contains(&"rdpfile"), "lint adds findings, not layers: {layers:?}");
    drop(srv);

    // A certificate for the file's address: no name mismatch.
    let srv = server(CertSpec::OtherName("127.0.0.1".into()), Security::Tls);
    let f = write(dir.path(), "ok.rdp", format!("full address:s:127.0.0.1:{}\n", srv.addr().port()).as_bytes());
    let (v, _) = check(&f, &[]);
    assert!(!ids(&v).contains(&"cert.name_mismatch".to_owned()), "{:?}", ids(&v));
    assert_eq!(v["layers"][3]["status"], "warn", "self-signed, untrusted; the TLS layer was reached");
}

#[test]
fn check_file_offers_what_the_file_allows() {
    let srv = server(CertSpec::Valid, Security::Hybrid { username: "u".into(), password: "p".into() });
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "nonla.rdp",
        format!("full address:s:127.0.0.1:{}\nenablecredsspsupport:i:0\n", srv.addr().port()).as_bytes(),
    );
    let (v, code) = check(&f, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(v["verdict"], "nego.hybrid_required_by_server", "{:?}", ids(&v));
    assert_eq!(v["evidence"]["x224"]["requested_protocols"], 1, "TLS only, as the file says");
    assert!(ids(&v).contains(&"rdpfile.credssp_disabled".to_owned()));
    assert!(
        v["limitations"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("enablecredsspsupport:i:0"))
    );
    // An explicit --protocols wins, and the report says so.
    let (v, _) = check(&f, &["--protocols", "ssl,hybrid"]);
    assert_eq!(v["evidence"]["x224"]["requested_protocols"], 3);
    assert!(
        v["limitations"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("--protocols ssl,hybrid"))
    );
}

#[test]
fn check_file_joins_authentication_level_and_certificate() {
    let srv = server(CertSpec::Valid, Security::Tls);
    let dir = tempfile::tempdir().unwrap();
    let port = srv.addr().port();
    let strict = write(
        dir.path(),
        "strict.rdp",
        format!("full address:s:127.0.0.1:{port}\nauthentication level:i:1\n").as_bytes(),
    );
    let (v, code) = check(&strict, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(v["verdict"], "rdpfile.auth_level_refuses_certificate", "{:?}", ids(&v));
    assert_eq!(v["max_severity"], "fail");
    let f = &v["findings"][0];
    assert_eq!(f["layer"], "rdpfile");
    assert!(f["evidence"][0].as_str().unwrap().starts_with("line 2: `authentication level:i:1`"), "{f}");
    let lenient = write(
        dir.path(),
        "warn.rdp",
        format!("full address:s:127.0.0.1:{port}\nauthentication level:i:2\n").as_bytes(),
    );
    let (v, _) = check(&lenient, &[]);
    assert!(!ids(&v).contains(&"rdpfile.auth_level_refuses_certificate".to_owned()));
}

#[test]
fn check_file_states_gateway_and_missing_address() {
    let dir = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let gw = write(
        dir.path(),
        "gw.rdp",
        format!("full address:s:rdp.corp.example\ngatewayhostname:s:127.0.0.1:{closed}\ngatewayusagemethod:i:1\ngatewayprofileusagemethod:i:1\n")
            .as_bytes(),
    );
    // The file always uses the gateway: the gateway (closed here) is checked, not the direct path.
    let (v, code) = check(&gw, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(v["verdict"], "gateway.unreachable");
    assert!(v["evidence"]["tcp"].is_null());
    assert!(
        v["limitations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains(&format!("RD Gateway 127.0.0.1:{closed}")))
    );

    let none = write(dir.path(), "none.rdp", b"username:s:bob\n");
    let (v, code) = check(&none, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(v["verdict"], "rdpfile.missing_full_address");
    assert!(v["evidence"]["tcp"].is_null(), "nothing was probed");
    let out = bin().args(["check"]).arg(dir.path().join("absent.rdp")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
