//! An in-process RDP server for `rdp-doctor demo` and for tests.
//!
//! [`TestServer::start`] generates a self-signed certificate ([`CertSpec`]),
//! binds a TCP listener and serves connections on a dedicated OS thread until
//! the [`TestServer`] is dropped. Each connection runs IronRDP's sans-IO
//! [`ironrdp_acceptor::Acceptor`] through the RDP connection sequence
//! (MS-RDPBCGR 1.3.1.1) as far as the client drives it: X.224 negotiation,
//! TLS, CredSSP for [`Security::Hybrid`] / [`Security::HybridEx`], and the
//! rest of the connection sequence up to an (empty) active session.
//!
//! # Threading
//!
//! IronRDP's async acceptor helpers produce `!Send` futures (they use
//! `async_trait(?Send)` hooks), so they cannot run on a multi-threaded tokio
//! runtime. The server therefore owns one OS thread with a `current_thread`
//! runtime and a [`tokio::task::LocalSet`]; connections are served
//! concurrently as local tasks on it. The caller's own runtime (if any) is
//! not involved, so the server can be used from sync and async code alike.
//!
//! # Protocol negotiation
//!
//! The acceptor offers the protocols listed for each [`Security`] variant and
//! picks, from the intersection with the client's `requestedProtocols`
//! (MS-RDPBCGR 2.2.1.1.1), HYBRID_EX over HYBRID over SSL. Its answer is an
//! X.224 Connection Confirm with RDP_NEG_RSP (MS-RDPBCGR 2.2.1.2.1), flags
//! `EXTENDED_CLIENT_DATA_SUPPORTED` (0x01). When the intersection is empty,
//! including a client that requests only standard RDP security
//! (PROTOCOL_RDP, `requestedProtocols == 0`) or sends no RDP_NEG_REQ at all,
//! the server answers with RDP_NEG_FAILURE (MS-RDPBCGR 2.2.1.2.2):
//! `SSL_REQUIRED_BY_SERVER` (1) if it offers SSL, else
//! `HYBRID_REQUIRED_BY_SERVER` (5), and closes the connection. Standard RDP
//! Security (RC4, MS-RDPBCGR 5.3) is never offered. IronRDP 0.12's
//! `accept_begin` would drop that failure PDU; see the `connection` module
//! for how this server sends it anyway.
//!
//! # Logging
//!
//! The server writes nothing to stdout or stderr. IronRDP and rustls emit
//! `tracing`/`log` records that only appear if the embedding program
//! installs a subscriber/logger.
//!
//! # Limitations
//!
//! - Every connection is closed after 30 seconds, whatever its state, so an
//!   accepted session is short-lived and never shows a desktop.
//! - CredSSP uses NTLM only (no Kerberos/KDC). In [`Security::Tls`] mode the
//!   credentials of the Client Info PDU are accepted without any check;
//!   [`Security::TlsLogon`] checks them and refuses with a Set Error Info PDU.
//! - After the connection sequence the server sends one small bitmap update
//!   (the client's "first graphics update") and nothing else.
//! - Standard RDP Security, RDSTLS and RDS-AAD are never selected.
//! - A client that pipelines its TLS ClientHello behind the X.224 Connection
//!   Request (without waiting for the Confirm) gets the Confirm and is then
//!   disconnected.
//! - Connection tasks swallow all errors silently; a panic inside IronRDP
//!   (a bug there) would still go through the process's panic hook.

mod cert;
mod gateway;
mod gateway_tunnel;
mod hostile;
pub mod refusal;
mod scripted;

pub use gateway::{GATEWAY_PASSWORD, GATEWAY_USER, GatewayFault, ScriptedGateway};
pub use hostile::{HostileTls, TlsFault};
pub use scripted::{ScriptedNla, ScriptedServer, ScriptedUdp};
mod connection;
mod counting;

use core::fmt;
use core::time::Duration;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use ironrdp_pdu::nego::SecurityProtocol;
use ironrdp_pdu::rdp::client_info::Credentials;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::sync::oneshot;

use crate::connection::ConnContext;

/// The certificate the server presents in the TLS handshake.
///
/// Every variant is a freshly generated, self-signed ECDSA P-256 leaf with
/// extended key usage serverAuth. Unless stated otherwise, its subject CN is
/// `localhost` and its subject alternative names are DNS `localhost` and IP
/// `127.0.0.1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertSpec {
    /// notBefore about a year ago, notAfter exactly 24 hours before
    /// [`TestServer::start`]: the classic "certificate expired" case.
    ExpiredYesterday,
    /// Valid from 24 hours ago for a year.
    Valid,
    /// Valid like [`CertSpec::Valid`], but issued for this name only (CN and
    /// the single SAN; an IP address literal becomes an iPAddress SAN), so a
    /// client connecting to `localhost`/`127.0.0.1` sees a name mismatch.
    OtherName(String),
    /// notBefore 24 hours after [`TestServer::start`], as seen on hosts whose
    /// clock is behind.
    NotYetValid,
    /// Valid like [`CertSpec::Valid`] for `localhost` and 127.0.0.1, with an
    /// attacker-chosen subject: this common name and this organization, as
    /// UTF8Strings (markup, control and bidi characters, tens of KB) — for the
    /// tests that prove report values stay text.
    Subject { common_name: String, organization: String },
}

/// What the server offers in the security negotiation (MS-RDPBCGR 2.2.1.2.1).
#[derive(Clone, PartialEq, Eq)]
pub enum Security {
    /// Offers PROTOCOL_SSL only: TLS, then the whole connection sequence
    /// without CredSSP ("NLA disabled"). A client asking only for HYBRID
    /// gets RDP_NEG_FAILURE `SSL_REQUIRED_BY_SERVER`.
    Tls,
    /// Offers PROTOCOL_HYBRID only: TLS + CredSSP ("NLA required"). CredSSP
    /// runs NTLM against these credentials; the username may be `user`,
    /// `DOMAIN\user` or `user@domain` (only the account name is compared).
    /// A client asking only for SSL gets `HYBRID_REQUIRED_BY_SERVER`.
    Hybrid { username: String, password: String },
    /// Offers PROTOCOL_HYBRID_EX and PROTOCOL_HYBRID: like
    /// [`Security::Hybrid`], but a client that requests HYBRID_EX also gets
    /// the Early User Authorization Result PDU (MS-RDPBCGR 2.2.10.2) after
    /// CredSSP. HYBRID stays on offer because MS-RDPBCGR 2.2.1.1.1 has
    /// clients request HYBRID_EX only together with HYBRID.
    HybridEx { username: String, password: String },
    /// Offers PROTOCOL_SSL only, like [`Security::Tls`], but checks the credentials of the Client Info PDU
    /// (MS-RDPBCGR 2.2.1.11) against these. On a mismatch it sends a Set Error Info PDU with `errinfo`
    /// (MS-RDPBCGR 2.2.5.1.1; 7 = ERRINFO_SERVER_DENIED_CONNECTION, what mstsc shows as "0x904 / extended
    /// 0x7"), then an MCS Disconnect Provider Ultimatum, and closes the connection.
    TlsLogon { username: String, password: String, errinfo: u32 },
    /// Like [`Security::HybridEx`], but every authenticated user is refused authorization: a HYBRID_EX
    /// client gets the Early User Authorization Result AUTHZ_ACCESS_DENIED (MS-RDPBCGR 2.2.10.2).
    HybridExDenied { username: String, password: String },
}

impl fmt::Debug for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tls => f.write_str("Tls"),
            Self::Hybrid { username, .. } => {
                f.debug_struct("Hybrid").field("username", username).field("password", &"<redacted>").finish()
            }
            Self::HybridEx { username, .. } => {
                f.debug_struct("HybridEx").field("username", username).field("password", &"<redacted>").finish()
            }
            Self::TlsLogon { username, errinfo, .. } => f
                .debug_struct("TlsLogon")
                .field("username", username)
                .field("password", &"<redacted>")
                .field("errinfo", errinfo)
                .finish(),
            Self::HybridExDenied { username, .. } => {
                f.debug_struct("HybridExDenied").field("username", username).field("password", &"<redacted>").finish()
            }
        }
    }
}

impl Security {
    /// The protocol set handed to the acceptor.
    fn offered(&self) -> SecurityProtocol {
        match self {
            Self::Tls | Self::TlsLogon { .. } => SecurityProtocol::SSL,
            Self::Hybrid { .. } => SecurityProtocol::HYBRID,
            Self::HybridEx { .. } | Self::HybridExDenied { .. } => {
                SecurityProtocol::HYBRID | SecurityProtocol::HYBRID_EX
            }
        }
    }

    /// The credentials CredSSP checks, split into account and domain.
    fn credentials(&self) -> Option<Credentials> {
        let (username, password) = match self {
            Self::Tls => return None,
            Self::Hybrid { username, password }
            | Self::HybridEx { username, password }
            | Self::HybridExDenied { username, password }
            | Self::TlsLogon { username, password, .. } => (username, password),
        };
        let (domain, username) = match username.split_once('\\') {
            Some((domain, account)) => (Some(domain.to_owned()), account.to_owned()),
            None => (None, username.clone()),
        };
        Some(Credentials { username, password: password.clone(), domain })
    }
}

/// Configuration for [`TestServer::start`].
#[derive(Debug, Clone)]
pub struct TestServerConfig {
    /// Where to listen; usually `127.0.0.1:0` (an ephemeral port, see
    /// [`TestServer::addr`]).
    pub bind: SocketAddr,
    pub cert: CertSpec,
    pub security: Security,
}

impl TestServerConfig {
    /// A configuration listening on `127.0.0.1` with an ephemeral port.
    #[must_use]
    pub fn loopback(cert: CertSpec, security: Security) -> Self {
        Self { bind: SocketAddr::from(([127, 0, 0, 1], 0)), cert, security }
    }
}

/// Why [`TestServer::start`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestServerError {
    /// Generating the key pair or the self-signed certificate failed.
    #[error("generating the test certificate failed: {0}")]
    Certificate(#[source] rcgen::Error),
    /// rustls rejected the generated certificate/key or the protocol set.
    #[error("configuring TLS failed: {0}")]
    Tls(#[source] rustls::Error),
    /// Binding the listener to the given address failed.
    #[error("binding {addr} failed: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// Creating the runtime or the server thread failed.
    #[error("starting the server thread failed: {0}")]
    Runtime(#[source] std::io::Error),
}

/// How long [`Drop`] waits for the server thread before detaching it.
///
/// Shutdown drops every connection task at its next await point, so in
/// practice the thread ends within milliseconds.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running test server. Dropping it stops the server.
pub struct TestServer {
    addr: SocketAddr,
    extra_addrs: Vec<SocketAddr>,
    cert_der: Vec<u8>,
    connections: Arc<AtomicUsize>,
    logon_attempts: Arc<AtomicUsize>,
    /// Dropping (or sending on) this tells the accept loop to stop.
    shutdown: Option<oneshot::Sender<()>>,
    /// Closed by the server thread when it is about to exit.
    finished: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for TestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestServer")
            .field("addr", &self.addr)
            .field("connections", &self.connections())
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// Generates the certificate, binds the listener and starts serving.
    ///
    /// Synchronous: when this returns `Ok`, the socket is already listening,
    /// so a client may connect to [`TestServer::addr`] immediately. It blocks
    /// only briefly (key generation, bind) and neither needs nor uses the
    /// caller's runtime, so it may be called from sync or async code.
    pub fn start(config: TestServerConfig) -> Result<TestServer, TestServerError> {
        Self::start_many(config, &[])
    }

    /// Like [`TestServer::start`], and also listens on each of `extra` (same certificate, same security,
    /// same thread): one server behind many addresses, for fleet scans and benches (127.x.y.z addresses
    /// need no configuration on Linux). [`TestServer::extra_addrs`] has the bound addresses.
    pub fn start_many(config: TestServerConfig, extra: &[SocketAddr]) -> Result<TestServer, TestServerError> {
        let generated = cert::generate(&config.cert)?;
        let tls = tls_acceptor(&generated)?;

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(TestServerError::Runtime)?;

        let std_listener = std::net::TcpListener::bind(config.bind)
            .map_err(|source| TestServerError::Bind { addr: config.bind, source })?;
        let addr = std_listener.local_addr().map_err(TestServerError::Runtime)?;
        std_listener.set_nonblocking(true).map_err(TestServerError::Runtime)?;
        // Registering with the reactor needs the runtime's context.
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).map_err(TestServerError::Runtime)?
        };
        let mut extra_listeners = Vec::with_capacity(extra.len());
        let mut extra_addrs = Vec::with_capacity(extra.len());
        for bind in extra {
            let l =
                std::net::TcpListener::bind(bind).map_err(|source| TestServerError::Bind { addr: *bind, source })?;
            extra_addrs.push(l.local_addr().map_err(TestServerError::Runtime)?);
            l.set_nonblocking(true).map_err(TestServerError::Runtime)?;
            let _guard = runtime.enter();
            extra_listeners.push(tokio::net::TcpListener::from_std(l).map_err(TestServerError::Runtime)?);
        }

        let ctx = ConnContext {
            offered: config.security.offered(),
            credentials: config.security.credentials(),
            tls,
            public_key: generated.public_key,
            errinfo: match &config.security {
                Security::TlsLogon { errinfo, .. } => Some(*errinfo),
                _ => None,
            },
            deny_authorization: matches!(config.security, Security::HybridExDenied { .. }),
            logon_attempts: Arc::new(AtomicUsize::new(0)),
        };
        let connections = Arc::new(AtomicUsize::new(0));
        let logon_attempts = Arc::clone(&ctx.logon_attempts);
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let (finished_tx, finished_rx) = mpsc::channel::<()>();

        let thread_connections = Arc::clone(&connections);
        let thread = std::thread::Builder::new()
            .name(format!("rdp-doctor-testserver {addr}"))
            .spawn(move || {
                let local = tokio::task::LocalSet::new();
                let ctx = Rc::new(ctx);
                // The extra listeners' loops end when the main loop does: the LocalSet is dropped below.
                for l in extra_listeners {
                    let never = std::future::pending::<()>();
                    local.spawn_local(accept_loop(l, Rc::clone(&ctx), Arc::clone(&thread_connections), never));
                }
                let shutdown = async move {
                    let _ = shutdown_rx.await;
                };
                runtime.block_on(local.run_until(accept_loop(listener, ctx, thread_connections, shutdown)));
                // Drop the connection tasks while their I/O driver still exists.
                drop(local);
                drop(runtime);
                drop(finished_tx);
            })
            .map_err(TestServerError::Runtime)?;

        Ok(TestServer {
            addr,
            extra_addrs,
            cert_der: generated.cert_der,
            connections,
            logon_attempts,
            shutdown: Some(shutdown_tx),
            finished: finished_rx,
            thread: Some(thread),
        })
    }

    /// The address the server listens on (with the actual port when the
    /// configuration asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The addresses of [`TestServer::start_many`]'s extra listeners, in the order given.
    pub fn extra_addrs(&self) -> &[SocketAddr] {
        &self.extra_addrs
    }

    /// DER encoding of the leaf certificate presented in the TLS handshake.
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// How many TCP connections the server has accepted so far.
    ///
    /// Incremented as soon as a connection is accepted, before anything is
    /// read from it.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// How many authentication attempts the server has seen: NTLM AUTHENTICATE messages inside CredSSP,
    /// plus Client Info PDUs processed on connections without CredSSP (where they carry the logon).
    pub fn logon_attempts(&self) -> usize {
        self.logon_attempts.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let Some(thread) = self.thread.take() else {
            return;
        };
        // `recv_timeout` returns `Disconnected` as soon as the thread drops
        // its sender (normal exit or unwinding); only a wedged thread runs
        // into the timeout, and is then detached rather than blocking the
        // caller forever.
        match self.finished.recv_timeout(SHUTDOWN_GRACE) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = thread.join();
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
}

/// rustls configuration: the generated certificate, no client
/// authentication, TLS 1.2 and 1.3 (Windows clients still commonly
/// negotiate TLS 1.2 for RDP), and the `ring` provider passed explicitly so
/// the result does not depend on a process-wide default provider.
fn tls_acceptor(generated: &cert::GeneratedCert) -> Result<tokio_rustls::TlsAcceptor, TestServerError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cert = CertificateDer::from(generated.cert_der.clone());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(generated.key_pkcs8_der.clone()));
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(TestServerError::Tls)?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(TestServerError::Tls)?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Accepts connections until shutdown is requested, serving each one as a
/// local task. Returning drops nothing by itself: the tasks are dropped with
/// the `LocalSet` by the caller.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    ctx: Rc<ConnContext>,
    connections: Arc<AtomicUsize>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            // Either an explicit shutdown or the `TestServer` being gone.
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.fetch_add(1, Ordering::SeqCst);
                    tokio::task::spawn_local(connection::serve(Rc::clone(&ctx), stream));
                }
                // Transient errors (ECONNABORTED, EMFILE, ...): back off
                // briefly instead of spinning, and keep listening.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
        }
    }
}
