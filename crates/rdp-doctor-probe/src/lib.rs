//! Live probes: DNS → TCP → X.224 → TLS against one target, each step with its own deadline.
//!
//! The drivers do the I/O and time it; every byte they receive is interpreted by the sans-IO codecs in
//! `rdp-doctor-proto`, and everything observed lands in `rdp_doctor_core::Evidence`. Judging it is the
//! rule engine's job, not ours. The X.224 and TLS steps take any `AsyncRead + AsyncWrite` stream, which is
//! the seam fault tests use.

pub mod dns;
pub mod target;
pub mod tcp;
pub mod tls;
pub mod x224;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdp_doctor_core::Evidence;
use rdp_doctor_core::evidence::{NegotiationResult, X224Outcome};
use rdp_doctor_proto::nego::SecurityProtocol;

pub use target::{TargetError, parse_target};

/// What to probe and how patiently.
#[derive(Clone)]
pub struct CheckOptions {
    /// The deadline of each layer (each TCP attempt, the X.224 exchange, the TLS handshake, DNS).
    pub timeout: Duration,
    /// `requestedProtocols` for RDP_NEG_REQ.
    pub requested: SecurityProtocol,
    /// The `mstshash` cookie; sent only when given.
    pub cookie: Option<String>,
    /// Also ask the DNS servers directly (hickory) besides the OS resolver.
    pub direct_dns: bool,
    /// The name certificates are matched against (defaults to the target host).
    pub tls_name: Option<String>,
}

impl std::fmt::Debug for CheckOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckOptions")
            .field("timeout", &self.timeout)
            .field("requested", &self.requested)
            .field("cookie", &self.cookie.as_ref().map(|_| "<redacted>"))
            .field("direct_dns", &self.direct_dns)
            .field("tls_name", &self.tls_name)
            .finish()
    }
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            requested: SecurityProtocol::DEFAULT_REQUEST,
            cookie: None,
            direct_dns: true,
            tls_name: None,
        }
    }
}

/// Milliseconds since `start`, as f64.
pub(crate) fn elapsed_ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// Runs the layer chain against `target` and returns what was observed. Never fails: every outcome of
/// the peer is evidence. The whole run is bounded by roughly `timeout` × (layers + addresses tried).
pub async fn check(target: rdp_doctor_core::evidence::Target, opts: &CheckOptions) -> Evidence {
    let now =
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let mut ev = Evidence::new(target.clone(), now);

    let addrs = match target.ip {
        Some(ip) => vec![ip],
        None => {
            let dns = dns::resolve(&target.host, opts.timeout, opts.direct_dns).await;
            let addrs = dns.os.addresses.clone();
            ev.dns = Some(dns);
            addrs
        }
    };
    if addrs.is_empty() {
        return ev;
    }

    let (tcp, stream) = tcp::connect_any(&addrs, target.port, opts.timeout).await;
    ev.tcp = Some(tcp);
    let Some(mut stream) = stream else { return ev };

    let x = x224::exchange(&mut stream, opts.requested, opts.cookie.clone(), opts.timeout).await;
    let selected = match &x.outcome {
        X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol, .. }, .. } => {
            Some(SecurityProtocol(*protocol))
        }
        _ => None,
    };
    ev.x224 = Some(x);
    if !selected.is_some_and(SecurityProtocol::starts_tls) {
        return ev;
    }

    let name = opts.tls_name.clone().unwrap_or_else(|| target.host.clone());
    let (tls, limitation) = tls::handshake(stream, &name, opts.timeout).await;
    ev.tls = Some(tls);
    ev.limitations.extend(limitation);
    ev
}
