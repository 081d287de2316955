//! The HTML reports in a real browser: Debian's Chromium, headless, opens reports generated here — the
//! demo, a check of a real xrdp lab server, two real captures from the test data (one decrypted with its
//! key log), a host report from a real hive, a scan of IronRDP's acceptor, a credentialed run ended by Set
//! Error Info, a check through the scripted RD Gateway and one of a silent server — and for each shows no
//! console error, no request beyond the file itself, the key elements in the DOM, no inline event handler,
//! no sideways scrolling on a phone, a dark background in the dark scheme, and a PDF on A4 and on Letter;
//! the scan page's table is there with JavaScript off and sorts with it on. Screenshots land in the test's
//! target temporary directory.
//!
//! The first two tests need root (the lab's xrdp, a firewalled namespace); all need the packages
//! scripts/test.sh installs (chromium among them).
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use rdp_doctor_lab::{Browser, XrdpVariant};

fn bin() -> Command {
    let mut c = Command::cargo_bin("rdp-doctor").unwrap();
    c.timeout(Duration::from_secs(90)).env("NO_COLOR", "1");
    c
}

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rdp-doctor-pcap/tests/data").join(rel)
}

/// Where screenshots are kept for people to look at.
fn shots() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs the binary with `args` plus `-o out`; the report must have been written.
fn report(args: &[&str], out: &Path) {
    let o = bin().args(args).arg("-o").arg(out).output().unwrap();
    assert!(o.status.code().is_some_and(|c| c < 2), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    assert!(out.exists(), "{args:?} wrote nothing");
}

/// Everything a report page must satisfy in the browser, at desktop and phone widths, light and dark,
/// and printed. `selectors` must each match an element; `scripts` is how many `<script>` the page has.
pub fn check_page(b: &mut Browser, page: &Path, selectors: &[&str], scripts: u64) {
    let name = page.file_stem().unwrap().to_string_lossy().into_owned();
    b.javascript(true).unwrap();
    b.media("light", "screen").unwrap();
    b.viewport(1000, 900, false).unwrap();
    let load = b.open(page).unwrap();
    assert!(load.errors.is_empty(), "{name}: console errors {:?}", load.errors);
    let url = format!("file://{}", std::fs::canonicalize(page).unwrap().display());
    assert!(load.requests.iter().all(|r| *r == url), "{name}: requests beyond the file: {:?}", load.requests);
    for sel in selectors {
        let found = b.eval(&format!("document.querySelector({}) !== null", serde_json::to_string(sel).unwrap()));
        assert_eq!(found.unwrap(), true, "{name}: {sel} missing from the DOM");
    }
    assert_eq!(b.eval("document.querySelectorAll('script').length").unwrap(), scripts, "{name}: scripts");
    let handlers =
        "[...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length";
    assert_eq!(b.eval(handlers).unwrap(), 0, "{name}: an element with an inline event handler");
    let dark_bg = "getComputedStyle(document.body).backgroundColor";
    assert_eq!(b.eval(dark_bg).unwrap(), "rgb(255, 255, 255)", "{name}: light scheme");
    b.screenshot(&shots().join(format!("{name}-desktop.png")), Some(1600)).unwrap();
    b.media("dark", "screen").unwrap();
    assert_eq!(b.eval(dark_bg).unwrap(), "rgb(13, 17, 23)", "{name}: dark scheme");
    b.screenshot(&shots().join(format!("{name}-dark.png")), None).unwrap();
    // A phone: the page itself never scrolls sideways (wide diagrams scroll inside their own box).
    b.media("light", "screen").unwrap();
    b.viewport(390, 844, true).unwrap();
    let load = b.open(page).unwrap();
    assert!(load.errors.is_empty(), "{name} (phone): {:?}", load.errors);
    let fits = "document.documentElement.scrollWidth <= window.innerWidth + 1";
    assert_eq!(
        b.eval(fits).unwrap(),
        true,
        "{name}: wider than a phone ({})",
        b.eval("document.documentElement.scrollWidth").unwrap()
    );
    b.screenshot(&shots().join(format!("{name}-phone.png")), None).unwrap();
    // Printed on A4 and Letter: in print media the page fits the paper's width, and the PDF has pages.
    b.viewport(1000, 900, false).unwrap();
    for (paper, w, h, css_width) in [("A4", 8.27, 11.69, 703), ("Letter", 8.5, 11.0, 725)] {
        let pdf = b.pdf(w, h).unwrap();
        assert!(pdf.starts_with(b"%PDF"), "{name}: {paper}");
        let pages =
            pdf.windows(b"/Type /Page\n".len()).filter(|x| x.starts_with(b"/Type /Page") && x[11] != b's').count();
        assert!(pages >= 1, "{name}: {paper} PDF without pages");
        b.media("light", "print").unwrap();
        b.viewport(css_width, 1000, false).unwrap();
        assert_eq!(b.eval(fits).unwrap(), true, "{name}: wider than {paper} paper");
    }
    b.media("light", "screen").unwrap();
    b.viewport(1000, 900, false).unwrap();
}

const REPORT: &[&str] = &["#verdict", "ol.chain li", "#todo pre", "footer"];

#[test]
fn reports_open_clean_in_chromium() {
    rdp_doctor_lab::require_root("starting the lab's xrdp").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut b = Browser::start().unwrap();

    let demo = dir.path().join("demo.html");
    report(&["demo", "--format", "html"], &demo);
    let mut want = REPORT.to_vec();
    want.extend(["svg.ladder", "svg.ladder .hl-fail", "#certificate svg.vbar", "#findings article.finding.fail"]);
    check_page(&mut b, &demo, &want, 0);

    // A real server: xrdp with an expired certificate over TLS 1.2.
    let s = rdp_doctor_lab::xrdp(XrdpVariant::ExpiredCertTls12).unwrap();
    let lab = dir.path().join("lab-xrdp-expired.html");
    report(&["check", &s.addr.to_string(), "--tls-name", "localhost", "--samples", "0", "--format", "html"], &lab);
    drop(s);
    check_page(&mut b, &lab, &want, 0);

    // Real captures: a decrypted NLA exchange, and a setup with silences and retransmitted SYNs.
    let nla = dir.path().join("capture-shadow-nla.html");
    let (pcap, keys) = (corpus("keylog/shadow-nla.pcapng"), corpus("keylog/shadow-nla.keys"));
    report(
        &["capture", &pcap.display().to_string(), "--keylog", &keys.display().to_string(), "--format", "html"],
        &nla,
    );
    check_page(&mut b, &nla, &["#verdict", "#connections", "#c-1 svg.ladder", "#certificate", "#todo"], 0);
    let stall = dir.path().join("capture-rdp-x509.html");
    report(&["capture", &corpus("zeek/rdp-x509.pcap").display().to_string(), "--format", "html"], &stall);
    check_page(&mut b, &stall, &["svg.ladder rect.gap", "svg.ladder line.again", "svg.ladder .hl-warn"], 0);

    // A host report from a real SYSTEM hive (regipy's test data, unpacked with xz).
    let hive = dir.path().join("SYSTEM_2");
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rdp-doctor-host/tests/data/hives/SYSTEM_2.xz");
    let xz = rdp_doctor_lab::require("xz").unwrap();
    let out = std::process::Command::new(xz).arg("-dc").arg(src).output().unwrap();
    std::fs::write(&hive, out.stdout).unwrap();
    let host = dir.path().join("host.html");
    report(&["host", "--hive", &hive.display().to_string(), "--format", "html"], &host);
    check_page(&mut b, &host, REPORT, 0);

    // A scan of IronRDP's acceptor: the sortable table, with and without JavaScript.
    use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};
    let start = |cert| {
        TestServer::start(TestServerConfig { bind: "127.0.0.1:0".parse().unwrap(), cert, security: Security::Tls })
            .unwrap()
    };
    let servers = [start(CertSpec::ExpiredYesterday), start(CertSpec::Valid), start(CertSpec::NotYetValid)];
    let mut args: Vec<String> = servers.iter().map(|s| s.addr().to_string()).collect();
    args.push(rdp_doctor_lab::closed_port().to_string());
    let scan = dir.path().join("scan.html");
    let mut cmd: Vec<&str> = vec!["scan", "--progress", "never", "--no-summary", "--format", "html"];
    cmd.extend(args.iter().map(String::as_str));
    report(&cmd, &scan);
    check_page(&mut b, &scan, &["#verdicts", "#expiry svg circle", "table.hosts", "#todo"], 1);
    let rows = "document.querySelectorAll('table.hosts tbody tr').length";
    let buttons = "document.querySelectorAll('table.hosts th button').length";
    assert_eq!(b.eval(rows).unwrap(), 4);
    assert_eq!(b.eval(buttons).unwrap(), 8, "the script made each header a button");
    let days = "[...document.querySelectorAll('table.hosts tbody tr')].map(r => Number(r.cells[6].dataset.v))";
    b.eval("document.querySelectorAll('table.hosts th button')[6].click()").unwrap();
    let sorted: Vec<f64> = serde_json::from_value(b.eval(days).unwrap()).unwrap();
    assert!(sorted.windows(2).all(|w| w[0] <= w[1]), "ascending after one click: {sorted:?}");
    b.eval("document.querySelectorAll('table.hosts th button')[6].click()").unwrap();
    let sorted: Vec<f64> = serde_json::from_value(b.eval(days).unwrap()).unwrap();
    assert!(sorted.windows(2).all(|w| w[0] >= w[1]), "descending after two: {sorted:?}");
    b.javascript(false).unwrap();
    let load = b.open(&scan).unwrap();
    assert!(load.errors.is_empty(), "{:?}", load.errors);
    assert_eq!(b.eval(rows).unwrap(), 4, "the table is there without JavaScript");
    assert_eq!(b.eval(buttons).unwrap(), 0, "and the script did not run");
    b.javascript(true).unwrap();
}

/// The default terminal view of typical lab failures fits one screen (≤ 40 lines) and names each remedy
/// once: an expired certificate on xrdp, a server that requires NLA asked for TLS only (FreeRDP's shadow
/// server), a refused port, and a host behind a DROP firewall.
#[test]
fn lab_failures_fit_a_screen() {
    rdp_doctor_lab::require_root("starting lab servers and a firewalled namespace").unwrap();
    let xrdp = rdp_doctor_lab::xrdp(XrdpVariant::ExpiredCert).unwrap();
    let shadow = rdp_doctor_lab::shadow(rdp_doctor_lab::ShadowVariant::Nla {
        user: "alice".into(),
        password: "S3cret-pw".into(),
    })
    .unwrap();
    let closed = rdp_doctor_lab::closed_port();
    let dropped = rdp_doctor_lab::netns_host(rdp_doctor_lab::Firewall::Drop).unwrap();
    let cases: [(String, Vec<&str>, &str); 4] = [
        (xrdp.addr.to_string(), vec!["--tls-name", "localhost"], "cert.expired"),
        (shadow.addr.to_string(), vec!["--protocols", "ssl"], "nego.hybrid_required_by_server"),
        (closed.to_string(), vec![], "tcp.refused"),
        (dropped.addr.to_string(), vec!["--timeout", "2s"], "tcp.filtered"),
    ];
    for (target, extra, verdict) in &cases {
        let out = bin().arg("check").arg(target).args(extra).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let lines = text.lines().count();
        assert!(lines <= 40, "{verdict}: {lines} lines:\n{text}");
        assert!(text.contains(&format!("Verdict: {verdict} — ")), "{text}");
        let todo = text.split("What to do").nth(1).unwrap_or_else(|| panic!("{verdict}: no What to do:\n{text}"));
        let ids: Vec<&str> = todo
            .lines()
            .filter(|l| {
                l.trim_start().split('.').next().is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            })
            .filter_map(|l| l.split_whitespace().last())
            .collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert!(!ids.is_empty() && unique.len() == ids.len(), "{verdict}: each remedy once: {ids:?}\n{text}");
    }
}

/// The ladders of recorded steps: a credentialed run that IronRDP's acceptor ends with Set Error Info
/// (ERRINFO 7, what mstsc shows as 0x904 / 0x7) and a check through the scripted RD Gateway (no RD Gateway
/// runs on Linux; this is the gateway the tunnel tests check against FreeRDP) whose channel request is
/// refused with E_PROXY_RAP_ACCESSDENIED, relaying to IronRDP's acceptor. Each page: the ladder with its
/// lanes (three through the gateway), refusals drawn as alerts, the failing step highlighted (the Set Error
/// Info, not the ultimatum after it; through the gateway, the verdict is the scripted gateway's self-signed
/// certificate, which the Windows client refuses first, so its TLS answer is the step marked and the
/// channel's refusal is drawn as an alert below it), the same in the Markdown's text ladder, no password
/// anywhere; then the page in Chromium (no root needed).
#[test]
fn ladders_of_a_credentialed_run_and_a_gateway() {
    use rdp_doctor_testserver::{
        CertSpec, GATEWAY_PASSWORD, GATEWAY_USER, GatewayFault, ScriptedGateway, Security, TestServer, TestServerConfig,
    };
    let dir = tempfile::tempdir().unwrap();
    let password = "Run-pw-42";
    let logon = TestServer::start(TestServerConfig::loopback(
        CertSpec::Valid,
        // Another password than the one sent: the acceptor refuses the Client Info with ERRINFO 7.
        Security::TlsLogon { username: "alice".into(), password: "Server-pw-1".into(), errinfo: 7 },
    ))
    .unwrap();
    let target = TestServer::start(TestServerConfig::loopback(
        CertSpec::Valid,
        Security::Hybrid { username: "u".into(), password: "Hybrid-pw-1".into() },
    ))
    .unwrap();
    let gw = ScriptedGateway::start_relay(GatewayFault::ChannelRefused(0x8007_59DA), CertSpec::Valid, target.addr())
        .unwrap();
    let gw_arg = format!("localhost:{}", gw.addr().port());
    let logon_addr = logon.addr().to_string();
    struct Case<'a> {
        name: &'a str,
        args: Vec<&'a str>,
        secret: &'a str,
        verdict: &'a str,
        finding: &'a str,
        /// In the HTML: the ladder's title and the refusal.
        shown: [&'a str; 2],
        /// The label of the step marked as failing, and its arrow in the text ladder.
        marked: &'a str,
        arrow: &'a str,
    }
    let cases = [
        Case {
            name: "session-errinfo",
            args: vec!["check", &logon_addr, "--user", "alice", "--no-matrix", "--samples", "0", "--no-udp"],
            secret: password,
            verdict: "server.denied_connection",
            finding: "server.denied_connection",
            shown: ["The credentialed run as alice", "set_error_info"],
            marked: "set_error_info",
            arrow: "C <- S",
        },
        Case {
            name: "gateway-rap-denied",
            args: vec!["check", "rdp.lab.test", "--gateway", &gw_arg, "--user", GATEWAY_USER, "--samples", "0"],
            secret: GATEWAY_PASSWORD,
            verdict: "cert.self_signed",
            finding: "gateway.rap_denied",
            shown: ["Through the RD Gateway", "HRESULT 0x800759DA E_PROXY_RAP_ACCESSDENIED"],
            marked: "TLS ServerHello",
            arrow: "C <- G",
        },
    ];
    let mut b = Browser::start().unwrap();
    for c in &cases {
        let name = c.name;
        let run = |format: &str| {
            let o =
                bin().args(&c.args).args(["--format", format]).env("RDP_DOCTOR_PASSWORD", c.secret).output().unwrap();
            assert!(o.status.code() == Some(1), "{name} {format}: {}", String::from_utf8_lossy(&o.stderr));
            let out = String::from_utf8(o.stdout).unwrap();
            assert!(!out.contains(c.secret), "{name} {format}: the password leaked");
            out
        };
        let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
        assert_eq!(json["verdict"], c.verdict, "{name}");
        assert!(json["findings"].as_array().unwrap().iter().any(|f| f["id"] == c.finding), "{name}: {}", c.finding);
        let html = run("html");
        for l in c.shown {
            assert!(html.contains(l), "{name}: {l} missing from the HTML:\n{}", run("markdown"));
        }
        let page = dir.path().join(format!("{name}.html"));
        std::fs::write(&page, &html).unwrap();
        check_page(&mut b, &page, &["#verdict", "svg.ladder line.alert", "svg.ladder .hl-fail", "#todo"], 0);
        let mut texts = |sel: &str| -> Vec<String> {
            let js = format!("[...document.querySelectorAll('{sel}')].map(t => t.textContent)");
            serde_json::from_value(b.eval(&js).unwrap()).unwrap()
        };
        let marked = texts("svg.ladder text.marked");
        assert!(!marked.is_empty() && marked.iter().all(|t| t.contains(c.marked)), "{name}: marked {marked:?}");
        let lanes = texts("svg.ladder text.lanehead");
        let md = run("markdown");
        let fail_line = md.lines().find(|l| l.starts_with('✗')).unwrap_or_else(|| panic!("{name}: no ✗ step:\n{md}"));
        assert!(fail_line.contains(c.marked) && fail_line.contains(c.arrow), "{name}: {fail_line}");
        assert!(md.contains(c.shown[1]), "{name}: the refusal in the text ladder:\n{md}");
        if name == "gateway-rap-denied" {
            // What the client sends goes rightwards, the gateway's answers come back.
            for (step, arrow) in [("HTTP_CHANNEL_PACKET", "C -> G"), ("HTTP_CHANNEL_RESPONSE", "C <- G")] {
                let line =
                    md.lines().find(|l| l.contains(&format!("{step}: "))).unwrap_or_else(|| panic!("{step}:\n{md}"));
                assert!(line.contains(arrow), "{line}");
            }
            assert!(
                lanes.len() == 3 && lanes[1].starts_with("RD Gateway") && lanes[2].starts_with("rdp.lab.test:3389"),
                "{lanes:?}"
            );
            assert!(md.contains(&format!("G = RD Gateway {gw_arg}")), "{md}");
            assert!(html.contains("<h3>RD Gateway steps</h3>"), "the gateway's steps in the layer chain");
        }
    }
}

/// A live check whose server accepts the connection and then stays silent (a listener that never answers:
/// what a hung service or a port forwarded to nothing looks like): the ladder draws the X.224 request that
/// got no answer as such (a cut arrow, marked as the failing step), in the page and in the text ladder.
#[test]
fn a_silent_server_is_drawn_as_no_answer() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = done.clone();
    let hold = std::thread::spawn(move || {
        let mut held = Vec::new();
        // Keep what connects open, unanswered, until the checks are over (bounded).
        listener.set_nonblocking(true).unwrap();
        let end = std::time::Instant::now() + Duration::from_secs(120);
        while std::time::Instant::now() < end && !stop.load(std::sync::atomic::Ordering::Relaxed) {
            match listener.accept() {
                Ok((s, _)) => held.push(s),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        held
    });
    let dir = tempfile::tempdir().unwrap();
    let args = ["check", &addr, "--timeout", "1s", "--samples", "0", "--no-udp", "--no-matrix"];
    let page = dir.path().join("silent.html");
    report(&[&args[..], &["--format", "html"]].concat(), &page);
    let md = String::from_utf8(bin().args(args).args(["--format", "markdown"]).output().unwrap().stdout).unwrap();
    let mut b = Browser::start().unwrap();
    check_page(&mut b, &page, &["#verdict", "svg.ladder line.none", "svg.ladder path.cross", "svg.ladder .hl-fail"], 0);
    let marked = b.eval("[...document.querySelectorAll('svg.ladder text.marked')].map(t => t.textContent).join()");
    let marked = marked.unwrap();
    assert!(marked.as_str().unwrap().contains("no answer within"), "the failing step: {marked}");
    let line = md.lines().find(|l| l.starts_with('✗')).unwrap_or_else(|| panic!("no ✗ step:\n{md}"));
    assert!(line.contains("C -> S ?") && line.contains("no answer within"), "{line}");
    drop(b);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = hold.join();
}
