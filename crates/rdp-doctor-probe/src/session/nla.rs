//! CredSSP with credentials (MS-CSSP 3.1.5), NTLM only, driven with IronRDP's `CredsspSequence` while we
//! own the framing: each server TSRequest is read raw first, so its `errorCode` (an NTSTATUS such as
//! 0xC000006D) is kept as a number, and the 4-byte Early User Authorization Result (HYBRID_EX,
//! MS-RDPBCGR 2.2.10.2) is kept raw too.
//!
//! The messages, in order: NTLM NEGOTIATE → CHALLENGE; AUTHENTICATE with pubKeyAuth → the server's
//! pubKeyAuth (or an errorCode: this is where a wrong password is refused); TSCredentials (the password,
//! encrypted for the server) → for HYBRID_EX the Early User Authorization Result.

use ironrdp_connector::credssp::{CredsspProcessGenerator, CredsspSequence};
use ironrdp_connector::sspi;
use ironrdp_connector::sspi::credssp::ClientState;
use ironrdp_connector::sspi::generator::GeneratorState;
use ironrdp_connector::{ClientConnector, ServerName};
use ironrdp_core::WriteBuf;
use ironrdp_pdu::nego;
use tokio::io::{AsyncRead, AsyncWrite};

use super::framing::{Conn, Read, four_bytes, ts_request_frame};
use super::{Run, outcome_of};

/// Why CredSSP did not finish.
pub(super) enum NlaStop {
    /// The server gave its verdict (an errorCode, AccessDenied) on an open connection: watch how it ends.
    Verdict,
    /// The connection is already over, or the client side failed.
    Ended,
}

/// NTLM needs no network; a Kerberos request (never made in NTLM mode) is refused.
fn resolve(generator: &mut CredsspProcessGenerator<'_>) -> Result<ClientState, String> {
    let mut state = generator.start();
    for _ in 0..4 {
        match state {
            GeneratorState::Suspended(_) => {
                state = generator.resume(Err(sspi::Error::new(
                    sspi::ErrorKind::NoAuthenticatingAuthority,
                    "rdp-doctor makes no KDC requests (NTLM only)",
                )));
            }
            GeneratorState::Completed(r) => return r.map_err(|e| e.to_string()),
        }
    }
    Err("CredSSP kept asking for network access".to_owned())
}

fn label(sent: usize) -> &'static str {
    match sent {
        1 => "TSRequest with NTLM NEGOTIATE",
        2 => "TSRequest with NTLM AUTHENTICATE and pubKeyAuth",
        3 => "TSRequest with TSCredentials (the password, encrypted to the server)",
        _ => "TSRequest",
    }
}

/// Runs CredSSP to the end (and the Early User Authorization Result for HYBRID_EX).
pub(super) async fn run<S>(
    r: &mut Run,
    conn: &mut Conn<S>,
    connector: &ClientConnector,
    selected: nego::SecurityProtocol,
    server_name: &str,
    public_key: Vec<u8>,
) -> Result<(), NlaStop>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let t0 = r.now();
    // IronRDP's API takes the credentials by value; this copy is dropped inside `init` once sspi has made
    // its own (zeroizing) identity from it.
    let init = CredsspSequence::init(
        connector.config.credentials.clone(),
        connector.config.domain.as_deref(),
        selected,
        ServerName::new(server_name),
        public_key,
        None,
    );
    let (mut sequence, mut ts_request) = match init {
        Ok(v) => v,
        Err(e) => {
            r.stop_local(format!("CredSSP could not start: {e}"));
            return Err(NlaStop::Ended);
        }
    };
    let mut buf = WriteBuf::new();
    let mut sent = 0usize;
    let mut final_sent = false;
    let mut server_version = None;
    loop {
        let state = {
            let mut generator = sequence.process_ts_request(ts_request);
            resolve(&mut generator)
        };
        let state = match state {
            Ok(s) => s,
            Err(e) => {
                r.stop_local(format!("CredSSP (client side, after the server's message {sent}): {e}"));
                return Err(NlaStop::Ended);
            }
        };
        final_sent |= matches!(state, ClientState::FinalMessage(_));
        buf.clear();
        let written = match sequence.handle_process_result(state, &mut buf) {
            Ok(w) => w,
            Err(e) => {
                r.stop_local(format!("CredSSP: {e}"));
                return Err(NlaStop::Ended);
            }
        };
        if let Some(n) = written.size() {
            if let Err(e) = conn.write(buf.filled().get(..n).unwrap_or_default(), r.timeout).await {
                r.stop_local(format!("sending the {}: {e}", label(sent + 1)));
                return Err(NlaStop::Ended);
            }
            sent += 1;
        }
        if sequence.next_pdu_hint().is_none() {
            break;
        }
        let expect_authz = final_sent && selected.contains(nego::SecurityProtocol::HYBRID_EX);
        let split = if expect_authz { four_bytes } else { ts_request_frame };
        let frame = match conn.read(split, r.timeout).await {
            Read::Frame(f) => f,
            other => {
                if sent >= 2 && !final_sent && matches!(other, Read::Closed(_) | Read::Reset) {
                    r.ev.credssp_closed_after_credentials = true;
                }
                let after = label(sent);
                r.event("credssp", t0, format!("no answer to the {after}: {}", describe(&other)));
                r.ev.outcome = outcome_of(&other);
                return Err(NlaStop::Ended);
            }
        };
        if expect_authz {
            let mut raw = [0u8; 4];
            raw.copy_from_slice(frame.get(..4).unwrap_or(&[0; 4]));
            let code = u32::from_le_bytes(raw);
            r.ev.early_user_auth = Some(code);
            r.step_done("credssp", t0, credssp_detail(sent, server_version));
            let name = match code {
                0 => "AUTHZ_SUCCESS",
                5 => "AUTHZ_ACCESS_DENIED",
                _ => "unknown authzResult",
            };
            r.event("early_user_authorization", r.now(), format!("{name} (0x{code:08X})"));
            r.phase = "early_user_authorization";
            if code != 0 {
                return Err(NlaStop::Verdict);
            }
            return Ok(());
        }
        // Read the raw TSRequest first: its version and errorCode are kept as numbers.
        if let Ok(Some((req, _))) = rdp_doctor_proto::credssp::decode(&frame) {
            server_version = Some(req.version);
            if let Some(code) = req.error_code.filter(|c| *c != 0) {
                r.ev.credssp_error = Some(code);
                r.event("credssp", t0, format!("the server answered the {} with errorCode 0x{code:08X}", label(sent)));
                return Err(NlaStop::Verdict);
            }
        }
        match sequence.decode_server_message(&frame) {
            Ok(Some(next)) => ts_request = next,
            Ok(None) => break,
            Err(e) => {
                r.stop_local(format!("CredSSP: the server's answer to the {}: {e}", label(sent)));
                return Err(NlaStop::Ended);
            }
        }
    }
    r.step_done("credssp", t0, credssp_detail(sent, server_version));
    Ok(())
}

fn credssp_detail(sent: usize, server_version: Option<u32>) -> String {
    let v = server_version.map(|v| format!("; server CredSSP version {v}")).unwrap_or_default();
    format!("NTLM authentication accepted: {sent} TSRequests sent (NEGOTIATE, AUTHENTICATE, TSCredentials){v}")
}

pub(super) fn describe(read: &Read) -> String {
    match read {
        Read::Frame(f) => format!("a {}-byte frame", f.len()),
        Read::Closed(0) => "the server closed the connection".to_owned(),
        Read::Closed(n) => format!("the server closed the connection ({n} bytes of an unfinished frame pending)"),
        Read::Reset => "the server reset the connection".to_owned(),
        Read::TimedOut => "no answer before the deadline".to_owned(),
        Read::Broken(e) => e.clone(),
    }
}
