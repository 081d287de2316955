//! The credentialed check (`check --user`): the real connection sequence (MS-RDPBCGR 1.3.1.1) on a new
//! connection, up to the first graphics update or the server's own verdict. Exactly one authentication
//! attempt is made per run.
//!
//! IronRDP's client connector ([`ironrdp_connector::ClientConnector`], a sans-IO state machine) builds and
//! checks the PDUs; this module owns the I/O and the framing loop (see [`framing`]), so every server frame
//! is read raw before the connector sees it: the 4-byte ERRINFO of each Set Error Info PDU, MCS Disconnect
//! Provider Ultimatum reasons, licensing errors, logon notifications, and how the TCP connection ended.
//! Each sub-step is recorded with its time. Every read and write has a deadline, and the whole run a budget.

mod config;
mod creds;
mod driver;
mod framing;
mod nla;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub use config::DRIVABLE;
pub use creds::{Credentials, Password};
use rdp_doctor_core::evidence::{SessionEvidence, SessionOutcome, SessionStep};

use crate::elapsed_ms;
use framing::Read;

/// How much longer than one step's deadline the whole run may take.
const BUDGET_STEPS: u32 = 10;

/// Runs the connection sequence against `addr` with `creds` and returns what happened. `server_name` is
/// the name for TLS (SNI) and CredSSP; `legacy_tls` uses the OpenSSL stack (when the main check found
/// that only it can talk to this server).
pub async fn run(
    addr: SocketAddr,
    server_name: &str,
    creds: &Credentials,
    requested: u32,
    cookie: Option<&str>,
    timeout: Duration,
    legacy_tls: bool,
) -> SessionEvidence {
    let mut r = Run::new(creds.user.clone(), requested, timeout);
    let budget = timeout.saturating_mul(BUDGET_STEPS);
    let driven =
        tokio::time::timeout(budget, driver::drive(&mut r, addr, server_name, creds, requested, cookie, legacy_tls))
            .await;
    if driven.is_err() {
        r.event("budget", r.now(), format!("the whole run exceeded its budget of {} ms", budget.as_millis()));
        r.ev.outcome = SessionOutcome::TimedOut;
    }
    r.ev.duration_ms = elapsed_ms(r.start);
    r.ev
}

/// A session record for a run that could not start.
pub fn not_run(user: &str, requested: u32, outcome: SessionOutcome) -> SessionEvidence {
    let mut r = Run::new(user.to_owned(), requested, Duration::ZERO);
    r.ev.outcome = outcome;
    r.ev.phase = "none".to_owned();
    r.ev
}

/// The evidence being recorded, with the clock of this connection.
pub(crate) struct Run {
    pub(crate) ev: SessionEvidence,
    start: Instant,
    pub(crate) timeout: Duration,
    /// The phase the connection sequence is in.
    pub(crate) phase: &'static str,
}

impl Run {
    fn new(account: String, requested: u32, timeout: Duration) -> Self {
        Self {
            ev: SessionEvidence {
                account,
                requested_protocols: requested,
                selected_protocol: None,
                steps: Vec::new(),
                outcome: SessionOutcome::TimedOut,
                phase: "tcp".to_owned(),
                credssp_error: None,
                credssp_closed_after_credentials: false,
                early_user_auth: None,
                error_infos: Vec::new(),
                license_error: None,
                logon_infos: Vec::new(),
                logon_error: None,
                logon_errors: Vec::new(),
                session_id: None,
                ultimatum: None,
                first_update_ms: None,
                connector_error: None,
                duration_ms: 0.0,
                timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            },
            start: Instant::now(),
            timeout,
            phase: "tcp",
        }
    }

    /// Milliseconds since the connection started.
    pub(crate) fn now(&self) -> f64 {
        elapsed_ms(self.start)
    }

    /// Records a finished sub-step that began at `began_ms`.
    pub(crate) fn step_done(&mut self, name: &str, began_ms: f64, detail: String) {
        let at = self.now();
        self.ev.steps.push(SessionStep { name: name.to_owned(), at_ms: at, duration_ms: at - began_ms, detail });
    }

    /// Records something that happened (a PDU, a close) within the step that began at `began_ms`.
    pub(crate) fn event(&mut self, name: &str, began_ms: f64, detail: String) {
        let at = self.now();
        self.ev.steps.push(SessionStep {
            name: name.to_owned(),
            at_ms: at,
            duration_ms: (at - began_ms).max(0.0),
            detail,
        });
    }

    /// rdp-doctor stops because of something on the client side (IronRDP, a local error).
    pub(crate) fn stop_local(&mut self, reason: String) {
        self.ev.connector_error = Some(reason.clone());
        self.ev.outcome = SessionOutcome::Stopped { reason };
    }
}

/// The outcome a read that produced no frame stands for.
pub(crate) fn outcome_of(read: &Read) -> SessionOutcome {
    match read {
        Read::Closed(_) => SessionOutcome::Closed,
        Read::Reset => SessionOutcome::Reset,
        Read::TimedOut => SessionOutcome::TimedOut,
        Read::Broken(e) => SessionOutcome::Stopped { reason: e.clone() },
        Read::Frame(_) => SessionOutcome::Stopped { reason: "unexpected frame".to_owned() },
    }
}
