//! Runs IronRDP's own client connector against the test server through the
//! whole connection sequence (negotiation, TLS, CredSSP, capabilities,
//! finalization), for each security mode.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::Duration;

use ironrdp_connector::sspi::generator::NetworkRequest;
use ironrdp_connector::{
    ClientConnector, Config, ConnectorError, ConnectorErrorExt as _, ConnectorErrorKind, ConnectorResult, Credentials,
    DesktopSize, ServerName,
};
use ironrdp_pdu::gcc;
use ironrdp_pdu::nego::FailureCode;
use ironrdp_pdu::rdp::capability_sets::{MajorPlatformType, RailSupportLevel};
use ironrdp_pdu::rdp::client_info::{PerformanceFlags, TimezoneInfo};
use ironrdp_tokio::{NetworkClient, TokioFramed};
use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};
use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, UnixTime};
use x509_parser::prelude::{FromDer as _, X509Certificate};

const TEST_DEADLINE: Duration = Duration::from_secs(30);

#[derive(Debug)]
struct AcceptAnything(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
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

struct NoNetwork;

impl NetworkClient for NoNetwork {
    fn send(&mut self, _request: &NetworkRequest) -> impl Future<Output = ConnectorResult<Vec<u8>>> {
        core::future::ready(Err(ConnectorError::general("no network in tests")))
    }
}

fn client_config(username: &str, password: &str, enable_tls: bool, enable_credssp: bool) -> Config {
    Config {
        desktop_size: DesktopSize { width: 1024, height: 768 },
        monitor_layout: None,
        desktop_scale_factor: 0,
        desktop_physical_size: None,
        desktop_orientation: None,
        device_scale_factor: None,
        monitor_extended_layout: None,
        relative_mouse_input: false,
        enable_tls,
        enable_credssp,
        enable_standard_rdp_security: false,
        credentials: Credentials::UsernamePassword { username: username.to_owned(), password: password.to_owned() },
        domain: None,
        client_build: 0,
        client_name: "rdp-doctor-test".to_owned(),
        keyboard_type: gcc::KeyboardType::IBM_ENHANCED,
        keyboard_subtype: 0,
        keyboard_functional_keys_count: 12,
        keyboard_layout: 0x409,
        connection_type: gcc::ConnectionType::Lan,
        ime_file_name: String::new(),
        bitmap: None,
        dig_product_id: String::new(),
        client_dir: String::new(),
        alternate_shell: String::new(),
        work_dir: String::new(),
        remote_application_mode: false,
        rail_support_level: RailSupportLevel::empty(),
        platform: MajorPlatformType::UNIX,
        hardware_id: None,
        request_data: None,
        autologon: false,
        enable_audio_playback: false,
        enable_audio_capture: false,
        performance_flags: PerformanceFlags::default(),
        license_cache: None,
        timezone_info: TimezoneInfo::default(),
        compression_type: None,
        enable_server_pointer: false,
        pointer_software_rendering: true,
        multitransport_flags: None,
        support_dyn_vc_gfx_protocol: false,
    }
}

/// Connects with IronRDP's client; returns the connection result or the first error.
async fn connect(server: &TestServer, config: Config) -> ConnectorResult<()> {
    let tcp = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let client_addr = tcp.local_addr().unwrap();
    let mut framed = TokioFramed::new(tcp);
    let mut connector = ClientConnector::new(config, client_addr);
    let should_upgrade = ironrdp_tokio::connect_begin(&mut framed, &mut connector).await?;

    let tcp = framed.into_inner_no_leftover();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls_config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnything(provider)))
        .with_no_client_auth();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(tls_config))
        .connect(rustls::pki_types::ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();

    let leaf = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    assert_eq!(leaf, server.certificate_der());
    let (_, cert) = X509Certificate::from_der(&leaf).unwrap();
    let public_key = cert.public_key().subject_public_key.data.to_vec();

    let upgraded = ironrdp_tokio::mark_as_upgraded(should_upgrade, &mut connector);
    let mut framed = TokioFramed::new(tls);
    ironrdp_tokio::connect_finalize(
        upgraded,
        connector,
        &mut framed,
        &mut NoNetwork,
        ServerName::new("localhost"),
        public_key,
        None,
    )
    .await?;
    Ok(())
}

async fn run(security: Security, config: Config) -> ConnectorResult<()> {
    let server = TestServer::start(TestServerConfig::loopback(CertSpec::ExpiredYesterday, security)).unwrap();
    let result =
        tokio::time::timeout(TEST_DEADLINE, connect(&server, config)).await.expect("connection finished in time");
    assert_eq!(server.connections(), 1);
    result
}

fn alice() -> (String, String) {
    ("alice".to_owned(), "correct horse".to_owned())
}

#[tokio::test]
async fn tls_full_connection_sequence() {
    run(Security::Tls, client_config("anyone", "anything", true, false)).await.expect("TLS connection accepted");
}

#[tokio::test]
async fn hybrid_with_correct_credentials() {
    let (username, password) = alice();
    run(
        Security::Hybrid { username: username.clone(), password: password.clone() },
        client_config(&username, &password, true, true),
    )
    .await
    .expect("CredSSP succeeds");
}

#[tokio::test]
async fn hybrid_ex_with_correct_credentials() {
    let (username, password) = alice();
    run(
        Security::HybridEx { username: format!("WORKGROUP\\{username}"), password: password.clone() },
        client_config(&username, &password, false, true),
    )
    .await
    .expect("CredSSP with Early User Authorization succeeds");
}

#[tokio::test]
async fn hybrid_with_wrong_password_is_rejected() {
    let (username, password) = alice();
    let error =
        run(Security::Hybrid { username: username.clone(), password }, client_config(&username, "wrong", true, true))
            .await
            .expect_err("wrong password must fail");
    let text = format!("{error:?}");
    assert!(text.to_lowercase().contains("credssp") || text.contains("Logon"), "{text}");
}

#[tokio::test]
async fn hybrid_ex_with_unknown_user_is_rejected() {
    let (username, password) = alice();
    run(Security::HybridEx { username, password: password.clone() }, client_config("mallory", &password, false, true))
        .await
        .expect_err("unknown user must fail");
}

#[tokio::test]
async fn nla_only_client_against_tls_only_server_gets_negotiation_failure() {
    let error = run(Security::Tls, client_config("alice", "x", false, true)).await.expect_err("no common protocol");
    // IronRDP's client decodes the RDP_NEG_FAILURE the server sends.
    match error.kind() {
        ConnectorErrorKind::Negotiation(failure) => {
            assert_eq!(failure.code(), FailureCode::SSL_REQUIRED_BY_SERVER);
        }
        other => panic!("expected a negotiation failure, got {other:?}"),
    }
}

#[tokio::test]
async fn tls_only_client_against_nla_only_server_gets_negotiation_failure() {
    let error = run(
        Security::Hybrid { username: "alice".to_owned(), password: "x".to_owned() },
        client_config("alice", "x", true, false),
    )
    .await
    .expect_err("no common protocol");
    match error.kind() {
        ConnectorErrorKind::Negotiation(failure) => {
            assert_eq!(failure.code(), FailureCode::HYBRID_REQUIRED_BY_SERVER);
        }
        other => panic!("expected a negotiation failure, got {other:?}"),
    }
}
