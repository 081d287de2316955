//! Untrusted text stays text. Attacker-chosen strings — `<script>`, `"onmouseover=`, `</style>`, an
//! `<img onerror>`, a Markdown link and a table row, a right-to-left override, a terminal escape and tens
//! of KB of name — reach the report through a certificate (rcgen, served by IronRDP's acceptor), an NTLM
//! CHALLENGE (the scripted NLA peer: a real server will not announce such a name), an .rdp file (a
//! 100 KB value), and a capture whose gateway HTTP reason phrase and headers, TLS SNI and certificate carry
//! them (written here: no real peer sends these). For each: the JSON holds the value (so the test reaches
//! the renderers), the HTML has no markup from it, the Markdown rendered by GitHub's cmark-gfm has no
//! tag, link or extra table cell from it, the text shows no raw control or bidi character — and
//! Chromium opens every HTML page with nothing executed, no request, no error and no sideways scrolling.
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use rdp_doctor_testserver::{CertSpec, ScriptedNla, ScriptedServer, Security, TestServer, TestServerConfig};
use serde_json::Value;

/// Every trick at once (ASCII parts first: SNI and HTTP carry those).
const ASCII: &str = "<script>window.__pwned=1</script>\"onmouseover=window.__pwned=1 x=\"</style><style>body{display:none}</style><img src=x onerror=window.__pwned=1>[click here](https://evil.example/x) | injected | cell |";
const BIDI: &str = "\u{202E}fdp.exe\u{202C}";
const ESC: &str = "\u{1b}]8;;https://evil.example\u{7}";

fn hostile() -> String {
    format!("{ASCII} {BIDI} {ESC}")
}

fn bin() -> Command {
    let mut c = Command::cargo_bin("rdp-doctor").unwrap();
    c.timeout(Duration::from_secs(90)).env("NO_COLOR", "1");
    c
}

fn run(args: &[&str]) -> Vec<u8> {
    let o = bin().args(args).output().unwrap();
    assert!(o.status.code().is_some_and(|c| c < 2), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

/// The HTML has the values as text and no markup made from them.
fn assert_html_safe(name: &str, html: &str) {
    for bad in [
        "<script",
        "<img",
        "\"onmouseover",
        "<style>body",
        "\u{202E}",
        "\u{202C}",
        "\u{1b}",
        "\u{7}",
        "href=\"https://evil",
    ] {
        assert!(!html.contains(bad), "{name}: {bad:?} in the HTML");
    }
    assert_eq!(html.matches("</style>").count(), 1, "{name}: only the page's own style block ends");
    assert!(html.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;"), "{name}: the value is shown as text");
    assert!(html.contains("\\u{202E}"), "{name}: the override is shown, not applied");
    assert!(html.len() < 2 << 20, "{name}: {} bytes", html.len());
}

/// Renders Markdown as GitHub does (cmark-gfm with tables and autolinks, raw HTML allowed through so that
/// any would show) and checks nothing from the values became a tag, a link or a table cell.
fn assert_markdown_safe(name: &str, md: &str, dir: &Path) -> String {
    for bad in ["\u{202E}", "\u{202C}", "\u{1b}", "\u{7}"] {
        assert!(!md.contains(bad), "{name}: raw {bad:?} in the Markdown");
    }
    let file = dir.join(format!("{name}.md"));
    std::fs::write(&file, md).unwrap();
    let cmark = rdp_doctor_lab::require("cmark-gfm").unwrap();
    let out = std::process::Command::new(cmark)
        .args(["--unsafe", "-e", "table", "-e", "autolink", "-e", "strikethrough"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let html = String::from_utf8(out.stdout).unwrap();
    for bad in ["<script", "<img", "<style", "href=\"https://evil"] {
        assert!(!html.contains(bad), "{name}: Markdown made {bad:?}:\n{html}");
    }
    // Every table row has as many cells as its header.
    for table in html.split("<table>").skip(1) {
        let table = table.split("</table>").next().unwrap();
        let head = table.split("</thead>").next().unwrap();
        let header = head.matches("<th>").count() + head.matches("<th ").count();
        for row in table.split("<tr>").skip(2) {
            assert_eq!(row.matches("<td").count(), header, "{name}: a row with extra cells: {row}");
        }
    }
    html
}

fn assert_text_safe(name: &str, text: &str) {
    for bad in ['\u{202E}', '\u{202C}', '\u{1b}', '\u{7}'] {
        assert!(!text.contains(bad), "{name}: raw {bad:?} in the text");
    }
}

#[test]
fn attacker_chosen_text_stays_text() {
    let dir = tempfile::tempdir().unwrap();
    let value = hostile();
    // A certificate: the common name carries everything, the organization 30 KB. (100 KB cannot travel in
    // a certificate: rustls refuses to serve one of 60 KB (BadEncoding), and TLS handshake messages are
    // bounded at 64 KiB by rustls and by the capture reader; the .rdp file carries the 100 KB value.)
    let cert_server = TestServer::start(TestServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        cert: CertSpec::Subject { common_name: value.clone(), organization: "O".repeat(30_000) },
        security: Security::Tls,
    })
    .unwrap();
    // An NTLM CHALLENGE naming the host with the same string.
    let ntlm_server = ScriptedServer::start_nla(ScriptedNla {
        credssp_version: 6,
        clock_offset_ms: 0,
        dns_computer_name: value.clone(),
    })
    .unwrap();
    // An .rdp file: hostile values and names, and a 100 KB value, naming the certificate's server.
    let rdp = dir.path().join("hostile.rdp");
    let mut text = format!("full address:s:{}\r\n", cert_server.addr());
    text.push_str(&format!("username:s:{value}\r\n"));
    text.push_str(&format!("{ASCII}:s:1\r\n"));
    text.push_str(&format!("alternate shell:s:{value}\r\n"));
    text.push_str(&format!("remoteapplicationname:s:{}\r\n", "N".repeat(100_000)));
    std::fs::write(&rdp, text).unwrap();
    // A capture with a hostile gateway answer and a hostile certificate in TLS 1.2.
    let pcap = dir.path().join("hostile.pcap");
    std::fs::write(&pcap, capture::hostile(&value)).unwrap();

    let cert_addr = cert_server.addr().to_string();
    let ntlm_addr = ntlm_server.addr().to_string();
    let (rdp_s, pcap_s) = (rdp.display().to_string(), pcap.display().to_string());
    let sources: [(&str, Vec<&str>); 4] = [
        ("certificate", vec!["check", &cert_addr, "--samples", "0", "--no-udp"]),
        ("ntlm", vec!["check", &ntlm_addr, "--samples", "0", "--no-udp", "--no-matrix"]),
        ("rdpfile", vec!["check", &rdp_s, "--samples", "0", "--no-udp"]),
        ("capture", vec!["capture", &pcap_s]),
    ];
    let mut pages: Vec<PathBuf> = Vec::new();
    for (name, args) in &sources {
        let json = String::from_utf8(run(&[args.as_slice(), &["--json"]].concat())).unwrap();
        let v: Value = serde_json::from_str(&json).unwrap();
        assert!(v.to_string().contains("window.__pwned=1"), "{name}: the value did not reach the report");
        let html = String::from_utf8(run(&[args.as_slice(), &["--format", "html"]].concat())).unwrap();
        assert_html_safe(name, &html);
        let page = dir.path().join(format!("hostile-{name}.html"));
        std::fs::write(&page, &html).unwrap();
        pages.push(page);
        let md = String::from_utf8(run(&[args.as_slice(), &["--format", "markdown"]].concat())).unwrap();
        assert_markdown_safe(name, &md, dir.path());
        for verbose in [&[][..], &["-v"][..]] {
            let text = String::from_utf8(run(&[args.as_slice(), verbose].concat())).unwrap();
            assert_text_safe(name, &text);
        }
    }
    drop((cert_server, ntlm_server));

    let mut b = rdp_doctor_lab::Browser::start().unwrap();
    for page in &pages {
        let name = page.file_stem().unwrap().to_string_lossy().into_owned();
        for (width, mobile) in [(1000, false), (390, true)] {
            b.viewport(width, 844, mobile).unwrap();
            let load = b.open(page).unwrap();
            assert!(load.errors.is_empty(), "{name}: {:?}", load.errors);
            assert_eq!(load.requests.len(), 1, "{name}: {:?}", load.requests);
            assert_eq!(b.eval("window.__pwned === undefined").unwrap(), true, "{name}: something ran");
            assert_eq!(b.eval("document.querySelectorAll('script, img, style').length").unwrap(), 1, "{name}");
            let handlers = "[...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length";
            assert_eq!(b.eval(handlers).unwrap(), 0, "{name}");
            assert_eq!(
                b.eval("document.body.textContent.includes('<script>window.__pwned=1</script>')").unwrap(),
                true
            );
            assert_eq!(b.eval("getComputedStyle(document.body).display").unwrap(), "block", "{name}: the style held");
            let fits = "document.documentElement.scrollWidth <= window.innerWidth + 1";
            assert_eq!(b.eval(fits).unwrap(), true, "{name} at {width}px: the layout broke");
        }
    }
}

/// A capture made by hand (a real peer will not send these): Ethernet/IPv4/TCP in a classic pcap.
mod capture {
    struct Pcap {
        out: Vec<u8>,
        ts_us: u64,
    }

    impl Pcap {
        fn new() -> Self {
            let mut out = Vec::new();
            for v in [0xa1b2_c3d4u32.to_le_bytes().as_slice(), &2u16.to_le_bytes(), &4u16.to_le_bytes()] {
                out.extend_from_slice(v);
            }
            out.extend_from_slice(&[0; 8]);
            out.extend_from_slice(&65_535u32.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
            Self { out, ts_us: 1_700_000_000_000_000 }
        }

        fn packet(&mut self, src: ([u8; 4], u16), dst: ([u8; 4], u16), seq: u32, ack: u32, flags: u8, data: &[u8]) {
            let mut ip = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0];
            ip.extend_from_slice(&src.0);
            ip.extend_from_slice(&dst.0);
            let total = (20 + 20 + data.len()) as u16;
            ip[2..4].copy_from_slice(&total.to_be_bytes());
            let mut sum: u32 = ip.chunks(2).map(|c| u32::from(u16::from_be_bytes([c[0], c[1]]))).sum();
            sum = (sum & 0xffff) + (sum >> 16);
            sum = (sum & 0xffff) + (sum >> 16);
            ip[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
            let mut tcp = Vec::new();
            tcp.extend_from_slice(&src.1.to_be_bytes());
            tcp.extend_from_slice(&dst.1.to_be_bytes());
            tcp.extend_from_slice(&seq.to_be_bytes());
            tcp.extend_from_slice(&ack.to_be_bytes());
            tcp.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
            let mut frame = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
            frame.extend_from_slice(&ip);
            frame.extend_from_slice(&tcp);
            frame.extend_from_slice(data);
            self.ts_us += 1000;
            self.out.extend_from_slice(&((self.ts_us / 1_000_000) as u32).to_le_bytes());
            self.out.extend_from_slice(&((self.ts_us % 1_000_000) as u32).to_le_bytes());
            self.out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            self.out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            self.out.extend_from_slice(&frame);
        }
    }

    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    const PSH: u8 = 0x08;
    const FIN: u8 = 0x01;
    const RST: u8 = 0x04;

    /// One TCP connection: handshake, then each (from client?, bytes) in segments of 1400, then the end.
    fn connection(p: &mut Pcap, c: ([u8; 4], u16), s: ([u8; 4], u16), talk: &[(bool, Vec<u8>)], end_rst: bool) {
        let (mut cs, mut ss) = (1000u32, 5000u32);
        p.packet(c, s, cs, 0, SYN, &[]);
        p.packet(s, c, ss, cs + 1, SYN | ACK, &[]);
        cs += 1;
        ss += 1;
        p.packet(c, s, cs, ss, ACK, &[]);
        for (from_client, bytes) in talk {
            for chunk in bytes.chunks(1400) {
                if *from_client {
                    p.packet(c, s, cs, ss, PSH | ACK, chunk);
                    cs += chunk.len() as u32;
                    p.packet(s, c, ss, cs, ACK, &[]);
                } else {
                    p.packet(s, c, ss, cs, PSH | ACK, chunk);
                    ss += chunk.len() as u32;
                    p.packet(c, s, cs, ss, ACK, &[]);
                }
            }
        }
        if end_rst {
            p.packet(c, s, cs, ss, RST | ACK, &[]);
        } else {
            p.packet(c, s, cs, ss, FIN | ACK, &[]);
            p.packet(s, c, ss, cs + 1, FIN | ACK, &[]);
            p.packet(c, s, cs + 1, ss + 1, ACK, &[]);
        }
    }

    fn u24(n: usize) -> [u8; 3] {
        [(n >> 16) as u8, (n >> 8) as u8, n as u8]
    }

    fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![kind];
        m.extend_from_slice(&u24(body.len()));
        m.extend_from_slice(body);
        m
    }

    /// Handshake bytes in TLS records of at most 2^14 bytes (RFC 5246 6.2.1).
    fn records(content_type: u8, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in bytes.chunks(16_384) {
            out.extend_from_slice(&[content_type, 3, 3]);
            out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
            out.extend_from_slice(chunk);
        }
        out
    }

    /// The capture: an RD Gateway whose 502 answer carries `value` in its reason phrase, Server and Via
    /// headers; and an RDP connection over TLS 1.2 whose ClientHello names the ASCII part as SNI and whose
    /// certificate's subject is `value` (with 20 KB more in the organization), refused by the client with
    /// a bad_certificate alert.
    pub fn hostile(value: &str) -> Vec<u8> {
        let mut p = Pcap::new();
        let client = [10, 0, 0, 5];
        let request = b"RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nHost: gw.example\r\nAccept: */*\r\nUser-Agent: MS-RDGateway/1.0\r\nRDG-Connection-Id: {8ED2B2F1-9E5B-4B2E-8D4D-1A2B3C4D5E6F}\r\nContent-Length: 0\r\n\r\n".to_vec();
        let answer = format!(
            "HTTP/1.1 502 {value}\r\nServer: {value}\r\nVia: 1.1 {value}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .replace(['\u{1b}', '\u{7}'], "");
        connection(
            &mut p,
            (client, 50_001),
            ([10, 0, 0, 9], 443),
            &[(true, request), (false, answer.into_bytes())],
            false,
        );

        let mut params = rcgen::CertificateParams::new(vec!["rds.example".to_owned()]).unwrap();
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, value);
        dn.push(rcgen::DnType::OrganizationName, "O".repeat(20_000));
        params.distinguished_name = dn;
        let key = rcgen::KeyPair::generate().unwrap();
        let der = params.self_signed(&key).unwrap().der().to_vec();
        let sni = super::ASCII.replace(['<', '>', '"', ' ', '|'], "-");
        let mut hello = vec![3, 3];
        hello.extend_from_slice(&[7; 32]);
        hello.extend_from_slice(&[0, 0, 2, 0xc0, 0x2f, 1, 0]);
        let mut name = vec![0];
        name.extend_from_slice(&(sni.len() as u16).to_be_bytes());
        name.extend_from_slice(sni.as_bytes());
        let mut list = (name.len() as u16).to_be_bytes().to_vec();
        list.extend_from_slice(&name);
        let mut ext = vec![0, 0];
        ext.extend_from_slice(&(list.len() as u16).to_be_bytes());
        ext.extend_from_slice(&list);
        hello.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        hello.extend_from_slice(&ext);
        let mut server_hello = vec![3, 3];
        server_hello.extend_from_slice(&[9; 32]);
        server_hello.extend_from_slice(&[0, 0xc0, 0x2f, 0]);
        let mut certs = u24(der.len() + 3).to_vec();
        certs.extend_from_slice(&u24(der.len()));
        certs.extend_from_slice(&der);
        let mut flight = handshake(2, &server_hello);
        flight.extend(handshake(11, &certs));
        flight.extend(handshake(14, &[]));
        let cr = vec![3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 3, 0, 0, 0];
        let cc = vec![3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0, 8, 0, 1, 0, 0, 0];
        let talk = [
            (true, cr),
            (false, cc),
            (true, records(22, &handshake(1, &hello))),
            (false, records(22, &flight)),
            (true, vec![21, 3, 3, 0, 2, 2, 42]),
        ];
        connection(&mut p, (client, 50_002), ([10, 0, 0, 7], 3389), &talk, true);
        p.out
    }
}
