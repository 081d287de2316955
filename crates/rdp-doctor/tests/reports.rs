//! Report formats end to end: `--format text|json|markdown|html` (and `--json`) on `check` (via `demo`)
//! and `capture`, `-o FILE` written atomically and never over an input, Markdown of corpus captures
//! against reviewed snapshots, and the one-screen terminal view.
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::cargo_bin("rdp-doctor").unwrap();
    c.timeout(Duration::from_secs(60)).env("NO_COLOR", "1");
    c
}

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rdp-doctor-pcap/tests/data")
}

fn expected(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/reports").join(name)
}

/// `RDP_DOCTOR_BLESS=1` rewrites the expected file after a deliberate change (review the diff).
fn snapshot(name: &str, got: &str) {
    let path = expected(name);
    if std::env::var_os("RDP_DOCTOR_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (bless it)", path.display()));
    if want != got {
        let line = want.lines().zip(got.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{name} differs from {} at line {}:\nwant: {:?}\n got: {:?}\n(RDP_DOCTOR_BLESS=1 after review)",
            path.display(),
            line + 1,
            want.lines().nth(line),
            got.lines().nth(line)
        );
    }
}

/// Runs `capture` on a corpus file by its path relative to the corpus (so the report names it the same
/// everywhere).
fn capture(rel: &str, args: &[&str]) -> std::process::Output {
    bin().current_dir(data_dir()).arg("capture").arg(rel).args(args).output().unwrap()
}

#[test]
fn markdown_of_corpus_captures_matches_the_reviewed_snapshots() {
    for (rel, extra, name) in [
        ("zeek/rdp-x509.pcap", &[][..], "zeek_rdp-x509.md"),
        ("keylog/shadow-nla.pcapng", &["--keylog", "keylog/shadow-nla.keys"][..], "keylog_shadow-nla.md"),
        ("zeek/rdp-proprietary-encryption.pcap", &[][..], "zeek_rdp-proprietary-encryption.md"),
        ("nDPI/synscan.pcap", &["--max-listed", "3"][..], "nDPI_synscan.md"),
    ] {
        let mut args = vec!["--format", "markdown"];
        args.extend_from_slice(extra);
        let out = capture(rel, &args);
        assert!(out.status.code().is_some_and(|c| c < 2), "{rel}: {}", String::from_utf8_lossy(&out.stderr));
        let md = String::from_utf8(out.stdout).unwrap();
        assert!(md.contains("## What to do") || !md.contains("**FAIL**"), "{rel}: remedies for a failure");
        snapshot(name, &md);
    }
}

#[test]
fn every_format_of_a_capture_says_the_same_verdict() {
    let rel = "zeek/rdp-proprietary-encryption.pcap";
    let json: Value = serde_json::from_slice(&capture(rel, &["--json"]).stdout).unwrap();
    let json2: Value = serde_json::from_slice(&capture(rel, &["--format", "json"]).stdout).unwrap();
    assert_eq!(json, json2, "--json is --format json");
    let verdict = json["verdict"].as_str().unwrap();
    let text = String::from_utf8(capture(rel, &[]).stdout).unwrap();
    let md = String::from_utf8(capture(rel, &["--format", "markdown"]).stdout).unwrap();
    let html = String::from_utf8(capture(rel, &["--format", "html"]).stdout).unwrap();
    assert!(text.contains(&format!("Verdict: {verdict}")), "{text}");
    assert!(md.contains(&format!("`{verdict}`")), "{md}");
    assert!(html.contains(&format!("<code>{verdict}</code>")), "{html}");
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    for id in ["id=\"verdict\"", "id=\"connections\"", "id=\"c-1\"", "<svg class=\"ladder\"", "id=\"todo\""] {
        assert!(html.contains(id), "{id} missing");
    }
    let out = bin().current_dir(data_dir()).args(["capture", rel, "--json", "--format", "html"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "--json and --format conflict");
}

#[test]
fn output_files_are_written_whole_and_never_over_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("in.pcap");
    std::fs::copy(data_dir().join("zeek/rdp-x509.pcap"), &pcap).unwrap();
    let before = std::fs::read(&pcap).unwrap();
    let html = dir.path().join("report.html");
    let out = bin().arg("capture").arg(&pcap).args(["--format", "html", "-o"]).arg(&html).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "the exit code follows --fail-on: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "with -o nothing goes to stdout");
    assert!(std::fs::read_to_string(&html).unwrap().trim_end().ends_with("</html>"));
    // Over the capture itself, or the key log: refused, the input untouched.
    for (target, extra) in [(&pcap, vec![]), (&pcap, vec!["--format", "markdown"])] {
        let out = bin().arg("capture").arg(&pcap).args(&extra).arg("-o").arg(target).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to write the report over the input file"));
    }
    let keys = dir.path().join("k.keys");
    std::fs::copy(data_dir().join("keylog/shadow-nla.keys"), &keys).unwrap();
    let out = bin().arg("capture").arg(&pcap).arg("--keylog").arg(&keys).arg("-o").arg(&keys).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&pcap).unwrap(), before);
    assert_eq!(std::fs::read(&keys).unwrap(), std::fs::read(data_dir().join("keylog/shadow-nla.keys")).unwrap());
    // Text in a file has no colour codes even when colour is forced.
    let txt = dir.path().join("report.txt");
    let out = bin().arg("--color").arg("always").arg("capture").arg(&pcap).arg("-o").arg(&txt).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&txt).unwrap();
    assert!(text.contains("Verdict:") && !text.contains('\u{1b}'), "{text}");
    // An .rdp file given to check is an input too.
    let rdp = dir.path().join("x.rdp");
    std::fs::write(&rdp, "full address:s:127.0.0.1:1\r\n").unwrap();
    let out = bin().arg("check").arg(&rdp).args(["--timeout", "1s", "-o"]).arg(&rdp).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(&rdp).unwrap(), "full address:s:127.0.0.1:1\r\n");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// The demo in every format: the same diagnosis, the HTML and Markdown with their sections.
#[test]
fn demo_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let md_path = dir.path().join("demo.md");
    let out = bin().args(["demo", "--format", "markdown", "-o"]).arg(&md_path).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "no banner on stderr when writing a report file");
    let md = std::fs::read_to_string(&md_path).unwrap();
    for want in [
        "> **FAIL** `cert.expired`",
        "## Layers",
        "```text",
        "C -> S",
        "✗",
        "## What to do",
        "## The server's certificate",
    ] {
        assert!(md.contains(want), "{want} missing:\n{md}");
    }
    let html = String::from_utf8(bin().args(["demo", "--format", "html"]).output().unwrap().stdout).unwrap();
    for want in [
        "Content-Security-Policy",
        "class=\"banner fail\"",
        "<ol class=\"chain\">",
        "<svg class=\"ladder\"",
        "class=\"hl-fail\"",
        "id=\"certificate\"",
        "class=\"vbar\"",
        "id=\"todo\"",
        "SHA-1 thumbprint",
    ] {
        assert!(html.contains(want), "{want} missing");
    }
    assert!(!html.contains("<script"), "a check page has no script");
    assert!(!html.contains("http://") && !html.contains("https://"), "nothing refers to the network");
}

/// The default terminal view fits one screen: the verdict, the layers, one line per finding, then each
/// remedy once (the first with its steps). `-v` keeps every detail.
#[test]
fn the_terminal_view_fits_a_screen() {
    let out = bin().arg("demo").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() <= 40, "{} lines:\n{text}", text.lines().count());
    assert_brief(&text, "cert.expired");
    let out = bin().args(["demo", "-v"]).output().unwrap();
    let verbose = String::from_utf8(out.stdout).unwrap();
    assert!(verbose.contains("Findings (6)") && verbose.contains("why:") && verbose.contains("SHA-256:"), "{verbose}");
    assert!(verbose.lines().count() > text.lines().count());
}

/// What the brief view must show for a failure whose verdict is `verdict`.
pub fn assert_brief(text: &str, verdict: &str) {
    assert!(text.contains(&format!("Verdict: {verdict} — ")), "{text}");
    let todo = text.split("What to do").nth(1).unwrap_or_else(|| panic!("no What to do:\n{text}"));
    let ids: Vec<&str> = todo
        .lines()
        .filter(|l| l.trim_start().chars().next().is_some_and(|c| c.is_ascii_digit()) && l.contains(". "))
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    assert!(!ids.is_empty(), "{text}");
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "each remedy once: {ids:?}\n{text}");
    assert!(!text.contains("why:"), "explanations are for -v:\n{text}");
}

/// `scan --format html|markdown|text`: the fleet page of real servers (IronRDP's acceptor with an expired,
/// a valid and an other-name certificate, and a closed port), the JSONL beside it with --jsonl, and the
/// list file never overwritten.
#[test]
fn scan_writes_the_fleet_page() {
    use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};
    let start = |cert| {
        TestServer::start(TestServerConfig { bind: "127.0.0.1:0".parse().unwrap(), cert, security: Security::Tls })
            .unwrap()
    };
    let servers =
        [start(CertSpec::ExpiredYesterday), start(CertSpec::Valid), start(CertSpec::OtherName("rds9".into()))];
    let closed = rdp_doctor_lab::closed_port();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("fleet.txt");
    let mut text: String = servers.iter().map(|s| format!("{},,site-a\n", s.addr())).collect();
    text.push_str(&format!("{closed}\n"));
    std::fs::write(&list, &text).unwrap();
    let page = dir.path().join("fleet.html");
    let jsonl = dir.path().join("fleet.jsonl");
    let out = bin()
        .args(["scan", "--progress", "never", "--timeout", "3s", "--format", "html", "--iL"])
        .arg(&list)
        .arg("-o")
        .arg(&page)
        .arg("--jsonl")
        .arg(&jsonl)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("4"), "the summary goes to stdout when -o is a file");
    assert_eq!(std::fs::read_to_string(&jsonl).unwrap().lines().count(), 4);
    for want in [
        "id=\"verdicts\"",
        "id=\"expiry\"",
        "<table class=\"hosts\">",
        "id=\"todo\"",
        "cert.expired",
        "tcp.refused",
        "[site-a]",
    ] {
        assert!(html.contains(want), "{want} missing");
    }
    assert_eq!(html.matches("<tr class=").count(), 4, "one row per host");
    assert_eq!(html.matches("<script>").count(), 1, "only the sort script");
    let md = bin()
        .args(["scan", "--progress", "never", "--no-summary", "--timeout", "3s", "--format", "markdown", "--iL"])
        .arg(&list)
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.starts_with("# rdp-doctor: scan of 4 host(s)") && md.contains("| `tcp.refused` | 1 |"), "{md}");
    let out = bin().args(["scan", "--progress", "never", "--format", "text", "--iL"]).arg(&list).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("{\"schema_version\""), "text is the summary, not JSONL: {text}");
    let out = bin()
        .args(["scan", "--progress", "never", "--format", "html", "--iL"])
        .arg(&list)
        .arg("-o")
        .arg(&list)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&list).unwrap(), text_of(&servers, closed));
}

fn text_of(servers: &[rdp_doctor_testserver::TestServer], closed: std::net::SocketAddr) -> String {
    let mut t: String = servers.iter().map(|s| format!("{},,site-a\n", s.addr())).collect();
    t.push_str(&format!("{closed}\n"));
    t
}

/// What a capture shows as a whole comes before its connections in every format (issue 15): the dominant
/// pattern and the pattern's finding (with its remedies under What to do), the causal chains per client,
/// and each connection marked as part of a pattern or as the consequence of an earlier one. The renderers
/// only read the report: the JSON has the same fields.
#[test]
fn file_level_sections_come_before_the_connections_in_every_format() {
    let pos = |hay: &str, needle: &str, what: &str| {
        hay.find(needle).unwrap_or_else(|| panic!("{what}: {needle:?} missing:\n{hay}"))
    };
    // A real SYN scan: a pattern, and two probes of 3389 linked as one chain.
    let rel = "nDPI/synscan.pcap";
    let json: Value = serde_json::from_slice(&capture(rel, &["--json"]).stdout).unwrap();
    assert_eq!(json["patterns"][0]["id"], "pattern.scan");
    let dominant = json["dominant_pattern"].as_str().unwrap();
    assert!(dominant.starts_with("pattern.scan: port scan: 172.16.0.8"), "{dominant}");
    assert_eq!(json["chains"][0]["summary"], "#15 tcp.filtered → #18 tcp.filtered");
    assert_eq!(json["connections"][1]["chain"]["caused_by"], 15);
    assert_eq!(json["connections"][0]["pattern"], "pattern.scan");

    let md = String::from_utf8(capture(rel, &["--format", "markdown"]).stdout).unwrap();
    let d = pos(&md, &format!("Dominant pattern: {dominant}"), "markdown");
    let p = pos(&md, "## Patterns across the file", "markdown");
    let f = pos(&md, "#### WARN `pattern.scan`", "markdown");
    let ch = pos(&md, "## Causal chains", "markdown");
    let c = pos(&md, "## Connections", "markdown");
    assert!(d < p && p < f && f < ch && ch < c, "markdown order: {d} {p} {f} {ch} {c}");
    assert!(md.contains("(consequence of #15) (part of `pattern.scan`)"), "{md}");
    let todo = &md[pos(&md, "## What to do", "markdown")..];
    assert!(todo.contains("network.block_source"), "the pattern's remedies are under What to do:\n{todo}");

    let html = String::from_utf8(capture(rel, &["--format", "html"]).stdout).unwrap();
    let p = pos(&html, "<section id=\"patterns\">", "html");
    let d = pos(&html, "Dominant pattern: pattern.scan: port scan: 172.16.0.8", "html");
    let ch = pos(&html, "<section id=\"chains\">", "html");
    let c = pos(&html, "<section id=\"connections\">", "html");
    assert!(p < d && d < ch && ch < c, "html order: {p} {d} {ch} {c}");
    assert!(html.contains("#15 tcp.filtered → #18 tcp.filtered"), "the chain's summary");
    assert!(html.contains(" consequence of #15") && html.contains(" part of pattern.scan"));
    // No field of the report left to the "other fields" dump.
    assert!(!html.contains("dominant_pattern"), "dominant_pattern shown as an unknown field");

    let text = String::from_utf8(capture(rel, &[]).stdout).unwrap();
    let d = pos(&text, "pattern.scan", "text");
    let c = pos(&text, "#15 ", "text");
    assert!(d < c, "text: the pattern before the connections:\n{text}");

    // A retry chain without a pattern: the TLS refusal is the root, the Standard RDP Security retry its
    // consequence, in every format.
    let rel = "zeek/rdp-proprietary-encryption.pcap";
    let json: Value = serde_json::from_slice(&capture(rel, &["--json"]).stdout).unwrap();
    assert!(json.get("patterns").is_none() && json.get("dominant_pattern").is_none(), "{json}");
    assert_eq!(json["chains"][0]["root"], 1);
    let md = String::from_utf8(capture(rel, &["--format", "markdown"]).stdout).unwrap();
    assert!(!md.contains("## Patterns across the file") && !md.contains("Dominant pattern"));
    assert!(pos(&md, "## Causal chains", "markdown") < pos(&md, "## Connections", "markdown"));
    let html = String::from_utf8(capture(rel, &["--format", "html"]).stdout).unwrap();
    assert!(!html.contains("id=\"patterns\""));
    assert!(pos(&html, "<section id=\"chains\">", "html") < pos(&html, "<section id=\"connections\">", "html"));
    assert!(html.contains("#1 nego.ssl_not_allowed_by_server → #2 sec.rdp_proprietary_certificate"), "{html}");
}
