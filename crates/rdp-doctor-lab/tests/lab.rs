#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Starts every lab server for real and checks that it behaves as
//! documented. Needs root and the Debian packages `scripts/test.sh`
//! installs. Every network operation here has a timeout, and every test
//! uses its own server, so they run safely in parallel.

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdp_doctor_lab::{
    Firewall, LabServer, OTHER_CERT_NAME, ShadowVariant, X224_PROBE, XrdpVariant, closed_port, netns_host, shadow,
    x224_probe, xrdp, xrdp_in_private_mount_ns,
};

const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// PROTOCOL_RDP / PROTOCOL_SSL / PROTOCOL_HYBRID.
const RDP: u8 = 0;
const SSL: u8 = 1;
const HYBRID: u8 = 2;

fn start_xrdp(variant: XrdpVariant) -> LabServer {
    let s = xrdp(variant).unwrap_or_else(|e| panic!("starting {variant:?}: {e}"));
    eprintln!("{} up on {} in {:?}", s.name, s.addr, s.startup);
    s
}

fn start_shadow(variant: ShadowVariant) -> LabServer {
    let s = shadow(variant.clone()).unwrap_or_else(|e| panic!("starting {variant:?}: {e}"));
    eprintln!("{} up on {} (display :{:?}) in {:?}", s.name, s.addr, s.display, s.startup);
    s
}

/// Sends the X.224 probe, checks for a Connection Confirm carrying an
/// RDP_NEG_RSP, and returns the selected protocol.
fn negotiated(server: &LabServer) -> u8 {
    let reply = x224_probe(server.addr, IO_TIMEOUT)
        .unwrap_or_else(|e| panic!("{}: X.224 probe failed: {e}\n{}", server.name, server.log_tail()));
    eprintln!("{} X.224 reply: {:02x?}", server.name, reply);
    assert_eq!(&reply[..2], &[0x03, 0x00], "{}: TPKT header", server.name);
    assert_eq!(reply[5], 0xd0, "{}: X.224 Connection Confirm", server.name);
    assert_eq!(reply.len(), 19, "{}: CC with 8-byte RDP_NEG_* ", server.name);
    assert_eq!(reply[11], 0x02, "{}: RDP_NEG_RSP (not failure 0x03)", server.name);
    reply[15]
}

/// Sends the X.224 probe on `stream` and, after an SSL/HYBRID confirm,
/// runs a TLS handshake with rustls (accepting any certificate) and
/// returns the server's leaf certificate (DER).
fn tls_leaf_certificate(addr: SocketAddr) -> Vec<u8> {
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, SignatureScheme};
    use std::io::{Read, Write};

    #[derive(Debug)]
    struct AcceptAll(Arc<rustls::crypto::CryptoProvider>);
    impl ServerCertVerifier for AcceptAll {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
        }
        fn verify_tls13_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAll(provider)))
        .with_no_client_auth();

    let mut sock = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    sock.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    sock.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    sock.write_all(&X224_PROBE).unwrap();
    let mut cc = [0u8; 19];
    sock.read_exact(&mut cc).unwrap();
    assert!(cc[15] == SSL || cc[15] == HYBRID, "server did not pick TLS: {cc:02x?}");

    let name = ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let deadline = Instant::now() + IO_TIMEOUT;
    while conn.is_handshaking() {
        assert!(Instant::now() < deadline, "TLS handshake did not finish");
        conn.complete_io(&mut sock).unwrap();
    }
    conn.peer_certificates().unwrap()[0].to_vec()
}

fn now_unix() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

fn dns_names(der: &[u8]) -> Vec<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    let san = cert.subject_alternative_name().unwrap().expect("SAN");
    san.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            x509_parser::extensions::GeneralName::DNSName(d) => Some((*d).to_owned()),
            _ => None,
        })
        .collect()
}

fn not_after(der: &[u8]) -> i64 {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    cert.validity().not_after.timestamp()
}

/// Runs `xfreerdp +auth-only` against `server` with `extra` args, on the
/// server's own X display (xfreerdp needs one even for +auth-only) and with
/// a private HOME. Returns (success, combined output).
fn xfreerdp_auth_only(server: &LabServer, extra: &[&str]) -> (bool, String) {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .args(["30", "xfreerdp", &format!("/v:{}", server.addr), "/cert:ignore", "+auth-only"])
        .args(extra)
        .env("DISPLAY", format!(":{}", server.display.unwrap()))
        .env("HOME", home.path())
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn assert_stopped(pids: &[u32], dir: &Path) {
    for pid in pids {
        assert!(!Path::new(&format!("/proc/{pid}")).exists(), "pid {pid} still exists after drop");
    }
    assert!(!dir.exists(), "{} still exists after drop", dir.display());
}

#[test]
fn xrdp_default_negotiates_tls_with_default_certificate() {
    let server = start_xrdp(XrdpVariant::Default);
    assert_eq!(negotiated(&server), SSL);
    let der = tls_leaf_certificate(server.addr);
    let pem = std::fs::read_to_string("/etc/xrdp/cert.pem").unwrap();
    let (_, expected) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    assert_eq!(der, expected.contents, "xrdp should present /etc/xrdp/cert.pem");
    assert_eq!(server.certificate.as_deref(), Some(Path::new("/etc/xrdp/cert.pem")));
}

#[test]
fn xrdp_expired_cert_presents_certificate_that_expired_yesterday() {
    let server = start_xrdp(XrdpVariant::ExpiredCert);
    assert_eq!(negotiated(&server), SSL);
    let der = tls_leaf_certificate(server.addr);
    let end = not_after(&der);
    let now = now_unix();
    assert!(end < now, "not_after {end} should be in the past (now {now})");
    assert!(end > now - 2 * 86400, "not_after {end} should be about a day ago (now {now})");
    assert_eq!(dns_names(&der), ["localhost"]);
}

#[test]
fn xrdp_other_name_cert_presents_valid_certificate_for_another_name() {
    let server = start_xrdp(XrdpVariant::OtherNameCert);
    assert_eq!(negotiated(&server), SSL);
    let der = tls_leaf_certificate(server.addr);
    assert!(not_after(&der) > now_unix(), "certificate should still be valid");
    assert_eq!(dns_names(&der), [OTHER_CERT_NAME]);
}

/// Observed: xrdp with `security_layer=rdp` does not send RDP_NEG_FAILURE;
/// it confirms with RDP_NEG_RSP selecting PROTOCOL_RDP (0):
/// `03 00 00 13 0e d0 00 00 12 34 00 02 01 08 00 00 00 00 00`.
#[test]
fn xrdp_rdp_security_only_selects_classic_rdp_security() {
    let server = start_xrdp(XrdpVariant::RdpSecurityOnly);
    assert_eq!(negotiated(&server), RDP);
    assert!(server.certificate.is_none());
}

/// The `unshare --mount` path used when a system xrdp's pid file exists.
#[test]
fn xrdp_runs_in_private_mount_namespace() {
    let server = xrdp_in_private_mount_ns(XrdpVariant::Default).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{} (private mount ns) up in {:?}", server.name, server.startup);
    assert_eq!(negotiated(&server), SSL);
}

#[test]
fn xrdp_instances_run_in_parallel_and_stop_cleanly() {
    let handles: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let variant = if i % 2 == 0 { XrdpVariant::Default } else { XrdpVariant::OtherNameCert };
                start_xrdp(variant)
            })
        })
        .collect();
    let servers: Vec<LabServer> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let mut ports: Vec<u16> = servers.iter().map(|s| s.addr.port()).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 4, "ports must be distinct");
    for s in &servers {
        assert_eq!(negotiated(s), SSL);
    }
    for s in servers {
        let (pids, dir) = (s.pids(), s.dir().to_owned());
        let t = Instant::now();
        drop(s);
        eprintln!("xrdp stopped in {:?}", t.elapsed());
        assert_stopped(&pids, &dir);
    }
}

#[test]
fn shadow_nla_accepts_right_password_and_rejects_wrong_one() {
    let server = start_shadow(ShadowVariant::Nla { user: "alice".into(), password: "Secret123".into() });
    assert_eq!(negotiated(&server), HYBRID);

    let (ok, out) = xfreerdp_auth_only(&server, &["/u:alice", "/p:Secret123"]);
    assert!(ok, "right password must authenticate:\n{out}\n--- server ---\n{}", server.log_tail());
    let (ok, out) = xfreerdp_auth_only(&server, &["/u:alice", "/p:wrong"]);
    assert!(!ok, "wrong password must fail:\n{out}");

    let (pids, dir) = (server.pids(), server.dir().to_owned());
    let t = Instant::now();
    drop(server);
    eprintln!("shadow-nla stopped in {:?}", t.elapsed());
    assert_stopped(&pids, &dir);
}

#[test]
fn shadow_tls_speaks_tls_but_not_nla() {
    let server = start_shadow(ShadowVariant::Tls);
    assert_eq!(negotiated(&server), SSL);
    let der = tls_leaf_certificate(server.addr);
    assert!(!der.is_empty());

    let (ok, out) = xfreerdp_auth_only(&server, &["/sec:tls", "/u:x", "/p:y"]);
    assert!(ok, "TLS connection must succeed:\n{out}\n--- server ---\n{}", server.log_tail());
    let (ok, out) = xfreerdp_auth_only(&server, &["/sec:nla", "/u:x", "/p:y"]);
    assert!(!ok, "NLA-only client must fail against /sec:tls:\n{out}");
    assert!(out.contains("protocol security negotiation"), "unexpected failure:\n{out}");
}

#[test]
fn closed_port_refuses() {
    let addr = closed_port();
    assert!(addr.ip().is_loopback());
    let err = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
}

fn netns_exists(name: &str) -> bool {
    let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().any(|l| l.split_whitespace().next() == Some(name))
}

#[test]
fn netns_drop_times_out() {
    let host = netns_host(Firewall::Drop).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("netns {} at {} via {}", host.netns, host.addr, host.iptables);
    assert_eq!(host.addr.port(), 3389);
    let t = Instant::now();
    let err = TcpStream::connect_timeout(&host.addr, Duration::from_secs(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert!(t.elapsed() >= Duration::from_millis(900));
    let name = host.netns.clone();
    drop(host);
    assert!(!netns_exists(&name), "namespace {name} left behind");
}

#[test]
fn netns_reject_refuses() {
    let host = netns_host(Firewall::Reject).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("netns {} at {} via {}", host.netns, host.addr, host.iptables);
    let err = TcpStream::connect_timeout(&host.addr, Duration::from_secs(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    let (name, hif) = (host.netns.clone(), host.host_if.clone());
    drop(host);
    assert!(!netns_exists(&name), "namespace {name} left behind");
    assert!(!Path::new(&format!("/sys/class/net/{hif}")).exists(), "veth {hif} left behind");
}

#[test]
fn netns_hosts_get_distinct_addresses() {
    let a = netns_host(Firewall::Reject).unwrap_or_else(|e| panic!("{e}"));
    let b = netns_host(Firewall::Drop).unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(a.addr, b.addr);
    assert_ne!(a.netns, b.netns);
    for h in [&a, &b] {
        let std::net::IpAddr::V4(v4) = h.addr.ip() else { panic!("IPv4 expected") };
        assert_eq!(v4.octets()[..2], [10, 250]);
    }
}

#[test]
fn missing_tool_names_the_package() {
    let err = rdp_doctor_lab::require("freerdp-shadow-cli-does-not-exist").unwrap_err();
    assert!(matches!(err, rdp_doctor_lab::LabError::UnlistedTool { .. }), "{err}");
    assert!(err.to_string().contains("scripts/test.sh"), "{err}");
    assert!(rdp_doctor_lab::require("ip").is_ok());
    assert_eq!(rdp_doctor_lab::package_for("freerdp-shadow-cli"), "freerdp2-shadow-x11");
    assert_eq!(rdp_doctor_lab::package_for("Xvfb"), "xvfb");
    // Issue 14: kadmin.local is not in krb5-kdc on Debian 12.
    assert_eq!(rdp_doctor_lab::package_for("kadmin.local"), "krb5-admin-server");
    let missing = rdp_doctor_lab::LabError::MissingTool { tool: "kadmin.local".into(), package: "krb5-admin-server" };
    assert!(missing.is_missing_prerequisite());
    assert!(missing.to_string().contains("`krb5-admin-server`"), "{missing}");
}
