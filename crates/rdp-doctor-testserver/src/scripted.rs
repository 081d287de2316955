//! Scripted RDP endpoints for faults real servers will not produce on demand: a CredSSP peer that
//! announces an old CredSSP version, or whose NTLM CHALLENGE carries a clock far off. They speak just
//! enough RDP (X.224 Connection Confirm selecting HYBRID, then TLS, then one TSRequest) to be diagnosed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rdp_doctor_proto::{credssp, ntlm, tpkt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

use crate::{CertSpec, TestServerError};

/// What the scripted server says in CredSSP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedNla {
    /// The TSRequest version to answer with.
    pub credssp_version: u32,
    /// How far the announced NTLM timestamp is from the real clock, milliseconds (positive = ahead).
    pub clock_offset_ms: i64,
    /// The DNS computer name to announce.
    pub dns_computer_name: String,
}

/// A running scripted server; dropping it stops it.
pub struct ScriptedServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for ScriptedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

/// X.224 Connection Confirm with RDP_NEG_RSP selecting PROTOCOL_HYBRID (MS-RDPBCGR 2.2.1.2.1).
const CONFIRM_HYBRID: [u8; 19] = [3, 0, 0, 19, 14, 0xd0, 0, 0, 0, 0, 0, 2, 1, 8, 0, 2, 0, 0, 0];

/// What the scripted server answers to the client's first TSRequest.
#[derive(Debug, Clone)]
enum Reply {
    Challenge(ScriptedNla),
    Raw(Vec<u8>),
}

impl ScriptedServer {
    /// Starts the scripted NLA endpoint on 127.0.0.1 with a valid self-signed certificate.
    pub fn start_nla(script: ScriptedNla) -> Result<Self, TestServerError> {
        Self::start(Reply::Challenge(script))
    }

    /// Like [`ScriptedServer::start_nla`], but answers the first TSRequest with `bytes` verbatim (hostile
    /// peers: oversized lengths, garbage).
    pub fn start_tsrequest_reply(bytes: Vec<u8>) -> Result<Self, TestServerError> {
        Self::start(Reply::Raw(bytes))
    }

    fn start(script: Reply) -> Result<Self, TestServerError> {
        let generated = crate::cert::generate(&CertSpec::Valid)?;
        let acceptor = crate::tls_acceptor(&generated)?;
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(TestServerError::Runtime)?;
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|source| TestServerError::Bind { addr: SocketAddr::from(([127, 0, 0, 1], 0)), source })?;
        let addr = std_listener.local_addr().map_err(TestServerError::Runtime)?;
        std_listener.set_nonblocking(true).map_err(TestServerError::Runtime)?;
        let listener = {
            let _g = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).map_err(TestServerError::Runtime)?
        };
        let (tx, mut rx) = oneshot::channel::<()>();
        let script = Arc::new(script);
        let thread = std::thread::Builder::new()
            .name(format!("scripted-nla {addr}"))
            .spawn(move || {
                runtime.block_on(async move {
                    loop {
                        tokio::select! {
                            _ = &mut rx => break,
                            accepted = listener.accept() => {
                                let Ok((stream, _)) = accepted else { continue };
                                let (acceptor, script) = (acceptor.clone(), script.clone());
                                tokio::spawn(async move {
                                    let _ = tokio::time::timeout(Duration::from_secs(10), serve(stream, acceptor, &script)).await;
                                });
                            }
                        }
                    }
                });
            })
            .map_err(TestServerError::Runtime)?;
        Ok(Self { addr, shutdown: Some(tx), thread: Some(thread) })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(
    mut stream: tokio::net::TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    reply: &Reply,
) -> std::io::Result<()> {
    // Read one TPKT (the Connection Request), whatever protocols it asks for.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        match tpkt::frame_len(&buf) {
            Ok(Some(_)) => break,
            Ok(None) if buf.len() < 1024 => {}
            _ => return Ok(()),
        }
    }
    stream.write_all(&CONFIRM_HYBRID).await?;
    let mut tls = acceptor.accept(stream).await?;
    let mut req = Vec::new();
    loop {
        let n = tls.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        req.extend_from_slice(chunk.get(..n).unwrap_or_default());
        match credssp::decode(&req) {
            Ok(Some(_)) => break,
            Ok(None) if req.len() < 8192 => {}
            _ => return Ok(()),
        }
    }
    let script = match reply {
        Reply::Challenge(s) => s,
        Reply::Raw(bytes) => {
            tls.write_all(bytes).await?;
            tls.flush().await?;
            let _ = tls.read(&mut chunk).await;
            return Ok(());
        }
    };
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0));
    let info = ntlm::TargetInfo {
        nb_computer_name: Some("SCRIPTED".into()),
        nb_domain_name: Some("LAB".into()),
        dns_computer_name: Some(script.dns_computer_name.clone()),
        dns_domain_name: Some("lab.test".into()),
        dns_tree_name: Some("lab.test".into()),
        timestamp: Some(ntlm::unix_ms_to_filetime(now_ms + script.clock_offset_ms)),
        other_ids: vec![],
    };
    let challenge = ntlm::encode_challenge(
        0xe28a_8235,
        "LAB",
        &info,
        Some(ntlm::Version { major: 10, minor: 0, build: 20348, ntlm_revision: 15 }),
    );
    tls.write_all(&credssp::encode_nego(script.credssp_version, &challenge)).await?;
    tls.flush().await?;
    // Wait for the client to go away.
    let _ = tls.read(&mut chunk).await;
    Ok(())
}

/// A scripted RDP-UDP listener (real RDP-UDP servers are Windows only): answers every client SYN with a
/// SYN+ACK acknowledging its ISN, and nothing else. Dropping it stops it.
#[derive(Debug)]
pub struct ScriptedUdp {
    addr: SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ScriptedUdp {
    /// Binds UDP `addr` (use the TCP server's address: RDP-UDP shares the port number).
    pub fn start(addr: SocketAddr) -> Result<Self, TestServerError> {
        let sock = std::net::UdpSocket::bind(addr).map_err(|source| TestServerError::Bind { addr, source })?;
        sock.set_read_timeout(Some(Duration::from_millis(100))).map_err(TestServerError::Runtime)?;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                let Ok((n, from)) = sock.recv_from(&mut buf) else { continue };
                if let Ok(syn) = rdp_doctor_proto::rdpeudp::decode_syn(buf.get(..n).unwrap_or_default())
                    && !syn.is_syn_ack()
                {
                    let reply = rdp_doctor_proto::rdpeudp::encode_syn_ack(
                        syn.initial_sequence_number,
                        0x0102_0304,
                        1232,
                        rdp_doctor_proto::rdpeudp::UdpVersion::RDPUDP_PROTOCOL_VERSION_2,
                    );
                    let _ = sock.send_to(&reply, from);
                }
            }
        });
        Ok(Self { addr, stop, thread: Some(thread) })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ScriptedUdp {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
