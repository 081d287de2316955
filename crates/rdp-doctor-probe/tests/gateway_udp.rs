//! The gateway's UDP (DTLS) reachability test against real peers on loopback: OpenSSL's DTLS server
//! (`openssl s_server -dtls1_2 -listen`, which answers a first ClientHello with a HelloVerifyRequest), a
//! closed port (ICMP port unreachable) and a socket that never answers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rdp_doctor_core::evidence::GatewayUdpOutcome;
use rdp_doctor_probe::gateway::udp_probe;

/// Kills the OpenSSL server (by its own PID) when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn openssl_dtls_server_answers_our_client_hello() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    let ok = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success());
    let port = free_udp_port();
    let _server = Server(
        Command::new("openssl")
            .args(["s_server", "-dtls1_2", "-listen", "-quiet", "-accept", &format!("127.0.0.1:{port}")])
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    // The server needs a moment to bind; retry the probe a few times.
    let mut last = None;
    for _ in 0..20 {
        let p = udp_probe(addr, Duration::from_millis(500)).await;
        if matches!(p.outcome, GatewayUdpOutcome::HelloVerifyRequest { .. }) {
            assert!(p.response_hex.is_some());
            return;
        }
        last = Some(p);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no HelloVerifyRequest from openssl s_server: {last:?}");
}

#[tokio::test]
async fn closed_port_is_refused_and_silence_is_silent() {
    let port = free_udp_port();
    let p = udp_probe(([127, 0, 0, 1], port).into(), Duration::from_millis(600)).await;
    assert_eq!(p.outcome, GatewayUdpOutcome::Refused, "{p:?}");
    // A bound socket that never answers: both ClientHellos go unanswered.
    let quiet = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let p = udp_probe(quiet.local_addr().unwrap(), Duration::from_millis(600)).await;
    assert_eq!((p.outcome, p.sent), (GatewayUdpOutcome::Silent, 2));
}
