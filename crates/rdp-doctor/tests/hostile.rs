//! Hostile and broken peers (issue 8): the tool must end within its deadline with a clear verdict, bounded
//! memory and no panic. Every peer here is SCRIPTED: real servers do not misbehave on demand.
//!
//! Each peer is a std thread serving one connection on 127.0.0.1; the binary runs with `--timeout 1s
//! --no-matrix` and assert_cmd kills it (failing the test) if it outlives a generous bound.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

/// X.224 Connection Confirm selecting PROTOCOL_SSL / PROTOCOL_HYBRID.
const CC_SSL: [u8; 19] = [3, 0, 0, 19, 14, 0xd0, 0, 0, 0, 0, 0, 2, 1, 8, 0, 1, 0, 0, 0];

/// Serves one connection with `script`, on its own thread; returns the address.
fn peer(script: impl FnOnce(TcpStream) + Send + 'static) -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((s, _)) = l.accept() {
            let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
            script(s);
        }
    });
    addr
}

fn read_some(s: &mut TcpStream) -> Vec<u8> {
    let mut b = vec![0u8; 4096];
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    let n = s.read(&mut b).unwrap_or(0);
    b.truncate(n);
    b
}

/// Runs the check; returns (exit code, report).
fn check(addr: std::net::SocketAddr) -> (Option<i32>, Value) {
    let out = Command::cargo_bin("rdp-doctor")
        .unwrap()
        .timeout(Duration::from_secs(20))
        .args(["check", &addr.to_string(), "--json", "--timeout", "1s", "--no-matrix"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code(), v)
}

fn verdict(v: &Value) -> &str {
    v["verdict"].as_str().unwrap_or("?")
}

#[test]
fn accepts_and_never_answers() {
    let addr = peer(|s| {
        std::thread::sleep(Duration::from_secs(4));
        drop(s);
    });
    let (code, v) = check(addr);
    assert_eq!(verdict(&v), "x224.no_response");
    assert_eq!(code, Some(1));
}

#[test]
fn accepts_and_closes_at_once() {
    let addr = peer(drop);
    let (_, v) = check(addr);
    assert_eq!(verdict(&v), "x224.closed");
}

#[test]
fn trickles_one_byte_per_second() {
    let addr = peer(|mut s| {
        let _ = read_some(&mut s);
        for b in CC_SSL {
            if s.write_all(&[b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let (_, v) = check(addr);
    assert_eq!(verdict(&v), "x224.no_response");
    assert!(v["evidence"]["x224"]["outcome"]["received"].as_u64().unwrap() <= 2);
}

#[test]
fn announces_a_maximal_tpkt_and_streams_zeros() {
    let addr = peer(|mut s| {
        let _ = read_some(&mut s);
        let _ = s.write_all(&[3, 0, 0xff, 0xff]);
        let zeros = [0u8; 1024];
        for _ in 0..64 {
            if s.write_all(&zeros).is_err() {
                return;
            }
        }
    });
    let (_, v) = check(addr);
    assert!(matches!(verdict(&v), "x224.malformed" | "x224.no_response"), "{}", verdict(&v));
}

#[test]
fn random_bytes_are_not_rdp() {
    let addr = peer(|mut s| {
        let _ = read_some(&mut s);
        let junk: Vec<u8> = (0u32..512).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80).collect();
        let _ = s.write_all(&junk);
    });
    let (_, v) = check(addr);
    assert_eq!(verdict(&v), "x224.not_rdp");
}

#[test]
fn resets_mid_tls_handshake() {
    let addr = peer(|mut s| {
        let _ = read_some(&mut s);
        let _ = s.write_all(&CC_SSL);
        // Let the ClientHello arrive and leave it unread: closing a socket with unread data makes Linux
        // answer with RST instead of FIN.
        std::thread::sleep(Duration::from_millis(300));
        drop(s);
    });
    let (_, v) = check(addr);
    assert_eq!(verdict(&v), "tls.server_key_unusable", "{}", v["evidence"]["tls"]);
    assert_eq!(v["evidence"]["tls"]["outcome"]["kind"], "reset");
}

#[test]
fn announces_a_huge_tls_record() {
    let addr = peer(|mut s| {
        let _ = read_some(&mut s);
        let _ = s.write_all(&CC_SSL);
        let _ = read_some(&mut s);
        // Handshake record claiming 65535 bytes (over the 16640 maximum), then a Certificate message that
        // claims 16 MiB, streamed for a while.
        let _ = s.write_all(&[22, 3, 3, 0xff, 0xff, 11, 0xff, 0xff, 0xff]);
        let chunk = [0x30u8; 1024];
        for _ in 0..256 {
            if s.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let (_, v) = check(addr);
    assert_eq!(verdict(&v), "tls.handshake_failed", "{}", v["evidence"]["tls"]);
}

#[test]
fn endless_certificate_chain() {
    // Valid record framing, an endless Certificate handshake message split over maximal records.
    let addr = peer(|mut s| {
        let _ = read_some(&mut s);
        let _ = s.write_all(&CC_SSL);
        let _ = read_some(&mut s);
        // ServerHello (TLS 1.2, suite 0xc02f), then Certificate messages forever.
        let mut sh = vec![2, 0, 0, 38, 3, 3];
        sh.extend_from_slice(&[7; 32]);
        sh.extend_from_slice(&[0, 0xc0, 0x2f, 0]);
        let mut rec = vec![22, 3, 3, 0, sh.len() as u8];
        rec.extend_from_slice(&sh);
        let _ = s.write_all(&rec);
        let mut cert = vec![11, 0xff, 0xff, 0xf0];
        cert.resize(16_384, 0x30);
        let mut r = vec![22, 3, 3, 0x40, 0x00];
        r.extend_from_slice(&cert);
        for _ in 0..200 {
            if s.write_all(&r).is_err() {
                return;
            }
            r.truncate(5);
            r.resize(5 + 16_384, 0x30);
        }
    });
    let (_, v) = check(addr);
    assert_eq!(verdict(&v), "tls.handshake_failed", "{}", v["evidence"]["tls"]);
}

#[test]
fn announces_a_4_gib_tsrequest() {
    // CredSSP: after a real TLS handshake the peer announces a TSRequest of 4 GiB. Needs a TLS server, so
    // this one uses the scripted NLA peer's building blocks: X.224 HYBRID + rustls acceptor.
    use rdp_doctor_testserver::ScriptedServer;
    // SEQUENCE with a 4-byte length of 0xFFFFFFFF, then a little filler.
    let srv = ScriptedServer::start_tsrequest_reply(vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0xa0, 0x03]).unwrap();
    let (_, v) = check(srv.addr());
    assert_eq!(verdict(&v), "credssp.failed", "{}", v["evidence"]["credssp"]);
    assert!(v["evidence"]["credssp"]["outcome"]["error"].as_str().unwrap().contains("exceeds"));
}
