//! Drives the test server with hand-written bytes: X.224 negotiation, a TLS
//! handshake with an accept-anything rustls client, and misbehaving clients.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};
use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use x509_parser::prelude::{FromDer as _, GeneralName, X509Certificate};

const IO_TIMEOUT: Duration = Duration::from_secs(5);
const TEST_DEADLINE: Duration = Duration::from_secs(30);

const PROTOCOL_RDP: u32 = 0;
const PROTOCOL_SSL: u32 = 0x1;
const PROTOCOL_HYBRID: u32 = 0x2;
const PROTOCOL_HYBRID_EX: u32 = 0x8;

/// The request from the brief, byte for byte: RDP_NEG_REQ for SSL|HYBRID|HYBRID_EX.
const CR_SSL_HYBRID_HYBRIDEX: [u8; 19] =
    [0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x0b, 0x00, 0x00, 0x00];

/// Runs `f` on its own thread and fails the test if it takes longer than `limit`.
fn bounded<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("test exceeded {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("test body panicked"),
    }
}

fn start(cert: CertSpec, security: Security) -> TestServer {
    TestServer::start(TestServerConfig::loopback(cert, security)).expect("start test server")
}

fn hybrid() -> Security {
    Security::Hybrid { username: "alice".to_owned(), password: "secret".to_owned() }
}

fn hybrid_ex() -> Security {
    Security::HybridEx { username: "alice".to_owned(), password: "secret".to_owned() }
}

/// X.224 Connection Request with an RDP_NEG_REQ (MS-RDPBCGR 2.2.1.1).
fn connection_request(requested: u32) -> Vec<u8> {
    let mut bytes = vec![0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00];
    bytes.extend_from_slice(&[0x01, 0x00, 0x08, 0x00]);
    bytes.extend_from_slice(&requested.to_le_bytes());
    bytes
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
}

/// Reads one TPKT-framed PDU (MS-RDPBCGR 2.2.1.2: TPKT header, length big-endian in bytes 2..4).
fn read_tpkt(stream: &mut TcpStream) -> Vec<u8> {
    let mut header = [0_u8; 4];
    stream.read_exact(&mut header).expect("read TPKT header");
    assert_eq!(header[0], 0x03, "TPKT version");
    let length = usize::from(u16::from_be_bytes([header[2], header[3]]));
    let mut pdu = header.to_vec();
    pdu.resize(length, 0);
    stream.read_exact(&mut pdu[4..]).expect("read TPKT body");
    pdu
}

/// Sends `request` and returns the server's X.224 Connection Confirm.
fn negotiate(stream: &mut TcpStream, request: &[u8]) -> Vec<u8> {
    stream.write_all(request).unwrap();
    let confirm = read_tpkt(stream);
    assert_eq!(confirm[5], 0xd0, "X.224 Connection Confirm: {confirm:02x?}");
    confirm
}

fn selected_protocol(confirm: &[u8]) -> u32 {
    assert_eq!(confirm.len(), 19, "{confirm:02x?}");
    assert_eq!(confirm[11], 0x02, "RDP_NEG_RSP expected: {confirm:02x?}");
    u32::from_le_bytes(confirm[15..19].try_into().unwrap())
}

#[derive(Debug)]
struct AcceptAnything(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn tls_client_config(versions: &[&'static rustls::SupportedProtocolVersion]) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(versions)
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnything(provider)))
        .with_no_client_auth();
    Arc::new(config)
}

/// Completes a TLS handshake on `stream`; returns the leaf certificate and the TLS version.
fn tls_handshake(
    stream: &mut TcpStream,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> (Vec<u8>, rustls::ProtocolVersion) {
    let name = ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(tls_client_config(versions), name).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(stream).expect("TLS handshake");
    }
    let leaf = conn.peer_certificates().expect("server certificate")[0].to_vec();
    let version = conn.protocol_version().unwrap();
    (leaf, version)
}

fn unix_now() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

/// X.224 + TLS against a fresh server; returns the presented leaf certificate.
fn presented_certificate(cert: CertSpec) -> Vec<u8> {
    bounded(TEST_DEADLINE, move || {
        let server = start(cert, Security::Tls);
        let mut stream = connect(server.addr());
        let confirm = negotiate(&mut stream, &CR_SSL_HYBRID_HYBRIDEX);
        assert_eq!(selected_protocol(&confirm), PROTOCOL_SSL);
        let (leaf, _) = tls_handshake(&mut stream, rustls::ALL_VERSIONS);
        assert_eq!(leaf, server.certificate_der(), "served certificate == certificate_der()");
        assert_eq!(server.connections(), 1);
        leaf
    })
}

fn san_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let san = cert.subject_alternative_name().unwrap().expect("SAN extension");
    san.value
        .general_names
        .iter()
        .map(|name| match name {
            GeneralName::DNSName(dns) => format!("dns:{dns}"),
            GeneralName::IPAddress(ip) => format!("ip:{ip:?}"),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn expired_yesterday_certificate_is_presented() {
    let der = presented_certificate(CertSpec::ExpiredYesterday);
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    let now = unix_now();
    let not_after = cert.validity().not_after.timestamp();
    assert!(not_after < now, "notAfter must be in the past");
    let age = now - not_after;
    assert!((86_000..=86_800).contains(&age), "expired about 24 h ago, got {age} s");
    assert!(cert.validity().not_before.timestamp() < not_after);
    assert_eq!(san_names(&cert), ["dns:localhost".to_owned(), "ip:[127, 0, 0, 1]".to_owned()]);
}

#[test]
fn valid_certificate_is_presented() {
    let der = presented_certificate(CertSpec::Valid);
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    let now = unix_now();
    assert!(cert.validity().not_before.timestamp() < now);
    assert!(cert.validity().not_after.timestamp() > now);
    assert!(cert.validity().is_valid());
    let cn = cert.subject().iter_common_name().next().unwrap().as_str().unwrap();
    assert_eq!(cn, "localhost");
}

#[test]
fn not_yet_valid_certificate_is_presented() {
    let der = presented_certificate(CertSpec::NotYetValid);
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    assert!(cert.validity().not_before.timestamp() > unix_now(), "notBefore must be in the future");
}

#[test]
fn other_name_certificate_is_presented() {
    let der = presented_certificate(CertSpec::OtherName("rdp.example.test".to_owned()));
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    assert!(cert.validity().is_valid());
    assert_eq!(san_names(&cert), ["dns:rdp.example.test".to_owned()]);
    let cn = cert.subject().iter_common_name().next().unwrap().as_str().unwrap();
    assert_eq!(cn, "rdp.example.test");
}

#[test]
fn tls12_and_tls13_are_both_accepted() {
    bounded(TEST_DEADLINE, || {
        let server = start(CertSpec::Valid, Security::Tls);
        for (versions, expected) in [
            (&[&rustls::version::TLS12][..], rustls::ProtocolVersion::TLSv1_2),
            (&[&rustls::version::TLS13][..], rustls::ProtocolVersion::TLSv1_3),
        ] {
            let mut stream = connect(server.addr());
            negotiate(&mut stream, &CR_SSL_HYBRID_HYBRIDEX);
            let (_, version) = tls_handshake(&mut stream, versions);
            assert_eq!(version, expected);
        }
    });
}

/// The Connection Confirm for each (server security, requested protocols) pair.
///
/// Run with `--nocapture` to see the exact bytes.
#[test]
fn negotiation_matrix() {
    bounded(TEST_DEADLINE, || {
        let requests = [
            ("SSL|HYBRID|HYBRID_EX", PROTOCOL_SSL | PROTOCOL_HYBRID | PROTOCOL_HYBRID_EX),
            ("SSL", PROTOCOL_SSL),
            ("HYBRID", PROTOCOL_HYBRID),
            ("RDP (0)", PROTOCOL_RDP),
        ];
        // Expected: Ok(selected protocol) for RDP_NEG_RSP, Err(failure code) for RDP_NEG_FAILURE.
        type Expected = [Result<u32, u32>; 4];
        let cases: [(&str, Security, Expected); 3] = [
            ("Tls", Security::Tls, [Ok(PROTOCOL_SSL), Ok(PROTOCOL_SSL), Err(1), Err(1)]),
            ("Hybrid", hybrid(), [Ok(PROTOCOL_HYBRID), Err(5), Ok(PROTOCOL_HYBRID), Err(5)]),
            ("HybridEx", hybrid_ex(), [Ok(PROTOCOL_HYBRID_EX), Err(5), Ok(PROTOCOL_HYBRID), Err(5)]),
        ];
        for (server_name, security, expected) in cases {
            let server = start(CertSpec::Valid, security);
            for ((request_name, requested), expected) in requests.iter().zip(expected) {
                let mut stream = connect(server.addr());
                let confirm = negotiate(&mut stream, &connection_request(*requested));
                println!("server {server_name:8} request {request_name:20} -> {confirm:02x?}");
                assert_eq!(confirm.len(), 19);
                match expected {
                    Ok(protocol) => {
                        assert_eq!(confirm[11], 0x02, "RDP_NEG_RSP");
                        assert_eq!(confirm[12], 0x01, "EXTENDED_CLIENT_DATA_SUPPORTED");
                        assert_eq!(selected_protocol(&confirm), protocol);
                    }
                    Err(code) => {
                        assert_eq!(confirm[11], 0x03, "RDP_NEG_FAILURE");
                        assert_eq!(u32::from_le_bytes(confirm[15..19].try_into().unwrap()), code);
                        // The server closes the connection afterwards.
                        let mut rest = Vec::new();
                        stream.read_to_end(&mut rest).expect("orderly close, not a reset");
                        assert!(rest.is_empty());
                    }
                }
            }
        }
    });
}

#[test]
fn legacy_request_without_rdp_neg_req_gets_ssl_required() {
    bounded(TEST_DEADLINE, || {
        let server = start(CertSpec::Valid, Security::Tls);
        let mut stream = connect(server.addr());
        // X.224 Connection Request with no cookie and no RDP_NEG_REQ.
        let confirm = negotiate(&mut stream, &[0x03, 0x00, 0x00, 0x0b, 0x06, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00]);
        println!("legacy request -> {confirm:02x?}");
        assert_eq!(confirm[11], 0x03, "RDP_NEG_FAILURE");
        assert_eq!(confirm[15], 0x01, "SSL_REQUIRED_BY_SERVER");
    });
}

#[test]
fn request_with_mstshash_cookie_is_accepted() {
    bounded(TEST_DEADLINE, || {
        let server = start(CertSpec::Valid, Security::Tls);
        let mut stream = connect(server.addr());
        let cookie = b"Cookie: mstshash=alice\r\n";
        let length = 4 + 7 + cookie.len() + 8;
        let mut request = vec![0x03, 0x00, 0x00, u8::try_from(length).unwrap()];
        request.extend_from_slice(&[u8::try_from(length - 5).unwrap(), 0xe0, 0, 0, 0, 0, 0]);
        request.extend_from_slice(cookie);
        request.extend_from_slice(&[0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00]);
        let confirm = negotiate(&mut stream, &request);
        assert_eq!(selected_protocol(&confirm), PROTOCOL_SSL);
        tls_handshake(&mut stream, rustls::ALL_VERSIONS);
    });
}

#[test]
fn the_exact_request_from_the_brief_gets_rdp_neg_rsp() {
    bounded(TEST_DEADLINE, || {
        let server = start(CertSpec::ExpiredYesterday, Security::Tls);
        let mut stream = connect(server.addr());
        let confirm = negotiate(&mut stream, &CR_SSL_HYBRID_HYBRIDEX);
        assert_eq!(confirm[11], 0x02);
        assert_eq!(&confirm[..4], &[0x03, 0x00, 0x00, 0x13]);
    });
}

#[test]
fn hybrid_server_completes_tls_after_negotiation() {
    bounded(TEST_DEADLINE, || {
        let server = start(CertSpec::ExpiredYesterday, hybrid_ex());
        let mut stream = connect(server.addr());
        let confirm = negotiate(&mut stream, &CR_SSL_HYBRID_HYBRIDEX);
        assert_eq!(selected_protocol(&confirm), PROTOCOL_HYBRID_EX);
        let (leaf, _) = tls_handshake(&mut stream, rustls::ALL_VERSIONS);
        assert_eq!(leaf, server.certificate_der());
        // Then the client gives up without CredSSP: must not disturb the server.
        drop(stream);
        let mut stream = connect(server.addr());
        assert_eq!(selected_protocol(&negotiate(&mut stream, &CR_SSL_HYBRID_HYBRIDEX)), PROTOCOL_HYBRID_EX);
    });
}

/// Checks that a well-behaved client still gets X.224 + TLS done.
fn assert_server_healthy(server: &TestServer) {
    let mut stream = connect(server.addr());
    let confirm = negotiate(&mut stream, &CR_SSL_HYBRID_HYBRIDEX);
    assert_eq!(selected_protocol(&confirm), PROTOCOL_SSL);
    let (leaf, _) = tls_handshake(&mut stream, rustls::ALL_VERSIONS);
    assert_eq!(leaf, server.certificate_der());
}

#[test]
fn misbehaving_clients_do_not_break_the_server() {
    bounded(TEST_DEADLINE, || {
        let server = start(CertSpec::ExpiredYesterday, Security::Tls);

        // 1. Connects and closes immediately.
        drop(connect(server.addr()));
        assert_server_healthy(&server);

        // 2. Sends garbage that is not a TPKT frame.
        let mut garbage = connect(server.addr());
        garbage.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
        let mut sink = Vec::new();
        // The server hangs up (EOF or reset, both fine) rather than answering.
        let _ = garbage.read_to_end(&mut sink);
        assert!(sink.is_empty(), "no answer to garbage: {sink:02x?}");
        assert_server_healthy(&server);

        // 3. A valid TPKT header announcing a body that never comes, kept open.
        let mut half = connect(server.addr());
        half.write_all(&[0x03, 0x00, 0x00, 0x13, 0x0e]).unwrap();
        // 4. Connects and sends nothing, kept open.
        let silent = connect(server.addr());
        // Both stalled clients are pending; the next client is still served.
        assert_server_healthy(&server);

        // 5. Valid X.224, then garbage instead of a TLS ClientHello.
        let mut bad_tls = connect(server.addr());
        negotiate(&mut bad_tls, &CR_SSL_HYBRID_HYBRIDEX);
        bad_tls.write_all(&[0xff; 64]).unwrap();
        let _ = bad_tls.read_to_end(&mut sink);
        assert_server_healthy(&server);

        // 6. X.224 + TLS, then disconnect (what a certificate probe does).
        let mut probe = connect(server.addr());
        negotiate(&mut probe, &CR_SSL_HYBRID_HYBRIDEX);
        tls_handshake(&mut probe, rustls::ALL_VERSIONS);
        drop(probe);
        assert_server_healthy(&server);

        // 7. X.224 request and ClientHello pipelined without waiting for the confirm.
        let mut eager = connect(server.addr());
        let mut bytes = CR_SSL_HYBRID_HYBRIDEX.to_vec();
        bytes.extend_from_slice(&[0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]);
        eager.write_all(&bytes).unwrap();
        let confirm = read_tpkt(&mut eager);
        assert_eq!(confirm[5], 0xd0);
        assert_server_healthy(&server);

        drop((half, silent));
        assert_eq!(server.connections(), 13);
    });
}

#[test]
fn drop_is_prompt_even_with_stalled_clients() {
    bounded(TEST_DEADLINE, || {
        let server = start(CertSpec::Valid, hybrid());
        let addr = server.addr();
        let _silent = connect(addr);
        let mut mid_handshake = connect(addr);
        negotiate(&mut mid_handshake, &CR_SSL_HYBRID_HYBRIDEX);
        while server.connections() < 2 {
            std::thread::sleep(Duration::from_millis(5));
        }

        let started = Instant::now();
        drop(server);
        assert!(started.elapsed() < Duration::from_secs(2), "drop took {:?}", started.elapsed());

        // The listener is gone and the pending connections were closed.
        let mut sink = Vec::new();
        let _ = mid_handshake.read_to_end(&mut sink);
        assert!(TcpStream::connect_timeout(&addr, IO_TIMEOUT).is_err(), "listener closed");
    });
}

#[test]
#[ignore = "waits for the 30 s per-connection deadline"]
fn stalled_client_is_cut_off_at_the_deadline() {
    bounded(Duration::from_secs(60), || {
        let server = start(CertSpec::Valid, Security::Tls);
        let mut silent = connect(server.addr());
        silent.set_read_timeout(Some(Duration::from_secs(45))).unwrap();
        let started = Instant::now();
        let mut sink = Vec::new();
        silent.read_to_end(&mut sink).expect("server closes the connection");
        let waited = started.elapsed();
        assert!((Duration::from_secs(29)..Duration::from_secs(35)).contains(&waited), "closed after {waited:?}");
        assert_server_healthy(&server);
    });
}

#[test]
fn bind_error_is_reported() {
    let first = start(CertSpec::Valid, Security::Tls);
    let config = TestServerConfig { bind: first.addr(), cert: CertSpec::Valid, security: Security::Tls };
    let error = TestServer::start(config).unwrap_err();
    assert!(error.to_string().contains("binding"), "{error}");
}

#[test]
fn debug_output_does_not_leak_the_password() {
    let text = format!("{:?}", TestServerConfig::loopback(CertSpec::Valid, hybrid()));
    assert!(text.contains("alice"));
    assert!(!text.contains("secret"), "{text}");
}
