//! One interpretation, two drivers: for lab scenarios, the traffic of a live `check` is captured with
//! dumpcap (on `any`, so Linux cooked-mode frames in pcapng), and `capture` must reach the same top
//! verdict from the file as `check` did from the network. A wrong password against the FreeRDP shadow
//! server (driven by xfreerdp, since `check` sends no credentials) must read as a refused NLA logon, and
//! the right one must not.
//!
//! Needs root and the packages scripts/test.sh installs (dumpcap comes with tshark).
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command as Cmd;
use rdp_doctor_lab::{Firewall, ShadowVariant, XrdpVariant};
use serde_json::Value;

/// How long each capture runs (dumpcap stops itself).
const CAPTURE_SECS: u64 = 5;

struct Dumpcap {
    child: Child,
    file: PathBuf,
}

impl Dumpcap {
    /// Starts capturing `filter` on all interfaces and waits until the capture is live.
    fn start(dir: &Path, name: &str, filter: &str) -> Self {
        let file = dir.join(format!("{name}.pcapng"));
        let dumpcap = rdp_doctor_lab::require("dumpcap").unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new(dumpcap)
            .args(["-q", "-i", "any", "-f", filter, "-a", &format!("duration:{CAPTURE_SECS}"), "-w"])
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dumpcap (package tshark) must be installed");
        // dumpcap writes the section and interface blocks once the capture is open.
        let start = Instant::now();
        while std::fs::metadata(&file).map_or(0, |m| m.len()) < 64 {
            assert!(start.elapsed() < Duration::from_secs(10), "dumpcap did not start capturing");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        Self { child, file }
    }

    /// Waits for dumpcap to stop by itself (bounded), then returns the file.
    fn finish(mut self) -> PathBuf {
        let deadline = Instant::now() + Duration::from_secs(CAPTURE_SECS + 10);
        loop {
            if self.child.try_wait().unwrap().is_some() {
                break;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.file.clone()
    }
}

impl Drop for Dumpcap {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn json(args: &[&str]) -> (Value, Option<i32>) {
    let out = Cmd::cargo_bin("rdp-doctor").unwrap().timeout(Duration::from_secs(60)).args(args).output().unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (v, out.status.code())
}

fn capture_report(file: &Path, extra: &[&str]) -> Value {
    let f = file.display().to_string();
    let mut args = vec!["capture", f.as_str(), "--json"];
    args.extend_from_slice(extra);
    json(&args).0
}

/// Captures a `check` of `addr` and compares the verdicts.
fn check_vs_capture(dir: &Path, name: &str, addr: SocketAddr, filter: &str, check_args: &[&str]) -> Vec<String> {
    let cap = Dumpcap::start(dir, name, filter);
    let target = addr.to_string();
    // One connection per check (no protocol matrix, no handshake series), so the file holds exactly the
    // connection whose verdict is compared.
    let mut args = vec!["check", target.as_str(), "--json", "--timeout", "2s", "--no-matrix", "--samples", "0"];
    args.extend_from_slice(check_args);
    let (live, live_exit) = json(&args);
    let file = cap.finish();
    if let Some(keep) = std::env::var_os("CAPTURE_LAB_KEEP") {
        let _ = std::fs::copy(&file, Path::new(&keep).join(file.file_name().unwrap()));
    }
    // The lab's servers listen on free ports, not 3389: name the port, as a user would.
    let port = addr.port().to_string();
    let from_file = capture_report(&file, &["--port", &port]);
    let mut bad = Vec::new();
    let conns = from_file["connections"].as_array().cloned().unwrap_or_default();
    // Closing packets of the lab's readiness probe may fall into the capture as a mid-stream flow; the
    // check's own connection is the one whose setup is in the file.
    let whole = conns.iter().filter(|c| c["report"]["evidence"]["capture"]["setup_seen"] == true).count();
    if whole != 1 {
        bad.push(format!("{name}: expected one connection with its setup in the capture, found {whole}"));
    }
    if from_file["verdict"] != live["verdict"] {
        let ids: Vec<Value> = conns
            .iter()
            .flat_map(|c| c["report"]["findings"].as_array().cloned().unwrap_or_default())
            .map(|f| f["id"].clone())
            .collect();
        bad.push(format!(
            "{name}: check said {}, capture said {} (findings {ids:?})",
            live["verdict"], from_file["verdict"]
        ));
    }
    // Same exit code as check for the same verdict.
    let (_, cap_exit) = json(&["capture", &file.display().to_string(), "--json", "--port", &port]);
    if cap_exit != live_exit {
        bad.push(format!("{name}: exit codes differ: check {live_exit:?}, capture {cap_exit:?}"));
    }
    eprintln!(
        "{name}: check {} / capture {} ({} packets)",
        live["verdict"], from_file["verdict"], from_file["file"]["packets"]
    );
    bad
}

#[test]
fn capture_reaches_the_live_verdict() {
    rdp_doctor_lab::require_root("capturing with dumpcap and starting lab servers").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut bad = Vec::new();
    let port_filter = |a: SocketAddr| format!("tcp port {}", a.port());

    // TLS 1.2 shows the certificate in the clear: the capture judges it as check does.
    let s = rdp_doctor_lab::xrdp(XrdpVariant::ExpiredCertTls12).unwrap();
    bad.extend(check_vs_capture(
        dir.path(),
        "xrdp-expired-cert-tls12",
        s.addr,
        &port_filter(s.addr),
        &["--tls-name", "localhost"],
    ));
    drop(s);

    let s = rdp_doctor_lab::xrdp(XrdpVariant::RdpSecurityOnly).unwrap();
    bad.extend(check_vs_capture(dir.path(), "xrdp-rdp-security-only", s.addr, &port_filter(s.addr), &[]));
    drop(s);

    let s = rdp_doctor_lab::shadow(ShadowVariant::Nla { user: "alice".into(), password: "S3cret-pw".into() }).unwrap();
    bad.extend(check_vs_capture(
        dir.path(),
        "shadow-nla-ssl-only",
        s.addr,
        &port_filter(s.addr),
        &["--protocols", "ssl"],
    ));
    drop(s);

    let closed = rdp_doctor_lab::closed_port();
    bad.extend(check_vs_capture(dir.path(), "closed-port", closed, &port_filter(closed), &[]));

    for (fw, name) in [(Firewall::Reject, "netns-reject"), (Firewall::Drop, "netns-drop")] {
        let h = rdp_doctor_lab::netns_host(fw).unwrap();
        let filter = format!("host {} and tcp port {}", h.addr.ip(), h.addr.port());
        bad.extend(check_vs_capture(dir.path(), name, h.addr, &filter, &[]));
    }
    assert!(bad.is_empty(), "capture and check disagree:\n{}", bad.join("\n"));
}

/// TLS 1.3 encrypts the certificate: check sees the expired certificate, the capture cannot, and says
/// so instead of calling the connection fine.
#[test]
fn tls13_certificate_is_a_stated_limitation() {
    rdp_doctor_lab::require_root("capturing with dumpcap and starting lab servers").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = rdp_doctor_lab::xrdp(XrdpVariant::ExpiredCert).unwrap();
    let cap = Dumpcap::start(dir.path(), "xrdp-expired-cert-tls13", &format!("tcp port {}", s.addr.port()));
    let (live, _) =
        json(&["check", &s.addr.to_string(), "--json", "--tls-name", "localhost", "--no-matrix", "--samples", "0"]);
    let file = cap.finish();
    drop(s);
    assert_eq!(live["verdict"], "cert.expired");
    assert_eq!(live["evidence"]["tls"]["version"], "TLS 1.3");
    let r = capture_report(&file, &[]);
    assert_eq!(r["verdict"], "incomplete", "{}", r["connections"][0]["report"]["findings"]);
    let lims = r["connections"][0]["report"]["limitations"].to_string();
    assert!(lims.contains("TLS 1.3 encrypts the server's certificate"), "{lims}");
}

/// xfreerdp +auth-only against the shadow server, captured.
fn xfreerdp_captured(dir: &Path, name: &str, server: &rdp_doctor_lab::LabServer, password: &str) -> (bool, Value) {
    let cap = Dumpcap::start(dir, name, &format!("tcp port {}", server.addr.port()));
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .args(["20", "xfreerdp", &format!("/v:{}", server.addr), "/cert:ignore", "+auth-only", "/u:alice"])
        .arg(format!("/p:{password}"))
        .env("DISPLAY", format!(":{}", server.display.unwrap()))
        .env("HOME", home.path())
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .unwrap();
    let file = cap.finish();
    (out.status.success(), capture_report(&file, &[]))
}

#[test]
fn wrong_password_reads_as_a_refused_nla_logon() {
    rdp_doctor_lab::require_root("capturing with dumpcap and starting lab servers").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = rdp_doctor_lab::shadow(ShadowVariant::Nla { user: "alice".into(), password: "S3cret-pw".into() }).unwrap();
    let (ok, wrong) = xfreerdp_captured(dir.path(), "shadow-wrong-password", &s, "not-the-password");
    assert!(!ok, "xfreerdp must fail with a wrong password");
    let ids: Vec<&str> = wrong["connections"][0]["report"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(wrong["verdict"], "credssp.ended_by_server", "findings {ids:?}");
    let (ok, right) = xfreerdp_captured(dir.path(), "shadow-right-password", &s, "S3cret-pw");
    assert!(ok, "xfreerdp must authenticate with the right password");
    let ids: Vec<&str> = right["connections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["report"]["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()))
        .collect();
    assert!(!ids.contains(&"credssp.ended_by_server"), "a successful logon must not read as refused: {ids:?}");
}

/// With the check's own TLS secrets (SSLKEYLOGFILE), the capture of an NLA check against FreeRDP's shadow
/// server decrypts: the certificate TLS 1.3 hides and the server's NTLM CHALLENGE give the same findings
/// as the live check (except the name match: the capture has no SNI, so it does not know the name used).
#[test]
fn keylog_decrypts_what_the_check_saw() {
    rdp_doctor_lab::require_root("capturing with dumpcap and starting lab servers").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = rdp_doctor_lab::shadow(ShadowVariant::Nla { user: "alice".into(), password: "S3cret-pw".into() }).unwrap();
    let cap = Dumpcap::start(dir.path(), "shadow-nla-keylog", &format!("tcp port {}", s.addr.port()));
    let keys = dir.path().join("tls.keys");
    let out = Cmd::cargo_bin("rdp-doctor")
        .unwrap()
        .timeout(Duration::from_secs(60))
        .env("SSLKEYLOGFILE", &keys)
        .args(["check", &s.addr.to_string(), "--json", "--timeout", "2s", "--no-matrix", "--samples", "0"])
        .output()
        .unwrap();
    let live: Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = cap.finish();
    drop(s);
    let ids = |v: &Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|f| f["id"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let live_ids = ids(&live);
    assert!(live_ids.contains(&"ntlm.host_info".to_owned()), "{live_ids:?}");
    let port = file_port(&live);
    let r = capture_report(&file, &["--port", &port, "--keylog", &keys.display().to_string()]);
    let conn = r["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["report"]["evidence"]["capture"]["setup_seen"] == true)
        .cloned()
        .unwrap();
    let d = &conn["report"]["evidence"]["capture"]["decryption"];
    assert_eq!(d["decrypted"], true, "{d}");
    let cap_ids = ids(&conn["report"]);
    // The layers inside TLS (the capture filter holds only the TCP connection, not the UDP probe).
    let inside = |i: &&String| {
        ["cert.", "ntlm.", "credssp.", "time."].iter().any(|p| i.starts_with(p)) && i.as_str() != "cert.name_mismatch"
    };
    for id in live_ids.iter().filter(inside) {
        assert!(cap_ids.contains(id), "live {id} missing from the decrypted capture: {cap_ids:?}");
    }
    assert_eq!(
        conn["report"]["evidence"]["credssp"]["ntlm"]["nb_computer_name"],
        live["evidence"]["credssp"]["ntlm"]["nb_computer_name"]
    );
}

fn file_port(live: &Value) -> String {
    live["target"]["port"].as_u64().map(|p| p.to_string()).unwrap_or_default()
}

/// `check --user` (the credentialed check), captured with its TLS secrets, against FreeRDP's shadow server
/// (NLA) and xrdp (TLS, which checks passwords after the protocol, in xrdp-sesman). Returns the live report,
/// the capture file and the key log.
fn credentialed_captured(dir: &Path, name: &str, addr: SocketAddr, password: &str) -> (Value, PathBuf, PathBuf) {
    let cap = Dumpcap::start(dir, name, &format!("tcp port {}", addr.port()));
    let keys = dir.join(format!("{name}.keys"));
    // The password goes by the environment, never argv (the tool refuses --password).
    let out = Cmd::cargo_bin("rdp-doctor")
        .unwrap()
        .timeout(Duration::from_secs(60))
        .env("SSLKEYLOGFILE", &keys)
        .env("RDP_DOCTOR_PASSWORD", password)
        .args(["check", &addr.to_string(), "--json", "--timeout", "2s", "--no-matrix", "--samples", "0", "--no-udp"])
        .args(["--user", "alice"])
        .output()
        .unwrap();
    let live: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (live, cap.finish(), keys)
}

/// The capture's connection that carried the credentials (the session evidence names the account).
fn credentialed_connection(r: &Value) -> Option<Value> {
    r["connections"].as_array()?.iter().find(|c| c["report"]["evidence"]["session"]["account"] == "alice").cloned()
}

/// Issue 10's lab case: a wrong password in the credentialed check against the shadow server reads
/// `credssp.logon_failure` live; the capture of that check, decrypted with the check's own key log, and
/// the same capture with the secrets injected by editcap (a Decryption Secrets Block, no --keylog) reach
/// the same verdict with the same account. The right password is not read as a refusal.
#[test]
fn wrong_password_check_and_its_decrypted_capture_agree() {
    rdp_doctor_lab::require_root("capturing with dumpcap and starting lab servers").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = rdp_doctor_lab::shadow(ShadowVariant::Nla { user: "alice".into(), password: "S3cret-pw".into() }).unwrap();
    let port = s.addr.port().to_string();
    let (live, file, keys) = credentialed_captured(dir.path(), "shadow-check-wrong-password", s.addr, "not-the-pw");
    assert_eq!(live["verdict"], "credssp.logon_failure", "live: {}", live["findings"]);
    let keylog = keys.display().to_string();
    let with_keys = capture_report(&file, &["--port", &port, "--keylog", &keylog]);
    let conn = credentialed_connection(&with_keys).unwrap_or_else(|| panic!("no credentialed connection: {with_keys}"));
    assert_eq!(conn["report"]["verdict"], "credssp.logon_failure", "{}", conn["report"]["findings"]);
    assert_eq!(conn["report"]["evidence"]["session"]["credssp_closed_after_credentials"], true);
    assert_eq!(
        conn["report"]["client_view"]["freerdp"], live["client_view"]["freerdp"],
        "the capture names what FreeRDP would show, as the live check does"
    );
    // The password never reaches either report.
    for v in [&live, &with_keys] {
        assert!(!v.to_string().contains("not-the-pw"));
    }

    // The same capture with its secrets embedded (Wireshark's "inject secrets"), read without --keylog.
    let dsb = dir.path().join("shadow-check-wrong-password-dsb.pcapng");
    let editcap = rdp_doctor_lab::require("editcap").unwrap_or_else(|e| panic!("{e}"));
    let st = Command::new(editcap)
        .arg("--inject-secrets")
        .arg(format!("tls,{}", keys.display()))
        .arg(&file)
        .arg(&dsb)
        .status()
        .expect("editcap (package tshark) must be installed");
    assert!(st.success());
    let embedded = capture_report(&dsb, &["--port", &port]);
    let conn = credentialed_connection(&embedded).unwrap_or_else(|| panic!("no credentialed connection: {embedded}"));
    assert_eq!(conn["report"]["verdict"], "credssp.logon_failure");
    assert_eq!(
        conn["report"]["evidence"]["capture"]["decryption"]["sources"][0],
        "the capture's Decryption Secrets Block"
    );

    // Without secrets: no account, no session evidence, the record-turn inference stays.
    let opaque = capture_report(&file, &["--port", &port]);
    assert!(credentialed_connection(&opaque).is_none());
    assert_eq!(opaque["verdict"], "credssp.ended_by_server", "{opaque}");

    // The right password: the server answers the AUTHENTICATE, no logon failure live or in the capture.
    let (live, file, keys) = credentialed_captured(dir.path(), "shadow-check-right-password", s.addr, "S3cret-pw");
    let live_ids: Vec<&str> = live["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(!live_ids.contains(&"credssp.logon_failure"), "{live_ids:?}");
    let keylog = keys.display().to_string();
    let r = capture_report(&file, &["--port", &port, "--keylog", &keylog]);
    // The connection that carried the credentials (the check's credential-free CredSSP probe, which hangs
    // up after the server's CHALLENGE, is another one).
    let conn = r["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["report"]["evidence"]["capture"]["decryption"]["credentials_sent"] == true)
        .unwrap_or_else(|| panic!("no connection sent credentials: {r}"));
    let findings = conn["report"]["findings"].as_array().unwrap();
    let ids: Vec<&str> = findings.iter().map(|f| f["id"].as_str().unwrap()).collect();
    // credssp.mechanism (info: which mechanism authenticated) is a fact about a working logon; any CredSSP
    // warning or failure would be a refusal read into a success.
    let refused: Vec<&str> = findings
        .iter()
        .filter(|f| f["id"].as_str().unwrap().starts_with("credssp.") && f["severity"] != "info")
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(refused.is_empty(), "a successful logon must not read as refused: {ids:?}");
    assert!(ids.contains(&"credssp.mechanism"), "the capture names the mechanism that authenticated: {ids:?}");
    // The session drew its first screen: the capture says so as the live check does.
    if live_ids.contains(&"session.ok") {
        assert!(ids.contains(&"session.ok"), "live session.ok, capture {ids:?}");
        assert_eq!(conn["report"]["evidence"]["session"]["outcome"]["kind"], "first_update");
    }
}

/// xrdp checks the password after the RDP connection sequence (in xrdp-sesman, behind its own login
/// window), so a wrong password is no protocol failure: live, the check sees the sequence complete; the
/// decrypted capture must not invent a logon refusal either, and says CredSSP was not used.
#[test]
fn xrdp_wrong_password_is_not_a_protocol_refusal_in_either_driver() {
    rdp_doctor_lab::require_root("capturing with dumpcap and starting lab servers").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = rdp_doctor_lab::xrdp(XrdpVariant::Default).unwrap();
    let port = s.addr.port().to_string();
    let (live, file, keys) = credentialed_captured(dir.path(), "xrdp-check-wrong-password", s.addr, "not-the-pw");
    let live_ids: Vec<&str> = live["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(!live_ids.iter().any(|i| i.starts_with("credssp.")), "{live_ids:?}");
    let keylog = keys.display().to_string();
    let r = capture_report(&file, &["--port", &port, "--keylog", &keylog]);
    // Closing packets of the lab's readiness probe may fall into the capture as a mid-stream flow.
    let conns: Vec<&Value> = r["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["report"]["evidence"]["capture"]["setup_seen"] == true)
        .collect();
    assert_eq!(conns.len(), 2, "the check's TLS probe and its credentialed connection: {r}");
    for c in conns {
        let rep = &c["report"];
        assert_eq!(rep["evidence"]["capture"]["decryption"]["decrypted"], true, "{rep}");
        let ids: Vec<&str> = rep["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
        assert!(!ids.iter().any(|i| i.starts_with("credssp.") || i.starts_with("session.")), "{ids:?}");
        let credssp = rep["layers"].as_array().unwrap().iter().find(|l| l["name"] == "credssp").unwrap();
        assert!(credssp["summary"].as_str().unwrap().starts_with("not used"), "{credssp}");
    }
    assert!(!r.to_string().contains("not-the-pw"), "the Client Info PDU's password is never decoded");
}

/// A real MIT KDC (Debian krb5-kdc) for the test realm LAB.TEST on `ip`:88, in a temporary directory;
/// stopped by PID when dropped. Each test uses its own loopback address, so tests running at once neither
/// share a KDC nor see each other's messages.
struct Kdc {
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl Kdc {
    fn start(ip: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        std::fs::write(
            dir.path().join("krb5.conf"),
            format!("[libdefaults]\n default_realm = LAB.TEST\n dns_lookup_kdc = false\n dns_lookup_realm = false\n rdns = false\n kdc_timesync = 0\n[realms]\n LAB.TEST = {{\n  kdc = {ip}:88\n }}\n"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("kdc.conf"),
            format!(
                "[kdcdefaults]\n kdc_listen = {ip}:88\n kdc_tcp_listen = {ip}:88\n[realms]\n LAB.TEST = {{\n  database_name = {d}/principal\n  key_stash_file = {d}/stash\n  acl_file = {d}/kadm5.acl\n  supported_enctypes = aes256-cts-hmac-sha1-96:normal\n }}\n[logging]\n kdc = FILE:{d}/kdc.log\n"
            ),
        )
        .unwrap();
        let mut kdc = Self { child: None, dir };
        kdc.admin(&["kdb5_util", "create", "-s", "-r", "LAB.TEST", "-P", "lab-master-pw"]);
        for q in [
            "addprinc -pw S3cret-pw +requires_preauth alice",
            "addprinc -pw S3cret-pw +requires_preauth -allow_tix bob",
            "addprinc -pw S3cret-pw +requires_preauth -pwexpire yesterday carol",
            "addprinc -randkey TERMSRV/rdp.lab.test",
        ] {
            kdc.admin(&["kadmin.local", "-q", q]);
        }
        let child = kdc
            .env(&mut Command::new(rdp_doctor_lab::require("krb5kdc").unwrap_or_else(|e| panic!("{e}"))))
            .arg("-n")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        kdc.child = Some(child);
        let start = Instant::now();
        let addr: SocketAddr = format!("{ip}:88").parse().unwrap();
        while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(10), "krb5kdc did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        kdc
    }

    fn env<'a>(&self, c: &'a mut Command) -> &'a mut Command {
        c.env("KRB5_CONFIG", self.dir.path().join("krb5.conf"))
            .env("KRB5_KDC_PROFILE", self.dir.path().join("kdc.conf"))
            .env("KRB5CCNAME", format!("FILE:{}", self.dir.path().join("ccache").display()))
    }

    fn admin(&self, args: &[&str]) {
        let (program, rest) = args.split_first().unwrap();
        let program = rdp_doctor_lab::require(program).unwrap_or_else(|e| panic!("{e}"));
        let out = self.env(Command::new("timeout").arg("20").arg(program).args(rest)).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Runs a Kerberos client tool with `input` on stdin (bounded); returns its stderr.
    fn client(&self, args: &[&str], input: &str) -> String {
        use std::io::Write;
        let (program, rest) = args.split_first().unwrap();
        let program = rdp_doctor_lab::require(program).unwrap_or_else(|e| panic!("{e}"));
        let mut child = self
            .env(Command::new("timeout").arg("10").arg(program).args(rest))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        let out = child.wait_with_output().unwrap();
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }
}

impl Drop for Kdc {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Issue 10's Kerberos facts, against a real KDC: MIT kinit and kvno (the reference clients) say what went
/// wrong in their words, and `capture` of the same exchanges must name the same failures from the KRB-ERROR
/// codes on the wire (port 88 is clear text).
#[test]
fn real_kdc_errors_read_from_the_capture() {
    rdp_doctor_lab::require_root("capturing with dumpcap and serving a KDC on 127.0.0.88:88").unwrap();
    for tool in ["krb5kdc", "kdb5_util", "kadmin.local", "kinit", "kvno"] {
        rdp_doctor_lab::require(tool).unwrap_or_else(|e| panic!("{e}"));
    }
    let dir = tempfile::tempdir().unwrap();
    let kdc = Kdc::start("127.0.0.88");
    let cap = Dumpcap::start(dir.path(), "mit-kdc", "host 127.0.0.88 and port 88");
    // A good logon, then a service ticket for a name without SPN (a connection by IP address).
    assert!(kdc.client(&["kinit", "alice"], "S3cret-pw\n").contains("Password for alice"));
    let said = kdc.client(&["kvno", "TERMSRV/10.0.0.5"], "");
    assert!(said.contains("not found in Kerberos database"), "{said}");
    let cases = [
        (["kinit", "alice"], "not-the-pw\n", "Password incorrect"),
        (["kinit", "nobody"], "S3cret-pw\n", "not found in Kerberos database"),
        (["kinit", "bob"], "S3cret-pw\n", "credentials have been revoked"),
        (["kinit", "carol"], "S3cret-pw\n", "Password expired"),
    ];
    for (args, input, kinit_says) in cases {
        let said = kdc.client(&args, input);
        assert!(said.contains(kinit_says), "{args:?}: kinit said {said}");
    }
    let file = cap.finish();
    drop(kdc);
    let r = capture_report(&file, &[]);
    let conn = &r["connections"][0];
    assert_eq!(conn["kind"], "kerberos", "{r}");
    let ids: Vec<&str> =
        conn["report"]["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    for id in [
        "kerberos.preauth_failed",
        "kerberos.client_unknown",
        "kerberos.client_revoked",
        "kerberos.password_expired",
        "kerberos.server_unknown",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(!r.to_string().contains("not-the-pw") && !r.to_string().contains("S3cret-pw"));
}

/// Kerberos next to RDP: the client asks the KDC for TERMSRV/<IP address> (no such principal: what a
/// connection by IP address does), then connects to FreeRDP's shadow server (NLA). In the capture the KDC's
/// answer is shown with that RDP connection, once, and no separate Kerberos entry remains.
#[test]
fn kdc_answers_are_shown_with_the_clients_rdp_connection() {
    rdp_doctor_lab::require_root("capturing with dumpcap and serving a KDC on 127.0.0.89:88").unwrap();
    for tool in ["krb5kdc", "kdb5_util", "kadmin.local", "kinit", "kvno"] {
        rdp_doctor_lab::require(tool).unwrap_or_else(|e| panic!("{e}"));
    }
    let dir = tempfile::tempdir().unwrap();
    let kdc = Kdc::start("127.0.0.89");
    let s = rdp_doctor_lab::shadow(ShadowVariant::Nla { user: "alice".into(), password: "S3cret-pw".into() }).unwrap();
    let port = s.addr.port().to_string();
    let filter = format!("(host 127.0.0.89 and port 88) or tcp port {port}");
    let cap = Dumpcap::start(dir.path(), "kdc-and-rdp", &filter);
    assert!(kdc.client(&["kinit", "alice"], "S3cret-pw\n").contains("Password for alice"));
    let said = kdc.client(&["kvno", "TERMSRV/127.0.0.1"], "");
    assert!(said.contains("not found in Kerberos database"), "{said}");
    let (_, _) =
        json(&["check", &s.addr.to_string(), "--json", "--timeout", "2s", "--no-matrix", "--samples", "0", "--no-udp"]);
    let file = cap.finish();
    drop((kdc, s));
    let r = capture_report(&file, &["--port", &port]);
    let conns = r["connections"].as_array().unwrap();
    assert!(conns.iter().all(|c| c["kind"] != "kerberos"), "attached, not a separate entry: {r}");
    let with: Vec<&Value> = conns.iter().filter(|c| c["report"]["evidence"]["kerberos"].is_object()).collect();
    assert_eq!(with.len(), 1, "shown once, with one connection: {r}");
    let ids: Vec<&str> =
        with[0]["report"]["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"kerberos.server_unknown"), "{ids:?}");
    let msgs = with[0]["report"]["evidence"]["kerberos"]["messages"].as_array().unwrap();
    assert!(msgs.iter().any(|m| m["service"] == "TERMSRV/127.0.0.1"), "{msgs:?}");
}
