//! Patterns across a capture file: what many connections together say and no single one does.

use super::def;
use crate::finding::{FindingDef, Severity};

def!(
    PATTERN_PASSWORD_GUESSING,
    "pattern.password_guessing",
    Fail,
    "capture",
    "Password guessing: many refused logons from one source",
    "One source address made many connections whose logon was refused (NLA ended by the server after the client's authentication, CredSSP logon failures, refused logons inside the session, a gateway's final 401) within minutes: an automated password-guessing (brute-force or spraying) run, not a user mistyping. The evidence gives the counts per source and target, the rate, and the accounts where the decrypted data names them (an mstshash cookie, a user name, is counted, never quoted). Every attempt counts towards the account lockout threshold, so real users of the guessed accounts get locked out; each pending attempt also holds a place among the server's outstanding connections.",
    ["network.block_source", "server.restrict_rdp_exposure", "server.account_lockout_policy"]
);
def!(
    PATTERN_SCAN,
    "pattern.scan",
    Warn,
    "capture",
    "Port scanning: one source probed many ports or hosts",
    "One source address sent connection attempts to many ports or hosts and went no further than the TCP handshake (SYNs left unanswered, answered with RST, handshakes closed without data), or sent FIN/NULL/Xmas probes without a SYN, which no client does: a port scan. The unanswered or refused RDP attempts among them are the scanner's, not a user's connection failing: judge the per-connection tcp.filtered / tcp.refused findings in that light.",
    ["network.block_source", "server.restrict_rdp_exposure"]
);
def!(
    PATTERN_HEALTH_PROBES,
    "pattern.health_probes",
    Info,
    "capture",
    "Health probes: connect-and-close checks of the RDP port",
    "One source opened the RDP port again and again, completed the TCP handshake and closed without sending anything, at a regular interval: a load balancer's or monitor's TCP health check. These connections are not failed logons; they read as incomplete one by one. They cost the server little, but each one is briefly a pending connection; a short interval from many balancer nodes adds up.",
    ["network.tune_health_checks"]
);
def!(
    PATTERN_PENDING_FLOOD,
    "pattern.pending_flood",
    Fail,
    "capture",
    "A flood of pending connections (what fills MaxOutstandingConnections)",
    "Many connections to one server were open at the same time without having finished their setup (TCP, X.224, TLS, CredSSP): the peak is in the evidence. A Windows server accepts only a limited number of such outstanding connections (the MaxOutstandingConnections value of the Remote Desktop service); once it is reached, new connections, legitimate users' included, are refused or dropped until some of the pending ones time out, and the System log records that the server received a large number of incomplete connections. Floods like this come from password-guessing bots, scanners or overly frequent health checks.",
    ["server.max_outstanding_connections", "network.block_source", "server.restrict_rdp_exposure"]
);

/// This file's definitions.
pub(super) static DEFS: &[FindingDef] =
    &[PATTERN_PASSWORD_GUESSING, PATTERN_SCAN, PATTERN_HEALTH_PROBES, PATTERN_PENDING_FLOOD];
