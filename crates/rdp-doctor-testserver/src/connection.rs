//! One accepted TCP connection, driven through IronRDP's acceptor.
//!
//! The sequence follows MS-RDPBCGR 1.3.1.1 (Connection Sequence):
//!
//! 1. Connection Initiation (MS-RDPBCGR 2.2.1.1 / 2.2.1.2): read the client's
//!    X.224 Connection Request, let [`Acceptor`] pick a protocol from the
//!    intersection of what the client requested and what the server offers,
//!    and send the X.224 Connection Confirm. This part is driven by hand
//!    rather than with [`ironrdp_acceptor::accept_begin`]; see
//!    [`negotiate`] for why.
//! 2. Security upgrade (MS-RDPBCGR 5.4.5): TLS handshake with tokio-rustls
//!    using the generated certificate.
//! 3. CredSSP (MS-CSSP) when HYBRID or HYBRID_EX was selected, including the
//!    Early User Authorization Result PDU for HYBRID_EX (MS-RDPBCGR 2.2.10.2),
//!    via [`ironrdp_acceptor::accept_credssp`].
//! 4. Basic settings exchange, channel connection, licensing, capability
//!    exchange and finalization (MS-RDPBCGR 1.3.1.1 phases 3 to 10), via
//!    [`ironrdp_acceptor::accept_finalize`].
//! 5. An "active session" that has nothing to show: incoming data is read
//!    and discarded until the client disconnects or the deadline passes.
//!
//! The client may stop at any point (a TLS-only probe disconnects after the
//! handshake); every failure simply ends the connection. Nothing is logged,
//! so the server stays silent on stdout/stderr.

use core::future::Future;
use core::time::Duration;
use std::io;
use std::rc::Rc;

use ironrdp_acceptor::{Acceptor, DesktopSize};
use ironrdp_connector::sspi::generator::NetworkRequest;
use ironrdp_connector::{ConnectorError, ConnectorErrorExt as _, ConnectorResult, ServerName};
use ironrdp_core::WriteBuf;
use ironrdp_pdu::nego::SecurityProtocol;
use ironrdp_pdu::rdp::capability_sets::{
    Bitmap, BitmapDrawingFlags, CapabilitySet, General, Input, InputFlags, MultifragmentUpdate, Order, OrderFlags,
    OrderSupportExFlags, Pointer, VirtualChannel, VirtualChannelFlags,
};
use ironrdp_pdu::rdp::client_info::Credentials;
use ironrdp_tokio::{FramedWrite as _, LocalTokioFramed, NetworkClient, single_sequence_step_read};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Hard upper bound on the lifetime of one connection.
///
/// A client that stalls (sends half a PDU, never answers CredSSP, keeps an
/// idle session open) is cut off after this, so it cannot occupy the server
/// thread or keep a test waiting forever.
pub(crate) const CONNECTION_DEADLINE: Duration = Duration::from_secs(30);

/// How long a connection that is being closed after an error keeps reading
/// (and discarding) what the client still sends, see [`close_gracefully`].
const LINGER: Duration = Duration::from_millis(500);

/// Desktop size advertised in the server's Bitmap capability set
/// (MS-RDPBCGR 2.2.7.1.2). Nothing is ever drawn.
const DESKTOP_SIZE: DesktopSize = DesktopSize { width: 1024, height: 768 };

/// Name handed to the CredSSP server as the client's computer name.
///
/// NTLM only uses it for the NTLMv2 target info; the client's real name is
/// not known before authentication.
const CREDSSP_CLIENT_NAME: &str = "rdp-doctor-client";

/// Everything a connection needs, shared (read-only) between the tasks of
/// the server thread.
pub(crate) struct ConnContext {
    /// Protocols offered in the negotiation (the acceptor's `security`).
    pub(crate) offered: SecurityProtocol,
    /// Credentials CredSSP accepts; `None` for TLS-only servers.
    pub(crate) credentials: Option<Credentials>,
    pub(crate) tls: tokio_rustls::TlsAcceptor,
    /// `subjectPublicKey` of the served certificate, for CredSSP's pubKeyAuth.
    pub(crate) public_key: Vec<u8>,
    /// When set, wrong Client Info credentials are refused with a Set Error Info PDU carrying this code.
    pub(crate) errinfo: Option<u32>,
    /// Refuse authorization after CredSSP (AUTHZ_ACCESS_DENIED for HYBRID_EX clients).
    pub(crate) deny_authorization: bool,
    /// Authentication attempts seen (see [`crate::counting`]).
    pub(crate) logon_attempts: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// Why a connection ended early. Never shown to anybody (the server logs
/// nothing); it exists so the control flow reads as ordinary `?` chains.
#[derive(Debug)]
enum ConnEnd {
    Io,
    Protocol,
}

impl From<io::Error> for ConnEnd {
    fn from(_: io::Error) -> Self {
        Self::Io
    }
}

impl From<ConnectorError> for ConnEnd {
    fn from(_: ConnectorError) -> Self {
        Self::Protocol
    }
}

/// Serves one TCP connection until the client leaves, an error occurs or
/// [`CONNECTION_DEADLINE`] passes. Never fails and never logs.
pub(crate) async fn serve(ctx: Rc<ConnContext>, stream: TcpStream) {
    // Small PDUs are written in one go; avoid Nagle delays on loopback.
    let _ = stream.set_nodelay(true);
    let _ = tokio::time::timeout(CONNECTION_DEADLINE, drive(&ctx, stream)).await;
}

async fn drive(ctx: &ConnContext, stream: TcpStream) -> Result<(), ConnEnd> {
    let mut acceptor = Acceptor::new(ctx.offered, DESKTOP_SIZE, server_capabilities(), ctx.credentials.clone());

    let mut framed = LocalTokioFramed::new(stream);
    if let Err(end) = negotiate(&mut framed, &mut acceptor).await {
        let (stream, _) = framed.into_inner();
        close_gracefully(stream).await;
        return Err(end);
    }

    let (tcp, leftover) = framed.into_inner();
    if !leftover.is_empty() {
        // MS-RDPBCGR 1.3.1.1: the client must wait for the Connection
        // Confirm before starting TLS, so nothing may be buffered here.
        // (IronRDP's own `accept_begin` would hit a debug assertion.)
        close_gracefully(tcp).await;
        return Err(ConnEnd::Protocol);
    }

    let tls = crate::counting::CountingStream::new(ctx.tls.accept(tcp).await?, ctx.logon_attempts.clone());
    acceptor.mark_security_upgrade_as_done();
    let nla = acceptor.should_perform_credssp();
    let mut framed = LocalTokioFramed::new(tls);

    if acceptor.should_perform_credssp() {
        let result = if ctx.deny_authorization {
            ironrdp_acceptor::accept_credssp_with(
                &mut framed,
                &mut acceptor,
                &mut NoNetwork,
                ServerName::new(CREDSSP_CLIENT_NAME),
                ctx.public_key.clone(),
                None,
                &mut crate::refusal::DenyAuthorization,
            )
            .await
        } else {
            ironrdp_acceptor::accept_credssp(
                &mut framed,
                &mut acceptor,
                &mut NoNetwork,
                ServerName::new(CREDSSP_CLIENT_NAME),
                ctx.public_key.clone(),
                None,
            )
            .await
        };
        if let Err(e) = result {
            // Whatever the acceptor wrote (a TSRequest errorCode, AUTHZ_ACCESS_DENIED) is on the wire.
            let (tls, _) = framed.into_inner();
            close_tls_gracefully(tls).await;
            return Err(e.into());
        }
    }

    let framed = finalize(framed, &mut acceptor, ctx.errinfo, (!nla).then_some(&ctx.logon_attempts)).await?;

    // The connection sequence is complete: the session is "active". Send
    // one screen update, discard input until the client leaves, then send
    // TLS close_notify.
    let (mut tls, _) = framed.into_inner();
    let _ = tls.write_all(&crate::refusal::first_bitmap_update()).await;
    let _ = tls.flush().await;
    discard_until_eof(&mut tls).await;
    let _ = tls.shutdown().await;
    Ok(())
}

/// Connection Initiation (MS-RDPBCGR 1.3.1.1 phase 1): X.224 Connection
/// Request in, X.224 Connection Confirm out, until the acceptor reaches its
/// security-upgrade state.
///
/// Driven by hand instead of through [`ironrdp_acceptor::accept_begin`]
/// because of how the acceptor reports a negotiation failure. When the
/// requested and offered protocols do not intersect (for example a client
/// asking only for PROTOCOL_RDP, i.e. `requestedProtocols == 0`, of a server
/// offering SSL), `Acceptor::step` encodes an X.224 Connection Confirm
/// carrying RDP_NEG_FAILURE (MS-RDPBCGR 2.2.1.2.2, e.g.
/// SSL_REQUIRED_BY_SERVER or HYBRID_REQUIRED_BY_SERVER) into the output
/// buffer *and returns an error*. The generic driver
/// (`single_sequence_step`, used by `accept_begin`) only writes the buffer on
/// success, so a server built on `accept_begin` silently drops the failure
/// PDU and just closes the TCP connection. That is why IronRDP servers are
/// seen "never sending RDP_NEG_FAILURE". A Windows host does send it, and
/// clients turn the code into a specific message, so this driver flushes
/// whatever the failing step encoded before closing.
async fn negotiate<S>(framed: &mut LocalTokioFramed<S>, acceptor: &mut Acceptor) -> Result<(), ConnEnd>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = WriteBuf::new();
    while acceptor.reached_security_upgrade().is_none() {
        // `single_sequence_step_read` clears `buf` itself before stepping.
        match single_sequence_step_read(framed, acceptor, &mut buf).await {
            Ok(written) => {
                if written.size().is_some() {
                    framed.write_all(buf.filled()).await?;
                }
            }
            Err(error) => {
                if buf.filled_len() > 0 {
                    framed.write_all(buf.filled()).await?;
                }
                return Err(error.into());
            }
        }
    }
    Ok(())
}

/// `accept_finalize`, driven step by step: each Client Info PDU (MS-RDPBCGR 2.2.1.11) processed counts as a
/// logon attempt when `client_info_attempts` is given (connections without CredSSP), and with `errinfo` a
/// refused Client Info gets the answer Windows gives: a Set Error Info PDU with that code, an MCS Disconnect
/// Provider Ultimatum, and the close. (The acceptor itself would encode ERRINFO 9 and then fail the step,
/// which drops the PDU.)
async fn finalize<S>(
    mut framed: LocalTokioFramed<S>,
    acceptor: &mut Acceptor,
    errinfo: Option<u32>,
    client_info_attempts: Option<&std::sync::Arc<std::sync::atomic::AtomicUsize>>,
) -> Result<LocalTokioFramed<S>, ConnEnd>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    use ironrdp_connector::Sequence as _;
    let mut buf = WriteBuf::new();
    loop {
        if acceptor.get_result().is_some() {
            return Ok(framed);
        }
        let state = acceptor.state().name();
        let result = single_sequence_step_read(&mut framed, acceptor, &mut buf).await;
        if state == "SecureSettingsExchange"
            && let Some(n) = client_info_attempts
        {
            n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        match result {
            Ok(written) => {
                if let Some(n) = written.size() {
                    framed.write_all(buf.filled().get(..n).unwrap_or_default()).await?;
                }
            }
            Err(error) => {
                if state == "SecureSettingsExchange"
                    && let Some(code) = errinfo
                {
                    framed.write_all(&crate::refusal::set_error_info_pdu(code)).await?;
                    framed.write_all(&crate::refusal::DISCONNECT_PROVIDER_ULTIMATUM).await?;
                }
                let (tls, _) = framed.into_inner();
                close_tls_gracefully(tls).await;
                return Err(error.into());
            }
        }
    }
}

/// [`close_gracefully`] for a TLS stream: close_notify, then a short drain.
async fn close_tls_gracefully<S>(mut stream: S)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _ = stream.shutdown().await;
    let _ = tokio::time::timeout(LINGER, discard_until_eof(&mut stream)).await;
}

/// Ends a connection politely: FIN after everything written so far, then a
/// short drain of what the client still sends.
///
/// Closing a socket that still has unread input makes the kernel send an
/// RST, which can destroy the RDP_NEG_FAILURE we just wrote before the
/// client reads it. Draining first avoids that.
async fn close_gracefully(mut stream: TcpStream) {
    let _ = stream.shutdown().await;
    let _ = tokio::time::timeout(LINGER, discard_until_eof(&mut stream)).await;
}

async fn discard_until_eof<S>(stream: &mut S)
where
    S: AsyncRead + Unpin,
{
    let mut scratch = [0_u8; 4096];
    while let Ok(n) = stream.read(&mut scratch).await {
        if n == 0 {
            break;
        }
    }
}

/// CredSSP network client that refuses every request.
///
/// The acceptor only needs network access for Kerberos (talking to a KDC);
/// this server runs CredSSP with NTLM only (no `KerberosServerConfig`), so
/// no request is ever expected.
struct NoNetwork;

impl NetworkClient for NoNetwork {
    fn send(&mut self, _request: &NetworkRequest) -> impl Future<Output = ConnectorResult<Vec<u8>>> {
        core::future::ready(Err(ConnectorError::general(
            "the rdp-doctor test server has no network access for CredSSP",
        )))
    }
}

/// Server capability sets sent in the Demand Active PDU (MS-RDPBCGR
/// 2.2.1.13.1). These are the mandatory sets of MS-RDPBCGR 2.2.1.13.1.1.1
/// with conservative values; the server never sends graphics, so they only
/// need to be well-formed and acceptable to clients.
fn server_capabilities() -> Vec<CapabilitySet> {
    vec![
        CapabilitySet::General(General::default()),
        CapabilitySet::Bitmap(Bitmap {
            pref_bits_per_pix: 32,
            desktop_width: DESKTOP_SIZE.width,
            desktop_height: DESKTOP_SIZE.height,
            desktop_resize_flag: false,
            drawing_flags: BitmapDrawingFlags::empty(),
        }),
        CapabilitySet::Order(Order::new(OrderFlags::empty(), OrderSupportExFlags::empty(), 0, 0)),
        CapabilitySet::Pointer(Pointer { color_pointer_cache_size: 25, pointer_cache_size: 25 }),
        CapabilitySet::Input(Input {
            input_flags: InputFlags::SCANCODES | InputFlags::MOUSEX | InputFlags::UNICODE,
            keyboard_layout: 0,
            keyboard_type: None,
            keyboard_subtype: 0,
            keyboard_function_key: 0,
            keyboard_ime_filename: String::new(),
        }),
        CapabilitySet::VirtualChannel(VirtualChannel { flags: VirtualChannelFlags::NO_COMPRESSION, chunk_size: None }),
        CapabilitySet::MultiFragmentUpdate(MultifragmentUpdate { max_request_size: 65_535 }),
    ]
}
