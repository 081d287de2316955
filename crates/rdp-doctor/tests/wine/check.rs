//! `check` against real servers: the same verdict, layers and finding IDs as the Linux build.

use super::*;

#[test]
fn check_against_xrdp_matches_linux() {
    let Some((prefix, exe)) = windows("check_against_xrdp_matches_linux") else { return };
    for (variant, verdict) in [
        (rdp_doctor_lab::XrdpVariant::Default, None),
        (rdp_doctor_lab::XrdpVariant::ExpiredCert, Some("\"cert.expired\"")),
        (rdp_doctor_lab::XrdpVariant::RdpSecurityOnly, None),
    ] {
        let server = rdp_doctor_lab::xrdp(variant).unwrap_or_else(|e| panic!("{variant:?}: {e}"));
        let addr = server.addr.to_string();
        // --no-udp: Wine 8 does not report an ICMP port unreachable to a connected UDP socket (Windows reports
        // WSAECONNRESET, Linux ECONNREFUSED), so under Wine the RDP-UDP probe hears silence (`udp.blocked`)
        // where both real systems see `udp.not_listening`: a difference of Wine, not of the build.
        let (got, _) = same_check(prefix, &exe, &format!("{variant:?}"), &["check", &addr, "--json", "--no-udp"], &[]);
        if let Some(v) = verdict {
            assert_eq!(got["verdict"].to_string(), v, "{variant:?}");
        }
    }
}

#[test]
fn check_against_freerdp_shadow_nla_matches_linux() {
    let Some((prefix, exe)) = windows("check_against_freerdp_shadow_nla_matches_linux") else { return };
    let password = "S3cret-pw-Wine";
    let server =
        rdp_doctor_lab::shadow(rdp_doctor_lab::ShadowVariant::Nla { user: "alice".into(), password: password.into() })
            .unwrap();
    let addr = server.addr.to_string();
    let base = ["check", addr.as_str(), "--json", "--no-udp", "--no-matrix", "--user", "alice"];
    let (wrong, _) = same_check(prefix, &exe, "wrong password", &base, &[("RDP_DOCTOR_PASSWORD", "not-the-password")]);
    assert_eq!(wrong["verdict"], "credssp.logon_failure", "{wrong:#}");
    let (right, _) = same_check(prefix, &exe, "right password", &base, &[("RDP_DOCTOR_PASSWORD", password)]);
    assert_ne!(right["first_failing_layer"], "credssp", "{right:#}");

    // The password from a file given with a drive letter (both builds read the same file).
    let dir = prefix.drive_c().join("rdp doctor pw");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pässword.txt");
    std::fs::write(&file, format!("{password}\r\n")).unwrap();
    let mut linux_args = base.to_vec();
    let linux_file = file.display().to_string();
    linux_args.extend(["--password-file", &linux_file]);
    let linux = linux_run(&linux_args, &[]);
    let mut win_args = base.to_vec();
    let win_file = prefix.windows_path(&file);
    win_args.extend(["--password-file", &win_file]);
    let win = exe_run(prefix, &exe, &win_args, &[]);
    let (w, l): (Value, Value) =
        (serde_json::from_slice(&win.stdout).unwrap(), serde_json::from_slice(&linux.stdout).unwrap());
    let (w1, l1) = comparable(&w, &l);
    assert_eq!(w1, l1);
    let (w2, r2) = comparable(&w, &right);
    assert_eq!(w2, r2, "the file's password is the right one");
    assert!(!win.stdout_text().contains(password) && !win.stderr_text().contains(password));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--deep` against xrdp speaking TLS 1.0 only: the Windows build reaches it with its vendored OpenSSL
/// (rustls has no TLS 1.0) and enumerates the same versions and cipher suites, in the server's order, as
/// the Linux build with the system's OpenSSL.
#[test]
fn check_deep_enumerates_legacy_tls_like_linux() {
    let Some((prefix, exe)) = windows("check_deep_enumerates_legacy_tls_like_linux") else { return };
    let server = rdp_doctor_lab::xrdp(rdp_doctor_lab::XrdpVariant::Tls10Only).unwrap();
    let addr = server.addr.to_string();
    let args = ["check", addr.as_str(), "--json", "--no-udp", "--no-matrix", "--deep"];
    let (win, linux) = same_check(prefix, &exe, "TLS 1.0 only, --deep", &args, &[]);
    assert_eq!(win["evidence"]["tls"]["version"], "TLS 1.0", "the legacy stack's handshake:\n{win:#}");
    let scan = |v: &Value| -> Vec<(String, bool, Vec<u64>)> {
        let versions = v["evidence"]["tls_scan"]["versions"].as_array().unwrap_or_else(|| panic!("no scan: {v:#}"));
        versions
            .iter()
            .map(|r| {
                let suites = r["suites"].as_array().unwrap().iter().map(|s| s["id"].as_u64().unwrap()).collect();
                (r["name"].as_str().unwrap().to_owned(), r["accepted"].as_bool().unwrap(), suites)
            })
            .collect()
    };
    assert_eq!(scan(&win), scan(&linux), "the --deep scans differ");
    let accepted: Vec<_> = scan(&win).into_iter().filter(|(_, ok, _)| *ok).collect();
    assert_eq!(accepted.len(), 1, "TLS 1.0 only: {accepted:?}");
    assert_eq!(accepted[0].0, "TLS 1.0");
    assert!(!accepted[0].2.is_empty(), "TLS 1.0 with at least one suite: {accepted:?}");
    let ids = outline(&win).3;
    assert!(ids.contains(&"tls.legacy_only".to_owned()), "{ids:?}");
}

/// A real DTLS 1.2 server (`openssl s_server -dtls1_2 -listen`) on the gateway's UDP port, so both builds
/// hear an answer to the DTLS ClientHello (Wine does not report an ICMP port unreachable; see
/// `check_against_xrdp_matches_linux`). Killed by its PID on drop.
struct DtlsServer {
    child: std::process::Child,
    port: u16,
    /// The certificate and key, removed on drop.
    _dir: tempfile::TempDir,
}

impl DtlsServer {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        let openssl = rdp_doctor_lab::require("openssl").unwrap();
        let ok = std::process::Command::new(&openssl)
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
            .args(["-days", "2", "-subj", "/CN=localhost", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success());
        let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new(&openssl)
            .args(["s_server", "-dtls1_2", "-listen", "-quiet", "-accept", &format!("127.0.0.1:{port}")])
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Ready once its socket is bound (seen in /proc/net/udp, without touching the port).
        let local = format!("0100007F:{port:04X}");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !std::fs::read_to_string("/proc/net/udp").unwrap().lines().any(|l| l.contains(&local)) {
            assert!(std::time::Instant::now() < deadline, "openssl s_server did not bind UDP {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, port, _dir: dir }
    }
}

impl Drop for DtlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `check --gateway` with `--user` (the gateway's account, password from the environment) through the
/// scripted RD Gateway (Debian has none) relaying to IronRDP's acceptor: NTLM over HTTP and the MS-TSGU
/// tunnel over both transports, a wrong password, a refusal by resource policy; and the gateway probe
/// without credentials. Same verdict, layers and finding IDs as the Linux build.
#[test]
fn check_through_the_gateway_matches_linux() {
    use rdp_doctor_testserver::{
        CertSpec, GATEWAY_PASSWORD, GATEWAY_USER, GatewayFault, ScriptedGateway, Security, TestServer, TestServerConfig,
    };
    let Some((prefix, exe)) = windows("check_through_the_gateway_matches_linux") else { return };
    let rdp = TestServer::start(TestServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        cert: CertSpec::Valid,
        security: Security::Hybrid { username: "u".into(), password: "Hybrid-pw-1".into() },
    })
    .unwrap();
    let dtls = DtlsServer::start();
    let udp_port = dtls.port.to_string();
    let cases = [
        (GatewayFault::Tunnel, Some(GATEWAY_PASSWORD), "gateway.tunnel_ok"),
        (GatewayFault::TunnelWebsocket, Some(GATEWAY_PASSWORD), "gateway.tunnel_ok"),
        (GatewayFault::Tunnel, Some("not-the-gateway-pw"), "gateway.access_denied"),
        (GatewayFault::ChannelRefused(0x8007_59DA), Some(GATEWAY_PASSWORD), "gateway.rap_denied"),
        (GatewayFault::Healthy, None, "gateway.auth_schemes"),
    ];
    for (fault, password, want) in cases {
        let gw = ScriptedGateway::start_relay(fault, CertSpec::Valid, rdp.addr()).unwrap();
        let gateway = format!("localhost:{}", gw.addr().port());
        let mut args = vec!["check", "rdp.lab.test", "--json", "--no-udp", "--gateway", &gateway];
        args.extend(["--gateway-udp-port", &udp_port]);
        let mut env = Vec::new();
        if let Some(pw) = password {
            args.extend(["--user", GATEWAY_USER]);
            env.push(("RDP_DOCTOR_PASSWORD", pw));
        }
        let what = format!("{fault:?} with {password:?}");
        let (win, linux) = same_check(prefix, &exe, &what, &args, &env);
        let ids = outline(&win).3;
        assert!(ids.contains(&want.to_owned()), "{what}: {ids:?}");
        assert!(ids.contains(&"gateway.udp_reachable".to_owned()), "{what}: the DTLS server answered: {ids:?}");
        assert_eq!(
            win["evidence"]["gateway"]["tunnel"]["outcome"], linux["evidence"]["gateway"]["tunnel"]["outcome"],
            "{what}"
        );
    }
}

/// `demo` (the in-process server with the expired certificate) gives the Linux build's verdict and
/// findings. Its RDP-UDP probe has no `--no-udp`: under Wine a closed UDP port is silence
/// (`udp.blocked`) where Windows and Linux both see the ICMP port unreachable (`udp.not_listening`), so
/// that one finding is compared apart.
#[test]
fn demo_gives_the_same_verdict_as_linux() {
    let Some((prefix, exe)) = windows("demo_gives_the_same_verdict_as_linux") else { return };
    let win = exe_run(prefix, &exe, &["demo", "--json"], &[]);
    let linux = linux_run(&["demo", "--json"], &[]);
    let got: Value = serde_json::from_slice(&win.stdout).unwrap_or_else(|e| panic!("{e}: {}", win.describe()));
    let want: Value = serde_json::from_slice(&linux.stdout).unwrap();
    if !timing_differs(&got, &want) {
        assert_eq!(win.code, linux.status.code(), "{}", win.describe());
    }
    let without_udp = |(verdict, first, layers, ids): Outline| {
        let layers: Vec<_> = layers.into_iter().filter(|l| !l.starts_with("\"udp\"")).collect();
        let ids: Vec<_> = ids.into_iter().filter(|i| !i.starts_with("udp.")).collect();
        (verdict, first, layers, ids)
    };
    let (g, w) = comparable(&got, &want);
    assert_eq!(without_udp(g), without_udp(w), "{}", win.describe());
    assert_eq!(got["verdict"], "cert.expired");
    let udp: Vec<_> = outline(&got).3.into_iter().filter(|i| i.starts_with("udp.")).collect();
    assert!(udp == ["udp.blocked"] || udp == ["udp.not_listening"], "{udp:?}");
    // The text view on the same run: the same verdict named, and the same exit code.
    let text = exe_run(prefix, &exe, &["demo"], &[]);
    assert_eq!(text.code, win.code, "{}", text.describe());
    assert!(text.stdout_text().contains("cert.expired"), "{}", text.describe());
}
