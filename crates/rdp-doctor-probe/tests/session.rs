//! The credentialed run against IronRDP's acceptor in process: every way the server can say yes or no
//! in the connection sequence, observed raw (TSRequest errorCode, Early User Authorization Result,
//! Set Error Info with its 4-byte code, ultimatum, close) and each with exactly one authentication attempt.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Duration;

use rdp_doctor_core::evidence::{SessionEvidence, SessionOutcome};
use rdp_doctor_probe::session::{Credentials, Password};
use rdp_doctor_probe::{CheckOptions, check, parse_target};
use rdp_doctor_proto::nego::SecurityProtocol;
use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};

const USER: &str = "alice";
const PASSWORD: &str = "correct horse";

fn creds(user: &str, password: &str) -> Credentials {
    Credentials { user: user.to_owned(), password: Password::new(password.to_owned()) }
}

async fn run(security: Security, c: Credentials) -> (SessionEvidence, usize) {
    let srv = TestServer::start(TestServerConfig::loopback(CertSpec::Valid, security)).unwrap();
    let opts = CheckOptions {
        timeout: Duration::from_secs(5),
        matrix: false,
        samples: 0,
        udp_tries: 0,
        credentials: Some(c),
        ..CheckOptions::default()
    };
    let ev = check(parse_target(&srv.addr().to_string(), 3389).unwrap(), &opts).await;
    let session = ev.session.clone().unwrap();
    // Connections (no matrix, no quality series): the credential-free chain (1) and the credentialed run
    // (1); whatever happened, the server saw exactly one authentication attempt.
    assert_eq!(srv.logon_attempts(), 1, "{session:#?}");
    (session, srv.connections())
}

fn step<'a>(s: &'a SessionEvidence, name: &str) -> Option<&'a rdp_doctor_core::evidence::SessionStep> {
    s.steps.iter().find(|st| st.name == name)
}

#[tokio::test]
async fn hybrid_right_password_reaches_the_first_update() {
    let (s, conns) =
        run(Security::Hybrid { username: USER.into(), password: PASSWORD.into() }, creds(USER, PASSWORD)).await;
    assert_eq!(s.outcome, SessionOutcome::FirstUpdate, "{s:#?}");
    assert_eq!(s.selected_protocol, Some(SecurityProtocol::PROTOCOL_HYBRID.0));
    assert!(s.first_update_ms.is_some());
    for name in ["tcp", "x224", "tls", "credssp", "mcs_connect", "channel_connection", "client_info", "first_update"] {
        assert!(step(&s, name).is_some(), "missing step {name}: {:#?}", s.steps);
    }
    assert!(s.error_infos.is_empty() && s.credssp_error.is_none());
    assert_eq!(conns, 2);
}

#[tokio::test]
async fn hybrid_wrong_password_gets_status_logon_failure() {
    let (s, conns) =
        run(Security::Hybrid { username: USER.into(), password: PASSWORD.into() }, creds(USER, "wrong")).await;
    // IronRDP's acceptor answers the NTLM AUTHENTICATE with TSRequest.errorCode STATUS_LOGON_FAILURE.
    assert_eq!(s.credssp_error, Some(0xC000_006D), "{s:#?}");
    assert_eq!(s.phase, "credssp");
    assert!(matches!(s.outcome, SessionOutcome::Closed | SessionOutcome::Reset), "{:?}", s.outcome);
    assert_eq!(conns, 2, "exactly one authentication attempt (one credentialed connection)");
}

#[tokio::test]
async fn hybrid_ex_authorization_denied() {
    let (s, _) =
        run(Security::HybridExDenied { username: USER.into(), password: PASSWORD.into() }, creds(USER, PASSWORD)).await;
    assert_eq!(s.selected_protocol, Some(SecurityProtocol::PROTOCOL_HYBRID_EX.0));
    assert_eq!(s.early_user_auth, Some(5), "{s:#?}");
    assert_eq!(s.credssp_error, None);
    assert!(step(&s, "early_user_authorization").is_some_and(|st| st.detail.contains("AUTHZ_ACCESS_DENIED")));
}

#[tokio::test]
async fn hybrid_ex_success_reads_authz_success() {
    let (s, _) =
        run(Security::HybridEx { username: USER.into(), password: PASSWORD.into() }, creds(USER, PASSWORD)).await;
    assert_eq!(s.early_user_auth, Some(0), "{s:#?}");
    assert_eq!(s.outcome, SessionOutcome::FirstUpdate);
}

#[tokio::test]
async fn tls_logon_refused_with_errinfo_7_then_ultimatum_and_close() {
    let (s, _) =
        run(Security::TlsLogon { username: USER.into(), password: PASSWORD.into(), errinfo: 7 }, creds(USER, "wrong"))
            .await;
    assert_eq!(s.selected_protocol, Some(SecurityProtocol::PROTOCOL_SSL.0));
    assert_eq!(s.error_infos, vec![7], "{s:#?}");
    assert_eq!(s.ultimatum, Some(1));
    assert_eq!(s.phase, "client_info");
    assert!(matches!(s.outcome, SessionOutcome::Closed | SessionOutcome::Reset), "{:?}", s.outcome);
    assert!(step(&s, "set_error_info").is_some_and(|st| st.detail.contains("0x00000007")));
}

#[tokio::test]
async fn unknown_errinfo_code_is_kept_raw() {
    // IronRDP's ErrorInfo decoder rejects codes it does not know; the raw read keeps them.
    let (s, _) = run(
        Security::TlsLogon { username: USER.into(), password: PASSWORD.into(), errinfo: 0x0000_7777 },
        creds(USER, "wrong"),
    )
    .await;
    assert_eq!(s.error_infos, vec![0x7777], "{s:#?}");
}

#[tokio::test]
async fn tls_logon_right_password_reaches_the_first_update() {
    let (s, _) =
        run(Security::TlsLogon { username: USER.into(), password: PASSWORD.into(), errinfo: 7 }, creds(USER, PASSWORD))
            .await;
    assert_eq!(s.outcome, SessionOutcome::FirstUpdate, "{s:#?}");
    assert!(s.error_infos.is_empty());
}

#[tokio::test]
async fn domain_prefix_is_split_for_client_info() {
    // The acceptor compares the Client Info's user name and domain with its own (domain `CORP`).
    let (s, _) = run(
        Security::TlsLogon { username: "CORP\\alice".into(), password: PASSWORD.into(), errinfo: 7 },
        creds("CORP\\alice", PASSWORD),
    )
    .await;
    assert_eq!(s.outcome, SessionOutcome::FirstUpdate, "{s:#?}");
    assert_eq!(s.account, "CORP\\alice");
}

#[tokio::test]
async fn no_credentials_no_session() {
    let srv = TestServer::start(TestServerConfig::loopback(CertSpec::Valid, Security::Tls)).unwrap();
    let opts = CheckOptions {
        timeout: Duration::from_secs(5),
        matrix: false,
        samples: 0,
        udp_tries: 0,
        ..CheckOptions::default()
    };
    let ev = check(parse_target(&srv.addr().to_string(), 3389).unwrap(), &opts).await;
    assert!(ev.session.is_none());
    assert_eq!(srv.connections(), 1);
    assert_eq!(srv.logon_attempts(), 0);
}

#[tokio::test]
async fn closed_port_means_not_reached_and_nothing_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let opts = CheckOptions {
        timeout: Duration::from_secs(2),
        matrix: false,
        samples: 0,
        udp_tries: 0,
        credentials: Some(creds(USER, PASSWORD)),
        ..CheckOptions::default()
    };
    let ev = check(parse_target(&addr.to_string(), 3389).unwrap(), &opts).await;
    let s = ev.session.unwrap();
    assert!(matches!(s.outcome, SessionOutcome::NotReached { .. }), "{:?}", s.outcome);
    assert!(s.steps.is_empty());
}
