//! Causal chains per client: the connections of one client address, in time order, judged together. When
//! an earlier connection's failure explains a later one's (Kerberos through the gateway's KDC proxy failed,
//! so the client fell back to NTLM, which the gateway refused for that account), the earliest failure is
//! the chain's verdict and the later connections are shown as its consequences, in text and JSON.
//!
//! The links are a small table of documented client behaviours, each with the words that explain it; a
//! failure repeated to the same server is a link too (a retry). Nothing is linked across clients.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::Severity;
use crate::capture_report::ConnectionReport;

/// A later connection is linked to an earlier one of the same client at most this long after it.
pub const CHAIN_WINDOW_MS: f64 = 10.0 * 60.0 * 1000.0;

/// A connection's place in a chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainRole {
    /// The connection whose failure started the chain (this connection's own ID for the root).
    pub root: u64,
    /// The connection this one follows from, for a consequence.
    pub caused_by: Option<u64>,
    /// How it follows, in words.
    pub how: String,
}

/// One chain: its root failure and the connections that follow from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CausalChain {
    pub client: IpAddr,
    /// The root connection's verdict: the chain's verdict.
    pub verdict: String,
    pub root: u64,
    /// The consequences, in time order.
    pub consequences: Vec<u64>,
    /// The chain in one line: `#3 gateway.kdc_proxy_failed → #4 gateway.access_denied (…)`.
    pub summary: String,
}

/// A documented way one failure leads to the next.
struct Link {
    cause: fn(&str) -> bool,
    effect: fn(&str) -> bool,
    how: &'static str,
}

fn kerberos_failed(id: &str) -> bool {
    (id.starts_with("kerberos.") && id != "kerberos.ntlm_fallback_refused")
        || matches!(id, "gateway.kdc_proxy_failed" | "credssp.no_logon_servers")
}

fn ntlm_refused(id: &str) -> bool {
    matches!(
        id,
        "gateway.access_denied"
            | "credssp.logon_failure"
            | "credssp.account_restriction"
            | "credssp.auth_failed"
            | "credssp.no_ntlm_challenge"
            | "kerberos.ntlm_fallback_refused"
            | "authmode.remote_guard_needs_kerberos"
    )
}

const LINKS: [Link; 2] = [
    Link {
        cause: kerberos_failed,
        effect: ntlm_refused,
        how: "Kerberos failed first, so the client fell back to NTLM, and NTLM was refused here: the Kerberos failure is the root cause",
    },
    Link {
        cause: |id| id == "nego.ssl_not_allowed_by_server",
        effect: |id| id.starts_with("sec.rdp_") || id == "nego.rdp_security_selected",
        how: "the server refused TLS, so the client retried with Standard RDP Security (no server authentication, RC4)",
    },
];

/// What the linking reads of a connection.
struct Item {
    id: u64,
    start_ms: f64,
    client: Option<IpAddr>,
    server: String,
    verdict: String,
    fail: bool,
    /// Its warn and fail finding IDs.
    failures: Vec<&'static str>,
}

fn item(c: &ConnectionReport) -> Item {
    Item {
        id: c.id,
        start_ms: c.start_ms,
        client: c.report.evidence.capture.as_ref().map(|k| k.client.ip()),
        server: c.server.clone(),
        verdict: c.report.verdict.clone(),
        fail: c.report.max_severity == Some(Severity::Fail),
        failures: c.report.findings.iter().filter(|f| f.severity >= Severity::Warn).map(|f| f.id).collect(),
    }
}

/// How `later` follows from `earlier`, when it does.
fn follows(earlier: &Item, later: &Item) -> Option<String> {
    if let Some(l) = LINKS
        .iter()
        .find(|l| earlier.failures.iter().any(|x| (l.cause)(x)) && later.failures.iter().any(|x| (l.effect)(x)))
    {
        return Some(format!("follows from #{}: {}", earlier.id, l.how));
    }
    (earlier.verdict == later.verdict && earlier.server == later.server && later.fail)
        .then(|| format!("the same failure as #{} again (a retry of it)", earlier.id))
}

/// A chain under construction: (item, the item it follows from, how), in time order.
type Members = Vec<(usize, Option<usize>, String)>;

/// Links the connections of each client; returns the chains (two connections or more) and sets each
/// member's [`ChainRole`].
pub fn link(connections: &mut [ConnectionReport]) -> Vec<CausalChain> {
    let mut items: Vec<Item> = connections.iter().map(item).collect();
    items.sort_by(|a, b| a.start_ms.total_cmp(&b.start_ms).then(a.id.cmp(&b.id)));
    // Per client: chains of (item, caused-by item, how), in time order.
    let mut chains: BTreeMap<IpAddr, Vec<Members>> = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        let Some(ip) = it.client else { continue };
        if it.failures.is_empty() {
            continue;
        }
        let list = chains.entry(ip).or_default();
        let mut joined = None;
        for (n, chain) in list.iter().enumerate().rev() {
            let last = chain.last().and_then(|(j, _, _)| items.get(*j));
            if last.is_none_or(|l| it.start_ms - l.start_ms > CHAIN_WINDOW_MS) {
                continue;
            }
            let hit = chain.iter().rev().find_map(|(j, _, _)| {
                let earlier = items.get(*j)?;
                follows(earlier, it).map(|how| (*j, how))
            });
            if let Some((j, how)) = hit {
                joined = Some((n, j, how));
                break;
            }
        }
        match joined {
            Some((n, j, how)) => {
                if let Some(chain) = list.get_mut(n) {
                    chain.push((i, Some(j), how));
                }
            }
            None => list.push(vec![(i, None, "the earliest failure of this client's chain".to_owned())]),
        }
    }
    let id_of = |i: usize| items.get(i).map_or(0, |x| x.id);
    let mut out = Vec::new();
    for (ip, list) in chains {
        for chain in list.into_iter().filter(|c| c.len() > 1) {
            let Some(root) = chain.first().and_then(|(i, _, _)| items.get(*i)) else { continue };
            let parts: Vec<String> = chain
                .iter()
                .filter_map(|(i, _, _)| items.get(*i))
                .map(|x| format!("#{} {}", x.id, x.verdict))
                .collect();
            let mut consequences = Vec::new();
            for (i, by, how) in &chain {
                let id = id_of(*i);
                if let Some(c) = connections.iter_mut().find(|c| c.id == id) {
                    c.chain = Some(ChainRole { root: root.id, caused_by: by.map(id_of), how: how.clone() });
                }
                if by.is_some() {
                    consequences.push(id);
                }
            }
            out.push(CausalChain {
                client: ip,
                verdict: root.verdict.clone(),
                root: root.id,
                consequences,
                summary: parts.join(" → "),
            });
        }
    }
    out
}
