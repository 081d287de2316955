//! A scan with a thousand hostile peers mixed in among real servers: none holds a worker past the host
//! deadline, every line is a valid report, the real servers are still judged right. And the per-host cap:
//! a host's ports are checked one after the other, so it never sees more than three connections at once.
//!
//! The hostile peers are SCRIPTED (real servers do not misbehave on demand): silent after accept, one byte
//! a second, a 4 GiB BER length in the MCS Connect Response, a reset right after the Connection Request.
//! Each listens on its own loopback address (127.41.x.y), so each is its own host.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod scan_support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};
use scan_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// X.224 Connection Confirm with RDP_NEG_RSP selecting PROTOCOL_SSL (MS-RDPBCGR 2.2.1.2.1).
const CC_SSL: [u8; 19] = [3, 0, 0, 19, 14, 0xd0, 0, 0, 0, 0, 0, 2, 1, 8, 0, 1, 0, 0, 0];
/// The same selecting PROTOCOL_RDP (Standard RDP Security): the client goes on with MCS Connect Initial.
const CC_RDP: [u8; 19] = [3, 0, 0, 19, 14, 0xd0, 0, 0, 0, 0, 0, 2, 0, 8, 0, 0, 0, 0, 0];
/// TPKT + X.224 Data + MCS Connect-Response ([APPLICATION 102], BER 0x7f 0x66) whose length field
/// (0x84 + 4 bytes) claims 4 GiB - 1.
const MCS_4GIB: [u8; 30] = [
    3, 0, 0, 30, 2, 0xf0, 0x80, 0x7f, 0x66, 0x84, 0xff, 0xff, 0xff, 0xff, 0x0a, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30,
    0x84, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
];
/// X.224 Connection Confirm with RDP_NEG_FAILURE HYBRID_REQUIRED_BY_SERVER (2.2.1.2.2).
const CC_HYBRID_REQUIRED: [u8; 19] = [3, 0, 0, 19, 14, 0xd0, 0, 0, 0, 0, 0, 3, 0, 8, 0, 5, 0, 0, 0];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hostile {
    Silent,
    Trickle,
    Huge,
    Reset,
}

async fn read_request(s: &mut tokio::net::TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    matches!(tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await, Ok(Ok(n)) if n > 0)
}

async fn serve(kind: Hostile, mut s: tokio::net::TcpStream) {
    match kind {
        Hostile::Silent => {
            let mut sink = [0u8; 4096];
            let _ = tokio::time::timeout(Duration::from_secs(20), async {
                while matches!(s.read(&mut sink).await, Ok(n) if n > 0) {}
            })
            .await;
        }
        Hostile::Trickle => {
            if read_request(&mut s).await {
                for b in CC_SSL {
                    if s.write_all(&[b]).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        Hostile::Huge => {
            if read_request(&mut s).await && s.write_all(&CC_RDP).await.is_ok() && read_request(&mut s).await {
                let _ = s.write_all(&MCS_4GIB).await;
                let zeros = [0u8; 1024];
                for _ in 0..64 {
                    if s.write_all(&zeros).await.is_err() {
                        return;
                    }
                }
            }
        }
        Hostile::Reset => {
            if read_request(&mut s).await {
                // A zero linger makes the close a reset and does not block (the deprecation is about
                // non-zero lingers).
                #[allow(deprecated)]
                let _ = s.set_linger(Some(Duration::ZERO));
            }
        }
    }
}

/// Starts `n` hostile listeners (kinds in turn) on their own addresses; returns (address, kind) pairs.
fn hostile_fleet(rt: &tokio::runtime::Runtime, n: usize) -> Vec<(SocketAddr, Hostile)> {
    let kinds = [Hostile::Silent, Hostile::Trickle, Hostile::Huge, Hostile::Reset];
    (0..n)
        .map(|i| {
            let kind = kinds[i % kinds.len()];
            let bind = format!("127.41.{}.{}:0", i / 200, i % 200 + 1);
            let l = rt.block_on(tokio::net::TcpListener::bind(&bind)).unwrap();
            let addr = l.local_addr().unwrap();
            rt.spawn(async move {
                while let Ok((s, _)) = l.accept().await {
                    tokio::spawn(serve(kind, s));
                }
            });
            (addr, kind)
        })
        .collect()
}

#[test]
fn a_thousand_hostile_peers_never_hold_a_worker_past_the_host_deadline() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let hostile = hostile_fleet(&rt, 1000);
    let expired = TestServer::start(TestServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        cert: CertSpec::ExpiredYesterday,
        security: Security::Tls,
    })
    .unwrap();
    let nla = TestServer::start(TestServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        cert: CertSpec::Valid,
        security: Security::HybridEx { username: "u".into(), password: "Hostile-pw-1".into() },
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("hostile.txt");
    let mut lines: Vec<String> = hostile.iter().map(|(a, k)| format!("{a},,{k:?}")).collect();
    // The real servers in the middle of the list, not first.
    lines.insert(500, expired.addr().to_string());
    lines.insert(700, format!("{},localhost", nla.addr()));
    std::fs::write(&list, lines.join("\n")).unwrap();
    let jsonl = dir.path().join("hostile.jsonl");
    let host_timeout_ms = 1500.0;
    let out = assert_cmd::Command::new(bin())
        .timeout(Duration::from_secs(240))
        .args(["scan", "-iL", list.to_str().unwrap(), "-o", jsonl.to_str().unwrap(), "--progress", "never"])
        .args(["--timeout", "1s", "--host-timeout", "1500ms"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");

    let reports = validate_jsonl(&jsonl);
    assert_eq!(reports.len(), 1002);
    for r in &reports {
        // The deadline is a tokio timeout around the check; the slack covers scheduling on a loaded machine,
        // not a second deadline.
        let took = r["duration_ms"].as_f64().unwrap();
        assert!(took <= host_timeout_ms + 1000.0, "{} took {took} ms", r["scan"]["key"]);
    }
    let mut deadline_hits = 0;
    for (addr, kind) in &hostile {
        let r = by_key(&reports, &addr.to_string());
        assert_eq!(r["scan"]["tag"], format!("{kind:?}"));
        let v = r["verdict"].as_str().unwrap();
        match kind {
            // Per-layer deadlines of the main chain and the matrix's three waves add up past 1.5 s.
            Hostile::Silent | Hostile::Trickle => {
                assert_eq!(v, "scan.host_deadline", "{addr} {kind:?}");
                deadline_hits += 1;
            }
            Hostile::Reset => assert!(v.starts_with("x224."), "{addr}: {v}"),
            Hostile::Huge => {
                assert_ne!(v, "scan.host_deadline", "{addr}");
                assert!(!r["evidence"]["rdp_security"].is_null(), "{addr}: the MCS answer was read and bounded");
            }
        }
    }
    assert_eq!(by_key(&reports, &expired.addr().to_string())["verdict"], "cert.expired");
    assert_eq!(by_key(&reports, &nla.addr().to_string())["scan"]["facts"]["nla"], "required");
    assert!(stdout.contains(&format!("Hosts stopped by the host deadline ({deadline_hits})")), "{stdout}");
    assert_eq!(expired.logon_attempts() + nla.logon_attempts(), 0);
    drop(rt);
}

#[test]
fn a_host_never_sees_more_than_three_connections_at_once() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let current = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let total = Arc::new(AtomicUsize::new(0));
    // Three ports of one host; every connection is held 300 ms before its refusal, so overlaps show.
    let mut targets = Vec::new();
    for _ in 0..3 {
        let l = rt.block_on(tokio::net::TcpListener::bind("127.42.0.1:0")).unwrap();
        targets.push(l.local_addr().unwrap().to_string());
        let (current, peak, total) = (current.clone(), peak.clone(), total.clone());
        rt.spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let (current, peak, total) = (current.clone(), peak.clone(), total.clone());
                tokio::spawn(async move {
                    let now = current.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    total.fetch_add(1, Ordering::SeqCst);
                    if read_request(&mut s).await {
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        let _ = s.write_all(&CC_HYBRID_REQUIRED).await;
                    }
                    current.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
    }
    let out = assert_cmd::Command::new(bin())
        .timeout(Duration::from_secs(60))
        .args(["scan", "--progress", "never", "--no-summary", "--timeout", "2s"])
        .args(&targets)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    for l in &lines {
        assert_eq!(l["verdict"], "nego.hybrid_required_by_server", "{l}");
    }
    // Each check: the main connection and the matrix's six, two at a time beside it.
    assert_eq!(total.load(Ordering::SeqCst), 3 * 7);
    let peak = peak.load(Ordering::SeqCst);
    assert!(peak <= 3, "the host saw {peak} connections at once");
    assert!(peak >= 2, "the matrix runs beside the main connection: the measurement must see overlap");
    drop(rt);
}
